//! Which elements of a multi-valued attribute a PATCH names: removal by a value list and add's
//! de-duplication, in time linear in the number of elements.
//!
//! An element given by the client (a *pattern*) matches a stored element when every
//! sub-attribute it gives is present in the stored element with an equal value (honouring each
//! sub-attribute's `caseExact`); add ignores the pattern's `primary`. For attributes whose
//! elements are references (a `value` sub-attribute beside a `$ref` sub-attribute of type
//! reference, as `members` and `groups`), a pattern carrying `value` matches on `value` alone:
//! the `display`, `type` or `$ref` a client repeats do not matter.
//!
//! Instead of comparing every pair, each element is hashed in a canonical compared form (its
//! values projected on the sub-attributes a pattern gives, strings folded where not case-exact,
//! numbers as `f64`); elements with equal forms share a bucket and are then confirmed with the
//! exact comparison. Patterns are grouped by the set of sub-attributes they give (their
//! *shape*); the work is the number of elements times the number of shapes, so a list may use
//! at most [`MAX_SHAPES`] shapes.

use crate::resource::{get_ci, values_equal};
use crate::schema::{AttributeDef, AttributeType};
use crate::ScimError;
use serde_json::Value;
use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};

/// The most shapes (sets of sub-attributes given) the elements of one value list may use.
pub(crate) const MAX_SHAPES: usize = 32;

/// What a pattern is compared for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// Removal by value: every sub-attribute given counts, `primary` included.
    Remove,
    /// Add's de-duplication: the pattern's `primary` is ignored.
    Add,
}

/// Whether the elements of `def` are references identified by their `value`: the attribute
/// defines a `value` sub-attribute and a `$ref` sub-attribute of type reference.
pub(crate) fn reference_value(def: &AttributeDef) -> Option<&AttributeDef> {
    let has_ref = def
        .sub_attributes
        .iter()
        .any(|s| s.name == "$ref" && s.kind == AttributeType::Reference);
    if !(def.is_complex() && has_ref) {
        return None;
    }
    def.sub_attributes
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case("value"))
}

/// How one element is keyed.
enum Form<'v> {
    /// A reference pattern: its `value`.
    Reference(&'v Value),
    /// An object: its recognised sub-attributes, in index order, and the set of their indexes.
    Object(Vec<Field<'v>>, u128),
    /// Anything else (a simple multi-valued attribute's element).
    Scalar(&'v Value),
}

struct Field<'v> {
    index: usize,
    def: &'v AttributeDef,
    value: &'v Value,
}

/// The shape of scalar elements (no object has it: bit 127 is never a sub-attribute's).
const SCALAR_SHAPE: u128 = 1 << 127;

/// Hashes and compares the elements of one multi-valued attribute.
pub(crate) struct Matcher<'d> {
    def: &'d AttributeDef,
    purpose: Purpose,
    reference: Option<&'d AttributeDef>,
    hasher: RandomState,
}

impl<'d> Matcher<'d> {
    pub(crate) fn new(def: &'d AttributeDef, purpose: Purpose) -> Self {
        Matcher {
            def,
            purpose,
            reference: reference_value(def),
            hasher: RandomState::new(),
        }
    }

