//! In-process dispatcher benchmarks with 100,000 users in a `MemoryStore`: GET by id,
//! `filter=userName eq`, POST, PATCH (Entra ID shape) and a list page of 100.
//!
//! `cargo bench -p scimkit-dispatch --bench dispatch`; `SCIMKIT_BENCH_USERS=1000000` loads
//! another number of users (the group is then named `dispatch_{n}_users`).
#![allow(missing_docs, clippy::unwrap_used)]

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use futures_executor::block_on;
use scimkit_dispatch::{BearerTokens, Dispatcher, MemoryStore, TenantId};
use serde_json::json;
use std::hint::black_box;

/// How many users to load: `SCIMKIT_BENCH_USERS`, 100,000 by default.
fn users() -> usize {
    std::env::var("SCIMKIT_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}
const TOKEN: &str = "bench-token";

type Scim = Dispatcher<MemoryStore, BearerTokens>;

#[path = "support/user.rs"]
mod support_user;
use support_user::user;

fn req(method: &str, uri: &str, body: Option<&[u8]>) -> http::Request<Bytes> {
    let mut b = http::Request::builder()
        .method(method)
        .uri(uri)
        .header("Authorization", format!("Bearer {TOKEN}"));
    if body.is_some() {
        b = b.header("Content-Type", "application/scim+json");
    }
    b.body(Bytes::copy_from_slice(body.unwrap_or_default()))
        .unwrap()
}

fn setup(users: usize) -> (Scim, Vec<String>) {
    let tokens = BearerTokens::new();
    tokens.insert(TOKEN, TenantId::new("bench"));
    let scim = Dispatcher::new(MemoryStore::new(), tokens);
    let mut ids = Vec::with_capacity(users);
    for i in 0..users {
        let resp = block_on(scim.handle_bytes(req("POST", "/Users", Some(&user(i)))));
        assert_eq!(resp.status(), 201);
        let v: serde_json::Value = serde_json::from_slice(resp.body()).unwrap();
        ids.push(v["id"].as_str().unwrap().to_string());
    }
    (scim, ids)
}

fn benches(c: &mut Criterion) {
    let users = users();
    let (scim, ids) = setup(users);
    let name = match users {
        100_000 => "dispatch_100k_users".to_string(),
        n => format!("dispatch_{n}_users"),
    };
    let mut g = c.benchmark_group(name);
    let mut n = 0usize;
    g.bench_function("get_by_id", |b| {
        b.iter(|| {
            n = (n + 7919) % users;
            let r = block_on(scim.handle_bytes(req("GET", &format!("/Users/{}", ids[n]), None)));
            black_box(r)
        })
    });
    g.bench_function("filter_userName_eq", |b| {
        b.iter(|| {
            n = (n + 7919) % users;
            let uri = format!("/Users?filter=userName%20eq%20%22USER{n}@example.com%22");
            let r = block_on(scim.handle_bytes(req("GET", &uri, None)));
            debug_assert!(r.body().len() > 200);
            black_box(r)
        })
    });
    let mut next = users;
    g.bench_function("post_user", |b| {
        b.iter(|| {
            next += 1;
            let body = user(next);
            let r = block_on(scim.handle_bytes(req("POST", "/Users", Some(&body))));
            black_box(r)
        })
    });
    let patch = serde_json::to_vec(&json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "changed@example.com"},
            {"op": "Replace", "path": "name.familyName", "value": "Changed"}
        ]
    }))
    .unwrap();
    g.bench_function("patch_entra_shape", |b| {
        b.iter(|| {
            n = (n + 7919) % users;
            let r = block_on(scim.handle_bytes(req(
                "PATCH",
                &format!("/Users/{}", ids[n]),
                Some(&patch),
            )));
            black_box(r)
        })
    });
    g.bench_function("list_page_of_100", |b| {
        b.iter(|| {
            n = (n + 7919) % (users.saturating_sub(100).max(1));
            let uri = format!("/Users?startIndex={}&count=100", n + 1);
            let r = block_on(scim.handle_bytes(req("GET", &uri, None)));
            black_box(r)
        })
    });
    g.finish();
}

criterion_group! {
    name = dispatch;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = benches
}
criterion_main!(dispatch);
