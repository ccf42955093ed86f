//! Where the configuration comes from and in which order: flags over `SCIMKIT_…` environment
//! variables over the `--config` file over the defaults. Each source is read into a [`Layer`]
//! (every setting optional); the layers are merged setting by setting, then checked once.

use crate::args::flags_layer;
use crate::error::ConfigError;
use crate::file::file_layer;
use crate::options::{
    parse_idp, DatabasePool, LogFormat, Options, RulePreset, Storage, TenantOptions,
};
use crate::proxy::TrustedProxy;
use crate::secret::Secret;
use scimkit_policy::IdpDialect;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The environment variable the admin token is read from when no flag sets it.
pub const ADMIN_TOKEN_ENV: &str = "SCIMKIT_ADMIN_TOKEN";

/// The environment variable naming the configuration file when `--config` does not.
pub const CONFIG_ENV: &str = "SCIMKIT_CONFIG";

/// What the command line asks for: the options, and whether only to check them.
#[derive(Debug)]
#[non_exhaustive]
pub struct Loaded {
    /// The merged, checked options.
    pub options: Options,
    /// `--check-config`: validate and exit.
    pub check_only: bool,
}

/// Reads the flags, the environment (through `env`) and the configuration file they name,
/// merges them (flags > environment > file > defaults) and checks the result.
///
/// # Errors
/// A [`ConfigError`] naming the first bad setting and where it was given.
pub fn load(
    args: impl IntoIterator<Item = String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Loaded, ConfigError> {
    let flags = flags_layer(args, env)?;
    let environment = env_layer(env)?;
    let config_path = flags
        .config
        .clone()
        .or_else(|| env(CONFIG_ENV).filter(|p| !p.is_empty()).map(PathBuf::from));
    let file = match &config_path {
        Some(path) => file_layer(path, env)?,
        None => Layer::default(),
    };
    let check_only = flags.check_only;
    let options = flags.over(environment).over(file).into_options()?;
    Ok(Loaded {
        options,
        check_only,
    })
}

/// Parses the arguments (without the program name) and everything they lead to — see [`load`];
/// `--check-config` is accepted and ignored. Pass `|k| std::env::var(k).ok()` as `env` in a
/// program.
///
/// # Errors
/// As [`load`].
pub fn parse_args(
    args: impl IntoIterator<Item = String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Options, ConfigError> {
    load(args, env).map(|l| l.options)
}

/// One source's settings; `None` where it says nothing.
#[derive(Debug, Default)]
pub(crate) struct Layer {
    pub(crate) config: Option<PathBuf>,
    pub(crate) check_only: bool,
    pub(crate) listen: Option<Vec<SocketAddr>>,
    pub(crate) base_url: Option<String>,
    pub(crate) storage: Option<Storage>,
    pub(crate) db_max_connections: Option<u32>,
    pub(crate) db_acquire_timeout: Option<Duration>,
    pub(crate) db_statement_timeout: Option<Duration>,
    pub(crate) log_format: Option<LogFormat>,
    pub(crate) quiet: Option<bool>,
    pub(crate) admin_token: Option<Secret>,
    pub(crate) metrics_listen: Option<SocketAddr>,
    pub(crate) metrics_token: Option<Secret>,
    pub(crate) cursor_key: Option<Secret>,
    pub(crate) cursor_previous_key: Option<Secret>,
    pub(crate) max_connections: Option<usize>,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) header_timeout: Option<Duration>,
    pub(crate) body_timeout: Option<Duration>,
    pub(crate) shutdown_grace: Option<Duration>,
    pub(crate) max_uri_bytes: Option<usize>,
    pub(crate) max_header_bytes: Option<usize>,
    pub(crate) trusted_proxies: Option<Vec<TrustedProxy>>,
    /// Tenants in the order first given; one entry per id.
    pub(crate) tenants: Vec<TenantLayer>,
}

/// One tenant's settings from one source.
#[derive(Debug)]
pub(crate) struct TenantLayer {
    pub(crate) id: String,
    pub(crate) token: Option<Secret>,
    pub(crate) idp: Option<IdpDialect>,
    pub(crate) rules: Option<RulePreset>,
    /// The setting that named it (for an error about a tenant without a token).
    pub(crate) named_by: String,
}

/// A setting every source spells its own way: flag, environment variable, file key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    Listen,
    BaseUrl,
    Storage,
    DbMaxConnections,
    DbAcquireTimeout,
    DbStatementTimeout,
    LogFormat,
    Quiet,
    MetricsListen,
    MaxConnections,
    IdleTimeout,
    HeaderTimeout,
    BodyTimeout,
    ShutdownGrace,
    MaxUriBytes,
    MaxHeaderBytes,
    TrustedProxy,
}

