//! What both SQL stores do to a resource the dispatcher writes: split it into the document as
//! stored and the members it names, give it an id, stamp it.

use chrono::{DateTime, Utc};
use scimkit_dispatch::{MemberRef, StoreError};
use scimkit_schema::{remove_ci, SERVER_OWNED};
use serde_json::{Map, Value};

/// Now, to the millisecond `meta` shows (so a filter on `meta.created` compares what is
/// served).
pub(crate) fn now() -> DateTime<Utc> {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// A new id: a random (version 4) UUID, lower-case (its own fold key).
pub(crate) fn new_id() -> Result<String, StoreError> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| StoreError::backend(e.to_string()))?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    ))
}

/// A resource split into the document as stored (without the server's attributes and the
/// relation) and the `members` it named, if any.
pub(crate) type Split = (Map<String, Value>, Option<Vec<Value>>);

/// Splits a resource the dispatcher writes into document and members.
pub(crate) fn document(resource: Value) -> Result<Split, StoreError> {
    let Value::Object(mut doc) = resource else {
        return Err(StoreError::InvalidValue(
            "a resource must be a JSON object".into(),
        ));
    };
    for k in SERVER_OWNED {
        remove_ci(&mut doc, k);
    }
    let members = match remove_ci(&mut doc, "members") {
        None | Some(Value::Null) => None,
        Some(Value::Array(a)) => Some(a),
        Some(_) => return Err(StoreError::InvalidValue("members must be an array".into())),
    };
    Ok((doc, members))
}

/// Reads the elements of a document's `members`.
pub(crate) fn member_refs(elements: &[Value]) -> Result<Vec<MemberRef>, StoreError> {
    elements
        .iter()
        .map(|e| {
            MemberRef::from_element(e).ok_or_else(|| {
                StoreError::InvalidValue("each member must have a string \"value\"".into())
            })
        })
        .collect()
}
