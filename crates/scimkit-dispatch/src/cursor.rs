//! RFC 9865 cursors: opaque, authenticated keyset positions.
//!
//! A cursor is `base64url(payload ‖ tag)` without padding. The payload holds a format version,
//! the issue time and the keyset position (the sort value and id of the last resource served);
//! the tag is HMAC-SHA-256 with the server's [`CursorKey`] over the payload **and** what the
//! cursor is bound to: the tenant, the resource type, the filter and the sort. A cursor that
//! was altered, issued by another server, for another tenant, or for another filter or sort
//! fails the tag check (`invalidCursor`); one older than the timeout is `expiredCursor`.
//! Decoding is linear in the cursor's length and bounded ([`MAX_CURSOR_CHARS`]).

use crate::store::KeysetPosition;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use scimkit_schema::{ScimError, ScimType};
use serde_json::Value;
use sha2::Sha256;
use std::fmt;
use std::time::Duration;

type HmacSha256 = Hmac<Sha256>;

/// The longest cursor accepted (and issued), in characters: longer text is refused before it
/// is decoded.
pub const MAX_CURSOR_CHARS: usize = 2048;

const VERSION: u8 = 1;
const TAG_BYTES: usize = 32;
/// Version, issue time, position flag.
const HEADER_BYTES: usize = 1 + 8 + 1;

/// A server secret that signs cursors ([`Config::cursor_keys`](crate::Config::cursor_keys)).
/// Every instance of a deployment needs the same keys. Its `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct CursorKey(Vec<u8>);

/// A cursor key that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CursorKeyError {
    /// Fewer than [`CursorKey::MIN_BYTES`] bytes.
    #[error("a cursor key needs at least {min} bytes, this one has {0}", min = CursorKey::MIN_BYTES)]
    TooShort(usize),
}

impl CursorKey {
    /// The shortest key accepted: 32 bytes (e.g. `openssl rand -hex 32` gives 64 characters).
    pub const MIN_BYTES: usize = 32;

    /// A key from secret bytes (e.g. a configured hex or random string's bytes).
    ///
    /// # Errors
    /// [`CursorKeyError::TooShort`] under [`CursorKey::MIN_BYTES`].
    pub fn new(secret: impl AsRef<[u8]>) -> Result<Self, CursorKeyError> {
        let secret = secret.as_ref();
        if secret.len() < Self::MIN_BYTES {
            return Err(CursorKeyError::TooShort(secret.len()));
        }
        Ok(CursorKey(secret.to_vec()))
    }

    fn mac(&self, binding: &Binding<'_>, payload: &[u8]) -> HmacSha256 {
        // `new_from_slice` accepts any key length for HMAC.
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(b"scimkit cursor v1");
        for field in [
            binding.tenant,
            binding.resource_type,
            binding.filter,
            binding.sort,
        ] {
            mac.update(&(field.len() as u64).to_be_bytes());
            mac.update(field.as_bytes());
        }
        mac.update(payload);
        mac
    }
}

impl fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

/// What a cursor is bound to: a cursor opens only for the same tenant, type, filter and sort.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Binding<'a> {
    pub(crate) tenant: &'a str,
    pub(crate) resource_type: &'a str,
    /// The filter's canonical text (`""` for none).
    pub(crate) filter: &'a str,
    /// `sortBy` canonical text and `sortOrder` (`""` for none).
    pub(crate) sort: &'a str,
}

/// A cursor's content once opened: where the next page starts (`None`: the first resource).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Opened {
    pub(crate) position: Option<KeysetPosition>,
}

/// Issues a cursor for a position, signed with the first key, at `now_ms` (Unix ms).
///
/// # Errors
/// `invalidValue` when the sort value is too long for a cursor, 501 without a key.
pub(crate) fn issue(
    keys: &[CursorKey],
    binding: &Binding<'_>,
    position: Option<&KeysetPosition>,
    now_ms: u64,
) -> Result<String, ScimError> {
    let key = keys.first().ok_or_else(not_enabled)?;
    let mut payload = Vec::with_capacity(64);
    payload.push(VERSION);
    payload.extend_from_slice(&now_ms.to_be_bytes());
    match position {
        None => payload.push(0),
        Some(p) => {
            payload.push(1);
            let id_len = u16::try_from(p.id.len()).map_err(|_| too_long())?;
            payload.extend_from_slice(&id_len.to_be_bytes());
            payload.extend_from_slice(p.id.as_bytes());
            serde_json::to_writer(&mut payload, &p.value).map_err(|_| too_long())?;
        }
    }
    let tag = key.mac(binding, &payload).finalize().into_bytes();
    payload.extend_from_slice(&tag);
    let text = URL_SAFE_NO_PAD.encode(&payload);
    if text.len() > MAX_CURSOR_CHARS {
        return Err(too_long());
    }
    Ok(text)
}

