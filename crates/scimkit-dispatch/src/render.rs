//! Rendering resources for responses. With the default projection (no `attributes` /
//! `excludedAttributes`) a stored resource is serialised straight from the store's copy,
//! leaving out what is never returned and adding `meta.location` and the members' and groups'
//! `$ref` on the way, so a GET costs a lookup and one serialisation.

use crate::store::{write_json_str, write_timestamp, Stored};
use scimkit_schema::{AttributeDef, ResourceSchema, Returned};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::fmt::Write as _;

/// What the default projection leaves out of a resource type, when that can be decided per
/// top-level attribute (no sub-attribute is `returned: never` or `request`).
#[derive(Debug, Clone, Default)]
pub(crate) struct DefaultPlan {
    /// Core and common attributes never returned by default (e.g. `password`).
    core: Vec<String>,
    /// (extension URN, attribute) pairs never returned by default.
    ext: Vec<(String, String)>,
    /// Registered extension URNs.
    urns: Vec<String>,
}

fn hidden(def: &AttributeDef) -> bool {
    matches!(def.returned, Returned::Never | Returned::Request)
}

impl DefaultPlan {
    /// The plan for a resource type, or `None` when some sub-attribute needs the general
    /// projection.
    pub(crate) fn of(rs: &ResourceSchema<'_>) -> Option<DefaultPlan> {
        let mut plan = DefaultPlan::default();
        let core = rs
            .core()
            .attributes
            .iter()
            .chain(rs.registry().common_attributes());
        for def in core {
            if def.sub_attributes.iter().any(hidden) {
                return None;
            }
            if hidden(def) {
                plan.core.push(def.name.clone());
            }
        }
        for (ext, _) in rs.extensions() {
            plan.urns.push(ext.id.clone());
            for def in &ext.attributes {
                if def.sub_attributes.iter().any(hidden) {
                    return None;
                }
                if hidden(def) {
                    plan.ext.push((ext.id.clone(), def.name.clone()));
                }
            }
        }
        Some(plan)
    }

    fn drops_core(&self, key: &str) -> bool {
        self.core.iter().any(|n| n.eq_ignore_ascii_case(key))
    }

    fn drops_ext(&self, urn: &str, key: &str) -> bool {
        self.ext
            .iter()
            .any(|(u, n)| u.eq_ignore_ascii_case(urn) && n.eq_ignore_ascii_case(key))
    }

    fn is_ext(&self, key: &str) -> bool {
        self.urns.iter().any(|u| u.eq_ignore_ascii_case(key))
    }

    fn drops_in_ext(&self, urn: &str) -> bool {
        self.ext.iter().any(|(u, _)| u.eq_ignore_ascii_case(urn))
    }
}

/// Where references point: `{base}/{endpoint}/{id}` for `User` and `Group` members.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Refs<'a> {
    pub(crate) base: &'a str,
    pub(crate) users: Option<&'a str>,
    pub(crate) groups: Option<&'a str>,
}

impl Refs<'_> {
    fn of(&self, ty: &str, id: &str) -> Option<String> {
        let endpoint = if ty.eq_ignore_ascii_case("User") {
            self.users?
        } else if ty.eq_ignore_ascii_case("Group") {
            self.groups?
        } else {
            return None;
        };
        Some(format!("{}/{}/{}", self.base, endpoint, id))
    }
}

/// A resource ready to serialise: either already projected (owned) or the stored copy with
/// the default plan applied while serialising, and `id` and `meta` (with `location`) written
/// from the store's fields on the way (a copy of them in the document is left out).
#[derive(Debug)]
pub(crate) enum Rendered<'a> {
    Owned(Value),
    Stored {
        stored: &'a Stored,
        /// `meta.resourceType`.
        resource_type: &'a str,
        plan: &'a DefaultPlan,
        /// `meta.location` is `{base}/{endpoint}/{id}`.
        endpoint: &'a str,
        refs: Refs<'a>,
    },
}

/// Whether a top-level key is one the renderer writes from the store's fields.
fn from_fields(key: &str) -> bool {
    key == "id" || key == "meta"
}

