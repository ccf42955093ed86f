//! [`StorageBackend`]: the server's one storage type over the backends it can run on (memory,
//! SQLite, PostgreSQL), so that the dispatcher, the admin API and the console are built once,
//! not once per backend. Every call is timed into [`StorageMetrics`].

use crate::metrics::StorageMetrics;
use chrono::{DateTime, Utc};
use scimkit_dispatch::{
    Change, Page, Plan, Query, Store, StoreError, StoreTx, Stored, TenantId, Version,
};
use scimkit_filter::{AttrPath, Filter};
use scimkit_policy::{AuditPage, AuditRecord, TokenDigest};
use scimkit_provisioning::{
    AccountPage, MemoryBackend, MemoryBackendTx, ProvisioningState, StoredAccount, TenantRecord,
};
use scimkit_schema::ResourceSchema;
use scimkit_sql::postgres::{PostgresStore, PostgresTx};
use scimkit_sql::sqlite::{SqliteStore, SqliteTx};
use serde_json::Value;
use std::sync::Arc;
use std::time::Instant;

/// Where the server keeps resources and provisioning state.
#[derive(Debug, Clone)]
pub struct StorageBackend {
    kind: Kind,
    metrics: StorageMetrics,
}

#[derive(Debug, Clone)]
enum Kind {
    Memory(MemoryBackend),
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

/// A write transaction of a [`StorageBackend`].
#[derive(Debug)]
pub struct StorageTx {
    kind: KindTx,
    metrics: StorageMetrics,
}

#[derive(Debug)]
enum KindTx {
    Memory(MemoryBackendTx),
    Sqlite(SqliteTx),
    Postgres(PostgresTx),
}

impl StorageBackend {
    /// In process memory: lost when the process stops.
    pub(crate) fn memory(backend: MemoryBackend, metrics: StorageMetrics) -> Self {
        StorageBackend {
            kind: Kind::Memory(backend),
            metrics,
        }
    }

    /// A SQLite database.
    pub(crate) fn sqlite(store: SqliteStore, metrics: StorageMetrics) -> Self {
        StorageBackend {
            kind: Kind::Sqlite(store),
            metrics,
        }
    }

    /// A PostgreSQL database.
    pub(crate) fn postgres(store: PostgresStore, metrics: StorageMetrics) -> Self {
        StorageBackend {
            kind: Kind::Postgres(store),
            metrics,
        }
    }

    /// The backend's name: `memory`, `sqlite` or `postgres`.
    pub fn name(&self) -> &'static str {
        match self.kind {
            Kind::Memory(_) => "memory",
            Kind::Sqlite(_) => "sqlite",
            Kind::Postgres(_) => "postgres",
        }
    }

    /// Whether the storage can serve: `Err` says why not (for the log, not for clients).
    pub(crate) async fn check_ready(&self) -> Result<(), String> {
        let checked = match &self.kind {
            Kind::Memory(_) => return Ok(()),
            Kind::Sqlite(store) => store.database().check_ready().await,
            Kind::Postgres(store) => store.database().check_ready().await,
        };
        checked.map_err(|e| e.to_string())
    }

    /// Connections in use and idle, for a database backend.
    pub(crate) fn pool_use(&self) -> Option<(u32, u32)> {
        match &self.kind {
            Kind::Memory(_) => None,
            Kind::Sqlite(store) => Some(store.database().connections_in_use_and_idle()),
            Kind::Postgres(store) => Some(in_use_and_idle(store.database().pool())),
        }
    }

    /// Closes the database (after the last request): SQLite copies its write-ahead log into
    /// the file; the pools are closed.
    pub(crate) async fn close(&self) {
        match &self.kind {
            Kind::Memory(_) => {}
            Kind::Sqlite(store) => {
                if let Err(e) = store.database().close().await {
                    tracing::warn!(
                        "closing the SQLite database: {e} (its log is replayed at the next start)"
                    );
                }
            }
            Kind::Postgres(store) => store.database().close().await,
        }
    }
}

/// A pool's connections in use and idle.
fn in_use_and_idle<DB: sqlx::Database>(pool: &sqlx::Pool<DB>) -> (u32, u32) {
    let idle = u32::try_from(pool.num_idle()).unwrap_or(u32::MAX);
    (pool.size().saturating_sub(idle), idle)
}

