//! The schema registry: schemas, resource types and their extensions, discovery documents, and
//! the attribute facts the filter evaluator asks for.

use crate::builtin::{self, RESOURCE_TYPE_SCHEMA, SERVICE_PROVIDER_CONFIG_SCHEMA};
use crate::limits::Limits;
use crate::schema::{AttributeDef, Returned, Schema};
use crate::ScimError;
use scimkit_filter::{AttrFacts, AttrRef, AttributeFacts};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// An extension schema attached to a resource type (RFC 7643 §6 `schemaExtensions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaExtension {
    /// The extension's schema URN.
    pub schema: String,
    /// Whether resources of the type must carry the extension.
    pub required: bool,
}

/// A resource type (RFC 7643 §6): name, endpoint, core schema and extensions.
///
/// ```
/// use scimkit_schema::ResourceType;
///
/// let device = ResourceType::new("Device", "/Devices", "urn:example:scim:schemas:Device")
///     .description("Managed device")
///     .extension("urn:example:scim:schemas:extension:Location", false);
/// assert_eq!(device.schema_extensions.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceType {
    /// The type's id and name (e.g. `User`).
    pub name: String,
    /// The endpoint, relative to the base URL (e.g. `/Users`).
    pub endpoint: String,
    /// A human-readable description.
    #[serde(default)]
    pub description: String,
    /// The core schema URN.
    pub schema: String,
    /// The extensions.
    #[serde(default)]
    pub schema_extensions: Vec<SchemaExtension>,
}

impl ResourceType {
    /// A resource type with no extensions.
    pub fn new(
        name: impl Into<String>,
        endpoint: impl Into<String>,
        schema: impl Into<String>,
    ) -> Self {
        ResourceType {
            name: name.into(),
            endpoint: endpoint.into(),
            description: String::new(),
            schema: schema.into(),
            schema_extensions: Vec::new(),
        }
    }

    /// Sets the description.
    #[must_use]
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = d.into();
        self
    }

    /// Adds an extension.
    #[must_use]
    pub fn extension(mut self, schema: impl Into<String>, required: bool) -> Self {
        self.schema_extensions.push(SchemaExtension {
            schema: schema.into(),
            required,
        });
        self
    }

    /// The resource type representation served at `/ResourceTypes/{name}` (RFC 7643 §6).
    pub fn to_representation(&self, base_url: &str) -> Value {
        let mut doc = json!({
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": self.name,
            "name": self.name,
            "endpoint": self.endpoint,
            "description": self.description,
            "schema": self.schema,
            "meta": {
                "location": format!("{}/ResourceTypes/{}", base_url.trim_end_matches('/'), self.name),
                "resourceType": "ResourceType",
            }
        });
        if let (false, Some(obj)) = (self.schema_extensions.is_empty(), doc.as_object_mut()) {
            obj.insert("schemaExtensions".into(), json!(self.schema_extensions));
        }
        doc
    }
}

#[derive(Debug, Clone)]
struct Resolved {
    rt: ResourceType,
    core: usize,
    extensions: Vec<(usize, bool)>,
    /// Names (core, common and extension attributes) not returned by default
    /// (`returned: never` or `request`), for the default projection's fast path.
    hidden: Vec<String>,
    /// Whether some complex attribute has a sub-attribute not returned by default.
    hidden_subs: bool,
}

/// Builds a [`Registry`]: schemas first, then resource types referring to them.
///
/// ```
/// use scimkit_schema::{AttributeDef, Registry, ResourceType, Schema, ENTERPRISE_USER_SCHEMA};
///
/// let badge = Schema::new("urn:example:scim:schemas:extension:badge:2.0:User", "Badge")
///     .attribute(AttributeDef::string("badgeNumber").required());
/// let registry = Registry::builder()
///     .with_standard_schemas()
///     .schema(badge)
///     .resource_type(
///         ResourceType::new("User", "/Users", scimkit_schema::USER_SCHEMA)
///             .extension(ENTERPRISE_USER_SCHEMA, false)
///             .extension("urn:example:scim:schemas:extension:badge:2.0:User", true),
///     )
///     .build()
///     .unwrap();
/// assert!(registry.resource_type("user").is_some());
/// ```
#[derive(Debug, Clone, Default)]
pub struct RegistryBuilder {
    schemas: Vec<Schema>,
    types: Vec<ResourceType>,
    limits: Limits,
}

