//! SQL storage for scimkit: the schema, embedded migrations, SCIM filter → SQL translation,
//! and the read/write layer a `Store` implementation sits on.
//!
//! - [`translate`]: a SCIM filter and a resource type become a [`Plan`](translate::Plan): a
//!   condition the database answers (bound parameters only, never spliced values) and the
//!   residual the caller still evaluates; sorting is pushed down with it. Written against a
//!   [`Dialect`](dialect::Dialect) so the PostgreSQL backend shares it.
//! - [`projection`]: what is stored beside each document: `*_norm` columns holding
//!   [`scimkit_filter::fold`] keys (never SQL's `lower()` or `COLLATE NOCASE`, which fold
//!   ASCII only), email rows, and the folded mirror that makes every case-insensitive
//!   attribute comparable in SQL.
//! - [`sqlite`] (feature `sqlite`, bundled SQLite): opening (WAL, busy timeout, `synchronous`
//!   chosen by [`Durability`](sqlite::Durability)), migrating (a newer database is refused),
//!   `BEGIN IMMEDIATE` write transactions, and plain functions, run in the caller's thread
//!   (rusqlite), for inserts, updates with member deltas (one row per member), deletes
//!   (cascading to memberships), gets and queries;
//!   and [`SqliteStore`](sqlite::SqliteStore), scimkit-dispatch's `Store` on top of them (and,
//!   with the feature `provisioning`, scimkit-provisioning's `ProvisioningState`).
//!
//! - [`postgres`] (feature `postgres`): the same on PostgreSQL — a pool with configurable size
//!   and statement/acquire timeouts ([`PostgresOptions`](postgres::PostgresOptions)),
//!   migrations under an advisory lock, [`PostgresStore`](postgres::PostgresStore) (and, with
//!   `provisioning`, its `ProvisioningState`).
//!
//! docs/storage.md describes the schema, the indexes, the translation table and what stays
//! residual.
//!
//! ```
//! # #[cfg(feature = "sqlite")]
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use scimkit_schema::Registry;
//! use scimkit_sql::dialect::SqliteDialect;
//! use scimkit_sql::sqlite::{self, DocumentWrite, Query, SqliteDatabase, SqliteOptions, Target};
//! use scimkit_sql::translate::Translator;
//! use serde_json::json;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let db = SqliteDatabase::open(&dir.path().join("scimkit.db"), &SqliteOptions::new()).await?;
//! let registry = Registry::standard();
//! let users = registry.resource_type("User").unwrap();
//!
//! // One write transaction: the resource, its email rows and its text index entry.
//! let mut tx = db.begin_write().await?;
//! let doc = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
//!                  "userName": "Jürgen", "emails": [{"value": "j@example.com", "type": "work"}]});
//! let target = Target::new("tenant-1", users, "2819c223");
//! let now = chrono::DateTime::from_timestamp(1_764_547_200, 0).unwrap();
//! sqlite::insert(&tx, &target, &DocumentWrite::new(&doc), &[], now)?;
//! tx.commit().await?;
//!
//! // A filter, translated; the database answers all of it (no residual).
//! let filter = scimkit_filter::parse(r#"userName eq "JÜRGEN" and emails[type eq "work"]"#).unwrap();
//! let plan = Translator::new(users, &SqliteDialect).plan(&filter).unwrap();
//! assert!(plan.is_exact());
//! let conn = db.read().await;
//! let found = sqlite::query(&conn, "tenant-1", "User", &Query::from_plan(&plan))?;
//! assert_eq!(found[0].id, "2819c223");
//! # Ok::<(), scimkit_sql::SqlError>(())
//! # }).unwrap();
//! ```
#![forbid(unsafe_code)]

pub mod dialect;
mod error;
pub mod fragment;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod incoming;
pub mod keyset;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod paging;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod projection;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod rows;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod translate;

pub use error::SqlError;
