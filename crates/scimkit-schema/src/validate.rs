//! Validation and normalisation for create (POST) and replace (PUT), RFC 7643 §2 and
//! RFC 7644 §3.3, §3.5.1.

use crate::profile::{Profile, PutAbsent, Unknown};
use crate::registry::ResourceSchema;
use crate::resource::{get_ci, is_unassigned, values_equal};
use crate::schema::{AttributeDef, AttributeType, Mutability, Schema};
use crate::ScimError;
use serde_json::{Map, Value};

/// Whether a value comes from a client (readOnly sub-attributes are dropped) or from storage
/// (kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Client,
    Stored,
}

/// Coerces a client value for `def`: checks its JSON type, normalises key spelling, applies the
/// profile's dialect conversions. `Ok(None)` means unassigned (null, empty array, empty object).
pub(crate) fn coerce(
    def: &AttributeDef,
    v: Value,
    p: &Profile,
    src: Source,
) -> Result<Option<Value>, ScimError> {
    if def.multi_valued {
        let items = match v {
            Value::Null => return Ok(None),
            Value::Array(a) => a,
            other => vec![other],
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            if let Some(c) = coerce_single(def, item, p, src)? {
                out.push(c);
            }
        }
        if out.is_empty() {
            return Ok(None);
        }
        if def.is_complex() {
            let primaries = out
                .iter()
                .filter(|e| e.get("primary") == Some(&Value::Bool(true)))
                .count();
            if primaries > 1 {
                return Err(ScimError::invalid_value(format!(
                    "at most one value of {} may have \"primary\": true",
                    def.name
                )));
            }
        }
        Ok(Some(Value::Array(out)))
    } else {
        if v.is_array() {
            return Err(ScimError::invalid_value(format!(
                "{} is single-valued; an array was given",
                def.name
            )));
        }
        coerce_single(def, v, p, src)
    }
}

fn type_error(def: &AttributeDef) -> ScimError {
    ScimError::invalid_value(format!(
        "{} must be of type {}{}",
        def.name,
        def.kind.as_str(),
        if def.kind == AttributeType::Complex && def.multi_valued {
            " (an array of objects)"
        } else {
            ""
        }
    ))
}

