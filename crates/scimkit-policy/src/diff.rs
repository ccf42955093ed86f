//! Per-attribute comparison of two SCIM resources, with case-insensitive attribute names.

use serde_json::{Map, Value};

/// Whether the policy looks at a top-level attribute: never at the server-owned ones
/// ([`scimkit_schema::SERVER_OWNED`]) nor at `schemas`, which names schemas and changes no
/// account.
fn judged(name: &str) -> bool {
    !scimkit_schema::is_server_owned(name) && !name.eq_ignore_ascii_case("schemas")
}

/// One attribute whose value differs between the resource before and after an operation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Change<'v> {
    /// The path for people: `userName`, `name.givenName`, `urn:…:User:department`.
    pub path: String,
    /// The path's components as spelled in the resources (matched case-insensitively).
    pub keys: Vec<&'v str>,
    /// The value before (`None`: unassigned).
    pub before: Option<&'v Value>,
    /// The value after (`None`: unassigned).
    pub after: Option<&'v Value>,
}

/// Looks up an attribute of a JSON value (an object) ignoring the letter case of its name.
pub(crate) fn get_ci<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    scimkit_filter::get_ci(v.as_object()?, key)
}

/// SCIM treats `null`, `[]` and `{}` as "unassigned" (RFC 7643 §2.5, RFC 7644 §3.5.2).
pub(crate) fn is_unassigned(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.values().all(is_unassigned),
        _ => false,
    }
}

fn assigned(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !is_unassigned(v))
}

/// The attributes whose values differ between `before` and `after`, in a stable order.
///
/// Complex attributes and extension schemas are compared sub-attribute by sub-attribute;
/// multi-valued attributes are compared as a whole.
pub(crate) fn diff<'v>(before: Option<&'v Value>, after: Option<&'v Value>) -> Vec<Change<'v>> {
    let mut out = Vec::new();
    let b = before.and_then(Value::as_object).unwrap_or(empty_map());
    let a = after.and_then(Value::as_object).unwrap_or(empty_map());
    diff_objects(b, a, &mut Vec::new(), &mut out, true);
    out
}

fn diff_objects<'v>(
    before: &'v Map<String, Value>,
    after: &'v Map<String, Value>,
    prefix: &mut Vec<&'v str>,
    out: &mut Vec<Change<'v>>,
    top: bool,
) {
    // Union of keys, case-insensitively; the after spelling wins for display.
    let mut keys: Vec<&'v str> = Vec::new();
    for k in after.keys().chain(before.keys()) {
        if top && !judged(k) {
            continue;
        }
        if !keys.iter().any(|seen| seen.eq_ignore_ascii_case(k)) {
            keys.push(k);
        }
    }
    for key in keys {
        let b = assigned(scimkit_filter::get_ci(before, key));
        let a = assigned(scimkit_filter::get_ci(after, key));
        prefix.push(key);
        let descend = matches!(
            (b, a),
            (Some(Value::Object(_)), Some(Value::Object(_)) | None)
                | (None, Some(Value::Object(_)))
        );
        if descend {
            let bo = b.and_then(Value::as_object).unwrap_or(empty_map());
            let ao = a.and_then(Value::as_object).unwrap_or(empty_map());
            diff_objects(bo, ao, prefix, out, false);
        } else if b != a {
            out.push(Change {
                path: join_path(prefix),
                keys: prefix.clone(),
                before: b,
                after: a,
            });
        }
        prefix.pop();
    }
}

/// An empty object that lives as long as any resource.
fn empty_map() -> &'static Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(Map::new)
}

/// `a.b`, except that an extension schema URN is followed by `:` (RFC 7644 §3.10).
pub(crate) fn join_path(keys: &[&str]) -> String {
    let mut s = String::with_capacity(keys.iter().map(|k| k.len() + 1).sum());
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            let urn = keys[i - 1]
                .get(..4)
                .is_some_and(|p| p.eq_ignore_ascii_case("urn:"));
            s.push(if urn { ':' } else { '.' });
        }
        s.push_str(k);
    }
    s
}

