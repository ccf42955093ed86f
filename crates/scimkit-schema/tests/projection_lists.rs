//! `attributes` / `excludedAttributes` lists of any length (a `.search` body may name
//! thousands of paths) project exactly as their distinct entries do.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

use scimkit_schema::{Projection, Registry, USER_SCHEMA};
use serde_json::json;

#[test]
fn long_lists_project_as_their_distinct_entries() {
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let user = json!({"schemas": [USER_SCHEMA], "id": "1", "userName": "b",
                      "name": {"givenName": "B", "familyName": "J"},
                      "emails": [{"value": "a@x", "type": "work"}, {"value": "b@x", "type": "home"}],
                      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
                          {"department": "D", "employeeNumber": "7"}});
    let noise = |prefix: &str| -> Vec<String> {
        (0..5_000)
            .map(|i| format!("{prefix}{i}"))
            .collect::<Vec<_>>()
    };
    let cases: [(&[&str], &[&str]); 4] = [
        (&["emails.value", "EMAILS.VALUE", "name.givenName"], &[]),
        (&["emails", "userName"], &["emails.type", "Emails.Type"]),
        (
            &[],
            &[
                "name",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            ],
        ),
        (
            &["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"],
            &[],
        ),
    ];
    for (attrs, excluded) in cases {
        let strings = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let short = Projection::new(
            &users,
            (!attrs.is_empty()).then(|| strings(attrs)).as_deref(),
            &strings(excluded),
        )
        .unwrap();
        // The same lists repeated, with thousands of paths that name nothing.
        let mut long_attrs = strings(attrs);
        let mut long_excluded = strings(excluded);
        if !attrs.is_empty() {
            long_attrs.extend(noise("emails.x"));
            long_attrs.extend(noise("nothing"));
            long_attrs.extend(strings(attrs));
        }
        long_excluded.extend(noise("emails.y"));
        long_excluded.extend(noise("name.z"));
        long_excluded.extend(strings(excluded));
        let long = Projection::new(
            &users,
            (!attrs.is_empty()).then_some(long_attrs.as_slice()),
            &long_excluded,
        )
        .unwrap();
        assert_eq!(
            users.project(&user, &long),
            users.project(&user, &short),
            "{attrs:?} / {excluded:?}"
        );
        assert_eq!(
            users.project_into(user.clone(), &long),
            users.project(&user, &short)
        );
    }
}
