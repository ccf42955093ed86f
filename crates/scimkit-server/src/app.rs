//! The axum application: health, readiness and metrics endpoints; request-head limits
//! answered as SCIM errors, the body-read deadline, the admin API under [`ADMIN_PATH`], the
//! dispatcher for everything else; one log line and one metrics sample per request.

use crate::console::is_console_path;
use crate::health::{plain, probe_answer, HEALTH_PATH, READY_PATH};
use crate::logging::RequestLine;
use crate::metrics::{token_matches, CONTENT_TYPE as METRICS_CONTENT_TYPE, METRICS_PATH};
use crate::options::RequestLimits;
use crate::proxy::{client_address, PeerAddr};
use crate::request_log::{
    credential_problem, reason_of, request_id, with_notes, REQUEST_ID_HEADER,
};
use crate::routes::route_template;
use crate::server::{Server, ADMIN_PATH};
use axum::body::Body;
use axum::extract::Request;
use axum::Router;
use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode};
use http_body::Frame;
use scimkit_dispatch::error_response;
use scimkit_schema::ScimError;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

impl Server {
    /// The axum application: SCIM under [`BASE_PATH`](crate::BASE_PATH), the admin API under
    /// [`ADMIN_PATH`], the admin console under [`CONSOLE_PATH`](crate::CONSOLE_PATH),
    /// `/healthz`, `/readyz`, and `/metrics` when it is served beside SCIM.
    /// [`ConnectionLimits::body_timeout`](crate::ConnectionLimits) bounds the reading of each
    /// request body (408 after it, and the connection is closed).
    pub fn app(&self) -> Router {
        // Shared, not cloned per request: a `Server` holds the tenants' rule sets, the
        // console, the start-up notes (cloning it was a tenth of a GET's CPU).
        let server = Arc::new(self.clone());
        Router::new().fallback(move |req: Request| {
            let server = Arc::clone(&server);
            async move { server.handle(req).await }
        })
    }

    /// The application of a separate metrics address: `/metrics` only.
    pub fn metrics_app(&self) -> Router {
        let server = Arc::new(self.clone());
        Router::new().fallback(move |req: Request| {
            let server = Arc::clone(&server);
            async move {
                let resp = if req.uri().path() == METRICS_PATH {
                    server.serve_metrics(req.headers()).await
                } else {
                    plain(StatusCode::NOT_FOUND, "not found\n")
                };
                resp.map(Body::from)
            }
        })
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        let path = req.uri().path();
        if path == HEALTH_PATH {
            return probe_answer(req.method(), StatusCode::OK, "ok").map(Body::from);
        }
        if path == READY_PATH {
            return self.ready(req.method()).await.map(Body::from);
        }
        if path == METRICS_PATH && self.metrics_beside_scim {
            return self.serve_metrics(req.headers()).await.map(Body::from);
        }
        let _in_flight = self.metrics.in_flight();
        self.answer(req).await
    }

    async fn answer(&self, req: Request) -> Response<Body> {
        let body_timeout = self.body_timeout;
        let started = Instant::now();
        let id = request_id(req.headers());
        let method = req.method().clone();
        let path = loggable(req.uri().path());
        let route = route_template(req.uri().path());
        let admin_tenant = admin_tenant(req.uri().path()).map(str::to_string);
        let credentials = credential_problem(req.headers());
        let client = req
            .extensions()
            .get::<PeerAddr>()
            .map(|p| client_address(p.0.ip(), req.headers(), &self.trusted_proxies));
        let ((mut resp, timed_out), notes) = with_notes(async {
            if let Err(e) = check_head(&req, &self.request_limits) {
                return (error_response(&e), false);
            }
            let expired = Arc::new(AtomicBool::new(false));
            let req = req.map(|b| Body::new(DeadlineBody::new(b, body_timeout, expired.clone())));
            let resp = self.route(req).await;
            (resp, expired.load(Ordering::Relaxed))
        })
        .await;
        if timed_out {
            resp = error_response(&ScimError::new(
                408,
                None,
                format!(
                    "The request body was not received within {} ms",
                    body_timeout.as_millis()
                ),
            ));
            resp.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if let Ok(v) = HeaderValue::from_str(&id) {
            resp.headers_mut().insert(REQUEST_ID_HEADER, v);
        }
        let status = resp.status().as_u16();
        let latency = started.elapsed();
        let error = (status >= 400).then(|| error_fields(resp.body()));
        let (scim_type, detail) = error
            .as_ref()
            .map_or((None, None), |(t, d)| (t.as_deref(), d.as_deref()));
        let auth_failure = notes.auth_failure.or_else(|| {
            (status == 401 && route.starts_with(ADMIN_PATH)).then(|| reason_of(credentials, status))
        });
        if let Some(reason) = auth_failure {
            self.metrics.auth_failure(reason);
        }
        self.metrics
            .request(&method, &route, status, scim_type, latency);
        if !self.quiet {
            RequestLine {
                request_id: &id,
                tenant: notes.tenant.as_deref().or(admin_tenant.as_deref()),
                client,
                method: method.as_str(),
                path: &path,
                route: &route,
                status,
                latency,
                scim_type,
                detail,
                auth_failure,
            }
            .emit();
        }
        resp.map(Body::from)
    }

    async fn ready(&self, method: &Method) -> Response<Bytes> {
        match self.readiness.check().await {
            Ok(()) => probe_answer(method, StatusCode::OK, "ready"),
            Err(why) => {
                tracing::warn!("not ready: {why}");
                probe_answer(method, StatusCode::SERVICE_UNAVAILABLE, "not ready")
            }
        }
    }

    async fn serve_metrics(&self, headers: &HeaderMap) -> Response<Bytes> {
        if let Some(token) = &self.metrics_token {
            let given = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split_once(' '))
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, t)| t.trim());
            if !token_matches(token, given) {
                self.metrics.auth_failure("metrics_token");
                let mut resp = plain(StatusCode::UNAUTHORIZED, "unauthorized\n");
                resp.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                return resp;
            }
        }
        let mut resp = plain(StatusCode::OK, "");
        *resp.body_mut() = Bytes::from(self.metrics.render().await);
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(METRICS_CONTENT_TYPE),
        );
        resp
    }

    async fn route(&self, req: Request) -> Response<Bytes> {
        let path = req.uri().path();
        let is_admin = path == ADMIN_PATH
            || path
                .strip_prefix(ADMIN_PATH)
                .is_some_and(|rest| rest.starts_with('/'));
        if is_console_path(path) {
            return self.console.handle(req).await;
        }
        if !is_admin {
            return self.heavy.handle(&self.scim, req).await;
        }
        let changes = req.method() != Method::GET;
        let resp = self.admin.handle(req).await;
        if changes && resp.status().is_success() {
            for (tenant, w) in self.provisioning.all_warnings().await.unwrap_or_default() {
                tracing::warn!("tenant {tenant}: {}", w.message);
            }
        }
        resp
    }
}

