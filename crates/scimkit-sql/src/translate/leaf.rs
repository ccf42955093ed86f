//! Conditions on one value: a typed column, or a value inside a JSON document.
//!
//! Each function writes a two-valued condition that is true when the value exists and
//! satisfies a [`Positive`] test, with the evaluator's semantics (`scimkit_filter::matches`):
//! strings compare by their `fold` keys unless `caseExact` (the `*_norm` columns and the folded
//! mirror hold the keys, so SQL compares them exactly, by code point); numbers numerically;
//! values of another JSON type than the comparison value never match.

use super::test::{Positive, Val};
use crate::dialect::{Dialect, JsonAt, JsonKind};
use crate::fragment::{Fragment, Param};
use chrono::DateTime;
use scimkit_filter::{fold, AttrFacts, AttrType, CompareOp};

/// Where one value lives.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Leaf<'a> {
    /// A text column holding strings only, folded when `folded`. `search`: the trigram
    /// index column and the primary-key expression of the row it indexes.
    Text {
        col: &'a str,
        folded: bool,
        search: Option<(&'static str, &'a str)>,
    },
    /// A boolean column (1, 0 or NULL).
    Bool { col: &'a str },
    /// A timestamp column in microseconds since the epoch (never NULL).
    Time { col: &'a str },
    /// A value in the document (`doc`), whose folded form is at `folded`.
    Json {
        doc: JsonAt<'a>,
        folded: JsonAt<'a>,
        facts: AttrFacts,
    },
}

/// The condition, or `None` when it is not translated (it stays residual).
pub(crate) fn positive(d: &dyn Dialect, leaf: Leaf<'_>, p: &Positive) -> Option<Fragment> {
    let mut out = Fragment::new();
    match leaf {
        Leaf::Text {
            col,
            folded,
            search,
        } => match p {
            Positive::Present => {
                out.push("(").push(col).push(" IS NOT NULL AND ");
                out.push(col).push(" <> '')");
            }
            Positive::NotNull => {
                out.push(col).push(" IS NOT NULL");
            }
            Positive::Compare(op, Val::Text(s)) => {
                let key = if folded {
                    fold(s).into_owned()
                } else {
                    s.clone()
                };
                // `col IS NOT NULL AND …`: two-valued, and it lets SQLite use the partial
                // indexes (`WHERE col IS NOT NULL`).
                out.push("(").push(col).push(" IS NOT NULL AND ");
                text_op(d, &mut out, &Fragment::sql(col), *op, &key, search);
                out.push(")");
            }
            Positive::Compare(..) => d.constant(&mut out, false),
        },
        Leaf::Bool { col } => match p {
            Positive::Present | Positive::NotNull => {
                out.push(col).push(" IS NOT NULL");
            }
            Positive::Compare(op, Val::Bool(b)) => {
                let set = bool_order(*op, *b);
                match set {
                    [] => d.constant(&mut out, false),
                    [one] => d.bool_is(&mut out, col, *one),
                    _ => {
                        out.push(col).push(" IS NOT NULL");
                    }
                };
            }
            Positive::Compare(..) => d.constant(&mut out, false),
        },
        Leaf::Time { col } => match p {
            Positive::Present | Positive::NotNull => d.constant(&mut out, true),
            Positive::Compare(op, Val::Text(s)) => time_op(d, &mut out, col, *op, s)?,
            Positive::Compare(..) => d.constant(&mut out, false),
        },
        Leaf::Json { doc, folded, facts } => match p {
            Positive::Present => d.json_present(&mut out, doc),
            Positive::NotNull => d.json_not_null(&mut out, doc),
            Positive::Compare(op, Val::Text(s)) => {
                if facts.kind == AttrType::DateTime {
                    return None;
                }
                let (at, key) = if facts.case_exact {
                    (doc, s.clone())
                } else {
                    (folded, fold(s).into_owned())
                };
                out.push("(");
                d.json_is(&mut out, at, &[JsonKind::Text]);
                if !(is_substring(*op) && key.is_empty()) {
                    let mut value = Fragment::new();
                    d.json_value(&mut value, at);
                    out.push(" AND ");
                    text_op(d, &mut out, &value, *op, &key, None);
                }
                out.push(")");
            }
            Positive::Compare(op, Val::Number(n)) => {
                if is_substring(*op) {
                    d.constant(&mut out, false);
                } else {
                    let param = if let Some(i) = n.as_i64() {
                        Param::Int(i)
                    } else if n.as_u64().is_some() {
                        return None;
                    } else {
                        Param::Real(n.as_f64().filter(|f| f.is_finite())?)
                    };
                    out.push("(");
                    d.json_is(&mut out, doc, &[JsonKind::Number]);
                    out.push(" AND ");
                    d.json_number(&mut out, doc);
                    out.push(sql_op(*op)).bind(param).push(")");
                }
            }
            Positive::Compare(op, Val::Bool(b)) => {
                let kinds: Vec<JsonKind> = bool_order(*op, *b)
                    .iter()
                    .map(|v| if *v { JsonKind::True } else { JsonKind::False })
                    .collect();
                if kinds.is_empty() {
                    d.constant(&mut out, false);
                } else {
                    d.json_is(&mut out, doc, &kinds);
                }
            }
            Positive::Compare(_, Val::Null) => d.constant(&mut out, false),
        },
    }
    Some(out)
}

fn is_substring(op: CompareOp) -> bool {
    matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
}

fn sql_op(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Gt => " > ",
        CompareOp::Ge => " >= ",
        CompareOp::Lt => " < ",
        CompareOp::Le => " <= ",
        _ => " = ",
    }
}

