//! A row read with its relation ([`Relation`]) as the dispatcher wants it: the document text
//! with `members` or `groups` spliced in, never parsed on the way.

use crate::error::SqlError;
use crate::rows::{Relation, StoredRow};
use scimkit_dispatch::{group_kinds, member_kinds, Resource, StoreError, Stored, Version};
use scimkit_schema::ResourceSchema;
use serde_json::{Map, Value};
use std::sync::Arc;

/// The membership facts of a type, from its schema: the relation to read with it.
#[derive(Debug)]
pub(crate) struct RelationOf<'r> {
    has_members: bool,
    group_kinds: Vec<&'r str>,
}

impl<'r> RelationOf<'r> {
    pub(crate) fn new(schema: &ResourceSchema<'r>) -> Self {
        RelationOf {
            has_members: member_kinds(schema).is_some(),
            group_kinds: group_kinds(schema),
        }
    }

    /// The relation to read: a type with members its members (when wanted), any other type
    /// the memberships its `groups` lists (none when it has no `groups`).
    pub(crate) fn relation(&self, with_members: bool) -> Relation<'_> {
        if self.has_members {
            if with_members {
                Relation::Members
            } else {
                Relation::None
            }
        } else if self.group_kinds.is_empty() {
            Relation::None
        } else {
            Relation::Groups(&self.group_kinds)
        }
    }
}

fn corrupt(what: &'static str) -> StoreError {
    StoreError::backend(SqlError::Corrupt(what))
}

/// The elements of the relation as served, from the JSON the read returned, by id.
fn elements(relation: Relation<'_>, json: &str) -> Result<Vec<Value>, StoreError> {
    let Ok(Value::Array(mut rows)) = serde_json::from_str::<Value>(json) else {
        return Err(corrupt("a relation is not a JSON array"));
    };
    let id = |row: &Value| row.get(0).and_then(Value::as_str).map(str::to_owned);
    rows.sort_unstable_by_key(id);
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let Value::Array(mut cells) = row else {
            return Err(corrupt("a relation row is not an array"));
        };
        cells.resize(3, Value::Null);
        let mut cells = cells.into_iter();
        let mut o = Map::new();
        o.insert("value".into(), cells.next().unwrap_or(Value::Null));
        let display = cells.next().unwrap_or(Value::Null);
        if !display.is_null() {
            o.insert("display".into(), display);
        }
        let kind = match relation {
            Relation::Groups(_) => Value::String("direct".into()),
            _ => cells.next().unwrap_or(Value::Null),
        };
        o.insert("type".into(), kind);
        out.push(Value::Object(o));
    }
    Ok(out)
}

/// The stored resource of a row read with `relation`: its document text, with the relation's
/// elements (`members` or `groups`) spliced in when there are any.
pub(crate) fn stored(row: StoredRow, relation: Relation<'_>) -> Result<Stored, StoreError> {
    let name = match relation {
        Relation::Members => "members",
        _ => "groups",
    };
    let items = match (&row.relation, relation) {
        (Some(json), Relation::Members | Relation::Groups(_)) => elements(relation, json)?,
        _ => Vec::new(),
    };
    let doc = row.document;
    if !doc.starts_with('{') || !doc.ends_with('}') {
        return Err(corrupt("a stored document is not an object"));
    }
    let text = if items.is_empty() {
        doc
    } else {
        let items = serde_json::to_string(&items).map_err(StoreError::backend)?;
        let body = &doc[..doc.len() - 1];
        let comma = if body.trim_end().ends_with('{') {
            ""
        } else {
            ","
        };
        format!("{body}{comma}\"{name}\":{items}}}")
    };
    Ok(Stored::new(
        row.id,
        Version(row.version),
        row.created,
        row.last_modified,
        Resource::from_json(Arc::from(text)),
    ))
}
