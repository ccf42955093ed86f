//! The console's only way to read or change anything: the admin API's HTTP/JSON interface,
//! called in process with the session's admin token.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use scimkit_provisioning::{AdminApi, ProvisioningState};
use serde_json::Value;

/// What a path segment keeps unescaped: RFC 3986's unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A path segment (tenant id, email, domain) escaped for a URL.
pub(crate) fn seg(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// A query value escaped for a URL.
pub(crate) fn query_value(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A refusal of the admin API: its status and its `error` message.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) message: String,
}

/// The admin API seen with one session's token.
pub(crate) struct Api<'a, B: ProvisioningState> {
    pub(crate) admin: &'a AdminApi<B>,
    pub(crate) token: &'a str,
}

impl<B: ProvisioningState> Api<'_, B> {
    /// `GET {admin}{path}`.
    pub(crate) async fn get(&self, path: &str) -> Result<Value, ApiError> {
        self.call(http::Method::GET, path, None).await
    }

    /// `method {admin}{path}` with a JSON body.
    pub(crate) async fn send(
        &self,
        method: http::Method,
        path: &str,
        body: &Value,
    ) -> Result<Value, ApiError> {
        self.call(method, path, Some(body)).await
    }

    /// `method {admin}{path}`, with a JSON body when given.
    pub(crate) async fn call(
        &self,
        method: http::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, ApiError> {
        let payload = body.map(Value::to_string).unwrap_or_default();
        let request = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", crate::server::ADMIN_PATH))
            .header(
                http::header::AUTHORIZATION,
                format!("Bearer {}", self.token),
            )
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(payload)
            .map_err(|e| ApiError {
                status: 400,
                message: format!("not a valid request: {e}"),
            })?;
        let resp = self.admin.handle_bytes(request).await;
        let status = resp.status().as_u16();
        let v: Value = serde_json::from_slice(resp.body()).unwrap_or(Value::Null);
        if resp.status().is_success() {
            Ok(v)
        } else {
            Err(ApiError {
                status,
                message: v["error"]
                    .as_str()
                    .map_or_else(|| format!("the admin API answered {status}"), str::to_owned),
            })
        }
    }

    /// The newest-first audit page ending before sequence number `before` (the newest when
    /// absent): `(entries newest first, the oldest kept seq, the newest kept seq)`. The admin
    /// API pages oldest first after `since` and reports the oldest and newest kept sequence
    /// numbers, so this takes two calls.
    pub(crate) async fn audit_newest_first(
        &self,
        tenant: &str,
        before: Option<u64>,
        limit: u64,
    ) -> Result<(Vec<Value>, u64, u64), ApiError> {
        let base = format!("/tenants/{}/audit", seg(tenant));
        let bounds = self.get(&format!("{base}?since=0&limit=1")).await?;
        let (Some(first), Some(last)) = (bounds["oldest"].as_u64(), bounds["newest"].as_u64())
        else {
            return Ok((Vec::new(), 0, 0));
        };
        let end = before.map_or(last, |b| b.saturating_sub(1).min(last));
        if end < first {
            return Ok((Vec::new(), first, last));
        }
        let since = end.saturating_sub(limit).max(first - 1);
        let v = self
            .get(&format!("{base}?since={since}&limit={}", end - since))
            .await?;
        let mut entries = v["entries"].as_array().cloned().unwrap_or_default();
        entries.reverse();
        Ok((entries, first, last))
    }
}
