//! Log output: human lines on a terminal, JSON lines otherwise (or as configured), and the
//! one line each request gets.

use crate::options::LogFormat;
use std::io::IsTerminal;
use std::time::Duration;

/// Installs the process's log subscriber (stdout, INFO and above) in `format`;
/// [`LogFormat::Auto`] is human on a terminal and JSON lines otherwise. Does nothing when a
/// subscriber is already installed.
pub fn init_logging(format: LogFormat) {
    let terminal = std::io::stdout().is_terminal();
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Human => false,
        _ => !terminal,
    };
    let builder = tracing_subscriber::fmt()
        .with_target(false)
        .with_max_level(tracing::Level::INFO);
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init()
    } else {
        builder.with_ansi(terminal).try_init()
    };
}

/// What one request's log line says. Never a token, never a body, never a query string.
pub(crate) struct RequestLine<'a> {
    pub(crate) request_id: &'a str,
    pub(crate) tenant: Option<&'a str>,
    /// The client's address (through trusted proxies), when known.
    pub(crate) client: Option<std::net::IpAddr>,
    pub(crate) method: &'a str,
    /// The path, shortened (it is the one field a client chooses freely).
    pub(crate) path: &'a str,
    pub(crate) route: &'a str,
    pub(crate) status: u16,
    pub(crate) latency: Duration,
    /// For a 4xx or 5xx: the SCIM error's `scimType` and `detail`.
    pub(crate) scim_type: Option<&'a str>,
    pub(crate) detail: Option<&'a str>,
    /// Why authentication failed.
    pub(crate) auth_failure: Option<&'a str>,
}

impl RequestLine<'_> {
    /// Logs the line: INFO, WARN for a 5xx.
    pub(crate) fn emit(&self) {
        let latency_ms = (self.latency.as_secs_f64() * 1e4).round() / 10.0;
        let message = format!(
            "{} {} {} {latency_ms}ms",
            self.method, self.path, self.status
        );
        macro_rules! line {
            ($level:ident) => {
                tracing::$level!(
                    request_id = %self.request_id,
                    tenant = %self.tenant.unwrap_or("-"),
                    client = self.client.map(tracing::field::display),
                    method = %self.method,
                    route = %self.route,
                    status = self.status,
                    latency_ms,
                    scim_type = self.scim_type.map(tracing::field::display),
                    detail = self.detail,
                    auth_failure = self.auth_failure.map(tracing::field::display),
                    "{message}"
                )
            };
        }
        if self.status >= 500 {
            line!(warn);
        } else {
            line!(info);
        }
    }
}
