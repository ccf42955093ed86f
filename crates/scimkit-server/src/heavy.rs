//! Large requests run off the async runtime, one at a time.
//!
//! A SCIM request's CPU cost grows with its body: a PATCH over 15,000 emails, a Bulk of 1,000
//! operations. On the runtime's worker threads such a request would hold a worker for its whole
//! computation, and a few of them at once would stall every other tenant's requests. So a body
//! of at least [`HEAVY_BODY_BYTES`] is computed on tokio's blocking pool, and at most
//! [`HEAVY_AT_ONCE`] such requests compute at a time (the others wait their turn without
//! holding a thread); the workers stay free for the many small requests, and the operating
//! system shares the cores between them and the one large computation.

use crate::server::Scim;
use bytes::Bytes;
use http::{Request, Response};
use scimkit_dispatch::error_response;
use scimkit_schema::ScimError;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// A request body of at least this many bytes is computed on the blocking pool.
pub const HEAVY_BODY_BYTES: usize = 64 * 1024;

/// How many large requests compute at once.
pub const HEAVY_AT_ONCE: usize = 1;

/// The turnstile large requests pass one at a time.
#[derive(Debug, Clone)]
pub(crate) struct HeavyGate(Arc<Semaphore>);

impl Default for HeavyGate {
    fn default() -> Self {
        HeavyGate(Arc::new(Semaphore::new(HEAVY_AT_ONCE)))
    }
}

impl HeavyGate {
    /// Reads the body (within the dispatcher's limit for the path), then answers the request: on the
    /// current task when the body is small, on the blocking pool when it is large.
    pub(crate) async fn handle<B>(&self, scim: &Scim, request: Request<B>) -> Response<Bytes>
    where
        B: http_body::Body,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (parts, body) = request.into_parts();
        let bytes = match scim.read_body(&parts, body).await {
            Ok(bytes) => bytes,
            Err(refusal) => return refusal,
        };
        if bytes.len() < HEAVY_BODY_BYTES {
            return scim.handle_parts(parts, bytes).await;
        }
        let Ok(_turn) = self.0.acquire().await else {
            return error_response(&ScimError::new(503, None, "The server is shutting down"));
        };
        let scim = scim.clone();
        let runtime = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || runtime.block_on(scim.handle_parts(parts, bytes)))
            .await
            .unwrap_or_else(|_| {
                error_response(&ScimError::internal("The request could not be completed"))
            })
    }
}
