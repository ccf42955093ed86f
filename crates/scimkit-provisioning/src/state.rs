//! [`ProvisioningState`]: where tenants, accounts and the audit log are kept — by the same
//! backend as the SCIM resources, so that one write's resource, account and audit record
//! commit in one transaction.

use crate::accounts::AccountPage;
use chrono::{DateTime, Utc};
use scimkit_dispatch::{Store, StoreError};
use scimkit_policy::{identifier_key, Account, AuditPage, AuditRecord, Tenant, TokenDigest};
use std::future::Future;
use std::sync::Arc;

/// A tenant as kept: its policy state ([`Tenant`]: settings, rule set, templates, verified
/// domains, its own token digest; its audit log is kept apart, see
/// [`ProvisioningState::append_audit`]) and the other tokens that lead to it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TenantRecord {
    /// The policy state. Its in-memory audit log is empty: entries go to the backend's log.
    pub tenant: Tenant,
    /// A token the operator chose instead of the tenant's generated one (only its digest).
    pub operator_token: Option<TokenDigest>,
    /// The last token before provisioning was disabled, so that it gets "provisioning is
    /// disabled" rather than "invalid token".
    pub disabled_token: Option<TokenDigest>,
}

impl TenantRecord {
    /// A new tenant's record.
    pub fn new(tenant: Tenant) -> Self {
        TenantRecord {
            tenant,
            operator_token: None,
            disabled_token: None,
        }
    }

    /// The tenant's id.
    pub fn id(&self) -> &str {
        self.tenant.id()
    }

    /// Every token digest that leads to this tenant (to index them).
    pub fn token_digests(&self) -> impl Iterator<Item = TokenDigest> + '_ {
        self.tenant
            .token_digest()
            .copied()
            .into_iter()
            .chain(self.operator_token)
            .chain(self.disabled_token)
    }
}

/// An account as kept: the policy's [`Account`] and the SCIM User it is linked to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredAccount {
    /// The account.
    pub account: Account,
    /// The id of the SCIM User that manages it, if any.
    pub user_id: Option<String>,
}

impl StoredAccount {
    /// An account with its link.
    pub fn new(account: Account, user_id: Option<String>) -> Self {
        StoredAccount { account, user_id }
    }

    /// Its key: the [`identifier_key`] of its email.
    pub fn key(&self) -> String {
        identifier_key(&self.account.email)
    }
}

/// Tenants, accounts and audit logs, kept by a [`Store`] backend beside its resources.
///
/// Reads without a transaction see committed state. Writes take the backend's transaction
/// ([`Store::begin`] for the tenant), so a SCIM write's resource, its account effects and its
/// audit record commit together or not at all, and an administrator's change (a suspension, a
/// new template) is one transaction too. Accounts are looked up by tenant and
/// [`identifier_key`] and by SCIM User id, both indexed: no call scans a tenant.
///
/// [`MemoryBackend`](crate::MemoryBackend) is the in-memory implementation; `scimkit-testkit`'s
/// provisioning suite checks one.
pub trait ProvisioningState: Store + Clone {
    /// Every tenant's id, sorted.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    fn tenant_ids(&self) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;

    /// A tenant's committed record.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    fn load_tenant(
        &self,
        tenant: &str,
    ) -> impl Future<Output = Result<Option<Arc<TenantRecord>>, StoreError>> + Send;

    /// The tenant one of whose tokens ([`TenantRecord::token_digests`]) has this digest.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    fn tenant_by_token(
        &self,
        digest: &TokenDigest,
    ) -> impl Future<Output = Result<Option<Arc<TenantRecord>>, StoreError>> + Send;

    /// The record of the transaction's tenant, as the transaction sees it.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    fn tenant_for_update(
        &self,
        tx: &mut Self::Tx,
    ) -> impl Future<Output = Result<Option<Arc<TenantRecord>>, StoreError>> + Send;

    /// Creates or replaces the transaction's tenant's record (its id must be the
    /// transaction's tenant).
    ///
    /// # Errors
    /// [`StoreError::InvalidValue`] for another tenant's record, [`StoreError::Backend`].
    fn save_tenant(
        &self,
        tx: &mut Self::Tx,
        record: TenantRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A committed account, by [`identifier_key`].
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    fn load_account(
        &self,
        tenant: &str,
        key: &str,
    ) -> impl Future<Output = Result<Option<StoredAccount>, StoreError>> + Send;

    /// Up to `limit` (at most [`MAX_ACCOUNT_PAGE`](crate::MAX_ACCOUNT_PAGE)) committed accounts
    /// after the key `after`, in key order; with `q`, only those whose email or registered
    /// name contains it, ignoring case.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    fn account_page(
        &self,
        tenant: &str,
        after: Option<&str>,
        limit: usize,
        q: Option<&str>,
    ) -> impl Future<Output = Result<AccountPage, StoreError>> + Send;

    /// An account by key, as the transaction sees it.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    fn account_for_update(
        &self,
        tx: &mut Self::Tx,
        key: &str,
    ) -> impl Future<Output = Result<Option<StoredAccount>, StoreError>> + Send;

    /// The account linked to a SCIM User id, as the transaction sees it.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    fn account_of_user(
        &self,
        tx: &mut Self::Tx,
        user_id: &str,
    ) -> impl Future<Output = Result<Option<StoredAccount>, StoreError>> + Send;

    /// Creates or replaces the account with this key, and its link (a User id linked to
    /// another account before is moved to this one).
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    fn save_account(
        &self,
        tx: &mut Self::Tx,
        account: StoredAccount,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Removes an account and its link (nothing when there is none).
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    fn remove_account(
        &self,
        tx: &mut Self::Tx,
        key: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Appends a record to the transaction's tenant's audit log, which keeps within the
    /// tenant's [`AuditLimits`](scimkit_policy::AuditLimits) (the oldest entries go first).
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    fn append_audit(
        &self,
        tx: &mut Self::Tx,
        record: AuditRecord,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Up to `limit` committed audit entries with a sequence number above `since`, oldest
    /// first.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    fn audit_page(
        &self,
        tenant: &str,
        since: u64,
        limit: usize,
    ) -> impl Future<Output = Result<AuditPage, StoreError>> + Send;

    /// How many bytes a tenant's audit log accounts for.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    fn audit_bytes(&self, tenant: &str) -> impl Future<Output = Result<usize, StoreError>> + Send;
}
