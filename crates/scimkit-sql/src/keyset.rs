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

use crate::fragment::{Fragment, Param};
use chrono::DateTime;
use scimkit_filter::{fold, AttrPath, AttrRef, AttributeFacts, SortOrder};
use scimkit_schema::ResourceSchema;
use serde_json::Value;

/// The id column of the resources table, as the stores alias it.
pub const ID_COLUMN: &str = "r.id";

/// A keyset position that cannot be bound to its column (a value of the wrong JSON type, or
/// not an instant for a dateTime key).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a keyset position's sort value does not fit its sort column")]
pub struct KeysetError;

/// What a key column holds for a sort value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    /// The string as it is (a case-exact attribute).
    Text,
    /// The string folded as the evaluator compares it (a `*_norm` column).
    Folded,
    /// The instant in microseconds since the epoch (`meta.created`, `meta.lastModified`: the
    /// evaluator orders dateTime values by instant).
    Instant,
}

/// A sort key held in a column of the resources table, with how a sort value maps onto it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyColumn {
    column: &'static str,
    held: Held,
    /// Whether every resource has a value (a `NOT NULL` column): no segment of absent keys.
    always_present: bool,
}

impl KeyColumn {
    /// The column that holds `by` for `schema`'s resources, when one does (`id`,
    /// `externalId`, `userName`, `displayName`, `meta.created`, `meta.lastModified`; other
    /// attributes live in the document only, and have no keyset index).
    pub fn for_sort(schema: &ResourceSchema<'_>, by: &AttrPath<'_>) -> Option<KeyColumn> {
        let resolved = schema.resolve(by.urn.as_deref(), &by.name)?;
        if resolved.extension.is_some() {
            return None;
        }
        let facts = schema.facts(&AttrRef {
            urn: by.urn.as_deref(),
            name: &by.name,
            sub_attr: None,
        });
        let key = |column, held, always_present| KeyColumn {
            column,
            held,
            always_present,
        };
        let sub = by.sub_attr.as_deref();
        Some(match (resolved.def.name.as_str(), sub) {
            ("id", None) if facts.case_exact => key(ID_COLUMN, Held::Text, true),
            ("externalId", None) if facts.case_exact => key("r.external_id", Held::Text, false),
            ("userName", None) if !facts.case_exact => key("r.user_name_norm", Held::Folded, false),
            ("displayName", None) if !facts.case_exact => {
                key("r.display_name_norm", Held::Folded, false)
            }
            ("meta", Some(s)) if s.eq_ignore_ascii_case("lastModified") => {
                key("r.last_modified", Held::Instant, true)
            }
            ("meta", Some(s)) if s.eq_ignore_ascii_case("created") => {
                key("r.created", Held::Instant, true)
            }
            _ => return None,
        })
    }

