//! Paging at depth over a `MemoryStore`: an index page and an RFC 9865 cursor page of 100,
//! first and deep (`startIndex` near the end; a cursor issued there), with a filter the
//! indexes cannot answer (`active eq true`) and sorted by `userName`.
//!
//! `cargo bench -p scimkit-dispatch --bench paging`; `SCIMKIT_BENCH_USERS` sets the number of
//! users (20,000 by default).
#![allow(missing_docs, clippy::unwrap_used)]

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use futures_executor::block_on;
use scimkit_dispatch::{BearerTokens, Config, CursorKey, Dispatcher, MemoryStore, TenantId};
use std::hint::black_box;

#[path = "support/user.rs"]
mod support_user;
use support_user::user;

const TOKEN: &str = "bench-token";
const QUERY: &str = "filter=active%20eq%20true&sortBy=userName&count=100";

fn users() -> usize {
    std::env::var("SCIMKIT_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000)
}

fn get(scim: &Dispatcher<MemoryStore, BearerTokens>, uri: &str) -> serde_json::Value {
    let req = http::Request::get(uri)
        .header("Authorization", format!("Bearer {TOKEN}"))
        .body(Bytes::new())
        .unwrap();
    let resp = block_on(scim.handle_bytes(req));
    assert_eq!(resp.status(), 200);
    serde_json::from_slice(resp.body()).unwrap()
}

fn benches(c: &mut Criterion) {
    let n = users();
    let tokens = BearerTokens::new();
    tokens.insert(TOKEN, TenantId::new("bench"));
    let config = Config::default().with_cursor_keys([CursorKey::new([9u8; 32]).unwrap()]);
    let scim = Dispatcher::builder(MemoryStore::new(), tokens)
        .config(config)
        .build();
    for i in 0..n {
        let req = http::Request::post("/Users")
            .header("Authorization", format!("Bearer {TOKEN}"))
            .header("Content-Type", "application/scim+json")
            .body(Bytes::from(user(i)))
            .unwrap();
        assert_eq!(block_on(scim.handle_bytes(req)).status(), 201);
    }
    // A cursor 100 resources before the end, by walking there.
    let mut cursor = String::new();
    for _ in 0..(n / 100).saturating_sub(1) {
        let page = get(&scim, &format!("/Users?{QUERY}&cursor={cursor}"));
        cursor = page["nextCursor"].as_str().unwrap().to_string();
    }
    let deep_index = n.saturating_sub(99);
    let mut g = c.benchmark_group(format!("paging_{n}_users"));
    g.bench_function("index_page_first", |b| {
        b.iter(|| black_box(get(&scim, &format!("/Users?{QUERY}&startIndex=1"))))
    });
    g.bench_function("index_page_deep", |b| {
        b.iter(|| {
            black_box(get(
                &scim,
                &format!("/Users?{QUERY}&startIndex={deep_index}"),
            ))
        })
    });
    g.bench_function("cursor_page_first", |b| {
        b.iter(|| black_box(get(&scim, &format!("/Users?{QUERY}&cursor="))))
    });
    g.bench_function("cursor_page_deep", |b| {
        b.iter(|| black_box(get(&scim, &format!("/Users?{QUERY}&cursor={cursor}"))))
    });
    g.finish();
}

criterion_group! {
    name = paging;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = benches
}
criterion_main!(paging);
