//! The evaluation table: each filter against a fixture of four users, with the users that must
//! match. Covers every operator × value type × case rule × single / multi-valued / complex /
//! extension attribute, precedence, and the absent-attribute rules (RFC 7644 §3.4.2.2).

#![allow(clippy::unwrap_used)]

use scimkit_filter::{matches, parse, AttrFacts, AttrRef, AttrType, AttributeFacts, EvalError};
use serde_json::{json, Value};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const GAME: &str = "urn:example:params:scim:schemas:extension:game:2.0:User";

fn users() -> Vec<Value> {
    vec![
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE, GAME],
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
            "x509Certificates": [{"value": "MIIDQzCCAqy"}],
            "groups": [{"value": "g1", "display": "Admins"}],
            "meta": {"created": "2011-05-13T04:42:34Z", "lastModified": "2011-05-13T04:42:34Z"},
            ENTERPRISE: {
                "employeeNumber": "701984",
                "department": "Tour Operations",
                "manager": {"value": "26118915", "displayName": "John Smith"}
            },
            GAME: {"score": 42, "level": 3.5}
        }),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE, GAME],
            "id": "26118915",
            "externalId": "bj-01",
            "userName": "JSmith",
            "name": {"familyName": "Smith", "givenName": "John"},
            "nickName": "Johnny",
            "userType": "Intern",
            "active": false,
            "emails": [{"value": "john@example.org", "type": "work"}],
            "meta": {"created": "2012-01-01T10:00:00+02:00", "lastModified": "2013-06-01T00:00:00Z"},
            ENTERPRISE: {"department": "R&D", "employeeNumber": "1002"},
            GAME: {"score": 7}
        }),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", GAME],
            "id": "u3",
            "userName": "ümit.öz",
            "name": {"familyName": "Öz", "givenName": "Ümit"},
            "displayName": "Ümit Öz",
            "title": "",
            "userType": null,
            "active": true,
            "emails": [],
            "phoneNumbers": null,
            "meta": {"created": "2011-05-13T06:42:34+02:00", "lastModified": "2011-05-13T04:42:34.5Z"},
            GAME: {"score": -3, "level": 0}
        }),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": "u4",
            "userName": "nobody"
        }),
    ]
}

/// A small schema: the RFC 7643 characteristics that matter to the table.
struct TestFacts;

impl AttributeFacts for TestFacts {
    fn facts(&self, attr: &AttrRef<'_>) -> AttrFacts {
        let name = attr.name.to_ascii_lowercase();
        let sub = attr.sub_attr.map(str::to_ascii_lowercase);
        let urn = attr.urn.map(str::to_ascii_lowercase);
        let exact = |kind| AttrFacts {
            kind,
            case_exact: true,
        };
        let inexact = |kind| AttrFacts {
            kind,
            case_exact: false,
        };
        match (urn.as_deref(), name.as_str(), sub.as_deref()) {
            (_, "id" | "externalid", None) => exact(AttrType::String),
            (_, "schemas", _) => exact(AttrType::Reference),
            (_, "active", None) => inexact(AttrType::Boolean),
            (_, "emails", Some("primary")) => inexact(AttrType::Boolean),
            (_, "meta", Some("created" | "lastmodified")) => inexact(AttrType::DateTime),
            (_, "x509certificates", Some("value") | None) => exact(AttrType::Binary),
            (Some(u), "score", None) if u == GAME.to_ascii_lowercase() => {
                inexact(AttrType::Integer)
            }
            (Some(u), "level", None) if u == GAME.to_ascii_lowercase() => {
                inexact(AttrType::Decimal)
            }
            _ => AttrFacts::CASE_INSENSITIVE_STRING,
        }
    }
}

