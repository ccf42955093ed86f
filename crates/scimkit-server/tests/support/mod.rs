//! A raw HTTP/1.1 client over loopback for the server's tests.
#![allow(dead_code, clippy::unwrap_used)]

use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An answer as read off the socket.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// A SCIM error body (RFC 7644 §3.12) with this status, served as application/scim+json.
    pub fn assert_scim_error(&self, status: u16) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.header("content-type"), Some("application/scim+json"));
        let body = self.json();
        assert_eq!(
            body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
            "{self:?}"
        );
        assert_eq!(body["status"], status.to_string());
        assert!(!body["detail"].as_str().unwrap_or("").is_empty());
    }
}

/// Parses one response (the connection closed after it).
pub fn parse(raw: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_string(),
    }
}

/// Sends `raw` and reads until the server closes the connection (at most 10 s).
pub async fn exchange(addr: SocketAddr, raw: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(raw).await.unwrap();
    parse(
        &read_until_closed(&mut stream, Duration::from_secs(10))
            .await
            .unwrap(),
    )
}

/// A request with `Connection: close`, the bearer token and optional JSON body.
pub fn request(
    method: &str,
    target: &str,
    host: &str,
    token: &str,
    body: Option<&Value>,
) -> Vec<u8> {
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    let mut out = format!(
        "{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\nContent-Length: {}\r\n",
        payload.len()
    );
    if body.is_some() {
        out.push_str("Content-Type: application/scim+json\r\n");
    }
    out.push_str("\r\n");
    out.push_str(&payload);
    out.into_bytes()
}

/// Everything the peer sends until it closes; `None` if it is still open after `limit`.
pub async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut raw = Vec::new();
    match tokio::time::timeout(limit, stream.read_to_end(&mut raw)).await {
        Ok(_) => Some(raw),
        Err(_) => None,
    }
}
