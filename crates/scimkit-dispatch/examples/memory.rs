//! Resident memory of a `MemoryStore` holding N users (the bench's User + Enterprise shape),
//! loaded through the dispatcher, against the JSON size of those users.
//!
//! `cargo run --release -p scimkit-dispatch --example memory -- 100000`
#![allow(missing_docs, clippy::unwrap_used, clippy::print_stdout)]

use bytes::Bytes;
use futures_executor::block_on;
use scimkit_dispatch::{BearerTokens, Dispatcher, MemoryStore, TenantId};
use std::time::Instant;

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[path = "../benches/support/user.rs"]
mod support_user;
use support_user::user;

fn req(method: &str, uri: &str, body: Option<Vec<u8>>) -> http::Request<Bytes> {
    http::Request::builder()
        .method(method)
        .uri(uri)
        .header("Authorization", "Bearer tok")
        .header("Content-Type", "application/scim+json")
        .body(Bytes::from(body.unwrap_or_default()))
        .unwrap()
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let tokens = BearerTokens::new();
    tokens.insert("tok", TenantId::new("t"));
    let scim = Dispatcher::new(MemoryStore::new(), tokens);
    let before = rss_kib();
    let mut posted = 0usize;
    let mut served = 0usize;
    let mut ids = Vec::new();
    for i in 0..n {
        let body = user(i);
        posted += body.len();
        let resp = block_on(scim.handle_bytes(req("POST", "/Users", Some(body))));
        assert_eq!(resp.status(), 201);
        served += resp.body().len();
        if i % (n / 1000).max(1) == 0 {
            let v: serde_json::Value = serde_json::from_slice(resp.body()).unwrap();
            ids.push(v["id"].as_str().unwrap().to_string());
        }
    }
    let after = rss_kib();
    let grown = (after - before) as f64 * 1024.0;
    println!("users: {n}");
    println!(
        "JSON posted: {:.1} MB; JSON served (with id, meta): {:.1} MB",
        posted as f64 / 1e6,
        served as f64 / 1e6
    );
    println!(
        "VmRSS: {:.1} MB before loading, {:.1} MB after ({:.1} MB grown): {:.2}x posted JSON, {:.2}x served JSON",
        before as f64 * 1024.0 / 1e6,
        after as f64 * 1024.0 / 1e6,
        grown / 1e6,
        after as f64 * 1024.0 / posted as f64,
        after as f64 * 1024.0 / served as f64
    );
    // userName eq lookups, timed (a sanity figure; criterion is the reference).
    let rounds = 200_000;
    let t = Instant::now();
    for k in 0..rounds {
        let i = (k * 7919) % n;
        let uri = format!("/Users?filter=userName%20eq%20%22USER{i}@example.com%22");
        let r = block_on(scim.handle_bytes(req("GET", &uri, None)));
        assert!(r.body().len() > 200);
    }
    let per = t.elapsed().as_secs_f64() / rounds as f64;
    println!(
        "userName eq lookup: {:.2} µs ({:.0} k/s)",
        per * 1e6,
        1e-3 / per
    );
    // Requests the indexes do not answer: every user is evaluated (or sorted).
    for uri in [
        "/Users?filter=displayName%20co%20%22Number%204242%22&count=10",
        "/Users?sortBy=name.familyName&count=10",
    ] {
        let t = Instant::now();
        let r = block_on(scim.handle_bytes(req("GET", uri, None)));
        assert_eq!(r.status(), 200);
        println!("{uri}: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    }
    let _ = ids;
}
