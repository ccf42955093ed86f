//! Schema and attribute definitions with every characteristic of RFC 7643 §2.2 and §7.

use serde::{Deserialize, Serialize};

/// An attribute's data type (RFC 7643 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AttributeType {
    /// A sequence of Unicode characters.
    String,
    /// `true` or `false`.
    Boolean,
    /// A real number.
    Decimal,
    /// A whole number.
    Integer,
    /// An `xsd:dateTime` (RFC 3339) timestamp.
    DateTime,
    /// Base64-encoded bytes.
    Binary,
    /// A URI referencing a resource.
    Reference,
    /// An attribute made of sub-attributes.
    Complex,
}

impl AttributeType {
    /// The wire spelling, e.g. `"dateTime"`.
    pub fn as_str(self) -> &'static str {
        match self {
            AttributeType::String => "string",
            AttributeType::Boolean => "boolean",
            AttributeType::Decimal => "decimal",
            AttributeType::Integer => "integer",
            AttributeType::DateTime => "dateTime",
            AttributeType::Binary => "binary",
            AttributeType::Reference => "reference",
            AttributeType::Complex => "complex",
        }
    }

    /// The filter crate's view of this type.
    pub fn to_filter_type(self) -> scimkit_filter::AttrType {
        use scimkit_filter::AttrType as T;
        match self {
            AttributeType::String => T::String,
            AttributeType::Boolean => T::Boolean,
            AttributeType::Decimal => T::Decimal,
            AttributeType::Integer => T::Integer,
            AttributeType::DateTime => T::DateTime,
            AttributeType::Binary => T::Binary,
            AttributeType::Reference => T::Reference,
            AttributeType::Complex => T::Complex,
        }
    }
}

/// When an attribute may be written (RFC 7643 §2.2 `mutability`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Mutability {
    /// Set by the service provider only; client input is ignored (create, PUT) or rejected (PATCH).
    ReadOnly,
    /// May be updated and read at any time.
    ReadWrite,
    /// May be set once (at creation or while unassigned) and then only to the same value.
    Immutable,
    /// May be written but is never returned (e.g. `password`).
    WriteOnly,
}

/// When an attribute is returned in a response (RFC 7643 §2.2 `returned`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Returned {
    /// Always returned, whatever `attributes` / `excludedAttributes` say.
    Always,
    /// Never returned.
    Never,
    /// Returned unless excluded, or unless `attributes` names other attributes only.
    Default,
    /// Returned only when named in `attributes`.
    Request,
}

/// How a value must be unique (RFC 7643 §2.2 `uniqueness`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Uniqueness {
    /// No uniqueness is enforced.
    None,
    /// Unique within the service provider's tenant.
    Server,
    /// Globally unique.
    Global,
}

/// One attribute definition (RFC 7643 §7, the `attributes` of a schema).
///
/// Built with a small builder API; the defaults are the RFC's (§2.2): single-valued, optional,
/// `caseExact: false`, `readWrite`, returned by `default`, uniqueness `none`.
///
/// ```
/// use scimkit_schema::{AttributeDef, AttributeType, Mutability, Uniqueness};
///
/// let badge = AttributeDef::new("badgeNumber", AttributeType::String)
///     .required()
///     .case_exact()
///     .uniqueness(Uniqueness::Server)
///     .mutability(Mutability::Immutable);
/// assert!(badge.required && badge.case_exact);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributeDef {
    /// The attribute's name, in the spelling responses use.
    pub name: String,
    /// The data type.
    #[serde(rename = "type")]
    pub kind: AttributeType,
    /// Sub-attributes of a complex attribute.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_attributes: Vec<AttributeDef>,
    /// Whether the attribute holds an array of values.
    #[serde(default)]
    pub multi_valued: bool,
    /// A human-readable description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Whether a value is required.
    #[serde(default)]
    pub required: bool,
    /// Suggested values (e.g. `work`, `home`); enforced when [`strict_canonical`](Self::strict_canonical)
    /// is set or the validation profile asks for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical_values: Option<Vec<String>>,
    /// Whether string comparisons respect letter case.
    #[serde(default)]
    pub case_exact: bool,
    /// When the attribute may be written.
    #[serde(default = "default_mutability")]
    pub mutability: Mutability,
    /// When the attribute is returned.
    #[serde(default = "default_returned")]
    pub returned: Returned,
    /// How values must be unique.
    #[serde(default = "default_uniqueness")]
    pub uniqueness: Uniqueness,
    /// For references: the resource types (`User`, `Group`), `external` or `uri`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_types: Option<Vec<String>>,
    /// Whether values outside `canonical_values` are rejected (a scimkit setting, not part of
    /// the RFC representation).
    #[serde(skip)]
    pub strict_canonical: bool,
}

