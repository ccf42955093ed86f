//! Validation and normalisation for create (POST) and replace (PUT), RFC 7643 §2 and
//! RFC 7644 §3.3, §3.5.1.
//!
//! Bodies are checked and normalised in place: keys already in the schema's spelling are kept
//! as they are, so a well-formed body is validated without rebuilding its maps.

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
    mut v: Value,
    p: &Profile,
    src: Source,
    max: usize,
) -> Result<Option<Value>, ScimError> {
    Ok(coerce_in_place(def, &mut v, p, src, max)?.then_some(v))
}

/// [`coerce`] for one element of a multi-valued attribute (or a single value).
pub(crate) fn coerce_single(
    def: &AttributeDef,
    mut v: Value,
    p: &Profile,
    src: Source,
    max: usize,
) -> Result<Option<Value>, ScimError> {
    Ok(single_in_place(def, &mut v, p, src, max)?.then_some(v))
}

/// Checks and normalises `v` in place; `Ok(false)` when it is unassigned. A multi-valued
/// attribute given more than `max` values is rejected before any of them is looked at.
pub(crate) fn coerce_in_place(
    def: &AttributeDef,
    v: &mut Value,
    p: &Profile,
    src: Source,
    max: usize,
) -> Result<bool, ScimError> {
    if v.is_null() {
        return Ok(false);
    }
    if !def.multi_valued {
        if let (Value::Array(items), true) = (&mut *v, p.unwrap_single_element_arrays) {
            if items.len() <= 1 {
                *v = items.pop().unwrap_or(Value::Null);
                return coerce_in_place(def, v, p, src, max);
            }
        }
        if v.is_array() {
            return Err(ScimError::invalid_value(format!(
                "{} is single-valued; an array was given",
                def.name
            )));
        }
        return single_in_place(def, v, p, src, max);
    }
    if let Value::Array(items) = &*v {
        check_size(def, items.len(), max)?;
    }
    if !v.is_array() {
        let single = std::mem::take(v);
        *v = Value::Array(vec![single]);
    }
    let Value::Array(items) = v else {
        return Ok(false);
    };
    // Unassigned elements are dropped in one pass (not one shift per element).
    let mut err = None;
    items.retain_mut(|e| {
        if err.is_some() {
            return true;
        }
        single_in_place(def, e, p, src, max).unwrap_or_else(|e| {
            err = Some(e);
            true
        })
    });
    if let Some(e) = err {
        return Err(e);
    }
    if items.is_empty() {
        return Ok(false);
    }
    if def.is_complex()
        && items
            .iter()
            .filter(|e| e.get("primary") == Some(&Value::Bool(true)))
            .count()
            > 1
    {
        return Err(ScimError::invalid_value(format!(
            "at most one value of {} may have \"primary\": true",
            def.name
        )));
    }
    Ok(true)
}

