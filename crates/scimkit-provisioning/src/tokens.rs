//! SCIM tokens: enabling, disabling, rotating and revoking provisioning, and authenticating a
//! bearer token by its digest ([`ProvisioningState::tenant_by_token`]).

use super::{Provisioning, ProvisioningError, ProvisioningState};
use scimkit_dispatch::TenantId;
use scimkit_dispatch::{bearer_token, Authenticator, Principal};
use scimkit_policy::{disabled_error, IdpDialect, ProvisioningToken, TokenDigest};
use scimkit_schema::{Profile, ScimError};
use std::future::Future;

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

impl<B: ProvisioningState> Provisioning<B> {
    fn entropy(&self) -> Result<[u8; 32], ProvisioningError> {
        (self.entropy)().map_err(ProvisioningError::Entropy)
    }

    /// Turns provisioning on and returns a new SCIM token, to show once; only its digest is kept.
    ///
    /// # Errors
    /// [`ProvisioningError::Admin`] when provisioning is on already,
    /// [`ProvisioningError::Entropy`], [`ProvisioningError::UnknownTenant`],
    /// [`ProvisioningError::Store`].
    pub async fn enable_provisioning(
        &self,
        tenant: &str,
    ) -> Result<ProvisioningToken, ProvisioningError> {
        self.enable(tenant, None).await
    }

    /// Turns provisioning on with a token the operator chose (e.g. from a secret store)
    /// instead of a generated one; only its digest is kept. Disable, rotate and revoke treat it
    /// like a generated token. Choose a long random token.
    ///
    /// # Errors
    /// As [`Provisioning::enable_provisioning`].
    pub async fn enable_provisioning_with_token(
        &self,
        tenant: &str,
        token: &str,
    ) -> Result<(), ProvisioningError> {
        self.enable(tenant, Some(token)).await.map(drop)
    }

    /// Enables provisioning and registers the token that opens the tenant's SCIM endpoint: the
    /// operator's when given (the tenant's own generated token is then never shown, so only the
    /// operator's works), else the generated one.
    async fn enable(
        &self,
        tenant: &str,
        operator_token: Option<&str>,
    ) -> Result<ProvisioningToken, ProvisioningError> {
        let entropy = self.entropy()?;
        self.change_tenant(tenant, |r, now| {
            let token = r.tenant.enable_provisioning(entropy, now)?;
            r.disabled_token = None;
            r.operator_token = operator_token.map(|chosen| TokenDigest::of(chosen.trim()));
            Ok(token)
        })
        .await
    }

    /// Turns provisioning off: every SCIM request of the tenant is refused until it is enabled
    /// again, which issues a new token.
    ///
    /// # Errors
    /// [`ProvisioningError::UnknownTenant`], [`ProvisioningError::Store`].
    pub async fn disable_provisioning(&self, tenant: &str) -> Result<(), ProvisioningError> {
        self.change_tenant(tenant, |r, now| {
            let current = r.operator_token.take().or(r.tenant.token_digest().copied());
            if current.is_some() {
                r.disabled_token = current;
            }
            r.tenant.disable_provisioning(now);
            Ok(())
        })
        .await
    }

    /// Replaces the SCIM token (provisioning must be on); the old one stops working.
    ///
    /// # Errors
    /// [`ProvisioningError::Admin`] when provisioning is off, [`ProvisioningError::Entropy`],
    /// [`ProvisioningError::UnknownTenant`], [`ProvisioningError::Store`].
    pub async fn rotate_token(&self, tenant: &str) -> Result<ProvisioningToken, ProvisioningError> {
        let entropy = self.entropy()?;
        self.change_tenant(tenant, |r, now| {
            let token = r.tenant.rotate_token(entropy, now)?;
            r.operator_token = None;
            Ok(token)
        })
        .await
    }

    /// Replaces the SCIM token with one the operator chose (provisioning must be on), e.g. a
    /// new token from a secret store; the old one stops working. Only its digest is kept.
    ///
    /// # Errors
    /// As [`Provisioning::rotate_token`].
    pub async fn rotate_token_to(
        &self,
        tenant: &str,
        token: &str,
    ) -> Result<(), ProvisioningError> {
        let entropy = self.entropy()?;
        self.change_tenant(tenant, |r, now| {
            // The tenant's own generated token is replaced too, and never shown.
            r.tenant.rotate_token(entropy, now)?;
            r.operator_token = Some(TokenDigest::of(token.trim()));
            Ok(())
        })
        .await
    }

    /// Revokes the SCIM token without turning provisioning off: SCIM requests get 401 until
    /// [`rotate_token`](Provisioning::rotate_token).
    ///
    /// # Errors
    /// [`ProvisioningError::UnknownTenant`], [`ProvisioningError::Store`].
    pub async fn revoke_token(&self, tenant: &str) -> Result<(), ProvisioningError> {
        self.change_tenant(tenant, |r, now| {
            r.operator_token = None;
            r.tenant.revoke_token(now);
            Ok(())
        })
        .await
    }

    async fn authenticate_token(&self, token: &str) -> Result<Principal, ScimError> {
        let invalid = || ScimError::unauthorized("invalid or revoked SCIM token");
        let digest = TokenDigest::of(token.trim());
        let record = self
            .backend
            .tenant_by_token(&digest)
            .await
            .map_err(ScimError::from)?
            .ok_or_else(invalid)?;
        let t = &record.tenant;
        let enabled = t.settings().provisioning_enabled;
        let disabled = || disabled_error(t.rules().when_disabled);
        if record.operator_token == Some(digest) {
            if !enabled {
                return Err(disabled());
            }
        } else if record.operator_token.is_none() && t.token_digest() == Some(&digest) {
            t.authenticate(token)?;
        } else if record.disabled_token == Some(digest) && !enabled {
            // The last token of a tenant whose provisioning is off: say so.
            return Err(disabled());
        } else {
            return Err(invalid());
        }
        Ok(Principal::new(TenantId::new(record.id()))
            .with_profile(profile_of(t.settings().dialect)))
    }
}

impl<B: ProvisioningState> Authenticator for Provisioning<B> {
    fn authenticate(
        &self,
        request: &http::request::Parts,
    ) -> impl Future<Output = Result<Principal, ScimError>> + Send {
        let token = bearer_token(request).map(str::to_owned);
        async move {
            match token {
                None => Err(ScimError::unauthorized(
                    "Authorization: Bearer <token> is required",
                )),
                Some(token) => self.authenticate_token(&token).await,
            }
        }
    }
}
