//! The canonical printed form: lower-case operators, single spaces, strings JSON-escaped,
//! parentheses exactly where the tree needs them. For every tree the parser can produce,
//! `parse(&tree.to_string())` gives the same tree back.

use crate::ast::{AttrPath, AttrTest, CompValue, Filter, PatchPath, ValuePath};
use std::fmt::{self, Display, Formatter, Write};

impl Display for AttrPath<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            f.write_str(urn)?;
            f.write_char(':')?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub_attr {
            f.write_char('.')?;
            f.write_str(sub)?;
        }
        Ok(())
    }
}

impl Display for CompValue<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            CompValue::False => f.write_str("false"),
            CompValue::Null => f.write_str("null"),
            CompValue::True => f.write_str("true"),
            CompValue::Number(n) => Display::fmt(n, f),
            CompValue::String(s) => write_json_string(f, s),
        }
    }
}

/// Writes `s` as a JSON string literal, escaping only what JSON requires.
fn write_json_string(f: &mut Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('"')?;
    let mut plain_from = 0;
    for (i, c) in s.char_indices() {
        let escape: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            c if (c as u32) < 0x20 => None,
            _ => continue,
        };
        f.write_str(&s[plain_from..i])?;
        match escape {
            Some(e) => f.write_str(e)?,
            None => write!(f, "\\u{:04x}", c as u32)?,
        }
        plain_from = i + c.len_utf8();
    }
    f.write_str(&s[plain_from..])?;
    f.write_char('"')
}

impl Display for AttrTest<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            AttrTest::Present => f.write_str("pr"),
            AttrTest::Compare(op, value) => write!(f, "{op} {value}"),
        }
    }
}

impl Display for ValuePath<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.attr, self.filter)
    }
}

impl Display for Filter<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Attr { path, test } => write!(f, "{path} {test}"),
            Filter::ValuePath(vp) => Display::fmt(vp, f),
            Filter::And(operands) => write_operands(f, operands, " and ", |op| {
                matches!(op, Filter::And(_) | Filter::Or(_))
            }),
            Filter::Or(operands) => {
                write_operands(f, operands, " or ", |op| matches!(op, Filter::Or(_)))
            }
            Filter::Not(inner) => write!(f, "not ({inner})"),
        }
    }
}

/// Writes the operands of an n-ary node, parenthesising those that would otherwise merge into
/// this node or bind differently.
fn write_operands(
    f: &mut Formatter<'_>,
    operands: &[Filter<'_>],
    separator: &str,
    needs_parens: impl Fn(&Filter<'_>) -> bool,
) -> fmt::Result {
    for (i, operand) in operands.iter().enumerate() {
        if i > 0 {
            f.write_str(separator)?;
        }
        if needs_parens(operand) {
            write!(f, "({operand})")?;
        } else {
            Display::fmt(operand, f)?;
        }
    }
    Ok(())
}

impl Display for PatchPath<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            PatchPath::Attr(path) => Display::fmt(path, f),
            PatchPath::Value {
                value_path,
                sub_attr,
            } => {
                Display::fmt(value_path, f)?;
                if let Some(sub) = sub_attr {
                    write!(f, ".{sub}")?;
                }
                Ok(())
            }
        }
    }
}
