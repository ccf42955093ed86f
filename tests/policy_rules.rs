//! The `RuleSet::tresorit()` preset end to end: SCIM requests through the dispatcher wired to
//! `Provisioning`, admin operations through `AdminApi`, one test per rule of issue 5, each
//! with the Entra ID and the Okta request shape.
#![allow(clippy::unwrap_used)]

mod policy_common;

use futures_executor::block_on;
use policy_common::{okta_put_body, patch, Env, Idp, BOTH};
use scimkit::policy::{OnExistingAccount, Outcome, RuleSet, IDENTIFIER_IMMUTABLE};
use serde_json::{json, Value};

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

/// Create: the account gets the default template as it is at that moment; changing the default
/// later does not move existing users; the IdP's name becomes the registered name.
#[test]
fn create_assigns_the_default_template_at_that_moment_and_registers_the_idp_name() {
    for idp in BOTH {
        let env = Env::new();
        let t = idp.tenant();
        env.create(idp, "ada@example.com", "Ada", "Lovelace");
        let ada = env.account(idp, "ada@example.com");
        assert_eq!(ada["template"], 1, "{idp:?}");
        assert_eq!(ada["registeredName"], "Ada Lovelace");
        assert_eq!(ada["joinedVia"], "scim");
        assert_eq!(ada["managedByScim"], true);

        let r = env.admin(
            "POST",
            &format!("/admin/tenants/{t}/templates"),
            Some(json!({"name": "Contractors"})),
        );
        assert_eq!(r.status, 201);
        let contractors = r.body["id"].as_u64().unwrap();
        let r = env.admin(
            "PUT",
            &format!("/admin/tenants/{t}/templates/default"),
            Some(json!({ "template": contractors })),
        );
        assert_eq!(r.status, 200);
        assert_eq!(r.body["defaultTemplate"], contractors);

        env.create(idp, "grace@example.com", "Grace", "Hopper");
        assert_eq!(
            env.account(idp, "grace@example.com")["template"],
            contractors
        );
        assert_eq!(
            env.account(idp, "ada@example.com")["template"],
            1,
            "existing users keep their template"
        );
    }
}

/// Later name changes by PUT or PATCH succeed and read back as sent (shadow) while the account
/// keeps the registered name; the rule set's name setting switches to apply.
#[test]
fn name_changes_read_back_as_sent_and_the_account_keeps_the_registered_name() {
    for idp in BOTH {
        let env = Env::new();
        let created = env.create(idp, "ada@example.com", "Ada", "Lovelace");
        let id = id_of(&created);
        for (given, pathless) in [("Augusta", false), ("Countess", true)] {
            let current = env.get_user(idp, &id).body;
            let (method, body) = idp.rename(&current, given, pathless);
            let r = env.scim(idp, method, &format!("/Users/{id}"), Some(&body));
            assert_eq!(r.status, 200, "{idp:?} {r:?}");
            let read = env.get_user(idp, &id).body;
            assert_eq!(
                read["name"]["givenName"], given,
                "{idp:?} reads back its value"
            );
            assert!(read.get("password").is_none(), "a password is never stored");
            let account = env.account(idp, "ada@example.com");
            assert_eq!(account["registeredName"], "Ada Lovelace", "{idp:?}");
            // The admin API shows the name the IdP wrote beside the registered one.
            let written = read["displayName"]
                .as_str()
                .or(read["name"]["formatted"].as_str())
                .map_or_else(|| format!("{given} Lovelace"), str::to_owned);
            assert_eq!(account["idpName"], written.as_str(), "{idp:?} {read}");
        }
        // The setting that switches names to apply.
        block_on(env.prov.set_rules(
            idp.tenant(),
            RuleSet::tresorit().with_name_changes(Outcome::Apply),
        ))
        .unwrap();
        let current = env.get_user(idp, &id).body;
        let body = match idp {
            Idp::Entra => {
                patch(json!([{"op": "Replace", "path": "displayName", "value": "Ada King"}]))
            }
            Idp::Okta => {
                let mut b = okta_put_body(&current);
                b["displayName"] = json!("Ada King");
                b
            }
        };
        let method = if idp == Idp::Entra { "PATCH" } else { "PUT" };
        let r = env.scim(idp, method, &format!("/Users/{id}"), Some(&body));
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(
            env.account(idp, "ada@example.com")["registeredName"],
            "Ada King"
        );
    }
}

