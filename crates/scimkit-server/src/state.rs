//! The one place the server builds its storage, the provisioning state, the dispatcher and the
//! admin API from the options. A storage backend plugs in here (and in `backend.rs`): it
//! provides the store, the provisioning state and the readiness check.
//!
//! Start-up is idempotent on durable storage: a configured tenant that exists already keeps
//! its data; the configuration's identity provider, rule set and token are applied to it when
//! they differ (the configuration is what the operator declares), except that a tenant whose
//! provisioning an administrator turned off stays off. Without configured tenants, tenant
//! `default` and its generated token are made once, at the first start, and the token is
//! printed then only.

use crate::backend::StorageBackend;
use crate::error::ConfigError;
use crate::health::Readiness;
use crate::metrics::{PolicyOutcomes, StorageMetrics};
use crate::options::{
    idp_name, DatabasePool, Options, RulePreset, Storage, TenantOptions, DEFAULT_TENANT,
};
use crate::request_log::TenantRecorder;
use crate::secret::{Secret, SecretOrigin};
use crate::server::{Scim, ServerProvisioning, ADMIN_PATH, BASE_PATH};
use scimkit_dispatch::{Config, CursorKey, Dispatcher};
use scimkit_policy::{IdpDialect, RuleSet, TokenDigest};
use scimkit_provisioning::{AdminApi, MemoryBackend, Provisioning, ProvisioningError};
use scimkit_provisioning::{ProvisioningState, TenantRecord};
use scimkit_sql::postgres::PostgresStore;
use scimkit_sql::sqlite::{SqliteOptions, SqliteStore};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

/// What [`build`] makes.
pub(crate) struct State {
    pub(crate) scim: Scim,
    pub(crate) admin: AdminApi<StorageBackend>,
    pub(crate) provisioning: ServerProvisioning,
    pub(crate) readiness: Arc<dyn Readiness>,
    /// Storage operations' latency, filled by the backend.
    pub(crate) storage_metrics: StorageMetrics,
    /// The policy's outcomes by rule, counted as it decides.
    pub(crate) policy_outcomes: PolicyOutcomes,
    /// Where the data is, for the start-up lines: `memory` or `sqlite:PATH`.
    pub(crate) storage_line: String,
    /// One start-up line per tenant: profile, rule set, token (a fingerprint unless generated).
    pub(crate) tenant_lines: Vec<String>,
    /// How paging cursors are signed, for the start-up lines.
    pub(crate) cursor_line: String,
}

/// Opens the storage `options` name, brings the configured tenants up to date (without any,
/// makes tenant `default` with a generated token when storage holds no tenant), the
/// dispatcher serving `base_url`, and the admin API opened by `admin_token`.
///
/// # Errors
/// [`ConfigError::Storage`] when the database cannot be opened or migrated, [`ConfigError::Tenant`]
/// when the provisioning layer refuses a tenant (an invalid id) or cannot store it.
pub(crate) async fn build(
    options: &Options,
    base_url: &str,
    admin_token: &Secret,
) -> Result<State, ConfigError> {
    let storage_metrics = StorageMetrics::default();
    let (backend, storage_line) = open(
        &options.storage,
        &options.database_pool,
        storage_metrics.clone(),
    )
    .await?;
    let policy_outcomes = PolicyOutcomes::default();
    let counted = policy_outcomes.clone();
    let provisioning = Provisioning::with_backend(backend.clone())
        .with_decision_observer(move |_tenant, decision| counted.observe(decision));
    let mut tenant_lines = Vec::new();
    for t in &options.tenants {
        let line = configure_tenant(&provisioning, t)
            .await
            .map_err(|e| refused(&t.id, e))?;
        tenant_lines.push(line);
    }
    if options.tenants.is_empty() {
        if let Some(line) = default_tenant(&provisioning)
            .await
            .map_err(|e| refused(DEFAULT_TENANT, e))?
        {
            tenant_lines.push(line);
        }
    }
    let configured: Vec<&str> = options.tenants.iter().map(|t| t.id.as_str()).collect();
    tenant_lines.extend(
        other_stored_tenants(&provisioning, &configured)
            .await
            .map_err(|e| refused(DEFAULT_TENANT, e))?,
    );
    let admin = AdminApi::new(provisioning.clone(), admin_token.expose(), base_url)
        .with_base_path(ADMIN_PATH);
    let (cursor_keys, cursor_line) = cursor_keys(&options.cursor_keys)?;
    // Field by field, not a struct literal: `Config` is to become `#[non_exhaustive]`.
    #[allow(clippy::field_reassign_with_default)]
    let config = {
        let mut config = Config::default().with_cursor_keys(cursor_keys);
        config.base_path = BASE_PATH.into();
        config.base_url = Some(base_url.to_string());
        if !matches!(options.storage, Storage::Memory) {
            // Okta's index walk (startIndex=1, 201, …) continues from where the last page
            // ended instead of skipping startIndex - 1 rows, on a store that pages by keyset.
            config = config.with_index_walks(INDEX_WALKS);
        }
        config
    };
    let scim = Dispatcher::builder(backend.clone(), TenantRecorder(provisioning.clone()))
        .hooks(provisioning.clone())
        .config(config)
        .build();
    Ok(State {
        scim,
        admin,
        provisioning,
        readiness: Arc::new(StorageReadiness {
            backend,
            file: match &options.storage {
                Storage::Sqlite(path) => Some(path.clone()),
                _ => None,
            },
        }),
        storage_metrics,
        policy_outcomes,
        storage_line,
        tenant_lines,
        cursor_line,
    })
}

