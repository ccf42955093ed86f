//! Every filter example of RFC 7644 §3.4.2.2 (and the PATCH path examples of §3.5.2) parses,
//! prints canonically, and the canonical form parses back to the same tree.

#![allow(clippy::unwrap_used)]

use scimkit_filter::{parse, parse_path, AttrTest, CompValue, CompareOp, Filter};

/// RFC 7644 §3.4.2.2, the example filters, exactly as printed in the RFC.
const RFC_FILTERS: &[&str] = &[
    r#"userName eq "bjensen""#,
    r#"name.familyName co "O'Malley""#,
    r#"userName sw "J""#,
    r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
    r#"title pr"#,
    r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
    r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
    r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
    r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
    r#"title pr and userType eq "Employee""#,
    r#"title pr or userType eq "Intern""#,
    r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
    r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
    r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
    r#"userType eq "Employee" and (emails.type eq "work")"#,
    r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
    r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
];

#[test]
fn every_rfc_filter_example_parses_and_round_trips() {
    for text in RFC_FILTERS {
        let filter = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let printed = filter.to_string();
        assert_eq!(
            parse(&printed).unwrap(),
            filter,
            "{text} printed as {printed}"
        );
    }
}

#[test]
fn canonical_forms_of_rfc_examples() {
    // Canonical printing keeps the RFC's text, except that redundant parentheses around a single
    // expression are dropped.
    for text in RFC_FILTERS {
        let printed = parse(text).unwrap().to_string();
        let expected = text.replace(r#"(emails.type eq "work")"#, r#"emails.type eq "work""#);
        assert_eq!(printed, expected);
    }
}

#[test]
fn rfc_precedence_example_groups_or_inside_and() {
    let f = parse(
        r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
    )
    .unwrap();
    let Filter::And(operands) = f else {
        panic!("not an and: {f:?}")
    };
    assert_eq!(operands.len(), 2);
    assert!(matches!(&operands[1], Filter::Or(or) if or.len() == 2));
}

#[test]
fn urn_qualified_example_keeps_the_urn_with_its_dots() {
    let f = parse(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#).unwrap();
    let Filter::Attr { path, test } = f else {
        panic!()
    };
    assert_eq!(
        path.urn.as_deref(),
        Some("urn:ietf:params:scim:schemas:core:2.0:User")
    );
    assert_eq!(path.name, "userName");
    assert_eq!(path.sub_attr, None);
    assert_eq!(
        test,
        AttrTest::Compare(CompareOp::Sw, CompValue::String("J".into()))
    );
}

/// RFC 7644 §3.5.2: the `path` examples of the PATCH section.
const RFC_PATHS: &[&str] = &[
    "members",
    "name.familyName",
    r#"addresses[type eq "work"]"#,
    r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#,
    r#"members[value eq "2819c223-7f76-453a-919d-413861904646"].displayName"#,
    r#"addresses[type eq "work"].streetAddress"#,
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
    r#"emails[type eq "work" and value ew "example.com"]"#,
    "x509Certificates",
    "meta.lastModified",
];

#[test]
fn every_rfc_patch_path_parses_and_round_trips() {
    for text in RFC_PATHS {
        let path = parse_path(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(path.to_string(), *text);
        assert_eq!(parse_path(&path.to_string()).unwrap(), path);
    }
}
