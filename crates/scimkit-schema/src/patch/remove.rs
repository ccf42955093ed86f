//! `remove`: by path, by value filter, and by value list (matched on each element's key, or
//! on `value` for references).

use super::{Ctx, Target};
use crate::elements::{PatternSet, Purpose};
use crate::profile::Profile;
use crate::registry::ResourceSchema;
use crate::resource::{get_ci, get_ci_mut, is_unassigned, remove_ci};
use crate::schema::{AttributeDef, Mutability, Schema};
use crate::validate::{coerce, Source};
use crate::ScimError;
use scimkit_filter::ValuePath;
use serde_json::{Map, Value};

impl<'r> ResourceSchema<'r> {
    pub(super) fn container_ref<'o>(
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
    pub(super) fn remove_by_value(
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
    pub(super) fn matching(
        &self,
        items: &[Value],
        vp: &ValuePath<'_>,
    ) -> Result<Vec<usize>, ScimError> {
        let mut out = Vec::new();
        for (i, e) in items.iter().enumerate() {
            if scimkit_filter::element_matches(vp, e, self)? {
                out.push(i);
            }
        }
        Ok(out)
    }

    pub(super) fn do_remove(
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
}

pub(super) fn check_sub_removable(def: &AttributeDef, sd: &AttributeDef) -> Result<(), ScimError> {
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

/// Keeps the elements whose mark is false (one pass).
pub(super) fn retain_unmarked(items: &mut Vec<Value>, marks: &[bool]) {
    let mut i = 0;
    items.retain(|_| {
        let keep = !marks.get(i).copied().unwrap_or(false);
        i += 1;
        keep
    });
}

/// A remove that matches nothing: a no-op where the profile says removes are idempotent,
/// otherwise `noTarget` (RFC 7644 §3.5.2 table 9).
pub(super) fn no_match(def: &AttributeDef, p: &Profile) -> Result<(), ScimError> {
    if p.idempotent_remove {
        return Ok(());
    }
    Err(ScimError::no_target(format!(
        "no value of {} matches",
        def.name
    )))
}
