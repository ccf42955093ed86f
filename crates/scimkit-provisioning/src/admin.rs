//! The tenant administrator's API over [`Provisioning`]: JSON over HTTP, framework-agnostic
//! like the dispatcher (`http::Request` in, `http::Response<Bytes>` out), protected by one admin
//! bearer token (only its SHA-256 digest is kept; compared in constant time).
//!
//! Routes, below the configured base path (e.g. `/admin`); `{t}` is a tenant id, `{email}` an
//! account's email, `{domain}` a verified domain:
//!
//! | method and path | what |
//! |---|---|
//! | `GET /tenants`, `POST /tenants` `{"id", "idp"?, "rules"?}` | list, create a tenant |
//! | `GET /tenants/{t}` | settings, templates, domains, provisioning state, warnings |
//! | `POST /tenants/{t}/provisioning/enable` | turn on; returns `scimBaseUrl` and a new `token` (shown once) |
//! | `POST /tenants/{t}/provisioning/disable` | turn off (every SCIM request refused) |
//! | `POST /tenants/{t}/provisioning/rotate` | a new token; the old one stops working |
//! | `POST /tenants/{t}/provisioning/revoke` | no token (401) until rotated |
//! | `GET`/`POST /tenants/{t}/templates` `{"name"}` | list, create policy templates |
//! | `PUT /tenants/{t}/templates/default` `{"template": id}` | set the default for new users |
//! | `GET`/`POST /tenants/{t}/domains` `{"domain", "mode"}` | list, add verified domains |
//! | `PUT`/`DELETE /tenants/{t}/domains/{domain}` `{"mode"}` | set the mode, remove |
//! | `GET /tenants/{t}/accounts?limit=N&cursor=C&q=TEXT` | a page of accounts (email order), `next` cursor when more remain |
//! | `POST /tenants/{t}/accounts` `{"email", "name", "joinedVia"?}` | add an account that joined outside SCIM (audited) |
//! | `GET /tenants/{t}/accounts/{email}` | one account, every field |
//! | `POST /tenants/{t}/accounts/{email}/suspend`, `/unsuspend` | local suspension |
//! | `GET /tenants/{t}/warnings` | configuration lint |
//! | `GET /tenants/{t}/audit?since=N&limit=N` | a page of audit entries after sequence number N, `next` when more remain |
//!
//! Paging: `limit` defaults to 100 and may be 1 to 1000 (400 otherwise); a page's `next` is the
//! `since` (audit) or `cursor` (accounts) of the following page and is absent on the last.
//! Modes are `addAutomatically`, `inviteOnly`, `doNotAdd`; `idp` is `generic` (detect per
//! request: Okta's profile for an Okta `User-Agent`, else Entra ID's), `entraId`, `okta` or
//! `strict` (plain RFC 7644 whatever the `User-Agent`); `joinedVia` is `domainAutoAdd`,
//! `invite` (default) or `manual`. Errors are `{"status": n, "error": "…"}`. See
//! `docs/admin-api.md`.

use crate::{MemoryBackend, Provisioning, ProvisioningError, ProvisioningState};
use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Limited};
use scimkit_dispatch::bearer_token;
use scimkit_policy::{
    AdminError, IdpDialect, JoinedVia, RegistrationMode, RuleSet, TemplateId, TokenDigest,
};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

/// The largest admin request body accepted.
const MAX_BODY: usize = 64 * 1024;

/// The page size when a request gives no `limit`.
const DEFAULT_PAGE: usize = 100;

/// The largest `limit` a page request may give.
const MAX_PAGE: usize = 1000;

/// The `joinedVia` values an administrator may give (`scim` accounts come from the IdP).
const ADMIN_JOINED_VIA: [JoinedVia; 3] = [
    JoinedVia::DomainAutoAdd,
    JoinedVia::Invite,
    JoinedVia::Manual,
];