/// A change of userName to a different address: 400 `mutability` with the identifier detail,
/// nothing stored changes; the same address in other letter case is a no-op.
#[test]
fn identifier_change_is_rejected_with_mutability_and_other_case_is_a_noop() {
    for idp in BOTH {
        let env = Env::new();
        let id = id_of(&env.create(idp, "ada@example.com", "Ada", "Lovelace"));
        let before = env.get_user(idp, &id).body;
        let account_before = env.account(idp, "ada@example.com");

        let (method, body) = idp.set_user_name(&before, "ada.king@example.com");
        let r = env.scim(idp, method, &format!("/Users/{id}"), Some(&body));
        assert_eq!(r.status, 400, "{idp:?} {r:?}");
        assert_eq!(r.body["scimType"], "mutability");
        assert!(r.body["detail"]
            .as_str()
            .unwrap()
            .starts_with(IDENTIFIER_IMMUTABLE));
        assert_eq!(
            env.get_user(idp, &id).body,
            before,
            "{idp:?}: nothing stored"
        );
        assert_eq!(env.account(idp, "ada@example.com"), account_before);
        assert!(
            block_on(env.prov.account(idp.tenant(), "ada.king@example.com"))
                .unwrap()
                .is_none()
        );

        let (method, body) = idp.set_user_name(&before, "ADA@Example.com");
        let r = env.scim(idp, method, &format!("/Users/{id}"), Some(&body));
        assert_eq!(r.status, 200, "{idp:?} {r:?}");
        let after = env.get_user(idp, &id).body;
        assert_eq!(after["userName"], "ada@example.com", "stored spelling kept");
        assert_eq!(env.account(idp, "ada@example.com"), account_before);
        if idp == Idp::Entra {
            assert_eq!(after, before, "a no-op PATCH stores nothing");
        }
    }
}

/// `active` from the IdP sets `scim_active` only; admin suspend / unsuspend sets
/// `admin_suspended` only; SCIM reads always return `scim_active`.
#[test]
fn active_sets_scim_active_only_and_admin_suspension_is_invisible_to_the_idp() {
    for idp in BOTH {
        let env = Env::new();
        let t = idp.tenant();
        let id = id_of(&env.create(idp, "ada@example.com", "Ada", "Lovelace"));
        let path = format!("/Users/{id}");

        let r = env.scim(idp, "PATCH", &path, Some(&idp.set_active(false)));
        assert_eq!(r.status, 200, "{idp:?} {r:?}");
        // The audit entry: raw as received, normalised, outcome per attribute.
        let audit = env.audit(idp);
        let entry = &audit.last().unwrap()["record"];
        assert_eq!(entry["kind"], "patch");
        assert_eq!(entry["raw"], idp.set_active(false));
        assert_eq!(entry["normalized"]["Operations"][0]["op"], "replace");
        assert_eq!(entry["attributes"][0]["path"], "active");
        assert_eq!(entry["attributes"][0]["outcome"], "apply");
        assert_eq!(
            entry["effects"],
            json!([{"effect": "setScimActive", "active": false}])
        );
        let a = env.account(idp, "ada@example.com");
        assert_eq!(
            (
                &a["scimActive"],
                &a["adminSuspended"],
                &a["effectiveAccess"]
            ),
            (&json!(false), &json!(false), &json!(false))
        );
        assert_eq!(env.get_user(idp, &id).body["active"], false);

        let r = env.admin(
            "POST",
            &format!("/admin/tenants/{t}/accounts/ada@example.com/suspend"),
            None,
        );
        assert_eq!(r.status, 200);
        assert_eq!(r.body["adminSuspended"], true);
        assert_eq!(r.body["scimActive"], false);

        // The IdP reactivates while the admin suspension stands.
        let r = env.scim(idp, "PATCH", &path, Some(&idp.set_active(true)));
        assert_eq!(r.status, 200);
        assert_eq!(r.body["active"], true, "the IdP reads back scim_active");
        let a = env.account(idp, "ada@example.com");
        assert_eq!(a["scimActive"], true);
        assert_eq!(
            a["adminSuspended"], true,
            "SCIM does not lift a local suspension"
        );
        assert_eq!(a["effectiveAccess"], false);
        let read = env.get_user(idp, &id).body;
        assert_eq!(read["active"], true, "a suspension is invisible to the IdP");
        let listed = env.users(idp);
        assert_eq!(listed[0]["active"], true);

        let r = env.admin(
            "POST",
            &format!("/admin/tenants/{t}/accounts/ada@example.com/unsuspend"),
            None,
        );
        assert_eq!(r.status, 200);
        assert_eq!(r.body["effectiveAccess"], true);
        assert_eq!(
            env.get_user(idp, &id).body,
            read,
            "unsuspend changes no SCIM view"
        );
    }
}

