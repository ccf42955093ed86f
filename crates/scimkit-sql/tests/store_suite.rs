//! scimkit-testkit's store suite (through a real dispatcher) on a SQLite file per check.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use scimkit_sql::sqlite::{SqliteOptions, SqliteStore};
use std::sync::atomic::{AtomicUsize, Ordering};

#[tokio::test(flavor = "current_thread")]
async fn the_store_suite_passes_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let n = AtomicUsize::new(0);
    scimkit_testkit::store::run_all(|| {
        let path = dir
            .path()
            .join(format!("suite-{}.db", n.fetch_add(1, Ordering::Relaxed)));
        async move {
            SqliteStore::open(&path, &SqliteOptions::new())
                .await
                .unwrap()
        }
    })
    .await;
}
