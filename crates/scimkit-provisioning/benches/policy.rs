//! The provisioning policy's cost, side by side in one run: the same requests against a
//! dispatcher without hooks and against one wired to [`Provisioning`] (Entra ID tenant,
//! Tresorit rule set), each holding 1,000 users of the `dispatch` bench's shape.
//!
//! `cargo bench -p scimkit-provisioning --bench policy`; figures in docs/performance.md.
#![allow(missing_docs, clippy::unwrap_used)]

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use futures_executor::block_on;
use scimkit_dispatch::{Authenticator, Store};
use scimkit_dispatch::{BearerTokens, Dispatcher, Hooks, MemoryStore, TenantId};
use scimkit_policy::IdpDialect;
use scimkit_provisioning::Provisioning;
use serde_json::json;
use std::hint::black_box;

const USERS: usize = 1_000;
const TOKEN: &str = "bench-token-0123456789abcdef0123456789";

#[path = "../../scimkit-dispatch/benches/support/user.rs"]
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
fn load<S: Store, A: Authenticator, H: Hooks<S>>(scim: &Dispatcher<S, A, H>) -> Vec<String> {
    (0..USERS)
        .map(|i| {
            let resp = block_on(scim.handle_bytes(req("POST", "/Users", Some(&user(i)))));
            assert_eq!(resp.status(), 201);
            let v: serde_json::Value = serde_json::from_slice(resp.body()).unwrap();
            v["id"].as_str().unwrap().to_string()
        })
        .collect()
}

/// One side: a dispatcher and the ids of its users.
struct Side<'a, S: Store, A: Authenticator, H: Hooks<S>> {
    name: &'static str,
    scim: &'a Dispatcher<S, A, H>,
    ids: Vec<String>,
}

impl<S: Store, A: Authenticator, H: Hooks<S>> Side<'_, S, A, H> {
    fn get(&self, n: usize) -> http::Response<Bytes> {
        let r = block_on(self.scim.handle_bytes(req(
            "GET",
            &format!("/Users/{}", self.ids[n]),
            None,
        )));
        debug_assert_eq!(r.status(), 200);
        r
    }

    fn filter(&self, n: usize) -> http::Response<Bytes> {
        let uri = format!("/Users?filter=userName%20eq%20%22USER{n}@example.com%22");
        let r = block_on(self.scim.handle_bytes(req("GET", &uri, None)));
        debug_assert!(r.body().len() > 200);
        r
    }

    fn post(&self, i: usize) -> http::Response<Bytes> {
        let r = block_on(
            self.scim
                .handle_bytes(req("POST", "/Users", Some(&user(i)))),
        );
        debug_assert_eq!(r.status(), 201);
        r
    }

    fn patch(&self, n: usize, flip: bool) -> http::Response<Bytes> {
        let patch = serde_json::to_vec(&json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "Replace", "path": "active", "value": if flip { "False" } else { "True" }},
                {"op": "Replace", "path": "name.familyName", "value": format!("Changed{flip}")}
            ]
        }))
        .unwrap();
        let uri = format!("/Users/{}", self.ids[n]);
        let r = block_on(self.scim.handle_bytes(req("PATCH", &uri, Some(&patch))));
        debug_assert_eq!(r.status(), 200);
        r
    }
}

fn benches(c: &mut Criterion) {
    let tokens = BearerTokens::new();
    tokens.insert(TOKEN, TenantId::new("bench"));
    let plain = Dispatcher::new(MemoryStore::new(), tokens);
    let prov = Provisioning::new();
    block_on(prov.create_tenant("bench", IdpDialect::EntraId)).unwrap();
    block_on(prov.enable_provisioning_with_token("bench", TOKEN)).unwrap();
    let with_policy = prov.dispatcher().build();
    let a = Side {
        name: "without_policy",
        ids: load(&plain),
        scim: &plain,
    };
    let b = Side {
        name: "with_policy",
        ids: load(&with_policy),
        scim: &with_policy,
    };

    // Each operation on both sides one after the other, so that both are measured under the
    // same machine load.
    let mut g = c.benchmark_group("policy_1000_users");
    let mut n = 0usize;
    let mut next = USERS * 10;
    let mut flip = false;
    macro_rules! both {
        ($op:literal, $call:expr) => {
            g.bench_function(BenchmarkId::new($op, a.name), |bench| {
                bench.iter(|| black_box($call(&a, &mut n, &mut next, &mut flip)))
            });
            g.bench_function(BenchmarkId::new($op, b.name), |bench| {
                bench.iter(|| black_box($call(&b, &mut n, &mut next, &mut flip)))
            });
        };
    }
    fn step(n: &mut usize) -> usize {
        *n = (*n + 7919) % USERS;
        *n
    }
    both!("get_by_id", |s: &Side<_, _, _>,
                        n: &mut usize,
                        _: &mut usize,
                        _: &mut bool| s
        .get(step(n)));
    both!(
        "filter_userName_eq",
        |s: &Side<_, _, _>, n: &mut usize, _: &mut usize, _: &mut bool| s.filter(step(n))
    );
    both!("post_user", |s: &Side<_, _, _>,
                        _: &mut usize,
                        next: &mut usize,
                        _: &mut bool| {
        *next += 1;
        s.post(*next)
    });
    both!(
        "patch_entra_shape",
        |s: &Side<_, _, _>, n: &mut usize, _: &mut usize, flip: &mut bool| {
            *flip = !*flip;
            s.patch(step(n), *flip)
        }
    );
    g.finish();
}

criterion_group! {
    name = policy;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = benches
}
criterion_main!(policy);