/// Opens a cursor: checks its length, alphabet and tag (any of `keys`), then its age.
///
/// # Errors
/// `invalidCursor` (400) for anything this server did not issue for this binding,
/// `expiredCursor` (400) for a cursor older than `timeout`, 501 without a key.
pub(crate) fn open(
    keys: &[CursorKey],
    binding: &Binding<'_>,
    cursor: &str,
    now_ms: u64,
    timeout: Duration,
) -> Result<Opened, ScimError> {
    if keys.is_empty() {
        return Err(not_enabled());
    }
    if cursor.len() > MAX_CURSOR_CHARS {
        return Err(invalid());
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    if bytes.len() < HEADER_BYTES + TAG_BYTES {
        return Err(invalid());
    }
    let (payload, tag) = bytes.split_at(bytes.len() - TAG_BYTES);
    let genuine = keys
        .iter()
        .any(|k| k.mac(binding, payload).verify_slice(tag).is_ok());
    if !genuine {
        return Err(invalid());
    }
    // Issued by this deployment for this query: the rest was written by `issue`.
    if payload[0] != VERSION {
        return Err(invalid());
    }
    let mut issued = [0u8; 8];
    issued.copy_from_slice(&payload[1..9]);
    let issued = u64::from_be_bytes(issued);
    let timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
    if now_ms.saturating_sub(issued) > timeout_ms {
        return Err(ScimError::bad_request(
            ScimType::ExpiredCursor,
            format!(
                "The cursor has expired: request the next page within {} s (cursorTimeout), \
                 or start again without a cursor",
                timeout.as_secs()
            ),
        ));
    }
    let position = match payload[9] {
        0 => None,
        1 => {
            let rest = &payload[HEADER_BYTES..];
            let (len, rest) = rest.split_at_checked(2).ok_or_else(invalid)?;
            let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
            let (id, value) = rest.split_at_checked(len).ok_or_else(invalid)?;
            let id = std::str::from_utf8(id).map_err(|_| invalid())?;
            let value: Value = serde_json::from_slice(value).map_err(|_| invalid())?;
            Some(KeysetPosition::new(value, id))
        }
        _ => return Err(invalid()),
    };
    Ok(Opened { position })
}

fn invalid() -> ScimError {
    ScimError::bad_request(
        ScimType::InvalidCursor,
        "The cursor is not valid for this query: send the nextCursor of the previous page with \
         the same filter and sort, or an empty cursor for the first page",
    )
}

fn too_long() -> ScimError {
    ScimError::invalid_value(format!(
        "The sort value of this page's last resource is too long for a cursor of at most \
         {MAX_CURSOR_CHARS} characters; sort by another attribute"
    ))
}

/// The answer to a cursor request on a server without a cursor key.
pub(crate) fn not_enabled() -> ScimError {
    ScimError::new(
        501,
        None,
        "Cursor paging is not enabled on this service provider (ServiceProviderConfig \
         pagination.cursor is false): use startIndex",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(secret: &str) -> Vec<CursorKey> {
        vec![CursorKey::new(secret.repeat(32)).unwrap()]
    }

    const BINDING: Binding<'static> = Binding {
        tenant: "acme",
        resource_type: "User",
        filter: "",
        sort: "",
    };

    #[test]
    fn a_cursor_opens_to_what_was_issued_and_only_for_its_binding() {
        let k = keys("a");
        let p = KeysetPosition::new(json!("bjensen"), "2819c223");
        let c = issue(&k, &BINDING, Some(&p), 1_000).unwrap();
        assert!(c.len() <= MAX_CURSOR_CHARS);
        assert!(c
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        let opened = open(&k, &BINDING, &c, 2_000, Duration::from_secs(1)).unwrap();
        assert_eq!(opened.position, Some(p));
        let other_tenant = Binding {
            tenant: "globex",
            ..BINDING
        };
        let e = open(&k, &other_tenant, &c, 2_000, Duration::from_secs(1)).unwrap_err();
        assert_eq!(e.scim_type(), Some(ScimType::InvalidCursor));
        let e = open(&keys("b"), &BINDING, &c, 2_000, Duration::from_secs(1)).unwrap_err();
        assert_eq!(e.scim_type(), Some(ScimType::InvalidCursor));
        let e = open(&k, &BINDING, &c, 2_001, Duration::from_secs(1)).unwrap_err();
        assert_eq!(e.scim_type(), Some(ScimType::ExpiredCursor));
    }

    #[test]
    fn the_previous_key_still_opens_and_the_first_one_signs() {
        let old = keys("o");
        let rotated = vec![keys("n").remove(0), old[0].clone()];
        let c = issue(&old, &BINDING, None, 5).unwrap();
        assert!(open(&rotated, &BINDING, &c, 5, Duration::from_secs(1)).is_ok());
        let fresh = issue(&rotated, &BINDING, None, 5).unwrap();
        assert!(open(&old, &BINDING, &fresh, 5, Duration::from_secs(1)).is_err());
    }

    #[test]
    fn every_flipped_bit_is_refused() {
        let k = keys("a");
        let p = KeysetPosition::new(json!(3), "x");
        let c = issue(&k, &BINDING, Some(&p), 1).unwrap();
        let raw = URL_SAFE_NO_PAD.decode(&c).unwrap();
        for i in 0..raw.len() * 8 {
            let mut forged = raw.clone();
            forged[i / 8] ^= 1 << (i % 8);
            let text = URL_SAFE_NO_PAD.encode(&forged);
            let e = open(&k, &BINDING, &text, 1, Duration::from_secs(1)).unwrap_err();
            assert_eq!(e.scim_type(), Some(ScimType::InvalidCursor), "bit {i}");
        }
    }

    proptest::proptest! {
        #[test]
        fn garbage_is_refused_without_panicking(text in ".{0,300}", raw in proptest::collection::vec(0u8.., 0..120)) {
            let k = keys("a");
            let timeout = Duration::from_secs(1);
            proptest::prop_assert!(open(&k, &BINDING, &text, 0, timeout).is_err());
            let encoded = URL_SAFE_NO_PAD.encode(&raw);
            proptest::prop_assert!(open(&k, &BINDING, &encoded, 0, timeout).is_err());
        }
    }

    #[test]
    fn keys_are_long_and_never_shown() {
        assert_eq!(CursorKey::new("short"), Err(CursorKeyError::TooShort(5)));
        let k = CursorKey::new("s3cr3t".repeat(8)).unwrap();
        assert!(!format!("{k:?}").contains("s3cr3t"));
    }
}