/// The error of a transaction used with another backend than the one that began it: a bug,
/// answered as a backend failure rather than a panic.
fn foreign_tx() -> StoreError {
    StoreError::backend("a transaction was used with a storage backend that did not begin it")
}

/// Runs `$body` with `$b` bound to the backend inside, timing it as operation `$op`.
macro_rules! each {
    ($self:expr, $op:literal, $b:ident => $body:expr) => {{
        let started = Instant::now();
        let out = match &$self.kind {
            Kind::Memory($b) => $body,
            Kind::Sqlite($b) => $body,
            Kind::Postgres($b) => $body,
        };
        $self.metrics.observe($op, started.elapsed());
        out
    }};
}

/// Runs `$body` with the backend `$b` and its transaction `$t`, timing it as `$op`.
macro_rules! with_tx {
    ($self:expr, $tx:expr, $op:literal, $b:ident, $t:ident => $body:expr) => {{
        let started = Instant::now();
        let out = match (&$self.kind, &mut $tx.kind) {
            (Kind::Memory($b), KindTx::Memory($t)) => $body,
            (Kind::Sqlite($b), KindTx::Sqlite($t)) => $body,
            (Kind::Postgres($b), KindTx::Postgres($t)) => $body,
            _ => Err(foreign_tx()),
        };
        $self.metrics.observe($op, started.elapsed());
        out
    }};
}

/// Runs `$body` with the transaction `$t` inside, timing it as `$op`.
macro_rules! in_tx {
    ($self:expr, $op:literal, $t:ident => $body:expr) => {{
        let started = Instant::now();
        let out = match &mut $self.kind {
            KindTx::Memory($t) => $body,
            KindTx::Sqlite($t) => $body,
            KindTx::Postgres($t) => $body,
        };
        $self.metrics.observe($op, started.elapsed());
        out
    }};
}

impl Store for StorageBackend {
    type Tx = StorageTx;

    async fn begin(&self, tenant: &TenantId) -> Result<StorageTx, StoreError> {
        let started = Instant::now();
        let kind = match &self.kind {
            Kind::Memory(b) => b.begin(tenant).await.map(KindTx::Memory),
            Kind::Sqlite(b) => b.begin(tenant).await.map(KindTx::Sqlite),
            Kind::Postgres(b) => b.begin(tenant).await.map(KindTx::Postgres),
        };
        self.metrics.observe("begin", started.elapsed());
        Ok(StorageTx {
            kind: kind?,
            metrics: self.metrics.clone(),
        })
    }

    async fn get(
        &self,
        tenant: &TenantId,
        resource_type: &str,
        id: &str,
    ) -> Result<Option<Stored>, StoreError> {
        each!(self, "get", b => b.get(tenant, resource_type, id).await)
    }

    async fn query(&self, tenant: &TenantId, query: Query<'_>) -> Result<Page, StoreError> {
        each!(self, "query", b => b.query(tenant, query).await)
    }

    fn plan<'a>(
        &self,
        resource_type: &ResourceSchema<'_>,
        filter: Option<&Filter<'a>>,
        sort: Option<&AttrPath<'_>>,
    ) -> Plan<'a> {
        match &self.kind {
            Kind::Memory(b) => b.plan(resource_type, filter, sort),
            Kind::Sqlite(b) => b.plan(resource_type, filter, sort),
            Kind::Postgres(b) => b.plan(resource_type, filter, sort),
        }
    }
}

impl StoreTx for StorageTx {
    async fn get_for_update(
        &mut self,
        resource_type: &str,
        id: &str,
    ) -> Result<Option<Stored>, StoreError> {
        in_tx!(self, "get_for_update", t => t.get_for_update(resource_type, id).await)
    }

    async fn create(&mut self, resource_type: &str, resource: Value) -> Result<Stored, StoreError> {
        in_tx!(self, "create", t => t.create(resource_type, resource).await)
    }

    async fn update(
        &mut self,
        resource_type: &str,
        id: &str,
        change: Change,
        expected: Option<Version>,
    ) -> Result<Stored, StoreError> {
        in_tx!(self, "update", t => t.update(resource_type, id, change, expected).await)
    }

