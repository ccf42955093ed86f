//! Logs in a pipe are JSON lines: each request's line carries the request id (the client's
//! `X-Request-Id`, echoed, or a generated one), tenant, route template, status, latency, and for
//! a 4xx the scimType and detail; no line carries a token or a request body.
#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "log-test-tenant-token-0123456789abcdef012";
const ADMIN: &str = "log-test-admin-token-0123456789abcdef0123";
/// A value only the request body carries.
const BODY_MARKER: &str = "body-only-marker-7f3a";

#[test]
fn json_lines_carry_request_ids_and_never_a_token_or_body() {
    // No --log-format: stdout is a pipe, so JSON lines.
    let work = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_scimkit-server"))
        .current_dir(work.path())
        .env_remove("SCIMKIT_DB")
        .args([
            "--listen",
            "127.0.0.1:0",
            "--tenant",
            "acme=env:LOG_TEST_TOKEN",
        ])
        .env("LOG_TEST_TOKEN", TOKEN)
        .env("SCIMKIT_ADMIN_TOKEN", ADMIN)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    let addr: SocketAddr = loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "stopped: {lines:?}"
        );
        let v: Value = serde_json::from_str(&line).unwrap();
        lines.push(line);
        if let Some(a) = v["message"].as_str().unwrap().strip_prefix("listening on ") {
            break a.parse().unwrap();
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let with_id = |raw: Vec<u8>, id: &str| {
        let text = String::from_utf8(raw).unwrap();
        text.replacen("\r\n", &format!("\r\nX-Request-Id: {id}\r\n"), 1)
            .into_bytes()
    };
    let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                      "userName": "logged@example.com", "displayName": BODY_MARKER});
    let create = support::request("POST", "/scim/v2/Users", "x", TOKEN, Some(&user));
    let created = rt.block_on(support::exchange(
        addr,
        &with_id(create.clone(), "req-create-1"),
    ));
    assert_eq!(created.status, 201, "{created:?}");
    assert_eq!(created.header("x-request-id"), Some("req-create-1"));
    let again = rt.block_on(support::exchange(addr, &with_id(create, "req-dup-2")));
    assert_eq!(again.status, 409);
    let wrong = support::request("GET", "/scim/v2/Users", "x", "wrong-token-abcdef", None);
    let refused = rt.block_on(support::exchange(addr, &wrong));
    let generated = refused.header("x-request-id").unwrap().to_string();
    let admin = support::request("GET", "/admin/tenants/acme", "x", ADMIN, None);
    assert_eq!(rt.block_on(support::exchange(addr, &admin)).status, 200);

    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "SIGTERM did not stop the server");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    lines.extend(rest.lines().map(str::to_string));
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();

    let parsed: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    let by_id = |id: &str| {
        parsed
            .iter()
            .find(|v| v["request_id"] == id)
            .unwrap_or_else(|| panic!("no line for {id}: {lines:#?}"))
    };
    let line = by_id("req-create-1");
    assert_eq!(line["tenant"], "acme");
    assert_eq!(line["client"], "127.0.0.1");
    assert_eq!(line["route"], "/scim/v2/Users");
    assert_eq!(line["method"], "POST");
    assert_eq!(line["status"], 201);
    assert!(line["latency_ms"].as_f64().unwrap() >= 0.0, "{line}");
    assert!(line.get("scim_type").is_none(), "{line}");
    let line = by_id("req-dup-2");
    assert_eq!(line["status"], 409);
    assert_eq!(line["scim_type"], "uniqueness");
    assert!(!line["detail"].as_str().unwrap().is_empty(), "{line}");
    let line = by_id(&generated);
    assert_eq!(
        (line["status"].as_u64(), line["tenant"].as_str()),
        (Some(401), Some("-"))
    );
    assert_eq!(line["auth_failure"], "invalid_token");
    let requests = parsed
        .iter()
        .filter(|v| v.get("request_id").is_some())
        .count();
    assert_eq!(requests, 4, "{lines:#?}");
    let everything = format!("{}\n{stderr}", lines.join("\n"));
    for secret in [TOKEN, ADMIN, "wrong-token-abcdef", BODY_MARKER] {
        assert!(
            !everything.contains(secret),
            "{secret} logged:\n{everything}"
        );
    }
}
