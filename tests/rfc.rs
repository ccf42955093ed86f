//! The RFC 7644 examples (`tests/fixtures/rfc/`): CRUD, PATCH, errors, discovery and Bulk,
//! replayed through the dispatcher on a server set up as each example presupposes.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::{json, Value};

const BJENSEN: &str = "2819c223-7f76-453a-919d-413861904646";
const JSMITH: &str = "08e1d05d-121c-4561-8b96-473d93df9210";
const GROUP: &str = "acbf3ae7-8463-4692-b4fd-9b4da3f908ce";

fn rfc_harness() -> Harness {
    let mut h = Harness::new();
    let bearer = format!("Bearer {TOKEN}");
    h.literal.push(("Bearer h480djs93hd8".into(), bearer));
    h
}

/// Seeds the RFC's bjensen (from §3.4.1's response) and maps its id, the elided spellings of
/// it, and the RFC's versions to the seeded resource's.
fn seed_bjensen(h: &mut Harness) -> String {
    let f = fixture("rfc/rfc7644-crud.json");
    let mut body = step(&f, "3.4.1")["response"]["body"].clone();
    let o = body.as_object_mut().unwrap();
    o.remove("id");
    o.remove("meta");
    body["addresses"] = json!([
        {"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood",
         "region": "CA", "postalCode": "91608", "country": "USA", "primary": true},
        {"type": "home", "streetAddress": "456 Hollywood Blvd", "locality": "Hollywood",
         "region": "CA", "postalCode": "91608", "country": "USA"}
    ]);
    let id = h.seed_user(BJENSEN, body);
    for elided in [
        "2819c223-7f76-...413861904646",
        "2819c223...413861904646",
        "2819c223...919d-413861904646",
    ] {
        h.literal.insert(0, (elided.into(), id.clone()));
    }
    id
}

fn version_map(h: &mut Harness, path: &str) {
    let etag = h.get(path).headers["etag"].to_str().unwrap().to_string();
    for v in [
        "W/\"a330bc54f0671c9\"",
        "W/\"c310cd84f0281b7\"",
        "W/\"e180ee84f0671b1\"",
    ] {
        h.literal.retain(|(from, _)| from != v);
        h.literal.push((v.into(), etag.clone()));
    }
}

#[test]
fn crud_examples() {
    let f = fixture("rfc/rfc7644-crud.json");
    let r = rfc_harness().replay(step(&f, "3.3 Create a User"));
    assert_eq!(
        r.headers["location"].to_str().unwrap(),
        r.body["meta"]["location"].as_str().unwrap()
    );
    assert!(r.body["meta"]["location"]
        .as_str()
        .unwrap()
        .starts_with("http://example.com/Users/"));
    assert_eq!(
        r.headers["etag"].to_str().unwrap(),
        r.body["meta"]["version"]
    );

    let mut h = rfc_harness();
    seed_bjensen(&mut h);
    h.replay(step(&f, "3.4.1"));

    let mut h = rfc_harness();
    seed_bjensen(&mut h);
    h.seed_user("", user("jsmith"));
    let r = h.replay(step(&f, "3.4.2 Query Users with attributes"));
    assert_eq!(r.body["totalResults"], 2);

    let mut h = rfc_harness();
    for i in 0..100 {
        h.seed_user("", user(&format!("user{i:03}")));
    }
    h.replay(step(&f, "3.4.2.4 Pagination — first page"));
    let r = h.replay(step(&f, "3.4.2.4 Pagination — next page"));
    assert_eq!(r.body["Resources"][0]["userName"], "user010");

    let mut h = rfc_harness();
    let mut smith = user("jsmith");
    smith["displayName"] = json!("Smith, James");
    h.seed_user("", smith);
    h.seed_group("", group("Smiths"));
    let mut other = user("other");
    other["displayName"] = json!("Other");
    h.seed_user("", other);
    // The root search spans every resource type: the user and the group match.
    let r = h.replay(step(&f, "3.4.3"));
    assert_eq!(r.body["totalResults"], 2);
    assert_eq!(r.body["Resources"][0]["userName"], "jsmith");
    assert_eq!(r.body["Resources"][1]["displayName"], "Smiths");

    let mut h = rfc_harness();
    let id = seed_bjensen(&mut h);
    version_map(&mut h, &format!("/Users/{id}"));
    let r = h.replay(step(&f, "3.5.1"));
    assert_eq!(r.body["name"]["middleName"], "Jane");
    version_map(&mut h, &format!("/Users/{id}"));
    h.replay(step(&f, "3.6 Delete a User"));
    h.replay(step(&f, "3.6 GET after DELETE"));

    let mut h = rfc_harness();
    seed_bjensen(&mut h);
    h.replay(step(&f, "3.9"));
    rfc_harness().replay(step(&f, "3.14 Create returns ETag"));
    let mut h = rfc_harness();
    let id = seed_bjensen(&mut h);
    version_map(&mut h, &format!("/Users/{id}"));
    h.replay(step(&f, "3.14 Conditional GET"));
}

