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

/// How one element is keyed (a short-lived stack value: the inline field array is the point).
#[allow(clippy::large_enum_variant)]
enum Form<'v> {
    /// A reference pattern: its `value`.
    Reference(&'v Value),
    /// An object: the hashes of its recognised sub-attributes and the set of their indexes.
    Object(FieldHashes),
    /// Anything else (a simple multi-valued attribute's element).
    Scalar(&'v Value),
}

/// The recognised sub-attributes of one object element, each as (index, hash of index and
/// value): stored inline for the usual handful, so that keying an element allocates nothing.
struct FieldHashes {
    mask: u128,
    len: usize,
    inline: [(u8, u64); 16],
    spill: Vec<(u8, u64)>,
}

impl FieldHashes {
    fn new() -> Self {
        FieldHashes {
            mask: 0,
            len: 0,
            inline: [(0, 0); 16],
            spill: Vec::new(),
        }
    }

    fn iter(&self) -> impl Iterator<Item = &(u8, u64)> {
        self.inline[..self.len.min(16)].iter().chain(&self.spill)
    }

    fn push(&mut self, index: u8, hash: u64) {
        self.mask |= 1u128 << index;
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = (index, hash),
            None => self.spill.push((index, hash)),
        }
        self.len += 1;
    }

    fn replace(&mut self, index: u8, hash: u64) {
        let len = self.len.min(16);
        for f in self.inline[..len].iter_mut().chain(self.spill.iter_mut()) {
            if f.0 == index {
                f.1 = hash;
            }
        }
    }

    fn remove(&mut self, index: u8) {
        if self.mask & (1u128 << index) == 0 {
            return;
        }
        self.mask &= !(1u128 << index);
        let mut kept = FieldHashes::new();
        for &(i, h) in self.iter() {
            if i != index {
                kept.push(i, h);
            }
        }
        *self = kept;
    }

    /// The key of the element projected on `shape` (a subset of its mask): the sum of the
    /// fields' hashes, so that the order of the keys does not matter.
    fn key(&self, shape: u128) -> u64 {
        count_work();
        self.iter()
            .filter(|(i, _)| shape & (1u128 << i) != 0)
            .fold(0u64, |acc, (_, h)| acc.wrapping_add(*h))
    }
}

/// The shape of scalar elements (no object has it: bit 127 is never a sub-attribute's).
const SCALAR_SHAPE: u128 = 1 << 127;

/// Element positions by key, in insertion order, with one allocation for all of them.
#[derive(Default)]
struct Buckets {
    /// Key → (first entry, last entry).
    ends: HashMap<u64, (usize, usize)>,
    /// (element position, next entry of the same key or `usize::MAX`).
    entries: Vec<(usize, usize)>,
}

impl Buckets {
    fn insert(&mut self, key: u64, position: usize) {
        let entry = self.entries.len();
        self.entries.push((position, usize::MAX));
        match self.ends.get_mut(&key) {
            Some((_, last)) => {
                self.entries[*last].1 = entry;
                *last = entry;
            }
            None => {
                self.ends.insert(key, (entry, entry));
            }
        }
    }

