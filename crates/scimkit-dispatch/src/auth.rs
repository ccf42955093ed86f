//! Authentication: who is calling, and for which tenant.

use crate::store::TenantId;
use scimkit_schema::{Profile, ScimError};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::future::{ready, Future};
use std::sync::{Arc, PoisonError, RwLock};
use subtle::ConstantTimeEq;

/// The authenticated caller of a request. Built with [`Principal::new`] and the `with_*`
/// methods (the type grows).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Principal {
    /// The tenant every store call of the request is scoped to.
    pub tenant: TenantId,
    /// The compatibility profile for this caller's requests (e.g. [`Profile::entra_id`] for a
    /// tenant provisioned by Entra ID); `None` uses the dispatcher's default.
    pub profile: Option<Profile>,
    /// The id of the `User` resource the caller is, which `/Me` (RFC 7644 §3.11) stands for;
    /// `None` (as for an identity provider's token) makes `/Me` answer 501.
    pub me: Option<String>,
}

impl Principal {
    /// A principal of `tenant` with the dispatcher's default profile.
    pub fn new(tenant: TenantId) -> Self {
        Principal {
            tenant,
            profile: None,
            me: None,
        }
    }

    /// This principal with a compatibility profile of its own.
    #[must_use]
    pub fn with_profile(mut self, profile: Option<Profile>) -> Self {
        self.profile = profile;
        self
    }

    /// This principal as the `User` with this id (what `/Me` stands for).
    #[must_use]
    pub fn with_me(mut self, user_id: impl Into<String>) -> Self {
        self.me = Some(user_id.into());
        self
    }
}

/// Decides who a request comes from, from its head (method, URI, headers).
///
/// Return a 401 [`ScimError`] (the dispatcher adds `WWW-Authenticate: Bearer`) for missing or
/// wrong credentials and 403 for a known caller that may not provision.
pub trait Authenticator: Send + Sync + 'static {
    /// Authenticates a request.
    fn authenticate(
        &self,
        request: &http::request::Parts,
    ) -> impl Future<Output = Result<Principal, ScimError>> + Send;
}

/// Bearer tokens, each mapped to a tenant. Only SHA-256 digests of the tokens are kept, and the
/// presented token's digest is compared in constant time.
///
/// Cheap to clone (clones share the table), so tokens can be added or revoked while a
/// dispatcher uses it.
///
/// ```
/// use scimkit_dispatch::{Authenticator, BearerTokens, TenantId};
/// # futures_executor::block_on(async {
/// let tokens = BearerTokens::new();
/// tokens.insert("s3cret-token", TenantId::new("acme"));
/// let req = http::Request::get("/Users")
///     .header("Authorization", "Bearer s3cret-token")
///     .body(())
///     .unwrap();
/// let (parts, _) = req.into_parts();
/// assert_eq!(tokens.authenticate(&parts).await.unwrap().tenant.as_str(), "acme");
/// # });
/// ```
#[derive(Debug, Clone, Default)]
pub struct BearerTokens {
    table: Arc<RwLock<HashMap<[u8; 32], Principal>>>,
}

/// The SHA-256 digest of a token: what [`BearerTokens`] stores.
pub fn token_digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl BearerTokens {
    /// An empty table: every request is refused.
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts `token` for `tenant`.
    pub fn insert(&self, token: &str, tenant: TenantId) {
        self.insert_digest(token_digest(token), Principal::new(tenant));
    }

    /// Accepts the token whose SHA-256 digest is `digest` (e.g. loaded from a database) as
    /// `principal`.
    pub fn insert_digest(&self, digest: [u8; 32], principal: Principal) {
        self.table
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(digest, principal);
    }

    /// Stops accepting `token`; returns whether it was accepted.
    pub fn revoke(&self, token: &str) -> bool {
        self.table
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&token_digest(token))
            .is_some()
    }

    /// Stops accepting every token of `tenant`; returns how many there were.
    pub fn revoke_tenant(&self, tenant: &TenantId) -> usize {
        let mut table = self.table.write().unwrap_or_else(PoisonError::into_inner);
        let before = table.len();
        table.retain(|_, p| &p.tenant != tenant);
        before - table.len()
    }

    /// The principal for a presented token, if any.
    ///
    /// The table is keyed by digest, so a lookup's timing depends only on the SHA-256 digest of
    /// the presented token, which reveals nothing usable about stored tokens; the digest found
    /// is then confirmed with a constant-time comparison.
    pub fn lookup(&self, token: &str) -> Option<Principal> {
        let digest = token_digest(token);
        let table = self.table.read().unwrap_or_else(PoisonError::into_inner);
        let (stored, principal) = table.get_key_value(&digest)?;
        bool::from(stored.ct_eq(&digest)).then(|| principal.clone())
    }
}

/// The token of an `Authorization: Bearer …` header (scheme compared without regard to case).
pub fn bearer_token(parts: &http::request::Parts) -> Option<&str> {
    let value = parts
        .headers
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl Authenticator for BearerTokens {
    fn authenticate(
        &self,
        request: &http::request::Parts,
    ) -> impl Future<Output = Result<Principal, ScimError>> + Send {
        ready(match bearer_token(request) {
            None => Err(ScimError::unauthorized(
                "Authorization: Bearer <token> is required",
            )),
            Some(token) => self
                .lookup(token)
                .ok_or_else(|| ScimError::unauthorized("The bearer token is not valid")),
        })
    }
}

/// Lets every request in as one tenant. For tests and local experiments only.
#[derive(Debug, Clone)]
pub struct AllowAll(pub TenantId);

impl Authenticator for AllowAll {
    fn authenticate(
        &self,
        _request: &http::request::Parts,
    ) -> impl Future<Output = Result<Principal, ScimError>> + Send {
        ready(Ok(Principal::new(self.0.clone())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_executor::block_on;

    fn parts(auth: Option<&str>) -> http::request::Parts {
        let mut b = http::Request::get("/Users");
        if let Some(a) = auth {
            b = b.header("Authorization", a);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn tokens_map_to_tenants_and_can_be_revoked() {
        let t = BearerTokens::new();
        t.insert("one", TenantId::new("a"));
        t.insert("two", TenantId::new("b"));
        let auth = |h: Option<&str>| block_on(t.authenticate(&parts(h)));
        assert_eq!(auth(Some("Bearer one")).unwrap().tenant.as_str(), "a");
        assert_eq!(auth(Some("bearer   two ")).unwrap().tenant.as_str(), "b");
        assert_eq!(auth(Some("Bearer three")).unwrap_err().status(), 401);
        assert_eq!(auth(Some("Basic one")).unwrap_err().status(), 401);
        assert_eq!(auth(None).unwrap_err().status(), 401);
        assert!(t.revoke("one"));
        assert!(auth(Some("Bearer one")).is_err());
        assert_eq!(t.revoke_tenant(&TenantId::new("b")), 1);
        assert!(auth(Some("Bearer two")).is_err());
    }

    #[test]
    fn only_digests_are_kept() {
        let t = BearerTokens::new();
        t.insert("very-secret-token", TenantId::new("a"));
        let dump = format!("{t:?}");
        assert!(!dump.contains("very-secret-token"));
    }
}
