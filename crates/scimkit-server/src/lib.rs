//! The reference scimkit server: a SCIM 2.0 service provider for Entra ID and Okta over
//! axum + tokio, with its data in a SQLite file (`scimkit.db` unless `--db` says otherwise;
//! `--db memory` keeps nothing), the provisioning policy per tenant and the tenant
//! admin API under `/admin`, and the admin console over it under `/console` ([`Console`]).
//!
//! ```sh
//! scimkit-server                                       # 127.0.0.1:8080, ./scimkit.db, a generated token
//! SCIMKIT_ADMIN_TOKEN=… ACME_TOKEN=… scimkit-server \
//!     --tenant acme=env:ACME_TOKEN --tenant-idp acme=okta --tenant-rules acme=plain \
//!     --tenant globex=file:/run/secrets/globex --base-url https://scim.example.com/scim/v2
//! ```
//!
//! (`cargo run --release --example server -- …` in the scimkit repository runs the same.)
//! `--help` lists every flag ([`USAGE`]). Settings come from flags, `SCIMKIT_…` environment
//! variables and a TOML file (`--config`), in that order of precedence ([`load`]);
//! `--check-config` validates and exits. Running it in production (proxies, systemd, the IdP
//! side): docs/deploying.md.
//!
//! In a program or a test:
//!
//! ```no_run
//! use scimkit_server::{Options, Secret, SecretOrigin, Storage, TenantOptions};
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let token = Secret::new("a-long-random-token-of-32-characters", SecretOrigin::Argument);
//! let options = Options::default()
//!     .with_storage(Storage::Memory) // a test; by default the SQLite file scimkit.db
//!     .with_listen("127.0.0.1:0".parse()?)
//!     .with_tenant(TenantOptions::new("acme", token));
//! let running = scimkit_server::start(&options).await?;
//! println!("SCIM on {}", running.server().base_url());
//! running.stop().await;
//! # Ok(()) }
//! ```
//!
//! # Hardening
//! - **Connections** ([`ConnectionLimits`]): idle (60 s), header (10 s) and body (30 s, then
//!   408) timeouts and a cap on open connections (1024; more wait to be accepted).
//! - **Request heads** ([`RequestLimits`]): a request target over 8 KiB gets a SCIM 414, a
//!   header block over 16 KiB or 100 fields a SCIM 431 (`schemas`, `status`, `detail`,
//!   `application/scim+json`). The HTTP parser's limits sit above these (twice the sum); what
//!   only the parser can refuse — heads beyond its buffer (431), bytes that are not HTTP at all
//!   (400) — gets the parser's status with a SCIM body too (`connection.rs`), and the connection
//!   is closed.
//! - **Large requests** ([`HEAVY_BODY_BYTES`]): a body of 64 KiB or more (a PATCH over
//!   thousands of values, a Bulk) is computed on tokio's blocking pool, one at a time
//!   ([`HEAVY_AT_ONCE`]), so that it never holds a runtime worker and other tenants' small
//!   requests stay fast.
//! - **Links**: without `--base-url`, `meta.location` and `Location` use the listen address
//!   (`http://127.0.0.1:8080/scim/v2`); the request's `Host` header is never reflected. Behind
//!   a proxy, or listening on `0.0.0.0`, set `--base-url`.
//! - **Secrets**: tokens come from flags, `env:VAR`, `file:PATH`, `SCIMKIT_ADMIN_TOKEN` or
//!   `--admin-token-file`; start-up prints a SHA-256 fingerprint of each, and a token in full
//!   only when the server generated it. Logs never contain a token.
//! - **Start-up errors**: a token shared by two tenants, an invalid tenant id, an unknown flag,
//!   key or value, a storage backend not built yet: the binary names the problem and exits
//!   with status 2.
//! - **Lifecycle**: SIGTERM and SIGINT stop accepting, let in-flight requests finish within
//!   [`ConnectionLimits::shutdown_grace`], and exit 0.
//! - **Health**: [`HEALTH_PATH`] and [`READY_PATH`] (a [`Readiness`] check; 503 when storage
//!   is not ready), no authentication, no data.
//! - **Metrics**: [`METRICS_PATH`] on its own address or behind its own token
//!   ([`MetricsOptions`]): requests by method, [route template](route_template), status and
//!   `scimType`; latency; auth failures by reason; audit size.
//! - **Logs**: one line per request with its request id (`X-Request-Id`, echoed, or
//!   generated), tenant, client ([`TrustedProxy`]), route, status, latency, and for errors the
//!   `scimType` and detail; JSON lines off a terminal ([`LogFormat`]). Never a token or body.
#![forbid(unsafe_code)]
// The request future nests the dispatcher, the hooks and the storage backend's futures deeply
// enough that computing its layout in release builds passes the default limit of 128.
#![recursion_limit = "256"]

mod app;
mod args;
mod backend;
mod config;
mod connection;
mod console;
mod error;
mod file;
mod health;
mod heavy;
mod logging;
mod metrics;
mod options;
mod proxy;
mod request_log;
mod routes;
mod run;
mod secret;
mod server;
mod state;

pub use args::USAGE;
pub use backend::{StorageBackend, StorageTx};
pub use config::{load, parse_args, Loaded, ADMIN_TOKEN_ENV, CONFIG_ENV};
pub use connection::serve;
pub use console::{Console, CONSOLE_PATH};
pub use error::ConfigError;
pub use health::{AlwaysReady, Readiness, HEALTH_PATH, READY_PATH};
pub use heavy::{HEAVY_AT_ONCE, HEAVY_BODY_BYTES};
pub use logging::init_logging;
pub use metrics::{Metrics, METRICS_PATH};
pub use options::{
    idp_name, parse_idp, ConnectionLimits, DatabasePool, LogFormat, MetricsOptions, Options,
    RequestLimits, RulePreset, Storage, TenantOptions, DEFAULT_DATABASE, DEFAULT_TENANT,
    MIN_TOKEN_LEN,
};
pub use proxy::TrustedProxy;
pub use request_log::{TenantRecorder, REQUEST_ID_HEADER};
pub use routes::route_template;
pub use run::{main_with_args, start, start_with, Running};
pub use secret::{Secret, SecretOrigin};
pub use server::{Scim, Server, ServerProvisioning, ADMIN_PATH, BASE_PATH};
