//! One tenant's data, and every change to it as a journalled step: a transaction
//! ([`super::tx::MemoryTx`]) applies its writes in place under the tenant's lock and undoes
//! them, newest first, if it is dropped without a commit.

use super::document::{decode, display_of, encode, partial, Entry};
use super::ids::Id;
use super::index::{IndexKeys, TypeData};
use super::kinds::Kinds;
use super::members::MemberList;
use super::{type_key, Member};
use crate::store::{MemberRef, Resource, StoreError, Stored, Version};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

#[derive(Debug)]
pub(super) struct TenantData {
    /// What the schema says about each type (shared by the store's tenants).
    pub(super) kinds: Arc<Kinds>,
    pub(super) types: HashMap<String, TypeData>,
    /// id of a resource whose type holds members → its members.
    pub(super) members: HashMap<String, MemberList>,
    /// member id → the resources it is a direct member of.
    pub(super) member_of: HashMap<String, BTreeSet<String>>,
}

/// How to undo one step.
#[derive(Debug)]
pub(super) enum Undo {
    /// A resource was added: remove it.
    Inserted { key: String, id: Id },
    /// A resource's entry changed: put the old one back.
    Changed { key: String, id: Id, before: Entry },
    /// A resource was removed: put it back in its place.
    Removed { key: String, id: Id, entry: Entry },
    /// A member was added to a group: remove it.
    MemberAdded { group: String, member: String },
    /// A member was removed from a group: put it back where it was.
    MemberRemoved {
        group: String,
        member: String,
        pos: usize,
        element: Value,
    },
}

/// The steps of an uncommitted transaction, in order.
#[derive(Debug, Default)]
pub(super) struct Journal(Vec<Undo>);

impl Journal {
    fn push(&mut self, undo: Undo) {
        self.0.push(undo);
    }
}

/// The index keys of an entry, reading only the indexed attributes from its text.
fn keys_of(kinds: &Kinds, key: &str, entry: &Entry) -> IndexKeys {
    let unique_user_name = kinds.get(key).unique_user_name;
    match partial(&entry.doc, &IndexKeys::ATTRIBUTES) {
        Value::Object(indexed) => IndexKeys::of(unique_user_name, &indexed),
        _ => IndexKeys::of(unique_user_name, &decode(&entry.doc)),
    }
}

impl TenantData {
    /// A tenant without resources.
    pub(super) fn new(kinds: Arc<Kinds>) -> Self {
        TenantData {
            kinds,
            types: HashMap::new(),
            members: HashMap::new(),
            member_of: HashMap::new(),
        }
    }

    // ---- journalled steps -------------------------------------------------------------

    fn insert(&mut self, j: &mut Journal, key: &str, id: &Id, mut entry: Entry) {
        let keys = keys_of(&self.kinds, key, &entry);
        let ty = self
            .types
            .entry(key.to_string())
            .or_insert_with(TypeData::new);
        ty.index(id, &keys);
        entry.seq = ty.order.push(Arc::clone(id));
        ty.by_id.insert(Arc::clone(id), entry);
        if self.kinds.has_members(key) {
            self.members.insert(id.to_string(), MemberList::new(key));
        }
        j.push(Undo::Inserted {
            key: key.to_string(),
            id: Arc::clone(id),
        });
    }

    /// Replaces an entry (its document, version, times), keeping its place in order.
    fn change(&mut self, j: &mut Journal, key: &str, id: &str, update: impl FnOnce(&mut Entry)) {
        let Some(ty) = self.types.get_mut(key) else {
            return;
        };
        let Some((id, entry)) = ty.by_id.get_key_value(id) else {
            return;
        };
        let id = Arc::clone(id);
        let before = entry.clone();
        let mut after = entry.clone();
        update(&mut after);
        if after.doc != before.doc {
            ty.unindex(&id, &keys_of(&self.kinds, key, &before));
            ty.index(&id, &keys_of(&self.kinds, key, &after));
        }
        ty.by_id.insert(Arc::clone(&id), after);
        j.push(Undo::Changed {
            key: key.to_string(),
            id,
            before,
        });
    }

    fn remove(&mut self, j: &mut Journal, key: &str, id: &str) {
        let Some(ty) = self.types.get_mut(key) else {
            return;
        };
        let Some((id, entry)) = ty.by_id.remove_entry(id) else {
            return;
        };
        ty.order.remove(entry.seq);
        ty.unindex(&id, &keys_of(&self.kinds, key, &entry));
        self.members.remove(&*id);
        j.push(Undo::Removed {
            key: key.to_string(),
            id,
            entry,
        });
    }

