//! [`finish_query`]: the one evaluation of a filter, a sort and a page over resources a store
//! could not answer whole — used by the dispatcher for a plan's residual and by stores for
//! what their native language cannot express.

use super::keyset::{compare_keyset, keyset_key, Keyset};
use super::{Page, StoreError, Stored};
use scimkit_filter::{compare_resources, AttrPath, Filter, Matcher, SortOrder};
use scimkit_schema::ResourceSchema;
use serde_json::Value;

/// Keeps the resources matching `filter`, sorts them by `sort` (stable: ties keep their order)
/// and returns the page `offset .. offset + limit` with the number of matches. Filters and
/// sorts look at `view(resource)` — the resource as a filter should see it (with `id` and
/// `meta`: [`Stored::view`]), each computed once.
///
/// # Errors
/// [`StoreError::InvalidFilter`] for a filter the evaluator refuses for this resource type
/// (e.g. ordering a boolean).
///
/// ```
/// use scimkit_dispatch::{finish_query, Stored, Version};
/// use scimkit_filter::{parse, parse_attr_path, SortOrder};
/// use scimkit_schema::Registry;
/// use serde_json::json;
///
/// let registry = Registry::standard();
/// let users = registry.resource_type("User").unwrap();
/// let at = chrono::DateTime::from_timestamp_millis(0).unwrap();
/// let user = |id: &str, name: &str, title: &str| {
///     Stored::new(id, Version(1), at, at, json!({"userName": name, "title": title}))
/// };
/// let all = vec![user("1", "cy", "boss"), user("2", "al", "Boss"), user("3", "bo", "staff")];
/// let filter = parse(r#"title eq "BOSS""#).unwrap();
/// let by = parse_attr_path("userName").unwrap();
/// let page = finish_query(
///     &users, Some(&filter), Some((&by, SortOrder::Ascending)), 0, Some(10), all,
///     |s| s.view("User"),
/// ).unwrap();
/// assert_eq!(page.total, 2);
/// let ids: Vec<_> = page.resources.iter().map(|s| s.id.as_str()).collect();
/// assert_eq!(ids, ["2", "1"]);
/// ```
pub fn finish_query(
    resource_type: &ResourceSchema<'_>,
    filter: Option<&Filter<'_>>,
    sort: Option<(&AttrPath<'_>, SortOrder)>,
    offset: usize,
    limit: Option<usize>,
    resources: Vec<Stored>,
    view: impl Fn(&Stored) -> Value,
) -> Result<Page, StoreError> {
    let mut kept = matching(resource_type, filter, sort.is_some(), resources, view)?;
    if let Some((by, order)) = sort {
        kept.sort_by(|(a, _), (b, _)| compare_resources(a, b, by, order, resource_type));
    }
    let total = kept.len();
    let resources = kept
        .into_iter()
        .skip(offset)
        .take(limit.unwrap_or(usize::MAX))
        .map(|(_, s)| s)
        .collect();
    Ok(Page { total, resources })
}

/// [`finish_query`] in keyset order ([`Keyset`]): keeps the resources matching `filter`,
/// orders them by `sort` then `id`, and returns the first `limit` after the keyset's
/// position, with the number of matches (after the position when
/// [`Keyset::total_after`]). What the dispatcher runs for a cursor page when a store's
/// [`Plan`](crate::Plan) does not claim keyset paging.
///
/// # Errors
/// As [`finish_query`].
///
/// ```
/// use scimkit_dispatch::{finish_keyset_query, Keyset, KeysetPosition, Stored, Version};
/// use scimkit_filter::{parse_attr_path, SortOrder};
/// use scimkit_schema::Registry;
/// use serde_json::json;
///
/// let registry = Registry::standard();
/// let users = registry.resource_type("User").unwrap();
/// let at = chrono::DateTime::from_timestamp_millis(0).unwrap();
/// let user = |id: &str, title: &str| Stored::new(id, Version(1), at, at, json!({"title": title}));
/// let all = || vec![user("b", "x"), user("a", "x"), user("c", "w"), user("d", "y")];
/// let by = parse_attr_path("title").unwrap();
/// let sort = Some((&by, SortOrder::Ascending));
/// let ids = |page: scimkit_dispatch::Page| -> Vec<String> {
///     page.resources.into_iter().map(|s| s.id).collect()
/// };
/// // Ties on the sort value are ordered by id.
/// let first = finish_keyset_query(&users, None, sort, Keyset::first(), Some(2), all(), |s| s.view("User")).unwrap();
/// assert_eq!(ids(first), ["c", "a"]);
/// // The next page starts after ("x", "a"), whether or not "a" still exists.
/// let after = KeysetPosition::new(json!("x"), "a");
/// let next = finish_keyset_query(&users, None, sort, Keyset::after(&after), Some(2), all(), |s| s.view("User")).unwrap();
/// assert_eq!(ids(next), ["b", "d"]);
/// ```
pub fn finish_keyset_query(
    resource_type: &ResourceSchema<'_>,
    filter: Option<&Filter<'_>>,
    sort: Option<(&AttrPath<'_>, SortOrder)>,
    keyset: Keyset<'_>,
    limit: Option<usize>,
    resources: Vec<Stored>,
    view: impl Fn(&Stored) -> Value,
) -> Result<Page, StoreError> {
    let mut kept = matching(resource_type, filter, sort.is_some(), resources, view)?;
    let all = kept.len();
    let key = |(v, s): &(Value, Stored)| -> (Option<Value>, String) {
        let (k, id) = keyset_key(v, &s.id, sort, resource_type);
        (k.cloned(), id.to_string())
    };
    if let Some(position) = keyset.after {
        kept.retain(|item| {
            let (k, id) = key(item);
            compare_keyset((k.as_ref(), &id), position.key(), sort, resource_type).is_gt()
        });
    }
    let total = if keyset.total_after { kept.len() } else { all };
    let mut keyed: Vec<_> = kept.into_iter().map(|item| (key(&item), item.1)).collect();
    let in_order = |((ak, aid), _): &((Option<Value>, String), Stored),
                    ((bk, bid), _): &((Option<Value>, String), Stored)| {
        compare_keyset((ak.as_ref(), aid), (bk.as_ref(), bid), sort, resource_type)
    };
    // Only the page is sorted: the first `limit` are selected in linear time.
    if let Some(end) = limit.filter(|&end| end < keyed.len()) {
        keyed.select_nth_unstable_by(end, in_order);
        keyed.truncate(end);
    }
    keyed.sort_by(in_order);
    let resources = keyed
        .into_iter()
        .take(limit.unwrap_or(usize::MAX))
        .map(|(_, s)| s)
        .collect();
    Ok(Page { total, resources })
}

/// The resources matching `filter`, each with its view when a filter or a sort needs it.
fn matching(
    resource_type: &ResourceSchema<'_>,
    filter: Option<&Filter<'_>>,
    sorts: bool,
    resources: Vec<Stored>,
    view: impl Fn(&Stored) -> Value,
) -> Result<Vec<(Value, Stored)>, StoreError> {
    let matcher = match filter {
        Some(f) => Some(
            Matcher::new(f, resource_type).map_err(|e| StoreError::InvalidFilter(e.to_string()))?,
        ),
        None => None,
    };
    let needs_view = matcher.is_some() || sorts;
    Ok(resources
        .into_iter()
        .map(|s| {
            let v = if needs_view { view(&s) } else { Value::Null };
            (v, s)
        })
        .filter(|(v, _)| matcher.as_ref().map_or(true, |m| m.matches(v)))
        .collect())
}