#[test]
fn patch_examples() {
    let f = fixture("rfc/rfc7644-patch.json");
    for s in f["steps"].as_array().unwrap() {
        let name = s["name"].as_str().unwrap();
        let mut h = rfc_harness();
        let bj = seed_bjensen(&mut h);
        let js = h.seed_user(JSMITH, user("jsmith"));
        h.literal
            .insert(0, ("08e1d05d...473d93df9210".into(), js.clone()));
        let third = h.seed_user("", user("third"));
        let is_group = s["request"]["path"]
            .as_str()
            .unwrap()
            .starts_with("/Groups");
        let path = if is_group {
            let mut g = group("Tour Guides");
            if !name.starts_with("3.5.2 / 3.5.2.1") {
                g["members"] = json!([{"value": bj}, {"value": third}]);
            }
            let gid = h.seed_group(GROUP, g);
            format!("/Groups/{gid}")
        } else {
            format!("/Users/{bj}")
        };
        version_map(&mut h, &path);
        let emails_before = h.get(&path).body["emails"].as_array().map_or(0, Vec::len);
        h.replay(s);
        let now = h.get(&path).body;
        let want = |ids: &[&String]| {
            let mut v: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
            v.sort();
            assert_eq!(members(&h.get(&path)), v, "{name}");
        };
        match name {
            n if n.starts_with("3.5.2 / 3.5.2.1") => {
                want(&[&bj]);
                // Adding again changes nothing and still succeeds.
                let again = h.subst(&s["request"]["body"]);
                let r = h.send("PATCH", &path, &[], Some(&again));
                assert_eq!(r.status, 200);
                assert_eq!(members(&r), vec![bj.clone()]);
            }
            "3.5.2.2 Remove a single member" => want(&[&third]),
            "3.5.2.2 Remove all members" => want(&[]),
            "3.5.2.2 Remove one member and add another" => want(&[&third, &js]),
            "3.5.2.2 Remove all members then add two" | "3.5.2.3 Replace all members" => {
                want(&[&bj, &js])
            }
            "3.5.2.1 Add without path (emails + nickname)" => {
                assert_eq!(now["nickName"], "Babs");
                assert_eq!(now["emails"].as_array().unwrap().len(), emails_before + 1);
                assert!(get(&now, "emails[type eq \"home\"].value").is_some());
            }
            "3.5.2.2 Remove a multi-valued complex value by filter" => {
                let emails = now["emails"].as_array().cloned().unwrap_or_default();
                assert_eq!(emails.len(), emails_before - 1, "{name}");
                assert!(get(&now, "emails[type eq \"work\"]").is_none(), "{name}");
            }
            "3.5.2.3 Replace the work address (valuePath, complex value)" => {
                let work = get(&now, "addresses[type eq \"work\"]").unwrap();
                assert_eq!(work["streetAddress"], "911 Universal City Plaza");
                assert_eq!(now["addresses"].as_array().unwrap().len(), 2);
            }
            "3.5.2.3 Replace a sub-attribute of the work address" => {
                let work = get(&now, "addresses[type eq \"work\"]").unwrap();
                assert_eq!(work["streetAddress"], "1010 Broadway Ave");
                assert_eq!(work["locality"], "Hollywood");
            }
            "3.5.2.3 Replace without path (emails + nickname)" => {
                assert_eq!(now["nickName"], "Babs");
                assert_eq!(now["emails"].as_array().unwrap().len(), 2);
            }
            other => panic!("no check for {other}"),
        }
    }
}

