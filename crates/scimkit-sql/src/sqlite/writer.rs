//! The one write connection: write transactions take turns on it instead of on pooled
//! connections (sqlx's pool answers every release with a round trip to the connection's
//! worker thread, and SQLite lets one writer in at a time anyway).

use crate::error::SqlError;
use async_lock::{Mutex, MutexGuardArc};
use sqlx::SqliteConnection;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The write connection and whether a transaction was left open on it.
#[derive(Debug)]
pub(crate) struct Writer {
    connection: Arc<Mutex<SqliteConnection>>,
    /// Set when a transaction was dropped without a commit: the next one rolls it back first.
    abandoned: AtomicBool,
}

impl Writer {
    pub(crate) fn new(connection: SqliteConnection) -> Self {
        Writer {
            connection: Arc::new(Mutex::new(connection)),
            abandoned: AtomicBool::new(false),
        }
    }

    /// Copies every page of the write-ahead log into the database file and empties the log
    /// (`wal_checkpoint(TRUNCATE)`), after the running write transaction, if any.
    pub(crate) async fn checkpoint(&self) -> Result<(), SqlError> {
        let mut connection = self.connection.lock().await;
        if self.abandoned.swap(false, Ordering::AcqRel) {
            let _ = sqlx::query("ROLLBACK").execute(&mut *connection).await;
        }
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut *connection)
            .await?;
        Ok(())
    }
}

/// A write transaction (`BEGIN IMMEDIATE`) on the database's write connection
/// ([`SqliteDatabase::begin_write`](super::SqliteDatabase::begin_write)). Dereferences to the
/// connection. Committed by [`WriteTransaction::commit`]; dropped without a commit, its
/// changes are never visible: the next write transaction rolls them back before it begins
/// (meanwhile other processes cannot write the file).
#[derive(Debug)]
pub struct WriteTransaction {
    connection: MutexGuardArc<SqliteConnection>,
    writer: Arc<Writer>,
    open: bool,
}

impl WriteTransaction {
    /// Waits for the write connection, rolls back what an abandoned transaction left, and
    /// begins.
    pub(crate) async fn begin(writer: &Arc<Writer>) -> Result<Self, SqlError> {
        let mut connection = writer.connection.lock_arc().await;
        if writer.abandoned.swap(false, Ordering::AcqRel) {
            // Nothing to roll back is not an error worth failing a new write for.
            let _ = sqlx::query("ROLLBACK").execute(&mut *connection).await;
        }
        let mut tx = WriteTransaction {
            connection,
            writer: Arc::clone(writer),
            open: false,
        };
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut *tx.connection)
            .await?;
        tx.open = true;
        Ok(tx)
    }

    /// Makes every write of the transaction visible, atomically.
    ///
    /// # Errors
    ///
    /// [`SqlError::Database`] when SQLite cannot commit (nothing is then visible).
    pub async fn commit(mut self) -> Result<(), SqlError> {
        sqlx::query("COMMIT").execute(&mut *self.connection).await?;
        self.open = false;
        Ok(())
    }

    /// Undoes every write of the transaction now.
    ///
    /// # Errors
    ///
    /// [`SqlError::Database`] when SQLite cannot roll back.
    pub async fn rollback(mut self) -> Result<(), SqlError> {
        sqlx::query("ROLLBACK")
            .execute(&mut *self.connection)
            .await?;
        self.open = false;
        Ok(())
    }
}

impl Drop for WriteTransaction {
    fn drop(&mut self) {
        if self.open {
            self.writer.abandoned.store(true, Ordering::Release);
        }
    }
}

impl Deref for WriteTransaction {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        &self.connection
    }
}

impl DerefMut for WriteTransaction {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.connection
    }
}
