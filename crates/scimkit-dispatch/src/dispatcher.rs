//! [`Dispatcher`]: routing, parsing, limits, preconditions and rendering of SCIM requests.

use crate::auth::{Authenticator, Principal};
use crate::hooks::{Hooks, NoHooks, Write, WriteKind};
use crate::http_util::{
    check_content_type, error_response, json_bytes_response, json_response, query_pairs, set_etag,
    Precondition,
};
use crate::render::{list_body, DefaultPlan, Refs, Rendered};
use crate::store::{Change, Page, Query, Resource, Store, StoreError, Stored};
use crate::{identifiers, read_filter};
use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use scimkit_filter::{
    compare_resources, parse_attr_path, AttrPath, Filter, Limits, Matcher, ParseOptions, SortOrder,
};
use scimkit_schema::{
    get_ci, ListResponse, PatchOp, Profile, Projection, Registry, ResourceSchema, ScimError,
    ServiceProviderConfig,
};
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::sync::Arc;

/// How a [`Dispatcher`] behaves. `Config::default()` suits Entra ID and Okta.
#[derive(Debug, Clone)]
pub struct Config {
    /// The path prefix the SCIM endpoints live under (e.g. `/scim/v2`); `""` for the root.
    /// Requests outside it get 404.
    pub base_path: String,
    /// The public base URL for `meta.location` and `Location`
    /// (e.g. `https://example.com/scim/v2`). When `None`, it is `http://{Host}{base_path}`.
    pub base_url: Option<String>,
    /// The largest request body accepted, in bytes (413 beyond). Default 1 MiB.
    pub max_body_bytes: usize,
    /// The largest page (`count` is capped to it, and it is the page size when `count` is
    /// absent); advertised as `filter.maxResults`. Default 200.
    pub max_results: usize,
    /// Limits on filter length, depth and terms.
    pub filter_limits: Limits,
    /// Whether filters may compare with bare words (`externalId eq jyoung`), as Microsoft's
    /// older documentation shows Entra ID sending. `None` (the default): only for requests
    /// handled with the Entra ID profile; `Some(b)`: always `b`.
    pub unquoted_filter_values: Option<bool>,
    /// The most operations a `/Bulk` request may hold. Default 1000.
    pub bulk_max_operations: usize,
    /// The largest `/Bulk` payload, in bytes. Default 1 MiB.
    pub bulk_max_payload: usize,
    /// Whether PATCH answers 200 with the resource (`true`, the default) or 204.
    pub patch_returns_resource: bool,
    /// The compatibility profile when neither the principal nor the user agent selects one.
    /// Default: [`Profile::entra_id`], which accepts every standard request too.
    pub profile: Profile,
    /// How often a read-compute-write is retried when another request changed the resource
    /// in between (without `If-Match`). Default 32.
    pub max_write_retries: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            base_path: String::new(),
            base_url: None,
            max_body_bytes: 1 << 20,
            max_results: 200,
            filter_limits: Limits::default(),
            unquoted_filter_values: None,
            bulk_max_operations: 1000,
            bulk_max_payload: 1 << 20,
            patch_returns_resource: true,
            profile: Profile::entra_id(),
            max_write_retries: 32,
        }
    }
}

impl Config {
    /// The `/ServiceProviderConfig` this configuration advertises: exactly what works.
    pub fn service_provider_config(&self) -> ServiceProviderConfig {
        let mut spc = ServiceProviderConfig::default();
        spc.patch.supported = true;
        spc.bulk.supported = true;
        spc.bulk.max_operations = u32::try_from(self.bulk_max_operations).unwrap_or(u32::MAX);
        spc.bulk.max_payload_size = u64::try_from(self.bulk_max_payload).unwrap_or(u64::MAX);
        spc.filter.supported = true;
        spc.filter.max_results = u32::try_from(self.max_results).unwrap_or(u32::MAX);
        spc.change_password.supported = false;
        spc.sort.supported = true;
        spc.etag.supported = true;
        spc
    }
}