/// The longest `detail` a log line shows.
const LOGGED_DETAIL_CHARS: usize = 300;

/// An error answer's `scimType` and `detail` (shortened), when its body is a SCIM error.
fn error_fields(body: &Bytes) -> (Option<String>, Option<String>) {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return (None, None);
    };
    let scim_type = v["scimType"].as_str().map(str::to_string);
    let detail = v["detail"]
        .as_str()
        .map(|d| match d.char_indices().nth(LOGGED_DETAIL_CHARS) {
            Some((cut, _)) => format!("{}…", &d[..cut]),
            None => d.to_string(),
        });
    (scim_type, detail)
}

/// The longest path a log line shows.
const LOGGED_PATH_CHARS: usize = 200;

/// The path as logged: at most [`LOGGED_PATH_CHARS`] characters, so that a long request target
/// cannot inflate the log.
fn loggable(path: &str) -> String {
    match path.char_indices().nth(LOGGED_PATH_CHARS) {
        Some((cut, _)) => format!("{}…({} bytes)", &path[..cut], path.len()),
        None => path.to_string(),
    }
}

/// The tenant an admin API path is about (`/admin/tenants/{tenant}/…`), when it looks like a
/// tenant id (at most 64 of letters, digits, `.`, `_`, `-`).
fn admin_tenant(path: &str) -> Option<&str> {
    path.strip_prefix(ADMIN_PATH)?
        .strip_prefix("/tenants/")?
        .split('/')
        .next()
        .filter(|t| {
            (1..=64).contains(&t.len())
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        })
}

/// The request line and header block against the limits: 414 and 431 as SCIM errors.
fn check_head(req: &Request, limits: &RequestLimits) -> Result<(), ScimError> {
    let target = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target > limits.max_uri_bytes {
        return Err(ScimError::new(
            414,
            None,
            format!(
                "The request target is {target} bytes long; the limit is {}",
                limits.max_uri_bytes
            ),
        ));
    }
    let headers = req.headers();
    if headers.len() > limits.max_headers {
        return Err(ScimError::new(
            431,
            None,
            format!(
                "The request has {} header fields; the limit is {}",
                headers.len(),
                limits.max_headers
            ),
        ));
    }
    let bytes = header_bytes(headers);
    if bytes > limits.max_header_bytes {
        return Err(ScimError::new(
            431,
            None,
            format!(
                "The request's header fields take {bytes} bytes; the limit is {}",
                limits.max_header_bytes
            ),
        ));
    }
    Ok(())
}

/// The size of the header block as sent: `name: value\r\n` per field.
fn header_bytes(headers: &HeaderMap) -> usize {
    headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum()
}

/// A request body that fails once `timeout` has passed since it was wrapped, and says so in
/// `expired`.
struct DeadlineBody {
    inner: Body,
    deadline: Pin<Box<tokio::time::Sleep>>,
    expired: Arc<AtomicBool>,
}

impl DeadlineBody {
    fn new(inner: Body, timeout: Duration, expired: Arc<AtomicBool>) -> Self {
        DeadlineBody {
            inner,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            expired,
        }
    }
}

/// The error a [`DeadlineBody`] fails with.
#[derive(Debug, thiserror::Error)]
#[error("the request body was not received in time")]
struct BodyTimeout;

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        if this.deadline.as_mut().poll(cx).is_ready() {
            this.expired.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err(BodyTimeout.into())));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_fields() {
        assert_eq!(admin_tenant("/admin/tenants/acme/audit"), Some("acme"));
        assert_eq!(admin_tenant("/admin/tenants/acme"), Some("acme"));
        assert_eq!(admin_tenant("/admin/tenants"), None);
        assert_eq!(admin_tenant("/scim/v2/Users"), None);
        assert_eq!(
            admin_tenant(&format!("/admin/tenants/{}", "a".repeat(65))),
            None
        );
        assert_eq!(loggable("/scim/v2/Users"), "/scim/v2/Users");
        let long = loggable(&"é".repeat(10_000));
        assert!(long.chars().count() < LOGGED_PATH_CHARS + 20, "{long}");
        assert!(long.ends_with("(20000 bytes)"));
    }
}
