//! Opening a SQLite database: connection settings, the embedded migrations, and the refusal
//! of a database written by a newer version.

use super::writer::{WriteTransaction, Writer};
use crate::error::SqlError;
use async_lock::{Mutex, MutexGuard};
use sqlx::migrate::Migrator;
use sqlx::sqlite::SqliteConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::ConnectOptions;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The embedded, versioned migrations (`migrations/sqlite/NNNN_name.sql`). A released file is
/// never edited; a schema change is a new file with the next number.
pub static MIGRATOR: Migrator = sqlx::migrate!("migrations/sqlite");

/// How durable a committed write is (SQLite's `synchronous` setting in WAL mode).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Durability {
    /// `synchronous = NORMAL` (the default): a committed write survives a crash or `kill -9`
    /// of the process; after a power loss or operating-system crash the last transactions
    /// before it may be rolled back (the database stays consistent). One `fsync` per
    /// checkpoint instead of one per commit.
    #[default]
    ProcessCrash,
    /// `synchronous = FULL`: a committed write also survives a power loss (an `fsync` of the
    /// WAL on every commit).
    PowerLoss,
}

/// How to open a database.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SqliteOptions {
    /// See [`Durability`].
    pub durability: Durability,
    /// How long a writer waits for another writer's lock before failing (`busy_timeout`).
    pub busy_timeout: Duration,
    /// Connections in the pool (write transactions and provisioning state; writers take
    /// turns).
    pub max_connections: u32,
    /// Connections reserved for the store's reads ([`SqliteDatabase::read`]), which run in
    /// parallel under WAL. Not pooled: taking one is a lock, not a pool round trip.
    pub readers: u32,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            durability: Durability::default(),
            busy_timeout: Duration::from_secs(5),
            max_connections: 4,
            readers: 4,
        }
    }
}

impl SqliteOptions {
    /// The defaults: [`Durability::ProcessCrash`], a 5 s busy timeout, 4 connections.
    pub fn new() -> Self {
        SqliteOptions::default()
    }

    /// With this durability.
    #[must_use]
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// With this busy timeout.
    #[must_use]
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// With this many pooled connections (at least 1).
    #[must_use]
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// With this many reserved read connections (at least 1).
    #[must_use]
    pub fn readers(mut self, n: u32) -> Self {
        self.readers = n.max(1);
        self
    }
}

/// An open SQLite database: a connection pool in WAL mode with foreign keys on, migrated to
/// the newest schema this build knows, and a few connections reserved for reads.
#[derive(Debug, Clone)]
pub struct SqliteDatabase {
    pool: SqlitePool,
    readers: Arc<Readers>,
    writer: Arc<Writer>,
}

/// The reserved read connections. sqlx's pool answers every acquire with a round trip to the
/// connection's worker thread when the previous user returns it (a `ping`, ~60 µs); these are
/// taken with a lock.
#[derive(Debug)]
struct Readers {
    connections: Vec<Mutex<SqliteConnection>>,
    next: AtomicUsize,
}

/// A read connection taken by [`SqliteDatabase::read`]; given back when dropped.
pub type ReadConnection<'a> = MutexGuard<'a, SqliteConnection>;

impl SqliteDatabase {
    /// Opens (creating it if missing) the database file at `path` and migrates it.
    ///
    /// # Errors
    ///
    /// [`SqlError::NewerSchema`] when the file was written by a newer scimkit-sql (it is left
    /// unchanged); [`SqlError::Migrate`] or [`SqlError::Database`] when it cannot be opened or
    /// migrated.
    pub async fn open(path: &Path, options: &SqliteOptions) -> Result<Self, SqlError> {
        let connect = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(match options.durability {
                Durability::ProcessCrash => SqliteSynchronous::Normal,
                Durability::PowerLoss => SqliteSynchronous::Full,
            })
            .busy_timeout(options.busy_timeout)
            .foreign_keys(true)
            // 16 MiB of page cache per connection (SQLite's default is 2 MiB): the indexes
            // of a few hundred thousand resources stay in memory.
            .pragma("cache_size", "-16384")
            // Pages read through a memory map (up to 4 GiB of the file: address space, not
            // memory): a page another connection has read costs no system call, and a
            // connection whose cache a write invalidated re-reads from memory.
            .pragma("mmap_size", "4294967296");
        let pool = SqlitePoolOptions::new()
            .max_connections(options.max_connections)
            // A local file: no connection to test before each use (a round trip saved).
            .test_before_acquire(false)
            .connect_with(connect.clone())
            .await?;
        refuse_newer(&pool).await?;
        MIGRATOR.run(&pool).await?;
        let mut connections = Vec::with_capacity(options.readers as usize);
        for _ in 0..options.readers.max(1) {
            connections.push(Mutex::new(connect.connect().await?));
        }
        let writer = Arc::new(Writer::new(connect.connect().await?));
        Ok(SqliteDatabase {
            pool,
            writer,
            readers: Arc::new(Readers {
                connections,
                next: AtomicUsize::new(0),
            }),
        })
    }

    /// A reserved read connection: a free one if there is one, else the next in turn when it
    /// is given back. Reads only: a write through it would not be in a write transaction.
    pub async fn read(&self) -> ReadConnection<'_> {
        let all = &self.readers.connections;
        let start = self.readers.next.fetch_add(1, Ordering::Relaxed) % all.len();
        for i in 0..all.len() {
            if let Some(conn) = all[(start + i) % all.len()].try_lock() {
                return conn;
            }
        }
        all[start].lock().await
    }

    /// The connection pool (reads take a connection from it).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Begins a write transaction with `BEGIN IMMEDIATE` on the database's one write
    /// connection: this process's writers take turns for it, and the write lock is taken at
    /// once, so two writers never both read and then fail to upgrade (`SQLITE_BUSY`
    /// mid-transaction); a writer of another process waits up to the busy timeout. Never
    /// visible unless committed.
    ///
    /// # Errors
    ///
    /// [`SqlError::Database`] when the lock cannot be had.
    pub async fn begin_write(&self) -> Result<WriteTransaction, SqlError> {
        WriteTransaction::begin(&self.writer).await
    }

    /// Writes a consistent copy of the database to `target` (`VACUUM INTO`), while it is in
    /// use: the online backup.
    ///
    /// # Errors
    ///
    /// [`SqlError::Database`], e.g. when `target` exists.
    pub async fn backup_to(&self, target: &Path) -> Result<(), SqlError> {
        let target = target
            .to_str()
            .ok_or(SqlError::Corrupt("backup path is not UTF-8"))?;
        sqlx::query("VACUUM INTO ?")
            .bind(target)
            .execute(&self.pool)
            .await?;
        Ok(())
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

    /// Closes the database for a clean stop: waits for the running write transaction, copies
    /// the write-ahead log into the file and empties it (so the file alone holds everything),
    /// and closes the pool (a readiness check fails from then on). The reserved connections
    /// close when the last clone of the database is dropped.
    ///
    /// # Errors
    ///
    /// [`SqlError::Database`] when the checkpoint fails (the log then still holds the data:
    /// SQLite replays it at the next open).
    pub async fn close(&self) -> Result<(), SqlError> {
        let checkpointed = self.writer.checkpoint().await;
        self.pool.close().await;
        checkpointed
    }
}

/// The newest schema version this build knows.
pub fn newest_known_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Refuses a database whose applied migrations include a version this build does not know.
async fn refuse_newer(pool: &SqlitePool) -> Result<(), SqlError> {
    let has_table: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_optional(pool)
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
