//! The axum application: request-head limits answered as SCIM errors, the body-read deadline,
//! the admin API under [`ADMIN_PATH`], the dispatcher for everything else, and one log line
//! per request.

use crate::options::RequestLimits;
use crate::request_log::{request_id, with_tenant_slot, REQUEST_ID_HEADER};
use crate::server::{Server, ADMIN_PATH};
use axum::body::Body;
use axum::extract::Request;
use axum::Router;
use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Method, Response};
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
    /// The axum application. [`ConnectionLimits::body_timeout`](crate::ConnectionLimits)
    /// bounds the reading of each request body (408 after it, and the connection is closed).
    pub fn app(&self) -> Router {
        let server = self.clone();
        Router::new().fallback(move |req: Request| {
            let server = server.clone();
            async move { server.handle(req).await }
        })
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        let body_timeout = self.body_timeout;
        let started = Instant::now();
        let id = request_id(req.headers());
        let method = req.method().clone();
        let path = loggable(req.uri().path());
        let admin_tenant = admin_tenant(req.uri().path()).map(str::to_string);
        let ((mut resp, timed_out), tenant) = with_tenant_slot(async {
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
        if !self.quiet {
            tracing::info!(
                request_id = %id,
                tenant = %tenant.or(admin_tenant).as_deref().unwrap_or("-"),
                "{method} {path} {} {:.1}ms",
                resp.status().as_u16(),
                started.elapsed().as_secs_f64() * 1e3
            );
        }
        resp.map(Body::from)
    }

    async fn route(&self, req: Request) -> Response<Bytes> {
        let path = req.uri().path();
        let is_admin = path == ADMIN_PATH
            || path
                .strip_prefix(ADMIN_PATH)
                .is_some_and(|rest| rest.starts_with('/'));
        if !is_admin {
            return self.heavy.handle(&self.scim, req).await;
        }
        let changes = req.method() != Method::GET;
        let resp = self.admin.handle(req).await;
        if changes && resp.status().is_success() {
            for (tenant, w) in self.provisioning.all_warnings() {
                tracing::warn!("tenant {tenant}: {}", w.message);
            }
        }
        resp
    }
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