/// A multi-valued attribute may hold at most `max` values ([`Limits`](crate::Limits)).
pub(crate) fn check_size(def: &AttributeDef, len: usize, max: usize) -> Result<(), ScimError> {
    if len > max {
        return Err(ScimError::invalid_value(format!(
            "{} may hold at most {max} values",
            def.name
        )));
    }
    Ok(())
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

fn single_in_place(
    def: &AttributeDef,
    v: &mut Value,
    p: &Profile,
    src: Source,
    max: usize,
) -> Result<bool, ScimError> {
    match def.kind {
        AttributeType::Complex => match v {
            Value::Null => Ok(false),
            Value::Object(obj) => {
                complex_in_place(def, obj, p, src, max)?;
                Ok(!obj.is_empty())
            }
            Value::String(s) if p.complex_from_bare_value && src == Source::Client => {
                let Some(sd) = def.sub_attribute("value") else {
                    return Err(type_error(def));
                };
                let mut inner = Value::String(std::mem::take(s));
                if !coerce_in_place(sd, &mut inner, p, src, max)? {
                    return Ok(false);
                }
                let mut m = Map::new();
                m.insert(sd.name.clone(), inner);
                *v = Value::Object(m);
                Ok(true)
            }
            _ => Err(type_error(def)),
        },
        AttributeType::String => match v {
            Value::Null => Ok(false),
            Value::String(s) => {
                check_canonical(def, s, p)?;
                Ok(true)
            }
            _ => Err(type_error(def)),
        },
        AttributeType::Reference => match v {
            Value::Null => Ok(false),
            Value::String(_) => Ok(true),
            _ => Err(type_error(def)),
        },
        AttributeType::Boolean => match v {
            Value::Null => Ok(false),
            Value::Bool(_) => Ok(true),
            Value::String(s) if p.boolean_strings => {
                if s.eq_ignore_ascii_case("true") {
                    *v = Value::Bool(true);
                } else if s.eq_ignore_ascii_case("false") {
                    *v = Value::Bool(false);
                } else {
                    return Err(type_error(def));
                }
                Ok(true)
            }
            _ => Err(type_error(def)),
        },
        AttributeType::Integer => match v {
            Value::Null => Ok(false),
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(true),
            _ => Err(type_error(def)),
        },
        AttributeType::Decimal => match v {
            Value::Null => Ok(false),
            Value::Number(_) => Ok(true),
            _ => Err(type_error(def)),
        },
        AttributeType::DateTime => match v {
            Value::Null => Ok(false),
            Value::String(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => Ok(true),
            _ => Err(type_error(def)),
        },
        AttributeType::Binary => match v {
            Value::Null => Ok(false),
            Value::String(s) if is_base64(s) => Ok(true),
            _ => Err(type_error(def)),
        },
    }
}

/// Base64 (RFC 4648 §4, or the URL-safe alphabet of §5), padding optional; line breaks and
/// spaces are allowed as in MIME (RFC 2045 §6.8), as the RFC 7643 §8.2 certificate shows.
fn is_base64(s: &str) -> bool {
    let s = s.trim_end_matches(|c: char| c.is_ascii_whitespace());
    let body = s.trim_end_matches('=');
    s.len() - body.len() <= 2
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'+' | b'/' | b'-' | b'_')
                || b.is_ascii_whitespace()
        })
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

/// Runs `step` on every member, removing those for which it answers `Ok(false)` — without
/// copying keys. After the first error the remaining members are left alone and the error is
/// returned.
fn retain_checked(
    map: &mut Map<String, Value>,
    mut step: impl FnMut(&String, &mut Value) -> Result<bool, ScimError>,
) -> Result<(), ScimError> {
    let mut err = None;
    map.retain(|k, v| {
        if err.is_some() {
            return true;
        }
        step(k, v).unwrap_or_else(|e| {
            err = Some(e);
            true
        })
    });
    err.map_or(Ok(()), Err)
}

/// Renames members to the schema's spelling (rare: only input spelled otherwise).
fn apply_renames(map: &mut Map<String, Value>, renames: Vec<(String, String)>) {
    for (from, to) in renames {
        if let Some(v) = map.remove(&from) {
            map.insert(to, v);
        }
    }
}

