//! [`Config`]: how a dispatcher behaves, and the ServiceProviderConfig it advertises.

use scimkit_filter::Limits;
use scimkit_schema::{Profile, ServiceProviderConfig};

/// How a [`Dispatcher`] behaves. `Config::default()` suits Entra ID and Okta.
#[derive(Debug, Clone)]
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
