//! [`decide`]: the per-attribute mapping of one SCIM operation onto an account.

use crate::account::{same_email, Account, JoinedVia, Membership};
use crate::decision::{
    Applied, AttributeOutcome, Decision, Effect, Operation, OperationKind, Reason, Verdict,
};
use crate::diff::{diff, get_ci, set_path, Change};
use crate::rules::{parse_bool, registered_name_of, DisabledStatus, Outcome, RuleSet};
use crate::settings::{IdpDialect, TenantSettings, Warning, WarningCode};
use scimkit_schema::ScimError;
use serde_json::Value;
use std::borrow::Cow;

/// The detail of the error for a change of the identifier email.
pub const IDENTIFIER_IMMUTABLE: &str = "the email address is the user's identifier and cannot be \
     changed from the identity provider";

/// Decides what a SCIM operation on a User does, without performing it.
///
/// - `settings`: the tenant's settings at this moment;
/// - `account_before`: the account the operation concerns: for a create, the tenant's account
///   whose email equals [`RuleSet::identifier_of`] the new resource (ignoring case), if any; for
///   the other operations, the account linked to the stored resource;
/// - `op`: the SCIM resource before and after.
///
/// The result never panics and never performs I/O. Store [`Applied::resource`] and
/// [`Applied::account`] together (or neither) and return the resource to the identity provider.
///
/// ```
/// use scimkit_policy::{decide, Account, Operation, Outcome, RuleSet, TemplateId, TenantSettings};
/// use serde_json::json;
///
/// let mut settings = TenantSettings::new(TemplateId(1));
/// settings.provisioning_enabled = true;
/// let rules = RuleSet::tresorit();
///
/// // Okta creates Ada...
/// let created = json!({"userName": "ada@example.com", "name": {"givenName": "Ada", "familyName": "Lovelace"}, "active": true});
/// let d = decide(&rules, &settings, None, &Operation::create(&created));
/// let ada = d.into_result().unwrap();
/// assert_eq!(ada.account.registered_name, "Ada Lovelace");
/// assert_eq!(ada.account.template, TemplateId(1));
///
/// // ...then renames her with a PUT: the IdP reads back its value, the account keeps its name.
/// let mut renamed = created.clone();
/// renamed["name"]["givenName"] = json!("Augusta Ada");
/// let d = decide(&rules, &settings, Some(&ada.account), &Operation::replace(&created, &renamed));
/// assert_eq!(d.outcome_of("name.givenName"), Some(Outcome::Shadow));
/// let after = d.into_result().unwrap();
/// assert_eq!(after.resource.as_ref(), Some(&renamed));
/// assert_eq!(after.account.registered_name, "Ada Lovelace");
/// ```
pub fn decide(
    rules: &RuleSet,
    settings: &TenantSettings,
    account_before: Option<&Account>,
    op: &Operation<'_>,
) -> Decision {
    decide_keeping(rules, settings, account_before, op, |r| {
        Some(r.into_owned())
    })
}

/// [`decide`] for a caller that owns the operation's proposed resource (`op.after`) and stores
/// it: when the policy keeps it as it is ([`Applied::rewritten`] is `false`),
/// [`Applied::resource`] is `None` — store the proposed resource itself, not a copy of it. A
/// rewritten resource is returned as [`decide`] returns it. Saves copying every write's
/// resource.
///
/// ```
/// use scimkit_policy::{decide_without_copy, Operation, RuleSet, TemplateId, TenantSettings, Verdict};
/// use serde_json::json;
///
/// let mut settings = TenantSettings::new(TemplateId(1));
/// settings.provisioning_enabled = true;
/// let proposed = json!({"userName": "ada@example.com", "active": true});
/// let d = decide_without_copy(&RuleSet::tresorit(), &settings, None, &Operation::create(&proposed));
/// let Verdict::Apply(applied) = d.verdict else { panic!() };
/// assert!(!applied.rewritten);
/// let stored = applied.resource.unwrap_or(proposed);
/// assert_eq!(stored["userName"], "ada@example.com");
///
/// // `Active` spelled otherwise: the policy stores it as `active`, a rewritten copy.
/// let proposed = json!({"userName": "bob@example.com", "Active": true});
/// let d = decide_without_copy(&RuleSet::tresorit(), &settings, None, &Operation::create(&proposed));
/// let Verdict::Apply(applied) = d.verdict else { panic!() };
/// assert!(applied.rewritten);
/// assert_eq!(applied.resource, Some(json!({"userName": "bob@example.com", "active": true})));
/// ```
pub fn decide_without_copy(
    rules: &RuleSet,
    settings: &TenantSettings,
    account_before: Option<&Account>,
    op: &Operation<'_>,
) -> Decision {
    decide_keeping(rules, settings, account_before, op, |r| match r {
        Cow::Owned(rewritten) => Some(rewritten),
        Cow::Borrowed(_) => None,
    })
}