    async fn replace(
        &mut self,
        resource_type: &str,
        id: &str,
        resource: Value,
        expected: Option<Version>,
    ) -> Result<Stored, StoreError> {
        in_tx!(self, "replace", t => t.replace(resource_type, id, resource, expected).await)
    }

    async fn delete(
        &mut self,
        resource_type: &str,
        id: &str,
        expected: Option<Version>,
    ) -> Result<(), StoreError> {
        in_tx!(self, "delete", t => t.delete(resource_type, id, expected).await)
    }

    async fn commit(self) -> Result<(), StoreError> {
        let started = Instant::now();
        let out = match self.kind {
            KindTx::Memory(t) => t.commit().await,
            KindTx::Sqlite(t) => t.commit().await,
            KindTx::Postgres(t) => t.commit().await,
        };
        self.metrics.observe("commit", started.elapsed());
        out
    }
}

impl ProvisioningState for StorageBackend {
    async fn tenant_ids(&self) -> Result<Vec<String>, StoreError> {
        each!(self, "tenant_ids", b => b.tenant_ids().await)
    }

    async fn load_tenant(&self, tenant: &str) -> Result<Option<Arc<TenantRecord>>, StoreError> {
        each!(self, "load_tenant", b => b.load_tenant(tenant).await)
    }

    async fn tenant_by_token(
        &self,
        digest: &TokenDigest,
    ) -> Result<Option<Arc<TenantRecord>>, StoreError> {
        each!(self, "tenant_by_token", b => b.tenant_by_token(digest).await)
    }

    async fn tenant_for_update(
        &self,
        tx: &mut StorageTx,
    ) -> Result<Option<Arc<TenantRecord>>, StoreError> {
        with_tx!(self, tx, "tenant_for_update", b, t => b.tenant_for_update(t).await)
    }

    async fn save_tenant(
        &self,
        tx: &mut StorageTx,
        record: TenantRecord,
    ) -> Result<(), StoreError> {
        with_tx!(self, tx, "save_tenant", b, t => b.save_tenant(t, record).await)
    }

    async fn load_account(
        &self,
        tenant: &str,
        key: &str,
    ) -> Result<Option<StoredAccount>, StoreError> {
        each!(self, "load_account", b => b.load_account(tenant, key).await)
    }

    async fn account_page(
        &self,
        tenant: &str,
        after: Option<&str>,
        limit: usize,
        q: Option<&str>,
    ) -> Result<AccountPage, StoreError> {
        each!(self, "account_page", b => b.account_page(tenant, after, limit, q).await)
    }

    async fn account_for_update(
        &self,
        tx: &mut StorageTx,
        key: &str,
    ) -> Result<Option<StoredAccount>, StoreError> {
        with_tx!(self, tx, "account_for_update", b, t => b.account_for_update(t, key).await)
    }

    async fn account_of_user(
        &self,
        tx: &mut StorageTx,
        user_id: &str,
    ) -> Result<Option<StoredAccount>, StoreError> {
        with_tx!(self, tx, "account_of_user", b, t => b.account_of_user(t, user_id).await)
    }

    async fn save_account(
        &self,
        tx: &mut StorageTx,
        account: StoredAccount,
    ) -> Result<(), StoreError> {
        with_tx!(self, tx, "save_account", b, t => b.save_account(t, account).await)
    }

    async fn remove_account(&self, tx: &mut StorageTx, key: &str) -> Result<(), StoreError> {
        with_tx!(self, tx, "remove_account", b, t => b.remove_account(t, key).await)
    }

    async fn append_audit(
        &self,
        tx: &mut StorageTx,
        record: AuditRecord,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        with_tx!(self, tx, "append_audit", b, t => b.append_audit(t, record, at).await)
    }

    async fn audit_page(
        &self,
        tenant: &str,
        since: u64,
        limit: usize,
    ) -> Result<AuditPage, StoreError> {
        each!(self, "audit_page", b => b.audit_page(tenant, since, limit).await)
    }

    async fn audit_bytes(&self, tenant: &str) -> Result<usize, StoreError> {
        each!(self, "audit_bytes", b => b.audit_bytes(tenant).await)
    }
}
