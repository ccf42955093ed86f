//! Validation for create and replace, attribute smuggling, and the create / PUT shapes of
//! Entra ID and Okta replayed as their public documentation shows them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

use scimkit_schema::{
    AttributeDef, AttributeType, Mutability, Profile, PutAbsent, Registry, ResourceType, Schema,
    ScimType, Unknown, ENTERPRISE_USER_SCHEMA,
};
use serde_json::{json, Value};

fn users() -> Registry {
    Registry::standard()
}

fn err_type(r: Result<Value, scimkit_schema::ScimError>) -> ScimType {
    r.expect_err("expected an error").scim_type().unwrap()
}

#[test]
fn create_normalises_spelling_and_drops_read_only() {
    let reg = users();
    let rs = reg.resource_type("User").unwrap();
    let out = rs
        .validate_create(
            json!({"SCHEMAS": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                   "username": "bjensen", "NAME": {"GIVENNAME": "Barbara"},
                   "Emails": [{"VALUE": "b@example.com", "Type": "work", "PRIMARY": "true"}],
                   "id": "client-chosen", "meta": {"resourceType": "User"},
                   "groups": [{"value": "g1"}]}),
            &Profile::default(),
        )
        .unwrap();
    assert_eq!(
        out,
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bjensen",
               "name": {"givenName": "Barbara"},
               "emails": [{"value": "b@example.com", "type": "work", "primary": true}]})
    );
}

#[test]
fn keys_differing_only_in_case_are_rejected() {
    let reg = users();
    let rs = reg.resource_type("User").unwrap();
    let p = Profile::default();
    let smuggle = |body: Value| err_type(rs.validate_create(body, &p));
    let core = "urn:ietf:params:scim:schemas:core:2.0:User";
    assert_eq!(
        smuggle(json!({"schemas": [core], "userName": "a", "USERNAME": "b"})),
        ScimType::InvalidSyntax
    );
    assert_eq!(
        smuggle(
            json!({"schemas": [core], "userName": "a", "name": {"givenName": "x", "givenname": "y"}})
        ),
        ScimType::InvalidSyntax
    );
    assert_eq!(
        smuggle(json!({"schemas": [core], "userName": "a",
        ENTERPRISE_USER_SCHEMA: {"department": "x", "Department": "y"}})),
        ScimType::InvalidSyntax
    );
    assert_eq!(
        smuggle(json!({"schemas": [core], "userName": "a",
        ENTERPRISE_USER_SCHEMA: {}, ENTERPRISE_USER_SCHEMA.to_uppercase(): {}})),
        ScimType::InvalidSyntax
    );
    assert_eq!(
        smuggle(json!({"schemas": [core], "Schemas": [core], "userName": "a"})),
        ScimType::InvalidSyntax
    );
}

#[test]
fn required_types_and_schemas() {
    let reg = users();
    let rs = reg.resource_type("User").unwrap();
    let p = Profile::default();
    let core = "urn:ietf:params:scim:schemas:core:2.0:User";
    let check = |body: Value| err_type(rs.validate_create(body, &p));
    assert_eq!(check(json!({"schemas": [core]})), ScimType::InvalidValue);
    assert_eq!(
        check(json!({"schemas": [core], "userName": "  "})),
        ScimType::InvalidValue
    );
    assert_eq!(
        check(json!({"schemas": [core], "userName": 7})),
        ScimType::InvalidValue
    );
    assert_eq!(
        check(json!({"schemas": [core], "userName": "a", "active": 1})),
        ScimType::InvalidValue
    );
    assert_eq!(
        check(json!({"schemas": [core], "userName": "a", "name": "x"})),
        ScimType::InvalidValue
    );
    assert_eq!(
        check(json!({"schemas": [core], "userName": "a", "emails": [{"value": 1}]})),
        ScimType::InvalidValue
    );
    assert_eq!(
        check(
            json!({"schemas": [core], "userName": "a", "emails": [{"value": "a", "primary": true}, {"value": "b", "primary": true}]})
        ),
        ScimType::InvalidValue
    );
    assert_eq!(
        check(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "userName": "a"})),
        ScimType::InvalidValue
    );
    assert_eq!(
        check(json!({"schemas": "x", "userName": "a"})),
        ScimType::InvalidValue
    );
    assert_eq!(
        check(json!({"schemas": [core, "urn:example:unknown"], "userName": "a"})),
        ScimType::InvalidValue
    );
    assert_eq!(
        check(json!({"schemas": [core], "userName": "a", "urn:example:unknown": {"x": 1}})),
        ScimType::InvalidValue
    );
    assert_eq!(check(json!(["not an object"])), ScimType::InvalidSyntax);
    // Unknown attributes: ignored by default, rejected by strict.
    let ok = rs
        .validate_create(json!({"schemas": [core], "userName": "a", "foo": 1}), &p)
        .unwrap();
    assert!(ok.get("foo").is_none());
    assert_eq!(
        err_type(rs.validate_create(
            json!({"schemas": [core], "userName": "a", "foo": 1}),
            &Profile::strict()
        )),
        ScimType::InvalidSyntax
    );
    // Extension data without the URN in schemas: accepted and listed.
    let ext = rs.validate_create(json!({"schemas": [core], "userName": "a", ENTERPRISE_USER_SCHEMA: {"department": "x"}}), &p).unwrap();
    assert_eq!(ext["schemas"], json!([core, ENTERPRISE_USER_SCHEMA]));
    // Nulls are unassigned.
    let nulls = rs
        .validate_create(
            json!({"schemas": [core], "userName": "a", "displayName": null, "emails": [null]}),
            &p,
        )
        .unwrap();
    assert_eq!(nulls, json!({"schemas": [core], "userName": "a"}));
}

