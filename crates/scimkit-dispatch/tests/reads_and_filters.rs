//! What a read shows and what a filter sees agree: every attribute a client can read filters the
//! same way (`X pr` matches exactly the resources whose read shows `X`), attributes no read shows
//! cannot be filtered on, and identifiers compare by one Unicode-aware key everywhere.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use http::StatusCode;
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::collections::{BTreeSet, HashMap};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn enc(filter: &str) -> String {
    filter
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b':' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn ids(resp: &Resp) -> BTreeSet<String> {
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
    resp.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

fn non_empty(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => a.iter().any(non_empty),
        Value::Object(o) => o.values().any(non_empty),
        _ => true,
    }
}

/// The attribute paths a read shows with a non-empty value (RFC 7644 §3.4.2.2, `pr`).
fn shown_paths(body: &Value) -> BTreeSet<String> {
    fn complex(prefix: &str, o: &Map<String, Value>, out: &mut BTreeSet<String>) {
        for (k, v) in o {
            if non_empty(v) {
                out.insert(format!("{prefix}.{k}"));
            }
        }
    }
    let mut out = BTreeSet::new();
    for (k, v) in body.as_object().unwrap() {
        if !non_empty(v) {
            continue;
        }
        if k.starts_with("urn:") {
            for (a, w) in v.as_object().unwrap() {
                if non_empty(w) {
                    out.insert(format!("{k}:{a}"));
                    if let Value::Object(o) = w {
                        complex(&format!("{k}:{a}"), o, &mut out);
                    }
                }
            }
            continue;
        }
        out.insert(k.clone());
        match v {
            Value::Object(o) => complex(k, o, &mut out),
            Value::Array(items) => {
                for o in items.iter().filter_map(Value::as_object) {
                    complex(k, o, &mut out);
                }
            }
            _ => {}
        }
    }
    out
}

/// Paths of the User schema that a generated user may or may not have.
const SCHEMA_PATHS: &[&str] = &[
    "id",
    "externalId",
    "userName",
    "displayName",
    "nickName",
    "title",
    "active",
    "name.givenName",
    "name.familyName",
    "name.formatted",
    "emails",
    "emails.value",
    "emails.type",
    "emails.primary",
    "phoneNumbers.value",
    "groups",
    "groups.value",
    "groups.display",
    "groups.$ref",
    "meta.created",
    "meta.lastModified",
    "meta.version",
    "meta.location",
    "meta.resourceType",
    "schemas",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
];

fn arb_user(i: usize) -> impl Strategy<Value = Value> {
    let word = "[a-z]{1,6}";
    (
        proptest::option::of(word),
        proptest::option::of(word),
        proptest::option::of(prop_oneof![Just(true), Just(false)]),
        proptest::option::of((proptest::option::of(word), proptest::option::of(word))),
        proptest::collection::vec(
            (word, proptest::option::of("work|home"), any::<bool>()),
            0..3,
        ),
        proptest::option::of(word),
        proptest::option::of(word),
        proptest::option::of(word),
    )
        .prop_map(
            move |(display, ext, active, name, emails, title, department, manager)| {
                let mut u = json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": format!("user{i}"),
                });
                let o = u.as_object_mut().unwrap();
                if let Some(d) = display {
                    o.insert("displayName".into(), json!(d));
                }
                if let Some(e) = ext {
                    o.insert("externalId".into(), json!(e));
                }
                if let Some(a) = active {
                    o.insert("active".into(), json!(a));
                }
                if let Some((given, family)) = name {
                    let mut n = Map::new();
                    if let Some(g) = given {
                        n.insert("givenName".into(), json!(g));
                    }
                    if let Some(f) = family {
                        n.insert("familyName".into(), json!(f));
                    }
                    o.insert("name".into(), Value::Object(n));
                }
                let emails: Vec<Value> = emails
                    .into_iter()
                    .enumerate()
                    .map(|(k, (local, ty, primary))| {
                        let mut e = json!({"value": format!("{local}{k}@example.com")});
                        if let Some(t) = ty {
                            e["type"] = json!(t);
                        }
                        if primary && k == 0 {
                            e["primary"] = json!(true);
                        }
                        e
                    })
                    .collect();
                if !emails.is_empty() {
                    o.insert("emails".into(), Value::Array(emails));
                }
                if let Some(t) = title {
                    o.insert("title".into(), json!(t));
                }
                if department.is_some() || manager.is_some() {
                    let mut ext = Map::new();
                    if let Some(d) = department {
                        ext.insert("department".into(), json!(d));
                    }
                    if let Some(m) = manager {
                        ext.insert("manager".into(), json!({"value": m}));
                    }
                    o.insert(ENTERPRISE.into(), Value::Object(ext));
                    o.insert(
                        "schemas".into(),
                        json!(["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE]),
                    );
                }
                u
            },
        )
}

fn arb_population() -> impl Strategy<Value = (Vec<Value>, Vec<bool>)> {
    (1usize..7).prop_flat_map(|n| {
        let users: Vec<_> = (0..n).map(arb_user).collect();
        (users, proptest::collection::vec(any::<bool>(), n))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// For random users (some in a group) and every readable attribute path `X`,
    /// `filter=X pr` matches exactly the users whose read shows `X`.
    #[test]
    fn present_matches_exactly_what_reads_show((users, in_group) in arb_population()) {
        let d = default_dispatcher();
        let mut created = Vec::new();
        for u in users {
            let r = call(&d, "POST", "/Users", Some(u), &[]);
            prop_assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            created.push(r.body["id"].as_str().unwrap().to_string());
        }
        let members: Vec<&str> = created
            .iter()
            .zip(&in_group)
            .filter(|(_, g)| **g)
            .map(|(id, _)| id.as_str())
            .collect();
        if !members.is_empty() {
            let r = call(&d, "POST", "/Groups", Some(group("g", &members)), &[]);
            prop_assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        }
        let mut shown: HashMap<String, BTreeSet<String>> = HashMap::new();
        for id in &created {
            let r = call(&d, "GET", &format!("/Users/{id}"), None, &[]);
            shown.insert(id.clone(), shown_paths(&r.body));
        }
        let mut paths: BTreeSet<String> = SCHEMA_PATHS.iter().map(|p| p.to_string()).collect();
        paths.extend(shown.values().flatten().cloned());
        for path in paths {
            let expected: BTreeSet<String> = shown
                .iter()
                .filter(|(_, p)| p.contains(&path))
                .map(|(id, _)| id.clone())
                .collect();
            let q = format!("/Users?count=1000&filter={}", enc(&format!("{path} pr")));
            let got = ids(&call(&d, "GET", &q, None, &[]));
            prop_assert_eq!(got, expected, "filter {} pr", path);
        }
    }
}

#[test]
fn meta_location_filters_as_reads_show_it() {
    let d = default_dispatcher();
    let a = call(&d, "POST", "/Users", Some(user("ada")), &[]).body;
    let b = call(&d, "POST", "/Users", Some(user("bob")), &[]).body;
    let all = ids(&call(
        &d,
        "GET",
        "/Users?filter=meta.location%20pr",
        None,
        &[],
    ));
    assert_eq!(all.len(), 2);
    let loc = a["meta"]["location"].as_str().unwrap();
    let q = format!(
        "/Users?filter={}",
        enc(&format!("meta.location eq \"{loc}\""))
    );
    let one = ids(&call(&d, "GET", &q, None, &[]));
    assert_eq!(one, BTreeSet::from([a["id"].as_str().unwrap().to_string()]));
    // Combined with an indexed term, still on the read view.
    let q = format!(
        "/Users?filter={}",
        enc(&format!(
            "userName eq \"bob\" and meta.location ew \"{}\"",
            b["id"].as_str().unwrap()
        ))
    );
    assert_eq!(ids(&call(&d, "GET", &q, None, &[])).len(), 1);
    let g = call(
        &d,
        "POST",
        "/Groups",
        Some(group("g", &[a["id"].as_str().unwrap()])),
        &[],
    );
    assert_eq!(g.status, StatusCode::CREATED);
    let refs = ids(&call(
        &d,
        "GET",
        "/Groups?filter=members.%24ref%20pr",
        None,
        &[],
    ));
    assert_eq!(refs.len(), 1);
}

#[test]
fn filters_on_never_returned_attributes_are_refused() {
    let d = default_dispatcher();
    let mut u = user("ada");
    u["password"] = json!("hunter2-secret");
    assert_eq!(
        call(&d, "POST", "/Users", Some(u), &[]).status,
        StatusCode::CREATED
    );
    for f in [
        "password eq \"hunter2-secret\"",
        "password pr",
        "password sw \"h\"",
    ] {
        let r = call(&d, "GET", &format!("/Users?filter={}", enc(f)), None, &[]);
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{f}");
        assert_eq!(r.body["scimType"], "invalidFilter", "{f}");
        assert!(!r.body["detail"].as_str().unwrap().contains("hunter2"));
    }
}

/// The identifier rule (docs/schema.md): NFC, full case folding and width mapping make one key;
/// control and format characters are refused.
#[test]
fn user_names_compare_by_one_unicode_key() {
    let d = default_dispatcher();
    let table: &[(&str, &str)] = &[
        ("jos\u{e9}@example.com", "JOSE\u{301}@EXAMPLE.COM"),
        ("fred@example.com", "\u{ff46}red@example.com"),
        ("\u{c4}rger@example.com", "\u{e4}RGER@example.com"),
        ("strasse@example.com", "STRA\u{df}E@example.com"),
    ];
    for (first, look_alike) in table {
        let r = call(&d, "POST", "/Users", Some(user(first)), &[]);
        assert_eq!(r.status, StatusCode::CREATED, "{first}: {}", r.body);
        let dup = call(&d, "POST", "/Users", Some(user(look_alike)), &[]);
        assert_eq!(
            dup.status,
            StatusCode::CONFLICT,
            "{look_alike}: {}",
            dup.body
        );
        assert_eq!(dup.body["scimType"], "uniqueness");
        let q = format!(
            "/Users?filter={}",
            enc(&format!("userName eq \"{look_alike}\""))
        );
        let found = call(&d, "GET", &q, None, &[]);
        assert_eq!(found.body["totalResults"], 1, "{look_alike}");
        assert_eq!(found.body["Resources"][0]["userName"], *first);
    }
    for bad in [
        "zo\u{200b}e@example.com",
        "ada\u{202e}@example.com",
        "tab\t@example.com",
    ] {
        let r = call(&d, "POST", "/Users", Some(user(bad)), &[]);
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad:?}");
        assert_eq!(r.body["scimType"], "invalidValue");
        assert!(r.body["detail"].as_str().unwrap().starts_with("userName: "));
    }
    // A rename to a look-alike of another user is a uniqueness conflict too.
    let z = call(&d, "POST", "/Users", Some(user("zed@example.com")), &[]).body;
    let id = z["id"].as_str().unwrap();
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "userName", "value": "\u{ff26}RED@example.com"}]});
    let r = call(&d, "PATCH", &format!("/Users/{id}"), Some(patch), &[]);
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
}
