//! A read's time budget on an async worker (`SqliteOptions::read_budget`): a read that runs
//! over it is interrupted and run again where it may block, so it still answers, and the
//! worker's other tasks go on meanwhile.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use scimkit_sql::sqlite::{SqliteDatabase, SqliteOptions};
use scimkit_sql::SqlError;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A read that takes a while: counting a few million rows of a recursive CTE.
const LONG_READ: &str = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c \
                         WHERE x < 3000000) SELECT count(*) FROM c";

async fn open(budget: Duration) -> (tempfile::TempDir, SqliteDatabase) {
    let dir = tempfile::tempdir().unwrap();
    let options = SqliteOptions::new().read_budget(budget);
    let db = SqliteDatabase::open(&dir.path().join("budget.db"), &options)
        .await
        .unwrap();
    (dir, db)
}

/// Runs [`LONG_READ`] through `read_with`, counting the runs.
async fn long_read(db: &SqliteDatabase, runs: &AtomicUsize) -> i64 {
    db.read_with(|conn| {
        runs.fetch_add(1, Ordering::Relaxed);
        Ok(conn.query_row(LONG_READ, [], |r| r.get(0))?)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_read_over_budget_moves_off_the_worker_and_still_answers() {
    let (dir, db) = open(Duration::from_millis(1)).await;
    let ticks = Arc::new(AtomicUsize::new(0));
    let ticker = tokio::spawn({
        let ticks = Arc::clone(&ticks);
        async move {
            loop {
                tokio::time::sleep(Duration::from_millis(1)).await;
                ticks.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(5)).await;
    // The read runs in a task, on the one worker thread the ticker runs on (the test's own
    // body runs on a thread of its own).
    let reader = tokio::spawn({
        let ticks = Arc::clone(&ticks);
        async move {
            let runs = AtomicUsize::new(0);
            let started = Instant::now();
            let before = ticks.load(Ordering::Relaxed);
            let count = long_read(&db, &runs).await;
            let during = ticks.load(Ordering::Relaxed) - before;
            (count, runs.into_inner(), during, started.elapsed())
        }
    });
    let (count, runs, during, took) = reader.await.unwrap();
    ticker.abort();
    assert_eq!(count, 3_000_000);
    assert_eq!(runs, 2, "interrupted once, then run whole");
    assert!(
        took >= Duration::from_millis(20),
        "the read is long enough: {took:?}"
    );
    // On the one worker thread, the ticker could not have run during an in-place read.
    assert!(during >= 5, "{during} ticks in {took:?}");
    drop(dir);
}

#[tokio::test(flavor = "current_thread")]
async fn a_short_read_runs_once_and_a_long_one_answers_on_a_current_thread_runtime() {
    let (_dir, db) = open(Duration::from_millis(1)).await;
    let runs = AtomicUsize::new(0);
    let one: i64 = db
        .read_with(|conn| {
            runs.fetch_add(1, Ordering::Relaxed);
            Ok(conn.query_row("SELECT 1", [], |r| r.get(0))?)
        })
        .await
        .unwrap();
    assert_eq!((one, runs.load(Ordering::Relaxed)), (1, 1));
    let runs = AtomicUsize::new(0);
    assert_eq!(long_read(&db, &runs).await, 3_000_000);
    assert_eq!(runs.load(Ordering::Relaxed), 2);
}

#[tokio::test(flavor = "current_thread")]
async fn a_failing_read_is_not_run_again() {
    let (_dir, db) = open(Duration::from_secs(1)).await;
    let runs = AtomicUsize::new(0);
    let err = db
        .read_with(|conn| {
            runs.fetch_add(1, Ordering::Relaxed);
            Ok(conn.query_row("SELECT * FROM no_such_table", [], |r| r.get::<_, i64>(0))?)
        })
        .await
        .unwrap_err();
    assert!(matches!(err, SqlError::Sqlite(_)), "{err:?}");
    assert_eq!(runs.load(Ordering::Relaxed), 1);
}
