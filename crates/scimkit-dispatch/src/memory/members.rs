//! Membership as a relation: the member list of each resource whose type holds members.

use super::Member;
use serde_json::Value;
use std::collections::HashMap;

/// The members of a resource whose type holds members, in insertion order, with an index by
/// id, and the owner's type key.
#[derive(Debug)]
pub(super) struct MemberList {
    pub(super) owner: String,
    pub(super) items: Vec<Member>,
    pub(super) index: HashMap<String, usize>,
}

impl MemberList {
    /// An empty list of a resource of the type `owner`.
    pub(super) fn new(owner: &str) -> Self {
        MemberList {
            owner: owner.to_owned(),
            items: Vec::new(),
            index: HashMap::new(),
        }
    }

    pub(super) fn add(&mut self, id: String, element: Value) -> bool {
        if self.index.contains_key(&id) {
            return false;
        }
        self.index.insert(id.clone(), self.items.len());
        self.items.push((id, element));
        true
    }

    /// Removes a member; returns where it was and its element.
    pub(super) fn remove(&mut self, id: &str) -> Option<(usize, Value)> {
        let pos = self.index.remove(id)?;
        let (_, element) = self.items.remove(pos);
        self.reindex_from(pos);
        Some((pos, element))
    }

    /// Puts a removed member back where it was (a rolled-back removal).
    pub(super) fn insert_at(&mut self, pos: usize, id: String, element: Value) {
        let pos = pos.min(self.items.len());
        self.items.insert(pos, (id, element));
        self.reindex_from(pos);
    }

    fn reindex_from(&mut self, pos: usize) {
        for (i, (m, _)) in self.items.iter().enumerate().skip(pos) {
            self.index.insert(m.clone(), i);
        }
    }
}