/// Sets (or, with `None`, removes) the attribute at `keys` in `resource`, matching names
/// case-insensitively and creating intermediate objects as needed. A non-object in the way is
/// replaced by an object.
pub(crate) fn set_path(resource: &mut Value, keys: &[&str], value: Option<Value>) {
    let Some((first, rest)) = keys.split_first() else {
        return;
    };
    if !resource.is_object() {
        if value.is_none() {
            return;
        }
        *resource = Value::Object(Map::new());
    }
    let Value::Object(map) = resource else {
        return;
    };
    let existing = map.keys().find(|k| k.eq_ignore_ascii_case(first)).cloned();
    if rest.is_empty() {
        if let Some(k) = &existing {
            map.remove(k);
        }
        if let Some(v) = value {
            map.insert(existing.unwrap_or_else(|| (*first).to_owned()), v);
        }
        return;
    }
    let key = existing.unwrap_or_else(|| (*first).to_owned());
    if value.is_none() && !map.contains_key(&key) {
        return;
    }
    let child = map.entry(key.clone()).or_insert(Value::Null);
    set_path(child, rest, value);
    if child.as_object().is_some_and(Map::is_empty) {
        map.remove(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(b: &Value, a: &Value) -> Vec<String> {
        diff(Some(b), Some(a)).into_iter().map(|c| c.path).collect()
    }

    #[test]
    fn attribute_names_compare_case_insensitively() {
        let b = json!({"userName": "a@x.io", "name": {"givenName": "Ada"}});
        let a = json!({"USERNAME": "a@x.io", "Name": {"GivenName": "Ada"}});
        assert!(paths(&b, &a).is_empty());
    }

    #[test]
    fn sub_attributes_and_extensions_are_separate_changes() {
        let ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let b =
            json!({"name": {"givenName": "Ada", "familyName": "L"}, ext: {"department": "R&D"}});
        let a = json!({"name": {"givenName": "Ada", "familyName": "Lovelace"}, ext: {"department": "Ops", "manager": {"value": "42"}}});
        assert_eq!(
            paths(&b, &a),
            vec![
                "name.familyName".to_string(),
                format!("{ext}:department"),
                format!("{ext}:manager.value"),
            ]
        );
    }

    #[test]
    fn server_owned_attributes_and_unassigned_values_are_not_changes() {
        let b = json!({"id": "1", "meta": {"version": "W/\"1\""}, "title": null, "emails": []});
        let a = json!({"id": "2", "schemas": ["x"], "phoneNumbers": []});
        assert!(paths(&b, &a).is_empty());
    }

    #[test]
    fn multi_valued_attributes_compare_as_a_whole() {
        let b = json!({"emails": [{"value": "a@x.io", "primary": true}]});
        let a = json!({"emails": [{"value": "a@x.io", "primary": true}, {"value": "b@x.io"}]});
        assert_eq!(paths(&b, &a), vec!["emails".to_string()]);
    }

    #[test]
    fn set_path_restores_and_removes_with_case_insensitive_names() {
        let mut r = json!({"Name": {"GivenName": "Bob", "familyName": "L"}, "password": "x"});
        set_path(&mut r, &["name", "givenName"], Some(json!("Ada")));
        set_path(&mut r, &["PASSWORD"], None);
        assert_eq!(r, json!({"Name": {"GivenName": "Ada", "familyName": "L"}}));
        set_path(&mut r, &["name", "givenName"], None);
        set_path(&mut r, &["name", "familyName"], None);
        assert_eq!(r, json!({}));
        set_path(&mut r, &["urn:x:User", "department"], Some(json!("Ops")));
        assert_eq!(r, json!({"urn:x:User": {"department": "Ops"}}));
    }
}