/// Every plain (non-secret, non-tenant) setting: key, flag, environment variable, file key.
pub(crate) const KEYS: [(Key, &str, &str, &str); 17] = [
    (Key::Listen, "--listen", "SCIMKIT_LISTEN", "listen"),
    (Key::BaseUrl, "--base-url", "SCIMKIT_BASE_URL", "base_url"),
    (Key::Storage, "--db", "SCIMKIT_DB", "db"),
    (
        Key::DbMaxConnections,
        "--db-max-connections",
        "SCIMKIT_DB_MAX_CONNECTIONS",
        "database.max_connections",
    ),
    (
        Key::DbAcquireTimeout,
        "--db-acquire-timeout",
        "SCIMKIT_DB_ACQUIRE_TIMEOUT",
        "database.acquire_timeout",
    ),
    (
        Key::DbStatementTimeout,
        "--db-statement-timeout",
        "SCIMKIT_DB_STATEMENT_TIMEOUT",
        "database.statement_timeout",
    ),
    (
        Key::LogFormat,
        "--log-format",
        "SCIMKIT_LOG_FORMAT",
        "log_format",
    ),
    (Key::Quiet, "--quiet", "SCIMKIT_QUIET", "quiet"),
    (
        Key::MetricsListen,
        "--metrics-listen",
        "SCIMKIT_METRICS_LISTEN",
        "metrics.listen",
    ),
    (
        Key::MaxConnections,
        "--max-connections",
        "SCIMKIT_MAX_CONNECTIONS",
        "limits.max_connections",
    ),
    (
        Key::IdleTimeout,
        "--idle-timeout",
        "SCIMKIT_IDLE_TIMEOUT",
        "limits.idle_timeout",
    ),
    (
        Key::HeaderTimeout,
        "--header-timeout",
        "SCIMKIT_HEADER_TIMEOUT",
        "limits.header_timeout",
    ),
    (
        Key::BodyTimeout,
        "--body-timeout",
        "SCIMKIT_BODY_TIMEOUT",
        "limits.body_timeout",
    ),
    (
        Key::ShutdownGrace,
        "--shutdown-grace",
        "SCIMKIT_SHUTDOWN_GRACE",
        "limits.shutdown_grace",
    ),
    (
        Key::MaxUriBytes,
        "--max-uri-bytes",
        "SCIMKIT_MAX_URI_BYTES",
        "limits.max_uri_bytes",
    ),
    (
        Key::MaxHeaderBytes,
        "--max-header-bytes",
        "SCIMKIT_MAX_HEADER_BYTES",
        "limits.max_header_bytes",
    ),
    (
        Key::TrustedProxy,
        "--trusted-proxy",
        "SCIMKIT_TRUSTED_PROXIES",
        "trusted_proxies",
    ),
];

/// The largest `max_connections`.
const MAX_CONNECTIONS: usize = 1 << 20;
/// The largest PostgreSQL pool (per instance; PostgreSQL's own `max_connections` is 100 by
/// default).
const MAX_DB_CONNECTIONS: usize = 1_000;
/// The largest `max_uri_bytes` and `max_header_bytes` (1 MiB).
const MAX_LIMIT_BYTES: usize = 1 << 20;
/// The longest timeout (a day).
const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);