impl Rendered<'_> {
    /// The rendered resource as a JSON value (for the rare callers that need one).
    #[cfg(test)]
    pub(crate) fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl Serialize for Rendered<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Rendered::Owned(v) => v.serialize(s),
            Rendered::Stored {
                stored,
                resource_type,
                plan,
                endpoint,
                refs,
            } => {
                if let Some(entries) = stored.resource.json_text().and_then(scan) {
                    let mut out = Vec::new();
                    let fields = Fields::of(stored, resource_type, refs, endpoint);
                    if write_text(&mut out, &entries, &fields, plan, refs).is_some() {
                        let text = String::from_utf8(out).map_err(serde::ser::Error::custom)?;
                        let raw = RawValue::from_string(text).map_err(serde::ser::Error::custom)?;
                        return raw.serialize(s);
                    }
                }
                let value = stored.resource.value();
                let Value::Object(obj) = value else {
                    return value.serialize(s);
                };
                let mut meta = stored.meta(resource_type);
                if let Some(m) = meta.as_object_mut() {
                    let location = format!("{}/{}/{}", refs.base, endpoint, stored.id);
                    m.insert("location".into(), Value::String(location));
                }
                let mut map = s.serialize_map(None)?;
                map.serialize_entry("id", &stored.id)?;
                map.serialize_entry("meta", &meta)?;
                for (k, v) in obj {
                    if plan.drops_core(k) || from_fields(k) {
                        continue;
                    }
                    match (k.as_str(), v) {
                        ("members" | "groups", Value::Array(items)) => map.serialize_entry(
                            k,
                            &RefList {
                                items,
                                default_type: if k == "members" { "User" } else { "Group" },
                                refs: *refs,
                            },
                        )?,
                        (_, Value::Object(ext)) if plan.is_ext(k) => {
                            let kept = ext.keys().filter(|a| !plan.drops_ext(k, a)).count();
                            if kept > 0 {
                                map.serialize_entry(
                                    k,
                                    &Filtered {
                                        obj: ext,
                                        urn: k,
                                        plan,
                                    },
                                )?;
                            }
                        }
                        _ => map.serialize_entry(k, v)?,
                    }
                }
                map.end()
            }
        }
    }
}

/// The top-level entries of a JSON object as `(key, value)` texts, the key without its
/// quotes; `None` when `text` is not an object or a key has an escape (callers then parse).
/// The text is trusted to be JSON (it is what a store wrote); this only finds the boundaries.
pub(crate) fn scan(text: &str) -> Option<Vec<(&str, &str)>> {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(b, i + 1);
    let mut out = Vec::with_capacity(16);
    if b.get(i) == Some(&b'}') {
        return Some(out);
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let k_end = string_end(b, i)?;
        let key = text.get(i + 1..k_end - 1)?;
        if key.contains('\\') {
            return None;
        }
        i = skip_ws(b, k_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        let v_end = value_end(b, i)?;
        out.push((key, text.get(i..v_end)?));
        i = skip_ws(b, v_end);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => return Some(out),
            _ => return None,
        }
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\n' | b'\r' | b'\t')) {
        i += 1;
    }
    i
}

/// The end (exclusive) of the string starting at `b[i] == '"'`.
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        j = skip_while_none(b, j, |w| has_byte(w, b'"') | has_byte(w, b'\\'));
        match b.get(j)? {
            b'"' => return Some(j + 1),
            b'\\' => j += 2,
            _ => j += 1,
        }
    }
}

/// Skips 8 bytes at a time while `hit` finds none of the bytes it looks for in the word.
fn skip_while_none(b: &[u8], mut j: usize, hit: impl Fn(u64) -> u64) -> usize {
    while let Some(chunk) = b.get(j..j + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        if hit(u64::from_le_bytes(w)) != 0 {
            break;
        }
        j += 8;
    }
    j
}

/// Nonzero when some byte of `w` is `c` (the classic zero-byte test on `w ^ c…c`).
fn has_byte(w: u64, c: u8) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let x = w ^ (LO * u64::from(c));
    x.wrapping_sub(LO) & !x & HI
}