    fn add_member(&mut self, j: &mut Journal, group: &str, member: String, element: Value) -> bool {
        let Some(list) = self.members.get_mut(group) else {
            return false;
        };
        if !list.add(member.clone(), element) {
            return false;
        }
        self.member_of
            .entry(member.clone())
            .or_default()
            .insert(group.to_string());
        j.push(Undo::MemberAdded {
            group: group.to_string(),
            member,
        });
        true
    }

    fn remove_member(&mut self, j: &mut Journal, group: &str, member: &str) -> bool {
        let Some((pos, element)) = self.members.get_mut(group).and_then(|l| l.remove(member))
        else {
            return false;
        };
        self.forget_membership(group, member);
        j.push(Undo::MemberRemoved {
            group: group.to_string(),
            member: member.to_string(),
            pos,
            element,
        });
        true
    }

    fn forget_membership(&mut self, group: &str, member: &str) {
        if let Some(set) = self.member_of.get_mut(member) {
            set.remove(group);
            if set.is_empty() {
                self.member_of.remove(member);
            }
        }
    }

    /// Undoes every step of a journal, newest first.
    pub(super) fn roll_back(&mut self, journal: Journal) {
        for undo in journal.0.into_iter().rev() {
            match undo {
                Undo::Inserted { key, id } => {
                    if let Some(ty) = self.types.get_mut(&key) {
                        if let Some(entry) = ty.by_id.remove(&id) {
                            ty.order.remove(entry.seq);
                            ty.unindex(&id, &keys_of(&self.kinds, &key, &entry));
                        }
                    }
                    self.members.remove(&*id);
                }
                Undo::Changed { key, id, before } => {
                    if let Some(ty) = self.types.get_mut(&key) {
                        if let Some(now) = ty.by_id.get(&id) {
                            ty.unindex(&id, &keys_of(&self.kinds, &key, now));
                        }
                        ty.index(&id, &keys_of(&self.kinds, &key, &before));
                        ty.by_id.insert(id, before);
                    }
                }
                Undo::Removed { key, id, entry } => {
                    if let Some(ty) = self.types.get_mut(&key) {
                        ty.index(&id, &keys_of(&self.kinds, &key, &entry));
                        ty.order.restore(entry.seq, Arc::clone(&id));
                        ty.by_id.insert(Arc::clone(&id), entry);
                    }
                    if self.kinds.has_members(&key) {
                        self.members.insert(id.to_string(), MemberList::new(&key));
                    }
                }
                Undo::MemberAdded { group, member } => {
                    if let Some(list) = self.members.get_mut(&group) {
                        list.remove(&member);
                    }
                    self.forget_membership(&group, &member);
                }
                Undo::MemberRemoved {
                    group,
                    member,
                    pos,
                    element,
                } => {
                    if let Some(list) = self.members.get_mut(&group) {
                        list.insert_at(pos, member.clone(), element);
                    }
                    self.member_of.entry(member).or_default().insert(group);
                }
            }
        }
    }

    /// Drops the slots deleted resources left in creation order, once they are many. Only
    /// after a commit: a journal refers to slots.
    pub(super) fn compact(&mut self) {
        for ty in self.types.values_mut() {
            if let Some(moved) = ty.order.compact_if_sparse() {
                for (id, seq) in moved {
                    if let Some(e) = ty.by_id.get_mut(&*id) {
                        e.seq = seq;
                    }
                }
            }
        }
    }

    // ---- writes -----------------------------------------------------------------------

    /// Checks that every member is a resource of this tenant of a type the owner's (`key`'s)
    /// `members` may be (the one it names, when it names one), and fills in its `type`.
    pub(super) fn resolve_members(
        &self,
        key: &str,
        members: Vec<MemberRef>,
    ) -> Result<Vec<Member>, StoreError> {
        let allowed: &[String] = self.kinds.get(key).members.as_deref().unwrap_or_default();
        members
            .into_iter()
            .map(|m| {
                let named = m.kind.as_deref().map(type_key);
                let kind = allowed
                    .iter()
                    .filter(|k| named.as_ref().map_or(true, |n| n == *k))
                    .find(|k| {
                        self.types
                            .get(k.as_str())
                            .is_some_and(|t| t.by_id.contains_key(m.id.as_str()))
                    })
                    .ok_or_else(|| {
                        StoreError::InvalidValue(format!(
                            "member {} is not a resource of this tenant that a {} may hold",
                            m.id,
                            self.kinds.name(key)
                        ))
                    })?;
                let id = m.id.clone();
                let element = m.of_kind(self.kinds.name(kind)).to_element();
                Ok((id, element))
            })
            .collect()
    }

