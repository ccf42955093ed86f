//! PostgreSQL store benchmarks with 100,000 users in a fresh database (release build; the
//! server of `DATABASE_URL`, else a private one started from the system binaries with
//! `fsync=off`, as the `pg_*` tests do): a `userName eq` lookup (parse, plan, query), an insert
//! committed in its own transaction (the document prepared outside the timing), and adding or
//! removing one member of a group of 100,000 and of a group of 10 (one `INSERT … ON CONFLICT
//! DO NOTHING` or `DELETE … = ANY($1)` plus the version bump, committed).
//!
//! `cargo bench -p scimkit-sql --bench postgres`; `SCIMKIT_BENCH_USERS=1000` loads another
//! number. Without PostgreSQL it says so and measures nothing.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/pg_support/mod.rs"]
mod pg_support;

use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use scimkit_schema::{Profile, Registry};
use scimkit_sql::dialect::PostgresDialect;
use scimkit_sql::postgres::{
    self, DocumentWrite, Member, MemberChange, PostgresDatabase, PostgresOptions, Query, Target,
};
use scimkit_sql::translate::Translator;
use scimkit_testkit::population;
use serde_json::Value;
use std::hint::black_box;
use std::time::Duration;

const TENANT: &str = "bench";

fn users() -> usize {
    std::env::var("SCIMKIT_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_764_547_200, 0).unwrap()
}

fn document(registry: &Registry, i: usize) -> Value {
    let users = registry.resource_type("User").unwrap();
    let mut doc = users
        .validate_create(population::user(i), &Profile::default())
        .unwrap();
    doc.as_object_mut().unwrap().remove("meta");
    doc
}

fn bench(c: &mut Criterion) {
    let n = users();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _context = rt.enter();
    let Some(url) = rt.block_on(pg_support::fresh_database("bench")) else {
        return;
    };
    let db = rt
        .block_on(PostgresDatabase::connect(&url, &PostgresOptions::new()))
        .unwrap();
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let groups = registry.resource_type("Group").unwrap();
    let ids: Vec<String> = (0..n).map(|i| format!("u{i:07}")).collect();
    rt.block_on(async {
        let started = std::time::Instant::now();
        let mut tx = db.begin_write().await.unwrap();
        for (i, id) in ids.iter().enumerate() {
            let doc = document(&registry, i);
            postgres::insert(
                &mut tx,
                &Target::new(TENANT, users, id),
                &DocumentWrite::new(&doc),
                &[],
                now(),
            )
            .await
            .unwrap();
        }
        let big: Vec<Member> = ids
            .iter()
            .map(|id| Member::new(id.clone(), "User"))
            .collect();
        let group = serde_json::json!({"displayName": "everyone"});
        postgres::insert(
            &mut tx,
            &Target::new(TENANT, groups, "big"),
            &DocumentWrite::new(&group),
            &big,
            now(),
        )
        .await
        .unwrap();
        let group = serde_json::json!({"displayName": "ten"});
        postgres::insert(
            &mut tx,
            &Target::new(TENANT, groups, "small"),
            &DocumentWrite::new(&group),
            &big[..10],
            now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        sqlx::query("VACUUM ANALYZE")
            .execute(db.pool())
            .await
            .unwrap();
        eprintln!(
            "loaded {n} users (one transaction, one INSERT per row) and the groups in {:.1?}",
            started.elapsed()
        );
    });

    let mut g = c.benchmark_group(format!("postgres_{n}_users"));
    g.sample_size(20).measurement_time(Duration::from_secs(4));

    let mut i = 0usize;
    g.bench_function("userName eq (parse, plan, query)", |b| {
        b.iter(|| {
            i = (i + 7919) % n;
            let f = format!(r#"userName eq "{}""#, population::user_name(i));
            let filter = scimkit_filter::parse(&f).unwrap();
            let plan = Translator::new(users, &PostgresDialect)
                .plan(&filter)
                .unwrap();
            let rows = rt.block_on(async {
                let mut conn = db.pool().acquire().await.unwrap();
                postgres::query(&mut conn, TENANT, "User", &Query::from_plan(&plan))
                    .await
                    .unwrap()
            });
            assert_eq!(rows.len(), 1);
            black_box(rows);
        });
    });

    let unchecked = rt
        .block_on(PostgresDatabase::connect(
            &url,
            &PostgresOptions::new().test_before_acquire(false),
        ))
        .unwrap();
    g.bench_function(
        "userName eq (parse, plan, query), pool without test_before_acquire",
        |b| {
            b.iter(|| {
                i = (i + 7919) % n;
                let f = format!(r#"userName eq "{}""#, population::user_name(i));
                let filter = scimkit_filter::parse(&f).unwrap();
                let plan = Translator::new(users, &PostgresDialect)
                    .plan(&filter)
                    .unwrap();
                let rows = rt.block_on(async {
                    let mut conn = unchecked.pool().acquire().await.unwrap();
                    postgres::query(&mut conn, TENANT, "User", &Query::from_plan(&plan))
                        .await
                        .unwrap()
                });
                assert_eq!(rows.len(), 1);
                black_box(rows);
            });
        },
    );

    let filter = scimkit_filter::parse(r#"userName eq "user0042@example.com""#).unwrap();
    g.bench_function("userName eq: plan only", |b| {
        b.iter(|| {
            black_box(
                Translator::new(users, &PostgresDialect)
                    .plan(&filter)
                    .unwrap(),
            )
        });
    });
    let mut conn = rt.block_on(db.pool().acquire()).unwrap();
    let mut j = 0usize;
    g.bench_function("userName eq (parse, plan, query), held connection", |b| {
        b.iter(|| {
            j = (j + 7919) % n;
            let f = format!(r#"userName eq "{}""#, population::user_name(j));
            let filter = scimkit_filter::parse(&f).unwrap();
            let plan = Translator::new(users, &PostgresDialect)
                .plan(&filter)
                .unwrap();
            let q = Query::from_plan(&plan);
            let rows = rt
                .block_on(postgres::query(&mut conn, TENANT, "User", &q))
                .unwrap();
            assert_eq!(rows.len(), 1);
            black_box(rows);
        });
    });
    g.bench_function("round trip floor: SELECT 1, held connection", |b| {
        b.iter(|| {
            let one: i64 = rt
                .block_on(sqlx::query_scalar("SELECT 1::int8").fetch_one(&mut *conn))
                .unwrap();
            black_box(one);
        });
    });
    drop(conn);

    let mut next = n;
    g.bench_function("insert (own transaction, committed)", |b| {
        b.iter_batched(
            || {
                next += 1;
                (format!("u{next:07}"), document(&registry, next))
            },
            |(id, doc)| {
                rt.block_on(async {
                    let mut tx = db.begin_write().await.unwrap();
                    let target = Target::new(TENANT, users, &id);
                    postgres::insert(&mut tx, &target, &DocumentWrite::new(&doc), &[], now())
                        .await
                        .unwrap();
                    tx.commit().await.unwrap();
                });
            },
            BatchSize::SmallInput,
        );
    });

    for (group, size) in [("big", n), ("small", 10)] {
        let mut k = 0usize;
        let outsider = [Member::new("outsider", "User")];
        let outsider_id = [outsider[0].id.clone()];
        g.bench_function(
            format!("add or remove one member, group of {size} (committed)"),
            |b| {
                b.iter(|| {
                    // Alternately add and remove one user: the group's size holds.
                    k += 1;
                    let change = if k.is_multiple_of(2) {
                        MemberChange::Delta {
                            add: &[],
                            remove: &outsider_id,
                        }
                    } else {
                        MemberChange::Delta {
                            add: &outsider,
                            remove: &[],
                        }
                    };
                    rt.block_on(async {
                        let mut tx = db.begin_write().await.unwrap();
                        let target = Target::new(TENANT, groups, group);
                        postgres::update(&mut tx, &target, None, None, change, now())
                            .await
                            .unwrap();
                        tx.commit().await.unwrap();
                    });
                });
            },
        );
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
