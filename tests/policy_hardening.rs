//! Regression tests for the hardening issue's policy items: reads and filters agree on
//! `active`; the audit log is bounded by bytes and pages; accounts are indexed and paged; the
//! tenant's IdP choice picks one documented behaviour; admin API details.
#![allow(clippy::unwrap_used)]

mod policy_common;

use bytes::Bytes;
use futures_executor::block_on;
use policy_common::{patch, Env, Idp, BOTH};
use scimkit::policy::{AuditLimits, JoinedVia};
use serde_json::{json, Value};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

fn count(env: &Env, idp: Idp, filter: &str) -> u64 {
    let q: String = filter
        .bytes()
        .map(|b| match b {
            b' ' => "%20".to_owned(),
            b'"' => "%22".to_owned(),
            b => char::from(b).to_string(),
        })
        .collect();
    let r = env.scim(idp, "GET", &format!("/Users?filter={q}"), None);
    assert_eq!(r.status, 200, "{filter}: {r:?}");
    r.body["totalResults"].as_u64().unwrap()
}

#[test]
fn a_user_created_without_active_filters_as_it_reads() {
    let env = Env::new();
    for idp in BOTH {
        let body = json!({"schemas": [USER], "userName": "ada@example.com",
            "name": {"givenName": "Ada", "familyName": "Lovelace"}});
        let r = env.scim(idp, "POST", "/Users", Some(&body));
        assert_eq!(r.status, 201, "{r:?}");
        assert_eq!(r.body["active"], true);
        let id = r.body["id"].as_str().unwrap();
        assert_eq!(env.get_user(idp, id).body["active"], true);
        assert_eq!(count(&env, idp, "active eq true"), 1, "{idp:?}");
        assert_eq!(count(&env, idp, "active pr"), 1, "{idp:?}");
        assert_eq!(count(&env, idp, "active eq false"), 0, "{idp:?}");

        // Deactivated, and a local suspension (invisible to the IdP): still one value.
        let r = env.scim(
            idp,
            "PATCH",
            &format!("/Users/{id}"),
            Some(&idp.set_active(false)),
        );
        assert_eq!(r.status, 200, "{r:?}");
        block_on(env.prov.suspend(idp.tenant(), "ada@example.com")).unwrap();
        assert_eq!(env.get_user(idp, id).body["active"], false);
        assert_eq!(count(&env, idp, "active eq false"), 1, "{idp:?}");
        assert_eq!(count(&env, idp, "active eq true"), 0, "{idp:?}");
    }
}

#[test]
fn large_bodies_keep_the_audit_log_within_its_byte_budget() {
    // Each write parses, validates, redacts and hashes 900 KB: slow in a debug build, so a few
    // writes against a small budget here; crates/scimkit-policy/tests/audit_log.rs records
    // 2,000 such entries against the default budget.
    const WRITES: usize = 8;
    let env = Env::new();
    let budget = AuditLimits::default().with_max_bytes(40 * 1024);
    block_on(env.prov.set_audit_limits("entra", budget)).unwrap();
    let user = env.create(Idp::Entra, "ada@example.com", "Ada", "Lovelace");
    let id = user["id"].as_str().unwrap();
    // A PUT that renames the identifier (refused by the policy, so audited as rejected) with a
    // 900 KB displayName.
    let mut body = user.clone();
    body["userName"] = json!("eve@example.com");
    body["displayName"] = json!("x".repeat(900_000));
    let req = serde_json::to_vec(&body).unwrap();
    for _ in 0..WRITES {
        let r = block_on(
            env.scim.handle_bytes(
                http::Request::put(format!("/Users/{id}"))
                    .header("Authorization", format!("Bearer {}", env.tokens["entra"]))
                    .header("Content-Type", "application/scim+json")
                    .body(Bytes::from(req.clone()))
                    .unwrap(),
            ),
        );
        assert_eq!(r.status(), 400);
    }
    let bytes = block_on(env.prov.audit_bytes("entra")).unwrap();
    assert!(bytes <= budget.max_bytes, "{bytes} bytes accounted");
    let entries = env.audit(Idp::Entra);
    let last = entries.last().unwrap();
    let raw = &last["record"]["raw"];
    assert_eq!(raw["sha256"].as_str().unwrap().len(), 64, "{raw}");
    assert!(raw["bytes"].as_u64().unwrap() > 900_000);
    assert!(raw["excerpt"].as_str().unwrap().len() <= 4096);
    assert!(entries.len() < WRITES, "the oldest were evicted");
    let seqs: Vec<u64> = entries.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
}