    /// The sub-attributes of an object element, in index order; the first spelling `get_ci`
    /// would pick wins when a stored element spells one twice.
    fn fields<'v>(&self, obj: &'v serde_json::Map<String, Value>) -> (Vec<Field<'v>>, u128)
    where
        'd: 'v,
    {
        let mut fields: Vec<Field<'v>> = Vec::with_capacity(obj.len());
        let mut mask = 0u128;
        for (k, v) in obj {
            let Some((index, sd)) = self.def.sub_attribute_indexed(k) else {
                continue;
            };
            let index = index.min(126);
            let bit = 1u128 << index;
            if mask & bit != 0 {
                if *k == sd.name {
                    if let Some(f) = fields.iter_mut().find(|f| f.index == index) {
                        f.value = v;
                    }
                }
                continue;
            }
            mask |= bit;
            fields.push(Field {
                index,
                def: sd,
                value: v,
            });
        }
        fields.sort_unstable_by_key(|f| f.index);
        (fields, mask)
    }

    /// How a pattern is keyed.
    fn pattern_form<'v>(&self, pattern: &'v Value) -> Form<'v>
    where
        'd: 'v,
    {
        let Value::Object(obj) = pattern else {
            return Form::Scalar(pattern);
        };
        if let Some(value_def) = self.reference {
            if let Some(v) = get_ci(obj, &value_def.name) {
                return Form::Reference(v);
            }
        }
        let (mut fields, mut mask) = self.fields(obj);
        if self.purpose == Purpose::Add {
            fields.retain(|f| {
                let primary = f.def.name.eq_ignore_ascii_case("primary");
                if primary {
                    mask &= !(1u128 << f.index);
                }
                !primary
            });
        }
        Form::Object(fields, mask)
    }

    fn hash_fields<'f>(&self, fields: impl Iterator<Item = &'f Field<'f>>) -> u64 {
        count_work();
        let mut h = self.hasher.build_hasher();
        for f in fields {
            f.index.hash(&mut h);
            hash_value(Some(f.def), f.value, &mut h);
        }
        h.finish()
    }

    fn hash_one(&self, def: &AttributeDef, v: &Value) -> u64 {
        count_work();
        let mut h = self.hasher.build_hasher();
        hash_value(Some(def), v, &mut h);
        h.finish()
    }

    /// The exact comparison the hash stands for.
    fn confirm(&self, pattern: &Value, element: &Value) -> bool {
        count_work();
        if let (Some(value_def), Value::Object(p), Value::Object(e)) =
            (self.reference, pattern, element)
        {
            if let Some(pv) = get_ci(p, &value_def.name) {
                return get_ci(e, &value_def.name)
                    .is_some_and(|ev| values_equal(value_def, pv, ev));
            }
        }
        match (pattern, element) {
            (Value::Object(n), Value::Object(o)) => n
                .iter()
                .filter(|(k, _)| {
                    self.purpose == Purpose::Remove || !k.eq_ignore_ascii_case("primary")
                })
                .all(|(k, v)| match get_ci(o, k) {
                    Some(w) => match self.def.sub_attribute(k) {
                        Some(sd) => values_equal(sd, v, w),
                        None => v == w,
                    },
                    None => false,
                }),
            _ => values_equal(self.def, pattern, element),
        }
    }
}

/// Hashes a value so that values equal under [`values_equal`] (or `==` for a member the schema
/// does not define) hash alike. Arrays and objects hash by length only; the exact comparison
/// that follows tells them apart.
fn hash_value(def: Option<&AttributeDef>, v: &Value, h: &mut impl Hasher) {
    match v {
        Value::Null => 0u8.hash(h),
        Value::Bool(b) => (1u8, *b).hash(h),
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or(0.0);
            // 0.0 and -0.0 compare equal.
            let f = if f == 0.0 { 0.0 } else { f };
            (2u8, f.to_bits()).hash(h);
        }
        Value::String(s) => {
            3u8.hash(h);
            if def.is_some_and(|d| !d.case_exact) {
                let mut buf = [0u8; 64];
                for chunk in s.as_bytes().chunks(buf.len()) {
                    let out = &mut buf[..chunk.len()];
                    out.copy_from_slice(chunk);
                    out.make_ascii_lowercase();
                    h.write(out);
                }
            } else {
                h.write(s.as_bytes());
            }
            h.write_u8(0xff);
        }
        Value::Array(a) => (4u8, a.len()).hash(h),
        Value::Object(o) => (5u8, o.len()).hash(h),
    }
}

/// The patterns of a remove-by-value list, indexed so that each stored element is tested in
/// time independent of the list's length.
pub(crate) struct PatternSet<'d, 'v> {
    matcher: Matcher<'d>,
    patterns: &'v [Value],
    by_reference: HashMap<u64, Vec<usize>>,
    /// One table per shape: pattern hash → pattern indexes.
    shapes: Vec<(u128, HashMap<u64, Vec<usize>>)>,
}

