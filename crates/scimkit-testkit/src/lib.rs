//! Conformance suites for scimkit: run them against your own [`Store`](scimkit_dispatch::Store)
//! to check that it behaves as the dispatcher needs, with the same answers as the reference
//! [`MemoryStore`](scimkit_dispatch::MemoryStore).
//!
//! The suites drive a real [`Dispatcher`](scimkit_dispatch::Dispatcher) over your store, so a
//! store that answers filters natively and one that leaves them to the dispatcher are held to
//! the same results. Every check takes a fresh, empty store and panics with a message naming
//! what differs; run them from your own tests, on the runtime your store needs:
//!
//! ```
//! use scimkit_dispatch::MemoryStore;
//! use futures_executor::block_on;
//!
//! // With tokio: #[tokio::test] async fn conformance() {
//! //     run_all(|registry| async move { open(registry).await }).await
//! // }
//! block_on(scimkit_testkit::store::crud(MemoryStore::new()));
//! block_on(scimkit_testkit::store::user_name_uniqueness(MemoryStore::new()));
//! ```
//!
//! [`store::run_all`] runs every check, including the filter corpus ([`corpus`], 70+ filters
//! over 1,000 users and 50 groups from [`population`]).
#![forbid(unsafe_code)]

pub mod client;
pub mod corpus;
pub mod paging;
pub mod population;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod provisioning;
pub mod store;
mod transactions;
