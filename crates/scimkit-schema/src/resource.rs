//! Schema-aware, case-insensitive access to resources held as JSON.

use crate::registry::ResourceSchema;
use crate::schema::AttributeDef;
use serde_json::{Map, Value};

pub use scimkit_filter::get_ci;

/// The key spelled as stored, for a name compared without regard to letter case.
pub fn key_ci<'v>(object: &'v Map<String, Value>, name: &str) -> Option<&'v str> {
    if let Some((k, _)) = object.get_key_value(name) {
        return Some(k.as_str());
    }
    object
        .keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .map(String::as_str)
}

/// Mutable case-insensitive lookup.
pub fn get_ci_mut<'v>(object: &'v mut Map<String, Value>, name: &str) -> Option<&'v mut Value> {
    if object.contains_key(name) {
        return object.get_mut(name);
    }
    object
        .iter_mut()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// Removes a key compared without regard to letter case; returns the removed value.
pub fn remove_ci(object: &mut Map<String, Value>, name: &str) -> Option<Value> {
    if let Some(v) = object.remove(name) {
        return Some(v);
    }
    let key = object
        .keys()
        .find(|k| k.eq_ignore_ascii_case(name))?
        .clone();
    object.remove(&key)
}

/// Whether a value counts as unassigned (RFC 7643 §2.5: null, empty array; plus empty object).
pub fn is_unassigned(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.values().all(is_unassigned),
        _ => false,
    }
}

/// Compares two values of an attribute as the attribute's `caseExact` says.
pub fn values_equal(def: &AttributeDef, a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) if !def.case_exact => x.eq_ignore_ascii_case(y),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| match get_ci(y, k) {
                    Some(w) => match def.sub_attribute(k) {
                        Some(sd) => values_equal(sd, v, w),
                        None => v == w,
                    },
                    None => false,
                })
        }
        (Value::Array(x), Value::Array(y)) => {
            // In order first (linear); any order only for short arrays, so that comparing
            // large groups' members stays linear.
            x.len() == y.len()
                && (x.iter().zip(y).all(|(e, f)| element_equal(def, e, f))
                    || (x.len() <= 64
                        && x.iter().all(|e| y.iter().any(|f| element_equal(def, e, f)))))
        }
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn element_equal(def: &AttributeDef, a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) if !def.case_exact => x.eq_ignore_ascii_case(y),
        (Value::Object(_), Value::Object(_)) => values_equal(def, a, b),
        _ => a == b,
    }
}

impl<'r> ResourceSchema<'r> {
    /// Reads an attribute by path, without regard to letter case: `userName`,
    /// `name.givenName`, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`,
    /// `urn:…:enterprise:2.0:User:manager.value`. Returns `None` when the path names no
    /// attribute of this type or the attribute has no value.
    ///
    /// ```
    /// use scimkit_schema::Registry;
    /// use serde_json::json;
    ///
    /// let registry = Registry::standard();
    /// let users = registry.resource_type("User").unwrap();
    /// let user = json!({
    ///     "userName": "bjensen",
    ///     "name": {"givenName": "Barbara"},
    ///     "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Tour"}
    /// });
    /// assert_eq!(users.get(&user, "USERNAME"), Some(&json!("bjensen")));
    /// assert_eq!(users.get(&user, "name.GIVENNAME"), Some(&json!("Barbara")));
    /// assert_eq!(
    ///     users.get(&user, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"),
    ///     Some(&json!("Tour"))
    /// );
    /// ```
    pub fn get<'v>(&self, resource: &'v Value, path: &str) -> Option<&'v Value> {
        let obj = resource.as_object()?;
        let (schema, rest) = self.split_urn(path);
        let (container, rest) = match schema {
            Some(s) if !self.is_core(&s.id) => {
                let ext = get_ci(obj, &s.id)?.as_object()?;
                if rest.is_empty() {
                    return get_ci(obj, &s.id);
                }
                (ext, rest)
            }
            _ => (obj, rest),
        };
        let (name, sub) = match rest.split_once('.') {
            Some((n, s)) => (n, Some(s)),
            None => (rest, None),
        };
        let v = get_ci(container, name)?;
        match sub {
            None => Some(v),
            Some(s) => get_ci(v.as_object()?, s),
        }
    }
}

impl ResourceSchema<'_> {
    /// Sorts resources by `sortBy` / `sortOrder` (RFC 7644 §3.4.2.3) with this type's
    /// attribute facts (case exactness, types): `sort_by` is an attribute path such as
    /// `userName`, `name.familyName`, `emails` (the primary value) or
    /// `urn:…:enterprise:2.0:User:department`. Resources without a value sort last in ascending
    /// order. The sort is stable; a path naming no attribute of the type leaves the order as is.
    ///
    /// ```
    /// use scimkit_schema::{Registry, SortOrder};
    /// use serde_json::json;
    ///
    /// let registry = Registry::standard();
    /// let users = registry.resource_type("User").unwrap();
    /// let mut page = vec![json!({"userName": "b"}), json!({"userName": "C"}), json!({"userName": "a"})];
    /// users.sort(&mut page, "USERNAME", SortOrder::Descending);
    /// assert_eq!(page[0]["userName"], "C");
    /// ```
    pub fn sort(&self, resources: &mut [Value], sort_by: &str, order: crate::SortOrder) {
        let (schema, rest) = self.split_urn(sort_by.trim());
        let (name, sub) = match rest.split_once('.') {
            Some((n, s)) => (n, Some(s)),
            None => (rest, None),
        };
        let urn = schema
            .filter(|s| !self.is_core(&s.id))
            .map(|s| s.id.as_str());
        if self.resolve(urn, name).is_none() {
            return;
        }
        let mut path = scimkit_filter::AttrPath::new(name);
        if let Some(u) = urn {
            path = path.with_urn(u);
        }
        if let Some(s) = sub {
            path = path.with_sub_attr(s);
        }
        let order = match order {
            crate::SortOrder::Ascending => scimkit_filter::SortOrder::Ascending,
            crate::SortOrder::Descending => scimkit_filter::SortOrder::Descending,
        };
        resources.sort_by(|a, b| scimkit_filter::compare_resources(a, b, &path, order, self));
    }
}

/// The top-level attributes the service provider maintains, whatever a client sends: `id` and
/// `meta` (RFC 7643 §3.1) and a User's `groups`, derived from Group membership (§4.1.2). A
/// store keeps them itself, a policy never judges them, and a client's value for them is
/// ignored.
pub const SERVER_OWNED: [&str; 3] = ["id", "meta", "groups"];

/// Whether a top-level attribute name (any letter case) is one of [`SERVER_OWNED`].
///
/// ```
/// assert!(scimkit_schema::is_server_owned("Meta"));
/// assert!(!scimkit_schema::is_server_owned("userName"));
/// ```
pub fn is_server_owned(name: &str) -> bool {
    SERVER_OWNED.iter().any(|s| s.eq_ignore_ascii_case(name))
}
