//! scimkit-filter against scim-filter (the fastest other Rust crate measured), on the part of
//! the shared corpus that both parse. Run: `cd bench-compare && cargo bench`.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::json;
use std::hint::black_box;

const CORPUS: &str = include_str!("../../crates/scimkit-filter/benches/corpus.txt");

fn user() -> serde_json::Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "externalId": "BJ-01",
        "userName": "bjensen",
        "name": {"familyName": "Jensen", "givenName": "Barbara"},
        "displayName": "Babs Jensen",
        "title": "Tour Guide",
        "userType": "Employee",
        "active": true,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "phoneNumbers": [{"value": "555-555-8377", "type": "work"}],
        "ims": [{"value": "bjensen@foo.com", "type": "xmpp"}],
        "meta": {"created": "2011-05-13T04:42:34Z", "lastModified": "2011-05-13T04:42:34Z"}
    })
}

fn other_parses(f: &str) -> bool {
    matches!(scim_filter::parser::filter(f), Ok((rest, _)) if rest.is_empty())
}

fn shared_corpus() -> Vec<&'static str> {
    let all: Vec<&str> = CORPUS.lines().filter(|l| !l.trim().is_empty()).collect();
    let shared: Vec<&str> = all.iter().copied().filter(|f| other_parses(f)).collect();
    eprintln!(
        "corpus: {} filters, {} parsed by scim-filter (the comparison uses those)",
        all.len(),
        shared.len()
    );
    for f in all.iter().filter(|f| !other_parses(f)) {
        eprintln!("  scim-filter cannot parse: {f}");
    }
    shared
}

fn compare(c: &mut Criterion) {
    let corpus = shared_corpus();
    let user = user();
    let n = corpus.len() as u64;

    let mut parse = c.benchmark_group("parse_corpus");
    parse.throughput(Throughput::Elements(n));
    parse.bench_function("scimkit-filter", |b| {
        b.iter(|| {
            for f in &corpus {
                black_box(scimkit_filter::parse(black_box(f)).unwrap());
            }
        })
    });
    parse.bench_function("scim-filter", |b| {
        b.iter(|| {
            for f in &corpus {
                black_box(scim_filter::parser::filter(black_box(f)).unwrap());
            }
        })
    });
    parse.finish();

    let mut eval = c.benchmark_group("parse_and_evaluate_corpus");
    eval.throughput(Throughput::Elements(n));
    eval.bench_function("scimkit-filter", |b| {
        b.iter(|| {
            for f in &corpus {
                let filter = scimkit_filter::parse(black_box(f)).unwrap();
                black_box(
                    scimkit_filter::matches(&filter, black_box(&user), &scimkit_filter::DefaultFacts)
                        .ok(),
                );
            }
        })
    });
    eval.bench_function("scim-filter", |b| {
        b.iter(|| {
            for f in &corpus {
                let (_, filter) = scim_filter::parser::filter(black_box(f)).unwrap();
                black_box(filter.r#match(black_box(&user)).ok());
            }
        })
    });
    eval.finish();

    let mut simple = c.benchmark_group("parse_userName_eq");
    simple.throughput(Throughput::Elements(1));
    let f = r#"userName eq "bjensen@example.com""#;
    simple.bench_function("scimkit-filter", |b| {
        b.iter(|| scimkit_filter::parse(black_box(f)).unwrap())
    });
    simple.bench_function("scim-filter", |b| {
        b.iter(|| scim_filter::parser::filter(black_box(f)).unwrap())
    });
    simple.finish();
}

criterion_group!(benches, compare);
criterion_main!(benches);