/// A SCIM create for the email of a non-SCIM account adopts it (201, registered name and
/// template kept, audit event); the conflict setting makes it 409 `uniqueness`.
#[test]
fn create_for_a_non_scim_account_adopts_it_and_the_conflict_setting_answers_409() {
    for idp in BOTH {
        let env = Env::new();
        let t = idp.tenant();
        let r = env.admin(
            "POST",
            &format!("/admin/tenants/{t}/accounts"),
            Some(
                json!({"email": "Ada@Example.com", "name": "Ada (self-registered)",
                        "joinedVia": "domainAutoAdd"}),
            ),
        );
        assert_eq!(r.status, 201, "{r:?}");
        assert_eq!(r.body["managedByScim"], false);
        // The default changes after she joined: adoption must not move her.
        let r = env.admin(
            "POST",
            &format!("/admin/tenants/{t}/templates"),
            Some(json!({"name": "Engineering"})),
        );
        let eng = r.body["id"].clone();
        env.admin(
            "PUT",
            &format!("/admin/tenants/{t}/templates/default"),
            Some(json!({ "template": eng })),
        );

        let created = env.create(idp, "ada@example.com", "Ada", "Lovelace");
        assert_eq!(created["userName"], "ada@example.com");
        let a = env.account(idp, "ada@example.com");
        assert_eq!(a["registeredName"], "Ada (self-registered)");
        assert_eq!(a["template"], 1);
        assert_eq!(a["managedByScim"], true);
        assert_eq!(a["joinedVia"], "domainAutoAdd");
        assert_eq!(a["scimId"], created["id"]);
        let adopted = env.audit(idp).into_iter().any(|e| {
            e["record"]["actor"] == "scim"
                && e["record"]["effects"]
                    .as_array()
                    .is_some_and(|fx| fx.iter().any(|f| f["effect"] == "adoptIntoScim"))
        });
        assert!(adopted, "{idp:?}: the adoption is audited");

        // The setting: 409 uniqueness, nothing changes.
        block_on(env.prov.set_rules(
            t,
            RuleSet::tresorit().with_existing_account(OnExistingAccount::Conflict),
        ))
        .unwrap();
        env.admin(
            "POST",
            &format!("/admin/tenants/{t}/accounts"),
            Some(json!({"email": "grace@example.com", "name": "Grace", "joinedVia": "invite"})),
        );
        let before = env.account(idp, "grace@example.com");
        let r = env.scim(
            idp,
            "POST",
            "/Users",
            Some(&idp.create("grace@example.com", "Grace", "Hopper")),
        );
        assert_eq!(r.status, 409, "{idp:?} {r:?}");
        assert_eq!(r.body["scimType"], "uniqueness");
        assert_eq!(env.account(idp, "grace@example.com"), before);
        assert_eq!(env.users(idp).as_array().unwrap().len(), 1);
    }
}