impl<'d, 'v> PatternSet<'d, 'v>
where
    'd: 'v,
{
    /// Indexes the patterns; fails when they use more than [`MAX_SHAPES`] shapes.
    pub(crate) fn new(
        def: &'d AttributeDef,
        patterns: &'v [Value],
        purpose: Purpose,
    ) -> Result<Self, ScimError> {
        let matcher = Matcher::new(def, purpose);
        let mut by_reference: HashMap<u64, Vec<usize>> = HashMap::new();
        let mut shapes: Vec<(u128, HashMap<u64, Vec<usize>>)> = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            let (shape, key) = match matcher.pattern_form(p) {
                Form::Reference(v) => {
                    let value_def = matcher.reference.unwrap_or(def);
                    let key = matcher.hash_one(value_def, v);
                    by_reference.entry(key).or_default().push(i);
                    continue;
                }
                Form::Object(fields, mask) => (mask, matcher.hash_fields(fields.iter())),
                Form::Scalar(v) => (SCALAR_SHAPE, matcher.hash_one(def, v)),
            };
            let table = match shapes.iter().position(|(s, _)| *s == shape) {
                Some(t) => &mut shapes[t].1,
                None => {
                    if shapes.len() == MAX_SHAPES {
                        return Err(too_many_shapes(def));
                    }
                    let last = shapes.len();
                    shapes.push((shape, HashMap::new()));
                    &mut shapes[last].1
                }
            };
            table.entry(key).or_default().push(i);
        }
        Ok(PatternSet {
            matcher,
            patterns,
            by_reference,
            shapes,
        })
    }

    /// Whether some pattern matches the stored element.
    pub(crate) fn matches(&self, element: &Value) -> bool {
        let m = &self.matcher;
        let confirmed = |bucket: Option<&Vec<usize>>| {
            bucket.is_some_and(|b| b.iter().any(|&i| m.confirm(&self.patterns[i], element)))
        };
        let Value::Object(obj) = element else {
            return self.shapes.iter().any(|(shape, table)| {
                *shape == SCALAR_SHAPE && confirmed(table.get(&m.hash_one(m.def, element)))
            });
        };
        if let Some(value_def) = m.reference {
            if !self.by_reference.is_empty() {
                if let Some(v) = get_ci(obj, &value_def.name) {
                    if confirmed(self.by_reference.get(&m.hash_one(value_def, v))) {
                        return true;
                    }
                }
            }
        }
        if self.shapes.is_empty() {
            return false;
        }
        let (fields, mask) = m.fields(obj);
        self.shapes.iter().any(|(shape, table)| {
            *shape != SCALAR_SHAPE
                && shape & mask == *shape
                && confirmed(
                    table.get(
                        &m.hash_fields(fields.iter().filter(|f| shape & (1u128 << f.index) != 0)),
                    ),
                )
        })
    }
}

/// The stored elements of a multi-valued attribute, indexed for add's de-duplication: each
/// new element finds the first stored element it duplicates in time independent of their
/// number. Elements appended during the add are indexed as they come.
pub(crate) struct ElementIndex<'d> {
    matcher: Matcher<'d>,
    by_reference: HashMap<u64, Vec<usize>>,
    shapes: Vec<(u128, HashMap<u64, Vec<usize>>)>,
}

impl<'d> ElementIndex<'d> {
    /// Indexes `items` for the shapes of `patterns` (the elements being added); fails when
    /// they use more than [`MAX_SHAPES`] shapes.
    pub(crate) fn new(
        def: &'d AttributeDef,
        patterns: &[Value],
        items: &[Value],
    ) -> Result<Self, ScimError> {
        let matcher = Matcher::new(def, Purpose::Add);
        let mut shapes: Vec<(u128, HashMap<u64, Vec<usize>>)> = Vec::new();
        for p in patterns {
            let shape = match matcher.pattern_form(p) {
                Form::Reference(_) => continue,
                Form::Object(_, mask) => mask,
                Form::Scalar(_) => SCALAR_SHAPE,
            };
            if !shapes.iter().any(|(s, _)| *s == shape) {
                if shapes.len() == MAX_SHAPES {
                    return Err(too_many_shapes(def));
                }
                shapes.push((shape, HashMap::new()));
            }
        }
        let mut index = ElementIndex {
            matcher,
            by_reference: HashMap::new(),
            shapes,
        };
        for (i, e) in items.iter().enumerate() {
            index.insert(i, e);
        }
        Ok(index)
    }

