//! Microsoft Entra ID end to end: every request/response pair of the "develop a SCIM
//! endpoint" tutorial, Test Connection, the `aadOptscim062020` shapes, the 2018 provisioning
//! examples and the role/extension shapes (`tests/fixtures/entra/`), each replayed through the
//! dispatcher on a server set up as the step's preconditions say.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::{json, Value};

/// The create body of the tutorial's "Create User" step: a user with a work email and
/// `name.familyName` "familyName", which the update steps' preconditions describe.
fn tutorial_user(name: &str) -> Value {
    let f = fixture("entra/user-operations.json");
    let mut body = step(&f, "Create User")["request"]["body"].clone();
    body["userName"] = json!(name);
    body
}

/// A resource as a documented response shows it, as a create body (without id and meta).
fn from_documented(v: &Value) -> Value {
    let mut b = v.clone();
    let o = b.as_object_mut().unwrap();
    o.remove("id");
    o.remove("meta");
    b
}

/// Reads a state path such as `name.givenName`, `emails[type eq "work"].value` or
/// `urn:…:enterprise:2.0:User:employeeNumber` (whose URN contains dots).
fn state(resource: &Value, path: &str) -> Option<Value> {
    if path.starts_with("urn:") {
        let (urn, attr) = path.rsplit_once(':').unwrap();
        return get(&resource[urn], attr);
    }
    get(resource, path)
}

#[test]
fn tutorial_user_operations() {
    let f = fixture("entra/user-operations.json");
    // Create User.
    let r = Harness::new().replay(step(&f, "Create User"));
    assert_eq!(
        r.headers["location"].to_str().unwrap(),
        r.body["meta"]["location"].as_str().unwrap()
    );
    // Get User (found): the state the documented response shows.
    let s = step(&f, "Get User (found)");
    let mut h = Harness::new();
    h.seed_user(
        s["response"]["body"]["id"].as_str().unwrap(),
        from_documented(&s["response"]["body"]),
    );
    h.replay(s);
    // Get User (not found).
    Harness::new().replay(step(&f, "Get User (not found)"));
    // Get User by query; zero results.
    let s = step(&f, "Get User by query -");
    Harness::new().replay(s);
    let s = step(&f, "Get User by query");
    let mut h = Harness::new();
    h.seed_user("", from_documented(&s["response"]["body"]["Resources"][0]));
    h.seed_user("", tutorial_user("someone.else@testuser.com"));
    let r = h.replay(s);
    assert_eq!(r.body["totalResults"], 1);
    // PATCH steps: a user as the preconditions describe, then the documented PATCH.
    for (name, check) in [
        (
            "Update User [Multi-valued",
            vec![
                ("name.familyName", json!("updatedFamilyName")),
                (
                    "emails[type eq \"work\"].value",
                    json!("updatedEmail@microsoft.com"),
                ),
            ],
        ),
        (
            "Update User [Single-valued",
            vec![(
                "userName",
                json!("5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"),
            )],
        ),
        ("Disable User", vec![("active", json!(false))]),
    ] {
        let s = step(&f, name);
        let mut h = Harness::new();
        let doc_id = s["request"]["path"]
            .as_str()
            .unwrap()
            .trim_start_matches("/Users/");
        let id = h.seed_user(
            doc_id,
            tutorial_user("Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"),
        );
        h.replay(s);
        let now = h.get(&format!("/Users/{id}"));
        for (path, want) in check {
            assert_eq!(state(&now.body, path), Some(want), "{name}: {path}");
        }
        assert_eq!(now.headers["etag"], "W/\"2\"", "{name}");
    }
    // Delete User.
    let s = step(&f, "Delete User");
    let mut h = Harness::new();
    let id = h.seed_user("5171a35d82074e068ce2", tutorial_user("gone@testuser.com"));
    h.replay(s);
    assert_eq!(h.get(&format!("/Users/{id}")).status, 404);
}

