//! Connecting to PostgreSQL: the pool and its timeouts, the embedded migrations (applied under
//! sqlx's advisory lock, so instances starting together migrate one at a time), and the
//! refusal of a database written by a newer version.

use crate::error::SqlError;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// The embedded, versioned migrations (`migrations/postgres/NNNN_name.sql`). A released file
/// is never edited; a schema change is a new file with the next number.
pub static MIGRATOR: Migrator = sqlx::migrate!("migrations/postgres");

/// How to connect: pool size and timeouts.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PostgresOptions {
    /// Connections in the pool at most (per instance: N instances open N times as many).
    pub max_connections: u32,
    /// Connections kept open when idle.
    pub min_connections: u32,
    /// How long a request waits for a pooled connection (or a new one to be made) before it
    /// fails as unavailable (a SCIM 503).
    pub acquire_timeout: Duration,
    /// PostgreSQL's `statement_timeout` for every statement of the pool: a statement that runs
    /// longer is cancelled and the request fails as unavailable (a SCIM 503). `None`: no limit.
    pub statement_timeout: Option<Duration>,
    /// PostgreSQL's `lock_timeout`: how long a statement waits for a row lock (another
    /// transaction writing the same resource) before it fails as unavailable. `None`: no limit
    /// beyond the statement timeout.
    pub lock_timeout: Option<Duration>,
    /// The `application_name` the connections report (seen in `pg_stat_activity`).
    pub application_name: String,
    /// Whether a pooled connection is checked (a round trip) before a request gets it, so one
    /// broken by a database restart is replaced unseen. Off: one round trip less per request;
    /// the first request on a broken connection gets a 503 and the connection is dropped.
    pub test_before_acquire: bool,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            max_connections: 10,
            min_connections: 0,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Some(Duration::from_secs(10)),
            lock_timeout: Some(Duration::from_secs(5)),
            application_name: "scimkit".into(),
            test_before_acquire: true,
        }
    }
}

impl PostgresOptions {
    /// The defaults: 10 connections, a 5 s acquire timeout, a 10 s statement timeout, a 5 s
    /// lock timeout, connections checked before use.
    pub fn new() -> Self {
        PostgresOptions::default()
    }

    /// With at most this many pooled connections (at least 1).
    #[must_use]
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// With this many connections kept open when idle.
    #[must_use]
    pub fn min_connections(mut self, n: u32) -> Self {
        self.min_connections = n;
        self
    }

    /// With this acquire timeout.
    #[must_use]
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }

    /// With this statement timeout (`None`: no limit).
    #[must_use]
    pub fn statement_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.statement_timeout = timeout;
        self
    }

    /// With this lock timeout (`None`: no limit).
    #[must_use]
    pub fn lock_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// With connections checked before use or not (see
    /// [`PostgresOptions::test_before_acquire`]).
    #[must_use]
    pub fn test_before_acquire(mut self, test: bool) -> Self {
        self.test_before_acquire = test;
        self
    }

    /// With this `application_name`.
    #[must_use]
    pub fn application_name(mut self, name: impl Into<String>) -> Self {
        self.application_name = name.into();
        self
    }
}

/// A duration as a PostgreSQL setting in milliseconds (`0`: no limit).
fn millis(d: Option<Duration>) -> String {
    d.map_or(0, |d| d.as_millis().max(1)).to_string()
}

/// A connected, migrated PostgreSQL database: a connection pool.
#[derive(Debug, Clone)]
pub struct PostgresDatabase {
    pool: PgPool,
}

impl PostgresDatabase {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`,
    /// libpq's URL form) and migrates it.
    ///
    /// # Errors
    ///
    /// [`SqlError::NewerSchema`] when the database was migrated by a newer scimkit-sql (it is
    /// left unchanged); [`SqlError::Database`] when the URL is invalid or the database cannot
    /// be reached; [`SqlError::Migrate`].
    pub async fn connect(url: &str, options: &PostgresOptions) -> Result<Self, SqlError> {
        let connect = PgConnectOptions::from_str(url)?;
        Self::connect_with(connect, options).await
    }

    /// As [`PostgresDatabase::connect`], from sqlx's connection options.
    ///
    /// # Errors
    ///
    /// As [`PostgresDatabase::connect`].
    pub async fn connect_with(
        connect: PgConnectOptions,
        options: &PostgresOptions,
    ) -> Result<Self, SqlError> {
        let connect = connect
            .application_name(&options.application_name)
            .options([
                ("statement_timeout", millis(options.statement_timeout)),
                ("lock_timeout", millis(options.lock_timeout)),
            ]);
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .min_connections(options.min_connections.min(options.max_connections))
            .acquire_timeout(options.acquire_timeout)
            .test_before_acquire(options.test_before_acquire)
            .connect_with(connect)
            .await?;
        refuse_newer(&pool).await?;
        MIGRATOR.run(&pool).await?;
        Ok(PostgresDatabase { pool })
    }

    /// The connection pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Begins a write transaction (`READ COMMITTED`; rows are locked as they are written, and
    /// read with `FOR UPDATE` before a read-modify-write). Rolled back when dropped
    /// uncommitted.
    ///
    /// # Errors
    ///
    /// [`SqlError::Database`] when no connection can be had.
    pub async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, SqlError> {
        Ok(self.pool.begin().await?)
    }

    /// Whether the database can serve now: a connection answers and the schema is at the
    /// newest version this build knows (what a readiness probe asks).
    ///
    /// # Errors
    ///
    /// [`SqlError::Database`] when no connection answers, [`SqlError::Corrupt`] when the schema
    /// is not at [`newest_known_version`].
    pub async fn check_ready(&self) -> Result<(), SqlError> {
        let applied: Option<i64> =
            sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await?;
        if applied != Some(newest_known_version()) {
            return Err(SqlError::Corrupt("the schema is not at the newest version"));
        }
        Ok(())
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The newest schema version this build knows.
pub fn newest_known_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Refuses a database whose applied migrations include a version this build does not know.
async fn refuse_newer(pool: &PgPool) -> Result<(), SqlError> {
    let has_table: Option<String> =
        sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations')::text")
            .fetch_one(pool)
            .await?;
    if has_table.is_none() {
        return Ok(());
    }
    let found: Option<i64> = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations")
        .fetch_one(pool)
        .await?;
    let known = newest_known_version();
    match found {
        Some(found) if found > known => Err(SqlError::NewerSchema { found, known }),
        _ => Ok(()),
    }
}
