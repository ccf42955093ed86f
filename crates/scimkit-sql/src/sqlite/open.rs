//! Opening a SQLite database: connection settings, the embedded migrations, and the refusal
//! of a database written by a newer version.

use super::connections::{connect, off_runtime, ReadConnection, Readers};
use super::sql;
use super::writer::{WriteTransaction, Writer};
use crate::error::SqlError;
use rusqlite::Connection;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{ConnectOptions, Connection as _};
use std::path::{Path, PathBuf};
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
    /// Connections reserved for reads ([`SqliteDatabase::read`]), which run in parallel
    /// under WAL. Writes take turns on one more connection.
    pub readers: u32,
    /// How long a read may run in the caller's thread (an async runtime's worker) before it
    /// is interrupted and run again where it may block (`tokio::task::block_in_place` on a
    /// multi-threaded runtime). Lookups and short pages take far less.
    pub read_budget: Duration,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            durability: Durability::default(),
            busy_timeout: Duration::from_secs(5),
            readers: 4,
            read_budget: Duration::from_millis(2),
        }
    }
}

impl SqliteOptions {
    /// The defaults: [`Durability::ProcessCrash`], a 5 s busy timeout, 4 read connections, a
    /// read budget of 2 ms.
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

    /// With this read budget (see [`SqliteOptions::read_budget`]).
    #[must_use]
    pub fn read_budget(mut self, budget: Duration) -> Self {
        self.read_budget = budget;
        self
    }

    /// With this many reserved read connections (at least 1).
    #[must_use]
    pub fn readers(mut self, n: u32) -> Self {
        self.readers = n.max(1);
        self
    }
}

/// An open SQLite database in WAL mode with foreign keys on, migrated to the newest schema
/// this build knows: a few connections reserved for reads and one for writes, each called in
/// the caller's thread.
#[derive(Debug, Clone)]
pub struct SqliteDatabase {
    readers: Arc<Readers>,
    writer: Arc<Writer>,
    path: Arc<PathBuf>,
}

impl SqliteDatabase {
    /// Opens (creating it if missing) the database file at `path` and migrates it.
    ///
    /// # Errors
    ///
    /// [`SqlError::NewerSchema`] when the file was written by a newer scimkit-sql (it is left
    /// unchanged); [`SqlError::Migrate`], [`SqlError::Database`] or [`SqlError::Sqlite`] when
    /// it cannot be opened or migrated.
    pub async fn open(path: &Path, options: &SqliteOptions) -> Result<Self, SqlError> {
        migrate(path, options).await?;
        let writer = Arc::new(Writer::new(connect(path, options)?));
        Ok(SqliteDatabase {
            readers: Arc::new(Readers::open(path, options)?),
            writer,
            path: Arc::new(path.to_owned()),
        })
    }