/// A SCIM request with a chosen `User-Agent`.
fn scim_as(
    env: &Env,
    token: &str,
    ua: Option<&str>,
    method: &str,
    path: &str,
    body: &Value,
) -> (u16, Value) {
    let mut req = http::Request::builder()
        .method(method)
        .uri(path)
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/scim+json");
    if let Some(ua) = ua {
        req = req.header("User-Agent", ua);
    }
    let resp = block_on(
        env.scim.handle_bytes(
            req.body(Bytes::from(serde_json::to_vec(body).unwrap()))
                .unwrap(),
        ),
    );
    let status = resp.status().as_u16();
    (
        status,
        serde_json::from_slice(resp.body()).unwrap_or(Value::Null),
    )
}

#[test]
fn each_idp_choice_has_one_documented_behaviour() {
    const OKTA_UA: &str = "Okta SCIM Client 1.0.0";
    let env = Env::new();
    let replace_home = patch(json!([{"op": "replace",
        "path": "emails[type eq \"home\"].value", "value": "ada@home.example"}]));
    // (idp, User-Agent, expected status)
    let cases = [
        ("generic", None, 200),
        ("generic", Some(OKTA_UA), 400),
        ("strict", None, 400),
        ("strict", Some(OKTA_UA), 400),
        ("entraId", None, 200),
        ("entraId", Some(OKTA_UA), 200),
    ];
    for (n, (idp, ua, expected)) in cases.into_iter().enumerate() {
        let tenant = format!("t{n}");
        let r = env.admin(
            "POST",
            "/admin/tenants",
            Some(json!({"id": tenant, "idp": idp})),
        );
        assert_eq!(r.status, 201, "{r:?}");
        assert_eq!(r.body["idp"], idp);
        let r = env.admin(
            "POST",
            &format!("/admin/tenants/{tenant}/provisioning/enable"),
            None,
        );
        let token = r.body["token"].as_str().unwrap().to_owned();
        let user = json!({"schemas": [USER], "userName": "ada@example.com",
            "emails": [{"type": "work", "value": "ada@example.com"}]});
        let (status, created) = scim_as(&env, &token, None, "POST", "/Users", &user);
        assert_eq!(status, 201, "{created}");
        let id = created["id"].as_str().unwrap();
        let (status, body) = scim_as(
            &env,
            &token,
            ua,
            "PATCH",
            &format!("/Users/{id}"),
            &replace_home,
        );
        assert_eq!(status, expected, "{idp} {ua:?}: {body}");
        if expected == 200 {
            let homes: Vec<&Value> = body["emails"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["type"] == "home")
                .collect();
            assert_eq!(
                homes.len(),
                1,
                "{idp} {ua:?}: the element is created: {body}"
            );
        } else {
            assert_eq!(body["scimType"], "noTarget", "{idp} {ua:?}: {body}");
        }
    }
}

