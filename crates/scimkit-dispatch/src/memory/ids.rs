//! Resource ids: shared `Arc<str>`s, lists of them without a `Vec` for one, and the generator.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A resource id, shared by the table, the creation order and the indexes.
pub(super) type Id = Arc<str>;

/// The ids under one key of a non-unique index: nearly always one, kept without a `Vec`.
#[derive(Debug, Clone)]
pub(super) enum Ids {
    One(Id),
    Many(Vec<Id>),
}

impl Default for Ids {
    fn default() -> Self {
        Ids::Many(Vec::new())
    }
}

impl Ids {
    pub(super) fn as_slice(&self) -> &[Id] {
        match self {
            Ids::One(id) => std::slice::from_ref(id),
            Ids::Many(v) => v,
        }
    }

    pub(super) fn iter(&self) -> std::slice::Iter<'_, Id> {
        self.as_slice().iter()
    }

    pub(super) fn to_vec(&self) -> Vec<Id> {
        self.as_slice().to_vec()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }

    pub(super) fn push(&mut self, id: Id) {
        *self = match std::mem::take(self) {
            Ids::Many(v) if v.is_empty() => Ids::One(id),
            Ids::One(first) => Ids::Many(vec![first, id]),
            Ids::Many(mut v) => {
                v.push(id);
                Ids::Many(v)
            }
        };
    }

    pub(super) fn retain(&mut self, keep: impl Fn(&Id) -> bool) {
        *self = match std::mem::take(self) {
            Ids::One(id) if keep(&id) => Ids::One(id),
            Ids::One(_) => Ids::default(),
            Ids::Many(mut v) => {
                v.retain(|i| keep(i));
                match <[Id; 1]>::try_from(v) {
                    Ok([one]) => Ids::One(one),
                    Err(v) => Ids::Many(v),
                }
            }
        };
    }
}

/// Random version-4 UUIDs without a dependency: the standard library's randomly keyed hasher
/// over a counter.
#[derive(Debug)]
pub(super) struct IdGen {
    pub(super) keys: (RandomState, RandomState),
    pub(super) counter: AtomicU64,
}

impl IdGen {
    pub(super) fn new() -> Self {
        IdGen {
            keys: (RandomState::new(), RandomState::new()),
            counter: AtomicU64::new(0),
        }
    }

    pub(super) fn next(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let hi = self.keys.0.hash_one(n);
        let lo = self.keys.1.hash_one(n);
        let hi = (hi & 0xffff_ffff_ffff_0fff) | 0x4000; // version 4
        let lo = (lo & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000; // RFC 4122 variant
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            hi >> 32,
            (hi >> 16) & 0xffff,
            hi & 0xffff,
            lo >> 48,
            lo & 0xffff_ffff_ffff
        )
    }
}
