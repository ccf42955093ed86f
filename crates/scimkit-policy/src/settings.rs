//! A tenant's provisioning settings and the configuration lint over them.

use crate::account::TemplateId;
use serde::{Deserialize, Serialize};

/// What happens when someone with an email address in a verified domain signs up on their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RegistrationMode {
    /// "Add to subscription automatically": the user joins the tenant without SCIM or an invite.
    AddAutomatically,
    /// "Invite only registration": the user needs an invitation.
    InviteOnly,
    /// "Do not add to subscription".
    DoNotAdd,
}

impl RegistrationMode {
    /// Every mode.
    pub const ALL: [RegistrationMode; 3] = [
        RegistrationMode::AddAutomatically,
        RegistrationMode::InviteOnly,
        RegistrationMode::DoNotAdd,
    ];
}

/// An email domain the tenant has proved it owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedDomain {
    /// The domain, lower case, without a leading `@` (e.g. `example.com`).
    pub domain: String,
    /// How self-registrations from the domain are handled.
    pub mode: RegistrationMode,
}

/// Which identity provider the tenant connects: it picks the compatibility profile the
/// dispatcher handles the tenant's SCIM requests with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum IdpDialect {
    /// Detect per request (wire name `generic`): Okta's profile for a request whose
    /// `User-Agent` names Okta, else the dispatcher's default profile (Entra ID's, which also
    /// accepts every standard request). Lenient: e.g. a PATCH `replace` on a value path that
    /// matches nothing creates the element, as Entra ID expects.
    #[default]
    Generic,
    /// Microsoft Entra ID (formerly Azure Active Directory), whatever the `User-Agent`.
    EntraId,
    /// Okta, whatever the `User-Agent`.
    Okta,
    /// Plain RFC 7643/7644 (wire name `strict`), whatever the `User-Agent`: no IdP quirks,
    /// e.g. a PATCH `replace` on a value path that matches nothing is 400 `noTarget`.
    Strict,
}

impl IdpDialect {
    /// Every dialect, in the order the admin API lists their wire names.
    pub const ALL: [IdpDialect; 4] = [
        IdpDialect::Generic,
        IdpDialect::EntraId,
        IdpDialect::Okta,
        IdpDialect::Strict,
    ];
}

/// A tenant's provisioning settings, as the tenant administrator configures them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantSettings {
    /// Whether SCIM provisioning is turned on; when off every SCIM operation is refused.
    pub provisioning_enabled: bool,
    /// The policy template new SCIM users are assigned to, read at the moment of each create.
    pub default_template: TemplateId,
    /// Verified email domains and their registration modes.
    pub verified_domains: Vec<VerifiedDomain>,
    /// The identity provider's dialect.
    pub dialect: IdpDialect,
}

impl TenantSettings {
    /// Settings with provisioning off, no verified domains and the generic dialect.
    pub fn new(default_template: TemplateId) -> Self {
        TenantSettings {
            provisioning_enabled: false,
            default_template,
            verified_domains: Vec::new(),
            dialect: IdpDialect::Generic,
        }
    }

    /// The verified domain an email address belongs to, if any (case-insensitive).
    pub fn domain_of(&self, email: &str) -> Option<&VerifiedDomain> {
        let (_, domain) = email.trim().rsplit_once('@')?;
        let domain = domain.to_lowercase();
        self.verified_domains.iter().find(|d| d.domain == domain)
    }

    /// The configuration lint: advice about settings that work against SCIM provisioning.
    ///
    /// ```
    /// use scimkit_policy::{RegistrationMode, TemplateId, TenantSettings, VerifiedDomain, WarningCode};
    ///
    /// let mut s = TenantSettings::new(TemplateId(1));
    /// s.verified_domains.push(VerifiedDomain {
    ///     domain: "example.com".into(),
    ///     mode: RegistrationMode::AddAutomatically,
    /// });
    /// assert!(s.lint().is_empty(), "no advice while provisioning is off");
    /// s.provisioning_enabled = true;
    /// let w = s.lint();
    /// assert_eq!(w[0].code, WarningCode::AutoAddDomainWithProvisioning);
    /// assert!(w[0].message.contains("Invite only"));
    /// ```
    pub fn lint(&self) -> Vec<Warning> {
        if !self.provisioning_enabled {
            return Vec::new();
        }
        self.verified_domains
            .iter()
            .filter(|d| d.mode == RegistrationMode::AddAutomatically)
            .map(|d| Warning {
                code: WarningCode::AutoAddDomainWithProvisioning,
                message: format!(
                    "verified domain {} adds users to the subscription automatically, so users can \
                     join outside SCIM provisioning; with provisioning on, set the domain to \
                     \"Invite only\" registration or \"Do not add to subscription\"",
                    d.domain
                ),
            })
            .collect()
    }
}

/// What a [`Warning`] is about, for programs that act on warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum WarningCode {
    /// A verified domain is in `AddAutomatically` while provisioning is on.
    AutoAddDomainWithProvisioning,
    /// A SCIM create adopted an account that joined through a verified domain's auto-add.
    AdoptedAutoAddedAccount,
    /// `active` arrived as a string (`"False"`, Entra ID's habit) and was read as a boolean.
    StringBoolean,
}

/// Advice for the tenant administrator; never blocks an operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Warning {
    /// What the warning is about.
    pub code: WarningCode,
    /// A sentence for the administrator.
    pub message: String,
}
