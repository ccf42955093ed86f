#![allow(clippy::unwrap_used, dead_code)]

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use scimkit_dispatch::{
    BearerTokens, Config, Dispatcher, Hooks, MemoryStore, NoHooks, Store, TenantId,
};
use serde_json::{json, Value};

pub const TOKEN: &str = "test-token-a";
pub const TOKEN_B: &str = "test-token-b";

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub fn tokens() -> BearerTokens {
    let t = BearerTokens::new();
    t.insert(TOKEN, TenantId::new("a"));
    t.insert(TOKEN_B, TenantId::new("b"));
    t
}

pub fn dispatcher(config: Config) -> Dispatcher<MemoryStore, BearerTokens> {
    Dispatcher::builder(MemoryStore::new(), tokens())
        .config(config)
        .build()
}

pub fn call<S: Store, H: Hooks<S>>(
    d: &Dispatcher<S, BearerTokens, H>,
    method: &str,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Resp {
    let mut b = Request::builder().method(method).uri(path);
    let mut has_auth = false;
    for (k, v) in headers {
        has_auth |= k.eq_ignore_ascii_case("authorization");
        b = b.header(*k, *v);
    }
    if !has_auth {
        b = b.header("Authorization", format!("Bearer {TOKEN}"));
    }
    let bytes = match body {
        Some(v) => {
            b = b.header("Content-Type", "application/scim+json");
            Bytes::from(serde_json::to_vec(&v).unwrap())
        }
        None => Bytes::new(),
    };
    let resp = futures_executor::block_on(d.handle_bytes(b.body(bytes).unwrap()));
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = if resp.body().is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(resp.body()).unwrap()
    };
    if status.as_u16() >= 400 {
        assert_error_body(&body, status);
    }
    Resp {
        status,
        headers,
        body,
    }
}

pub fn assert_error_body(body: &Value, status: StatusCode) {
    assert_eq!(
        body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"]),
        "{body}"
    );
    assert_eq!(body["status"], status.as_str(), "{body}");
    assert!(body["detail"].is_string(), "{body}");
}

pub fn user(name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": name,
        "name": {"givenName": name, "familyName": "Test"},
        "emails": [{"value": format!("{name}@example.com"), "type": "work", "primary": true}],
        "active": true
    })
}

pub fn group(name: &str, members: &[&str]) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": name,
        "members": members.iter().map(|m| json!({"value": m})).collect::<Vec<_>>()
    })
}

pub fn default_dispatcher() -> Dispatcher<MemoryStore, BearerTokens, NoHooks> {
    dispatcher(Config::default())
}
