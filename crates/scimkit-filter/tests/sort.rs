//! `sortBy` / `sortOrder` (RFC 7644 §3.4.2.3).

#![allow(clippy::unwrap_used)]

use scimkit_filter::{
    compare_resources, parse_attr_path, sort_value, AttrFacts, AttrRef, AttrType, AttributeFacts,
    DefaultFacts, SortOrder,
};
use serde_json::{json, Value};

fn sorted(users: &[Value], by: &str, order: SortOrder, facts: &dyn AttributeFacts) -> Vec<String> {
    let by = parse_attr_path(by).unwrap();
    let mut users = users.to_vec();
    users.sort_by(|a, b| compare_resources(a, b, &by, order, facts));
    users
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect()
}

struct Facts;
impl AttributeFacts for Facts {
    fn facts(&self, attr: &AttrRef<'_>) -> AttrFacts {
        match (attr.name, attr.sub_attr) {
            ("meta", Some("created")) => AttrFacts {
                kind: AttrType::DateTime,
                case_exact: false,
            },
            ("externalId", None) => AttrFacts {
                kind: AttrType::String,
                case_exact: true,
            },
            _ => AttrFacts::CASE_INSENSITIVE_STRING,
        }
    }
}

fn users() -> Vec<Value> {
    vec![
        json!({"id": "a", "userName": "carol", "externalId": "b",
               "emails": [{"value": "z@x.com"}, {"value": "a@x.com", "primary": true}],
               "meta": {"created": "2020-01-01T10:00:00+05:00"}}),
        json!({"id": "b", "userName": "Alice", "externalId": "B",
               "emails": [{"value": "m@x.com"}, {"value": "b@x.com"}],
               "meta": {"created": "2020-01-01T06:00:00Z"}}),
        json!({"id": "c", "userName": "bob",
               "meta": {"created": "2020-01-01T04:59:59Z"}}),
        json!({"id": "d", "userName": null, "externalId": "a", "emails": []}),
    ]
}

#[test]
fn strings_sort_case_insensitively_unless_case_exact() {
    assert_eq!(
        sorted(&users(), "userName", SortOrder::Ascending, &Facts),
        ["b", "c", "a", "d"]
    );
    // caseExact: "B" < "a" < "b" by code point; "c" has no externalId and sorts last.
    assert_eq!(
        sorted(&users(), "externalId", SortOrder::Ascending, &Facts),
        ["b", "d", "a", "c"]
    );
}

#[test]
fn absent_values_sort_last_ascending_and_first_descending() {
    assert_eq!(
        sorted(&users(), "userName", SortOrder::Descending, &Facts),
        ["d", "a", "c", "b"]
    );
    assert_eq!(
        sorted(&users(), "title", SortOrder::Ascending, &Facts),
        ["a", "b", "c", "d"]
    );
}

#[test]
fn multi_valued_attributes_sort_by_the_primary_value_else_the_first() {
    // a: primary a@x.com; b: first m@x.com; c, d: none.
    assert_eq!(
        sorted(&users(), "emails", SortOrder::Ascending, &Facts),
        ["a", "b", "c", "d"]
    );
    assert_eq!(
        sorted(&users(), "emails.value", SortOrder::Ascending, &Facts),
        ["a", "b", "c", "d"]
    );
    let by = parse_attr_path("emails").unwrap();
    assert_eq!(
        sort_value(&users()[0], &by, &DefaultFacts),
        Some(&json!("a@x.com"))
    );
    assert_eq!(
        sort_value(&users()[1], &by, &DefaultFacts),
        Some(&json!("m@x.com"))
    );
    assert_eq!(sort_value(&users()[3], &by, &DefaultFacts), None);
}

#[test]
fn date_times_sort_as_instants() {
    // a = 05:00Z, b = 06:00Z, c = 04:59:59Z; as text a would sort last.
    assert_eq!(
        sorted(&users(), "meta.created", SortOrder::Ascending, &Facts),
        ["c", "a", "b", "d"]
    );
    // Without the schema's facts they are plain strings.
    assert_eq!(
        sorted(
            &users(),
            "meta.created",
            SortOrder::Ascending,
            &DefaultFacts
        ),
        ["c", "b", "a", "d"]
    );
}

#[test]
fn numbers_and_mixed_types_give_a_total_order() {
    let users = vec![
        json!({"id": "1", "n": 10}),
        json!({"id": "2", "n": 9.5}),
        json!({"id": "3", "n": "text"}),
        json!({"id": "4", "n": true}),
        json!({"id": "5"}),
    ];
    assert_eq!(
        sorted(&users, "n", SortOrder::Ascending, &DefaultFacts),
        ["4", "2", "1", "3", "5"]
    );
    assert_eq!(
        sorted(&users, "n", SortOrder::Descending, &DefaultFacts),
        ["5", "3", "1", "2", "4"]
    );
}

#[test]
fn sort_order_parameter_is_case_insensitive() {
    assert_eq!(
        SortOrder::from_param("DESCENDING"),
        Some(SortOrder::Descending)
    );
    assert_eq!(
        SortOrder::from_param("ascending"),
        Some(SortOrder::Ascending)
    );
    assert_eq!(SortOrder::from_param("up"), None);
    assert_eq!(SortOrder::default(), SortOrder::Ascending);
}