impl RegistryBuilder {
    /// Adds the RFC 7643 User, Group and EnterpriseUser schemas (no resource types).
    #[must_use]
    pub fn with_standard_schemas(mut self) -> Self {
        self.schemas.push(builtin::user_schema());
        self.schemas.push(builtin::group_schema());
        self.schemas.push(builtin::enterprise_user_schema());
        self
    }

    /// Adds a schema (core or extension).
    #[must_use]
    pub fn schema(mut self, schema: Schema) -> Self {
        self.schemas.push(schema);
        self
    }

    /// Adds a resource type.
    #[must_use]
    pub fn resource_type(mut self, rt: ResourceType) -> Self {
        self.types.push(rt);
        self
    }

    /// Sets the size limits (default: [`Limits::default`]).
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Checks the definitions and builds the registry.
    ///
    /// Fails when a resource type names an unknown schema, two schemas or two resource types
    /// share an id, or a schema has two attributes (or sub-attributes) whose names differ only
    /// in letter case.
    pub fn build(self) -> Result<Registry, ScimError> {
        for (i, s) in self.schemas.iter().enumerate() {
            if self.schemas[..i]
                .iter()
                .any(|o| o.id.eq_ignore_ascii_case(&s.id))
            {
                return Err(ScimError::internal(format!(
                    "schema {} is defined twice",
                    s.id
                )));
            }
            check_unique(&s.attributes, &s.id)?;
        }
        let find = |urn: &str| {
            self.schemas
                .iter()
                .position(|s| s.id.eq_ignore_ascii_case(urn))
                .ok_or_else(|| ScimError::internal(format!("unknown schema {urn}")))
        };
        let mut resolved = Vec::new();
        for (i, rt) in self.types.iter().enumerate() {
            if self.types[..i]
                .iter()
                .any(|o| o.name.eq_ignore_ascii_case(&rt.name))
            {
                return Err(ScimError::internal(format!(
                    "resource type {} is defined twice",
                    rt.name
                )));
            }
            if rt.schema_extensions.len() > 64 {
                return Err(ScimError::internal(format!(
                    "resource type {} has more than 64 extensions",
                    rt.name
                )));
            }
            let core = find(&rt.schema)?;
            let mut extensions = Vec::new();
            for ext in &rt.schema_extensions {
                extensions.push((find(&ext.schema)?, ext.required));
            }
            let common = builtin::common_attributes();
            let all_defs = self.schemas[core]
                .attributes
                .iter()
                .chain(common.iter())
                .chain(
                    extensions
                        .iter()
                        .flat_map(|&(i, _)| self.schemas[i].attributes.iter()),
                );
            let not_default = |r: Returned| matches!(r, Returned::Never | Returned::Request);
            let mut hidden = Vec::new();
            let mut hidden_subs = false;
            for d in all_defs {
                if not_default(d.returned) {
                    hidden.push(d.name.clone());
                }
                hidden_subs |= d.sub_attributes.iter().any(|s| not_default(s.returned));
            }
            resolved.push(Resolved {
                rt: rt.clone(),
                core,
                extensions,
                hidden,
                hidden_subs,
            });
        }
        Ok(Registry {
            schemas: self.schemas,
            types: resolved,
            common: builtin::common_attributes(),
            limits: self.limits,
        })
    }
}

fn check_unique(attrs: &[AttributeDef], owner: &str) -> Result<(), ScimError> {
    if attrs.len() > crate::schema::IMPLICIT_BASE {
        return Err(ScimError::internal(format!(
            "{owner} has more than {} attributes or sub-attributes",
            crate::schema::IMPLICIT_BASE
        )));
    }
    for (i, a) in attrs.iter().enumerate() {
        if attrs[..i]
            .iter()
            .any(|o| o.name.eq_ignore_ascii_case(&a.name))
        {
            return Err(ScimError::internal(format!(
                "{owner} defines {} twice (names compare without regard to case)",
                a.name
            )));
        }
        check_unique(&a.sub_attributes, &a.name)?;
    }
    Ok(())
}

/// The schemas and resource types a service provider serves.
///
/// [`Registry::standard`] serves `User` (with the optional Enterprise User extension) and `Group`.
#[derive(Debug, Clone)]
pub struct Registry {
    schemas: Vec<Schema>,
    types: Vec<Resolved>,
    common: Vec<AttributeDef>,
    limits: Limits,
}

