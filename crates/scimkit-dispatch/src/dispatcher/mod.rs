//! [`Dispatcher`]: routing, parsing, limits, preconditions and rendering of SCIM requests.

mod config;
mod cursor_page;
mod params;
mod query;
mod reads;
mod routing;
mod walks;
mod writes;

use crate::auth::{Authenticator, Principal};
use crate::hooks::{Hooks, NoHooks};
use crate::http_util::error_response;
use crate::render::DefaultPlan;
use crate::store::Store;
use bytes::Bytes;
pub use config::Config;
use http::{header, Request, Response};
use http_body::Body;
use http_body_util::{BodyExt, LengthLimitError, Limited};
pub(crate) use params::*;
use scimkit_schema::{Profile, Registry, ScimError};
use std::sync::Arc;
pub(crate) use writes::{not_found, parse_json};

struct Inner<S, A, H> {
    store: S,
    auth: A,
    hooks: H,
    registry: Registry,
    config: Config,
    /// Per resource type (by name): how the default projection renders without copying.
    plans: Vec<(String, Option<DefaultPlan>)>,
    /// Where recent index walks ended ([`Config::index_walks`]).
    walks: walks::Walks,
}

/// A SCIM 2.0 service provider endpoint: `http::Request` in, `http::Response<Bytes>` out.
///
/// Framework-agnostic and runtime-free: it never opens a socket or spawns a task; the only
/// I/O is the [`Store`] it is given. Cheap to clone (one `Arc`).
///
/// ```
/// use scimkit_dispatch::{BearerTokens, Dispatcher, MemoryStore, TenantId};
/// use bytes::Bytes;
///
/// let tokens = BearerTokens::new();
/// tokens.insert("t0ken", TenantId::new("acme"));
/// let scim = Dispatcher::new(MemoryStore::new(), tokens);
/// # futures_executor::block_on(async {
/// let req = http::Request::post("/Users")
///     .header("Authorization", "Bearer t0ken")
///     .header("Content-Type", "application/scim+json")
///     .body(Bytes::from(r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen"}"#))
///     .unwrap();
/// let resp = scim.handle_bytes(req).await;
/// assert_eq!(resp.status(), 201);
/// assert!(resp.headers()["Location"].to_str().unwrap().starts_with("http://localhost/Users/"));
/// # });
/// ```
pub struct Dispatcher<S, A, H = NoHooks> {
    inner: Arc<Inner<S, A, H>>,
}

