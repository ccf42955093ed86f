//! Remembered index walks: where the last page of a sequential `startIndex` walk ended, so
//! that the next page starts from a keyset position instead of skipping every resource before
//! it ([`Config::index_walks`](crate::Config::index_walks)).
//!
//! A remembered position is only a hint: the dispatcher uses it after checking that exactly
//! `startIndex - 1` matches still come before it (the store counts the matches after it),
//! so writes between pages, on this instance or another, never change an answer: a page is
//! what offset paging gives, or the dispatcher falls back to offset paging.

use crate::store::KeysetPosition;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// The query a walk pages through: tenant, type, filter and sort (canonical text).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct WalkKey {
    pub(crate) tenant: String,
    pub(crate) resource_type: String,
    pub(crate) filter: String,
    pub(crate) sort: String,
}

/// A bounded set of walk ends: (query, 0-based offset of the next page) → the position of the
/// last resource served. When full, the oldest entry goes.
#[derive(Debug)]
pub(crate) struct Walks {
    capacity: usize,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    ends: HashMap<(WalkKey, usize), (KeysetPosition, u64)>,
    tick: u64,
}

impl Walks {
    pub(crate) fn new(capacity: usize) -> Self {
        Walks {
            capacity,
            state: Mutex::new(State::default()),
        }
    }

    /// The position a walk of `key` ended at when its next page starts at `offset`; the entry
    /// is taken (the page that uses it remembers its own end).
    pub(crate) fn take(&self, key: WalkKey, offset: usize) -> Option<KeysetPosition> {
        if self.capacity == 0 {
            return None;
        }
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.ends.remove(&(key, offset)).map(|(p, _)| p)
    }

    /// Remembers that a walk of `key` served up to `next_offset`, ending at `position`.
    pub(crate) fn remember(&self, key: WalkKey, next_offset: usize, position: KeysetPosition) {
        if self.capacity == 0 {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.tick += 1;
        let tick = state.tick;
        if state.ends.len() >= self.capacity
            && !state.ends.contains_key(&(key.clone(), next_offset))
        {
            // Full: the least recently remembered goes (a scan, only when full).
            let oldest = state
                .ends
                .iter()
                .min_by_key(|(_, (_, t))| *t)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                state.ends.remove(&oldest);
            }
        }
        state.ends.insert((key, next_offset), (position, tick));
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .ends
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn key(t: &str) -> WalkKey {
        WalkKey {
            tenant: t.into(),
            resource_type: "User".into(),
            filter: String::new(),
            sort: String::new(),
        }
    }

    #[test]
    fn walks_are_per_tenant_taken_once_and_bounded() {
        let w = Walks::new(2);
        let p = KeysetPosition::new(Value::Null, "a");
        w.remember(key("acme"), 200, p.clone());
        assert_eq!(w.take(key("globex"), 200), None);
        assert_eq!(w.take(key("acme"), 100), None);
        assert_eq!(w.take(key("acme"), 200), Some(p.clone()));
        assert_eq!(w.take(key("acme"), 200), None);
        for i in 0..10 {
            w.remember(key("acme"), i, p.clone());
        }
        assert_eq!(w.len(), 2);
        assert_eq!(w.take(key("acme"), 9), Some(p));
        assert!(Walks::new(0).take(key("acme"), 0).is_none());
    }
}
