//! The dispatcher end to end, in process: routing, queries, paging, preconditions, errors,
//! membership, discovery, tenants, Bulk, partial-store fallback, hooks.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use scimkit_dispatch::{
    BearerTokens, Config, Dispatcher, Hooks, MemoryStore, MemoryTx, Page, Plan, Query, Store,
    StoreError, Stored, TenantId, Write, WriteKind,
};
use scimkit_filter::{AttrPath, AttrTest, CompareOp, Filter};
use scimkit_schema::{ResourceSchema, ScimError};
use serde_json::{json, Value};
use std::future::Future;

fn ids(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn create_returns_201_location_etag_and_meta() {
    let d = default_dispatcher();
    let r = call(
        &d,
        "POST",
        "/Users",
        Some(user("bjensen")),
        &[("Host", "scim.example.com")],
    );
    assert_eq!(r.status, 201);
    let id = r.body["id"].as_str().unwrap();
    let loc = format!("http://scim.example.com/Users/{id}");
    assert_eq!(r.header("location"), Some(loc.as_str()));
    assert_eq!(r.header("etag"), Some("W/\"1\""));
    assert_eq!(r.header("content-type"), Some("application/scim+json"));
    assert_eq!(r.body["meta"]["location"], loc.as_str());
    assert_eq!(r.body["meta"]["resourceType"], "User");
    assert_eq!(r.body["meta"]["version"], "W/\"1\"");
    assert!(r.body["meta"]["created"].is_string());
    let g = call(&d, "GET", &format!("/Users/{id}"), None, &[]);
    assert_eq!(g.status, 200);
    assert_eq!(g.body["userName"], "bjensen");
    assert_eq!(g.header("etag"), Some("W/\"1\""));
}

#[test]
fn base_path_and_public_url() {
    let d = dispatcher(
        Config::default()
            .with_base_path("/scim/v2")
            .with_base_url("https://idp.example.com/scim/v2/"),
    );
    let r = call(&d, "POST", "/scim/v2/Users", Some(user("x")), &[]);
    assert_eq!(r.status, 201);
    assert!(r
        .header("location")
        .unwrap()
        .starts_with("https://idp.example.com/scim/v2/Users/"));
    assert_eq!(call(&d, "GET", "/Users", None, &[]).status, 404);
    assert_eq!(call(&d, "GET", "/scim/v2Users", None, &[]).status, 404);
    // Entra ID's feature flag on the tenant URL does not disturb routing.
    assert_eq!(
        call(&d, "GET", "/scim/v2/Users?aadOptscim062020", None, &[]).status,
        200
    );
}

#[test]
fn errors_are_scim_bodies() {
    let d = default_dispatcher();
    let r = call(
        &d,
        "GET",
        "/Users",
        None,
        &[("Authorization", "Bearer wrong")],
    );
    assert_eq!(r.status, 401);
    assert!(r.header("www-authenticate").unwrap().starts_with("Bearer"));
    let r = call(&d, "GET", "/Users", None, &[("Authorization", "")]);
    assert_eq!(r.status, 401);
    assert_eq!(call(&d, "GET", "/Users/nope", None, &[]).status, 404);
    assert_eq!(call(&d, "GET", "/Nothing", None, &[]).status, 404);
    assert_eq!(call(&d, "GET", "/Users/a/b", None, &[]).status, 404);
    let r = call(&d, "POST", "/ServiceProviderConfig", Some(json!({})), &[]);
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET"));
    assert_eq!(call(&d, "DELETE", "/Schemas", None, &[]).status, 405);
    assert_eq!(call(&d, "PUT", "/Users", Some(json!({})), &[]).status, 405);
    assert_eq!(call(&d, "GET", "/Bulk", None, &[]).status, 405);
    assert_eq!(call(&d, "GET", "/.search", None, &[]).status, 405);
    assert_eq!(call(&d, "GET", "/Me", None, &[]).status, 501);
    let r = call(&d, "POST", "/Users", Some(user("a")), &[]);
    assert_eq!(r.status, 201);
    let r = call(&d, "POST", "/Users", Some(user("A")), &[]);
    assert_eq!(r.status, 409);
    assert_eq!(r.body["scimType"], "uniqueness");
    let r = call(&d, "POST", "/Users", Some(json!({"schemas": []})), &[]);
    assert_eq!(r.status, 400);
    let r = call(&d, "GET", "/Users?filter=userName%20eq", None, &[]);
    assert_eq!(r.status, 400);
    assert_eq!(r.body["scimType"], "invalidFilter");
    let r = call(&d, "GET", "/Users?filter=active%20gt%20true", None, &[]);
    assert_eq!(r.body["scimType"], "invalidFilter");
    let r = call(&d, "GET", "/Users?startIndex=abc", None, &[]);
    assert_eq!(r.body["scimType"], "invalidValue");
    let r = call(&d, "GET", "/Users?sortOrder=sideways", None, &[]);
    assert_eq!(r.status, 400);
}

#[test]
fn raw_body_errors() {
    let d = dispatcher(Config::default().with_max_body_bytes(1000));
    let send = |ct: &str, body: Vec<u8>| {
        let req = http::Request::post("/Users")
            .header("Authorization", format!("Bearer {TOKEN}"))
            .header("Content-Type", ct)
            .body(bytes::Bytes::from(body))
            .unwrap();
        let resp = futures_executor::block_on(d.handle_bytes(req));
        let body: Value = serde_json::from_slice(resp.body()).unwrap();
        assert_error_body(&body, resp.status());
        resp.status().as_u16()
    };
    assert_eq!(send("text/plain", b"{}".to_vec()), 415);
    assert_eq!(send("application/json", b"{not json".to_vec()), 400);
    assert_eq!(send("application/json", Vec::new()), 400);
    let mut big = serde_json::to_vec(&user("big")).unwrap();
    big.extend(vec![b' '; 2000]);
    assert_eq!(send("application/scim+json; charset=utf-8", big), 413);
    assert_eq!(d.store().count(&TenantId::new("a"), "User"), 0);
    // The streaming entry point enforces the limit while reading, and from Content-Length.
    let req = http::Request::post("/Users")
        .header("Authorization", format!("Bearer {TOKEN}"))
        .body(http_body_util::Full::new(bytes::Bytes::from(vec![
            b' ';
            5000
        ])))
        .unwrap();
    assert_eq!(futures_executor::block_on(d.handle(req)).status(), 413);
    let req = http::Request::post("/Users")
        .header("Authorization", format!("Bearer {TOKEN}"))
        .header("Content-Length", "999999")
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .unwrap();
    assert_eq!(futures_executor::block_on(d.handle(req)).status(), 413);
}

#[test]
fn paging_rules_and_stable_walk() {
    let d = dispatcher(Config::default().with_max_results(10));
    let mut created = Vec::new();
    for i in 0..25 {
        let r = call(&d, "POST", "/Users", Some(user(&format!("u{i:02}"))), &[]);
        created.push(r.body["id"].as_str().unwrap().to_string());
    }
    // startIndex < 1 means 1; no count means the maximum.
    let r = call(&d, "GET", "/Users?startIndex=-5", None, &[]);
    assert_eq!(r.body["startIndex"], 1);
    assert_eq!(r.body["itemsPerPage"], 10);
    assert_eq!(r.body["totalResults"], 25);
    // count < 0 means 0; count=0 returns the total only.
    for q in ["count=-3", "count=0"] {
        let r = call(&d, "GET", &format!("/Users?{q}"), None, &[]);
        assert_eq!(r.body["totalResults"], 25);
        assert_eq!(r.body["Resources"], json!([]));
    }
    // count is capped at the advertised maximum.
    let r = call(&d, "GET", "/Users?count=1000", None, &[]);
    assert_eq!(ids(&r.body).len(), 10);
    // Walking the pages sees every user exactly once, in a stable order.
    let mut seen = Vec::new();
    let mut start = 1;
    loop {
        let r = call(
            &d,
            "GET",
            &format!("/Users?startIndex={start}&count=7"),
            None,
            &[],
        );
        let page = ids(&r.body);
        if page.is_empty() {
            break;
        }
        assert_eq!(r.body["startIndex"], start);
        seen.extend(page);
        start += 7;
    }
    assert_eq!(seen, created);
    // Past the end: an empty page with the total.
    let r = call(
        &d,
        "GET",
        "/Users?startIndex=9999999999999999999999",
        None,
        &[],
    );
    assert_eq!(r.body["totalResults"], 25);
    assert_eq!(ids(&r.body).len(), 0);
}

#[test]
fn filter_sort_and_projection() {
    let d = default_dispatcher();
    for n in ["carol", "alice", "bob", "dave"] {
        call(&d, "POST", "/Users", Some(user(n)), &[]);
    }
    let r = call(
        &d,
        "GET",
        "/Users?sortBy=userName&sortOrder=descending",
        None,
        &[],
    );
    let names: Vec<_> = r.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["dave", "carol", "bob", "alice"]);
    let r = call(
        &d,
        "GET",
        "/Users?filter=userName%20eq%20%22BOB%22&attributes=userName",
        None,
        &[],
    );
    assert_eq!(r.body["totalResults"], 1);
    let u = &r.body["Resources"][0];
    assert_eq!(u["userName"], "bob");
    assert!(u["id"].is_string(), "id is returned always");
    assert!(u.get("name").is_none() && u.get("emails").is_none());
    let r = call(
        &d,
        "GET",
        "/Users?filter=name.givenName%20sw%20%22c%22%20or%20userName%20eq%20%22dave%22&excludedAttributes=emails,name",
        None,
        &[],
    );
    assert_eq!(r.body["totalResults"], 2);
    assert!(r.body["Resources"][0].get("emails").is_none());
    assert!(r.body["Resources"][0]["userName"].is_string());
}

