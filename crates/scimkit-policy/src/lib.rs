//! Provisioning policy for SCIM service providers: pure decisions about how each SCIM operation
//! maps onto a product's accounts.
//!
//! A user has two views, kept apart:
//!
//! - the **SCIM resource**, the identity provider's view: what it sent and what it reads back;
//! - the **[`Account`]**, the product's view: identifier email, registered name, policy
//!   template, `scim_active`, `admin_suspended`, how it joined, whether SCIM manages it.
//!
//! [`decide`] compares the SCIM resource before and after an operation attribute by attribute
//! (names case-insensitive) and gives each changed attribute an [`Outcome`]: *apply*, *shadow*
//! (kept in the SCIM view only), *ignore* (accepted, audited, not kept) or *reject* (a
//! [`ScimError`](scimkit_schema::ScimError)). The result is a [`Decision`]: what to store, the
//! account [`Effect`]s, warnings. A [`RuleSet`] says which outcome each attribute gets;
//! [`RuleSet::tresorit`] is the preset for the product in the project's seed document.
//!
//! [`Tenant`] holds one tenant's settings, templates, token digest and audit log and offers the
//! tenant administrator's operations. Nothing here performs I/O or reads a clock.
//!
//! How a dispatcher uses it, per request:
//!
//! 1. authenticate the bearer token ([`Tenant::authenticate`], or an index by [`TokenDigest`]);
//! 2. load the stored SCIM resource and its [`Account`] (for a create: the account whose email
//!    is [`RuleSet::identifier_of`] the new resource);
//! 3. compute the resource after the operation (PATCH applied by the schema crate);
//! 4. call [`Tenant::decide`] (or [`decide`]) with an [`Operation`];
//! 5. on [`Verdict::Apply`] store [`Applied::resource`] and [`Applied::account`] and return
//!    [`scim_view`] of the resource; on [`Verdict::Reject`] return the error.
#![forbid(unsafe_code)]

mod account;
mod audit;
mod decision;
mod diff;
mod engine;
mod rules;
mod settings;
mod tenant;

pub use account::{identifier_key, same_email, Account, JoinedVia, Membership, TemplateId};
pub use audit::{
    redact, AdminEvent, AuditBodies, AuditBody, AuditEntry, AuditLimits, AuditLog, AuditPage,
    AuditRecord, BodyExcerpt, Redactor, AUDIT_BODY_EXCERPT_BYTES, DEFAULT_AUDIT_BYTES,
    DEFAULT_AUDIT_CAPACITY, MAX_AUDIT_ATTRIBUTES, MAX_AUDIT_PAGE, REDACTED,
};
pub use decision::{
    Applied, AttributeOutcome, AuditResult, Decision, Effect, Operation, OperationKind, Reason,
    Verdict,
};
pub use engine::{decide, decide_without_copy, disabled_error, scim_view, IDENTIFIER_IMMUTABLE};
pub use rules::{
    registered_name_of, AttributeRule, DisabledStatus, IdentifierSource, OnExistingAccount,
    Outcome, RuleSet,
};
pub use settings::{
    IdpDialect, RegistrationMode, TenantSettings, VerifiedDomain, Warning, WarningCode,
};
pub use tenant::{
    AdminError, PolicyTemplate, ProvisioningToken, Tenant, TokenDigest, TOKEN_PREFIX,
};
