//! What the schema says about each resource type, as [`MemoryStore`](super::MemoryStore)
//! needs it: which types hold `members` (and of which types), which memberships a member's
//! `groups` lists, and which types index `userName` as unique. Worked out once from the
//! registry, never from the literal names `User` and `Group`.

use super::index::user_name_indexed;
use super::type_key;
use crate::store::{group_kinds, member_kinds};
use scimkit_schema::Registry;
use std::collections::HashMap;

/// The membership and index facts of one resource type (by type key).
#[derive(Debug, Default)]
pub(super) struct TypeFacts {
    /// The type keys its `members` may be; `None`: it holds no members.
    pub(super) members: Option<Vec<String>>,
    /// The type keys of the resources whose membership its computed `groups` lists.
    pub(super) groups: Vec<String>,
    /// Whether `userName` is indexed and unique (case-insensitively) per tenant.
    pub(super) unique_user_name: bool,
}

/// The facts of every type of a registry.
#[derive(Debug, Default)]
pub(super) struct Kinds {
    types: HashMap<String, TypeFacts>,
    /// type key → the registry's spelling of the type's name (a member's `type`).
    names: HashMap<String, String>,
}

static NONE: TypeFacts = TypeFacts {
    members: None,
    groups: Vec::new(),
    unique_user_name: false,
};

impl Kinds {
    pub(super) fn of(registry: &Registry) -> Kinds {
        let mut kinds = Kinds::default();
        for rs in registry.resource_types() {
            let key = type_key(rs.name());
            let keys = |names: Vec<&str>| names.into_iter().map(type_key).collect::<Vec<_>>();
            kinds.types.insert(
                key.clone(),
                TypeFacts {
                    members: member_kinds(&rs).map(keys),
                    groups: keys(group_kinds(&rs)),
                    unique_user_name: user_name_indexed(&rs),
                },
            );
            kinds.names.insert(key, rs.name().to_owned());
        }
        kinds
    }

    /// The facts of a type (a type the registry does not know has none).
    pub(super) fn get(&self, key: &str) -> &TypeFacts {
        self.types.get(key).unwrap_or(&NONE)
    }

    /// Whether the type holds members.
    pub(super) fn has_members(&self, key: &str) -> bool {
        self.get(key).members.is_some()
    }

    /// The registry's spelling of a type's name.
    pub(super) fn name<'a>(&'a self, key: &'a str) -> &'a str {
        self.names.get(key).map_or(key, String::as_str)
    }
}
