//! The PATCH engine (RFC 7644 §3.5.2): add / replace / remove, with and without path, value
//! filters, sub-attributes, extension URNs, multi-valued semantics and `primary` uniqueness.
//! All operations of a request apply, or none.

mod remove;
mod resolve;
mod set;

use resolve::invalid_path;
use set::{is_primary, required_empty};

use crate::messages::{PatchOp, PatchOpKind, PatchOperation};
use crate::profile::{Profile, Unknown};
use crate::registry::ResourceSchema;
use crate::resource::{get_ci, get_ci_mut, is_unassigned, key_ci, remove_ci, values_equal};
use crate::schema::{AttributeDef, Mutability, Schema};
use crate::validate::{coerce, coerce_single, Source};
use crate::{ScimError, ScimType};
use scimkit_filter::ValuePath;
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
