//! What the server is configured with: [`Options`] and its parts, with their defaults.

use crate::proxy::TrustedProxy;
use crate::secret::{Secret, SecretOrigin};
use scimkit_policy::{IdpDialect, RuleSet};
use scimkit_sql::postgres::PostgresOptions;
use std::net::SocketAddr;
use std::time::Duration;

/// The tenant `--token` configures.
pub const DEFAULT_TENANT: &str = "default";

/// Operator-chosen tokens shorter than this get a start-up warning.
pub const MIN_TOKEN_LEN: usize = 32;

/// Everything the server is started with. Build it with [`Options::default`] and the `with_*`
/// methods, or from the command line with [`parse_args`](crate::parse_args).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// Where to listen. Default `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// Further addresses served the same way (e.g. an IPv6 one beside an IPv4 one); each has
    /// its own connection cap.
    pub extra_listen: Vec<SocketAddr>,
    /// The tenants, in the order given. With none, tenant `default` is created with a
    /// generated token.
    pub tenants: Vec<TenantOptions>,
    /// The public SCIM base URL (behind a proxy or tunnel). Without it the base URL is
    /// `http://{listen address}/scim/v2`; the request's `Host` header is never used.
    pub base_url: Option<String>,
    /// No per-request log line (for load runs).
    pub quiet: bool,
    /// The admin API's token; a generated one (printed once) when absent.
    pub admin_token: Option<Secret>,
    /// The keys that sign RFC 9865 paging cursors (at least 32 bytes each): the first signs,
    /// the others are still accepted (the previous key, while rotating). Every instance of a
    /// deployment needs the same keys. Empty: a key generated at start (cursors then end at a
    /// restart).
    pub cursor_keys: Vec<Secret>,
    /// Connection timeouts and the connection cap.
    pub connections: ConnectionLimits,
    /// Limits on the request line and header block, answered with SCIM errors.
    pub request_limits: RequestLimits,
    /// Where resources and provisioning state live. Default: the SQLite file `scimkit.db` in
    /// the working directory ([`Storage::default`]).
    pub storage: Storage,
    /// The PostgreSQL connection pool (size and timeouts); ignored, with a start-up warning
    /// when set, for SQLite and memory storage.
    pub database_pool: DatabasePool,
    /// Where and how `/metrics` is served; off by default.
    pub metrics: MetricsOptions,
    /// How log lines are written.
    pub log_format: LogFormat,
    /// Proxies whose `X-Forwarded-For` names the client in log lines; none by default.
    pub trusted_proxies: Vec<TrustedProxy>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            listen: ([127, 0, 0, 1], 8080).into(),
            extra_listen: Vec::new(),
            tenants: Vec::new(),
            base_url: None,
            quiet: false,
            admin_token: None,
            cursor_keys: Vec::new(),
            connections: ConnectionLimits::default(),
            request_limits: RequestLimits::default(),
            storage: Storage::default(),
            database_pool: DatabasePool::default(),
            metrics: MetricsOptions::default(),
            log_format: LogFormat::Auto,
            trusted_proxies: Vec::new(),
        }
    }
}

impl Options {
    /// Sets [`listen`](Options::listen).
    pub fn with_listen(mut self, listen: SocketAddr) -> Self {
        self.listen = listen;
        self
    }

    /// Adds a tenant.
    pub fn with_tenant(mut self, tenant: TenantOptions) -> Self {
        self.tenants.push(tenant);
        self
    }

    /// Sets [`admin_token`](Options::admin_token).
    pub fn with_admin_token(mut self, token: Secret) -> Self {
        self.admin_token = Some(token);
        self
    }

    /// Sets [`cursor_keys`](Options::cursor_keys): `current` signs, `previous` (while
    /// rotating) is still accepted.
    pub fn with_cursor_keys(mut self, current: Secret, previous: Option<Secret>) -> Self {
        self.cursor_keys = std::iter::once(current).chain(previous).collect();
        self
    }

    /// Sets [`base_url`](Options::base_url).
    pub fn with_base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Sets [`connections`](Options::connections).
    pub fn with_connection_limits(mut self, limits: ConnectionLimits) -> Self {
        self.connections = limits;
        self
    }

    /// Sets [`request_limits`](Options::request_limits).
    pub fn with_request_limits(mut self, limits: RequestLimits) -> Self {
        self.request_limits = limits;
        self
    }

    /// Sets [`metrics`](Options::metrics).
    pub fn with_metrics(mut self, metrics: MetricsOptions) -> Self {
        self.metrics = metrics;
        self
    }

