//! The PATCH engine (RFC 7644 §3.5.2): add / replace / remove, with and without path, value
//! filters, sub-attributes, extension URNs, multi-valued semantics and `primary` uniqueness.
//! All operations of a request apply, or none.

use crate::elements::{ElementIndex, PatternSet, Purpose};
use crate::messages::{PatchOp, PatchOpKind, PatchOperation};
use crate::profile::{Profile, Unknown};
use crate::registry::ResourceSchema;
use crate::resource::{get_ci, get_ci_mut, is_unassigned, key_ci, remove_ci, values_equal};
use crate::schema::{AttributeDef, Mutability, Schema};
use crate::validate::{check_size, coerce, coerce_single, Source};
use crate::{ScimError, ScimType};
use scimkit_filter::{AttrTest, CompValue, CompareOp, Filter, PatchPath, ValuePath};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// The result of [`ResourceSchema::patch`]: the new resource and what changed.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOutcome {
    /// The patched resource.
    pub resource: Value,
    /// The attributes that changed, in the schema's spelling (`userName`, `name.givenName`,
    /// `emails`, `urn:…:enterprise:2.0:User:manager`), each once, in order of first change.
    pub changed: Vec<String>,
}

/// The undo log making a PATCH atomic: each top-level slot touched is saved once, before its
/// first change.
struct Tx<'r> {
    enabled: bool,
    saved: Vec<(Cow<'r, str>, Option<Value>)>,
}

impl<'r> Tx<'r> {
    /// Saves the slot `key` (a schema spelling borrowed from the registry) before its first
    /// change; the stored spelling is kept when it differs.
    fn touch(&mut self, obj: &Map<String, Value>, key: &'r str) {
        if !self.enabled || self.saved.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
            return;
        }
        let (k, v) = match obj.get(key) {
            Some(v) => (Cow::Borrowed(key), Some(v.clone())),
            None => match key_ci(obj, key) {
                Some(k) => (Cow::Owned(k.to_string()), obj.get(k).cloned()),
                None => (Cow::Borrowed(key), None),
            },
        };
        self.saved.push((k, v));
    }

    fn rollback(self, obj: &mut Map<String, Value>) {
        for (k, v) in self.saved.into_iter().rev() {
            remove_ci(obj, &k);
            if let Some(v) = v {
                obj.insert(k.into_owned(), v);
            }
        }
    }
}

/// A resolved PATCH target.
struct Target<'r, 'p> {
    ext: Option<&'r Schema>,
    def: &'r AttributeDef,
    filter: Option<ValuePath<'p>>,
    sub: Option<&'r AttributeDef>,
}

