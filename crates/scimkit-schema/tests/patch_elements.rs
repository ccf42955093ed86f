//! Which elements a PATCH add or remove-by-value names (issue 8 item 1, issue 14 item 1).
//!
//! A property test compares the engine with a model written the slow, obvious way (every
//! pattern against every element): add's de-duplication and primaries, removal by value with
//! sub-attribute subsets and case folding. `members` are references: a pattern carrying `value`
//! matches on `value` alone, whatever `display`, `type` or `$ref` it repeats. Table cases pin
//! the behaviour for duplicates and primaries.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

use proptest::prelude::*;
use scimkit_schema::{PatchOp, Profile, Registry, ResourceSchema};
use serde_json::{json, Map, Value};

fn patch(ops: Value) -> PatchOp {
    serde_json::from_value(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops
    }))
    .unwrap()
}

/// Every sub-attribute of `emails` and `members` compares without regard to case.
fn eq_ci(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.eq_ignore_ascii_case(y),
        _ => a == b,
    }
}

/// The model: does `pattern` name the stored element `e`?
fn names(reference: bool, pattern: &Map<String, Value>, e: &Value, add: bool) -> bool {
    let Some(e) = e.as_object() else { return false };
    if reference {
        if let Some(v) = pattern.get("value") {
            return e.get("value").is_some_and(|w| eq_ci(v, w));
        }
    }
    pattern
        .iter()
        .filter(|(k, _)| !(add && *k == "primary"))
        .all(|(k, v)| e.get(k).is_some_and(|w| eq_ci(v, w)))
}

fn is_primary(v: &Value) -> bool {
    v.get("primary") == Some(&json!(true))
}

/// The model of remove-by-value: `None` when the attribute ends up unassigned.
fn model_remove(reference: bool, items: &[Value], wanted: &[Value]) -> Option<Vec<Value>> {
    let kept: Vec<Value> = items
        .iter()
        .filter(|e| {
            !wanted
                .iter()
                .any(|w| names(reference, w.as_object().unwrap(), e, false))
        })
        .cloned()
        .collect();
    (!kept.is_empty()).then_some(kept)
}

/// The model of add: `Err` when the result would hold two primaries. An absent attribute is
/// set to the list as given.
fn model_add(reference: bool, items: &[Value], new: &[Value]) -> Result<Vec<Value>, ()> {
    if new.iter().filter(|n| is_primary(n)).count() > 1 {
        return Err(());
    }
    if items.is_empty() {
        return Ok(new.to_vec());
    }
    let mut items = items.to_vec();
    let mut primaries = Vec::new();
    for n in new {
        let pattern = n.as_object().unwrap();
        if let Some(pos) = items
            .iter()
            .position(|e| names(reference, pattern, e, true))
        {
            if is_primary(n) {
                items[pos]["primary"] = json!(true);
                primaries.push(pos);
            }
            continue;
        }
        if is_primary(n) {
            primaries.push(items.len());
        }
        items.push(n.clone());
    }
    if !primaries.is_empty() {
        for (i, e) in items.iter_mut().enumerate() {
            if !primaries.contains(&i) && is_primary(e) {
                e["primary"] = json!(false);
            }
        }
        if items.iter().filter(|e| is_primary(e)).count() > 1 {
            return Err(());
        }
    }
    Ok(items)
}

/// Runs one operation on `attr` and returns the attribute afterwards (`Ok(None)`: removed).
fn run(
    rs: &ResourceSchema<'_>,
    resource: &Value,
    op: &str,
    attr: &str,
    value: &[Value],
) -> Result<Option<Vec<Value>>, String> {
    let p = patch(json!([{"op": op, "path": attr, "value": value}]));
    let out = rs
        .patch(resource, &p, &Profile::default())
        .map_err(|e| e.to_string())?;
    Ok(out.resource.get(attr).and_then(Value::as_array).cloned())
}

fn pick(options: &'static [&'static str]) -> impl Strategy<Value = Option<&'static str>> {
    prop::option::of(prop::sample::select(options.to_vec()))
}

const VALUES: &[&str] = &["a@x", "A@X", "b@x", "c@X"];
const TYPES: &[&str] = &["work", "WORK", "home"];
const DISPLAYS: &[&str] = &["Ada", "ada", "Bo"];

/// An email element or pattern: a non-empty set of sub-attributes from small alphabets, so
/// that duplicates, case variants and subsets are common.
fn email(allow_primary: bool) -> impl Strategy<Value = Value> {
    (
        pick(VALUES),
        pick(TYPES),
        pick(DISPLAYS),
        prop::option::of(any::<bool>()),
    )
        .prop_map(move |(v, t, d, p)| {
            let mut m = Map::new();
            if let Some(v) = v {
                m.insert("value".into(), json!(v));
            }
            if let Some(t) = t {
                m.insert("type".into(), json!(t));
            }
            if let Some(d) = d {
                m.insert("display".into(), json!(d));
            }
            if let (Some(p), true) = (p, allow_primary) {
                m.insert("primary".into(), json!(p));
            }
            if m.is_empty() {
                m.insert("value".into(), json!("z@x"));
            }
            Value::Object(m)
        })
}