struct Inner<S, A, H> {
    store: S,
    auth: A,
    hooks: H,
    registry: Registry,
    config: Config,
    /// Per resource type (by name): how the default projection renders without copying.
    plans: Vec<(String, Option<DefaultPlan>)>,
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
/// # scimkit_dispatch::block_on(async {
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

impl<S: Store, A: Authenticator, H: Hooks> DispatcherBuilder<S, A, H> {
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
    pub fn hooks<H2: Hooks>(self, hooks: H2) -> DispatcherBuilder<S, A, H2> {
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
        Dispatcher {
            inner: Arc::new(Inner {
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

/// The parameters of a query (GET on a type, or a SearchRequest).
#[derive(Debug, Default)]
struct ListParams {
    filter: Option<String>,
    start_index: Option<i64>,
    count: Option<i64>,
    sort_by: Option<String>,
    sort_order: Option<String>,
    attributes: Option<Vec<String>>,
    excluded: Vec<String>,
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

fn parse_int(name: &str, v: &str) -> Result<i64, ScimError> {
    v.trim().parse::<i64>().or_else(|_| {
        // Out-of-range integers saturate; anything else is an error.
        let t = v.trim();
        if !t.is_empty()
            && t.trim_start_matches('-')
                .bytes()
                .all(|b| b.is_ascii_digit())
        {
            Ok(if t.starts_with('-') {
                i64::MIN
            } else {
                i64::MAX
            })
        } else {
            Err(ScimError::invalid_value(format!(
                "{name} must be an integer"
            )))
        }
    })
}

impl ListParams {
    fn from_query(pairs: &[(String, String)]) -> Result<Self, ScimError> {
        let mut p = ListParams::default();
        for (k, v) in pairs {
            match k.to_ascii_lowercase().as_str() {
                "filter" => p.filter = Some(v.clone()),
                "startindex" => p.start_index = Some(parse_int("startIndex", v)?),
                "count" => p.count = Some(parse_int("count", v)?),
                "sortby" => p.sort_by = Some(v.clone()),
                "sortorder" => p.sort_order = Some(v.clone()),
                "attributes" => p.attributes = Some(split_list(v)),
                "excludedattributes" => p.excluded = split_list(v),
                _ => {}
            }
        }
        Ok(p)
    }

    fn from_search(body: &Value) -> Result<Self, ScimError> {
        let Some(obj) = body.as_object() else {
            return Err(ScimError::invalid_syntax(
                "a SearchRequest must be a JSON object",
            ));
        };
        let string = |name: &str| -> Result<Option<String>, ScimError> {
            match get_ci(obj, name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(ScimError::invalid_syntax(format!(
                    "{name} must be a string"
                ))),
            }
        };
        let int = |name: &str| -> Result<Option<i64>, ScimError> {
            match get_ci(obj, name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) => Ok(Some(n.as_i64().unwrap_or_else(|| {
                    if n.as_f64().is_some_and(|f| f < 0.0) {
                        i64::MIN
                    } else {
                        i64::MAX
                    }
                }))),
                Some(Value::String(s)) => parse_int(name, s).map(Some),
                Some(_) => Err(ScimError::invalid_syntax(format!(
                    "{name} must be an integer"
                ))),
            }
        };
        let list = |name: &str| -> Result<Option<Vec<String>>, ScimError> {
            match get_ci(obj, name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(split_list(s))),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|v| {
                        v.as_str().map(str::to_string).ok_or_else(|| {
                            ScimError::invalid_syntax(format!("{name} must list strings"))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some),
                Some(_) => Err(ScimError::invalid_syntax(format!(
                    "{name} must be an array of strings"
                ))),
            }
        };
        Ok(ListParams {
            filter: string("filter")?,
            start_index: int("startIndex")?,
            count: int("count")?,
            sort_by: string("sortBy")?,
            sort_order: string("sortOrder")?,
            attributes: list("attributes")?,
            excluded: list("excludedAttributes")?.unwrap_or_default(),
        })
    }
}

/// Whether a projection leaves `members` out (so the store need not materialise them).
fn wants_members(attributes: Option<&[String]>, excluded: &[String]) -> bool {
    let names_members = |a: &String| {
        let a = a.trim();
        let a = a
            .rsplit_once(':')
            .map_or(a, |(_, rest)| rest)
            .split('.')
            .next()
            .unwrap_or("");
        a.eq_ignore_ascii_case("members")
    };
    if excluded.iter().any(names_members) {
        return false;
    }
    match attributes {
        Some(list) if !list.is_empty() => list.iter().any(names_members),
        _ => true,
    }
}

/// The route of a request path, after the base path.
enum Route<'p> {
    ServiceProviderConfig,
    ResourceTypes(Option<String>),
    Schemas(Option<String>),
    Bulk,
    RootSearch,
    /// `/Me` with this many further segments.
    Me(usize),
    Type(ResourceSchema<'p>),
    TypeSearch(ResourceSchema<'p>),
    Resource(ResourceSchema<'p>, String),
    NotFound,
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

impl<S: Store, A: Authenticator, H: Hooks> Dispatcher<S, A, H> {
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
        if let Some(len) = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            if len > limit as u64 {
                return too_large();
            }
        }
        let bytes = match Limited::new(body, limit).collect().await {
            Ok(c) => c.to_bytes(),
            Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => return too_large(),
            Err(_) => {
                return error_response(&ScimError::invalid_syntax(
                    "The request body could not be read",
                ))
            }
        };
        self.handle_parts(parts, bytes).await
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

    fn base_url(&self, parts: &http::request::Parts) -> String {
        if let Some(u) = &self.inner.config.base_url {
            return u.trim_end_matches('/').to_string();
        }
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                !h.is_empty()
                    && h.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b".-:[]_".contains(&b))
            })
            .or_else(|| parts.uri.authority().map(|a| a.as_str()))
            .unwrap_or("localhost");
        format!(
            "http://{host}{}",
            self.inner.config.base_path.trim_end_matches('/')
        )
    }

    fn route<'p>(&'p self, path: &str) -> Route<'p> {
        let Some(rest) = self.strip_base(path) else {
            return Route::NotFound;
        };
        let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        let reg = &self.inner.registry;
        let is = |s: &str, name: &str| s.eq_ignore_ascii_case(name);
        match segs.as_slice() {
            [s] if is(s, "ServiceProviderConfig") => Route::ServiceProviderConfig,
            [s] if is(s, "ResourceTypes") => Route::ResourceTypes(None),
            [s, n] if is(s, "ResourceTypes") => {
                Route::ResourceTypes(Some(crate::http_util::percent_decode(n, false)))
            }
            [s] if is(s, "Schemas") => Route::Schemas(None),
            [s, n] if is(s, "Schemas") => {
                Route::Schemas(Some(crate::http_util::percent_decode(n, false)))
            }
            [s] if is(s, "Bulk") => Route::Bulk,
            [s] if is(s, ".search") => Route::RootSearch,
            [s, rest @ ..] if is(s, "Me") => Route::Me(rest.len()),
            [t] => reg
                .resource_type_by_endpoint(t)
                .map_or(Route::NotFound, Route::Type),
            [t, s] if is(s, ".search") => reg
                .resource_type_by_endpoint(t)
                .map_or(Route::NotFound, Route::TypeSearch),
            [t, id] => match reg.resource_type_by_endpoint(t) {
                Some(rs) => Route::Resource(rs, crate::http_util::percent_decode(id, false)),
                None => Route::NotFound,
            },
            _ => Route::NotFound,
        }
    }

    async fn dispatch(
        &self,
        parts: &http::request::Parts,
        body: Bytes,
    ) -> Result<Response<Bytes>, ScimError> {
        let principal = self.inner.auth.authenticate(parts).await?;
        let profile = principal.profile.unwrap_or_else(|| self.profile_for(parts));
        let ctx = Ctx {
            principal,
            profile,
            base_url: self.base_url(parts),
        };
        let pairs = query_pairs(parts.uri.query());
        let method = &parts.method;
        let route = match self.route(parts.uri.path()) {
            // `/Me` is an alias of the caller's own User (RFC 7644 §3.11), when it has one.
            Route::Me(rest) => match (&ctx.principal.me, self.inner.registry.resource_type("User"))
            {
                (Some(id), Some(users)) if rest == 0 && method != Method::POST => {
                    Route::Resource(users, id.clone())
                }
                (Some(_), Some(_)) if rest > 0 => Route::NotFound,
                _ => Route::Me(rest),
            },
            other => other,
        };
        let allow = |methods: &'static str| -> Result<Response<Bytes>, ScimError> {
            let mut r = error_response(&ScimError::new(
                405,
                None,
                format!("This endpoint accepts {methods}"),
            ));
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(methods));
            Ok(r)
        };
        if matches!(*method, Method::POST | Method::PUT | Method::PATCH) {
            check_content_type(&parts.headers)?;
        }
        match route {
            Route::NotFound => Err(ScimError::not_found(format!(
                "No SCIM endpoint at {}",
                parts.uri.path()
            ))),
            Route::Me(_) => Err(ScimError::new(
                501,
                None,
                "/Me is not available for this caller (it is not a user of this service provider)",
            )),
            Route::ServiceProviderConfig | Route::ResourceTypes(_) | Route::Schemas(_)
                if method != Method::GET =>
            {
                allow("GET")
            }
            Route::ServiceProviderConfig => {
                self.no_discovery_filter(&pairs)?;
                Ok(json_response(
                    StatusCode::OK,
                    &self
                        .inner
                        .config
                        .service_provider_config()
                        .to_representation(&ctx.base_url),
                ))
            }
            Route::ResourceTypes(name) => {
                self.no_discovery_filter(&pairs)?;
                let reg = &self.inner.registry;
                match name {
                    None => Ok(list_json(reg.resource_type_representations(&ctx.base_url))),
                    Some(n) => reg
                        .resource_type(&n)
                        .map(|rt| {
                            json_response(StatusCode::OK, &rt.to_representation(&ctx.base_url))
                        })
                        .ok_or_else(|| ScimError::not_found("No such resource type")),
                }
            }
            Route::Schemas(id) => {
                self.no_discovery_filter(&pairs)?;
                let reg = &self.inner.registry;
                match id {
                    None => Ok(list_json(reg.schema_representations(&ctx.base_url))),
                    Some(i) => reg
                        .schema(&i)
                        .map(|s| json_response(StatusCode::OK, &s.to_representation(&ctx.base_url)))
                        .ok_or_else(|| ScimError::not_found("No such schema")),
                }
            }
            Route::Bulk if method != Method::POST => allow("POST"),
            Route::Bulk => {
                let v = parse_json(&body)?;
                let out = self.bulk(&ctx, v).await?;
                Ok(json_response(StatusCode::OK, &out))
            }
            Route::RootSearch | Route::TypeSearch(_) if method != Method::POST => allow("POST"),
            Route::RootSearch => {
                let params = ListParams::from_search(&parse_json(&body)?)?;
                let types: Vec<_> = self.inner.registry.resource_types().collect();
                self.list(&ctx, &types, params).await
            }
            Route::TypeSearch(rs) => {
                let params = ListParams::from_search(&parse_json(&body)?)?;
                self.list(&ctx, &[rs], params).await
            }
            Route::Type(rs) => match *method {
                Method::GET => {
                    let params = ListParams::from_query(&pairs)?;
                    self.list(&ctx, &[rs], params).await
                }
                Method::POST => {
                    let raw = parse_json(&body)?;
                    let proj = projection(&rs, &pairs)?;
                    let stored = self.create(&ctx, rs, raw, false).await?;
                    let location = self.location(&ctx, rs, &stored.id);
                    let version = stored.version;
                    let body = self.render(&ctx, rs, &stored.resource, &proj).to_json();
                    let mut resp = json_bytes_response(StatusCode::CREATED, body);
                    set_etag(&mut resp, version);
                    if let Ok(h) = HeaderValue::from_str(&location) {
                        resp.headers_mut().insert(header::LOCATION, h);
                    }
                    Ok(resp)
                }
                _ => allow("GET, POST"),
            },
            Route::Resource(rs, id) => {
                let if_match = Precondition::from_header(&parts.headers, header::IF_MATCH);
                match *method {
                    Method::GET => {
                        let proj = projection(&rs, &pairs)?;
                        let stored = self
                            .inner
                            .store
                            .get(&ctx.principal.tenant, rs.name(), &id)
                            .await?
                            .ok_or_else(|| not_found(&rs, &id))?;
                        let inm = Precondition::from_header(&parts.headers, header::IF_NONE_MATCH);
                        if inm.is_given() && inm.matches(stored.version) {
                            let mut resp = Response::new(Bytes::new());
                            *resp.status_mut() = StatusCode::NOT_MODIFIED;
                            set_etag(&mut resp, stored.version);
                            return Ok(resp);
                        }
                        Ok(self.resource_response(&ctx, rs, stored, &proj, StatusCode::OK))
                    }
                    Method::PUT => {
                        let proj = projection(&rs, &pairs)?;
                        let raw = parse_json(&body)?;
                        let stored = self.replace(&ctx, rs, &id, raw, &if_match, false).await?;
                        Ok(self.resource_response(&ctx, rs, stored, &proj, StatusCode::OK))
                    }
                    Method::PATCH => {
                        let proj = projection(&rs, &pairs)?;
                        let raw = parse_json(&body)?;
                        let stored = self.patch(&ctx, rs, &id, raw, &if_match, false).await?;
                        if self.inner.config.patch_returns_resource {
                            Ok(self.resource_response(&ctx, rs, stored, &proj, StatusCode::OK))
                        } else {
                            let mut resp = Response::new(Bytes::new());
                            *resp.status_mut() = StatusCode::NO_CONTENT;
                            set_etag(&mut resp, stored.version);
                            Ok(resp)
                        }
                    }
                    Method::DELETE => {
                        self.delete(&ctx, rs, &id, &if_match, false).await?;
                        let mut resp = Response::new(Bytes::new());
                        *resp.status_mut() = StatusCode::NO_CONTENT;
                        Ok(resp)
                    }
                    _ => allow("GET, PUT, PATCH, DELETE"),
                }
            }
        }
    }

    fn profile_for(&self, parts: &http::request::Parts) -> Profile {
        let ua = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if ua.to_ascii_lowercase().contains("okta") {
            Profile::okta()
        } else {
            self.inner.config.profile
        }
    }

    /// RFC 7644 §4: a filter on a discovery endpoint gets 403, so that no client believes it
    /// was applied.
    fn no_discovery_filter(&self, pairs: &[(String, String)]) -> Result<(), ScimError> {
        if pairs.iter().any(|(k, _)| k.eq_ignore_ascii_case("filter")) {
            Err(ScimError::forbidden(
                "Filtering is not supported on discovery endpoints",
            ))
        } else {
            Ok(())
        }
    }

    pub(crate) fn location(&self, ctx: &Ctx, rs: ResourceSchema<'_>, id: &str) -> String {
        format!(
            "{}/{}/{}",
            ctx.base_url,
            rs.resource_type().endpoint.trim_matches('/'),
            id
        )
    }

    fn resource_response(
        &self,
        ctx: &Ctx,
        rs: ResourceSchema<'_>,
        stored: Stored,
        proj: &Projection,
        status: StatusCode,
    ) -> Response<Bytes> {
        let version = stored.version;
        let body = self.render(ctx, rs, &stored.resource, proj).to_json();
        let mut resp = json_bytes_response(status, body);
        set_etag(&mut resp, version);
        resp
    }

    /// A stored resource as served: the read hook, the projection, `meta.location` and the
    /// `$ref` of members and groups. With the default projection and no rewrite by the hook,
    /// the stored copy is serialised as it is, without a copy.
    pub(crate) fn render<'a>(
        &'a self,
        ctx: &'a Ctx,
        rs: ResourceSchema<'_>,
        resource: &'a Resource,
        proj: &Projection,
    ) -> Rendered<'a> {
        let hooks = &self.inner.hooks;
        if hooks.rewrites_reads() {
            if let Some(replaced) = hooks.on_read(&ctx.principal, rs.name(), resource) {
                return Rendered::Owned(self.render_owned(ctx, rs, &replaced, proj));
            }
        }
        let plan = self
            .inner
            .plans
            .iter()
            .find(|(n, _)| n == rs.name())
            .and_then(|(_, p)| p.as_ref());
        let endpoint = |name: &str| {
            self.inner
                .registry
                .resource_type(name)
                .map(|t| t.resource_type().endpoint.trim_matches('/'))
        };
        match (plan, endpoint(rs.name())) {
            (Some(plan), Some(own)) if proj.is_default() => Rendered::Stored {
                value: resource,
                plan,
                endpoint: own,
                refs: Refs {
                    base: &ctx.base_url,
                    users: endpoint("User"),
                    groups: endpoint("Group"),
                },
            },
            _ => Rendered::Owned(self.render_owned(ctx, rs, resource, proj)),
        }
    }

