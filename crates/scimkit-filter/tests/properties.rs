//! Property tests: printing round-trips, no input panics, deep nesting is refused safely.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use scimkit_filter::{
    matches, parse, parse_path, AttrPath, AttrTest, CompValue, CompareOp, DefaultFacts, Expected,
    Filter, Limits, PatchPath, ValuePath,
};
use serde_json::Value;
use std::borrow::Cow;

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        9 => "[a-zA-Z][a-zA-Z0-9_-]{0,8}",
        1 => Just("$ref".to_string()),
        1 => prop::sample::select(vec!["not", "and", "or", "pr", "eq", "true", "null", "urn"])
            .prop_map(String::from),
    ]
}

fn urn() -> impl Strategy<Value = Option<String>> {
    prop::option::weighted(
        0.3,
        prop::sample::select(vec![
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "URN:example:x.y-z_1:2.0:Thing",
        ])
        .prop_map(String::from),
    )
}

fn attr_path(with_sub: bool) -> impl Strategy<Value = AttrPath<'static>> {
    let sub = if with_sub {
        prop::option::of(name()).boxed()
    } else {
        Just(None).boxed()
    };
    (urn(), name(), sub).prop_map(|(urn, name, sub)| AttrPath {
        urn: urn.map(Cow::Owned),
        name: Cow::Owned(name),
        sub_attr: sub.map(Cow::Owned),
    })
}

fn comp_value() -> impl Strategy<Value = CompValue<'static>> {
    prop_oneof![
        Just(CompValue::True),
        Just(CompValue::False),
        Just(CompValue::Null),
        any::<i64>().prop_map(|n| CompValue::Number(n.into())),
        any::<u64>().prop_map(|n| CompValue::Number(n.into())),
        any::<f64>()
            .prop_filter_map("finite", serde_json::Number::from_f64)
            .prop_map(CompValue::Number),
        any::<String>().prop_map(|s| CompValue::String(Cow::Owned(s))),
    ]
}

fn attr_expr() -> impl Strategy<Value = Filter<'static>> {
    let test = prop_oneof![
        1 => Just(AttrTest::Present),
        6 => (prop::sample::select(CompareOp::ALL.to_vec()), comp_value())
            .prop_map(|(op, v)| AttrTest::Compare(op, v)),
    ];
    (attr_path(true), test).prop_map(|(path, test)| Filter::Attr { path, test })
}

/// Filters without value paths (what may stand inside brackets).
fn inner_filter() -> impl Strategy<Value = Filter<'static>> {
    attr_expr().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Filter::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Filter::Or),
            inner.prop_map(|f| Filter::Not(Box::new(f))),
        ]
    })
}

fn value_path() -> impl Strategy<Value = ValuePath<'static>> {
    (attr_path(false), inner_filter()).prop_map(|(attr, f)| ValuePath {
        attr,
        filter: Box::new(f),
    })
}

