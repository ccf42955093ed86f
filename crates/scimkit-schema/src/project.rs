//! `attributes` / `excludedAttributes` projection (RFC 7644 §3.4.2.5, §3.9) honouring
//! `returned` (RFC 7643 §2.2).

use crate::registry::ResourceSchema;
use crate::schema::{AttributeDef, Returned};
use crate::ScimError;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// One attribute named in `attributes` or `excludedAttributes`, resolved to the schema's
/// spelling where the schema knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sel {
    /// The extension URN (schema spelling); `None` for the core schema and common attributes.
    ext: Option<String>,
    /// The attribute name; empty when the whole extension is named.
    name: String,
    /// The sub-attribute, if named.
    sub: Option<String>,
}

/// A parsed `attributes` / `excludedAttributes` pair, reusable for every resource of a list.
///
/// ```
/// use scimkit_schema::{Projection, Registry};
/// use serde_json::json;
///
/// let registry = Registry::standard();
/// let users = registry.resource_type("User").unwrap();
/// let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "2819c223",
///                   "userName": "bjensen", "name": {"givenName": "Barbara", "familyName": "Jensen"},
///                   "password": "t1meMa$heen"});
/// let p = Projection::from_query(&users, Some("name.givenName"), None).unwrap();
/// assert_eq!(users.project(&user, &p), json!({
///     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "2819c223",
///     "name": {"givenName": "Barbara"}
/// }));
/// // `password` is `returned: never`: never echoed back.
/// assert!(users.project(&user, &Projection::default()).get("password").is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Projection {
    attributes: Option<SelSet>,
    excluded: SelSet,
}

/// One list (`attributes` or `excludedAttributes`) indexed by attribute, so that projecting
/// costs the same whatever the list's length (a `.search` body may name thousands of paths).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct SelSet {
    /// (extension URN, attribute name), both lower-cased (no URN: empty) → what is named.
    attrs: HashMap<(String, String), Named>,
    /// Extensions named whole, lower-cased.
    whole_ext: HashSet<String>,
}

/// What a list names of one attribute: the whole of it, and sub-attributes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Named {
    whole: bool,
    /// Sub-attribute names, each once (compared without regard to case).
    subs: Vec<String>,
    /// The same, lower-cased.
    lower: HashSet<String>,
}

impl Named {
    fn contains(&self, sub: &str) -> bool {
        if self.subs.len() <= 8 {
            return self.subs.iter().any(|n| n.eq_ignore_ascii_case(sub));
        }
        self.lower.contains(&sub.to_ascii_lowercase())
    }
}

fn sel_key(ext: Option<&str>, name: &str) -> (String, String) {
    (
        ext.unwrap_or("").to_ascii_lowercase(),
        name.to_ascii_lowercase(),
    )
}

impl SelSet {
    fn new(sels: Vec<Sel>) -> Self {
        let mut set = SelSet::default();
        for sel in sels {
            if sel.name.is_empty() && sel.sub.is_none() {
                if let Some(ext) = &sel.ext {
                    set.whole_ext.insert(ext.to_ascii_lowercase());
                }
                continue;
            }
            let named = set
                .attrs
                .entry(sel_key(sel.ext.as_deref(), &sel.name))
                .or_default();
            match sel.sub {
                None => named.whole = true,
                Some(sub) => {
                    if named.lower.insert(sub.to_ascii_lowercase()) {
                        named.subs.push(sub);
                    }
                }
            }
        }
        set
    }

    fn is_empty(&self) -> bool {
        self.attrs.is_empty() && self.whole_ext.is_empty()
    }

    /// Whether the extension `ext` is named whole.
    fn names_extension(&self, ext: Option<&str>) -> bool {
        ext.is_some_and(|e| self.whole_ext.contains(&e.to_ascii_lowercase()))
    }

    fn get(&self, ext: Option<&str>, name: &str) -> Option<&Named> {
        self.attrs.get(&sel_key(ext, name))
    }
}

