//! The parameters of a query (GET on a type, or a SearchRequest) and the projection.

use scimkit_schema::{get_ci, Projection, ResourceSchema, ScimError, ScimType};
use serde_json::Value;

/// The parameters of a query (GET on a type, or a SearchRequest).
#[derive(Debug, Default)]
pub(crate) struct ListParams {
    pub(crate) filter: Option<String>,
    pub(crate) start_index: Option<i64>,
    pub(crate) count: Option<i64>,
    pub(crate) sort_by: Option<String>,
    pub(crate) sort_order: Option<String>,
    pub(crate) attributes: Option<Vec<String>>,
    pub(crate) excluded: Vec<String>,
    /// RFC 9865 `cursor`: `Some("")` asks for the first page of cursor paging.
    pub(crate) cursor: Option<String>,
}

/// A `count` that is not an integer: `invalidCount` with a cursor (RFC 9865), else
/// `invalidValue`.
fn count_error(with_cursor: bool) -> impl FnOnce(ScimError) -> ScimError {
    move |e| match with_cursor {
        true => ScimError::bad_request(ScimType::InvalidCount, "count must be an integer"),
        false => e,
    }
}

pub(crate) fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

pub(crate) fn parse_int(name: &str, v: &str) -> Result<i64, ScimError> {
    v.trim().parse::<i64>().or_else(|_| {
        // Out-of-range integers saturate; anything else is an error.
        let t = v.trim();
        if !t.is_empty()
            && t.trim_start_matches('-')
                .bytes()
                .all(|b| b.is_ascii_digit())
        {
            Ok(if t.starts_with('-') {
                i64::MIN
            } else {
                i64::MAX
            })
        } else {
            Err(ScimError::invalid_value(format!(
                "{name} must be an integer"
            )))
        }
    })
}

impl ListParams {
    pub(crate) fn from_query(pairs: &[(String, String)]) -> Result<Self, ScimError> {
        let mut p = ListParams::default();
        let with_cursor = pairs.iter().any(|(k, _)| k.eq_ignore_ascii_case("cursor"));
        for (k, v) in pairs {
            match k.to_ascii_lowercase().as_str() {
                "filter" => p.filter = Some(v.clone()),
                "startindex" => p.start_index = Some(parse_int("startIndex", v)?),
                "count" => {
                    p.count = Some(parse_int("count", v).map_err(count_error(with_cursor))?);
                }
                "cursor" => p.cursor = Some(v.clone()),
                "sortby" => p.sort_by = Some(v.clone()),
                "sortorder" => p.sort_order = Some(v.clone()),
                "attributes" => p.attributes = Some(split_list(v)),
                "excludedattributes" => p.excluded = split_list(v),
                _ => {}
            }
        }
        Ok(p)
    }

    pub(crate) fn from_search(body: &Value) -> Result<Self, ScimError> {
        let Some(obj) = body.as_object() else {
            return Err(ScimError::invalid_syntax(
                "a SearchRequest must be a JSON object",
            ));
        };
        let string = |name: &str| -> Result<Option<String>, ScimError> {
            match get_ci(obj, name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(ScimError::invalid_syntax(format!(
                    "{name} must be a string"
                ))),
            }
        };
        let int = |name: &str| -> Result<Option<i64>, ScimError> {
            match get_ci(obj, name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) => Ok(Some(n.as_i64().unwrap_or_else(|| {
                    if n.as_f64().is_some_and(|f| f < 0.0) {
                        i64::MIN
                    } else {
                        i64::MAX
                    }
                }))),
                Some(Value::String(s)) => parse_int(name, s).map(Some),
                Some(_) => Err(ScimError::invalid_syntax(format!(
                    "{name} must be an integer"
                ))),
            }
        };
        let list = |name: &str| -> Result<Option<Vec<String>>, ScimError> {
            match get_ci(obj, name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(split_list(s))),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|v| {
                        v.as_str().map(str::to_string).ok_or_else(|| {
                            ScimError::invalid_syntax(format!("{name} must list strings"))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some),
                Some(_) => Err(ScimError::invalid_syntax(format!(
                    "{name} must be an array of strings"
                ))),
            }
        };
        let cursor = match get_ci(obj, "cursor") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                return Err(ScimError::bad_request(
                    ScimType::InvalidCursor,
                    "cursor must be a string",
                ))
            }
        };
        Ok(ListParams {
            filter: string("filter")?,
            start_index: int("startIndex")?,
            count: int("count").map_err(count_error(cursor.is_some()))?,
            cursor,
            sort_by: string("sortBy")?,
            sort_order: string("sortOrder")?,
            attributes: list("attributes")?,
            excluded: list("excludedAttributes")?.unwrap_or_default(),
        })
    }
}

/// Whether a projection leaves `members` out (so the store need not materialise them).
pub(crate) fn wants_members(attributes: Option<&[String]>, excluded: &[String]) -> bool {
    let names_members = |a: &String| {
        let a = a.trim();
        let a = a
            .rsplit_once(':')
            .map_or(a, |(_, rest)| rest)
            .split('.')
            .next()
            .unwrap_or("");
        a.eq_ignore_ascii_case("members")
    };
    if excluded.iter().any(names_members) {
        return false;
    }
    match attributes {
        Some(list) if !list.is_empty() => list.iter().any(names_members),
        _ => true,
    }
}

pub(crate) fn projection(
    rs: &ResourceSchema<'_>,
    pairs: &[(String, String)],
) -> Result<Projection, ScimError> {
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    Projection::from_query(rs, get("attributes"), get("excludedAttributes"))
}
