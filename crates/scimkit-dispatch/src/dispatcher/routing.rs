//! Routing: from a request path to an endpoint, with the caller's base URL and profile.

use super::{not_found, parse_json, projection, Ctx, Dispatcher, ListParams};
use crate::auth::Authenticator;
use crate::hooks::Hooks;
use crate::http_util::{
    check_content_type, error_response, json_bytes_response, json_response, query_pairs, set_etag,
    Precondition,
};
use crate::store::Store;
use bytes::Bytes;
use http::{header, HeaderValue, Method, Response, StatusCode};
use scimkit_schema::{ListResponse, Profile, ResourceSchema, ScimError};
use serde_json::Value;

/// The route of a request path, after the base path.
pub(crate) enum Route<'p> {
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

impl<S: Store, A: Authenticator, H: Hooks<S>> Dispatcher<S, A, H> {
    pub(crate) fn base_url(&self, parts: &http::request::Parts) -> String {
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

    pub(crate) fn route<'p>(&'p self, path: &str) -> Route<'p> {
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

    pub(crate) async fn dispatch(
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
                        .service_provider_config_representation(&ctx.base_url),
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
                    let body = self.render(&ctx, rs, &stored, &proj).to_json();
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

    pub(crate) fn profile_for(&self, parts: &http::request::Parts) -> Profile {
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
    pub(crate) fn no_discovery_filter(&self, pairs: &[(String, String)]) -> Result<(), ScimError> {
        if pairs.iter().any(|(k, _)| k.eq_ignore_ascii_case("filter")) {
            Err(ScimError::forbidden(
                "Filtering is not supported on discovery endpoints",
            ))
        } else {
            Ok(())
        }
    }
}

pub(crate) fn list_json(resources: Vec<Value>) -> Response<Bytes> {
    let total = resources.len() as u64;
    let list = ListResponse::new(resources, total, 1);
    json_response(
        StatusCode::OK,
        &serde_json::to_value(&list).unwrap_or(Value::Null),
    )
}
