//! Over real HTTP: the reference server (`scimkit-server`, which `examples/server.rs` runs) on
//! an ephemeral loopback port, driven by a minimal HTTP/1.1 client.
#![allow(clippy::unwrap_used)]

use scimkit_server as server;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

async fn request(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let payload = body
        .map(|b| serde_json::to_vec(&b).unwrap())
        .unwrap_or_default();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        payload.len()
    );
    if let Some(t) = token {
        head.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    if !payload.is_empty() {
        head.push_str("Content-Type: application/scim+json\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&payload).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let body = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(body).unwrap()
    };
    Reply {
        status,
        headers,
        body,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_server_over_loopback() {
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
        "--tenant",
        "acme=tok-acme",
    ];
    let options = server::parse_args(args.iter().map(|s| s.to_string()), &|_| None).unwrap();
    let running = server::start(&options).await.unwrap();
    assert_eq!(
        running
            .server()
            .provisioning()
            .tenant_ids()
            .await
            .unwrap()
            .len(),
        2
    );
    let addr = running.addr();
    let base = server::BASE_PATH;

    let r = request(
        addr,
        "GET",
        &format!("{base}/ServiceProviderConfig"),
        Some("tok-default"),
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/scim+json"));

    let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                      "userName": "http.user@example.com", "active": true});
    let r = request(
        addr,
        "POST",
        &format!("{base}/Users"),
        Some("tok-default"),
        Some(user.clone()),
    )
    .await;
    assert_eq!(r.status, 201);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        r.header("location").unwrap(),
        format!("http://{addr}{base}/Users/{id}")
    );
    assert_eq!(r.header("etag"), Some("W/\"1\""));

    let r = request(
        addr,
        "GET",
        &format!("{base}/Users?filter=userName%20eq%20%22HTTP.USER@example.com%22"),
        Some("tok-default"),
        None,
    )
    .await;
    assert_eq!(r.body["totalResults"], 1);
    // The other tenant neither sees the user nor collides with its userName.
    let r = request(
        addr,
        "GET",
        &format!("{base}/Users/{id}"),
        Some("tok-acme"),
        None,
    )
    .await;
    assert_eq!(r.status, 404);
    let r = request(
        addr,
        "POST",
        &format!("{base}/Users"),
        Some("tok-acme"),
        Some(user),
    )
    .await;
    assert_eq!(r.status, 201);

    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                       "Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
    let r = request(
        addr,
        "PATCH",
        &format!("{base}/Users/{id}"),
        Some("tok-default"),
        Some(patch),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["active"], false);

    let r = request(addr, "GET", &format!("{base}/Users"), None, None).await;
    assert_eq!(r.status, 401);
    assert!(r.header("www-authenticate").unwrap().starts_with("Bearer"));
    assert_eq!(r.body["status"], "401");

    let r = request(addr, "GET", "/elsewhere", Some("tok-default"), None).await;
    assert_eq!(r.status, 404);

    let r = request(
        addr,
        "DELETE",
        &format!("{base}/Users/{id}"),
        Some("tok-default"),
        None,
    )
    .await;
    assert_eq!(r.status, 204);
    let r = request(
        addr,
        "GET",
        &format!("{base}/Users/{id}"),
        Some("tok-default"),
        None,
    )
    .await;
    assert_eq!(r.status, 404);
    running.stop().await;
}

#[tokio::test]
async fn server_arguments() {
    let parse = |a: &[&str]| server::parse_args(a.iter().map(|s| s.to_string()), &|_| None);
    let o = parse(&[]).unwrap();
    assert_eq!(o.listen.to_string(), "127.0.0.1:8080");
    assert!(o.tenants.is_empty());
    let o = parse(&[
        "--listen",
        "0.0.0.0:9000",
        "--tenant",
        "a=x",
        "--tenant",
        "b=y",
    ])
    .unwrap();
    assert_eq!(o.listen.port(), 9000);
    let tenants: Vec<(&str, &str)> = o
        .tenants
        .iter()
        .map(|t| (t.id.as_str(), t.token.expose()))
        .collect();
    assert_eq!(tenants, [("a", "x"), ("b", "y")]);
    assert!(parse(&["--tenant", "novalue"]).is_err());
    assert!(parse(&["--listen"]).is_err());
    assert!(parse(&["--bogus"]).is_err());
    // Without tokens, one is generated for the default tenant and printed once.
    let options = parse(&["--listen", "127.0.0.1:0", "--db", "memory"]).unwrap();
    let running = server::start(&options).await.unwrap();
    let lines = running.server().startup_lines().join("\n");
    assert!(
        lines.contains("tenant default (generic, tresorit rules): Authorization: Bearer "),
        "{lines}"
    );
    running.stop().await;
}
