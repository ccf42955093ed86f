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