    /// Sets [`storage`](Options::storage).
    pub fn with_storage(mut self, storage: Storage) -> Self {
        self.storage = storage;
        self
    }

    /// Sets [`database_pool`](Options::database_pool).
    pub fn with_database_pool(mut self, pool: DatabasePool) -> Self {
        self.database_pool = pool;
        self
    }

    /// Every address served: [`listen`](Options::listen), then
    /// [`extra_listen`](Options::extra_listen).
    pub fn listen_addresses(&self) -> Vec<SocketAddr> {
        std::iter::once(self.listen)
            .chain(self.extra_listen.iter().copied())
            .collect()
    }

    /// Warnings about a configuration that works but should not be used as is (short
    /// operator-chosen tokens).
    pub fn warnings(&self) -> Vec<String> {
        let short = |s: &Secret| s.expose().chars().count() < MIN_TOKEN_LEN;
        let mut out: Vec<String> = self
            .tenants
            .iter()
            .filter(|t| short(&t.token))
            .map(|t| {
                format!(
                    "tenant {}: its token is shorter than {MIN_TOKEN_LEN} characters; \
                     use a long random token",
                    t.id
                )
            })
            .collect();
        let argv = |s: &Secret| *s.origin() == SecretOrigin::Argument;
        let given_in_argv = self
            .tenants
            .iter()
            .filter(|t| argv(&t.token))
            .map(|t| format!("tenant {}'s token", t.id))
            .chain(
                self.admin_token
                    .iter()
                    .filter(|s| argv(s))
                    .map(|_| "the admin token".into()),
            )
            .chain(
                self.metrics
                    .token
                    .iter()
                    .filter(|s| argv(s))
                    .map(|_| "the metrics token".into()),
            );
        for what in given_in_argv {
            out.push(format!(
                "{what} was given on the command line (visible in ps); use env:VARIABLE or file:PATH"
            ));
        }
        if self.admin_token.as_ref().is_some_and(short) {
            out.push(format!(
                "the admin token is shorter than {MIN_TOKEN_LEN} characters; use a long random token"
            ));
        }
        if self.database_pool.is_set() && !matches!(self.storage, Storage::Postgres(_)) {
            out.push(format!(
                "db_max_connections, db_acquire_timeout and db_statement_timeout apply to \
                 PostgreSQL storage only; ignored for {} storage",
                self.storage.backend()
            ));
        }
        if self.base_url.is_none() && self.listen.ip().is_unspecified() {
            out.push(format!(
                "listening on {} without --base-url: links will name that address; \
                 set --base-url to the URL clients use",
                self.listen
            ));
        }
        out
    }
}

/// One tenant: its id, token, identity-provider profile and rule set.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TenantOptions {
    /// The tenant id (letters, digits, `.`, `_`, `-`; at most 64).
    pub id: String,
    /// The token that opens its SCIM endpoint.
    pub token: Secret,
    /// The identity provider it connects (request normalisation). Default generic.
    pub idp: IdpDialect,
    /// Its provisioning rules. Default [`RulePreset::Product`].
    pub rules: RulePreset,
}

impl TenantOptions {
    /// A generic tenant with the product rules.
    pub fn new(id: impl Into<String>, token: Secret) -> Self {
        TenantOptions {
            id: id.into(),
            token,
            idp: IdpDialect::default(),
            rules: RulePreset::default(),
        }
    }

    /// Sets [`idp`](TenantOptions::idp).
    pub fn with_idp(mut self, idp: IdpDialect) -> Self {
        self.idp = idp;
        self
    }

    /// Sets [`rules`](TenantOptions::rules).
    pub fn with_rules(mut self, rules: RulePreset) -> Self {
        self.rules = rules;
        self
    }
}

/// The rule sets a tenant can run, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RulePreset {
    /// `tresorit`: the seed product's rules ([`RuleSet::tresorit`]): an identifier rename is
    /// refused (400 `mutability`), names are kept as registered.
    #[default]
    Product,
    /// `plain`: plain SCIM, no product rules: every change, identifier and names included, is
    /// applied and carried onto the account.
    Plain,
}

impl RulePreset {
    /// The names [`parse`](RulePreset::parse) accepts.
    pub const NAMES: [&'static str; 2] = ["tresorit", "plain"];

    /// The preset for a name in [`NAMES`](RulePreset::NAMES) (case-insensitive).
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "tresorit" => Some(RulePreset::Product),
            "plain" => Some(RulePreset::Plain),
            _ => None,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            RulePreset::Product => "tresorit",
            RulePreset::Plain => "plain",
        }
    }

    /// The rule set.
    pub fn rule_set(self) -> RuleSet {
        match self {
            RulePreset::Product => RuleSet::tresorit(),
            RulePreset::Plain => RuleSet::plain(),
        }
    }
}

