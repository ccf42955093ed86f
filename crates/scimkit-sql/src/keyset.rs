//! Keyset pages in SQL, dialect-neutral: the conditions and orders that read "the resources
//! after a position, in keyset order" (docs/paging.md, "The store's side") as
//! [`Fragment`]s a backend appends to its query.
//!
//! The keyset order is the sort key, then `id` by bytes; absent sort values come after every
//! present one ascending, so descending is ascending reversed. SQL's `NULL` handling makes that
//! awkward to say in one indexable condition (`(key, id) > (?, ?) OR key IS NULL` defeats a
//! range scan), so the order is split into **segments**, each a plain index range:
//!
//! | order | segments (in order) |
//! |---|---|
//! | no `sortBy` | `id` |
//! | ascending | present keys by `(key, id)`, then absent keys by `id` |
//! | descending | absent keys by `id` descending, then present keys by `(key, id)` descending |
//!
//! A position drops the segments before its own and bounds its own with one row comparison
//! (`(key, id) > (?, ?)`, or `key IS NULL AND id > ?`). A backend reads the segments one
//! after another until its page is full; each is served by an index on
//! `(tenant, type, key, id)` (or `(tenant, type, id)`) with no sort.
//!
//! The id column must compare by bytes (`COLLATE "C"` on PostgreSQL, SQLite's default
//! `BINARY`), and a key column must hold what the evaluator compares: [`KeyColumn::value`]
//! binds a position's value folded exactly as the column was written.

use crate::fragment::Fragment;
use scimkit_filter::{fold, AttrPath, AttrRef, AttributeFacts, SortOrder};
use scimkit_schema::ResourceSchema;
use serde_json::Value;

/// The id column of the resources table, as the stores alias it.
pub const ID_COLUMN: &str = "r.id";

/// A keyset position that cannot be bound to its column (a value of the wrong JSON type).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a keyset position's sort value is not a string")]
pub struct KeysetError;

/// A sort key held in a column of the resources table, with how a sort value maps onto it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyColumn {
    column: &'static str,
    folded: bool,
}

impl KeyColumn {
    /// The column that holds `by` for `schema`'s resources, when one does (`id`,
    /// `externalId`, `userName`, `displayName`; other attributes live in the document only,
    /// and have no keyset index).
    pub fn for_sort(schema: &ResourceSchema<'_>, by: &AttrPath<'_>) -> Option<KeyColumn> {
        if by.sub_attr.is_some() {
            return None;
        }
        let resolved = schema.resolve(by.urn.as_deref(), &by.name)?;
        if resolved.extension.is_some() {
            return None;
        }
        let facts = schema.facts(&AttrRef {
            urn: by.urn.as_deref(),
            name: &by.name,
            sub_attr: None,
        });
        let (column, folded) = match resolved.def.name.as_str() {
            "id" if facts.case_exact => (ID_COLUMN, false),
            "externalId" if facts.case_exact => ("r.external_id", false),
            "userName" if !facts.case_exact => ("r.user_name_norm", true),
            "displayName" if !facts.case_exact => ("r.display_name_norm", true),
            _ => return None,
        };
        Some(KeyColumn { column, folded })
    }

    /// The column's SQL name (e.g. `r.user_name_norm`).
    pub fn column(&self) -> &'static str {
        self.column
    }

    /// A position's sort value as the column holds it: `None` for an absent value (JSON
    /// `null`), the string (folded for a `*_norm` column) otherwise.
    ///
    /// # Errors
    ///
    /// [`KeysetError`] for a value that is neither a string nor `null`.
    pub fn value(&self, value: &Value) -> Result<Option<String>, KeysetError> {
        match value {
            Value::Null => Ok(None),
            Value::String(s) if self.folded => Ok(Some(fold(s).into_owned())),
            Value::String(s) => Ok(Some(s.clone())),
            _ => Err(KeysetError),
        }
    }
}

/// One index range of a keyset order: a condition (`None`: every match) and its `ORDER BY`
/// list (without the words `ORDER BY`).
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// What the segment adds to the query's condition.
    pub condition: Option<Fragment>,
    /// The segment's order.
    pub order: Fragment,
}

/// A keyset query as SQL: its segments, in order, and the condition "after the position" as
/// a whole (for counting the matches after it).
#[derive(Debug, Clone, PartialEq)]
pub struct KeysetSql {
    /// The segments to read, in order.
    pub segments: Vec<Segment>,
    /// Every resource after the position (`None`: no position, every resource).
    pub after: Option<Fragment>,
}

/// The position of a keyset query: the sort value as the column holds it, and the id.
type Bound<'p> = (Option<String>, &'p str);

