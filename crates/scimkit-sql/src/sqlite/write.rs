//! The write layer beneath the Store: plain async functions on a connection that is inside a
//! write transaction ([`SqliteDatabase::begin_write`](super::SqliteDatabase::begin_write)).
//! None of them commits; the caller commits the resource, its membership changes, the account
//! effects and the audit record together.

use super::read::current_version;
use crate::error::SqlError;
use crate::projection::{EmailRow, Projection};
use crate::rows::{
    from_micros, micros, version, DocumentWrite, Member, MemberChange, StoredRow, Target,
};
use chrono::{DateTime, Utc};
use scimkit_filter::fold;
use sqlx::query_builder::Separated;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

/// Rows per multi-row `INSERT` (five parameters each, well under SQLite's limit).
const ROWS_PER_INSERT: usize = 500;

/// Inserts a new resource with its projection, email rows, text index and members.
///
/// # Errors
///
/// [`SqlError::Uniqueness`] when the id, the userName (folded) or a unique displayName is
/// taken in the tenant; [`SqlError::InvalidId`] for an id that is not its own fold key;
/// [`SqlError::Database`] otherwise.
pub async fn insert(
    conn: &mut SqliteConnection,
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
    // One round trip: the row, then its email rows and text index entry, keyed by the row's
    // pk (`last_insert_rowid()`: inserts into the WITHOUT ROWID `emails` leave it alone).
    let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
        "INSERT INTO resources (tenant, type, id, version, created, last_modified, document, \
         folded, user_name_norm, external_id, display_name_norm, display_name_key, active) \
         VALUES (",
    );
    let mut values = qb.separated(", ");
    values
        .push_bind(target.tenant.to_owned())
        .push_bind(target.schema.name().to_owned())
        .push_bind(target.id.to_owned())
        .push("1")
        .push_bind(micros(now))
        .push_bind(micros(now))
        .push_bind(document.clone())
        .push_bind(projection.folded.clone())
        .push_bind(projection.user_name_norm.clone())
        .push_bind(projection.external_id.clone())
        .push_bind(projection.display_name_norm.clone())
        .push_bind(display_key)
        .push_bind(projection.active);
    qb.push(")");
    push_emails_and_text(&mut qb, Pk::LastInserted, &projection, false);
    qb.build().execute(&mut *conn).await?;
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
/// change; the version increases by one either way. The email rows and the text index are
/// rewritten only when what they hold changed (a PATCH of `title` leaves them alone).
///
/// # Errors
///
/// [`SqlError::NotFound`]; [`SqlError::VersionMismatch`] when `expected` is given and is not
/// the stored version; [`SqlError::Uniqueness`]; [`SqlError::Database`].
pub async fn update(
    conn: &mut SqliteConnection,
    target: &Target<'_>,
    expected: Option<u64>,
    doc: Option<&DocumentWrite<'_>>,
    members: MemberChange<'_>,
    now: DateTime<Utc>,
) -> Result<StoredRow, SqlError> {
    let row = match doc {
        Some(doc) => rewrite(conn, target, expected, doc, now).await?,
        None => bump(conn, target, expected, now).await?,
    };
    match members {
        MemberChange::Keep => {}
        MemberChange::Delta { add, remove } => {
            remove_members(conn, target, remove).await?;
            add_members(conn, target, add).await?;
        }
        MemberChange::Replace(all) => {
            sqlx::query("DELETE FROM memberships WHERE tenant = ? AND group_id = ?")
                .bind(target.tenant)
                .bind(target.id)
                .execute(&mut *conn)
                .await?;
            add_members(conn, target, all).await?;
        }
    }
    Ok(row)
}

/// What the email rows and the text index of a resource hold: the folded `userName` and
/// `displayName` and the email rows.
type TextKeys = (Option<String>, Option<String>, Vec<EmailRow>);