impl<S, A, H> Clone for Dispatcher<S, A, H> {
    fn clone(&self) -> Self {
        Dispatcher {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<S, A, H> std::fmt::Debug for Dispatcher<S, A, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Dispatcher`] with a registry, configuration or hooks of your choice.
#[derive(Debug)]
pub struct DispatcherBuilder<S, A, H = NoHooks> {
    store: S,
    auth: A,
    hooks: H,
    registry: Registry,
    config: Config,
}

impl<S: Store, A: Authenticator, H: Hooks<S>> DispatcherBuilder<S, A, H> {
    /// The resource types and schemas to serve (default: [`Registry::standard`]).
    #[must_use]
    pub fn registry(mut self, registry: Registry) -> Self {
        self.registry = registry;
        self
    }

    /// The configuration (default: [`Config::default`]).
    #[must_use]
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// The hooks around writes and reads (e.g. a provisioning policy).
    pub fn hooks<H2: Hooks<S>>(self, hooks: H2) -> DispatcherBuilder<S, A, H2> {
        DispatcherBuilder {
            store: self.store,
            auth: self.auth,
            hooks,
            registry: self.registry,
            config: self.config,
        }
    }

    /// The dispatcher.
    pub fn build(self) -> Dispatcher<S, A, H> {
        let plans = self
            .registry
            .resource_types()
            .map(|rs| (rs.name().to_string(), DefaultPlan::of(&rs)))
            .collect();
        let walks = walks::Walks::new(self.config.index_walks);
        Dispatcher {
            inner: Arc::new(Inner {
                walks,
                store: self.store,
                auth: self.auth,
                hooks: self.hooks,
                registry: self.registry,
                config: self.config,
                plans,
            }),
        }
    }
}

/// Per-request context.
pub(crate) struct Ctx {
    pub(crate) principal: Principal,
    pub(crate) profile: Profile,
    pub(crate) base_url: String,
}

impl<S: Store, A: Authenticator> Dispatcher<S, A, NoHooks> {
    /// A dispatcher serving [`Registry::standard`] (User with the Enterprise extension, Group)
    /// with [`Config::default`] and no hooks.
    pub fn new(store: S, auth: A) -> Self {
        Self::builder(store, auth).build()
    }

    /// A builder to choose the registry, configuration and hooks.
    pub fn builder(store: S, auth: A) -> DispatcherBuilder<S, A, NoHooks> {
        DispatcherBuilder {
            store,
            auth,
            hooks: NoHooks,
            registry: Registry::standard(),
            config: Config::default(),
        }
    }
}

impl<S: Store, A: Authenticator, H: Hooks<S>> Dispatcher<S, A, H> {
    /// The store.
    pub fn store(&self) -> &S {
        &self.inner.store
    }

    /// The authenticator.
    pub fn authenticator(&self) -> &A {
        &self.inner.auth
    }

    /// The hooks.
    pub fn hooks(&self) -> &H {
        &self.inner.hooks
    }

    /// The registry.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Handles one request. The body is read up to the configured limit (413 beyond); every
    /// failure is a SCIM error response. Never panics on input.
    pub async fn handle<B>(&self, request: Request<B>) -> Response<Bytes>
    where
        B: Body,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (parts, body) = request.into_parts();
        match self.read_body(&parts, body).await {
            Ok(bytes) => self.handle_parts(parts, bytes).await,
            Err(refusal) => refusal,
        }
    }

    /// Reads a request's body within the limit for its path (`max_body_bytes`, or
    /// `bulk_max_payload` for `/Bulk`): what [`handle`](Dispatcher::handle) does before
    /// [`handle_parts`](Dispatcher::handle_parts), for a caller that wants the bytes first (e.g.
    /// to choose where to compute the answer by the body's size).
    ///
    /// # Errors
    ///
    /// The SCIM error response to send: 413 for a body (or a `Content-Length`) over the limit,
    /// 400 for a body that could not be read.
    pub async fn read_body<B>(
        &self,
        parts: &http::request::Parts,
        body: B,
    ) -> Result<Bytes, Response<Bytes>>
    where
        B: Body,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let limit = if self.is_bulk_path(parts.uri.path()) {
            self.inner.config.bulk_max_payload
        } else {
            self.inner.config.max_body_bytes
        };
        let too_large = || {
            error_response(&ScimError::payload_too_large(format!(
                "The request body is larger than {limit} bytes"
            )))
        };
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|len| len > limit as u64) {
            return Err(too_large());
        }
        match Limited::new(body, limit).collect().await {
            Ok(c) => Ok(c.to_bytes()),
            Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
            Err(_) => Err(error_response(&ScimError::invalid_syntax(
                "The request body could not be read",
            ))),
        }
    }

    fn is_bulk_path(&self, path: &str) -> bool {
        self.strip_base(path)
            .map(|p| p.trim_matches('/').eq_ignore_ascii_case("Bulk"))
            .unwrap_or(false)
    }

    fn strip_base<'p>(&self, path: &'p str) -> Option<&'p str> {
        let base = self.inner.config.base_path.trim_end_matches('/');
        if base.is_empty() {
            return Some(path);
        }
        let rest = path.get(base.len()..)?;
        (path[..base.len()].eq_ignore_ascii_case(base)
            && (rest.is_empty() || rest.starts_with('/')))
        .then_some(rest)
    }

    /// Handles a request whose body is already in memory (`Bytes`, `Vec<u8>`, `String`,
    /// `&'static str`): the entry point for frameworks that collect bodies themselves (actix)
    /// and for tests. The body size limit still applies.
    pub async fn handle_bytes<T: Into<Bytes>>(&self, request: Request<T>) -> Response<Bytes> {
        let (parts, body) = request.into_parts();
        self.handle_parts(parts, body.into()).await
    }

    /// Handles a request whose body has already been read.
    pub async fn handle_parts(&self, parts: http::request::Parts, body: Bytes) -> Response<Bytes> {
        let limit = if self.is_bulk_path(parts.uri.path()) {
            self.inner.config.bulk_max_payload
        } else {
            self.inner.config.max_body_bytes
        };
        if body.len() > limit {
            return error_response(&ScimError::payload_too_large(format!(
                "The request body is larger than {limit} bytes"
            )));
        }
        match self.dispatch(&parts, body).await {
            Ok(r) => r,
            Err(e) => error_response(&e),
        }
    }
}