/// How many index walks a database-backed server remembers the end of.
const INDEX_WALKS: usize = 1024;

/// The keys that sign paging cursors, and how start-up describes them: the configured ones,
/// else one generated now (cursors then do not outlive a restart).
fn cursor_keys(configured: &[Secret]) -> Result<(Vec<CursorKey>, String), ConfigError> {
    let invalid = |e: scimkit_dispatch::CursorKeyError| ConfigError::Secret {
        what: "cursor_key".into(),
        problem: e.to_string(),
    };
    if let Some(signing) = configured.first() {
        let keys = configured
            .iter()
            .map(|k| CursorKey::new(k.expose()).map_err(invalid))
            .collect::<Result<Vec<_>, _>>()?;
        let shown = signing.display_for_startup().replace("token ", "key ");
        return Ok((keys, format!("paging cursors: signed with {shown}")));
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ConfigError::Secret {
        what: "cursor_key".into(),
        problem: format!("cannot generate one: {e}"),
    })?;
    Ok((
        vec![CursorKey::new(bytes).map_err(invalid)?],
        "paging cursors: signed with a key generated at start (they end at a restart; \
         set cursor_key, the same on every instance, to keep them)"
            .into(),
    ))
}

/// The backend `storage` names, opened (a SQLite file is created and migrated as needed), and
/// how start-up names it.
async fn open(
    storage: &Storage,
    pool: &DatabasePool,
    metrics: StorageMetrics,
) -> Result<(StorageBackend, String), ConfigError> {
    match storage {
        Storage::Memory => Ok((
            StorageBackend::memory(MemoryBackend::new(), metrics),
            "memory (lost when the server stops)".into(),
        )),
        Storage::Sqlite(path) => {
            let location = format!("sqlite:{}", path.display());
            let store = SqliteStore::open(path, &SqliteOptions::default())
                .await
                .map_err(|e| ConfigError::Storage {
                    location: location.clone(),
                    source: Box::new(e),
                })?;
            let shown = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
            Ok((
                StorageBackend::sqlite(store, metrics),
                format!("sqlite:{}", shown.display()),
            ))
        }
        Storage::Postgres(url) => {
            let location = without_password(url.expose());
            let store = PostgresStore::connect(url.expose(), &pool.postgres_options())
                .await
                .map_err(|e| ConfigError::Storage {
                    location: location.clone(),
                    source: Box::new(e),
                })?;
            let shown = format!("{location} ({})", pool.describe());
            Ok((StorageBackend::postgres(store, metrics), shown))
        }
    }
}

/// A database URL as start-up and errors show it: without the password.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "postgres (the URL is not shown)".into();
    };
    match rest.split_once('@') {
        Some((user, host)) => {
            let user = user.split_once(':').map_or(user, |(name, _)| name);
            format!("{scheme}://{user}@{host}")
        }
        None => url.to_string(),
    }
}

fn refused(tenant: &str, e: ProvisioningError) -> ConfigError {
    ConfigError::Tenant {
        tenant: tenant.to_string(),
        problem: e.to_string(),
    }
}

