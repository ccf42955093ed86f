//! Resolving a PATCH path against the schema: the target attribute, its container, the
//! value filter, and the element an unmatched filter describes (Entra ID's creation).

use super::{Resolved, Target};
use crate::profile::Profile;
use crate::registry::ResourceSchema;
use crate::schema::AttributeDef;
use crate::validate::{coerce, Source};
use crate::ScimError;
use scimkit_filter::{AttrTest, CompValue, CompareOp, Filter, PatchPath};
use serde_json::{Map, Value};
use std::borrow::Cow;

impl<'r> ResourceSchema<'r> {
    pub(super) fn resolve_path<'p>(
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
}

pub(super) fn invalid_path(detail: impl Into<String>) -> ScimError {
    ScimError::invalid_path(detail)
}

pub(super) fn comp_to_json(v: &CompValue<'_>) -> Value {
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
pub(super) fn element_from_filter(
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
