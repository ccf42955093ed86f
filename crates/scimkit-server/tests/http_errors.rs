//! Errors from the HTTP layer are SCIM-shaped where the server can shape them (414, 431, 408),
//! malformed HTTP is refused without harm, and links never reflect the `Host` header.
#![allow(clippy::unwrap_used)]

mod support;

use scimkit_server::{Options, Running, Secret, SecretOrigin, Storage, TenantOptions};
use serde_json::json;
use support::{exchange, request};

const TOKEN: &str = "http-errors-test-token-0123456789abcdef";

async fn start() -> Running {
    let options = Options::default()
        .with_storage(Storage::Memory)
        .with_listen("127.0.0.1:0".parse().unwrap())
        .with_tenant(TenantOptions::new(
            "acme",
            Secret::new(TOKEN, SecretOrigin::Argument),
        ));
    scimkit_server::start(&options).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_over_long_request_target_gets_a_scim_414() {
    let running = start().await;
    let addr = running.addr();
    let target = format!("/scim/v2/Users?filter={}", "a".repeat(9000));
    let reply = exchange(addr, &request("GET", &target, "x", TOKEN, None)).await;
    reply.assert_scim_error(414);
    assert!(reply.json()["detail"].as_str().unwrap().contains("8192"));
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_header_block_gets_a_scim_431() {
    let running = start().await;
    let addr = running.addr();
    let big = format!(
        "GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Authorization: Bearer {TOKEN}\r\nX-Big: {}\r\n\r\n",
        "b".repeat(20_000)
    );
    exchange(addr, big.as_bytes()).await.assert_scim_error(431);
    let many: String = (0..120).map(|i| format!("X-H{i}: v\r\n")).collect();
    let many = format!(
        "GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Authorization: Bearer {TOKEN}\r\n{many}\r\n"
    );
    exchange(addr, many.as_bytes()).await.assert_scim_error(431);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_http_is_refused_and_the_server_carries_on() {
    let running = start().await;
    let addr = running.addr();
    for raw in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n",
        b"GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"\x00\x01\x02\xff\r\n\r\n",
    ] {
        let reply = exchange(addr, raw).await;
        // Hyper answers these itself, before any application code; the server gives that
        // answer a SCIM body (crates/scimkit-server/src/connection.rs).
        reply.assert_scim_error(400);
        assert_eq!(
            reply.header("connection"),
            Some("close"),
            "{raw:?} → {reply:?}"
        );
    }
    // A head beyond the parser's own buffer: hyper's 431, with a SCIM body too.
    let huge = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(100_000));
    let reply = exchange(addr, huge.as_bytes()).await;
    assert!(matches!(reply.status, 400 | 414 | 431), "{reply:?}");
    reply.assert_scim_error(reply.status);
    let target = "/scim/v2/ServiceProviderConfig";
    let reply = exchange(addr, &request("GET", target, "x", TOKEN, None)).await;
    assert_eq!(reply.status, 200);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_name_the_listen_address_not_the_host_header() {
    let running = start().await;
    let addr = running.addr();
    let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                      "userName": "host.check@example.com"});
    let raw = request("POST", "/scim/v2/Users", "evil.example", TOKEN, Some(&user));
    let reply = exchange(addr, &raw).await;
    assert_eq!(reply.status, 201, "{reply:?}");
    let id = reply.json()["id"].as_str().unwrap().to_string();
    let expected = format!("http://{addr}/scim/v2/Users/{id}");
    assert_eq!(reply.header("location"), Some(expected.as_str()));
    assert_eq!(reply.json()["meta"]["location"], expected);
    let raw = request(
        "GET",
        &format!("/scim/v2/Users/{id}"),
        "evil.example",
        TOKEN,
        None,
    );
    let reply = exchange(addr, &raw).await;
    assert_eq!(reply.json()["meta"]["location"], expected);
    assert!(!reply.body.contains("evil.example"));
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_a_request_id() {
    let running = start().await;
    let addr = running.addr();
    let raw = b"GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Request-Id: trace-42\r\n\r\n";
    let reply = exchange(addr, raw).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.header("x-request-id"), Some("trace-42"));
    let reply = exchange(addr, &request("GET", "/scim/v2/Users", "x", TOKEN, None)).await;
    assert!(!reply.header("x-request-id").unwrap_or("").is_empty());
    running.stop().await;
}
