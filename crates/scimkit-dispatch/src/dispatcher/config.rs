//! [`Config`]: how a dispatcher behaves, and the ServiceProviderConfig it advertises.

use scimkit_filter::Limits;
use scimkit_schema::{Profile, ServiceProviderConfig};

/// How a [`Dispatcher`](crate::Dispatcher) behaves. `Config::default()` suits Entra ID and
/// Okta; the `with_*` methods change one setting each (the type grows, so it is built this way
/// rather than with a struct literal):
///
/// ```
/// use scimkit_dispatch::Config;
///
/// let config = Config::default()
///     .with_base_path("/scim/v2")
///     .with_base_url("https://app.example.com/scim/v2")
///     .with_max_results(100);
/// assert_eq!(config.service_provider_config().filter.max_results, 100);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// The path prefix the SCIM endpoints live under (e.g. `/scim/v2`); `""` for the root.
    /// Requests outside it get 404.
    pub base_path: String,
    /// The public base URL for `meta.location` and `Location`
    /// (e.g. `https://example.com/scim/v2`). When `None`, it is `http://{Host}{base_path}`.
    pub base_url: Option<String>,
    /// The largest request body accepted, in bytes (413 beyond). Default 1 MiB.
    pub max_body_bytes: usize,
    /// The largest page (`count` is capped to it, and it is the page size when `count` is
    /// absent); advertised as `filter.maxResults`. Default 200.
    pub max_results: usize,
    /// Limits on filter length, depth and terms.
    pub filter_limits: Limits,
    /// Whether filters may compare with bare words (`externalId eq jyoung`), as Microsoft's
    /// older documentation shows Entra ID sending. `None` (the default): as the request's
    /// profile says ([`Profile::unquoted_filter_values`](scimkit_schema::Profile), on for Entra
    /// ID's); `Some(b)`: always `b`.
    pub unquoted_filter_values: Option<bool>,
    /// The most operations a `/Bulk` request may hold. Default 1000.
    pub bulk_max_operations: usize,
    /// The largest `/Bulk` payload, in bytes. Default 1 MiB.
    pub bulk_max_payload: usize,
    /// Whether PATCH answers 200 with the resource (`true`, the default) or 204.
    pub patch_returns_resource: bool,
    /// The compatibility profile when neither the principal nor the user agent selects one.
    /// Default: [`Profile::entra_id`], which accepts every standard request too.
    pub profile: Profile,
    /// How often a read-compute-write is retried when another request changed the resource
    /// in between (without `If-Match`). Default 32.
    pub max_write_retries: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            base_path: String::new(),
            base_url: None,
            max_body_bytes: 1 << 20,
            max_results: 200,
            filter_limits: Limits::default(),
            unquoted_filter_values: None,
            bulk_max_operations: 1000,
            bulk_max_payload: 1 << 20,
            patch_returns_resource: true,
            profile: Profile::entra_id(),
            max_write_retries: 32,
        }
    }
}

impl Config {
    /// Sets [`base_path`](Config::base_path).
    #[must_use]
    pub fn with_base_path(mut self, base_path: impl Into<String>) -> Self {
        self.base_path = base_path.into();
        self
    }

    /// Sets [`base_url`](Config::base_url).
    #[must_use]
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// Sets [`max_body_bytes`](Config::max_body_bytes).
    #[must_use]
    pub fn with_max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Sets [`max_results`](Config::max_results).
    #[must_use]
    pub fn with_max_results(mut self, max_results: usize) -> Self {
        self.max_results = max_results;
        self
    }

    /// Sets [`filter_limits`](Config::filter_limits).
    #[must_use]
    pub fn with_filter_limits(mut self, limits: Limits) -> Self {
        self.filter_limits = limits;
        self
    }

    /// Sets [`unquoted_filter_values`](Config::unquoted_filter_values) to `Some(allowed)`.
    #[must_use]
    pub fn with_unquoted_filter_values(mut self, allowed: bool) -> Self {
        self.unquoted_filter_values = Some(allowed);
        self
    }

    /// Sets [`bulk_max_operations`](Config::bulk_max_operations) and
    /// [`bulk_max_payload`](Config::bulk_max_payload).
    #[must_use]
    pub fn with_bulk_limits(mut self, max_operations: usize, max_payload: usize) -> Self {
        self.bulk_max_operations = max_operations;
        self.bulk_max_payload = max_payload;
        self
    }

    /// Sets [`patch_returns_resource`](Config::patch_returns_resource).
    #[must_use]
    pub fn with_patch_returns_resource(mut self, returns: bool) -> Self {
        self.patch_returns_resource = returns;
        self
    }

    /// Sets [`profile`](Config::profile).
    #[must_use]
    pub fn with_profile(mut self, profile: Profile) -> Self {
        self.profile = profile;
        self
    }

    /// Sets [`max_write_retries`](Config::max_write_retries).
    #[must_use]
    pub fn with_max_write_retries(mut self, retries: usize) -> Self {
        self.max_write_retries = retries;
        self
    }

    /// The `/ServiceProviderConfig` this configuration advertises: exactly what works.
    pub fn service_provider_config(&self) -> ServiceProviderConfig {
        let mut spc = ServiceProviderConfig::default();
        spc.patch.supported = true;
        spc.bulk.supported = true;
        spc.bulk.max_operations = u32::try_from(self.bulk_max_operations).unwrap_or(u32::MAX);
        spc.bulk.max_payload_size = u64::try_from(self.bulk_max_payload).unwrap_or(u64::MAX);
        spc.filter.supported = true;
        spc.filter.max_results = u32::try_from(self.max_results).unwrap_or(u32::MAX);
        spc.change_password.supported = false;
        spc.sort.supported = true;
        spc.etag.supported = true;
        spc
    }
}