pub(crate) fn coerce_single(
    def: &AttributeDef,
    v: Value,
    p: &Profile,
    src: Source,
) -> Result<Option<Value>, ScimError> {
    if v.is_null() {
        return Ok(None);
    }
    match def.kind {
        AttributeType::Complex => match v {
            Value::Object(obj) => {
                let out = normalize_complex(def, obj, p, src)?;
                if out.is_empty() {
                    Ok(None)
                } else {
                    Ok(Some(Value::Object(out)))
                }
            }
            Value::String(s) if p.complex_from_bare_value && src == Source::Client => {
                match def.sub_attribute("value") {
                    Some(sd) => {
                        let Some(v) = coerce(sd, Value::String(s), p, src)? else {
                            return Ok(None);
                        };
                        let mut m = Map::new();
                        m.insert(sd.name.clone(), v);
                        Ok(Some(Value::Object(m)))
                    }
                    None => Err(type_error(def)),
                }
            }
            _ => Err(type_error(def)),
        },
        AttributeType::String => match v {
            Value::String(s) => {
                check_canonical(def, &s, p)?;
                Ok(Some(Value::String(s)))
            }
            _ => Err(type_error(def)),
        },
        AttributeType::Reference => match v {
            Value::String(s) => Ok(Some(Value::String(s))),
            _ => Err(type_error(def)),
        },
        AttributeType::Boolean => match v {
            Value::Bool(b) => Ok(Some(Value::Bool(b))),
            Value::String(s) if p.boolean_strings => {
                if s.eq_ignore_ascii_case("true") {
                    Ok(Some(Value::Bool(true)))
                } else if s.eq_ignore_ascii_case("false") {
                    Ok(Some(Value::Bool(false)))
                } else {
                    Err(type_error(def))
                }
            }
            _ => Err(type_error(def)),
        },
        AttributeType::Integer => match &v {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(Some(v)),
            _ => Err(type_error(def)),
        },
        AttributeType::Decimal => match &v {
            Value::Number(_) => Ok(Some(v)),
            _ => Err(type_error(def)),
        },
        AttributeType::DateTime => match &v {
            Value::String(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => Ok(Some(v)),
            _ => Err(type_error(def)),
        },
        AttributeType::Binary => match &v {
            Value::String(s) if is_base64(s) => Ok(Some(v)),
            _ => Err(type_error(def)),
        },
    }
}

/// Base64 (RFC 4648 §4, or the URL-safe alphabet of §5), padding optional, whitespace-free.
fn is_base64(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    s.len() - body.len() <= 2
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_'))
}

fn check_canonical(def: &AttributeDef, s: &str, p: &Profile) -> Result<(), ScimError> {
    if !(def.strict_canonical || p.strict_canonical_values) {
        return Ok(());
    }
    match &def.canonical_values {
        Some(values) if !values.is_empty() => {
            let ok = values.iter().any(|c| {
                if def.case_exact {
                    c == s
                } else {
                    c.eq_ignore_ascii_case(s)
                }
            });
            if ok {
                Ok(())
            } else {
                Err(ScimError::invalid_value(format!(
                    "{} must be one of: {}",
                    def.name,
                    values.join(", ")
                )))
            }
        }
        _ => Ok(()),
    }
}

fn duplicate(name: &str) -> ScimError {
    ScimError::invalid_syntax(format!(
        "the attribute {name} appears more than once with different letter case"
    ))
}

fn unknown_attribute(p: &Profile, owner: &str) -> Result<(), ScimError> {
    match p.unknown_attributes {
        Unknown::Ignore => Ok(()),
        Unknown::Reject => Err(ScimError::invalid_syntax(format!(
            "{owner} holds an attribute the schema does not define"
        ))),
    }
}

/// Normalises the sub-attributes of one complex value.
pub(crate) fn normalize_complex(
    def: &AttributeDef,
    obj: Map<String, Value>,
    p: &Profile,
    src: Source,
) -> Result<Map<String, Value>, ScimError> {
    let mut out = Map::new();
    for (k, v) in obj {
        let Some(sd) = def.sub_attribute(&k) else {
            unknown_attribute(p, &def.name)?;
            continue;
        };
        if out.contains_key(&sd.name) {
            return Err(duplicate(&format!("{}.{}", def.name, sd.name)));
        }
        if src == Source::Client && sd.mutability == Mutability::ReadOnly {
            // RFC 7644 §3.5.1: readOnly input is ignored. Still detect case duplicates.
            out.insert(sd.name.clone(), Value::Null);
            continue;
        }
        if let Some(c) = coerce(sd, v, p, src)? {
            out.insert(sd.name.clone(), c);
        } else {
            out.insert(sd.name.clone(), Value::Null);
        }
    }
    out.retain(|_, v| !v.is_null());
    for sd in &def.sub_attributes {
        if sd.required && sd.mutability != Mutability::ReadOnly && !out.contains_key(&sd.name) {
            return Err(ScimError::invalid_value(format!(
                "{}.{} is required",
                def.name, sd.name
            )));
        }
    }
    Ok(out)
}

/// The attributes of one schema (core + common, or an extension) given in a body.
struct Given<'r> {
    /// (definition, coerced value or None for explicit null)
    attrs: Vec<(&'r AttributeDef, Option<Value>)>,
}

impl Given<'_> {
    /// Takes the input given for `def`: `None` = absent, `Some(None)` = explicit null.
    fn take(&mut self, def: &AttributeDef) -> Option<Option<Value>> {
        self.attrs
            .iter_mut()
            .find(|(d, _)| std::ptr::eq(*d, def))
            .map(|(_, v)| v.take())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode<'e> {
    Create,
    Replace(&'e Map<String, Value>),
    Normalize,
}

impl<'r> ResourceSchema<'r> {
    /// Validates a create (POST) body and returns the resource to store, normalised to the
    /// schema's spelling: readOnly input (`id`, `meta`, `groups`) dropped, types checked,
    /// required attributes present, `schemas` listing the core schema and the extensions present.
    ///
    /// ```
    /// use scimkit_schema::{Profile, Registry};
    /// use serde_json::json;
    ///
    /// let registry = Registry::standard();
    /// let users = registry.resource_type("User").unwrap();
    /// let user = users
    ///     .validate_create(
    ///         json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    ///                "USERNAME": "bjensen", "id": "ignored", "active": "True"}),
    ///         &Profile::entra_id(),
    ///     )
    ///     .unwrap();
    /// assert_eq!(user["userName"], "bjensen");
    /// assert_eq!(user["active"], true);
    /// assert!(user.get("id").is_none());
    /// ```
    pub fn validate_create(&self, body: Value, profile: &Profile) -> Result<Value, ScimError> {
        self.process(body, Mode::Create, profile)
    }

    /// Validates a replace (PUT) body against the stored resource (RFC 7644 §3.5.1): readOnly
    /// input ignored and stored values kept; immutable values must match; writeOnly values kept
    /// when absent; `readWrite` attributes absent from the body cleared or kept as the profile's
    /// [`PutAbsent`] says, and cleared when given as `null`.
    pub fn validate_replace(
        &self,
        existing: &Value,
        body: Value,
        profile: &Profile,
    ) -> Result<Value, ScimError> {
        let empty = Map::new();
        let existing = existing.as_object().unwrap_or(&empty);
        self.process(body, Mode::Replace(existing), profile)
    }

    /// Normalises a stored or typed resource to the schema's spelling and checks value types,
    /// keeping readOnly values and without checking required attributes.
    pub fn normalize(&self, body: Value, profile: &Profile) -> Result<Value, ScimError> {
        self.process(body, Mode::Normalize, profile)
    }

    fn process(&self, body: Value, mode: Mode<'_>, p: &Profile) -> Result<Value, ScimError> {
        let Value::Object(body) = body else {
            return Err(ScimError::invalid_syntax(format!(
                "a {} must be a JSON object",
                self.name()
            )));
        };
        let src = if mode == Mode::Normalize {
            Source::Stored
        } else {
            Source::Client
        };
        let core = self.core();
        let mut core_given = Given { attrs: Vec::new() };
        let mut ext_given: Vec<(&'r Schema, Option<Given<'r>>)> = Vec::new();
        let mut listed: Option<Vec<String>> = None;
        let mut seen_schemas = false;

        for (key, value) in body {
            if key.eq_ignore_ascii_case("schemas") {
                if seen_schemas {
                    return Err(duplicate("schemas"));
                }
                seen_schemas = true;
                listed = Some(parse_schemas(value)?);
                continue;
            }
            if let Some(def) = self.core_attribute(&key) {
                if core_given.attrs.iter().any(|(d, _)| std::ptr::eq(*d, def)) {
                    return Err(duplicate(&def.name));
                }
                let v = self.attr_input(def, value, mode, p, src)?;
                core_given.attrs.push((def, v));
                continue;
            }
            if let Some(ext) = self.extension(&key) {
                if ext_given.iter().any(|(s, _)| std::ptr::eq(*s, ext)) {
                    return Err(duplicate(&ext.id));
                }
                let given = match value {
                    Value::Null => None,
                    Value::Object(obj) => {
                        let mut g = Given { attrs: Vec::new() };
                        for (k, v) in obj {
                            let Some(def) = ext.get(&k) else {
                                unknown_attribute(p, &ext.id)?;
                                continue;
                            };
                            if g.attrs.iter().any(|(d, _)| std::ptr::eq(*d, def)) {
                                return Err(duplicate(&def.name));
                            }
                            let v = self.attr_input(def, v, mode, p, src)?;
                            g.attrs.push((def, v));
                        }
                        Some(g)
                    }
                    _ => {
                        return Err(ScimError::invalid_value(format!(
                            "the extension {} must be a JSON object",
                            ext.id
                        )))
                    }
                };
                ext_given.push((ext, given));
                continue;
            }
            if key.len() > 4 && key[..4].eq_ignore_ascii_case("urn:") || key.contains("://") {
                if self.is_core(&key) {
                    return Err(ScimError::invalid_syntax(
                        "core attributes belong at the top level, not under the core schema URN",
                    ));
                }
                match p.unknown_schemas {
                    Unknown::Ignore => continue,
                    Unknown::Reject => {
                        return Err(ScimError::invalid_value(
                            "the body holds an extension this resource type does not have",
                        ))
                    }
                }
            }
            unknown_attribute(p, self.name())?;
        }

        // Assemble the core part.
        let mut out = Map::new();
        let existing = match mode {
            Mode::Replace(e) => Some(e),
            _ => None,
        };
        self.assemble(
            core.attributes
                .iter()
                .chain(self.registry().common_attributes()),
            &mut core_given,
            existing,
            mode,
            p,
            &mut out,
        )?;

        // Extensions.
        let mut present_ext: Vec<&'r Schema> = Vec::new();
        for (ext, required) in self.extensions() {
            let given = ext_given.iter_mut().find(|(s, _)| std::ptr::eq(*s, ext));
            let existing_ext = existing
                .and_then(|e| get_ci(e, &ext.id))
                .and_then(Value::as_object);
            let mut empty = Given { attrs: Vec::new() };
            let g = match given {
                Some((_, Some(g))) => g,
                _ => &mut empty,
            };
            // An explicit `null` for the whole extension clears it (except readOnly parts).
            let mut eo = Map::new();
            self.assemble(ext.attributes.iter(), g, existing_ext, mode, p, &mut eo)?;
            if !eo.is_empty() {
                out.insert(ext.id.clone(), Value::Object(eo));
                present_ext.push(ext);
            } else if required && mode != Mode::Normalize {
                return Err(ScimError::invalid_value(format!(
                    "the extension {} is required",
                    ext.id
                )));
            }
        }

        // schemas: the core schema must be listed; unknown URNs per the profile.
        let mut schemas = vec![Value::String(core.id.clone())];
        match listed {
            Some(list) => {
                if !list.iter().any(|u| self.is_core(u)) {
                    return Err(ScimError::invalid_value(format!(
                        "schemas must include {}",
                        core.id
                    )));
                }
                for urn in &list {
                    if self.is_core(urn) {
                        continue;
                    }
                    match self.extension(urn) {
                        Some(ext) => {
                            if !present_ext.iter().any(|e| std::ptr::eq(*e, ext)) {
                                // Listed without data: fine, nothing to keep.
                            }
                        }
                        None if p.unknown_schemas == Unknown::Ignore => {}
                        None => {
                            return Err(ScimError::invalid_value(
                                "schemas lists a schema this resource type does not have",
                            ))
                        }
                    }
                }
            }
            None if mode == Mode::Create && p.unknown_attributes == Unknown::Reject => {
                return Err(ScimError::invalid_value("schemas is required"));
            }
            None => {}
        }
        for ext in &present_ext {
            schemas.push(Value::String(ext.id.clone()));
        }
        out.insert("schemas".into(), Value::Array(schemas));
        Ok(Value::Object(out))
    }

    /// Coerces one top-level input value. `Ok(None)` = explicit null / unassigned.
    fn attr_input(
        &self,
        def: &AttributeDef,
        value: Value,
        mode: Mode<'_>,
        p: &Profile,
        src: Source,
    ) -> Result<Option<Value>, ScimError> {
        if def.mutability == Mutability::ReadOnly && mode != Mode::Normalize {
            // Ignored (RFC 7644 §3.5.1); not even type-checked, as Okta echoes what it read.
            return Ok(None);
        }
        coerce(def, value, p, src)
    }

    fn assemble<'a>(
        &self,
        defs: impl Iterator<Item = &'a AttributeDef>,
        given: &mut Given<'_>,
        existing: Option<&Map<String, Value>>,
        mode: Mode<'_>,
        p: &Profile,
        out: &mut Map<String, Value>,
    ) -> Result<(), ScimError> {
        for def in defs {
            let input = given.take(def);
            let old = existing
                .and_then(|e| get_ci(e, &def.name))
                .filter(|v| !is_unassigned(v));
            let value: Option<Value> = match mode {
                Mode::Normalize => input.flatten(),
                Mode::Create => {
                    if def.mutability == Mutability::ReadOnly {
                        None
                    } else {
                        input.flatten()
                    }
                }
                Mode::Replace(_) => match def.mutability {
                    Mutability::ReadOnly => old.cloned(),
                    Mutability::Immutable => match (input, old) {
                        (None, old) => old.cloned(),
                        (Some(None), Some(_)) => {
                            return Err(ScimError::mutability(format!(
                                "{} is immutable and cannot be cleared",
                                def.name
                            )))
                        }
                        (Some(Some(new)), Some(old)) if !values_equal(def, &new, old) => {
                            return Err(ScimError::mutability(format!(
                                "{} is immutable and cannot be changed",
                                def.name
                            )))
                        }
                        (Some(v), _) => v,
                    },
                    Mutability::WriteOnly => match input {
                        None => old.cloned(),
                        Some(v) => v,
                    },
                    Mutability::ReadWrite => match input {
                        None if p.put_absent == PutAbsent::Keep => old.cloned(),
                        None => None,
                        Some(v) => v,
                    },
                },
            };
            let value = match (value, old, mode) {
                (Some(v), Some(old), Mode::Replace(_)) => Some(keep_read_only_subs(def, v, old)),
                (v, _, _) => v,
            };
            match value {
                Some(v) => {
                    if def.required && is_empty_required(&v) && mode != Mode::Normalize {
                        return Err(ScimError::invalid_value(format!(
                            "{} must not be empty",
                            def.name
                        )));
                    }
                    out.insert(def.name.clone(), v);
                }
                None => {
                    if def.required
                        && def.mutability != Mutability::ReadOnly
                        && mode != Mode::Normalize
                    {
                        return Err(ScimError::invalid_value(format!(
                            "{} is required",
                            def.name
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

/// PUT ignores readOnly sub-attributes of a single-valued complex value (they were dropped from
/// the input); the stored ones are kept (e.g. `manager.displayName`).
fn keep_read_only_subs(def: &AttributeDef, new: Value, old: &Value) -> Value {
    if def.multi_valued {
        return new;
    }
    match (new, old) {
        (Value::Object(mut n), Value::Object(o)) => {
            for sd in &def.sub_attributes {
                if sd.mutability == Mutability::ReadOnly && !n.contains_key(&sd.name) {
                    if let Some(v) = get_ci(o, &sd.name) {
                        n.insert(sd.name.clone(), v.clone());
                    }
                }
            }
            Value::Object(n)
        }
        (new, _) => new,
    }
}

fn is_empty_required(v: &Value) -> bool {
    matches!(v, Value::String(s) if s.trim().is_empty())
}

fn parse_schemas(v: Value) -> Result<Vec<String>, ScimError> {
    let err = || ScimError::invalid_value("schemas must be an array of URI strings");
    match v {
        Value::Array(items) => items
            .into_iter()
            .map(|i| match i {
                Value::String(s) => Ok(s),
                _ => Err(err()),
            })
            .collect(),
        _ => Err(err()),
    }
}
