//! Keyset paging: a page that starts after a position (a sort value and an id) rather than
//! after an offset, so that it costs the same at any depth and writes between pages never
//! skip or repeat what remains. RFC 9865 cursors and remembered index walks use it.

use scimkit_filter::{compare_values, sort_value, AttrPath, AttrRef, AttributeFacts, SortOrder};
use serde_json::Value;
use std::cmp::Ordering;

/// Where a keyset page starts: just after the resource whose sort value and id these are.
///
/// The **keyset order** of a query is its sort key then `id` (byte order), both ascending for
/// an ascending sort and both descending for a descending one; with no `sortBy` it is `id`
/// alone. Absent sort values come after every present one in ascending order (RFC 7644
/// §3.4.2.3), so the descending order is exactly the ascending one reversed, and a SQL store
/// answers "after" with one row comparison: `WHERE (key, id) > (?, ?)` ascending,
/// `WHERE (key, id) < (?, ?)` descending (with the absent-last rule written out for `NULL`).
///
/// The resource need not exist any more: the position is a point in the order, not a row.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeysetPosition {
    /// The sort value of the last resource served, as [`sort_value`] reads it from the
    /// resource (`Value::Null` when it had none, or when the query has no `sortBy`).
    pub value: Value,
    /// Its id.
    pub id: String,
}

impl KeysetPosition {
    /// A position after the resource with this sort value and id.
    pub fn new(value: Value, id: impl Into<String>) -> Self {
        KeysetPosition {
            value,
            id: id.into(),
        }
    }

    /// The position of a resource as a filter sees it (`view`, with `id`): its sort value
    /// for `sort` and its id.
    pub fn of<F: AttributeFacts + ?Sized>(
        view: &Value,
        id: &str,
        sort: Option<(&AttrPath<'_>, SortOrder)>,
        facts: &F,
    ) -> Self {
        let value = sort
            .and_then(|(by, _)| sort_value(view, by, facts))
            .cloned()
            .unwrap_or(Value::Null);
        KeysetPosition::new(value, id)
    }

    /// This position as a keyset key.
    pub fn key(&self) -> KeysetKey<'_> {
        (Some(&self.value).filter(|v| !v.is_null()), &self.id)
    }
}

/// A query in keyset order ([`KeysetPosition`]), from the start or after a position.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct Keyset<'a> {
    /// Only resources after this position; `None`: from the first one.
    pub after: Option<&'a KeysetPosition>,
    /// Whether [`Page::total`](crate::Page::total) counts only the matches after the
    /// position (`false`: every match, as for any query). The dispatcher uses it to check that
    /// a remembered index walk still starts where the client's `startIndex` says.
    pub total_after: bool,
}

impl<'a> Keyset<'a> {
    /// Keyset order from the first resource.
    pub fn first() -> Self {
        Keyset::default()
    }

    /// Keyset order after a position.
    pub fn after(position: &'a KeysetPosition) -> Self {
        Keyset {
            after: Some(position),
            total_after: false,
        }
    }

    /// With [`Keyset::total_after`] set.
    #[must_use]
    pub fn counting_after(mut self) -> Self {
        self.total_after = true;
        self
    }
}

/// A resource's place in keyset order: its sort value (`None` when absent, or with no
/// `sortBy`) and its id.
pub type KeysetKey<'v> = (Option<&'v Value>, &'v str);

/// Compares two places in keyset order (`Greater`: `a` comes after `b`).
pub fn compare_keyset<F: AttributeFacts + ?Sized>(
    a: KeysetKey<'_>,
    b: KeysetKey<'_>,
    sort: Option<(&AttrPath<'_>, SortOrder)>,
    facts: &F,
) -> Ordering {
    let by_key = match (sort, a.0, b.0) {
        (None, _, _) | (Some(_), None, None) => Ordering::Equal,
        (Some(_), None, Some(_)) => Ordering::Greater,
        (Some(_), Some(_), None) => Ordering::Less,
        (Some((by, _)), Some(x), Some(y)) => {
            let attr = AttrRef {
                urn: by.urn.as_deref(),
                name: &by.name,
                sub_attr: by.sub_attr.as_deref(),
            };
            compare_values(x, y, facts.facts(&attr))
        }
    };
    let ascending = by_key.then_with(|| a.1.as_bytes().cmp(b.1.as_bytes()));
    match sort {
        Some((_, SortOrder::Descending)) => ascending.reverse(),
        _ => ascending,
    }
}

/// A resource's keyset key: its sort value in `view` (the resource as a filter sees it)
/// and its id.
pub fn keyset_key<'v, F: AttributeFacts + ?Sized>(
    view: &'v Value,
    id: &'v str,
    sort: Option<(&AttrPath<'_>, SortOrder)>,
    facts: &F,
) -> KeysetKey<'v> {
    (sort.and_then(|(by, _)| sort_value(view, by, facts)), id)
}
