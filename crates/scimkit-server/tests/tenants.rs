//! Per-tenant IdP profile and rule set, chosen with `--tenant-idp` / `--tenant-rules`.
#![allow(clippy::unwrap_used)]

mod support;

use scimkit_policy::IdpDialect;
use serde_json::json;
use support::{exchange, request};

const PRODUCT: &str = "product-rules-token-0123456789abcdef0123";
const PLAIN: &str = "plain-rules-token-0123456789abcdef012345";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_tenant_runs_its_own_rule_set_and_profile() {
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--db",
        "memory",
        "--tenant",
        &format!("product={PRODUCT}"),
        "--tenant",
        &format!("plain={PLAIN}"),
        "--tenant-rules",
        "plain=plain",
        "--tenant-idp",
        "plain=okta",
        "--tenant-idp",
        "product=entraId",
    ];
    let options =
        scimkit_server::parse_args(args.iter().map(|s| s.to_string()), &|_| None).unwrap();
    let running = scimkit_server::start(&options).await.unwrap();
    let addr = running.addr();
    let provisioning = running.server().provisioning();
    assert_eq!(
        provisioning
            .tenant("plain")
            .await
            .unwrap()
            .settings()
            .dialect,
        IdpDialect::Okta
    );
    assert_eq!(
        provisioning
            .tenant("product")
            .await
            .unwrap()
            .settings()
            .dialect,
        IdpDialect::EntraId
    );

    let rename = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "userName", "value": "renamed@example.com"}]});
    for (token, expected) in [(PRODUCT, 400), (PLAIN, 200)] {
        let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                          "userName": "first@example.com"});
        let created = exchange(
            addr,
            &request("POST", "/scim/v2/Users", "x", token, Some(&user)),
        )
        .await;
        assert_eq!(created.status, 201, "{created:?}");
        let id = created.json()["id"].as_str().unwrap().to_string();
        let target = format!("/scim/v2/Users/{id}");
        let reply = exchange(addr, &request("PATCH", &target, "x", token, Some(&rename))).await;
        assert_eq!(reply.status, expected, "{reply:?}");
        if expected == 400 {
            assert_eq!(reply.json()["scimType"], "mutability");
        } else {
            assert_eq!(reply.json()["userName"], "renamed@example.com");
        }
    }
    running.stop().await;
}

/// Starts the server on `db` with `args`; its start-up lines.
async fn start_on(db: &std::path::Path, args: &[&str]) -> scimkit_server::Running {
    let db = format!("sqlite:{}", db.display());
    let all = [
        "--listen",
        "127.0.0.1:0",
        "--quiet",
        "--db",
        &db,
        "--admin-token",
    ]
    .into_iter()
    .chain([ADMIN])
    .chain(args.iter().copied())
    .map(str::to_string);
    let options = scimkit_server::parse_args(all, &|_| None).unwrap();
    scimkit_server::start(&options).await.unwrap()
}

const ADMIN: &str = "tenants-admin-token-0123456789abcdef0123";
const ROTATED: &str = "rotated-by-config-token-0123456789abcdef";

fn tenant_line(running: &scimkit_server::Running, id: &str) -> String {
    let prefix = format!("tenant {id} ");
    running
        .server()
        .startup_lines()
        .iter()
        .find(|l| l.starts_with(&prefix))
        .cloned()
        .unwrap_or_default()
}

/// On a database, start-up is idempotent: a configured tenant is created once, keeps its
/// users, and takes the configuration's profile, rules and token when they change; a tenant
/// an administrator turned off stays off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_tenants_survive_restarts_and_follow_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tenants.db");
    let plain = format!("acme={PLAIN}");
    let first = start_on(&db, &["--tenant", &plain, "--tenant-rules", "acme=plain"]).await;
    assert!(
        tenant_line(&first, "acme").ends_with("created"),
        "{:?}",
        first.server().startup_lines()
    );
    let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                      "userName": "kept@example.com"});
    let created = exchange(
        first.addr(),
        &request("POST", "/scim/v2/Users", "x", PLAIN, Some(&user)),
    )
    .await;
    assert_eq!(created.status, 201, "{created:?}");
    first.stop().await;

    // The same configuration: nothing to change; the user is there.
    let second = start_on(&db, &["--tenant", &plain, "--tenant-rules", "acme=plain"]).await;
    assert!(
        tenant_line(&second, "acme").ends_with("stored"),
        "{:?}",
        second.server().startup_lines()
    );
    let found = exchange(
        second.addr(),
        &request(
            "GET",
            "/scim/v2/Users?filter=userName%20eq%20%22KEPT@example.com%22",
            "x",
            PLAIN,
            None,
        ),
    )
    .await;
    assert_eq!(found.json()["totalResults"], 1, "{found:?}");
    second.stop().await;

    // New rules, profile and token in the configuration: applied; the old token stops working.
    let rotated = format!("acme={ROTATED}");
    let third = start_on(&db, &["--tenant", &rotated, "--tenant-idp", "acme=okta"]).await;
    assert!(
        tenant_line(&third, "acme").ends_with("updated to the configuration"),
        "{:?}",
        third.server().startup_lines()
    );
    let tenant = third.server().provisioning().tenant("acme").await.unwrap();
    assert_eq!(tenant.settings().dialect, IdpDialect::Okta);
    assert_eq!(tenant.rules(), &scimkit_policy::RuleSet::tresorit());
    let list = |token| request("GET", "/scim/v2/Users", "x", token, None);
    assert_eq!(exchange(third.addr(), &list(PLAIN)).await.status, 401);
    assert_eq!(exchange(third.addr(), &list(ROTATED)).await.status, 200);
    // An administrator turns provisioning off.
    let off = b"POST /admin/tenants/acme/provisioning/disable HTTP/1.1\r\nHost: x\r\n\
                Connection: close\r\nContent-Length: 0\r\n";
    let off = [
        &off[..],
        format!("Authorization: Bearer {ADMIN}\r\n\r\n").as_bytes(),
    ]
    .concat();
    let reply = exchange(third.addr(), &off).await;
    assert!(reply.status < 300, "{reply:?}");
    third.stop().await;

    // Restarted with the same configuration: provisioning stays off.
    let fourth = start_on(&db, &["--tenant", &rotated, "--tenant-idp", "acme=okta"]).await;
    assert!(
        tenant_line(&fourth, "acme").contains("turned off"),
        "{:?}",
        fourth.server().startup_lines()
    );
    assert_eq!(exchange(fourth.addr(), &list(ROTATED)).await.status, 403);
    fourth.stop().await;
}
