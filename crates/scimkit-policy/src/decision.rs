//! The input of [`decide`](crate::decide) (an [`Operation`]) and its output (a [`Decision`]).

use crate::account::{Account, JoinedVia, Membership, TemplateId};
use crate::rules::Outcome;
use crate::settings::Warning;
use scimkit_schema::{ScimError, ScimType};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The kind of SCIM operation on a User.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OperationKind {
    /// `POST /Users`.
    Create,
    /// `PUT /Users/{id}`.
    Replace,
    /// `PATCH /Users/{id}`.
    Patch,
    /// `DELETE /Users/{id}`.
    Delete,
}

/// One SCIM operation, as the SCIM resource before and after it.
///
/// The dispatcher computes `after` (for PATCH with the schema crate's PATCH engine, after
/// normalising the identity provider's dialect); the policy compares the two resources attribute
/// by attribute, so it does not depend on how the change was spelled.
///
/// ```
/// use scimkit_policy::{Operation, OperationKind};
/// use serde_json::json;
///
/// let before = json!({"userName": "ada@example.com", "active": true});
/// let after = json!({"userName": "ada@example.com", "active": false});
/// let raw = json!({"Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
/// let op = Operation::patch(&before, &after).with_raw(&raw);
/// assert_eq!(op.kind, OperationKind::Patch);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Operation<'a> {
    /// What the identity provider asked for.
    pub kind: OperationKind,
    /// The stored SCIM resource before the operation (`None` for a create).
    pub before: Option<&'a Value>,
    /// The SCIM resource the operation would produce (`None` for a delete).
    pub after: Option<&'a Value>,
    /// The request body as received, for the audit log (passwords are redacted there).
    pub raw: Option<&'a Value>,
    /// The request body after dialect normalisation, for the audit log.
    pub normalized: Option<&'a Value>,
}

impl<'a> Operation<'a> {
    /// A create of `resource`.
    pub fn create(resource: &'a Value) -> Self {
        Self::new(OperationKind::Create, None, Some(resource))
    }

    /// A PUT replacing `before` with `after`.
    pub fn replace(before: &'a Value, after: &'a Value) -> Self {
        Self::new(OperationKind::Replace, Some(before), Some(after))
    }

    /// A PATCH turning `before` into `after`.
    pub fn patch(before: &'a Value, after: &'a Value) -> Self {
        Self::new(OperationKind::Patch, Some(before), Some(after))
    }

    /// A DELETE of `before`.
    pub fn delete(before: &'a Value) -> Self {
        Self::new(OperationKind::Delete, Some(before), None)
    }

    fn new(kind: OperationKind, before: Option<&'a Value>, after: Option<&'a Value>) -> Self {
        Operation {
            kind,
            before,
            after,
            raw: None,
            normalized: None,
        }
    }

    /// Attaches the request body as received.
    pub fn with_raw(mut self, raw: &'a Value) -> Self {
        self.raw = Some(raw);
        self
    }

    /// Attaches the request body after normalisation.
    pub fn with_normalized(mut self, normalized: &'a Value) -> Self {
        self.normalized = Some(normalized);
        self
    }
}

/// Why an attribute got its [`Outcome`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Reason {
    /// The attribute holds the identifier email.
    Identifier,
    /// The identifier changed in letter case only: a no-op.
    IdentifierCase,
    /// `active`, which maps to `scim_active`.
    Active,
    /// `active` was removed; the previous value stays so reads keep returning `scim_active`.
    ActiveRemoved,
    /// A name attribute changed after registration.
    Name,
    /// A name attribute at create: it becomes the registered name.
    Registration,
    /// A create adopted an existing account, which keeps its own name and email.
    ExistingAccount,
    /// A per-attribute rule of the rule set.
    AttributeRule,
    /// Any other attribute.
    Other,
}

/// The outcome for one attribute of an operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributeOutcome {
    /// The attribute path, e.g. `name.givenName`.
    pub path: String,
    /// What happened to it.
    pub outcome: Outcome,
    /// Which rule decided.
    pub reason: Reason,
}

/// A change the product must make to its account, in order. [`Applied::account`] already
/// shows their result; they are listed so the product can run its own hooks (e.g. apply the
/// template's policies, start a retention timer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "effect"
)]
pub enum Effect {
    /// Create a new account with this email and registered name.
    CreateAccount {
        /// The identifier email.
        email: String,
        /// The registered name.
        registered_name: String,
    },
    /// Bring an existing non-SCIM account under SCIM management; its name and template stay.
    AdoptIntoScim {
        /// How the account had joined.
        joined_via: JoinedVia,
    },
    /// Make an account whose membership had ended a member again (a create after a DELETE,
    /// when the product retained the account).
    RestoreMembership,
    /// Assign the account to a policy template.
    AssignTemplate {
        /// The template.
        template: TemplateId,
    },
    /// Change the registered name (only when the rule set applies name changes).
    SetRegisteredName {
        /// The new name.
        name: String,
    },
    /// Change the identifier email (only when the rule set applies identifier changes). The
    /// product must refuse with 409 `uniqueness` if another account of the tenant has it.
    SetEmail {
        /// The new email.
        email: String,
    },
    /// Set the `active` flag the identity provider controls.
    SetScimActive {
        /// The new value.
        active: bool,
    },
    /// End the account's membership in the tenant (SCIM DELETE). The account loses access
    /// (`scim_active` becomes false) and leaves SCIM management. **Retention hook:** whether the
    /// account's data is kept, handed over or erased, and when, is the product's decision; act on
    /// this effect.
    EndMembership,
}

