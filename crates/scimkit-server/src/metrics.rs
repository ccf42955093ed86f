//! Prometheus metrics (OpenMetrics text at [`METRICS_PATH`]): requests by method, route
//! template, status and `scimType`; latency by method and route; requests in flight;
//! authentication failures by reason; the provisioning policy's outcomes by rule; storage
//! operations' latency and the connection pool's use; the audit log's size.
//!
//! Labels are bounded: routes are templates ([`route_template`](crate::route_template)),
//! never raw ids; `scimType` is one of RFC 7644's few; reasons are a fixed set.

use crate::backend::StorageBackend;
use crate::secret::Secret;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use scimkit_provisioning::ProvisioningState;
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Where metrics are served.
pub const METRICS_PATH: &str = "/metrics";

/// The content type of [`Metrics::render`]'s text.
pub(crate) const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
    scim_type: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct OutcomeLabels {
    rule: String,
    outcome: String,
}

/// The provisioning policy's decisions per attribute, by the rule that decided and the
/// outcome (`apply`, `shadow`, `ignore`, `reject`): filled by the policy's observer.
#[derive(Clone, Debug, Default)]
pub(crate) struct PolicyOutcomes(Family<OutcomeLabels, Counter>);

impl PolicyOutcomes {
    /// Counts one decision's attribute outcomes.
    pub(crate) fn observe(&self, decision: &scimkit_policy::Decision) {
        let name = |v: serde_json::Result<serde_json::Value>| {
            v.ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        };
        for a in &decision.attributes {
            let labels = OutcomeLabels {
                rule: name(serde_json::to_value(a.reason)),
                outcome: name(serde_json::to_value(a.outcome)),
            };
            self.0.get_or_create(&labels).inc();
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ConnectionLabels {
    state: &'static str,
}

type OperationLatency = Family<OperationLabels, Histogram, fn() -> Histogram>;

/// Storage operations' latency by operation (`get`, `query`, `begin`, `commit`,
/// `tenant_by_token`, …): filled by [`StorageBackend`] around every call.
#[derive(Clone)]
pub(crate) struct StorageMetrics(OperationLatency);

impl fmt::Debug for StorageMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StorageMetrics").finish_non_exhaustive()
    }
}

impl Default for StorageMetrics {
    fn default() -> Self {
        // 50 µs doubling to about 6.5 s: an indexed read to a lock wait.
        StorageMetrics(Family::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.000_05, 2.0, 18))
        }))
    }
}

impl StorageMetrics {
    /// Records one operation's latency.
    pub(crate) fn observe(&self, operation: &'static str, latency: Duration) {
        self.0
            .get_or_create(&OperationLabels { operation })
            .observe(latency.as_secs_f64());
    }
}

/// The server's metrics. Cheap to clone (clones share the counters).
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

struct Inner {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    in_flight: Gauge,
    auth_failures: Family<ReasonLabels, Counter>,
    audit_bytes: Gauge,
    connections: Family<ConnectionLabels, Gauge>,
    /// What a scrape reads the audit log's size and the pool's use from.
    storage: StorageBackend,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// Latency buckets: 0.5 ms doubling to about 16 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Metrics {
    /// Empty metrics; a scrape reads the audit log's size and the connection pool's use from
    /// `storage`, whose operations are timed into `operations`.
    pub(crate) fn new(
        storage: StorageBackend,
        operations: StorageMetrics,
        policy: PolicyOutcomes,
    ) -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        let in_flight = Gauge::default();
        let auth_failures = Family::<ReasonLabels, Counter>::default();
        let audit = Gauge::default();
        registry.register(
            "scimkit_http_requests",
            "HTTP requests answered, by method, route template, status and SCIM scimType",
            requests.clone(),
        );
        registry.register(
            "scimkit_http_request_duration_seconds",
            "Time from a request's head to its answer, by method and route template",
            latency.clone(),
        );
        registry.register(
            "scimkit_http_requests_in_flight",
            "Requests being answered now",
            in_flight.clone(),
        );
        registry.register(
            "scimkit_auth_failures",
            "Requests refused authentication, by reason",
            auth_failures.clone(),
        );
        registry.register(
            "scimkit_policy_outcomes",
            "Attribute decisions of the provisioning policy, by the rule that decided and the outcome",
            policy.0,
        );
        registry.register(
            "scimkit_audit_log_bytes",
            "Bytes the audit log accounts for, over all tenants",
            audit.clone(),
        );
        registry.register(
            "scimkit_storage_operation_duration_seconds",
            "Time storage operations take, by operation (begin and commit include waiting for the write lock)",
            operations.0,
        );
        let connections = Family::<ConnectionLabels, Gauge>::default();
        registry.register(
            "scimkit_storage_connections",
            "The database connection pool's connections, by state (in_use, idle); absent in memory",
            connections.clone(),
        );
        Metrics(Arc::new(Inner {
            registry,
            requests,
            latency,
            in_flight,
            auth_failures,
            audit_bytes: audit,
            connections,
            storage,
        }))
    }

    /// Counts an answered request.
    pub(crate) fn request(
        &self,
        method: &http::Method,
        route: &str,
        status: u16,
        scim_type: Option<&str>,
        latency: Duration,
    ) {
        self.0
            .requests
            .get_or_create(&RequestLabels {
                method: method_label(method),
                route: route.to_string(),
                status,
                scim_type: scim_type.unwrap_or("").to_string(),
            })
            .inc();
        self.0
            .latency
            .get_or_create(&RouteLabels {
                method: method_label(method),
                route: route.to_string(),
            })
            .observe(latency.as_secs_f64());
    }

    /// Counts a request in flight until the guard is dropped (also when the request is
    /// abandoned, e.g. its connection closed at the end of the shutdown grace).
    pub(crate) fn in_flight(&self) -> InFlight {
        self.0.in_flight.inc();
        InFlight(self.0.in_flight.clone())
    }

    /// Counts an authentication failure.
    pub(crate) fn auth_failure(&self, reason: &'static str) {
        self.0
            .auth_failures
            .get_or_create(&ReasonLabels { reason })
            .inc();
    }

    /// The metrics as OpenMetrics text (which Prometheus reads), after reading the audit
    /// log's size and the pool's use from storage.
    pub async fn render(&self) -> String {
        let storage = &self.0.storage;
        let mut bytes = 0u64;
        for tenant in storage.tenant_ids().await.unwrap_or_default() {
            bytes += storage.audit_bytes(&tenant).await.map_or(0, |b| b as u64);
        }
        self.0
            .audit_bytes
            .set(i64::try_from(bytes).unwrap_or(i64::MAX));
        if let Some((in_use, idle)) = storage.pool_use() {
            for (state, n) in [("in_use", in_use), ("idle", idle)] {
                self.0
                    .connections
                    .get_or_create(&ConnectionLabels { state })
                    .set(i64::from(n));
            }
        }
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.0.registry);
        out
    }
}

/// A request being answered; see [`Metrics::in_flight`].
pub(crate) struct InFlight(Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The method as a label: the standard ones by name, any other `OTHER` (a client can send any
/// method token, and labels must stay few).
fn method_label(method: &http::Method) -> &'static str {
    const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
    METHODS
        .into_iter()
        .find(|m| *m == method.as_str())
        .unwrap_or("OTHER")
}

/// A bearer token check that takes the same time whatever the token shares with the right
/// one: the digests are compared, not the tokens.
pub(crate) fn token_matches(expected: &Secret, given: Option<&str>) -> bool {
    given.is_some_and(|g| Sha256::digest(g.as_bytes()) == Sha256::digest(expected.expose()))
}
