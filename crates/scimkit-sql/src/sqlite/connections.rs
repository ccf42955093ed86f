//! SQLite connections, called in the caller's thread (rusqlite): a statement costs what SQLite
//! needs for it, with no hand-off to another thread and back. The reserved read connections
//! carry a time budget so that a read cannot hold an async runtime's thread for long: a read
//! that runs over it is interrupted and run again where blocking is allowed ([`off_runtime`]).

use super::open::{Durability, SqliteOptions};
use crate::error::SqlError;
use async_lock::{Mutex, MutexGuard};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Prepared statements kept per connection (the store's statements, a few shapes each).
const STATEMENT_CACHE: usize = 128;

/// SQLite's virtual-machine steps between two looks at a read's budget.
const STEPS_PER_CHECK: i32 = 1000;

/// Opens a connection with the database's settings: WAL, the durability's `synchronous`, the
/// busy timeout, foreign keys, a 16 MiB page cache and a memory map.
pub(crate) fn connect(path: &Path, options: &SqliteOptions) -> Result<Connection, SqlError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(options.busy_timeout)?;
    let synchronous = match options.durability {
        Durability::ProcessCrash => "NORMAL",
        Durability::PowerLoss => "FULL",
    };
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    // 16 MiB of page cache per connection (SQLite's default is 2 MiB): the indexes of a few
    // hundred thousand resources stay in memory. Pages are read through a memory map (up to
    // 4 GiB of the file: address space, not memory): a page another connection has read costs
    // no system call.
    conn.execute_batch(&format!(
        "PRAGMA synchronous = {synchronous}; PRAGMA foreign_keys = ON; \
         PRAGMA cache_size = -16384; PRAGMA mmap_size = 4294967296;"
    ))?;
    // The query planner stability guarantee: a statement keeps the plan it was prepared with
    // whatever its bound values (the bundled SQLite, built with STAT4, would otherwise prepare
    // it again whenever a value it looked at changes: most of a lookup's cost).
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// Runs `work` where it may block: on a multi-threaded tokio runtime, with the worker's other
/// tasks handed to another thread first (`block_in_place`); elsewhere (a current-thread
/// runtime, no runtime) in place.
pub(crate) fn off_runtime<T>(work: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

/// A read connection's budget: when armed, SQLite's progress handler interrupts the statement
/// once the deadline has passed.
#[derive(Debug, Default)]
struct Budget {
    armed: AtomicBool,
    /// Microseconds after `epoch`.
    deadline: AtomicU64,
}

/// A reserved read connection and its budget.
#[derive(Debug)]
struct Reader {
    connection: Connection,
    budget: Arc<Budget>,
}

/// The reserved read connections, taken in turn.
#[derive(Debug)]
pub(crate) struct Readers {
    readers: Vec<Mutex<Reader>>,
    next: AtomicUsize,
    epoch: Instant,
    budget: Duration,
}

/// A read connection taken by [`SqliteDatabase::read`](super::SqliteDatabase::read); given
/// back when dropped. Dereferences to the rusqlite connection.
#[derive(Debug)]
pub struct ReadConnection<'a> {
    reader: MutexGuard<'a, Reader>,
}

impl std::ops::Deref for ReadConnection<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        &self.reader.connection
    }
}

impl Readers {
    pub(crate) fn open(path: &Path, options: &SqliteOptions) -> Result<Self, SqlError> {
        let epoch = Instant::now();
        let mut readers = Vec::with_capacity(options.readers as usize);
        for _ in 0..options.readers.max(1) {
            let connection = connect(path, options)?;
            let budget = Arc::new(Budget::default());
            let watched = Arc::clone(&budget);
            connection.progress_handler(
                STEPS_PER_CHECK,
                Some(move || {
                    watched.armed.load(Ordering::Relaxed)
                        && micros_since(epoch) > watched.deadline.load(Ordering::Relaxed)
                }),
            )?;
            readers.push(Mutex::new(Reader { connection, budget }));
        }
        Ok(Readers {
            readers,
            next: AtomicUsize::new(0),
            epoch,
            budget: options.read_budget,
        })
    }

    /// The first free connection (so that a light load keeps to one, whose page cache stays
    /// warm), else the next in turn when it is given back.
    pub(crate) async fn take(&self) -> ReadConnection<'_> {
        let all = &self.readers;
        for reader in all {
            if let Some(reader) = reader.try_lock() {
                return ReadConnection { reader };
            }
        }
        let next = self.next.fetch_add(1, Ordering::Relaxed) % all.len();
        ReadConnection {
            reader: all[next].lock().await,
        }
    }

    /// Runs `read` on a reserved connection in the caller's thread within the budget; a read
    /// that runs over it is run again, whole and unbudgeted, [`off_runtime`].
    pub(crate) async fn run<T>(
        &self,
        read: impl Fn(&Connection) -> Result<T, SqlError>,
    ) -> Result<T, SqlError> {
        let conn = self.take().await;
        let budget = &conn.reader.budget;
        let deadline = micros_since(self.epoch)
            .saturating_add(u64::try_from(self.budget.as_micros()).unwrap_or(u64::MAX));
        budget.deadline.store(deadline, Ordering::Relaxed);
        budget.armed.store(true, Ordering::Relaxed);
        let first = read(&conn);
        budget.armed.store(false, Ordering::Relaxed);
        match first {
            Err(e) if e.is_interrupt() => off_runtime(|| read(&conn)),
            done => done,
        }
    }

    /// Connections in use and idle.
    pub(crate) fn in_use_and_idle(&self) -> (u32, u32) {
        let busy = self
            .readers
            .iter()
            .filter(|r| r.try_lock().is_none())
            .count();
        let all = self.readers.len();
        (
            u32::try_from(busy).unwrap_or(u32::MAX),
            u32::try_from(all - busy).unwrap_or(u32::MAX),
        )
    }
}

fn micros_since(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
}
