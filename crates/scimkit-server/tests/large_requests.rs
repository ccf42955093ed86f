//! Large requests (bodies of 64 KiB and more) are computed off the runtime's workers, one at a
//! time, with the same answers as small ones; several at once do not keep small requests
//! waiting for them.
#![allow(clippy::unwrap_used)]

mod support;

use scimkit_server::{
    Options, Running, Secret, SecretOrigin, Storage, TenantOptions, HEAVY_BODY_BYTES,
};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use support::{exchange, request};

const BIG: &str = "large-requests-big-tenant-token-0123456789";
const SMALL: &str = "large-requests-small-tenant-token-012345678";

async fn start() -> Running {
    let options = Options::default()
        .with_storage(Storage::Memory)
        .with_listen("127.0.0.1:0".parse().unwrap())
        .with_tenant(TenantOptions::new(
            "big",
            Secret::new(BIG, SecretOrigin::Argument),
        ))
        .with_tenant(TenantOptions::new(
            "small",
            Secret::new(SMALL, SecretOrigin::Argument),
        ));
    scimkit_server::start(&options).await.unwrap()
}

fn user_with_emails(n: usize) -> Value {
    let emails: Vec<Value> = (0..n)
        .map(|i| json!({"value": format!("e{i}@example.com"), "type": "work"}))
        .collect();
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
           "userName": "big@example.com", "emails": emails})
}

fn removal_of(n: usize) -> Value {
    let gone: Vec<Value> = (0..n)
        .map(|i| json!({"value": format!("gone{i}@example.com"), "type": "home"}))
        .collect();
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
           "Operations": [{"op": "remove", "path": "emails", "value": gone}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_bodies_get_the_same_answers_and_do_not_hold_small_requests() {
    let running = start().await;
    let addr = running.addr();
    let user = user_with_emails(3_000);
    assert!(
        user.to_string().len() >= HEAVY_BODY_BYTES,
        "the test body is large"
    );
    let created = exchange(
        addr,
        &request("POST", "/scim/v2/Users", "x", BIG, Some(&user)),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.json()["id"].as_str().unwrap().to_string();
    assert_eq!(created.json()["emails"].as_array().unwrap().len(), 3_000);

    // Four large PATCHes at once, and small requests of another tenant meanwhile.
    let path = format!("/scim/v2/Users/{id}");
    let patches: Vec<_> = (0..4)
        .map(|_| {
            let raw = request("PATCH", &path, "x", BIG, Some(&removal_of(3_000)));
            tokio::spawn(async move { exchange(addr, &raw).await })
        })
        .collect();
    let mut slowest_small = Duration::ZERO;
    for _ in 0..20 {
        let started = Instant::now();
        let r = exchange(
            addr,
            &request("GET", "/scim/v2/ServiceProviderConfig", "x", SMALL, None),
        )
        .await;
        assert_eq!(r.status, 200);
        slowest_small = slowest_small.max(started.elapsed());
    }
    for p in patches {
        let r = p.await.unwrap();
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            r.json()["emails"].as_array().unwrap().len(),
            3_000,
            "nothing matched, nothing removed"
        );
    }
    // Not a timing assertion (the benchmark bench/loopback/stall.sh measures that): only that
    // small requests were answered at all while the large ones ran.
    assert!(slowest_small < Duration::from_secs(10));

    let over = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                      "userName": "x", "displayName": "y".repeat(2 * 1024 * 1024)});
    let refused = exchange(
        addr,
        &request("POST", "/scim/v2/Users", "x", BIG, Some(&over)),
    )
    .await;
    refused.assert_scim_error(413);
    running.stop().await;
}
