//! `scimkit-policy` wired into the dispatcher: [`Provisioning`] holds every tenant's
//! [`Tenant`] (settings, templates, token digest, audit log) and its [`Account`]s in memory, and
//! is both the [`Hooks`] and the [`Authenticator`] of a [`Dispatcher`].
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
//! **Locking.** Each tenant's state is behind its own mutex; the tenant map and the token index
//! are behind read-write locks, so tenants never wait for each other. Redacting and excerpting
//! bodies happens before a tenant's lock is taken. No lock is held across an `await`: every hook
//! does its work synchronously and returns a ready future. Lock order: the token index, then a
//! tenant.
//!
//! ```
//! use scimkit_dispatch::MemoryStore;
//! use futures_executor::block_on;
//! use scimkit_provisioning::Provisioning;
//! use scimkit_policy::IdpDialect;
//! use serde_json::json;
//!
//! let prov = Provisioning::new();
//! prov.create_tenant("acme", IdpDialect::Okta).unwrap();
//! let token = prov.enable_provisioning("acme").unwrap();
//! let scim = prov.dispatcher(MemoryStore::new()).build();
//! block_on(async {
//!     let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
//!         "userName": "ada@example.com", "displayName": "Ada Lovelace", "active": true});
//!     let req = http::Request::post("/Users")
//!         .header("Authorization", format!("Bearer {}", token.expose()))
//!         .header("Content-Type", "application/scim+json")
//!         .body(serde_json::to_vec(&user).unwrap())
//!         .unwrap();
//!     assert_eq!(scim.handle_bytes(req).await.status(), 201);
//! });
//! let ada = prov.account("acme", "ADA@example.com").unwrap();
//! assert_eq!(ada.registered_name, "Ada Lovelace");
//! assert!(ada.managed_by_scim);
//! ```

#![forbid(unsafe_code)]

use chrono::{DateTime, Utc};
use scimkit_dispatch::{Dispatcher, DispatcherBuilder};
use scimkit_dispatch::{Hooks, Store, Stored, Write};
use scimkit_policy::{
    identifier_key, Account, AdminError, AuditLimits, AuditPage, IdpDialect, JoinedVia,
    PolicyTemplate, Redactor, RegistrationMode, RuleSet, TemplateId, Tenant, Warning,
};
use scimkit_schema::ScimError;
use serde_json::Value;
use std::collections::HashMap;
use std::future::{ready, Future};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

mod accounts;
pub mod admin;
mod tokens;
mod writes;

use accounts::AccountIndex;
pub use accounts::{AccountPage, MAX_ACCOUNT_PAGE};
pub use admin::AdminApi;
use tokens::Tokens;
pub use writes::Accepted;

/// Why a [`Provisioning`] operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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
}

/// One tenant: its policy state, its accounts and the links from SCIM ids to accounts.
#[derive(Debug)]
struct TenantState {
    tenant: Tenant,
    accounts: AccountIndex,
}

type TenantCell = Arc<Mutex<TenantState>>;

#[derive(Debug, Default)]
struct Shared {
    tenants: RwLock<HashMap<String, TenantCell>>,
    tokens: RwLock<Tokens>,
}

type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;
type Entropy = Arc<dyn Fn() -> Result<[u8; 32], String> + Send + Sync>;

/// Tenants' provisioning policy and accounts, in memory: the [`Hooks`] and the
/// [`Authenticator`] of a dispatcher (see the [module documentation](crate)).
///
/// Cheap to clone; clones share the state, so the admin API ([`AdminApi`](crate::AdminApi))
/// and the dispatcher see the same tenants.
#[derive(Clone)]
pub struct Provisioning {
    shared: Arc<Shared>,
    rules: RuleSet,
    audit_limits: AuditLimits,
    redactor: Arc<Redactor>,
    clock: Clock,
    entropy: Entropy,
}

impl std::fmt::Debug for Provisioning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provisioning")
            .field("tenants", &read(&self.shared.tenants).len())
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

