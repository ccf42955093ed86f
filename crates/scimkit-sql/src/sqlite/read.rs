//! Reads, in the caller's thread: one resource, a group's members, a member's groups, and filtered, sorted, paged
//! queries from a [`Plan`](crate::translate::Plan).

use super::sql::{self, Sql};
use crate::error::SqlError;
use crate::fragment::Fragment;
use crate::rows::{from_micros, version, Member, Relation, StoredRow, Target};
use crate::translate::Plan;
use rusqlite::{Connection, Row};

const COLUMNS: &str = "r.id, r.version, r.created, r.last_modified, r.document";

/// A row whose first five columns are `COLUMNS` (a select, or a `RETURNING` of the same).
pub(super) fn stored(row: &Row<'_>) -> Result<StoredRow, SqlError> {
    Ok(StoredRow {
        id: row.get(0)?,
        version: version(row.get(1)?)?,
        created: from_micros(row.get(2)?)?,
        last_modified: from_micros(row.get(3)?)?,
        document: row.get(4)?,
        relation: None,
    })
}

/// [`stored`] with the relation read in column 5.
fn stored_with(row: &Row<'_>, relation: Relation<'_>) -> Result<StoredRow, SqlError> {
    let mut out = stored(row)?;
    if relation != Relation::None {
        out.relation = row.get(5)?;
    }
    Ok(out)
}

/// `, (subquery) ` yielding the resource `r`'s side of the relation as a JSON array, in a
/// select list (nothing for [`Relation::None`]). Unordered: an `ORDER BY` inside the aggregate
/// opens a sorter for every row (a large allocation each: a page of 100 users took three
/// times as long), so the caller orders the elements. `CROSS JOIN` keeps the memberships as
/// the outer loop (SQLite's documented way to fix a join order): without statistics the
/// planner may otherwise walk every resource of the tenant and probe the memberships for each.
fn push_relation(qb: &mut Sql, relation: Relation<'_>) {
    match relation {
        Relation::None => {}
        Relation::Members => {
            qb.push(
                ", (SELECT json_group_array(json_array(ms.member_id, ms.display, ms.member_kind)) \
                 FROM memberships AS ms \
                 WHERE ms.tenant = r.tenant AND ms.group_id = r.id)",
            );
        }
        Relation::Groups(kinds) => {
            qb.push(
                ", (SELECT json_group_array(json_array(ms.group_id, \
                 json_extract(g.document, '$.displayName'))) \
                 FROM memberships AS ms CROSS JOIN resources AS g \
                 ON g.tenant = ms.tenant AND g.type IN (",
            );
            qb.bind_list(kinds.iter().map(|k| (*k).to_owned()));
            qb.push(") AND g.id = ms.group_id WHERE ms.tenant = r.tenant AND ms.member_id = r.id)");
        }
    }
}

/// The resource with its side of the relation, in one query.
///
/// # Errors
///
/// [`SqlError::Sqlite`].
pub fn get_with(
    conn: &Connection,
    target: &Target<'_>,
    relation: Relation<'_>,
) -> Result<Option<StoredRow>, SqlError> {
    let mut qb = Sql::new(&format!("SELECT {COLUMNS}"));
    push_relation(&mut qb, relation);
    qb.push(" FROM resources AS r WHERE r.tenant = ")
        .bind(target.tenant.to_owned())
        .push(" AND r.type = ")
        .bind(target.schema.name().to_owned())
        .push(" AND r.id = ")
        .bind(target.id.to_owned());
    qb.first(conn, |r| stored_with(r, relation))
}

/// The resource, if it exists.
///
/// # Errors
///
/// [`SqlError::Sqlite`].
pub fn get(conn: &Connection, target: &Target<'_>) -> Result<Option<StoredRow>, SqlError> {
    sql::first(
        conn,
        "SELECT r.id, r.version, r.created, r.last_modified, r.document FROM resources AS r \
         WHERE r.tenant = ? AND r.type = ? AND r.id = ?",
        [target.tenant, target.schema.name(), target.id],
        stored,
    )
}

pub(crate) fn current_version(
    conn: &Connection,
    target: &Target<'_>,
) -> Result<Option<i64>, SqlError> {
    sql::first(
        conn,
        "SELECT version FROM resources WHERE tenant = ? AND type = ? AND id = ?",
        [target.tenant, target.schema.name(), target.id],
        |r| Ok(r.get(0)?),
    )
}

/// The members of the group `group_id`, by member id.
///
/// # Errors
///
/// [`SqlError::Sqlite`].
pub fn members(conn: &Connection, tenant: &str, group_id: &str) -> Result<Vec<Member>, SqlError> {
    sql::all(
        conn,
        "SELECT member_id, member_kind, display FROM memberships \
         WHERE tenant = ? AND group_id = ? ORDER BY member_id",
        [tenant, group_id],
        |r| {
            Ok(Member {
                id: r.get(0)?,
                kind: r.get(1)?,
                display: r.get(2)?,
            })
        },
    )
}