/// The end (exclusive) of the value starting at `b[i]`.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => string_end(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                if depth > 0 {
                    j = skip_while_none(b, j, |w| {
                        has_byte(w, b'"')
                            | has_byte(w, b'{')
                            | has_byte(w, b'}')
                            | has_byte(w, b'[')
                            | has_byte(w, b']')
                    });
                }
                match b.get(j)? {
                    b'"' => {
                        j = string_end(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let mut j = i;
            while !matches!(
                b.get(j),
                None | Some(b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t')
            ) {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

/// A JSON object's text with one top-level entry set (replacing any stored value of it), the
/// keys kept in the sorted order `serde_json::Map` writes them in.
pub(crate) fn with_entry(text: &str, name: &str, value: &Value) -> Option<String> {
    with_raw_entries(text, &[(name, &serde_json::to_string(value).ok()?)])
}

/// [`with_entry`] for several entries whose values are JSON text already, given in sorted
/// order of their names.
pub(crate) fn with_raw_entries(text: &str, set: &[(&str, &str)]) -> Option<String> {
    let entries = scan(text)?;
    let mut names = Vec::with_capacity(set.len());
    for (name, _) in set {
        names.push(serde_json::to_string(name).ok()?);
    }
    let extra: usize = set
        .iter()
        .zip(&names)
        .map(|((_, v), n)| n.len() + v.len() + 2)
        .sum();
    let mut out = String::with_capacity(text.len() + extra);
    out.push('{');
    let mut pending = set.iter().zip(&names).peekable();
    for (k, v) in entries {
        if set.iter().any(|(name, _)| *name == k) {
            continue;
        }
        while let Some(((_, value), name_json)) = pending.next_if(|((name, _), _)| k > *name) {
            push_entry(&mut out, name_json, value);
        }
        if out.len() > 1 {
            out.push(',');
        }
        out.push('"');
        out.push_str(k);
        out.push_str("\":");
        out.push_str(v);
    }
    for ((_, value), name_json) in pending {
        push_entry(&mut out, name_json, value);
    }
    out.push('}');
    Some(out)
}

fn push_entry(out: &mut String, key_json: &str, value: &str) {
    if out.len() > 1 {
        out.push(',');
    }
    out.push_str(key_json);
    out.push(':');
    out.push_str(value);
}

impl Rendered<'_> {
    /// Appends the rendered resource's JSON to `out`. A resource held as text is copied
    /// attribute by attribute; only `meta` (for `location`), `members` / `groups` (for `$ref`)
    /// and extensions with hidden attributes are parsed.
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) {
        if let Rendered::Stored {
            stored,
            resource_type,
            plan,
            endpoint,
            refs,
        } = self
        {
            if let Some(entries) = stored.resource.json_text().and_then(scan) {
                let start = out.len();
                let fields = Fields::of(stored, resource_type, refs, endpoint);
                if write_text(out, &entries, &fields, plan, refs).is_some() {
                    return;
                }
                out.truncate(start);
            }
        }
        let _ = serde_json::to_writer(&mut *out, self);
    }

    /// The rendered resource's JSON.
    pub(crate) fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1024);
        self.write_json(&mut out);
        out
    }
}

/// A `ListResponse` body (as `scimkit_schema::ListResponse::new` serialises) of rendered
/// resources, each written with [`Rendered::write_json`].
pub(crate) fn list_body(resources: &[Rendered<'_>], total: u64, start: u64) -> Vec<u8> {
    let head = format!(
        "\"totalResults\":{total},\"startIndex\":{start},\"itemsPerPage\":{}",
        resources.len()
    );
    list_body_with(resources, &head)
}

/// A `ListResponse` body whose members before `Resources` are `head` (JSON members, without
/// the surrounding braces): what a cursor page uses (RFC 9865: `nextCursor`, and
/// `totalResults` only when counted).
pub(crate) fn list_body_with(resources: &[Rendered<'_>], head: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(160 + head.len() + 1024 * resources.len());
    out.extend_from_slice(b"{\"schemas\":[");
    let _ = serde_json::to_writer(&mut out, scimkit_schema::LIST_RESPONSE_SCHEMA);
    out.extend_from_slice(b"],");
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(b",\"Resources\":[");
    for (i, r) in resources.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        r.write_json(&mut out);
    }
    out.extend_from_slice(b"]}");
    out
}

/// `id` and `meta` as JSON text, from the store's fields.
struct Fields {
    id: String,
    meta: String,
}

impl Fields {
    fn of(stored: &Stored, resource_type: &str, refs: &Refs<'_>, endpoint: &str) -> Fields {
        let mut id = String::with_capacity(stored.id.len() + 2);
        write_json_str(&mut id, &stored.id);
        let location = format!("{}/{}/{}", refs.base, endpoint, stored.id);
        Fields {
            id,
            meta: meta_text(stored, resource_type, Some(&location)),
        }
    }
}

/// [`Stored::meta`] (with `location` when given) as compact JSON text, written directly in
/// `serde_json`'s key order: the one place `meta` is written as text.
pub(crate) fn meta_text(stored: &Stored, resource_type: &str, location: Option<&str>) -> String {
    let mut meta = String::with_capacity(160 + location.map_or(0, str::len));
    meta.push_str(r#"{"created":""#);
    write_timestamp(&mut meta, stored.created);
    meta.push_str(r#"","lastModified":""#);
    write_timestamp(&mut meta, stored.last_modified);
    meta.push('"');
    if let Some(location) = location {
        meta.push_str(r#","location":"#);
        write_json_str(&mut meta, location);
    }
    meta.push_str(r#","resourceType":"#);
    write_json_str(&mut meta, resource_type);
    let _ = write!(meta, r#","version":"W/\"{}\""}}"#, stored.version.0);
    meta
}

fn write_text(
    out: &mut Vec<u8>,
    entries: &[(&str, &str)],
    fields: &Fields,
    plan: &DefaultPlan,
    refs: &Refs<'_>,
) -> Option<()> {
    out.push(b'{');
    let mut first = true;
    let mut key = |out: &mut Vec<u8>, k: &str| {
        if !first {
            out.push(b',');
        }
        first = false;
        out.push(b'"');
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(b"\":");
    };
    // `id` and `meta` go where `serde_json` would sort them.
    let mut pending = [("id", fields.id.as_str()), ("meta", fields.meta.as_str())]
        .into_iter()
        .peekable();
    for &(k, v) in entries {
        if plan.drops_core(k) || from_fields(k) {
            continue;
        }
        while let Some((name, text)) = pending.next_if(|(name, _)| k > *name) {
            key(out, name);
            out.extend_from_slice(text.as_bytes());
        }
        match k {
            "members" | "groups" if v.starts_with('[') => {
                let items: Vec<Value> = serde_json::from_str(v).ok()?;
                key(out, k);
                let list = RefList {
                    items: &items,
                    default_type: if k == "members" { "User" } else { "Group" },
                    refs: *refs,
                };
                serde_json::to_writer(&mut *out, &list).ok()?;
            }
            _ if plan.is_ext(k)
                && v.starts_with('{')
                && (plan.drops_in_ext(k) || scan(v).is_some_and(|e| e.is_empty())) =>
            {
                let ext: Map<String, Value> = serde_json::from_str(v).ok()?;
                if ext.keys().any(|a| !plan.drops_ext(k, a)) {
                    key(out, k);
                    let f = Filtered {
                        obj: &ext,
                        urn: k,
                        plan,
                    };
                    serde_json::to_writer(&mut *out, &f).ok()?;
                }
            }
            _ => {
                key(out, k);
                out.extend_from_slice(v.as_bytes());
            }
        }
    }
    for (name, text) in pending {
        key(out, name);
        out.extend_from_slice(text.as_bytes());
    }
    out.push(b'}');
    Some(())
}

/// An object with one key set (replacing any stored value of it).
struct WithKey<'a>(&'a Map<String, Value>, &'static str, Option<&'a str>);

impl Serialize for WithKey<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (k, v) in self.0 {
            if k != self.1 || self.2.is_none() {
                map.serialize_entry(k, v)?;
            }
        }
        if let Some(extra) = self.2 {
            map.serialize_entry(self.1, extra)?;
        }
        map.end()
    }
}

struct RefList<'a> {
    items: &'a [Value],
    default_type: &'static str,
    refs: Refs<'a>,
}

impl Serialize for RefList<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.items.len()))?;
        for item in self.items {
            match item {
                Value::Object(o) => {
                    let id = o.get("value").and_then(Value::as_str);
                    let ty = match self.default_type {
                        "User" => o.get("type").and_then(Value::as_str).unwrap_or("User"),
                        other => other,
                    };
                    let r = id.and_then(|id| self.refs.of(ty, id));
                    seq.serialize_element(&WithKey(o, "$ref", r.as_deref()))?;
                }
                other => seq.serialize_element(other)?,
            }
        }
        seq.end()
    }
}