impl Default for Registry {
    fn default() -> Self {
        Self::standard()
    }
}

impl Registry {
    /// A builder with nothing registered.
    pub fn builder() -> RegistryBuilder {
        RegistryBuilder::default()
    }

    /// `User` (core User schema, optional Enterprise User extension) and `Group`.
    pub fn standard() -> Registry {
        let built = Registry::builder()
            .with_standard_schemas()
            .resource_type(
                ResourceType::new("User", "/Users", builtin::USER_SCHEMA)
                    .description("User Account")
                    .extension(builtin::ENTERPRISE_USER_SCHEMA, false),
            )
            .resource_type(
                ResourceType::new("Group", "/Groups", builtin::GROUP_SCHEMA).description("Group"),
            )
            .build();
        // The built-in definitions are fixed and checked by the tests: this cannot fail.
        #[allow(clippy::expect_used)]
        built.expect("the built-in schemas form a valid registry")
    }

    /// The registry with these size limits, which every [`ResourceSchema`] operation enforces.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The size limits (see [`Limits`]).
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Every registered schema.
    pub fn schemas(&self) -> &[Schema] {
        &self.schemas
    }

    /// The schema with this URN (case-insensitive).
    pub fn schema(&self, urn: &str) -> Option<&Schema> {
        self.schemas.iter().find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// Every resource type.
    pub fn resource_types(&self) -> impl Iterator<Item = ResourceSchema<'_>> {
        self.types
            .iter()
            .map(move |ty| ResourceSchema { reg: self, ty })
    }

    /// The resource type named `name` (case-insensitive), e.g. `User`.
    pub fn resource_type(&self, name: &str) -> Option<ResourceSchema<'_>> {
        self.types
            .iter()
            .find(|t| t.rt.name.eq_ignore_ascii_case(name))
            .map(|ty| ResourceSchema { reg: self, ty })
    }

    /// The resource type served at `endpoint` (e.g. `/Users`, case-insensitive).
    pub fn resource_type_by_endpoint(&self, endpoint: &str) -> Option<ResourceSchema<'_>> {
        let e = endpoint.trim_start_matches('/');
        self.types
            .iter()
            .find(|t| {
                t.rt.endpoint
                    .trim_start_matches('/')
                    .eq_ignore_ascii_case(e)
            })
            .map(|ty| ResourceSchema { reg: self, ty })
    }

    /// The common attributes (`id`, `externalId`, `meta`).
    pub fn common_attributes(&self) -> &[AttributeDef] {
        &self.common
    }

    /// The `/Schemas` documents, one per registered schema.
    pub fn schema_representations(&self, base_url: &str) -> Vec<Value> {
        self.schemas
            .iter()
            .map(|s| s.to_representation(base_url))
            .collect()
    }

    /// The `/ResourceTypes` documents.
    pub fn resource_type_representations(&self, base_url: &str) -> Vec<Value> {
        self.types
            .iter()
            .map(|t| t.rt.to_representation(base_url))
            .collect()
    }
}

/// One resource type resolved against its registry: the view every operation works through.
#[derive(Debug, Clone, Copy)]
pub struct ResourceSchema<'r> {
    reg: &'r Registry,
    ty: &'r Resolved,
}

/// Where a top-level attribute lives.
#[derive(Debug, Clone, Copy)]
pub struct ResolvedAttr<'r> {
    /// The extension schema holding the attribute; `None` for the core schema and the common
    /// attributes.
    pub extension: Option<&'r Schema>,
    /// The attribute definition.
    pub def: &'r AttributeDef,
}

