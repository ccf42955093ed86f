//! Malformed filters and paths: each fails with the byte offset where parsing stopped and what
//! was expected there. None panics.

#![allow(clippy::unwrap_used)]

use scimkit_filter::{parse, parse_attr_path, parse_path, Expected, Limits};

/// (filter, offset, expected)
fn cases() -> Vec<(String, usize, Expected)> {
    use Expected::*;
    let core_urn = "urn:ietf:params:scim:schemas:core:2.0:User:";
    let mut cases: Vec<(String, usize, Expected)> = vec![
        ("".into(), 0, AttrPath),
        ("   ".into(), 3, AttrPath),
        ("userName".into(), 8, CompareOp),
        ("userName eq".into(), 11, CompValue),
        (r#"userName xx "bjensen""#.into(), 9, CompareOp),
        (r#"userName eq "bjensen"#.into(), 20, StringEnd),
        ("userName eq bjensen".into(), 12, CompValue),
        (r#"userName eq "a" and"#.into(), 19, AttrPath),
        (r#"userName eq "a" or"#.into(), 18, AttrPath),
        (r#"userName eq "a" xor title pr"#.into(), 16, LogicalOpOrEnd),
        (r#"(userName eq "a""#.into(), 16, LogicalOpOrParen),
        (r#"userName eq "a")"#.into(), 15, LogicalOpOrEnd),
        // `not` without "(" is an attribute called "not", so "userName" is no operator.
        (r#"not userName eq "a""#.into(), 4, CompareOp),
        ("not (title pr".into(), 13, LogicalOpOrParen),
        ("not ()".into(), 5, AttrPath),
        (r#"emails[type eq "work""#.into(), 21, LogicalOpOrBracket),
        (r#"emails[type eq "work"]]"#.into(), 22, LogicalOpOrEnd),
        ("emails[]".into(), 7, AttrPath),
        (r#"emails[type eq "work"]."#.into(), 23, AttrName),
        (r#"emails[type eq "work"].value"#.into(), 28, CompareOp),
        (
            r#"emails[type[value eq "x"]]"#.into(),
            11,
            NoNestedValuePath,
        ),
        (r#"emails.value[type eq "work"]"#.into(), 12, AttrPathEnd),
        (
            r#"emails[type eq "work"] garbage"#.into(),
            23,
            LogicalOpOrEnd,
        ),
        (r#"name.familyName.x eq "a""#.into(), 15, CompareOp),
        (r#"name. eq "a""#.into(), 5, AttrName),
        (r#"1abc eq "a""#.into(), 0, AttrPath),
        (r#""userName" eq "a""#.into(), 0, AttrPath),
        (r#"titleeq "x""#.into(), 8, CompareOp),
        ("title prx".into(), 6, CompareOp),
        ("title pr pr".into(), 9, LogicalOpOrEnd),
        ("and title pr".into(), 4, CompareOp),
        ("userName eq \"a\" andtitle pr".into(), 16, LogicalOpOrEnd),
        ("(".into(), 1, AttrPath),
        (")".into(), 0, AttrPath),
        (r#"userName eq "a" and ("#.into(), 21, AttrPath),
        ("userName ne ".into(), 12, CompValue),
        ("meta.lastModified gt".into(), 20, CompValue),
        // strings
        (r#"userName eq "a\q""#.into(), 14, StringEscape),
        (r#"userName eq "\u12""#.into(), 13, StringEscape),
        (r#"userName eq "\ud83d""#.into(), 19, StringEscape),
        (r#"userName eq "\ud83d\u0041""#.into(), 19, StringEscape),
        (r#"userName eq "\udc00""#.into(), 13, StringEscape),
        ("userName eq \"a\tb\"".into(), 14, StringChar),
        ("userName eq \"a\u{0}b\"".into(), 14, StringChar),
        // numbers and literals
        ("score eq 01".into(), 9, Number),
        ("score eq 1.".into(), 11, Number),
        ("score eq 1e".into(), 11, Number),
        ("score eq 1e+".into(), 12, Number),
        ("score eq -".into(), 10, Number),
        ("score eq 1e999".into(), 9, Number),
        ("score eq 12abc".into(), 11, Number),
        ("score eq 1.5.2".into(), 12, Number),
        ("active eq tru".into(), 10, CompValue),
        ("active eq truex".into(), 10, CompValue),
        ("active eq nul".into(), 10, CompValue),
        // URN-qualified names
        (format!(r#"{core_urn} eq "x""#), core_urn.len(), AttrName),
        (
            format!(r#"{core_urn}name.given.x eq "a""#),
            core_urn.len() + 10,
            AttrPathEnd,
        ),
        (
            format!(r#"{core_urn}9name eq "a""#),
            core_urn.len(),
            AttrName,
        ),
    ];
    // Limits.
    let deep = "(".repeat(33) + "title pr" + &")".repeat(33);
    cases.push((deep, 32, DepthLimit(32)));
    let deep_not = "not (".repeat(40) + "title pr" + &")".repeat(40);
    cases.push((deep_not, 32 * 5, DepthLimit(32)));
    let long = format!(r#"userName eq "{}""#, "a".repeat(9000));
    cases.push((long, 8192, LengthLimit(8192)));
    let many: Vec<String> = (0..300).map(|i| format!(r#"id eq "{i}""#)).collect();
    let many = many.join(" or ");
    let at_257th = many.match_indices("id eq").nth(256).unwrap().0;
    cases.push((many, at_257th, TermLimit(256)));
    cases
}

#[test]
fn malformed_filters_report_offset_and_expectation() {
    let cases = cases();
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for (input, offset, expected) in &cases {
        match parse(input) {
            Ok(f) => failures.push(format!("{input:?} parsed as {f}")),
            Err(e) => {
                if e.offset() != *offset || e.expected() != expected {
                    failures.push(format!(
                        "{input:.60?}: expected {expected:?} at {offset}, got {:?} at {} ({e})",
                        e.expected(),
                        e.offset()
                    ));
                }
                assert_eq!(e.scim_type(), "invalidFilter");
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn error_messages_name_the_place() {
    let e = parse(r#"userName xx "bjensen""#).unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"expected a comparison operator after "userName" at 9"#
    );
    let e = parse(r#"title pr xor userType eq "Intern""#).unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"expected "and", "or" or the end of the filter after "pr" at 9"#
    );
    let e = parse("").unwrap_err();
    assert_eq!(e.to_string(), "expected an attribute path at 0");
    let e = Limits::default().parse(&"x".repeat(10_000)).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "expected at most 8192 bytes after \"{}\" at 8192",
            "x".repeat(40)
        )
    );
}

#[test]
fn malformed_paths_are_invalid_path_errors() {
    use Expected::*;
    let cases: &[(&str, usize, Expected)] = &[
        ("", 0, AttrPath),
        ("name.", 5, AttrName),
        (r#"emails[type eq "work"]x"#, 22, PathEnd),
        (r#"emails[type eq "work"].value.x"#, 28, PathEnd),
        ("members[value eq ]", 17, CompValue),
        ("members[value eq \"x\"", 20, LogicalOpOrBracket),
        ("name.givenName extra", 15, PathEnd),
        ("emails.value[type eq \"work\"]", 12, AttrPathEnd),
    ];
    for (input, offset, expected) in cases {
        let e = parse_path(input).unwrap_err();
        assert_eq!((e.offset(), e.expected()), (*offset, expected), "{input}");
        assert_eq!(e.scim_type(), "invalidPath");
    }
    let e = parse_attr_path(r#"emails[type eq "work"]"#).unwrap_err();
    assert_eq!((e.offset(), e.expected()), (6, &PathEnd));
}

#[test]
fn multibyte_input_never_splits_a_character() {
    // Limits and error quoting work on byte offsets that always fall on character boundaries.
    let limits = Limits {
        max_length: 10,
        ..Limits::default()
    };
    let e = limits.parse("ééééééééé pr").unwrap_err();
    assert!(e.offset() <= 10);
    assert!("ééééééééé pr".is_char_boundary(e.offset()));
    let e = parse("é eq 1").unwrap_err();
    assert_eq!(e.offset(), 0);
    let e = parse("title eq ü").unwrap_err();
    assert_eq!((e.offset(), e.expected()), (9, &Expected::CompValue));
}
