//! The one write connection: write transactions take turns on it (SQLite lets one writer in
//! at a time anyway). Statements run in the caller's thread; the commit, which may write the
//! log to disk (and checkpoint it), runs [`off_runtime`](super::connections::off_runtime).

use super::connections::off_runtime;
use crate::error::SqlError;
use async_lock::{Mutex, MutexGuardArc};
use rusqlite::Connection;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The write connection, and whether the database was closed.
#[derive(Debug)]
pub(crate) struct Writer {
    connection: Arc<Mutex<Connection>>,
    closed: AtomicBool,
}

impl Writer {
    pub(crate) fn new(connection: Connection) -> Self {
        Writer {
            connection: Arc::new(Mutex::new(connection)),
            closed: AtomicBool::new(false),
        }
    }

    /// After the running write transaction, if any: copies every page of the write-ahead log
    /// into the database file and empties the log (`wal_checkpoint(TRUNCATE)`); no write
    /// transaction begins after this.
    ///
    /// The checkpoint is complete only when no reader holds an old snapshot; one that could
    /// not finish is [`SqlError::CheckpointBusy`] (the log then still holds the data, and
    /// SQLite replays it at the next open).
    pub(crate) async fn checkpoint_and_close(&self) -> Result<(), SqlError> {
        let conn = self.connection.lock().await;
        if self.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let busy: i64 =
            off_runtime(|| conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0)))?;
        if busy != 0 {
            return Err(SqlError::CheckpointBusy);
        }
        Ok(())
    }

    /// Whether a write transaction holds the connection.
    pub(crate) fn is_busy(&self) -> bool {
        self.connection.try_lock().is_none()
    }

    /// Whether [`Writer::checkpoint_and_close`] has not run.
    pub(crate) fn is_open(&self) -> bool {
        !self.closed.load(Ordering::Acquire)
    }
}

/// A write transaction (`BEGIN IMMEDIATE`) on the database's write connection
/// ([`SqliteDatabase::begin_write`](super::SqliteDatabase::begin_write)). Dereferences to the
/// connection. Committed by [`WriteTransaction::commit`]; dropped without a commit, it is
/// rolled back.
#[derive(Debug)]
pub struct WriteTransaction {
    connection: MutexGuardArc<Connection>,
    open: bool,
}

impl WriteTransaction {
    /// Waits for the write connection and begins.
    pub(crate) async fn begin(writer: &Writer) -> Result<Self, SqlError> {
        let connection = writer.connection.lock_arc().await;
        if !writer.is_open() {
            return Err(SqlError::Closed);
        }
        // Waits up to the busy timeout for another process's writer.
        connection.execute_batch("BEGIN IMMEDIATE")?;
        Ok(WriteTransaction {
            connection,
            open: true,
        })
    }

    /// Makes every write of the transaction visible, atomically.
    ///
    /// # Errors
    ///
    /// [`SqlError::Sqlite`] when SQLite cannot commit (nothing is then visible).
    pub async fn commit(mut self) -> Result<(), SqlError> {
        let conn = &*self.connection;
        off_runtime(|| conn.execute_batch("COMMIT"))?;
        self.open = false;
        Ok(())
    }

    /// Undoes every write of the transaction now.
    ///
    /// # Errors
    ///
    /// [`SqlError::Sqlite`] when SQLite cannot roll back.
    pub async fn rollback(mut self) -> Result<(), SqlError> {
        self.open = false;
        self.connection.execute_batch("ROLLBACK")?;
        Ok(())
    }
}

impl Drop for WriteTransaction {
    fn drop(&mut self) {
        if self.open {
            // Undoing writes that were never committed: nothing was visible; a failure here
            // leaves the transaction open, and the next `BEGIN` fails loudly.
            let _ = self.connection.execute_batch("ROLLBACK");
        }
    }
}

impl Deref for WriteTransaction {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        &self.connection
    }
}
