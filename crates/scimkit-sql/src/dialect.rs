//! What differs between SQL databases in the conditions the translator writes.
//!
//! The translator ([`crate::translate`]) decides *what* to test; a [`Dialect`] says how the
//! database spells it: reading a value out of a JSON document, iterating a JSON array, a
//! substring test, a trigram text search. [`SqliteDialect`] is SQLite's; [`PostgresDialect`]
//! (`jsonb` operators, `generate_series` over array positions, `LIKE` served by `pg_trgm`
//! indexes, the `"C"` collation for code-point order) implements the same trait.
//!
//! Every method writes a **two-valued** expression (never SQL `NULL`), so that the translator
//! can negate any condition with `NOT` and get the negation RFC 7644 asks for.

use crate::fragment::Fragment;

/// Where a JSON value lives: a path from the root of a document column, or a sub-attribute of
/// the element a [`Dialect::json_elements`] iteration is at.
#[derive(Debug, Clone, Copy)]
pub enum JsonAt<'a> {
    /// `doc` at the path of `segments` (object keys, from the root).
    Path {
        /// The document column, e.g. `r.document`.
        doc: &'a str,
        /// Object keys from the root.
        segments: &'a [&'a str],
    },
    /// The current element of the iteration named `alias` over `doc`, or its sub-attribute
    /// `sub`.
    Element {
        /// The document column the element lives in (the iteration may be over another
        /// document of the same shape).
        doc: &'a str,
        /// The iteration's alias.
        alias: &'a str,
        /// The element's sub-attribute, if any.
        sub: Option<&'a str>,
    },
}

/// The JSON types a condition can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonKind {
    /// A string.
    Text,
    /// A number (integer or not).
    Number,
    /// `true`.
    True,
    /// `false`.
    False,
}