/// The decision; [`Applied::resource`] is what `keep` makes of the resource to store — the
/// operation's `after` until the policy changes it (then a copy, changed).
fn decide_keeping<'a>(
    rules: &RuleSet,
    settings: &TenantSettings,
    account_before: Option<&Account>,
    op: &Operation<'a>,
    keep: impl FnOnce(Cow<'a, Value>) -> Option<Value>,
) -> Decision {
    let mut cx = Cx {
        rules,
        settings,
        attributes: Vec::new(),
        warnings: Vec::new(),
        resource: op.after.map(Cow::Borrowed),
        rewritten: false,
        effects: Vec::new(),
    };
    let result = if settings.provisioning_enabled {
        match op.kind {
            OperationKind::Create => cx.create(account_before, op),
            OperationKind::Replace | OperationKind::Patch => cx.update(account_before, op),
            OperationKind::Delete => cx.delete(account_before),
        }
    } else {
        Err(disabled_error(rules.when_disabled))
    };
    let verdict = match result {
        Ok(base) => {
            let mut account = base;
            for e in &cx.effects {
                account.apply_effect(e);
            }
            // The stored resource carries the account's `active`, so that what a client reads,
            // filters and sorts on is one value, and reads need no rewrite.
            if let Some(r) = cx.resource.as_mut() {
                if !has_active(r, account.scim_active) {
                    set_active(r.to_mut(), account.scim_active);
                    cx.rewritten = true;
                }
            }
            let resource = match op.kind {
                OperationKind::Delete => None,
                _ => cx.resource.and_then(keep),
            };
            Verdict::Apply(Applied {
                resource,
                rewritten: cx.rewritten,
                account,
                effects: cx.effects,
            })
        }
        Err(e) => Verdict::Reject(e),
    };
    Decision {
        kind: op.kind,
        verdict,
        attributes: cx.attributes,
        warnings: cx.warnings,
    }
}

/// The error every SCIM operation gets while provisioning is disabled.
pub fn disabled_error(status: DisabledStatus) -> ScimError {
    let detail = "SCIM provisioning is disabled for this tenant; a tenant administrator can \
                  enable it in the admin console, which issues a new token";
    match status {
        DisabledStatus::Unauthorized => ScimError::unauthorized(detail),
        DisabledStatus::Forbidden => ScimError::forbidden(detail),
    }
}

/// The SCIM resource as the identity provider reads it: the stored resource with `active` set to
/// the account's `scim_active` (never to its effective access, so an admin suspension stays
/// invisible to the IdP).
///
/// ```
/// use scimkit_policy::{scim_view, Account, JoinedVia, TemplateId};
/// use serde_json::json;
///
/// let mut acc = Account::new("ada@example.com", "Ada", TemplateId(1), JoinedVia::Scim);
/// acc.admin_suspended = true;
/// let stored = json!({"userName": "ada@example.com", "Active": true});
/// assert_eq!(scim_view(&stored, &acc), json!({"userName": "ada@example.com", "active": true}));
/// ```
pub fn scim_view(resource: &Value, account: &Account) -> Value {
    let mut out = resource.clone();
    set_active(&mut out, account.scim_active);
    out
}

/// Whether `resource`'s `active` is exactly `"active": active` (one key, that spelling), or
/// `resource` is no object (nothing to set).
fn has_active(resource: &Value, active: bool) -> bool {
    let Value::Object(map) = resource else {
        return true;
    };
    let mut spellings = map.keys().filter(|k| k.eq_ignore_ascii_case("active"));
    matches!((spellings.next(), spellings.next()), (Some(k), None) if k == "active")
        && map.get("active") == Some(&Value::Bool(active))
}

/// Makes `resource`'s `active` exactly `"active": active` (one key, that spelling).
fn set_active(resource: &mut Value, active: bool) {
    if let Value::Object(map) = resource {
        map.retain(|k, _| !k.eq_ignore_ascii_case("active"));
        map.insert("active".to_owned(), Value::Bool(active));
    }
}

