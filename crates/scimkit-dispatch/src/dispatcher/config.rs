//! [`Config`]: how a dispatcher behaves, and the ServiceProviderConfig it advertises.

use crate::cursor::CursorKey;
use scimkit_filter::Limits;
use scimkit_schema::{Profile, ServiceProviderConfig};
use serde_json::{json, Value};
use std::time::Duration;

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
    /// The page size when a query gives no `count`; `None` (the default): [`max_results`](
    /// Config::max_results). Advertised as `pagination.defaultPageSize`.
    pub default_page_size: Option<usize>,
    /// The keys that sign RFC 9865 cursors: the first signs, every one is accepted (list the
    /// previous key second while rotating, for [`cursor_timeout`](Config::cursor_timeout)).
    /// Empty (the default): cursor paging is off (`pagination.cursor` is `false` and a
    /// `cursor` parameter gets 501). Every instance of a deployment needs the same keys.
    pub cursor_keys: Vec<CursorKey>,
    /// How long a cursor stays valid after the page that issued it (`expiredCursor` after).
    /// Default 10 minutes. Advertised as `pagination.cursorTimeout`.
    pub cursor_timeout: Duration,
    /// Whether cursor pages carry `totalResults` (default `true`). Turn it off for a store
    /// where counting every match costs more than a page (RFC 9865 lets cursor pages omit it);
    /// the store is then asked not to count ([`Query::with_total`](crate::Query::with_total)).
    pub cursor_total_results: bool,
    /// How many index walks (a client reading `startIndex=1, 201, 401, …` with one filter and
    /// sort, as Okta does) the dispatcher remembers the end of, so that the next page starts
    /// from a keyset position instead of skipping `startIndex - 1` resources. `0` (the default)
    /// turns it off. Only used with a store whose [`Plan::keyset`](crate::Plan::keyset) claims
    /// keyset paging; index pages are then served in keyset order (the sort, then `id`; by
    /// `id` without `sortBy`) instead of the store's default order. Turn it on for stores
    /// where an offset costs O(offset), as SQL's `OFFSET` does.
    pub index_walks: usize,
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
            default_page_size: None,
            cursor_keys: Vec::new(),
            cursor_timeout: Duration::from_secs(600),
            cursor_total_results: true,
            index_walks: 0,
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

    /// Sets [`default_page_size`](Config::default_page_size).
    #[must_use]
    pub fn with_default_page_size(mut self, size: usize) -> Self {
        self.default_page_size = Some(size);
        self
    }

    /// Sets [`cursor_keys`](Config::cursor_keys) (the first signs) and so turns cursor
    /// paging on.
    #[must_use]
    pub fn with_cursor_keys(mut self, keys: impl IntoIterator<Item = CursorKey>) -> Self {
        self.cursor_keys = keys.into_iter().collect();
        self
    }

    /// Sets [`cursor_timeout`](Config::cursor_timeout).
    #[must_use]
    pub fn with_cursor_timeout(mut self, timeout: Duration) -> Self {
        self.cursor_timeout = timeout;
        self
    }

    /// Sets [`cursor_total_results`](Config::cursor_total_results).
    #[must_use]
    pub fn with_cursor_total_results(mut self, counted: bool) -> Self {
        self.cursor_total_results = counted;
        self
    }

    /// Sets [`index_walks`](Config::index_walks).
    #[must_use]
    pub fn with_index_walks(mut self, remembered: usize) -> Self {
        self.index_walks = remembered;
        self
    }

    /// The page size without `count`: [`default_page_size`](Config::default_page_size)
    /// within [`max_results`](Config::max_results).
    pub fn page_size(&self) -> usize {
        self.default_page_size
            .unwrap_or(self.max_results)
            .min(self.max_results)
    }

    /// The RFC 9865 `pagination` object of `/ServiceProviderConfig`: index paging always
    /// (the default method, as Entra ID and Okta expect), cursor paging when a key is set.
    ///
    /// ```
    /// use scimkit_dispatch::{Config, CursorKey};
    ///
    /// let key = CursorKey::new([7u8; 32]).unwrap();
    /// let p = Config::default().with_cursor_keys([key]).pagination();
    /// assert_eq!(p["cursor"], true);
    /// assert_eq!(p["defaultPaginationMethod"], "index");
    /// assert_eq!(p["cursorTimeout"], 600);
    /// ```
    pub fn pagination(&self) -> Value {
        let mut p = json!({
            "cursor": !self.cursor_keys.is_empty(),
            "index": true,
            "defaultPaginationMethod": "index",
            "defaultPageSize": self.page_size(),
            "maxPageSize": self.max_results,
        });
        if !self.cursor_keys.is_empty() {
            p["cursorTimeout"] = json!(self.cursor_timeout.as_secs().max(1));
        }
        p
    }

    /// `/ServiceProviderConfig` as served: [`service_provider_config`](
    /// Config::service_provider_config)'s representation with the RFC 9865 `pagination`
    /// object.
    pub fn service_provider_config_representation(&self, base_url: &str) -> Value {
        let mut v = self.service_provider_config().to_representation(base_url);
        if let Some(o) = v.as_object_mut() {
            o.insert("pagination".into(), self.pagination());
        }
        v
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