/// The tenant admin API (see the [module documentation](crate::admin) for the routes).
///
/// ```
/// use futures_executor::block_on;
/// use scimkit_provisioning::{AdminApi, Provisioning};
///
/// let prov = Provisioning::new();
/// let admin = AdminApi::new(prov.clone(), "admin-secret", "https://scim.example.com/scim/v2")
///     .with_base_path("/admin");
/// let resp = block_on(admin.handle_bytes(
///     http::Request::post("/admin/tenants")
///         .header("Authorization", "Bearer admin-secret")
///         .body(r#"{"id": "acme", "idp": "okta"}"#)
///         .unwrap(),
/// ));
/// assert_eq!(resp.status(), 201);
/// assert_eq!(block_on(prov.tenant_ids()).unwrap(), ["acme"]);
/// ```
#[derive(Clone)]
pub struct AdminApi<B = MemoryBackend> {
    provisioning: Provisioning<B>,
    token_digest: TokenDigest,
    scim_base_url: String,
    base_path: String,
}

impl<B> std::fmt::Debug for AdminApi<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminApi")
            .field("scim_base_url", &self.scim_base_url)
            .field("base_path", &self.base_path)
            .finish_non_exhaustive()
    }
}

/// An admin API error: status and message.
struct Fail(StatusCode, String);

impl Fail {
    fn bad(msg: impl Into<String>) -> Self {
        Fail(StatusCode::BAD_REQUEST, msg.into())
    }
    fn not_found() -> Self {
        Fail(StatusCode::NOT_FOUND, "no such admin endpoint".into())
    }
}

impl From<ProvisioningError> for Fail {
    fn from(e: ProvisioningError) -> Self {
        if let ProvisioningError::Store(failure) = e {
            // Reported to the operator (a `tracing` event with its chain), never shown.
            let shown = scimkit_schema::ScimError::from(failure);
            return Fail(StatusCode::INTERNAL_SERVER_ERROR, shown.detail().to_owned());
        }
        let status = match &e {
            ProvisioningError::UnknownTenant(_) | ProvisioningError::UnknownAccount(_) => {
                StatusCode::NOT_FOUND
            }
            ProvisioningError::TenantExists(_)
            | ProvisioningError::AccountExists(_)
            | ProvisioningError::StillAMember(_) => StatusCode::CONFLICT,
            ProvisioningError::InvalidTenantId(_) | ProvisioningError::InvalidEmail(_) => {
                StatusCode::BAD_REQUEST
            }
            ProvisioningError::Entropy(_) | ProvisioningError::Store(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            ProvisioningError::Admin(a) => match a {
                AdminError::UnknownTemplate(_) | AdminError::UnknownDomain(_) => {
                    StatusCode::NOT_FOUND
                }
                AdminError::DuplicateTemplate(_)
                | AdminError::DuplicateDomain(_)
                | AdminError::AlreadyEnabled
                | AdminError::NotEnabled
                | AdminError::NotAMember(_) => StatusCode::CONFLICT,
                AdminError::EmptyTemplateName | AdminError::InvalidDomain(_) => {
                    StatusCode::BAD_REQUEST
                }
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
        };
        Fail(status, e.to_string())
    }
}

fn respond(status: StatusCode, body: &Value) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::from(serde_json::to_vec(body).unwrap_or_default()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    resp
}

fn fail_response(f: Fail) -> Response<Bytes> {
    let mut resp = respond(f.0, &json!({"status": f.0.as_u16(), "error": f.1}));
    if f.0 == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer realm=\"scimkit-admin\""),
        );
    }
    resp
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, Fail> {
    serde_json::from_slice(body).map_err(|e| Fail::bad(format!("invalid JSON body: {e}")))
}

/// One of `valid`, by its wire name; anything else is a 400 listing their wire names.
fn parse_enum<T>(what: &str, value: &str, valid: &[T]) -> Result<T, Fail>
where
    T: for<'de> Deserialize<'de> + serde::Serialize + PartialEq,
{
    serde_json::from_value::<T>(Value::from(value))
        .ok()
        .filter(|v| valid.contains(v))
        .ok_or_else(|| {
            let names: Vec<String> = valid
                .iter()
                .filter_map(|v| to_json(v).as_str().map(str::to_owned))
                .collect();
            Fail::bad(format!(
                "unknown {what} {value:?}; expected one of {}",
                names.join(", ")
            ))
        })
}

