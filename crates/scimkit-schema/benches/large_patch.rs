//! PATCH on large multi-valued attributes (issue 8): removal and de-duplication must stay
//! linear in the number of values. Target: each case ≤ 50 ms.
//!
//! Run: `cargo bench -p scimkit-schema --bench large_patch -- --warm-up-time 1 --measurement-time 3`

#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use scimkit_schema::{PatchOp, Profile, Registry};
use serde_json::{json, Value};
use std::hint::black_box;

const TYPES: [&str; 3] = ["work", "home", "other"];

fn emails(prefix: &str, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"value": format!("{prefix}{i}@example.com"), "type": TYPES[i % 3]}))
        .collect()
}

fn user_with_emails(n: usize) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
           "id": "2819c223", "userName": "bjensen", "emails": emails("user", n)})
}

fn members(n: usize) -> Vec<Value> {
    members_from(0, n)
}

fn members_from(first: usize, n: usize) -> Vec<Value> {
    (first..first + n)
        .map(|i| json!({"value": format!("{i:08x}-6090-4610-87e4-49d8ca9f808d")}))
        .collect()
}

fn group_with_members(n: usize) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
           "id": "e9e30dba", "displayName": "Tour Guides", "members": members(n)})
}

fn patch(op: &str, path: &str, value: Vec<Value>) -> PatchOp {
    serde_json::from_value(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": op, "path": path, "value": value}]
    }))
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let groups = registry.resource_type("Group").unwrap();
    let profile = Profile::entra_id();
    let mut g = c.benchmark_group("large multi-valued PATCH");
    g.sample_size(10);

    let user = user_with_emails(15_000);
    let remove = patch("remove", "emails", emails("nomatch", 15_000));
    g.bench_function("remove 15,000 non-matching emails from 15,000", |b| {
        b.iter(|| black_box(users.patch(&user, &remove, &profile).unwrap()))
    });

    let small = user_with_emails(2);
    let add = patch("add", "emails", emails("new", 10_000));
    g.bench_function("add 10,000 new emails to 2", |b| {
        b.iter(|| black_box(users.patch(&small, &add, &profile).unwrap()))
    });
    let add = patch("add", "emails", emails("new", 15_000));
    g.bench_function("add 15,000 new emails to 15,000", |b| {
        b.iter(|| black_box(users.patch(&user, &add, &profile).unwrap()))
    });

    let small_group = group_with_members(1_000);
    let add = patch("add", "members", members_from(1_000, 10_000));
    g.bench_function("add 10,000 new members to a group of 1,000", |b| {
        b.iter(|| black_box(groups.patch(&small_group, &add, &profile).unwrap()))
    });
    let full = group_with_members(10_000);
    let remove = patch("remove", "members", members(10_000));
    g.bench_function("remove 10,000 members from 10,000", |b| {
        b.iter(|| black_box(groups.patch(&full, &remove, &profile).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
