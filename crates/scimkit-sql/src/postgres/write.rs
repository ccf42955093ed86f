//! The write layer beneath the Store: plain async functions on a connection inside a write
//! transaction ([`PostgresDatabase::begin_write`](super::PostgresDatabase::begin_write)). None
//! of them commits; the caller commits the resource, its membership changes, the account
//! effects and the audit record together.
//!
//! Rows are locked as PostgreSQL locks them under `READ COMMITTED`: the version bump locks the
//! resource's row first, so two writes of one resource (a PATCH, a member add) take turns, and
//! uniqueness is the unique indexes' (a second insert of a taken userName waits for the first
//! transaction and fails when it commits).

use super::read::{current_version, get_by_pk};
use crate::error::SqlError;
use crate::projection::Projection;
use crate::rows::{micros, version, DocumentWrite, Member, MemberChange, StoredRow, Target};
use chrono::{DateTime, Utc};
use scimkit_filter::fold;
use sqlx::PgConnection;

/// Inserts a new resource with its projection, email rows and members.
///
/// # Errors
///
/// [`SqlError::Uniqueness`] when the id, the userName (folded) or a unique displayName is
/// taken in the tenant; [`SqlError::InvalidId`] for an id that is not its own fold key;
/// [`SqlError::Database`] otherwise.
pub async fn insert(
    conn: &mut PgConnection,
    target: &Target<'_>,
    doc: &DocumentWrite<'_>,
    members: &[Member],
    now: DateTime<Utc>,
) -> Result<StoredRow, SqlError> {
    if fold(target.id) != target.id {
        return Err(SqlError::InvalidId);
    }
    let projection = Projection::of(&target.schema, doc.document);
    let document = doc.document.to_string();
    let display_key = projection
        .display_name_norm
        .clone()
        .filter(|_| doc.unique_display_name);
    let pk: i64 = sqlx::query_scalar(
        "INSERT INTO resources (tenant, type, id, version, created, last_modified, document, \
         folded, user_name_norm, external_id, display_name_norm, display_name_key, active) \
         VALUES ($1, $2, $3, 1, $4, $4, $5::jsonb, $6::jsonb, $7, $8, $9, $10, $11) RETURNING pk",
    )
    .bind(target.tenant)
    .bind(target.schema.name())
    .bind(target.id)
    .bind(micros(now))
    .bind(&document)
    .bind(&projection.folded)
    .bind(&projection.user_name_norm)
    .bind(&projection.external_id)
    .bind(&projection.display_name_norm)
    .bind(display_key)
    .bind(projection.active)
    .fetch_one(&mut *conn)
    .await?;
    write_emails(conn, pk, &projection).await?;
    add_members(conn, target, members).await?;
    Ok(StoredRow {
        id: target.id.to_owned(),
        version: 1,
        created: now,
        last_modified: now,
        document,
        relation: None,
    })
}

/// Updates a resource: a new document (PATCH or PUT) when `doc` is given, and/or a membership
/// change; the version increases by one either way.
///
/// # Errors
///
/// [`SqlError::NotFound`]; [`SqlError::VersionMismatch`] when `expected` is given and is not
/// the stored version; [`SqlError::Uniqueness`]; [`SqlError::Database`].
pub async fn update(
    conn: &mut PgConnection,
    target: &Target<'_>,
    expected: Option<u64>,
    doc: Option<&DocumentWrite<'_>>,
    members: MemberChange<'_>,
    now: DateTime<Utc>,
) -> Result<StoredRow, SqlError> {
    let pk = bump(conn, target, expected, now).await?;
    if let Some(doc) = doc {
        let projection = Projection::of(&target.schema, doc.document);
        let display_key = projection
            .display_name_norm
            .clone()
            .filter(|_| doc.unique_display_name);
        sqlx::query(
            "UPDATE resources SET document = $1::jsonb, folded = $2::jsonb, \
             user_name_norm = $3, external_id = $4, display_name_norm = $5, \
             display_name_key = $6, active = $7 WHERE pk = $8",
        )
        .bind(doc.document.to_string())
        .bind(&projection.folded)
        .bind(&projection.user_name_norm)
        .bind(&projection.external_id)
        .bind(&projection.display_name_norm)
        .bind(display_key)
        .bind(projection.active)
        .bind(pk)
        .execute(&mut *conn)
        .await?;
        sqlx::query("DELETE FROM emails WHERE resource_pk = $1")
            .bind(pk)
            .execute(&mut *conn)
            .await?;
        write_emails(conn, pk, &projection).await?;
    }
    match members {
        MemberChange::Keep => {}
        MemberChange::Delta { add, remove } => {
            remove_members(conn, target, remove).await?;
            add_members(conn, target, add).await?;
        }
        MemberChange::Replace(all) => {
            sqlx::query("DELETE FROM memberships WHERE tenant = $1 AND group_id = $2")
                .bind(target.tenant)
                .bind(target.id)
                .execute(&mut *conn)
                .await?;
            add_members(conn, target, all).await?;
        }
    }
    get_by_pk(conn, pk).await
}