#[test]
fn search_endpoints() {
    let d = default_dispatcher();
    call(&d, "POST", "/Users", Some(user("alice")), &[]);
    call(&d, "POST", "/Groups", Some(group("Admins", &[])), &[]);
    let search = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": "userName eq \"alice\" or displayName eq \"admins\"",
        "attributes": ["userName", "displayName"],
        "startIndex": 1, "count": 10
    });
    let r = call(&d, "POST", "/.search", Some(search.clone()), &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.body["totalResults"], 2);
    let r = call(&d, "POST", "/Users/.search", Some(search.clone()), &[]);
    assert_eq!(r.body["totalResults"], 1);
    assert_eq!(r.body["Resources"][0]["userName"], "alice");
    let r = call(
        &d,
        "POST",
        "/Groups/.search",
        Some(json!({"count": "x"})),
        &[],
    );
    assert_eq!(r.status, 400);
}

#[test]
fn etags_and_preconditions() {
    let d = default_dispatcher();
    let r = call(&d, "POST", "/Users", Some(user("e")), &[]);
    let path = format!("/Users/{}", r.body["id"].as_str().unwrap());
    let r = call(&d, "GET", &path, None, &[("If-None-Match", "W/\"1\"")]);
    assert_eq!(r.status, 304);
    assert_eq!(r.header("etag"), Some("W/\"1\""));
    assert_eq!(
        call(&d, "GET", &path, None, &[("If-None-Match", "W/\"9\"")]).status,
        200
    );
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "displayName", "value": "E"}]});
    let r = call(
        &d,
        "PATCH",
        &path,
        Some(patch.clone()),
        &[("If-Match", "W/\"5\"")],
    );
    assert_eq!(r.status, 412);
    assert!(call(&d, "GET", &path, None, &[])
        .body
        .get("displayName")
        .is_none());
    let r = call(
        &d,
        "PATCH",
        &path,
        Some(patch.clone()),
        &[("If-Match", "W/\"1\"")],
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("etag"), Some("W/\"2\""));
    assert_eq!(r.body["displayName"], "E");
    let mut put = user("e");
    put["displayName"] = json!("F");
    assert_eq!(
        call(
            &d,
            "PUT",
            &path,
            Some(put.clone()),
            &[("If-Match", "W/\"1\"")]
        )
        .status,
        412
    );
    assert_eq!(
        call(&d, "PUT", &path, Some(put), &[("If-Match", "*")]).body["displayName"],
        "F"
    );
    assert_eq!(
        call(&d, "DELETE", &path, None, &[("If-Match", "W/\"1\"")]).status,
        412
    );
    assert_eq!(
        call(&d, "DELETE", &path, None, &[("If-Match", "W/\"3\"")]).status,
        204
    );
    assert_eq!(call(&d, "GET", &path, None, &[]).status, 404);
}