/// The query parameters of a request, by name (the last of a repeated name wins).
fn query(parts: &http::request::Parts) -> HashMap<String, String> {
    form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// `limit`: absent → [`DEFAULT_PAGE`]; 1 to [`MAX_PAGE`]; anything else is a 400.
/// A rule set by name: `tresorit` (the seed product's rules) or `plain` (plain SCIM).
fn rule_set(name: &str) -> Result<RuleSet, Fail> {
    match name {
        "tresorit" => Ok(RuleSet::tresorit()),
        "plain" => Ok(RuleSet::plain()),
        other => Err(Fail::bad(format!(
            "rules must be \"tresorit\" or \"plain\", not {other:?}"
        ))),
    }
}

fn page_limit(q: &HashMap<String, String>) -> Result<usize, Fail> {
    let Some(v) = q.get("limit") else {
        return Ok(DEFAULT_PAGE);
    };
    match v.parse::<usize>() {
        Ok(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        _ => Err(Fail::bad(format!(
            "limit={v} is not a page size from 1 to {MAX_PAGE}"
        ))),
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTenant {
    id: String,
    #[serde(default)]
    idp: Option<String>,
    #[serde(default)]
    rules: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTemplate {
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DefaultTemplate {
    template: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewDomain {
    domain: String,
    mode: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DomainMode {
    mode: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewAccount {
    email: String,
    name: String,
    #[serde(default)]
    joined_via: Option<String>,
}

impl<B: ProvisioningState> AdminApi<B> {
    /// An admin API over `provisioning`, accepting `Authorization: Bearer <admin_token>`, that
    /// tells administrators `scim_base_url` as the SCIM endpoint to configure in their IdP.
    /// Only the token's SHA-256 digest is kept.
    pub fn new(
        provisioning: Provisioning<B>,
        admin_token: &str,
        scim_base_url: impl Into<String>,
    ) -> Self {
        AdminApi {
            provisioning,
            token_digest: TokenDigest::of(admin_token),
            scim_base_url: scim_base_url.into(),
            base_path: String::new(),
        }
    }

    /// Serves the routes below `base_path` (e.g. `/admin`); requests outside it get 404.
    pub fn with_base_path(mut self, base_path: impl Into<String>) -> Self {
        self.base_path = base_path.into().trim_end_matches('/').to_owned();
        self
    }

    /// The provisioning state this API administers.
    pub fn provisioning(&self) -> &Provisioning<B> {
        &self.provisioning
    }

    /// Handles one request, reading the body up to 64 KiB (413 beyond). Never panics on input.
    pub async fn handle<T>(&self, request: Request<T>) -> Response<Bytes>
    where
        T: Body,
        T::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (parts, body) = request.into_parts();
        match Limited::new(body, MAX_BODY).collect().await {
            Ok(c) => self.handle_parts(&parts, &c.to_bytes()).await,
            Err(_) => fail_response(Fail(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request body could not be read or is larger than {MAX_BODY} bytes"),
            )),
        }
    }

    /// Handles a request whose body is already in memory.
    pub async fn handle_bytes<T: Into<Bytes>>(&self, request: Request<T>) -> Response<Bytes> {
        let (parts, body) = request.into_parts();
        self.handle_parts(&parts, &body.into()).await
    }

    /// Handles a request whose head and body are at hand.
    pub async fn handle_parts(&self, parts: &http::request::Parts, body: &[u8]) -> Response<Bytes> {
        if body.len() > MAX_BODY {
            return fail_response(Fail(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request body is larger than {MAX_BODY} bytes"),
            ));
        }
        let refusal = match bearer_token(parts) {
            None => Some("Authorization: Bearer <admin token> is required"),
            Some(t) => (!self.token_digest.matches(t))
                .then_some("the admin token is not valid for this server"),
        };
        if let Some(detail) = refusal {
            return fail_response(Fail(StatusCode::UNAUTHORIZED, detail.into()));
        }
        match self.route(parts, body).await {
            Ok((status, v)) => respond(status, &v),
            Err(f) => fail_response(f),
        }
    }

    async fn route(
        &self,
        parts: &http::request::Parts,
        body: &[u8],
    ) -> Result<(StatusCode, Value), Fail> {
        let path = parts.uri.path();
        let rest = if self.base_path.is_empty() {
            path
        } else {
            match path.get(..self.base_path.len()) {
                Some(b) if b.eq_ignore_ascii_case(&self.base_path) => &path[self.base_path.len()..],
                _ => return Err(Fail::not_found()),
            }
        };
        if !(rest.is_empty() || rest.starts_with('/')) {
            return Err(Fail::not_found());
        }
        let segs: Vec<String> = rest
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect();
        let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
        let p = &self.provisioning;
        let ok = |v: Value| Ok((StatusCode::OK, v));
        let m = &parts.method;
        match segs.as_slice() {
            ["tenants"] if m == Method::GET => ok(json!({ "tenants": p.tenant_ids().await? })),
            ["tenants"] if m == Method::POST => {
                let req: NewTenant = parse(body)?;
                let dialect: IdpDialect = match &req.idp {
                    Some(s) => parse_enum("idp", s, &IdpDialect::ALL)?,
                    None => IdpDialect::Generic,
                };
                let rules = match req.rules.as_deref() {
                    None => p.default_rules().clone(),
                    Some(name) => rule_set(name)?,
                };
                p.create_tenant_with_rules(&req.id, dialect, rules).await?;
                Ok((StatusCode::CREATED, self.tenant_json(&req.id).await?))
            }
            ["tenants", t] if m == Method::GET => ok(self.tenant_json(t).await?),
            ["tenants", t, "provisioning", action] if m == Method::POST => match *action {
                "enable" => {
                    let token = p.enable_provisioning(t).await?;
                    ok(self.token_json(t, token.expose()))
                }
                "rotate" => {
                    let token = p.rotate_token(t).await?;
                    ok(self.token_json(t, token.expose()))
                }
                "disable" => {
                    p.disable_provisioning(t).await?;
                    ok(self.tenant_json(t).await?)
                }
                "revoke" => {
                    p.revoke_token(t).await?;
                    ok(self.tenant_json(t).await?)
                }
                _ => Err(Fail::not_found()),
            },
            ["tenants", t, "templates"] if m == Method::GET => {
                ok(json!({ "templates": to_json(&p.templates(t).await?) }))
            }
            ["tenants", t, "templates"] if m == Method::POST => {
                let req: NewTemplate = parse(body)?;
                let id = p.create_template(t, &req.name).await?;
                Ok((
                    StatusCode::CREATED,
                    json!({"id": id.0, "name": req.name.trim()}),
                ))
            }
            ["tenants", t, "templates", "default"] if m == Method::PUT => {
                let req: DefaultTemplate = parse(body)?;
                p.set_default_template(t, TemplateId(req.template)).await?;
                ok(self.tenant_json(t).await?)
            }
            ["tenants", t, "domains"] if m == Method::GET => {
                let domains = p
                    .with_tenant(t, |t| to_json(&t.settings().verified_domains))
                    .await?;
                ok(json!({ "domains": domains }))
            }
            ["tenants", t, "domains"] if m == Method::POST => {
                let req: NewDomain = parse(body)?;
                let mode: RegistrationMode = parse_enum("mode", &req.mode, &RegistrationMode::ALL)?;
                p.add_domain(t, &req.domain, mode).await?;
                Ok((StatusCode::CREATED, self.tenant_json(t).await?))
            }
            ["tenants", t, "domains", d] if m == Method::PUT => {
                let req: DomainMode = parse(body)?;
                let mode: RegistrationMode = parse_enum("mode", &req.mode, &RegistrationMode::ALL)?;
                p.set_domain_mode(t, d, mode).await?;
                ok(self.tenant_json(t).await?)
            }
            ["tenants", t, "domains", d] if m == Method::DELETE => {
                p.remove_domain(t, d).await?;
                ok(self.tenant_json(t).await?)
            }
            ["tenants", t, "accounts"] if m == Method::GET => {
                let q = query(parts);
                let limit = page_limit(&q)?;
                let page = p
                    .accounts_page(
                        t,
                        q.get("cursor").map(String::as_str),
                        limit,
                        q.get("q").map(String::as_str),
                    )
                    .await?;
                let mut accounts = Vec::with_capacity(page.accounts.len());
                for (a, id) in &page.accounts {
                    accounts.push(self.linked_json(t, a, id.as_deref()).await?);
                }
                let mut v = json!({ "accounts": accounts });
                if let Some(next) = page.next {
                    v["next"] = Value::from(next);
                }
                ok(v)
            }
            ["tenants", t, "accounts"] if m == Method::POST => {
                let req: NewAccount = parse(body)?;
                let via: JoinedVia = match &req.joined_via {
                    Some(s) => parse_enum("joinedVia", s, &ADMIN_JOINED_VIA)?,
                    None => JoinedVia::Invite,
                };
                let a = p.add_account(t, &req.email, &req.name, via).await?;
                Ok((StatusCode::CREATED, self.account_json(t, &a).await?))
            }
            ["tenants", t, "accounts", email] if m == Method::GET => {
                let stored = p
                    .stored_account(t, email)
                    .await?
                    .ok_or_else(|| ProvisioningError::UnknownAccount((*email).to_owned()))?;
                ok(self
                    .linked_json(t, &stored.account, stored.user_id.as_deref())
                    .await?)
            }
            ["tenants", t, "accounts", email, action] if m == Method::POST => {
                let a = match *action {
                    "suspend" => p.suspend(t, email).await?,
                    "unsuspend" => p.unsuspend(t, email).await?,
                    _ => return Err(Fail::not_found()),
                };
                ok(self.account_json(t, &a).await?)
            }
            ["tenants", t, "warnings"] if m == Method::GET => {
                ok(json!({ "warnings": to_json(&p.warnings(t).await?) }))
            }
            ["tenants", t, "audit"] if m == Method::GET => {
                let q = query(parts);
                let since = match q.get("since") {
                    Some(v) => v
                        .parse::<u64>()
                        .map_err(|_| Fail::bad(format!("since={v} is not a sequence number")))?,
                    None => 0,
                };
                ok(to_json(&p.audit_page(t, since, page_limit(&q)?).await?))
            }
            _ => Err(Fail(
                StatusCode::NOT_FOUND,
                format!("no admin endpoint {} {path}", parts.method),
            )),
        }
    }

    fn token_json(&self, tenant: &str, token: &str) -> Value {
        json!({
            "tenant": tenant,
            "scimBaseUrl": self.scim_base_url,
            "token": token,
            "note": "the token is shown only once; only its SHA-256 digest is kept",
        })
    }

    async fn tenant_json(&self, id: &str) -> Result<Value, Fail> {
        Ok(self
            .provisioning
            .with_tenant(id, |t| self.tenant_json_of(t))
            .await?)
    }

    fn tenant_json_of(&self, t: &scimkit_policy::Tenant) -> Value {
        let s = t.settings();
        json!({
            "id": t.id(),
            "idp": to_json(&s.dialect),
            "provisioningEnabled": s.provisioning_enabled,
            "hasToken": t.token_digest().is_some(),
            "scimBaseUrl": self.scim_base_url,
            "defaultTemplate": s.default_template.0,
            "templates": to_json(&t.templates()),
            "verifiedDomains": to_json(&s.verified_domains),
            "rules": to_json(t.rules()),
            "warnings": to_json(&t.warnings()),
        })
    }

    async fn account_json(&self, tenant: &str, a: &scimkit_policy::Account) -> Result<Value, Fail> {
        let stored = self.provisioning.stored_account(tenant, &a.email).await?;
        let user_id = stored.and_then(|s| s.user_id);
        self.linked_json(tenant, a, user_id.as_deref()).await
    }

    /// An account as the admin API shows it, with its SCIM User's id and the name the IdP
    /// last wrote there (`idpName`).
    async fn linked_json(
        &self,
        tenant: &str,
        a: &scimkit_policy::Account,
        user_id: Option<&str>,
    ) -> Result<Value, Fail> {
        let mut v = account_json(a, user_id);
        let idp_name = match user_id {
            Some(id) => self.provisioning.idp_name(tenant, id).await?,
            None => None,
        };
        if let Value::Object(map) = &mut v {
            map.insert("idpName".into(), idp_name.map_or(Value::Null, Value::from));
        }
        Ok(v)
    }
}

/// An account as the admin API shows it: every field, `effectiveAccess` and its `scimId`.
fn account_json(a: &scimkit_policy::Account, scim_id: Option<&str>) -> Value {
    let mut v = a.to_admin_json();
    if let Value::Object(map) = &mut v {
        map.insert("scimId".into(), scim_id.map_or(Value::Null, Value::from));
    }
    v
}