    /// The column's SQL name (e.g. `r.user_name_norm`).
    pub fn column(&self) -> &'static str {
        self.column
    }

    /// A position's sort value as the column holds it: `None` for an absent value (JSON
    /// `null`), the string (folded for a `*_norm` column) or the instant in microseconds
    /// otherwise.
    ///
    /// # Errors
    ///
    /// [`KeysetError`] for a value that is neither a string nor `null`, or not an RFC 3339
    /// instant to the microsecond for a dateTime column.
    pub fn value(&self, value: &Value) -> Result<Option<Param>, KeysetError> {
        let s = match value {
            Value::Null => return Ok(None),
            Value::String(s) => s,
            _ => return Err(KeysetError),
        };
        Ok(Some(match self.held {
            Held::Text => Param::Text(s.clone()),
            Held::Folded => Param::Text(fold(s).into_owned()),
            Held::Instant => {
                let t = DateTime::parse_from_rfc3339(s).map_err(|_| KeysetError)?;
                if t.timestamp_subsec_nanos() % 1_000 != 0 {
                    return Err(KeysetError);
                }
                Param::Int(t.timestamp_micros())
            }
        }))
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
type Bound<'p> = (Option<Param>, &'p str);

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
        let present = |bound: Option<(&Param, &str)>| {
            let condition = match bound {
                Some((v, id)) => {
                    // `IS NOT NULL`, implied by the comparison, said outright: SQLite uses a
                    // partial index (`WHERE key IS NOT NULL`) only when the query says it.
                    let mut c =
                        Fragment::sql(&format!("{col} IS NOT NULL AND ({col}, {ID_COLUMN}){cmp}("));
                    c.bind(v.clone()).push(", ").bind_text(id).push(")");
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
        // The absent keys' segment, bounded when the position is in it; none for a column
        // every resource has a value in (its segment is empty: not a statement to run).
        let absent = |bound: Option<&str>| {
            if key.always_present {
                return None;
            }
            let mut condition = Fragment::sql(&format!("{col} IS NULL"));
            if let Some(id) = bound {
                condition
                    .push(&format!(" AND {ID_COLUMN}{cmp}"))
                    .bind_text(id);
            }
            Some(Segment {
                condition: Some(condition),
                order: id_order.clone(),
            })
        };
        let segments = match (order, &bound) {
            (_, Some((None, _))) if key.always_present => return Err(KeysetError),
            (SortOrder::Ascending, None) => vec![Some(present(None)), absent(None)],
            (SortOrder::Ascending, Some((Some(v), id))) => {
                vec![Some(present(Some((v, id)))), absent(None)]
            }
            (SortOrder::Ascending, Some((None, id))) => vec![absent(Some(id))],
            (SortOrder::Descending, None) => vec![absent(None), Some(present(None))],
            (SortOrder::Descending, Some((None, id))) => {
                vec![absent(Some(id)), Some(present(None))]
            }
            (SortOrder::Descending, Some((Some(v), id))) => vec![Some(present(Some((v, id))))],
        };
        let segments: Vec<Segment> = segments.into_iter().flatten().collect();
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
        assert_eq!(key.value(&json!("ÄB")), Ok(Some(Param::Text("äb".into()))));
        assert_eq!(key.value(&Value::Null), Ok(None));
        assert_eq!(key.value(&json!(3)), Err(KeysetError));
        assert!(KeyColumn::for_sort(&u, &path("externalId")).is_some());
        assert!(KeyColumn::for_sort(&u, &path("name.familyName")).is_none());
        assert!(KeyColumn::for_sort(&u, &path("meta.version")).is_none());
        assert!(KeyColumn::for_sort(&u, &path("title")).is_none());
    }

    #[test]
    fn a_date_time_key_holds_the_instant_in_microseconds() {
        let u = users();
        let key = KeyColumn::for_sort(&u, &path("meta.lastModified")).unwrap();
        assert_eq!(key.column(), "r.last_modified");
        assert_eq!(
            key.value(&json!("1970-01-01T00:00:01.500Z")),
            Ok(Some(Param::Int(1_500_000)))
        );
        // The same instant in another offset is the same position.
        assert_eq!(
            key.value(&json!("1970-01-01T01:00:01.500+01:00")),
            Ok(Some(Param::Int(1_500_000)))
        );
        assert_eq!(key.value(&json!("yesterday")), Err(KeysetError));
        // Finer than the column: no position of a stored resource.
        assert_eq!(
            key.value(&json!("1970-01-01T00:00:01.0000005Z")),
            Err(KeysetError)
        );
        let created = KeyColumn::for_sort(&u, &path("meta.created")).unwrap();
        assert_eq!(created.column(), "r.created");
    }

    #[test]
    fn a_key_every_resource_has_reads_one_segment() {
        let key = KeyColumn::for_sort(&users(), &path("meta.lastModified"));
        for order in [SortOrder::Ascending, SortOrder::Descending] {
            let first = KeysetSql::new(key, order, None).unwrap();
            assert_eq!(first.segments.len(), 1, "{order:?}");
            let v = json!("2026-12-01T08:00:00.000Z");
            let next = KeysetSql::new(key, order, Some((&v, "i"))).unwrap();
            let cmp = if order == SortOrder::Ascending {
                '>'
            } else {
                '<'
            };
            assert_eq!(
                texts(&next),
                [(
                    Some(format!(
                        "r.last_modified IS NOT NULL AND (r.last_modified, r.id) {cmp} (?, ?)"
                    )),
                    match order {
                        SortOrder::Ascending => "r.last_modified ASC, r.id ASC".to_string(),
                        SortOrder::Descending => "r.last_modified DESC, r.id DESC".to_string(),
                    }
                )]
            );
            assert_eq!(
                KeysetSql::new(key, order, Some((&Value::Null, "i"))),
                Err(KeysetError)
            );
        }
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