/// Normalises the sub-attributes of one complex value in place.
fn complex_in_place(
    def: &AttributeDef,
    obj: &mut Map<String, Value>,
    p: &Profile,
    src: Source,
    max: usize,
) -> Result<(), ScimError> {
    let mut seen: u128 = 0;
    let mut renames = Vec::new();
    retain_checked(obj, |k, v| {
        let Some((idx, sd)) = def.sub_attribute_indexed(k) else {
            unknown_attribute(p, &def.name)?;
            return Ok(false);
        };
        let bit = 1u128 << idx.min(127);
        if seen & bit != 0 {
            return Err(duplicate(&format!("{}.{}", def.name, sd.name)));
        }
        seen |= bit;
        if src == Source::Client && sd.mutability == Mutability::ReadOnly {
            // RFC 7644 §3.5.1: readOnly input is ignored.
            return Ok(false);
        }
        if !coerce_in_place(sd, v, p, src, max)? {
            return Ok(false);
        }
        if *k != sd.name {
            renames.push((k.clone(), sd.name.clone()));
        }
        Ok(true)
    })?;
    apply_renames(obj, renames);
    for sd in &def.sub_attributes {
        if sd.required && sd.mutability != Mutability::ReadOnly && !obj.contains_key(&sd.name) {
            return Err(ScimError::invalid_value(format!(
                "{}.{} is required",
                def.name, sd.name
            )));
        }
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode<'e> {
    Create,
    Replace(&'e Map<String, Value>),
    Normalize,
}

/// What the body said about one attribute.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Given {
    Absent,
    Value,
    Null,
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
        let Value::Object(mut obj) = body else {
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
        let common = self.registry().common_attributes();
        let n_core = core.attributes.len();
        let core_def = |i: usize| {
            if i < n_core {
                &core.attributes[i]
            } else {
                &common[i - n_core]
            }
        };
        // Registries hold at most IMPLICIT_BASE attributes per schema (checked when built).
        let mut given_buf = [Given::Absent; crate::schema::IMPLICIT_BASE + 8];
        let Some(given) = given_buf.get_mut(..n_core + common.len()) else {
            return Err(ScimError::internal("the schema has too many attributes"));
        };
        let mut exts: Vec<(&'r Schema, bool, Vec<Given>)> = self
            .extensions()
            .map(|(s, req)| (s, req, Vec::new()))
            .collect();
        let mut listed = false;
        let mut seen_schemas = false;
        let mut renames: Vec<(String, String)> = Vec::new();

        retain_checked(&mut obj, |key, value| {
            if key.eq_ignore_ascii_case("schemas") {
                if seen_schemas {
                    return Err(duplicate("schemas"));
                }
                seen_schemas = true;
                self.check_schemas(value, p)?;
                listed = true;
                if key != "schemas" {
                    renames.push((key.clone(), "schemas".into()));
                }
                return Ok(true);
            }
            if let Some(i) = core
                .attributes
                .iter()
                .position(|a| a.name.eq_ignore_ascii_case(key))
                .or_else(|| {
                    common
                        .iter()
                        .position(|a| a.name.eq_ignore_ascii_case(key))
                        .map(|j| n_core + j)
                })
            {
                let def = core_def(i);
                if given[i] != Given::Absent {
                    return Err(duplicate(&def.name));
                }
                let (g, keep) = self.attr_in_place(def, key, value, mode, p, src, &mut renames)?;
                given[i] = g;
                return Ok(keep);
            }
            if let Some(e) = exts
                .iter_mut()
                .find(|(s, _, _)| s.id.eq_ignore_ascii_case(key))
            {
                if !e.2.is_empty() {
                    return Err(duplicate(&e.0.id));
                }
                let ext = e.0;
                e.2 = vec![Given::Absent; ext.attributes.len()];
                match value {
                    Value::Null => return Ok(false),
                    Value::Object(eobj) => {
                        let mut erenames = Vec::new();
                        retain_checked(eobj, |k, v| {
                            let Some(i) = ext
                                .attributes
                                .iter()
                                .position(|a| a.name.eq_ignore_ascii_case(k))
                            else {
                                unknown_attribute(p, &ext.id)?;
                                return Ok(false);
                            };
                            let def = &ext.attributes[i];
                            if e.2[i] != Given::Absent {
                                return Err(duplicate(&def.name));
                            }
                            let (g, keep) =
                                self.attr_in_place(def, k, v, mode, p, src, &mut erenames)?;
                            e.2[i] = g;
                            Ok(keep)
                        })?;
                        apply_renames(eobj, erenames);
                        if *key != ext.id {
                            renames.push((key.clone(), ext.id.clone()));
                        }
                    }
                    _ => {
                        return Err(ScimError::invalid_value(format!(
                            "the extension {} must be a JSON object",
                            ext.id
                        )))
                    }
                }
                return Ok(true);
            }
            let urn_like =
                key.get(..4).is_some_and(|s| s.eq_ignore_ascii_case("urn:")) || key.contains("://");
            if urn_like {
                if self.is_core(key) {
                    return Err(ScimError::invalid_syntax(
                        "core attributes belong at the top level, not under the core schema URN",
                    ));
                }
                if p.unknown_schemas == Unknown::Reject {
                    return Err(ScimError::invalid_value(
                        "the body holds an extension this resource type does not have",
                    ));
                }
            } else {
                unknown_attribute(p, self.name())?;
            }
            Ok(false)
        })?;
        apply_renames(&mut obj, renames);

        // PUT: mutability against the stored resource.
        if let Mode::Replace(existing) = mode {
            for (i, g) in given.iter().enumerate() {
                replace_rules(core_def(i), *g, &mut obj, existing, p)?;
            }
            for (ext, _, g) in &exts {
                let stored = get_ci(existing, &ext.id).and_then(Value::as_object);
                if stored.is_none() && g.is_empty() {
                    continue;
                }
                let mut eobj = match obj.remove(&ext.id) {
                    Some(Value::Object(m)) => m,
                    _ => Map::new(),
                };
                let empty = Map::new();
                let stored = stored.unwrap_or(&empty);
                for (i, def) in ext.attributes.iter().enumerate() {
                    let gi = g.get(i).copied().unwrap_or(Given::Absent);
                    replace_rules(def, gi, &mut eobj, stored, p)?;
                }
                obj.insert(ext.id.clone(), Value::Object(eobj));
            }
        }

        // Required attributes, extensions and the schemas list.
        if mode != Mode::Normalize {
            for i in 0..given.len() {
                check_required(core_def(i), &obj)?;
            }
        }
        // Extensions present (bit i = i-th extension of the type).
        let mut present_ext: u64 = 0;
        for (i, (ext, required, _)) in exts.iter().enumerate() {
            let present = match obj.get(&ext.id) {
                Some(Value::Object(m)) if !m.is_empty() => true,
                Some(_) => {
                    obj.remove(&ext.id);
                    false
                }
                None => false,
            };
            if present {
                if mode != Mode::Normalize {
                    if let Some(Value::Object(m)) = obj.get(&ext.id) {
                        for def in &ext.attributes {
                            check_required(def, m)?;
                        }
                    }
                }
                present_ext |= 1 << i.min(63);
            } else if *required && mode != Mode::Normalize {
                return Err(ScimError::invalid_value(format!(
                    "the extension {} is required",
                    ext.id
                )));
            }
        }
        if !listed && mode == Mode::Create && p.unknown_attributes == Unknown::Reject {
            return Err(ScimError::invalid_value("schemas is required"));
        }
        // `schemas` is the core schema and the extensions present, in the type's order. The
        // client's array is kept when it already says exactly that (the usual case).
        let expected = std::iter::once(core.id.as_str()).chain(
            exts.iter()
                .enumerate()
                .filter(|(i, _)| present_ext & (1 << (*i).min(63)) != 0)
                .map(|(_, (e, _, _))| e.id.as_str()),
        );
        let same = match obj.get("schemas") {
            Some(Value::Array(a)) => {
                a.len() == 1 + present_ext.count_ones() as usize
                    && a.iter()
                        .zip(expected.clone())
                        .all(|(x, y)| x.as_str() == Some(y))
            }
            _ => false,
        };
        if !same {
            let list = expected.map(|s| Value::String(s.to_string())).collect();
            obj.insert("schemas".into(), Value::Array(list));
        }
        Ok(Value::Object(obj))
    }

    /// Checks the `schemas` member: an array of strings naming the core schema, and only
    /// registered extensions unless the profile ignores unknown ones.
    fn check_schemas(&self, v: &Value, p: &Profile) -> Result<(), ScimError> {
        let err = || ScimError::invalid_value("schemas must be an array of URI strings");
        let Value::Array(items) = v else {
            return Err(err());
        };
        let mut has_core = false;
        for item in items {
            let urn = item.as_str().ok_or_else(err)?;
            if self.is_core(urn) {
                has_core = true;
            } else if self.extension(urn).is_none() && p.unknown_schemas == Unknown::Reject {
                return Err(ScimError::invalid_value(
                    "schemas lists a schema this resource type does not have",
                ));
            }
        }
        if !has_core {
            return Err(ScimError::invalid_value(format!(
                "schemas must include {}",
                self.core().id
            )));
        }
        Ok(())
    }

    /// Checks one attribute of the body in place: what was given, and whether to keep the
    /// member (a rename to the schema's spelling is recorded).
    #[allow(clippy::too_many_arguments)]
    fn attr_in_place(
        &self,
        def: &AttributeDef,
        key: &str,
        value: &mut Value,
        mode: Mode<'_>,
        p: &Profile,
        src: Source,
        renames: &mut Vec<(String, String)>,
    ) -> Result<(Given, bool), ScimError> {
        if def.mutability == Mutability::ReadOnly && mode != Mode::Normalize {
            // Ignored (RFC 7644 §3.5.1); not even type-checked, as Okta echoes what it read.
            return Ok((Given::Absent, false));
        }
        // Stored resources are read back whatever limit is set today.
        let max = match mode {
            Mode::Normalize => usize::MAX,
            _ => self.registry().limits().max_values(),
        };
        if !coerce_in_place(def, value, p, src, max)? {
            return Ok((Given::Null, false));
        }
        if key != def.name {
            renames.push((key.to_string(), def.name.clone()));
        }
        Ok((Given::Value, true))
    }
}

/// RFC 7644 §3.5.1 for one attribute of a PUT: `obj` holds the (normalised) input.
fn replace_rules(
    def: &AttributeDef,
    given: Given,
    obj: &mut Map<String, Value>,
    existing: &Map<String, Value>,
    p: &Profile,
) -> Result<(), ScimError> {
    let old = get_ci(existing, &def.name).filter(|v| !is_unassigned(v));
    let keep = match (def.mutability, given) {
        (Mutability::ReadOnly, _) => true,
        (Mutability::Immutable, Given::Absent) => true,
        (Mutability::Immutable, Given::Null) => {
            if old.is_some() {
                return Err(ScimError::mutability(format!(
                    "{} is immutable and cannot be cleared",
                    def.name
                )));
            }
            false
        }
        (Mutability::Immutable, Given::Value) => {
            if let (Some(old), Some(new)) = (old, obj.get(&def.name)) {
                if !values_equal(def, new, old) {
                    return Err(ScimError::mutability(format!(
                        "{} is immutable and cannot be changed",
                        def.name
                    )));
                }
            }
            false
        }
        (Mutability::WriteOnly, Given::Absent) => true,
        (Mutability::ReadWrite, Given::Absent) => p.put_absent == PutAbsent::Keep,
        _ => false,
    };
    match old {
        Some(old) if keep => {
            obj.insert(def.name.clone(), old.clone());
        }
        Some(Value::Object(o))
            if given == Given::Value && def.is_complex() && !def.multi_valued =>
        {
            // readOnly sub-attributes were dropped from the input; the stored ones stay
            // (e.g. `manager.displayName`).
            if let Some(Value::Object(n)) = obj.get_mut(&def.name) {
                for sd in &def.sub_attributes {
                    if sd.mutability == Mutability::ReadOnly && !n.contains_key(&sd.name) {
                        if let Some(v) = get_ci(o, &sd.name) {
                            n.insert(sd.name.clone(), v.clone());
                        }
                    }
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn check_required(def: &AttributeDef, obj: &Map<String, Value>) -> Result<(), ScimError> {
    if !def.required || def.mutability == Mutability::ReadOnly {
        return Ok(());
    }
    match obj.get(&def.name) {
        None => Err(ScimError::invalid_value(format!(
            "{} is required",
            def.name
        ))),
        Some(Value::String(s)) if s.trim().is_empty() => Err(ScimError::invalid_value(format!(
            "{} must not be empty",
            def.name
        ))),
        Some(_) => Ok(()),
    }
}