enum Resolved<'r, 'p> {
    Attr(Target<'r, 'p>),
    Extension(&'r Schema),
}

struct Ctx<'a, 'r> {
    profile: &'a Profile,
    tx: Tx<'r>,
    changed: Vec<String>,
    /// The target being applied is the last write of the request (the last operation, with a
    /// path): if it cannot fail once it starts writing, it needs no undo copy.
    final_target: bool,
    /// Values of multi-valued attributes the operations so far go through
    /// ([`Limits::max_patch_value_visits`](crate::Limits)).
    visits: usize,
}

impl Ctx<'_, '_> {
    fn changed(&mut self, t: &Target<'_, '_>) {
        let ext = t.ext.map(|e| e.id.as_str());
        let sub = t.sub.map(|s| s.name.as_str());
        let same = |c: &String| {
            let mut rest = c.as_str();
            if let Some(e) = ext {
                match rest.strip_prefix(e).and_then(|r| r.strip_prefix(':')) {
                    Some(r) => rest = r,
                    None => return false,
                }
            }
            match rest.strip_prefix(t.def.name.as_str()) {
                Some(r) => match sub {
                    Some(s) => r.strip_prefix('.') == Some(s),
                    None => r.is_empty(),
                },
                None => false,
            }
        };
        if self.changed.iter().any(same) {
            return;
        }
        let mut name = String::with_capacity(
            ext.map_or(0, |e| e.len() + 1) + t.def.name.len() + sub.map_or(0, |s| s.len() + 1),
        );
        if let Some(e) = ext {
            name.push_str(e);
            name.push(':');
        }
        name.push_str(&t.def.name);
        if let Some(s) = sub {
            name.push('.');
            name.push_str(s);
        }
        self.changed.push(name);
    }
}

fn invalid_path(detail: impl Into<String>) -> ScimError {
    ScimError::invalid_path(detail)
}

fn comp_to_json(v: &CompValue<'_>) -> Value {
    match v {
        CompValue::False => Value::Bool(false),
        CompValue::True => Value::Bool(true),
        CompValue::Null => Value::Null,
        CompValue::Number(n) => Value::Number(n.clone()),
        CompValue::String(s) => Value::String(s.to_string()),
    }
}

/// The element an unmatched `attr[sub eq "x" and …]` describes (Entra ID creates it). Values
/// are coerced like input (`primary eq "True"` gives `"primary": true`).
fn element_from_filter(
    def: &AttributeDef,
    f: &Filter<'_>,
    p: &Profile,
    max: usize,
    out: &mut Map<String, Value>,
) -> bool {
    match f {
        Filter::Attr {
            path,
            test: AttrTest::Compare(CompareOp::Eq, v),
        } if path.urn.is_none() && path.sub_attr.is_none() => match def.sub_attribute(&path.name) {
            Some(sd) => match coerce(sd, comp_to_json(v), p, Source::Client, max) {
                Ok(Some(v)) => {
                    out.insert(sd.name.clone(), v);
                    true
                }
                _ => false,
            },
            None => false,
        },
        Filter::And(fs) => fs.iter().all(|f| element_from_filter(def, f, p, max, out)),
        _ => false,
    }
}

fn is_primary(v: &Value) -> bool {
    v.get("primary") == Some(&Value::Bool(true))
}

/// Sets `primary: false` on every element but `keep` (RFC 7644 §3.5.2), in one pass.
fn clear_other_primaries(items: &mut [Value], keep: &[usize]) {
    let mut kept = vec![false; items.len()];
    for &i in keep {
        if let Some(k) = kept.get_mut(i) {
            *k = true;
        }
    }
    for (item, kept) in items.iter_mut().zip(kept) {
        if kept {
            continue;
        }
        if let Some(o) = item.as_object_mut() {
            if o.get("primary") == Some(&Value::Bool(true)) {
                o.insert("primary".into(), Value::Bool(false));
            }
        }
    }
}

fn check_primaries(def: &AttributeDef, items: &[Value]) -> Result<(), ScimError> {
    if items.iter().filter(|v| is_primary(v)).count() > 1 {
        return Err(ScimError::invalid_value(format!(
            "at most one value of {} may have \"primary\": true",
            def.name
        )));
    }
    Ok(())
}

fn required_empty(def: &AttributeDef, v: &Value) -> Result<(), ScimError> {
    if def.required && matches!(v, Value::String(s) if s.trim().is_empty()) {
        return Err(ScimError::invalid_value(format!(
            "{} must not be empty",
            def.name
        )));
    }
    Ok(())
}

impl<'r> ResourceSchema<'r> {
    /// Applies a PATCH to a copy of `resource` and returns the new resource with the list of
    /// changed attributes. `resource` is never modified.
    ///
    /// ```
    /// use scimkit_schema::{PatchOp, Profile, Registry};
    /// use serde_json::json;
    ///
    /// let registry = Registry::standard();
    /// let users = registry.resource_type("User").unwrap();
    /// let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    ///                   "id": "1", "userName": "bjensen",
    ///                   "emails": [{"value": "b@example.com", "type": "work"}]});
    /// // Entra ID's default request: capitalised op, string boolean.
    /// let patch: PatchOp = serde_json::from_value(json!({
    ///     "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    ///     "Operations": [
    ///         {"op": "Replace", "path": "active", "value": "False"},
    ///         {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "bj@example.com"}
    ///     ]
    /// })).unwrap();
    /// let out = users.patch(&user, &patch, &Profile::entra_id()).unwrap();
    /// assert_eq!(out.resource["active"], false);
    /// assert_eq!(out.resource["emails"][0]["value"], "bj@example.com");
    /// assert_eq!(out.changed, ["active", "emails.value"]);
    /// ```
    pub fn patch(
        &self,
        resource: &Value,
        patch: &PatchOp,
        profile: &Profile,
    ) -> Result<PatchOutcome, ScimError> {
        self.check_operations(patch)?;
        let mut copy = resource.clone();
        let changed = self.apply(&mut copy, &patch.operations, profile, false)?;
        Ok(PatchOutcome {
            resource: copy,
            changed,
        })
    }

    /// Applies a PATCH in place, atomically: on error `resource` is left exactly as it was.
    /// Only the top-level attributes an operation touches are copied (once each), so this is
    /// the fast path for stores that own the resource.
    pub fn apply_patch(
        &self,
        resource: &mut Value,
        patch: &PatchOp,
        profile: &Profile,
    ) -> Result<Vec<String>, ScimError> {
        self.check_operations(patch)?;
        self.apply(resource, &patch.operations, profile, true)
    }

    /// A PATCH may hold at most [`Limits::max_patch_operations`](crate::Limits) operations:
    /// `413`, as Bulk's `maxOperations`.
    fn check_operations(&self, patch: &PatchOp) -> Result<(), ScimError> {
        let max = self.registry().limits().max_patch_operations();
        if patch.operations.len() > max {
            return Err(ScimError::payload_too_large(format!(
                "a PATCH request may hold at most {max} operations"
            )));
        }
        Ok(())
    }

    fn max_values(&self) -> usize {
        self.registry().limits().max_values()
    }

    fn apply(
        &self,
        resource: &mut Value,
        ops: &[PatchOperation],
        profile: &Profile,
        undo: bool,
    ) -> Result<Vec<String>, ScimError> {
        let Some(obj) = resource.as_object_mut() else {
            return Err(ScimError::internal(
                "the stored resource is not a JSON object",
            ));
        };
        let mut ctx = Ctx {
            profile,
            tx: Tx {
                enabled: undo,
                saved: Vec::new(),
            },
            changed: Vec::new(),
            final_target: false,
            visits: 0,
        };
        let mut result = Ok(());
        for (i, op) in ops.iter().enumerate() {
            ctx.final_target = i + 1 == ops.len() && op.path.is_some();
            result = self.apply_op(obj, op, &mut ctx);
            if result.is_err() {
                break;
            }
        }
        if result.is_ok() {
            result = self.sync_schemas(obj, &mut ctx);
        }
        match result {
            Ok(()) => Ok(ctx.changed),
            Err(e) => {
                ctx.tx.rollback(obj);
                Err(e)
            }
        }
    }