/// (filter, userNames of the users that match).
const TABLE: &[(&str, &[&str])] = &[
    // --- string, caseExact false (userName) ---
    (r#"userName eq "bjensen""#, &["bjensen"]),
    (r#"userName eq "BJENSEN""#, &["bjensen"]),
    (r#"USERNAME eq "bjensen""#, &["bjensen"]),
    (r#"userName eq "jsmith""#, &["JSmith"]),
    (r#"userName ne "bjensen""#, &["JSmith", "ümit.öz", "nobody"]),
    (r#"userName co "smi""#, &["JSmith"]),
    (r#"userName co "SMI""#, &["JSmith"]),
    (r#"userName sw "J""#, &["JSmith"]),
    (r#"userName sw "b""#, &["bjensen"]),
    (r#"userName ew "SEN""#, &["bjensen"]),
    (r#"userName ew "x""#, &[]),
    (r#"userName gt "j""#, &["JSmith", "ümit.öz", "nobody"]),
    (r#"userName lt "c""#, &["bjensen"]),
    (r#"userName ge "jsmith""#, &["JSmith", "ümit.öz", "nobody"]),
    (r#"userName le "JSMITH""#, &["bjensen", "JSmith"]),
    (r#"userName eq "ÜMIT.ÖZ""#, &["ümit.öz"]),
    (r#"userName co "MIT.Ö""#, &["ümit.öz"]),
    (r#"userName sw "Ü""#, &["ümit.öz"]),
    ("userName pr", &["bjensen", "JSmith", "ümit.öz", "nobody"]),
    (
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "jsmith""#,
        &["JSmith"],
    ),
    (
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
        &["JSmith"],
    ),
    (r#"userName eq """#, &[]),
    (
        r#"userName co """#,
        &["bjensen", "JSmith", "ümit.öz", "nobody"],
    ),
    // --- string, caseExact true (id, externalId) ---
    (r#"id eq "26118915""#, &["JSmith"]),
    (r#"id eq "U3""#, &[]),
    (r#"id eq "u3""#, &["ümit.öz"]),
    (r#"id sw "2819C223""#, &[]),
    (r#"id sw "2819c223""#, &["bjensen"]),
    (r#"id ne "u4""#, &["bjensen", "JSmith", "ümit.öz"]),
    (r#"externalId eq "BJ-01""#, &["bjensen"]),
    (r#"externalId eq "bj-01""#, &["JSmith"]),
    (r#"externalId co "J-0""#, &["bjensen"]),
    ("externalId pr", &["bjensen", "JSmith"]),
    (r#"externalId ne "BJ-01""#, &["JSmith", "ümit.öz", "nobody"]),
    (r#"externalId gt "BJ-01""#, &["JSmith"]),
    // --- complex single-valued ---
    (r#"name.familyName eq "jensen""#, &["bjensen"]),
    (r#"name.familyName co "O'Malley""#, &[]),
    (r#"name.givenName sw "JO""#, &["JSmith"]),
    (r#"name.familyName eq "öz""#, &["ümit.öz"]),
    ("name.familyName pr", &["bjensen", "JSmith", "ümit.öz"]),
    ("name pr", &["bjensen", "JSmith", "ümit.öz"]),
    ("name.middleName pr", &[]),
    (
        r#"name.familyName ne "Smith""#,
        &["bjensen", "ümit.öz", "nobody"],
    ),
    (r#"NAME.FAMILYNAME eq "SMITH""#, &["JSmith"]),
    (r#"name eq "Jensen""#, &[]),
    (r#"name.familyName gt "K""#, &["JSmith", "ümit.öz"]),
    (r#"name.familyName lt "k""#, &["bjensen"]),
    // --- presence, empty and null ---
    ("title pr", &["bjensen"]),
    (r#"title eq """#, &["ümit.öz"]),
    (r#"title eq "tour guide""#, &["bjensen"]),
    ("not (title pr)", &["JSmith", "ümit.öz", "nobody"]),
    ("title eq null", &["JSmith", "nobody"]),
    ("title ne null", &["bjensen", "ümit.öz"]),
    ("userType eq null", &["ümit.öz", "nobody"]),
    ("userType pr", &["bjensen", "JSmith"]),
    (r#"userType eq "Employee""#, &["bjensen"]),
    (
        r#"userType ne "Employee""#,
        &["JSmith", "ümit.öz", "nobody"],
    ),
    (r#"title pr and userType eq "Employee""#, &["bjensen"]),
    (
        r#"title pr or userType eq "Intern""#,
        &["bjensen", "JSmith"],
    ),
    (r#"nickName co "ohn""#, &["JSmith"]),
    (r#"nickName sw "x""#, &[]),
    (r#"nickName gt "a""#, &["JSmith"]),
    (r#"nickName lt "z""#, &["JSmith"]),
    // --- boolean ---
    ("active eq true", &["bjensen", "ümit.öz"]),
    ("active eq false", &["JSmith"]),
    ("active ne true", &["JSmith", "nobody"]),
    ("active ne false", &["bjensen", "ümit.öz", "nobody"]),
    ("active eq TRUE", &["bjensen", "ümit.öz"]),
    ("active pr", &["bjensen", "JSmith", "ümit.öz"]),
    // A boolean attribute compared with "true"/"false" strings, as Entra ID sends them.
    (r#"active eq "true""#, &["bjensen", "ümit.öz"]),
    (r#"active eq "False""#, &["JSmith"]),
    (r#"emails[primary eq "True"]"#, &["bjensen"]),
    (r#"active eq "yes""#, &[]),
    (r#"active co "tr""#, &[]),
    // --- dateTime, compared as instants ---
    (
        r#"meta.created eq "2011-05-13T04:42:34Z""#,
        &["bjensen", "ümit.öz"],
    ),
    (
        r#"meta.created eq "2011-05-13T06:42:34+02:00""#,
        &["bjensen", "ümit.öz"],
    ),
    (r#"meta.created gt "2011-05-13T04:42:34Z""#, &["JSmith"]),
    (
        r#"meta.created ge "2011-05-13T04:42:34Z""#,
        &["bjensen", "JSmith", "ümit.öz"],
    ),
    (
        r#"meta.created lt "2012-01-01T08:00:00Z""#,
        &["bjensen", "ümit.öz"],
    ),
    (
        r#"meta.created le "2012-01-01T08:00:00Z""#,
        &["bjensen", "JSmith", "ümit.öz"],
    ),
    (
        r#"meta.created ne "2012-01-01T08:00:00Z""#,
        &["bjensen", "ümit.öz", "nobody"],
    ),
    (
        r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
        &["JSmith", "ümit.öz"],
    ),
    (
        r#"meta.lastModified lt "2011-05-13T04:42:35Z""#,
        &["bjensen", "ümit.öz"],
    ),
    (
        r#"meta.lastModified eq "2013-06-01T00:00:00.000Z""#,
        &["JSmith"],
    ),
    (
        r#"meta.lastModified eq "2013-06-01T02:00:00+02:00""#,
        &["JSmith"],
    ),
    (r#"meta.created sw "2011""#, &["bjensen", "ümit.öz"]),
    (r#"meta.created co "+02:00""#, &["JSmith", "ümit.öz"]),
    ("meta.created pr", &["bjensen", "JSmith", "ümit.öz"]),
    // --- integer and decimal in a custom extension ---
    (
        "urn:example:params:scim:schemas:extension:game:2.0:User:score eq 42",
        &["bjensen"],
    ),
    (
        "urn:example:params:scim:schemas:extension:game:2.0:User:score gt 7",
        &["bjensen"],
    ),
    (
        "urn:example:params:scim:schemas:extension:game:2.0:User:score ge 7",
        &["bjensen", "JSmith"],
    ),
    (
        "urn:example:params:scim:schemas:extension:game:2.0:User:score lt 0",
        &["ümit.öz"],
    ),
    (
        "urn:example:params:scim:schemas:extension:game:2.0:User:score le -3",
        &["ümit.öz"],
    ),
    (
        "urn:example:params:scim:schemas:extension:game:2.0:User:score ne 42",
        &["JSmith", "ümit.öz", "nobody"],
    ),
    (
        "urn:example:params:scim:schemas:extension:game:2.0:User:score eq 42.0",
        &["bjensen"],
    ),
    (
        "urn:example:params:scim:schemas:extension:game:2.0:User:score gt 6.5",
        &["bjensen", "JSmith"],
    ),
    (
        "urn:example:params:scim:schemas:extension:game:2.0:User:score eq 4.2e1",
        &["bjensen"],
    ),
    (
        "urn:example:params:scim:schemas:extension:game:2.0:User:level eq 3.5",
        &["bjensen"],
    ),
    (
        "urn:example:params:scim:schemas:extension:game:2.0:User:level gt 0",
        &["bjensen"],
    ),
    (
        "urn:example:params:scim:schemas:extension:game:2.0:User:level le 0",
        &["ümit.öz"],
    ),
    (
        "urn:example:params:scim:schemas:extension:game:2.0:User:score pr",
        &["bjensen", "JSmith", "ümit.öz"],
    ),
    (
        r#"urn:example:params:scim:schemas:extension:game:2.0:User:score eq "42""#,
        &[],
    ),
    (
        "urn:example:params:scim:schemas:extension:game:2.0:User:SCORE eq 42",
        &["bjensen"],
    ),
    (
        "URN:EXAMPLE:PARAMS:SCIM:SCHEMAS:EXTENSION:GAME:2.0:USER:score eq 7",
        &["JSmith"],
    ),
    // --- the enterprise extension ---
    (
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#,
        &["bjensen"],
    ),
    (
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "tour operations""#,
        &["bjensen"],
    ),
    (
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department co "&""#,
        &["JSmith"],
    ),
    (
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915""#,
        &["bjensen"],
    ),
    (
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName sw "john""#,
        &["bjensen"],
    ),
    (
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager pr",
        &["bjensen"],
    ),
    (
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department pr",
        &["bjensen", "JSmith"],
    ),
    (
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber ne "701984""#,
        &["JSmith", "ümit.öz", "nobody"],
    ),
    (
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber gt "1""#,
        &["bjensen", "JSmith"],
    ),
    (r#"department eq "R&D""#, &[]),
    (
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "R\u0026D""#,
        &["JSmith"],
    ),
    // --- multi-valued complex ---
    (r#"emails co "example.com""#, &["bjensen"]),
    (r#"emails.value co "example.org""#, &["JSmith"]),
    (r#"emails.value ew ".ORG""#, &["bjensen", "JSmith"]),
    (r#"emails.type eq "home""#, &["bjensen"]),
    (r#"emails.type eq "work""#, &["bjensen", "JSmith"]),
    ("emails pr", &["bjensen", "JSmith"]),
    ("emails.primary eq true", &["bjensen"]),
    (
        r#"emails[type eq "work" and value co "@example.com"]"#,
        &["bjensen"],
    ),
    (r#"emails[type eq "home" and value co "@example.com"]"#, &[]),
    (
        r#"emails[type eq "home"] and emails.value co "@example.com""#,
        &["bjensen"],
    ),
    (
        r#"emails[type eq "work"].value eq "john@example.org""#,
        &["JSmith"],
    ),
    (
        r#"emails[type eq "work"].value co "EXAMPLE""#,
        &["bjensen", "JSmith"],
    ),
    (r#"emails[type eq "home"].value co "example""#, &[]),
    ("emails[primary eq true]", &["bjensen"]),
    (r#"emails[not (type eq "work")]"#, &["bjensen"]),
    (r#"emails[type ne "work"]"#, &["bjensen"]),
    (
        r#"emails ne "bjensen@example.com""#,
        &["JSmith", "ümit.öz", "nobody"],
    ),
    (r#"emails.value eq "BJENSEN@EXAMPLE.COM""#, &["bjensen"]),
    ("emails[value pr]", &["bjensen", "JSmith"]),
    (
        r#"emails[type eq "work" or type eq "home"]"#,
        &["bjensen", "JSmith"],
    ),
    (r#"emails[value ew ".org"]"#, &["bjensen", "JSmith"]),
    (
        r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
        &["bjensen"],
    ),
    (
        r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        &["bjensen"],
    ),
    (
        r#"ims[type eq "xmpp" and value co "@foo.com"]"#,
        &["bjensen"],
    ),
    (r#"phoneNumbers[type eq "work"]"#, &["bjensen"]),
    ("phoneNumbers pr", &["bjensen"]),
    (r#"phoneNumbers.value sw "555""#, &["bjensen"]),
    (
        r#"phoneNumbers[type eq "work"] or phoneNumbers eq null"#,
        &["bjensen", "JSmith", "ümit.öz", "nobody"],
    ),
    // --- binary (caseExact) ---
    (r#"x509Certificates.value eq "MIIDQzCCAqy""#, &["bjensen"]),
    (r#"x509Certificates.value eq "miidqzccaqy""#, &[]),
    ("x509Certificates pr", &["bjensen"]),
    (r#"x509Certificates[value sw "MIID"]"#, &["bjensen"]),
    // --- multi-valued simple (schemas, a reference: caseExact) ---
    (
        r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
        &["bjensen", "JSmith"],
    ),
    (r#"schemas co "game""#, &["bjensen", "JSmith", "ümit.öz"]),
    (
        r#"schemas[value eq "urn:ietf:params:scim:schemas:core:2.0:User"]"#,
        &["bjensen", "JSmith", "ümit.öz", "nobody"],
    ),
    (
        r#"schemas eq "URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER""#,
        &[],
    ),
    (r#"groups[display eq "admins"]"#, &["bjensen"]),
    (r#"groups.value eq "g1""#, &["bjensen"]),
    // --- precedence: not > and > or, left to right ---
    (
        r#"userName eq "bjensen" or userName eq "jsmith" and active eq true"#,
        &["bjensen"],
    ),
    (
        r#"(userName eq "bjensen" or userName eq "jsmith") and active eq true"#,
        &["bjensen"],
    ),
    (
        r#"userName eq "jsmith" or userName eq "bjensen" and active eq false"#,
        &["JSmith"],
    ),
    (
        "not (active eq true) and userName pr",
        &["JSmith", "nobody"],
    ),
    (
        "not (active eq true and userName pr)",
        &["JSmith", "nobody"],
    ),
    (
        r#"not (userName eq "bjensen") or title pr"#,
        &["bjensen", "JSmith", "ümit.öz", "nobody"],
    ),
    (
        r#"title pr and userType eq "Employee" or userName eq "nobody""#,
        &["bjensen", "nobody"],
    ),
    (
        r#"userName eq "nobody" or title pr and userType eq "Intern""#,
        &["nobody"],
    ),
    (
        r#"userType eq "Employee" and active eq true or userType eq "Intern" and active eq false"#,
        &["bjensen", "JSmith"],
    ),
    (
        r#"userName sw "b" AND active eq true OR userName sw "n""#,
        &["bjensen", "nobody"],
    ),
    (r#"not (not (userName eq "bjensen"))"#, &["bjensen"]),
    (
        r#"userName eq "bjensen" and (title pr or nickName pr)"#,
        &["bjensen"],
    ),
    (
        r#"(userName eq "jsmith" and (nickName pr or title pr)) or (userName eq "nobody")"#,
        &["JSmith", "nobody"],
    ),
    (
        r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
        &["ümit.öz", "nobody"],
    ),
    (
        r#"userType eq "Employee" and (emails.type eq "work")"#,
        &["bjensen"],
    ),
    (
        r#"title pr or userType eq "Intern" or not (active pr)"#,
        &["bjensen", "JSmith", "nobody"],
    ),
    // --- white space, letter case of keywords, escapes ---
    ("  userName   EQ   \"bjensen\"  ", &["bjensen"]),
    ("userName eq \"bjensen\"\tand\ttitle pr", &["bjensen"]),
    (r#"userName Eq "jsmith""#, &["JSmith"]),
    (r#"(userName eq "jsmith")"#, &["JSmith"]),
    (r#"name.familyName eq "\u00d6z""#, &["ümit.öz"]),
    (r#"displayName eq "\u00dcMIT \u00d6Z""#, &["ümit.öz"]),
    (r#"displayName eq "Babs\u0020Jensen""#, &["bjensen"]),
];

#[test]
fn evaluation_table() {
    assert!(TABLE.len() >= 150, "the table has {} cases", TABLE.len());
    let users = users();
    let mut failures = Vec::new();
    for (text, expected) in TABLE {
        let filter = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let got: Vec<&str> = users
            .iter()
            .filter(|u| matches(&filter, u, &TestFacts).unwrap_or_else(|e| panic!("{text}: {e}")))
            .map(|u| u["userName"].as_str().unwrap())
            .collect();
        if got != *expected {
            failures.push(format!(
                "{text}\n    expected {expected:?}\n    got      {got:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn ne_is_the_negation_of_eq_on_every_user() {
    let users = users();
    for (text, _) in TABLE {
        let Ok(eq) = parse(text) else { continue };
        let lower = text.to_ascii_lowercase();
        let words: Vec<&str> = lower.split_whitespace().collect();
        if !lower.contains(" eq ")
            || words.iter().any(|w| *w == "and" || *w == "or")
            || lower.contains('[')
        {
            continue;
        }
        let at = lower.find(" eq ").unwrap();
        let ne_text = format!("{} ne {}", &text[..at], &text[at + 4..]);
        let ne = parse(&ne_text).unwrap();
        for user in &users {
            assert_ne!(
                matches(&eq, user, &TestFacts).unwrap(),
                matches(&ne, user, &TestFacts).unwrap(),
                "{text} on {}",
                user["userName"]
            );
        }
    }
}

#[test]
fn ordering_a_boolean_or_binary_attribute_is_an_error_whatever_the_data() {
    for text in [
        "active gt true",
        "active le false",
        r#"x509Certificates.value gt "A""#,
        r#"x509Certificates[value lt "A"]"#,
        r#"emails[primary ge true]"#,
    ] {
        let filter = parse(text).unwrap();
        for user in users() {
            let err = matches(&filter, &user, &TestFacts).unwrap_err();
            assert!(
                matches!(err, EvalError::Unorderable { .. }),
                "{text}: {err:?}"
            );
            assert_eq!(err.scim_type(), "invalidFilter");
        }
    }
}

#[test]
fn a_malformed_date_time_comparison_value_is_an_error() {
    let filter = parse(r#"meta.created gt "yesterday""#).unwrap();
    let err = matches(&filter, &users()[0], &TestFacts).unwrap_err();
    assert!(
        matches!(
            err,
            EvalError::InvalidValue {
                kind: "dateTime",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("meta.created"));
}

#[test]
fn default_facts_compare_every_attribute_as_a_case_insensitive_string() {
    let user = &users()[0];
    let f = parse(r#"id eq "2819C223-7F76-453A-919D-413861904646""#).unwrap();
    assert!(matches(&f, user, &scimkit_filter::DefaultFacts).unwrap());
    // Without a schema nothing says `active` is a boolean, so ordering it is no error.
    let f = parse("active gt false").unwrap();
    assert!(matches(&f, user, &scimkit_filter::DefaultFacts).unwrap());
}
