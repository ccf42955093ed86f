//! The audit log: one entry per SCIM decision and per admin operation, its bounds
//! ([`AuditLog`]), the bodies it keeps ([`AuditBody`]) and their redaction ([`Redactor`]).

mod body;
mod log;
mod redact;

pub(crate) use body::hex;
pub use body::{AuditBody, BodyExcerpt, AUDIT_BODY_EXCERPT_BYTES};
pub use log::{
    AuditLimits, AuditLog, AuditPage, DEFAULT_AUDIT_BYTES, DEFAULT_AUDIT_CAPACITY, MAX_AUDIT_PAGE,
};
pub use redact::{Redactor, REDACTED};

use crate::account::TemplateId;
use crate::decision::{AttributeOutcome, AuditResult, Decision, Effect, Operation, OperationKind};
use crate::settings::{RegistrationMode, Warning};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::OnceLock;

/// The most attribute outcomes an audit record lists; the rest are counted in
/// `omittedAttributes`.
pub const MAX_AUDIT_ATTRIBUTES: usize = 256;

/// What a tenant administrator did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "event"
)]
pub enum AdminEvent {
    /// Provisioning turned on and a token issued.
    ProvisioningEnabled,
    /// Provisioning turned off; the token is gone.
    ProvisioningDisabled,
    /// A new token replaced the old one.
    TokenRotated,
    /// The token was revoked; SCIM requests fail until a new one is issued.
    TokenRevoked,
    /// A policy template was created.
    TemplateCreated {
        /// Its id.
        template: TemplateId,
        /// Its name.
        name: String,
    },
    /// The default policy template changed (existing accounts keep theirs).
    DefaultTemplateSet {
        /// The new default.
        template: TemplateId,
    },
    /// A verified domain was added.
    DomainAdded {
        /// The domain.
        domain: String,
        /// Its registration mode.
        mode: RegistrationMode,
    },
    /// A verified domain was removed.
    DomainRemoved {
        /// The domain.
        domain: String,
    },
    /// A verified domain's registration mode changed.
    DomainModeSet {
        /// The domain.
        domain: String,
        /// The new mode.
        mode: RegistrationMode,
    },
    /// A user was suspended locally (`admin_suspended`; the IdP's `active` is untouched).
    UserSuspended {
        /// The user's email.
        email: String,
    },
    /// A local suspension was lifted.
    UserUnsuspended {
        /// The user's email.
        email: String,
    },
    /// An account that joined outside SCIM was added by a tenant administrator.
    AccountAdded {
        /// The account's email.
        email: String,
        /// How it joined.
        joined_via: crate::account::JoinedVia,
    },
}

/// What an audit entry records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "actor"
)]
pub enum AuditRecord {
    /// A SCIM operation from the identity provider.
    Scim {
        /// The operation's kind.
        kind: OperationKind,
        /// The identifier email the operation concerns, if known.
        subject: Option<String>,
        /// The request body as received (secrets redacted; large bodies as an excerpt).
        raw: Option<AuditBody>,
        /// The request body after dialect normalisation (secrets redacted; large bodies as an
        /// excerpt).
        normalized: Option<AuditBody>,
        /// Applied, rewritten or rejected.
        result: AuditResult,
        /// The outcome per attribute (at most [`MAX_AUDIT_ATTRIBUTES`]).
        attributes: Vec<AttributeOutcome>,
        /// How many attribute outcomes were left out beyond [`MAX_AUDIT_ATTRIBUTES`].
        #[serde(default, skip_serializing_if = "is_zero")]
        omitted_attributes: usize,
        /// The account changes made.
        effects: Vec<Effect>,
        /// Warnings raised.
        warnings: Vec<Warning>,
    },
    /// An operation of a tenant administrator.
    Admin {
        /// What happened.
        event: AdminEvent,
    },
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The request bodies of one SCIM operation as its audit record keeps them: redacted and, when
/// large, excerpted. Build them before taking any lock: this is the costly part of a record.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct AuditBodies {
    /// The body as received.
    pub raw: Option<AuditBody>,
    /// The body after dialect normalisation.
    pub normalized: Option<AuditBody>,
}

impl AuditBodies {
    /// The operation's raw and normalised bodies through `redactor`, each kept whole up to
    /// [`AUDIT_BODY_EXCERPT_BYTES`] ([`AuditBodies::from_bodies`]).
    pub fn of(op: &Operation<'_>, redactor: &Redactor) -> Self {
        Self::from_bodies(op.raw, op.normalized, redactor)
    }