#[test]
fn tutorial_group_operations() {
    let f = fixture("entra/group-operations.json");
    // Create Group: the Microsoft-specific schema URN is tolerated.
    let r = Harness::new().replay(step(&f, "Create Group"));
    assert_eq!(
        r.body["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:Group"])
    );
    // Get Group with excludedAttributes=members.
    let s = step(&f, "Get Group (excludedAttributes");
    let mut h = Harness::new();
    let member = h.seed_user("", tutorial_user("member@testuser.com"));
    let mut body = from_documented(&s["response"]["body"]);
    body["members"] = json!([{"value": member}]);
    h.seed_group("40734ae655284ad3abcc", body);
    h.replay(s);
    // Get Group by displayName.
    let s = step(&f, "Get Group by displayName");
    let mut h = Harness::new();
    h.seed_group("", group("displayName"));
    h.seed_group("", group("another group"));
    h.replay(s);
    // Update Group [Non-member attributes].
    let s = step(&f, "Update Group [Non-member");
    let mut h = Harness::new();
    let gid = h.seed_group("fa2ce26709934589afc5", group("before"));
    h.replay(s);
    assert_eq!(
        h.get(&format!("/Groups/{gid}")).body["displayName"],
        "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
    );
    // Update Group [Add Members].
    let s = step(&f, "Update Group [Add Members]");
    let mut h = Harness::new();
    let gid = h.seed_group("a99962b9f99d4c4fac67", group("team"));
    let uid = h.seed_user("f648f8d5ea4e4cd38e9c", tutorial_user("f648@testuser.com"));
    h.replay(s);
    assert_eq!(
        members(&h.get(&format!("/Groups/{gid}"))),
        vec![uid.clone()]
    );
    // Update Group [Remove Members]: exactly that member goes, the others stay.
    let s = step(&f, "Update Group [Remove Members]");
    let mut h = Harness::new();
    let uid = h.seed_user("f648f8d5ea4e4cd38e9c", tutorial_user("f648@testuser.com"));
    let other = h.seed_user("", tutorial_user("stays@testuser.com"));
    let mut g = group("team");
    g["members"] = json!([{"value": uid}, {"value": other}]);
    let gid = h.seed_group("a99962b9f99d4c4fac67", g);
    h.replay(s);
    assert_eq!(members(&h.get(&format!("/Groups/{gid}"))), vec![other]);
    // Delete Group.
    let s = step(&f, "Delete Group");
    let mut h = Harness::new();
    let gid = h.seed_group("cdb1ce18f65944079d37", group("doomed"));
    h.replay(s);
    assert_eq!(h.get(&format!("/Groups/{gid}")).status, 404);
}

#[test]
fn test_connection_random_guid_gives_an_empty_list() {
    let f = fixture("entra/test-connection.json");
    for s in f["steps"].as_array().unwrap() {
        let mut h = Harness::new();
        h.seed_user("", tutorial_user("present@testuser.com"));
        h.seed_group("", group("present"));
        let r = h.replay(s);
        assert_eq!(r.status, 200);
        assert_eq!(r.body["totalResults"], 0);
        assert_eq!(r.body["Resources"], json!([]));
    }
}