/// The identity-provider profile names a tenant accepts, as the policy crate spells them.
const IDP_NAMES: [(&str, IdpDialect); 4] = [
    ("generic", IdpDialect::Generic),
    ("entraId", IdpDialect::EntraId),
    ("okta", IdpDialect::Okta),
    ("strict", IdpDialect::Strict),
];

/// The profile for a name (any letter case), or the list of valid names.
pub fn parse_idp(name: &str) -> Result<IdpDialect, String> {
    IDP_NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, dialect)| *dialect)
        .ok_or_else(|| {
            let valid: Vec<&str> = IDP_NAMES.iter().map(|(n, _)| *n).collect();
            format!("unknown IdP profile {name:?}; valid: {}", valid.join(", "))
        })
}

/// The name of a profile, as [`parse_idp`] takes it.
pub fn idp_name(idp: IdpDialect) -> String {
    serde_json::to_value(idp)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{idp:?}"))
}

/// Connection timeouts and the connection cap. Defaults: 60 s idle, 10 s header, 30 s body,
/// 1024 connections, 10 s shutdown grace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectionLimits {
    /// How long a connection may wait for the first byte of a request (a new connection, or a
    /// kept-alive one between requests) before it is closed.
    pub idle_timeout: Duration,
    /// How long a request head may take from its first byte to its last.
    pub header_timeout: Duration,
    /// How long a request body may take from the end of the head to its last byte (408).
    pub body_timeout: Duration,
    /// The most connections open at once; further ones wait to be accepted.
    pub max_connections: usize,
    /// How long in-flight requests may take to finish after a shutdown signal.
    pub shutdown_grace: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            idle_timeout: Duration::from_secs(60),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 1024,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

impl ConnectionLimits {
    /// Sets the three timeouts.
    pub fn with_timeouts(mut self, idle: Duration, header: Duration, body: Duration) -> Self {
        self.idle_timeout = idle;
        self.header_timeout = header;
        self.body_timeout = body;
        self
    }

    /// Sets [`max_connections`](ConnectionLimits::max_connections).
    pub fn with_max_connections(mut self, max: usize) -> Self {
        self.max_connections = max;
        self
    }
}

/// Limits on the request line and headers, checked before the dispatcher and answered as SCIM
/// errors (414, 431). The HTTP parser's own limits are set above them (see
/// [`RequestLimits::parser_buffer_bytes`]), so these are reached first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestLimits {
    /// The longest request target (path and query), in bytes. Default 8 KiB.
    pub max_uri_bytes: usize,
    /// The largest header block (names, values and separators), in bytes. Default 16 KiB.
    pub max_header_bytes: usize,
    /// The most header fields. Default 100.
    pub max_headers: usize,
}

impl Default for RequestLimits {
    fn default() -> Self {
        RequestLimits {
            max_uri_bytes: 8 << 10,
            max_header_bytes: 16 << 10,
            max_headers: 100,
        }
    }
}

impl RequestLimits {
    /// The HTTP parser's read buffer: room for a request head at both limits, twice over.
    /// Heads beyond it get the parser's own bare 431/414 (see the crate docs).
    pub fn parser_buffer_bytes(&self) -> usize {
        self.max_uri_bytes
            .saturating_add(self.max_header_bytes)
            .saturating_mul(2)
            .max(16 << 10)
    }

    /// The HTTP parser's header-count limit: above [`max_headers`](RequestLimits::max_headers).
    pub fn parser_max_headers(&self) -> usize {
        self.max_headers.saturating_mul(2).min(10_000)
    }
}

/// Where resources and provisioning state live (`--db`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Storage {
    /// In memory: lost when the process stops. `memory`.
    Memory,
    /// A SQLite database file, created and migrated as needed: `sqlite:PATH`. Every write is
    /// on disk when it is acknowledged (it survives a crash of the process).
    Sqlite(std::path::PathBuf),
    /// A PostgreSQL database, migrated as needed: `postgres://…` or `postgresql://…` (a secret:
    /// the URL may carry a password). Several server instances may share it.
    Postgres(Secret),
}

/// The PostgreSQL connection pool of one server instance (`--db-max-connections`,
/// `--db-acquire-timeout`, `--db-statement-timeout`); `None` where not configured, which
/// keeps scimkit-sql's default ([`PostgresOptions::default`]: 10 connections, 5 s to
/// acquire one, 10 s per statement). N instances open up to N × `max_connections`
/// connections: keep that under the server's `max_connections`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DatabasePool {
    /// Connections in the pool at most.
    pub max_connections: Option<u32>,
    /// How long a request waits for a connection before it gets a 503.
    pub acquire_timeout: Option<Duration>,
    /// PostgreSQL's `statement_timeout`: a statement running longer is cancelled and the
    /// request gets a 503.
    pub statement_timeout: Option<Duration>,
}

