//! The hooks' work on User writes: decide before the store write, apply the account effects
//! and audit after it.

use super::{Provisioning, TenantState};
use scimkit_dispatch::{Write, WriteKind};
use scimkit_policy::{
    decide, identifier_key, Account, AuditBodies, AuditRecord, Decision, Effect, Operation, Verdict,
};
use scimkit_schema::{PatchOp, ScimError};
use serde::Deserialize;
use serde_json::Value;
use std::hash::{Hash, Hasher};

/// How many accepted-but-not-yet-stored decisions a tenant keeps waiting for their store write
/// (a write that failed in the store leaves one behind; the oldest go first).
const MAX_PENDING: usize = 256;

/// A decision accepted before the store write, waiting for [`Hooks::after_write`](scimkit_dispatch::Hooks).
#[derive(Debug)]
pub(super) struct Pending {
    kind: WriteKind,
    /// The resource id, or for a create the identifier key.
    key: String,
    /// A fingerprint of what was handed to the store (without `id`, `meta` and `groups`), to
    /// recognise the write without keeping a copy of the resource.
    fingerprint: Option<u64>,
    /// The key of the account the decision was made for, if an account existed.
    account_key: Option<String>,
    /// The account as the decision computed it (used when there was no account).
    account: Account,
    effects: Vec<Effect>,
    record: AuditRecord,
}

/// FNV-1a: a fast hash for [`fingerprint`], which recognises a write and defends against
/// nothing (a collision only picks the newest pending decision for the same resource).
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// A hash of `resource` without what the store maintains (`id`, `meta`, a User's computed
/// `groups`), independent of key order. Linear, no copy.
fn fingerprint(resource: &Value) -> u64 {
    fn walk(v: &Value, top: bool) -> u64 {
        let mut h = Fnv::default();
        match v {
            Value::Object(map) => {
                7u8.hash(&mut h);
                let mut sum = 0u64;
                for (k, v) in map {
                    if top && scimkit_schema::is_server_owned(k) {
                        continue;
                    }
                    let mut e = Fnv::default();
                    k.hash(&mut e);
                    walk(v, false).hash(&mut e);
                    sum = sum.wrapping_add(e.finish());
                }
                sum.hash(&mut h);
            }
            Value::Array(items) => {
                8u8.hash(&mut h);
                for i in items {
                    walk(i, false).hash(&mut h);
                }
            }
            Value::String(s) => s.hash(&mut h),
            Value::Number(n) => n.to_string().hash(&mut h),
            Value::Bool(b) => b.hash(&mut h),
            Value::Null => 9u8.hash(&mut h),
        }
        h.finish()
    }
    walk(resource, true)
}

impl Provisioning {
    /// Decides a User write. The costly parts — redacting and excerpting the bodies for the
    /// audit record — run before the tenant's lock is taken.
    pub(super) fn decide_write(
        &self,
        write: &Write<'_>,
        proposed: Option<Value>,
    ) -> Result<Option<Value>, ScimError> {
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
        let (key, account_key) = match write.kind {
            WriteKind::Create => {
                let key = proposed
                    .as_ref()
                    .and_then(|p| rules.identifier_of(p))
                    .map(identifier_key)
                    .unwrap_or_default();
                let account_key = t.accounts.contains(&key).then(|| key.clone());
                (key, account_key)
            }
            _ => {
                let id = write.id.unwrap_or_default().to_owned();
                let account_key = t.accounts.key_of_user(&id).cloned();
                (id, account_key)
            }
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
            Verdict::Apply(applied) => {
                if t.pending.len() >= MAX_PENDING {
                    t.pending.pop_front();
                }
                t.pending.push_back(Pending {
                    kind: write.kind,
                    key,
                    fingerprint: applied.resource.as_ref().map(fingerprint),
                    account_key,
                    account: applied.account,
                    effects: applied.effects,
                    record,
                });
                Ok(applied.resource)
            }
        }
    }

    /// After a successful store write: replays the decision's effects on the account as it is
    /// now, keeps the links, audits.
    pub(super) fn complete_write(&self, write: &Write<'_>, stored: Option<&Value>) {
        let now = self.now();
        let Some(tenant) = self.tenant_arc(write.principal.tenant.as_str()) else {
            return;
        };
        let mut guard = super::lock(&tenant);
        let t: &mut TenantState = &mut guard;
        let key = match write.kind {
            WriteKind::Create => stored
                .and_then(|s| t.tenant.rules().identifier_of(s))
                .map(identifier_key)
                .unwrap_or_default(),
            _ => write.id.unwrap_or_default().to_owned(),
        };
        let candidates = |p: &Pending| p.kind == write.kind && p.key == key;
        // The only decision for this key; among several (concurrent writes), the newest whose
        // resource is what was stored, else the newest.
        let newest = t.pending.iter().rposition(candidates);
        let several = newest.is_some_and(|i| t.pending.iter().take(i).any(candidates));
        let index = if several {
            let stored_print = stored.map(fingerprint);
            t.pending
                .iter()
                .rposition(|p| candidates(p) && p.fingerprint == stored_print)
                .or(newest)
        } else {
            newest
        };
        let Some(pending) = index.and_then(|i| t.pending.remove(i)) else {
            return;
        };
        let account_key = match pending.account_key {
            Some(k) if t.accounts.contains(&k) => {
                if let Some(account) = t.accounts.get_mut(&k) {
                    for e in &pending.effects {
                        account.apply_effect(e);
                    }
                }
                k
            }
            _ => t.accounts.insert(pending.account),
        };
        // An applied identifier change moves the account to its new key.
        let account_key = t.accounts.rekey(&account_key);
        match write.kind {
            WriteKind::Create => {
                if let Some(id) = stored.and_then(|s| s.get("id")).and_then(Value::as_str) {
                    t.accounts.link(id, &account_key);
                }
            }
            WriteKind::Delete => t.accounts.unlink_user(&key),
            _ => {}
        }
        t.tenant.record(pending.record, now);
    }
}

#[cfg(test)]
mod tests {
    use super::fingerprint;
    use serde_json::json;

    #[test]
    fn fingerprints_ignore_store_fields_and_key_order() {
        let a = json!({"userName": "a", "name": {"givenName": "A", "familyName": "B"}});
        let b = json!({"id": "1", "meta": {"version": "W/\"1\""}, "groups": [],
            "name": {"familyName": "B", "givenName": "A"}, "userName": "a"});
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&json!({"userName": "b"})));
        assert_ne!(
            fingerprint(&json!({"x": [1, 2]})),
            fingerprint(&json!({"x": [2, 1]}))
        );
    }
}
