//! A request body as an audit record keeps it: whole when small, else a bounded excerpt with
//! the SHA-256 and size of the whole.

use super::redact::Redactor;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io;

/// Bodies whose redacted JSON is at most this many bytes are kept whole; larger ones are kept
/// as an [`AuditBody::Excerpt`] of this many bytes.
pub const AUDIT_BODY_EXCERPT_BYTES: usize = 4 * 1024;

/// A request body in an audit record, secrets already hidden by a [`Redactor`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AuditBody {
    /// A body larger than the excerpt limit.
    Excerpt(BodyExcerpt),
    /// The whole (redacted) body.
    Full(Value),
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
    /// assert_eq!(AuditBody::of(&small, &Redactor::default(), 4096), AuditBody::Full(small));
    /// ```
    pub fn of(body: &Value, redactor: &Redactor, limit: usize) -> Self {
        let mut sink = ExcerptWriter {
            kept: Vec::with_capacity(limit.min(AUDIT_BODY_EXCERPT_BYTES) + 1),
            limit,
            total: 0,
            hash: Sha256::new(),
        };
        if serde_json::to_writer(&mut sink, &redactor.view(body)).is_err() {
            return AuditBody::Full(Value::Null);
        }
        if sink.total <= limit {
            if let Ok(v) = serde_json::from_slice(&sink.kept) {
                return AuditBody::Full(v);
            }
        }
        let valid = match std::str::from_utf8(&sink.kept) {
            Ok(s) => s.len(),
            Err(e) => e.valid_up_to(),
        };
        sink.kept.truncate(valid);
        AuditBody::Excerpt(BodyExcerpt {
            excerpt: String::from_utf8(sink.kept).unwrap_or_default(),
            sha256: hex(&sink.hash.finalize()),
            bytes: u64::try_from(sink.total).unwrap_or(u64::MAX),
        })
    }
}

/// Keeps the first `limit` bytes written, hashes and counts them all.
struct ExcerptWriter {
    kept: Vec<u8>,
    limit: usize,
    total: usize,
    hash: Sha256,
}

impl io::Write for ExcerptWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = self.limit.saturating_sub(self.kept.len());
        self.kept.extend_from_slice(&buf[..buf.len().min(room)]);
        self.hash.update(buf);
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