impl Layer {
    /// Sets `key` from its text `v`; `name` is how the source spells the setting (for errors).
    /// A listen address adds to the ones this layer already has.
    pub(crate) fn set(&mut self, key: Key, name: &str, v: &str) -> Result<(), ConfigError> {
        match key {
            Key::Listen => {
                let addr = address(name, v)?;
                self.listen.get_or_insert_with(Vec::new).push(addr);
            }
            Key::BaseUrl => self.base_url = Some(base_url(name, v)?),
            Key::Storage => {
                self.storage = Some(Storage::parse(v).ok_or_else(|| {
                    // Not echoed: a database URL may carry a password.
                    ConfigError::invalid(
                        name,
                        "takes memory, sqlite:PATH or postgres://… (the value is not shown)",
                    )
                })?);
            }
            Key::DbMaxConnections => {
                let n = count(name, v, MAX_DB_CONNECTIONS)?;
                self.db_max_connections = Some(u32::try_from(n).unwrap_or(u32::MAX));
            }
            Key::DbAcquireTimeout => self.db_acquire_timeout = Some(duration(name, v)?),
            Key::DbStatementTimeout => self.db_statement_timeout = Some(duration(name, v)?),
            Key::LogFormat => {
                self.log_format = Some(LogFormat::parse(v).ok_or_else(|| {
                    ConfigError::invalid(name, format!("{v:?}; valid: auto, human, json"))
                })?);
            }
            Key::Quiet => {
                self.quiet = Some(match v.to_ascii_lowercase().as_str() {
                    "true" | "1" | "yes" => true,
                    "false" | "0" | "no" => false,
                    _ => {
                        return Err(ConfigError::invalid(
                            name,
                            format!("{v:?} is not true/false"),
                        ))
                    }
                });
            }
            Key::MetricsListen => self.metrics_listen = Some(address(name, v)?),
            Key::MaxConnections => self.max_connections = Some(count(name, v, MAX_CONNECTIONS)?),
            Key::IdleTimeout => self.idle_timeout = Some(duration(name, v)?),
            Key::HeaderTimeout => self.header_timeout = Some(duration(name, v)?),
            Key::BodyTimeout => self.body_timeout = Some(duration(name, v)?),
            Key::ShutdownGrace => self.shutdown_grace = Some(duration(name, v)?),
            Key::MaxUriBytes => self.max_uri_bytes = Some(count(name, v, MAX_LIMIT_BYTES)?),
            Key::MaxHeaderBytes => {
                self.max_header_bytes = Some(count(name, v, MAX_LIMIT_BYTES)?);
            }
            Key::TrustedProxy => {
                let proxy = TrustedProxy::parse(v).ok_or_else(|| {
                    ConfigError::invalid(
                        name,
                        format!("{v:?} is not an IP address or network (10.0.0.0/8)"),
                    )
                })?;
                self.trusted_proxies
                    .get_or_insert_with(Vec::new)
                    .push(proxy);
            }
        }
        Ok(())
    }

    /// The tenant `id` of this layer, added (named by `named_by`) when new.
    pub(crate) fn tenant(&mut self, id: &str, named_by: &str) -> &mut TenantLayer {
        let at = match self.tenants.iter().position(|t| t.id == id) {
            Some(at) => at,
            None => {
                self.tenants.push(TenantLayer {
                    id: id.to_string(),
                    token: None,
                    idp: None,
                    rules: None,
                    named_by: named_by.to_string(),
                });
                self.tenants.len() - 1
            }
        };
        &mut self.tenants[at]
    }

    /// Gives a tenant of this layer its token; a second token for the same tenant is an error.
    pub(crate) fn tenant_token(
        &mut self,
        id: &str,
        named_by: &str,
        token: Secret,
    ) -> Result<(), ConfigError> {
        let t = self.tenant(id, named_by);
        if t.token.is_some() {
            return Err(ConfigError::DuplicateTenant(id.to_string()));
        }
        t.token = Some(token);
        Ok(())
    }