#[test]
fn error_examples() {
    let f = fixture("rfc/rfc7644-errors.json");
    rfc_harness().replay(step(&f, "3.12 Resource not found"));
    let mut h = rfc_harness();
    let id = seed_bjensen(&mut h);
    let r = h.replay(step(&f, "3.12 Attempt to modify"));
    assert_eq!(r.body["scimType"], "mutability");
    assert_eq!(h.get(&format!("/Users/{id}")).headers["etag"], "W/\"1\"");
}

#[test]
fn discovery_examples() {
    let f = fixture("rfc/discovery.json");
    for s in f["steps"].as_array().unwrap() {
        rfc_harness().replay(s);
    }
}

#[test]
fn bulk_examples() {
    let f = fixture("rfc/rfc7644-bulk.json");
    // §3.7.1: circular references between two new groups are resolved.
    let h = rfc_harness();
    let r = h.send(
        "POST",
        "/Bulk",
        &[],
        Some(&step(&f, "3.7.1")["request"]["body"]),
    );
    assert_eq!(r.status, 200);
    let ops = r.body["Operations"].as_array().unwrap().clone();
    assert!(ops.iter().all(|o| o["status"] == "201"), "{ops:?}");
    let g = |o: &Value| {
        h.get(
            o["location"]
                .as_str()
                .unwrap()
                .trim_start_matches("http://localhost"),
        )
    };
    let (a, b) = (g(&ops[0]), g(&ops[1]));
    assert_eq!(a.body["members"][0]["value"], b.body["id"]);
    assert_eq!(b.body["members"][0]["value"], a.body["id"]);
    // §3.7.2: a group refers to a new user by bulkId.
    let mut h = rfc_harness();
    let r = h.replay(step(&f, "3.7.2"));
    let group_op = r.body["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["location"].as_str().unwrap().contains("/Groups/"))
        .unwrap()
        .clone();
    let group = h.get(
        group_op["location"]
            .as_str()
            .unwrap()
            .trim_start_matches("http://localhost"),
    );
    let user_id = &group.body["members"][0]["value"];
    assert!(!user_id.as_str().unwrap().starts_with("bulkId:"));
    assert_eq!(
        h.get(&format!("/Users/{}", user_id.as_str().unwrap())).body["userName"],
        "Alice"
    );
    // §3.7.3 and §3.7.4 are covered by scimkit-dispatch's own Bulk tests (failOnErrors,
    // per-operation 412/404, maxOperations and maxPayloadSize → 413); here, the RFC's request.
    let s = step(&f, "3.7.3 Bulk request with");
    let mut h = rfc_harness();
    let b7 = h.seed_user("b7c14771-226c-4d05-8860-134711653041", user("b7"));
    let d8 = h.seed_user("5d8d29d3-342c-4b5f-8683-a3cb6763ffcc", user("d8"));
    let e9 = h.seed_user("e9025315-6bea-44e1-899c-1e07454e468b", user("e9"));
    for (id, rfc_version) in [
        (&b7, "W/\"3694e05e9dff591\""),
        (&d8, "W/\"edac3253e2c0ef2\""),
        (&e9, "W/\"0ee8add0a938e1a\""),
    ] {
        let etag = h.get(&format!("/Users/{id}")).headers["etag"]
            .to_str()
            .unwrap()
            .to_string();
        h.literal.push((rfc_version.into(), etag));
    }
    let r = h.replay(s);
    let statuses: Vec<&str> = r.body["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["201", "200", "200", "204"], "{}", r.body);
    assert_eq!(h.get(&format!("/Users/{e9}")).status, 404);
}
