//! Size limits (issue 8 item 1): operations per PATCH (413) and values per multi-valued
//! attribute (400 `invalidValue`), with the defaults and with limits set on the registry.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

use scimkit_schema::{Limits, PatchOp, Profile, Registry, ScimError, USER_SCHEMA};
use serde_json::{json, Value};

fn patch(ops: Vec<Value>) -> PatchOp {
    serde_json::from_value(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops
    }))
    .unwrap()
}

fn emails(prefix: &str, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"value": format!("{prefix}{i}@example.com")}))
        .collect()
}

fn user(emails: Vec<Value>) -> Value {
    json!({"schemas": [USER_SCHEMA], "id": "1", "userName": "bjensen", "emails": emails})
}

fn assert_too_many_values(e: &ScimError, limit: usize) {
    assert_eq!(
        (e.status(), e.scim_type().unwrap().as_str()),
        (400, "invalidValue")
    );
    assert!(e.detail().contains("emails"), "{e}");
    assert!(e.detail().contains(&limit.to_string()), "{e}");
    assert!(!e.detail().contains("example.com"), "values echoed: {e}");
}

#[test]
fn default_limits() {
    let limits = Limits::default();
    assert_eq!(limits.max_patch_operations(), 1_000);
    assert_eq!(limits.max_values(), 100_000);
    assert_eq!(limits.max_patch_value_visits(), 250_000);
    assert_eq!(Registry::standard().limits(), &limits);
}

#[test]
fn too_many_patch_operations_is_413() {
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let stored = user(emails("a", 1));
    let op = |i: usize| json!({"op": "replace", "path": "displayName", "value": format!("n{i}")});
    let ok = patch((0..1_000).map(op).collect());
    assert_eq!(
        users
            .patch(&stored, &ok, &Profile::default())
            .unwrap()
            .resource["displayName"],
        "n999"
    );
    let over = patch((0..1_001).map(op).collect());
    let e = users
        .patch(&stored, &over, &Profile::default())
        .unwrap_err();
    assert_eq!((e.status(), e.scim_type()), (413, None));
    assert!(e.detail().contains("1000"), "{e}");
    let mut in_place = stored.clone();
    let e = users
        .apply_patch(&mut in_place, &over, &Profile::default())
        .unwrap_err();
    assert_eq!(e.status(), 413);
    assert_eq!(in_place, stored);

    let registry = Registry::standard().with_limits(Limits::new().with_max_patch_operations(2));
    let users = registry.resource_type("User").unwrap();
    let e = users
        .patch(
            &stored,
            &patch((0..3).map(op).collect()),
            &Profile::default(),
        )
        .unwrap_err();
    assert_eq!(e.status(), 413);
    assert!(e.detail().contains(" 2 "), "{e}");
}

/// 15,000 values are allowed by default; 100,001 are not, on create and on replace.
#[test]
fn default_value_limit_on_create_and_replace() {
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let p = Profile::default();
    let stored = users
        .validate_create(user(emails("a", 15_000)), &p)
        .unwrap();
    assert_eq!(stored["emails"].as_array().unwrap().len(), 15_000);
    let e = users
        .validate_create(user(emails("a", 100_001)), &p)
        .unwrap_err();
    assert_too_many_values(&e, 100_000);
    let e = users
        .validate_replace(&stored, user(emails("b", 100_001)), &p)
        .unwrap_err();
    assert_too_many_values(&e, 100_000);
}

