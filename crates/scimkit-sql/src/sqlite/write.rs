//! The write layer beneath the Store: plain functions, run in the caller's thread, on a
//! connection that is inside a write transaction ([`SqliteDatabase::begin_write`](super::SqliteDatabase::begin_write)).
//! None of them commits; the caller commits the resource, its membership changes, the account
//! effects and the audit record together.

use super::connections::off_runtime;
use super::read::{self, current_version};
use super::sql::{self, Sql};
use crate::error::SqlError;
use crate::projection::{EmailRow, Projection};
use crate::rows::{
    from_micros, micros, version, DocumentWrite, Member, MemberChange, StoredRow, Target,
};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use scimkit_filter::fold;

/// Rows per multi-row `INSERT` (five parameters each, well under SQLite's limit).
const ROWS_PER_INSERT: usize = 500;

/// Inserts a new resource with its projection, email rows, text index and members.
///
/// # Errors
///
/// [`SqlError::Uniqueness`] when the id, the userName (folded) or a unique displayName is
/// taken in the tenant; [`SqlError::InvalidId`] for an id that is not its own fold key;
/// [`SqlError::Sqlite`] otherwise.
pub fn insert(
    conn: &Connection,
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
    sql::execute(
        conn,
        "INSERT INTO resources (tenant, type, id, version, created, last_modified, document, \
         folded, user_name_norm, external_id, display_name_norm, display_name_key, active) \
         VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            target.tenant,
            target.schema.name(),
            target.id,
            micros(now),
            micros(now),
            &document,
            &projection.folded,
            &projection.user_name_norm,
            &projection.external_id,
            &projection.display_name_norm,
            display_key,
            projection.active,
        ],
    )?;
    write_emails_and_text(conn, conn.last_insert_rowid(), &projection, false)?;
    add_members(conn, target, members)?;
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
/// change; the version increases by one either way. The email rows and the text index are
/// rewritten only when what they hold changed (a PATCH of `title` leaves them alone).
///
/// # Errors
///
/// [`SqlError::NotFound`]; [`SqlError::VersionMismatch`] when `expected` is given and is not
/// the stored version; [`SqlError::Uniqueness`]; [`SqlError::Sqlite`].
pub fn update(
    conn: &Connection,
    target: &Target<'_>,
    expected: Option<u64>,
    doc: Option<&DocumentWrite<'_>>,
    members: MemberChange<'_>,
    now: DateTime<Utc>,
) -> Result<StoredRow, SqlError> {
    let row = match doc {
        Some(doc) => rewrite(conn, target, expected, doc, now)?,
        None => bump(conn, target, expected, now)?,
    };
    match members {
        MemberChange::Keep => {}
        MemberChange::Delta { add, remove } => {
            remove_members(conn, target, remove)?;
            add_members(conn, target, add)?;
        }
        MemberChange::Replace(all) => {
            sql::execute(
                conn,
                "DELETE FROM memberships WHERE tenant = ? AND group_id = ?",
                [target.tenant, target.id],
            )?;
            add_members(conn, target, all)?;
        }
    }
    Ok(row)
}

/// What the email rows and the text index of a resource hold: the folded `userName` and
/// `displayName` and the email rows.
type TextKeys = (Option<String>, Option<String>, Vec<EmailRow>);