/// Replaces a resource's document and projection (checking `expected`), its email rows and
/// text index entry when they change; the version moves on.
async fn rewrite(
    conn: &mut SqliteConnection,
    target: &Target<'_>,
    expected: Option<u64>,
    doc: &DocumentWrite<'_>,
    now: DateTime<Utc>,
) -> Result<StoredRow, SqlError> {
    let projection = Projection::of(&target.schema, doc.document);
    let rows = sqlx::query(
        "SELECT r.pk, r.version, r.user_name_norm, r.display_name_norm, \
         e.position, e.value_norm, e.type_norm, e.is_primary \
         FROM resources AS r LEFT JOIN emails AS e ON e.resource_pk = r.pk \
         WHERE r.tenant = ? AND r.type = ? AND r.id = ? ORDER BY e.position",
    )
    .bind(target.tenant)
    .bind(target.schema.name())
    .bind(target.id)
    .fetch_all(&mut *conn)
    .await?;
    let Some(first) = rows.first() else {
        return Err(SqlError::NotFound);
    };
    let pk: i64 = first.try_get(0)?;
    let current = version(first.try_get(1)?)?;
    if expected.is_some_and(|e| e != current) {
        return Err(SqlError::VersionMismatch { current });
    }
    let mut before: TextKeys = (first.try_get(2)?, first.try_get(3)?, Vec::new());
    for r in &rows {
        if let Some(position) = r.try_get::<Option<i64>, _>(4)? {
            before.2.push(EmailRow {
                position,
                value_norm: r.try_get(5)?,
                type_norm: r.try_get(6)?,
                primary: r.try_get(7)?,
            });
        }
    }
    let display_key = projection
        .display_name_norm
        .clone()
        .filter(|_| doc.unique_display_name);
    let document = doc.document.to_string();
    let row = sqlx::query(
        "UPDATE resources SET version = version + 1, last_modified = ?, document = ?, \
         folded = ?, user_name_norm = ?, external_id = ?, display_name_norm = ?, \
         display_name_key = ?, active = ? WHERE pk = ? \
         RETURNING id, version, created, last_modified",
    )
    .bind(micros(now))
    .bind(&document)
    .bind(&projection.folded)
    .bind(&projection.user_name_norm)
    .bind(&projection.external_id)
    .bind(&projection.display_name_norm)
    .bind(display_key)
    .bind(projection.active)
    .bind(pk)
    .fetch_one(&mut *conn)
    .await?;
    let unchanged = before.0 == projection.user_name_norm
        && before.1 == projection.display_name_norm
        && before.2 == projection.emails;
    if !unchanged {
        let mut qb: QueryBuilder<Sqlite> =
            QueryBuilder::new("DELETE FROM emails WHERE resource_pk = ");
        qb.push_bind(pk);
        push_emails_and_text(&mut qb, Pk::Bound(pk), &projection, true);
        qb.build().execute(&mut *conn).await?;
    }
    Ok(StoredRow {
        id: row.try_get(0)?,
        version: version(row.try_get(1)?)?,
        created: from_micros(row.try_get(2)?)?,
        last_modified: from_micros(row.try_get(3)?)?,
        document,
        relation: None,
    })
}

/// Deletes a resource with its email rows, text index entry and memberships on both sides
/// (the groups it was a member of get a new version).
///
/// # Errors
///
/// [`SqlError::NotFound`]; [`SqlError::VersionMismatch`]; [`SqlError::Database`].
pub async fn delete(
    conn: &mut SqliteConnection,
    target: &Target<'_>,
    expected: Option<u64>,
    now: DateTime<Utc>,
) -> Result<(), SqlError> {
    let pk: Option<i64> = sqlx::query_scalar(
        "DELETE FROM resources WHERE tenant = ? AND type = ? AND id = ? \
         AND (? IS NULL OR version = ?) RETURNING pk",
    )
    .bind(target.tenant)
    .bind(target.schema.name())
    .bind(target.id)
    .bind(expected_param(expected)?)
    .bind(expected_param(expected)?)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(pk) = pk else {
        return Err(missing_or_stale(conn, target).await);
    };
    sqlx::query("DELETE FROM resource_text WHERE rowid = ?")
        .bind(pk)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE resources SET version = version + 1, last_modified = ? \
         WHERE tenant = ? AND id IN \
         (SELECT group_id FROM memberships WHERE tenant = ? AND member_id = ?)",
    )
    .bind(micros(now))
    .bind(target.tenant)
    .bind(target.tenant)
    .bind(target.id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM memberships WHERE tenant = ? AND (member_id = ? OR group_id = ?)")
        .bind(target.tenant)
        .bind(target.id)
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

/// Increases the version (checking `expected`) and returns the row as it is then.
async fn bump(
    conn: &mut SqliteConnection,
    target: &Target<'_>,
    expected: Option<u64>,
    now: DateTime<Utc>,
) -> Result<StoredRow, SqlError> {
    let row = sqlx::query(
        "UPDATE resources SET version = version + 1, last_modified = ? \
         WHERE tenant = ? AND type = ? AND id = ? AND (? IS NULL OR version = ?) \
         RETURNING id, version, created, last_modified, document",
    )
    .bind(micros(now))
    .bind(target.tenant)
    .bind(target.schema.name())
    .bind(target.id)
    .bind(expected_param(expected)?)
    .bind(expected_param(expected)?)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) => Ok(StoredRow {
            id: row.try_get(0)?,
            version: version(row.try_get(1)?)?,
            created: from_micros(row.try_get(2)?)?,
            last_modified: from_micros(row.try_get(3)?)?,
            document: row.try_get(4)?,
            relation: None,
        }),
        None => Err(missing_or_stale(conn, target).await),
    }
}