    /// This layer, with `lower`'s settings where this one has none. Tenants merge by id,
    /// setting by setting; the order is the lower layer's, then new ones.
    pub(crate) fn over(self, lower: Layer) -> Layer {
        let mut tenants = lower.tenants;
        for upper in self.tenants {
            match tenants.iter_mut().find(|t| t.id == upper.id) {
                Some(t) => {
                    t.token = upper.token.or(t.token.take());
                    t.idp = upper.idp.or(t.idp);
                    t.rules = upper.rules.or(t.rules);
                }
                None => tenants.push(upper),
            }
        }
        Layer {
            config: self.config.or(lower.config),
            check_only: self.check_only || lower.check_only,
            listen: self.listen.or(lower.listen),
            base_url: self.base_url.or(lower.base_url),
            storage: self.storage.or(lower.storage),
            db_max_connections: self.db_max_connections.or(lower.db_max_connections),
            db_acquire_timeout: self.db_acquire_timeout.or(lower.db_acquire_timeout),
            db_statement_timeout: self.db_statement_timeout.or(lower.db_statement_timeout),
            log_format: self.log_format.or(lower.log_format),
            quiet: self.quiet.or(lower.quiet),
            admin_token: self.admin_token.or(lower.admin_token),
            metrics_listen: self.metrics_listen.or(lower.metrics_listen),
            metrics_token: self.metrics_token.or(lower.metrics_token),
            cursor_key: self.cursor_key.or(lower.cursor_key),
            cursor_previous_key: self.cursor_previous_key.or(lower.cursor_previous_key),
            max_connections: self.max_connections.or(lower.max_connections),
            idle_timeout: self.idle_timeout.or(lower.idle_timeout),
            header_timeout: self.header_timeout.or(lower.header_timeout),
            body_timeout: self.body_timeout.or(lower.body_timeout),
            shutdown_grace: self.shutdown_grace.or(lower.shutdown_grace),
            max_uri_bytes: self.max_uri_bytes.or(lower.max_uri_bytes),
            max_header_bytes: self.max_header_bytes.or(lower.max_header_bytes),
            trusted_proxies: self.trusted_proxies.or(lower.trusted_proxies),
            tenants,
        }
    }

    /// The options: defaults where no layer said anything; every tenant needs a token, every
    /// token belongs to one tenant.
    fn into_options(self) -> Result<Options, ConfigError> {
        let mut o = Options::default();
        if let Some(mut listen) = self.listen {
            o.listen = listen.remove(0);
            o.extra_listen = listen;
        }
        o.base_url = self.base_url;
        o.storage = self.storage.unwrap_or_default();
        o.database_pool = DatabasePool {
            max_connections: self.db_max_connections,
            acquire_timeout: self.db_acquire_timeout,
            statement_timeout: self.db_statement_timeout,
        };
        o.log_format = self.log_format.unwrap_or_default();
        o.quiet = self.quiet.unwrap_or(false);
        o.admin_token = self.admin_token;
        o.metrics.listen = self.metrics_listen;
        o.metrics.token = self.metrics_token;
        match (self.cursor_key, self.cursor_previous_key) {
            (Some(current), previous) => o = o.with_cursor_keys(current, previous),
            (None, Some(_)) => {
                return Err(ConfigError::invalid(
                    "cursor_previous_key",
                    "needs cursor_key (the key that signs; the previous one is only accepted)",
                ))
            }
            (None, None) => {}
        }
        o.trusted_proxies = self.trusted_proxies.unwrap_or_default();
        let c = &mut o.connections;
        c.max_connections = self.max_connections.unwrap_or(c.max_connections);
        c.idle_timeout = self.idle_timeout.unwrap_or(c.idle_timeout);
        c.header_timeout = self.header_timeout.unwrap_or(c.header_timeout);
        c.body_timeout = self.body_timeout.unwrap_or(c.body_timeout);
        c.shutdown_grace = self.shutdown_grace.unwrap_or(c.shutdown_grace);
        let r = &mut o.request_limits;
        r.max_uri_bytes = self.max_uri_bytes.unwrap_or(r.max_uri_bytes);
        r.max_header_bytes = self.max_header_bytes.unwrap_or(r.max_header_bytes);
        for t in self.tenants {
            let token = t.token.ok_or_else(|| ConfigError::UnknownTenant {
                option: t.named_by.clone(),
                tenant: t.id.clone(),
            })?;
            let mut tenant = TenantOptions::new(t.id, token);
            tenant.idp = t.idp.unwrap_or_default();
            tenant.rules = t.rules.unwrap_or_default();
            o.tenants.push(tenant);
        }
        check_tokens(&o)?;
        Ok(o)
    }
}