impl Account {
    /// Applies one [`Effect`]. Effects never touch `admin_suspended`, and only
    /// [`Effect::AssignTemplate`] / [`Effect::SetRegisteredName`] touch the template / name.
    pub fn apply_effect(&mut self, effect: &Effect) {
        match effect {
            Effect::CreateAccount {
                email,
                registered_name,
            } => {
                self.email.clone_from(email);
                self.registered_name.clone_from(registered_name);
                self.joined_via = JoinedVia::Scim;
                self.managed_by_scim = true;
                self.membership = Membership::Active;
            }
            Effect::AdoptIntoScim { .. } => self.managed_by_scim = true,
            Effect::RestoreMembership => {
                self.membership = Membership::Active;
                self.managed_by_scim = true;
            }
            Effect::AssignTemplate { template } => self.template = *template,
            Effect::SetRegisteredName { name } => self.registered_name.clone_from(name),
            Effect::SetEmail { email } => self.email.clone_from(email),
            Effect::SetScimActive { active } => self.scim_active = *active,
            Effect::EndMembership => {
                self.membership = Membership::Ended;
                self.managed_by_scim = false;
                self.scim_active = false;
            }
        }
    }
}

/// An accepted operation: what to store and return.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The SCIM resource to store and return to the identity provider (`None` after a delete).
    /// Equal to the operation's `after` unless [`rewritten`](Applied::rewritten).
    pub resource: Option<Value>,
    /// Whether the policy changed the resource (ignored attributes restored or stripped,
    /// string booleans made booleans).
    pub rewritten: bool,
    /// The account to store.
    pub account: Account,
    /// The account changes, in order; applying them to the account before gives
    /// [`account`](Applied::account).
    pub effects: Vec<Effect>,
}

/// Accept or refuse.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Store and return as [`Applied`] says.
    Apply(Applied),
    /// Return this SCIM error; store nothing.
    Reject(ScimError),
}

/// The result of a SCIM operation, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "result"
)]
pub enum AuditResult {
    /// Applied as given.
    Applied,
    /// Applied after the policy rewrote the resource.
    Rewritten,
    /// Refused.
    Rejected {
        /// HTTP status.
        status: u16,
        /// SCIM error type.
        scim_type: Option<ScimType>,
        /// The detail returned.
        detail: String,
    },
}

/// What [`decide`](crate::decide) concluded.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The operation's kind.
    pub kind: OperationKind,
    /// Accept (with what to store) or refuse.
    pub verdict: Verdict,
    /// The outcome per changed attribute (filled for rejected operations too, up to the
    /// attribute that caused the rejection).
    pub attributes: Vec<AttributeOutcome>,
    /// Advice for the tenant administrator.
    pub warnings: Vec<Warning>,
}

impl Decision {
    /// Whether the operation is refused.
    pub fn is_rejected(&self) -> bool {
        matches!(self.verdict, Verdict::Reject(_))
    }

    /// The error to return, if refused.
    pub fn error(&self) -> Option<&ScimError> {
        match &self.verdict {
            Verdict::Reject(e) => Some(e),
            Verdict::Apply(_) => None,
        }
    }

    /// What to store, if accepted.
    pub fn applied(&self) -> Option<&Applied> {
        match &self.verdict {
            Verdict::Apply(a) => Some(a),
            Verdict::Reject(_) => None,
        }
    }

    /// Turns the decision into a `Result` the dispatcher can `?` on.
    pub fn into_result(self) -> Result<Applied, ScimError> {
        match self.verdict {
            Verdict::Apply(a) => Ok(a),
            Verdict::Reject(e) => Err(e),
        }
    }

    /// The outcome recorded for an attribute path (case-insensitive), if it changed.
    pub fn outcome_of(&self, path: &str) -> Option<Outcome> {
        self.attributes
            .iter()
            .find(|a| a.path.eq_ignore_ascii_case(path))
            .map(|a| a.outcome)
    }

    /// The result for the audit log.
    pub fn audit_result(&self) -> AuditResult {
        match &self.verdict {
            Verdict::Apply(a) if a.rewritten => AuditResult::Rewritten,
            Verdict::Apply(_) => AuditResult::Applied,
            Verdict::Reject(e) => AuditResult::Rejected {
                status: e.status(),
                scim_type: e.scim_type(),
                detail: e.detail().to_owned(),
            },
        }
    }
}
