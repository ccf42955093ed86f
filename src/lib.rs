//! scimkit: make any Rust web service a SCIM 2.0 service provider (RFC 7643, RFC 7644) that
//! Microsoft Entra ID and Okta can provision users and groups into.
//!
//! This crate re-exports the workspace's libraries:
//!
//! - [`filter`]: the filter and attribute-path language (parse, print, evaluate, sort);
//! - [`schema`]: the resource model, validation, projection, PATCH and protocol messages;
//! - [`policy`]: provisioning rules as pure decisions;
//! - [`dispatch`]: a framework-agnostic `http::Request` → `http::Response` SCIM endpoint;
//! - [`provisioning`]: the policy wired into the dispatcher (tenants, tokens, accounts, audit)
//!   and the tenant admin API;
//! - `sql` (features `sqlite`, `postgres`): the SQLite and PostgreSQL stores and provisioning
//!   state.
#![forbid(unsafe_code)]
// The README's examples are compiled and run as doctests of this crate.
#![doc = ""]
#![doc = include_str!("../README.md")]

pub use scimkit_dispatch as dispatch;
pub use scimkit_filter as filter;
pub use scimkit_policy as policy;
pub use scimkit_provisioning as provisioning;
pub use scimkit_schema as schema;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use scimkit_sql as sql;

/// The code blocks of docs/embedding.md, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../docs/embedding.md")]
pub struct EmbeddingGuide;

/// The examples of the crates' READMEs (their crates.io pages), compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../crates/scimkit-filter/README.md")]
#[doc = include_str!("../crates/scimkit-schema/README.md")]
#[doc = include_str!("../crates/scimkit-dispatch/README.md")]
#[doc = include_str!("../crates/scimkit-provisioning/README.md")]
pub struct CrateReadmes;
