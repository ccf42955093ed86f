//! `scimkit-policy` wired into the dispatcher: [`Provisioning`] keeps every tenant's
//! [`Tenant`] (settings, templates, token digest), its [`Account`]s and its audit log in a
//! [`ProvisioningState`] backend — the same backend that stores the SCIM resources, so that a
//! write's resource, account effects and audit record commit in one transaction — and is both
//! the [`Hooks`] and the [`Authenticator`] of a [`Dispatcher`] over that backend.
//! [`MemoryBackend`] keeps everything in memory.
//!
//! - **Authentication**: a bearer token is looked up by its SHA-256 digest and confirmed with
//!   [`Tenant::authenticate`] (constant time). While a tenant's provisioning is disabled, its last
//!   token gets the rule set's refusal (403, or 401 by [`RuleSet::with_when_disabled`]) with a
//!   detail saying provisioning is disabled; re-enabling issues a new token and the old one gets
//!   401 from then on. Every SCIM request is refused that way — reads, Groups and discovery too —
//!   and nothing changes.
//! - **User writes** (POST, PUT, PATCH, DELETE): [`Hooks::before_write`] / [`Hooks::before_delete`]
//!   call [`decide`] with the stored resource before and the proposed resource after the
//!   operation; a rejection is returned as the SCIM error (and audited), an acceptance stores the
//!   policy's (possibly rewritten) resource. The dispatcher hands what was accepted
//!   ([`Accepted`]) to [`Hooks::after_write`] for the same write, which runs after the store
//!   write, in the write's transaction: it applies the decision's [`Effect`]s to the account as
//!   it is then (so a concurrent admin suspension is never undone) and audits the decision. A
//!   store write that fails reaches no account and no audit record.
//! - **Reads**: every User write stores the account's `scim_active` as the resource's `active`
//!   (never its effective access, so a local suspension stays invisible to the IdP), so reads
//!   and filters see one value and reads are served as stored, without a hook.
//! - **A create for the email of a non-SCIM account** of the tenant (added with
//!   [`Provisioning::add_account`], e.g. by domain auto-add) adopts it (or answers 409 by
//!   [`RuleSet::with_existing_account`]).
//! - **DELETE** ends the account's membership; the account is retained (membership `Ended`, no
//!   access, no longer linked to a SCIM resource) and a later create for its email restores it.
//!   That is the retention hook: a product that erases data does so on
//!   [`Effect::EndMembership`], e.g. by calling [`Provisioning::forget_account`].
//! - **Groups** (and any other resource type) pass through unchanged: the preset has no group
//!   policy.
//! - **Audit**: each tenant's log is bounded by entries and bytes ([`AuditLimits`]); request
//!   bodies are redacted by a schema-driven [`Redactor`] (the standard schemas' secrets; give
//!   one built from the dispatcher's own registry with [`Provisioning::with_redactor`] when it
//!   declares more) and kept whole up to 4 KiB, else as an excerpt with their SHA-256 and size.
//!
//! **Transactions.** Every change — a SCIM write with its account effects and audit record, an
//! administrator's suspension, a new template — is one transaction of the backend
//! ([`Store::begin`](scimkit_dispatch::Store::begin) for the tenant). Redacting and excerpting bodies for the audit log happens
//! before the transaction reads anything.
//!
//! ```
//! use futures_executor::block_on;
//! use scimkit_provisioning::Provisioning;
//! use scimkit_policy::IdpDialect;
//! use serde_json::json;
//!
//! block_on(async {
//!     let prov = Provisioning::new();
//!     prov.create_tenant("acme", IdpDialect::Okta).await.unwrap();
//!     let token = prov.enable_provisioning("acme").await.unwrap();
//!     let scim = prov.dispatcher().build();
//!     let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
//!         "userName": "ada@example.com", "displayName": "Ada Lovelace", "active": true});
//!     let req = http::Request::post("/Users")
//!         .header("Authorization", format!("Bearer {}", token.expose()))
//!         .header("Content-Type", "application/scim+json")
//!         .body(serde_json::to_vec(&user).unwrap())
//!         .unwrap();
//!     assert_eq!(scim.handle_bytes(req).await.status(), 201);
//!     let ada = prov.account("acme", "ADA@example.com").await.unwrap().unwrap();
//!     assert_eq!(ada.registered_name, "Ada Lovelace");
//!     assert!(ada.managed_by_scim);
//! });
//! ```

#![forbid(unsafe_code)]