    fn apply_op(
        &self,
        obj: &mut Map<String, Value>,
        op: &PatchOperation,
        ctx: &mut Ctx<'_, 'r>,
    ) -> Result<(), ScimError> {
        let path = op.path.as_deref().map(str::trim).filter(|p| !p.is_empty());
        match path {
            None => {
                if op.op == PatchOpKind::Remove {
                    return Err(ScimError::no_target("remove requires a path"));
                }
                let Some(Value::Object(value)) = &op.value else {
                    return Err(ScimError::invalid_value(
                        "an operation without a path needs an object value",
                    ));
                };
                ctx.final_target = false;
                self.apply_pathless(obj, op.op, value, ctx)
            }
            Some(p) => {
                let resolved = self.resolve_path(p, ctx.profile.unqualified_extension_names)?;
                self.apply_resolved(obj, op.op, resolved, op.value.as_ref(), ctx)
            }
        }
    }

    fn apply_pathless(
        &self,
        obj: &mut Map<String, Value>,
        kind: PatchOpKind,
        value: &Map<String, Value>,
        ctx: &mut Ctx<'_, 'r>,
    ) -> Result<(), ScimError> {
        for (k, v) in value {
            if k.eq_ignore_ascii_case("schemas") {
                continue;
            }
            if let Some(ext) = self.extension(k) {
                self.apply_resolved(obj, kind, Resolved::Extension(ext), Some(v), ctx)?;
                continue;
            }
            if let Some(def) = self.core_attribute(k) {
                let t = Target {
                    ext: None,
                    def,
                    filter: None,
                    sub: None,
                };
                self.apply_target(obj, kind, t, Some(v), ctx)?;
                continue;
            }
            if ctx.profile.unqualified_extension_names {
                if let Some((ext, def)) = self.unqualified_extension_attribute(k) {
                    let t = Target {
                        ext: Some(ext),
                        def,
                        filter: None,
                        sub: None,
                    };
                    self.apply_target(obj, kind, t, Some(v), ctx)?;
                    continue;
                }
            }
            let looks_like_path = k.contains('.') || k.contains('[') || k.contains(':');
            if ctx.profile.path_keys_in_value && looks_like_path {
                let resolved = self.resolve_path(k, ctx.profile.unqualified_extension_names)?;
                self.apply_resolved(obj, kind, resolved, Some(v), ctx)?;
                continue;
            }
            if ctx.profile.unknown_attributes == Unknown::Reject || looks_like_path {
                return Err(invalid_path(
                    "the value names an attribute this resource type does not have",
                ));
            }
        }
        Ok(())
    }

