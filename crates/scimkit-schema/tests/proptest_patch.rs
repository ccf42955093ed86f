//! Property: a random PatchOp applied to a random valid User never panics, and either fails
//! leaving the input untouched or yields a resource that validates.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

use proptest::prelude::*;
use scimkit_schema::{PatchOp, Profile, Registry, ENTERPRISE_USER_SCHEMA};
use serde_json::{json, Map, Value};

const ENT: &str = ENTERPRISE_USER_SCHEMA;

fn user() -> impl Strategy<Value = Value> {
    let email = (
        "[a-z]{1,6}@(example|EXAMPLE)\\.com",
        prop::sample::select(vec!["work", "home", "other"]),
    );
    (
        "[a-zA-Z]{1,8}",
        prop::option::of("[A-Za-z ]{0,10}"),
        prop::option::of(("[A-Za-z]{1,6}", "[A-Za-z]{1,6}")),
        prop::collection::vec(email, 0..4),
        prop::option::of(0usize..4),
        any::<bool>(),
        prop::option::of(("[A-Za-z]{1,6}", prop::option::of("[a-f0-9]{4}"))),
    )
        .prop_map(|(user_name, display, name, emails, primary, active, ext)| {
            let mut u = Map::new();
            let mut schemas = vec![json!("urn:ietf:params:scim:schemas:core:2.0:User")];
            u.insert("id".into(), json!("2819c223"));
            u.insert("userName".into(), json!(user_name));
            if let Some(d) = display {
                u.insert("displayName".into(), json!(d));
            }
            if let Some((g, f)) = name {
                u.insert("name".into(), json!({"givenName": g, "familyName": f}));
            }
            if !emails.is_empty() {
                let items: Vec<Value> = emails
                    .iter()
                    .enumerate()
                    .map(|(i, (v, t))| {
                        let mut e = json!({"value": v, "type": t});
                        if primary == Some(i) {
                            e["primary"] = json!(true);
                        }
                        e
                    })
                    .collect();
                u.insert("emails".into(), Value::Array(items));
            }
            u.insert("active".into(), json!(active));
            if let Some((dept, manager)) = ext {
                let mut e = json!({"department": dept});
                if let Some(m) = manager {
                    e["manager"] = json!({"value": m, "displayName": "Boss"});
                }
                u.insert(ENT.into(), e);
                schemas.push(json!(ENT));
            }
            u.insert("schemas".into(), Value::Array(schemas));
            u.insert(
                "meta".into(),
                json!({"resourceType": "User", "version": "W/\"1\""}),
            );
            Value::Object(u)
        })
}

fn path() -> impl Strategy<Value = Option<String>> {
    let paths = vec![
        "userName",
        "USERNAME",
        "displayName",
        "nickName",
        "name",
        "name.givenName",
        "name.familyName",
        "emails",
        "emails.value",
        "emails[type eq \"work\"]",
        "emails[type eq \"work\"].value",
        "emails[type eq \"home\"].primary",
        "emails[value co \"@\"]",
        "emails[primary eq true].type",
        "emails[type gt 5]",
        "active",
        "id",
        "meta",
        "meta.version",
        "groups",
        "password",
        "phoneNumbers[type eq \"mobile\"].value",
        "x509Certificates",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName",
        "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName",
        "urn:example:nope:x",
        "foo",
        "emails[",
        "name[givenName eq \"x\"]",
        "emails[type eq \"work\"].nope",
        "]",
        "a.b.c",
    ];
    prop::option::of(prop::sample::select(paths).prop_map(str::to_string))
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        "[a-z@.]{0,8}".prop_map(Value::String),
        prop::sample::select(vec!["True", "false", "work", "home", ""]).prop_map(|s| json!(s)),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "value",
                    "type",
                    "primary",
                    "display",
                    "givenName",
                    "familyName",
                    "active",
                    "displayName",
                    "name.givenName",
                    "nickName",
                    "userName",
                    "id",
                    "emails[type eq \"work\"].value",
                    ENT,
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                    "department",
                    "manager",
                    "bogus",
                ])
                .prop_map(str::to_string),
                inner,
                0..4,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn operation() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec!["add", "remove", "replace", "Replace", "ADD", "Remove"]),
        path(),
        prop::option::of(value()),
    )
        .prop_map(|(op, path, value)| {
            let mut o = json!({"op": op});
            if let Some(p) = path {
                o["path"] = json!(p);
            }
            if let Some(v) = value {
                o["value"] = v;
            }
            o
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_patch_is_atomic_and_valid(
        user in user(),
        ops in prop::collection::vec(operation(), 1..4),
        profile in prop::sample::select(vec!["default", "strict", "entra-id", "okta"]),
    ) {
        let registry = Registry::standard();
        let rs = registry.resource_type("User").unwrap();
        let profile = Profile::by_name(profile).unwrap();
        let patch: PatchOp = serde_json::from_value(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops
        })).unwrap();
        let copy_result = rs.patch(&user, &patch, &profile);
        let mut in_place = user.clone();
        match rs.apply_patch(&mut in_place, &patch, &profile) {
            Err(e) => {
                prop_assert_eq!(&in_place, &user, "input modified on error {}", e);
                prop_assert!(copy_result.is_err());
                prop_assert!((400..500).contains(&e.status()));
            }
            Ok(changed) => {
                let out = copy_result.unwrap();
                prop_assert_eq!(&out.resource, &in_place);
                prop_assert_eq!(&out.changed, &changed);
                if changed.is_empty() {
                    prop_assert_eq!(&in_place, &user);
                }
                let normalized = rs.normalize(in_place.clone(), &Profile::strict());
                prop_assert!(normalized.is_ok(), "{:?} -> {}", normalized, in_place);
                prop_assert_eq!(normalized.unwrap(), in_place.clone(), "not in the schema's spelling");
                let name = in_place["userName"].as_str().unwrap_or("");
                prop_assert!(!name.trim().is_empty(), "userName lost");
                prop_assert_eq!(&in_place["id"], &user["id"]);
                prop_assert_eq!(&in_place["meta"], &user["meta"]);
                if let Some(emails) = in_place["emails"].as_array() {
                    prop_assert!(emails.iter().filter(|e| e["primary"] == json!(true)).count() <= 1);
                    prop_assert!(!emails.is_empty());
                }
                let has_ext = in_place.get(ENT).is_some();
                let listed = in_place["schemas"].as_array().unwrap().iter().any(|s| s == ENT);
                prop_assert_eq!(has_ext, listed, "schemas out of sync");
            }
        }
    }
}
