//! What the per-request log line knows: a request id, and the tenant the request
//! authenticated as or why it failed to (recorded by [`TenantRecorder`] while the dispatcher
//! authenticates it).

use http::HeaderMap;
use scimkit_dispatch::{Authenticator, Principal};
use scimkit_schema::ScimError;
use std::cell::RefCell;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

tokio::task_local! {
    static NOTES: RefCell<Notes>;
}

/// What authentication found out about a request.
#[derive(Debug, Default)]
pub(crate) struct Notes {
    /// The tenant it authenticated as.
    pub(crate) tenant: Option<String>,
    /// Why it failed to authenticate: `missing`, `not_bearer`, `invalid_token`, `refused`.
    pub(crate) auth_failure: Option<&'static str>,
}

/// Runs `fut` with a slot for what authentication finds out, and returns that with the output.
pub(crate) async fn with_notes<F: Future>(fut: F) -> (F::Output, Notes) {
    NOTES
        .scope(RefCell::new(Notes::default()), async {
            let out = fut.await;
            let notes = NOTES.with(|n| std::mem::take(&mut *n.borrow_mut()));
            (out, notes)
        })
        .await
}

/// Why a request failed authentication with `status`: its credential problem (no
/// `Authorization` header, another scheme than Bearer), else a token no tenant has (401) or a
/// tenant that refuses it (403: provisioning disabled).
pub(crate) fn reason_of(problem: Option<&'static str>, status: u16) -> &'static str {
    problem.unwrap_or(if status == 401 {
        "invalid_token"
    } else {
        "refused"
    })
}

/// `missing` or `not_bearer` when the headers carry no bearer token at all.
pub(crate) fn credential_problem(headers: &HeaderMap) -> Option<&'static str> {
    match headers
        .get(http::header::AUTHORIZATION)
        .map(|v| v.as_bytes())
    {
        None => Some("missing"),
        Some(v) if !(v.len() > 7 && v[..7].eq_ignore_ascii_case(b"bearer ")) => Some("not_bearer"),
        Some(_) => None,
    }
}

/// An [`Authenticator`] that notes the authenticated tenant for the request's log line, then
/// answers as `A` does.
#[derive(Debug, Clone)]
pub struct TenantRecorder<A>(pub A);

impl<A: Authenticator> Authenticator for TenantRecorder<A> {
    fn authenticate(
        &self,
        request: &http::request::Parts,
    ) -> impl Future<Output = Result<Principal, ScimError>> + Send {
        let inner = self.0.authenticate(request);
        let problem = credential_problem(&request.headers);
        async move {
            match inner.await {
                Ok(principal) => {
                    let _ = NOTES.try_with(|n| {
                        n.borrow_mut().tenant = Some(principal.tenant.as_str().to_string());
                    });
                    Ok(principal)
                }
                Err(e) => {
                    let reason = reason_of(problem, e.status());
                    let _ = NOTES.try_with(|n| n.borrow_mut().auth_failure = Some(reason));
                    Err(e)
                }
            }
        }
    }
}

/// The header a request id is taken from and echoed in.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The request's `X-Request-Id` when it is short and printable (1–64 of `A-Z a-z 0-9 - _ . :`),
/// else a new one: a per-process prefix and a counter.
pub(crate) fn request_id(headers: &HeaderMap) -> String {
    let given = headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=64).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
        });
    match given {
        Some(id) => id.to_string(),
        None => {
            static NEXT: AtomicU64 = AtomicU64::new(1);
            format!(
                "{}-{}",
                process_prefix(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            )
        }
    }
}

/// Eight hex digits that tell this process's request ids from another's.
fn process_prefix() -> &'static str {
    static PREFIX: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PREFIX.get_or_init(|| {
        use std::hash::BuildHasher;
        let n = std::collections::hash_map::RandomState::new().hash_one(std::process::id());
        format!("{:08x}", n as u32)
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn request_ids() {
        let mut h = HeaderMap::new();
        let a = request_id(&h);
        assert_ne!(a, request_id(&h));
        h.insert(REQUEST_ID_HEADER, "abc-1".parse().unwrap());
        assert_eq!(request_id(&h), "abc-1");
        h.insert(REQUEST_ID_HEADER, "bad id\t".parse().unwrap());
        assert_ne!(request_id(&h), "bad id\t");
    }
}
