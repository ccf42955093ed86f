//! The filter and path strings of the fixture library (RFC 7644 §3.4.2.2's examples as printed,
//! and what Entra ID and Okta documentation shows them sending) all parse, with the options the
//! documentation calls for, and print in a form that parses back to the same tree.

#![allow(clippy::unwrap_used)]

use scimkit::filter::{parse, parse_path, ParseOptions};
use serde_json::Value;

fn fixture(path: &str) -> Value {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn rfc_filter_examples_parse_as_printed_in_the_rfc() {
    let rfc = fixture("rfc/filters.json");
    let filters = rfc["filters"].as_array().unwrap();
    assert_eq!(
        filters.len(),
        17,
        "RFC 7644 Figure 2 has 17 example filters"
    );
    for example in filters
        .iter()
        .chain(rfc["case_insensitivity_examples"].as_array().unwrap())
    {
        // As printed: "filter=" and line breaks included.
        let printed = example["as_printed"].as_str().unwrap();
        let text = printed.strip_prefix("filter=").unwrap();
        let filter = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(
            parse(example["filter"].as_str().unwrap()),
            Ok(filter.clone())
        );
        assert_eq!(parse(&filter.to_string()), Ok(filter));
    }
}

#[test]
fn idp_documented_filters_parse() {
    let idp = fixture("idp-filters.json");
    let lenient = ParseOptions {
        unquoted_strings: true,
        ..ParseOptions::default()
    };
    let mut unquoted = 0;
    for example in idp["filters"].as_array().unwrap() {
        let text = example["filter"].as_str().unwrap();
        let filter = match parse(text) {
            Ok(f) => f,
            Err(_) => {
                // Only Microsoft's unquoted examples need the lenient option.
                unquoted += 1;
                assert_eq!(example["idp"], "Entra ID", "{text}");
                lenient
                    .parse(text)
                    .unwrap_or_else(|e| panic!("{text}: {e}"))
            }
        };
        assert_eq!(parse(&filter.to_string()), Ok(filter), "{text}");
    }
    assert_eq!(unquoted, 2, "the two unquoted Entra ID examples");
}

#[test]
fn idp_documented_patch_paths_parse() {
    let idp = fixture("idp-filters.json");
    let paths = idp["patch_paths"]["paths"].as_array().unwrap();
    assert!(paths.len() >= 20);
    let mut checked = 0;
    for example in paths {
        // A path, the further paths it stands for, and the value keys a path-less operation
        // uses as paths.
        let texts = example["path"]
            .as_str()
            .into_iter()
            .chain(
                example["also"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str),
            )
            .chain(
                example["value_keys_as_paths"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str),
            );
        for text in texts {
            let path = parse_path(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(parse_path(&path.to_string()), Ok(path), "{text}");
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} paths");
}
