//! The hooks' work on User writes: decide before the store write, apply the account effects
//! and audit after it, in its transaction.

use super::{Provisioning, ProvisioningState, StoredAccount};
use scimkit_dispatch::{Stored, Write, WriteKind};
use scimkit_policy::{
    decide_without_copy, identifier_key, Account, AuditBodies, AuditRecord, Decision, Effect,
    Operation, Verdict,
};
use scimkit_schema::{PatchOp, ScimError};
use serde::Deserialize;
use serde_json::Value;

/// A decision accepted before the store write, handed by the dispatcher to
/// [`Hooks::after_write`](scimkit_dispatch::Hooks::after_write) for the same write.
#[derive(Debug)]
pub struct Accepted {
    /// The account the decision was made for, with its link, if one existed (read in the
    /// write's transaction: nothing else changes it before `after_write`).
    existing: Option<StoredAccount>,
    /// The account as the decision computed it (used when there was no account).
    account: Account,
    effects: Vec<Effect>,
    record: AuditRecord,
}

impl<B: ProvisioningState> Provisioning<B> {
    /// The audit record's bodies of a User write, redacted and excerpted: the request body as
    /// received and, normalised, a POST or PUT body as validated under the tenant's profile
    /// (`proposed`) or a PATCH's operations with canonical op names. The costly part of
    /// auditing a write, so [`Hooks::prepare`](scimkit_dispatch::Hooks::prepare) does it for
    /// POST and PATCH before the write's transaction begins.
    pub(super) fn audit_bodies(&self, write: &Write<'_>, proposed: Option<&Value>) -> AuditBodies {
        let patch_normalized: Option<Value> = match write.kind {
            WriteKind::Patch => write
                .raw
                .and_then(|r| PatchOp::deserialize(r).ok())
                .and_then(|p| serde_json::to_value(p).ok()),
            _ => None,
        };
        let normalized = match write.kind {
            WriteKind::Create | WriteKind::Replace => proposed,
            WriteKind::Patch => patch_normalized.as_ref(),
            _ => None,
        };
        AuditBodies::from_bodies(write.raw, normalized, &self.redactor)
    }

    /// Decides a User write in its transaction, its audit bodies `prepared` before it (or
    /// made here: a PUT's are known only now). A refusal is audited in the transaction (the
    /// dispatcher commits it); an acceptance is handed to [`Provisioning::complete_write`].
    pub(super) async fn decide_write(
        &self,
        tx: &mut B::Tx,
        write: &Write<'_>,
        proposed: Option<Value>,
        prepared: Option<AuditBodies>,
    ) -> Result<(Option<Value>, Accepted), ScimError> {
        let now = self.now();
        let empty = Value::Null;
        let before = write.before.unwrap_or(&empty);
        let bodies = prepared.unwrap_or_else(|| self.audit_bodies(write, proposed.as_ref()));
        let op = match (write.kind, proposed.as_ref()) {
            (WriteKind::Create, Some(p)) => Operation::create(p),
            (WriteKind::Replace, Some(p)) => Operation::replace(before, p),
            (WriteKind::Patch, Some(p)) => Operation::patch(before, p),
            _ => Operation::delete(before),
        };

        let record = self.backend.tenant_for_update(tx).await?.ok_or_else(|| {
            ScimError::forbidden("this tenant is not set up for SCIM provisioning")
        })?;
        let rules = record.tenant.rules();
        let account_before = match write.kind {
            WriteKind::Create => {
                let key = proposed
                    .as_ref()
                    .and_then(|p| rules.identifier_of(p))
                    .map(identifier_key)
                    .unwrap_or_default();
                self.backend.account_for_update(tx, &key).await?
            }
            _ => {
                let id = write.id.unwrap_or_default();
                self.backend.account_of_user(tx, id).await?
            }
        };
        let account = account_before.as_ref().map(|s| &s.account);
        let mut decision: Decision =
            decide_without_copy(rules, record.tenant.settings(), account, &op);
        if let Some(observe) = &self.observer {
            observe(write.principal.tenant.as_str(), &decision);
        }
        let subject = account.map(|a| a.email.clone()).or_else(|| {
            op.after
                .or(op.before)
                .and_then(|r| rules.identifier_of(r))
                .map(str::to_owned)
        });
        let audit = AuditRecord::scim_taking(op.kind, subject.as_deref(), bodies, &mut decision);
        match decision.verdict {
            Verdict::Reject(e) => {
                self.backend.append_audit(tx, audit, now).await?;
                Err(e)
            }
            Verdict::Apply(applied) => Ok((
                // The proposed resource itself unless the policy rewrote it.
                applied.resource.or(proposed),
                Accepted {
                    existing: account_before,
                    account: applied.account,
                    effects: applied.effects,
                    record: audit,
                },
            )),
        }
    }

    /// After the store write, in its transaction: applies the decision's effects to the
    /// account read when deciding, keeps the link between the account and its SCIM User,
    /// audits.
    pub(super) async fn complete_write(
        &self,
        tx: &mut B::Tx,
        write: &Write<'_>,
        stored: Option<&Stored>,
        accepted: Accepted,
    ) -> Result<(), ScimError> {
        let now = self.now();
        let previous = accepted
            .existing
            .as_ref()
            .map(|s| (s.key(), s.account.email.clone()));
        let mut account = match accepted.existing {
            Some(mut found) => {
                for e in &accepted.effects {
                    found.account.apply_effect(e);
                }
                found
            }
            None => StoredAccount::new(accepted.account, None),
        };
        match (write.kind, stored) {
            (WriteKind::Create, Some(stored)) => account.user_id = Some(stored.id.clone()),
            (WriteKind::Delete, _) => account.user_id = None,
            _ => {}
        }
        // An applied identifier change moves the account to its new key, unless that key is
        // another account's.
        if let Some((old_key, old_email)) = previous.filter(|(k, _)| *k != account.key()) {
            match self.backend.account_for_update(tx, &account.key()).await? {
                Some(_) => account.account.email = old_email,
                None => self.backend.remove_account(tx, &old_key).await?,
            }
        }
        self.backend.save_account(tx, account).await?;
        self.backend.append_audit(tx, accepted.record, now).await?;
        Ok(())
    }
}