/// A member element (always with `value`) or pattern (`value` optional).
fn member(with_value: bool) -> impl Strategy<Value = Value> {
    (
        pick(&["u1", "U1", "u2", "u3"]),
        pick(&["User", "Group"]),
        pick(DISPLAYS),
        pick(&["https://x/Users/u1", "https://x/Users/u2"]),
    )
        .prop_map(move |(v, t, d, r)| {
            let mut m = Map::new();
            match (v, with_value) {
                (Some(v), _) => m.insert("value".into(), json!(v)),
                (None, true) => m.insert("value".into(), json!("u9")),
                (None, false) => None,
            };
            if let Some(t) = t {
                m.insert("type".into(), json!(t));
            }
            if let Some(d) = d {
                m.insert("display".into(), json!(d));
            }
            if let Some(r) = r {
                m.insert("$ref".into(), json!(r));
            }
            if m.is_empty() {
                m.insert("display".into(), json!("Bo"));
            }
            Value::Object(m)
        })
}

/// Stored emails hold at most one primary.
fn stored_emails() -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec(email(false), 0..6).prop_flat_map(|items| {
        let n = items.len();
        (Just(items), prop::option::of(0..n.max(1))).prop_map(|(mut items, p)| {
            if let Some(e) = p.and_then(|i| items.get_mut(i)) {
                e["primary"] = json!(true);
            }
            items
        })
    })
}

fn user(emails: &[Value]) -> Value {
    let mut u = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                       "id": "1", "userName": "bjensen"});
    if !emails.is_empty() {
        u["emails"] = json!(emails);
    }
    u
}

fn group(members: &[Value]) -> Value {
    let mut g = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                       "id": "g", "displayName": "G"});
    if !members.is_empty() {
        g["members"] = json!(members);
    }
    g
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn emails_add_and_remove_match_the_pairwise_model(
        items in stored_emails(),
        given in prop::collection::vec(email(true), 1..6),
        add in any::<bool>(),
    ) {
        let registry = Registry::standard();
        let rs = registry.resource_type("User").unwrap();
        let got = run(&rs, &user(&items), if add { "add" } else { "remove" }, "emails", &given);
        if add {
            let want = model_add(false, &items, &given);
            match (got, want) {
                (Ok(g), Ok(w)) => prop_assert_eq!(g.unwrap_or_default(), w),
                (Err(_), Err(())) => {}
                (g, w) => prop_assert!(false, "engine {:?}, model {:?}", g, w),
            }
        } else if given.iter().filter(|n| is_primary(n)).count() > 1 {
            prop_assert!(got.is_err(), "a list with two primaries is invalid");
        } else {
            prop_assert_eq!(got.unwrap(), model_remove(false, &items, &given));
        }
    }

    #[test]
    fn members_match_on_value_alone(
        items in prop::collection::vec(member(true), 0..6),
        given in prop::collection::vec(member(false), 1..6),
        add in any::<bool>(),
    ) {
        let registry = Registry::standard();
        let rs = registry.resource_type("Group").unwrap();
        let got = run(&rs, &group(&items), if add { "add" } else { "remove" }, "members", &given)
            .unwrap();
        if add {
            prop_assert_eq!(got.unwrap_or_default(), model_add(true, &items, &given).unwrap());
        } else {
            prop_assert_eq!(got, model_remove(true, &items, &given));
        }
    }
}

/// Table: duplicates and primaries come out as they always did.
#[test]
fn add_duplicates_and_primaries() {
    let registry = Registry::standard();
    let rs = registry.resource_type("User").unwrap();
    let stored = [
        json!({"value": "a@x", "type": "work", "primary": true}),
        json!({"value": "b@x", "type": "home"}),
    ];
    let cases: Vec<(&str, Vec<Value>, Vec<Value>)> = vec![
        (
            "a subset of a stored element adds nothing",
            vec![json!({"value": "B@X"})],
            stored.to_vec(),
        ),
        (
            "primary on a stored element moves the primary",
            vec![json!({"value": "b@x", "type": "HOME", "primary": true})],
            vec![
                json!({"value": "a@x", "type": "work", "primary": false}),
                json!({"value": "b@x", "type": "home", "primary": true}),
            ],
        ),
        (
            "a repeated new element is added once",
            vec![json!({"value": "c@x"}), json!({"value": "C@x"})],
            vec![
                stored[0].clone(),
                stored[1].clone(),
                json!({"value": "c@x"}),
            ],
        ),
        (
            "a new element with more sub-attributes is new",
            vec![json!({"value": "b@x", "type": "home", "display": "B"})],
            vec![
                stored[0].clone(),
                stored[1].clone(),
                json!({"value": "b@x", "type": "home", "display": "B"}),
            ],
        ),
        (
            "a new primary clears the old one",
            vec![json!({"value": "d@x", "primary": true})],
            vec![
                json!({"value": "a@x", "type": "work", "primary": false}),
                stored[1].clone(),
                json!({"value": "d@x", "primary": true}),
            ],
        ),
    ];
    for (name, given, expected) in cases {
        let got = run(&rs, &user(&stored), "add", "emails", &given).unwrap();
        assert_eq!(got.unwrap(), expected, "{name}");
        assert_eq!(
            model_add(false, &stored, &given).unwrap(),
            expected,
            "model: {name}"
        );
    }
}
