//! The hooks' work on User writes: decide before the store write, apply the account effects
//! and audit after it, in its transaction.

use super::{Provisioning, TenantState};
use scimkit_dispatch::{Stored, Write, WriteKind};
use scimkit_policy::{
    decide, identifier_key, Account, AuditBodies, AuditRecord, Decision, Effect, Operation, Verdict,
};
use scimkit_schema::{PatchOp, ScimError};
use serde::Deserialize;
use serde_json::Value;

/// A decision accepted before the store write, handed by the dispatcher to
/// [`Hooks::after_write`](scimkit_dispatch::Hooks::after_write) for the same write.
#[derive(Debug)]
pub struct Accepted {
    /// The key of the account the decision was made for, if an account existed.
    account_key: Option<String>,
    /// The account as the decision computed it (used when there was no account).
    account: Account,
    effects: Vec<Effect>,
    record: AuditRecord,
}

impl Provisioning {
    /// Decides a User write. The costly parts — redacting and excerpting the bodies for the
    /// audit record — run before the tenant's lock is taken.
    pub(super) fn decide_write(
        &self,
        write: &Write<'_>,
        proposed: Option<Value>,
    ) -> Result<(Option<Value>, Accepted), ScimError> {
        let now = self.now();
        let empty = Value::Null;
        let before = write.before.unwrap_or(&empty);
        // For the audit log: a POST or PUT body as validated and normalised under the
        // tenant's profile; a PATCH's operations with canonical op names.
        let patch_normalized: Option<Value> = match write.kind {
            WriteKind::Patch => write
                .raw
                .and_then(|r| PatchOp::deserialize(r).ok())
                .and_then(|p| serde_json::to_value(p).ok()),
            _ => None,
        };
        let normalized = match write.kind {
            WriteKind::Create | WriteKind::Replace => proposed.as_ref(),
            WriteKind::Patch => patch_normalized.as_ref(),
            _ => None,
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
        if let Some(n) = normalized {
            op = op.with_normalized(n);
        }
        let bodies = AuditBodies::of(&op, &self.redactor);

        let tenant = self
            .tenant_arc(write.principal.tenant.as_str())
            .ok_or_else(|| {
                ScimError::forbidden("this tenant is not set up for SCIM provisioning")
            })?;
        let mut guard = super::lock(&tenant);
        let t: &mut TenantState = &mut guard;
        let rules = t.tenant.rules();
        let account_key = match write.kind {
            WriteKind::Create => {
                let key = proposed
                    .as_ref()
                    .and_then(|p| rules.identifier_of(p))
                    .map(identifier_key)
                    .unwrap_or_default();
                t.accounts.contains(&key).then_some(key)
            }
            _ => t
                .accounts
                .key_of_user(write.id.unwrap_or_default())
                .cloned(),
        };
        let account_before = account_key.as_ref().and_then(|k| t.accounts.get(k));
        let decision: Decision = decide(rules, t.tenant.settings(), account_before, &op);
        let subject = account_before.map(|a| a.email.clone()).or_else(|| {
            op.after
                .or(op.before)
                .and_then(|r| rules.identifier_of(r))
                .map(str::to_owned)
        });
        let record = AuditRecord::scim(op.kind, subject.as_deref(), bodies, &decision);
        match decision.verdict {
            Verdict::Reject(e) => {
                t.tenant.record(record, now);
                Err(e)
            }
            Verdict::Apply(applied) => Ok((
                applied.resource,
                Accepted {
                    account_key,
                    account: applied.account,
                    effects: applied.effects,
                    record,
                },
            )),
        }
    }

    /// After the store write, in its transaction: applies the decision's effects to the
    /// account as it is now (so a concurrent admin suspension is never undone), keeps the
    /// links, audits.
    pub(super) fn complete_write(
        &self,
        write: &Write<'_>,
        stored: Option<&Stored>,
        accepted: Accepted,
    ) {
        let now = self.now();
        let Some(tenant) = self.tenant_arc(write.principal.tenant.as_str()) else {
            return;
        };
        let mut guard = super::lock(&tenant);
        let t: &mut TenantState = &mut guard;
        let account_key = match accepted.account_key {
            Some(k) if t.accounts.contains(&k) => {
                if let Some(account) = t.accounts.get_mut(&k) {
                    for e in &accepted.effects {
                        account.apply_effect(e);
                    }
                }
                k
            }
            _ => t.accounts.insert(accepted.account),
        };
        // An applied identifier change moves the account to its new key.
        let account_key = t.accounts.rekey(&account_key);
        match (write.kind, stored) {
            (WriteKind::Create, Some(stored)) => t.accounts.link(&stored.id, &account_key),
            (WriteKind::Delete, _) => t.accounts.unlink_user(write.id.unwrap_or_default()),
            _ => {}
        }
        t.tenant.record(accepted.record, now);
    }
}