    /// Adds a resource whose values and members were checked.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn create(
        &mut self,
        j: &mut Journal,
        key: &str,
        id: &Id,
        doc: &Map<String, Value>,
        members: Vec<Member>,
        now: DateTime<Utc>,
    ) {
        let entry = Entry {
            seq: 0,
            version: 1,
            created: now,
            last_modified: now,
            display: display_of(self.kinds.has_members(key), doc),
            doc: encode(doc),
        };
        self.insert(j, key, id, entry);
        for (member, element) in members {
            self.add_member(j, id, member, element);
        }
    }

    /// Applies checked attributes (when given) and member deltas to a resource; moves its
    /// version when anything changed.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn apply(
        &mut self,
        j: &mut Journal,
        key: &str,
        id: &str,
        doc: Option<&Map<String, Value>>,
        add: Vec<Member>,
        remove: &[String],
        now: DateTime<Utc>,
    ) {
        let mut changed = doc.is_some();
        for member in remove {
            changed |= self.remove_member(j, id, member);
        }
        for (member, element) in add {
            changed |= self.add_member(j, id, member, element);
        }
        if changed {
            self.bump(j, key, id, now, doc);
        }
    }

    /// Removes a resource, its own member list and its memberships (each group it was in
    /// moves to its next version).
    pub(super) fn delete(&mut self, j: &mut Journal, key: &str, id: &str, now: DateTime<Utc>) {
        let own: Vec<String> = self
            .members
            .get(id)
            .map(|l| l.items.iter().map(|(m, _)| m.clone()).collect())
            .unwrap_or_default();
        for member in own {
            self.remove_member(j, id, &member);
        }
        let groups: Vec<String> = self
            .member_of
            .get(id)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        for group in groups {
            let Some(owner) = self.members.get(&group).map(|l| l.owner.clone()) else {
                continue;
            };
            if self.remove_member(j, &group, id) {
                self.bump(j, &owner, &group, now, None);
            }
        }
        self.remove(j, key, id);
    }

    /// Moves a resource to its next version, with new attributes when given.
    fn bump(
        &mut self,
        j: &mut Journal,
        key: &str,
        id: &str,
        now: DateTime<Utc>,
        doc: Option<&Map<String, Value>>,
    ) {
        let is_group = self.kinds.has_members(key);
        self.change(j, key, id, |e| {
            e.version += 1;
            e.last_modified = now;
            if let Some(doc) = doc {
                e.display = display_of(is_group, doc);
                e.doc = encode(doc);
            }
        });
    }

    // ---- reads ------------------------------------------------------------------------

    /// The resource as served: its document plus `members` (groups) or `groups` (others).
    /// A resource without relations is handed out without copying.
    pub(super) fn view(&self, key: &str, id: &str, with_members: bool) -> Option<Stored> {
        let entry = self.types.get(key)?.by_id.get(id)?;
        Some(self.view_entry(key, id, entry, with_members))
    }

    /// [`TenantData::view`] of an entry already looked up.
    pub(super) fn view_entry(
        &self,
        key: &str,
        id: &str,
        entry: &Entry,
        with_members: bool,
    ) -> Stored {
        let facts = self.kinds.get(key);
        let relation: Option<(&str, Vec<Value>)> = if facts.members.is_some() {
            with_members.then(|| {
                let items = self
                    .members
                    .get(id)
                    .map(|m| m.items.iter().map(|(_, v)| v.clone()).collect())
                    .unwrap_or_default();
                ("members", items)
            })
        } else {
            self.member_of
                .get(id)
                .map(|groups| {
                    let listed = groups
                        .iter()
                        .filter_map(|g| Some((g, self.members.get(g)?)))
                        .filter(|(_, list)| facts.groups.contains(&list.owner))
                        .map(|(g, list)| self.group_ref(&list.owner, g))
                        .collect::<Vec<_>>();
                    ("groups", listed)
                })
                .filter(|(_, listed)| !listed.is_empty())
        };
        let resource = match relation {
            None => Resource::from_json(Arc::clone(&entry.doc)),
            Some((name, items)) => {
                let items = Value::Array(items);
                match crate::render::with_entry(&entry.doc, name, &items) {
                    Some(text) => Resource::from_json(Arc::from(text)),
                    None => {
                        let mut doc = decode(&entry.doc);
                        doc.insert(name.into(), items);
                        Resource::from(Value::Object(doc))
                    }
                }
            }
        };
        Stored::new(
            id,
            Version(entry.version),
            entry.created,
            entry.last_modified,
            resource,
        )
    }

    /// An element of a member's computed `groups`: the resource `group` of the type `owner`.
    fn group_ref(&self, owner: &str, group: &str) -> Value {
        let display = self
            .types
            .get(owner)
            .and_then(|t| t.by_id.get(group))
            .and_then(|e| e.display.as_deref())
            .cloned();
        let mut o = Map::new();
        o.insert("value".into(), Value::String(group.to_string()));
        if let Some(d) = display {
            o.insert("display".into(), d);
        }
        o.insert("type".into(), Value::String("direct".into()));
        Value::Object(o)
    }
}
