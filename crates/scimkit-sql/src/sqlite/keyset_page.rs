//! Keyset pages (scimkit-dispatch's `Query::keyset`: cursor pages and remembered index walks)
//! answered in SQL over the shared [`KeysetSql`] segments: a page after a deep position reads
//! the page's rows from an index range, never the rows before it (migration 0004's
//! `(tenant, type, key, id)` indexes).

use super::read;
use crate::error::SqlError;
use crate::fragment::Fragment;
use crate::keyset::{and, key_of, KeysetSql};
use crate::rows::{Relation, StoredRow};
use rusqlite::Connection;
use scimkit_dispatch::{Keyset, Query, StoreError};
use scimkit_filter::SortOrder;

/// What a keyset page read: the total the query asked for, and the page's rows.
pub(super) struct KeysetRows {
    /// Every match, or the matches after the position (`Keyset::total_after`); 0 when the
    /// query asked for no total.
    pub total: u64,
    /// The page, in keyset order.
    pub rows: Vec<StoredRow>,
}

/// The SQL of the keyset page `query` asks for, or `None` when the store cannot order it in
/// SQL (the caller then orders the candidates).
///
/// # Errors
///
/// `StoreError::InvalidValue` for a position whose value does not fit the sort column (a
/// cursor issued for another sort).
pub(super) fn plan(query: &Query<'_>, keyset: Keyset<'_>) -> Result<Option<KeysetSql>, StoreError> {
    let Some(key) = key_of(&query.resource_type, query.sort.map(|(by, _)| by)) else {
        return Ok(None);
    };
    let order = query.sort.map_or(SortOrder::Ascending, |(_, o)| o);
    let after = keyset.after.map(|p| (&p.value, p.id.as_str()));
    KeysetSql::new(key, order, after)
        .map(Some)
        .map_err(|e| StoreError::InvalidValue(e.to_string()))
}

/// Reads the keyset page `sql` ([`plan`]) of `query`, its filter translated to `condition`
/// (exact), each resource with its side of `relation`.
///
/// # Errors
///
/// [`SqlError::Sqlite`].
pub(super) fn read(
    conn: &Connection,
    tenant: &str,
    condition: Option<&Fragment>,
    query: &Query<'_>,
    keyset: Keyset<'_>,
    sql: &KeysetSql,
    relation: Relation<'_>,
) -> Result<KeysetRows, SqlError> {
    let type_name = query.resource_type.name();
    let total = if query.with_total {
        let counted = match keyset.total_after {
            true => and(condition, sql.after.as_ref()),
            false => condition.cloned(),
        };
        let q = read::Query {
            condition: counted.as_ref(),
            ..read::Query::default()
        };
        read::count(conn, tenant, type_name, &q)?
    } else {
        0
    };
    let rows = read::keyset_query(
        conn,
        tenant,
        type_name,
        condition,
        &sql.segments,
        query.offset as u64,
        query.limit.map(|l| l as u64),
        relation,
    )?;
    Ok(KeysetRows { total, rows })
}
