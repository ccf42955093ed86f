//! Compatibility profiles: the identity providers' dialects as data.
//!
//! A [`Profile`] says how requests are normalised to one canonical model before validation and
//! PATCH. [`Profile::default`] turns on every normalisation that cannot misread a standard
//! request (each of them only gives meaning to input that RFC 7643/7644 would reject);
//! [`Profile::entra_id`] and [`Profile::okta`] add what those identity providers need on top;
//! [`Profile::strict`] is RFC only. See `docs/schema.md` for the request each flag exists for.

/// What to do with input the schema does not define.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unknown {
    /// Drop it silently.
    Ignore,
    /// Reject the request with `400 invalidValue` (unknown schema) or `invalidSyntax`.
    Reject,
}

/// What a PUT that omits a `readWrite` attribute means (RFC 7644 §3.5.1 lets either be chosen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PutAbsent {
    /// The attribute is cleared (the full-replacement reading).
    Clear,
    /// The existing value is kept.
    Keep,
}

/// A named set of normalisations and strictness settings.
///
/// Start from a named profile and change flags by assignment (the type gains flags as IdPs
/// show new quirks, so it is `#[non_exhaustive]` and not built with a struct literal):
///
/// ```
/// use scimkit_schema::Profile;
///
/// let mut lenient = Profile::strict();
/// lenient.boolean_strings = true; // accept Entra ID's "True"/"False"
/// assert!(!lenient.create_on_no_match);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Profile {
    /// The profile's name (`default`, `strict`, `entra-id`, `okta`).
    pub name: &'static str,
    /// Attributes the schema does not define (top level and inside complex values).
    pub unknown_attributes: Unknown,
    /// URNs in `schemas` (or extension objects) not registered for the resource type.
    /// Entra ID sends `http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group`.
    pub unknown_schemas: Unknown,
    /// Reject values outside `canonicalValues` for every attribute that lists some (otherwise only
    /// attributes marked [`strict_canonical`](crate::AttributeDef::strict_canonical) are checked).
    pub strict_canonical_values: bool,
    /// PUT without a `readWrite` attribute.
    pub put_absent: PutAbsent,
    /// `"True"` / `"False"` (any case) accepted for boolean attributes (Entra ID's default PATCH).
    pub boolean_strings: bool,
    /// A path-less add/replace whose value has keys such as `name.givenName`,
    /// `emails[type eq "work"].value` or `urn:…:enterprise:2.0:User:employeeNumber` treats those
    /// keys as paths (Entra ID with `aadOptscim062020`).
    pub path_keys_in_value: bool,
    /// `remove` on a multi-valued attribute with a `value` list removes exactly the listed
    /// elements instead of all (Entra ID's default `Remove members`).
    pub remove_by_value: bool,
    /// A `remove` whose value filter (`members[value eq "x"]`) or value list matches nothing
    /// succeeds without change instead of failing with `noTarget` (RFC 7644 §3.5.2 table 9).
    /// Entra ID's `Remove members` and Okta's membership updates are retried and expect success.
    pub idempotent_remove: bool,
    /// `add` / `replace` on a value path whose filter matches nothing creates the element from
    /// the filter's `eq` terms instead of failing with `noTarget` (Entra ID).
    pub create_on_no_match: bool,
    /// A bare string given for a complex attribute with a `value` sub-attribute becomes
    /// `{"value": …}` (Entra ID's `manager`).
    pub complex_from_bare_value: bool,
    /// A PATCH that "changes" a `readOnly` attribute to the value it already has is a no-op
    /// instead of a `mutability` error (Okta's group rename sends `id`).
    pub ignore_unchanged_read_only: bool,
    /// A path or key naming an extension attribute without its URN (`manager`) resolves to the
    /// one extension of the resource type that defines it (Entra ID's older `Add manager`).
    pub unqualified_extension_names: bool,
    /// A one-element array given for a single-valued attribute is taken as that element, an
    /// empty one as null (Entra ID sends `"value": [{"value": …}]` for `manager`).
    pub unwrap_single_element_arrays: bool,
    /// Filter comparison values may be unquoted (`userName eq bjensen`), as Microsoft's
    /// provisioning documentation shows them; a quoted value means the same. Off where a
    /// standard filter could be misread: only Entra ID's profile has it.
    pub unquoted_filter_values: bool,
}

impl Default for Profile {
    /// Every normalisation that cannot misread a standard request.
    fn default() -> Self {
        Profile {
            name: "default",
            unknown_attributes: Unknown::Ignore,
            unknown_schemas: Unknown::Reject,
            strict_canonical_values: false,
            put_absent: PutAbsent::Clear,
            boolean_strings: true,
            path_keys_in_value: true,
            remove_by_value: true,
            idempotent_remove: true,
            create_on_no_match: false,
            complex_from_bare_value: true,
            ignore_unchanged_read_only: true,
            unqualified_extension_names: true,
            unwrap_single_element_arrays: true,
            unquoted_filter_values: false,
        }
    }
}

impl Profile {
    /// RFC 7643 / 7644 only: no dialect normalisation, unknown attributes rejected.
    pub fn strict() -> Self {
        Profile {
            name: "strict",
            unknown_attributes: Unknown::Reject,
            unknown_schemas: Unknown::Reject,
            strict_canonical_values: false,
            put_absent: PutAbsent::Clear,
            boolean_strings: false,
            path_keys_in_value: false,
            remove_by_value: false,
            idempotent_remove: false,
            create_on_no_match: false,
            complex_from_bare_value: false,
            ignore_unchanged_read_only: false,
            unqualified_extension_names: false,
            unwrap_single_element_arrays: false,
            unquoted_filter_values: false,
        }
    }

    /// Microsoft Entra ID, both its default PATCH shapes and the `aadOptscim062020` ones:
    /// the default profile plus element creation on unmatched value paths and tolerance of
    /// unknown schema URNs in create bodies.
    pub fn entra_id() -> Self {
        Profile {
            name: "entra-id",
            unknown_schemas: Unknown::Ignore,
            create_on_no_match: true,
            unquoted_filter_values: true,
            ..Profile::default()
        }
    }

    /// Okta: the default profile covers its shapes (full-object PUT with `id`, `meta`, `groups`
    /// and `password`; path-less `replace` of `active`; group rename carrying `id`).
    pub fn okta() -> Self {
        Profile {
            name: "okta",
            ..Profile::default()
        }
    }

    /// The profile with this name, if any (`default`, `strict`, `entra-id`, `okta`).
    pub fn by_name(name: &str) -> Option<Self> {
        [
            Profile::default(),
            Profile::strict(),
            Profile::entra_id(),
            Profile::okta(),
        ]
        .into_iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
    }
}
