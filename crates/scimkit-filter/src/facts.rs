//! What the evaluator and the sort helper need to know about attributes, asked of the caller.
//!
//! The filter crate knows nothing of schemas; a schema registry (e.g. `scimkit-schema`'s)
//! implements [`AttributeFacts`] to say how each attribute compares. [`DefaultFacts`] treats
//! every attribute as a case-insensitive string.

/// An attribute as the evaluator resolves it: the schema URN (`None` for the resource's core
/// schema), the attribute name and an optional sub-attribute name, all as written in the filter
/// (compare them case-insensitively).
///
/// Inside a value path the bracketed attribute is the `name` and the inner attribute the
/// `sub_attr`: in `emails[type eq "work"]`, `type` is asked about as `emails.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttrRef<'r> {
    /// The schema URN, without trailing colon; `None` for the core schema.
    pub urn: Option<&'r str>,
    /// The attribute name.
    pub name: &'r str,
    /// The sub-attribute name, if any.
    pub sub_attr: Option<&'r str>,
}

/// The data type of an attribute (RFC 7643 §2.3), as far as filtering and sorting care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttrType {
    /// A Unicode string.
    String,
    /// `true` or `false`. Ordering (`gt`, `lt`, `ge`, `le`) is an error.
    Boolean,
    /// A real number.
    Decimal,
    /// A whole number.
    Integer,
    /// An RFC 3339 timestamp, compared as an instant.
    DateTime,
    /// Base64-encoded bytes. Ordering is an error.
    Binary,
    /// A URI (compared as a string).
    Reference,
    /// An attribute with sub-attributes.
    Complex,
}

/// How one attribute compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AttrFacts {
    /// The attribute's type.
    pub kind: AttrType,
    /// Whether string comparisons respect letter case (RFC 7643 §2.2 `caseExact`).
    pub case_exact: bool,
}

impl AttrFacts {
    /// A string attribute compared without regard to letter case: the RFC's default.
    pub const CASE_INSENSITIVE_STRING: AttrFacts = AttrFacts {
        kind: AttrType::String,
        case_exact: false,
    };
}

/// Answers questions about attributes for the evaluator and the sort helper.
///
/// Implemented by a schema registry; [`DefaultFacts`] is the schema-less default.
pub trait AttributeFacts {
    /// How the attribute compares. For an attribute the implementor does not know, return
    /// [`AttrFacts::CASE_INSENSITIVE_STRING`] (the RFC's defaults).
    fn facts(&self, attr: &AttrRef<'_>) -> AttrFacts;

    /// Whether `urn` names the core schema of the resource being evaluated, whose attributes
    /// sit at the top level of the JSON object (rather than inside an extension object keyed
    /// by the URN). The default recognises the RFC 7643 core schemas
    /// (`urn:ietf:params:scim:schemas:core:2.0:…`).
    fn is_core_schema(&self, urn: &str) -> bool {
        const CORE: &str = "urn:ietf:params:scim:schemas:core:";
        urn.len() > CORE.len()
            && urn.is_char_boundary(CORE.len())
            && urn[..CORE.len()].eq_ignore_ascii_case(CORE)
    }
}

impl<T: AttributeFacts + ?Sized> AttributeFacts for &T {
    fn facts(&self, attr: &AttrRef<'_>) -> AttrFacts {
        (**self).facts(attr)
    }
    fn is_core_schema(&self, urn: &str) -> bool {
        (**self).is_core_schema(urn)
    }
}

/// Facts for when no schema is at hand: every attribute is a string compared without regard to
/// letter case (`caseExact: false`, the RFC's default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DefaultFacts;

impl AttributeFacts for DefaultFacts {
    fn facts(&self, _attr: &AttrRef<'_>) -> AttrFacts {
        AttrFacts::CASE_INSENSITIVE_STRING
    }
}