fn filter() -> impl Strategy<Value = Filter<'static>> {
    let leaf = prop_oneof![4 => attr_expr(), 1 => value_path().prop_map(Filter::ValuePath)];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Filter::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Filter::Or),
            inner.prop_map(|f| Filter::Not(Box::new(f))),
        ]
    })
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        prop::sample::select(vec![
            "",
            "work",
            "WORK",
            "bjensen",
            "2011-05-13T04:42:34Z",
            "ü"
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "value",
                    "type",
                    "primary",
                    "userName",
                    "emails",
                    "name",
                    "NAME",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
                ]),
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn display_round_trips(f in filter()) {
        let printed = f.to_string();
        let reparsed = Limits { max_length: usize::MAX, max_terms: usize::MAX, ..Limits::default() }
            .parse(&printed);
        prop_assert_eq!(reparsed.as_ref(), Ok(&f), "printed: {}", printed);
        // The unquoted-value extension never changes what a printed (standard) filter means.
        let lenient = scimkit_filter::ParseOptions {
            limits: Limits { max_length: usize::MAX, max_terms: usize::MAX, ..Limits::default() },
            unquoted_strings: true,
        };
        let leniently = lenient.parse(&printed);
        prop_assert_eq!(leniently.as_ref(), Ok(&f));
        // Printing is canonical: the reparsed tree prints the same text.
        prop_assert_eq!(reparsed.unwrap().to_string(), printed);
    }

    #[test]
    fn patch_paths_round_trip(
        vp in prop::option::of(value_path()),
        attr in attr_path(true),
        sub in prop::option::of(name()),
    ) {
        let path = match vp {
            Some(value_path) => PatchPath::Value { value_path, sub_attr: sub.map(Cow::Owned) },
            None => PatchPath::Attr(attr),
        };
        let printed = path.to_string();
        let limits = Limits { max_length: usize::MAX, max_terms: usize::MAX, ..Limits::default() };
        prop_assert_eq!(limits.parse_path(&printed), Ok(path));
    }

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        let _ = parse(&s);
        let _ = parse_path(&s);
    }

    #[test]
    fn filter_shaped_noise_never_panics(parts in prop::collection::vec(
        prop::sample::select(vec![
            "userName", " ", "eq", "\"x\"", "(", ")", "[", "]", "and", "or", "not", "pr", ".",
            ":", "urn:a:b", "\\", "\"", "\\u", "d83d", "1e5", "-", "emails", "true", "\t",
        ]),
        0..40,
    )) {
        let s: String = parts.concat();
        if let Ok(f) = parse(&s) {
            // Whatever parses also round-trips.
            let printed = f.to_string();
            prop_assert_eq!(parse(&printed), Ok(f));
        }
    }

    #[test]
    fn evaluation_never_panics(f in filter(), resource in json_value()) {
        let _ = matches(&f, &resource, &DefaultFacts);
    }

    #[test]
    fn not_is_the_complement(f in filter(), resource in json_value()) {
        let negated = Filter::Not(Box::new(f.clone()));
        if let Ok(m) = matches(&f, &resource, &DefaultFacts) {
            prop_assert_eq!(matches(&negated, &resource, &DefaultFacts), Ok(!m));
        }
    }
}

/// Deeply nested inputs up to 1 MB are refused with an error (never a stack overflow), also
/// when the configured depth limit is far above what is safe.
#[test]
fn deep_nesting_up_to_a_megabyte_is_an_error() {
    let limits = Limits {
        max_length: 2 << 20,
        max_depth: usize::MAX,
        max_terms: usize::MAX,
    };
    let half = 1 << 19;
    let inputs = [
        "(".repeat(1 << 20),
        "not (".repeat((1 << 20) / 5),
        "(".repeat(half) + "title pr" + &")".repeat(half),
        "emails[".repeat((1 << 20) / 7),
        "not(".repeat(half / 4) + "a pr" + &")".repeat(half / 4),
        "((((not (".repeat((1 << 20) / 9),
    ];
    for input in &inputs {
        let err = limits.parse(input).unwrap_err();
        assert!(
            matches!(
                err.expected(),
                Expected::DepthLimit(Limits::MAX_SUPPORTED_DEPTH) | Expected::NoNestedValuePath
            ),
            "{:?}",
            err.expected()
        );
        let _ = limits.parse_path(input);
    }
}

/// The deepest tree the limits allow can be parsed, printed, evaluated, cloned and dropped on a
/// thread with half the default stack of a spawned thread (1 MiB), even in an unoptimised build
/// (measured: an optimised build needs 128 KiB, an unoptimised one 512 KiB).
#[test]
fn the_deepest_allowed_tree_is_safe_on_a_small_stack() {
    let handle = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let depth = Limits::MAX_SUPPORTED_DEPTH;
            let text =
                "not (".repeat(depth - 1) + r#"emails[type eq "work"]"# + &")".repeat(depth - 1);
            let limits = Limits {
                max_depth: usize::MAX,
                ..Limits::default()
            };
            let f = limits.parse(&text).unwrap();
            let printed = f.to_string();
            assert_eq!(limits.parse(&printed).as_ref(), Ok(&f));
            let user = serde_json::json!({"emails": [{"type": "work"}]});
            // `depth - 1` negations around a match.
            assert_eq!(matches(&f, &user, &DefaultFacts), Ok((depth - 1) % 2 == 0));
            let copy = f.clone().into_owned();
            drop(f);
            drop(copy);
        })
        .unwrap();
    handle.join().unwrap();
}

/// Long `and`/`or` chains do not deepen the tree: 10,000 terms parse and drop fine.
#[test]
fn long_chains_stay_flat() {
    let text = vec![r#"id eq "x""#; 10_000].join(" or ");
    let limits = Limits {
        max_length: usize::MAX,
        max_terms: usize::MAX,
        ..Limits::default()
    };
    let f = limits.parse(&text).unwrap();
    let Filter::Or(operands) = &f else { panic!() };
    assert_eq!(operands.len(), 10_000);
}
