//! Issue 11's million-user figures on PostgreSQL, built on demand (ignored by default: a
//! quarter of an hour and a few GB of temporary disk):
//!
//! `cargo test --profile bench -p scimkit-sql --test pg_scale -- --ignored --nocapture`
//!
//! Builds a fresh database (on `DATABASE_URL`'s server, else a private one started from the
//! system binaries with `fsync=off`, as the `pg_*` tests do) holding 1,000,000 users
//! (`SCIMKIT_SCALE_USERS` sets another number) with two emails each (`work`, `home`), a group
//! of 100,000 of them and a group of 10. Loading goes through the write layer
//! (`postgres::insert`: one `INSERT` per resource and one for its emails, the rows the Store
//! writes) in transactions of 10,000 on two connections at once. Then `VACUUM ANALYZE`, and
//! each operation is timed one at a time through the `Store` API (the member changes through
//! the write layer and a commit, as `benches/postgres.rs` does; Okta's walk also through a
//! dispatcher), printing p50 and p99 as a markdown table for docs/performance.md. The
//! database is dropped at the end.
//!
//! `SCIMKIT_SCALE_SAMPLES` (default 2,000) is the number of samples per row; a row stops
//! early when its time budget is spent (operations that count every match), and the table
//! says how many samples each row has.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::too_many_lines
)]

mod pg_support;

use chrono::{DateTime, SecondsFormat, Utc};
use scimkit_dispatch::{
    BearerTokens, Config, Dispatcher, Keyset, KeysetPosition, Query, Store, TenantId,
};
use scimkit_filter::SortOrder;
use scimkit_schema::{Profile, Registry, ResourceSchema};
use scimkit_sql::dialect::PostgresDialect;
use scimkit_sql::keyset::{self, KeysetSql};
use scimkit_sql::postgres::{
    self, DocumentWrite, Member, MemberChange, PostgresOptions, PostgresStore, Target,
};
use scimkit_sql::translate::Translator;
use scimkit_testkit::population;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TENANT: &str = "scale";
const TOKEN: &str = "scale-token";
const BATCH: usize = 10_000;
const LOADERS: usize = 2;
const BIG_GROUP: usize = 100_000;
const PAGE: usize = 200;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn base_time() -> DateTime<Utc> {
    DateTime::from_timestamp(1_764_547_200, 0).unwrap()
}

/// User `i`'s creation and modification time: one second after user `i - 1`'s.
fn modified(i: usize) -> DateTime<Utc> {
    base_time() + chrono::Duration::seconds(i64::try_from(i).unwrap())
}

/// User `i`'s id: spread over the id order as the stores' random UUIDs are (a bijective mix
/// of `i`, so ids never collide), not in creation order.
fn id(i: usize) -> String {
    let mut x = u64::try_from(i)
        .unwrap()
        .wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    format!("{x:016x}")
}

/// The ids of users `0..n` in id order (bytes): `ids_in_order(n)[d]` is the user at depth `d`
/// of an `id`-ordered walk.
fn ids_in_order(n: usize) -> Vec<String> {
    let mut ids: Vec<String> = (0..n).map(id).collect();
    ids.sort_unstable();
    ids
}

/// User `i` of the testkit population with two emails: its `work` email (its userName) and a
/// `home` one, added where the population gives fewer.
fn user(i: usize) -> Value {
    let mut u = population::user(i);
    let emails = u
        .as_object_mut()
        .unwrap()
        .entry("emails")
        .or_insert_with(|| json!([{"value": population::user_name(i), "type": "work"}]))
        .as_array_mut()
        .unwrap();
    if emails.len() < 2 {
        emails.push(json!({"value": format!("home{i}@mail.test"), "type": "home"}));
    }
    u
}

fn document(users: &ResourceSchema<'_>, body: Value) -> Value {
    let mut doc = users.validate_create(body, &Profile::default()).unwrap();
    doc.as_object_mut().unwrap().remove("meta");
    doc
}

