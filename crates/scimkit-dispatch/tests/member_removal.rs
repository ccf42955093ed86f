//! A member removal that repeats other sub-attributes of the reference (`display`, `type`,
//! `$ref`) removes the member: a reference is identified by its `value` (fuzz finding, issue 14).
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use http::StatusCode;
use serde_json::json;

const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

#[test]
fn removal_by_value_list_matches_on_value_whatever_else_is_repeated() {
    for repeated in [
        json!({"display": "Ada"}),
        json!({"type": "User"}),
        json!({"$ref": "https://elsewhere.example/Users/x", "display": "Someone else"}),
    ] {
        let d = default_dispatcher();
        let mut ada = user("ada@example.com");
        ada["displayName"] = json!("Ada");
        let u = call(&d, "POST", "/Users", Some(ada), &[]).body;
        let uid = u["id"].as_str().unwrap().to_string();
        let g = call(&d, "POST", "/Groups", Some(group("g", &[&uid])), &[]);
        assert_eq!(g.status, StatusCode::CREATED);
        let gid = g.body["id"].as_str().unwrap().to_string();
        let version = g.body["meta"]["version"].clone();

        let mut member = json!({"value": uid});
        for (k, v) in repeated.as_object().unwrap() {
            member[k] = v.clone();
        }
        let body = json!({"schemas": [PATCH],
            "Operations": [{"op": "remove", "path": "members", "value": [member]}]});
        let r = call(&d, "PATCH", &format!("/Groups/{gid}"), Some(body), &[]);
        assert!(r.status.is_success(), "{}", r.body);

        let group = call(&d, "GET", &format!("/Groups/{gid}"), None, &[]).body;
        assert!(
            group["members"].as_array().is_none_or(|m| m.is_empty()),
            "{repeated}: the member is still there: {group}"
        );
        assert_ne!(
            group["meta"]["version"], version,
            "{repeated}: version unchanged"
        );
        let user = call(&d, "GET", &format!("/Users/{uid}"), None, &[]).body;
        assert!(
            user["groups"].as_array().is_none_or(|g| g.is_empty()),
            "{user}"
        );
    }
}

/// Under the strict profile a removal that matches nothing is an error (`noTarget`), and a
/// removal by value list (an Entra ID extension) is refused; under the IdP profiles both are
/// documented no-ops (docs/schema.md). Nothing else is removed either way.
#[test]
fn removal_matching_nothing_is_an_error_only_under_the_strict_profile() {
    use scimkit_dispatch::{Config, Dispatcher, MemoryStore};
    use scimkit_schema::Profile;
    for (profile, by_filter, by_value) in [
        (Profile::strict(), (400, "noTarget"), (400, "invalidValue")),
        (Profile::entra_id(), (200, ""), (200, "")),
        (Profile::okta(), (200, ""), (200, "")),
    ] {
        let d = Dispatcher::builder(MemoryStore::new(), tokens())
            .config(Config::default().with_profile(profile))
            .build();
        let id = |r: Resp| r.body["id"].as_str().unwrap().to_string();
        let uid = id(call(
            &d,
            "POST",
            "/Users",
            Some(user("ada@example.com")),
            &[],
        ));
        let other = id(call(
            &d,
            "POST",
            "/Users",
            Some(user("bob@example.com")),
            &[],
        ));
        let gid = id(call(&d, "POST", "/Groups", Some(group("g", &[&uid])), &[]));
        let filter_op = json!({"op": "remove", "path": format!("members[value eq \"{other}\"]")});
        let value_op = json!({"op": "remove", "path": "members", "value": [{"value": other}]});
        for (op, (status, scim_type)) in [(filter_op, by_filter), (value_op, by_value)] {
            let body = json!({"schemas": [PATCH], "Operations": [op]});
            let r = call(&d, "PATCH", &format!("/Groups/{gid}"), Some(body), &[]);
            assert_eq!(r.status.as_u16(), status, "{}: {}", profile.name, r.body);
            if status == 400 {
                assert_eq!(r.body["scimType"], scim_type, "{}", profile.name);
            }
            let group = call(&d, "GET", &format!("/Groups/{gid}"), None, &[]).body;
            assert_eq!(
                group["members"][0]["value"],
                uid.as_str(),
                "nothing else removed"
            );
        }
    }
}