    fn resolve_path<'p>(
        &self,
        path: &'p str,
        unqualified: bool,
    ) -> Result<Resolved<'r, 'p>, ScimError> {
        let (schema, rest) = self.split_urn(path);
        let ext = schema.filter(|s| !self.is_core(&s.id));
        if rest.is_empty() {
            return match ext {
                Some(e) => Ok(Resolved::Extension(e)),
                None => Err(invalid_path("the path names no attribute")),
            };
        }
        if schema.is_none()
            && rest
                .get(..4)
                .is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
        {
            return Err(invalid_path(
                "the path names a schema this resource type does not have",
            ));
        }
        // `attr` and `attr.sub` (the common case) need no parser.
        let simple = rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'$' | b'.'))
            && rest.bytes().filter(|&b| b == b'.').count() <= 1
            && !rest.starts_with('.')
            && !rest.ends_with('.');
        let parsed = if simple {
            let (name, sub) = match rest.split_once('.') {
                Some((n, s)) => (n, Some(Cow::Borrowed(s))),
                None => (rest, None),
            };
            PatchPath::Attr(scimkit_filter::AttrPath {
                urn: None,
                name: Cow::Borrowed(name),
                sub_attr: sub,
            })
        } else {
            scimkit_filter::parse_path(rest).map_err(|e| {
                // The offset and what was expected; never the request's text.
                invalid_path(format!(
                    "the path is malformed at byte {}: expected {}",
                    e.offset(),
                    e.expected()
                ))
            })?
        };
        let unknown =
            || invalid_path("the path names an attribute this resource type does not have");
        let mut ext = ext;
        let mut lookup = |name: &str| -> Option<&'r AttributeDef> {
            match ext {
                Some(e) => e.get(name),
                None => self.core_attribute(name).or_else(|| {
                    if !unqualified {
                        return None;
                    }
                    let (e, def) = self.unqualified_extension_attribute(name)?;
                    ext = Some(e);
                    Some(def)
                }),
            }
        };
        match parsed {
            PatchPath::Attr(ap) => {
                if ap.urn.is_some() {
                    return Err(unknown());
                }
                let def = lookup(&ap.name).ok_or_else(unknown)?;
                let sub = match ap.sub_attr.as_deref() {
                    Some(s) if def.is_complex() => Some(def.sub_attribute(s).ok_or_else(unknown)?),
                    Some(_) => {
                        return Err(invalid_path(format!("{} has no sub-attributes", def.name)))
                    }
                    None => None,
                };
                Ok(Resolved::Attr(Target {
                    ext,
                    def,
                    filter: None,
                    sub,
                }))
            }
            PatchPath::Value {
                mut value_path,
                sub_attr,
            } => {
                if value_path.attr.urn.is_some() || value_path.attr.sub_attr.is_some() {
                    return Err(unknown());
                }
                let def = lookup(&value_path.attr.name).ok_or_else(unknown)?;
                if !(def.multi_valued && def.is_complex()) {
                    return Err(invalid_path(format!(
                        "a value filter needs a multi-valued complex attribute; {} is not one",
                        def.name
                    )));
                }
                if let Some(e) = ext {
                    value_path.attr.urn = Some(Cow::Owned(e.id.clone()));
                }
                let sub = match sub_attr.as_deref() {
                    Some(s) => Some(def.sub_attribute(s).ok_or_else(unknown)?),
                    None => None,
                };
                Ok(Resolved::Attr(Target {
                    ext,
                    def,
                    filter: Some(value_path),
                    sub,
                }))
            }
        }
    }

    fn apply_resolved(
        &self,
        obj: &mut Map<String, Value>,
        kind: PatchOpKind,
        resolved: Resolved<'r, '_>,
        value: Option<&Value>,
        ctx: &mut Ctx<'_, 'r>,
    ) -> Result<(), ScimError> {
        if matches!(resolved, Resolved::Extension(_)) {
            // Several writes: each needs its undo copy.
            ctx.final_target = false;
        }
        match resolved {
            Resolved::Attr(t) => self.apply_target(obj, kind, t, value, ctx),
            Resolved::Extension(ext) => match kind {
                PatchOpKind::Remove => {
                    if get_ci(obj, &ext.id).is_none() {
                        return Ok(());
                    }
                    if self
                        .extensions()
                        .any(|(s, req)| req && std::ptr::eq(s, ext))
                    {
                        return Err(ScimError::mutability(format!(
                            "the extension {} is required",
                            ext.id
                        )));
                    }
                    for def in &ext.attributes {
                        let present = get_ci(obj, &ext.id)
                            .and_then(Value::as_object)
                            .and_then(|o| get_ci(o, &def.name))
                            .is_some_and(|v| !is_unassigned(v));
                        if present
                            && def.mutability != Mutability::ReadWrite
                            && def.mutability != Mutability::WriteOnly
                        {
                            return Err(ScimError::mutability(format!(
                                "{}:{} cannot be removed",
                                ext.id, def.name
                            )));
                        }
                        if present && def.required {
                            return Err(ScimError::mutability(format!(
                                "{}:{} is required",
                                ext.id, def.name
                            )));
                        }
                    }
                    ctx.tx.touch(obj, &ext.id);
                    remove_ci(obj, &ext.id);
                    let name = ext.id.clone();
                    if !ctx.changed.contains(&name) {
                        ctx.changed.push(name);
                    }
                    Ok(())
                }
                _ => {
                    let Some(Value::Object(v)) = value else {
                        return Err(ScimError::invalid_value(format!(
                            "the value for {} must be an object",
                            ext.id
                        )));
                    };
                    for (k, v) in v {
                        match ext.get(k) {
                            Some(def) => {
                                let t = Target {
                                    ext: Some(ext),
                                    def,
                                    filter: None,
                                    sub: None,
                                };
                                self.apply_target(obj, kind, t, Some(v), ctx)?;
                            }
                            None if ctx.profile.unknown_attributes == Unknown::Ignore => {}
                            None => {
                                return Err(invalid_path(format!(
                                    "{} has no such attribute",
                                    ext.id
                                )))
                            }
                        }
                    }
                    Ok(())
                }
            },
        }
    }

    /// The object holding `t`'s attribute: the resource, or its extension object.
    fn container<'o>(
        obj: &'o mut Map<String, Value>,
        ext: Option<&Schema>,
        create: bool,
    ) -> Result<Option<&'o mut Map<String, Value>>, ScimError> {
        let Some(ext) = ext else { return Ok(Some(obj)) };
        if get_ci(obj, &ext.id).is_none() {
            if !create {
                return Ok(None);
            }
            obj.insert(ext.id.clone(), Value::Object(Map::new()));
        }
        match get_ci_mut(obj, &ext.id) {
            Some(Value::Object(o)) => Ok(Some(o)),
            Some(v) if v.is_null() => {
                *v = Value::Object(Map::new());
                match v {
                    Value::Object(o) => Ok(Some(o)),
                    _ => Ok(None),
                }
            }
            _ => Err(ScimError::internal(format!(
                "the stored extension {} is not an object",
                ext.id
            ))),
        }
    }

    /// Applies one operation to one attribute, after counting the values it goes through: an
    /// operation on a multi-valued attribute costs time linear in its values, so the request's
    /// total is bounded before the work is done.
    fn apply_target(
        &self,
        obj: &mut Map<String, Value>,
        kind: PatchOpKind,
        t: Target<'r, '_>,
        value: Option<&Value>,
        ctx: &mut Ctx<'_, 'r>,
    ) -> Result<(), ScimError> {
        if t.def.multi_valued {
            let values = Self::container_ref(obj, t.ext)
                .and_then(|c| get_ci(c, &t.def.name))
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            ctx.visits = ctx.visits.saturating_add(values);
            let max = self.registry().limits().max_patch_value_visits();
            if ctx.visits > max {
                return Err(ScimError::bad_request(
                    ScimType::TooMany,
                    format!(
                        "the PATCH request's operations would go through more than {max} values \
                         of multi-valued attributes; send them in several requests"
                    ),
                ));
            }
        }
        self.apply_counted(obj, kind, t, value, ctx)
    }

    fn apply_counted(
        &self,
        obj: &mut Map<String, Value>,
        kind: PatchOpKind,
        t: Target<'r, '_>,
        value: Option<&Value>,
        ctx: &mut Ctx<'_, 'r>,
    ) -> Result<(), ScimError> {
        let p = ctx.profile;
        let max = self.max_values();
        let slot = match t.ext {
            Some(e) => e.id.as_str(),
            None => t.def.name.as_str(),
        };
        // Remove with a value list (Entra ID's `Remove members`).
        if kind == PatchOpKind::Remove {
            if let (Some(v), None, None, true) = (value, &t.filter, t.sub, t.def.multi_valued) {
                if !v.is_null() {
                    if !p.remove_by_value {
                        return Err(ScimError::invalid_value(
                            "remove takes no value; select elements with a value filter",
                        ));
                    }
                    return self.remove_by_value(obj, &t, v, ctx);
                }
            }
        }
        // Replace with null means remove (RFC 7643 §2.5: null is unassigned).
        let value = value.filter(|v| !v.is_null());
        if kind != PatchOpKind::Remove && value.is_none() {
            if kind == PatchOpKind::Add {
                return Err(ScimError::invalid_value("add requires a value"));
            }
            return self.apply_counted(obj, PatchOpKind::Remove, t, None, ctx);
        }

        let current = Self::container_ref(obj, t.ext).and_then(|c| get_ci(c, &t.def.name));
        let current_assigned = current.filter(|v| !is_unassigned(v));
        let eff = t.sub.unwrap_or(t.def);

        // readOnly: rejected, unless it "changes" the attribute to the value it has (Okta).
        if t.def.mutability == Mutability::ReadOnly || eff.mutability == Mutability::ReadOnly {
            let unchanged = kind != PatchOpKind::Remove
                && t.sub.is_none()
                && t.filter.is_none()
                && p.ignore_unchanged_read_only
                && match (value, current_assigned) {
                    (Some(v), Some(c)) => coerce(t.def, v.clone(), p, Source::Stored, max)
                        .ok()
                        .flatten()
                        .is_some_and(|n| values_equal(t.def, &n, c)),
                    _ => false,
                };
            if unchanged {
                return Ok(());
            }
            return Err(ScimError::mutability(format!("{} is read-only", eff.name)));
        }

        // Coerce the new value.
        let new = match value {
            None => None,
            Some(v) => {
                let c = match (t.sub, &t.filter) {
                    (Some(sd), _) => coerce(sd, v.clone(), p, Source::Client, max)?,
                    (None, Some(_)) => coerce_single(t.def, v.clone(), p, Source::Client, max)?,
                    (None, None) => coerce(t.def, v.clone(), p, Source::Client, max)?,
                };
                match c {
                    Some(c) => Some(c),
                    None if kind == PatchOpKind::Replace => {
                        return self.apply_counted(obj, PatchOpKind::Remove, t, None, ctx)
                    }
                    None => return Ok(()),
                }
            }
        };

        // immutable: settable while unassigned, then only to the same value.
        if t.def.mutability == Mutability::Immutable && t.sub.is_none() && t.filter.is_none() {
            if let Some(c) = current_assigned {
                let same = matches!(&new, Some(n) if values_equal(t.def, n, c));
                if !same {
                    return Err(ScimError::mutability(format!(
                        "{} is immutable",
                        t.def.name
                    )));
                }
                return Ok(());
            }
        }
        if let Some(n) = &new {
            if t.sub.is_none() && t.filter.is_none() && !t.def.multi_valued {
                required_empty(t.def, n)?;
            }
        }

        // The undo copy is skipped only for a last write that cannot fail once it starts
        // (checks above have passed and the write below has no error path).
        let current_len = current.and_then(Value::as_array).map_or(0, Vec::len);
        let infallible = ctx.final_target
            && self.extensions().all(|(_, required)| !required)
            && match (kind, &t.filter, t.sub) {
                (_, None, None) if !t.def.multi_valued => !t.def.is_complex(),
                // Appending elements none of which is primary (group membership), within the
                // size limit even if none is a duplicate.
                (PatchOpKind::Add, None, None) => {
                    t.def.mutability == Mutability::ReadWrite
                        && current.is_some_and(Value::is_array)
                        && new.as_ref().and_then(Value::as_array).is_some_and(|a| {
                            !a.iter().any(is_primary) && current_len.saturating_add(a.len()) <= max
                        })
                }
                // Removing selected elements of an optional attribute (group membership).
                (PatchOpKind::Remove, Some(_), None) => {
                    t.def.mutability == Mutability::ReadWrite
                        && !t.def.required
                        && p.idempotent_remove
                }
                (PatchOpKind::Add | PatchOpKind::Replace, Some(_), Some(sd)) => {
                    matches!(sd.mutability, Mutability::ReadWrite | Mutability::WriteOnly)
                        && !sd.name.eq_ignore_ascii_case("primary")
                        && current.is_some_and(Value::is_array)
                        && current_len < max
                }
                _ => false,
            };
        if !infallible {
            ctx.tx.touch(obj, slot);
        }
        let changed = match kind {
            PatchOpKind::Remove => self.do_remove(obj, &t, p)?,
            PatchOpKind::Add | PatchOpKind::Replace => {
                let Some(new) = new else { return Ok(()) };
                self.do_set(obj, kind, &t, new, p)?
            }
        };
        if changed {
            ctx.changed(&t);
        }
        Ok(())
    }

    fn container_ref<'o>(
        obj: &'o Map<String, Value>,
        ext: Option<&Schema>,
    ) -> Option<&'o Map<String, Value>> {
        match ext {
            None => Some(obj),
            Some(e) => get_ci(obj, &e.id)?.as_object(),
        }
    }

    /// Removes the elements a value list names (Entra ID's `Remove members`), in one pass over
    /// the stored elements (see [`crate::elements`] for what matches).
    fn remove_by_value(
        &self,
        obj: &mut Map<String, Value>,
        t: &Target<'r, '_>,
        v: &Value,
        ctx: &mut Ctx<'_, 'r>,
    ) -> Result<(), ScimError> {
        let max = self.max_values();
        let wanted: Vec<Value> = match coerce(t.def, v.clone(), ctx.profile, Source::Client, max)? {
            Some(Value::Array(a)) => a,
            _ => return Ok(()),
        };
        let patterns = PatternSet::new(t.def, &wanted, Purpose::Remove)?;
        let slot = t.ext.map_or(t.def.name.as_str(), |e| e.id.as_str());
        let marks: Vec<bool> = Self::container_ref(obj, t.ext)
            .and_then(|c| get_ci(c, &t.def.name))
            .and_then(Value::as_array)
            .map(|items| items.iter().map(|e| patterns.matches(e)).collect())
            .unwrap_or_default();
        if !marks.contains(&true) {
            return no_match(t.def, ctx.profile);
        }
        if t.def.mutability == Mutability::ReadOnly {
            return Err(ScimError::mutability(format!(
                "{} is read-only",
                t.def.name
            )));
        }
        // Removing elements of an optional attribute cannot fail once it starts.
        let infallible =
            ctx.final_target && !t.def.required && self.extensions().all(|(_, required)| !required);
        if !infallible {
            ctx.tx.touch(obj, slot);
        }
        let Some(c) = Self::container(obj, t.ext, false)? else {
            return Ok(());
        };
        let mut now_empty = false;
        if let Some(Value::Array(items)) = get_ci_mut(c, &t.def.name) {
            retain_unmarked(items, &marks);
            now_empty = items.is_empty();
        }
        if now_empty {
            if t.def.required {
                return Err(ScimError::mutability(format!("{} is required", t.def.name)));
            }
            remove_ci(c, &t.def.name);
        }
        ctx.changed(t);
        Ok(())
    }

    /// Selects the elements of a multi-valued attribute that a value filter matches.
    fn matching(&self, items: &[Value], vp: &ValuePath<'_>) -> Result<Vec<usize>, ScimError> {
        let mut out = Vec::new();
        for (i, e) in items.iter().enumerate() {
            if scimkit_filter::element_matches(vp, e, self)? {
                out.push(i);
            }
        }
        Ok(out)
    }

    fn do_remove(
        &self,
        obj: &mut Map<String, Value>,
        t: &Target<'r, '_>,
        p: &Profile,
    ) -> Result<bool, ScimError> {
        let def = t.def;
        // A value filter over an absent attribute matches nothing.
        let nothing = || match t.filter {
            Some(_) => no_match(def, p).map(|()| false),
            None => Ok(false),
        };
        let Some(c) = Self::container(obj, t.ext, false)? else {
            return nothing();
        };
        let Some(cur) = get_ci_mut(c, &def.name) else {
            return nothing();
        };
        let removed_whole = match (&t.filter, t.sub) {
            (None, None) => true,
            (None, Some(sd)) => {
                check_sub_removable(def, sd)?;
                let mut changed = false;
                match cur {
                    Value::Object(o) => changed |= remove_ci(o, &sd.name).is_some(),
                    Value::Array(items) => {
                        for e in items.iter_mut() {
                            if let Some(o) = e.as_object_mut() {
                                changed |= remove_ci(o, &sd.name).is_some();
                            }
                        }
                        // Elements left without sub-attributes go (as with a value filter).
                        if changed {
                            items.retain(|e| !is_unassigned(e));
                        }
                    }
                    _ => {}
                }
                if !changed {
                    return Ok(false);
                }
                is_unassigned(cur)
            }
            (Some(vp), sub) => {
                let Value::Array(items) = cur else {
                    return Ok(false);
                };
                let idx = self.matching(items, vp)?;
                if idx.is_empty() {
                    no_match(def, p)?;
                    return Ok(false);
                }
                match sub {
                    None => {
                        let mut marks = vec![false; items.len()];
                        for &i in &idx {
                            if let Some(m) = marks.get_mut(i) {
                                *m = true;
                            }
                        }
                        retain_unmarked(items, &marks);
                    }
                    Some(sd) => {
                        check_sub_removable(def, sd)?;
                        let mut changed = false;
                        for &i in &idx {
                            if let Some(o) = items.get_mut(i).and_then(Value::as_object_mut) {
                                changed |= remove_ci(o, &sd.name).is_some();
                            }
                        }
                        if !changed {
                            return Ok(false);
                        }
                        items.retain(|e| !is_unassigned(e));
                    }
                }
                items.is_empty()
            }
        };
        if removed_whole {
            if is_unassigned(cur) && t.filter.is_none() && t.sub.is_none() {
                remove_ci(c, &def.name);
                return Ok(false);
            }
            if def.required {
                return Err(ScimError::mutability(format!(
                    "{} is required and cannot be removed",
                    def.name
                )));
            }
            if def.mutability == Mutability::Immutable {
                return Err(ScimError::mutability(format!(
                    "{} is immutable and cannot be removed",
                    def.name
                )));
            }
            remove_ci(c, &def.name);
        }
        Ok(true)
    }

    fn do_set(
        &self,
        obj: &mut Map<String, Value>,
        kind: PatchOpKind,
        t: &Target<'r, '_>,
        new: Value,
        p: &Profile,
    ) -> Result<bool, ScimError> {
        let def = t.def;
        let max = self.max_values();
        let Some(c) = Self::container(obj, t.ext, true)? else {
            return Ok(false);
        };
        // Absent: the attribute is added (replace on an absent attribute is an add).
        let exists = get_ci(c, &def.name).is_some_and(|v| !is_unassigned(v));
        if !exists {
            if let Some(k) = key_ci(c, &def.name).map(str::to_string) {
                c.remove(&k);
            }
        }
        match (&t.filter, t.sub) {
            (None, None) => {
                if !exists {
                    c.insert(def.name.clone(), new);
                    return Ok(true);
                }
                let Some(cur) = get_ci_mut(c, &def.name) else {
                    return Ok(false);
                };
                if def.multi_valued {
                    let Value::Array(new_items) = new else {
                        return Ok(false);
                    };
                    if kind == PatchOpKind::Replace {
                        // Same elements in the same order: unchanged (O(n); a reordering
                        // counts as a change).
                        let same = cur.as_array().is_some_and(|c| {
                            c.len() == new_items.len()
                                && c.iter()
                                    .zip(&new_items)
                                    .all(|(a, b)| values_equal(def, b, a))
                        });
                        *cur = Value::Array(new_items);
                        return Ok(!same);
                    }
                    let Value::Array(items) = cur else {
                        *cur = Value::Array(new_items);
                        return Ok(true);
                    };
                    let mut any = false;
                    let mut primaries = Vec::new();
                    let mut index = ElementIndex::new(def, &new_items, items)?;
                    for n in new_items {
                        if let Some(pos) = index.find(&n, items) {
                            if is_primary(&n) {
                                if !is_primary(&items[pos]) {
                                    if let Some(o) = items[pos].as_object_mut() {
                                        o.insert("primary".into(), Value::Bool(true));
                                    }
                                    any = true;
                                }
                                primaries.push(pos);
                            }
                            continue;
                        }
                        if is_primary(&n) {
                            primaries.push(items.len());
                        }
                        index.insert(items.len(), &n);
                        items.push(n);
                        any = true;
                    }
                    check_size(def, items.len(), max)?;
                    if !primaries.is_empty() {
                        clear_other_primaries(items, &primaries);
                        check_primaries(def, items)?;
                    }
                    Ok(any)
                } else if def.is_complex() {
                    merge_complex(def, cur, new)
                } else {
                    let same = values_equal(def, &new, cur) && new == *cur;
                    *cur = new;
                    Ok(!same)
                }
            }
            (None, Some(sd)) => {
                if def.multi_valued {
                    let cur = c
                        .entry(def.name.clone())
                        .or_insert_with(|| Value::Array(Vec::new()));
                    let Value::Array(items) = cur else {
                        return Ok(false);
                    };
                    if items.is_empty() {
                        check_size(def, 1, max)?;
                        let mut m = Map::new();
                        m.insert(sd.name.clone(), new);
                        items.push(Value::Object(m));
                        return Ok(true);
                    }
                    let mut changed = false;
                    for e in items.iter_mut() {
                        changed |= set_sub(def, sd, e, new.clone())?;
                    }
                    if sd.name == "primary" {
                        check_primaries(def, items)?;
                    }
                    Ok(changed)
                } else {
                    let cur = c
                        .entry(def.name.clone())
                        .or_insert_with(|| Value::Object(Map::new()));
                    set_sub(def, sd, cur, new)
                }
            }
            (Some(vp), sub) => {
                let cur = c
                    .entry(def.name.clone())
                    .or_insert_with(|| Value::Array(Vec::new()));
                let Value::Array(items) = cur else {
                    return Ok(false);
                };
                let idx = self.matching(items, vp)?;
                if idx.is_empty() {
                    let mut element = Map::new();
                    if !p.create_on_no_match
                        || !element_from_filter(def, &vp.filter, p, max, &mut element)
                    {
                        return Err(ScimError::no_target(format!(
                            "no value of {} matches the filter",
                            def.name
                        )));
                    }
                    let mut element = Value::Object(element);
                    match sub {
                        Some(sd) => {
                            set_sub(def, sd, &mut element, new)?;
                        }
                        None => {
                            merge_complex(def, &mut element, new)?;
                        }
                    }
                    check_size(def, items.len() + 1, max)?;
                    let primary = is_primary(&element);
                    items.push(element);
                    if primary {
                        let last = items.len() - 1;
                        clear_other_primaries(items, &[last]);
                    }
                    check_primaries(def, items)?;
                    return Ok(true);
                }
                let mut changed = false;
                for &i in &idx {
                    let Some(e) = items.get_mut(i) else { continue };
                    changed |= match (sub, kind) {
                        (Some(sd), _) => set_sub(def, sd, e, new.clone())?,
                        (None, PatchOpKind::Replace) => {
                            check_immutable_subs(def, e, &new)?;
                            let same = values_equal(def, &new, e);
                            *e = new.clone();
                            !same
                        }
                        (None, _) => merge_complex(def, e, new.clone())?,
                    };
                }
                let sets_primary = match sub {
                    Some(sd) => sd.name == "primary" && new == Value::Bool(true),
                    None => is_primary(&new),
                };
                if sets_primary {
                    clear_other_primaries(items, &idx);
                }
                if sub.map_or(true, |sd| sd.name == "primary") {
                    check_primaries(def, items)?;
                }
                Ok(changed)
            }
        }
    }

    /// Adds the URN of each extension present to `schemas` and removes extensions left empty.
    fn sync_schemas(
        &self,
        obj: &mut Map<String, Value>,
        ctx: &mut Ctx<'_, 'r>,
    ) -> Result<(), ScimError> {
        for (ext, required) in self.extensions() {
            let present = match get_ci(obj, &ext.id) {
                Some(v) if !is_unassigned(v) => true,
                Some(_) => {
                    ctx.tx.touch(obj, &ext.id);
                    remove_ci(obj, &ext.id);
                    false
                }
                None => false,
            };
            if !present && required {
                return Err(ScimError::mutability(format!(
                    "the extension {} is required",
                    ext.id
                )));
            }
            let listed = get_ci(obj, "schemas")
                .and_then(Value::as_array)
                .is_some_and(|a| {
                    a.iter()
                        .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(&ext.id)))
                });
            if present != listed {
                ctx.tx.touch(obj, "schemas");
                let key = key_ci(obj, "schemas").unwrap_or("schemas").to_string();
                let entry = obj.entry(key).or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(a) = entry {
                    if present {
                        a.push(Value::String(ext.id.clone()));
                    } else {
                        a.retain(|s| !s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(&ext.id)));
                    }
                }
            }
        }
        Ok(())
    }
}

