//! The tenant administrator's operations, as a library API: [`Tenant`].

use crate::account::{Account, TemplateId};
use crate::audit::{hex, AdminEvent, AuditEntry, AuditLimits, AuditLog, AuditPage, AuditRecord};
use crate::decision::{Decision, Operation};
use crate::engine::{decide, disabled_error};
use crate::rules::RuleSet;
use crate::settings::{IdpDialect, RegistrationMode, TenantSettings, VerifiedDomain, Warning};
use chrono::{DateTime, Utc};
use scimkit_schema::ScimError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

/// A policy template (a named set of product policies users are assigned to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyTemplate {
    /// Its id.
    pub id: TemplateId,
    /// Its name, unique in the tenant ignoring case.
    pub name: String,
}

/// Why an admin operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// No template has this id.
    #[error("no policy template with id {}", .0 .0)]
    UnknownTemplate(TemplateId),
    /// A template with this name exists.
    #[error("a policy template named {0:?} already exists")]
    DuplicateTemplate(String),
    /// The template name is empty.
    #[error("a policy template needs a name")]
    EmptyTemplateName,
    /// Not a domain name.
    #[error("{0:?} is not a domain name")]
    InvalidDomain(String),
    /// The domain is already verified.
    #[error("domain {0} is already verified")]
    DuplicateDomain(String),
    /// The domain is not among the verified domains.
    #[error("domain {0} is not verified")]
    UnknownDomain(String),
    /// Provisioning is already on (use rotate to get a new token).
    #[error("provisioning is already enabled; rotate the token to get a new one")]
    AlreadyEnabled,
    /// Provisioning is off.
    #[error("provisioning is disabled")]
    NotEnabled,
    /// The entropy given for a token is obviously not random (all bytes equal).
    #[error("the token entropy is not random; use the operating system's random generator")]
    WeakEntropy,
    /// The account is not a member of the tenant.
    #[error("{0} is not a member of the tenant")]
    NotAMember(String),
}

/// A freshly issued SCIM bearer token. Show it once; the tenant keeps only its [`TokenDigest`].
/// `Debug` does not print it.
#[derive(Clone, PartialEq, Eq)]
pub struct ProvisioningToken(String);

impl ProvisioningToken {
    /// The secret, for the one time it is shown to the administrator.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ProvisioningToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProvisioningToken([hidden])")
    }
}

/// The SHA-256 digest of a token: what is stored, and what a dispatcher can index tenants by.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TokenDigest([u8; 32]);

impl TokenDigest {
    /// The digest of a presented token.
    pub fn of(token: &str) -> Self {
        TokenDigest(Sha256::digest(token.as_bytes()).into())
    }

    /// Whether `presented` is the token this is the digest of, comparing in constant time.
    pub fn matches(&self, presented: &str) -> bool {
        bool::from(Self::of(presented).0.ct_eq(&self.0))
    }
}

impl fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenDigest({})", hex(&self.0[..4]))
    }
}

/// The prefix of every token, so secret scanners can recognise a leaked one.
pub const TOKEN_PREFIX: &str = "scimkit_";

/// One tenant's provisioning configuration: settings, rule set, policy templates, the SCIM token
/// digest and the audit log. Accounts and SCIM resources live in the product's store; the account
/// operations here take the account and change it in place.
///
/// Every method that changes something takes `now` for the audit log (the crate reads no clock).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use scimkit_policy::{RegistrationMode, RuleSet, Tenant, WarningCode};
///
/// let now = Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap();
/// let mut t = Tenant::new("acme", RuleSet::tresorit());
/// t.add_domain("Example.com", RegistrationMode::AddAutomatically, now).unwrap();
/// // Random bytes from the OS in real use, e.g. getrandom::fill.
/// let token = t.enable_provisioning([7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
///     17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31], now).unwrap();
/// assert!(t.authenticate(token.expose()).is_ok());
/// assert_eq!(t.warnings()[0].code, WarningCode::AutoAddDomainWithProvisioning);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    id: String,
    settings: TenantSettings,
    rules: RuleSet,
    templates: Vec<PolicyTemplate>,
    token: Option<TokenDigest>,
    audit: AuditLog,
}