#[test]
fn thirty_thousand_accounts_list_page_by_page() {
    const ACCOUNTS: usize = 30_000;
    let env = Env::new();
    for i in 0..ACCOUNTS {
        block_on(env.prov.add_account(
            "okta",
            &format!("user{i:05}@example.com"),
            "N",
            JoinedVia::Invite,
        ))
        .unwrap();
    }
    let ada = env.create(Idp::Okta, "user00042@example.com", "Ada", "Lovelace");
    let (mut seen, mut cursor) = (0, String::new());
    let mut previous = String::new();
    loop {
        let r = env.admin(
            "GET",
            &format!("/admin/tenants/okta/accounts?limit=1000&cursor={cursor}"),
            None,
        );
        assert_eq!(r.status, 200, "{r:?}");
        for a in r.body["accounts"].as_array().unwrap() {
            let email = a["email"].as_str().unwrap().to_owned();
            assert!(email > previous, "in order, each once");
            if email == "user00042@example.com" {
                assert_eq!(a["scimId"], ada["id"], "linked through the index");
            }
            previous = email;
            seen += 1;
        }
        match r.body["next"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, ACCOUNTS);
    let r = env.admin(
        "GET",
        "/admin/tenants/okta/accounts?q=USER2999&limit=5",
        None,
    );
    assert_eq!(r.body["accounts"].as_array().unwrap().len(), 5, "{r:?}");
    assert_eq!(r.body["next"], "user29994@example.com");
    for bad in ["limit=0", "limit=1001", "limit=x"] {
        let r = env.admin("GET", &format!("/admin/tenants/okta/accounts?{bad}"), None);
        assert_eq!(r.status, 400, "{bad}: {r:?}");
    }
}

#[test]
fn audit_pages_over_http_walk_every_entry_once() {
    let env = Env::new();
    for i in 0..30 {
        env.create(Idp::Entra, &format!("u{i}@example.com"), "U", "Ser");
    }
    let all: Vec<u64> = env
        .audit(Idp::Entra)
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert!(all.len() > 30);
    let (mut seen, mut since) = (Vec::new(), 0);
    loop {
        let r = env.admin(
            "GET",
            &format!("/admin/tenants/entra/audit?since={since}&limit=7"),
            None,
        );
        assert_eq!(r.status, 200, "{r:?}");
        let entries = r.body["entries"].as_array().unwrap();
        assert!(entries.len() <= 7);
        seen.extend(entries.iter().map(|e| e["seq"].as_u64().unwrap()));
        match r.body["next"].as_u64() {
            Some(next) => since = next,
            None => break,
        }
    }
    assert_eq!(seen, all);
    for bad in ["limit=0", "limit=1001", "since=-1"] {
        let r = env.admin("GET", &format!("/admin/tenants/entra/audit?{bad}"), None);
        assert_eq!(r.status, 400, "{bad}: {r:?}");
    }
}

#[test]
fn admin_details_say_what_is_wrong_and_what_is_valid() {
    let env = Env::new();
    let api = |token: Option<&str>| {
        let mut req = http::Request::get("/admin/tenants");
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        let resp = block_on(env.admin.handle_bytes(req.body(Bytes::new()).unwrap()));
        let body: Value = serde_json::from_slice(resp.body()).unwrap();
        (
            resp.status().as_u16(),
            body["error"].as_str().unwrap().to_owned(),
        )
    };
    let (missing_status, missing) = api(None);
    let (wrong_status, wrong) = api(Some("not-the-admin-token-s3cret"));
    assert_eq!((missing_status, wrong_status), (401, 401));
    assert_ne!(missing, wrong);
    assert!(!wrong.contains("s3cret"), "{wrong}");

    let r = env.admin(
        "POST",
        "/admin/tenants",
        Some(json!({"id": "x", "idp": "entra"})),
    );
    assert_eq!(r.status, 400);
    let detail = r.body["error"].as_str().unwrap();
    for valid in ["generic", "entraId", "okta", "strict"] {
        assert!(detail.contains(valid), "{detail}");
    }
    let r = env.admin(
        "POST",
        "/admin/tenants/okta/domains",
        Some(json!({"domain": "example.com", "mode": "auto"})),
    );
    let detail = r.body["error"].as_str().unwrap();
    for valid in ["addAutomatically", "inviteOnly", "doNotAdd"] {
        assert!(detail.contains(valid), "{detail}");
    }
    let r = env.admin(
        "PUT",
        "/admin/tenants/okta/templates/default",
        Some(json!({"template": 99})),
    );
    assert_eq!(r.status, 404);
    assert_eq!(r.body["error"], "no policy template with id 99");

    // An admin-added account is audited; a repeated suspend is audited once.
    let r = env.admin(
        "POST",
        "/admin/tenants/okta/accounts",
        Some(json!({"email": "bob@example.com", "name": "Bob"})),
    );
    assert_eq!(r.status, 201, "{r:?}");
    for _ in 0..2 {
        let r = env.admin(
            "POST",
            "/admin/tenants/okta/accounts/bob@example.com/suspend",
            None,
        );
        assert_eq!(r.status, 200, "{r:?}");
    }
    let events: Vec<Value> = env
        .audit(Idp::Okta)
        .into_iter()
        .filter(|e| e["record"]["actor"] == "admin")
        .map(|e| e["record"]["event"].clone())
        .collect();
    assert!(
        events.contains(&json!({"event": "accountAdded", "email": "bob@example.com",
        "joinedVia": "invite"})),
        "{events:?}"
    );
    let suspended = events
        .iter()
        .filter(|e| e["event"] == "userSuspended")
        .count();
    assert_eq!(suspended, 1, "{events:?}");
}