/// Replaces a resource's document and projection (checking `expected`), its email rows and
/// text index entry when they change; the version moves on.
fn rewrite(
    conn: &Connection,
    target: &Target<'_>,
    expected: Option<u64>,
    doc: &DocumentWrite<'_>,
    now: DateTime<Utc>,
) -> Result<StoredRow, SqlError> {
    let projection = Projection::of(&target.schema, doc.document);
    // Per row: pk, version, the text keys, and one email row (or none).
    type Current = (i64, i64, Option<String>, Option<String>, Option<EmailRow>);
    let rows: Vec<Current> = sql::all(
        conn,
        "SELECT r.pk, r.version, r.user_name_norm, r.display_name_norm, \
         e.position, e.value_norm, e.type_norm, e.is_primary \
         FROM resources AS r LEFT JOIN emails AS e ON e.resource_pk = r.pk \
         WHERE r.tenant = ? AND r.type = ? AND r.id = ? ORDER BY e.position",
        [target.tenant, target.schema.name(), target.id],
        |r| {
            let email = match r.get::<_, Option<i64>>(4)? {
                Some(position) => Some(EmailRow {
                    position,
                    value_norm: r.get(5)?,
                    type_norm: r.get(6)?,
                    primary: r.get(7)?,
                }),
                None => None,
            };
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, email))
        },
    )?;
    let Some((pk, current, user_name, display_name, _)) = rows.first().cloned() else {
        return Err(SqlError::NotFound);
    };
    let current = version(current)?;
    if expected.is_some_and(|e| e != current) {
        return Err(SqlError::VersionMismatch { current });
    }
    let emails = rows.into_iter().filter_map(|r| r.4).collect();
    let before: TextKeys = (user_name, display_name, emails);
    let display_key = projection
        .display_name_norm
        .clone()
        .filter(|_| doc.unique_display_name);
    let document = doc.document.to_string();
    let (id, new_version, created, last_modified): (String, i64, i64, i64) = sql::first(
        conn,
        "UPDATE resources SET version = version + 1, last_modified = ?, document = ?, \
         folded = ?, user_name_norm = ?, external_id = ?, display_name_norm = ?, \
         display_name_key = ?, active = ? WHERE pk = ? \
         RETURNING id, version, created, last_modified",
        params![
            micros(now),
            &document,
            &projection.folded,
            &projection.user_name_norm,
            &projection.external_id,
            &projection.display_name_norm,
            display_key,
            projection.active,
            pk,
        ],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?
    .ok_or(SqlError::NotFound)?;
    let unchanged = before.0 == projection.user_name_norm
        && before.1 == projection.display_name_norm
        && before.2 == projection.emails;
    if !unchanged {
        sql::execute(conn, "DELETE FROM emails WHERE resource_pk = ?", [pk])?;
        write_emails_and_text(conn, pk, &projection, true)?;
    }
    Ok(StoredRow {
        id,
        version: version(new_version)?,
        created: from_micros(created)?,
        last_modified: from_micros(last_modified)?,
        document,
        relation: None,
    })
}

/// Deletes a resource with its email rows, text index entry and memberships on both sides
/// (the groups it was a member of get a new version).
///
/// # Errors
///
/// [`SqlError::NotFound`]; [`SqlError::VersionMismatch`]; [`SqlError::Sqlite`].
pub fn delete(
    conn: &Connection,
    target: &Target<'_>,
    expected: Option<u64>,
    now: DateTime<Utc>,
) -> Result<(), SqlError> {
    let expected = expected_param(expected)?;
    let pk: Option<i64> = sql::first(
        conn,
        "DELETE FROM resources WHERE tenant = ? AND type = ? AND id = ? \
         AND (? IS NULL OR version = ?) RETURNING pk",
        params![
            target.tenant,
            target.schema.name(),
            target.id,
            expected,
            expected
        ],
        |r| Ok(r.get(0)?),
    )?;
    let Some(pk) = pk else {
        return Err(missing_or_stale(conn, target));
    };
    sql::execute(conn, "DELETE FROM resource_text WHERE rowid = ?", [pk])?;
    sql::execute(
        conn,
        "UPDATE resources SET version = version + 1, last_modified = ? \
         WHERE tenant = ? AND id IN \
         (SELECT group_id FROM memberships WHERE tenant = ? AND member_id = ?)",
        params![micros(now), target.tenant, target.tenant, target.id],
    )?;
    sql::execute(
        conn,
        "DELETE FROM memberships WHERE tenant = ? AND (member_id = ? OR group_id = ?)",
        [target.tenant, target.id, target.id],
    )?;
    Ok(())
}

fn expected_param(expected: Option<u64>) -> Result<Option<i64>, SqlError> {
    expected
        .map(|v| i64::try_from(v).map_err(|_| SqlError::VersionMismatch { current: 0 }))
        .transpose()
}