/// Deletes a resource with its email rows and memberships on both sides (the groups it was a
/// member of get a new version).
///
/// # Errors
///
/// [`SqlError::NotFound`]; [`SqlError::VersionMismatch`]; [`SqlError::Database`].
pub async fn delete(
    conn: &mut PgConnection,
    target: &Target<'_>,
    expected: Option<u64>,
    now: DateTime<Utc>,
) -> Result<(), SqlError> {
    let pk: Option<i64> = sqlx::query_scalar(
        "DELETE FROM resources WHERE tenant = $1 AND type = $2 AND id = $3 \
         AND ($4::bigint IS NULL OR version = $4) RETURNING pk",
    )
    .bind(target.tenant)
    .bind(target.schema.name())
    .bind(target.id)
    .bind(expected_param(expected)?)
    .fetch_optional(&mut *conn)
    .await?;
    if pk.is_none() {
        return Err(missing_or_stale(conn, target).await);
    }
    // The groups in id order, so that two deletes lock them in the same order.
    sqlx::query(
        "UPDATE resources SET version = version + 1, last_modified = $1 \
         WHERE pk IN (SELECT g.pk FROM resources AS g WHERE g.tenant = $2 AND g.id IN \
         (SELECT group_id FROM memberships WHERE tenant = $2 AND member_id = $3) \
         ORDER BY g.id FOR UPDATE)",
    )
    .bind(micros(now))
    .bind(target.tenant)
    .bind(target.id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM memberships WHERE tenant = $1 AND (member_id = $2 OR group_id = $2)")
        .bind(target.tenant)
        .bind(target.id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn expected_param(expected: Option<u64>) -> Result<Option<i64>, SqlError> {
    expected
        .map(|v| i64::try_from(v).map_err(|_| SqlError::VersionMismatch { current: 0 }))
        .transpose()
}

/// Increases the version (checking `expected`) and returns the row's primary key.
async fn bump(
    conn: &mut PgConnection,
    target: &Target<'_>,
    expected: Option<u64>,
    now: DateTime<Utc>,
) -> Result<i64, SqlError> {
    let pk: Option<i64> = sqlx::query_scalar(
        "UPDATE resources SET version = version + 1, last_modified = $1 \
         WHERE tenant = $2 AND type = $3 AND id = $4 AND ($5::bigint IS NULL OR version = $5) \
         RETURNING pk",
    )
    .bind(micros(now))
    .bind(target.tenant)
    .bind(target.schema.name())
    .bind(target.id)
    .bind(expected_param(expected)?)
    .fetch_optional(&mut *conn)
    .await?;
    match pk {
        Some(pk) => Ok(pk),
        None => Err(missing_or_stale(conn, target).await),
    }
}

async fn missing_or_stale(conn: &mut PgConnection, target: &Target<'_>) -> SqlError {
    match current_version(conn, target).await {
        Ok(Some(v)) => match version(v) {
            Ok(current) => SqlError::VersionMismatch { current },
            Err(e) => e,
        },
        Ok(None) => SqlError::NotFound,
        Err(e) => e,
    }
}

/// Writes the email rows of the resource `pk` (one statement, arrays unnested).
async fn write_emails(
    conn: &mut PgConnection,
    pk: i64,
    projection: &Projection,
) -> Result<(), SqlError> {
    if projection.emails.is_empty() {
        return Ok(());
    }
    let e = &projection.emails;
    let positions: Vec<i64> = e.iter().map(|e| e.position).collect();
    let values: Vec<Option<String>> = e.iter().map(|e| e.value_norm.clone()).collect();
    let types: Vec<Option<String>> = e.iter().map(|e| e.type_norm.clone()).collect();
    let primary: Vec<Option<bool>> = e.iter().map(|e| e.primary).collect();
    sqlx::query(
        "INSERT INTO emails (resource_pk, position, value_norm, type_norm, is_primary) \
         SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::boolean[])",
    )
    .bind(pk)
    .bind(positions)
    .bind(values)
    .bind(types)
    .bind(primary)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Adds members to the group `target`: one statement, one row each, a member already present
/// kept (`ON CONFLICT DO NOTHING`).
async fn add_members(
    conn: &mut PgConnection,
    target: &Target<'_>,
    members: &[Member],
) -> Result<(), SqlError> {
    if members.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
    let kinds: Vec<&str> = members.iter().map(|m| m.kind.as_str()).collect();
    let displays: Vec<Option<&str>> = members.iter().map(|m| m.display.as_deref()).collect();
    sqlx::query(
        "INSERT INTO memberships (tenant, group_id, member_id, member_kind, display) \
         SELECT $1, $2, * FROM unnest($3::text[], $4::text[], $5::text[]) \
         ON CONFLICT DO NOTHING",
    )
    .bind(target.tenant)
    .bind(target.id)
    .bind(ids)
    .bind(kinds)
    .bind(displays)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Removes members from the group `target` by id (`DELETE … = ANY($1)`).
async fn remove_members(
    conn: &mut PgConnection,
    target: &Target<'_>,
    ids: &[String],
) -> Result<(), SqlError> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "DELETE FROM memberships WHERE tenant = $1 AND group_id = $2 AND member_id = ANY($3)",
    )
    .bind(target.tenant)
    .bind(target.id)
    .bind(ids)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
