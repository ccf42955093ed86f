//! [`MemoryBackend`]: the in-memory [`ProvisioningState`], beside a [`MemoryStore`].

use crate::accounts::{AccountIndex, AccountPage};
use crate::state::{ProvisioningState, StoredAccount, TenantRecord};
use chrono::{DateTime, Utc};
use scimkit_dispatch::{
    Change, MemoryStore, MemoryTx, Page, Plan, Query, Store, StoreError, StoreTx, Stored, TenantId,
    Version,
};
use scimkit_filter::{AttrPath, Filter};
use scimkit_policy::{AuditEntry, AuditLog, AuditPage, AuditRecord, TokenDigest};
use scimkit_schema::ResourceSchema;
use serde_json::Value;
use std::collections::HashMap;
use std::future::{ready, Future};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

/// One tenant's provisioning state.
#[derive(Debug)]
struct Slot {
    record: Arc<TenantRecord>,
    accounts: AccountIndex,
    audit: AuditLog,
}

#[derive(Debug, Default)]
struct State {
    tenants: RwLock<HashMap<String, Arc<Mutex<Slot>>>>,
    /// Every token digest of every tenant → the tenant.
    tokens: RwLock<HashMap<TokenDigest, String>>,
}

impl State {
    fn slot(&self, tenant: &str) -> Option<Arc<Mutex<Slot>>> {
        self.tenants
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(tenant)
            .cloned()
    }
}

fn lock(slot: &Mutex<Slot>) -> MutexGuard<'_, Slot> {
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The in-memory backend: a [`MemoryStore`] for the SCIM resources and, beside it, every
/// tenant's record, accounts and audit log.
///
/// A transaction ([`MemoryBackendTx`]) holds the store's tenant lock (so a tenant's writes run
/// one after another), stages its provisioning changes and applies them when the resource
/// writes commit; dropped, it leaves nothing. Cheap to clone: clones share the data.
#[derive(Debug, Clone, Default)]
pub struct MemoryBackend {
    store: MemoryStore,
    state: Arc<State>,
}

impl MemoryBackend {
    /// An empty backend over a new [`MemoryStore`].
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty backend over `store` (e.g. [`MemoryStore::without_unique_group_names`]).
    pub fn with_store(store: MemoryStore) -> Self {
        MemoryBackend {
            store,
            state: Arc::default(),
        }
    }

    /// The resource store.
    pub fn store(&self) -> &MemoryStore {
        &self.store
    }
}

/// A staged provisioning change.
#[derive(Debug)]
enum Staged {
    Tenant(Arc<TenantRecord>),
    Account(StoredAccount),
    RemoveAccount(String),
    Audit(AuditRecord, DateTime<Utc>),
}

/// A transaction of [`MemoryBackend`]: the store's [`MemoryTx`] and the staged provisioning
/// changes of its tenant.
#[derive(Debug)]
pub struct MemoryBackendTx {
    store: MemoryTx,
    tenant: String,
    state: Arc<State>,
    staged: Vec<Staged>,
}

impl MemoryBackendTx {
    fn committed_account(&self, key: &str) -> Option<StoredAccount> {
        let slot = self.state.slot(&self.tenant)?;
        let found = lock(&slot).accounts.get(key);
        found
    }

    /// The account with this key as the transaction sees it.
    fn account(&self, key: &str) -> Option<StoredAccount> {
        let staged = self.staged.iter().rev().find_map(|s| match s {
            Staged::Account(a) if a.key() == key => Some(Some(a.clone())),
            Staged::RemoveAccount(k) if k == key => Some(None),
            _ => None,
        });
        staged.unwrap_or_else(|| self.committed_account(key))
    }

    /// The account linked to a User id as the transaction sees it.
    fn account_of_user(&self, user_id: &str) -> Option<StoredAccount> {
        let linked = |a: &StoredAccount| a.user_id.as_deref() == Some(user_id);
        if let Some(a) = self.staged.iter().rev().find_map(|s| match s {
            Staged::Account(a) if linked(a) => Some(a),
            _ => None,
        }) {
            return Some(a.clone());
        }
        let slot = self.state.slot(&self.tenant)?;
        let key = lock(&slot).accounts.key_of_user(user_id)?.clone();
        // Committed, unless staged changes removed or relinked it.
        self.account(&key).filter(linked)
    }

