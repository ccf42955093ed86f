//! Keyset pages (scimkit-dispatch's `Query::keyset`: cursor pages and remembered index walks)
//! answered in SQL over the shared [`KeysetSql`] segments: a page after a deep position reads
//! the page's rows from an index range, never the rows before it (migration 0002's
//! `(tenant, type, key, id)` indexes).

use super::read::{self, sendable};
use super::store::backend;
use crate::fragment::Fragment;
use crate::paging::{counted, keyset_sql};
use crate::rows::StoredRow;
use scimkit_dispatch::{Keyset, Query, StoreError};
use sqlx::PgConnection;

/// What a keyset page read: the total the query asked for, and the page's rows.
pub(super) struct KeysetRows {
    /// Every match, or the matches after the position (`Keyset::total_after`); 0 when the
    /// query asked for no total.
    pub total: u64,
    /// The page, in keyset order.
    pub rows: Vec<StoredRow>,
}

/// The keyset page `query` asks for, its filter already translated (`condition`, exact), or
/// `None` when the store cannot order it in SQL (the caller then orders the candidates).
///
/// # Errors
///
/// A database failure ([`backend`]); a position whose value does not fit the sort column
/// (`StoreError::InvalidValue`: a cursor issued for another sort).
pub(super) async fn read(
    conn: &mut PgConnection,
    tenant: &str,
    condition: Option<&Fragment>,
    query: &Query<'_>,
    keyset: Keyset<'_>,
) -> Result<Option<KeysetRows>, StoreError> {
    let schema = query.resource_type;
    let Some(sql) = keyset_sql(query, keyset)? else {
        return Ok(None);
    };
    // A position holding U+0000 cannot be bound (and matches no stored string anyway).
    let bindable = sql
        .segments
        .iter()
        .filter_map(|s| s.condition.as_ref())
        .all(sendable);
    if !bindable {
        return Ok(None);
    }
    let type_name = schema.name();
    let total = if query.with_total {
        let counted = counted(condition, keyset, &sql);
        let q = read::Query {
            condition: counted.as_ref(),
            ..read::Query::default()
        };
        read::count(conn, tenant, type_name, &q)
            .await
            .map_err(backend)?
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
        // `id` order under a filter: its matches sorted by id from an index alone.
        condition.is_some() && query.sort.is_none(),
    )
    .await
    .map_err(backend)?;
    Ok(Some(KeysetRows { total, rows }))
}