#[test]
fn patch_can_answer_204() {
    let d = dispatcher(Config::default().with_patch_returns_resource(false));
    let r = call(&d, "POST", "/Users", Some(user("p")), &[]);
    let path = format!("/Users/{}", r.body["id"].as_str().unwrap());
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
    let r = call(&d, "PATCH", &path, Some(patch), &[]);
    assert_eq!(r.status, 204);
    assert_eq!(r.header("etag"), Some("W/\"2\""));
    assert_eq!(call(&d, "GET", &path, None, &[]).body["active"], false);
}

#[test]
fn membership_and_groups_attribute() {
    let d = default_dispatcher();
    let u1 = call(&d, "POST", "/Users", Some(user("m1")), &[]).body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let u2 = call(&d, "POST", "/Users", Some(user("m2")), &[]).body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let g = call(&d, "POST", "/Groups", Some(group("Team", &[&u1])), &[]);
    assert_eq!(g.status, 201);
    let gid = g.body["id"].as_str().unwrap().to_string();
    assert_eq!(g.body["members"][0]["value"], u1.as_str());
    assert_eq!(
        g.body["members"][0]["$ref"],
        format!("http://localhost/Users/{u1}").as_str()
    );
    let add = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": u2}]}]});
    let r = call(&d, "PATCH", &format!("/Groups/{gid}"), Some(add), &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.body["members"].as_array().unwrap().len(), 2);
    let r = call(&d, "GET", &format!("/Users/{u2}"), None, &[]);
    assert_eq!(r.body["groups"][0]["value"], gid.as_str());
    assert_eq!(r.body["groups"][0]["display"], "Team");
    let r = call(
        &d,
        "GET",
        &format!("/Groups/{gid}?excludedAttributes=members"),
        None,
        &[],
    );
    assert!(r.body.get("members").is_none());
    assert_eq!(r.body["displayName"], "Team");
    let r = call(
        &d,
        "GET",
        "/Groups?filter=displayName%20eq%20%22team%22&excludedAttributes=members",
        None,
        &[],
    );
    assert_eq!(r.body["totalResults"], 1);
    assert!(r.body["Resources"][0].get("members").is_none());
    // Filter on membership.
    let r = call(
        &d,
        "GET",
        &format!("/Groups?filter=members%5Bvalue%20eq%20%22{u2}%22%5D"),
        None,
        &[],
    );
    assert_eq!(r.body["totalResults"], 1);
    let rm = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "remove", "path": format!("members[value eq \"{u1}\"]")}]});
    let r = call(&d, "PATCH", &format!("/Groups/{gid}"), Some(rm), &[]);
    assert_eq!(
        r.body["members"],
        json!([{"value": u2, "type": "User",
        "$ref": format!("http://localhost/Users/{u2}")}])
    );
    // A member that does not exist is refused; nothing changes.
    let bad = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": "no-such-user"}]}]});
    let r = call(&d, "PATCH", &format!("/Groups/{gid}"), Some(bad), &[]);
    assert_eq!(r.status, 400);
    assert_eq!(
        call(&d, "GET", &format!("/Groups/{gid}"), None, &[]).header("etag"),
        Some("W/\"3\"")
    );
    // Deleting a user removes it from the group.
    assert_eq!(
        call(&d, "DELETE", &format!("/Users/{u2}"), None, &[]).status,
        204
    );
    let r = call(&d, "GET", &format!("/Groups/{gid}"), None, &[]);
    assert_eq!(r.body["members"], json!([]));
}

