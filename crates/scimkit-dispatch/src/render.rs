//! Rendering resources for responses. With the default projection (no `attributes` /
//! `excludedAttributes`) a stored resource is serialised straight from the store's copy,
//! leaving out what is never returned and adding `meta.location` and the members' and groups'
//! `$ref` on the way, so a GET costs a lookup and one serialisation.

use scimkit_schema::{AttributeDef, ResourceSchema, Returned};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

/// What the default projection leaves out of a resource type, when that can be decided per
/// top-level attribute (no sub-attribute is `returned: never` or `request`).
#[derive(Debug, Clone, Default)]
pub(crate) struct DefaultPlan {
    /// Core and common attributes never returned by default (e.g. `password`).
    core: Vec<String>,
    /// (extension URN, attribute) pairs never returned by default.
    ext: Vec<(String, String)>,
    /// Registered extension URNs.
    urns: Vec<String>,
}

fn hidden(def: &AttributeDef) -> bool {
    matches!(def.returned, Returned::Never | Returned::Request)
}

impl DefaultPlan {
    /// The plan for a resource type, or `None` when some sub-attribute needs the general
    /// projection.
    pub(crate) fn of(rs: &ResourceSchema<'_>) -> Option<DefaultPlan> {
        let mut plan = DefaultPlan::default();
        let core = rs
            .core()
            .attributes
            .iter()
            .chain(rs.registry().common_attributes());
        for def in core {
            if def.sub_attributes.iter().any(hidden) {
                return None;
            }
            if hidden(def) {
                plan.core.push(def.name.clone());
            }
        }
        for (ext, _) in rs.extensions() {
            plan.urns.push(ext.id.clone());
            for def in &ext.attributes {
                if def.sub_attributes.iter().any(hidden) {
                    return None;
                }
                if hidden(def) {
                    plan.ext.push((ext.id.clone(), def.name.clone()));
                }
            }
        }
        Some(plan)
    }

    fn drops_core(&self, key: &str) -> bool {
        self.core.iter().any(|n| n.eq_ignore_ascii_case(key))
    }

    fn drops_ext(&self, urn: &str, key: &str) -> bool {
        self.ext
            .iter()
            .any(|(u, n)| u.eq_ignore_ascii_case(urn) && n.eq_ignore_ascii_case(key))
    }

    fn is_ext(&self, key: &str) -> bool {
        self.urns.iter().any(|u| u.eq_ignore_ascii_case(key))
    }
}

/// Where references point: `{base}/{endpoint}/{id}` for `User` and `Group` members.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Refs<'a> {
    pub(crate) base: &'a str,
    pub(crate) users: Option<&'a str>,
    pub(crate) groups: Option<&'a str>,
}

impl Refs<'_> {
    fn of(&self, ty: &str, id: &str) -> Option<String> {
        let endpoint = if ty.eq_ignore_ascii_case("User") {
            self.users?
        } else if ty.eq_ignore_ascii_case("Group") {
            self.groups?
        } else {
            return None;
        };
        Some(format!("{}/{}/{}", self.base, endpoint, id))
    }
}

/// A resource ready to serialise: either already projected (owned) or the stored copy with
/// the default plan applied while serialising.
#[derive(Debug)]
pub(crate) enum Rendered<'a> {
    Owned(Value),
    Stored {
        value: &'a Value,
        plan: &'a DefaultPlan,
        location: Option<String>,
        refs: Refs<'a>,
    },
}

impl Rendered<'_> {
    /// The rendered resource as a JSON value (for the rare callers that need one).
    #[cfg(test)]
    pub(crate) fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl Serialize for Rendered<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Rendered::Owned(v) => v.serialize(s),
            Rendered::Stored {
                value,
                plan,
                location,
                refs,
            } => {
                let Value::Object(obj) = value else {
                    return value.serialize(s);
                };
                let mut map = s.serialize_map(None)?;
                for (k, v) in obj {
                    if plan.drops_core(k) {
                        continue;
                    }
                    match (k.as_str(), v) {
                        ("meta", Value::Object(meta)) => {
                            map.serialize_entry(k, &WithKey(meta, "location", location.as_deref()))?
                        }
                        ("members" | "groups", Value::Array(items)) => map.serialize_entry(
                            k,
                            &RefList {
                                items,
                                default_type: if k == "members" { "User" } else { "Group" },
                                refs: *refs,
                            },
                        )?,
                        (_, Value::Object(ext)) if plan.is_ext(k) => {
                            let kept = ext.keys().filter(|a| !plan.drops_ext(k, a)).count();
                            if kept > 0 {
                                map.serialize_entry(
                                    k,
                                    &Filtered {
                                        obj: ext,
                                        urn: k,
                                        plan,
                                    },
                                )?;
                            }
                        }
                        _ => map.serialize_entry(k, v)?,
                    }
                }
                map.end()
            }
        }
    }
}

/// An object with one key set (replacing any stored value of it).
struct WithKey<'a>(&'a Map<String, Value>, &'static str, Option<&'a str>);

impl Serialize for WithKey<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (k, v) in self.0 {
            if k != self.1 || self.2.is_none() {
                map.serialize_entry(k, v)?;
            }
        }
        if let Some(extra) = self.2 {
            map.serialize_entry(self.1, extra)?;
        }
        map.end()
    }
}

struct RefList<'a> {
    items: &'a [Value],
    default_type: &'static str,
    refs: Refs<'a>,
}

impl Serialize for RefList<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.items.len()))?;
        for item in self.items {
            match item {
                Value::Object(o) => {
                    let id = o.get("value").and_then(Value::as_str);
                    let ty = match self.default_type {
                        "User" => o.get("type").and_then(Value::as_str).unwrap_or("User"),
                        other => other,
                    };
                    let r = id.and_then(|id| self.refs.of(ty, id));
                    seq.serialize_element(&WithKey(o, "$ref", r.as_deref()))?;
                }
                other => seq.serialize_element(other)?,
            }
        }
        seq.end()
    }
}

struct Filtered<'a> {
    obj: &'a Map<String, Value>,
    urn: &'a str,
    plan: &'a DefaultPlan,
}

impl Serialize for Filtered<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (k, v) in self.obj {
            if !self.plan.drops_ext(self.urn, k) {
                map.serialize_entry(k, v)?;
            }
        }
        map.end()
    }
}
