//! Stored documents: one compact JSON text per resource, and what is read from it without a
//! full parse.

use chrono::{DateTime, Utc};
use scimkit_filter::Filter;
use serde_json::{Map, Value};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub(super) seq: u64,
    pub(super) version: u64,
    pub(super) created: DateTime<Utc>,
    pub(super) last_modified: DateTime<Utc>,
    /// The resource's attributes (without `id`, `meta` and its relation) as compact JSON: a
    /// third of the memory of a parsed `Value`, and served as it is with the default
    /// projection. The index keys are read from it again when it changes.
    pub(super) doc: Arc<str>,
    /// A group's `displayName`, for the computed `groups` of its members.
    pub(super) display: Option<Box<Value>>,
}

/// A resource as the store keeps it.
pub(super) fn encode(doc: &Map<String, Value>) -> Arc<str> {
    Arc::from(serde_json::to_string(doc).unwrap_or_else(|_| "{}".into()))
}

/// A kept resource, parsed.
pub(super) fn decode(doc: &str) -> Map<String, Value> {
    match serde_json::from_str(doc) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

pub(super) fn display_of(is_group: bool, doc: &Map<String, Value>) -> Option<Box<Value>> {
    if is_group {
        doc.get("displayName").cloned().map(Box::new)
    } else {
        None
    }
}

/// The top-level keys a filter looks at: attribute names and extension URNs.
pub(super) fn filter_names<'a>(f: &'a Filter<'_>, out: &mut Vec<&'a str>) {
    match f {
        Filter::Attr { path, .. } => {
            out.push(&path.name);
            out.extend(path.urn.as_deref());
        }
        Filter::ValuePath(vp) => {
            out.push(&vp.attr.name);
            out.extend(vp.attr.urn.as_deref());
        }
        Filter::And(fs) | Filter::Or(fs) => {
            for f in fs {
                filter_names(f, out);
            }
        }
        Filter::Not(f) => filter_names(f, out),
    }
}

/// A stored resource with only the named top-level keys parsed (an unqualified attribute is
/// looked up at the top level, a URN-qualified one in the extension object of that URN): what
/// evaluating a filter or sorting needs, at a fraction of a full parse.
pub(super) fn partial(text: &str, names: &[&str]) -> Value {
    let Some(entries) = crate::render::scan(text) else {
        return serde_json::from_str(text).unwrap_or(Value::Null);
    };
    let wanted = |k: &str| names.iter().any(|n| n.eq_ignore_ascii_case(k));
    Value::Object(
        entries
            .into_iter()
            .filter(|(k, _)| wanted(k))
            .filter_map(|(k, v)| Some((k.to_string(), serde_json::from_str(v).ok()?)))
            .collect(),
    )
}

/// What sorting by `by` looks at in a resource: the attribute (and its extension object).
pub(super) fn sort_key(doc: &Value, by: &scimkit_filter::AttrPath<'_>) -> Value {
    let Value::Object(obj) = doc else {
        return Value::Null;
    };
    let keep = |k: &str| {
        k.eq_ignore_ascii_case(&by.name)
            || by.urn.as_deref().is_some_and(|u| k.eq_ignore_ascii_case(u))
    };
    Value::Object(
        obj.iter()
            .filter(|(k, _)| keep(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}
