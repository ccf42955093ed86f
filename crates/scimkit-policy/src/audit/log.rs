//! A tenant's in-memory audit log, bounded by entry count and by bytes: [`AuditLog`].

use super::body::ByteCounter;
use super::{AuditEntry, AuditRecord};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// How many audit entries a tenant keeps in memory unless told otherwise.
pub const DEFAULT_AUDIT_CAPACITY: usize = 10_000;

/// How many bytes of audit entries (their compact JSON) a tenant keeps in memory unless told
/// otherwise: 8 MiB.
pub const DEFAULT_AUDIT_BYTES: usize = 8 << 20;

/// The most entries one page of [`AuditLog::page`] holds.
pub const MAX_AUDIT_PAGE: usize = 1000;

/// The bounds of a tenant's in-memory audit log; beyond either, the oldest entries go first.
///
/// ```
/// use scimkit_policy::AuditLimits;
/// let limits = AuditLimits::default().with_max_bytes(1 << 20);
/// assert_eq!(limits.max_entries, scimkit_policy::DEFAULT_AUDIT_CAPACITY);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AuditLimits {
    /// The most entries kept ([`DEFAULT_AUDIT_CAPACITY`]).
    pub max_entries: usize,
    /// The most bytes kept, counted as each entry's compact JSON ([`DEFAULT_AUDIT_BYTES`]).
    pub max_bytes: usize,
}

impl Default for AuditLimits {
    fn default() -> Self {
        AuditLimits {
            max_entries: DEFAULT_AUDIT_CAPACITY,
            max_bytes: DEFAULT_AUDIT_BYTES,
        }
    }
}

impl AuditLimits {
    /// These limits with another entry cap.
    pub fn with_max_entries(mut self, max_entries: usize) -> Self {
        self.max_entries = max_entries;
        self
    }

    /// These limits with another byte budget.
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }
}

/// One page of the audit log.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AuditPage {
    /// The entries, oldest first.
    pub entries: Vec<AuditEntry>,
    /// When more entries follow: the `since` that asks for the next page (the last entry's
    /// sequence number).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<u64>,
    /// The oldest kept entry's sequence number (none when the log is empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oldest: Option<u64>,
    /// The newest kept entry's sequence number: with `since = newest - n`, a page holds the
    /// `n` newest entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub newest: Option<u64>,
}

impl AuditPage {
    /// A page: its entries, oldest first, the `since` of the next page when more follow, and
    /// the oldest and newest kept sequence numbers.
    pub fn new(
        entries: Vec<AuditEntry>,
        next: Option<u64>,
        oldest: Option<u64>,
        newest: Option<u64>,
    ) -> Self {
        AuditPage {
            entries,
            next,
            oldest,
            newest,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Kept {
    entry: AuditEntry,
    bytes: usize,
}

/// A tenant's audit log: entries numbered from 1 (never reused), bounded by [`AuditLimits`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditLog {
    kept: VecDeque<Kept>,
    bytes: usize,
    limits: AuditLimits,
    next_seq: u64,
}

impl Default for AuditLog {
    fn default() -> Self {
        AuditLog::new(AuditLimits::default())
    }
}

impl AuditLog {
    /// An empty log.
    pub fn new(limits: AuditLimits) -> Self {
        AuditLog {
            kept: VecDeque::new(),
            bytes: 0,
            limits,
            next_seq: 1,
        }
    }

    /// The bounds.
    pub fn limits(&self) -> AuditLimits {
        self.limits
    }

    /// Changes the bounds, dropping the oldest entries beyond them.
    pub fn set_limits(&mut self, limits: AuditLimits) {
        self.limits = limits;
        self.trim();
    }

    /// Appends a record and returns its sequence number. An entry larger than the whole byte
    /// budget is still kept (alone): entries are small, since bodies are excerpted.
    pub fn push(&mut self, record: AuditRecord, at: DateTime<Utc>) -> u64 {
        self.push_handing_back(record, at, &mut Vec::new())
    }

    /// As [`push`](AuditLog::push), but the entries dropped to stay within the bounds are
    /// appended to `evicted` instead of freed here: a caller holding a lock frees them after
    /// releasing it (freeing an entry is most of what an append costs once the log is full).
    pub fn push_handing_back(
        &mut self,
        record: AuditRecord,
        at: DateTime<Utc>,
        evicted: &mut Vec<AuditEntry>,
    ) -> u64 {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.saturating_add(1);
        let entry = AuditEntry { seq, at, record };
        let mut counter = ByteCounter::default();
        let bytes = match serde_json::to_writer(&mut counter, &entry) {
            Ok(()) => counter.0,
            Err(_) => 0,
        };
        self.bytes = self.bytes.saturating_add(bytes);
        self.kept.push_back(Kept { entry, bytes });
        self.trim_into(evicted);
        seq
    }

    fn trim(&mut self) {
        self.trim_into(&mut Vec::new());
    }

    fn trim_into(&mut self, evicted: &mut Vec<AuditEntry>) {
        while self.kept.len() > self.limits.max_entries
            || (self.bytes > self.limits.max_bytes && self.kept.len() > 1)
        {
            match self.kept.pop_front() {
                Some(k) => {
                    self.bytes = self.bytes.saturating_sub(k.bytes);
                    evicted.push(k.entry);
                }
                None => break,
            }
        }
    }

    /// How many entries are kept.
    pub fn len(&self) -> usize {
        self.kept.len()
    }

    /// Whether no entry is kept.
    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    /// The bytes the kept entries account for (their compact JSON).
    pub fn accounted_bytes(&self) -> usize {
        self.bytes
    }

    /// The kept entries, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &AuditEntry> {
        self.kept.iter().map(|k| &k.entry)
    }

    /// Up to `limit` (at most [`MAX_AUDIT_PAGE`]) entries with a sequence number above `since`,
    /// oldest first, and the `since` of the next page if more remain. Costs `O(log n + limit)`.
    pub fn page(&self, since: u64, limit: usize) -> AuditPage {
        let limit = limit.min(MAX_AUDIT_PAGE);
        let start = self.kept.partition_point(|k| k.entry.seq <= since);
        let entries: Vec<AuditEntry> = self
            .kept
            .range(start..)
            .take(limit)
            .map(|k| k.entry.clone())
            .collect();
        let more = self.kept.len() > start + entries.len();
        let next = more.then(|| entries.last().map(|e| e.seq)).flatten();
        AuditPage {
            entries,
            next,
            oldest: self.kept.front().map(|k| k.entry.seq),
            newest: self.kept.back().map(|k| k.entry.seq),
        }
    }

    /// Takes the entries out (to persist them), oldest first.
    pub fn drain(&mut self) -> Vec<AuditEntry> {
        self.bytes = 0;
        self.kept.drain(..).map(|k| k.entry).collect()
    }
}
