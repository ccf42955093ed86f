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
//!   policy's (possibly rewritten) resource. The account effects are applied in
//!   [`Hooks::after_write`], i.e. only once the store write succeeded, by replaying the decision's
//!   [`Effect`]s on the account as it is then (so a concurrent admin suspension is never undone);
//!   the decision is audited at that moment too.
//! - **Reads**: [`Hooks::on_read`] serves [`scim_view`]: `active` is always the account's
//!   `scim_active`, never its effective access.
//! - **A create for the email of a non-SCIM account** of the tenant (added with
//!   [`Provisioning::add_account`], e.g. by domain auto-add) adopts it (or answers 409 by
//!   [`RuleSet::with_existing_account`]).
//! - **DELETE** ends the account's membership; the account is retained (membership `Ended`, no
//!   access, no longer linked to a SCIM resource) and a later create for its email restores it.
//!   That is the retention hook: a product that erases data does so on
//!   [`Effect::EndMembership`], e.g. by calling [`Provisioning::forget_account`].
//! - **Groups** (and any other resource type) pass through unchanged: the preset has no group
//!   policy.
//!
//! No lock is held across an `await`: every hook does its work synchronously under one mutex
//! and returns a ready future.
//!
//! ```
//! use scimkit_dispatch::{block_on, MemoryStore, Provisioning};
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

use crate::auth::{bearer_token, Authenticator, Principal};
use crate::dispatcher::{Dispatcher, DispatcherBuilder};
use crate::hooks::{Hooks, Write, WriteKind};
use crate::store::Store;
use crate::store::TenantId;
use chrono::{DateTime, Utc};
use scimkit_policy::{
    decide, disabled_error, scim_view, Account, AdminError, AuditEntry, AuditRecord, Decision,
    Effect, IdpDialect, JoinedVia, Operation, PolicyTemplate, ProvisioningToken, RegistrationMode,
    RuleSet, TemplateId, Tenant, TokenDigest, Verdict, Warning,
};
use scimkit_schema::{PatchOp, Profile, ScimError};
use serde_json::Value;
use std::collections::HashMap;
use std::future::{ready, Future};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// How many accepted-but-not-yet-stored decisions a tenant keeps waiting for their store write
/// (a write that failed in the store leaves one behind; the oldest go first).
const MAX_PENDING: usize = 256;

/// Why a [`Provisioning`] operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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

/// A decision accepted before the store write, waiting for [`Hooks::after_write`].
#[derive(Debug)]
struct Pending {
    kind: WriteKind,
    /// The resource id, or for a create the lower-case identifier.
    key: String,
    /// What was handed to the store (without `id` and `meta`), to recognise the write.
    resource: Option<Value>,
    /// The account key (lower-case email) the decision was made for, if an account existed.
    account_key: Option<String>,
    /// The account as the decision computed it (used when there was no account).
    account: Account,
    effects: Vec<Effect>,
    record: AuditRecord,
}

/// One tenant: its policy state, its accounts and the links from SCIM ids to accounts.
#[derive(Debug)]
struct TenantState {
    tenant: Tenant,
    /// Accounts by lower-case email.
    accounts: HashMap<String, Account>,
    /// SCIM User id → account key.
    links: HashMap<String, String>,
    pending: Vec<Pending>,
}

/// A token the tenant accepts.
#[derive(Debug, Clone)]
struct TokenEntry {
    tenant: String,
    /// Chosen by the operator ([`Provisioning::enable_provisioning_with_token`]) rather than
    /// issued by the tenant, so the tenant's own digest does not know it.
    operator: bool,
}

#[derive(Debug, Default)]
struct State {
    tenants: HashMap<String, TenantState>,
    /// Current token digests → tenant.
    tokens: HashMap<TokenDigest, TokenEntry>,
    /// The last token of a tenant whose provisioning was disabled → tenant id, so that token
    /// gets "provisioning is disabled" rather than "invalid token".
    disabled: HashMap<TokenDigest, String>,
}

type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;
type Entropy = Arc<dyn Fn() -> Result<[u8; 32], String> + Send + Sync>;

