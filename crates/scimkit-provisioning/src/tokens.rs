//! SCIM tokens: enabling, disabling, rotating and revoking provisioning, and authenticating a
//! bearer token against the token index.

use super::{lock, read, write, Provisioning, ProvisioningError, TenantState};
use chrono::{DateTime, Utc};
use scimkit_dispatch::TenantId;
use scimkit_dispatch::{bearer_token, Authenticator, Principal};
use scimkit_policy::{disabled_error, IdpDialect, ProvisioningToken, TokenDigest};
use scimkit_schema::{Profile, ScimError};
use std::collections::HashMap;
use std::future::{ready, Future};

/// A token the tenant accepts.
#[derive(Debug, Clone)]
struct TokenEntry {
    tenant: String,
    /// Chosen by the operator ([`Provisioning::enable_provisioning_with_token`]) rather than
    /// issued by the tenant, so the tenant's own digest does not know it.
    operator: bool,
}

/// The token index.
#[derive(Debug, Default)]
pub(super) struct Tokens {
    /// Current token digests → tenant.
    current: HashMap<TokenDigest, TokenEntry>,
    /// The last token of a tenant whose provisioning was disabled → tenant id, so that token
    /// gets "provisioning is disabled" rather than "invalid token".
    disabled: HashMap<TokenDigest, String>,
}

/// The dispatcher profile for a tenant's identity provider: `None` lets the dispatcher pick per
/// request (Okta's for an Okta `User-Agent`, else its default).
fn profile_of(dialect: IdpDialect) -> Option<Profile> {
    match dialect {
        IdpDialect::EntraId => Some(Profile::entra_id()),
        IdpDialect::Okta => Some(Profile::okta()),
        IdpDialect::Strict => Some(Profile::strict()),
        _ => None,
    }
}

impl Provisioning {
    fn entropy(&self) -> Result<[u8; 32], ProvisioningError> {
        (self.entropy)().map_err(ProvisioningError::Entropy)
    }

    /// Turns provisioning on and returns a new SCIM token, to show once; only its digest is kept.
    pub fn enable_provisioning(
        &self,
        tenant: &str,
    ) -> Result<ProvisioningToken, ProvisioningError> {
        self.enable(tenant, None)
    }

    /// Turns provisioning on with a token the operator chose (e.g. from the command line or a
    /// secret store) instead of a generated one; only its digest is kept. Disable, rotate and
    /// revoke treat it like a generated token. Choose a long random token.
    pub fn enable_provisioning_with_token(
        &self,
        tenant: &str,
        token: &str,
    ) -> Result<(), ProvisioningError> {
        self.enable(tenant, Some(token)).map(drop)
    }

    /// Runs `f` with the token index and a tenant's state locked (in that order).
    fn with_tokens<R>(
        &self,
        tenant: &str,
        f: impl FnOnce(&mut Tokens, &mut TenantState, DateTime<Utc>) -> Result<R, ProvisioningError>,
    ) -> Result<R, ProvisioningError> {
        let now = self.now();
        let cell = self
            .tenant_arc(tenant)
            .ok_or_else(|| ProvisioningError::UnknownTenant(tenant.to_owned()))?;
        let mut tokens = write(&self.shared.tokens);
        let mut t = lock(&cell);
        f(&mut tokens, &mut t, now)
    }

    /// Enables provisioning and registers the token that opens the tenant's SCIM endpoint: the
    /// operator's when given (the tenant's own generated token is then never shown, so only the
    /// operator's works), else the generated one.
    fn enable(
        &self,
        tenant: &str,
        operator_token: Option<&str>,
    ) -> Result<ProvisioningToken, ProvisioningError> {
        let entropy = self.entropy()?;
        self.with_tokens(tenant, |tokens, t, now| {
            let token = t.tenant.enable_provisioning(entropy, now)?;
            tokens.disabled.retain(|_, id| id != tenant);
            let digest = match operator_token {
                Some(chosen) => Some(TokenDigest::of(chosen.trim())),
                None => t.tenant.token_digest().copied(),
            };
            if let Some(digest) = digest {
                tokens.current.insert(
                    digest,
                    TokenEntry {
                        tenant: tenant.to_owned(),
                        operator: operator_token.is_some(),
                    },
                );
            }
            Ok(token)
        })
    }

    /// Turns provisioning off: every SCIM request of the tenant is refused until it is enabled
    /// again, which issues a new token.
    pub fn disable_provisioning(&self, tenant: &str) -> Result<(), ProvisioningError> {
        self.with_tokens(tenant, |tokens, t, now| {
            let Tokens { current, disabled } = tokens;
            current.retain(|d, e| {
                let keep = e.tenant != tenant;
                if !keep {
                    disabled.insert(*d, tenant.to_owned());
                }
                keep
            });
            t.tenant.disable_provisioning(now);
            Ok(())
        })
    }

    /// Replaces the SCIM token (provisioning must be on); the old one stops working.
    pub fn rotate_token(&self, tenant: &str) -> Result<ProvisioningToken, ProvisioningError> {
        let entropy = self.entropy()?;
        self.with_tokens(tenant, |tokens, t, now| {
            let token = t.tenant.rotate_token(entropy, now)?;
            tokens.current.retain(|_, e| e.tenant != tenant);
            if let Some(d) = t.tenant.token_digest() {
                tokens.current.insert(
                    *d,
                    TokenEntry {
                        tenant: tenant.to_owned(),
                        operator: false,
                    },
                );
            }
            Ok(token)
        })
    }

    /// Revokes the SCIM token without turning provisioning off: SCIM requests get 401 until
    /// [`rotate_token`](Provisioning::rotate_token).
    pub fn revoke_token(&self, tenant: &str) -> Result<(), ProvisioningError> {
        self.with_tokens(tenant, |tokens, t, now| {
            tokens.current.retain(|_, e| e.tenant != tenant);
            t.tenant.revoke_token(now);
            Ok(())
        })
    }

    fn authenticate_token(&self, token: &str) -> Result<Principal, ScimError> {
        let invalid = || ScimError::unauthorized("invalid or revoked SCIM token");
        let digest = TokenDigest::of(token);
        let tokens = read(&self.shared.tokens);
        let Some(entry) = tokens.current.get(&digest) else {
            // The last token of a tenant whose provisioning is off: say so; anything else: 401.
            let cell = tokens
                .disabled
                .get(&digest)
                .and_then(|id| self.tenant_arc(id))
                .ok_or_else(invalid)?;
            let t = lock(&cell);
            return if t.tenant.settings().provisioning_enabled {
                Err(invalid())
            } else {
                Err(disabled_error(t.tenant.rules().when_disabled))
            };
        };
        let cell = self.tenant_arc(&entry.tenant).ok_or_else(invalid)?;
        let t = lock(&cell);
        if entry.operator {
            if !t.tenant.settings().provisioning_enabled {
                return Err(disabled_error(t.tenant.rules().when_disabled));
            }
        } else {
            t.tenant.authenticate(token)?;
        }
        Ok(Principal::new(TenantId::new(&entry.tenant))
            .with_profile(profile_of(t.tenant.settings().dialect)))
    }
}

impl Authenticator for Provisioning {
    fn authenticate(
        &self,
        request: &http::request::Parts,
    ) -> impl Future<Output = Result<Principal, ScimError>> + Send {
        ready(match bearer_token(request) {
            None => Err(ScimError::unauthorized(
                "Authorization: Bearer <token> is required",
            )),
            Some(token) => self.authenticate_token(token),
        })
    }
}