impl<'r> ResourceSchema<'r> {
    /// The registry this type belongs to.
    pub fn registry(&self) -> &'r Registry {
        self.reg
    }

    /// The resource type definition.
    pub fn resource_type(&self) -> &'r ResourceType {
        &self.ty.rt
    }

    /// The type's name, e.g. `User`.
    pub fn name(&self) -> &'r str {
        &self.ty.rt.name
    }

    /// The core schema.
    pub fn core(&self) -> &'r Schema {
        &self.reg.schemas[self.ty.core]
    }

    /// What the default projection leaves out: the names of attributes not returned by default,
    /// and whether any sub-attribute is not returned by default.
    pub(crate) fn default_hidden(&self) -> (&'r [String], bool) {
        (&self.ty.hidden, self.ty.hidden_subs)
    }

    /// The extension schemas with their `required` flag.
    pub fn extensions(&self) -> impl Iterator<Item = (&'r Schema, bool)> + 'r {
        let reg = self.reg;
        self.ty
            .extensions
            .iter()
            .map(move |&(i, req)| (&reg.schemas[i], req))
    }

    /// The extension schema with this URN (case-insensitive).
    pub fn extension(&self, urn: &str) -> Option<&'r Schema> {
        self.extensions()
            .find(|(s, _)| s.id.eq_ignore_ascii_case(urn))
            .map(|(s, _)| s)
    }

    /// Whether `urn` is this type's core schema.
    pub fn is_core(&self, urn: &str) -> bool {
        self.core().id.eq_ignore_ascii_case(urn)
    }

    /// A top-level attribute of the core schema or a common attribute, by name (case-insensitive).
    pub fn core_attribute(&self, name: &str) -> Option<&'r AttributeDef> {
        self.core().get(name).or_else(|| {
            self.reg
                .common
                .iter()
                .find(|a| a.name.eq_ignore_ascii_case(name))
        })
    }

    /// The extension attribute named `name` when exactly one extension of this type defines
    /// it and the core schema does not (for IdPs that omit the URN, e.g. Entra's `manager`).
    pub fn unqualified_extension_attribute(
        &self,
        name: &str,
    ) -> Option<(&'r Schema, &'r AttributeDef)> {
        if self.core_attribute(name).is_some() {
            return None;
        }
        let mut found = None;
        for (ext, _) in self.extensions() {
            if let Some(def) = ext.get(name) {
                if found.is_some() {
                    return None;
                }
                found = Some((ext, def));
            }
        }
        found
    }

    /// Resolves an attribute: `urn` is `None` or a schema URN (core or extension).
    pub fn resolve(&self, urn: Option<&str>, name: &str) -> Option<ResolvedAttr<'r>> {
        match urn {
            None => self.core_attribute(name).map(|def| ResolvedAttr {
                extension: None,
                def,
            }),
            Some(u) if self.is_core(u) => self.core_attribute(name).map(|def| ResolvedAttr {
                extension: None,
                def,
            }),
            Some(u) => {
                let ext = self.extension(u)?;
                ext.get(name).map(|def| ResolvedAttr {
                    extension: Some(ext),
                    def,
                })
            }
        }
    }

    /// Splits a leading schema URN of this type off an attribute path:
    /// `urn:…:enterprise:2.0:User:manager.value` → (`Some(schema)`, `"manager.value"`).
    /// The URN is matched against the registered schemas, so the dots of `2.0` never split it.
    /// Returns `(Some(schema), "")` when the path is the URN alone.
    pub fn split_urn<'p>(&self, path: &'p str) -> (Option<&'r Schema>, &'p str) {
        if !path
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
        {
            return (None, path);
        }
        let core = std::iter::once(self.core());
        for schema in core.chain(self.extensions().map(|(s, _)| s)) {
            let id = schema.id.as_str();
            if path.len() >= id.len()
                && path.is_char_boundary(id.len())
                && path[..id.len()].eq_ignore_ascii_case(id)
            {
                let rest = &path[id.len()..];
                if rest.is_empty() {
                    return (Some(schema), "");
                }
                if let Some(r) = rest.strip_prefix(':') {
                    return (Some(schema), r);
                }
            }
        }
        (None, path)
    }

    /// The attribute facts of this resource type (what the filter evaluator asks).
    pub fn attr_facts(&self, attr: &AttrRef<'_>) -> Option<AttrFacts> {
        let resolved = self.resolve(attr.urn, attr.name)?;
        let def = match attr.sub_attr {
            Some(sub) => resolved.def.sub_attribute(sub)?,
            None if resolved.def.is_complex() => resolved.def.sub_attribute("value")?,
            None => resolved.def,
        };
        Some(AttrFacts {
            kind: def.kind.to_filter_type(),
            case_exact: def.case_exact,
        })
    }

    /// The resource type representation (RFC 7643 §6).
    pub fn to_representation(&self, base_url: &str) -> Value {
        self.ty.rt.to_representation(base_url)
    }
}