struct Filtered<'a> {
    obj: &'a Map<String, Value>,
    urn: &'a str,
    plan: &'a DefaultPlan,
}

impl Serialize for Filtered<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (k, v) in self.obj {
            if !self.plan.drops_ext(self.urn, k) {
                map.serialize_entry(k, v)?;
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scan_finds_top_level_entries() {
        let text =
            r#" { "a" : 1 , "b":{"x":[1,{"y":"}]\"{"}]},"c":"q\"}","d":[],"e":null,"f":-1.5e3 } "#;
        let e = scan(text).unwrap();
        let keys: Vec<&str> = e.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["a", "b", "c", "d", "e", "f"]);
        assert_eq!(e[1].1, r#"{"x":[1,{"y":"}]\"{"}]}"#);
        assert_eq!(e[2].1, r#""q\"}""#);
        assert_eq!(e[5].1, "-1.5e3");
        assert_eq!(scan("{}").unwrap().len(), 0);
        assert!(scan("[1]").is_none());
        assert!(scan(r#"{"p\u0061ss":1}"#).is_none());
        assert!(scan(r#"{"a":1"#).is_none());
    }

    #[test]
    fn scan_agrees_with_the_parser() {
        let mut long = String::new();
        for i in 0..40 {
            long.push_str(["a", "\"", "\\", "é", "}", "]", "{[", "\u{1}", "xyzxyzxy"][i % 9]);
            let v = json!({
                "s": long.clone(),
                long.clone(): [long.clone(), {"k": long.clone(), "n": [1, [2, {"x": null}]]}],
                "t": true, "z": {"deep": {"deeper": [long.clone(), -0.5, 1e300]}}
            });
            let text = serde_json::to_string(&v).unwrap();
            match scan(&text) {
                Some(entries) => {
                    let obj = v.as_object().unwrap();
                    assert_eq!(entries.len(), obj.len());
                    for (k, t) in entries {
                        let parsed: Value = serde_json::from_str(t).unwrap();
                        assert_eq!(obj.get(k), Some(&parsed), "{k}");
                    }
                }
                // Only a key with an escape makes the scanner give up.
                None => assert!(long.contains(['"', '\\', '\u{1}'])),
            }
        }
    }

    #[test]
    fn with_entry_keeps_the_sorted_order() {
        let v = json!({"a": 1, "id": "x", "meta": {"v": 1}, "z": [1]});
        let text = serde_json::to_string(&v).unwrap();
        let got = with_entry(&text, "groups", &json!([{"value": "g"}])).unwrap();
        let mut want = v.clone();
        want["groups"] = json!([{"value": "g"}]);
        assert_eq!(got, serde_json::to_string(&want).unwrap());
        let replaced = with_entry(&got, "groups", &json!([])).unwrap();
        want["groups"] = json!([]);
        assert_eq!(replaced, serde_json::to_string(&want).unwrap());
        assert_eq!(with_entry("{}", "a", &json!(1)).unwrap(), r#"{"a":1}"#);
    }

    #[test]
    fn id_and_meta_come_from_the_fields_with_location_and_refs() {
        use crate::store::{Resource, Version};
        let plan = DefaultPlan::default();
        let refs = Refs {
            base: "https://h/scim",
            users: Some("Users"),
            groups: Some("Groups"),
        };
        let at = |ms| chrono::DateTime::from_timestamp_millis(ms).unwrap();
        for (doc, id) in [
            (json!({"userName": "a"}), "a\"b"),
            // A stale copy of id and meta in the document is left out.
            (
                json!({"id": "old", "meta": {"location": "old"}, "zz": 1}),
                "x",
            ),
            (json!({"aa": {"id": 1}, "meta": "not an object"}), "y"),
        ] {
            let text = serde_json::to_string(&doc).unwrap();
            let stored = Stored::new(
                id,
                Version(4),
                at(0),
                at(1_500),
                Resource::from_json(text.into()),
            );
            let r = Rendered::Stored {
                stored: &stored,
                resource_type: "User",
                plan: &plan,
                endpoint: "Users",
                refs,
            };
            let got: Value = serde_json::from_slice(&r.to_json()).unwrap();
            assert_eq!(got["id"], id, "{doc}");
            let mut want = stored.meta("User");
            want["location"] = json!(format!("https://h/scim/Users/{id}"));
            assert_eq!(got["meta"], want, "{doc}");
            assert_eq!(got["meta"]["lastModified"], "1970-01-01T00:00:01.500Z");
            assert_eq!(
                serde_json::to_value(&r).unwrap(),
                got,
                "text and value paths agree"
            );
        }
        let g = json!({"members": [{"value": "u", "type": "User"}]}).to_string();
        let stored = Stored::new("g", Version(1), at(0), at(0), Resource::from_json(g.into()));
        let r = Rendered::Stored {
            stored: &stored,
            resource_type: "Group",
            plan: &plan,
            endpoint: "Groups",
            refs,
        };
        let got: Value = serde_json::from_slice(&r.to_json()).unwrap();
        assert_eq!(got["members"][0]["$ref"], "https://h/scim/Users/u");
    }

    #[test]
    fn list_body_is_a_list_response() {
        let items = vec![
            Rendered::Owned(json!({"id": "1"})),
            Rendered::Owned(json!({"id": "2"})),
        ];
        let want =
            scimkit_schema::ListResponse::new(vec![json!({"id": "1"}), json!({"id": "2"})], 7, 3);
        assert_eq!(list_body(&items, 7, 3), serde_json::to_vec(&want).unwrap());
        let empty = scimkit_schema::ListResponse::<Value>::new(vec![], 0, 1);
        assert_eq!(list_body(&[], 0, 1), serde_json::to_vec(&empty).unwrap());
    }
}