#[test]
fn discovery_advertises_configuration() {
    let d = dispatcher(
        Config::default()
            .with_max_results(50)
            .with_bulk_limits(7, Config::default().bulk_max_payload),
    );
    let r = call(&d, "GET", "/ServiceProviderConfig", None, &[]);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body["filter"],
        json!({"supported": true, "maxResults": 50})
    );
    assert_eq!(r.body["bulk"]["maxOperations"], 7);
    assert_eq!(r.body["etag"]["supported"], true);
    assert_eq!(r.body["sort"]["supported"], true);
    assert_eq!(r.body["patch"]["supported"], true);
    let r = call(&d, "GET", "/ResourceTypes", None, &[]);
    assert_eq!(r.body["totalResults"], 2);
    let r = call(&d, "GET", "/ResourceTypes/user", None, &[]);
    assert_eq!(r.body["endpoint"], "/Users");
    assert_eq!(
        call(&d, "GET", "/ResourceTypes/Device", None, &[]).status,
        404
    );
    let r = call(&d, "GET", "/Schemas", None, &[]);
    assert_eq!(r.body["totalResults"], 3);
    let r = call(
        &d,
        "GET",
        "/Schemas/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        None,
        &[],
    );
    assert_eq!(r.body["name"], "EnterpriseUser");
    assert_eq!(
        call(&d, "GET", "/Schemas?filter=id%20pr", None, &[]).status,
        403
    );
}