impl DatabasePool {
    /// With at most `n` connections.
    pub fn with_max_connections(mut self, n: u32) -> Self {
        self.max_connections = Some(n);
        self
    }

    /// With this acquire timeout.
    pub fn with_acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = Some(timeout);
        self
    }

    /// With this statement timeout.
    pub fn with_statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = Some(timeout);
        self
    }

    /// Whether any setting was given.
    pub fn is_set(&self) -> bool {
        *self != DatabasePool::default()
    }

    /// The pool as start-up shows it: `database pool: 10 connections, acquire timeout 5s,
    /// statement timeout 10s`.
    pub fn describe(&self) -> String {
        let o = self.postgres_options();
        let statement = o
            .statement_timeout
            .map_or_else(|| "none".into(), |t| format!("{t:?}"));
        format!(
            "database pool: {} connections, acquire timeout {:?}, statement timeout {statement}",
            o.max_connections, o.acquire_timeout
        )
    }

    /// scimkit-sql's options with these settings over its defaults.
    pub fn postgres_options(&self) -> PostgresOptions {
        let mut o = PostgresOptions::default();
        if let Some(n) = self.max_connections {
            o = o.max_connections(n);
        }
        if let Some(t) = self.acquire_timeout {
            o = o.acquire_timeout(t);
        }
        if let Some(t) = self.statement_timeout {
            o = o.statement_timeout(Some(t));
        }
        o
    }
}

/// The SQLite file the server uses when no storage is configured, in the working directory.
pub const DEFAULT_DATABASE: &str = "scimkit.db";

impl Default for Storage {
    /// `sqlite:scimkit.db` ([`DEFAULT_DATABASE`]): durable by default.
    fn default() -> Self {
        Storage::Sqlite(DEFAULT_DATABASE.into())
    }
}

impl Storage {
    /// `memory`, `sqlite:PATH`, `postgres://…` or `postgresql://…`.
    pub fn parse(v: &str) -> Option<Self> {
        if v.eq_ignore_ascii_case("memory") {
            Some(Storage::Memory)
        } else if let Some(path) = v.strip_prefix("sqlite:").filter(|p| !p.is_empty()) {
            Some(Storage::Sqlite(path.into()))
        } else if v.starts_with("postgres://") || v.starts_with("postgresql://") {
            // The URL may carry a password: kept as a secret, shown as a fingerprint.
            Some(Storage::Postgres(Secret::new(v, SecretOrigin::Argument)))
        } else {
            None
        }
    }

    /// Its backend's name: `memory`, `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self {
            Storage::Memory => "memory",
            Storage::Sqlite(_) => "sqlite",
            Storage::Postgres(_) => "postgres",
        }
    }
}

/// Where `/metrics` (Prometheus text format) is served. With [`listen`](MetricsOptions::listen)
/// it has its own address (and needs [`token`](MetricsOptions::token) only when one is set);
/// without it, it is served beside SCIM and needs the token; with neither it is off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MetricsOptions {
    /// A separate listen address for `/metrics`.
    pub listen: Option<SocketAddr>,
    /// The bearer token `/metrics` requires.
    pub token: Option<Secret>,
}

impl MetricsOptions {
    /// Metrics on their own address.
    pub fn on(listen: SocketAddr) -> Self {
        MetricsOptions {
            listen: Some(listen),
            token: None,
        }
    }

    /// Sets [`token`](MetricsOptions::token).
    pub fn with_token(mut self, token: Secret) -> Self {
        self.token = Some(token);
        self
    }

    /// Whether `/metrics` is served at all.
    pub fn enabled(&self) -> bool {
        self.listen.is_some() || self.token.is_some()
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LogFormat {
    /// `auto`: human on a terminal, JSON lines otherwise.
    #[default]
    Auto,
    /// `human`: one readable line per event; colour only on a terminal.
    Human,
    /// `json`: one JSON object per line, fields at the top level.
    Json,
}

impl LogFormat {
    /// `auto`, `human` or `json` (any letter case).
    pub fn parse(v: &str) -> Option<Self> {
        match v.to_ascii_lowercase().as_str() {
            "auto" => Some(LogFormat::Auto),
            "human" => Some(LogFormat::Human),
            "json" => Some(LogFormat::Json),
            _ => None,
        }
    }
}