impl Projection {
    /// Builds a projection from the comma-separated query parameters.
    pub fn from_query(
        rs: &ResourceSchema<'_>,
        attributes: Option<&str>,
        excluded_attributes: Option<&str>,
    ) -> Result<Self, ScimError> {
        let split = |s: &str| -> Vec<String> {
            s.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect()
        };
        Self::new(
            rs,
            attributes.map(split).as_deref(),
            excluded_attributes.map(split).as_deref().unwrap_or(&[]),
        )
    }

    /// Builds a projection from lists of attribute paths (as in a `SearchRequest`).
    pub fn new(
        rs: &ResourceSchema<'_>,
        attributes: Option<&[String]>,
        excluded_attributes: &[String],
    ) -> Result<Self, ScimError> {
        let attributes = match attributes {
            Some(list) if !list.is_empty() => Some(SelSet::new(
                list.iter()
                    .map(|p| resolve(rs, p))
                    .collect::<Result<Vec<_>, _>>()?,
            )),
            _ => None,
        };
        let excluded = SelSet::new(
            excluded_attributes
                .iter()
                .map(|p| resolve(rs, p))
                .collect::<Result<Vec<_>, _>>()?,
        );
        Ok(Projection {
            attributes,
            excluded,
        })
    }

    /// Whether this projection returns the default set of attributes.
    pub fn is_default(&self) -> bool {
        self.attributes.is_none() && self.excluded.is_empty()
    }
}

fn resolve(rs: &ResourceSchema<'_>, path: &str) -> Result<Sel, ScimError> {
    let path = path.trim();
    let (schema, rest) = rs.split_urn(path);
    let ext = schema.filter(|s| !rs.is_core(&s.id));
    if path.is_empty() || (schema.is_none() && rest.contains(':')) {
        return Err(ScimError::invalid_value(
            "attributes and excludedAttributes take attribute paths of this resource type",
        ));
    }
    let (name, sub) = match rest.split_once('.') {
        Some((n, s)) => (n, Some(s)),
        None => (rest, None),
    };
    if name.is_empty() && sub.is_some() {
        return Err(ScimError::invalid_value("an attribute path is malformed"));
    }
    let def = match ext {
        Some(e) => e.get(name),
        None => rs.core_attribute(name),
    };
    let canonical_name = def.map_or_else(|| name.to_string(), |d| d.name.clone());
    let canonical_sub = sub.map(|s| {
        def.and_then(|d| d.sub_attribute(s))
            .map_or_else(|| s.to_string(), |sd| sd.name.clone())
    });
    Ok(Sel {
        ext: ext.map(|e| e.id.clone()),
        name: canonical_name,
        sub: canonical_sub,
    })
}

/// How one attribute is selected.
enum Pick<'p> {
    Skip,
    All {
        exclude_subs: Option<&'p Named>,
    },
    Subs {
        include: &'p Named,
        exclude_subs: Option<&'p Named>,
    },
}

impl Projection {
    fn pick<'p>(&'p self, ext: Option<&str>, name: &str, returned: Returned) -> Pick<'p> {
        if returned == Returned::Never {
            return Pick::Skip;
        }
        let pick = match (&self.attributes, returned) {
            (_, Returned::Always) => Pick::All { exclude_subs: None },
            (None, Returned::Request) => Pick::Skip,
            (None, _) => Pick::All { exclude_subs: None },
            (Some(list), _) => {
                // A whole extension named in `attributes` selects all its attributes.
                let named = list.get(ext, name);
                if list.names_extension(ext) || named.is_some_and(|n| n.whole) {
                    Pick::All { exclude_subs: None }
                } else {
                    match named.filter(|n| !n.subs.is_empty()) {
                        Some(include) => Pick::Subs {
                            include,
                            exclude_subs: None,
                        },
                        None => Pick::Skip,
                    }
                }
            }
        };
        if returned == Returned::Always {
            return pick;
        }
        let excluded = self.excluded.get(ext, name);
        if self.excluded.names_extension(ext) || excluded.is_some_and(|n| n.whole) {
            return Pick::Skip;
        }
        let excluded = excluded.filter(|n| !n.subs.is_empty());
        match pick {
            Pick::All { .. } => Pick::All {
                exclude_subs: excluded,
            },
            Pick::Subs { include, .. } => Pick::Subs {
                include,
                exclude_subs: excluded,
            },
            Pick::Skip => Pick::Skip,
        }
    }
}

