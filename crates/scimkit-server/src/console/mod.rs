//! The admin console under [`CONSOLE_PATH`]: the seed's Admin Center as server-rendered HTML
//! (maud: every value escaped), a little plain JavaScript from `/console/assets/` (copy button,
//! live audit updates by polling) and a Content-Security-Policy without inline script. Pages
//! work without JavaScript except the live updates.
//!
//! Every read and change goes through the admin API's HTTP/JSON interface ([`AdminApi`]
//! called in process with the signed-in administrator's token): no second code path.

mod accounts;
mod api;
mod audit;
mod handlers;
mod session;
mod tenant;
mod views;

use axum::body::Body;
use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use maud::Markup;
use scimkit_provisioning::{AdminApi, MemoryBackend, ProvisioningState};
use session::{Sessions, SESSION_COOKIE};
use std::collections::HashMap;

pub(crate) use session::SESSION_LIFETIME;

/// Where the console lives.
pub const CONSOLE_PATH: &str = "/console";

/// The largest form body the console reads.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// Every console answer's security headers.
const SECURITY_HEADERS: [(&str, &str); 6] = [
    (
        "content-security-policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cache-control", "no-store"),
    ("cross-origin-opener-policy", "same-origin"),
];

/// The admin console: pages over an [`AdminApi`] (over any provisioning backend `B`), with its
/// own sessions. Cheap to clone (clones share the sessions).
///
/// ```
/// use scimkit_provisioning::{AdminApi, Provisioning};
/// use scimkit_server::Console;
///
/// let admin = AdminApi::new(Provisioning::new(), "admin-token", "https://scim.example.com/scim/v2")
///     .with_base_path("/admin");
/// let console = Console::new(admin, true); // Secure cookies: served over HTTPS
/// # let _ = console;
/// ```
#[derive(Clone)]
pub struct Console<B: ProvisioningState = MemoryBackend> {
    admin: AdminApi<B>,
    secure_cookies: bool,
    sessions: Sessions,
}

impl<B: ProvisioningState> std::fmt::Debug for Console<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console")
            .field("secure_cookies", &self.secure_cookies)
            .finish_non_exhaustive()
    }
}

/// Whether `path` is the console's.
pub(crate) fn is_console_path(path: &str) -> bool {
    path == CONSOLE_PATH
        || path
            .strip_prefix(CONSOLE_PATH)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// A parsed console request: its path segments (decoded), query and form fields.
pub(crate) struct Incoming {
    pub(crate) method: Method,
    pub(crate) segs: Vec<String>,
    pub(crate) query: HashMap<String, String>,
    pub(crate) form: HashMap<String, String>,
    pub(crate) cookies: Option<String>,
}

impl Incoming {
    /// A query parameter, if given and not empty.
    pub(crate) fn query(&self, name: &str) -> Option<&str> {
        self.query
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A form field, empty when absent.
    pub(crate) fn field(&self, name: &str) -> &str {
        self.form.get(name).map_or("", String::as_str)
    }
}

impl<B: ProvisioningState> Console<B> {
    /// A console over `admin` (which must serve under `/admin`, as the server mounts it);
    /// `secure_cookies` adds `Secure` to its cookies (set it when served over HTTPS).
    pub fn new(admin: AdminApi<B>, secure_cookies: bool) -> Self {
        Console {
            admin,
            secure_cookies,
            sessions: Sessions::default(),
        }
    }

    /// Answers one request below [`CONSOLE_PATH`]. Reads a form body up to 64 KiB (413
    /// beyond). Never panics on input.
    pub async fn handle(&self, request: Request<Body>) -> Response<Bytes> {
        let (parts, body) = request.into_parts();
        let Ok(body) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
            return text(StatusCode::PAYLOAD_TOO_LARGE, "the form is too large\n");
        };
        let rest = parts
            .uri
            .path()
            .strip_prefix(CONSOLE_PATH)
            .unwrap_or_default();
        let segs = rest
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect();
        let query = form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
        let form = if parts.method == Method::POST {
            form_urlencoded::parse(&body).into_owned().collect()
        } else {
            HashMap::new()
        };
        let cookies = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join("; ");
        let incoming = Incoming {
            method: parts.method,
            segs,
            query,
            form,
            cookies: (!cookies.is_empty()).then_some(cookies),
        };
        let mut resp = self.route(&incoming).await;
        for (name, value) in SECURITY_HEADERS {
            resp.headers_mut()
                .insert(name, HeaderValue::from_static(value));
        }
        resp
    }

    fn session_cookie(&self, id: &str) -> String {
        session::set_cookie(SESSION_COOKIE, id, SESSION_LIFETIME, self.secure_cookies)
    }
}

/// An HTML page.
pub(crate) fn html(status: StatusCode, markup: Markup) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::from(markup.into_string()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    resp
}

/// A plain-text answer.
pub(crate) fn text(status: StatusCode, body: &'static str) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::from_static(body.as_bytes()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

/// A 303 to `location` (a console path).
pub(crate) fn see_other(location: &str) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::new());
    *resp.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// An embedded asset.
pub(crate) fn asset(body: &'static str, content_type: &'static str) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::from_static(body.as_bytes()));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

#[cfg(test)]
mod tests {
    use super::is_console_path;

    #[test]
    fn console_paths() {
        assert!(is_console_path("/console"));
        assert!(is_console_path("/console/tenants"));
        assert!(!is_console_path("/consoles"));
        assert!(!is_console_path("/admin"));
    }
}