impl KeysetSql {
    /// The segments of the keyset order on `key` (`None`: no `sortBy`, `id` order) in
    /// `order`, after the position `(value, id)` when one is given.
    ///
    /// # Errors
    ///
    /// [`KeysetError`] when the position's value does not fit the key's column.
    pub fn new(
        key: Option<KeyColumn>,
        order: SortOrder,
        after: Option<(&Value, &str)>,
    ) -> Result<KeysetSql, KeysetError> {
        let (cmp, dir) = match order {
            SortOrder::Ascending => (" > ", " ASC"),
            SortOrder::Descending => (" < ", " DESC"),
        };
        let id_order = Fragment::sql(&format!("{ID_COLUMN}{dir}"));
        let Some(key) = key else {
            let condition = after.map(|(_, id)| {
                let mut c = Fragment::sql(&format!("{ID_COLUMN}{cmp}"));
                c.bind_text(id);
                c
            });
            return Ok(KeysetSql {
                after: condition.clone(),
                segments: vec![Segment {
                    condition,
                    order: id_order,
                }],
            });
        };
        let bound: Option<Bound<'_>> = match after {
            Some((value, id)) => Some((key.value(value)?, id)),
            None => None,
        };
        let col = key.column();
        // The present keys' segment, bounded when the position is in it.
        let present = |bound: Option<(&str, &str)>| {
            let condition = match bound {
                Some((v, id)) => {
                    // `IS NOT NULL`, implied by the comparison, said outright: SQLite uses a
                    // partial index (`WHERE key IS NOT NULL`) only when the query says it.
                    let mut c =
                        Fragment::sql(&format!("{col} IS NOT NULL AND ({col}, {ID_COLUMN}){cmp}("));
                    c.bind_text(v).push(", ").bind_text(id).push(")");
                    c
                }
                None => Fragment::sql(&format!("{col} IS NOT NULL")),
            };
            Segment {
                condition: Some(condition),
                order: Fragment::sql(&format!("{col}{dir}, {ID_COLUMN}{dir}")),
            }
        };
        // The absent keys' segment, bounded when the position is in it.
        let absent = |bound: Option<&str>| {
            let mut condition = Fragment::sql(&format!("{col} IS NULL"));
            if let Some(id) = bound {
                condition
                    .push(&format!(" AND {ID_COLUMN}{cmp}"))
                    .bind_text(id);
            }
            Segment {
                condition: Some(condition),
                order: id_order.clone(),
            }
        };
        let segments = match (order, &bound) {
            (SortOrder::Ascending, None) => vec![present(None), absent(None)],
            (SortOrder::Ascending, Some((Some(v), id))) => {
                vec![present(Some((v, id))), absent(None)]
            }
            (SortOrder::Ascending, Some((None, id))) => vec![absent(Some(id))],
            (SortOrder::Descending, None) => vec![absent(None), present(None)],
            (SortOrder::Descending, Some((None, id))) => vec![absent(Some(id)), present(None)],
            (SortOrder::Descending, Some((Some(v), id))) => vec![present(Some((v, id)))],
        };
        let after = bound.is_some().then(|| any_of(&segments));
        Ok(KeysetSql { segments, after })
    }
}

/// The disjunction of the segments' conditions.
fn any_of(segments: &[Segment]) -> Fragment {
    let mut out = Fragment::new();
    for (i, s) in segments.iter().enumerate() {
        if i > 0 {
            out.push(" OR ");
        }
        match &s.condition {
            Some(c) => {
                out.push("(").append(c.clone()).push(")");
            }
            None => {
                out.push("TRUE");
            }
        }
    }
    out
}

/// How a store orders a keyset page of a sort: `None` when it cannot (the sort key lives in
/// the document only: the dispatcher's `finish_keyset_query` orders the candidates);
/// `Some(None)` in `id` order (no `sortBy`); `Some(Some(column))` by a key column.
pub fn key_of(
    schema: &ResourceSchema<'_>,
    sort: Option<&AttrPath<'_>>,
) -> Option<Option<KeyColumn>> {
    match sort {
        None => Some(None),
        Some(by) => KeyColumn::for_sort(schema, by).map(Some),
    }
}

