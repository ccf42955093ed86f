//! Issue 10's scale figures, built on demand (ignored by default: minutes and a few hundred
//! MB of temporary disk):
//!
//! `cargo test --release -p scimkit-sql --test scale -- --ignored --nocapture`
//!
//! Builds a database of 1,000 users and one of 1,000,000 (`SCIMKIT_SCALE_USERS` sets the
//! larger number) in a temporary directory with batched inserts, prints the mean time of a
//! `userName eq` lookup through the `Store` in each and the file's size against the JSON of
//! the users it holds, and deletes the files. The size bound (≤ 3× the JSON) is asserted;
//! the times are printed for docs/performance.md (speed targets live in benchmarks).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_precision_loss)]

use scimkit_dispatch::{Query, Store, Stored, TenantId, Version};
use scimkit_schema::{Profile, Registry};
use scimkit_sql::sqlite::{
    self, DocumentWrite, SqliteDatabase, SqliteOptions, SqliteStore, Target,
};
use scimkit_testkit::population;
use std::path::Path;
use std::time::Instant;

const TENANT: &str = "scale";
const BATCH: usize = 10_000;
const LOOKUPS: usize = 20_000;

/// What one database measured.
struct Figures {
    users: usize,
    /// The documents as stored (no `id`, no `meta`).
    json_bytes: u64,
    /// The users as served: with `id` and `meta` (`meta.location` left out).
    served_bytes: u64,
    file_bytes: u64,
    load_secs: f64,
    lookup_micros: f64,
}

fn file_size(path: &Path) -> u64 {
    let wal = path.with_extension("db-wal");
    [path.to_path_buf(), wal]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

async fn build_and_measure(dir: &Path, n: usize) -> Figures {
    let path = dir.join(format!("scale-{n}.db"));
    let db = SqliteDatabase::open(&path, &SqliteOptions::new())
        .await
        .unwrap();
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let now = chrono::DateTime::from_timestamp(1_764_547_200, 0).unwrap();
    let started = Instant::now();
    let mut json_bytes = 0u64;
    let mut served_bytes = 0u64;
    for start in (0..n).step_by(BATCH) {
        let tx = db.begin_write().await.unwrap();
        for i in start..(start + BATCH).min(n) {
            let mut doc = users
                .validate_create(population::user(i), &Profile::default())
                .unwrap();
            doc.as_object_mut().unwrap().remove("meta");
            json_bytes += doc.to_string().len() as u64;
            let id = format!("u{i:08}");
            let served = Stored::new(id.as_str(), Version(1), now, now, doc.clone());
            served_bytes += served.view("User").to_string().len() as u64;
            sqlite::insert(
                &tx,
                &Target::new(TENANT, users, &id),
                &DocumentWrite::new(&doc),
                &[],
                now,
            )
            .unwrap();
        }
        tx.commit().await.unwrap();
    }
    let load_secs = started.elapsed().as_secs_f64();
    {
        let tx = db.begin_write().await.unwrap();
        tx.execute_batch("ANALYZE").unwrap();
        tx.commit().await.unwrap();
    }
    db.read()
        .await
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    let file_bytes = file_size(&path);

    let store = SqliteStore::new(db, Registry::standard());
    let t = TenantId::new(TENANT);
    let started = Instant::now();
    for k in 0..LOOKUPS {
        let i = (k * 7919) % n;
        let f = format!(r#"userName eq "{}""#, population::user_name(i));
        let filter = scimkit_filter::parse(&f).unwrap();
        let plan = store.plan(&users, Some(&filter), None);
        let q = Query::all(users)
            .filtered(plan.native.as_ref())
            .page(0, 100);
        let page = store.query(&t, q).await.unwrap();
        assert_eq!(page.total, 1, "{f}");
    }
    let lookup_micros = started.elapsed().as_secs_f64() * 1e6 / LOOKUPS as f64;
    store.database().close().await.unwrap();
    drop(store);
    std::fs::remove_file(&path).ok();
    Figures {
        users: n,
        json_bytes,
        served_bytes,
        file_bytes,
        load_secs,
        lookup_micros,
    }
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "minutes and hundreds of MB: run on demand with --ignored"]
async fn a_million_users_lookup_and_file_size() {
    let large = std::env::var("SCIMKIT_SCALE_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let small = build_and_measure(dir.path(), 1_000).await;
    let big = build_and_measure(dir.path(), large).await;
    for f in [&small, &big] {
        println!(
            "{:>9} users: loaded in {:.1} s; userName eq {:.1} µs/lookup ({:.0}/s); \
             file {:.1} MB; JSON as served {:.1} MB (ratio {:.2}), documents as stored \
             {:.1} MB (ratio {:.2})",
            f.users,
            f.load_secs,
            f.lookup_micros,
            1e6 / f.lookup_micros,
            f.file_bytes as f64 / 1e6,
            f.served_bytes as f64 / 1e6,
            f.file_bytes as f64 / f.served_bytes as f64,
            f.json_bytes as f64 / 1e6,
            f.file_bytes as f64 / f.json_bytes as f64,
        );
    }
    println!(
        "lookup at {} users / at {} users: {:.2}×",
        big.users,
        small.users,
        big.lookup_micros / small.lookup_micros
    );
    assert!(
        big.file_bytes <= 3 * big.served_bytes,
        "the file ({} bytes) is more than 3× the JSON of the users as served ({} bytes)",
        big.file_bytes,
        big.served_bytes
    );
}
