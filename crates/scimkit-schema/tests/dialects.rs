//! The identity providers' PATCH requests replayed byte for byte as their public documentation
//! shows them, through the named profiles.
//!
//! - Entra ID: "Known issues and resolutions with SCIM 2.0 protocol compliance of the Microsoft
//!   Entra user provisioning service",
//!   <https://learn.microsoft.com/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility>
//!   (default shapes and the `aadOptscim062020` shapes), and "Tutorial: Develop and plan
//!   provisioning for a SCIM endpoint",
//!   <https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups>.
//! - Okta: "Okta and SCIM Version 2.0",
//!   <https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20>.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

use scimkit_schema::{PatchOp, Profile, Registry};
use serde_json::{json, Value};

fn user() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "6764549bef60420686bc",
        "userName": "Test_User_fbb9dda4-fcde-4f98-a68b-6c5599e17c27",
        "externalId": "6c75de36-30fa-4d2d-a196-6bdcdb6b6539",
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        "active": true,
        "emails": [{"value": "Test_User_22370c1a@testuser.com", "type": "work", "primary": true}]
    })
}

fn apply(type_name: &str, before: &Value, body: &str, profile: &Profile) -> Value {
    let registry = Registry::standard();
    let rs = registry.resource_type(type_name).unwrap();
    let patch: PatchOp = serde_json::from_str(body).unwrap();
    patch.check_schemas().unwrap();
    rs.patch(before, &patch, profile).unwrap().resource
}

#[test]
fn entra_disable_user_both_shapes() {
    let without_flag = r#"{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "Replace",
            "path": "active",
            "value": "False"
        }
    ]
  }"#;
    let with_flag = r#"{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "replace",
            "path": "active",
            "value": false
        }
    ]
  }"#;
    for body in [without_flag, with_flag] {
        let out = apply("User", &user(), body, &Profile::entra_id());
        assert_eq!(out["active"], false);
        // The default profile takes both too: neither can be misread.
        assert_eq!(
            apply("User", &user(), body, &Profile::default())["active"],
            false
        );
    }
}

#[test]
fn entra_add_single_value_string_both_shapes() {
    let without_flag = r#"{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
      {
        "op": "Add",
        "path": "nickName",
        "value": "Babs"
      }
    ]
  }"#;
    let with_flag = r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
      {
        "op": "add",
        "path": "nickName",
        "value": "Babs"
      }
    ]
  }"#;
    for body in [without_flag, with_flag] {
        assert_eq!(
            apply("User", &user(), body, &Profile::entra_id())["nickName"],
            "Babs"
        );
    }
}

#[test]
fn entra_replace_multiple_attributes_both_shapes() {
    let without_flag = r#"{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "Replace",
            "path": "displayName",
            "value": "Pvlo"
        },
        {
            "op": "Replace",
            "path": "emails[type eq \"work\"].value",
            "value": "TestBcwqnm@test.microsoft.com"
        },
        {
            "op": "Replace",
            "path": "name.givenName",
            "value": "Gtfd"
        },
        {
            "op": "Replace",
            "path": "name.familyName",
            "value": "Pkqf"
        },
        {
            "op": "Replace",
            "path": "externalId",
            "value": "Eqpj"
        },
        {
            "op": "Replace",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            "value": "Eqpj"
        }
    ]
  }"#;
    let out = apply("User", &user(), without_flag, &Profile::entra_id());
    assert_eq!(out["displayName"], "Pvlo");
    assert_eq!(out["emails"][0]["value"], "TestBcwqnm@test.microsoft.com");
    assert_eq!(out["name"]["givenName"], "Gtfd");
    assert_eq!(out["name"]["familyName"], "Pkqf");
    assert_eq!(
        out["name"]["formatted"], "givenName familyName",
        "other sub-attributes kept"
    );
    assert_eq!(out["externalId"], "Eqpj");
    assert_eq!(
        out["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["employeeNumber"],
        "Eqpj"
    );
    assert_eq!(
        out["schemas"][1],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    );

    let with_flag = r#"{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "replace",
            "path": "emails[type eq \"work\"].value",
            "value": "TestMhvaes@test.microsoft.com"
        },
        {
            "op": "replace",
            "value": {
                "displayName": "Bjfe",
                "name.givenName": "Kkom",
                "name.familyName": "Unua",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Aklq"
            }
        }
    ]
  }"#;
    let out = apply("User", &user(), with_flag, &Profile::entra_id());
    assert_eq!(out["displayName"], "Bjfe");
    assert_eq!(out["emails"][0]["value"], "TestMhvaes@test.microsoft.com");
    assert_eq!(out["name"]["givenName"], "Kkom");
    assert_eq!(out["name"]["familyName"], "Unua");
    assert!(
        out.get("name.givenName").is_none(),
        "dotted keys are paths, not attribute names"
    );
    assert_eq!(
        out["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["employeeNumber"],
        "Aklq"
    );
}

