//! The server's state, built from [`Options`] (the storage-dependent parts in `state.rs`):
//! tenants, dispatcher, admin API, readiness, metrics, and what start-up prints.

use crate::backend::StorageBackend;
use crate::console::Console;
use crate::error::ConfigError;
use crate::health::Readiness;
use crate::heavy::HeavyGate;
use crate::metrics::Metrics;
use crate::options::{Options, RequestLimits};
use crate::proxy::TrustedProxy;
use crate::request_log::TenantRecorder;
use crate::secret::{Secret, SecretOrigin};
use crate::state;
use scimkit_dispatch::Dispatcher;
use scimkit_provisioning::{AdminApi, Provisioning};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The provisioning layer the server runs, over its storage.
pub type ServerProvisioning = Provisioning<StorageBackend>;

/// The dispatcher the server runs: tokens and policy from [`Provisioning`], the tenant of each
/// request noted for its log line.
pub type Scim = Dispatcher<StorageBackend, TenantRecorder<ServerProvisioning>, ServerProvisioning>;

/// Where the SCIM endpoints live.
pub const BASE_PATH: &str = "/scim/v2";

/// Where the tenant admin API lives.
pub const ADMIN_PATH: &str = "/admin";

/// Everything a running server holds. Cheap to clone (clones share state).
#[derive(Clone)]
pub struct Server {
    pub(crate) scim: Scim,
    pub(crate) admin: AdminApi<StorageBackend>,
    /// The admin console over `admin`; `Secure` cookies when the public URL is HTTPS.
    pub(crate) console: Console<StorageBackend>,
    pub(crate) provisioning: ServerProvisioning,
    pub(crate) readiness: Arc<dyn Readiness>,
    pub(crate) metrics: Metrics,
    /// The token `/metrics` needs; `None` with metrics on their own address and no token.
    pub(crate) metrics_token: Option<Secret>,
    /// `/metrics` is answered beside SCIM (a token is set and no metrics address).
    pub(crate) metrics_beside_scim: bool,
    pub(crate) base_url: String,
    pub(crate) request_limits: RequestLimits,
    pub(crate) body_timeout: Duration,
    pub(crate) quiet: bool,
    pub(crate) trusted_proxies: Arc<[TrustedProxy]>,
    pub(crate) heavy: HeavyGate,
    startup: Vec<String>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Builds the storage and tenants (`state.rs`), the admin API and the metrics.
    /// `local_addr` is the bound listen address, which makes the base URL when
    /// [`Options::base_url`] is absent.
    ///
    /// # Errors
    /// [`ConfigError::Storage`] when the database cannot be opened,
    /// [`ConfigError::Tenant`] when the provisioning layer refuses a tenant (an invalid id),
    /// [`ConfigError::Secret`] when no admin token can be generated.
    pub async fn new(options: &Options, local_addr: SocketAddr) -> Result<Self, ConfigError> {
        let base_url = options
            .base_url
            .clone()
            .unwrap_or_else(|| format!("http://{local_addr}{BASE_PATH}"));
        let admin_token = match &options.admin_token {
            Some(t) => t.clone(),
            None => Secret::new(generated_token()?, SecretOrigin::Generated),
        };
        let state = state::build(options, &base_url, &admin_token).await?;
        let mut startup = vec![format!("SCIM base URL: {base_url}")];
        startup.extend(state.tenant_lines);
        let public = base_url
            .strip_suffix(BASE_PATH)
            .map_or_else(|| format!("http://{local_addr}"), str::to_string);
        startup.push(format!(
            "admin API: {public}{ADMIN_PATH} ({})",
            admin_token.display_for_startup()
        ));
        startup.push(format!("storage: {}", state.storage_line));
        startup.push(state.cursor_line);
        let metrics = &options.metrics;
        if let Some(token) = &metrics.token {
            startup.push(format!(
                "metrics token: {}",
                token.display_for_startup().replace("token ", "")
            ));
        }
        let served_metrics = Metrics::new(
            state.provisioning.backend().clone(),
            state.storage_metrics,
            state.policy_outcomes,
        );
        Ok(Server {
            scim: state.scim,
            console: Console::new(state.admin.clone(), base_url.starts_with("https://")),
            admin: state.admin,
            provisioning: state.provisioning,
            readiness: state.readiness,
            metrics: served_metrics,
            metrics_token: metrics.token.clone(),
            metrics_beside_scim: metrics.listen.is_none() && metrics.token.is_some(),
            base_url,
            request_limits: options.request_limits,
            body_timeout: options.connections.body_timeout,
            quiet: options.quiet,
            trusted_proxies: options.trusted_proxies.clone().into(),
            heavy: HeavyGate::default(),
            startup,
        })
    }

    /// Replaces the readiness check `/readyz` runs (the in-memory store is always ready).
    pub fn with_readiness(mut self, readiness: Arc<dyn Readiness>) -> Self {
        self.readiness = readiness;
        self
    }

    /// The SCIM base URL used in `meta.location` and `Location`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The lines start-up prints: base URL, tenants with their profile, rule set and token
    /// (a fingerprint unless generated), the admin API, the storage.
    pub fn startup_lines(&self) -> &[String] {
        &self.startup
    }

    /// The provisioning state (tenants, accounts, audit log).
    pub fn provisioning(&self) -> &ServerProvisioning {
        &self.provisioning
    }

    /// The SCIM dispatcher.
    pub fn dispatcher(&self) -> &Scim {
        &self.scim
    }

    /// Closes the storage (after the last request): a database's connections are closed, SQLite
    /// checkpoints its write-ahead log into the file.
    pub async fn close_storage(&self) {
        self.provisioning.backend().close().await;
    }

    /// The metrics `/metrics` serves.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}

/// 256 bits from the operating system, hex, prefixed `scimkit_`.
fn generated_token() -> Result<String, ConfigError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ConfigError::Secret {
        what: "admin token".into(),
        problem: format!("cannot generate one: {e}"),
    })?;
    Ok(bytes
        .iter()
        .fold(String::from("scimkit_"), |s, b| s + &format!("{b:02x}")))
}
