//! `GET /healthz` (the process answers) and `GET /readyz` (storage can serve), outside the
//! SCIM base path, without authentication. Neither body names a tenant, a version or a reason:
//! the reason a check fails goes to the log.

use bytes::Bytes;
use http::{header, HeaderValue, Method, Response, StatusCode};
use std::future::Future;
use std::pin::Pin;

/// Liveness: 200 while the process serves requests.
pub const HEALTH_PATH: &str = "/healthz";

/// Readiness: 200 when storage is reachable (and migrated), else 503.
pub const READY_PATH: &str = "/readyz";

/// Whether the server's storage can serve requests now. The in-memory store is always ready
/// ([`AlwaysReady`]); a database backend checks its pool and schema version. A plain closure
/// `Fn() -> Result<(), String>` is a `Readiness` too.
pub trait Readiness: Send + Sync + 'static {
    /// `Ok` when ready; else why not (logged, never sent to the client). Must be cheap and
    /// bounded in time: load balancers call it every few seconds.
    fn check(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>>;
}

/// The readiness of storage that cannot be unavailable (memory).
#[derive(Debug, Clone, Copy, Default)]
pub struct AlwaysReady;

impl Readiness for AlwaysReady {
    fn check(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(std::future::ready(Ok(())))
    }
}

impl<F> Readiness for F
where
    F: Fn() -> Result<(), String> + Send + Sync + 'static,
{
    fn check(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(std::future::ready(self()))
    }
}

/// The answer to a probe: `status` with a one-word plain-text body, never cached.
pub(crate) fn probe_answer(method: &Method, status: StatusCode, word: &str) -> Response<Bytes> {
    if method != Method::GET && method != Method::HEAD {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
    }
    plain(status, &format!("{word}\n"))
}

/// A plain-text answer.
pub(crate) fn plain(status: StatusCode, body: &str) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::from(body.to_string()));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}