#[test]
fn tenants_are_isolated() {
    let d = default_dispatcher();
    let b = [("Authorization", "Bearer test-token-b")];
    let r = call(&d, "POST", "/Users", Some(user("same")), &[]);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        call(&d, "POST", "/Users", Some(user("same")), &b).status,
        201
    );
    assert_eq!(
        call(&d, "GET", &format!("/Users/{id}"), None, &b).status,
        404
    );
    assert_eq!(
        call(&d, "DELETE", &format!("/Users/{id}"), None, &b).status,
        404
    );
    assert_eq!(call(&d, "GET", "/Users", None, &b).body["totalResults"], 1);
    let g = call(&d, "POST", "/Groups", Some(group("G", &[&id])), &b);
    assert_eq!(g.status, 400, "a member of another tenant is not a member");
}

#[test]
fn bulk_with_forward_and_circular_references() {
    let d = default_dispatcher();
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [
            {"method": "POST", "path": "/Groups", "bulkId": "g",
             "data": group_with_refs("Tour Guides", &["bulkId:u"])},
            {"method": "POST", "path": "/Users", "bulkId": "u", "data": user("alice")},
            {"method": "POST", "path": "/Groups", "bulkId": "qwerty",
             "data": group_with_refs("Group A", &["bulkId:ytrewq"])},
            {"method": "POST", "path": "/Groups", "bulkId": "ytrewq",
             "data": group_with_refs("Group B", &["bulkId:qwerty"])},
            {"method": "PATCH", "path": "/Users/bulkId:u",
             "data": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                      "Operations": [{"op": "replace", "path": "displayName", "value": "Alice"}]}}
        ]
    });
    let r = call(&d, "POST", "/Bulk", Some(body), &[]);
    assert_eq!(r.status, 200);
    let ops = r.body["Operations"].as_array().unwrap();
    assert_eq!(ops.len(), 5);
    assert!(
        ops.iter()
            .all(|o| o["status"] == "201" || o["status"] == "200"),
        "{ops:?}"
    );
    let loc = |bulk_id: &str| -> String {
        ops.iter().find(|o| o["bulkId"] == bulk_id).unwrap()["location"]
            .as_str()
            .unwrap()
            .trim_start_matches("http://localhost")
            .to_string()
    };
    let g = call(&d, "GET", &loc("g"), None, &[]);
    let u = call(&d, "GET", &loc("u"), None, &[]);
    assert_eq!(g.body["members"][0]["value"], u.body["id"]);
    assert_eq!(u.body["displayName"], "Alice");
    let a = call(&d, "GET", &loc("qwerty"), None, &[]);
    let b = call(&d, "GET", &loc("ytrewq"), None, &[]);
    assert_eq!(a.body["members"][0]["value"], b.body["id"]);
    assert_eq!(b.body["members"][0]["value"], a.body["id"]);
    assert_eq!(a.body["members"][0]["type"], "Group");
}

fn group_with_refs(name: &str, refs: &[&str]) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name,
           "members": refs.iter().map(|r| json!({"value": r})).collect::<Vec<_>>()})
}