    /// The positions under `key`, first inserted first.
    fn get(&self, key: u64) -> impl Iterator<Item = usize> + '_ {
        let mut next = self.ends.get(&key).map_or(usize::MAX, |(first, _)| *first);
        std::iter::from_fn(move || {
            let (position, after) = *self.entries.get(next)?;
            next = after;
            Some(position)
        })
    }
}

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

    /// The recognised sub-attributes of an object element; when a stored element spells one
    /// twice, the spelling `get_ci` would pick (the schema's) wins.
    fn fields(&self, obj: &serde_json::Map<String, Value>) -> FieldHashes {
        let mut fields = FieldHashes::new();
        for (k, v) in obj {
            let Some((index, sd)) = self.def.sub_attribute_indexed(k) else {
                continue;
            };
            // Indexes stay below 127 (the registry admits at most 120 sub-attributes).
            let index = index.min(126) as u8;
            let mut h = self.hasher.build_hasher();
            index.hash(&mut h);
            hash_value(Some(sd), v, &mut h);
            let hash = h.finish();
            if fields.mask & (1u128 << index) != 0 {
                if *k == sd.name {
                    fields.replace(index, hash);
                }
                continue;
            }
            fields.push(index, hash);
        }
        fields
    }

    /// How a pattern is keyed.
    fn pattern_form<'v>(&self, pattern: &'v Value) -> Form<'v> {
        let Value::Object(obj) = pattern else {
            return Form::Scalar(pattern);
        };
        if let Some(value_def) = self.reference {
            if let Some(v) = get_ci(obj, &value_def.name) {
                return Form::Reference(v);
            }
        }
        let mut fields = self.fields(obj);
        if self.purpose == Purpose::Add {
            if let Some((index, _)) = self.def.sub_attribute_indexed("primary") {
                fields.remove(index.min(126) as u8);
            }
        }
        Form::Object(fields)
    }

    fn hash_one(&self, def: &AttributeDef, v: &Value) -> u64 {
        count_work();
        let mut h = self.hasher.build_hasher();
        hash_value(Some(def), v, &mut h);
        h.finish()
    }

    /// The pattern's table and key: `None` for the table of its shape.
    fn pattern_key(&self, form: &Form<'_>) -> (Option<u128>, u64) {
        match form {
            Form::Reference(v) => (None, self.hash_one(self.reference.unwrap_or(self.def), v)),
            Form::Object(fields) => (Some(fields.mask), fields.key(fields.mask)),
            Form::Scalar(v) => (Some(SCALAR_SHAPE), self.hash_one(self.def, v)),
        }
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

/// The tables of the shapes a list of patterns uses, at most [`MAX_SHAPES`].
#[derive(Default)]
struct Shapes(Vec<(u128, Buckets)>);

impl Shapes {
    fn table(&mut self, def: &AttributeDef, shape: u128) -> Result<&mut Buckets, ScimError> {
        match self.0.iter().position(|(s, _)| *s == shape) {
            Some(t) => Ok(&mut self.0[t].1),
            None => {
                if self.0.len() == MAX_SHAPES {
                    return Err(too_many_shapes(def));
                }
                let last = self.0.len();
                self.0.push((shape, Buckets::default()));
                Ok(&mut self.0[last].1)
            }
        }
    }

    fn get(&self, shape: u128) -> Option<&Buckets> {
        self.0.iter().find(|(s, _)| *s == shape).map(|(_, t)| t)
    }

    fn objects(&self) -> impl Iterator<Item = &(u128, Buckets)> {
        self.0.iter().filter(|(s, _)| *s != SCALAR_SHAPE)
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
    by_reference: Buckets,
    shapes: Shapes,
}

impl<'d, 'v> PatternSet<'d, 'v> {
    /// Indexes the patterns; fails when they use more than [`MAX_SHAPES`] shapes.
    pub(crate) fn new(
        def: &'d AttributeDef,
        patterns: &'v [Value],
        purpose: Purpose,
    ) -> Result<Self, ScimError> {
        let matcher = Matcher::new(def, purpose);
        let mut by_reference = Buckets::default();
        let mut shapes = Shapes::default();
        for (i, p) in patterns.iter().enumerate() {
            match matcher.pattern_key(&matcher.pattern_form(p)) {
                (None, key) => by_reference.insert(key, i),
                (Some(shape), key) => shapes.table(def, shape)?.insert(key, i),
            }
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
        let confirmed = |table: &Buckets, key: u64| {
            table
                .get(key)
                .any(|i| m.confirm(&self.patterns[i], element))
        };
        let Value::Object(obj) = element else {
            return self
                .shapes
                .get(SCALAR_SHAPE)
                .is_some_and(|t| confirmed(t, m.hash_one(m.def, element)));
        };
        if let Some(value_def) = m.reference {
            if !self.by_reference.entries.is_empty() {
                if let Some(v) = get_ci(obj, &value_def.name) {
                    if confirmed(&self.by_reference, m.hash_one(value_def, v)) {
                        return true;
                    }
                }
            }
        }
        if self.shapes.objects().next().is_none() {
            return false;
        }
        let fields = m.fields(obj);
        self.shapes.objects().any(|(shape, table)| {
            shape & fields.mask == *shape && confirmed(table, fields.key(*shape))
        })
    }
}

/// The stored elements of a multi-valued attribute, indexed for add's de-duplication: each
/// new element finds the first stored element it duplicates in time independent of their
/// number. Elements appended during the add are indexed as they come.
pub(crate) struct ElementIndex<'d> {
    matcher: Matcher<'d>,
    by_reference: Buckets,
    shapes: Shapes,
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
        let mut shapes = Shapes::default();
        for p in patterns {
            match matcher.pattern_form(p) {
                Form::Reference(_) => {}
                Form::Object(fields) => {
                    shapes.table(def, fields.mask)?;
                }
                Form::Scalar(_) => {
                    shapes.table(def, SCALAR_SHAPE)?;
                }
            }
        }
        let mut index = ElementIndex {
            matcher,
            by_reference: Buckets::default(),
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
            if self.shapes.get(SCALAR_SHAPE).is_some() {
                let key = m.hash_one(m.def, element);
                if let Ok(t) = self.shapes.table(m.def, SCALAR_SHAPE) {
                    t.insert(key, i);
                }
            }
            return;
        };
        if let Some(value_def) = m.reference {
            if let Some(v) = get_ci(obj, &value_def.name) {
                self.by_reference.insert(m.hash_one(value_def, v), i);
            }
        }
        if self.shapes.objects().next().is_none() {
            return;
        }
        let fields = m.fields(obj);
        for (shape, table) in self.shapes.0.iter_mut() {
            if *shape != SCALAR_SHAPE && *shape & fields.mask == *shape {
                table.insert(fields.key(*shape), i);
            }
        }
    }

    /// The position of the first element of `items` (the indexed list) that `pattern` adds
    /// nothing to.
    pub(crate) fn find(&self, pattern: &Value, items: &[Value]) -> Option<usize> {
        let m = &self.matcher;
        let (table, key) = match m.pattern_key(&m.pattern_form(pattern)) {
            (None, key) => (Some(&self.by_reference), key),
            (Some(shape), key) => (self.shapes.get(shape), key),
        };
        table?
            .get(key)
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
