//! PATCH apply, and validation + projection, of a realistic User with the enterprise extension.
//!
//! Run: `cargo bench -p scimkit-schema --bench schema`

#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use scimkit_schema::{PatchOp, Profile, Projection, Registry};
use serde_json::{json, Value};
use std::hint::black_box;

fn user() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": "bjensen@example.com",
        "name": {"formatted": "Ms. Barbara J Jensen, III", "familyName": "Jensen", "givenName": "Barbara"},
        "displayName": "Babs Jensen",
        "title": "Tour Guide",
        "active": true,
        "password": "t1meMa$heen",
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "phoneNumbers": [{"value": "555-555-5555", "type": "work"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "701984",
            "department": "Tour Operations",
            "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}
        },
        "meta": {"resourceType": "User", "created": "2010-01-23T04:56:22Z",
                 "lastModified": "2011-05-13T04:42:34Z", "version": "W/\"a330bc54f0671c9\""}
    })
}

fn patch(ops: Value) -> PatchOp {
    serde_json::from_value(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops
    }))
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let profile = Profile::default();

    let mut g = c.benchmark_group("patch");
    g.throughput(Throughput::Elements(1));
    // In place (atomic via the undo log), alternating so every application changes the value.
    let off = patch(json!([{"op": "replace", "path": "active", "value": false}]));
    let on = patch(json!([{"op": "Replace", "path": "active", "value": "True"}]));
    let mut resource = user();
    let mut flip = false;
    g.bench_function("apply_patch replace active (in place)", |b| {
        b.iter(|| {
            flip = !flip;
            let p = if flip { &off } else { &on };
            black_box(users.apply_patch(&mut resource, p, &profile).unwrap());
        })
    });
    let a = patch(
        json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "a@example.com"}]),
    );
    let b2 = patch(
        json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "b@example.com"}]),
    );
    let mut resource = user();
    g.bench_function(
        "apply_patch replace emails[type eq work].value (in place)",
        |b| {
            b.iter(|| {
                flip = !flip;
                let p = if flip { &a } else { &b2 };
                black_box(users.apply_patch(&mut resource, p, &profile).unwrap());
            })
        },
    );
    let a = patch(
        json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Sales"}]),
    );
    let b2 = patch(
        json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Tours"}]),
    );
    let mut resource = user();
    g.bench_function(
        "apply_patch replace enterprise department (in place)",
        |b| {
            b.iter(|| {
                flip = !flip;
                let p = if flip { &a } else { &b2 };
                black_box(users.apply_patch(&mut resource, p, &profile).unwrap());
            })
        },
    );
    // Entra ID's default "replace multiple attributes" request: 6 operations, so every write
    // but the last keeps an undo copy. Throughput counts operations.
    let entra = |suffix: &str| {
        patch(json!([
            {"op": "Replace", "path": "displayName", "value": format!("Pvlo{suffix}")},
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": format!("t{suffix}@test.microsoft.com")},
            {"op": "Replace", "path": "name.givenName", "value": format!("Gtfd{suffix}")},
            {"op": "Replace", "path": "name.familyName", "value": format!("Pkqf{suffix}")},
            {"op": "Replace", "path": "externalId", "value": format!("Eqpj{suffix}")},
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": format!("E{suffix}")}
        ]))
    };
    let (a, b2) = (entra("a"), entra("b"));
    let mut resource = user();
    g.throughput(Throughput::Elements(6));
    g.bench_function("apply_patch Entra 6-operation replace (in place)", |b| {
        b.iter(|| {
            flip = !flip;
            let p = if flip { &a } else { &b2 };
            black_box(users.apply_patch(&mut resource, p, &profile).unwrap());
        })
    });
    g.throughput(Throughput::Elements(1));
    // Group membership on a 1,000-member group: Okta's add, then Entra's remove-by-value.
    let groups = registry.resource_type("Group").unwrap();
    let members: Vec<Value> = (0..1000)
        .map(|i| json!({"value": format!("{i:08x}-6090-4610-87e4-49d8ca9f808d"), "type": "User"}))
        .collect();
    let mut group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                           "id": "e9e30dba", "displayName": "Tour Guides", "members": members});
    let add = patch(json!([{"op": "add", "path": "members",
                            "value": [{"value": "23a35c27-23d3-4c03-b4c5-6443c09e7173", "display": "test.user"}]}]));
    let remove = patch(json!([{"op": "Remove", "path": "members",
                               "value": [{"$ref": null, "value": "23a35c27-23d3-4c03-b4c5-6443c09e7173"}]}]));
    g.bench_function(
        "apply_patch add/remove one member of 1000 (in place)",
        |b| {
            b.iter(|| {
                flip = !flip;
                let p = if flip { &add } else { &remove };
                black_box(groups.apply_patch(&mut group, p, &profile).unwrap());
            })
        },
    );
    let original = user();
    g.bench_function("patch replace active (copy of the resource)", |b| {
        b.iter(|| black_box(users.patch(&original, &off, &profile).unwrap()))
    });
    g.finish();

    let mut g = c.benchmark_group("validate+project");
    let body = user();
    let projection = Projection::default();
    g.bench_function("validate_create + project_into (default)", |b| {
        b.iter_batched(
            || body.clone(),
            |body| {
                let stored = users.validate_create(body, &profile).unwrap();
                black_box(users.project_into(stored, &projection))
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("validate_create alone", |b| {
        b.iter_batched(
            || body.clone(),
            |body| black_box(users.validate_create(body, &profile).unwrap()),
            BatchSize::SmallInput,
        )
    });
    let stored = users.validate_create(user(), &profile).unwrap();
    g.bench_function("project_into alone (default)", |b| {
        b.iter_batched(
            || stored.clone(),
            |stored| black_box(users.project_into(stored, &projection)),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("validate_replace + project_into (default)", |b| {
        b.iter_batched(
            || body.clone(),
            |body| {
                let out = users.validate_replace(&stored, body, &profile).unwrap();
                black_box(users.project_into(out, &projection))
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("project (default, borrowed: copies the resource)", |b| {
        b.iter(|| black_box(users.project(&stored, &projection)))
    });
    let narrow = Projection::from_query(&users, Some("userName,emails.value"), None).unwrap();
    g.bench_function("project attributes=userName,emails.value", |b| {
        b.iter(|| black_box(users.project(&stored, &narrow)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