    /// A reserved read connection: a free one if there is one, else the next in turn when it
    /// is given back. Reads only: a write through it would not be in a write transaction.
    /// A statement on it runs in the caller's thread, without a time budget; the store's
    /// reads go through [`SqliteDatabase::read_with`].
    pub async fn read(&self) -> ReadConnection<'_> {
        self.readers.take().await
    }

    /// Runs `read` on a reserved read connection in the caller's thread, within
    /// [`SqliteOptions::read_budget`]; a read that runs over it is interrupted and run again,
    /// whole, where it may block (so `read` may run twice: it must only read).
    ///
    /// # Errors
    ///
    /// What `read` returns.
    pub async fn read_with<T>(
        &self,
        read: impl Fn(&Connection) -> Result<T, SqlError>,
    ) -> Result<T, SqlError> {
        self.readers.run(read).await
    }

    /// Begins a write transaction with `BEGIN IMMEDIATE` on the database's one write
    /// connection: this process's writers take turns for it, and the write lock is taken at
    /// once, so two writers never both read and then fail to upgrade (`SQLITE_BUSY`
    /// mid-transaction); a writer of another process waits up to the busy timeout. Never
    /// visible unless committed.
    ///
    /// # Errors
    ///
    /// [`SqlError::Sqlite`] when the lock cannot be had; [`SqlError::Closed`] after
    /// [`SqliteDatabase::close`].
    pub async fn begin_write(&self) -> Result<WriteTransaction, SqlError> {
        WriteTransaction::begin(&self.writer).await
    }

    /// Writes a consistent copy of the database to `target` (`VACUUM INTO`), while it is in
    /// use: the online backup.
    ///
    /// # Errors
    ///
    /// [`SqlError::Sqlite`], e.g. when `target` exists.
    pub async fn backup_to(&self, target: &Path) -> Result<(), SqlError> {
        let target = target
            .to_str()
            .ok_or(SqlError::Corrupt("backup path is not UTF-8"))?;
        let conn = self.readers.take().await;
        off_runtime(|| sql::execute(&conn, "VACUUM INTO ?", [target]))?;
        Ok(())
    }

    /// Whether the database can serve now: a connection answers, the database was not closed
    /// and the schema is at the newest version this build knows (what a readiness probe
    /// asks).
    ///
    /// # Errors
    ///
    /// [`SqlError::Closed`] after [`SqliteDatabase::close`], [`SqlError::Sqlite`] when no
    /// connection answers, [`SqlError::Corrupt`] when the schema is not at
    /// [`newest_known_version`].
    pub async fn check_ready(&self) -> Result<(), SqlError> {
        if !self.writer.is_open() {
            return Err(SqlError::Closed);
        }
        if !self.path.exists() {
            return Err(SqlError::Corrupt("the database file is gone"));
        }
        let applied: Option<i64> = self
            .read_with(|conn| {
                Ok(sql::first(
                    conn,
                    "SELECT max(version) FROM _sqlx_migrations WHERE success",
                    [],
                    |r| Ok(r.get::<_, Option<i64>>(0)?),
                )?
                .flatten())
            })
            .await?;
        if applied != Some(newest_known_version()) {
            return Err(SqlError::Corrupt("the schema is not at the newest version"));
        }
        Ok(())
    }

    /// Connections in use and idle (the reserved readers and the writer).
    pub fn connections_in_use_and_idle(&self) -> (u32, u32) {
        let (busy, idle) = self.readers.in_use_and_idle();
        if self.writer.is_busy() {
            (busy + 1, idle)
        } else {
            (busy, idle + 1)
        }
    }

    /// Closes the database for a clean stop: waits for the running write transaction, copies
    /// the write-ahead log into the file and empties it (so the file alone holds everything);
    /// no write begins and a readiness check fails from then on. The connections close when
    /// the last clone of the database is dropped.
    ///
    /// # Errors
    ///
    /// [`SqlError::CheckpointBusy`] or [`SqlError::Sqlite`] when the checkpoint could not
    /// finish (the log then still holds the data: SQLite replays it at the next open).
    pub async fn close(&self) -> Result<(), SqlError> {
        self.writer.checkpoint_and_close().await
    }
}

/// The newest schema version this build knows.
pub fn newest_known_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Refuses a database written by a newer build, then applies the embedded migrations it
/// lacks, on a connection of their own (sqlx's migrator and its `_sqlx_migrations` table).
async fn migrate(path: &Path, options: &SqliteOptions) -> Result<(), SqlError> {
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(options.busy_timeout)
        .foreign_keys(true)
        .connect()
        .await?;
    refuse_newer(&mut conn).await?;
    MIGRATOR.run(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

/// Refuses a database whose applied migrations include a version this build does not know.
async fn refuse_newer(conn: &mut sqlx::SqliteConnection) -> Result<(), SqlError> {
    let has_table: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_optional(&mut *conn)
    .await?;
    if has_table.is_none() {
        return Ok(());
    }
    let found: Option<i64> = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations")
        .fetch_one(&mut *conn)
        .await?;
    let known = newest_known_version();
    match found {
        Some(found) if found > known => Err(SqlError::NewerSchema { found, known }),
        _ => Ok(()),
    }
}
