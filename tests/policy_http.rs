//! The admin API and the provisioning policy over real HTTP: the reference server
//! (`scimkit-server`, which `examples/server.rs` runs, `/admin` mounted) on an ephemeral
//! loopback port, following the curl walk-through of `docs/admin-api.md`.
#![allow(clippy::unwrap_used)]

use scimkit_server as server;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn request(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let payload = body
        .map(|b| serde_json::to_vec(&b).unwrap())
        .unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/scim+json\r\n\
         Content-Length: {}\r\n\r\n",
        payload.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&payload).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let body = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(body).unwrap()
    };
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_api_and_policy_over_the_example_server() {
    // On a SQLite file, as the example server runs by default.
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("scimkit.db").display());
    let args = [
        "--db",
        &db,
        "--listen",
        "127.0.0.1:0",
        "--token",
        "tok-default",
        "--admin-token",
        "adm1n",
    ];
    let options = server::parse_args(args.iter().map(|s| s.to_string()), &|_| None).unwrap();
    assert_eq!(
        options.admin_token.as_ref().map(server::Secret::expose),
        Some("adm1n")
    );
    let running = server::start(&options).await.unwrap();
    let addr = running.addr();
    let base = running.server().base_url().to_string();
    let a = "adm1n";

    // The --token tenant runs the policy too.
    let (status, body) = request(addr, "GET", "/admin/tenants", a, None).await;
    assert_eq!((status, body), (200, json!({"tenants": ["default"]})));
    assert_eq!(
        request(addr, "GET", "/admin/tenants", "tok-default", None)
            .await
            .0,
        401
    );

    let (status, _) = request(
        addr,
        "POST",
        "/admin/tenants",
        a,
        Some(json!({"id": "acme", "idp": "okta"})),
    )
    .await;
    assert_eq!(status, 201);
    let (status, body) = request(
        addr,
        "POST",
        "/admin/tenants/acme/provisioning/enable",
        a,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["scimBaseUrl"], base);
    let token = body["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("scimkit_"));

    let users = format!("{}/Users", server::BASE_PATH);
    let ada = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "ada@example.com", "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"primary": true, "value": "ada@example.com", "type": "work"}], "active": true});
    let (status, created) = request(addr, "POST", &users, &token, Some(ada)).await;
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap();

    let (status, account) = request(
        addr,
        "POST",
        "/admin/tenants/acme/accounts/ada@example.com/suspend",
        a,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(account["effectiveAccess"], false);
    assert_eq!(account["registeredName"], "Ada Lovelace");
    let (_, read) = request(addr, "GET", &format!("{users}/{id}"), &token, None).await;
    assert_eq!(
        read["active"], true,
        "the suspension is invisible to the IdP"
    );

    let (status, body) = request(
        addr,
        "PATCH",
        &format!("{users}/{id}"),
        &token,
        Some(
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "userName", "value": "ada.k@example.com"}]}),
        ),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["scimType"], "mutability");

    let (_, audit) = request(addr, "GET", "/admin/tenants/acme/audit?since=1", a, None).await;
    let entries = audit["entries"].as_array().unwrap();
    assert!(entries.iter().all(|e| e["seq"].as_u64().unwrap() > 1));
    assert!(entries
        .iter()
        .any(|e| e["record"]["result"]["result"] == "rejected"));

    request(
        addr,
        "POST",
        "/admin/tenants/acme/provisioning/disable",
        a,
        None,
    )
    .await;
    let (status, body) = request(addr, "GET", &users, &token, None).await;
    assert_eq!(status, 403);
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains("provisioning is disabled"));
    // Other tenants are unaffected.
    assert_eq!(
        request(addr, "GET", &users, "tok-default", None).await.0,
        200
    );
    running.stop().await;
}
