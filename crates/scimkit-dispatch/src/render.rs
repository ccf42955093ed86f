//! Rendering resources for responses. With the default projection (no `attributes` /
//! `excludedAttributes`) a stored resource is serialised straight from the store's copy,
//! leaving out what is never returned and adding `meta.location` and the members' and groups'
//! `$ref` on the way, so a GET costs a lookup and one serialisation.

use crate::store::Resource;
use scimkit_schema::{AttributeDef, ResourceSchema, Returned};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;

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

    fn drops_in_ext(&self, urn: &str) -> bool {
        self.ext.iter().any(|(u, _)| u.eq_ignore_ascii_case(urn))
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
        value: &'a Resource,
        plan: &'a DefaultPlan,
        /// `meta.location` is `{base}/{endpoint}/{id}`.
        endpoint: &'a str,
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
                endpoint,
                refs,
            } => {
                if let Some(entries) = value.json_text().and_then(top_level) {
                    return serialize_text(s, &entries, plan, endpoint, refs);
                }
                let value = value.value();
                let Value::Object(obj) = value else {
                    return value.serialize(s);
                };
                let location = obj
                    .get("id")
                    .and_then(Value::as_str)
                    .map(|id| format!("{}/{}/{}", refs.base, endpoint, id));
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

/// The default projection of a resource held as JSON text: the stored text of each kept
/// attribute is copied as it is; only `meta` (for `location`), `members` / `groups` (for
/// `$ref`) and extensions with hidden attributes are parsed.
fn serialize_text<S: Serializer>(
    s: S,
    entries: &[(Cow<'_, str>, &RawValue)],
    plan: &DefaultPlan,
    endpoint: &str,
    refs: &Refs<'_>,
) -> Result<S::Ok, S::Error> {
    let location = entries
        .iter()
        .find(|(k, _)| k == "id")
        .and_then(|(_, v)| serde_json::from_str::<Cow<'_, str>>(v.get()).ok())
        .map(|id| format!("{}/{}/{}", refs.base, endpoint, id));
    let mut map = s.serialize_map(Some(entries.len()))?;
    for (k, v) in entries {
        let k: &str = k;
        if plan.drops_core(k) {
            continue;
        }
        let text = v.get();
        match k {
            "meta" if text.starts_with('{') => match top_level(text) {
                Some(meta) => {
                    map.serialize_entry(k, &RawWithKey(&meta, "location", location.as_deref()))?
                }
                None => map.serialize_entry(k, v)?,
            },
            "members" | "groups" if text.starts_with('[') => {
                let items: Vec<Value> = serde_json::from_str(text).unwrap_or_default();
                map.serialize_entry(
                    k,
                    &RefList {
                        items: &items,
                        default_type: if k == "members" { "User" } else { "Group" },
                        refs: *refs,
                    },
                )?
            }
            _ if plan.is_ext(k) && (text == "{}" || plan.drops_in_ext(k)) => {
                match serde_json::from_str::<Value>(text) {
                    Ok(Value::Object(ext)) => {
                        let kept = ext.keys().filter(|a| !plan.drops_ext(k, a)).count();
                        if kept > 0 {
                            map.serialize_entry(
                                k,
                                &Filtered {
                                    obj: &ext,
                                    urn: k,
                                    plan,
                                },
                            )?;
                        }
                    }
                    _ => map.serialize_entry(k, v)?,
                }
            }
            _ => map.serialize_entry(k, v)?,
        }
    }
    map.end()
}

/// The top-level entries of a JSON object, each value as its text; `None` when `text` is not
/// a JSON object. Scanning skips over the values without building them.
pub(crate) fn top_level(text: &str) -> Option<Vec<(Cow<'_, str>, &RawValue)>> {
    serde_json::from_str::<TopLevel<'_>>(text).ok().map(|t| t.0)
}

/// A JSON object's text with one top-level entry set (replacing any stored value of it), the
/// keys kept in the sorted order `serde_json::Map` writes them in.
pub(crate) fn with_entry(text: &str, name: &str, value: &Value) -> Option<String> {
    let entries = top_level(text)?;
    let value = serde_json::to_string(value).ok()?;
    let mut out = String::with_capacity(text.len() + value.len() + name.len() + 4);
    out.push('{');
    let put = |out: &mut String, k: &str, v: &str| {
        if out.len() > 1 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(k).unwrap_or_default());
        out.push(':');
        out.push_str(v);
    };
    let mut done = false;
    for (k, v) in &entries {
        if k == name {
            continue;
        }
        if !done && k.as_ref() > name {
            put(&mut out, name, &value);
            done = true;
        }
        put(&mut out, k, v.get());
    }
    if !done {
        put(&mut out, name, &value);
    }
    out.push('}');
    Some(out)
}

struct TopLevel<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for TopLevel<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TopLevel<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(16);
                while let Some(Key(k)) = m.next_key()? {
                    let v: &'de RawValue = m.next_value()?;
                    out.push((k, v));
                }
                Ok(TopLevel(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// An object key, borrowed from the text unless it has escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// [`WithKey`] over an object held as text.
struct RawWithKey<'a>(
    &'a [(Cow<'a, str>, &'a RawValue)],
    &'static str,
    Option<&'a str>,
);

impl Serialize for RawWithKey<'_> {
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