/// Custom types: every JSON type check and strict canonical values.
#[test]
fn custom_resource_type_types_and_canonical_values() {
    let urn = "urn:example:scim:schemas:Device";
    let registry = Registry::builder()
        .schema(
            Schema::new(urn, "Device")
                .attribute(
                    AttributeDef::string("kind")
                        .canonical(&["laptop", "phone"])
                        .strict_canonical(),
                )
                .attribute(AttributeDef::new("cores", AttributeType::Integer))
                .attribute(AttributeDef::new("weight", AttributeType::Decimal))
                .attribute(AttributeDef::new("bought", AttributeType::DateTime))
                .attribute(AttributeDef::new("key", AttributeType::Binary))
                .attribute(
                    AttributeDef::string("serial")
                        .required()
                        .mutability(Mutability::Immutable),
                ),
        )
        .resource_type(ResourceType::new("Device", "/Devices", urn))
        .build()
        .unwrap();
    let rs = registry.resource_type("device").unwrap();
    let p = Profile::default();
    let good = json!({"schemas": [urn], "kind": "LAPTOP", "cores": 8, "weight": 1.25,
                      "bought": "2024-02-29T12:00:00+01:00", "key": "AAEC", "serial": "S1"});
    assert!(rs.validate_create(good.clone(), &p).is_ok());
    for (k, bad) in [
        ("kind", json!("tablet")),
        ("cores", json!(1.5)),
        ("cores", json!("8")),
        ("weight", json!("heavy")),
        ("bought", json!("yesterday")),
        ("bought", json!("2024-02-30T00:00:00Z")),
        ("key", json!("***")),
    ] {
        let mut body = good.clone();
        body[k] = bad;
        assert_eq!(
            err_type(rs.validate_create(body, &p)),
            ScimType::InvalidValue,
            "{k}"
        );
    }
    // immutable: PUT may repeat the value, not change or clear it; absent keeps it.
    let stored = rs.validate_create(good.clone(), &p).unwrap();
    let mut changed = good.clone();
    changed["serial"] = json!("S2");
    assert_eq!(
        err_type(rs.validate_replace(&stored, changed, &p)),
        ScimType::Mutability
    );
    let mut cleared = good.clone();
    cleared["serial"] = Value::Null;
    assert_eq!(
        err_type(rs.validate_replace(&stored, cleared, &p)),
        ScimType::Mutability
    );
    let mut absent = good.clone();
    absent.as_object_mut().unwrap().remove("serial");
    assert_eq!(
        rs.validate_replace(&stored, absent, &p).unwrap()["serial"],
        "S1"
    );
    assert!(rs.validate_replace(&stored, good, &p).is_ok());
}

#[test]
fn registry_rejects_bad_definitions() {
    let dup = Registry::builder()
        .schema(
            Schema::new("urn:x:A", "A")
                .attribute(AttributeDef::string("a"))
                .attribute(AttributeDef::string("A")),
        )
        .build();
    assert!(dup.is_err());
    let missing = Registry::builder()
        .resource_type(ResourceType::new("X", "/X", "urn:x:missing"))
        .build();
    assert!(missing.is_err());
}

