//! Properties of validation and projection on arbitrary input: nothing panics, accepted bodies
//! are normalised (validating them again changes nothing), `password` is never projected and
//! `id` / `schemas` always are.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

use proptest::prelude::*;
use scimkit_schema::{Profile, Projection, Registry, ENTERPRISE_USER_SCHEMA};
use serde_json::{json, Map, Value};

fn key() -> impl Strategy<Value = String> {
    let names = vec![
        "userName",
        "USERNAME",
        "username",
        "name",
        "givenName",
        "familyName",
        "displayName",
        "emails",
        "value",
        "type",
        "primary",
        "display",
        "active",
        "password",
        "id",
        "meta",
        "groups",
        "externalId",
        "schemas",
        "x509Certificates",
        "manager",
        "department",
        "members",
        "nickName",
        "bogus",
        "urn:example:x",
        ENTERPRISE_USER_SCHEMA,
        "urn:ietf:params:scim:schemas:core:2.0:User",
    ];
    prop::sample::select(names).prop_map(str::to_string)
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "[ -~]{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "True",
            "work",
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "2020-01-01T00:00:00Z"
        ])
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn body() -> impl Strategy<Value = Value> {
    (
        prop::collection::btree_map(key(), json_value(), 0..8),
        any::<bool>(),
        "[a-z]{1,6}",
    )
        .prop_map(|(m, with_basics, name)| {
            let mut obj: Map<String, Value> = m.into_iter().collect();
            if with_basics {
                obj.insert(
                    "schemas".into(),
                    json!(["urn:ietf:params:scim:schemas:core:2.0:User"]),
                );
                obj.insert("userName".into(), json!(name));
            }
            Value::Object(obj)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn validation_never_panics_and_is_idempotent(
        b in body(),
        profile in prop::sample::select(vec!["default", "strict", "entra-id", "okta"]),
    ) {
        let registry = Registry::standard();
        let users = registry.resource_type("User").unwrap();
        let p = Profile::by_name(profile).unwrap();
        if let Ok(created) = users.validate_create(b.clone(), &p) {
            prop_assert!(created.get("id").is_none() && created.get("meta").is_none());
            let again = users.validate_create(created.clone(), &p);
            prop_assert_eq!(again.as_ref().ok(), Some(&created), "{:?}", again);
            let stored = {
                let mut s = created.clone();
                s["id"] = json!("1");
                s
            };
            let replaced = users.validate_replace(&stored, b.clone(), &p);
            prop_assert!(replaced.is_ok(), "{:?}", replaced);
            prop_assert_eq!(&replaced.unwrap()["id"], &json!("1"));
        }
        let _ = users.normalize(b.clone(), &p);
        let groups = registry.resource_type("Group").unwrap();
        let _ = groups.validate_create(b, &p);
    }

    #[test]
    fn projection_never_leaks_and_keeps_always(
        b in body(),
        attrs in prop::option::of(prop::collection::vec(key(), 0..4)),
        excluded in prop::collection::vec(key(), 0..4),
    ) {
        let registry = Registry::standard();
        let users = registry.resource_type("User").unwrap();
        let Ok(mut stored) = users.normalize(b, &Profile::default()) else { return Ok(()) };
        stored["id"] = json!("1");
        stored["password"] = json!("secret");
        let attrs = attrs.map(|a| a.join(","));
        let excluded = excluded.join(",");
        let Ok(p) = Projection::from_query(&users, attrs.as_deref(), Some(&excluded)) else {
            return Ok(());
        };
        let shown = users.project(&stored, &p);
        prop_assert!(shown.get("password").is_none());
        prop_assert_eq!(&shown["id"], &json!("1"));
        prop_assert_eq!(&shown["schemas"], &stored["schemas"]);
        prop_assert_eq!(users.project_into(stored.clone(), &p), shown);
    }
}
