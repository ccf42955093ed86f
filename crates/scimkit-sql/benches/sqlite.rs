//! SQLite store benchmarks with 100,000 users on a temporary file (release build, WAL,
//! `synchronous = NORMAL`): a `userName eq` lookup (parse, plan, query), an insert committed in
//! its own transaction (the document prepared outside the timing), and adding or removing one member of a group of 100,000 and of a group of 10.
//!
//! `cargo bench -p scimkit-sql --bench sqlite`; `SCIMKIT_BENCH_USERS=1000` loads another number.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use scimkit_schema::{Profile, Registry};
use scimkit_sql::dialect::SqliteDialect;
use scimkit_sql::sqlite::{
    self, DocumentWrite, Member, MemberChange, Query, SqliteDatabase, SqliteOptions, Target,
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
    let dir = tempfile::tempdir().unwrap();
    let db = rt
        .block_on(SqliteDatabase::open(
            &dir.path().join("bench.db"),
            &SqliteOptions::new(),
        ))
        .unwrap();
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let groups = registry.resource_type("Group").unwrap();
    let ids: Vec<String> = (0..n).map(|i| format!("u{i:07}")).collect();
    rt.block_on(async {
        let mut tx = db.begin_write().await.unwrap();
        for (i, id) in ids.iter().enumerate() {
            let doc = document(&registry, i);
            sqlite::insert(
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
        sqlite::insert(
            &mut tx,
            &Target::new(TENANT, groups, "big"),
            &DocumentWrite::new(&group),
            &big,
            now(),
        )
        .await
        .unwrap();
        let group = serde_json::json!({"displayName": "ten"});
        sqlite::insert(
            &mut tx,
            &Target::new(TENANT, groups, "small"),
            &DocumentWrite::new(&group),
            &big[..10],
            now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        sqlx::query("ANALYZE").execute(db.pool()).await.unwrap();
    });

    let mut g = c.benchmark_group(format!("sqlite_{n}_users"));
    g.sample_size(20).measurement_time(Duration::from_secs(4));

    let mut i = 0usize;
    g.bench_function("userName eq (parse, plan, query)", |b| {
        b.iter(|| {
            i = (i + 7919) % n;
            let f = format!(r#"userName eq "{}""#, population::user_name(i));
            let filter = scimkit_filter::parse(&f).unwrap();
            let plan = Translator::new(users, &SqliteDialect)
                .plan(&filter)
                .unwrap();
            let rows = rt.block_on(async {
                let mut conn = db.pool().acquire().await.unwrap();
                sqlite::query(&mut conn, TENANT, "User", &Query::from_plan(&plan))
                    .await
                    .unwrap()
            });
            assert_eq!(rows.len(), 1);
            black_box(rows);
        });
    });

    let filter = scimkit_filter::parse(r#"userName eq "user0042@example.com""#).unwrap();
    g.bench_function("userName eq: plan only", |b| {
        b.iter(|| {
            black_box(
                Translator::new(users, &SqliteDialect)
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
            let plan = Translator::new(users, &SqliteDialect)
                .plan(&filter)
                .unwrap();
            let q = Query::from_plan(&plan);
            let rows = rt
                .block_on(sqlite::query(&mut conn, TENANT, "User", &q))
                .unwrap();
            assert_eq!(rows.len(), 1);
            black_box(rows);
        });
    });
    g.bench_function("round trip floor: SELECT 1, held connection", |b| {
        b.iter(|| {
            let one: i64 = rt
                .block_on(sqlx::query_scalar("SELECT 1").fetch_one(&mut *conn))
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
                    sqlite::insert(&mut tx, &target, &DocumentWrite::new(&doc), &[], now())
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
                        sqlite::update(&mut tx, &target, None, None, change, now())
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