    /// The projection, then `meta.location` and the `$ref` of members and groups on what the
    /// projection kept.
    fn render_owned(
        &self,
        ctx: &Ctx,
        rs: ResourceSchema<'_>,
        resource: &Value,
        proj: &Projection,
    ) -> Value {
        let mut out = rs.project(resource, proj);
        self.add_links(ctx, rs, &mut out);
        out
    }

    /// Adds what a read shows beyond the stored document: `meta.location` and the `$ref` of
    /// members and groups.
    pub(crate) fn add_links(&self, ctx: &Ctx, rs: ResourceSchema<'_>, out: &mut Value) {
        let Value::Object(obj) = out else {
            return;
        };
        let location = obj
            .get("id")
            .and_then(Value::as_str)
            .map(|id| self.location(ctx, rs, id));
        if let (Some(location), Some(Value::Object(meta))) = (location, obj.get_mut("meta")) {
            meta.insert("location".into(), Value::String(location));
        }
        for (attr, default_type) in [("members", "User"), ("groups", "Group")] {
            if let Some(Value::Array(items)) = obj.get_mut(attr) {
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    let Some(value) = item.get("value").and_then(Value::as_str) else {
                        continue;
                    };
                    let ty = match attr {
                        "members" => item
                            .get("type")
                            .and_then(Value::as_str)
                            .unwrap_or(default_type),
                        _ => default_type,
                    };
                    if let Some(t) = self.inner.registry.resource_type(ty) {
                        let r = self.location(ctx, t, value);
                        item.insert("$ref".into(), Value::String(r));
                    }
                }
            }
        }
    }

    /// A stored resource as a read shows it (the read hook, the links), for filters that name
    /// what only a read adds.
    fn read_view(&self, ctx: &Ctx, rs: ResourceSchema<'_>, resource: &Resource) -> Value {
        let hooks = &self.inner.hooks;
        let mut view = match hooks.rewrites_reads() {
            true => hooks
                .on_read(&ctx.principal, rs.name(), resource)
                .unwrap_or_else(|| resource.value().clone()),
            false => resource.value().clone(),
        };
        self.add_links(ctx, rs, &mut view);
        view
    }

    async fn list(
        &self,
        ctx: &Ctx,
        types: &[ResourceSchema<'_>],
        params: ListParams,
    ) -> Result<Response<Bytes>, ScimError> {
        let cfg = &self.inner.config;
        let options = ParseOptions {
            limits: cfg.filter_limits,
            unquoted_strings: cfg
                .unquoted_filter_values
                .unwrap_or(ctx.profile.name == Profile::entra_id().name),
        };
        let filter = match &params.filter {
            Some(f) => Some(options.parse(f)?),
            None => None,
        };
        let sort_by = match &params.sort_by {
            Some(s) => Some(
                parse_attr_path(s).map_err(|e| ScimError::invalid_value(format!("sortBy: {e}")))?,
            ),
            None => None,
        };
        let order = match &params.sort_order {
            None => SortOrder::Ascending,
            Some(o) => SortOrder::from_param(o).ok_or_else(|| {
                ScimError::invalid_value("sortOrder must be \"ascending\" or \"descending\"")
            })?,
        };
        let start = params.start_index.unwrap_or(1).max(1);
        let offset = usize::try_from(start - 1).unwrap_or(usize::MAX);
        let count = params
            .count
            .map_or(cfg.max_results, |c| {
                usize::try_from(c.max(0)).unwrap_or(usize::MAX)
            })
            .min(cfg.max_results);
        let with_members = wants_members(params.attributes.as_deref(), &params.excluded);
        // Check the filter against each type's facts (e.g. ordering a boolean → invalidFilter).
        for rs in types {
            if let Some(f) = &filter {
                Matcher::new(f, rs)?;
                read_filter::check_readable(rs, f)?;
            }
        }
        let mut total = 0usize;
        let mut pages = Vec::new();
        let mut taken = 0usize;
        let mut skip = offset;
        for rs in types {
            let proj = Projection::new(rs, params.attributes.as_deref(), &params.excluded)?;
            let want = count.saturating_sub(taken);
            let mut page = self
                .run_query(
                    ctx,
                    *rs,
                    filter.as_ref(),
                    sort_by.as_ref().map(|s| (s, order)),
                    skip,
                    want,
                    with_members,
                )
                .await?;
            // A store that returns more than asked does not widen the page.
            page.resources.truncate(want);
            skip = skip.saturating_sub(page.total);
            total += page.total;
            taken += page.resources.len();
            pages.push((*rs, proj, page));
        }
        let resources: Vec<Rendered<'_>> = pages
            .iter()
            .flat_map(|(rs, proj, page)| {
                page.resources
                    .iter()
                    .map(move |stored| self.render(ctx, *rs, &stored.resource, proj))
            })
            .collect();
        let body = list_body(&resources, total as u64, start as u64);
        Ok(json_bytes_response(StatusCode::OK, body))
    }

    /// Runs a query, natively where the store can, otherwise evaluating the filter, sorting and
    /// paging here over the candidates the store returns.
    #[allow(clippy::too_many_arguments)]
    async fn run_query(
        &self,
        ctx: &Ctx,
        rs: ResourceSchema<'_>,
        filter: Option<&Filter<'_>>,
        sort: Option<(&AttrPath<'_>, SortOrder)>,
        offset: usize,
        limit: usize,
        with_members: bool,
    ) -> Result<Page, ScimError> {
        let store = &self.inner.store;
        let tenant = &ctx.principal.tenant;
        let on_read_view = filter.is_some_and(read_filter::names_read_only_addition);
        let native_filter = filter.map_or(true, |f| !on_read_view && store.answers(rs.name(), f));
        let native_sort = sort.map_or(true, |(by, _)| store.sorts_by(rs.name(), by));
        if native_filter && native_sort {
            let q = Query {
                resource_type: rs,
                filter,
                sort,
                offset,
                limit: Some(limit),
                with_members,
            };
            return Ok(store.query(tenant, q).await?);
        }
        // Candidates: the conjuncts the store answers, or everything.
        let partial: Option<Filter<'_>> = match filter {
            Some(f) if native_filter => Some(f.clone()),
            Some(Filter::And(parts)) => {
                let mut answered: Vec<Filter<'_>> = parts
                    .iter()
                    .filter(|p| {
                        !read_filter::names_read_only_addition(p) && store.answers(rs.name(), p)
                    })
                    .cloned()
                    .collect();
                match answered.len() {
                    0 => None,
                    1 => answered.pop(),
                    _ => Some(Filter::And(answered)),
                }
            }
            _ => None,
        };
        let q = Query {
            resource_type: rs,
            filter: partial.as_ref(),
            sort: None,
            offset: 0,
            limit: None,
            with_members: true,
        };
        let page = store.query(tenant, q).await?;
        let mut matched: Vec<Stored> = match filter {
            Some(f) if !native_filter => {
                let m = Matcher::new(f, &rs)?;
                page.resources
                    .into_iter()
                    .filter(|s| match on_read_view {
                        true => m.matches(&self.read_view(ctx, rs, &s.resource)),
                        false => m.matches(&s.resource),
                    })
                    .collect()
            }
            _ => page.resources,
        };
        if let Some((by, order)) = sort {
            matched.sort_by(|a, b| compare_resources(&a.resource, &b.resource, by, order, &rs));
        }
        let total = matched.len();
        let mut resources: Vec<Stored> = matched.into_iter().skip(offset).take(limit).collect();
        if !with_members {
            for s in &mut resources {
                if let Some(o) = s.resource.make_mut().as_object_mut() {
                    o.remove("members");
                }
            }
        }
        Ok(Page { total, resources })
    }

    /// POST: validate, decide, store.
    pub(crate) async fn create(
        &self,
        ctx: &Ctx,
        rs: ResourceSchema<'_>,
        raw: Value,
        bulk: bool,
    ) -> Result<Stored, ScimError> {
        let proposed = rs.validate_create(raw.clone(), &ctx.profile)?;
        identifiers::check(rs, None, &proposed)?;
        let write = Write {
            principal: &ctx.principal,
            resource_type: rs.name(),
            kind: WriteKind::Create,
            id: None,
            before: None,
            raw: Some(&raw),
            bulk,
        };
        let proposed = self.inner.hooks.before_write(&write, proposed).await?;
        let stored = self
            .inner
            .store
            .create(&ctx.principal.tenant, rs.name(), proposed)
            .await?;
        Ok(self.stored(&write, stored).await)
    }

    async fn get_existing(
        &self,
        ctx: &Ctx,
        rs: ResourceSchema<'_>,
        id: &str,
        if_match: &Precondition,
    ) -> Result<Stored, ScimError> {
        let stored = self
            .inner
            .store
            .get(&ctx.principal.tenant, rs.name(), id)
            .await?
            .ok_or_else(|| not_found(&rs, id))?;
        if_match.check(stored.version)?;
        Ok(stored)
    }

    /// Whether to try again after a version conflict.
    /// A successful store write: the hooks see it, then it is answered.
    async fn stored(&self, write: &Write<'_>, stored: Stored) -> Stored {
        self.inner
            .hooks
            .after_write(write, Some(&stored.resource))
            .await;
        stored
    }

    fn retry(&self, err: &StoreError, if_match: &Precondition, attempt: usize) -> bool {
        matches!(err, StoreError::VersionMismatch { .. })
            && !if_match.is_given()
            && attempt < self.inner.config.max_write_retries
    }

    /// The error for a failed write: a version conflict the client did not ask about (no
    /// `If-Match`) that persisted through every retry is a 409, not a 412.
    fn write_error(err: StoreError, if_match: &Precondition) -> ScimError {
        match err {
            StoreError::VersionMismatch { .. } if !if_match.is_given() => ScimError::new(
                409,
                None,
                "The resource was changed by other requests meanwhile; retry the request",
            ),
            e => e.into(),
        }
    }

    /// PUT: validate against the stored resource, decide, store if unchanged in between.
    pub(crate) async fn replace(
        &self,
        ctx: &Ctx,
        rs: ResourceSchema<'_>,
        id: &str,
        raw: Value,
        if_match: &Precondition,
        bulk: bool,
    ) -> Result<Stored, ScimError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let existing = self.get_existing(ctx, rs, id, if_match).await?;
            let proposed = rs.validate_replace(&existing.resource, raw.clone(), &ctx.profile)?;
            identifiers::check(rs, Some(&existing.resource), &proposed)?;
            let write = Write {
                principal: &ctx.principal,
                resource_type: rs.name(),
                kind: WriteKind::Replace,
                id: Some(id),
                before: Some(&existing.resource),
                raw: Some(&raw),
                bulk,
            };
            let proposed = self.inner.hooks.before_write(&write, proposed).await?;
            match self
                .inner
                .store
                .replace(
                    &ctx.principal.tenant,
                    rs.name(),
                    id,
                    proposed,
                    Some(existing.version),
                )
                .await
            {
                Ok(stored) => return Ok(self.stored(&write, stored).await),
                Err(e) if self.retry(&e, if_match, attempt) => continue,
                Err(e) => return Err(Self::write_error(e, if_match)),
            }
        }
    }

    /// PATCH: apply with the schema crate to the stored resource, decide, then store the
    /// difference — attributes (if any changed, conditional on the version read) and member
    /// deltas (unconditional unless `If-Match` was given, so concurrent member changes never
    /// overwrite each other).
    pub(crate) async fn patch(
        &self,
        ctx: &Ctx,
        rs: ResourceSchema<'_>,
        id: &str,
        raw: Value,
        if_match: &Precondition,
        bulk: bool,
    ) -> Result<Stored, ScimError> {
        let patch: PatchOp = serde_json::from_value(raw.clone())
            .map_err(|e| ScimError::invalid_syntax(format!("Not a PatchOp message: {e}")))?;
        patch.check_schemas()?;
        if patch.operations.is_empty() {
            return Err(ScimError::invalid_value(
                "A PATCH request needs at least one operation",
            ));
        }
        let is_group = rs.name().eq_ignore_ascii_case("Group");
        let mut attempt = 0;
        loop {
            attempt += 1;
            let existing = self.get_existing(ctx, rs, id, if_match).await?;
            let outcome = rs.patch(&existing.resource, &patch, &ctx.profile)?;
            identifiers::check(rs, Some(&existing.resource), &outcome.resource)?;
            let write = Write {
                principal: &ctx.principal,
                resource_type: rs.name(),
                kind: WriteKind::Patch,
                id: Some(id),
                before: Some(&existing.resource),
                raw: Some(&raw),
                bulk,
            };
            let proposed = self
                .inner
                .hooks
                .before_write(&write, outcome.resource)
                .await?;
            let change = diff(is_group, &existing.resource, proposed);
            if change.is_empty() {
                self.inner
                    .hooks
                    .after_write(&write, Some(&existing.resource))
                    .await;
                return Ok(existing);
            }
            let expected =
                (change.attributes.is_some() || if_match.is_given()).then_some(existing.version);
            match self
                .inner
                .store
                .update(&ctx.principal.tenant, rs.name(), id, change, expected)
                .await
            {
                Ok(stored) => return Ok(self.stored(&write, stored).await),
                Err(e) if self.retry(&e, if_match, attempt) => continue,
                Err(e) => return Err(Self::write_error(e, if_match)),
            }
        }
    }

    /// DELETE.
    pub(crate) async fn delete(
        &self,
        ctx: &Ctx,
        rs: ResourceSchema<'_>,
        id: &str,
        if_match: &Precondition,
        bulk: bool,
    ) -> Result<(), ScimError> {
        let existing = self.get_existing(ctx, rs, id, if_match).await?;
        let write = Write {
            principal: &ctx.principal,
            resource_type: rs.name(),
            kind: WriteKind::Delete,
            id: Some(id),
            before: Some(&existing.resource),
            raw: None,
            bulk,
        };
        self.inner.hooks.before_delete(&write).await?;
        let expected = if_match.is_given().then_some(existing.version);
        self.inner
            .store
            .delete(&ctx.principal.tenant, rs.name(), id, expected)
            .await?;
        self.inner.hooks.after_write(&write, None).await;
        Ok(())
    }
}