    /// Applies staged changes; returns the audit entries the log dropped, for the caller to
    /// free once it no longer holds the tenant.
    fn apply(state: &State, tenant: &str, staged: Vec<Staged>) -> Vec<AuditEntry> {
        let mut evicted = Vec::new();
        let mut slot = state.slot(tenant);
        for change in staged {
            match change {
                Staged::Tenant(record) => {
                    let cell = slot.get_or_insert_with(|| {
                        let new = Arc::new(Mutex::new(Slot {
                            record: Arc::clone(&record),
                            accounts: AccountIndex::default(),
                            audit: AuditLog::default(),
                        }));
                        state
                            .tenants
                            .write()
                            .unwrap_or_else(PoisonError::into_inner)
                            .insert(tenant.to_owned(), Arc::clone(&new));
                        new
                    });
                    let mut s = lock(cell);
                    let mut tokens = state.tokens.write().unwrap_or_else(PoisonError::into_inner);
                    for d in s.record.token_digests() {
                        tokens.remove(&d);
                    }
                    for d in record.token_digests() {
                        tokens.insert(d, tenant.to_owned());
                    }
                    s.audit.set_limits(record.tenant.audit().limits());
                    s.record = record;
                }
                Staged::Account(a) => {
                    if let Some(cell) = &slot {
                        lock(cell).accounts.put(a);
                    }
                }
                Staged::RemoveAccount(key) => {
                    if let Some(cell) = &slot {
                        lock(cell).accounts.remove(&key);
                    }
                }
                Staged::Audit(record, at) => {
                    if let Some(cell) = &slot {
                        lock(cell).audit.push_handing_back(record, at, &mut evicted);
                    }
                }
            }
        }
        evicted
    }
}

impl StoreTx for MemoryBackendTx {
    fn get_for_update(
        &mut self,
        resource_type: &str,
        id: &str,
    ) -> impl Future<Output = Result<Option<Stored>, StoreError>> + Send {
        self.store.get_for_update(resource_type, id)
    }

    fn create(
        &mut self,
        resource_type: &str,
        resource: Value,
    ) -> impl Future<Output = Result<Stored, StoreError>> + Send {
        self.store.create(resource_type, resource)
    }

    fn update(
        &mut self,
        resource_type: &str,
        id: &str,
        change: Change,
        expected: Option<Version>,
    ) -> impl Future<Output = Result<Stored, StoreError>> + Send {
        self.store.update(resource_type, id, change, expected)
    }

    fn replace(
        &mut self,
        resource_type: &str,
        id: &str,
        resource: Value,
        expected: Option<Version>,
    ) -> impl Future<Output = Result<Stored, StoreError>> + Send {
        self.store.replace(resource_type, id, resource, expected)
    }

    fn delete(
        &mut self,
        resource_type: &str,
        id: &str,
        expected: Option<Version>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.store.delete(resource_type, id, expected)
    }

    /// Applies the staged changes while the store's tenant lock is still held, then commits
    /// the resource writes; neither step can fail in memory, so both or neither are seen.
    fn commit(self) -> impl Future<Output = Result<(), StoreError>> + Send {
        let MemoryBackendTx {
            store,
            tenant,
            state,
            staged,
        } = self;
        let evicted = Self::apply(&state, &tenant, staged);
        let committed = store.commit();
        async move {
            let done = committed.await;
            // Freed after the tenant's writes are free to go on.
            drop(evicted);
            done
        }
    }
}

impl Store for MemoryBackend {
    type Tx = MemoryBackendTx;

    fn begin(
        &self,
        tenant: &TenantId,
    ) -> impl Future<Output = Result<Self::Tx, StoreError>> + Send {
        let begun = self.store.begin(tenant);
        let state = Arc::clone(&self.state);
        let tenant = tenant.as_str().to_owned();
        async move {
            Ok(MemoryBackendTx {
                store: begun.await?,
                tenant,
                state,
                staged: Vec::new(),
            })
        }
    }

    fn get(
        &self,
        tenant: &TenantId,
        resource_type: &str,
        id: &str,
    ) -> impl Future<Output = Result<Option<Stored>, StoreError>> + Send {
        self.store.get(tenant, resource_type, id)
    }

    fn query(
        &self,
        tenant: &TenantId,
        query: Query<'_>,
    ) -> impl Future<Output = Result<Page, StoreError>> + Send {
        self.store.query(tenant, query)
    }

    fn plan<'a>(
        &self,
        resource_type: &ResourceSchema<'_>,
        filter: Option<&Filter<'a>>,
        sort: Option<&AttrPath<'_>>,
    ) -> Plan<'a> {
        self.store.plan(resource_type, filter, sort)
    }
}

