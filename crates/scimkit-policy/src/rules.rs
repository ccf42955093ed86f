//! A product's provisioning rules: the [`RuleSet`] and its [`RuleSet::tresorit`] preset.

use crate::diff::{get_ci, is_unassigned};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What happens to one attribute of a SCIM operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// Accepted, kept in the SCIM resource, and carried onto the account where the account has a
    /// matching field (identifier email, registered name, `scim_active`).
    Apply,
    /// Accepted and kept in the SCIM resource, so the identity provider reads back what it wrote,
    /// but the account is not changed.
    Shadow,
    /// Accepted (the operation succeeds) and audited, but not kept: the SCIM resource keeps its
    /// previous value.
    Ignore,
    /// The whole operation is refused with a SCIM error; nothing is stored.
    Reject,
}

/// Where the identifier email of a SCIM User is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum IdentifierSource {
    /// `userName` (Entra ID's `userPrincipalName`, Okta's login).
    UserName,
    /// The `emails` entry with `primary: true`, else the `work` one, else the first.
    PrimaryEmail,
    /// The `emails` entry with `type: "work"`, else the primary one, else the first.
    WorkEmail,
}

/// What a SCIM create does when its identifier email already belongs to a member account of the
/// tenant that is not managed by SCIM (joined by domain auto-add, invitation or by hand).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OnExistingAccount {
    /// Bring the account under SCIM management (201); its registered name and template stay.
    Adopt,
    /// Refuse with 409 `uniqueness`.
    Conflict,
}

/// The status returned for every SCIM operation while provisioning is disabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DisabledStatus {
    /// 401 Unauthorized.
    Unauthorized,
    /// 403 Forbidden.
    Forbidden,
}

/// An outcome for one attribute (and its sub-attributes), overriding the rule set's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributeRule {
    /// An attribute path such as `title`, `name.middleName` or
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`; matched
    /// case-insensitively, and covering sub-attributes (`name` covers `name.givenName`).
    pub path: String,
    /// What a change of the attribute does.
    pub outcome: Outcome,
}

/// A product's provisioning rules. Build one from a preset and adjust it:
///
/// ```
/// use scimkit_policy::{OnExistingAccount, Outcome, RuleSet};
///
/// let rules = RuleSet::tresorit()
///     .with_name_changes(Outcome::Apply)
///     .with_existing_account(OnExistingAccount::Conflict)
///     .with_attribute("title", Outcome::Ignore);
/// assert_eq!(rules.name_changes, Outcome::Apply);
/// assert_eq!(rules.outcome_for_path("Title"), Some(Outcome::Ignore));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleSet {
    /// Where the identifier email is read from.
    pub identifier: IdentifierSource,
    /// What a change of the identifier to a different address does: [`Outcome::Reject`] (400
    /// `mutability`) or [`Outcome::Apply`] (the account's email follows). A change in letter case
    /// only is always a no-op ([`Outcome::Ignore`]).
    pub identifier_changes: Outcome,
    /// The attributes that make up a person's name (top-level names, sub-attributes included).
    pub name_attributes: Vec<String>,
    /// What a later change of a name attribute does; at create the IdP's name is always the
    /// registered name.
    pub name_changes: Outcome,
    /// Per-attribute overrides, longest matching path wins.
    pub attribute_rules: Vec<AttributeRule>,
    /// What a change of any other attribute does.
    pub other_changes: Outcome,
    /// What a create does for an email that belongs to a non-SCIM account.
    pub existing_account: OnExistingAccount,
    /// The status of every SCIM operation while provisioning is disabled.
    pub when_disabled: DisabledStatus,
}