#[test]
fn bulk_errors_and_limits() {
    let d = dispatcher(Config::default().with_bulk_limits(3, 4000));
    let ops = |n: usize| {
        (0..n)
            .map(|i| {
                json!({"method": "POST", "path": "/Users", "bulkId": format!("b{i}"),
                            "data": user(&format!("bulk{i}"))})
            })
            .collect::<Vec<_>>()
    };
    let r = call(
        &d,
        "POST",
        "/Bulk",
        Some(
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": ops(4)}),
        ),
        &[],
    );
    assert_eq!(r.status, 413);
    let big: Vec<Value> = (0..3)
        .map(|i| {
            let mut u = user(&format!("x{i}"));
            u["title"] = json!("t".repeat(2000));
            json!({"method": "POST", "path": "/Users", "data": u})
        })
        .collect();
    let r = call(
        &d,
        "POST",
        "/Bulk",
        Some(
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": big}),
        ),
        &[],
    );
    assert_eq!(r.status, 413);
    assert_eq!(d.store().count(&TenantId::new("a"), "User"), 0);
    // failOnErrors: stop after the first error.
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "failOnErrors": 1,
        "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": "q", "data": {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]}},
            {"method": "DELETE", "path": "/Users/nope"},
            {"method": "POST", "path": "/Users", "data": user("after")}
        ]
    });
    let r = call(&d, "POST", "/Bulk", Some(body.clone()), &[]);
    let ops_out = r.body["Operations"].as_array().unwrap();
    assert_eq!(ops_out.len(), 1);
    assert_eq!(ops_out[0]["status"], "400");
    assert_eq!(
        ops_out[0]["response"]["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert_eq!(d.store().count(&TenantId::new("a"), "User"), 0);
    // Without failOnErrors every operation runs.
    let mut all = body;
    all.as_object_mut().unwrap().remove("failOnErrors");
    let r = call(&d, "POST", "/Bulk", Some(all), &[]);
    let statuses: Vec<_> = r.body["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(statuses, ["400", "404", "201"]);
    // A reference to a bulkId that nothing defines.
    let r = call(
        &d,
        "POST",
        "/Bulk",
        Some(
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [{"method": "DELETE", "path": "/Users/bulkId:ghost"}]}),
        ),
        &[],
    );
    assert_eq!(r.body["Operations"][0]["status"], "409");
    // A version mismatch gives that operation 412.
    let id = call(&d, "GET", "/Users", None, &[]).body["Resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = call(
        &d,
        "POST",
        "/Bulk",
        Some(
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [{"method": "DELETE", "path": format!("/Users/{id}"), "version": "W/\"77\""}]}),
        ),
        &[],
    );
    assert_eq!(r.body["Operations"][0]["status"], "412");
    assert_eq!(d.store().count(&TenantId::new("a"), "User"), 1);
}

/// A store that answers only `userName eq` itself and sorts nothing: the dispatcher evaluates
/// the rest, and must give the same answers as the fully native store.
#[derive(Clone)]
struct Partial(MemoryStore);

fn is_user_name_eq(f: &Filter<'_>) -> bool {
    matches!(f, Filter::Attr { path, test: AttrTest::Compare(CompareOp::Eq, _) }
        if path.name.eq_ignore_ascii_case("userName"))
}

impl Store for Partial {
    type Tx = MemoryTx;

    fn begin(&self, t: &TenantId) -> impl Future<Output = Result<MemoryTx, StoreError>> + Send {
        self.0.begin(t)
    }
    fn get(
        &self,
        t: &TenantId,
        rt: &str,
        id: &str,
    ) -> impl Future<Output = Result<Option<Stored>, StoreError>> + Send {
        self.0.get(t, rt, id)
    }
    fn query(
        &self,
        t: &TenantId,
        q: Query<'_>,
    ) -> impl Future<Output = Result<Page, StoreError>> + Send {
        assert!(q.filter.map_or(true, is_user_name_eq));
        assert!(q.sort.is_none());
        self.0.query(t, q)
    }
    fn plan<'a>(
        &self,
        _: &ResourceSchema<'_>,
        filter: Option<&Filter<'a>>,
        _: Option<&AttrPath<'_>>,
    ) -> Plan<'a> {
        match filter {
            Some(f) if is_user_name_eq(f) => Plan::split(Some(f.clone()), None),
            Some(Filter::And(parts)) => Plan::split(
                parts.iter().find(|p| is_user_name_eq(p)).cloned(),
                filter.cloned(),
            ),
            _ => Plan::residual(filter),
        }
    }
}

