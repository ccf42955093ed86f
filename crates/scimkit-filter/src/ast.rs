//! The abstract syntax tree of filters and attribute paths.
//!
//! Every type here is a plain public enum or struct so that a storage backend can translate a
//! filter into its own query language by matching on it (see [`Filter`]). Strings borrow from the
//! parsed input wherever no unescaping was needed ([`Cow::Borrowed`]); [`Filter::into_owned`]
//! detaches a tree from its input.

use std::borrow::Cow;
use std::fmt;

/// An attribute path: `[URN ":"] name ["." subAttr]` (RFC 7644 §3.4.2.2, `attrPath`).
///
/// Inside the brackets of a value path the names are relative to the bracketed attribute:
/// in `emails[type eq "work"]` the inner path is just `type`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath<'a> {
    /// The schema URN prefix, e.g. `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`,
    /// without the trailing colon. `None` when the path names an attribute of the core schema.
    pub urn: Option<Cow<'a, str>>,
    /// The attribute name, as written (attribute names compare case-insensitively).
    pub name: Cow<'a, str>,
    /// The sub-attribute name, as written, if the path has one.
    pub sub_attr: Option<Cow<'a, str>>,
}

impl<'a> AttrPath<'a> {
    /// A path naming a core-schema attribute without a sub-attribute.
    pub fn new(name: impl Into<Cow<'a, str>>) -> Self {
        AttrPath {
            urn: None,
            name: name.into(),
            sub_attr: None,
        }
    }

    /// This path with a schema URN prefix.
    #[must_use]
    pub fn with_urn(mut self, urn: impl Into<Cow<'a, str>>) -> Self {
        self.urn = Some(urn.into());
        self
    }

    /// This path with a sub-attribute.
    #[must_use]
    pub fn with_sub_attr(mut self, sub_attr: impl Into<Cow<'a, str>>) -> Self {
        self.sub_attr = Some(sub_attr.into());
        self
    }

    /// Detaches the path from the input it was parsed from.
    pub fn into_owned(self) -> AttrPath<'static> {
        AttrPath {
            urn: self.urn.map(|u| Cow::Owned(u.into_owned())),
            name: Cow::Owned(self.name.into_owned()),
            sub_attr: self.sub_attr.map(|s| Cow::Owned(s.into_owned())),
        }
    }
}

/// A comparison operator (RFC 7644 §3.4.2.2, Table 3). Written in any letter case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `eq`: equal.
    Eq,
    /// `ne`: not equal.
    Ne,
    /// `co`: contains (substring).
    Co,
    /// `sw`: starts with.
    Sw,
    /// `ew`: ends with.
    Ew,
    /// `gt`: greater than.
    Gt,
    /// `lt`: less than.
    Lt,
    /// `ge`: greater than or equal to.
    Ge,
    /// `le`: less than or equal to.
    Le,
}

impl CompareOp {
    /// Every operator, in the order of RFC 7644 Table 3.
    pub const ALL: [CompareOp; 9] = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Co,
        CompareOp::Sw,
        CompareOp::Ew,
        CompareOp::Gt,
        CompareOp::Lt,
        CompareOp::Ge,
        CompareOp::Le,
    ];

    /// The operator's canonical (lower-case) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Lt => "lt",
            CompareOp::Ge => "ge",
            CompareOp::Le => "le",
        }
    }

    /// Whether the operator orders values (`gt`, `lt`, `ge`, `le`).
    pub fn is_ordering(self) -> bool {
        matches!(
            self,
            CompareOp::Gt | CompareOp::Lt | CompareOp::Ge | CompareOp::Le
        )
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A comparison value (RFC 7644 §3.4.2.2, `compValue`).
#[derive(Debug, Clone, PartialEq)]
pub enum CompValue<'a> {
    /// `false`
    False,
    /// `null`
    Null,
    /// `true`
    True,
    /// A JSON number.
    Number(serde_json::Number),
    /// A JSON string, unescaped.
    String(Cow<'a, str>),
}

impl CompValue<'_> {
    /// Detaches the value from the input it was parsed from.
    pub fn into_owned(self) -> CompValue<'static> {
        match self {
            CompValue::False => CompValue::False,
            CompValue::Null => CompValue::Null,
            CompValue::True => CompValue::True,
            CompValue::Number(n) => CompValue::Number(n),
            CompValue::String(s) => CompValue::String(Cow::Owned(s.into_owned())),
        }
    }
}

/// What an attribute expression tests: presence, or a comparison with a value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrTest<'a> {
    /// `pr`: the attribute has a non-empty value.
    Present,
    /// `op value`
    Compare(CompareOp, CompValue<'a>),
}

