//! Keyset pages (scimkit-dispatch's `Query::keyset`: cursor pages and remembered index walks)
//! answered in SQL over the shared [`KeysetSql`] segments: a page after a deep position reads
//! the page's rows from an index range, never the rows before it (migration 0004's
//! `(tenant, type, key, id)` indexes).

use super::read;
use crate::error::SqlError;
use crate::fragment::Fragment;
use crate::keyset::KeysetSql;
use crate::paging::counted;
use crate::rows::{Relation, StoredRow};
use rusqlite::Connection;
use scimkit_dispatch::{Keyset, Query};

/// What a keyset page read: the total the query asked for, and the page's rows.
pub(super) struct KeysetRows {
    /// Every match, or the matches after the position (`Keyset::total_after`); 0 when the
    /// query asked for no total.
    pub total: u64,
    /// The page, in keyset order.
    pub rows: Vec<StoredRow>,
}

/// Reads the keyset page `sql` ([`keyset_sql`](crate::paging::keyset_sql)) of `query`, its filter translated to `condition`
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
        let counted = counted(condition, keyset, sql);
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