/// Increases the version (checking `expected`) and returns the row as it is then.
fn bump(
    conn: &Connection,
    target: &Target<'_>,
    expected: Option<u64>,
    now: DateTime<Utc>,
) -> Result<StoredRow, SqlError> {
    let expected = expected_param(expected)?;
    let row = sql::first(
        conn,
        "UPDATE resources SET version = version + 1, last_modified = ? \
         WHERE tenant = ? AND type = ? AND id = ? AND (? IS NULL OR version = ?) \
         RETURNING id, version, created, last_modified, document",
        params![
            micros(now),
            target.tenant,
            target.schema.name(),
            target.id,
            expected,
            expected
        ],
        read::stored,
    )?;
    row.ok_or_else(|| missing_or_stale(conn, target))
}

fn missing_or_stale(conn: &Connection, target: &Target<'_>) -> SqlError {
    match current_version(conn, target) {
        Ok(Some(v)) => match version(v) {
            Ok(current) => SqlError::VersionMismatch { current },
            Err(e) => e,
        },
        Ok(None) => SqlError::NotFound,
        Err(e) => e,
    }
}

/// Writes a resource's email rows and its text index entry (`replacing`: removing the
/// previous entry first; the caller removed the email rows).
fn write_emails_and_text(
    conn: &Connection,
    pk: i64,
    projection: &Projection,
    replacing: bool,
) -> Result<(), SqlError> {
    if replacing {
        sql::execute(conn, "DELETE FROM resource_text WHERE rowid = ?", [pk])?;
    }
    for chunk in projection.emails.chunks(ROWS_PER_INSERT) {
        let mut qb = Sql::new(
            "INSERT INTO emails (resource_pk, position, value_norm, type_norm, is_primary) VALUES ",
        );
        for (i, e) in chunk.iter().enumerate() {
            qb.push(if i == 0 { "(" } else { ", (" });
            qb.bind(pk)
                .push(", ")
                .bind(e.position)
                .push(", ")
                .bind(e.value_norm.clone())
                .push(", ")
                .bind(e.type_norm.clone())
                .push(", ")
                .bind(e.primary)
                .push(")");
        }
        qb.execute(conn)?;
    }
    sql::execute(
        conn,
        "INSERT INTO resource_text (rowid, user_name, display_name, emails) VALUES (?, ?, ?, ?)",
        params![
            pk,
            &projection.user_name_norm,
            &projection.display_name_norm,
            projection.emails_text()
        ],
    )?;
    Ok(())
}

/// Adds members to the group `target` (one row each; a member already present is kept). A
/// long list is written where blocking is allowed.
fn add_members(conn: &Connection, target: &Target<'_>, members: &[Member]) -> Result<(), SqlError> {
    let write = || {
        for chunk in members.chunks(ROWS_PER_INSERT) {
            let mut qb = Sql::new(
                "INSERT INTO memberships (tenant, group_id, member_id, member_kind, display) VALUES ",
            );
            for (i, m) in chunk.iter().enumerate() {
                qb.push(if i == 0 { "(" } else { ", (" });
                qb.bind(target.tenant.to_owned())
                    .push(", ")
                    .bind(target.id.to_owned())
                    .push(", ")
                    .bind(m.id.clone())
                    .push(", ")
                    .bind(m.kind.clone())
                    .push(", ")
                    .bind(m.display.clone())
                    .push(")");
            }
            qb.push(" ON CONFLICT DO NOTHING");
            qb.execute(conn)?;
        }
        Ok(())
    };
    blocking_if_long(members.len(), write)
}

/// Removes members from the group `target` by id. A long list is removed where blocking is
/// allowed.
fn remove_members(conn: &Connection, target: &Target<'_>, ids: &[String]) -> Result<(), SqlError> {
    let write = || {
        for chunk in ids.chunks(ROWS_PER_INSERT) {
            let mut qb = Sql::new("DELETE FROM memberships WHERE tenant = ");
            qb.bind(target.tenant.to_owned())
                .push(" AND group_id = ")
                .bind(target.id.to_owned())
                .push(" AND member_id IN (");
            qb.bind_list(chunk.iter().cloned());
            qb.push(")");
            qb.execute(conn)?;
        }
        Ok(())
    };
    blocking_if_long(ids.len(), write)
}

/// Runs `write` of `rows` rows in place, or where it may block when it takes more than one
/// statement.
fn blocking_if_long<T>(rows: usize, write: impl FnOnce() -> T) -> T {
    if rows > ROWS_PER_INSERT {
        off_runtime(write)
    } else {
        write()
    }
}