impl AttributeFacts for ResourceSchema<'_> {
    fn facts(&self, attr: &AttrRef<'_>) -> AttrFacts {
        self.attr_facts(attr)
            .unwrap_or(AttrFacts::CASE_INSENSITIVE_STRING)
    }

    fn is_core_schema(&self, urn: &str) -> bool {
        self.is_core(urn)
    }
}

/// Without a resource type at hand, the registry answers from the first resource type that
/// defines the attribute (the standard types agree on every shared name).
impl AttributeFacts for Registry {
    fn facts(&self, attr: &AttrRef<'_>) -> AttrFacts {
        self.resource_types()
            .find_map(|rt| rt.attr_facts(attr))
            .unwrap_or(AttrFacts::CASE_INSENSITIVE_STRING)
    }

    fn is_core_schema(&self, urn: &str) -> bool {
        self.types
            .iter()
            .any(|t| self.schemas[t.core].id.eq_ignore_ascii_case(urn))
    }
}

/// A supported feature with only a `supported` flag (RFC 7643 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supported {
    /// Whether the feature is supported.
    pub supported: bool,
}

/// Bulk support (RFC 7643 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkConfig {
    /// Whether Bulk is supported.
    pub supported: bool,
    /// The most operations one request may hold.
    pub max_operations: u32,
    /// The largest request payload, in bytes.
    pub max_payload_size: u64,
}

/// Filter support (RFC 7643 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterConfig {
    /// Whether filtering is supported.
    pub supported: bool,
    /// The most resources a filtered query returns.
    pub max_results: u32,
}

/// An authentication scheme (RFC 7643 §5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationScheme {
    /// `oauthbearertoken`, `httpbasic`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// A human-readable name.
    pub name: String,
    /// A description.
    pub description: String,
    /// A specification URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_uri: Option<String>,
    /// A documentation URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation_uri: Option<String>,
    /// Whether this is the preferred scheme.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
}

/// The service provider configuration (RFC 7643 §5), served at `/ServiceProviderConfig`.
///
/// ```
/// use scimkit_schema::ServiceProviderConfig;
///
/// let doc = ServiceProviderConfig::default().to_representation("https://example.com/scim/v2");
/// assert_eq!(doc["patch"]["supported"], true);
/// assert_eq!(doc["authenticationSchemes"][0]["type"], "oauthbearertoken");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceProviderConfig {
    /// Human-readable help.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation_uri: Option<String>,
    /// PATCH support.
    pub patch: Supported,
    /// Bulk support.
    pub bulk: BulkConfig,
    /// Filter support.
    pub filter: FilterConfig,
    /// Password change support.
    pub change_password: Supported,
    /// Sorting support.
    pub sort: Supported,
    /// ETag support.
    pub etag: Supported,
    /// Authentication schemes.
    pub authentication_schemes: Vec<AuthenticationScheme>,
}

impl Default for ServiceProviderConfig {
    fn default() -> Self {
        ServiceProviderConfig {
            documentation_uri: None,
            patch: Supported { supported: true },
            bulk: BulkConfig {
                supported: true,
                max_operations: 1000,
                max_payload_size: 1_048_576,
            },
            filter: FilterConfig {
                supported: true,
                max_results: 200,
            },
            change_password: Supported { supported: false },
            sort: Supported { supported: true },
            etag: Supported { supported: true },
            authentication_schemes: vec![AuthenticationScheme {
                kind: "oauthbearertoken".into(),
                name: "OAuth Bearer Token".into(),
                description: "Authentication scheme using the OAuth Bearer Token Standard".into(),
                spec_uri: Some("https://www.rfc-editor.org/info/rfc6750".into()),
                documentation_uri: None,
                primary: Some(true),
            }],
        }
    }
}

impl ServiceProviderConfig {
    /// The representation served at `/ServiceProviderConfig`.
    pub fn to_representation(&self, base_url: &str) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Some(obj) = v.as_object_mut() {
            obj.insert("schemas".into(), json!([SERVICE_PROVIDER_CONFIG_SCHEMA]));
            obj.insert(
                "meta".into(),
                json!({
                    "resourceType": "ServiceProviderConfig",
                    "location": format!("{}/ServiceProviderConfig", base_url.trim_end_matches('/')),
                }),
            );
        }
        v
    }
}
