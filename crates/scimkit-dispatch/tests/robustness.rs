//! Bad input never panics, always gets a SCIM error body (or a success), and a failed request
//! never changes stored data.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use proptest::prelude::*;
use scimkit_dispatch::Config;
use serde_json::{json, Value};

fn snapshot(
    d: &scimkit_dispatch::Dispatcher<scimkit_dispatch::MemoryStore, scimkit_dispatch::BearerTokens>,
) -> (Value, Value) {
    let users = call(d, "GET", "/Users?count=1000", None, &[]).body;
    let groups = call(d, "GET", "/Groups?count=1000", None, &[]).body;
    (users, groups)
}

fn path_strategy() -> impl Strategy<Value = String> {
    let seg = prop_oneof![
        Just("Users".to_string()),
        Just("Groups".to_string()),
        Just(".search".to_string()),
        Just("Bulk".to_string()),
        Just("Schemas".to_string()),
        Just("ResourceTypes".to_string()),
        Just("ServiceProviderConfig".to_string()),
        Just("Me".to_string()),
        Just("%00%ff".to_string()),
        "[a-zA-Z0-9%._-]{0,12}",
    ];
    let query = prop_oneof![
        Just(String::new()),
        Just("?filter=userName%20eq%20%22u0%22".to_string()),
        Just("?filter=((((".to_string()),
        Just("?startIndex=-9&count=99999999999999999999".to_string()),
        Just("?sortBy=%5B&attributes=..,urn:x:&excludedAttributes=members".to_string()),
        "\\?[a-zA-Z=&%0-9]{0,20}",
    ];
    (proptest::collection::vec(seg, 0..4), query)
        .prop_map(|(segs, q)| format!("/{}{q}", segs.join("/")))
}

fn json_strategy() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-zA-Z:. \\[\\]\"]{0,12}".prop_map(Value::String),
        Just(json!("urn:ietf:params:scim:api:messages:2.0:PatchOp")),
        Just(json!("members")),
        Just(json!("bulkId:x")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("schemas".to_string()),
                    Just("Operations".to_string()),
                    Just("op".to_string()),
                    Just("path".to_string()),
                    Just("value".to_string()),
                    Just("userName".to_string()),
                    Just("members".to_string()),
                    Just("method".to_string()),
                    Just("data".to_string()),
                    "[a-zA-Z]{1,6}",
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn arbitrary_requests_never_panic_and_failures_change_nothing(
        method in prop_oneof![Just("GET"), Just("POST"), Just("PUT"), Just("PATCH"), Just("DELETE"), Just("HEAD")],
        path in path_strategy(),
        body in proptest::option::of(json_strategy()),
        use_id in any::<bool>(),
    ) {
        let d = dispatcher(Config::default().with_max_results(1000));
        let u = call(&d, "POST", "/Users", Some(user("u0")), &[]);
        let uid = u.body["id"].as_str().unwrap().to_string();
        let g = call(&d, "POST", "/Groups", Some(group("g0", &[&uid])), &[]);
        let gid = g.body["id"].as_str().unwrap().to_string();
        let path = if use_id {
            path.replacen("Users/", &format!("Users/{uid}/"), 1).replacen("Groups/", &format!("Groups/{gid}"), 1)
        } else {
            path
        };
        let Ok(uri) = path.parse::<http::Uri>() else { return Ok(()) };
        let before = snapshot(&d);
        let mut req = http::Request::builder().method(method).uri(uri)
            .header("Authorization", format!("Bearer {TOKEN}"));
        let bytes = match &body {
            Some(v) => { req = req.header("Content-Type", "application/json"); serde_json::to_vec(v).unwrap() }
            None => Vec::new(),
        };
        let resp = futures_executor::block_on(d.handle_bytes(req.body(bytes::Bytes::from(bytes)).unwrap()));
        let status = resp.status();
        prop_assert!(status.as_u16() != 500, "500 for {method} {path}");
        if status.as_u16() >= 400 {
            let v: Value = serde_json::from_slice(resp.body()).unwrap();
            assert_error_body(&v, status);
            prop_assert_eq!(snapshot(&d), before, "a failed {} {} changed data", method, path);
        }
    }
}