/// Provisioning disabled: every SCIM request refused (403 by default, 401 by setting) with a
/// clear detail, nothing changed; re-enabling issues a new token and the old one fails.
#[test]
fn provisioning_disabled_refuses_every_scim_request_and_reenabling_issues_a_new_token() {
    for idp in BOTH {
        let mut env = Env::new();
        let t = idp.tenant();
        let id = id_of(&env.create(idp, "ada@example.com", "Ada", "Lovelace"));
        let users_before = env.users(idp);
        let accounts_before = env.accounts(idp);
        let old = env.tokens[t].clone();

        let r = env.admin(
            "POST",
            &format!("/admin/tenants/{t}/provisioning/disable"),
            None,
        );
        assert_eq!(r.status, 200);
        assert_eq!(r.body["provisioningEnabled"], false);
        let current = users_before[0].clone();
        let (rename_method, rename) = idp.rename(&current, "Augusta", false);
        let requests: Vec<(&str, String, Option<Value>)> = vec![
            ("GET", "/Users".into(), None),
            ("GET", format!("/Users/{id}"), None),
            (
                "POST",
                "/Users".into(),
                Some(idp.create("grace@example.com", "Grace", "Hopper")),
            ),
            (rename_method, format!("/Users/{id}"), Some(rename)),
            ("PATCH", format!("/Users/{id}"), Some(idp.set_active(false))),
            ("DELETE", format!("/Users/{id}"), None),
            ("GET", "/Groups".into(), None),
            (
                "POST",
                "/Groups".into(),
                Some(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Ops"})),
            ),
            ("GET", "/ServiceProviderConfig".into(), None),
        ];
        for (method, path, body) in &requests {
            let r = env.scim_with(&old, method, path, body.as_ref());
            assert_eq!(r.status, 403, "{idp:?} {method} {path}: {r:?}");
            assert!(
                r.body["detail"]
                    .as_str()
                    .unwrap()
                    .contains("provisioning is disabled"),
                "{r:?}"
            );
        }
        // The 401 setting.
        block_on(env.prov.set_rules(
            t,
            RuleSet::tresorit().with_when_disabled(scimkit::policy::DisabledStatus::Unauthorized),
        ))
        .unwrap();
        let r = env.scim_with(&old, "GET", "/Users", None);
        assert_eq!(r.status, 401);
        assert!(r.body["detail"]
            .as_str()
            .unwrap()
            .contains("provisioning is disabled"));

        let new = env.enable(idp);
        assert_ne!(new, old);
        assert_eq!(
            env.users(idp),
            users_before,
            "nothing changed while disabled"
        );
        assert_eq!(env.accounts(idp), accounts_before);
        let r = env.scim_with(&old, "GET", "/Users", None);
        assert_eq!(r.status, 401, "the old token no longer works");
        assert_eq!(env.scim_with(&new, "GET", "/Users", None).status, 200);

        // Rotate and revoke.
        let r = env.admin(
            "POST",
            &format!("/admin/tenants/{t}/provisioning/rotate"),
            None,
        );
        let rotated = r.body["token"].as_str().unwrap().to_owned();
        assert_eq!(env.scim_with(&new, "GET", "/Users", None).status, 401);
        assert_eq!(env.scim_with(&rotated, "GET", "/Users", None).status, 200);
        env.admin(
            "POST",
            &format!("/admin/tenants/{t}/provisioning/revoke"),
            None,
        );
        assert_eq!(env.scim_with(&rotated, "GET", "/Users", None).status, 401);
    }
}

/// DELETE ends the account's membership (the account is retained without access; a later create
/// restores it); `active=false` keeps the account but removes access.
#[test]
fn delete_ends_membership_and_active_false_keeps_the_account_without_access() {
    for idp in BOTH {
        let env = Env::new();
        let id = id_of(&env.create(idp, "ada@example.com", "Ada", "Lovelace"));
        let r = env.scim(
            idp,
            "PATCH",
            &format!("/Users/{id}"),
            Some(&idp.set_active(false)),
        );
        assert_eq!(r.status, 200);
        let a = env.account(idp, "ada@example.com");
        assert_eq!(a["membership"], "active");
        assert_eq!(a["managedByScim"], true);
        assert_eq!(a["effectiveAccess"], false);
        assert_eq!(
            env.get_user(idp, &id).status,
            200,
            "deactivated, not deleted"
        );

        let r = env.scim(idp, "DELETE", &format!("/Users/{id}"), None);
        assert_eq!(r.status, 204, "{r:?}");
        assert_eq!(env.get_user(idp, &id).status, 404);
        let a = env.account(idp, "ada@example.com");
        assert_eq!(a["membership"], "ended");
        assert_eq!(a["managedByScim"], false);
        assert_eq!(a["scimActive"], false);
        assert_eq!(a["effectiveAccess"], false);
        assert_eq!(a["scimId"], Value::Null);
        assert_eq!(a["registeredName"], "Ada Lovelace");
        let r = env.admin(
            "POST",
            &format!(
                "/admin/tenants/{}/accounts/ada@example.com/suspend",
                idp.tenant()
            ),
            None,
        );
        assert_eq!(r.status, 409, "a former member cannot be suspended");

        // The IdP assigns her again: the retained account is restored.
        let again = env.create(idp, "ada@example.com", "Augusta", "King");
        let a = env.account(idp, "ada@example.com");
        assert_eq!(a["membership"], "active");
        assert_eq!(a["registeredName"], "Ada Lovelace");
        assert_eq!(a["effectiveAccess"], true);
        assert_eq!(a["scimId"], again["id"]);
    }
}

/// Configuration lint: a verified domain in `AddAutomatically` while provisioning is on gives a
/// warning recommending Invite only or Do not add, through the admin API.
#[test]
fn auto_add_domain_with_provisioning_on_warns_through_the_admin_api() {
    let env = Env::new();
    for idp in BOTH {
        let t = idp.tenant();
        let warnings = |env: &Env| {
            env.admin("GET", &format!("/admin/tenants/{t}/warnings"), None)
                .body["warnings"]
                .as_array()
                .unwrap()
                .clone()
        };
        assert!(warnings(&env).is_empty());
        let r = env.admin(
            "POST",
            &format!("/admin/tenants/{t}/domains"),
            Some(json!({"domain": "Example.com", "mode": "addAutomatically"})),
        );
        assert_eq!(r.status, 201, "{r:?}");
        let w = warnings(&env);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0]["code"], "autoAddDomainWithProvisioning");
        assert!(w[0]["message"].as_str().unwrap().contains("Invite only"));
        assert!(w[0]["message"].as_str().unwrap().contains("Do not add"));
        assert_eq!(
            env.admin("GET", &format!("/admin/tenants/{t}"), None).body["warnings"],
            json!(w)
        );
        assert_eq!(
            block_on(env.prov.all_warnings())
                .unwrap()
                .iter()
                .filter(|(id, _)| id == t)
                .count(),
            1
        );

        let r = env.admin(
            "PUT",
            &format!("/admin/tenants/{t}/domains/example.com"),
            Some(json!({"mode": "inviteOnly"})),
        );
        assert_eq!(r.status, 200);
        assert!(warnings(&env).is_empty());
        env.admin(
            "PUT",
            &format!("/admin/tenants/{t}/domains/example.com"),
            Some(json!({"mode": "addAutomatically"})),
        );
        env.admin(
            "POST",
            &format!("/admin/tenants/{t}/provisioning/disable"),
            None,
        );
        assert!(
            warnings(&env).is_empty(),
            "no advice while provisioning is off"
        );
        let r = env.admin(
            "DELETE",
            &format!("/admin/tenants/{t}/domains/example.com"),
            None,
        );
        assert_eq!(r.status, 200);
    }
}

