//! The provisioning policy's cost, side by side in one run: the same requests against a
//! dispatcher without hooks and against one wired to [`Provisioning`] (Entra ID tenant,
//! Tresorit rule set), each holding 1,000 users of the `dispatch` bench's shape.
//!
//! `cargo bench -p scimkit-dispatch --bench policy`; figures in docs/performance.md.
#![allow(missing_docs, clippy::unwrap_used)]

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use scimkit_dispatch::{
    block_on, BearerTokens, Dispatcher, Hooks, MemoryStore, Provisioning, TenantId,
};
use scimkit_dispatch::{Authenticator, Store};
use scimkit_policy::IdpDialect;
use serde_json::json;
use std::hint::black_box;

const USERS: usize = 1_000;
const TOKEN: &str = "bench-token-0123456789abcdef0123456789";

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

/// Loads the users; returns their ids.
fn load<S: Store, A: Authenticator, H: Hooks>(scim: &Dispatcher<S, A, H>) -> Vec<String> {
    (0..USERS)
        .map(|i| {
            let resp = block_on(scim.handle_bytes(req("POST", "/Users", Some(&user(i)))));
            assert_eq!(resp.status(), 201);
            let v: serde_json::Value = serde_json::from_slice(resp.body()).unwrap();
            v["id"].as_str().unwrap().to_string()
        })
        .collect()
}

fn run<S: Store, A: Authenticator, H: Hooks>(
    c: &mut Criterion,
    side: &str,
    scim: &Dispatcher<S, A, H>,
    first_new_user: &mut usize,
) {
    let ids = load(scim);
    let mut g = c.benchmark_group("policy_1000_users");
    let mut n = 0usize;
    g.bench_function(BenchmarkId::new("get_by_id", side), |b| {
        b.iter(|| {
            n = (n + 7919) % USERS;
            let r = block_on(scim.handle_bytes(req("GET", &format!("/Users/{}", ids[n]), None)));
            debug_assert_eq!(r.status(), 200);
            black_box(r)
        })
    });
    g.bench_function(BenchmarkId::new("filter_userName_eq", side), |b| {
        b.iter(|| {
            n = (n + 7919) % USERS;
            let uri = format!("/Users?filter=userName%20eq%20%22USER{n}@example.com%22");
            let r = block_on(scim.handle_bytes(req("GET", &uri, None)));
            debug_assert!(r.body().len() > 200);
            black_box(r)
        })
    });
    g.bench_function(BenchmarkId::new("post_user", side), |b| {
        b.iter(|| {
            *first_new_user += 1;
            let body = user(*first_new_user);
            let r = block_on(scim.handle_bytes(req("POST", "/Users", Some(&body))));
            debug_assert_eq!(r.status(), 201);
            black_box(r)
        })
    });
    let mut flip = false;
    g.bench_function(BenchmarkId::new("patch_entra_shape", side), |b| {
        b.iter(|| {
            n = (n + 7919) % USERS;
            flip = !flip;
            let patch = serde_json::to_vec(&json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [
                    {"op": "Replace", "path": "active", "value": if flip { "False" } else { "True" }},
                    {"op": "Replace", "path": "name.familyName", "value": format!("Changed{flip}")}
                ]
            }))
            .unwrap();
            let r = block_on(scim.handle_bytes(req(
                "PATCH",
                &format!("/Users/{}", ids[n]),
                Some(&patch),
            )));
            debug_assert_eq!(r.status(), 200);
            black_box(r)
        })
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    let mut next = USERS * 10;
    let tokens = BearerTokens::new();
    tokens.insert(TOKEN, TenantId::new("bench"));
    let plain = Dispatcher::new(MemoryStore::new(), tokens);
    run(c, "without_policy", &plain, &mut next);

    let prov = Provisioning::new();
    prov.create_tenant("bench", IdpDialect::EntraId).unwrap();
    prov.enable_provisioning_with_token("bench", TOKEN).unwrap();
    let with_policy = prov.dispatcher(MemoryStore::new()).build();
    run(c, "with_policy", &with_policy, &mut next);
}

criterion_group! {
    name = policy;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = benches
}
criterion_main!(policy);
