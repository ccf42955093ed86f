//! Reads: one resource, a group's members, a member's groups, and filtered, sorted, paged
//! queries from a [`Plan`](crate::translate::Plan).

use crate::error::SqlError;
use crate::fragment::{Fragment, Param, Piece};
use crate::rows::{from_micros, version, Member, Relation, StoredRow, Target};
use crate::translate::Plan;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

const COLUMNS: &str = "r.id, r.version, r.created, r.last_modified, r.document";

fn stored(row: &SqliteRow) -> Result<StoredRow, SqlError> {
    Ok(StoredRow {
        id: row.try_get(0)?,
        version: version(row.try_get(1)?)?,
        created: from_micros(row.try_get(2)?)?,
        last_modified: from_micros(row.try_get(3)?)?,
        document: row.try_get(4)?,
        relation: None,
    })
}

/// [`stored`] with the relation read in column 5.
fn stored_with(row: &SqliteRow, relation: Relation<'_>) -> Result<StoredRow, SqlError> {
    let mut out = stored(row)?;
    if relation != Relation::None {
        out.relation = row.try_get(5)?;
    }
    Ok(out)
}

/// `, (subquery) ` yielding the resource `r`'s side of the relation as a JSON array, in a
/// select list (nothing for [`Relation::None`]). Unordered: an `ORDER BY` inside the aggregate
/// opens a sorter for every row (a large allocation each: a page of 100 users took three
/// times as long), so the caller orders the elements.
fn push_relation(qb: &mut QueryBuilder<Sqlite>, relation: Relation<'_>) {
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
                 FROM memberships AS ms JOIN resources AS g \
                 ON g.tenant = ms.tenant AND g.type IN (",
            );
            let mut list = qb.separated(", ");
            for k in kinds {
                list.push_bind((*k).to_owned());
            }
            qb.push(") AND g.id = ms.group_id WHERE ms.tenant = r.tenant AND ms.member_id = r.id)");
        }
    }
}

/// The resource with its side of the relation, in one query.
///
/// # Errors
///
/// [`SqlError::Database`].
pub async fn get_with(
    conn: &mut SqliteConnection,
    target: &Target<'_>,
    relation: Relation<'_>,
) -> Result<Option<StoredRow>, SqlError> {
    let mut qb = QueryBuilder::new(format!("SELECT {COLUMNS}"));
    push_relation(&mut qb, relation);
    qb.push(" FROM resources AS r WHERE r.tenant = ")
        .push_bind(target.tenant.to_owned())
        .push(" AND r.type = ")
        .push_bind(target.schema.name().to_owned())
        .push(" AND r.id = ")
        .push_bind(target.id.to_owned());
    let row = qb.build().fetch_optional(&mut *conn).await?;
    row.as_ref().map(|r| stored_with(r, relation)).transpose()
}

/// The resource, if it exists.
///
/// # Errors
///
/// [`SqlError::Database`].
pub async fn get(
    conn: &mut SqliteConnection,
    target: &Target<'_>,
) -> Result<Option<StoredRow>, SqlError> {
    let row = sqlx::query(
        "SELECT r.id, r.version, r.created, r.last_modified, r.document FROM resources AS r \
         WHERE r.tenant = ? AND r.type = ? AND r.id = ?",
    )
    .bind(target.tenant)
    .bind(target.schema.name())
    .bind(target.id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(stored).transpose()
}

pub(crate) async fn current_version(
    conn: &mut SqliteConnection,
    target: &Target<'_>,
) -> Result<Option<i64>, SqlError> {
    Ok(
        sqlx::query_scalar(
            "SELECT version FROM resources WHERE tenant = ? AND type = ? AND id = ?",
        )
        .bind(target.tenant)
        .bind(target.schema.name())
        .bind(target.id)
        .fetch_optional(&mut *conn)
        .await?,
    )
}

/// The members of the group `group_id`, by member id.
///
/// # Errors
///
/// [`SqlError::Database`].
pub async fn members(
    conn: &mut SqliteConnection,
    tenant: &str,
    group_id: &str,
) -> Result<Vec<Member>, SqlError> {
    let rows = sqlx::query(
        "SELECT member_id, member_kind, display FROM memberships \
         WHERE tenant = ? AND group_id = ? ORDER BY member_id",
    )
    .bind(tenant)
    .bind(group_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Member {
                id: r.try_get(0)?,
                kind: r.try_get(1)?,
                display: r.try_get(2)?,
            })
        })
        .collect()
}

/// The ids of the resources of the types `kinds` (those a member's `groups` lists) that
/// `member_id` is a direct member of, with their `displayName`.
///
/// # Errors
///
/// [`SqlError::Database`].
pub async fn groups_of(
    conn: &mut SqliteConnection,
    tenant: &str,
    member_id: &str,
    kinds: &[&str],
) -> Result<Vec<(String, Option<String>)>, SqlError> {
    let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
        "SELECT ms.group_id, json_extract(g.document, '$.displayName') \
         FROM memberships AS ms JOIN resources AS g ON g.tenant = ms.tenant AND g.id = ms.group_id \
         WHERE ms.tenant = ",
    );
    qb.push_bind(tenant.to_owned())
        .push(" AND ms.member_id = ")
        .push_bind(member_id.to_owned())
        .push(" AND g.type IN (");
    let mut list = qb.separated(", ");
    for k in kinds {
        list.push_bind((*k).to_owned());
    }
    qb.push(") ORDER BY ms.group_id");
    let rows = qb.build().fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// The type of the resource with id `id` in the tenant (what a member reference names).
