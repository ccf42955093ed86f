//! A reference is identified by its `value` (issue 14 item 1), and a remove that matches
//! nothing is an error or a documented no-op depending on the profile.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

use scimkit_schema::{
    AttributeDef, AttributeType, PatchOp, Profile, Registry, ResourceType, Schema, GROUP_SCHEMA,
};
use serde_json::{json, Value};

fn patch(ops: Value) -> PatchOp {
    serde_json::from_value(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops
    }))
    .unwrap()
}

fn group(members: Value) -> Value {
    json!({"schemas": [GROUP_SCHEMA], "id": "G", "displayName": "g", "members": members})
}

/// The fuzz campaign's reproduction: the client repeats the member's `display`, which the
/// stored member does not have.
#[test]
fn remove_member_given_with_display_removes_it() {
    let registry = Registry::standard();
    let groups = registry.resource_type("Group").unwrap();
    let stored = group(json!([{"value": "U"}, {"value": "V"}]));
    let p = patch(json!([{"op": "remove", "path": "members",
                          "value": [{"value": "U", "display": "Ada"}]}]));
    for profile in [Profile::entra_id(), Profile::default(), Profile::okta()] {
        let out = groups.patch(&stored, &p, &profile).unwrap();
        assert_eq!(
            out.resource["members"],
            json!([{"value": "V"}]),
            "{}",
            profile.name
        );
        assert_eq!(out.changed, ["members"]);
    }
    // Every sub-attribute a client may repeat, and the last member: the attribute goes.
    let p = patch(json!([{"op": "Remove", "path": "members", "value": [
        {"value": "U", "display": "Ada", "type": "User", "$ref": "https://x/Users/U"},
        {"value": "v", "display": "Bo"}]}]));
    let out = groups.patch(&stored, &p, &Profile::entra_id()).unwrap();
    assert!(out.resource.get("members").is_none(), "{}", out.resource);
}

#[test]
fn adding_a_present_member_with_display_adds_nothing() {
    let registry = Registry::standard();
    let groups = registry.resource_type("Group").unwrap();
    let stored = group(json!([{"value": "U"}]));
    let p = patch(json!([{"op": "add", "path": "members",
                          "value": [{"value": "U", "display": "Ada"}, {"value": "W", "display": "Wu"},
                                    {"value": "w", "type": "User"}]}]));
    let out = groups.patch(&stored, &p, &Profile::okta()).unwrap();
    assert_eq!(
        out.resource["members"],
        json!([{"value": "U"}, {"value": "W", "display": "Wu"}])
    );
    let p = patch(
        json!([{"op": "add", "path": "members", "value": [{"value": "U", "display": "Ada"}]}]),
    );
    let mut in_place = stored.clone();
    let changed = groups
        .apply_patch(&mut in_place, &p, &Profile::entra_id())
        .unwrap();
    assert!(changed.is_empty());
    assert_eq!(in_place, stored);
}

/// The rule comes from the schema (a `value` beside a `$ref` of type reference), not from the
/// attribute's name, and honours the `value` sub-attribute's `caseExact`.
#[test]
fn references_are_recognised_from_the_schema() {
    let team = Schema::new("urn:example:Team", "Team")
        .attribute(AttributeDef::string("name"))
        .attribute(
            AttributeDef::complex(
                "owners",
                vec![
                    AttributeDef::string("value").case_exact(),
                    AttributeDef::reference("$ref", &["User"]),
                    AttributeDef::string("display"),
                ],
            )
            .multi_valued(),
        )
        .attribute(
            AttributeDef::complex(
                "tags",
                vec![
                    AttributeDef::string("value"),
                    AttributeDef::string("display"),
                    AttributeDef::new("ref", AttributeType::Reference),
                ],
            )
            .multi_valued(),
        );
    let registry = Registry::builder()
        .schema(team)
        .resource_type(ResourceType::new("Team", "/Teams", "urn:example:Team"))
        .build()
        .unwrap();
    let teams = registry.resource_type("Team").unwrap();
    let stored = json!({"schemas": ["urn:example:Team"], "name": "t",
                        "owners": [{"value": "U"}, {"value": "u"}],
                        "tags": [{"value": "red"}]});
    let p = patch(json!([
        {"op": "remove", "path": "owners", "value": [{"value": "u", "display": "Ada"}]},
        {"op": "remove", "path": "tags", "value": [{"value": "red", "display": "Red"}]}
    ]));
    let out = teams.patch(&stored, &p, &Profile::default()).unwrap();
    // caseExact `value`: only "u" goes.
    assert_eq!(out.resource["owners"], json!([{"value": "U"}]));
    // Not a reference (no `$ref`): every sub-attribute given must match, as before.
    assert_eq!(out.resource["tags"], json!([{"value": "red"}]));
}