/// The booleans `b'` with `b' op b` (the evaluator orders `false` before `true`).
fn bool_order(op: CompareOp, b: bool) -> &'static [bool] {
    match (op, b) {
        (CompareOp::Eq, true) | (CompareOp::Ge, true) | (CompareOp::Gt, false) => &[true],
        (CompareOp::Eq, false) | (CompareOp::Le, false) | (CompareOp::Lt, true) => &[false],
        (CompareOp::Le, true) | (CompareOp::Ge, false) => &[true, false],
        _ => &[],
    }
}

/// `value op key` on a non-null text value.
fn text_op(
    d: &dyn Dialect,
    out: &mut Fragment,
    value: &Fragment,
    op: CompareOp,
    key: &str,
    search: Option<(&'static str, &str)>,
) {
    if is_substring(op) && key.is_empty() {
        d.constant(out, true);
        return;
    }
    match op {
        CompareOp::Co | CompareOp::Ew => {
            if let Some((column, pk)) = search {
                let mut sub = Fragment::new();
                if d.text_search(&mut sub, column, key) {
                    out.push(pk).push(" IN (").append(sub).push(") AND ");
                }
            }
            if op == CompareOp::Co {
                d.contains(out, value, key);
            } else {
                d.ends_with(out, value, key);
            }
        }
        CompareOp::Sw => {
            out.append(value.clone()).push(" >= ").bind_text(key);
            if let Some(upper) = prefix_successor(key) {
                out.push(" AND ")
                    .append(value.clone())
                    .push(" < ")
                    .bind_text(upper);
            }
        }
        _ => {
            out.append(value.clone()).push(sql_op(op)).bind_text(key);
        }
    }
}

/// The least string greater than every string starting with `prefix` (code-point order), if
/// there is one: `prefix` with its last character that can grow, grown, and cut after it.
pub(crate) fn prefix_successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match u32::from(last) + 1 {
            0xD800 => Some('\u{E000}'),
            n => char::from_u32(n),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// A dateTime column compared with an RFC 3339 instant, exactly (the column holds
/// microseconds; the instant may carry nanoseconds). `None` for substring operators.
fn time_op(d: &dyn Dialect, out: &mut Fragment, col: &str, op: CompareOp, s: &str) -> Option<()> {
    let ns = i128::from(
        DateTime::parse_from_rfc3339(s)
            .ok()?
            .timestamp_nanos_opt()?,
    );
    let floor = i64::try_from(ns.div_euclid(1000)).ok()?;
    let exact = ns.rem_euclid(1000) == 0;
    let ceil = if exact { floor } else { floor.checked_add(1)? };
    match op {
        CompareOp::Eq if !exact => d.constant(out, false),
        CompareOp::Eq => {
            out.push(col).push(" = ").bind_int(floor);
        }
        CompareOp::Gt => {
            out.push(col).push(" > ").bind_int(floor);
        }
        CompareOp::Ge => {
            out.push(col).push(" >= ").bind_int(ceil);
        }
        CompareOp::Lt => {
            out.push(col).push(" < ").bind_int(ceil);
        }
        CompareOp::Le => {
            out.push(col).push(" <= ").bind_int(floor);
        }
        _ => return None,
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_successor_bounds_every_extension() {
        assert_eq!(prefix_successor("abc").as_deref(), Some("abd"));
        assert_eq!(prefix_successor("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_successor("\u{D7FF}").as_deref(), Some("\u{E000}"));
        assert_eq!(prefix_successor("\u{10FFFF}"), None);
        assert_eq!(prefix_successor(""), None);
        for s in ["abc", "abcz", "abc\u{10FFFF}\u{10FFFF}", "abc\u{e9}"] {
            let upper = prefix_successor("abc").unwrap_or_default();
            assert!(s >= "abc" && s < upper.as_str(), "{s}");
        }
        assert!("abd" >= prefix_successor("abc").unwrap_or_default().as_str());
    }
}
