//! The one place the server builds its storage, the provisioning state, the dispatcher and the
//! admin API from the options. A storage backend plugs in here (and only here): it provides
//! the store, the provisioning state, the readiness check and the audit size.

use crate::error::ConfigError;
use crate::health::{AlwaysReady, Readiness};
use crate::metrics::PolicyOutcomes;
use crate::options::{idp_name, Options, Storage, DEFAULT_TENANT};
use crate::request_log::TenantRecorder;
use crate::secret::{Secret, SecretOrigin};
use crate::server::{Scim, ADMIN_PATH, BASE_PATH};
use scimkit_dispatch::{Config, Dispatcher};
use scimkit_policy::IdpDialect;
use scimkit_provisioning::{AdminApi, Provisioning};
use std::sync::Arc;

/// What [`build`] makes.
pub(crate) struct State {
    pub(crate) scim: Scim,
    pub(crate) admin: AdminApi,
    pub(crate) provisioning: Provisioning,
    pub(crate) readiness: Arc<dyn Readiness>,
    /// The audit log's size in bytes, over all tenants (read at each metrics scrape).
    pub(crate) audit_bytes: Arc<dyn Fn() -> u64 + Send + Sync>,
    /// The policy's outcomes by rule, counted as it decides.
    pub(crate) policy_outcomes: PolicyOutcomes,
    /// One start-up line per tenant: profile, rule set, token (a fingerprint unless generated).
    pub(crate) tenant_lines: Vec<String>,
}

/// Opens the storage `options` name, creates the tenants (without any, tenant `default` with a
/// generated token), the dispatcher serving `base_url`, and the admin API opened by
/// `admin_token`.
///
/// # Errors
/// [`ConfigError::StorageUnavailable`] for a backend not built yet, [`ConfigError::Tenant`]
/// when the provisioning layer refuses a tenant (an invalid id).
pub(crate) async fn build(
    options: &Options,
    base_url: &str,
    admin_token: &Secret,
) -> Result<State, ConfigError> {
    match &options.storage {
        Storage::Memory => {}
        other => {
            return Err(ConfigError::StorageUnavailable {
                backend: other.backend(),
            })
        }
    }
    let policy_outcomes = PolicyOutcomes::default();
    let counted = policy_outcomes.clone();
    let provisioning = Provisioning::new()
        .with_decision_observer(move |_tenant, decision| counted.observe(decision));
    let refused = |tenant: &str, e: scimkit_provisioning::ProvisioningError| ConfigError::Tenant {
        tenant: tenant.to_string(),
        problem: e.to_string(),
    };
    let mut tenant_lines = Vec::new();
    for t in &options.tenants {
        let created = async {
            provisioning.create_tenant(&t.id, t.idp).await?;
            provisioning.set_rules(&t.id, t.rules.rule_set()).await?;
            provisioning
                .enable_provisioning_with_token(&t.id, t.token.expose())
                .await
        };
        created.await.map_err(|e| refused(&t.id, e))?;
        tenant_lines.push(format!(
            "tenant {} ({}, {} rules): {}",
            t.id,
            idp_name(t.idp),
            t.rules.name(),
            t.token.display_for_startup()
        ));
    }
    if options.tenants.is_empty() {
        let created = async {
            provisioning
                .create_tenant(DEFAULT_TENANT, IdpDialect::Generic)
                .await?;
            provisioning.enable_provisioning(DEFAULT_TENANT).await
        };
        let token = created.await.map_err(|e| refused(DEFAULT_TENANT, e))?;
        let token = Secret::new(token.expose(), SecretOrigin::Generated);
        tenant_lines.push(format!(
            "tenant {DEFAULT_TENANT} (generic, tresorit rules): {}",
            token.display_for_startup()
        ));
    }
    let admin = AdminApi::new(provisioning.clone(), admin_token.expose(), base_url)
        .with_base_path(ADMIN_PATH);
    // Field by field, not a struct literal: `Config` is to become `#[non_exhaustive]`.
    #[allow(clippy::field_reassign_with_default)]
    let config = {
        let mut config = Config::default();
        config.base_path = BASE_PATH.into();
        config.base_url = Some(base_url.to_string());
        config
    };
    let scim = Dispatcher::builder(
        provisioning.backend().clone(),
        TenantRecorder(provisioning.clone()),
    )
    .hooks(provisioning.clone())
    .config(config)
    .build();
    let audited = provisioning.clone();
    // The metrics scrape is synchronous; the memory backend answers at once (a database
    // backend gives its own figure here).
    let audit_bytes = Arc::new(move || {
        let sum = async {
            let mut sum = 0u64;
            for t in audited.tenant_ids().await.unwrap_or_default() {
                sum += audited.audit_bytes(&t).await.map_or(0, |b| b as u64);
            }
            sum
        };
        futures_util::FutureExt::now_or_never(sum).unwrap_or(0)
    });
    Ok(State {
        scim,
        admin,
        provisioning,
        readiness: Arc::new(AlwaysReady),
        audit_bytes,
        policy_outcomes,
        tenant_lines,
    })
}