impl Tenant {
    /// A tenant with one policy template, "Default" ([`TemplateId`] 1), as the default;
    /// provisioning off.
    pub fn new(id: impl Into<String>, rules: RuleSet) -> Self {
        let default = TemplateId(1);
        Tenant {
            id: id.into(),
            settings: TenantSettings::new(default),
            rules,
            templates: vec![PolicyTemplate {
                id: default,
                name: "Default".into(),
            }],
            token: None,
            audit: AuditLog::default(),
        }
    }

    /// The tenant's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The current settings.
    pub fn settings(&self) -> &TenantSettings {
        &self.settings
    }

    /// The rule set.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Replaces the rule set (a product decision, not audited).
    pub fn set_rules(&mut self, rules: RuleSet) {
        self.rules = rules;
    }

    /// Sets the identity provider's dialect.
    pub fn set_dialect(&mut self, dialect: IdpDialect) {
        self.settings.dialect = dialect;
    }

    /// Keeps at most `capacity` audit entries in memory (the oldest go first); persist them with
    /// [`drain_audit`](Tenant::drain_audit) to keep more.
    pub fn set_audit_capacity(&mut self, capacity: usize) {
        let limits = self.audit.limits().with_max_entries(capacity);
        self.audit.set_limits(limits);
    }

    /// Bounds the in-memory audit log by entries and by bytes (the oldest go first).
    pub fn set_audit_limits(&mut self, limits: AuditLimits) {
        self.audit.set_limits(limits);
    }

    // ----- templates -----

    /// The policy templates.
    pub fn templates(&self) -> &[PolicyTemplate] {
        &self.templates
    }

