//! Group membership as a relation: each group's member list.

use super::Member;
use serde_json::Value;
use std::collections::HashMap;

/// A group's members in insertion order, with an index by id.
#[derive(Debug, Default)]
pub(super) struct MemberList {
    pub(super) items: Vec<Member>,
    pub(super) index: HashMap<String, usize>,
}

impl MemberList {
    pub(super) fn add(&mut self, id: String, element: Value) -> bool {
        if self.index.contains_key(&id) {
            return false;
        }
        self.index.insert(id.clone(), self.items.len());
        self.items.push((id, element));
        true
    }

    pub(super) fn remove(&mut self, id: &str) -> bool {
        let Some(pos) = self.index.remove(id) else {
            return false;
        };
        self.items.remove(pos);
        for (i, (m, _)) in self.items.iter().enumerate().skip(pos) {
            self.index.insert(m.clone(), i);
        }
        true
    }
}
