//! The per-type tables and indexes: `userName`, `externalId`, `displayName`, uniqueness, and
//! which filters the indexes answer.

use super::document::Entry;
use super::fold;
use super::ids::{Id, Ids};
use super::order::Order;
use crate::store::StoreError;
use scimkit_filter::{AttrRef, AttrTest, CompValue, CompareOp, Filter};
use scimkit_schema::{get_ci, ResourceSchema, Uniqueness};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// The indexed values of one resource, folded as the index compares them.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct IndexKeys {
    pub(super) user_name: Option<String>,
    pub(super) external_id: Option<String>,
    pub(super) display_name: Option<String>,
}

impl IndexKeys {
    /// The attributes the indexes read.
    pub(super) const ATTRIBUTES: [&'static str; 3] = ["userName", "externalId", "displayName"];

    /// The keys of `doc`, of a type whose `userName` is indexed or not.
    pub(super) fn of(unique_user_name: bool, doc: &Map<String, Value>) -> IndexKeys {
        let s = |name: &str| get_ci(doc, name).and_then(Value::as_str);
        IndexKeys {
            user_name: unique_user_name.then(|| s("userName").map(fold)).flatten(),
            external_id: s("externalId").map(str::to_string),
            display_name: s("displayName").map(fold),
        }
    }
}

#[derive(Debug)]
pub(super) struct TypeData {
    pub(super) by_id: HashMap<Id, Entry>,
    /// Creation order: the stable default order of lists.
    pub(super) order: Order,
    /// folded userName → id (unique).
    pub(super) user_name: HashMap<Box<str>, Id>,
    /// externalId (case-exact) → ids.
    pub(super) external_id: HashMap<Box<str>, Ids>,
    /// folded displayName → ids.
    pub(super) display_name: HashMap<Box<str>, Ids>,
}

impl TypeData {
    pub(super) fn new() -> Self {
        TypeData {
            by_id: HashMap::new(),
            order: Order::default(),
            user_name: HashMap::new(),
            external_id: HashMap::new(),
            display_name: HashMap::new(),
        }
    }

    pub(super) fn check_unique(
        &self,
        keys: &IndexKeys,
        own: Option<&str>,
        unique_display: bool,
    ) -> Result<(), StoreError> {
        let other = |id: &Id| Some(&**id) != own;
        if let Some(u) = &keys.user_name {
            if self.user_name.get(u.as_str()).is_some_and(other) {
                return Err(StoreError::Uniqueness(
                    "userName is already in use in this tenant".into(),
                ));
            }
        }
        if unique_display {
            if let Some(d) = &keys.display_name {
                if self
                    .display_name
                    .get(d.as_str())
                    .is_some_and(|ids| ids.iter().any(other))
                {
                    return Err(StoreError::Uniqueness(
                        "displayName is already in use by another group in this tenant".into(),
                    ));
                }
            }
        }
        Ok(())
    }

    pub(super) fn index(&mut self, id: &Id, keys: &IndexKeys) {
        if let Some(u) = &keys.user_name {
            self.user_name.insert(Box::from(u.as_str()), Arc::clone(id));
        }
        if let Some(e) = &keys.external_id {
            self.external_id
                .entry(Box::from(e.as_str()))
                .or_default()
                .push(Arc::clone(id));
        }
        if let Some(d) = &keys.display_name {
            self.display_name
                .entry(Box::from(d.as_str()))
                .or_default()
                .push(Arc::clone(id));
        }
    }

    pub(super) fn unindex(&mut self, id: &str, keys: &IndexKeys) {
        if let Some(u) = &keys.user_name {
            if self.user_name.get(u.as_str()).is_some_and(|i| &**i == id) {
                self.user_name.remove(u.as_str());
            }
        }
        for (map, k) in [
            (&mut self.external_id, &keys.external_id),
            (&mut self.display_name, &keys.display_name),
        ] {
            if let Some(k) = k {
                if let Some(ids) = map.get_mut(k.as_str()) {
                    ids.retain(|i| &**i != id);
                    if ids.is_empty() {
                        map.remove(k.as_str());
                    }
                }
            }
        }
    }

    /// Whether the indexes answer `filter` exactly (equality on indexed attributes, alone or
    /// in `or`), so that the candidates need no evaluation.
    pub(super) fn index_answers(&self, filter: &Filter<'_>, rs: &ResourceSchema<'_>) -> bool {
        match filter {
            Filter::Attr { .. } => {
                matches!(Self::index_for(filter, rs), Some((idx, _)) if idx != Index::Id)
            }
            Filter::Or(fs) => fs.iter().all(|f| self.index_answers(f, rs)),
            _ => false,
        }
    }

    /// The index that answers an equality test, and the value looked for.
    pub(super) fn index_for<'f>(
        filter: &'f Filter<'_>,
        rs: &ResourceSchema<'_>,
    ) -> Option<(Index, &'f str)> {
        let Filter::Attr {
            path,
            test: AttrTest::Compare(CompareOp::Eq, CompValue::String(value)),
        } = filter
        else {
            return None;
        };
        if path.sub_attr.is_some() || !path.urn.as_deref().map_or(true, |u| rs.is_core(u)) {
            return None;
        }
        let facts = rs.attr_facts(&AttrRef {
            urn: None,
            name: &path.name,
            sub_attr: None,
        })?;
        let name = path.name.as_ref();
        let idx = if name.eq_ignore_ascii_case("id") {
            Index::Id
        } else if name.eq_ignore_ascii_case("userName") && !facts.case_exact {
            if !user_name_indexed(rs) {
                return None;
            }
            Index::UserName
        } else if name.eq_ignore_ascii_case("externalId") && facts.case_exact {
            Index::ExternalId
        } else if name.eq_ignore_ascii_case("displayName") && !facts.case_exact {
            Index::DisplayName
        } else {
            return None;
        };
        Some((idx, value.as_ref()))
    }

    /// The ids that can match `filter`, from the indexes; `None` when a scan is needed.
    pub(super) fn candidates(
        &self,
        filter: &Filter<'_>,
        rs: &ResourceSchema<'_>,
    ) -> Option<Vec<Id>> {
        match filter {
            Filter::Attr { .. } => {
                let (idx, value) = Self::index_for(filter, rs)?;
                Some(match idx {
                    Index::Id => self
                        .by_id
                        .get_key_value(value)
                        .map(|(k, _)| Arc::clone(k))
                        .into_iter()
                        .collect(),
                    Index::UserName => self
                        .user_name
                        .get(fold(value).as_str())
                        .cloned()
                        .into_iter()
                        .collect(),
                    Index::ExternalId => self
                        .external_id
                        .get(value)
                        .map(Ids::to_vec)
                        .unwrap_or_default(),
                    Index::DisplayName => self
                        .display_name
                        .get(fold(value).as_str())
                        .map(Ids::to_vec)
                        .unwrap_or_default(),
                })
            }
            Filter::Or(fs) => {
                let mut all = Vec::new();
                for f in fs {
                    all.extend(self.candidates(f, rs)?);
                }
                Some(all)
            }
            Filter::And(fs) => fs.iter().find_map(|f| self.candidates(f, rs)),
            _ => None,
        }
    }
}

/// Whether a type's `userName` is indexed and unique per tenant: its schema has a `userName`
/// with server (or global) uniqueness, as the User schema does.
pub(super) fn user_name_indexed(rs: &ResourceSchema<'_>) -> bool {
    rs.core_attribute("userName")
        .is_some_and(|a| a.uniqueness != Uniqueness::None)
}

/// The indexes of a resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Index {
    Id,
    UserName,
    ExternalId,
    DisplayName,
}
