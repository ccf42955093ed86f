//! A framework-agnostic, multi-tenant SCIM 2.0 endpoint (RFC 7643, RFC 7644):
//! `http::Request` in, `http::Response<Bytes>` out.
//!
//! - [`Dispatcher`] routes `/Users`, `/Groups` and every registered resource type, `/.search`,
//!   `/Bulk` and the discovery endpoints; it parses queries, enforces limits and
//!   preconditions, and renders SCIM responses and errors. It has no runtime or web-framework
//!   dependency and never opens a socket.
//! - [`Authenticator`] maps a request to a [`Principal`] (its tenant); [`BearerTokens`] keeps
//!   only SHA-256 digests of tokens and compares in constant time.
//! - [`Store`] is the async, tenant-scoped, versioned storage interface; [`MemoryStore`] the
//!   indexed in-memory implementation.
//! - Lists page by index (`startIndex`, the default) or by RFC 9865 cursor (`cursor`, on with
//!   [`Config::with_cursor_keys`]): cursors are HMAC-signed [`KeysetPosition`]s bound to the
//!   tenant, type, filter and sort; a store answers keyset pages ([`Query::keyset`]) or
//!   leaves them to [`finish_keyset_query`]. [`Config::with_index_walks`] lets a sequential
//!   `startIndex` walk (Okta's) continue from a keyset position instead of an offset
//!   (`docs/paging.md`).
//! - [`Hooks`] is where a provisioning policy decides on each write before it is stored.
//! - [`Provisioning`] is `scimkit-policy` wired in (tenants, accounts, tokens: the [`Hooks`] and
//!   the [`Authenticator`]); [`AdminApi`] is the tenant admin API over it, as JSON over HTTP.
//!
//! ```
//! use scimkit_dispatch::{BearerTokens, Dispatcher, MemoryStore, TenantId};
//!
//! let tokens = BearerTokens::new();
//! tokens.insert("secret", TenantId::new("acme"));
//! let scim = Dispatcher::new(MemoryStore::new(), tokens);
//! # futures_executor::block_on(async {
//! let req = http::Request::get("/Users?filter=userName%20eq%20%22bjensen%22")
//!     .header("Authorization", "Bearer secret")
//!     .body(bytes::Bytes::new())
//!     .unwrap();
//! let resp = scim.handle_bytes(req).await;
//! assert_eq!(resp.status(), 200);
//! let body: serde_json::Value = serde_json::from_slice(resp.body()).unwrap();
//! assert_eq!(body["totalResults"], 0);
//! # });
//! ```
#![forbid(unsafe_code)]

mod auth;
mod bulk;
mod cursor;
mod dispatcher;
mod hooks;
mod http_util;
mod identifiers;
mod memory;
mod read_filter;
mod render;
mod store;
#[cfg(feature = "tower")]
pub mod tower;

pub use auth::{bearer_token, token_digest, AllowAll, Authenticator, BearerTokens, Principal};
pub use cursor::{CursorKey, CursorKeyError, MAX_CURSOR_CHARS};
pub use dispatcher::{Config, Dispatcher, DispatcherBuilder};
pub use hooks::{Hooks, NoHooks, Write, WriteKind};
pub use http_util::{error_response, SCIM_JSON};
pub use memory::{MemoryStore, MemoryTx};
pub use store::{
    compare_keyset, finish_keyset_query, finish_query, group_kinds, keyset_key, member_kinds,
    sole_kind, timestamp, Change, Keyset, KeysetKey, KeysetPosition, MemberRef, Page, Plan, Query,
    Resource, Store, StoreError, StoreTx, Stored, TenantId, Version,
};