#[test]
fn dispatcher_evaluates_what_the_store_does_not_answer() {
    let native = default_dispatcher();
    let partial = Dispatcher::new(Partial(MemoryStore::new()), tokens());
    for i in 0..30 {
        let mut u = user(&format!("user{i:02}"));
        u["title"] = json!(if i % 3 == 0 { "Boss" } else { "Staff" });
        u["displayName"] = json!(format!("D{}", 30 - i));
        assert_eq!(
            call(&native, "POST", "/Users", Some(u.clone()), &[]).status,
            201
        );
        assert_eq!(call(&partial, "POST", "/Users", Some(u), &[]).status, 201);
    }
    for q in [
        "filter=title%20eq%20%22boss%22&sortBy=displayName&startIndex=2&count=3",
        "filter=userName%20eq%20%22user03%22%20and%20title%20eq%20%22Boss%22",
        "filter=userName%20eq%20%22user04%22%20and%20title%20eq%20%22Boss%22",
        "filter=userName%20eq%20%22user04%22",
        "sortBy=displayName&sortOrder=descending&count=5",
        "filter=not%20(title%20eq%20%22Staff%22)%20or%20userName%20sw%20%22user1%22&count=50",
    ] {
        let strip = |v: Value| {
            v["Resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["userName"].clone())
                .collect::<Vec<_>>()
        };
        let a = call(&native, "GET", &format!("/Users?{q}"), None, &[]).body;
        let b = call(&partial, "GET", &format!("/Users?{q}"), None, &[]).body;
        assert_eq!(a["totalResults"], b["totalResults"], "{q}");
        assert_eq!(strip(a), strip(b), "{q}");
    }
}

/// A policy stand-in: refuses userNames of a blocked domain, lower-cases the rest, and records
/// what it saw.
#[derive(Default)]
struct Policy {
    seen: std::sync::Mutex<Vec<(WriteKind, bool)>>,
}

impl<S: Store> Hooks<S> for Policy {
    type Decision = ();
    type Prepared = ();

    fn before_write(
        &self,
        _: &mut S::Tx,
        w: &Write<'_>,
        mut proposed: Value,
        _: (),
    ) -> impl Future<Output = Result<(Value, ()), ScimError>> + Send {
        self.seen.lock().unwrap().push((w.kind, w.before.is_some()));
        let name = proposed["userName"].as_str().unwrap_or("").to_string();
        let out = if name.ends_with("@blocked.example") {
            Err(ScimError::forbidden("blocked domain"))
        } else {
            if !name.is_empty() {
                proposed["userName"] = json!(name.to_lowercase());
            }
            Ok((proposed, ()))
        };
        std::future::ready(out)
    }
}

#[test]
fn hooks_decide_between_compute_and_store() {
    let d = Dispatcher::builder(MemoryStore::new(), tokens())
        .hooks(Policy::default())
        .build();
    assert_eq!(
        call(&d, "POST", "/Users", Some(user("x@blocked.example")), &[]).status,
        403
    );
    assert_eq!(d.store().count(&TenantId::new("a"), "User"), 0);
    let r = call(&d, "POST", "/Users", Some(user("MiXeD")), &[]);
    assert_eq!(r.body["userName"], "mixed");
    let path = format!("/Users/{}", r.body["id"].as_str().unwrap());
    let p = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "userName", "value": "y@blocked.example"}]});
    assert_eq!(call(&d, "PATCH", &path, Some(p), &[]).status, 403);
    assert_eq!(call(&d, "GET", &path, None, &[]).body["userName"], "mixed");
    let seen = d.hooks().seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            (WriteKind::Create, false),
            (WriteKind::Create, false),
            (WriteKind::Patch, true)
        ]
    );
}

/// Records, for each write it prepares, whether the tenant's writes were free to begin at that
/// moment (no transaction held) and whether it got the POST's validated resource; hands a
/// number through to `before_write` / `before_delete`.
#[derive(Default)]
struct Prepares {
    store: MemoryStore,
    prepared: std::sync::Mutex<Vec<(WriteKind, bool, bool)>>,
    handed: std::sync::Mutex<Vec<usize>>,
}

impl Hooks<MemoryStore> for Prepares {
    type Decision = ();
    type Prepared = usize;

    fn prepare(&self, w: &Write<'_>, proposed: Option<&Value>) -> usize {
        let tenant = TenantId::new("a");
        let begin = std::pin::pin!(self.store.begin(&tenant));
        struct NoWake;
        impl std::task::Wake for NoWake {
            fn wake(self: std::sync::Arc<Self>) {}
        }
        let waker = std::task::Waker::from(std::sync::Arc::new(NoWake));
        let mut cx = std::task::Context::from_waker(&waker);
        let free = begin.poll(&mut cx).is_ready();
        let mut prepared = self.prepared.lock().unwrap();
        prepared.push((w.kind, free, proposed.is_some()));
        prepared.len()
    }

    fn before_write(
        &self,
        _: &mut MemoryTx,
        _: &Write<'_>,
        proposed: Value,
        prepared: usize,
    ) -> impl Future<Output = Result<(Value, ()), ScimError>> + Send {
        self.handed.lock().unwrap().push(prepared);
        std::future::ready(Ok((proposed, ())))
    }