/// How a database spells the conditions of a translated filter.
pub trait Dialect: Send + Sync {
    /// True when the value at `at` exists and is of one of `kinds`.
    fn json_is(&self, out: &mut Fragment, at: JsonAt<'_>, kinds: &[JsonKind]);

    /// True when the value at `at` exists and is not JSON `null`.
    fn json_not_null(&self, out: &mut Fragment, at: JsonAt<'_>);

    /// The value at `at` as an SQL scalar (text for a JSON string, a number for a JSON number);
    /// only used where [`Dialect::json_is`] has established its kind.
    fn json_value(&self, out: &mut Fragment, at: JsonAt<'_>);

    /// True when the value at `at` is present in the sense of SCIM `pr`: some string,
    /// number or boolean inside it that is not the empty string.
    fn json_present(&self, out: &mut Fragment, at: JsonAt<'_>);

    /// A `FROM` item iterating the elements of the array at `segments` in `doc`, named `alias`.
    fn json_elements(&self, out: &mut Fragment, doc: &str, segments: &[&str], alias: &str);

    /// True when the (non-null) text `haystack` contains the non-empty `needle`.
    fn contains(&self, out: &mut Fragment, haystack: &Fragment, needle: &str);

    /// True when the (non-null) text `haystack` ends with the non-empty `needle`.
    fn ends_with(&self, out: &mut Fragment, haystack: &Fragment, needle: &str);

    /// A sub-query selecting the primary keys of the resources whose trigram-indexed text
    /// column `column` contains `needle` (at least three characters), if the database has
    /// such an index; the caller re-checks the candidates.
    fn text_search(&self, out: &mut Fragment, column: &str, needle: &str) -> bool;

    /// A condition that is always `value` (SQLite's default: `1` or `0`).
    fn constant(&self, out: &mut Fragment, value: bool) {
        out.push(if value { "1" } else { "0" });
    }

    /// True when the boolean column `col` holds `value` (SQLite's default: `col IS 1`).
    fn bool_is(&self, out: &mut Fragment, col: &str, value: bool) {
        out.push(col).push(if value { " IS 1" } else { " IS 0" });
    }

    /// The number at `at` as an SQL number; only used where [`Dialect::json_is`] has
    /// established it is one. The default is [`Dialect::json_value`] (SQLite's values are
    /// dynamically typed).
    fn json_number(&self, out: &mut Fragment, at: JsonAt<'_>) {
        self.json_value(out, at);
    }
}

/// SQLite's spelling: the JSON1 functions (`json_type`, `json_extract`, `json_each`,
/// `json_tree`), `instr`/`substr`, and the FTS5 `trigram` table `resource_text`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SqliteDialect;

/// A JSON path `$."a"."b"` for SQLite.
fn sqlite_path(segments: &[&str]) -> String {
    let mut p = String::from("$");
    for s in segments {
        p.push_str(".\"");
        p.push_str(s);
        p.push('"');
    }
    p
}

impl SqliteDialect {
    /// Writes `doc, path` (the two arguments of the JSON functions).
    fn args(out: &mut Fragment, at: JsonAt<'_>) {
        match at {
            JsonAt::Path { doc, segments } => {
                out.push(doc).push(", ").bind_text(sqlite_path(segments));
            }
            JsonAt::Element { doc, alias, sub } => {
                out.push(doc).push(", ").push(alias).push(".fullkey");
                if let Some(sub) = sub {
                    out.push(" || ").bind_text(sqlite_path(&[sub]).split_off(1));
                }
            }
        }
    }
}

impl Dialect for SqliteDialect {
    fn json_is(&self, out: &mut Fragment, at: JsonAt<'_>, kinds: &[JsonKind]) {
        out.push("coalesce(json_type(");
        Self::args(out, at);
        out.push(") IN (");
        let mut first = true;
        for kind in kinds {
            let names: &[&str] = match kind {
                JsonKind::Text => &["'text'"],
                JsonKind::Number => &["'integer'", "'real'"],
                JsonKind::True => &["'true'"],
                JsonKind::False => &["'false'"],
            };
            for n in names {
                if !first {
                    out.push(", ");
                }
                first = false;
                out.push(n);
            }
        }
        out.push("), 0)");
    }

    fn json_not_null(&self, out: &mut Fragment, at: JsonAt<'_>) {
        out.push("coalesce(json_type(");
        Self::args(out, at);
        out.push("), 'null') <> 'null'");
    }

    fn json_value(&self, out: &mut Fragment, at: JsonAt<'_>) {
        out.push("json_extract(");
        Self::args(out, at);
        out.push(")");
    }

    fn json_present(&self, out: &mut Fragment, at: JsonAt<'_>) {
        out.push("EXISTS (SELECT 1 FROM json_tree(");
        Self::args(out, at);
        out.push(
            ") WHERE type IN ('integer', 'real', 'true', 'false') \
             OR (type = 'text' AND atom <> ''))",
        );
    }

    fn json_elements(&self, out: &mut Fragment, doc: &str, segments: &[&str], alias: &str) {
        out.push("json_each(")
            .push(doc)
            .push(", ")
            .bind_text(sqlite_path(segments))
            .push(") AS ")
            .push(alias);
    }

    fn contains(&self, out: &mut Fragment, haystack: &Fragment, needle: &str) {
        out.push("instr(")
            .append(haystack.clone())
            .push(", ")
            .bind_text(needle)
            .push(") > 0");
    }

    fn ends_with(&self, out: &mut Fragment, haystack: &Fragment, needle: &str) {
        let chars = i64::try_from(needle.chars().count()).unwrap_or(i64::MAX);
        out.push("substr(")
            .append(haystack.clone())
            .push(", ")
            .bind_int(-chars)
            .push(") = ")
            .bind_text(needle);
    }

    fn text_search(&self, out: &mut Fragment, _column: &str, needle: &str) -> bool {
        let chars: Vec<char> = needle.chars().collect();
        if chars.len() < 3 {
            return false;
        }
        // The index keeps no positions or columns (migration 0002): the rows holding every
        // trigram of the needle are candidates, re-checked by the caller's condition. At most
        // 16 trigrams, evenly spread, the last included. An FTS5 string per trigram, its
        // quotes doubled; bound, never spliced.
        let count = chars.len() - 2;
        let step = count.div_ceil(16).max(1);
        let mut starts: Vec<usize> = (0..count).step_by(step).collect();
        if starts.last() != Some(&(count - 1)) {
            starts.push(count - 1);
        }
        let query = starts
            .iter()
            .map(|&i| {
                let t: String = chars[i..i + 3].iter().collect();
                format!("\"{}\"", t.replace('"', "\"\""))
            })
            .collect::<Vec<_>>()
            .join(" AND ");
        out.push("SELECT rowid FROM resource_text WHERE resource_text MATCH ")
            .bind_text(query);
        true
    }
}

/// PostgreSQL's spelling: `jsonb` operators (`->`, `#>`, `jsonb_typeof`, `jsonb_path_exists`),
/// array elements as `text[]` paths from `generate_series` (so the same position is read in
/// the document and in its folded mirror), `LIKE` for substrings (answered by the `pg_trgm`
/// GIN indexes on the `*_norm` columns, so [`Dialect::text_search`] adds nothing), and
/// `COLLATE "C"` on every extracted string so that comparisons are by code point, as the
/// evaluator compares (the schema declares its text columns `COLLATE "C"` too).
#[derive(Debug, Clone, Copy, Default)]
pub struct PostgresDialect;

impl PostgresDialect {
    /// Writes the `jsonb` expression for the value at `at` (SQL `NULL` when absent).
    fn at(out: &mut Fragment, at: JsonAt<'_>) {
        match at {
            JsonAt::Path { doc, segments } => {
                out.push("(").push(doc);
                for s in segments {
                    out.push(" -> ").bind_text(*s);
                }
                out.push(")");
            }
            JsonAt::Element { doc, alias, sub } => {
                out.push("(")
                    .push(doc)
                    .push(" #> ")
                    .push(alias)
                    .push(".path");
                if let Some(sub) = sub {
                    out.push(" -> ").bind_text(sub);
                }
                out.push(")");
            }
        }
    }

    /// A `LIKE` pattern matching `needle` literally (`\`, `%` and `_` escaped with `\`,
    /// PostgreSQL's default escape character).
    fn like_literal(needle: &str) -> String {
        let mut p = String::with_capacity(needle.len() + 2);
        for c in needle.chars() {
            if matches!(c, '\\' | '%' | '_') {
                p.push('\\');
            }
            p.push(c);
        }
        p
    }
}

impl Dialect for PostgresDialect {
    fn json_is(&self, out: &mut Fragment, at: JsonAt<'_>, kinds: &[JsonKind]) {
        out.push("coalesce(");
        let mut first = true;
        for kind in kinds {
            if !first {
                out.push(" OR ");
            }
            first = false;
            match kind {
                JsonKind::Text | JsonKind::Number => {
                    out.push("jsonb_typeof(");
                    Self::at(out, at);
                    out.push(if *kind == JsonKind::Text {
                        ") = 'string'"
                    } else {
                        ") = 'number'"
                    });
                }
                JsonKind::True | JsonKind::False => {
                    Self::at(out, at);
                    out.push(if *kind == JsonKind::True {
                        " = 'true'::jsonb"
                    } else {
                        " = 'false'::jsonb"
                    });
                }
            }
        }
        if first {
            out.push("false");
        }
        out.push(", false)");
    }

    fn json_not_null(&self, out: &mut Fragment, at: JsonAt<'_>) {
        out.push("coalesce(jsonb_typeof(");
        Self::at(out, at);
        out.push(") <> 'null', false)");
    }

    fn json_value(&self, out: &mut Fragment, at: JsonAt<'_>) {
        out.push("(");
        Self::at(out, at);
        out.push(r#" #>> '{}') COLLATE "C""#);
    }

    fn json_number(&self, out: &mut Fragment, at: JsonAt<'_>) {
        // A CASE, so the cast never sees another type whatever order PostgreSQL evaluates
        // the surrounding conjunction in.
        out.push("(CASE WHEN jsonb_typeof(");
        Self::at(out, at);
        out.push(") = 'number' THEN (");
        Self::at(out, at);
        out.push(")::numeric END)");
    }

    fn json_present(&self, out: &mut Fragment, at: JsonAt<'_>) {
        out.push("coalesce(jsonb_path_exists(");
        Self::at(out, at);
        out.push(
            r#", 'strict $.** ? (@.type() == "number" || @.type() == "boolean" || (@.type() == "string" && @ != ""))'), false)"#,
        );
    }

    fn json_elements(&self, out: &mut Fragment, doc: &str, segments: &[&str], alias: &str) {
        let array = |out: &mut Fragment| {
            Self::at(out, JsonAt::Path { doc, segments });
        };
        out.push("(SELECT ARRAY[");
        for s in segments {
            out.bind_text(*s).push("::text, ");
        }
        out.push(
            "g.i::text] AS path FROM generate_series(0, jsonb_array_length(CASE WHEN jsonb_typeof(",
        );
        array(out);
        out.push(") = 'array' THEN ");
        array(out);
        out.push(" ELSE '[]'::jsonb END) - 1) AS g(i)) AS ")
            .push(alias);
    }

    fn contains(&self, out: &mut Fragment, haystack: &Fragment, needle: &str) {
        out.append(haystack.clone())
            .push(" LIKE ")
            .bind_text(format!("%{}%", Self::like_literal(needle)));
    }

    fn ends_with(&self, out: &mut Fragment, haystack: &Fragment, needle: &str) {
        out.append(haystack.clone())
            .push(" LIKE ")
            .bind_text(format!("%{}", Self::like_literal(needle)));
    }

    fn text_search(&self, _out: &mut Fragment, _column: &str, _needle: &str) -> bool {
        false
    }

    fn constant(&self, out: &mut Fragment, value: bool) {
        out.push(if value { "TRUE" } else { "FALSE" });
    }

    fn bool_is(&self, out: &mut Fragment, col: &str, value: bool) {
        out.push(col)
            .push(if value { " IS TRUE" } else { " IS FALSE" });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_match_the_needle_literally() {
        assert_eq!(PostgresDialect::like_literal(r"a%b_c\d"), r"a\%b\_c\\d");
        let mut out = Fragment::new();
        PostgresDialect.contains(&mut out, &Fragment::sql("r.x"), "50%");
        assert_eq!(out.to_sql_text(), "r.x LIKE ?");
        assert_eq!(
            out.pieces()[1],
            crate::fragment::Piece::Bind(crate::fragment::Param::Text(r"%50\%%".into()))
        );
    }
}
