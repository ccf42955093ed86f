//! The PostgreSQL every `pg_*` test runs on: scimkit-testkit's [`fresh_database`] (a fresh
//! database per test on `DATABASE_URL`'s server or a private one; a loud skip, or a failure
//! under `SCIMKIT_REQUIRE_POSTGRES=1`, without PostgreSQL), and the tests' data.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod data;

pub use scimkit_testkit::postgres::fresh_database;

/// Skips the test (returns) when there is no PostgreSQL; else the URL of a fresh database.
#[macro_export]
macro_rules! database_or_skip {
    ($name:expr) => {
        match pg_support::fresh_database($name).await {
            Some(url) => url,
            None => return,
        }
    };
}
