//! The audit log: one entry per SCIM decision and per admin operation.

use crate::account::TemplateId;
use crate::decision::{AttributeOutcome, AuditResult, Decision, Effect, Operation, OperationKind};
use crate::settings::{RegistrationMode, Warning};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a tenant administrator did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "event")]
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
}

/// What an audit entry records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "actor")]
pub enum AuditRecord {
    /// A SCIM operation from the identity provider.
    Scim {
        /// The operation's kind.
        kind: OperationKind,
        /// The identifier email the operation concerns, if known.
        subject: Option<String>,
        /// The request body as received (passwords redacted).
        raw: Option<Value>,
        /// The request body after dialect normalisation (passwords redacted).
        normalized: Option<Value>,
        /// Applied, rewritten or rejected.
        result: AuditResult,
        /// The outcome per attribute.
        attributes: Vec<AttributeOutcome>,
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

impl AuditRecord {
    /// The record of a SCIM decision.
    pub fn from_decision(op: &Operation<'_>, subject: Option<&str>, decision: &Decision) -> Self {
        AuditRecord::Scim {
            kind: op.kind,
            subject: subject.map(str::to_owned),
            raw: op.raw.map(redact),
            normalized: op.normalized.map(redact),
            result: decision.audit_result(),
            attributes: decision.attributes.clone(),
            effects: decision
                .applied()
                .map(|a| a.effects.clone())
                .unwrap_or_default(),
            warnings: decision.warnings.clone(),
        }
    }
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

const REDACTED: &str = "[redacted]";

/// A copy of `v` with every `password` attribute's value, and the value of every PATCH operation
/// whose path is `password`, replaced by `"[redacted]"`.
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
    match v {
        Value::Object(map) => {
            let path_is_password = map.iter().any(|(k, v)| {
                k.eq_ignore_ascii_case("path")
                    && v.as_str()
                        .is_some_and(|p| p.trim().eq_ignore_ascii_case("password"))
            });
            Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let hide = k.eq_ignore_ascii_case("password")
                            || (path_is_password && k.eq_ignore_ascii_case("value"));
                        let v = if hide {
                            Value::from(REDACTED)
                        } else {
                            redact(v)
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        other => other.clone(),
    }
}