async fn missing_or_stale(conn: &mut SqliteConnection, target: &Target<'_>) -> SqlError {
    match current_version(conn, target).await {
        Ok(Some(v)) => match version(v) {
            Ok(current) => SqlError::VersionMismatch { current },
            Err(e) => e,
        },
        Ok(None) => SqlError::NotFound,
        Err(e) => e,
    }
}

/// How the statements of [`push_emails_and_text`] name the resource's primary key.
#[derive(Debug, Clone, Copy)]
enum Pk {
    /// A known key, bound.
    Bound(i64),
    /// The row the statement before inserted into `resources`.
    LastInserted,
}

impl Pk {
    fn push(self, qb: &mut Separated<'_, Sqlite, &'static str>) {
        match self {
            Pk::Bound(pk) => qb.push_bind(pk),
            Pk::LastInserted => qb.push("last_insert_rowid()"),
        };
    }
}

/// Appends (after a statement already in `qb`, `;`-separated, so that the whole runs in one
/// round trip) the statements writing a resource's email rows and its text index entry
/// (`replacing`: removing the previous entry first; the caller removed the email rows).
fn push_emails_and_text(
    qb: &mut QueryBuilder<Sqlite>,
    pk: Pk,
    projection: &Projection,
    replacing: bool,
) {
    if replacing {
        qb.push("; DELETE FROM resource_text WHERE rowid = ");
        pk.push(&mut qb.separated(""));
    }
    for chunk in projection.emails.chunks(ROWS_PER_INSERT) {
        qb.push("; INSERT INTO emails (resource_pk, position, value_norm, type_norm, is_primary) ");
        qb.push_values(chunk, |mut row, e| {
            pk.push(&mut row);
            row.push_bind(e.position)
                .push_bind(e.value_norm.clone())
                .push_bind(e.type_norm.clone())
                .push_bind(e.primary);
        });
    }
    qb.push("; INSERT INTO resource_text (rowid, user_name, display_name, emails) VALUES (");
    let mut values = qb.separated(", ");
    pk.push(&mut values);
    values
        .push_bind(projection.user_name_norm.clone())
        .push_bind(projection.display_name_norm.clone())
        .push_bind(projection.emails_text());
    qb.push(")");
}

/// Adds members to the group `target` (one row each; a member already present is kept).
async fn add_members(
    conn: &mut SqliteConnection,
    target: &Target<'_>,
    members: &[Member],
) -> Result<(), SqlError> {
    for chunk in members.chunks(ROWS_PER_INSERT) {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO memberships (tenant, group_id, member_id, member_kind, display) ",
        );
        qb.push_values(chunk, |mut row, m| {
            row.push_bind(target.tenant)
                .push_bind(target.id)
                .push_bind(m.id.clone())
                .push_bind(m.kind.clone())
                .push_bind(m.display.clone());
        });
        qb.push(" ON CONFLICT DO NOTHING");
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Removes members from the group `target` by id.
async fn remove_members(
    conn: &mut SqliteConnection,
    target: &Target<'_>,
    ids: &[String],
) -> Result<(), SqlError> {
    for chunk in ids.chunks(ROWS_PER_INSERT) {
        let mut qb: QueryBuilder<Sqlite> =
            QueryBuilder::new("DELETE FROM memberships WHERE tenant = ");
        qb.push_bind(target.tenant)
            .push(" AND group_id = ")
            .push_bind(target.id)
            .push(" AND member_id IN (");
        let mut list = qb.separated(", ");
        for id in chunk {
            list.push_bind(id.clone());
        }
        qb.push(")");
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}