/// The admin API refuses a missing or wrong admin token and malformed input without changing
/// anything; Groups pass through the policy unchanged.
#[test]
fn admin_api_requires_its_token_and_groups_pass_through() {
    let env = Env::new();
    let idp = Idp::Okta;
    let r = env.scim(idp, "GET", "/Users", None);
    assert_eq!(r.status, 200);
    for token in ["", "wrong", &env.tokens["okta"]] {
        let req = http::Request::post("/admin/tenants")
            .header("Authorization", format!("Bearer {token}"))
            .body(bytes::Bytes::from_static(br#"{"id": "evil"}"#))
            .unwrap();
        let resp = futures_executor::block_on(env.admin.handle_bytes(req));
        assert_eq!(resp.status(), 401);
    }
    assert_eq!(block_on(env.prov.tenant_ids()).unwrap(), ["entra", "okta"]);
    for (path, body) in [
        ("/admin/tenants", json!({"id": ""})),
        ("/admin/tenants", json!({"id": "x", "idp": "ldap"})),
        ("/admin/tenants", json!({"id": "x", "rules": "lenient"})),
        ("/admin/tenants/okta/templates", json!({"name": "  "})),
        (
            "/admin/tenants/okta/domains",
            json!({"domain": "not a domain", "mode": "doNotAdd"}),
        ),
        (
            "/admin/tenants/okta/accounts",
            json!({"email": "nope", "name": "x"}),
        ),
        (
            "/admin/tenants/okta/accounts",
            json!({"email": "a@b.c", "name": "x", "joinedVia": "scim"}),
        ),
    ] {
        let r = env.admin("POST", path, Some(body));
        assert_eq!(r.status, 400, "{path}: {r:?}");
    }
    assert_eq!(env.admin("GET", "/admin/tenants/nope", None).status, 404);
    assert_eq!(
        env.admin("GET", "/admin/tenants/okta/accounts/x@y.z", None)
            .status,
        404
    );
    assert_eq!(block_on(env.prov.tenant_ids()).unwrap(), ["entra", "okta"]);
    assert!(env.accounts(idp).as_array().unwrap().is_empty());

    // A tenant may be created with plain SCIM rules instead of the product's.
    let r = env.admin(
        "POST",
        "/admin/tenants",
        Some(json!({"id": "plain", "rules": "plain"})),
    );
    assert_eq!(r.status, 201, "{r:?}");
    let plain = block_on(env.prov.tenant("plain")).unwrap();
    assert_eq!(plain.rules(), &RuleSet::plain());
    assert_eq!(
        block_on(env.prov.tenant("okta")).unwrap().rules(),
        &RuleSet::tresorit()
    );

    let g = env.scim(
        idp,
        "POST",
        "/Groups",
        Some(
            &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                     "displayName": "Ops"}),
        ),
    );
    assert_eq!(g.status, 201);
    let gid = id_of(&g.body);
    let r = env.scim(
        idp,
        "PATCH",
        &format!("/Groups/{gid}"),
        Some(&patch(
            json!([{"op": "replace", "value": {"displayName": "Operations"}}]),
        )),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        env.scim(idp, "GET", &format!("/Groups/{gid}"), None).body["displayName"],
        "Operations"
    );
    assert!(
        env.audit(idp)
            .iter()
            .all(|e| e["record"]["actor"] != "scim"),
        "groups are not audited"
    );
}

