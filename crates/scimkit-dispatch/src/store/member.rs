//! Membership as typed references, and what the schema says about it: which resource types
//! hold `members`, which types those members may be, and which types a member's computed
//! `groups` lists. The one place membership elements are read.

use scimkit_schema::{get_ci, AttributeDef, ResourceSchema};
use serde_json::{Map, Value};

/// A reference to a member of a resource whose type has `members` (a `Group`, or a custom
/// type such as a `Team`): the member's id, its resource type and the `display` a client gave.
///
/// In a [`Change`](super::Change), `kind` is `None` when the schema allows more than one type
/// and the client did not say which: the store resolves it (the type of the resource with that
/// id, which must be one the owner's `members` attribute references). Stores keep and hand
/// out members with their resolved kind.
///
/// ```
/// use scimkit_dispatch::MemberRef;
/// use serde_json::json;
///
/// let m = MemberRef::from_element(&json!({"value": "2819c223", "display": "Babs"})).unwrap();
/// assert_eq!((m.id.as_str(), m.kind.as_deref()), ("2819c223", None));
/// let m = m.of_kind("User");
/// assert_eq!(m.to_element(), json!({"value": "2819c223", "display": "Babs", "type": "User"}));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct MemberRef {
    /// The member's id.
    pub id: String,
    /// The member's resource type as the registry names it (`User`, `Group`, …); `None`: not
    /// known yet (see above).
    pub kind: Option<String>,
    /// The `display` the client gave, if any.
    pub display: Option<String>,
}

impl MemberRef {
    /// A reference to the resource `id`, of a type still to be resolved.
    pub fn new(id: impl Into<String>) -> Self {
        MemberRef {
            id: id.into(),
            kind: None,
            display: None,
        }
    }

    /// Of the resource type `kind`.
    #[must_use]
    pub fn of_kind(mut self, kind: impl Into<String>) -> Self {
        self.kind = Some(kind.into());
        self
    }

    /// With a `display`.
    #[must_use]
    pub fn with_display(mut self, display: impl Into<String>) -> Self {
        self.display = Some(display.into());
        self
    }

    /// Reads a `members` element: its `value` (any letter case of the key), or the element
    /// itself when a client sent a bare string, and a string `display`. The element's `type`
    /// is not trusted (stores resolve the kind); `None` for an element without a string id.
    pub fn from_element(element: &Value) -> Option<MemberRef> {
        match element {
            Value::Object(o) => {
                let id = get_ci(o, "value")?.as_str()?;
                let display = get_ci(o, "display").and_then(Value::as_str);
                Some(MemberRef {
                    id: id.to_owned(),
                    kind: None,
                    display: display.map(str::to_owned),
                })
            }
            Value::String(s) => Some(MemberRef::new(s.as_str())),
            _ => None,
        }
    }

    /// The element as served: `value`, `display` (when known) and `type` (when known).
    pub fn to_element(&self) -> Value {
        let mut o = Map::new();
        o.insert("value".into(), Value::String(self.id.clone()));
        if let Some(d) = &self.display {
            o.insert("display".into(), Value::String(d.clone()));
        }
        if let Some(k) = &self.kind {
            o.insert("type".into(), Value::String(k.clone()));
        }
        Value::Object(o)
    }
}

/// The resource types a multi-valued reference attribute (`members`, `groups`) points at:
/// the `referenceTypes` of its `$ref` or `value` sub-attribute, without `external` and `uri`.
fn referenced(attr: &AttributeDef) -> Vec<&str> {
    ["$ref", "value"]
        .into_iter()
        .filter_map(|s| {
            attr.sub_attributes
                .iter()
                .find(|a| a.name.eq_ignore_ascii_case(s))
        })
        .filter_map(|a| a.reference_types.as_deref())
        .flatten()
        .map(String::as_str)
        .filter(|t| !t.eq_ignore_ascii_case("external") && !t.eq_ignore_ascii_case("uri"))
        .collect()
}

/// The resource types a type's `members` may be (from the schema); `None` when the type
/// holds no members. A `Group` of the standard schema: `User` and `Group`.
pub fn member_kinds<'r>(schema: &ResourceSchema<'r>) -> Option<Vec<&'r str>> {
    let attr = schema.core_attribute("members")?;
    let kinds = referenced(attr);
    (!kinds.is_empty()).then_some(kinds)
}

/// The resource types whose membership a type's computed `groups` lists (from the schema:
/// a `User`'s `groups` references `Group`); empty when the type has no `groups`.
pub fn group_kinds<'r>(schema: &ResourceSchema<'r>) -> Vec<&'r str> {
    schema
        .core_attribute("groups")
        .map(referenced)
        .unwrap_or_default()
}

/// The kind of a member given without one, when the schema allows only one (a `Team` whose
/// `members` reference `User` only).
pub fn sole_kind<'r>(schema: &ResourceSchema<'r>) -> Option<&'r str> {
    match member_kinds(schema)?.as_slice() {
        [only] => Some(only),
        _ => None,
    }
}