#[test]
fn aadoptscim062020_both_shapes_have_the_same_effect() {
    let f = fixture("entra/aadoptscim062020.json");
    for s in f["steps"].as_array().unwrap() {
        let name = s["name"].as_str().unwrap();
        let mut h = Harness::new();
        if name.starts_with("Remove a group member") {
            let doc_member = if name.contains("with aadOptscim062020") {
                "7f4bc1a3-285e-48ae-8202-5accb43efb0e"
            } else {
                "u1091"
            };
            let gone = h.seed_user(doc_member, tutorial_user("leaving@testuser.com"));
            let stays = h.seed_user("", tutorial_user("staying@testuser.com"));
            let mut g = group("team");
            g["members"] = json!([{"value": gone}, {"value": stays}]);
            let gid = h.seed_group("{groupId}", g);
            h.replay(s);
            assert_eq!(
                members(&h.get(&format!("/Groups/{gid}"))),
                vec![stays],
                "{name}"
            );
            continue;
        }
        let id = h.seed_user("{userId}", tutorial_user("opt@testuser.com"));
        h.replay(s);
        let now = h.get(&format!("/Users/{id}")).body;
        match &s["expect"]["state_after"] {
            Value::Object(expected) => {
                for (path, want) in expected {
                    assert_eq!(state(&now, path).as_ref(), Some(want), "{name}: {path}");
                }
                // Path-like keys are paths, never stored literally.
                let o = now.as_object().unwrap();
                assert!(
                    !o.keys().any(|k| k.contains('.') && !k.starts_with("urn:")),
                    "{name}: {now}"
                );
            }
            Value::String(text) if text.starts_with("user.active") => {
                assert_eq!(now["active"], json!(false), "{name}")
            }
            Value::String(text) if text.starts_with("user.nickName") => {
                assert_eq!(now["nickName"], "Babs", "{name}")
            }
            other => panic!("{name}: unexpected state {other}"),
        }
    }
}

#[test]
fn provisioning_examples_2018() {
    let f = fixture("entra/provisioning-examples.json");
    // Example 1: an unquoted filter value (not RFC 7644 syntax) is accepted from Entra ID.
    let mut h = Harness::new();
    let mut joy = tutorial_user("jyoung@testuser.com");
    joy["externalId"] = json!("jyoung");
    h.seed_user("", joy);
    h.seed_user("", tutorial_user("other@testuser.com"));
    let r = h.replay(step(&f, "Example 1"));
    assert_eq!(r.status, 200);
    assert_eq!(r.body["totalResults"], 1);
    assert_eq!(r.body["Resources"][0]["userName"], "jyoung@testuser.com");
    // The same request from an Okta client is held to the RFC: a clear invalidFilter.
    let r = h.send(
        "GET",
        "/Users?filter=externalId eq jyoung",
        &[("User-Agent".into(), "Okta SCIM Client 1.0.0".into())],
        None,
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.body["scimType"], "invalidFilter");
    // Example 2: misspelled extension URN, nulls, enterprise attributes at the top level.
    let r = Harness::new().replay(step(&f, "Example 2"));
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.body.get("addresses").is_none() && r.body.get("title").is_none());
    // Example 3: read back.
    let mut h = Harness::new();
    h.seed_user(
        "a0a0a0a0-bbbb-cccc-dddd-e1e1e1e1e1e1",
        tutorial_user("jyoung@testuser.com"),
    );
    h.replay(step(&f, "Example 3"));
    // Example 4: unquoted again, `manager` compared directly, `attributes=id`.
    let mut h = Harness::new();
    let boss = h.seed_user(
        "2819c223-7f76-453a-919d-413861904646",
        tutorial_user("boss@testuser.com"),
    );
    let mut u = tutorial_user("report@testuser.com");
    u["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] =
        json!({"manager": {"value": boss}});
    h.seed_user("54D382A4-2050-4C03-94D1-E769F1D15682", u);
    let r = h.replay(step(&f, "Example 4"));
    assert_eq!(r.status, 200);
    assert!(r.body["totalResults"].as_u64().unwrap() <= 1);
    for res in r.body["Resources"].as_array().unwrap() {
        let keys: Vec<&String> = res.as_object().unwrap().keys().collect();
        assert!(keys.iter().all(|k| *k == "id" || *k == "schemas"), "{res}");
    }
    // Example 6: deprovision.
    let mut h = Harness::new();
    let id = h.seed_user(
        "a0a0a0a0-bbbb-cccc-dddd-e1e1e1e1e1e1",
        tutorial_user("jyoung@testuser.com"),
    );
    h.replay(step(&f, "Example 6"));
    assert_eq!(h.get(&format!("/Users/{id}")).status, 404);
}