#[test]
fn value_limit_after_patch() {
    let registry = Registry::standard().with_limits(Limits::new().with_max_values(3));
    let users = registry.resource_type("User").unwrap();
    let entra = Profile::entra_id();
    let stored = user(emails("a", 3));
    assert_too_many_values(
        &users
            .validate_create(user(emails("a", 4)), &entra)
            .unwrap_err(),
        3,
    );
    assert_too_many_values(
        &users
            .validate_replace(&stored, user(emails("a", 4)), &entra)
            .unwrap_err(),
        3,
    );
    let over = [
        // Appending one more (the last operation: no undo copy unless it may fail).
        json!([{"op": "add", "path": "emails", "value": [{"value": "new@example.com"}]}]),
        // A value list longer than the limit, even of duplicates.
        json!([{"op": "add", "path": "emails", "value": emails("a", 4)}]),
        json!([{"op": "remove", "path": "emails", "value": emails("a", 4)}]),
        // Entra ID creates an element for a value filter that matches nothing.
        json!([{"op": "replace", "path": "emails[type eq \"home\"].value", "value": "h@example.com"}]),
        // Path-less add.
        json!([{"op": "add", "value": {"emails": [{"value": "new@example.com"}]}}]),
    ];
    for ops in over {
        let p: PatchOp = serde_json::from_value(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops
        }))
        .unwrap();
        let mut in_place = stored.clone();
        let e = users.apply_patch(&mut in_place, &p, &entra).unwrap_err();
        assert_too_many_values(&e, 3);
        assert_eq!(in_place, stored, "{ops}");
        assert!(users.patch(&stored, &p, &entra).is_err());
    }
    // Duplicates keep the attribute within the limit.
    let dup = patch(vec![
        json!({"op": "add", "path": "emails", "value": [{"value": "A0@example.com"}]}),
    ]);
    assert!(users
        .patch(&stored, &dup, &entra)
        .unwrap()
        .changed
        .is_empty());
    // A stored resource above a lowered limit still reads back.
    let big = user(emails("a", 10));
    assert!(users.normalize(big, &entra).is_ok());
}

/// Each operation on a multi-valued attribute goes through its values: the request's total is
/// bounded (1,000 value-filter removes over 15,000 emails took 2 s of CPU before).
#[test]
fn values_gone_through_by_one_patch_are_bounded() {
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let stored = user(emails("a", 15_000));
    let ops = |n: usize| -> PatchOp {
        patch(
            (0..n)
                .map(|i| json!({"op": "remove", "path": format!("emails[value eq \"x{i}\"]")}))
                .collect(),
        )
    };
    // 16 × 15,000 = 240,000 values: allowed; 17: refused.
    users.patch(&stored, &ops(16), &Profile::default()).unwrap();
    users
        .patch(&stored, &ops(17), &Profile::default())
        .unwrap_err();
    let mut in_place = stored.clone();
    let e = users
        .apply_patch(&mut in_place, &ops(1_000), &Profile::default())
        .unwrap_err();
    assert_eq!(
        (e.status(), e.scim_type().unwrap().as_str()),
        (400, "tooMany")
    );
    assert!(e.detail().contains("250000"), "{e}");
    assert_eq!(in_place, stored);

    let registry = Registry::standard().with_limits(Limits::new().with_max_patch_value_visits(10));
    let users = registry.resource_type("User").unwrap();
    let stored = user(emails("a", 5));
    let add = |v: &str| json!({"op": "add", "path": "emails", "value": [{"value": v}]});
    users
        .patch(
            &stored,
            &patch(vec![add("b@x"), add("c@x")]),
            &Profile::default(),
        )
        .unwrap_err();
    let two = patch(vec![
        json!({"op": "replace", "path": "emails[value eq \"a0@example.com\"].type", "value": "work"}),
        json!({"op": "replace", "path": "displayName", "value": "B"}),
        json!({"op": "remove", "path": "emails[value eq \"a1@example.com\"]"}),
    ]);
    users.patch(&stored, &two, &Profile::default()).unwrap();
}

/// A value list may use at most 32 different sets of sub-attributes (the work is the number of
/// stored values times that number).
#[test]
fn too_many_shapes_in_a_value_list() {
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let subs = [
        "formatted",
        "streetAddress",
        "locality",
        "region",
        "postalCode",
        "country",
    ];
    let shaped = |n: usize| -> Vec<Value> {
        (1..=n)
            .map(|mask| {
                let mut a = serde_json::Map::new();
                for (bit, s) in subs.iter().enumerate() {
                    if mask & (1 << bit) != 0 {
                        a.insert((*s).into(), json!("x"));
                    }
                }
                Value::Object(a)
            })
            .collect()
    };
    let stored = json!({"schemas": [USER_SCHEMA], "userName": "b",
                        "addresses": [{"formatted": "y"}]});
    for op in ["add", "remove"] {
        let ok = patch(vec![
            json!({"op": op, "path": "addresses", "value": shaped(32)}),
        ]);
        users.patch(&stored, &ok, &Profile::default()).unwrap();
        let over = patch(vec![
            json!({"op": op, "path": "addresses", "value": shaped(33)}),
        ]);
        let e = users
            .patch(&stored, &over, &Profile::default())
            .unwrap_err();
        assert_eq!(e.scim_type().unwrap().as_str(), "invalidValue", "{e}");
        assert!(e.detail().contains("addresses"), "{e}");
    }
}