fn not_found(rs: &ResourceSchema<'_>, id: &str) -> ScimError {
    ScimError::not_found(format!("{} {id} not found", rs.name()))
}

pub(crate) fn parse_json(body: &[u8]) -> Result<Value, ScimError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ScimError::invalid_syntax("The request body is empty"));
    }
    serde_json::from_slice(body)
        .map_err(|e| ScimError::invalid_syntax(format!("The request body is not JSON: {e}")))
}

fn projection(
    rs: &ResourceSchema<'_>,
    pairs: &[(String, String)],
) -> Result<Projection, ScimError> {
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    Projection::from_query(rs, get("attributes"), get("excludedAttributes"))
}

fn list_json(resources: Vec<Value>) -> Response<Bytes> {
    let total = resources.len() as u64;
    let list = ListResponse::new(resources, total, 1);
    json_response(
        StatusCode::OK,
        &serde_json::to_value(&list).unwrap_or(Value::Null),
    )
}

const SERVER_KEYS: [&str; 4] = ["id", "meta", "members", "groups"];

fn attributes_of(v: &Value) -> Map<String, Value> {
    let mut m = v.as_object().cloned().unwrap_or_default();
    m.retain(|k, _| !SERVER_KEYS.iter().any(|s| s.eq_ignore_ascii_case(k)));
    m
}