#[test]
fn entra_remove_group_member_both_shapes() {
    let group = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": "a99962b9f99d4c4fac67", "displayName": "g",
        "members": [{"value": "u1091"}, {"value": "7f4bc1a3-285e-48ae-8202-5accb43efb0e"}, {"value": "other"}]
    });
    let without_flag = r#"{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "Remove",
            "path": "members",
            "value": [
                {
                    "value": "u1091"
                }
            ]
        }
    ]
  }"#;
    let out = apply("Group", &group, without_flag, &Profile::entra_id());
    assert_eq!(
        out["members"],
        json!([{"value": "7f4bc1a3-285e-48ae-8202-5accb43efb0e"}, {"value": "other"}]),
        "exactly the listed member is removed, not all"
    );
    let with_flag = r#"{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "remove",
            "path": "members[value eq \"7f4bc1a3-285e-48ae-8202-5accb43efb0e\"]"
        }
    ]
  }"#;
    let out = apply("Group", &group, with_flag, &Profile::entra_id());
    assert_eq!(
        out["members"],
        json!([{"value": "u1091"}, {"value": "other"}])
    );
}

#[test]
fn entra_tutorial_group_member_add_and_remove() {
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                       "id": "a99962b9f99d4c4fac67", "displayName": "displayName"});
    let add = r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "Add",
        "path": "members",
        "value": [{
            "$ref": null,
            "value": "f648f8d5ea4e4cd38e9c"
        }]
    }]
}"#;
    let out = apply("Group", &group, add, &Profile::entra_id());
    assert_eq!(out["members"], json!([{"value": "f648f8d5ea4e4cd38e9c"}]));
    let remove = r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "Remove",
        "path": "members",
        "value": [{
            "$ref": null,
            "value": "f648f8d5ea4e4cd38e9c"
        }]
    }]
}"#;
    let out = apply("Group", &out, remove, &Profile::entra_id());
    assert!(out.get("members").is_none());
}

#[test]
fn entra_tutorial_update_user_multi_valued() {
    let body = r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
            {
            "op": "Replace",
            "path": "emails[type eq \"work\"].value",
            "value": "updatedEmail@microsoft.com"
            },
            {
            "op": "Replace",
            "path": "name.familyName",
            "value": "updatedFamilyName"
            }
    ]
}"#;
    let out = apply("User", &user(), body, &Profile::entra_id());
    assert_eq!(
        out["emails"],
        json!([{"value": "updatedEmail@microsoft.com", "type": "work", "primary": true}])
    );
    assert_eq!(out["name"]["familyName"], "updatedFamilyName");
}

#[test]
fn entra_creates_element_for_unmatched_value_path() {
    let body = r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "555-0100"}]}"#;
    let out = apply("User", &user(), body, &Profile::entra_id());
    assert_eq!(
        out["phoneNumbers"],
        json!([{"type": "mobile", "value": "555-0100"}])
    );
    // Standard profiles answer noTarget instead.
    let registry = Registry::standard();
    let rs = registry.resource_type("User").unwrap();
    let patch: PatchOp = serde_json::from_str(body).unwrap();
    let err = rs.patch(&user(), &patch, &Profile::default()).unwrap_err();
    assert_eq!(err.scim_type().unwrap().as_str(), "noTarget");
}

#[test]
fn okta_deactivate_user() {
    let body = r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "replace",
        "value": {
            "active": false
        }
    }]
}"#;
    assert_eq!(
        apply("User", &user(), body, &Profile::okta())["active"],
        false
    );
}

#[test]
fn okta_group_rename_and_membership() {
    let group = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": "abf4dd94-a4c0-4f67-89c9-76b03340cb9b",
        "displayName": "Test SCIMv2",
        "members": [{"value": "89bb1940-b905-4575-9e7f-6f887cfb368e"}]
    });
    let rename = r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "replace",
        "value": {
            "id": "abf4dd94-a4c0-4f67-89c9-76b03340cb9b",
            "displayName": "Test SCIMv2"
        }
    }]
}"#;
    let out = apply("Group", &group, rename, &Profile::okta());
    assert_eq!(
        out, group,
        "id unchanged, same name: nothing to do, no error"
    );
    let membership = r#"{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
          "op": "remove",
          "path": "members[value eq \"89bb1940-b905-4575-9e7f-6f887cfb368e\"]"
        },
        {
          "op": "add",
          "path": "members",
          "value": [{
              "value": "23a35c27-23d3-4c03-b4c5-6443c09e7173",
              "display": "test.user@okta.local"
        }]
    }]
}"#;
    let out = apply("Group", &group, membership, &Profile::okta());
    assert_eq!(
        out["members"],
        json!([{"value": "23a35c27-23d3-4c03-b4c5-6443c09e7173", "display": "test.user@okta.local"}])
    );
}