    /// Creates a policy template.
    pub fn create_template(
        &mut self,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<TemplateId, AdminError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(AdminError::EmptyTemplateName);
        }
        if self
            .templates
            .iter()
            .any(|t| t.name.to_lowercase() == name.to_lowercase())
        {
            return Err(AdminError::DuplicateTemplate(name.to_owned()));
        }
        let id = TemplateId(self.templates.iter().map(|t| t.id.0).max().unwrap_or(0) + 1);
        self.templates.push(PolicyTemplate {
            id,
            name: name.to_owned(),
        });
        self.log_admin(
            AdminEvent::TemplateCreated {
                template: id,
                name: name.to_owned(),
            },
            now,
        );
        Ok(id)
    }

    /// Makes `template` the default for users created from now on; existing users keep theirs.
    pub fn set_default_template(
        &mut self,
        template: TemplateId,
        now: DateTime<Utc>,
    ) -> Result<(), AdminError> {
        if !self.templates.iter().any(|t| t.id == template) {
            return Err(AdminError::UnknownTemplate(template));
        }
        self.settings.default_template = template;
        self.log_admin(AdminEvent::DefaultTemplateSet { template }, now);
        Ok(())
    }

    // ----- verified domains -----

    /// Adds a verified domain (stored lower case, without a leading `@`).
    pub fn add_domain(
        &mut self,
        domain: &str,
        mode: RegistrationMode,
        now: DateTime<Utc>,
    ) -> Result<(), AdminError> {
        let domain = normalize_domain(domain)?;
        if self
            .settings
            .verified_domains
            .iter()
            .any(|d| d.domain == domain)
        {
            return Err(AdminError::DuplicateDomain(domain));
        }
        self.settings.verified_domains.push(VerifiedDomain {
            domain: domain.clone(),
            mode,
        });
        self.log_admin(AdminEvent::DomainAdded { domain, mode }, now);
        Ok(())
    }

    /// Removes a verified domain.
    pub fn remove_domain(&mut self, domain: &str, now: DateTime<Utc>) -> Result<(), AdminError> {
        let domain = normalize_domain(domain)?;
        let before = self.settings.verified_domains.len();
        self.settings
            .verified_domains
            .retain(|d| d.domain != domain);
        if self.settings.verified_domains.len() == before {
            return Err(AdminError::UnknownDomain(domain));
        }
        self.log_admin(AdminEvent::DomainRemoved { domain }, now);
        Ok(())
    }

    /// Sets a verified domain's registration mode.
    pub fn set_domain_mode(
        &mut self,
        domain: &str,
        mode: RegistrationMode,
        now: DateTime<Utc>,
    ) -> Result<(), AdminError> {
        let domain = normalize_domain(domain)?;
        let entry = self
            .settings
            .verified_domains
            .iter_mut()
            .find(|d| d.domain == domain)
            .ok_or_else(|| AdminError::UnknownDomain(domain.clone()))?;
        entry.mode = mode;
        self.log_admin(AdminEvent::DomainModeSet { domain, mode }, now);
        Ok(())
    }

    // ----- provisioning and its token -----

    /// Turns provisioning on and issues a token from 32 bytes of entropy, which must come from a
    /// cryptographically secure generator (e.g. `getrandom::fill`). Only the digest is kept.
    pub fn enable_provisioning(
        &mut self,
        entropy: [u8; 32],
        now: DateTime<Utc>,
    ) -> Result<ProvisioningToken, AdminError> {
        if self.settings.provisioning_enabled {
            return Err(AdminError::AlreadyEnabled);
        }
        let token = self.issue(entropy)?;
        self.settings.provisioning_enabled = true;
        self.log_admin(AdminEvent::ProvisioningEnabled, now);
        Ok(token)
    }

    /// Turns provisioning off and forgets the token; re-enabling issues a new one.
    pub fn disable_provisioning(&mut self, now: DateTime<Utc>) {
        self.settings.provisioning_enabled = false;
        self.token = None;
        self.log_admin(AdminEvent::ProvisioningDisabled, now);
    }

    /// Replaces the token with a new one (provisioning must be on).
    pub fn rotate_token(
        &mut self,
        entropy: [u8; 32],
        now: DateTime<Utc>,
    ) -> Result<ProvisioningToken, AdminError> {
        if !self.settings.provisioning_enabled {
            return Err(AdminError::NotEnabled);
        }
        let token = self.issue(entropy)?;
        self.log_admin(AdminEvent::TokenRotated, now);
        Ok(token)
    }

    /// Revokes the token without turning provisioning off: SCIM requests get 401 until
    /// [`rotate_token`](Tenant::rotate_token).
    pub fn revoke_token(&mut self, now: DateTime<Utc>) {
        self.token = None;
        self.log_admin(AdminEvent::TokenRevoked, now);
    }

    /// The digest of the current token, for a dispatcher that indexes tenants by token digest
    /// ([`TokenDigest::of`] the presented bearer token).
    pub fn token_digest(&self) -> Option<&TokenDigest> {
        self.token.as_ref()
    }

    /// Checks a presented bearer token: 401 if there is no token or it does not match (constant
    /// time), the provisioning-disabled error if provisioning is off.
    pub fn authenticate(&self, presented: &str) -> Result<(), ScimError> {
        if !self.settings.provisioning_enabled {
            return Err(disabled_error(self.rules.when_disabled));
        }
        match &self.token {
            Some(digest) if digest.matches(presented.trim()) => Ok(()),
            _ => Err(ScimError::unauthorized("invalid or revoked SCIM token")),
        }
    }

    fn issue(&mut self, entropy: [u8; 32]) -> Result<ProvisioningToken, AdminError> {
        if entropy.iter().all(|b| *b == entropy[0]) {
            return Err(AdminError::WeakEntropy);
        }
        let token = format!("{TOKEN_PREFIX}{}", hex(&entropy));
        self.token = Some(TokenDigest::of(&token));
        Ok(ProvisioningToken(token))
    }

    // ----- accounts -----

    /// Suspends a member locally: sets `admin_suspended` only. The `active` the identity
    /// provider reads is unchanged.
    pub fn suspend(&mut self, account: &mut Account, now: DateTime<Utc>) -> Result<(), AdminError> {
        self.set_suspended(account, true, now)
    }

    /// Lifts a local suspension: clears `admin_suspended` only.
    pub fn unsuspend(
        &mut self,
        account: &mut Account,
        now: DateTime<Utc>,
    ) -> Result<(), AdminError> {
        self.set_suspended(account, false, now)
    }

    fn set_suspended(
        &mut self,
        account: &mut Account,
        suspended: bool,
        now: DateTime<Utc>,
    ) -> Result<(), AdminError> {
        if !account.is_member() {
            return Err(AdminError::NotAMember(account.email.clone()));
        }
        if account.admin_suspended == suspended {
            return Ok(());
        }
        account.admin_suspended = suspended;
        let email = account.email.clone();
        let event = if suspended {
            AdminEvent::UserSuspended { email }
        } else {
            AdminEvent::UserUnsuspended { email }
        };
        self.log_admin(event, now);
        Ok(())
    }

    /// A new member account that joined outside SCIM (`joined_via`), assigned to the current
    /// default template; the addition is audited. Storing it is the caller's business.
    pub fn add_account(
        &mut self,
        email: &str,
        registered_name: &str,
        joined_via: crate::account::JoinedVia,
        now: DateTime<Utc>,
    ) -> Account {
        let account = Account::new(
            email.trim(),
            registered_name.trim(),
            self.settings.default_template,
            joined_via,
        );
        self.log_admin(
            AdminEvent::AccountAdded {
                email: account.email.clone(),
                joined_via,
            },
            now,
        );
        account
    }

    /// The configuration lint (see [`TenantSettings::lint`]).
    pub fn warnings(&self) -> Vec<Warning> {
        self.settings.lint()
    }

    // ----- SCIM decisions -----

    /// [`decide`] with this tenant's settings and rules, recording the decision in the audit log.
    pub fn decide(
        &mut self,
        account_before: Option<&Account>,
        op: &Operation<'_>,
        now: DateTime<Utc>,
    ) -> Decision {
        let decision = decide(&self.rules, &self.settings, account_before, op);
        let subject = account_before.map(|a| a.email.clone()).or_else(|| {
            op.after
                .or(op.before)
                .and_then(|r| self.rules.identifier_of(r))
                .map(str::to_owned)
        });
        let record = AuditRecord::from_decision(op, subject.as_deref(), &decision);
        self.log(record, now);
        decision
    }

    // ----- audit log -----

    /// Appends a record to the audit log: for a dispatcher that calls the free [`decide`] before
    /// its store write and records the decision ([`AuditRecord::from_decision`]) only once it
    /// knows the outcome, so a write that failed in the store is not logged as applied.
    pub fn record(&mut self, record: AuditRecord, now: DateTime<Utc>) {
        self.log(record, now);
    }

    /// The audit entries kept in memory, oldest first.
    pub fn audit_log(&self) -> impl Iterator<Item = &AuditEntry> {
        self.audit.iter()
    }

    /// The in-memory audit log (its size, its bounds, pages of it).
    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }

    /// Up to `limit` audit entries after sequence number `since` ([`AuditLog::page`]).
    pub fn audit_page(&self, since: u64, limit: usize) -> AuditPage {
        self.audit.page(since, limit)
    }

    /// Takes the audit entries out (to persist them), oldest first.
    pub fn drain_audit(&mut self) -> Vec<AuditEntry> {
        self.audit.drain()
    }

    fn log_admin(&mut self, event: AdminEvent, now: DateTime<Utc>) {
        self.log(AuditRecord::Admin { event }, now);
    }

    fn log(&mut self, record: AuditRecord, at: DateTime<Utc>) {
        self.audit.push(record, at);
    }
}

fn normalize_domain(domain: &str) -> Result<String, AdminError> {
    let d = domain
        .trim()
        .trim_start_matches('@')
        .trim_end_matches('.')
        .to_lowercase();
    let valid = !d.is_empty()
        && d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if valid {
        Ok(d)
    } else {
        Err(AdminError::InvalidDomain(domain.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_normalised_and_checked() {
        assert_eq!(normalize_domain(" @Example.COM. ").unwrap(), "example.com");
        assert_eq!(normalize_domain("bücher.de").unwrap(), "bücher.de");
        for bad in ["", "example", "-a.com", "a..com", "a b.com", "a@b.com"] {
            assert!(normalize_domain(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hex_encodes_bytes() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
    }

    #[test]
    fn token_digest_matches_only_its_token() {
        let d = TokenDigest::of("scimkit_abc");
        assert!(d.matches("scimkit_abc"));
        assert!(!d.matches("scimkit_abd"));
        assert!(!d.matches(""));
        assert!(!format!("{d:?}").contains("scimkit"));
    }
}