/// The ids of the resources of the types `kinds` (those a member's `groups` lists) that
/// `member_id` is a direct member of, with their `displayName`.
///
/// # Errors
///
/// [`SqlError::Sqlite`].
pub fn groups_of(
    conn: &Connection,
    tenant: &str,
    member_id: &str,
    kinds: &[&str],
) -> Result<Vec<(String, Option<String>)>, SqlError> {
    let mut qb = Sql::new(
        "SELECT ms.group_id, json_extract(g.document, '$.displayName') \
         FROM memberships AS ms CROSS JOIN resources AS g \
         ON g.tenant = ms.tenant AND g.id = ms.group_id \
         WHERE ms.tenant = ",
    );
    qb.bind(tenant.to_owned())
        .push(" AND ms.member_id = ")
        .bind(member_id.to_owned())
        .push(" AND g.type IN (");
    qb.bind_list(kinds.iter().map(|k| (*k).to_owned()));
    qb.push(") ORDER BY ms.group_id");
    qb.rows(conn, |r| Ok((r.get(0)?, r.get(1)?)))
}

/// The type of the resource with id `id` in the tenant (what a member reference names).
///
/// # Errors
///
/// [`SqlError::Sqlite`].
pub fn kind_of(conn: &Connection, tenant: &str, id: &str) -> Result<Option<String>, SqlError> {
    sql::first(
        conn,
        "SELECT type FROM resources WHERE tenant = ? AND id = ? LIMIT 1",
        [tenant, id],
        |r| Ok(r.get(0)?),
    )
}

/// A page: `offset` resources skipped, at most `limit` returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Resources skipped (SCIM `startIndex - 1`).
    pub offset: u64,
    /// Resources returned at most (SCIM `count`).
    pub limit: u64,
}

/// A query over one type of one tenant: the native part of a plan, an order, a page.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<'q> {
    /// The condition ([`Plan::native`]); `None`: every resource.
    pub condition: Option<&'q Fragment>,
    /// The `ORDER BY` list ([`Translator::order_by`](crate::translate::Translator::order_by));
    /// `None`: insertion order.
    pub order: Option<&'q Fragment>,
    /// The page; `None`: every match. Only push a page down when the plan
    /// [is exact](Plan::is_exact).
    pub page: Option<Page>,
}

impl<'q> Query<'q> {
    /// Every resource matching the plan's native condition, in insertion order.
    pub fn from_plan(plan: &'q Plan<'_>) -> Self {
        Query {
            condition: plan.native.as_ref(),
            order: None,
            page: None,
        }
    }
}

fn base(select: &str, tenant: &str, type_name: &str, q: &Query<'_>) -> Sql {
    base_after(Sql::new(select), tenant, type_name, q)
}

/// ` FROM resources AS r WHERE …` after a select list.
fn base_after(mut qb: Sql, tenant: &str, type_name: &str, q: &Query<'_>) -> Sql {
    qb.push(" FROM resources AS r WHERE r.tenant = ")
        .bind(tenant.to_owned())
        .push(" AND r.type = ")
        .bind(type_name.to_owned());
    if let Some(c) = q.condition {
        qb.push(" AND (").fragment(c, tenant).push(")");
    }
    qb
}

/// The resources of `type_name` in `tenant` that `q` selects, in its order and page.
///
/// # Errors
///
/// [`SqlError::Sqlite`].
pub fn query(
    conn: &Connection,
    tenant: &str,
    type_name: &str,
    q: &Query<'_>,
) -> Result<Vec<StoredRow>, SqlError> {
    query_with(conn, tenant, type_name, q, Relation::None)
}

/// [`query`], each resource with its side of the relation, in one query.
///
/// # Errors
///
/// [`SqlError::Sqlite`].
pub fn query_with(
    conn: &Connection,
    tenant: &str,
    type_name: &str,
    q: &Query<'_>,
    relation: Relation<'_>,
) -> Result<Vec<StoredRow>, SqlError> {
    select("SELECT", tenant, type_name, q, relation).rows(conn, |r| stored_with(r, relation))
}

/// `{verb} {COLUMNS} … FROM … WHERE … ORDER BY … LIMIT … OFFSET …` for `q`.
fn select(verb: &str, tenant: &str, type_name: &str, q: &Query<'_>, relation: Relation<'_>) -> Sql {
    let mut select = Sql::new(&format!("{verb} {COLUMNS}"));
    push_relation(&mut select, relation);
    let mut qb = base_after(select, tenant, type_name, q);
    qb.push(" ORDER BY ");
    match q.order {
        Some(order) => {
            qb.fragment(order, tenant);
        }
        None => {
            qb.push("r.pk");
        }
    }
    if let Some(page) = q.page {
        qb.push(" LIMIT ")
            .bind(i64::try_from(page.limit).unwrap_or(i64::MAX))
            .push(" OFFSET ")
            .bind(i64::try_from(page.offset).unwrap_or(i64::MAX));
    }
    qb
}