#[test]
fn roles_and_extension_shapes() {
    let f = fixture("entra/roles-and-extensions.json");
    let r = Harness::new().replay(step(&f, "SingleAppRoleAssignment — create"));
    assert_eq!(
        r.body["roles"],
        json!([{"primary": true, "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}])
    );
    let r = Harness::new().replay(step(&f, "AppRoleAssignmentsComplex — create"));
    assert_eq!(r.body["roles"].as_array().unwrap().len(), 2);
    // PATCH steps, each on a user created by its create step.
    for (create, patch, roles) in [
        (
            "SingleAppRoleAssignment — create",
            "SingleAppRoleAssignment — PATCH",
            2,
        ),
        (
            "AppRoleAssignmentsComplex — create",
            "AppRoleAssignmentsComplex — PATCH",
            4,
        ),
        (
            "AssertiveAppRoleAssignmentsComplex — create",
            "AssertiveAppRoleAssignmentsComplex — PATCH",
            2,
        ),
    ] {
        let mut h = Harness::new();
        let c = h.replay(step(&f, create));
        h.literal.push((
            "{userId}".into(),
            c.body["id"].as_str().unwrap().to_string(),
        ));
        let r = h.replay(step(&f, patch));
        assert_eq!(
            r.body["roles"].as_array().unwrap().len(),
            roles,
            "{patch}: {}",
            r.body
        );
    }
    // Unknown extension keys are tolerated; client-sent id and meta are ignored.
    let r = Harness::new().replay(step(&f, "Custom extension attribute"));
    assert_eq!(r.status, 201);
    assert_ne!(r.body["id"], "48af03ac28ad4fb88478");
    assert_eq!(
        r.body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"],
        "Tour Operations"
    );
    // Phone numbers sharing a value across types, merged into a full create body.
    let s = step(&f, "Multi-value attribute");
    assert_eq!(Harness::new().replay(s).status, 400);
    let mut body = tutorial_user("phones@testuser.com");
    body["phoneNumbers"] = s["request"]["body"]["phoneNumbers"].clone();
    let r = Harness::new().post("/Users", body);
    assert_eq!(r.status, 201);
    assert_eq!(r.body["phoneNumbers"].as_array().unwrap().len(), 3);
}

#[test]
fn schema_discovery() {
    let f = fixture("entra/schema-discovery.json");
    let r = Harness::new().replay(step(&f, "Discover schema"));
    assert!(r.body["totalResults"].as_u64().unwrap() >= 2);
}

/// The replayer is not a rubber stamp: a documented value the server does not return fails.
#[test]
#[should_panic(expected = "userName")]
fn replayer_detects_a_mismatch() {
    let f = fixture("entra/user-operations.json");
    let mut s = step(&f, "Create User").clone();
    s["response"]["body"]["userName"] = json!("somebody-else");
    Harness::new().replay(&s);
}

/// Example 5 sends the bare path `manager` (an Enterprise User extension attribute) with a
/// one-element array for a single-valued complex attribute.
#[test]
fn example_5_add_manager_by_bare_path() {
    let f = fixture("entra/provisioning-examples.json");
    let mut h = Harness::new();
    let id = h.seed_user(
        "a0a0a0a0-bbbb-cccc-dddd-e1e1e1e1e1e1",
        tutorial_user("jyoung@testuser.com"),
    );
    let boss = h.seed_user(
        "00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
        tutorial_user("boss@testuser.com"),
    );
    h.replay(step(&f, "Example 5"));
    let now = h.get(&format!("/Users/{id}")).body;
    assert_eq!(
        state(
            &now,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"
        ),
        Some(json!(boss))
    );
    assert!(
        now.get("manager").is_none(),
        "stored in the extension, not at the top level"
    );
}
