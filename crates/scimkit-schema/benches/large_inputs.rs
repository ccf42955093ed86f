//! Large inputs (issue 8): PATCH on multi-valued attributes with 10,000–15,000 values, where
//! removal and de-duplication must stay linear, and projection with a long `attributes` list.
//! Target: each case ≤ 50 ms.
//!
//! Run: `cargo bench -p scimkit-schema --bench large_inputs -- --warm-up-time 1 --measurement-time 3`
//!
//! With `SCIMKIT_BENCH_ONCE=1` each case runs once and prints its time instead (for code too
//! slow for criterion's ten samples, such as the pairwise engine these cases replaced).

#![allow(clippy::unwrap_used, missing_docs)]

use criterion::Criterion;
use scimkit_schema::{PatchOp, Profile, Projection, Registry};
use serde_json::{json, Value};
use std::hint::black_box;
use std::time::Instant;

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

fn members(first: usize, n: usize) -> Vec<Value> {
    (first..first + n)
        .map(|i| json!({"value": format!("{i:08x}-6090-4610-87e4-49d8ca9f808d")}))
        .collect()
}

fn group_with_members(n: usize) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
           "id": "e9e30dba", "displayName": "Tour Guides", "members": members(0, n)})
}

fn patch(op: &str, path: &str, value: Vec<Value>) -> PatchOp {
    serde_json::from_value(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": op, "path": path, "value": value}]
    }))
    .unwrap()
}

type Case = (&'static str, Box<dyn Fn()>);

/// Every case, its input built once (not measured).
fn cases() -> Vec<Case> {
    let registry: &'static Registry = Box::leak(Box::new(Registry::standard()));
    let users = registry.resource_type("User").unwrap();
    let groups = registry.resource_type("Group").unwrap();
    let profile = Profile::entra_id();
    let user = user_with_emails(15_000);
    let small = user_with_emails(2);
    let small_group = group_with_members(1_000);
    let full_group = group_with_members(10_000);
    let remove_emails = patch("remove", "emails", emails("nomatch", 15_000));
    let add_10k = patch("add", "emails", emails("new", 10_000));
    let add_15k = patch("add", "emails", emails("new", 15_000));
    let add_members = patch("add", "members", members(1_000, 10_000));
    let remove_members = patch("remove", "members", members(0, 10_000));
    // The most operations a PATCH may hold by default, each a value filter over every email.
    let filtered: PatchOp = serde_json::from_value(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": (0..1_000)
            .map(|i| json!({"op": "remove", "path": format!("emails[value eq \"none{i}@example.com\"]")}))
            .collect::<Vec<_>>()
    }))
    .unwrap();
    let u3 = user.clone();
    let mut paths: Vec<String> = (0..10_000).map(|i| format!("emails.x{i}")).collect();
    paths.push("emails.value".into());
    let projection = Projection::new(&users, Some(&paths), &[]).unwrap();
    let u1 = user.clone();
    let u2 = user.clone();
    vec![
        (
            "PATCH remove 15,000 non-matching emails from 15,000",
            Box::new(move || {
                black_box(users.patch(&u1, &remove_emails, &profile).unwrap());
            }),
        ),
        (
            "PATCH add 10,000 new emails to 2",
            Box::new(move || {
                black_box(users.patch(&small, &add_10k, &profile).unwrap());
            }),
        ),
        (
            "PATCH add 15,000 new emails to 15,000",
            Box::new(move || {
                black_box(users.patch(&u2, &add_15k, &profile).unwrap());
            }),
        ),
        (
            "PATCH add 10,000 new members to a group of 1,000",
            Box::new(move || {
                black_box(groups.patch(&small_group, &add_members, &profile).unwrap());
            }),
        ),
        (
            "PATCH remove 10,000 members from 10,000",
            Box::new(move || {
                black_box(
                    groups
                        .patch(&full_group, &remove_members, &profile)
                        .unwrap(),
                );
            }),
        ),
        (
            "PATCH 1,000 filtered removes over 15,000 emails (refused: tooMany)",
            Box::new(move || {
                black_box(users.patch(&u3, &filtered, &profile).unwrap_err());
            }),
        ),
        (
            "project 15,000 emails with 10,001 attribute paths",
            Box::new(move || {
                black_box(users.project(&user, &projection));
            }),
        ),
    ]
}

fn main() {
    if std::env::var_os("SCIMKIT_BENCH_ONCE").is_some() {
        for (name, run) in cases() {
            let start = Instant::now();
            run();
            println!("{name}: {:.3} s", start.elapsed().as_secs_f64());
        }
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("large inputs");
    g.sample_size(10);
    for (name, run) in cases() {
        g.bench_function(name, |b| b.iter(&run));
    }
    g.finish();
    c.final_summary();
}