impl RuleSet {
    /// The rules of the Tresorit product described in the seed document:
    ///
    /// - the identifier email is `userName`; changing it to another address is rejected (400
    ///   `mutability`), a letter-case change is a no-op;
    /// - name attributes (`name`, `displayName`, `nickName`) are shadowed after registration;
    /// - `password` is ignored (the product's keys are the user's own; an IdP cannot set them);
    /// - other attributes are shadowed (the product has no field for them);
    /// - a create for a non-SCIM account's email adopts it;
    /// - while provisioning is disabled, SCIM operations get 403 Forbidden.
    pub fn tresorit() -> Self {
        RuleSet {
            identifier: IdentifierSource::UserName,
            identifier_changes: Outcome::Reject,
            name_attributes: vec!["name".into(), "displayName".into(), "nickName".into()],
            name_changes: Outcome::Shadow,
            attribute_rules: vec![AttributeRule {
                path: "password".into(),
                outcome: Outcome::Ignore,
            }],
            other_changes: Outcome::Shadow,
            existing_account: OnExistingAccount::Adopt,
            when_disabled: DisabledStatus::Forbidden,
        }
    }

    /// Plain SCIM, no product rules: every change the IdP sends applies (the identifier email
    /// follows `userName`, including renames to another address; names, `password` and every
    /// other attribute apply), a create for an existing non-SCIM account adopts it, and SCIM
    /// operations get 403 Forbidden while provisioning is disabled. Accounts are still kept
    /// (template, admin suspension, effective access), so the admin API works the same.
    pub fn plain() -> Self {
        RuleSet {
            identifier_changes: Outcome::Apply,
            name_changes: Outcome::Apply,
            attribute_rules: Vec::new(),
            other_changes: Outcome::Apply,
            ..RuleSet::tresorit()
        }
    }

    /// Sets [`name_changes`](RuleSet::name_changes).
    pub fn with_name_changes(mut self, outcome: Outcome) -> Self {
        self.name_changes = outcome;
        self
    }

    /// Sets [`identifier`](RuleSet::identifier).
    pub fn with_identifier(mut self, source: IdentifierSource) -> Self {
        self.identifier = source;
        self
    }

    /// Sets [`identifier_changes`](RuleSet::identifier_changes).
    pub fn with_identifier_changes(mut self, outcome: Outcome) -> Self {
        self.identifier_changes = outcome;
        self
    }

    /// Sets [`existing_account`](RuleSet::existing_account).
    pub fn with_existing_account(mut self, on_existing: OnExistingAccount) -> Self {
        self.existing_account = on_existing;
        self
    }

    /// Sets [`other_changes`](RuleSet::other_changes).
    pub fn with_other_changes(mut self, outcome: Outcome) -> Self {
        self.other_changes = outcome;
        self
    }

    /// Sets [`when_disabled`](RuleSet::when_disabled).
    pub fn with_when_disabled(mut self, status: DisabledStatus) -> Self {
        self.when_disabled = status;
        self
    }

    /// Adds (or replaces) a per-attribute override.
    pub fn with_attribute(mut self, path: impl Into<String>, outcome: Outcome) -> Self {
        let path = path.into();
        self.attribute_rules
            .retain(|r| !r.path.eq_ignore_ascii_case(&path));
        self.attribute_rules.push(AttributeRule { path, outcome });
        self
    }

    /// The override for an attribute path, if any: the longest rule path that equals `path` or
    /// is a parent of it (`name` for `name.givenName`, an extension URN for its attributes).
    pub fn outcome_for_path(&self, path: &str) -> Option<Outcome> {
        self.attribute_rules
            .iter()
            .filter(|r| path_covers(&r.path, path))
            .max_by_key(|r| r.path.len())
            .map(|r| r.outcome)
    }

    /// Whether `path` is (under) one of the [`name_attributes`](RuleSet::name_attributes).
    pub fn is_name_path(&self, path: &str) -> bool {
        self.name_attributes.iter().any(|n| path_covers(n, path))
    }