    /// Indexes the element at position `i`.
    pub(crate) fn insert(&mut self, i: usize, element: &Value) {
        let m = &self.matcher;
        let Value::Object(obj) = element else {
            let key = m.hash_one(m.def, element);
            for (shape, table) in &mut self.shapes {
                if *shape == SCALAR_SHAPE {
                    table.entry(key).or_default().push(i);
                }
            }
            return;
        };
        if let Some(value_def) = m.reference {
            if let Some(v) = get_ci(obj, &value_def.name) {
                let key = m.hash_one(value_def, v);
                self.by_reference.entry(key).or_default().push(i);
            }
        }
        if self.shapes.iter().all(|(s, _)| *s == SCALAR_SHAPE) {
            return;
        }
        let (fields, mask) = m.fields(obj);
        for (shape, table) in &mut self.shapes {
            if *shape != SCALAR_SHAPE && *shape & mask == *shape {
                let key = m.hash_fields(fields.iter().filter(|f| *shape & (1u128 << f.index) != 0));
                table.entry(key).or_default().push(i);
            }
        }
    }

    /// The position of the first element of `items` (the indexed list) that `pattern` adds
    /// nothing to.
    pub(crate) fn find(&self, pattern: &Value, items: &[Value]) -> Option<usize> {
        let m = &self.matcher;
        let (table, key) = match m.pattern_form(pattern) {
            Form::Reference(v) => (
                Some(&self.by_reference),
                m.hash_one(m.reference.unwrap_or(m.def), v),
            ),
            Form::Object(fields, mask) => (
                self.shapes.iter().find(|(s, _)| *s == mask).map(|(_, t)| t),
                m.hash_fields(fields.iter()),
            ),
            Form::Scalar(v) => (
                self.shapes
                    .iter()
                    .find(|(s, _)| *s == SCALAR_SHAPE)
                    .map(|(_, t)| t),
                m.hash_one(m.def, v),
            ),
        };
        table?
            .get(&key)?
            .iter()
            .copied()
            .find(|&i| items.get(i).is_some_and(|e| m.confirm(pattern, e)))
    }
}

fn too_many_shapes(def: &AttributeDef) -> ScimError {
    ScimError::invalid_value(format!(
        "the elements given for {} use more than {MAX_SHAPES} different sets of sub-attributes",
        def.name
    ))
}

#[cfg(test)]
thread_local! {
    /// Element hashes and exact comparisons made on this thread (tests only).
    static WORK: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn count_work() {
    #[cfg(test)]
    WORK.with(|w| w.set(w.get() + 1));
}

#[cfg(test)]
mod tests {
    use super::WORK;
    use crate::{PatchOp, Profile, Registry};
    use serde_json::{json, Value};

    fn emails(prefix: &str, n: usize) -> Vec<Value> {
        (0..n)
            .map(|i| json!({"value": format!("{prefix}{i}@example.com"), "type": "work"}))
            .collect()
    }

    fn work_of(
        resource_type: &str,
        resource: &Value,
        op: &str,
        path: &str,
        value: Vec<Value>,
    ) -> usize {
        let registry = Registry::standard();
        let rs = registry.resource_type(resource_type).unwrap();
        let patch: PatchOp = serde_json::from_value(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": op, "path": path, "value": value}]
        }))
        .unwrap();
        WORK.with(|w| w.set(0));
        rs.patch(resource, &patch, &Profile::default()).unwrap();
        WORK.with(|w| w.get())
    }

    /// Pairwise comparison (the old engine) makes n × n comparisons here; the index makes a
    /// few per element.
    #[test]
    fn removal_and_deduplication_do_linear_work() {
        let n = 2_000;
        let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                          "userName": "b", "emails": emails("user", n)});
        let remove = work_of("User", &user, "remove", "emails", emails("none", n));
        assert!(remove <= 3 * n, "remove of {n} non-matching: {remove}");
        let add = work_of("User", &user, "add", "emails", emails("new", n));
        assert!(add <= 4 * n, "add of {n} new: {add}");
        let again = work_of("User", &user, "add", "emails", emails("user", n));
        assert!(again <= 4 * n, "add of {n} present: {again}");
        let members: Vec<Value> = (0..n).map(|i| json!({"value": format!("u{i}")})).collect();
        let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                           "displayName": "g", "members": members.clone()});
        let gone = work_of("Group", &group, "remove", "members", members);
        assert!(gone <= 4 * n, "remove of {n} members: {gone}");
    }
}