///
/// # Errors
///
/// [`SqlError::Database`].
pub async fn kind_of(
    conn: &mut SqliteConnection,
    tenant: &str,
    id: &str,
) -> Result<Option<String>, SqlError> {
    Ok(
        sqlx::query_scalar("SELECT type FROM resources WHERE tenant = ? AND id = ? LIMIT 1")
            .bind(tenant)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?,
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

fn push_fragment(qb: &mut QueryBuilder<Sqlite>, fragment: &Fragment, tenant: &str) {
    for piece in fragment.pieces() {
        match piece {
            Piece::Sql(s) => {
                qb.push(s);
            }
            Piece::Bind(Param::Text(t)) => {
                qb.push_bind(t.clone());
            }
            Piece::Bind(Param::Int(i)) => {
                qb.push_bind(*i);
            }
            Piece::Bind(Param::Real(r)) => {
                qb.push_bind(*r);
            }
            Piece::Bind(Param::Tenant) => {
                qb.push_bind(tenant.to_owned());
            }
        }
    }
}

fn base(select: &str, tenant: &str, type_name: &str, q: &Query<'_>) -> QueryBuilder<Sqlite> {
    base_after(QueryBuilder::new(select), tenant, type_name, q)
}

/// ` FROM resources AS r WHERE …` after a select list.
fn base_after(
    mut qb: QueryBuilder<Sqlite>,
    tenant: &str,
    type_name: &str,
    q: &Query<'_>,
) -> QueryBuilder<Sqlite> {
    qb.push(" FROM resources AS r WHERE r.tenant = ")
        .push_bind(tenant.to_owned())
        .push(" AND r.type = ")
        .push_bind(type_name.to_owned());
    if let Some(c) = q.condition {
        qb.push(" AND (");
        push_fragment(&mut qb, c, tenant);
        qb.push(")");
    }
    qb
}

/// The resources of `type_name` in `tenant` that `q` selects, in its order and page.
///
/// # Errors
///
/// [`SqlError::Database`].
pub async fn query(
    conn: &mut SqliteConnection,
    tenant: &str,
    type_name: &str,
    q: &Query<'_>,
) -> Result<Vec<StoredRow>, SqlError> {
    query_with(conn, tenant, type_name, q, Relation::None).await
}

/// [`query`], each resource with its side of the relation, in one query.
///
/// # Errors
///
/// [`SqlError::Database`].
pub async fn query_with(
    conn: &mut SqliteConnection,
    tenant: &str,
    type_name: &str,
    q: &Query<'_>,
    relation: Relation<'_>,
) -> Result<Vec<StoredRow>, SqlError> {
    let mut select = QueryBuilder::new(format!("SELECT {COLUMNS}"));
    push_relation(&mut select, relation);
    let mut qb = base_after(select, tenant, type_name, q);
    qb.push(" ORDER BY ");
    match q.order {
        Some(order) => push_fragment(&mut qb, order, tenant),
        None => {
            qb.push("r.pk");
        }
    }
    if let Some(page) = q.page {
        qb.push(" LIMIT ")
            .push_bind(i64::try_from(page.limit).unwrap_or(i64::MAX))
            .push(" OFFSET ")
            .push_bind(i64::try_from(page.offset).unwrap_or(i64::MAX));
    }
    let rows = qb.build().fetch_all(&mut *conn).await?;
    rows.iter().map(|r| stored_with(r, relation)).collect()
}

/// How many resources `q`'s condition selects (its page ignored). Without a condition, the
/// type's count kept by the triggers of migration 0003 (one row, not a count over the type).
///
/// # Errors
///
/// [`SqlError::Database`].
pub async fn count(
    conn: &mut SqliteConnection,
    tenant: &str,
    type_name: &str,
    q: &Query<'_>,
) -> Result<u64, SqlError> {
    let n: i64 = if q.condition.is_none() {
        sqlx::query_scalar(
            "SELECT coalesce((SELECT n FROM resource_counts WHERE tenant = ? AND type = ?), 0)",
        )
        .bind(tenant)
        .bind(type_name)
        .fetch_one(&mut *conn)
        .await?
    } else {
        let mut qb = base("SELECT count(*)", tenant, type_name, q);
        qb.build_query_scalar().fetch_one(&mut *conn).await?
    };
    u64::try_from(n).map_err(|_| SqlError::Corrupt("negative count"))
}

/// SQLite's plan for `q` (`EXPLAIN QUERY PLAN`), one line per step, for tests and
/// diagnostics.
///
/// # Errors
///
/// [`SqlError::Database`].
pub async fn explain(
    conn: &mut SqliteConnection,
    tenant: &str,
    type_name: &str,
    q: &Query<'_>,
) -> Result<Vec<String>, SqlError> {
    let mut qb = base(
        &format!("EXPLAIN QUERY PLAN SELECT {COLUMNS}"),
        tenant,
        type_name,
        q,
    );
    let rows = qb.build().fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String, _>(3)?))
        .collect()
}

/// The type of each of `ids` that is a resource of the tenant (what member references name).
///
/// # Errors
///
/// [`SqlError::Database`].
pub async fn kinds_of(
    conn: &mut SqliteConnection,
    tenant: &str,
    ids: &[&str],
) -> Result<std::collections::HashMap<String, String>, SqlError> {
    let mut out = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let mut qb: QueryBuilder<Sqlite> =
            QueryBuilder::new("SELECT id, type FROM resources WHERE tenant = ");
        qb.push_bind(tenant.to_owned()).push(" AND id IN (");
        let mut list = qb.separated(", ");
        for id in chunk {
            list.push_bind((*id).to_owned());
        }
        qb.push(")");
        for row in qb.build().fetch_all(&mut *conn).await? {
            out.insert(row.try_get(0)?, row.try_get(1)?);
        }
    }
    Ok(out)
}