/// A value path: `attrPath "[" valFilter "]"` — the filter applies to each element of a
/// (usually multi-valued, complex) attribute, and its attribute names are sub-attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct ValuePath<'a> {
    /// The bracketed attribute (never has a sub-attribute).
    pub attr: AttrPath<'a>,
    /// The filter applied to each element.
    pub filter: Box<Filter<'a>>,
}

/// A parsed SCIM filter (RFC 7644 §3.4.2.2).
///
/// `And` and `Or` are n-ary: `a and b and c` is one `And` with three operands, so a long chain of
/// terms does not make the tree deep. Parenthesised groups keep their own node, so
/// `(a and b) and c` stays distinct from `a and b and c`. Operands of `And`/`Or` always number at
/// least two when produced by the parser.
///
/// A backend translating filters to its own queries matches on this enum:
///
/// ```
/// use scimkit_filter::{parse, Filter, AttrTest, CompareOp, CompValue};
///
/// let filter = parse(r#"userName eq "bjensen""#).unwrap();
/// match &filter {
///     Filter::Attr { path, test: AttrTest::Compare(CompareOp::Eq, CompValue::String(s)) } => {
///         assert_eq!(path.name, "userName");
///         assert_eq!(s, "bjensen");
///     }
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Filter<'a> {
    /// `attrPath pr` or `attrPath op value`.
    Attr {
        /// The attribute tested.
        path: AttrPath<'a>,
        /// What is tested.
        test: AttrTest<'a>,
    },
    /// `attrPath[valFilter]`.
    ValuePath(ValuePath<'a>),
    /// `f1 and f2 and …` (at least two operands).
    And(Vec<Filter<'a>>),
    /// `f1 or f2 or …` (at least two operands).
    Or(Vec<Filter<'a>>),
    /// `not (f)`.
    Not(Box<Filter<'a>>),
}

impl Filter<'_> {
    /// Detaches the filter from the input it was parsed from.
    pub fn into_owned(self) -> Filter<'static> {
        match self {
            Filter::Attr { path, test } => Filter::Attr {
                path: path.into_owned(),
                test: match test {
                    AttrTest::Present => AttrTest::Present,
                    AttrTest::Compare(op, v) => AttrTest::Compare(op, v.into_owned()),
                },
            },
            Filter::ValuePath(vp) => Filter::ValuePath(vp.into_owned()),
            Filter::And(fs) => Filter::And(fs.into_iter().map(Filter::into_owned).collect()),
            Filter::Or(fs) => Filter::Or(fs.into_iter().map(Filter::into_owned).collect()),
            Filter::Not(f) => Filter::Not(Box::new(f.into_owned())),
        }
    }
}

impl ValuePath<'_> {
    /// Detaches the value path from the input it was parsed from.
    pub fn into_owned(self) -> ValuePath<'static> {
        ValuePath {
            attr: self.attr.into_owned(),
            filter: Box::new(self.filter.into_owned()),
        }
    }
}

/// A PATCH operation's `path` (RFC 7644 §3.5.2, `PATH = attrPath / valuePath [subAttr]`).
#[derive(Debug, Clone, PartialEq)]
pub enum PatchPath<'a> {
    /// An attribute, possibly with a sub-attribute: `name.givenName`,
    /// `urn:…:enterprise:2.0:User:manager`.
    Attr(AttrPath<'a>),
    /// Elements of a multi-valued attribute selected by a filter, optionally narrowed to one
    /// sub-attribute: `emails[type eq "work"].value`, `members[value eq "2819c223"]`.
    Value {
        /// The attribute and the filter selecting its elements.
        value_path: ValuePath<'a>,
        /// The sub-attribute of the selected elements, if any.
        sub_attr: Option<Cow<'a, str>>,
    },
}

impl PatchPath<'_> {
    /// Detaches the path from the input it was parsed from.
    pub fn into_owned(self) -> PatchPath<'static> {
        match self {
            PatchPath::Attr(p) => PatchPath::Attr(p.into_owned()),
            PatchPath::Value {
                value_path,
                sub_attr,
            } => PatchPath::Value {
                value_path: value_path.into_owned(),
                sub_attr: sub_attr.map(|s| Cow::Owned(s.into_owned())),
            },
        }
    }

    /// The attribute the path starts at (for `emails[…].value`, `emails`).
    pub fn attr(&self) -> &AttrPath<'_> {
        match self {
            PatchPath::Attr(p) => p,
            PatchPath::Value { value_path, .. } => &value_path.attr,
        }
    }
}
