//! The server's state, built from [`Options`]: tenants, dispatcher, admin API, and what
//! start-up prints.

use crate::error::ConfigError;
use crate::heavy::HeavyGate;
use crate::options::{idp_name, Options, RequestLimits, DEFAULT_TENANT};
use crate::request_log::TenantRecorder;
use crate::secret::{Secret, SecretOrigin};
use scimkit_dispatch::{Config, Dispatcher, MemoryStore};
use scimkit_policy::IdpDialect;
use scimkit_provisioning::{AdminApi, Provisioning};
use std::net::SocketAddr;
use std::time::Duration;

/// The dispatcher the server runs: tokens and policy from [`Provisioning`], the tenant of each
/// request noted for its log line.
pub type Scim = Dispatcher<MemoryStore, TenantRecorder<Provisioning>, Provisioning>;

/// Where the SCIM endpoints live.
pub const BASE_PATH: &str = "/scim/v2";

/// Where the tenant admin API lives.
pub const ADMIN_PATH: &str = "/admin";

/// Everything a running server holds. Cheap to clone (clones share state).
#[derive(Clone)]
pub struct Server {
    pub(crate) scim: Scim,
    pub(crate) admin: AdminApi,
    pub(crate) provisioning: Provisioning,
    pub(crate) base_url: String,
    pub(crate) request_limits: RequestLimits,
    pub(crate) body_timeout: Duration,
    pub(crate) quiet: bool,
    pub(crate) heavy: HeavyGate,
    startup: Vec<String>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("base_url", &self.base_url)
            .field("tenants", &self.provisioning.tenant_ids())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Creates the tenants (each with provisioning enabled under its token, its IdP profile
    /// and rule set; without any, tenant `default` with a generated token), the dispatcher and
    /// the admin API. `local_addr` is the bound listen address, which makes the base URL when
    /// [`Options::base_url`] is absent.
    ///
    /// # Errors
    /// [`ConfigError::Tenant`] when the provisioning layer refuses a tenant (an invalid id),
    /// [`ConfigError::Secret`] when no admin token can be generated.
    pub fn new(options: &Options, local_addr: SocketAddr) -> Result<Self, ConfigError> {
        let base_url = options
            .base_url
            .clone()
            .unwrap_or_else(|| format!("http://{local_addr}{BASE_PATH}"));
        let provisioning = Provisioning::new();
        let mut startup = vec![format!("SCIM base URL: {base_url}")];
        let refused =
            |tenant: &str, e: scimkit_provisioning::ProvisioningError| ConfigError::Tenant {
                tenant: tenant.to_string(),
                problem: e.to_string(),
            };
        for t in &options.tenants {
            provisioning
                .create_tenant(&t.id, t.idp)
                .and_then(|()| provisioning.set_rules(&t.id, t.rules.rule_set()))
                .and_then(|()| provisioning.enable_provisioning_with_token(&t.id, t.token.expose()))
                .map_err(|e| refused(&t.id, e))?;
            startup.push(format!(
                "tenant {} ({}, {} rules): {}",
                t.id,
                idp_name(t.idp),
                t.rules.name(),
                t.token.display_for_startup()
            ));
        }
        if options.tenants.is_empty() {
            let token = provisioning
                .create_tenant(DEFAULT_TENANT, IdpDialect::Generic)
                .and_then(|()| provisioning.enable_provisioning(DEFAULT_TENANT))
                .map_err(|e| refused(DEFAULT_TENANT, e))?;
            let token = Secret::new(token.expose(), SecretOrigin::Generated);
            startup.push(format!(
                "tenant {DEFAULT_TENANT} (generic, tresorit rules): {}",
                token.display_for_startup()
            ));
        }
        let admin_token = match &options.admin_token {
            Some(t) => t.clone(),
            None => Secret::new(generated_token()?, SecretOrigin::Generated),
        };
        let admin = AdminApi::new(provisioning.clone(), admin_token.expose(), &base_url)
            .with_base_path(ADMIN_PATH);
        let public = base_url
            .strip_suffix(BASE_PATH)
            .map_or_else(|| format!("http://{local_addr}"), str::to_string);
        startup.push(format!(
            "admin API: {public}{ADMIN_PATH} ({})",
            admin_token.display_for_startup()
        ));
        // Field by field, not a struct literal: `Config` is to become `#[non_exhaustive]`.
        #[allow(clippy::field_reassign_with_default)]
        let config = {
            let mut config = Config::default();
            config.base_path = BASE_PATH.into();
            config.base_url = Some(base_url.clone());
            config
        };
        let scim = Dispatcher::builder(MemoryStore::new(), TenantRecorder(provisioning.clone()))
            .hooks(provisioning.clone())
            .config(config)
            .build();
        Ok(Server {
            scim,
            admin,
            provisioning,
            base_url,
            request_limits: options.request_limits,
            body_timeout: options.connections.body_timeout,
            quiet: options.quiet,
            heavy: HeavyGate::default(),
            startup,
        })
    }

    /// The SCIM base URL used in `meta.location` and `Location`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The lines start-up prints: base URL, tenants with their profile, rule set and token
    /// (a fingerprint unless generated), the admin API.
    pub fn startup_lines(&self) -> &[String] {
        &self.startup
    }

    /// The provisioning state (tenants, accounts, audit log).
    pub fn provisioning(&self) -> &Provisioning {
        &self.provisioning
    }

    /// The SCIM dispatcher.
    pub fn dispatcher(&self) -> &Scim {
        &self.scim
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