fn member_ids(v: &Value) -> Vec<(String, &Value)> {
    v.as_object()
        .and_then(|o| get_ci(o, "members"))
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|m| {
                    let id = match m {
                        Value::Object(o) => get_ci(o, "value")?.as_str()?,
                        Value::String(s) => s.as_str(),
                        _ => return None,
                    };
                    Some((id.to_string(), m))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The store change that turns `before` into `after`.
fn diff(is_group: bool, before: &Value, after: Value) -> Change {
    let old = attributes_of(before);
    let new = attributes_of(&after);
    let attributes = (old != new).then_some(Value::Object(new));
    let (add_members, remove_members) = if is_group {
        let old_m = member_ids(before);
        let new_m = member_ids(&after);
        let old_ids: HashSet<&str> = old_m.iter().map(|(id, _)| id.as_str()).collect();
        let new_ids: HashSet<&str> = new_m.iter().map(|(id, _)| id.as_str()).collect();
        let add = new_m
            .iter()
            .filter(|(id, _)| !old_ids.contains(id.as_str()))
            .map(|(_, v)| (*v).clone())
            .collect();
        let remove = old_m
            .iter()
            .filter(|(id, _)| !new_ids.contains(id.as_str()))
            .map(|(id, _)| id.clone())
            .collect();
        (add, remove)
    } else {
        (Vec::new(), Vec::new())
    };
    Change {
        attributes,
        add_members,
        remove_members,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{block_on, AllowAll, MemoryStore, TenantId};
    use serde_json::json;

    #[test]
    fn the_copy_free_rendering_equals_the_projection() {
        let d = Dispatcher::new(MemoryStore::new(), AllowAll(TenantId::new("t")));
        let ctx = Ctx {
            principal: Principal::new(TenantId::new("t")),
            profile: Profile::default(),
            base_url: "https://x.example/scim".into(),
        };
        let reg = Registry::standard();
        let users = reg.resource_type("User").unwrap();
        let groups = reg.resource_type("Group").unwrap();
        let u = block_on(d.create(
            &ctx,
            users,
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                               "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                   "userName": "r", "password": "secret", "x-unknown": 1,
                   "emails": [{"value": "r@x", "type": "work"}],
                   "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
                       {"department": "D", "manager": {"value": "m"}}}),
            false,
        ))
        .unwrap();
        let g = block_on(d.create(
            &ctx,
            groups,
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                   "displayName": "G", "members": [{"value": u.id}]}),
            false,
        ))
        .unwrap();
        let u = block_on(d.store().get(&ctx.principal.tenant, "User", &u.id))
            .unwrap()
            .unwrap();
        for (rs, stored) in [(users, &u), (groups, &g)] {
            let fast = d.render(&ctx, rs, &stored.resource, &Projection::default());
            assert!(matches!(fast, Rendered::Stored { .. }));
            let slow = d.render_owned(&ctx, rs, &stored.resource, &Projection::default());
            assert_eq!(fast.to_value(), slow);
            let bytes = fast.to_json();
            assert_eq!(serde_json::from_slice::<Value>(&bytes).unwrap(), slow);
        }
        let fast = d
            .render(&ctx, users, &u.resource, &Projection::default())
            .to_value();
        assert!(fast.get("password").is_none());
        assert_eq!(
            fast["groups"][0]["$ref"],
            format!("https://x.example/scim/Groups/{}", g.id).as_str()
        );
        assert_eq!(
            fast["meta"]["location"],
            format!("https://x.example/scim/Users/{}", u.id).as_str()
        );
    }
}