/// Loads users `0..n` through `postgres::insert`, in transactions of [`BATCH`] on
/// [`LOADERS`] connections; the number of email rows written.
async fn load_users(store: &PostgresStore, n: usize) -> usize {
    let next = Arc::new(AtomicUsize::new(0));
    let emails = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..LOADERS {
        let (store, next, emails) = (store.clone(), next.clone(), emails.clone());
        tasks.push(tokio::spawn(async move {
            let registry = Registry::standard();
            let users = registry.resource_type("User").unwrap();
            loop {
                let start = next.fetch_add(BATCH, Ordering::Relaxed);
                if start >= n {
                    break;
                }
                let mut tx = store.database().begin_write().await.unwrap();
                for i in start..(start + BATCH).min(n) {
                    let doc = document(&users, user(i));
                    emails.fetch_add(doc["emails"].as_array().unwrap().len(), Ordering::Relaxed);
                    let id = id(i);
                    postgres::insert(
                        &mut tx,
                        &Target::new(TENANT, users, &id),
                        &DocumentWrite::new(&doc),
                        &[],
                        modified(i),
                    )
                    .await
                    .unwrap();
                }
                tx.commit().await.unwrap();
                let done = (start + BATCH).min(n);
                if done.is_multiple_of(100_000) || done == n {
                    eprintln!(
                        "  batch ending at {done} committed, {:.0} s in",
                        started.elapsed().as_secs_f64()
                    );
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    emails.load(Ordering::Relaxed)
}

/// p50 and p99 of one operation.
struct Row {
    label: String,
    target: String,
    samples: usize,
    p50: Duration,
    p99: Duration,
}

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    let k = ((sorted.len() as f64 - 1.0) * q).round();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    sorted[k as usize]
}

/// Times `op(k)` for `k = 0, 1, …` up to `samples` times, or until `budget` is spent (at
/// least 20 samples), after 5 untimed warm-up calls.
async fn measure(
    label: impl Into<String>,
    target: &str,
    samples: usize,
    budget: Duration,
    mut op: impl AsyncFnMut(usize),
) -> Row {
    for k in 0..5 {
        op(k).await;
    }
    let mut times = Vec::with_capacity(samples);
    let started = Instant::now();
    for k in 0..samples {
        let t = Instant::now();
        op(k + 5).await;
        times.push(t.elapsed());
        if times.len() >= 20 && started.elapsed() > budget {
            break;
        }
    }
    times.sort();
    let row = Row {
        label: label.into(),
        target: target.into(),
        samples: times.len(),
        p50: quantile(&times, 0.5),
        p99: quantile(&times, 0.99),
    };
    eprintln!(
        "  {}: p50 {:?}, p99 {:?} ({} samples)",
        row.label, row.p50, row.p99, row.samples
    );
    row
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn ratio(a: &Row, b: &Row) -> String {
    format!("{:.2}×", a.p50.as_secs_f64() / b.p50.as_secs_f64())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// `url` with its database replaced by `postgres`, and the database's name.
fn admin_url(url: &str) -> (String, String) {
    let (base, name) = url.rsplit_once('/').unwrap();
    (format!("{base}/postgres"), name.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a quarter of an hour and GBs of disk: run on demand with --ignored"]
async fn a_million_users_on_postgres() {
    let n = env_usize("SCIMKIT_SCALE_USERS", 1_000_000);
    let samples = env_usize("SCIMKIT_SCALE_SAMPLES", 2_000);
    assert!(n >= 4_000, "at least 4,000 users");
    // 100,000 members (a quarter of the users for a small smoke run).
    let big_group = BIG_GROUP.min(n / 4);
    let url = database_or_skip!("pg_scale");
    // The measuring pool: held open (min = max), no check round trip before each use.
    let options = PostgresOptions::new()
        .max_connections(4)
        .min_connections(4)
        .test_before_acquire(false)
        .statement_timeout(Some(Duration::from_secs(120)));
    let pool_settings = format!(
        "max_connections {}, min_connections {}, test_before_acquire {}, statement_timeout \
         {:?}, acquire_timeout {:?}",
        options.max_connections,
        options.min_connections,
        options.test_before_acquire,
        options.statement_timeout.unwrap(),
        options.acquire_timeout
    );
    let store = PostgresStore::connect(&url, &options).await.unwrap();
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let groups = registry.resource_type("Group").unwrap();
    let tenant = TenantId::new(TENANT);
    let server_version: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(store.database().pool())
        .await
        .unwrap();
    eprintln!(
        "PostgreSQL {server_version}; load average before loading: {}",
        load_average()
    );

    // Loading.
    let started = Instant::now();
    let email_rows = load_users(&store, n).await;
    let users_secs = started.elapsed().as_secs_f64();
    let group_started = Instant::now();
    {
        let big: Vec<Member> = (0..big_group).map(|i| Member::new(id(i), "User")).collect();
        let mut tx = store.database().begin_write().await.unwrap();
        for (gid, name, members) in [("big", "everyone", &big[..]), ("small", "ten", &big[..10])] {
            let doc = json!({"displayName": name});
            postgres::insert(
                &mut tx,
                &Target::new(TENANT, groups, gid),
                &DocumentWrite::new(&doc),
                members,
                base_time(),
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
    }
    let groups_secs = group_started.elapsed().as_secs_f64();
    let vacuum_started = Instant::now();
    {
        // No statement timeout for this one.
        let mut conn = store.database().pool().acquire().await.unwrap();
        for sql in [
            "SET statement_timeout = 0",
            "VACUUM ANALYZE",
            "RESET statement_timeout",
        ] {
            sqlx::query(sql).execute(&mut *conn).await.unwrap();
        }
    }
    let vacuum_secs = vacuum_started.elapsed().as_secs_f64();
    let size: String =
        sqlx::query_scalar("SELECT pg_size_pretty(pg_database_size(current_database()))")
            .fetch_one(store.database().pool())
            .await
            .unwrap();
    let load = format!(
        "{n} users and {email_rows} email rows in {users_secs:.1} s ({:.0} users/s: \
         `postgres::insert`, one `INSERT` per user plus one for its emails, transactions of \
         {BATCH}, {LOADERS} connections at once); the two groups ({big_group} + 10 members, \
         one `INSERT … SELECT unnest(…)` each) in {groups_secs:.1} s; `VACUUM ANALYZE` in \
         {vacuum_secs:.1} s; database {size}",
        n as f64 / users_secs
    );
    eprintln!("loaded: {load}");
    eprintln!("load average before measuring: {}", load_average());

    let mut rows = Vec::new();
    let fast = Duration::from_secs(60);
    let slow = Duration::from_secs(45);

    // Lookups through the Store: parse, plan, query (a page of up to 100, with its total).
    let lookup = async |f: String, expect: usize| {
        let filter = scimkit_filter::parse(&f).unwrap();
        let plan = store.plan(&users, Some(&filter), None);
        assert!(plan.residual.is_none(), "{f}");
        let q = Query::all(users)
            .filtered(plan.native.as_ref())
            .page(0, 100);
        let page = store.query(&tenant, q).await.unwrap();
        assert_eq!(page.total, expect, "{f}");
    };
    let pick = |k: usize| (k * 7919) % n;
    rows.push(
        measure("`userName eq`", "≤ 0.5 ms", samples, fast, async |k| {
            lookup(
                format!(r#"userName eq "{}""#, population::user_name(pick(k))),
                1,
            )
            .await;
        })
        .await,
    );
    rows.push(
        measure("`externalId eq`", "≤ 0.5 ms", samples, fast, async |k| {
            // Even users have an externalId.
            lookup(format!(r#"externalId eq "ext-{}""#, pick(k) & !1), 1).await;
        })
        .await,
    );
    rows.push(
        measure(
            "`emails[type eq \"work\"].value eq`",
            "≤ 0.5 ms",
            samples,
            fast,
            async |k| {
                let i = pick(k);
                let f = format!(
                    r#"emails[type eq "work"].value eq "{}""#,
                    population::user_name(i)
                );
                lookup(f, 1).await;
            },
        )
        .await,
    );
    rows.push(
        measure(
            "get by `id` (with `groups`)",
            "≤ 0.5 ms",
            samples,
            fast,
            async |k| {
                let got = store.get(&tenant, "User", &id(pick(k))).await.unwrap();
                assert!(got.is_some());
            },
        )
        .await,
    );
    rows.push(
        measure(
            "`displayName co \"abc12\"` (no match: a trigram search)",
            "≤ 10 ms",
            samples,
            fast,
            async |_| lookup(r#"displayName co "abc12""#.into(), 0).await,
        )
        .await,
    );
    // `meta.lastModified gt` pages: an incremental sync's recent window (the 1,000 users
    // changed last) and the newer half (499,999), in the shapes a server serves them.
    let by_modified = scimkit_filter::parse_attr_path("meta.lastModified").unwrap();
    for (window, matching, target) in [
        ("the 1,000 changed last", 1_000, "≤ 2 ms"),
        ("the newer half", n - n / 2 - 1, ""),
    ] {
        let since_text = modified(n - matching - 1).to_rfc3339_opts(SecondsFormat::Secs, true);
        let since = format!(r#"meta.lastModified gt "{since_text}""#);
        let since_filter = scimkit_filter::parse(&since).unwrap();
        let since_plan = store.plan(&users, Some(&since_filter), Some(&by_modified));
        assert!(since_plan.residual.is_none() && since_plan.keyset);
        let native = since_plan.native.as_ref();
        // A page of 100 in keyset order: `id` order, or `sortBy=meta.lastModified`.
        let page = async |sorted: bool, with_total: bool| {
            let mut q = Query::all(users)
                .filtered(native)
                .page(0, 100)
                .keyset(Keyset::first());
            if sorted {
                q = q.sorted(&by_modified, SortOrder::Ascending);
            }
            q.with_total = with_total;
            let got = store.query(&tenant, q).await.unwrap();
            assert_eq!(got.resources.len(), 100);
            if with_total {
                assert_eq!(got.total, matching);
            }
        };
        rows.push(
            measure(
                format!(
                    "`{since}` ({window}: {matching}), index page of 100 as the server serves \
                     it (keyset `id` order, with `totalResults`)"
                ),
                target,
                samples,
                slow,
                async |_| page(false, true).await,
            )
            .await,
        );
        rows.push(
            measure(
                "the same, index page `sortBy=meta.lastModified` (with `totalResults`: an \
                 incremental sync by index pages)",
                target,
                samples,
                fast,
                async |_| page(true, true).await,
            )
            .await,
        );
        rows.push(
            measure(
                "the same, cursor page `sortBy=meta.lastModified` (no total)",
                target,
                samples,
                fast,
                async |_| page(true, false).await,
            )
            .await,
        );
        rows.push(
            measure(
                "the same, cursor page in `id` order (no total)",
                target,
                samples,
                fast,
                async |_| page(false, false).await,
            )
            .await,
        );
        rows.push(
            measure(
                "the same, `startIndex=1` without index walks (default order, with \
                 `totalResults`)",
                "",
                samples,
                slow,
                async |_| {
                    let q = Query::all(users).filtered(native).page(0, 100);
                    let got = store.query(&tenant, q).await.unwrap();
                    assert_eq!((got.resources.len(), got.total), (100, matching));
                },
            )
            .await,
        );

        // What PostgreSQL reads for them: the plans of the first three shapes' pages.
        let plan = Translator::new(users, &PostgresDialect)
            .plan(&since_filter)
            .unwrap();
        let mut conn = store.database().pool().acquire().await.unwrap();
        for (shape, key) in [
            ("keyset `id` order", None),
            (
                "`sortBy=meta.lastModified`",
                keyset::KeyColumn::for_sort(&users, &by_modified),
            ),
        ] {
            let sql = KeysetSql::new(key, SortOrder::Ascending, None).unwrap();
            let segment = &sql.segments[0];
            let condition = keyset::and(plan.native.as_ref(), segment.condition.as_ref());
            let q = postgres::Query {
                condition: condition.as_ref(),
                order: Some(&segment.order),
                page: Some(postgres::Page {
                    offset: 0,
                    limit: 100,
                }),
            };
            let lines = postgres::explain_keyset_page(&mut conn, TENANT, "User", &q)
                .await
                .unwrap();
            eprintln!(
                "  EXPLAIN, {window}, {shape}:\n    {}",
                lines.join("\n    ")
            );
        }
    }

    // Member changes through the write layer, committed (as benches/postgres.rs).
    let outsider = [Member::new(id(n - 1), "User")];
    let outsider_id = [outsider[0].id.clone()];
    let db = store.database().clone();
    let mut member_rows = Vec::new();
    for (gid, size) in [("big", big_group), ("small", 10)] {
        member_rows.push(
            measure(
                format!("add or remove one member, group of {size} (write layer, committed)"),
                "≤ 2 ms, within 1.5×",
                samples,
                fast,
                async |k| {
                    let change = if k.is_multiple_of(2) {
                        MemberChange::Delta {
                            add: &outsider,
                            remove: &[],
                        }
                    } else {
                        MemberChange::Delta {
                            add: &[],
                            remove: &outsider_id,
                        }
                    };
                    let mut tx = db.begin_write().await.unwrap();
                    postgres::update(
                        &mut tx,
                        &Target::new(TENANT, groups, gid),
                        None,
                        None,
                        change,
                        base_time(),
                    )
                    .await
                    .unwrap();
                    tx.commit().await.unwrap();
                },
            )
            .await,
        );
    }
    // 1,000 users outside the big group, added in one change, then removed in one change.
    let thousand: Vec<Member> = (big_group..big_group + 1_000)
        .map(|i| Member::new(id(i), "User"))
        .collect();
    let thousand_ids: Vec<String> = thousand.iter().map(|m| m.id.clone()).collect();
    let mut remove_times = Vec::new();
    let mut add_row = measure(
        format!("add 1,000 members in one change, group of {big_group} (write layer, committed)"),
        "≤ 50 ms",
        samples,
        slow,
        async |_| {
            let target = Target::new(TENANT, groups, "big");
            let mut tx = db.begin_write().await.unwrap();
            let add = MemberChange::Delta {
                add: &thousand,
                remove: &[],
            };
            postgres::update(&mut tx, &target, None, None, add, base_time())
                .await
                .unwrap();
            tx.commit().await.unwrap();
            // Untimed in this row: the same 1,000 removed again (timed below).
            let t = Instant::now();
            let mut tx = db.begin_write().await.unwrap();
            let remove = MemberChange::Delta {
                add: &[],
                remove: &thousand_ids,
            };
            postgres::update(&mut tx, &target, None, None, remove, base_time())
                .await
                .unwrap();
            tx.commit().await.unwrap();
            remove_times.push(t.elapsed());
        },
    )
    .await;
    // `measure` timed add + remove: take the removals out of each sample's time.
    {
        remove_times.drain(..5);
        let mut removes = remove_times.clone();
        removes.sort();
        let remove_row = Row {
            label: "remove the same 1,000 in one change (write layer, committed)".into(),
            target: String::new(),
            samples: removes.len(),
            p50: quantile(&removes, 0.5),
            p99: quantile(&removes, 0.99),
        };
        add_row.label = format!(
            "{} (add + remove; add alone ≈ this − next row)",
            add_row.label
        );
        member_rows.push(add_row);
        member_rows.push(remove_row);
    }
    rows.extend(member_rows);

    // Keyset pages through the Store (as benches/postgres_keyset.rs), id order, pages of 200.
    let in_id_order = ids_in_order(n);
    let deep = n * 9 / 10;
    let deep_position = KeysetPosition::new(Value::Null, &in_id_order[deep - 1]);
    let cursor_page = async |keyset: Keyset<'_>| {
        let mut q = Query::all(users).page(0, PAGE).keyset(keyset);
        q.with_total = false;
        let got = store.query(&tenant, q).await.unwrap();
        assert_eq!(got.resources.len(), PAGE);
    };
    let first_cursor = measure(
        "cursor page 1 (keyset, 200 users, no total)",
        "",
        samples,
        fast,
        async |_| cursor_page(Keyset::first()).await,
    )
    .await;
    let mut deep_cursor = measure(
        format!("cursor page at depth {deep} (keyset, 200 users, no total)"),
        "within 2× of page 1",
        samples,
        fast,
        async |_| cursor_page(Keyset::after(&deep_position)).await,
    )
    .await;
    deep_cursor.target = format!(
        "within 2× of page 1: {}",
        ratio(&deep_cursor, &first_cursor)
    );
    rows.push(first_cursor);
    rows.push(deep_cursor);

    // Okta's walk as the dispatcher reads its next page: the page after the remembered
    // position counting what follows it, and a count of every match; against the first index
    // page in keyset order (with its total).
    let walk_offset = n - PAGE;
    let walk_position = KeysetPosition::new(Value::Null, &in_id_order[walk_offset - 1]);
    let first_index = measure(
        "index page `startIndex=1` as the walk reads it (keyset order, with total)",
        "",
        samples,
        slow,
        async |_| {
            let q = Query::all(users).page(0, PAGE).keyset(Keyset::first());
            let got = store.query(&tenant, q).await.unwrap();
            assert_eq!((got.resources.len(), got.total), (PAGE, n));
        },
    )
    .await;
    let mut last_index = measure(
        format!(
            "index page `startIndex={}` after the position of user {walk_offset} (page \
             counting what follows + a count of all, as the dispatcher's walk)",
            walk_offset + 1
        ),
        "within 2× of `startIndex=1`",
        samples,
        slow,
        async |_| {
            let q = Query::all(users)
                .page(0, PAGE)
                .keyset(Keyset::after(&walk_position).counting_after());
            let rest = store.query(&tenant, q).await.unwrap();
            let all = Query::all(users).page(0, 0).keyset(Keyset::first());
            let all = store.query(&tenant, all).await.unwrap();
            assert_eq!(all.total - rest.total, walk_offset);
            assert_eq!(rest.resources.len(), PAGE);
        },
    )
    .await;
    last_index.target = format!("within 2×: {}", ratio(&last_index, &first_index));
    rows.push(first_index);
    rows.push(last_index);

    // The same through a dispatcher that remembers walks (HTTP request in, JSON out): the
    // page before the last (an `OFFSET` page: untimed), then the last page, timed; against
    // `startIndex=1`. Each sample needs its own offset page first, hence few samples.
    let tokens = BearerTokens::new();
    tokens.insert(TOKEN, tenant.clone());
    let dispatcher = Dispatcher::builder(store.clone(), tokens)
        .config(Config::default().with_index_walks(8))
        .build();
    let get = async |start: usize| {
        let request = http::Request::builder()
            .uri(format!("/Users?startIndex={start}&count={PAGE}"))
            .header("Authorization", format!("Bearer {TOKEN}"))
            .body(bytes::Bytes::new())
            .unwrap();
        let response = dispatcher.handle_bytes(request).await;
        assert_eq!(response.status(), 200);
        let body: Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(body["Resources"].as_array().unwrap().len(), PAGE);
        assert_eq!(body["totalResults"], json!(n));
    };
    let walk_samples = env_usize("SCIMKIT_SCALE_WALK_SAMPLES", 20);
    let first_http = measure(
        "dispatcher: `GET /Users?startIndex=1&count=200`",
        "",
        samples,
        slow,
        async |_| get(1).await,
    )
    .await;
    let mut walk_times = Vec::new();
    let walk_started = Instant::now();
    for _ in 0..walk_samples {
        get(walk_offset + 1 - PAGE).await;
        let t = Instant::now();
        get(walk_offset + 1).await;
        walk_times.push(t.elapsed());
    }
    let walk_secs = walk_started.elapsed().as_secs_f64();
    walk_times.sort();
    let mut last_http = Row {
        label: format!(
            "dispatcher: `startIndex={}` right after `startIndex={}` (walk remembered)",
            walk_offset + 1,
            walk_offset + 1 - PAGE
        ),
        target: String::new(),
        samples: walk_times.len(),
        p50: quantile(&walk_times, 0.5),
        p99: quantile(&walk_times, 0.99),
    };
    last_http.target = format!("within 2×: {}", ratio(&last_http, &first_http));
    eprintln!(
        "  {}: p50 {:?}, p99 {:?} ({} samples, {walk_secs:.0} s with the offset pages)",
        last_http.label, last_http.p50, last_http.p99, last_http.samples
    );
    rows.push(first_http);
    rows.push(last_http);

    println!("\n{n} users, {email_rows} emails; pool: {pool_settings}");
    println!("loading: {load}");
    println!("load average after measuring: {}\n", load_average());
    println!("| operation | p50 | p99 | samples | target |");
    println!("|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} |",
            r.label,
            ms(r.p50),
            ms(r.p99),
            r.samples,
            r.target
        );
    }

    // Drop the database.
    drop(dispatcher);
    store.database().close().await;
    drop(store);
    drop(db);
    let (admin, name) = admin_url(&url);
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    eprintln!("dropped database {name}");
}
