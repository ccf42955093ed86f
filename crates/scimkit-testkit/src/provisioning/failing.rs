//! [`FailingAccounts`]: a backend whose account writes fail on demand.

use chrono::{DateTime, Utc};
use scimkit_dispatch::{Page, Plan, Query, Store, StoreError, Stored, TenantId};
use scimkit_filter::{AttrPath, Filter};
use scimkit_policy::{AuditPage, AuditRecord, TokenDigest};
use scimkit_provisioning::{AccountPage, ProvisioningState, StoredAccount, TenantRecord};
use scimkit_schema::ResourceSchema;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Wraps a backend; while [`FailingAccounts::fail`] is on, `save_account` fails as a database
/// would — after the resource was written in the same transaction. Everything else is the
/// wrapped backend's.
#[derive(Debug, Clone)]
pub struct FailingAccounts<B> {
    inner: B,
    failing: Arc<AtomicBool>,
}

impl<B> FailingAccounts<B> {
    /// Wraps `inner`, not failing.
    pub fn new(inner: B) -> Self {
        FailingAccounts {
            inner,
            failing: Arc::default(),
        }
    }

    /// Makes account writes fail (`true`) or succeed.
    pub fn fail(&self, fail: bool) {
        self.failing.store(fail, Ordering::SeqCst);
    }
}

#[derive(Debug, thiserror::Error)]
#[error("injected failure: the account table is unavailable")]
struct Injected;

impl<B: ProvisioningState> Store for FailingAccounts<B> {
    type Tx = B::Tx;

    fn begin(&self, tenant: &TenantId) -> impl Future<Output = Result<B::Tx, StoreError>> + Send {
        self.inner.begin(tenant)
    }

    fn get(
        &self,
        tenant: &TenantId,
        resource_type: &str,
        id: &str,
    ) -> impl Future<Output = Result<Option<Stored>, StoreError>> + Send {
        self.inner.get(tenant, resource_type, id)
    }

    fn query(
        &self,
        tenant: &TenantId,
        query: Query<'_>,
    ) -> impl Future<Output = Result<Page, StoreError>> + Send {
        self.inner.query(tenant, query)
    }

    fn plan<'a>(
        &self,
        resource_type: &ResourceSchema<'_>,
        filter: Option<&Filter<'a>>,
        sort: Option<&AttrPath<'_>>,
    ) -> Plan<'a> {
        self.inner.plan(resource_type, filter, sort)
    }
}

impl<B: ProvisioningState> ProvisioningState for FailingAccounts<B> {
    fn tenant_ids(&self) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send {
        self.inner.tenant_ids()
    }

    fn load_tenant(
        &self,
        tenant: &str,
    ) -> impl Future<Output = Result<Option<Arc<TenantRecord>>, StoreError>> + Send {
        self.inner.load_tenant(tenant)
    }

    fn tenant_by_token(
        &self,
        digest: &TokenDigest,
    ) -> impl Future<Output = Result<Option<Arc<TenantRecord>>, StoreError>> + Send {
        self.inner.tenant_by_token(digest)
    }

    fn tenant_for_update(
        &self,
        tx: &mut B::Tx,
    ) -> impl Future<Output = Result<Option<Arc<TenantRecord>>, StoreError>> + Send {
        self.inner.tenant_for_update(tx)
    }

    fn save_tenant(
        &self,
        tx: &mut B::Tx,
        record: TenantRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.inner.save_tenant(tx, record)
    }

    fn load_account(
        &self,
        tenant: &str,
        key: &str,
    ) -> impl Future<Output = Result<Option<StoredAccount>, StoreError>> + Send {
        self.inner.load_account(tenant, key)
    }

    fn account_page(
        &self,
        tenant: &str,
        after: Option<&str>,
        limit: usize,
        q: Option<&str>,
    ) -> impl Future<Output = Result<AccountPage, StoreError>> + Send {
        self.inner.account_page(tenant, after, limit, q)
    }

    fn account_for_update(
        &self,
        tx: &mut B::Tx,
        key: &str,
    ) -> impl Future<Output = Result<Option<StoredAccount>, StoreError>> + Send {
        self.inner.account_for_update(tx, key)
    }

    fn account_of_user(
        &self,
        tx: &mut B::Tx,
        user_id: &str,
    ) -> impl Future<Output = Result<Option<StoredAccount>, StoreError>> + Send {
        self.inner.account_of_user(tx, user_id)
    }

    async fn save_account(&self, tx: &mut B::Tx, account: StoredAccount) -> Result<(), StoreError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(StoreError::backend(Injected));
        }
        self.inner.save_account(tx, account).await
    }

    fn remove_account(
        &self,
        tx: &mut B::Tx,
        key: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.inner.remove_account(tx, key)
    }

    fn append_audit(
        &self,
        tx: &mut B::Tx,
        record: AuditRecord,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.inner.append_audit(tx, record, at)
    }

    fn audit_page(
        &self,
        tenant: &str,
        since: u64,
        limit: usize,
    ) -> impl Future<Output = Result<AuditPage, StoreError>> + Send {
        self.inner.audit_page(tenant, since, limit)
    }

    fn audit_bytes(&self, tenant: &str) -> impl Future<Output = Result<usize, StoreError>> + Send {
        self.inner.audit_bytes(tenant)
    }
}