fn lock(cell: &TenantCell) -> MutexGuard<'_, TenantState> {
    cell.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(PoisonError::into_inner)
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
    /// No tenants; new tenants get [`RuleSet::tresorit`] and [`AuditLimits::default`]; bodies
    /// are redacted by [`Redactor::default`]; the system clock and the operating system's
    /// random generator.
    pub fn new() -> Self {
        Provisioning {
            shared: Arc::default(),
            rules: RuleSet::tresorit(),
            audit_limits: AuditLimits::default(),
            redactor: Arc::new(Redactor::default()),
            clock: Arc::new(system_now),
            entropy: Arc::new(os_entropy),
        }
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

    /// A dispatcher builder over `store` with this provisioning state as both the authenticator
    /// and the hooks: `prov.dispatcher(MemoryStore::new()).config(config).build()`.
    pub fn dispatcher<S: Store>(
        &self,
        store: S,
    ) -> DispatcherBuilder<S, Provisioning, Provisioning> {
        Dispatcher::builder(store, self.clone()).hooks(self.clone())
    }

    fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    fn tenant_arc(&self, id: &str) -> Option<TenantCell> {
        read(&self.shared.tenants).get(id).cloned()
    }

    /// Runs `f` on a tenant's state under its lock.
    fn with_state<R>(
        &self,
        tenant: &str,
        f: impl FnOnce(&mut TenantState, DateTime<Utc>) -> Result<R, ProvisioningError>,
    ) -> Result<R, ProvisioningError> {
        let now = self.now();
        let cell = self
            .tenant_arc(tenant)
            .ok_or_else(|| ProvisioningError::UnknownTenant(tenant.to_owned()))?;
        let mut t = lock(&cell);
        f(&mut t, now)
    }

    // ----- tenants -----

    /// Creates a tenant (provisioning off, one template "Default") for an identity provider.
    pub fn create_tenant(&self, id: &str, dialect: IdpDialect) -> Result<(), ProvisioningError> {
        if !valid_tenant_id(id) {
            return Err(ProvisioningError::InvalidTenantId(id.to_owned()));
        }
        let mut tenants = write(&self.shared.tenants);
        if tenants.contains_key(id) {
            return Err(ProvisioningError::TenantExists(id.to_owned()));
        }
        let mut tenant = Tenant::new(id, self.rules.clone());
        tenant.set_dialect(dialect);
        tenant.set_audit_limits(self.audit_limits);
        tenants.insert(
            id.to_owned(),
            Arc::new(Mutex::new(TenantState {
                tenant,
                accounts: AccountIndex::default(),
            })),
        );
        Ok(())
    }

    /// The tenants' ids, sorted.
    pub fn tenant_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = read(&self.shared.tenants).keys().cloned().collect();
        ids.sort();
        ids
    }

    /// A copy of a tenant's policy state (settings, rules, templates, token digest, audit log,
    /// up to its byte budget): to read a few fields, prefer
    /// [`with_tenant`](Provisioning::with_tenant).
    pub fn tenant(&self, id: &str) -> Option<Tenant> {
        self.with_state(id, |t, _| Ok(t.tenant.clone())).ok()
    }

    /// Runs `f` on a tenant's policy state without copying it (e.g. to read its settings).
    pub fn with_tenant<R>(&self, id: &str, f: impl FnOnce(&Tenant) -> R) -> Option<R> {
        self.with_state(id, |t, _| Ok(f(&t.tenant))).ok()
    }

    /// Replaces a tenant's rule set.
    pub fn set_rules(&self, tenant: &str, rules: RuleSet) -> Result<(), ProvisioningError> {
        self.with_state(tenant, |t, _| {
            t.tenant.set_rules(rules);
            Ok(())
        })
    }

    /// Sets a tenant's identity provider (which picks the request normalisation; see
    /// [`IdpDialect`]).
    pub fn set_dialect(&self, tenant: &str, dialect: IdpDialect) -> Result<(), ProvisioningError> {
        self.with_state(tenant, |t, _| {
            t.tenant.set_dialect(dialect);
            Ok(())
        })
    }

    /// Sets a tenant's audit log bounds.
    pub fn set_audit_limits(
        &self,
        tenant: &str,
        limits: AuditLimits,
    ) -> Result<(), ProvisioningError> {
        self.with_state(tenant, |t, _| {
            t.tenant.set_audit_limits(limits);
            Ok(())
        })
    }

    // ----- templates and domains -----

    /// The tenant's policy templates.
    pub fn templates(&self, tenant: &str) -> Result<Vec<PolicyTemplate>, ProvisioningError> {
        self.with_state(tenant, |t, _| Ok(t.tenant.templates().to_vec()))
    }

    /// Creates a policy template.
    pub fn create_template(
        &self,
        tenant: &str,
        name: &str,
    ) -> Result<TemplateId, ProvisioningError> {
        self.with_state(tenant, |t, now| Ok(t.tenant.create_template(name, now)?))
    }

    /// Sets the template SCIM creates get from now on (existing accounts keep theirs).
    pub fn set_default_template(
        &self,
        tenant: &str,
        template: TemplateId,
    ) -> Result<(), ProvisioningError> {
        self.with_state(tenant, |t, now| {
            Ok(t.tenant.set_default_template(template, now)?)
        })
    }

    /// Adds a verified domain.
    pub fn add_domain(
        &self,
        tenant: &str,
        domain: &str,
        mode: RegistrationMode,
    ) -> Result<(), ProvisioningError> {
        self.with_state(tenant, |t, now| {
            Ok(t.tenant.add_domain(domain, mode, now)?)
        })
    }

    /// Removes a verified domain.
    pub fn remove_domain(&self, tenant: &str, domain: &str) -> Result<(), ProvisioningError> {
        self.with_state(tenant, |t, now| Ok(t.tenant.remove_domain(domain, now)?))
    }

    /// Sets a verified domain's registration mode.
    pub fn set_domain_mode(
        &self,
        tenant: &str,
        domain: &str,
        mode: RegistrationMode,
    ) -> Result<(), ProvisioningError> {
        self.with_state(tenant, |t, now| {
            Ok(t.tenant.set_domain_mode(domain, mode, now)?)
        })
    }

    /// The configuration lint (e.g. an `AddAutomatically` domain while provisioning is on).
    pub fn warnings(&self, tenant: &str) -> Result<Vec<Warning>, ProvisioningError> {
        self.with_state(tenant, |t, _| Ok(t.tenant.warnings()))
    }

    /// Every tenant's warnings, by tenant id (for a start-up log).
    pub fn all_warnings(&self) -> Vec<(String, Warning)> {
        let mut out = Vec::new();
        for id in self.tenant_ids() {
            if let Ok(ws) = self.warnings(&id) {
                out.extend(ws.into_iter().map(|w| (id.clone(), w)));
            }
        }
        out
    }

    /// Up to `limit` (at most [`MAX_AUDIT_PAGE`](scimkit_policy::MAX_AUDIT_PAGE)) audit
    /// entries with a sequence number greater than `since`, oldest first, and the `since` of
    /// the next page when more remain.
    pub fn audit_page(
        &self,
        tenant: &str,
        since: u64,
        limit: usize,
    ) -> Result<AuditPage, ProvisioningError> {
        self.with_state(tenant, |t, _| Ok(t.tenant.audit_page(since, limit)))
    }

    /// How many bytes a tenant's in-memory audit log accounts for (its entries' compact JSON).
    pub fn audit_bytes(&self, tenant: &str) -> Result<usize, ProvisioningError> {
        self.with_state(tenant, |t, _| Ok(t.tenant.audit().accounted_bytes()))
    }

    // ----- accounts -----

    /// Adds an account that joined outside SCIM (by `joined_via`: domain auto-add, invite or by
    /// hand), assigned to the tenant's current default template, and audits it. A later SCIM
    /// create for its email adopts it.
    pub fn add_account(
        &self,
        tenant: &str,
        email: &str,
        name: &str,
        joined_via: JoinedVia,
    ) -> Result<Account, ProvisioningError> {
        if !looks_like_email(email) {
            return Err(ProvisioningError::InvalidEmail(email.to_owned()));
        }
        self.with_state(tenant, |t, now| {
            if t.accounts.contains(&identifier_key(email)) {
                return Err(ProvisioningError::AccountExists(email.trim().to_owned()));
            }
            let account = t.tenant.add_account(email, name, joined_via, now);
            t.accounts.insert(account.clone());
            Ok(account)
        })
    }

    /// The account with this email (by [`identifier_key`]).
    pub fn account(&self, tenant: &str, email: &str) -> Option<Account> {
        self.with_state(tenant, |t, _| {
            Ok(t.accounts.get(&identifier_key(email)).cloned())
        })
        .ok()
        .flatten()
    }

    /// The tenant's accounts, by email. For large tenants, page with
    /// [`accounts_page`](Provisioning::accounts_page).
    pub fn accounts(&self, tenant: &str) -> Result<Vec<Account>, ProvisioningError> {
        self.with_state(tenant, |t, _| Ok(t.accounts.all().cloned().collect()))
    }

    /// Up to `limit` (at most [`MAX_ACCOUNT_PAGE`]) accounts after `cursor` (the `next` of the
    /// previous page), in email order, each with its SCIM User id; with `q`, only those whose
    /// email or registered name contains it (ignoring case).
    pub fn accounts_page(
        &self,
        tenant: &str,
        cursor: Option<&str>,
        limit: usize,
        q: Option<&str>,
    ) -> Result<AccountPage, ProvisioningError> {
        self.with_state(tenant, |t, _| Ok(t.accounts.page(cursor, limit, q)))
    }

    /// The account linked to a SCIM User id.
    pub fn account_of_user(&self, tenant: &str, scim_id: &str) -> Option<Account> {
        self.with_state(tenant, |t, _| {
            Ok(t.accounts
                .key_of_user(scim_id)
                .and_then(|k| t.accounts.get(k))
                .cloned())
        })
        .ok()
        .flatten()
    }

    /// The SCIM User id linked to an account, if SCIM manages it.
    pub fn user_id_of(&self, tenant: &str, email: &str) -> Option<String> {
        self.with_state(tenant, |t, _| {
            Ok(t.accounts.user_of_key(&identifier_key(email)).cloned())
        })
        .ok()
        .flatten()
    }

    /// Suspends a member locally (`admin_suspended` only; the `active` the IdP reads is
    /// unchanged). Suspending a suspended account changes nothing and is not audited again.
    pub fn suspend(&self, tenant: &str, email: &str) -> Result<Account, ProvisioningError> {
        self.set_suspended(tenant, email, true)
    }

    /// Lifts a local suspension.
    pub fn unsuspend(&self, tenant: &str, email: &str) -> Result<Account, ProvisioningError> {
        self.set_suspended(tenant, email, false)
    }

    fn set_suspended(
        &self,
        tenant: &str,
        email: &str,
        suspended: bool,
    ) -> Result<Account, ProvisioningError> {
        self.with_state(tenant, |t, now| {
            let account = t
                .accounts
                .get_mut(&identifier_key(email))
                .ok_or_else(|| ProvisioningError::UnknownAccount(email.to_owned()))?;
            if suspended {
                t.tenant.suspend(account, now)?;
            } else {
                t.tenant.unsuspend(account, now)?;
            }
            Ok(account.clone())
        })
    }

    /// Erases a retained account whose membership ended (the product's retention decision after
    /// [`Effect::EndMembership`](scimkit_policy::Effect::EndMembership)); a later SCIM create for
    /// the email makes a new account.
    pub fn forget_account(&self, tenant: &str, email: &str) -> Result<(), ProvisioningError> {
        self.with_state(tenant, |t, _| {
            let key = identifier_key(email);
            match t.accounts.get(&key) {
                None => Err(ProvisioningError::UnknownAccount(email.to_owned())),
                Some(a) if a.is_member() => Err(ProvisioningError::StillAMember(a.email.clone())),
                Some(_) => {
                    t.accounts.remove(&key);
                    Ok(())
                }
            }
        })
    }
}