fn check_sub_removable(def: &AttributeDef, sd: &AttributeDef) -> Result<(), ScimError> {
    if sd.required {
        return Err(ScimError::mutability(format!(
            "{}.{} is required and cannot be removed",
            def.name, sd.name
        )));
    }
    if matches!(sd.mutability, Mutability::ReadOnly | Mutability::Immutable) {
        return Err(ScimError::mutability(format!(
            "{}.{} cannot be removed",
            def.name, sd.name
        )));
    }
    Ok(())
}

/// Immutable sub-attributes of an element being replaced must keep their values.
fn check_immutable_subs(def: &AttributeDef, old: &Value, new: &Value) -> Result<(), ScimError> {
    let (Some(o), Some(n)) = (old.as_object(), new.as_object()) else {
        return Ok(());
    };
    for (k, v) in o {
        if let Some(sd) = def.sub_attribute(k) {
            if sd.mutability == Mutability::Immutable
                && !get_ci(n, k).is_some_and(|w| values_equal(sd, v, w))
            {
                return Err(ScimError::mutability(format!(
                    "{}.{} is immutable",
                    def.name, sd.name
                )));
            }
        }
    }
    Ok(())
}

/// Sets one sub-attribute of a complex value; immutable sub-attributes only while unassigned.
fn set_sub(
    def: &AttributeDef,
    sd: &AttributeDef,
    target: &mut Value,
    new: Value,
) -> Result<bool, ScimError> {
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(o) = target else {
        return Ok(false);
    };
    match get_ci_mut(o, &sd.name) {
        Some(cur) if !cur.is_null() => {
            if values_equal(sd, &new, cur) && new == *cur {
                return Ok(false);
            }
            if sd.mutability == Mutability::Immutable && !values_equal(sd, &new, cur) {
                return Err(ScimError::mutability(format!(
                    "{}.{} is immutable",
                    def.name, sd.name
                )));
            }
            *cur = new;
            Ok(true)
        }
        _ => {
            remove_ci(o, &sd.name);
            o.insert(sd.name.clone(), new);
            Ok(true)
        }
    }
}