/// Creates a configured tenant, or brings a stored one to the configuration; its start-up line.
async fn configure_tenant(
    provisioning: &ServerProvisioning,
    t: &TenantOptions,
) -> Result<String, ProvisioningError> {
    let stored = provisioning.backend().load_tenant(&t.id).await?;
    let rules = t.rules.rule_set();
    let what = match stored {
        None => {
            provisioning
                .create_tenant_with_rules(&t.id, t.idp, rules)
                .await?;
            provisioning
                .enable_provisioning_with_token(&t.id, t.token.expose())
                .await?;
            "created"
        }
        Some(record) => {
            let mut changed = false;
            if record.tenant.settings().dialect != t.idp {
                provisioning.set_dialect(&t.id, t.idp).await?;
                changed = true;
            }
            if record.tenant.rules() != &rules {
                provisioning.set_rules(&t.id, rules).await?;
                changed = true;
            }
            match token_state(&record, t.token.expose()) {
                TokenState::Current => {}
                TokenState::TurnedOff => {
                    return Ok(line(
                        t.idp,
                        t.rules.name(),
                        &t.id,
                        "provisioning turned off by an administrator; the token is kept",
                    ));
                }
                TokenState::Other => {
                    provisioning
                        .rotate_token_to(&t.id, t.token.expose())
                        .await?;
                    changed = true;
                }
            }
            if changed {
                "stored; updated to the configuration"
            } else {
                "stored"
            }
        }
    };
    Ok(line(
        t.idp,
        t.rules.name(),
        &t.id,
        &format!("{}, {what}", t.token.display_for_startup()),
    ))
}

/// Where a configured token stands with a stored tenant.
enum TokenState {
    /// It opens the tenant.
    Current,
    /// An administrator turned the tenant's provisioning off: it stays off.
    TurnedOff,
    /// It is not the tenant's token (the configuration changed it, or it was rotated or
    /// revoked through the admin API): the configuration's token replaces it.
    Other,
}

fn token_state(record: &TenantRecord, token: &str) -> TokenState {
    if !record.tenant.settings().provisioning_enabled {
        TokenState::TurnedOff
    } else if record.operator_token == Some(TokenDigest::of(token.trim())) {
        TokenState::Current
    } else {
        TokenState::Other
    }
}

/// Without configured tenants: tenant `default` with a generated token (its line shows the
/// token, this once) when storage holds no tenant yet.
async fn default_tenant(
    provisioning: &ServerProvisioning,
) -> Result<Option<String>, ProvisioningError> {
    if !provisioning.tenant_ids().await?.is_empty() {
        return Ok(None);
    }
    provisioning
        .create_tenant(DEFAULT_TENANT, IdpDialect::Generic)
        .await?;
    let token = provisioning.enable_provisioning(DEFAULT_TENANT).await?;
    let token = Secret::new(token.expose(), SecretOrigin::Generated);
    Ok(Some(line(
        IdpDialect::Generic,
        "tresorit",
        DEFAULT_TENANT,
        &format!(
            "{} (generated now and shown only this once)",
            token.display_for_startup()
        ),
    )))
}

/// A line per stored tenant the configuration does not name (made at an earlier start or
/// through the admin API); its token is not known, only its digest is kept.
async fn other_stored_tenants(
    provisioning: &ServerProvisioning,
    configured: &[&str],
) -> Result<Vec<String>, ProvisioningError> {
    let mut lines = Vec::new();
    for id in provisioning.tenant_ids().await? {
        if configured.contains(&id.as_str()) {
            continue;
        }
        let tenant = provisioning.tenant(&id).await?;
        let settings = tenant.settings();
        let token = if settings.provisioning_enabled {
            "stored token (shown only when it was issued)"
        } else {
            "provisioning off"
        };
        lines.push(line(
            settings.dialect,
            rules_name(tenant.rules()),
            &id,
            token,
        ));
    }
    Ok(lines)
}

/// A stored rule set's preset name, or `custom`.
fn rules_name(rules: &RuleSet) -> &'static str {
    RulePreset::NAMES
        .into_iter()
        .filter_map(RulePreset::parse)
        .find(|preset| &preset.rule_set() == rules)
        .map_or("custom", RulePreset::name)
}

fn line(idp: IdpDialect, rules: &str, id: &str, token: &str) -> String {
    format!("tenant {id} ({}, {rules} rules): {token}", idp_name(idp))
}

/// Readiness: the storage answers and is migrated, and a SQLite file is still where it was
/// opened (a deleted file would lose every write at the next start).
struct StorageReadiness {
    backend: StorageBackend,
    file: Option<PathBuf>,
}

/// How long a readiness check may take before it counts as a failure.
const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

impl Readiness for StorageReadiness {
    fn check(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(async move {
            if let Some(file) = &self.file {
                if !file.exists() {
                    return Err(format!("the database file {} is gone", file.display()));
                }
            }
            match tokio::time::timeout(READY_TIMEOUT, self.backend.check_ready()).await {
                Ok(ready) => ready,
                Err(_) => Err(format!(
                    "storage did not answer within {} s",
                    READY_TIMEOUT.as_secs()
                )),
            }
        })
    }
}