/// `a AND b`, either of which may be absent.
pub fn and(a: Option<&Fragment>, b: Option<&Fragment>) -> Option<Fragment> {
    match (a, b) {
        (None, None) => None,
        (Some(x), None) | (None, Some(x)) => Some(x.clone()),
        (Some(x), Some(y)) => {
            let mut out = Fragment::sql("(");
            out.append(x.clone())
                .push(") AND (")
                .append(y.clone())
                .push(")");
            Some(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn users() -> ResourceSchema<'static> {
        let registry = Box::leak(Box::new(scimkit_schema::Registry::standard()));
        registry.resource_type("User").unwrap()
    }

    fn path(s: &'static str) -> AttrPath<'static> {
        scimkit_filter::parse_attr_path(s).unwrap()
    }

    fn texts(k: &KeysetSql) -> Vec<(Option<String>, String)> {
        k.segments
            .iter()
            .map(|s| {
                (
                    s.condition.as_ref().map(Fragment::to_sql_text),
                    s.order.to_sql_text(),
                )
            })
            .collect()
    }

    #[test]
    fn only_column_keys_have_a_key_column() {
        let u = users();
        let key = KeyColumn::for_sort(&u, &path("userName")).unwrap();
        assert_eq!(key.column(), "r.user_name_norm");
        assert_eq!(key.value(&json!("ÄB")), Ok(Some("äb".into())));
        assert_eq!(key.value(&Value::Null), Ok(None));
        assert_eq!(key.value(&json!(3)), Err(KeysetError));
        assert!(KeyColumn::for_sort(&u, &path("externalId")).is_some());
        assert!(KeyColumn::for_sort(&u, &path("name.familyName")).is_none());
        assert!(KeyColumn::for_sort(&u, &path("meta.created")).is_none());
        assert!(KeyColumn::for_sort(&u, &path("title")).is_none());
    }

    #[test]
    fn ascending_reads_present_then_absent_keys() {
        let key = KeyColumn::for_sort(&users(), &path("userName"));
        let first = KeysetSql::new(key, SortOrder::Ascending, None).unwrap();
        assert_eq!(
            texts(&first),
            [
                (
                    Some("r.user_name_norm IS NOT NULL".into()),
                    "r.user_name_norm ASC, r.id ASC".into()
                ),
                (Some("r.user_name_norm IS NULL".into()), "r.id ASC".into()),
            ]
        );
        assert_eq!(first.after, None);
        let v = json!("B");
        let next = KeysetSql::new(key, SortOrder::Ascending, Some((&v, "i"))).unwrap();
        assert_eq!(
            texts(&next)[0].0.as_deref(),
            Some("r.user_name_norm IS NOT NULL AND (r.user_name_norm, r.id) > (?, ?)")
        );
        assert_eq!(
            next.after.as_ref().map(Fragment::to_sql_text).as_deref(),
            Some("(r.user_name_norm IS NOT NULL AND (r.user_name_norm, r.id) > (?, ?)) OR (r.user_name_norm IS NULL)")
        );
        // The folded value is bound, then the id.
        let binds: Vec<_> = next.segments[0]
            .condition
            .as_ref()
            .map(|c| c.pieces().to_vec())
            .unwrap_or_default();
        assert!(
            binds.contains(&crate::fragment::Piece::Bind(crate::fragment::Param::Text(
                "b".into()
            )))
        );
        let in_absent =
            KeysetSql::new(key, SortOrder::Ascending, Some((&Value::Null, "i"))).unwrap();
        assert_eq!(
            texts(&in_absent),
            [(
                Some("r.user_name_norm IS NULL AND r.id > ?".into()),
                "r.id ASC".into()
            )]
        );
    }

    #[test]
    fn descending_is_ascending_reversed() {
        let key = KeyColumn::for_sort(&users(), &path("userName"));
        let first = KeysetSql::new(key, SortOrder::Descending, None).unwrap();
        assert_eq!(
            texts(&first),
            [
                (Some("r.user_name_norm IS NULL".into()), "r.id DESC".into()),
                (
                    Some("r.user_name_norm IS NOT NULL".into()),
                    "r.user_name_norm DESC, r.id DESC".into()
                ),
            ]
        );
        let in_absent =
            KeysetSql::new(key, SortOrder::Descending, Some((&Value::Null, "i"))).unwrap();
        assert_eq!(texts(&in_absent).len(), 2);
        assert_eq!(
            texts(&in_absent)[0].0.as_deref(),
            Some("r.user_name_norm IS NULL AND r.id < ?")
        );
        let v = json!("b");
        let in_present = KeysetSql::new(key, SortOrder::Descending, Some((&v, "i"))).unwrap();
        assert_eq!(
            texts(&in_present),
            [(
                Some("r.user_name_norm IS NOT NULL AND (r.user_name_norm, r.id) < (?, ?)".into()),
                "r.user_name_norm DESC, r.id DESC".into()
            )]
        );
    }

    #[test]
    fn without_sort_by_the_order_is_id() {
        let first = KeysetSql::new(None, SortOrder::Ascending, None).unwrap();
        assert_eq!(texts(&first), [(None, "r.id ASC".into())]);
        let next = KeysetSql::new(None, SortOrder::Ascending, Some((&Value::Null, "x"))).unwrap();
        assert_eq!(texts(&next), [(Some("r.id > ?".into()), "r.id ASC".into())]);
        assert_eq!(
            and(next.after.as_ref(), Some(&Fragment::sql("a")))
                .map(|f| f.to_sql_text())
                .as_deref(),
            Some("(r.id > ?) AND (a)")
        );
    }

    #[test]
    fn a_position_of_the_wrong_type_is_an_error() {
        let key = KeyColumn::for_sort(&users(), &path("userName"));
        let v = json!({"x": 1});
        assert_eq!(
            KeysetSql::new(key, SortOrder::Ascending, Some((&v, "i"))),
            Err(KeysetError)
        );
    }
}