/// Merges the sub-attributes of `new` into a complex value (RFC 7644 §3.5.2.1 and §3.5.2.3:
/// sub-attributes not given are left unchanged).
fn merge_complex(def: &AttributeDef, cur: &mut Value, new: Value) -> Result<bool, ScimError> {
    let Value::Object(n) = new else {
        return Err(ScimError::invalid_value(format!(
            "{} takes an object of sub-attributes",
            def.name
        )));
    };
    let mut changed = false;
    for (k, v) in n {
        match def.sub_attribute(&k) {
            Some(sd) => changed |= set_sub(def, sd, cur, v)?,
            None => {
                if let Value::Object(o) = cur {
                    changed |= o.insert(k, v.clone()) != Some(v);
                }
            }
        }
    }
    Ok(changed)
}

/// Keeps the elements whose mark is false (one pass).
fn retain_unmarked(items: &mut Vec<Value>, marks: &[bool]) {
    let mut i = 0;
    items.retain(|_| {
        let keep = !marks.get(i).copied().unwrap_or(false);
        i += 1;
        keep
    });
}

/// A remove that matches nothing: a no-op where the profile says removes are idempotent,
/// otherwise `noTarget` (RFC 7644 §3.5.2 table 9).
fn no_match(def: &AttributeDef, p: &Profile) -> Result<(), ScimError> {
    if p.idempotent_remove {
        return Ok(());
    }
    Err(ScimError::no_target(format!(
        "no value of {} matches",
        def.name
    )))
}
