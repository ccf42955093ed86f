//! Parser and evaluator throughput.
//!
//! `cargo bench -p scimkit-filter` — figures are recorded in docs/performance.md.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use scimkit_filter::{matches, parse, DefaultFacts, Matcher};
use std::hint::black_box;

const CORPUS: &str = include_str!("corpus.txt");

fn corpus() -> Vec<&'static str> {
    CORPUS.lines().filter(|l| !l.trim().is_empty()).collect()
}

/// A full User with the enterprise extension, shared with `bench-compare`.
fn user() -> serde_json::Value {
    serde_json::from_str(include_str!("user.json")).unwrap()
}

fn bench_parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    let simple = r#"userName eq "bjensen@example.com""#;
    group.throughput(Throughput::Elements(1));
    group.bench_function("userName_eq", |b| {
        b.iter(|| parse(black_box(simple)).unwrap())
    });
    let corpus = corpus();
    group.throughput(Throughput::Elements(corpus.len() as u64));
    group.bench_function("corpus", |b| {
        b.iter(|| {
            for f in &corpus {
                black_box(parse(black_box(f)).unwrap());
            }
        })
    });
    group.finish();
}

fn bench_eval(c: &mut Criterion) {
    let mut group = c.benchmark_group("evaluate");
    let user = user();
    let simple = parse(r#"userName eq "BJensen""#).unwrap();
    let matcher = Matcher::new(&simple, &DefaultFacts).unwrap();
    group.throughput(Throughput::Elements(1));
    group.bench_function("userName_eq_prepared", |b| {
        b.iter(|| matcher.matches(black_box(&user)))
    });
    let corpus: Vec<_> = corpus().into_iter().map(|f| parse(f).unwrap()).collect();
    group.throughput(Throughput::Elements(corpus.len() as u64));
    group.bench_function("corpus", |b| {
        b.iter(|| {
            for f in &corpus {
                black_box(matches(f, black_box(&user), &DefaultFacts).unwrap());
            }
        })
    });
    let texts = corpus_texts();
    group.bench_function("corpus_parse_and_evaluate", |b| {
        b.iter(|| {
            for t in &texts {
                let f = parse(black_box(t)).unwrap();
                black_box(matches(&f, black_box(&user), &DefaultFacts).unwrap());
            }
        })
    });
    group.finish();
}

fn corpus_texts() -> Vec<&'static str> {
    corpus()
}

criterion_group!(benches, bench_parse, bench_eval);
criterion_main!(benches);
