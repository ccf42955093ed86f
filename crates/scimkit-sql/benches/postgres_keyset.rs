//! Keyset pages on PostgreSQL at depth: 100,000 users in a fresh database (release build; the
//! server of `DATABASE_URL`, else a private one started from the system binaries with
//! `fsync=off`, as the `pg_*` tests do), pages of 200 read through `PostgresStore::query`
//! (SQL, then each row rendered), first page against a page after 90% of the users:
//!
//! - a cursor page without `totalResults` (`Query::with_total = false`), in `id` order and by
//!   `userName`;
//! - the same with `totalResults` (a count of every match: linear in the matches);
//! - the next page of a remembered index walk as the dispatcher reads it (the page after the
//!   position counting the matches after it, and a count of every match);
//! - the page's SQL alone (`read::keyset_query`, no rendering), first and deep;
//! - for contrast, the offset page at the same depth (what an index page costs without keyset
//!   paging: `OFFSET 90000`).
//!
//! It also prints how long loading took and how long one of migration 0002's indexes takes to
//! build over the users.
//!
//! `cargo bench -p scimkit-sql --bench postgres_keyset`; `SCIMKIT_BENCH_USERS=10000` loads
//! another number. Without PostgreSQL it says so and measures nothing.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/pg_support/mod.rs"]
mod pg_support;

use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use scimkit_dispatch::{Keyset, KeysetPosition, Query, Store, TenantId};
use scimkit_filter::{fold, parse_attr_path, SortOrder};
use scimkit_schema::{Profile, Registry};
use scimkit_sql::keyset::KeysetSql;
use scimkit_sql::postgres::{self, DocumentWrite, PostgresOptions, PostgresStore, Target};
use scimkit_testkit::population;
use serde_json::Value;
use std::hint::black_box;
use std::time::Duration;

const TENANT: &str = "bench";
const PAGE: usize = 200;

fn users() -> usize {
    std::env::var("SCIMKIT_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_764_547_200, 0).unwrap()
}

fn bench(c: &mut Criterion) {
    let n = users();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _context = rt.enter();
    let Some(url) = rt.block_on(pg_support::fresh_database("bench_keyset")) else {
        return;
    };
    let store = rt
        .block_on(PostgresStore::connect(&url, &PostgresOptions::new()))
        .unwrap();
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let ids: Vec<String> = (0..n).map(|i| format!("u{i:07}")).collect();
    rt.block_on(async {
        let started = std::time::Instant::now();
        let mut tx = store.database().begin_write().await.unwrap();
        for (i, id) in ids.iter().enumerate() {
            let mut doc = users
                .validate_create(population::user(i), &Profile::default())
                .unwrap();
            doc.as_object_mut().unwrap().remove("meta");
            let target = Target::new(TENANT, users, id);
            postgres::insert(&mut tx, &target, &DocumentWrite::new(&doc), &[], now())
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        sqlx::query("VACUUM ANALYZE")
            .execute(store.database().pool())
            .await
            .unwrap();
        eprintln!(
            "loaded {n} users (one transaction, one INSERT per row) in {:.1?}",
            started.elapsed()
        );
        // What migration 0002 costs on this table: one of its indexes, built again.
        let started = std::time::Instant::now();
        sqlx::query("CREATE INDEX rebuilt ON resources (tenant, type, user_name_norm, id)")
            .execute(store.database().pool())
            .await
            .unwrap();
        eprintln!(
            "one keyset index over {n} users built in {:.1?}",
            started.elapsed()
        );
        sqlx::query("DROP INDEX rebuilt")
            .execute(store.database().pool())
            .await
            .unwrap();
    });

    let tenant = TenantId::new(TENANT);
    let deep = n * 9 / 10;
    // The positions after the first `deep` users: in id order, and by userName (folded, by
    // bytes, as the keyset order has it).
    let by_id = KeysetPosition::new(Value::Null, ids[deep - 1].clone());
    let mut names: Vec<(String, String, &String)> = (0..n)
        .map(|i| {
            let name = population::user_name(i);
            (fold(&name).into_owned(), name, &ids[i])
        })
        .collect();
    names.sort_by(|a, b| (&a.0, a.2).cmp(&(&b.0, b.2)));
    let (_, name, id) = &names[deep - 1];
    let by_name = KeysetPosition::new(Value::String(name.clone()), (*id).clone());
    let user_name = parse_attr_path("userName").unwrap();

    let mut g = c.benchmark_group(format!("postgres_keyset_{n}_users"));
    g.sample_size(20).measurement_time(Duration::from_secs(4));
    let page = |keyset: Keyset<'_>, sorted: bool, with_total: bool| {
        let mut q = Query::all(users).page(0, PAGE).keyset(keyset);
        if sorted {
            q = q.sorted(&user_name, SortOrder::Ascending);
        }
        q.with_total = with_total;
        let got = rt.block_on(store.query(&tenant, q)).unwrap();
        assert_eq!(got.resources.len(), PAGE);
        black_box(got)
    };
    for (sorted, label, position) in [(false, "id order", &by_id), (true, "userName", &by_name)] {
        for with_total in [false, true] {
            let total = if with_total { ", totalResults" } else { "" };
            g.bench_function(format!("cursor page 1, {label}{total}"), |b| {
                b.iter(|| page(Keyset::first(), sorted, with_total));
            });
            g.bench_function(format!("cursor page at {deep}, {label}{total}"), |b| {
                b.iter(|| page(Keyset::after(position), sorted, with_total));
            });
        }
    }
    // A remembered index walk's next page, as the dispatcher reads it: the page after the
    // position counting what follows it, and a count of every match.
    g.bench_function(format!("index walk page at startIndex {}", deep + 1), |b| {
        b.iter(|| {
            let rest = page(Keyset::after(&by_id).counting_after(), false, true);
            let all = Query::all(users).page(0, 0).keyset(Keyset::first());
            let all = rt.block_on(store.query(&tenant, all)).unwrap();
            assert_eq!(all.total - rest.total, deep);
        });
    });
    // The page's SQL alone (no rendering: each row's groups are one more query), held
    // connection.
    let mut conn = rt.block_on(store.database().pool().acquire()).unwrap();
    for (label, position) in [("1", None), (&*format!("at {deep}"), Some(&by_id))] {
        let after = position.map(|p: &KeysetPosition| (&p.value, p.id.as_str()));
        let sql = KeysetSql::new(None, SortOrder::Ascending, after).unwrap();
        g.bench_function(format!("page SQL only, page {label}, id order"), |b| {
            b.iter(|| {
                let rows = rt
                    .block_on(postgres::keyset_query(
                        &mut conn,
                        TENANT,
                        "User",
                        None,
                        &sql.segments,
                        0,
                        Some(PAGE as u64),
                        false,
                    ))
                    .unwrap();
                assert_eq!(rows.len(), PAGE);
                black_box(rows)
            });
        });
    }
    drop(conn);
    g.bench_function(format!("offset page at startIndex {}", deep + 1), |b| {
        b.iter(|| {
            let q = Query::all(users).page(deep, PAGE);
            let got = rt.block_on(store.query(&tenant, q)).unwrap();
            assert_eq!(got.resources.len(), PAGE);
            black_box(got)
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
