//! A filter (first line) evaluated against a JSON resource (the rest): never panics, and
//! `not (f)` is always the complement of `f`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scimkit_filter::{matches, parse, DefaultFacts, Filter};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (filter_text, json_text) = text.split_once('\n').unwrap_or((text, "{}"));
    let Ok(filter) = parse(filter_text) else {
        return;
    };
    let Ok(resource) = serde_json::from_str::<serde_json::Value>(json_text) else {
        return;
    };
    if let Ok(m) = matches(&filter, &resource, &DefaultFacts) {
        let negated = Filter::Not(Box::new(filter));
        assert_eq!(matches(&negated, &resource, &DefaultFacts), Ok(!m));
    }
});
