//! Okta end to end: the SCIM 2.0 SPEC and CRUD test suites and the Protocol Reference's user
//! and group flows (`tests/fixtures/okta/`), replayed request by request through the
//! dispatcher.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::json;

fn run_flow(h: &mut Harness, fixture_name: &str) {
    let f = fixture(fixture_name);
    for s in f["steps"].as_array().unwrap() {
        let alternative = s["sequence_note"]
            .as_str()
            .is_some_and(|n| n.contains("alternative"));
        if alternative {
            // An alternative to the previous step: replayed on its own server.
            Harness::new().replay(s);
        } else {
            h.replay(s);
        }
    }
}

#[test]
fn okta_spec_test_suite() {
    let mut h = Harness::new();
    // The suite's first test lists one user: the app must already have one.
    h.seed_user("", user("existing.user@atko.com"));
    let email = "Runscope300Hfluaklab151@atko.com";
    h.var("randomGivenName", "Runscope300");
    h.var("randomFamilyName", "Hfluaklab151");
    h.var("randomEmail", email);
    h.var("randomUsername", email);
    h.var("randomUsernameCaps", &email.to_uppercase());
    h.var("InvalidUserEmail", "abcdefgh@atko.com");
    h.var("UserIdThatDoesNotExist", "010101001010101011001010101011");
    h.var("randomGroupName", "Runscope301");
    run_flow(&mut h, "okta/spec-test.json");
    // The case-sensitivity check passes on status alone in the suite; the user must be found.
    let r = h.get(&format!(
        "/Users?filter=userName eq \"{}\"",
        email.to_uppercase()
    ));
    assert_eq!(r.body["totalResults"], 1);
    assert_eq!(r.body["Resources"][0]["userName"], email);
}

#[test]
fn okta_crud_test_suite() {
    let mut h = Harness::new();
    h.var("okta_user_email", "crud.user@atko.com");
    h.var("okta_user_firstname", "Crud");
    h.var("okta_user_firstname_update", "Changed");
    h.var("okta_user_lastname", "Tester");
    run_flow(&mut h, "okta/crud-test.json");
    // Deactivation keeps the user; it is read back inactive.
    let r = h.get(&format!("/Users/{}", h.vars["scim_id"]));
    assert_eq!(r.body["active"], false);
    assert_eq!(r.body["name"]["givenName"], "Changed");
}

#[test]
fn okta_user_flow() {
    let mut h = Harness::new();
    run_flow(&mut h, "okta/users.json");
}

#[test]
fn okta_group_push_flow() {
    let mut h = Harness::new();
    let u1 = h.seed_user(
        "23a35c27-23d3-4c03-b4c5-6443c09e7173",
        user("test.user@okta.local"),
    );
    let u2 = h.seed_user(
        "89bb1940-b905-4575-9e7f-6f887cfb368e",
        user("other.user@okta.local"),
    );
    let f = fixture("okta/groups.json");
    let create = h.replay(step(&f, "Create Groups"));
    let gid = create.body["id"].as_str().unwrap().to_string();
    h.literal
        .push(("abf4dd94-a4c0-4f67-89c9-76b03340cb9b".into(), gid.clone()));
    h.replay(step(&f, "Retrieve Groups"));
    h.replay(step(&f, "Retrieve specific Groups"));
    // The rename to the same name arrives with every push: a no-op that keeps the version.
    let before = h.get(&format!("/Groups/{gid}"));
    h.replay(step(&f, "Update a specific Group name"));
    let after = h.get(&format!("/Groups/{gid}"));
    assert_eq!(before.headers["etag"], after.headers["etag"]);
    // Membership: start with u2 in the group, then "remove u2, add u1".
    let add_u2 = patch_op(json!([{"op": "add", "path": "members", "value": [{"value": u2}]}]));
    assert_eq!(
        h.send("PATCH", &format!("/Groups/{gid}"), &[], Some(&add_u2))
            .status,
        200
    );
    h.replay(step(&f, "Update specific Group membership (remove one"));
    assert_eq!(members(&h.get(&format!("/Groups/{gid}"))), vec![u1.clone()]);
    h.replay(step(&f, "Update specific Group membership (replace all"));
    let mut both = vec![u1.clone(), u2.clone()];
    both.sort();
    assert_eq!(members(&h.get(&format!("/Groups/{gid}"))), both);
    // The users see the group.
    assert_eq!(
        h.get(&format!("/Users/{u1}")).body["groups"][0]["value"],
        gid.as_str()
    );
    h.replay(step(&f, "Delete a specific Group"));
    assert_eq!(h.get(&format!("/Groups/{gid}")).status, 404);
    assert!(h.get(&format!("/Users/{u1}")).body.get("groups").is_none());
}

#[test]
fn okta_listing_with_count_one_and_upper_cased_filter() {
    let h = Harness::new();
    for i in 0..3 {
        h.post("/Users", user(&format!("person{i}@example.com")));
    }
    let r = h.get("/Users?count=1&startIndex=1");
    assert_eq!(r.body["totalResults"], 3);
    assert_eq!(r.body["itemsPerPage"], 1);
    assert_eq!(r.body["Resources"].as_array().unwrap().len(), 1);
    let r = h.get("/Users?filter=userName%20eq%20%22PERSON1@EXAMPLE.COM%22&startIndex=1&count=100");
    assert_eq!(r.body["totalResults"], 1);
    assert_eq!(r.body["Resources"][0]["userName"], "person1@example.com");
}

#[test]
fn okta_bodies_for_401_404_409() {
    let h = Harness::new();
    h.post("/Users", user("dup@example.com"));
    let r = h.post("/Users", user("DUP@example.com"));
    assert_eq!(r.status, 409);
    assert_eq!(r.body["scimType"], "uniqueness");
    assert_eq!(r.body["status"], "409");
    let r = h.get("/Users/does-not-exist");
    assert_eq!(r.status, 404);
    assert!(r.body["detail"]
        .as_str()
        .unwrap()
        .contains("does-not-exist"));
    let r = h.send(
        "GET",
        "/Users",
        &[("Authorization".into(), "non-token".into())],
        None,
    );
    assert_eq!(r.status, 401);
    assert_eq!(r.headers["www-authenticate"], "Bearer realm=\"SCIM\"");
}
