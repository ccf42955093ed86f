//! Ordering resources for `sortBy` / `sortOrder` (RFC 7644 §3.4.2.3).

use crate::ast::AttrPath;
use crate::eval::{compare_numbers, compare_str, container, get_ci};
use crate::facts::{AttrFacts, AttrRef, AttrType, AttributeFacts};
use chrono::DateTime;
use serde_json::Value;
use std::cmp::Ordering;

/// `sortOrder`: ascending (the default) or descending.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum SortOrder {
    /// `ascending`: the default.
    #[default]
    Ascending,
    /// `descending`.
    Descending,
}

impl SortOrder {
    /// Reads a `sortOrder` parameter (case-insensitive); `None` for anything else.
    pub fn from_param(s: &str) -> Option<SortOrder> {
        if s.eq_ignore_ascii_case("ascending") {
            Some(SortOrder::Ascending)
        } else if s.eq_ignore_ascii_case("descending") {
            Some(SortOrder::Descending)
        } else {
            None
        }
    }
}

/// The value a resource sorts by: for a multi-valued attribute the `primary` element's value,
/// else the first element's (RFC 7644 §3.4.2.3); for a complex element without a
/// sub-attribute, its `value`. `None` when absent or null.
pub fn sort_value<'v, F: AttributeFacts + ?Sized>(
    resource: &'v Value,
    by: &AttrPath<'_>,
    facts: &F,
) -> Option<&'v Value> {
    let object = container(resource, by.urn.as_deref(), facts)?;
    let v = get_ci(object, &by.name)?;
    let v = match v {
        Value::Array(items) => items
            .iter()
            .find(|item| {
                item.as_object()
                    .and_then(|o| get_ci(o, "primary"))
                    .is_some_and(|p| p == &Value::Bool(true))
            })
            .or_else(|| items.first())?,
        other => other,
    };
    let v = match (v, by.sub_attr.as_deref()) {
        (Value::Object(o), Some(sub)) => get_ci(o, sub)?,
        (Value::Object(o), None) => get_ci(o, "value")?,
        (_, Some(_)) => return None,
        (other, None) => other,
    };
    (!v.is_null()).then_some(v)
}

/// Compares two resources by `by` in `order`. Resources without a value sort last in ascending
/// order and first in descending order (RFC 7644 §3.4.2.3); values of different JSON types
/// order by type (booleans, numbers, strings, others) so the order is total.
///
/// ```
/// use scimkit_filter::{compare_resources, parse_attr_path, DefaultFacts, SortOrder};
/// use serde_json::json;
///
/// let by = parse_attr_path("name.familyName").unwrap();
/// let mut users = vec![
///     json!({"id": "1", "name": {"familyName": "jensen"}}),
///     json!({"id": "2"}),
///     json!({"id": "3", "name": {"familyName": "Adams"}}),
/// ];
/// users.sort_by(|a, b| compare_resources(a, b, &by, SortOrder::Ascending, &DefaultFacts));
/// let ids: Vec<_> = users.iter().map(|u| u["id"].as_str().unwrap()).collect();
/// assert_eq!(ids, ["3", "1", "2"]);
/// ```
pub fn compare_resources<F: AttributeFacts + ?Sized>(
    a: &Value,
    b: &Value,
    by: &AttrPath<'_>,
    order: SortOrder,
    facts: &F,
) -> Ordering {
    let attr = AttrRef {
        urn: by.urn.as_deref(),
        name: &by.name,
        sub_attr: by.sub_attr.as_deref(),
    };
    let facts_of = facts.facts(&attr);
    let ascending = match (sort_value(a, by, facts), sort_value(b, by, facts)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => compare_values(x, y, facts_of),
    };
    match order {
        SortOrder::Ascending => ascending,
        SortOrder::Descending => ascending.reverse(),
    }
}

/// Orders two non-null attribute values of one attribute.
pub fn compare_values(a: &Value, b: &Value, facts: AttrFacts) -> Ordering {
    match (a, b) {
        (Value::String(x), Value::String(y)) => {
            if facts.kind == AttrType::DateTime {
                if let (Ok(t), Ok(u)) = (
                    DateTime::parse_from_rfc3339(x),
                    DateTime::parse_from_rfc3339(y),
                ) {
                    return t.cmp(&u);
                }
            }
            compare_str(x, y, facts.case_exact)
        }
        (Value::Number(x), Value::Number(y)) => compare_numbers(x, y).unwrap_or(Ordering::Equal),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => type_rank(a).cmp(&type_rank(b)),
    }
}

fn type_rank(v: &Value) -> u8 {
    match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::Array(_) => 4,
        Value::Object(_) => 5,
    }
}