fn default_uniqueness() -> Uniqueness {
    Uniqueness::None
}

fn default_mutability() -> Mutability {
    Mutability::ReadWrite
}

fn default_returned() -> Returned {
    Returned::Default
}

impl AttributeDef {
    /// A single-valued, optional, read-write attribute with the RFC's default characteristics.
    pub fn new(name: impl Into<String>, kind: AttributeType) -> Self {
        AttributeDef {
            name: name.into(),
            kind,
            sub_attributes: Vec::new(),
            multi_valued: false,
            description: String::new(),
            required: false,
            canonical_values: None,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            reference_types: None,
            strict_canonical: false,
        }
    }

    /// A string attribute.
    pub fn string(name: impl Into<String>) -> Self {
        Self::new(name, AttributeType::String)
    }

    /// A boolean attribute.
    pub fn boolean(name: impl Into<String>) -> Self {
        Self::new(name, AttributeType::Boolean)
    }

    /// A reference attribute with the given reference types.
    pub fn reference(name: impl Into<String>, types: &[&str]) -> Self {
        Self::new(name, AttributeType::Reference).reference_types(types)
    }

    /// A complex attribute with sub-attributes.
    pub fn complex(name: impl Into<String>, subs: Vec<AttributeDef>) -> Self {
        let mut a = Self::new(name, AttributeType::Complex);
        a.sub_attributes = subs;
        a
    }

    /// Makes the attribute multi-valued.
    #[must_use]
    pub fn multi_valued(mut self) -> Self {
        self.multi_valued = true;
        self
    }

    /// Makes the attribute required.
    #[must_use]
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Makes string comparisons case-sensitive.
    #[must_use]
    pub fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }

    /// Sets the mutability.
    #[must_use]
    pub fn mutability(mut self, m: Mutability) -> Self {
        self.mutability = m;
        self
    }

    /// Sets when the attribute is returned.
    #[must_use]
    pub fn returned(mut self, r: Returned) -> Self {
        self.returned = r;
        self
    }

    /// Sets the uniqueness.
    #[must_use]
    pub fn uniqueness(mut self, u: Uniqueness) -> Self {
        self.uniqueness = u;
        self
    }

    /// Sets the canonical values.
    #[must_use]
    pub fn canonical(mut self, values: &[&str]) -> Self {
        self.canonical_values = Some(values.iter().map(|s| s.to_string()).collect());
        self
    }

    /// Rejects values outside the canonical values.
    #[must_use]
    pub fn strict_canonical(mut self) -> Self {
        self.strict_canonical = true;
        self
    }

    /// Sets the reference types.
    #[must_use]
    pub fn reference_types(mut self, types: &[&str]) -> Self {
        self.reference_types = Some(types.iter().map(|s| s.to_string()).collect());
        self
    }

    /// Sets the description.
    #[must_use]
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = d.into();
        self
    }

    /// Adds a sub-attribute.
    #[must_use]
    pub fn with_sub(mut self, sub: AttributeDef) -> Self {
        self.sub_attributes.push(sub);
        self
    }

    /// The sub-attribute named `name` (compared without regard to letter case).
    ///
    /// For a multi-valued complex attribute, the default sub-attributes of RFC 7643 §2.4
    /// (`type`, `primary`, `display`, `value`, `$ref`) are answered even where the schema does
    /// not list them (e.g. Okta's `members[].display`).
    pub fn sub_attribute(&self, name: &str) -> Option<&AttributeDef> {
        if let Some(s) = self
            .sub_attributes
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
        {
            return Some(s);
        }
        if self.multi_valued && self.kind == AttributeType::Complex {
            return implicit_sub_attribute(name);
        }
        None
    }

    /// The sub-attribute named `name` with a small index identifying it (its position among
    /// the sub-attributes; the implicit RFC 7643 §2.4 ones follow at [`IMPLICIT_BASE`]).
    pub(crate) fn sub_attribute_indexed(&self, name: &str) -> Option<(usize, &AttributeDef)> {
        if let Some(found) = self
            .sub_attributes
            .iter()
            .enumerate()
            .find(|(_, s)| s.name.eq_ignore_ascii_case(name))
        {
            return Some(found);
        }
        if self.multi_valued && self.kind == AttributeType::Complex {
            let defs = implicit_defs();
            return defs
                .iter()
                .enumerate()
                .find(|(_, d)| d.name.eq_ignore_ascii_case(name))
                .map(|(i, d)| (IMPLICIT_BASE + i, d));
        }
        None
    }

    /// Whether this is a complex attribute.
    pub fn is_complex(&self) -> bool {
        self.kind == AttributeType::Complex
    }
}