/// Emails are not references: a pattern with a `display` the stored email lacks matches
/// nothing (the pre-existing rule).
#[test]
fn emails_still_match_on_every_given_sub_attribute() {
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let stored = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                        "userName": "b", "emails": [{"value": "a@x", "type": "work"}]});
    let p = patch(json!([{"op": "remove", "path": "emails",
                          "value": [{"value": "a@x", "display": "A"}]}]));
    let out = users.patch(&stored, &p, &Profile::default()).unwrap();
    assert_eq!(out.resource, stored);
    let p = patch(json!([{"op": "remove", "path": "emails", "value": [{"value": "A@X"}]}]));
    let out = users.patch(&stored, &p, &Profile::default()).unwrap();
    assert!(out.resource.get("emails").is_none());
}

/// Strict answers `noTarget` when a remove matches nothing; the IdP profiles (and the default)
/// treat it as the documented no-op.
#[test]
fn remove_matching_nothing_per_profile() {
    let registry = Registry::standard();
    let groups = registry.resource_type("Group").unwrap();
    let users = registry.resource_type("User").unwrap();
    let stored = group(json!([{"value": "U"}]));
    let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                      "userName": "b", "emails": [{"value": "a@x", "type": "work"}]});
    let cases = [
        (&groups, &stored, r#"members[value eq "nope"]"#),
        (&users, &user, r#"emails[type eq "home"]"#),
        (&users, &user, r#"emails[type eq "home"].display"#),
        (&users, &user, r#"phoneNumbers[type eq "work"]"#),
        (
            &users,
            &user,
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"#,
        ),
    ];
    for (i, (rs, before, path)) in cases.into_iter().enumerate() {
        let p = patch(json!([{"op": "remove", "path": path}]));
        for profile in [Profile::entra_id(), Profile::okta(), Profile::default()] {
            let out = rs.patch(before, &p, &profile).unwrap();
            assert_eq!(&out.resource, before, "{path} {}", profile.name);
            assert!(out.changed.is_empty());
        }
        let mut in_place = before.clone();
        let strict = rs.apply_patch(&mut in_place, &p, &Profile::strict());
        if i < 4 {
            let e = strict.unwrap_err();
            assert_eq!(
                (e.status(), e.scim_type().unwrap().as_str()),
                (400, "noTarget")
            );
            assert!(!e.detail().contains("nope"), "{e}");
        } else {
            // No value filter: removing an unassigned attribute stays a no-op everywhere.
            assert!(strict.unwrap().is_empty());
        }
        assert_eq!(&in_place, before);
    }
    // A profile that removes by value but is not idempotent says so too.
    let mut by_value = Profile::entra_id();
    by_value.idempotent_remove = false;
    let p = patch(json!([{"op": "remove", "path": "members", "value": [{"value": "nope"}]}]));
    let e = groups.patch(&stored, &p, &by_value).unwrap_err();
    assert_eq!(e.scim_type().unwrap().as_str(), "noTarget");
    let out = groups.patch(&stored, &p, &Profile::entra_id()).unwrap();
    assert!(out.changed.is_empty());
}