#[test]
fn put_absent_null_and_value() {
    let reg = users();
    let rs = reg.resource_type("User").unwrap();
    let core = "urn:ietf:params:scim:schemas:core:2.0:User";
    let stored = json!({"schemas": [core], "id": "1", "userName": "a", "displayName": "A",
                        "nickName": "n", "password": "secret", "meta": {"resourceType": "User"}});
    let body = json!({"schemas": [core], "userName": "a", "nickName": null, "title": "T"});
    let clear = rs
        .validate_replace(&stored, body.clone(), &Profile::default())
        .unwrap();
    assert_eq!(
        clear,
        json!({"schemas": [core], "id": "1", "userName": "a", "title": "T",
                             "password": "secret", "meta": {"resourceType": "User"}})
    );
    let mut keep = Profile::default();
    keep.put_absent = PutAbsent::Keep;
    let kept = rs.validate_replace(&stored, body, &keep).unwrap();
    assert_eq!(kept["displayName"], "A", "absent kept");
    assert!(
        kept.get("nickName").is_none(),
        "null clears even when absent keeps"
    );
    let null_password = json!({"schemas": [core], "userName": "a", "password": null});
    assert!(rs
        .validate_replace(&stored, null_password, &Profile::default())
        .unwrap()
        .get("password")
        .is_none());
}

/// developer.okta.com, "Okta and SCIM Version 2.0", Create Users: Okta sends a `password`
/// placeholder, an empty `groups` and `externalId`.
#[test]
fn okta_create_user_as_documented() {
    let reg = users();
    let rs = reg.resource_type("User").unwrap();
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "test.user@okta.local",
        "name": {"givenName": "Test", "familyName": "User"},
        "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
        "displayName": "Test User",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",
        "active": true
    });
    let out = rs.validate_create(body, &Profile::okta()).unwrap();
    assert_eq!(out["externalId"], "00ujl29u0le5T6Aj10h7");
    assert!(out.get("groups").is_none());
    // The password is stored (writeOnly) but never returned.
    let shown = rs.project(&out, &scimkit_schema::Projection::default());
    assert!(shown.get("password").is_none());
}

/// developer.okta.com, "Okta and SCIM Version 2.0", Update a specific User (PUT): the full
/// object read back, with `id`, `meta` and `groups`, is sent with the changed attribute.
#[test]
fn okta_full_object_put_as_documented() {
    let reg = users();
    let rs = reg.resource_type("User").unwrap();
    let stored = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "23a35c27-23d3-4c03-b4c5-6443c09e7173",
        "userName": "test.user@okta.local",
        "name": {"givenName": "Another", "middleName": "", "familyName": "User"},
        "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work", "display": "test.user@okta.local"}],
        "active": true,
        "meta": {"resourceType": "User", "created": "2019-09-10T02:02:58Z"}
    });
    let put = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "23a35c27-23d3-4c03-b4c5-6443c09e7173",
        "userName": "test.user@okta.local",
        "name": {"givenName": "Another", "middleName": "Excited", "familyName": "User"},
        "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work", "display": "test.user@okta.local"}],
        "active": true,
        "groups": [],
        "meta": {"resourceType": "User"}
    });
    let out = rs.validate_replace(&stored, put, &Profile::okta()).unwrap();
    assert_eq!(out["name"]["middleName"], "Excited");
    assert_eq!(out["meta"], stored["meta"], "meta is the server's");
    assert_eq!(out["id"], stored["id"]);
    // A PUT trying to change id is ignored, not obeyed.
    let sneaky = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "other", "userName": "x"});
    assert_eq!(
        rs.validate_replace(&stored, sneaky, &Profile::okta())
            .unwrap()["id"],
        stored["id"]
    );
}

/// learn.microsoft.com, "Tutorial: Develop and plan provisioning for a SCIM endpoint",
/// Create User and Create Group requests.
#[test]
fn entra_create_requests_as_documented() {
    let reg = users();
    let user = reg.resource_type("User").unwrap();
    let body = json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
        "active": true,
        "emails": [{
            "primary": true,
            "type": "work",
            "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"
        }],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        "roles": []
    });
    let out = user.validate_create(body, &Profile::entra_id()).unwrap();
    assert_eq!(
        out["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:User"])
    );
    assert!(out.get("roles").is_none() && out.get("meta").is_none());

    let group = reg.resource_type("Group").unwrap();
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group",
                    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "displayName": "displayName",
        "meta": {"resourceType": "Group"}
    });
    let out = group
        .validate_create(body.clone(), &Profile::entra_id())
        .unwrap();
    assert_eq!(
        out,
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                           "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
                           "displayName": "displayName"})
    );
    // Without the Entra profile the unknown schema URN is an error.
    let mut strict = Profile::entra_id();
    strict.unknown_schemas = Unknown::Reject;
    assert!(group.validate_create(body, &strict).is_err());
}

#[test]
fn error_details_never_echo_values() {
    let reg = users();
    let rs = reg.resource_type("User").unwrap();
    let secret = "hunter2-SECRET";
    let bodies = [
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a", "password": [secret]}),
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a", "active": secret}),
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", secret], "userName": "a"}),
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a", secret: 1}),
    ];
    for b in bodies {
        let e = rs.validate_create(b, &Profile::strict()).unwrap_err();
        assert!(!e.detail().contains(secret), "{}", e.detail());
    }
}
