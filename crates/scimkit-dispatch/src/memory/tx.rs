//! [`MemoryTx`]: a write transaction of [`MemoryStore`](super::MemoryStore).

use super::ids::Id;
use super::index::IndexKeys;
use super::tenant::{Journal, TenantData};
use super::{now, parse_members, strip_server_attributes, take_members, type_key, Inner};
use crate::store::{Change, StoreError, StoreTx, Stored, Version};
use async_lock::RwLockWriteGuardArc;
use scimkit_schema::remove_ci;
use serde_json::Value;
use std::future::{ready, Future};
use std::sync::Arc;

/// A write transaction of one tenant of a [`MemoryStore`](super::MemoryStore).
///
/// It holds the tenant's lock from [`Store::begin`](crate::Store::begin) until it is committed
/// or dropped, so a tenant's transactions run one after another (other tenants are not
/// affected) and reads of the tenant wait for it: inside a transaction, read through it. Its
/// writes are applied in place and journalled; dropping it without
/// [`StoreTx::commit`] undoes them, newest first.
pub struct MemoryTx {
    inner: Arc<Inner>,
    data: RwLockWriteGuardArc<TenantData>,
    journal: Journal,
}

impl std::fmt::Debug for MemoryTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryTx").finish_non_exhaustive()
    }
}

impl MemoryTx {
    pub(super) fn new(inner: Arc<Inner>, data: RwLockWriteGuardArc<TenantData>) -> Self {
        MemoryTx {
            inner,
            data,
            journal: Journal::default(),
        }
    }

    fn unique_group_names(&self, key: &str) -> bool {
        self.data.kinds.has_members(key) && self.inner.unique_group_display_name
    }

    fn create_now(&mut self, resource_type: &str, resource: Value) -> Result<Stored, StoreError> {
        let Value::Object(mut doc) = resource else {
            return Err(StoreError::InvalidValue(
                "a resource must be a JSON object".into(),
            ));
        };
        let key = type_key(resource_type);
        let members = if self.data.kinds.has_members(&key) {
            take_members(&mut doc)?
        } else {
            Vec::new()
        };
        strip_server_attributes(&mut doc);
        let keys = IndexKeys::of(self.data.kinds.get(&key).unique_user_name, &doc);
        if let Some(ty) = self.data.types.get(&key) {
            ty.check_unique(&keys, None, self.unique_group_names(&key))?;
        }
        let members = self.data.resolve_members(&key, members)?;
        let id: Id = Arc::from(self.inner.ids.next());
        self.data
            .create(&mut self.journal, &key, &id, &doc, members, now());
        self.data
            .view(&key, &id, true)
            .ok_or_else(|| StoreError::backend("a created resource vanished"))
    }

    /// Checks everything that can fail, then applies attributes and member deltas.
    fn write_now(
        &mut self,
        resource_type: &str,
        id: &str,
        change: Change,
        replace_members: Option<Vec<Value>>,
        expected: Option<Version>,
    ) -> Result<Stored, StoreError> {
        let key = type_key(resource_type);
        let is_group = self.data.kinds.has_members(&key);
        let not_found = || StoreError::NotFound(id.to_string());
        let entry = self
            .data
            .types
            .get(&key)
            .and_then(|ty| ty.by_id.get(id))
            .ok_or_else(not_found)?;
        check_version(entry.version, expected)?;
        let doc = match change.attributes {
            Some(Value::Object(mut doc)) => {
                if is_group {
                    remove_ci(&mut doc, "members");
                }
                strip_server_attributes(&mut doc);
                Some(doc)
            }
            Some(_) => {
                return Err(StoreError::InvalidValue(
                    "a resource must be a JSON object".into(),
                ))
            }
            None => None,
        };
        if let (Some(doc), Some(ty)) = (&doc, self.data.types.get(&key)) {
            let keys = IndexKeys::of(self.data.kinds.get(&key).unique_user_name, doc);
            ty.check_unique(&keys, Some(id), self.unique_group_names(&key))?;
        }
        let (add, remove) = if is_group {
            let add = self.data.resolve_members(&key, change.add_members)?;
            let mut remove: Vec<String> = change.remove_members.into_iter().map(|m| m.id).collect();
            match replace_members {
                Some(all) => {
                    let wanted = self.data.resolve_members(&key, parse_members(all)?)?;
                    let current = self.data.members.get(id).map(|m| &m.items);
                    remove.extend(
                        current
                            .into_iter()
                            .flatten()
                            .filter(|(c, _)| !wanted.iter().any(|(w, _)| w == c))
                            .map(|(c, _)| c.clone()),
                    );
                    (wanted.into_iter().chain(add).collect(), remove)
                }
                None => (add, remove),
            }
        } else {
            (Vec::new(), Vec::new())
        };
        self.data.apply(
            &mut self.journal,
            &key,
            id,
            doc.as_ref(),
            add,
            &remove,
            now(),
        );
        self.data.view(&key, id, true).ok_or_else(not_found)
    }

    fn delete_now(
        &mut self,
        resource_type: &str,
        id: &str,
        expected: Option<Version>,
    ) -> Result<(), StoreError> {
        let key = type_key(resource_type);
        let entry = self
            .data
            .types
            .get(&key)
            .and_then(|ty| ty.by_id.get(id))
            .ok_or_else(|| StoreError::NotFound(id.to_string()))?;
        check_version(entry.version, expected)?;
        self.data.delete(&mut self.journal, &key, id, now());
        Ok(())
    }
}

fn check_version(current: u64, expected: Option<Version>) -> Result<(), StoreError> {
    match expected {
        Some(v) if v.0 != current => Err(StoreError::VersionMismatch {
            current: Version(current),
        }),
        _ => Ok(()),
    }
}

impl StoreTx for MemoryTx {
    fn get_for_update(
        &mut self,
        resource_type: &str,
        id: &str,
    ) -> impl Future<Output = Result<Option<Stored>, StoreError>> + Send {
        ready(Ok(self.data.view(&type_key(resource_type), id, true)))
    }

    fn create(
        &mut self,
        resource_type: &str,
        resource: Value,
    ) -> impl Future<Output = Result<Stored, StoreError>> + Send {
        ready(self.create_now(resource_type, resource))
    }

    fn update(
        &mut self,
        resource_type: &str,
        id: &str,
        change: Change,
        expected: Option<Version>,
    ) -> impl Future<Output = Result<Stored, StoreError>> + Send {
        ready(self.write_now(resource_type, id, change, None, expected))
    }

    fn replace(
        &mut self,
        resource_type: &str,
        id: &str,
        mut resource: Value,
        expected: Option<Version>,
    ) -> impl Future<Output = Result<Stored, StoreError>> + Send {
        let has_members = self.data.kinds.has_members(&type_key(resource_type));
        let members = has_members.then(|| {
            match resource
                .as_object_mut()
                .and_then(|o| remove_ci(o, "members"))
            {
                Some(Value::Array(a)) => a,
                _ => Vec::new(),
            }
        });
        let change = Change::new().with_attributes(resource);
        ready(self.write_now(resource_type, id, change, members, expected))
    }

    fn delete(
        &mut self,
        resource_type: &str,
        id: &str,
        expected: Option<Version>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        ready(self.delete_now(resource_type, id, expected))
    }

    fn commit(mut self) -> impl Future<Output = Result<(), StoreError>> + Send {
        drop(std::mem::take(&mut self.journal));
        self.data.compact();
        ready(Ok(()))
    }
}

impl Drop for MemoryTx {
    fn drop(&mut self) {
        let journal = std::mem::take(&mut self.journal);
        self.data.roll_back(journal);
    }
}