/// The `SCIMKIT_…` environment variables. Tokens given there are the tokens themselves
/// (`SCIMKIT_ADMIN_TOKEN`, `SCIMKIT_METRICS_TOKEN`, `SCIMKIT_CURSOR_KEY`,
/// `SCIMKIT_CURSOR_PREVIOUS_KEY`) or files (`…_FILE`).
fn env_layer(env: &dyn Fn(&str) -> Option<String>) -> Result<Layer, ConfigError> {
    let mut layer = Layer::default();
    for (key, _, var, _) in KEYS {
        let Some(v) = env(var).filter(|v| !v.is_empty()) else {
            continue;
        };
        if matches!(key, Key::Listen | Key::TrustedProxy) {
            for one in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                layer.set(key, var, one)?;
            }
        } else {
            layer.set(key, var, &v)?;
        }
    }
    let secret = |var: &str| -> Result<Option<Secret>, ConfigError> {
        let file_var = format!("{var}_FILE");
        if env(var).is_some() {
            Secret::resolve(&format!("env:{var}"), var, env).map(Some)
        } else if let Some(path) = env(&file_var) {
            Secret::resolve(&format!("file:{path}"), &file_var, env).map(Some)
        } else {
            Ok(None)
        }
    };
    layer.admin_token = secret(ADMIN_TOKEN_ENV)?;
    layer.metrics_token = secret("SCIMKIT_METRICS_TOKEN")?;
    layer.cursor_key = secret("SCIMKIT_CURSOR_KEY")?;
    layer.cursor_previous_key = secret("SCIMKIT_CURSOR_PREVIOUS_KEY")?;
    Ok(layer)
}

/// Every token opens one tenant only.
fn check_tokens(options: &Options) -> Result<(), ConfigError> {
    for (i, t) in options.tenants.iter().enumerate() {
        if let Some(earlier) = options.tenants[..i]
            .iter()
            .find(|e| e.token.expose() == t.token.expose())
        {
            return Err(ConfigError::DuplicateToken {
                first: earlier.id.clone(),
                second: t.id.clone(),
            });
        }
    }
    Ok(())
}

/// `ID=VALUE` split, for `--tenant`, `--tenant-idp` and `--tenant-rules`.
pub(crate) fn assignment<'v>(option: &str, v: &'v str) -> Result<(&'v str, &'v str), ConfigError> {
    v.split_once('=')
        .filter(|(id, value)| !id.is_empty() && !value.is_empty())
        .ok_or_else(|| ConfigError::invalid(option, "takes ID=VALUE"))
}

/// An IdP profile by name, for the setting `name`.
pub(crate) fn idp(name: &str, v: &str) -> Result<IdpDialect, ConfigError> {
    parse_idp(v).map_err(|e| ConfigError::invalid(name, e))
}

/// A rule set by name, for the setting `name`.
pub(crate) fn rules(name: &str, v: &str) -> Result<RulePreset, ConfigError> {
    RulePreset::parse(v).ok_or_else(|| {
        ConfigError::invalid(
            name,
            format!(
                "unknown rule set {v:?}; valid: {}",
                RulePreset::NAMES.join(", ")
            ),
        )
    })
}

fn address(name: &str, v: &str) -> Result<SocketAddr, ConfigError> {
    v.trim()
        .parse()
        .map_err(|e| ConfigError::invalid(name, format!("{v:?}: {e}")))
}

fn base_url(name: &str, v: &str) -> Result<String, ConfigError> {
    let ok = ["http://", "https://"]
        .iter()
        .any(|s| v.len() > s.len() && v[..s.len()].eq_ignore_ascii_case(s))
        && !v.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(v.trim_end_matches('/').to_string())
    } else {
        Err(ConfigError::invalid(
            name,
            format!("{v:?} is not an http:// or https:// URL"),
        ))
    }
}

/// A whole number from 1 to `max`.
fn count(name: &str, v: &str, max: usize) -> Result<usize, ConfigError> {
    match v.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(ConfigError::invalid(
            name,
            format!("{v:?} is not a whole number from 1 to {max}"),
        )),
    }
}

/// `30`, `30s` or `500ms`; positive, at most a day.
fn duration(name: &str, v: &str) -> Result<Duration, ConfigError> {
    let parsed = if let Some(ms) = v.strip_suffix("ms") {
        ms.parse().ok().map(Duration::from_millis)
    } else {
        v.strip_suffix('s')
            .unwrap_or(v)
            .parse()
            .ok()
            .map(Duration::from_secs)
    };
    parsed
        .filter(|d| !d.is_zero() && *d <= MAX_DURATION)
        .ok_or_else(|| {
            ConfigError::invalid(
                name,
                format!("{v:?} is not a duration from 1ms to 86400s (30, 30s, 500ms)"),
            )
        })
}
