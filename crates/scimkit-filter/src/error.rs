//! Errors of parsing and evaluation. Both map to SCIM `invalidFilter` (RFC 7644 §3.4.2.2),
//! or `invalidPath` for PATCH paths.

use std::fmt;

/// What the parser expected where it stopped, or which limit was exceeded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expected {
    /// An attribute path (`userName`, `name.givenName`, `urn:…:User:userName`).
    AttrPath,
    /// An attribute name after a schema URN's final colon, or a sub-attribute after a dot.
    AttrName,
    /// A comparison operator (`eq`, `ne`, `co`, `sw`, `ew`, `gt`, `lt`, `ge`, `le`) or `pr`.
    CompareOp,
    /// A comparison value: `true`, `false`, `null`, a JSON number or a JSON string.
    CompValue,
    /// `and`, `or`, or the end of the filter.
    LogicalOpOrEnd,
    /// `and`, `or` or `]`.
    LogicalOpOrBracket,
    /// `and`, `or` or `)`.
    LogicalOpOrParen,
    /// `(` after `not`.
    OpenParen,
    /// A valid JSON string escape (`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\uXXXX`).
    StringEscape,
    /// A string character: control characters (below U+0020) must be escaped.
    StringChar,
    /// The end of an attribute path (a path has at most one sub-attribute).
    AttrPathEnd,
    /// The closing `"` of a string.
    StringEnd,
    /// A JSON number within the range of a 64-bit float.
    Number,
    /// The end of the path (after `attr[filter]` only `.subAttr` may follow).
    PathEnd,
    /// A filter inside brackets that contains no further brackets (value paths do not nest).
    NoNestedValuePath,
    /// The input is longer than [`Limits::max_length`](crate::Limits::max_length) bytes.
    LengthLimit(usize),
    /// Groups (parentheses, `not`, brackets) nest deeper than [`Limits::max_depth`](crate::Limits::max_depth).
    DepthLimit(usize),
    /// More attribute expressions than [`Limits::max_terms`](crate::Limits::max_terms).
    TermLimit(usize),
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expected::AttrPath => f.write_str("an attribute path"),
            Expected::AttrName => f.write_str("an attribute name"),
            Expected::CompareOp => f.write_str("a comparison operator"),
            Expected::CompValue => {
                f.write_str("a comparison value (true, false, null, a number or a string)")
            }
            Expected::LogicalOpOrEnd => f.write_str("\"and\", \"or\" or the end of the filter"),
            Expected::LogicalOpOrBracket => f.write_str("\"and\", \"or\" or \"]\""),
            Expected::LogicalOpOrParen => f.write_str("\"and\", \"or\" or \")\""),
            Expected::OpenParen => f.write_str("\"(\""),
            Expected::StringEscape => f.write_str("a valid string escape"),
            Expected::StringChar => {
                f.write_str("a character other than a control character (escape it)")
            }
            Expected::AttrPathEnd => {
                f.write_str("the end of the attribute path (a path has at most one sub-attribute)")
            }
            Expected::StringEnd => f.write_str("the closing quote of the string"),
            Expected::Number => f.write_str("a number within range"),
            Expected::PathEnd => f.write_str("a sub-attribute (\".name\") or the end of the path"),
            Expected::NoNestedValuePath => f.write_str("a filter without nested brackets"),
            Expected::LengthLimit(n) => write!(f, "at most {n} bytes"),
            Expected::DepthLimit(n) => write!(f, "at most {n} levels of nesting"),
            Expected::TermLimit(n) => write!(f, "at most {n} attribute expressions"),
        }
    }
}

/// A filter or path that could not be parsed: where, and what was expected there.
///
/// ```
/// let err = scimkit_filter::parse("userName xx \"bjensen\"").unwrap_err();
/// assert_eq!(err.offset(), 9);
/// assert_eq!(err.to_string(), r#"expected a comparison operator after "userName" at 9"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    offset: usize,
    expected: Expected,
    after: Option<String>,
    context: Context,
}

/// What was being parsed: decides the SCIM `scimType` of the error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Context {
    /// A filter: `invalidFilter`.
    Filter,
    /// A PATCH path or attribute path: `invalidPath`.
    Path,
}

/// The longest piece of preceding input quoted in an error message.
const MAX_QUOTED: usize = 40;

impl ParseError {
    pub(crate) fn new(input: &str, offset: usize, expected: Expected, context: Context) -> Self {
        let before = input.get(..offset).unwrap_or("").trim_end();
        let after = last_token(before).map(|t| {
            let mut end = t.len().min(MAX_QUOTED);
            while !t.is_char_boundary(end) {
                end -= 1;
            }
            t[..end].to_string()
        });
        ParseError {
            offset,
            expected,
            after,
            context,
        }
    }

    /// The byte offset in the input at which parsing stopped.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What was expected at [`offset`](Self::offset).
    pub fn expected(&self) -> &Expected {
        &self.expected
    }

    /// The SCIM `scimType` this error maps to: `invalidFilter` for a filter, `invalidPath` for
    /// a PATCH path or attribute path.
    pub fn scim_type(&self) -> &'static str {
        match self.context {
            Context::Filter => "invalidFilter",
            Context::Path => "invalidPath",
        }
    }
}

/// The last whitespace-separated token of `s`, if any.
fn last_token(s: &str) -> Option<&str> {
    let start = s
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8());
    let token = &s[start..];
    (!token.is_empty()).then_some(token)
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected {}", self.expected)?;
        if let Some(after) = &self.after {
            write!(f, " after {after:?}")?;
        }
        write!(f, " at {}", self.offset)
    }
}

/// A filter that parsed but cannot be evaluated against the schema: RFC 7644 §3.4.2.2 makes
/// these `400 invalidFilter` too.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// `gt`, `lt`, `ge` or `le` on a boolean or binary attribute.
    #[error("the attribute {attr:?} is of type {kind} and cannot be ordered with \"{op}\"")]
    Unorderable {
        /// The attribute, as written in the filter.
        attr: String,
        /// Its type's name.
        kind: &'static str,
        /// The operator.
        op: &'static str,
    },
    /// A comparison value that is not valid for the attribute's type, such as a malformed
    /// dateTime.
    #[error("the value compared with {attr:?} is not a valid {kind}: {reason}")]
    InvalidValue {
        /// The attribute, as written in the filter.
        attr: String,
        /// Its type's name.
        kind: &'static str,
        /// Why the value is invalid.
        reason: String,
    },
}

impl EvalError {
    /// The SCIM `scimType` this error maps to.
    pub fn scim_type(&self) -> &'static str {
        "invalidFilter"
    }
}