/// Complex attributes hold at most this many sub-attributes (checked by the registry builder);
/// the implicit ones are numbered from here.
pub(crate) const IMPLICIT_BASE: usize = 120;

/// The default sub-attributes of multi-valued attributes (RFC 7643 §2.4).
fn implicit_sub_attribute(name: &str) -> Option<&'static AttributeDef> {
    implicit_defs()
        .iter()
        .find(|d| d.name.eq_ignore_ascii_case(name))
}

fn implicit_defs() -> &'static [AttributeDef] {
    use std::sync::OnceLock;
    static DEFS: OnceLock<Vec<AttributeDef>> = OnceLock::new();
    DEFS.get_or_init(|| {
        vec![
            AttributeDef::string("type"),
            AttributeDef::boolean("primary"),
            AttributeDef::string("display").mutability(Mutability::Immutable),
            AttributeDef::string("value"),
            AttributeDef::new("$ref", AttributeType::Reference),
        ]
    })
}

/// A schema (RFC 7643 §7): an id (URN), a name, a description and attributes.
///
/// ```
/// use scimkit_schema::{AttributeDef, Schema};
///
/// let ext = Schema::new("urn:example:params:scim:schemas:extension:badge:2.0:User", "Badge")
///     .attribute(AttributeDef::string("badgeNumber"));
/// assert!(ext.get("BADGENUMBER").is_some());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    /// The schema URN.
    pub id: String,
    /// A human-readable name.
    pub name: String,
    /// A human-readable description.
    #[serde(default)]
    pub description: String,
    /// The attributes.
    pub attributes: Vec<AttributeDef>,
}

impl Schema {
    /// An empty schema.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Schema {
            id: id.into(),
            name: name.into(),
            description: String::new(),
            attributes: Vec::new(),
        }
    }

    /// Sets the description.
    #[must_use]
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = d.into();
        self
    }

    /// Adds an attribute.
    #[must_use]
    pub fn attribute(mut self, attr: AttributeDef) -> Self {
        self.attributes.push(attr);
        self
    }

    /// The attribute named `name`, compared without regard to letter case.
    pub fn get(&self, name: &str) -> Option<&AttributeDef> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// The schema representation served at `/Schemas/{id}` (RFC 7643 §7, §8.7).
    pub fn to_representation(&self, base_url: &str) -> serde_json::Value {
        serde_json::json!({
            "schemas": [crate::SCHEMA_SCHEMA],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": self.attributes,
            "meta": {
                "resourceType": "Schema",
                "location": format!("{}/Schemas/{}", base_url.trim_end_matches('/'), self.id),
            }
        })
    }
}