/// A minimal shape check: one `@` with text on both sides and no whitespace.
fn looks_like_email(s: &str) -> bool {
    let s = s.trim();
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !s.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

struct Cx<'r, 'a> {
    rules: &'r RuleSet,
    settings: &'r TenantSettings,
    attributes: Vec<AttributeOutcome>,
    warnings: Vec<Warning>,
    /// The resource to store: the operation's `after` until the policy changes it.
    resource: Option<Cow<'a, Value>>,
    rewritten: bool,
    effects: Vec<Effect>,
}

/// How the identifier compares before and after.
enum IdChange {
    Same,
    CaseOnly,
    Different(String),
}

impl Cx<'_, '_> {
    fn record(&mut self, path: impl Into<String>, outcome: Outcome, reason: Reason) {
        self.attributes.push(AttributeOutcome {
            path: path.into(),
            outcome,
            reason,
        });
    }

    /// Puts `value` back at `keys` in the resource to store.
    fn restore(&mut self, keys: &[&str], value: Option<Value>) {
        if let Some(r) = &mut self.resource {
            set_path(r.to_mut(), keys, value);
            self.rewritten = true;
        }
    }

    fn is_top(change: &Change, name: &str) -> bool {
        change.keys.len() == 1 && change.keys[0].eq_ignore_ascii_case(name)
    }

    fn create(
        &mut self,
        existing: Option<&Account>,
        op: &Operation<'_>,
    ) -> Result<Account, ScimError> {
        let Some(after) = op.after else {
            return Err(ScimError::internal("create without a resource"));
        };
        let id_attr = self.rules.identifier_attribute();
        let identifier = self
            .rules
            .identifier_of(after)
            .map(str::trim)
            .ok_or_else(|| {
                ScimError::invalid_value(format!(
                    "{id_attr} is required: it holds the email address that identifies the user"
                ))
            })?;
        if !looks_like_email(identifier) {
            return Err(ScimError::invalid_value(format!(
                "{id_attr} must hold an email address: the email address identifies the user"
            )));
        }
        let identifier = identifier.to_owned();

        enum Mode {
            New,
            Adopt,
            Rejoin,
        }
        let (base, mode) = match existing {
            None => (
                Account::new(
                    identifier.clone(),
                    String::new(),
                    self.settings.default_template,
                    JoinedVia::Scim,
                ),
                Mode::New,
            ),
            Some(acc) if !acc.has_email(&identifier) => {
                return Err(ScimError::internal(
                    "the account passed to the policy does not have the new user's email",
                ))
            }
            Some(acc) if acc.membership == Membership::Ended => (acc.clone(), Mode::Rejoin),
            Some(acc) if acc.managed_by_scim => {
                return Err(ScimError::uniqueness(
                    "a user with this email address is already provisioned",
                ))
            }
            Some(acc) => match self.rules.existing_account {
                crate::rules::OnExistingAccount::Adopt => (acc.clone(), Mode::Adopt),
                crate::rules::OnExistingAccount::Conflict => {
                    return Err(ScimError::uniqueness(
                        "this email address belongs to an existing account that is not managed \
                         by SCIM",
                    ))
                }
            },
        };

        let mut scim_active = true;
        // Each change ends in its record: its path moves there.
        for mut change in diff(None, Some(after)) {
            let new = matches!(mode, Mode::New);
            if Self::is_top(&change, id_attr) {
                let outcome = if new { Outcome::Apply } else { Outcome::Shadow };
                let reason = if new {
                    Reason::Identifier
                } else {
                    Reason::ExistingAccount
                };
                self.record(std::mem::take(&mut change.path), outcome, reason);
            } else if Self::is_top(&change, "active") {
                scim_active = self.active_value(&change)?;
                self.record(
                    std::mem::take(&mut change.path),
                    Outcome::Apply,
                    Reason::Active,
                );
            } else {
                let (rule, reason) = if let Some(o) = self.rules.outcome_for_path(&change.path) {
                    (o, Reason::AttributeRule)
                } else if self.rules.is_name_path(&change.path) {
                    if new {
                        (Outcome::Apply, Reason::Registration)
                    } else {
                        (Outcome::Shadow, Reason::ExistingAccount)
                    }
                } else {
                    (self.rules.other_changes, Reason::Other)
                };
                let outcome = match rule {
                    // A value the IdP may not change later may still be set initially.
                    Outcome::Reject => Outcome::Shadow,
                    Outcome::Ignore => {
                        self.restore(&change.keys, None);
                        Outcome::Ignore
                    }
                    o => o,
                };
                self.record(std::mem::take(&mut change.path), outcome, reason);
            }
        }

        match mode {
            Mode::New => {
                self.effects.push(Effect::CreateAccount {
                    email: identifier.clone(),
                    registered_name: registered_name_of(after, &identifier),
                });
                self.effects.push(Effect::AssignTemplate {
                    template: self.settings.default_template,
                });
                self.effects.push(Effect::SetScimActive {
                    active: scim_active,
                });
            }
            Mode::Adopt => {
                self.effects.push(Effect::AdoptIntoScim {
                    joined_via: base.joined_via,
                });
                if base.joined_via == JoinedVia::DomainAutoAdd {
                    self.warnings.push(Warning {
                        code: WarningCode::AdoptedAutoAddedAccount,
                        message: format!(
                            "{} had joined through a verified domain's automatic add and is now \
                             managed by SCIM; keeping its registered name and template",
                            base.email
                        ),
                    });
                }
                if base.scim_active != scim_active {
                    self.effects.push(Effect::SetScimActive {
                        active: scim_active,
                    });
                }
            }
            Mode::Rejoin => {
                self.effects.push(Effect::RestoreMembership);
                if base.scim_active != scim_active {
                    self.effects.push(Effect::SetScimActive {
                        active: scim_active,
                    });
                }
            }
        }
        Ok(base)
    }

    fn linked_account(account: Option<&Account>) -> Result<Account, ScimError> {
        match account {
            Some(acc) if acc.is_member() && acc.managed_by_scim => Ok(acc.clone()),
            _ => Err(ScimError::not_found(
                "no user provisioned by SCIM matches this resource",
            )),
        }
    }

    fn update(
        &mut self,
        account: Option<&Account>,
        op: &Operation<'_>,
    ) -> Result<Account, ScimError> {
        let acc = Self::linked_account(account)?;
        let (Some(before), Some(after)) = (op.before, op.after) else {
            return Err(ScimError::internal(
                "update without the resource before and after",
            ));
        };
        let id_attr = self.rules.identifier_attribute();
        let mut names_applied = false;
        for change in diff(Some(before), Some(after)) {
            if Self::is_top(&change, id_attr)
                && self.identifier_change(&acc, before, after, &change)?
            {
                continue;
            }
            if Self::is_top(&change, "active") {
                match &change.after {
                    None => {
                        self.restore(&change.keys, change.before.cloned());
                        self.record(&change.path, Outcome::Ignore, Reason::ActiveRemoved);
                    }
                    Some(_) => {
                        let active = self.active_value(&change)?;
                        if active != acc.scim_active {
                            self.effects.push(Effect::SetScimActive { active });
                        }
                        self.record(&change.path, Outcome::Apply, Reason::Active);
                    }
                }
                continue;
            }
            let (outcome, reason) = if let Some(o) = self.rules.outcome_for_path(&change.path) {
                (o, Reason::AttributeRule)
            } else if self.rules.is_name_path(&change.path) {
                (self.rules.name_changes, Reason::Name)
            } else {
                (self.rules.other_changes, Reason::Other)
            };
            self.record(&change.path, outcome, reason);
            match outcome {
                Outcome::Apply => names_applied |= self.rules.is_name_path(&change.path),
                Outcome::Shadow => {}
                Outcome::Ignore => self.restore(&change.keys, change.before.cloned()),
                Outcome::Reject => {
                    return Err(ScimError::mutability(format!(
                        "{} cannot be changed from the identity provider",
                        change.path
                    )))
                }
            }
        }
        if names_applied {
            if let Some(resource) = &self.resource {
                let name = registered_name_of(resource, &acc.email);
                if name != acc.registered_name {
                    self.effects.push(Effect::SetRegisteredName { name });
                }
            }
        }
        Ok(acc)
    }

    /// Handles a change of the attribute holding the identifier. Returns `Ok(true)` when the
    /// change is fully decided, `Ok(false)` when the attribute (e.g. `emails` with the identifier
    /// unchanged) still needs the ordinary rules.
    fn identifier_change(
        &mut self,
        acc: &Account,
        before: &Value,
        after: &Value,
        change: &Change,
    ) -> Result<bool, ScimError> {
        let id_attr = self.rules.identifier_attribute();
        let old = self
            .rules
            .identifier_of(before)
            .unwrap_or(&acc.email)
            .to_owned();
        let Some(new) = self.rules.identifier_of(after).map(str::to_owned) else {
            self.record(&change.path, Outcome::Reject, Reason::Identifier);
            return Err(ScimError::mutability(format!(
                "{IDENTIFIER_IMMUTABLE}; {id_attr} cannot be removed"
            )));
        };
        let kind = if old == new {
            IdChange::Same
        } else if same_email(&old, &new) {
            IdChange::CaseOnly
        } else {
            IdChange::Different(new.trim().to_owned())
        };
        match kind {
            IdChange::Same => Ok(false),
            IdChange::CaseOnly => {
                if id_attr == "userName" {
                    self.restore(&change.keys, change.before.cloned());
                    self.record(&change.path, Outcome::Ignore, Reason::IdentifierCase);
                    return Ok(true);
                }
                // Identifier inside `emails`: keep the stored spelling of that one value.
                let hit = |e: &Value| {
                    get_ci(e, "value")
                        .and_then(Value::as_str)
                        .is_some_and(|v| v == new)
                };
                let spelled_anew = self
                    .resource
                    .as_deref()
                    .and_then(|r| get_ci(r, "emails"))
                    .and_then(Value::as_array)
                    .is_some_and(|emails| emails.iter().any(hit));
                if let Some(Value::Array(emails)) = self
                    .resource
                    .as_mut()
                    .filter(|_| spelled_anew)
                    .and_then(|r| r.to_mut().as_object_mut())
                    .and_then(|m| {
                        m.iter_mut()
                            .find(|(k, _)| k.eq_ignore_ascii_case("emails"))
                            .map(|(_, v)| v)
                    })
                {
                    for e in emails.iter_mut() {
                        if hit(e) {
                            set_path(e, &["value"], Some(Value::String(old.clone())));
                            self.rewritten = true;
                        }
                    }
                }
                let now = self.resource.as_deref().and_then(|r| get_ci(r, "emails"));
                if now == change.before {
                    self.record(&change.path, Outcome::Ignore, Reason::IdentifierCase);
                    return Ok(true);
                }
                Ok(false)
            }
            IdChange::Different(new) => {
                let outcome = self.rules.identifier_changes;
                self.record(&change.path, outcome, Reason::Identifier);
                match outcome {
                    Outcome::Reject => {
                        return Err(ScimError::mutability(format!(
                            "{IDENTIFIER_IMMUTABLE} ({id_attr} {old:?} cannot become {new:?})"
                        )))
                    }
                    Outcome::Apply => {
                        if !looks_like_email(&new) {
                            return Err(ScimError::invalid_value(format!(
                                "{id_attr} must hold an email address"
                            )));
                        }
                        self.effects.push(Effect::SetEmail { email: new });
                    }
                    Outcome::Shadow => {}
                    Outcome::Ignore => self.restore(&change.keys, change.before.cloned()),
                }
                Ok(true)
            }
        }
    }

    /// Reads `active` from a change, turning a string boolean into a boolean in the stored
    /// resource.
    fn active_value(&mut self, change: &Change) -> Result<bool, ScimError> {
        let raw = change.after.unwrap_or(&Value::Null);
        let value = parse_bool(raw)
            .ok_or_else(|| ScimError::invalid_value("active must be a boolean (true or false)"))?;
        if raw.is_string() {
            self.restore(&change.keys, Some(Value::Bool(value)));
            if self.settings.dialect != IdpDialect::EntraId {
                self.warnings.push(Warning {
                    code: WarningCode::StringBoolean,
                    message: format!(
                        "active arrived as the string {raw}; read as {value}. Entra ID sends \
                         string booleans: set the tenant's dialect to Entra ID if it is the \
                         identity provider"
                    ),
                });
            }
        }
        Ok(value)
    }

    fn delete(&mut self, account: Option<&Account>) -> Result<Account, ScimError> {
        let acc = Self::linked_account(account)?;
        self.effects.push(Effect::EndMembership);
        Ok(acc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_shape_check() {
        assert!(looks_like_email("a@b"));
        assert!(looks_like_email(" ada@example.com "));
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "a@b@c",
            "a da@example.com",
        ] {
            assert!(!looks_like_email(bad), "{bad}");
        }
    }
}
