//! Two server instances on one PostgreSQL database behave as one server (bounded, loopback):
//! a User written through either is read, patched and deleted through the other; concurrent
//! member adds and removes spread over both lose nothing; two creates of one userName in
//! different letter case give one 201 and one 409; a token rotated or provisioning turned off
//! through one instance's admin API is refused by the other at its next request; a tenant
//! setting changed on one applies on the other at once.
//!
//! PostgreSQL: `DATABASE_URL`'s server, else a private one from the system's binaries
//! (scimkit-testkit's `postgres` module); without either the test says so loudly and passes,
//! unless `SCIMKIT_REQUIRE_POSTGRES=1` (CI).
#![allow(clippy::unwrap_used)]

mod support;

use scimkit_server::Running;
use serde_json::{json, Value};
use std::net::SocketAddr;
use support::{exchange, request};

const TOKEN: &str = "instances-test-token-0123456789abcdef0123";
const ADMIN: &str = "instances-test-admin-0123456789abcdef0123";
const KEY: &str = "instances-cursor-key-0123456789abcdef01234";

async fn start(url: &str) -> Running {
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--quiet",
        "--db",
        url,
        "--tenant",
        &format!("acme={TOKEN}"),
        "--admin-token",
        ADMIN,
        "--cursor-key",
        KEY,
    ];
    let options =
        scimkit_server::parse_args(args.iter().map(|s| s.to_string()), &|_| None).unwrap();
    scimkit_server::start(&options).await.unwrap()
}

async fn call(
    addr: SocketAddr,
    method: &str,
    target: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let reply = exchange(addr, &request(method, target, "x", token, body.as_ref())).await;
    (reply.status, reply.json())
}

fn user(name: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name})
}

fn members_patch(op: &str, ids: &[String]) -> Value {
    let value: Vec<Value> = ids.iter().map(|id| json!({"value": id})).collect();
    let path = match op {
        "remove" => format!("members[value eq \"{}\"]", ids[0]),
        _ => "members".into(),
    };
    let operation = match op {
        "remove" => json!({"op": "remove", "path": path}),
        _ => json!({"op": op, "path": path, "value": value}),
    };
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [operation]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_database_behave_as_one_server() {
    let url = scimkit_testkit::database_or_skip!("two_instances");
    let (a, b) = (start(&url).await, start(&url).await);
    let (a, b) = (a.addr(), b.addr());

    // Written through one, read, patched and deleted through the other.
    let (status, created) = call(
        a,
        "POST",
        "/scim/v2/Users",
        TOKEN,
        Some(user("ada@example.com")),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    let one = format!("/scim/v2/Users/{id}");
    assert_eq!(call(b, "GET", &one, TOKEN, None).await.0, 200);
    let deactivate = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": false}]});
    assert_eq!(call(b, "PATCH", &one, TOKEN, Some(deactivate)).await.0, 200);
    assert_eq!(call(a, "GET", &one, TOKEN, None).await.1["active"], false);
    assert_eq!(call(a, "DELETE", &one, TOKEN, None).await.0, 204);
    assert_eq!(call(b, "GET", &one, TOKEN, None).await.0, 404);

    // One userName, two letter cases, both instances at once: one 201, one 409.
    for i in 0..10 {
        let (first, second) = tokio::join!(
            call(
                a,
                "POST",
                "/scim/v2/Users",
                TOKEN,
                Some(user(&format!("Race{i}@example.com")))
            ),
            call(
                b,
                "POST",
                "/scim/v2/Users",
                TOKEN,
                Some(user(&format!("race{i}@EXAMPLE.com")))
            ),
        );
        let mut statuses = [first.0, second.0];
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 409], "{first:?} {second:?}");
    }

    // Member adds, then removes, spread over both instances at once: nothing lost.
    let group =
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Staff"});
    let (_, group) = call(a, "POST", "/scim/v2/Groups", TOKEN, Some(group)).await;
    let group = format!("/scim/v2/Groups/{}", group["id"].as_str().unwrap());
    let mut ids = Vec::new();
    for i in 0..20 {
        let (status, u) = call(
            a,
            "POST",
            "/scim/v2/Users",
            TOKEN,
            Some(user(&format!("member{i}@example.com"))),
        )
        .await;
        assert_eq!(status, 201);
        ids.push(u["id"].as_str().unwrap().to_string());
    }
    let adds = ids.iter().enumerate().map(|(i, id)| {
        let at = if i % 2 == 0 { a } else { b };
        let patch = members_patch("add", std::slice::from_ref(id));
        let group = group.clone();
        async move { call(at, "PATCH", &group, TOKEN, Some(patch)).await.0 }
    });
    for status in futures_join_all(adds).await {
        assert!(status == 200 || status == 204, "{status}");
    }
    let members = |g: Value| g["members"].as_array().map_or(0, Vec::len);
    assert_eq!(members(call(b, "GET", &group, TOKEN, None).await.1), 20);
    let removes = ids[..10].iter().enumerate().map(|(i, id)| {
        let at = if i % 2 == 0 { b } else { a };
        let patch = members_patch("remove", std::slice::from_ref(id));
        let group = group.clone();
        async move { call(at, "PATCH", &group, TOKEN, Some(patch)).await.0 }
    });
    for status in futures_join_all(removes).await {
        assert!(status == 200 || status == 204, "{status}");
    }
    assert_eq!(members(call(a, "GET", &group, TOKEN, None).await.1), 10);

    // A tenant setting changed through one instance applies on the other at once.
    let template = json!({"name": "Contractors"});
    let (status, template) = call(
        a,
        "POST",
        "/admin/tenants/acme/templates",
        ADMIN,
        Some(template),
    )
    .await;
    assert!(status < 300, "{template}");
    let template_id = template["id"].clone();
    let default = json!({"template": template_id});
    assert!(
        call(
            a,
            "PUT",
            "/admin/tenants/acme/templates/default",
            ADMIN,
            Some(default)
        )
        .await
        .0 < 300
    );
    assert_eq!(
        call(
            b,
            "POST",
            "/scim/v2/Users",
            TOKEN,
            Some(user("late@example.com"))
        )
        .await
        .0,
        201
    );
    let (_, account) = call(
        a,
        "GET",
        "/admin/tenants/acme/accounts/late@example.com",
        ADMIN,
        None,
    )
    .await;
    assert_eq!(account["template"], template_id, "{account}");

    // A token rotated through one instance is refused by the other at its next request.
    let (status, rotated) = call(
        a,
        "POST",
        "/admin/tenants/acme/provisioning/rotate",
        ADMIN,
        None,
    )
    .await;
    assert_eq!(status, 200, "{rotated}");
    let new_token = rotated["token"].as_str().unwrap().to_string();
    assert_eq!(call(b, "GET", "/scim/v2/Users", TOKEN, None).await.0, 401);
    assert_eq!(
        call(b, "GET", "/scim/v2/Users", &new_token, None).await.0,
        200
    );
    // Provisioning turned off through the other: refused on the first at once.
    assert!(
        call(
            b,
            "POST",
            "/admin/tenants/acme/provisioning/disable",
            ADMIN,
            None
        )
        .await
        .0 < 300
    );
    assert_eq!(
        call(a, "GET", "/scim/v2/Users", &new_token, None).await.0,
        403
    );
}

/// Runs the futures concurrently; their outputs in order.
async fn futures_join_all<F: std::future::Future<Output = u16> + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<u16> {
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}