    /// The identifier email of a SCIM User resource, as spelled there, if present.
    ///
    /// The dispatcher uses it on create to look up an existing account before calling
    /// [`decide`](crate::decide).
    ///
    /// ```
    /// use scimkit_policy::{IdentifierSource, RuleSet};
    /// use serde_json::json;
    ///
    /// let user = json!({
    ///     "UserName": "ada@example.com",
    ///     "emails": [{"value": "ada.l@example.com", "type": "work", "primary": true}]
    /// });
    /// let rules = RuleSet::tresorit();
    /// assert_eq!(rules.identifier_of(&user), Some("ada@example.com"));
    /// let rules = rules.with_identifier(IdentifierSource::PrimaryEmail);
    /// assert_eq!(rules.identifier_of(&user), Some("ada.l@example.com"));
    /// ```
    pub fn identifier_of<'v>(&self, resource: &'v Value) -> Option<&'v str> {
        match self.identifier {
            IdentifierSource::UserName => get_ci(resource, "userName").and_then(Value::as_str),
            IdentifierSource::PrimaryEmail => email_entry(
                resource,
                &[EmailPick::Primary, EmailPick::Work, EmailPick::First],
            ),
            IdentifierSource::WorkEmail => email_entry(
                resource,
                &[EmailPick::Work, EmailPick::Primary, EmailPick::First],
            ),
        }
    }

    /// The top-level attribute that holds the identifier (`userName` or `emails`).
    pub fn identifier_attribute(&self) -> &'static str {
        match self.identifier {
            IdentifierSource::UserName => "userName",
            IdentifierSource::PrimaryEmail | IdentifierSource::WorkEmail => "emails",
        }
    }
}

impl Default for RuleSet {
    fn default() -> Self {
        RuleSet::tresorit()
    }
}

/// Whether rule path `rule` equals `path` or is an ancestor of it, case-insensitively.
fn path_covers(rule: &str, path: &str) -> bool {
    match (path.get(..rule.len()), path.get(rule.len()..)) {
        (Some(head), Some(rest)) if head.eq_ignore_ascii_case(rule) => {
            rest.is_empty() || rest.starts_with('.') || rest.starts_with(':')
        }
        _ => false,
    }
}

#[derive(Clone, Copy)]
enum EmailPick {
    Primary,
    Work,
    First,
}

fn email_entry<'v>(resource: &'v Value, picks: &[EmailPick]) -> Option<&'v str> {
    let emails = get_ci(resource, "emails")?.as_array()?;
    let value_of = |e: &'v Value| get_ci(e, "value").and_then(Value::as_str);
    for pick in picks {
        let found = emails.iter().find(|e| match pick {
            EmailPick::Primary => get_ci(e, "primary").is_some_and(is_true),
            EmailPick::Work => get_ci(e, "type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case("work")),
            EmailPick::First => !is_unassigned(e),
        });
        if let Some(v) = found.and_then(value_of) {
            return Some(v);
        }
    }
    None
}

/// `true`, or a string spelling of it (Entra ID sends `"True"`).
pub(crate) fn is_true(v: &Value) -> bool {
    parse_bool(v) == Some(true)
}

/// A boolean, or a string `"true"` / `"false"` in any letter case.
pub(crate) fn parse_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// The registered name a create gives the account: `displayName`, else `name.formatted`, else
/// `name.givenName` and `name.familyName` joined, else the identifier.
pub fn registered_name_of(resource: &Value, identifier: &str) -> String {
    let text = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let name = get_ci(resource, "name");
    if let Some(s) = text(get_ci(resource, "displayName")) {
        return s;
    }
    if let Some(s) = text(name.and_then(|n| get_ci(n, "formatted"))) {
        return s;
    }
    let parts: Vec<String> = ["givenName", "familyName"]
        .iter()
        .filter_map(|k| text(name.and_then(|n| get_ci(n, k))))
        .collect();
    if parts.is_empty() {
        identifier.trim().to_owned()
    } else {
        parts.join(" ")
    }
}
