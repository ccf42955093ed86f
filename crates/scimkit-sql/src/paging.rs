//! What both SQL stores do with a query's page around their own SQL: the keyset SQL a
//! keyset page asks for, what its total counts, and finishing in Rust a query the SQL could
//! not answer whole.

use crate::fragment::Fragment;
use crate::keyset::{and, key_of, KeysetSql};
use scimkit_dispatch::{
    finish_keyset_query, finish_query, Keyset, Page, Query, StoreError, Stored,
};
use scimkit_filter::{Filter, SortOrder};

/// The SQL of the keyset page `query` asks for, or `None` when the store cannot order it in
/// SQL (its sort key lives in the document only: the candidates are ordered in Rust).
///
/// # Errors
///
/// `StoreError::InvalidValue` for a position whose value does not fit the sort column (a
/// cursor issued for another sort).
pub(crate) fn keyset_sql(
    query: &Query<'_>,
    keyset: Keyset<'_>,
) -> Result<Option<KeysetSql>, StoreError> {
    let Some(key) = key_of(&query.resource_type, query.sort.map(|(by, _)| by)) else {
        return Ok(None);
    };
    let order = query.sort.map_or(SortOrder::Ascending, |(_, o)| o);
    let after = keyset.after.map(|p| (&p.value, p.id.as_str()));
    KeysetSql::new(key, order, after)
        .map(Some)
        .map_err(|e| StoreError::InvalidValue(e.to_string()))
}

/// The condition a keyset page's total counts: every match, or only those after the position
/// (`Keyset::total_after`).
pub(crate) fn counted(
    condition: Option<&Fragment>,
    keyset: Keyset<'_>,
    sql: &KeysetSql,
) -> Option<Fragment> {
    if keyset.total_after {
        and(condition, sql.after.as_ref())
    } else {
        condition.cloned()
    }
}

/// The page of `query` from every candidate SQL selected (`resources`): the residual filter,
/// then the sort and page (or keyset order, position and offset) in Rust.
///
/// # Errors
///
/// As scimkit-dispatch's `finish_query` and `finish_keyset_query`.
pub(crate) fn finish_candidates(
    query: &Query<'_>,
    residual: Option<&Filter<'_>>,
    resources: Vec<Stored>,
) -> Result<Page, StoreError> {
    let schema = query.resource_type;
    let view = |s: &Stored| s.view(schema.name());
    let Some(keyset) = query.keyset else {
        return finish_query(
            &schema,
            residual,
            query.sort,
            query.offset,
            query.limit,
            resources,
            view,
        );
    };
    // A keyset page SQL cannot order: the candidates in keyset order, then the offset.
    let end = query.limit.map(|l| l.saturating_add(query.offset));
    let mut page =
        finish_keyset_query(&schema, residual, query.sort, keyset, end, resources, view)?;
    page.resources
        .drain(..query.offset.min(page.resources.len()));
    Ok(page)
}