    fn before_delete(
        &self,
        _: &mut MemoryTx,
        _: &Write<'_>,
        prepared: usize,
    ) -> impl Future<Output = Result<(), ScimError>> + Send {
        self.handed.lock().unwrap().push(prepared);
        std::future::ready(Ok(()))
    }
}

#[test]
fn hooks_prepare_each_write_before_its_transaction() {
    let store = MemoryStore::new();
    let hooks = Prepares {
        store: store.clone(),
        ..Prepares::default()
    };
    let d = Dispatcher::builder(store, tokens()).hooks(hooks).build();
    let r = call(&d, "POST", "/Users", Some(user("ada")), &[]);
    assert_eq!(r.status, 201);
    let path = format!("/Users/{}", r.body["id"].as_str().unwrap());
    let p = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "displayName", "value": "Ada"}]});
    assert_eq!(call(&d, "PATCH", &path, Some(p), &[]).status, 200);
    assert_eq!(call(&d, "PUT", &path, Some(user("ada")), &[]).status, 200);
    assert_eq!(call(&d, "DELETE", &path, None, &[]).status, 204);
    assert_eq!(
        *d.hooks().prepared.lock().unwrap(),
        [
            (WriteKind::Create, true, true),
            (WriteKind::Patch, true, false),
            (WriteKind::Replace, true, false),
            (WriteKind::Delete, true, false),
        ]
    );
    // Each write's before_write / before_delete got what its own prepare returned.
    assert_eq!(*d.hooks().handed.lock().unwrap(), [1, 2, 3, 4]);
}

#[test]
fn bearer_tokens_can_change_while_serving() {
    let tokens = BearerTokens::new();
    let d = Dispatcher::new(MemoryStore::new(), tokens.clone());
    assert_eq!(call(&d, "GET", "/Users", None, &[]).status, 401);
    tokens.insert(TOKEN, TenantId::new("a"));
    assert_eq!(call(&d, "GET", "/Users", None, &[]).status, 200);
    tokens.revoke(TOKEN);
    assert_eq!(call(&d, "GET", "/Users", None, &[]).status, 401);
}

/// Callers that are users: `/Me` stands for their own User resource.
struct SelfService(std::sync::Arc<std::sync::Mutex<Option<String>>>);

impl scimkit_dispatch::Authenticator for SelfService {
    fn authenticate(
        &self,
        _request: &http::request::Parts,
    ) -> impl Future<Output = Result<scimkit_dispatch::Principal, ScimError>> + Send {
        let mut p = scimkit_dispatch::Principal::new(TenantId::new("a"));
        p.me = self.0.lock().unwrap().clone();
        std::future::ready(Ok(p))
    }
}

#[test]
fn me_is_the_callers_user_or_501() {
    let me = std::sync::Arc::new(std::sync::Mutex::new(None));
    let d = Dispatcher::new(MemoryStore::new(), SelfService(me.clone()));
    let call = |method: &str, path: &str, body: Option<Value>| {
        let mut b = http::Request::builder().method(method).uri(path);
        if body.is_some() {
            b = b.header("Content-Type", "application/scim+json");
        }
        let bytes = body
            .map(|v| serde_json::to_vec(&v).unwrap())
            .unwrap_or_default();
        let resp = futures_executor::block_on(d.handle_bytes(b.body(bytes).unwrap()));
        let status = resp.status().as_u16();
        let v: Value = if resp.body().is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(resp.body()).unwrap()
        };
        (status, v)
    };
    assert_eq!(call("GET", "/Me", None).0, 501);
    let (s, u) = call("POST", "/Users", Some(user("self")));
    assert_eq!(s, 201);
    let id = u["id"].as_str().unwrap().to_string();
    *me.lock().unwrap() = Some(id.clone());
    let (s, v) = call("GET", "/Me", None);
    assert_eq!(s, 200);
    assert_eq!(v["id"], id.as_str());
    let p = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "displayName", "value": "Me Myself"}]});
    assert_eq!(call("PATCH", "/Me", Some(p)).1["displayName"], "Me Myself");
    assert_eq!(call("GET", "/Me/extra", None).0, 404);
    assert_eq!(call("POST", "/Me", Some(user("other"))).0, 501);
    assert_eq!(
        call("GET", &format!("/Users/{id}"), None).1["displayName"],
        "Me Myself"
    );
}
