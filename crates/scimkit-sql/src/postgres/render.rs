//! Rows as the dispatcher wants them: each document with its side of the membership relation
//! (`members` of a group, `groups` of a member), read for a whole page in one query.

use super::read;
use super::store::backend;
use crate::error::SqlError;
use crate::rows::StoredRow;
use scimkit_dispatch::{group_kinds, member_kinds, StoreError, Stored, Version};
use scimkit_schema::ResourceSchema;
use serde_json::{Map, Value};
use sqlx::PgConnection;
use std::collections::HashMap;

/// One element of `members` or `groups`.
fn element(value: String, display: Option<String>, kind: String) -> Value {
    let mut o = Map::new();
    o.insert("value".into(), Value::String(value));
    if let Some(d) = display {
        o.insert("display".into(), Value::String(d));
    }
    o.insert("type".into(), Value::String(kind));
    Value::Object(o)
}

/// The stored rows of `schema`'s type with their relation: a group's `members` (when
/// `with_members`), any other type's `groups` (when its schema has them). One query for the
/// relation of all of them, whatever their number.
///
/// # Errors
///
/// A database failure ([`backend`]); a corrupt document.
pub(super) async fn stored_rows(
    conn: &mut PgConnection,
    tenant: &str,
    schema: &ResourceSchema<'_>,
    rows: Vec<StoredRow>,
    with_members: bool,
) -> Result<Vec<Stored>, StoreError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let (name, mut relation): (&str, HashMap<String, Vec<Value>>) = if member_kinds(schema)
        .is_some()
    {
        let mut by_group: HashMap<String, Vec<Value>> = HashMap::new();
        if with_members && !ids.is_empty() {
            for (group, m) in read::members_of_groups(conn, tenant, &ids)
                .await
                .map_err(backend)?
            {
                by_group
                    .entry(group)
                    .or_default()
                    .push(element(m.id, m.display, m.kind));
            }
        }
        ("members", by_group)
    } else {
        let kinds = group_kinds(schema);
        let mut by_member: HashMap<String, Vec<Value>> = HashMap::new();
        if !kinds.is_empty() && !ids.is_empty() {
            for (member, group, display) in read::groups_of_members(conn, tenant, &ids, &kinds)
                .await
                .map_err(backend)?
            {
                by_member
                    .entry(member)
                    .or_default()
                    .push(element(group, display, "direct".into()));
            }
        }
        ("groups", by_member)
    };
    rows.into_iter()
        .map(|row| {
            let Ok(Value::Object(mut doc)) = serde_json::from_str::<Value>(&row.document) else {
                return Err(backend(SqlError::Corrupt(
                    "a stored document is not an object",
                )));
            };
            if let Some(items) = relation.remove(&row.id) {
                doc.insert(name.into(), Value::Array(items));
            }
            Ok(Stored::new(
                row.id,
                Version(row.version),
                row.created,
                row.last_modified,
                Value::Object(doc),
            ))
        })
        .collect()
}

/// [`stored_rows`] of one row.
///
/// # Errors
///
/// As [`stored_rows`].
pub(super) async fn stored(
    conn: &mut PgConnection,
    tenant: &str,
    schema: &ResourceSchema<'_>,
    row: StoredRow,
    with_members: bool,
) -> Result<Stored, StoreError> {
    let mut one = stored_rows(conn, tenant, schema, vec![row], with_members).await?;
    one.pop()
        .ok_or_else(|| backend(SqlError::Corrupt("a row was lost while rendering")))
}