use chrono::{DateTime, Utc};
use scimkit_dispatch::{Dispatcher, DispatcherBuilder, StoreError, StoreTx, TenantId};
use scimkit_dispatch::{Hooks, Stored, Write, WriteKind};
use scimkit_policy::{
    identifier_key, Account, AdminError, AuditBodies, AuditLimits, AuditPage, Decision, IdpDialect,
    JoinedVia, PolicyTemplate, Redactor, RegistrationMode, RuleSet, TemplateId, Tenant, Warning,
};
use scimkit_schema::ScimError;
use serde_json::Value;
use std::sync::Arc;

mod accounts;
pub mod admin;
mod memory;
mod state;
mod tokens;
mod writes;

pub use accounts::{AccountPage, MAX_ACCOUNT_PAGE};
pub use admin::AdminApi;
pub use memory::{MemoryBackend, MemoryBackendTx};
pub use state::{ProvisioningState, StoredAccount, TenantRecord};
pub use writes::Accepted;

/// Why a [`Provisioning`] operation was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProvisioningError {
    /// No tenant has this id.
    #[error("no tenant {0:?}")]
    UnknownTenant(String),
    /// A tenant with this id exists.
    #[error("tenant {0:?} already exists")]
    TenantExists(String),
    /// The tenant id is empty or not printable ASCII without `/`.
    #[error("{0:?} is not a valid tenant id (1 to 64 characters of A-Z a-z 0-9 . _ -)")]
    InvalidTenantId(String),
    /// No account of the tenant has this email.
    #[error("no account {0:?} in the tenant")]
    UnknownAccount(String),
    /// An account of the tenant already has this email.
    #[error("an account with the email {0:?} already exists")]
    AccountExists(String),
    /// The account is still a member of the tenant (only an account whose membership ended
    /// can be forgotten).
    #[error("{0:?} is still a member of the tenant")]
    StillAMember(String),
    /// Not an email address.
    #[error("{0:?} is not an email address")]
    InvalidEmail(String),
    /// The operating system's random generator failed.
    #[error("no random bytes for a token: {0}")]
    Entropy(String),
    /// The tenant refused the operation.
    #[error(transparent)]
    Admin(#[from] AdminError),
    /// The backend failed.
    #[error("the provisioning state could not be read or written")]
    Store(#[from] StoreError),
}

type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;
type Observer = Arc<dyn Fn(&str, &Decision) + Send + Sync>;
type Entropy = Arc<dyn Fn() -> Result<[u8; 32], String> + Send + Sync>;

/// Tenants' provisioning policy, accounts and audit logs in a [`ProvisioningState`] backend:
/// the [`Hooks`] and the [`Authenticator`](scimkit_dispatch::Authenticator) of a dispatcher
/// over the same backend (see the [module documentation](crate)).
///
/// Cheap to clone; clones share the backend, so the admin API ([`AdminApi`](crate::AdminApi))
/// and the dispatcher see the same tenants.
#[derive(Clone)]
pub struct Provisioning<B = MemoryBackend> {
    backend: B,
    rules: RuleSet,
    audit_limits: AuditLimits,
    redactor: Arc<Redactor>,
    clock: Clock,
    entropy: Entropy,
    observer: Option<Observer>,
}

impl<B> std::fmt::Debug for Provisioning<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provisioning")
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
}

impl Default for Provisioning {
    fn default() -> Self {
        Self::new()
    }
}

fn system_now() -> DateTime<Utc> {
    DateTime::<Utc>::from(std::time::SystemTime::now())
}

fn os_entropy() -> Result<[u8; 32], String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
    Ok(bytes)
}

fn is_user(resource_type: &str) -> bool {
    resource_type.eq_ignore_ascii_case("User")
}

fn valid_tenant_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn looks_like_email(s: &str) -> bool {
    let s = s.trim();
    matches!(s.split_once('@'), Some((l, d)) if !l.is_empty() && !d.is_empty() && !d.contains('@'))
        && !s.chars().any(char::is_whitespace)
}

impl Provisioning {
    /// No tenants, in memory ([`MemoryBackend`]); see [`Provisioning::with_backend`].
    pub fn new() -> Self {
        Self::with_backend(MemoryBackend::new())
    }
}

impl<B: ProvisioningState> Provisioning<B> {
    /// Provisioning over a backend. New tenants get [`RuleSet::tresorit`] and
    /// [`AuditLimits::default`]; bodies are redacted by [`Redactor::default`]; the system clock
    /// and the operating system's random generator.
    pub fn with_backend(backend: B) -> Self {
        Provisioning {
            backend,
            rules: RuleSet::tresorit(),
            audit_limits: AuditLimits::default(),
            redactor: Arc::new(Redactor::default()),
            clock: Arc::new(system_now),
            entropy: Arc::new(os_entropy),
            observer: None,
        }
    }

