//! The product's view of a user: the [`Account`] a SCIM resource maps to.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Identifies a policy template of a tenant (e.g. "Default", "Contractors").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TemplateId(pub u64);

impl fmt::Display for TemplateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "template#{}", self.0)
    }
}

/// How an account came to belong to the tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum JoinedVia {
    /// Created by a SCIM create from the identity provider.
    Scim,
    /// Joined on its own because its email is in a verified domain set to add users automatically.
    DomainAutoAdd,
    /// Accepted an invitation.
    Invite,
    /// Added by a tenant administrator by hand.
    Manual,
}

/// Whether the account is still a member of the tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Membership {
    /// A member of the tenant.
    Active,
    /// Membership ended (by a SCIM DELETE). What happens to the data is the product's retention
    /// policy; see [`Effect::EndMembership`](crate::Effect::EndMembership).
    Ended,
}

/// The product's view of a user, kept apart from the SCIM resource (the identity provider's view).
///
/// The two views are linked by the identifier email. A SCIM operation changes an account only
/// through the per-attribute outcomes of a [`Decision`](crate::Decision); admin operations change
/// only [`admin_suspended`](Account::admin_suspended).
///
/// ```
/// use scimkit_policy::{Account, JoinedVia, TemplateId};
///
/// let mut acc = Account::new("ada@example.com", "Ada Lovelace", TemplateId(1), JoinedVia::Invite);
/// assert!(acc.effective_access());
/// acc.admin_suspended = true;
/// assert!(!acc.effective_access());
/// assert!(acc.scim_active, "suspension does not touch the flag the IdP reads");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// The email address that identifies the user in the product.
    pub email: String,
    /// The name given at registration; in the Tresorit preset, later IdP name changes do not touch it.
    pub registered_name: String,
    /// The policy template the account is assigned to.
    pub template: TemplateId,
    /// The `active` flag as last set by the identity provider; SCIM reads return it as `active`.
    pub scim_active: bool,
    /// Suspended locally by a tenant administrator; invisible to the identity provider.
    pub admin_suspended: bool,
    /// How the account joined the tenant.
    pub joined_via: JoinedVia,
    /// Whether the identity provider manages this account through SCIM.
    pub managed_by_scim: bool,
    /// Whether the account is still a member of the tenant.
    pub membership: Membership,
}

impl Account {
    /// A member account that is not (yet) managed by SCIM, active and not suspended.
    pub fn new(
        email: impl Into<String>,
        registered_name: impl Into<String>,
        template: TemplateId,
        joined_via: JoinedVia,
    ) -> Self {
        Account {
            email: email.into(),
            registered_name: registered_name.into(),
            template,
            scim_active: true,
            admin_suspended: false,
            joined_via,
            managed_by_scim: joined_via == JoinedVia::Scim,
            membership: Membership::Active,
        }
    }

    /// Whether the user may use the product: `scim_active && !admin_suspended`.
    ///
    /// An account whose membership ended always has `scim_active == false`, so it has no access.
    pub fn effective_access(&self) -> bool {
        self.scim_active && !self.admin_suspended
    }

    /// Whether the account is a member of the tenant.
    pub fn is_member(&self) -> bool {
        self.membership == Membership::Active
    }

    /// Every field of the account plus `effectiveAccess`, as the tenant admin API shows it.
    ///
    /// ```
    /// use scimkit_policy::{Account, JoinedVia, TemplateId};
    ///
    /// let acc = Account::new("ada@example.com", "Ada", TemplateId(2), JoinedVia::DomainAutoAdd);
    /// let v = acc.to_admin_json();
    /// assert_eq!(v["effectiveAccess"], true);
    /// assert_eq!(v["joinedVia"], "domainAutoAdd");
    /// assert_eq!(v["template"], 2);
    /// ```
    pub fn to_admin_json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let serde_json::Value::Object(map) = &mut v {
            map.insert(
                "effectiveAccess".to_owned(),
                serde_json::Value::Bool(self.effective_access()),
            );
        }
        v
    }

    /// Whether `email` is this account's identifier, ignoring letter case.
    pub fn has_email(&self, email: &str) -> bool {
        same_email(&self.email, email)
    }
}

/// Compares two email addresses the way the product does: by their [`identifier_key`].
///
/// ```
/// assert!(scimkit_policy::same_email("Ada@Example.COM", " ada@example.com"));
/// assert!(!scimkit_policy::same_email("ada@example.com", "ada.l@example.com"));
/// ```
pub fn same_email(a: &str, b: &str) -> bool {
    a.trim() == b.trim() || identifier_key(a) == identifier_key(b)
}

/// The form of an identifier email that accounts are indexed and compared by: surrounding
/// whitespace removed, then [`scimkit_filter::fold`]: width mapping, full case folding, NFC —
/// the key `userName` is indexed and filtered by, so an account and its SCIM user never
/// disagree about who is who. Every comparison or index of the identifier email goes through
/// this one function.
///
/// ```
/// assert_eq!(scimkit_policy::identifier_key(" Ada@Example.COM "), "ada@example.com");
/// // NFC and NFD spellings, fullwidth letters: one account.
/// assert_eq!(
///     scimkit_policy::identifier_key("JOSE\u{301}@example.com"),
///     scimkit_policy::identifier_key("jos\u{e9}@example.com")
/// );
/// assert_eq!(scimkit_policy::identifier_key("ｆred@example.com"), "fred@example.com");
/// ```
pub fn identifier_key(email: &str) -> String {
    scimkit_filter::fold(email.trim()).into_owned()
}
