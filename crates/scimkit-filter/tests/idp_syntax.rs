//! Filter shapes identity providers send that stretch RFC 7644: each accepted as documented in
//! docs/filter.md, and refused where it would be ambiguous.

#![allow(clippy::unwrap_used)]

use scimkit_filter::{parse, AttrTest, CompValue, CompareOp, Filter, ParseOptions};

fn unquoted() -> ParseOptions {
    ParseOptions {
        unquoted_strings: true,
        ..ParseOptions::default()
    }
}

/// Microsoft's SCIM documentation ("Tutorial: Develop and plan provisioning for a SCIM
/// endpoint", older revisions) shows these requests with unquoted values.
#[test]
fn entra_unquoted_values_with_the_option() {
    let f = unquoted().parse("externalId eq jyoung").unwrap();
    assert_eq!(f.to_string(), r#"externalId eq "jyoung""#);
    let f = unquoted()
        .parse("id eq 54D382A4-2050-4C03-94D1-E769F1D15682 and manager eq 2819c223-7f76-453a-919d-413861904646")
        .unwrap();
    assert_eq!(
        f.to_string(),
        r#"id eq "54D382A4-2050-4C03-94D1-E769F1D15682" and manager eq "2819c223-7f76-453a-919d-413861904646""#
    );
    // Literals and numbers standing alone keep their meaning; words end at brackets.
    let f = unquoted()
        .parse("(active eq true) and n eq 12 and x eq 12ab")
        .unwrap();
    assert_eq!(
        f.to_string(),
        r#"active eq true and n eq 12 and x eq "12ab""#
    );
    let f = unquoted().parse("members[value eq abc]").unwrap();
    assert_eq!(f.to_string(), r#"members[value eq "abc"]"#);
    // Still an error: nothing after the operator.
    assert!(unquoted().parse("externalId eq )").is_err());
}

#[test]
fn unquoted_values_are_refused_by_default() {
    for f in [
        "externalId eq jyoung",
        "id eq 54D382A4-2050",
        "active eq ture",
    ] {
        assert!(parse(f).is_err(), "{f}");
    }
}

/// Entra ID's documented uniqueness lookup on the work email.
#[test]
fn entra_value_path_with_sub_attribute_comparison() {
    let f = parse(r#"emails[type eq "work"].value eq "user@contoso.com""#).unwrap();
    let Filter::ValuePath(vp) = &f else {
        panic!("{f:?}")
    };
    assert_eq!(vp.attr.name, "emails");
    let Filter::And(both) = &*vp.filter else {
        panic!()
    };
    assert_eq!(
        both[1],
        Filter::Attr {
            path: scimkit_filter::AttrPath::new("value"),
            test: AttrTest::Compare(CompareOp::Eq, CompValue::String("user@contoso.com".into())),
        }
    );
    assert_eq!(
        f.to_string(),
        r#"emails[type eq "work" and value eq "user@contoso.com"]"#
    );
}

/// RFC 7644's own examples: operators in any case, no space before a quoted value, line breaks.
#[test]
fn rfc_printing_quirks() {
    assert_eq!(
        parse(r#"userName Eq "john""#),
        parse(r#"Username eq "john""#).map(|f| {
            let Filter::Attr { test, .. } = f else {
                unreachable!()
            };
            Filter::Attr {
                path: scimkit_filter::AttrPath::new("userName"),
                test,
            }
        })
    );
    assert!(parse(r#"members[value eq"2819c223"]"#).is_ok());
    assert!(parse("userType eq \"Employee\" and (emails co \"example.com\" or\n  emails.value co \"example.org\")").is_ok());
}
