//! A request body as an audit record keeps it: whole when small, else a bounded excerpt with
//! the SHA-256 and size of the whole.

use super::redact::Redactor;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io;

/// Bodies whose redacted JSON is at most this many bytes are kept whole; larger ones are kept
/// as an [`AuditBody::Excerpt`] of this many bytes.
pub const AUDIT_BODY_EXCERPT_BYTES: usize = 4 * 1024;

/// A request body in an audit record, secrets already hidden by a [`Redactor`]. It serialises
/// as the body itself ([`Full`](AuditBody::Full)) or as `{"excerpt", "sha256", "bytes"}`.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum AuditBody {
    /// A body larger than the excerpt limit.
    Excerpt(Box<BodyExcerpt>),
    /// The whole (redacted) body, as compact JSON text: cheap to keep, count and drop.
    Full(Box<RawValue>),
}

impl PartialEq for AuditBody {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (AuditBody::Excerpt(a), AuditBody::Excerpt(b)) => a == b,
            (AuditBody::Full(a), AuditBody::Full(b)) => a.get() == b.get(),
            _ => false,
        }
    }
}

impl<'de> Deserialize<'de> for AuditBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(deserializer)?;
        if let Ok(e) = BodyExcerpt::deserialize(&v) {
            return Ok(AuditBody::Excerpt(Box::new(e)));
        }
        serde_json::value::to_raw_value(&v)
            .map(AuditBody::Full)
            .map_err(serde::de::Error::custom)
    }
}

/// The start of a large body, and what identifies the whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BodyExcerpt {
    /// The first bytes of the redacted body's compact JSON (cut at a character boundary).
    pub excerpt: String,
    /// The SHA-256 (lower-case hex) of the whole redacted body's compact JSON. It is taken
    /// after redaction, so it is no oracle for a hidden password.
    pub sha256: String,
    /// The length in bytes of the whole redacted body's compact JSON.
    pub bytes: u64,
}

impl AuditBody {
    /// `body` redacted, whole if its JSON is at most `limit` bytes, else an excerpt of `limit`
    /// bytes. The body is written once, through the redactor, without copying it.
    ///
    /// ```
    /// use scimkit_policy::{AuditBody, Redactor};
    /// use serde_json::json;
    ///
    /// let big = json!({"displayName": "x".repeat(100_000), "password": "hunter2"});
    /// let AuditBody::Excerpt(e) = AuditBody::of(&big, &Redactor::default(), 4096) else { panic!() };
    /// assert!(e.excerpt.len() <= 4096 && e.bytes > 100_000 && e.sha256.len() == 64);
    /// let small = json!({"userName": "ada@example.com"});
    /// assert_eq!(AuditBody::of(&small, &Redactor::default(), 4096).to_value(), small);
    /// ```
    pub fn of(body: &Value, redactor: &Redactor, limit: usize) -> Self {
        let mut sink = ExcerptWriter {
            // Small: most bodies are; a 4 KiB block per body would bypass the allocator's
            // small-size caches.
            kept: Vec::with_capacity(limit.min(512)),
            limit,
            total: 0,
            hash: None,
        };
        if serde_json::to_writer(&mut sink, &redactor.view(body)).is_err() {
            sink.kept.clear();
        }
        if sink.total <= limit {
            let whole = String::from_utf8(std::mem::take(&mut sink.kept)).unwrap_or_default();
            if let Ok(raw) = RawValue::from_string(whole) {
                return AuditBody::Full(raw);
            }
        }
        let valid = match std::str::from_utf8(&sink.kept) {
            Ok(s) => s.len(),
            Err(e) => e.valid_up_to(),
        };
        sink.kept.truncate(valid);
        AuditBody::Excerpt(Box::new(BodyExcerpt {
            excerpt: String::from_utf8(sink.kept).unwrap_or_default(),
            sha256: hex(&sink.hash.unwrap_or_default().finalize()),
            bytes: u64::try_from(sink.total).unwrap_or(u64::MAX),
        }))
    }
}

impl AuditBody {
    /// The body as a JSON value (an excerpt as its `{"excerpt", "sha256", "bytes"}` object).
    pub fn to_value(&self) -> Value {
        match self {
            AuditBody::Full(raw) => serde_json::from_str(raw.get()).unwrap_or(Value::Null),
            AuditBody::Excerpt(e) => serde_json::to_value(e).unwrap_or(Value::Null),
        }
    }
}

/// Keeps the first `limit` bytes written and counts them all; once past `limit`, hashes them
/// all (a body that fits is never hashed).
struct ExcerptWriter {
    kept: Vec<u8>,
    limit: usize,
    total: usize,
    hash: Option<Sha256>,
}

impl io::Write for ExcerptWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = self.limit.saturating_sub(self.kept.len());
        let (head, tail) = buf.split_at(buf.len().min(room));
        self.kept.extend_from_slice(head);
        if !tail.is_empty() || self.hash.is_some() {
            let hash = self.hash.get_or_insert_with(|| {
                let mut h = Sha256::new();
                h.update(&self.kept);
                h
            });
            hash.update(tail);
        }
        self.total = self.total.saturating_add(buf.len());
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// Counts the bytes of compact JSON written to it.
#[derive(Default)]
pub(crate) struct ByteCounter(pub(crate) usize);

impl io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 = self.0.saturating_add(buf.len());
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_digest_and_size_are_of_the_whole_redacted_json() {
        let body = json!({"displayName": "é".repeat(3000), "password": "hunter2"});
        let redactor = Redactor::default();
        let whole = serde_json::to_vec(&redactor.redact(&body)).unwrap();
        let AuditBody::Excerpt(e) = AuditBody::of(&body, &redactor, 1001) else {
            panic!("excerpted")
        };
        assert_eq!(e.bytes, whole.len() as u64);
        assert_eq!(e.sha256, hex(&Sha256::digest(&whole)));
        assert!(e.excerpt.len() <= 1001 && whole.starts_with(e.excerpt.as_bytes()));
        assert!(!e.excerpt.contains("hunter2"));
        let fits = AuditBody::of(&body, &redactor, whole.len());
        assert_eq!(fits.to_value(), redactor.redact(&body));
        let again: AuditBody =
            serde_json::from_str(&serde_json::to_string(&fits).unwrap()).unwrap();
        assert_eq!(again, fits);
    }
}