impl<S: Store> Hooks<S> for Provisioning {
    /// What the policy accepted for a User write (nothing for other types).
    type Decision = Option<Accepted>;

    fn before_write(
        &self,
        _tx: &mut S::Tx,
        write: &Write<'_>,
        proposed: Value,
    ) -> impl Future<Output = Result<(Value, Option<Accepted>), ScimError>> + Send {
        ready(if is_user(write.resource_type) {
            self.decide_write(write, Some(proposed))
                .and_then(|(resource, accepted)| {
                    let resource = resource
                        .ok_or_else(|| ScimError::internal("the policy kept no resource"))?;
                    Ok((resource, Some(accepted)))
                })
        } else {
            Ok((proposed, None))
        })
    }

    fn before_delete(
        &self,
        _tx: &mut S::Tx,
        write: &Write<'_>,
    ) -> impl Future<Output = Result<Option<Accepted>, ScimError>> + Send {
        ready(if is_user(write.resource_type) {
            self.decide_write(write, None)
                .map(|(_, accepted)| Some(accepted))
        } else {
            Ok(None)
        })
    }

    fn after_write(
        &self,
        _tx: &mut S::Tx,
        write: &Write<'_>,
        stored: Option<&Stored>,
        decision: Option<Accepted>,
    ) -> impl Future<Output = Result<(), ScimError>> + Send {
        if let Some(accepted) = decision {
            self.complete_write(write, stored, accepted);
        }
        ready(Ok(()))
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
        p.create_tenant("a", IdpDialect::EntraId).unwrap();
        p.create_tenant("b", IdpDialect::Generic).unwrap();
        p.enable_provisioning_with_token("a", "operator-token")
            .unwrap();
        let b = p.enable_provisioning("b").unwrap();
        let pa = auth(&p, "operator-token").unwrap();
        assert_eq!(pa.tenant.as_str(), "a");
        assert_eq!(pa.profile, Some(Profile::entra_id()));
        assert_eq!(auth(&p, b.expose()).unwrap().profile, None);

        p.disable_provisioning("a").unwrap();
        let e = auth(&p, "operator-token").unwrap_err();
        assert_eq!(e.status(), 403);
        assert!(e.detail().contains("disabled"));
        assert!(auth(&p, b.expose()).is_ok(), "other tenants unaffected");
        let fresh = p.enable_provisioning("a").unwrap();
        assert_eq!(auth(&p, "operator-token").unwrap_err().status(), 401);
        assert!(auth(&p, fresh.expose()).is_ok());

        let rotated = p.rotate_token("a").unwrap();
        assert_eq!(auth(&p, fresh.expose()).unwrap_err().status(), 401);
        assert!(auth(&p, rotated.expose()).is_ok());
        p.revoke_token("a").unwrap();
        assert_eq!(auth(&p, rotated.expose()).unwrap_err().status(), 401);
        assert!(matches!(
            p.enable_provisioning("a"),
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
                p.create_tenant(id, IdpDialect::Generic),
                Err(ProvisioningError::InvalidTenantId(_))
            ));
        }
        assert!(p.tenant_ids().is_empty());
        p.create_tenant("t", IdpDialect::Okta).unwrap();
        assert!(p.create_tenant("t", IdpDialect::Okta).is_err());
        for email in ["", "no-at", "a@", "@b", "a b@c.d", "a@b@c"] {
            assert!(p.add_account("t", email, "x", JoinedVia::Invite).is_err());
        }
        assert!(p.accounts("t").unwrap().is_empty());
        p.add_account("t", "Ada@Example.com", "Ada", JoinedVia::Manual)
            .unwrap();
        assert!(p
            .add_account("t", "ada@example.com", "Ada", JoinedVia::Manual)
            .is_err());
        assert!(p.suspend("t", "nobody@example.com").is_err());
        assert!(p.suspend("nope", "ada@example.com").is_err());
        assert!(matches!(
            p.forget_account("t", "ada@example.com"),
            Err(ProvisioningError::StillAMember(_))
        ));
        assert_eq!(p.accounts("t").unwrap().len(), 1);
    }
}
