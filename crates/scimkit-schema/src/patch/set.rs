//! `add` and `replace`: setting single values, sub-attributes, complex merges, multi-valued
//! appends without duplicates, and `primary` uniqueness.

use super::resolve::element_from_filter;
use super::Target;
use crate::elements::ElementIndex;
use crate::messages::PatchOpKind;
use crate::profile::Profile;
use crate::registry::ResourceSchema;
use crate::resource::{get_ci, get_ci_mut, is_unassigned, key_ci, remove_ci, values_equal};
use crate::schema::{AttributeDef, Mutability};
use crate::validate::check_size;
use crate::ScimError;
use serde_json::{Map, Value};

impl<'r> ResourceSchema<'r> {
    pub(super) fn do_set(
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
}

pub(super) fn is_primary(v: &Value) -> bool {
    v.get("primary") == Some(&Value::Bool(true))
}

/// Sets `primary: false` on every element but `keep` (RFC 7644 §3.5.2), in one pass.
pub(super) fn clear_other_primaries(items: &mut [Value], keep: &[usize]) {
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

pub(super) fn check_primaries(def: &AttributeDef, items: &[Value]) -> Result<(), ScimError> {
    if items.iter().filter(|v| is_primary(v)).count() > 1 {
        return Err(ScimError::invalid_value(format!(
            "at most one value of {} may have \"primary\": true",
            def.name
        )));
    }
    Ok(())
}

pub(super) fn required_empty(def: &AttributeDef, v: &Value) -> Result<(), ScimError> {
    if def.required && matches!(v, Value::String(s) if s.trim().is_empty()) {
        return Err(ScimError::invalid_value(format!(
            "{} must not be empty",
            def.name
        )));
    }
    Ok(())
}

/// Immutable sub-attributes of an element being replaced must keep their values.
pub(super) fn check_immutable_subs(
    def: &AttributeDef,
    old: &Value,
    new: &Value,
) -> Result<(), ScimError> {
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
pub(super) fn set_sub(
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
pub(super) fn merge_complex(
    def: &AttributeDef,
    cur: &mut Value,
    new: Value,
) -> Result<bool, ScimError> {
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
