//! scimkit-filter against scim-filter (the fastest other Rust crate measured), on the part of
//! the shared corpus that both parse. Run: `cd bench-compare && cargo bench`.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

const CORPUS: &str = include_str!("../../crates/scimkit-filter/benches/corpus.txt");

/// A full User with the enterprise extension, shared with `bench-compare`.
fn user() -> serde_json::Value {
    serde_json::from_str(include_str!("../../crates/scimkit-filter/benches/user.json")).unwrap()
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
