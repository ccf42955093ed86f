//! Connection hardening over real loopback sockets: idle, slow-header and slow-body
//! connections are closed after their timeouts, and a normal client is served while they are
//! open and while the connection cap is taken by others.
#![allow(clippy::unwrap_used)]

mod support;

use scimkit_server::{
    ConnectionLimits, Options, Running, Secret, SecretOrigin, Storage, TenantOptions,
};
use std::time::{Duration, Instant};
use support::{exchange, read_until_closed, request};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const TOKEN: &str = "connections-test-token-0123456789abcdef";
const TIMEOUT: Duration = Duration::from_millis(300);
/// Far longer than any timeout above: a connection still open after it was never closed.
const PATIENCE: Duration = Duration::from_secs(5);

async fn start(max_connections: usize) -> Running {
    let limits = ConnectionLimits::default()
        .with_timeouts(TIMEOUT, TIMEOUT, TIMEOUT)
        .with_max_connections(max_connections);
    let options = Options::default()
        .with_storage(Storage::Memory)
        .with_listen("127.0.0.1:0".parse().unwrap())
        .with_tenant(TenantOptions::new(
            "acme",
            Secret::new(TOKEN, SecretOrigin::Argument),
        ))
        .with_connection_limits(limits);
    scimkit_server::start(&options).await.unwrap()
}

fn normal_request(running: &Running) -> Vec<u8> {
    let addr = running.addr();
    request(
        "GET",
        "/scim/v2/ServiceProviderConfig",
        &addr.to_string(),
        TOKEN,
        None,
    )
}

/// Writes `bytes` one at a time, 100 ms apart, until the peer stops taking them.
fn trickle(mut stream: tokio::net::tcp::OwnedWriteHalf, bytes: &'static [u8]) {
    tokio::spawn(async move {
        for b in bytes.iter().cycle() {
            if stream.write_all(&[*b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_slow_header_and_slow_body_connections_are_closed_and_others_served() {
    let running = start(64).await;
    let addr = running.addr();

    let mut idle = TcpStream::connect(addr).await.unwrap();

    let (mut slow_head_read, mut slow_head) = TcpStream::connect(addr).await.unwrap().into_split();
    slow_head
        .write_all(b"GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    trickle(slow_head, b"X-Slow: a\r\n");

    let head = format!(
        "POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/scim+json\r\nContent-Length: 1000\r\n\r\n{{"
    );
    let (mut slow_body_read, mut slow_body) = TcpStream::connect(addr).await.unwrap().into_split();
    slow_body.write_all(head.as_bytes()).await.unwrap();
    trickle(slow_body, b" ");

    // While all three are open, a normal client is served.
    let reply = exchange(addr, &normal_request(&running)).await;
    assert_eq!(reply.status, 200, "{reply:?}");

    let started = Instant::now();
    let idle_raw = read_until_closed(&mut idle, PATIENCE).await;
    assert_eq!(
        idle_raw.as_deref(),
        Some(&b""[..]),
        "the idle connection stays open"
    );

    let mut raw = Vec::new();
    let closed = tokio::time::timeout(PATIENCE, async {
        use tokio::io::AsyncReadExt;
        let _ = slow_head_read.read_to_end(&mut raw).await;
    })
    .await;
    assert!(closed.is_ok(), "the slow-header connection stays open");

    let mut raw = Vec::new();
    let closed = tokio::time::timeout(PATIENCE, async {
        use tokio::io::AsyncReadExt;
        let _ = slow_body_read.read_to_end(&mut raw).await;
    })
    .await;
    assert!(closed.is_ok(), "the slow-body connection stays open");
    support::parse(&raw).assert_scim_error(408);
    assert!(started.elapsed() < PATIENCE);

    // And the server still serves.
    let reply = exchange(addr, &normal_request(&running)).await;
    assert_eq!(reply.status, 200);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_is_served_when_idle_connections_hold_the_cap() {
    let running = start(2).await;
    let addr = running.addr();
    let _held = [
        TcpStream::connect(addr).await.unwrap(),
        TcpStream::connect(addr).await.unwrap(),
    ];
    // Give the server time to accept both, so they hold the cap.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = Instant::now();
    let reply = exchange(addr, &normal_request(&running)).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    // It waited for a slot: the cap held it until the idle timeout closed the others.
    assert!(
        started.elapsed() >= TIMEOUT / 2,
        "served after {:?}: the cap did not hold",
        started.elapsed()
    );
    running.stop().await;
}