/// How many resources `q`'s condition selects (its page ignored). Without a condition, the
/// type's count kept by the triggers of migration 0003 (one row, not a count over the type).
///
/// # Errors
///
/// [`SqlError::Sqlite`].
pub fn count(
    conn: &Connection,
    tenant: &str,
    type_name: &str,
    q: &Query<'_>,
) -> Result<u64, SqlError> {
    let n: Option<i64> = if q.condition.is_none() {
        sql::first(
            conn,
            "SELECT coalesce((SELECT n FROM resource_counts WHERE tenant = ? AND type = ?), 0)",
            [tenant, type_name],
            |r| Ok(r.get(0)?),
        )?
    } else {
        base("SELECT count(*)", tenant, type_name, q).first(conn, |r| Ok(r.get(0)?))?
    };
    u64::try_from(n.unwrap_or(0)).map_err(|_| SqlError::Corrupt("negative count"))
}

/// SQLite's plan for `q` (`EXPLAIN QUERY PLAN`, its order and page included), one line per
/// step, for tests and diagnostics.
///
/// # Errors
///
/// [`SqlError::Sqlite`].
pub fn explain(
    conn: &Connection,
    tenant: &str,
    type_name: &str,
    q: &Query<'_>,
) -> Result<Vec<String>, SqlError> {
    explain_with(conn, tenant, type_name, q, Relation::None)
}

/// [`explain`] of the query that reads each resource with its side of `relation`
/// ([`query_with`]).
///
/// # Errors
///
/// [`SqlError::Sqlite`].
pub fn explain_with(
    conn: &Connection,
    tenant: &str,
    type_name: &str,
    q: &Query<'_>,
    relation: Relation<'_>,
) -> Result<Vec<String>, SqlError> {
    select("EXPLAIN QUERY PLAN SELECT", tenant, type_name, q, relation)
        .rows_uncached(conn, |r| Ok(r.get::<_, String>(3)?))
}
/// The type of each of `ids` that is a resource of the tenant (what member references name).
///
/// # Errors
///
/// [`SqlError::Sqlite`].
pub fn kinds_of(
    conn: &Connection,
    tenant: &str,
    ids: &[&str],
) -> Result<std::collections::HashMap<String, String>, SqlError> {
    let mut out = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        for (id, kind) in kinds_sql(tenant, chunk).rows(conn, |r| Ok((r.get(0)?, r.get(1)?)))? {
            out.insert(id, kind);
        }
    }
    Ok(out)
}

/// SQLite's plan for [`kinds_of`] (`EXPLAIN QUERY PLAN`), one line per step, for tests and
/// diagnostics.
///
/// # Errors
///
/// [`SqlError::Sqlite`].
pub fn explain_kinds_of(
    conn: &Connection,
    tenant: &str,
    ids: &[&str],
) -> Result<Vec<String>, SqlError> {
    let mut sql = Sql::new("EXPLAIN QUERY PLAN ");
    sql.append(kinds_sql(tenant, ids));
    sql.rows_uncached(conn, |r| Ok(r.get::<_, String>(3)?))
}

fn kinds_sql(tenant: &str, ids: &[&str]) -> Sql {
    let mut qb = Sql::new("SELECT id, type FROM resources WHERE tenant = ");
    qb.bind(tenant.to_owned()).push(" AND id IN (");
    qb.bind_list(ids.iter().map(|id| (*id).to_owned()));
    qb.push(")");
    qb
}

/// The resources of `type_name` in `tenant` that `condition` selects, in keyset order, each
/// with its side of `relation`: the `segments` ([`KeysetSql`](crate::keyset::KeysetSql)) read
/// one after another, `offset` of them skipped and at most `limit` (`None`: all) returned.
/// Each segment is one indexed range read in index order; skipping into a later segment counts
/// the earlier ones (what an `OFFSET` would read anyway).
///
/// # Errors
///
/// [`SqlError::Sqlite`].
#[allow(clippy::too_many_arguments)]
pub fn keyset_query(
    conn: &Connection,
    tenant: &str,
    type_name: &str,
    condition: Option<&Fragment>,
    segments: &[crate::keyset::Segment],
    offset: u64,
    limit: Option<u64>,
    relation: Relation<'_>,
) -> Result<Vec<StoredRow>, SqlError> {
    let mut out = Vec::new();
    let (mut offset, mut left) = (offset, limit.unwrap_or(u64::MAX >> 1));
    for segment in segments {
        if left == 0 {
            break;
        }
        let condition = crate::keyset::and(condition, segment.condition.as_ref());
        let q = Query {
            condition: condition.as_ref(),
            order: Some(&segment.order),
            page: Some(Page {
                offset,
                limit: left,
            }),
        };
        let rows = query_with(conn, tenant, type_name, &q, relation)?;
        if rows.is_empty() && offset > 0 {
            // The whole segment was skipped: the rest of the offset falls in the next one.
            offset -= count(conn, tenant, type_name, &q)?.min(offset);
        } else {
            offset = 0;
        }
        left -= (rows.len() as u64).min(left);
        out.extend(rows);
    }
    Ok(out)
}