/// `/Bulk` operations go through the same policy, one decision per operation.
#[test]
fn bulk_operations_go_through_the_policy() {
    for idp in BOTH {
        let env = Env::new();
        let bulk = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [
                {"method": "POST", "path": "/Users", "bulkId": "ada",
                 "data": idp.create("ada@example.com", "Ada", "Lovelace")},
                {"method": "PATCH", "path": "/Users/bulkId:ada",
                 "data": patch(json!([{"op": "replace", "path": "userName", "value": "other@example.com"}]))},
                {"method": "PATCH", "path": "/Users/bulkId:ada", "data": idp.set_active(false)}
            ]
        });
        let r = env.scim(idp, "POST", "/Bulk", Some(&bulk));
        assert_eq!(r.status, 200, "{r:?}");
        let ops = r.body["Operations"].as_array().unwrap();
        assert_eq!(ops[0]["status"], "201", "{ops:?}");
        assert_eq!(ops[1]["status"], "400");
        assert_eq!(ops[1]["response"]["scimType"], "mutability");
        assert_eq!(ops[2]["status"], "200");
        let a = env.account(idp, "ada@example.com");
        assert_eq!(a["registeredName"], "Ada Lovelace");
        assert_eq!(a["scimActive"], false);
        assert_eq!(env.users(idp)[0]["userName"], "ada@example.com");
    }
}
