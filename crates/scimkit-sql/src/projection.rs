//! The typed projection of a resource: the columns, email rows and folded mirror that the
//! store writes beside the document so that SQL can look resources up by index and compare
//! case-insensitive strings exactly.

use scimkit_filter::fold;
use scimkit_schema::{get_ci, AttributeDef, AttributeType, ResourceSchema};
use serde_json::{Map, Value};

/// One element of `emails`, as the `emails` table holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailRow {
    /// The element's position in the array.
    pub position: i64,
    /// The folded `value`, when it is a string.
    pub value_norm: Option<String>,
    /// The folded `type`, when it is a string.
    pub type_norm: Option<String>,
    /// `primary`, when it is a boolean.
    pub primary: Option<bool>,
}

/// What the store writes beside a resource's document.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Projection {
    /// `userName`, folded.
    pub user_name_norm: Option<String>,
    /// `externalId`, as written (it is `caseExact`).
    pub external_id: Option<String>,
    /// `displayName`, folded.
    pub display_name_norm: Option<String>,
    /// `active`.
    pub active: Option<bool>,
    /// The rows of `emails`.
    pub emails: Vec<EmailRow>,
    /// The document's shape holding only its `caseExact: false` strings, folded (JSON text).
    pub folded: String,
}

fn text<'v>(object: &'v Map<String, Value>, name: &str) -> Option<&'v str> {
    get_ci(object, name).and_then(Value::as_str)
}

impl Projection {
    /// The projection of `document` (a resource as validated against `schema`).
    pub fn of(schema: &ResourceSchema<'_>, document: &Value) -> Projection {
        let empty = Map::new();
        let object = document.as_object().unwrap_or(&empty);
        let emails = match get_ci(object, "emails") {
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let o = item.as_object().unwrap_or(&empty);
                    EmailRow {
                        position: i64::try_from(i).unwrap_or(i64::MAX),
                        value_norm: text(o, "value").map(|s| fold(s).into_owned()),
                        type_norm: text(o, "type").map(|s| fold(s).into_owned()),
                        primary: get_ci(o, "primary").and_then(Value::as_bool),
                    }
                })
                .collect(),
            _ => Vec::new(),
        };
        Projection {
            user_name_norm: text(object, "userName").map(|s| fold(s).into_owned()),
            external_id: text(object, "externalId").map(str::to_owned),
            display_name_norm: text(object, "displayName").map(|s| fold(s).into_owned()),
            active: get_ci(object, "active").and_then(Value::as_bool),
            emails,
            folded: folded_mirror(schema, object).to_string(),
        }
    }

    /// The text the trigram index holds for `emails`: the folded values, one a line.
    pub fn emails_text(&self) -> String {
        let mut s = String::new();
        for e in &self.emails {
            if let Some(v) = &e.value_norm {
                if !s.is_empty() {
                    s.push('\n');
                }
                s.push_str(v);
            }
        }
        s
    }
}

/// The folded mirror of a resource: the same keys (in the schema's spelling) down to every
/// `caseExact: false` string attribute, holding the folded string; arrays keep their
/// positions (an element without such strings becomes `{}` or `null`).
pub fn folded_mirror(schema: &ResourceSchema<'_>, object: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    let core = schema.core().attributes.iter();
    for def in core.chain(schema.registry().common_attributes()) {
        if let Some(v) = get_ci(object, &def.name) {
            if let Some(f) = fold_attr(def, v) {
                out.insert(def.name.clone(), f);
            }
        }
    }
    let schemas = crate::translate::schemas_attribute();
    if let Some(f) = get_ci(object, "schemas").and_then(|v| fold_attr(&schemas, v)) {
        out.insert(schemas.name, f);
    }
    for (ext, _) in schema.extensions() {
        let Some(Value::Object(inner)) = get_ci(object, &ext.id) else {
            continue;
        };
        let mut ext_out = Map::new();
        for def in &ext.attributes {
            if let Some(v) = get_ci(inner, &def.name) {
                if let Some(f) = fold_attr(def, v) {
                    ext_out.insert(def.name.clone(), f);
                }
            }
        }
        if !ext_out.is_empty() {
            out.insert(ext.id.clone(), Value::Object(ext_out));
        }
    }
    Value::Object(out)
}

fn is_folded_string(def: &AttributeDef) -> bool {
    !def.case_exact
        && matches!(
            def.kind,
            AttributeType::String | AttributeType::Reference | AttributeType::Binary
        )
}

/// The folded mirror of one attribute value, `None` when it holds nothing to fold.
fn fold_attr(def: &AttributeDef, v: &Value) -> Option<Value> {
    let one = |v: &Value| -> Option<Value> {
        if def.is_complex() {
            let o = v.as_object()?;
            let mut m = Map::new();
            for sub in &def.sub_attributes {
                if let Some(sv) = get_ci(o, &sub.name) {
                    if let Some(f) = fold_attr(sub, sv) {
                        m.insert(sub.name.clone(), f);
                    }
                }
            }
            Some(Value::Object(m))
        } else if is_folded_string(def) {
            v.as_str().map(|s| Value::String(fold(s).into_owned()))
        } else {
            None
        }
    };
    match v {
        Value::Array(items) if def.multi_valued => {
            let mirrored: Vec<Value> = items
                .iter()
                .map(|i| one(i).unwrap_or(Value::Null))
                .collect();
            mirrored
                .iter()
                .any(|m| !m.is_null() && m != &Value::Object(Map::new()))
                .then_some(Value::Array(mirrored))
        }
        other => one(other).filter(|m| m != &Value::Object(Map::new())),
    }
}