/// Projects one complex value (an object) according to the pick and the sub-attributes'
/// `returned`.
fn project_object(
    def: Option<&AttributeDef>,
    obj: &Map<String, Value>,
    include: Option<&Named>,
    exclude: Option<&Named>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in obj {
        let keep = keep_sub(def, k, include, exclude);
        if keep {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

fn project_value(
    def: Option<&AttributeDef>,
    v: &Value,
    include: Option<&Named>,
    exclude: Option<&Named>,
) -> Option<Value> {
    let simple = include.is_none()
        && exclude.is_none()
        && def.map_or(true, |d| {
            d.sub_attributes
                .iter()
                .all(|s| matches!(s.returned, Returned::Default | Returned::Always))
        });
    if simple {
        return Some(v.clone());
    }
    match v {
        Value::Object(o) => {
            let p = project_object(def, o, include, exclude);
            (!p.is_empty()).then_some(Value::Object(p))
        }
        Value::Array(items) => {
            let out: Vec<Value> = items
                .iter()
                .filter_map(|e| match e {
                    Value::Object(o) => {
                        let p = project_object(def, o, include, exclude);
                        (!p.is_empty()).then_some(Value::Object(p))
                    }
                    other => include.is_none().then(|| other.clone()),
                })
                .collect();
            (!out.is_empty()).then_some(Value::Array(out))
        }
        other => include.is_none().then(|| other.clone()),
    }
}

fn keep_sub(
    def: Option<&AttributeDef>,
    k: &str,
    include: Option<&Named>,
    exclude: Option<&Named>,
) -> bool {
    let returned = def
        .and_then(|d| d.sub_attribute(k))
        .map_or(Returned::Default, |s| s.returned);
    match returned {
        Returned::Never => false,
        Returned::Always => true,
        Returned::Request => include.is_some_and(|i| i.contains(k)),
        Returned::Default => {
            include.map_or(true, |i| i.contains(k)) && !exclude.is_some_and(|e| e.contains(k))
        }
    }
}

/// [`project_value`] in place; `false` when nothing is left.
fn project_value_in_place(
    def: Option<&AttributeDef>,
    v: &mut Value,
    include: Option<&Named>,
    exclude: Option<&Named>,
) -> bool {
    let simple = include.is_none()
        && exclude.is_none()
        && def.map_or(true, |d| {
            d.sub_attributes
                .iter()
                .all(|s| matches!(s.returned, Returned::Default | Returned::Always))
        });
    if simple {
        return true;
    }
    match v {
        Value::Object(o) => {
            o.retain(|k, _| keep_sub(def, k, include, exclude));
            !o.is_empty()
        }
        Value::Array(items) => {
            items.retain_mut(|e| match e {
                Value::Object(o) => {
                    o.retain(|k, _| keep_sub(def, k, include, exclude));
                    !o.is_empty()
                }
                _ => include.is_none(),
            });
            !items.is_empty()
        }
        _ => include.is_none(),
    }
}

impl ResourceSchema<'_> {
    /// [`project`](Self::project) on an owned resource, in place: nothing is copied.
    pub fn project_into(&self, resource: Value, projection: &Projection) -> Value {
        let Value::Object(mut obj) = resource else {
            return resource;
        };
        let (hidden, hidden_subs) = self.default_hidden();
        if projection.is_default() && !hidden_subs {
            // Only whole attributes can be hidden: drop those, touch nothing else.
            if hidden.is_empty() {
                return Value::Object(obj);
            }
            // A cheap name test first, then the definition in the right schema decides.
            let is_hidden = |k: &str| hidden.iter().any(|h| h.eq_ignore_ascii_case(k));
            let not_default =
                |d: &AttributeDef| !matches!(d.returned, Returned::Default | Returned::Always);
            obj.retain(|k, v| {
                if let Some(ext) = self.extension(k) {
                    let Value::Object(eobj) = v else { return false };
                    eobj.retain(|ek, _| !(is_hidden(ek) && ext.get(ek).is_some_and(not_default)));
                    return !eobj.is_empty();
                }
                !(is_hidden(k) && self.core_attribute(k).is_some_and(not_default))
            });
            return Value::Object(obj);
        }
        obj.retain(|k, v| {
            if k.eq_ignore_ascii_case("schemas") {
                return true;
            }
            if let Some(ext) = self.extension(k) {
                let Value::Object(eobj) = v else { return false };
                eobj.retain(|ek, ev| {
                    let def = ext.get(ek);
                    let returned = def.map_or(Returned::Default, |d| d.returned);
                    self.project_attr_in_place(projection, Some(&ext.id), ek, def, returned, ev)
                });
                return !eobj.is_empty();
            }
            let def = self.core_attribute(k);
            let returned = def.map_or(Returned::Default, |d| d.returned);
            self.project_attr_in_place(projection, None, k, def, returned, v)
        });
        Value::Object(obj)
    }

    fn project_attr_in_place(
        &self,
        projection: &Projection,
        ext: Option<&str>,
        name: &str,
        def: Option<&AttributeDef>,
        returned: Returned,
        v: &mut Value,
    ) -> bool {
        match projection.pick(ext, name, returned) {
            Pick::Skip => false,
            Pick::All { exclude_subs } => project_value_in_place(def, v, None, exclude_subs),
            Pick::Subs {
                include,
                exclude_subs,
            } => project_value_in_place(def, v, Some(include), exclude_subs),
        }
    }

    /// Applies a projection to one resource: only what `returned`, `attributes` and
    /// `excludedAttributes` allow, with `schemas` and `returned: always` attributes (`id`)
    /// always present and `returned: never` attributes (`password`) never.
    pub fn project(&self, resource: &Value, projection: &Projection) -> Value {
        let Some(obj) = resource.as_object() else {
            return resource.clone();
        };
        let mut out = Map::new();
        for (k, v) in obj {
            if k.eq_ignore_ascii_case("schemas") {
                out.insert(k.clone(), v.clone());
                continue;
            }
            if let Some(ext) = self.extension(k) {
                let Some(eobj) = v.as_object() else { continue };
                let mut eo = Map::new();
                for (ek, ev) in eobj {
                    let def = ext.get(ek);
                    let returned = def.map_or(Returned::Default, |d| d.returned);
                    if let Some(pv) =
                        self.project_attr(projection, Some(&ext.id), ek, def, returned, ev)
                    {
                        eo.insert(ek.clone(), pv);
                    }
                }
                if !eo.is_empty() {
                    out.insert(k.clone(), Value::Object(eo));
                }
                continue;
            }
            let def = self.core_attribute(k);
            let returned = def.map_or(Returned::Default, |d| d.returned);
            if let Some(pv) = self.project_attr(projection, None, k, def, returned, v) {
                out.insert(k.clone(), pv);
            }
        }
        Value::Object(out)
    }

    fn project_attr(
        &self,
        projection: &Projection,
        ext: Option<&str>,
        name: &str,
        def: Option<&AttributeDef>,
        returned: Returned,
        v: &Value,
    ) -> Option<Value> {
        match projection.pick(ext, name, returned) {
            Pick::Skip => None,
            Pick::All { exclude_subs } => project_value(def, v, None, exclude_subs),
            Pick::Subs {
                include,
                exclude_subs,
            } => project_value(def, v, Some(include), exclude_subs),
        }
    }

    /// Applies a projection to every resource of a list.
    pub fn project_all<'v>(
        &self,
        resources: impl IntoIterator<Item = &'v Value>,
        projection: &Projection,
    ) -> Vec<Value> {
        resources
            .into_iter()
            .map(|r| self.project(r, projection))
            .collect()
    }
}
