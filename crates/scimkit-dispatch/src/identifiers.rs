//! The identifier rule on writes: attributes that identify a resource (`userName`: a string
//! with server or global uniqueness that compares without regard to case) may not contain
//! control or format characters, which make invisible look-alikes (`zo\u{200B}e` beside `zoe`).
//! Their comparison keys are folded by [`scimkit_filter::fold`] (see docs/schema.md).

use scimkit_filter::get_ci;
use scimkit_schema::{AttributeType, ResourceSchema, ScimError, Uniqueness};
use serde_json::Value;

/// Checks the identifying attributes of `after` that differ from `before` (a value stored
/// before this rule existed is not refused on every later update).
///
/// # Errors
///
/// `invalidValue` naming the attribute and the offending code point (never the value).
pub(crate) fn check(
    rs: ResourceSchema<'_>,
    before: Option<&Value>,
    after: &Value,
) -> Result<(), ScimError> {
    let identifying = rs.core().attributes.iter().filter(|d| {
        d.kind == AttributeType::String
            && !d.multi_valued
            && !d.case_exact
            && d.uniqueness != Uniqueness::None
    });
    for def in identifying {
        let Some(new) = string_attribute(after, &def.name) else {
            continue;
        };
        if before.and_then(|b| string_attribute(b, &def.name)) == Some(new) {
            continue;
        }
        scimkit_filter::check_identifier(new)
            .map_err(|e| ScimError::invalid_value(format!("{}: {e}", def.name)))?;
    }
    Ok(())
}

fn string_attribute<'v>(resource: &'v Value, name: &str) -> Option<&'v str> {
    get_ci(resource.as_object()?, name)?.as_str()
}