impl ProvisioningState for MemoryBackend {
    fn tenant_ids(&self) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send {
        let mut ids: Vec<String> = self
            .state
            .tenants
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect();
        ids.sort();
        ready(Ok(ids))
    }

    fn load_tenant(
        &self,
        tenant: &str,
    ) -> impl Future<Output = Result<Option<Arc<TenantRecord>>, StoreError>> + Send {
        let record = self
            .state
            .slot(tenant)
            .map(|s| Arc::clone(&lock(&s).record));
        ready(Ok(record))
    }

    fn tenant_by_token(
        &self,
        digest: &TokenDigest,
    ) -> impl Future<Output = Result<Option<Arc<TenantRecord>>, StoreError>> + Send {
        let tenant = self
            .state
            .tokens
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(digest)
            .cloned();
        let record = tenant
            .and_then(|t| self.state.slot(&t))
            .map(|s| Arc::clone(&lock(&s).record));
        ready(Ok(record))
    }

    fn tenant_for_update(
        &self,
        tx: &mut MemoryBackendTx,
    ) -> impl Future<Output = Result<Option<Arc<TenantRecord>>, StoreError>> + Send {
        let staged = tx.staged.iter().rev().find_map(|s| match s {
            Staged::Tenant(r) => Some(Arc::clone(r)),
            _ => None,
        });
        let record = staged.or_else(|| {
            tx.state
                .slot(&tx.tenant)
                .map(|s| Arc::clone(&lock(&s).record))
        });
        ready(Ok(record))
    }

    fn save_tenant(
        &self,
        tx: &mut MemoryBackendTx,
        record: TenantRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        ready(if record.id() == tx.tenant {
            tx.staged.push(Staged::Tenant(Arc::new(record)));
            Ok(())
        } else {
            Err(StoreError::InvalidValue(
                "a tenant's record is saved in its own transaction".into(),
            ))
        })
    }

    fn load_account(
        &self,
        tenant: &str,
        key: &str,
    ) -> impl Future<Output = Result<Option<StoredAccount>, StoreError>> + Send {
        ready(Ok(self
            .state
            .slot(tenant)
            .and_then(|s| lock(&s).accounts.get(key))))
    }

    fn account_page(
        &self,
        tenant: &str,
        after: Option<&str>,
        limit: usize,
        q: Option<&str>,
    ) -> impl Future<Output = Result<AccountPage, StoreError>> + Send {
        let page = match self.state.slot(tenant) {
            Some(s) => lock(&s).accounts.page(after, limit, q),
            None => AccountPage::new(Vec::new(), None),
        };
        ready(Ok(page))
    }

    fn account_for_update(
        &self,
        tx: &mut MemoryBackendTx,
        key: &str,
    ) -> impl Future<Output = Result<Option<StoredAccount>, StoreError>> + Send {
        ready(Ok(tx.account(key)))
    }

    fn account_of_user(
        &self,
        tx: &mut MemoryBackendTx,
        user_id: &str,
    ) -> impl Future<Output = Result<Option<StoredAccount>, StoreError>> + Send {
        ready(Ok(tx.account_of_user(user_id)))
    }

    fn save_account(
        &self,
        tx: &mut MemoryBackendTx,
        account: StoredAccount,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        tx.staged.push(Staged::Account(account));
        ready(Ok(()))
    }

    fn remove_account(
        &self,
        tx: &mut MemoryBackendTx,
        key: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        tx.staged.push(Staged::RemoveAccount(key.to_owned()));
        ready(Ok(()))
    }

    fn append_audit(
        &self,
        tx: &mut MemoryBackendTx,
        record: AuditRecord,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        tx.staged.push(Staged::Audit(record, at));
        ready(Ok(()))
    }

    fn audit_page(
        &self,
        tenant: &str,
        since: u64,
        limit: usize,
    ) -> impl Future<Output = Result<AuditPage, StoreError>> + Send {
        let page = self
            .state
            .slot(tenant)
            .map(|s| lock(&s).audit.page(since, limit))
            .unwrap_or_default();
        ready(Ok(page))
    }

    fn audit_bytes(&self, tenant: &str) -> impl Future<Output = Result<usize, StoreError>> + Send {
        let bytes = self
            .state
            .slot(tenant)
            .map_or(0, |s| lock(&s).audit.accounted_bytes());
        ready(Ok(bytes))
    }
}