/// Tenants' provisioning policy and accounts, in memory: the [`Hooks`] and the
/// [`Authenticator`] of a dispatcher (see the [module documentation](crate::provisioning)).
///
/// Cheap to clone; clones share the state, so the admin API ([`AdminApi`](crate::AdminApi))
/// and the dispatcher see the same tenants.
#[derive(Clone)]
pub struct Provisioning {
    state: Arc<Mutex<State>>,
    rules: RuleSet,
    clock: Clock,
    entropy: Entropy,
}

impl std::fmt::Debug for Provisioning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provisioning")
            .field("tenants", &self.lock().tenants.len())
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

fn key_of(email: &str) -> String {
    email.trim().to_lowercase()
}

fn is_user(resource_type: &str) -> bool {
    resource_type.eq_ignore_ascii_case("User")
}

/// `resource` without what the store maintains (`id`, `meta`, a User's computed `groups`), to
/// compare what was proposed with what the store returned.
fn content(resource: &Value) -> Value {
    let mut v = resource.clone();
    if let Value::Object(map) = &mut v {
        map.retain(|k, _| {
            !["id", "meta", "groups"]
                .iter()
                .any(|s| k.eq_ignore_ascii_case(s))
        });
    }
    v
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

/// The dispatcher profile for a tenant's identity provider.
fn profile_of(dialect: IdpDialect) -> Option<Profile> {
    match dialect {
        IdpDialect::Generic => None,
        IdpDialect::EntraId => Some(Profile::entra_id()),
        IdpDialect::Okta => Some(Profile::okta()),
    }
}

impl Provisioning {
    /// No tenants; new tenants get [`RuleSet::tresorit`]; the system clock and the operating
    /// system's random generator.
    pub fn new() -> Self {
        Provisioning {
            state: Arc::default(),
            rules: RuleSet::tresorit(),
            clock: Arc::new(system_now),
            entropy: Arc::new(os_entropy),
        }
    }

    /// The rule set tenants created from now on get.
    pub fn with_rules(mut self, rules: RuleSet) -> Self {
        self.rules = rules;
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

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// Runs `f` on a tenant's state under the lock.
    fn with_state<R>(
        &self,
        tenant: &str,
        f: impl FnOnce(&mut TenantState, DateTime<Utc>) -> Result<R, ProvisioningError>,
    ) -> Result<R, ProvisioningError> {
        let now = self.now();
        let mut state = self.lock();
        let t = state
            .tenants
            .get_mut(tenant)
            .ok_or_else(|| ProvisioningError::UnknownTenant(tenant.to_owned()))?;
        f(t, now)
    }

    // ----- tenants -----

    /// Creates a tenant (provisioning off, one template "Default") for an identity provider.
    pub fn create_tenant(&self, id: &str, dialect: IdpDialect) -> Result<(), ProvisioningError> {
        if !valid_tenant_id(id) {
            return Err(ProvisioningError::InvalidTenantId(id.to_owned()));
        }
        let mut state = self.lock();
        if state.tenants.contains_key(id) {
            return Err(ProvisioningError::TenantExists(id.to_owned()));
        }
        let mut tenant = Tenant::new(id, self.rules.clone());
        tenant.set_dialect(dialect);
        state.tenants.insert(
            id.to_owned(),
            TenantState {
                tenant,
                accounts: HashMap::new(),
                links: HashMap::new(),
                pending: Vec::new(),
            },
        );
        Ok(())
    }

    /// The tenants' ids, sorted.
    pub fn tenant_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.lock().tenants.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// A copy of a tenant's policy state (settings, rules, templates, token digest, audit log).
    pub fn tenant(&self, id: &str) -> Option<Tenant> {
        self.lock().tenants.get(id).map(|t| t.tenant.clone())
    }

    /// Replaces a tenant's rule set.
    pub fn set_rules(&self, tenant: &str, rules: RuleSet) -> Result<(), ProvisioningError> {
        self.with_state(tenant, |t, _| {
            t.tenant.set_rules(rules);
            Ok(())
        })
    }

    /// Sets a tenant's identity provider (which picks the request normalisation).
    pub fn set_dialect(&self, tenant: &str, dialect: IdpDialect) -> Result<(), ProvisioningError> {
        self.with_state(tenant, |t, _| {
            t.tenant.set_dialect(dialect);
            Ok(())
        })
    }

    // ----- provisioning and tokens -----

    fn entropy(&self) -> Result<[u8; 32], ProvisioningError> {
        (self.entropy)().map_err(ProvisioningError::Entropy)
    }

    /// Turns provisioning on and returns a new SCIM token, to show once; only its digest is kept.
    pub fn enable_provisioning(
        &self,
        tenant: &str,
    ) -> Result<ProvisioningToken, ProvisioningError> {
        self.enable(tenant, None)
    }

    /// Turns provisioning on with a token the operator chose (e.g. from the command line or a
    /// secret store) instead of a generated one; only its digest is kept. Disable, rotate and
    /// revoke treat it like a generated token. Choose a long random token.
    pub fn enable_provisioning_with_token(
        &self,
        tenant: &str,
        token: &str,
    ) -> Result<(), ProvisioningError> {
        self.enable(tenant, Some(token)).map(drop)
    }

    /// Enables provisioning and registers the token that opens the tenant's SCIM endpoint: the
    /// operator's when given (the tenant's own generated token is then never shown, so only the
    /// operator's works), else the generated one.
    fn enable(
        &self,
        tenant: &str,
        operator_token: Option<&str>,
    ) -> Result<ProvisioningToken, ProvisioningError> {
        let entropy = self.entropy()?;
        let now = self.now();
        let mut state = self.lock();
        let State {
            tenants,
            tokens,
            disabled,
        } = &mut *state;
        let t = tenants
            .get_mut(tenant)
            .ok_or_else(|| ProvisioningError::UnknownTenant(tenant.to_owned()))?;
        let token = t.tenant.enable_provisioning(entropy, now)?;
        disabled.retain(|_, id| id != tenant);
        let digest = match operator_token {
            Some(chosen) => Some(TokenDigest::of(chosen.trim())),
            None => t.tenant.token_digest().copied(),
        };
        if let Some(digest) = digest {
            tokens.insert(
                digest,
                TokenEntry {
                    tenant: tenant.to_owned(),
                    operator: operator_token.is_some(),
                },
            );
        }
        Ok(token)
    }

    /// Turns provisioning off: every SCIM request of the tenant is refused until it is enabled
    /// again, which issues a new token.
    pub fn disable_provisioning(&self, tenant: &str) -> Result<(), ProvisioningError> {
        let now = self.now();
        let mut state = self.lock();
        let State {
            tenants,
            tokens,
            disabled,
        } = &mut *state;
        let t = tenants
            .get_mut(tenant)
            .ok_or_else(|| ProvisioningError::UnknownTenant(tenant.to_owned()))?;
        tokens.retain(|d, e| {
            let keep = e.tenant != tenant;
            if !keep {
                disabled.insert(*d, tenant.to_owned());
            }
            keep
        });
        t.tenant.disable_provisioning(now);
        Ok(())
    }

    /// Replaces the SCIM token (provisioning must be on); the old one stops working.
    pub fn rotate_token(&self, tenant: &str) -> Result<ProvisioningToken, ProvisioningError> {
        let entropy = self.entropy()?;
        let now = self.now();
        let mut state = self.lock();
        let State {
            tenants, tokens, ..
        } = &mut *state;
        let t = tenants
            .get_mut(tenant)
            .ok_or_else(|| ProvisioningError::UnknownTenant(tenant.to_owned()))?;
        let token = t.tenant.rotate_token(entropy, now)?;
        tokens.retain(|_, e| e.tenant != tenant);
        if let Some(d) = t.tenant.token_digest() {
            tokens.insert(
                *d,
                TokenEntry {
                    tenant: tenant.to_owned(),
                    operator: false,
                },
            );
        }
        Ok(token)
    }

    /// Revokes the SCIM token without turning provisioning off: SCIM requests get 401 until
    /// [`rotate_token`](Provisioning::rotate_token).
    pub fn revoke_token(&self, tenant: &str) -> Result<(), ProvisioningError> {
        let now = self.now();
        let mut state = self.lock();
        let State {
            tenants, tokens, ..
        } = &mut *state;
        let t = tenants
            .get_mut(tenant)
            .ok_or_else(|| ProvisioningError::UnknownTenant(tenant.to_owned()))?;
        tokens.retain(|_, e| e.tenant != tenant);
        t.tenant.revoke_token(now);
        Ok(())
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
        let state = self.lock();
        let mut out: Vec<(String, Warning)> = state
            .tenants
            .iter()
            .flat_map(|(id, t)| t.tenant.warnings().into_iter().map(|w| (id.clone(), w)))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The audit entries kept in memory with a sequence number greater than `since`, oldest first.
    pub fn audit_log(
        &self,
        tenant: &str,
        since: u64,
    ) -> Result<Vec<AuditEntry>, ProvisioningError> {
        self.with_state(tenant, |t, _| {
            Ok(t.tenant
                .audit_log()
                .filter(|e| e.seq > since)
                .cloned()
                .collect())
        })
    }

    // ----- accounts -----

    /// Adds an account that joined outside SCIM (by `joined_via`: domain auto-add, invite or by
    /// hand), assigned to the tenant's current default template. A later SCIM create for its
    /// email adopts it.
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
        self.with_state(tenant, |t, _| {
            let key = key_of(email);
            if t.accounts.contains_key(&key) {
                return Err(ProvisioningError::AccountExists(email.trim().to_owned()));
            }
            let template = t.tenant.settings().default_template;
            let account = Account::new(email.trim(), name.trim(), template, joined_via);
            t.accounts.insert(key, account.clone());
            Ok(account)
        })
    }

    /// The account with this email (ignoring case).
    pub fn account(&self, tenant: &str, email: &str) -> Option<Account> {
        let state = self.lock();
        state
            .tenants
            .get(tenant)?
            .accounts
            .get(&key_of(email))
            .cloned()
    }

    /// The tenant's accounts, by email.
    pub fn accounts(&self, tenant: &str) -> Result<Vec<Account>, ProvisioningError> {
        self.with_state(tenant, |t, _| {
            let mut v: Vec<Account> = t.accounts.values().cloned().collect();
            v.sort_by_key(|a| key_of(&a.email));
            Ok(v)
        })
    }

    /// The account linked to a SCIM User id.
    pub fn account_of_user(&self, tenant: &str, scim_id: &str) -> Option<Account> {
        let state = self.lock();
        let t = state.tenants.get(tenant)?;
        t.accounts.get(t.links.get(scim_id)?).cloned()
    }

    /// The SCIM User id linked to an account, if SCIM manages it.
    pub fn user_id_of(&self, tenant: &str, email: &str) -> Option<String> {
        let state = self.lock();
        let t = state.tenants.get(tenant)?;
        let key = key_of(email);
        t.links
            .iter()
            .find(|(_, k)| **k == key)
            .map(|(id, _)| id.clone())
    }

    /// Suspends a member locally (`admin_suspended` only; the `active` the IdP reads is unchanged).
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
                .get_mut(&key_of(email))
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
    /// [`Effect::EndMembership`]); a later SCIM create for the email makes a new account.
    pub fn forget_account(&self, tenant: &str, email: &str) -> Result<(), ProvisioningError> {
        self.with_state(tenant, |t, _| {
            let key = key_of(email);
            match t.accounts.get(&key) {
                None => Err(ProvisioningError::UnknownAccount(email.to_owned())),
                Some(a) if a.is_member() => Err(ProvisioningError::StillAMember(a.email.clone())),
                Some(_) => {
                    t.accounts.remove(&key);
                    t.links.retain(|_, k| *k != key);
                    Ok(())
                }
            }
        })
    }

    // ----- the hooks' work, synchronous -----

    fn authenticate_token(&self, token: &str) -> Result<Principal, ScimError> {
        let invalid = || ScimError::unauthorized("invalid or revoked SCIM token");
        let digest = TokenDigest::of(token);
        let state = self.lock();
        let Some(entry) = state.tokens.get(&digest) else {
            // The last token of a tenant whose provisioning is off: say so; anything else: 401.
            let t = state
                .disabled
                .get(&digest)
                .and_then(|id| state.tenants.get(id))
                .filter(|t| !t.tenant.settings().provisioning_enabled)
                .ok_or_else(invalid)?;
            return Err(disabled_error(t.tenant.rules().when_disabled));
        };
        let tenant_id = &entry.tenant;
        let t = state.tenants.get(tenant_id).ok_or_else(invalid)?;
        if entry.operator {
            if !t.tenant.settings().provisioning_enabled {
                return Err(disabled_error(t.tenant.rules().when_disabled));
            }
            if !digest.matches(token) {
                return Err(invalid());
            }
        } else {
            t.tenant.authenticate(token)?;
        }
        Ok(Principal {
            tenant: TenantId::new(tenant_id),
            profile: profile_of(t.tenant.settings().dialect),
            me: None,
        })
    }

    fn decide_write(
        &self,
        write: &Write<'_>,
        proposed: Option<Value>,
    ) -> Result<Option<Value>, ScimError> {
        let now = self.now();
        let mut state = self.lock();
        let t = state
            .tenants
            .get_mut(write.principal.tenant.as_str())
            .ok_or_else(|| {
                ScimError::forbidden("this tenant is not set up for SCIM provisioning")
            })?;
        let rules = t.tenant.rules().clone();
        let (kind, key, account_key) = match write.kind {
            WriteKind::Create => {
                let id = proposed
                    .as_ref()
                    .and_then(|p| rules.identifier_of(p))
                    .map(key_of)
                    .unwrap_or_default();
                let account_key = t.accounts.contains_key(&id).then(|| id.clone());
                (WriteKind::Create, id, account_key)
            }
            kind => {
                let id = write.id.unwrap_or_default().to_owned();
                let account_key = t.links.get(&id).cloned();
                (kind, id, account_key)
            }
        };
        let account_before = account_key.as_ref().and_then(|k| t.accounts.get(k));
        let empty = Value::Null;
        let before = write.before.unwrap_or(&empty);
        // For the audit log: a POST or PUT body as validated and normalised under the
        // tenant's profile; a PATCH's operations with canonical op names.
        let normalized: Option<Value> = match write.kind {
            WriteKind::Create | WriteKind::Replace => proposed.clone(),
            WriteKind::Patch => write
                .raw
                .and_then(|r| serde_json::from_value::<PatchOp>(r.clone()).ok())
                .and_then(|p| serde_json::to_value(p).ok()),
            WriteKind::Delete => None,
        };
        let mut op = match (write.kind, proposed.as_ref()) {
            (WriteKind::Create, Some(p)) => Operation::create(p),
            (WriteKind::Replace, Some(p)) => Operation::replace(before, p),
            (WriteKind::Patch, Some(p)) => Operation::patch(before, p),
            _ => Operation::delete(before),
        };
        if let Some(raw) = write.raw {
            op = op.with_raw(raw);
        }
        if let Some(n) = &normalized {
            op = op.with_normalized(n);
        }
        let decision: Decision = decide(&rules, t.tenant.settings(), account_before, &op);
        let subject = account_before.map(|a| a.email.clone()).or_else(|| {
            op.after
                .or(op.before)
                .and_then(|r| rules.identifier_of(r))
                .map(str::to_owned)
        });
        let record = AuditRecord::from_decision(&op, subject.as_deref(), &decision);
        match decision.verdict {
            Verdict::Reject(e) => {
                t.tenant.record(record, now);
                Err(e)
            }
            Verdict::Apply(applied) => {
                if t.pending.len() >= MAX_PENDING {
                    t.pending.remove(0);
                }
                t.pending.push(Pending {
                    kind,
                    key,
                    resource: applied.resource.as_ref().map(content),
                    account_key,
                    account: applied.account,
                    effects: applied.effects,
                    record,
                });
                Ok(applied.resource)
            }
        }
    }

    fn complete_write(&self, write: &Write<'_>, stored: Option<&Value>) {
        let now = self.now();
        let mut state = self.lock();
        let Some(t) = state.tenants.get_mut(write.principal.tenant.as_str()) else {
            return;
        };
        let rules = t.tenant.rules().clone();
        let key = match write.kind {
            WriteKind::Create => stored
                .and_then(|s| rules.identifier_of(s))
                .map(key_of)
                .unwrap_or_default(),
            _ => write.id.unwrap_or_default().to_owned(),
        };
        let stored_content = stored.map(content);
        let candidates = |p: &Pending| p.kind == write.kind && p.key == key;
        // The newest decision whose resource is what was stored; else the newest for this key.
        let index = t
            .pending
            .iter()
            .rposition(|p| candidates(p) && p.resource == stored_content)
            .or_else(|| t.pending.iter().rposition(candidates));
        let Some(index) = index else {
            return;
        };
        let pending = t.pending.remove(index);
        let mut account_key = match pending.account_key {
            Some(k) if t.accounts.contains_key(&k) => {
                if let Some(account) = t.accounts.get_mut(&k) {
                    for e in &pending.effects {
                        account.apply_effect(e);
                    }
                }
                k
            }
            _ => {
                let k = key_of(&pending.account.email);
                t.accounts.insert(k.clone(), pending.account);
                k
            }
        };
        // An applied identifier change moves the account to its new key.
        if let Some(new_key) = t.accounts.get(&account_key).map(|a| key_of(&a.email)) {
            if new_key != account_key && !t.accounts.contains_key(&new_key) {
                if let Some(a) = t.accounts.remove(&account_key) {
                    t.accounts.insert(new_key.clone(), a);
                    for k in t.links.values_mut() {
                        if *k == account_key {
                            k.clone_from(&new_key);
                        }
                    }
                    account_key = new_key;
                }
            }
        }
        match write.kind {
            WriteKind::Create => {
                if let Some(id) = stored.and_then(|s| s.get("id")).and_then(Value::as_str) {
                    t.links.insert(id.to_owned(), account_key);
                }
            }
            WriteKind::Delete => {
                t.links.remove(&key);
            }
            WriteKind::Replace | WriteKind::Patch => {}
        }
        t.tenant.record(pending.record, now);
    }

    fn view(&self, principal: &Principal, resource: &Value) -> Option<Value> {
        let id = resource.get("id")?.as_str()?;
        let state = self.lock();
        let t = state.tenants.get(principal.tenant.as_str())?;
        let account = t.accounts.get(t.links.get(id)?)?;
        let active_ok = resource
            .as_object()?
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("active"))
            .map(|(k, v)| (k.as_str(), v))
            .eq([("active", &Value::Bool(account.scim_active))]);
        (!active_ok).then(|| scim_view(resource, account))
    }
}

impl Authenticator for Provisioning {
    fn authenticate(
        &self,
        request: &http::request::Parts,
    ) -> impl Future<Output = Result<Principal, ScimError>> + Send {
        ready(match bearer_token(request) {
            None => Err(ScimError::unauthorized(
                "Authorization: Bearer <token> is required",
            )),
            Some(token) => self.authenticate_token(token),
        })
    }
}

impl Hooks for Provisioning {
    fn before_write(
        &self,
        write: &Write<'_>,
        proposed: Value,
    ) -> impl Future<Output = Result<Value, ScimError>> + Send {
        ready(if is_user(write.resource_type) {
            self.decide_write(write, Some(proposed))
                .and_then(|r| r.ok_or_else(|| ScimError::internal("the policy kept no resource")))
        } else {
            Ok(proposed)
        })
    }

    fn before_delete(
        &self,
        write: &Write<'_>,
    ) -> impl Future<Output = Result<(), ScimError>> + Send {
        ready(if is_user(write.resource_type) {
            self.decide_write(write, None).map(|_| ())
        } else {
            Ok(())
        })
    }

    fn after_write(
        &self,
        write: &Write<'_>,
        stored: Option<&Value>,
    ) -> impl Future<Output = ()> + Send {
        if is_user(write.resource_type) {
            self.complete_write(write, stored);
        }
        ready(())
    }

    fn on_read(
        &self,
        principal: &Principal,
        resource_type: &str,
        resource: &Value,
    ) -> Option<Value> {
        if is_user(resource_type) {
            self.view(principal, resource)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block_on;

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