    /// The backend (also the dispatcher's store).
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// The rule set new tenants get unless told otherwise.
    pub fn default_rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The rule set tenants created from now on get.
    pub fn with_rules(mut self, rules: RuleSet) -> Self {
        self.rules = rules;
        self
    }

    /// The audit log bounds tenants created from now on get.
    pub fn with_audit_limits(mut self, limits: AuditLimits) -> Self {
        self.audit_limits = limits;
        self
    }

    /// Redacts audited bodies with `redactor` (e.g. [`Redactor::from_registry`] of the
    /// dispatcher's registry, so its extensions' secrets are known).
    pub fn with_redactor(mut self, redactor: Redactor) -> Self {
        self.redactor = Arc::new(redactor);
        self
    }

    /// Also hides the attribute at `path` in audited bodies (see
    /// [`Redactor::with_sensitive_path`]).
    pub fn with_sensitive_path(mut self, path: &str) -> Self {
        let redactor = (*self.redactor).clone().with_sensitive_path(path);
        self.redactor = Arc::new(redactor);
        self
    }

    /// Calls `observer` with the tenant and every decision the policy makes on a SCIM write
    /// (accepted or refused; a write that then fails in the store was still decided), e.g.
    /// to count outcomes by rule for metrics. It runs inside the write: keep it quick.
    pub fn with_decision_observer(
        mut self,
        observer: impl Fn(&str, &Decision) + Send + Sync + 'static,
    ) -> Self {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// Replaces the clock used for audit timestamps (for tests).
    pub fn with_clock(mut self, clock: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Replaces the source of token entropy. It must be a cryptographically secure generator;
    /// the default is the operating system's (`getrandom`).
    pub fn with_entropy(
        mut self,
        entropy: impl Fn() -> Result<[u8; 32], String> + Send + Sync + 'static,
    ) -> Self {
        self.entropy = Arc::new(entropy);
        self
    }

    /// A dispatcher builder over the backend with this provisioning state as both the
    /// authenticator and the hooks: `prov.dispatcher().config(config).build()`.
    pub fn dispatcher(&self) -> DispatcherBuilder<B, Self, Self> {
        Dispatcher::builder(self.backend.clone(), self.clone()).hooks(self.clone())
    }

    fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// Runs `f` on a copy of a tenant's record in a transaction, then saves it with the audit
    /// entries `f` logged, and commits.
    async fn change_tenant<R>(
        &self,
        tenant: &str,
        f: impl FnOnce(&mut TenantRecord, DateTime<Utc>) -> Result<R, ProvisioningError>,
    ) -> Result<R, ProvisioningError> {
        let now = self.now();
        let mut tx = self.backend.begin(&TenantId::new(tenant)).await?;
        let record = self
            .backend
            .tenant_for_update(&mut tx)
            .await?
            .ok_or_else(|| ProvisioningError::UnknownTenant(tenant.to_owned()))?;
        let mut record = (*record).clone();
        let out = f(&mut record, now)?;
        self.save_logged(&mut tx, record).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Saves a record, moving what its tenant logged to the backend's audit log.
    async fn save_logged(
        &self,
        tx: &mut B::Tx,
        mut record: TenantRecord,
    ) -> Result<(), ProvisioningError> {
        for entry in record.tenant.drain_audit() {
            self.backend
                .append_audit(tx, entry.record, entry.at)
                .await?;
        }
        Ok(self.backend.save_tenant(tx, record).await?)
    }

    /// Runs `f` on a tenant's committed record.
    async fn read_tenant<R>(
        &self,
        tenant: &str,
        f: impl FnOnce(&TenantRecord) -> R,
    ) -> Result<R, ProvisioningError> {
        let record = self
            .backend
            .load_tenant(tenant)
            .await?
            .ok_or_else(|| ProvisioningError::UnknownTenant(tenant.to_owned()))?;
        Ok(f(&record))
    }

    // ----- tenants -----

    /// Creates a tenant (provisioning off, one template "Default") for an identity provider.
    ///
    /// # Errors
    /// [`ProvisioningError::InvalidTenantId`], [`ProvisioningError::TenantExists`],
    /// [`ProvisioningError::Store`].
    pub async fn create_tenant(
        &self,
        id: &str,
        dialect: IdpDialect,
    ) -> Result<(), ProvisioningError> {
        self.create_tenant_with_rules(id, dialect, self.rules.clone())
            .await
    }

    /// Creates a tenant with its own rule set (e.g. [`RuleSet::plain`] for plain SCIM without
    /// the product's rules).
    ///
    /// # Errors
    /// As [`Provisioning::create_tenant`].
    pub async fn create_tenant_with_rules(
        &self,
        id: &str,
        dialect: IdpDialect,
        rules: RuleSet,
    ) -> Result<(), ProvisioningError> {
        if !valid_tenant_id(id) {
            return Err(ProvisioningError::InvalidTenantId(id.to_owned()));
        }
        let mut tx = self.backend.begin(&TenantId::new(id)).await?;
        if self.backend.tenant_for_update(&mut tx).await?.is_some() {
            return Err(ProvisioningError::TenantExists(id.to_owned()));
        }
        let mut tenant = Tenant::new(id, rules);
        tenant.set_dialect(dialect);
        tenant.set_audit_limits(self.audit_limits);
        self.save_logged(&mut tx, TenantRecord::new(tenant)).await?;
        Ok(tx.commit().await?)
    }

    /// The tenants' ids, sorted.
    ///
    /// # Errors
    /// [`ProvisioningError::Store`].
    pub async fn tenant_ids(&self) -> Result<Vec<String>, ProvisioningError> {
        Ok(self.backend.tenant_ids().await?)
    }

    /// A copy of a tenant's policy state (settings, rules, templates, token digest).
    ///
    /// # Errors
    /// [`ProvisioningError::UnknownTenant`], [`ProvisioningError::Store`].
    pub async fn tenant(&self, id: &str) -> Result<Tenant, ProvisioningError> {
        self.read_tenant(id, |r| r.tenant.clone()).await
    }

    /// Runs `f` on a tenant's policy state without copying it (e.g. to read its settings).
    ///
    /// # Errors
    /// [`ProvisioningError::UnknownTenant`], [`ProvisioningError::Store`].
    pub async fn with_tenant<R>(
        &self,
        id: &str,
        f: impl FnOnce(&Tenant) -> R,
    ) -> Result<R, ProvisioningError> {
        self.read_tenant(id, |r| f(&r.tenant)).await
    }

    /// Replaces a tenant's rule set.
    ///
    /// # Errors
    /// [`ProvisioningError::UnknownTenant`], [`ProvisioningError::Store`].
    pub async fn set_rules(&self, tenant: &str, rules: RuleSet) -> Result<(), ProvisioningError> {
        self.change_tenant(tenant, |r, _| {
            r.tenant.set_rules(rules);
            Ok(())
        })
        .await
    }

    /// Sets a tenant's identity provider (which picks the request normalisation; see
    /// [`IdpDialect`]).
    ///
    /// # Errors
    /// [`ProvisioningError::UnknownTenant`], [`ProvisioningError::Store`].
    pub async fn set_dialect(
        &self,
        tenant: &str,
        dialect: IdpDialect,
    ) -> Result<(), ProvisioningError> {
        self.change_tenant(tenant, |r, _| {
            r.tenant.set_dialect(dialect);
            Ok(())
        })
        .await
    }

    /// Sets a tenant's audit log bounds.
    ///
    /// # Errors
    /// [`ProvisioningError::UnknownTenant`], [`ProvisioningError::Store`].
    pub async fn set_audit_limits(
        &self,
        tenant: &str,
        limits: AuditLimits,
    ) -> Result<(), ProvisioningError> {
        self.change_tenant(tenant, |r, _| {
            r.tenant.set_audit_limits(limits);
            Ok(())
        })
        .await
    }

    // ----- templates and domains -----

    /// The tenant's policy templates.
    ///
    /// # Errors
    /// [`ProvisioningError::UnknownTenant`], [`ProvisioningError::Store`].
    pub async fn templates(&self, tenant: &str) -> Result<Vec<PolicyTemplate>, ProvisioningError> {
        self.read_tenant(tenant, |r| r.tenant.templates().to_vec())
            .await
    }

    /// Creates a policy template.
    ///
    /// # Errors
    /// [`ProvisioningError::Admin`] for an invalid name, [`ProvisioningError::UnknownTenant`],
    /// [`ProvisioningError::Store`].
    pub async fn create_template(
        &self,
        tenant: &str,
        name: &str,
    ) -> Result<TemplateId, ProvisioningError> {
        self.change_tenant(tenant, |r, now| Ok(r.tenant.create_template(name, now)?))
            .await
    }

    /// Sets the template SCIM creates get from now on (existing accounts keep theirs).
    ///
    /// # Errors
    /// [`ProvisioningError::Admin`] for an unknown template,
    /// [`ProvisioningError::UnknownTenant`], [`ProvisioningError::Store`].
    pub async fn set_default_template(
        &self,
        tenant: &str,
        template: TemplateId,
    ) -> Result<(), ProvisioningError> {
        self.change_tenant(tenant, |r, now| {
            Ok(r.tenant.set_default_template(template, now)?)
        })
        .await
    }

    /// Adds a verified domain.
    ///
    /// # Errors
    /// [`ProvisioningError::Admin`] for an invalid or known domain,
    /// [`ProvisioningError::UnknownTenant`], [`ProvisioningError::Store`].
    pub async fn add_domain(
        &self,
        tenant: &str,
        domain: &str,
        mode: RegistrationMode,
    ) -> Result<(), ProvisioningError> {
        self.change_tenant(tenant, |r, now| {
            Ok(r.tenant.add_domain(domain, mode, now)?)
        })
        .await
    }

    /// Removes a verified domain.
    ///
    /// # Errors
    /// [`ProvisioningError::Admin`] for an unknown domain, [`ProvisioningError::UnknownTenant`],
    /// [`ProvisioningError::Store`].
    pub async fn remove_domain(&self, tenant: &str, domain: &str) -> Result<(), ProvisioningError> {
        self.change_tenant(tenant, |r, now| Ok(r.tenant.remove_domain(domain, now)?))
            .await
    }

    /// Sets a verified domain's registration mode.
    ///
    /// # Errors
    /// [`ProvisioningError::Admin`] for an unknown domain, [`ProvisioningError::UnknownTenant`],
    /// [`ProvisioningError::Store`].
    pub async fn set_domain_mode(
        &self,
        tenant: &str,
        domain: &str,
        mode: RegistrationMode,
    ) -> Result<(), ProvisioningError> {
        self.change_tenant(tenant, |r, now| {
            Ok(r.tenant.set_domain_mode(domain, mode, now)?)
        })
        .await
    }

    /// The configuration lint (e.g. an `AddAutomatically` domain while provisioning is on).
    ///
    /// # Errors
    /// [`ProvisioningError::UnknownTenant`], [`ProvisioningError::Store`].
    pub async fn warnings(&self, tenant: &str) -> Result<Vec<Warning>, ProvisioningError> {
        self.read_tenant(tenant, |r| r.tenant.warnings()).await
    }

    /// Every tenant's warnings, by tenant id (for a start-up log).
    ///
    /// # Errors
    /// [`ProvisioningError::Store`].
    pub async fn all_warnings(&self) -> Result<Vec<(String, Warning)>, ProvisioningError> {
        let mut out = Vec::new();
        for id in self.tenant_ids().await? {
            let warnings = self.warnings(&id).await?;
            out.extend(warnings.into_iter().map(|w| (id.clone(), w)));
        }
        Ok(out)
    }

    /// Up to `limit` (at most [`MAX_AUDIT_PAGE`](scimkit_policy::MAX_AUDIT_PAGE)) audit
    /// entries with a sequence number greater than `since`, oldest first, and the `since` of
    /// the next page when more remain.
    ///
    /// # Errors
    /// [`ProvisioningError::UnknownTenant`], [`ProvisioningError::Store`].
    pub async fn audit_page(
        &self,
        tenant: &str,
        since: u64,
        limit: usize,
    ) -> Result<AuditPage, ProvisioningError> {
        self.read_tenant(tenant, |_| ()).await?;
        Ok(self.backend.audit_page(tenant, since, limit).await?)
    }

    /// How many bytes a tenant's audit log accounts for (its entries' compact JSON).
    ///
    /// # Errors
    /// [`ProvisioningError::UnknownTenant`], [`ProvisioningError::Store`].
    pub async fn audit_bytes(&self, tenant: &str) -> Result<usize, ProvisioningError> {
        self.read_tenant(tenant, |_| ()).await?;
        Ok(self.backend.audit_bytes(tenant).await?)
    }

    // ----- accounts -----

    /// Adds an account that joined outside SCIM (by `joined_via`: domain auto-add, invite or by
    /// hand), assigned to the tenant's current default template, and audits it. A later SCIM
    /// create for its email adopts it.
    ///
    /// # Errors
    /// [`ProvisioningError::InvalidEmail`], [`ProvisioningError::AccountExists`],
    /// [`ProvisioningError::UnknownTenant`], [`ProvisioningError::Store`].
    pub async fn add_account(
        &self,
        tenant: &str,
        email: &str,
        name: &str,
        joined_via: JoinedVia,
    ) -> Result<Account, ProvisioningError> {
        if !looks_like_email(email) {
            return Err(ProvisioningError::InvalidEmail(email.to_owned()));
        }
        let now = self.now();
        let mut tx = self.backend.begin(&TenantId::new(tenant)).await?;
        let record = self
            .backend
            .tenant_for_update(&mut tx)
            .await?
            .ok_or_else(|| ProvisioningError::UnknownTenant(tenant.to_owned()))?;
        let key = identifier_key(email);
        if self
            .backend
            .account_for_update(&mut tx, &key)
            .await?
            .is_some()
        {
            return Err(ProvisioningError::AccountExists(email.trim().to_owned()));
        }
        let mut record = (*record).clone();
        let account = record.tenant.add_account(email, name, joined_via, now);
        let stored = StoredAccount::new(account.clone(), None);
        self.backend.save_account(&mut tx, stored).await?;
        self.save_logged(&mut tx, record).await?;
        tx.commit().await?;
        Ok(account)
    }

    /// The account with this email (by [`identifier_key`]), or `None`.
    ///
    /// # Errors
    /// [`ProvisioningError::UnknownTenant`], [`ProvisioningError::Store`].
    pub async fn account(
        &self,
        tenant: &str,
        email: &str,
    ) -> Result<Option<Account>, ProvisioningError> {
        Ok(self.stored_account(tenant, email).await?.map(|s| s.account))
    }

    /// The account with this email and the SCIM User linked to it, or `None`.
    ///
    /// # Errors
    /// [`ProvisioningError::UnknownTenant`], [`ProvisioningError::Store`].
    pub async fn stored_account(
        &self,
        tenant: &str,
        email: &str,
    ) -> Result<Option<StoredAccount>, ProvisioningError> {
        self.read_tenant(tenant, |_| ()).await?;
        Ok(self
            .backend
            .load_account(tenant, &identifier_key(email))
            .await?)
    }

    /// Every account of the tenant, by email (page by page from the backend). For large
    /// tenants, page with [`accounts_page`](Provisioning::accounts_page).
    ///
    /// # Errors
    /// [`ProvisioningError::UnknownTenant`], [`ProvisioningError::Store`].
    pub async fn accounts(&self, tenant: &str) -> Result<Vec<Account>, ProvisioningError> {
        let mut all = Vec::new();
        let mut cursor = None;
        loop {
            let page = self
                .accounts_page(tenant, cursor.as_deref(), MAX_ACCOUNT_PAGE, None)
                .await?;
            all.extend(page.accounts.into_iter().map(|(a, _)| a));
            match page.next {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
    }

    /// Up to `limit` (at most [`MAX_ACCOUNT_PAGE`]) accounts after `cursor` (the `next` of the
    /// previous page), in email order, each with its SCIM User id; with `q`, only those whose
    /// email or registered name contains it (ignoring case).
    ///
    /// # Errors
    /// [`ProvisioningError::UnknownTenant`], [`ProvisioningError::Store`].
    pub async fn accounts_page(
        &self,
        tenant: &str,
        cursor: Option<&str>,
        limit: usize,
        q: Option<&str>,
    ) -> Result<AccountPage, ProvisioningError> {
        self.read_tenant(tenant, |_| ()).await?;
        Ok(self
            .backend
            .account_page(tenant, cursor, limit.min(MAX_ACCOUNT_PAGE), q)
            .await?)
    }

    /// The account linked to a SCIM User id, or `None`.
    ///
    /// # Errors
    /// [`ProvisioningError::UnknownTenant`], [`ProvisioningError::Store`].
    pub async fn account_of_user(
        &self,
        tenant: &str,
        scim_id: &str,
    ) -> Result<Option<Account>, ProvisioningError> {
        self.read_tenant(tenant, |_| ()).await?;
        // Read in a transaction that is dropped, not committed.
        let mut tx = self.backend.begin(&TenantId::new(tenant)).await?;
        let found = self.backend.account_of_user(&mut tx, scim_id).await?;
        Ok(found.map(|s| s.account))
    }

    /// The name the identity provider last wrote for a SCIM User — what a name change from
    /// the IdP shows, which the product's registered name may not (the preset's "name updates
    /// have no effect on the account"): its `displayName`, else `name.formatted`, else its
    /// given and family names; `None` when the User has none or does not exist.
    ///
    /// # Errors
    /// [`ProvisioningError::Store`].
    pub async fn idp_name(
        &self,
        tenant: &str,
        user_id: &str,
    ) -> Result<Option<String>, ProvisioningError> {
        let Some(user) = self
            .backend
            .get(&TenantId::new(tenant), "User", user_id)
            .await?
        else {
            return Ok(None);
        };
        fn text(v: Option<&Value>) -> Option<&str> {
            v.and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        }
        let name = user.resource.get("name");
        let found = text(user.resource.get("displayName"))
            .map(str::to_owned)
            .or_else(|| text(name.and_then(|n| n.get("formatted"))).map(str::to_owned))
            .or_else(|| {
                let parts: Vec<&str> = ["givenName", "familyName"]
                    .iter()
                    .filter_map(|k| text(name.and_then(|n| n.get(*k))))
                    .collect();
                (!parts.is_empty()).then(|| parts.join(" "))
            });
        Ok(found)
    }

    /// Suspends a member locally (`admin_suspended` only; the `active` the IdP reads is
    /// unchanged). Suspending a suspended account changes nothing and is not audited again.
    ///
    /// # Errors
    /// [`ProvisioningError::UnknownAccount`], [`ProvisioningError::Admin`] for an account that
    /// is no longer a member, [`ProvisioningError::UnknownTenant`], [`ProvisioningError::Store`].
    pub async fn suspend(&self, tenant: &str, email: &str) -> Result<Account, ProvisioningError> {
        self.set_suspended(tenant, email, true).await
    }

    /// Lifts a local suspension.
    ///
    /// # Errors
    /// As [`Provisioning::suspend`].
    pub async fn unsuspend(&self, tenant: &str, email: &str) -> Result<Account, ProvisioningError> {
        self.set_suspended(tenant, email, false).await
    }

    async fn set_suspended(
        &self,
        tenant: &str,
        email: &str,
        suspended: bool,
    ) -> Result<Account, ProvisioningError> {
        let now = self.now();
        let mut tx = self.backend.begin(&TenantId::new(tenant)).await?;
        let record = self
            .backend
            .tenant_for_update(&mut tx)
            .await?
            .ok_or_else(|| ProvisioningError::UnknownTenant(tenant.to_owned()))?;
        let mut stored = self
            .backend
            .account_for_update(&mut tx, &identifier_key(email))
            .await?
            .ok_or_else(|| ProvisioningError::UnknownAccount(email.to_owned()))?;
        let mut record = (*record).clone();
        if suspended {
            record.tenant.suspend(&mut stored.account, now)?;
        } else {
            record.tenant.unsuspend(&mut stored.account, now)?;
        }
        let account = stored.account.clone();
        self.backend.save_account(&mut tx, stored).await?;
        self.save_logged(&mut tx, record).await?;
        tx.commit().await?;
        Ok(account)
    }

    /// Erases a retained account whose membership ended (the product's retention decision after
    /// [`Effect::EndMembership`](scimkit_policy::Effect::EndMembership)); a later SCIM create for
    /// the email makes a new account.
    ///
    /// # Errors
    /// [`ProvisioningError::UnknownAccount`], [`ProvisioningError::StillAMember`],
    /// [`ProvisioningError::UnknownTenant`], [`ProvisioningError::Store`].
    pub async fn forget_account(&self, tenant: &str, email: &str) -> Result<(), ProvisioningError> {
        self.read_tenant(tenant, |_| ()).await?;
        let mut tx = self.backend.begin(&TenantId::new(tenant)).await?;
        let key = identifier_key(email);
        match self.backend.account_for_update(&mut tx, &key).await? {
            None => Err(ProvisioningError::UnknownAccount(email.to_owned())),
            Some(a) if a.account.is_member() => {
                Err(ProvisioningError::StillAMember(a.account.email))
            }
            Some(_) => {
                self.backend.remove_account(&mut tx, &key).await?;
                Ok(tx.commit().await?)
            }
        }
    }
}

impl<B: ProvisioningState> Hooks<B> for Provisioning<B> {
    /// What the policy accepted for a User write (nothing for other types).
    type Decision = Option<Accepted>;
    /// The audit record's bodies of a User POST or PATCH, redacted before the transaction.
    type Prepared = Option<AuditBodies>;

    fn prepare(&self, write: &Write<'_>, proposed: Option<&Value>) -> Option<AuditBodies> {
        let known = matches!(write.kind, WriteKind::Create | WriteKind::Patch);
        (known && is_user(write.resource_type)).then(|| self.audit_bodies(write, proposed))
    }

    async fn before_write(
        &self,
        tx: &mut B::Tx,
        write: &Write<'_>,
        proposed: Value,
        prepared: Option<AuditBodies>,
    ) -> Result<(Value, Option<Accepted>), ScimError> {
        if !is_user(write.resource_type) {
            return Ok((proposed, None));
        }
        let (resource, accepted) = self
            .decide_write(tx, write, Some(proposed), prepared)
            .await?;
        let resource =
            resource.ok_or_else(|| ScimError::internal("the policy kept no resource"))?;
        Ok((resource, Some(accepted)))
    }

    async fn before_delete(
        &self,
        tx: &mut B::Tx,
        write: &Write<'_>,
        prepared: Option<AuditBodies>,
    ) -> Result<Option<Accepted>, ScimError> {
        if !is_user(write.resource_type) {
            return Ok(None);
        }
        let (_, accepted) = self.decide_write(tx, write, None, prepared).await?;
        Ok(Some(accepted))
    }

    async fn after_write(
        &self,
        tx: &mut B::Tx,
        write: &Write<'_>,
        stored: Option<&Stored>,
        decision: Option<Accepted>,
    ) -> Result<(), ScimError> {
        match decision {
            Some(accepted) => self.complete_write(tx, write, stored, accepted).await,
            None => Ok(()),
        }
    }

    /// Reads are served as stored: every User write stores the account's `active`.
    fn rewrites_reads(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_executor::block_on;
    use scimkit_dispatch::{Authenticator, Principal};
    use scimkit_schema::Profile;

    fn auth(p: &Provisioning, token: &str) -> Result<Principal, ScimError> {
        let req = http::Request::get("/Users")
            .header("Authorization", format!("Bearer {token}"))
            .body(())
            .unwrap();
        block_on(p.authenticate(&req.into_parts().0))
    }

    fn counter_entropy() -> impl Fn() -> Result<[u8; 32], String> + Send + Sync {
        let n = std::sync::atomic::AtomicU8::new(0);
        move || {
            let mut b = [0u8; 32];
            b[0] = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            b[1] = 0xa5;
            Ok(b)
        }
    }

    #[test]
    fn operator_tokens_follow_disable_rotate_and_revoke() {
        let p = Provisioning::new().with_entropy(counter_entropy());
        block_on(p.create_tenant("a", IdpDialect::EntraId)).unwrap();
        block_on(p.create_tenant("b", IdpDialect::Generic)).unwrap();
        block_on(p.enable_provisioning_with_token("a", "operator-token")).unwrap();
        let b = block_on(p.enable_provisioning("b")).unwrap();
        let pa = auth(&p, "operator-token").unwrap();
        assert_eq!(pa.tenant.as_str(), "a");
        assert_eq!(pa.profile, Some(Profile::entra_id()));
        assert_eq!(auth(&p, b.expose()).unwrap().profile, None);

        block_on(p.disable_provisioning("a")).unwrap();
        let e = auth(&p, "operator-token").unwrap_err();
        assert_eq!(e.status(), 403);
        assert!(e.detail().contains("disabled"));
        assert!(auth(&p, b.expose()).is_ok(), "other tenants unaffected");
        let fresh = block_on(p.enable_provisioning("a")).unwrap();
        assert_eq!(auth(&p, "operator-token").unwrap_err().status(), 401);
        assert!(auth(&p, fresh.expose()).is_ok());

        let rotated = block_on(p.rotate_token("a")).unwrap();
        assert_eq!(auth(&p, fresh.expose()).unwrap_err().status(), 401);
        assert!(auth(&p, rotated.expose()).is_ok());
        block_on(p.revoke_token("a")).unwrap();
        assert_eq!(auth(&p, rotated.expose()).unwrap_err().status(), 401);
        assert!(matches!(
            block_on(p.enable_provisioning("a")),
            Err(ProvisioningError::Admin(AdminError::AlreadyEnabled))
        ));
        assert_eq!(auth(&p, "").unwrap_err().status(), 401);
        let dump = format!("{p:?}");
        assert!(!dump.contains("operator-token") && !dump.contains(b.expose()));
    }

    #[test]
    fn bad_input_changes_nothing() {
        let p = Provisioning::new();
        for id in ["", "a/b", "ü", &"x".repeat(65)] {
            assert!(matches!(
                block_on(p.create_tenant(id, IdpDialect::Generic)),
                Err(ProvisioningError::InvalidTenantId(_))
            ));
        }
        assert!(block_on(p.tenant_ids()).unwrap().is_empty());
        block_on(p.create_tenant("t", IdpDialect::Okta)).unwrap();
        assert!(block_on(p.create_tenant("t", IdpDialect::Okta)).is_err());
        for email in ["", "no-at", "a@", "@b", "a b@c.d", "a@b@c"] {
            assert!(block_on(p.add_account("t", email, "x", JoinedVia::Invite)).is_err());
        }
        assert!(block_on(p.accounts("t")).unwrap().is_empty());
        block_on(p.add_account("t", "Ada@Example.com", "Ada", JoinedVia::Manual)).unwrap();
        assert!(block_on(p.add_account("t", "ada@example.com", "Ada", JoinedVia::Manual)).is_err());
        assert!(block_on(p.suspend("t", "nobody@example.com")).is_err());
        assert!(block_on(p.suspend("nope", "ada@example.com")).is_err());
        assert!(matches!(
            block_on(p.forget_account("t", "ada@example.com")),
            Err(ProvisioningError::StillAMember(_))
        ));
        assert_eq!(block_on(p.accounts("t")).unwrap().len(), 1);
    }
}
