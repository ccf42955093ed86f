//! A minimal SCIM client over a [`Dispatcher`], two tenants with a token each.

use bytes::Bytes;
use scimkit_dispatch::{BearerTokens, Dispatcher, Hooks, NoHooks, Store, TenantId};
use scimkit_schema::Registry;
use serde_json::Value;

/// The bearer token of tenant `a`.
pub const TENANT_A: &str = "testkit-token-tenant-a";
/// The bearer token of tenant `b`.
pub const TENANT_B: &str = "testkit-token-tenant-b";

/// One answer: status and JSON body (`Null` when empty), plus the `ETag` header.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body, parsed.
    pub body: Value,
    /// The `ETag` header, if any.
    pub etag: Option<String>,
}

/// A dispatcher over the store under test (and hooks, [`NoHooks`] by default), with tenants
/// `a` and `b`.
pub struct Client<S: Store, H: Hooks<S> = NoHooks> {
    scim: Dispatcher<S, BearerTokens, H>,
}

fn tokens() -> BearerTokens {
    let tokens = BearerTokens::new();
    tokens.insert(TENANT_A, TenantId::new("a"));
    tokens.insert(TENANT_B, TenantId::new("b"));
    tokens
}

impl<S: Store> Client<S> {
    /// Wraps `store` in a dispatcher with the default configuration.
    pub fn new(store: S) -> Self {
        Client {
            scim: Dispatcher::new(store, tokens()),
        }
    }
}

impl<S: Store> Client<S> {
    /// Wraps `store` in a dispatcher serving the types of `registry`.
    pub fn with_registry(store: S, registry: Registry) -> Self {
        Client {
            scim: Dispatcher::builder(store, tokens())
                .registry(registry)
                .build(),
        }
    }
}

impl<S: Store, H: Hooks<S>> Client<S, H> {
    /// Wraps `store` in a dispatcher with the default configuration and `hooks`.
    pub fn with_hooks(store: S, hooks: H) -> Self {
        Client {
            scim: Dispatcher::builder(store, tokens()).hooks(hooks).build(),
        }
    }

    /// The dispatcher's hooks.
    pub fn hooks(&self) -> &H {
        self.scim.hooks()
    }

    /// Sends a request as tenant `a`.
    pub async fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Answer {
        self.call_as(TENANT_A, method, path, body, &[]).await
    }

    /// Sends a request with a token and extra headers.
    ///
    /// # Panics
    ///
    /// When the request cannot be built or the answer is not JSON: both are failures of the
    /// suite's own input or of the dispatcher, never of a store.
    pub async fn call_as(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = http::Request::builder()
            .method(method)
            .uri(path)
            .header("Authorization", format!("Bearer {token}"));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let bytes = match body {
            Some(v) => {
                request = request.header("Content-Type", "application/scim+json");
                Bytes::from(v.to_string())
            }
            None => Bytes::new(),
        };
        let request = request.body(bytes).expect("a valid request");
        let response = self.scim.handle_bytes(request).await;
        let etag = response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = match response.body().is_empty() {
            true => Value::Null,
            false => serde_json::from_slice(response.body()).expect("a JSON answer"),
        };
        Answer {
            status: response.status().as_u16(),
            body,
            etag,
        }
    }
}

/// Percent-encodes a query parameter value.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => {
                out.push(char::from(b));
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