    /// A request's `raw` and `normalized` bodies through `redactor`, each kept whole up to
    /// [`AUDIT_BODY_EXCERPT_BYTES`].
    ///
    /// A normalised body equal to the raw one (a request already in canonical form, as most
    /// are) is not redacted and serialised a second time: it shares the raw body's record.
    pub fn from_bodies(
        raw: Option<&Value>,
        normalized: Option<&Value>,
        redactor: &Redactor,
    ) -> Self {
        let keep = |b: &Value| AuditBody::of(b, redactor, AUDIT_BODY_EXCERPT_BYTES);
        let raw_kept = raw.map(keep);
        let normalized = match (raw, normalized, &raw_kept) {
            (Some(r), Some(n), Some(kept)) if r == n => Some(kept.clone()),
            (_, n, _) => n.map(keep),
        };
        AuditBodies {
            raw: raw_kept,
            normalized,
        }
    }
}

impl AuditRecord {
    /// The record of a SCIM decision, its bodies redacted by [`Redactor::default`] (the
    /// standard schemas' secrets).
    pub fn from_decision(op: &Operation<'_>, subject: Option<&str>, decision: &Decision) -> Self {
        let bodies = AuditBodies::of(op, default_redactor());
        Self::scim(op.kind, subject, bodies, decision)
    }

    /// The record of a SCIM decision with bodies prepared by [`AuditBodies::of`].
    pub fn scim(
        kind: OperationKind,
        subject: Option<&str>,
        bodies: AuditBodies,
        decision: &Decision,
    ) -> Self {
        let attributes = decision
            .attributes
            .iter()
            .take(MAX_AUDIT_ATTRIBUTES)
            .cloned()
            .collect();
        let omitted = decision
            .attributes
            .len()
            .saturating_sub(MAX_AUDIT_ATTRIBUTES);
        Self::scim_of(
            kind,
            subject,
            bodies,
            decision,
            attributes,
            omitted,
            decision.warnings.clone(),
        )
    }

    /// As [`AuditRecord::scim`], moving the decision's attribute outcomes and warnings into the
    /// record instead of copying them (they are left empty): for a caller done with them.
    pub fn scim_taking(
        kind: OperationKind,
        subject: Option<&str>,
        bodies: AuditBodies,
        decision: &mut Decision,
    ) -> Self {
        let mut attributes = std::mem::take(&mut decision.attributes);
        let omitted = attributes.len().saturating_sub(MAX_AUDIT_ATTRIBUTES);
        attributes.truncate(MAX_AUDIT_ATTRIBUTES);
        let warnings = std::mem::take(&mut decision.warnings);
        Self::scim_of(
            kind, subject, bodies, decision, attributes, omitted, warnings,
        )
    }

    fn scim_of(
        kind: OperationKind,
        subject: Option<&str>,
        bodies: AuditBodies,
        decision: &Decision,
        attributes: Vec<AttributeOutcome>,
        omitted_attributes: usize,
        warnings: Vec<Warning>,
    ) -> Self {
        AuditRecord::Scim {
            kind,
            subject: subject.map(str::to_owned),
            raw: bodies.raw,
            normalized: bodies.normalized,
            result: decision.audit_result(),
            attributes,
            omitted_attributes,
            effects: decision
                .applied()
                .map(|a| a.effects.clone())
                .unwrap_or_default(),
            warnings,
        }
    }
}

fn default_redactor() -> &'static Redactor {
    static DEFAULT: OnceLock<Redactor> = OnceLock::new();
    DEFAULT.get_or_init(Redactor::default)
}

/// One entry of a tenant's audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// Position in the tenant's log, from 1, never reused.
    pub seq: u64,
    /// When it happened (as the caller said).
    pub at: DateTime<Utc>,
    /// What happened.
    pub record: AuditRecord,
}

/// A copy of `v` with every secret of the standard schemas (`password`, in any spelling) replaced
/// by `"[redacted]"`: [`Redactor::default`]`.redact(v)`.
///
/// ```
/// use serde_json::json;
/// let raw = json!({"Operations": [{"op": "replace", "path": "password", "value": "hunter2"}],
///                  "password": "x", "value": {"Password": "y"}});
/// let r = scimkit_policy::redact(&raw);
/// assert!(!r.to_string().contains("hunter2"));
/// assert!(!r.to_string().contains("\"y\""));
/// ```
pub fn redact(v: &Value) -> Value {
    default_redactor().redact(v)
}
