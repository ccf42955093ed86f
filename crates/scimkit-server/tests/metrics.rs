//! `/metrics`: a known sequence of requests, scraped and parsed, gives exact counts by method,
//! route template, status and scimType; auth failures by reason; never a raw id; the endpoint
//! needs its own token when it shares the SCIM address.
#![allow(clippy::unwrap_used)]

mod support;

use scimkit_server::{MetricsOptions, Options, Secret, SecretOrigin, Storage, TenantOptions};
use serde_json::json;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use support::{exchange, request, Reply};

const TOKEN: &str = "metrics-test-token-0123456789abcdef01234";
const ADMIN: &str = "metrics-test-admin-0123456789abcdef01234";
const METRICS: &str = "metrics-test-scrape-0123456789abcdef0123";

/// On a SQLite file in `dir` (so that storage latency and pool use are real).
fn options(dir: &tempfile::TempDir) -> Options {
    Options::default()
        .with_storage(Storage::Sqlite(dir.path().join("metrics.db")))
        .with_listen("127.0.0.1:0".parse().unwrap())
        .with_tenant(TenantOptions::new(
            "acme",
            Secret::new(TOKEN, SecretOrigin::Argument),
        ))
        .with_admin_token(Secret::new(ADMIN, SecretOrigin::Argument))
}

/// One sample: metric name and labels (sorted) → value.
type Samples = BTreeMap<(String, BTreeMap<String, String>), f64>;

/// Parses OpenMetrics/Prometheus text: `name{k="v",…} value` lines.
fn parse(text: &str) -> Samples {
    let mut out = Samples::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (series, value) = line.rsplit_once(' ').unwrap();
        let (name, labels) = match series.split_once('{') {
            Some((n, rest)) => (n, rest.strip_suffix('}').unwrap()),
            None => (series, ""),
        };
        let labels = labels
            .split("\",")
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once("=\"").unwrap();
                (k.to_string(), v.trim_end_matches('"').to_string())
            })
            .collect();
        out.insert((name.to_string(), labels), value.parse().unwrap());
    }
    out
}

fn sample(s: &Samples, name: &str, labels: &[(&str, &str)]) -> f64 {
    let labels = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    s.get(&(name.to_string(), labels)).copied().unwrap_or(0.0)
}

async fn scrape(addr: SocketAddr, token: Option<&str>) -> Reply {
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let raw = format!("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{auth}\r\n");
    exchange(addr, raw.as_bytes()).await
}

fn requests(
    method: &str,
    route: &str,
    status: &str,
    scim_type: &str,
) -> [(&'static str, String); 4] {
    [
        ("method", method.to_string()),
        ("route", route.to_string()),
        ("status", status.to_string()),
        ("scim_type", scim_type.to_string()),
    ]
}

fn count(s: &Samples, labels: [(&'static str, String); 4]) -> f64 {
    let l: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
    sample(s, "scimkit_http_requests_total", &l)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_sequence_gives_exact_counts() {
    let dir = tempfile::tempdir().unwrap();
    let options = options(&dir).with_metrics(MetricsOptions::on("127.0.0.1:0".parse().unwrap()));
    let running = scimkit_server::start(&options).await.unwrap();
    let (addr, metrics) = (running.addr(), running.metrics_addr().unwrap());
    let send = |method: &'static str,
                target: String,
                token: &'static str,
                body: Option<serde_json::Value>| async move {
        exchange(addr, &request(method, &target, "x", token, body.as_ref())).await
    };
    let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                      "userName": "known@example.com"});
    for _ in 0..3 {
        assert_eq!(
            send("GET", "/scim/v2/Users".into(), TOKEN, None)
                .await
                .status,
            200
        );
    }
    let created = send("POST", "/scim/v2/Users".into(), TOKEN, Some(user.clone())).await;
    assert_eq!(created.status, 201, "{created:?}");
    let id = created.json()["id"].as_str().unwrap().to_string();
    for _ in 0..2 {
        let r = send("GET", format!("/scim/v2/Users/{id}"), TOKEN, None).await;
        assert_eq!(r.status, 200);
    }
    let missing = send(
        "GET",
        "/scim/v2/Users/no-such-user-4242".into(),
        TOKEN,
        None,
    )
    .await;
    assert_eq!(missing.status, 404);
    let duplicate = send("POST", "/scim/v2/Users".into(), TOKEN, Some(user)).await;
    assert_eq!(duplicate.json()["scimType"], "uniqueness", "{duplicate:?}");
    // The product's rules refuse a change of the identifier email.
    let rename = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "userName", "value": "other@example.com"}]});
    let refused = send("PATCH", format!("/scim/v2/Users/{id}"), TOKEN, Some(rename)).await;
    assert_eq!(refused.status, 400, "{refused:?}");
    // Authentication failures: two without a token, one wrong, one Basic, one admin.
    for _ in 0..2 {
        let raw = b"GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        assert_eq!(exchange(addr, raw).await.status, 401);
    }
    let wrong = "wrong-token-0123456789abcdef0123456789";
    assert_eq!(
        send("GET", "/scim/v2/Users".into(), wrong, None)
            .await
            .status,
        401
    );
    let basic = b"GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
                  Authorization: Basic dXNlcjpwYXNz\r\n\r\n";
    assert_eq!(exchange(addr, basic).await.status, 401);
    assert_eq!(
        send("GET", "/admin/tenants".into(), wrong, None)
            .await
            .status,
        401
    );
    assert_eq!(
        send("GET", "/admin/tenants/acme".into(), ADMIN, None)
            .await
            .status,
        200
    );
    // Any method token a client invents is counted as OTHER.
    let odd = b"BREW /scim/v2/Users HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    assert_eq!(exchange(addr, odd).await.status, 401);
    // Probes are not counted.
    let probe = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    assert_eq!(exchange(addr, probe).await.status, 200);

    let scraped = scrape(metrics, None).await;
    assert_eq!(scraped.status, 200, "{scraped:?}");
    assert!(scraped
        .header("content-type")
        .unwrap()
        .contains("openmetrics-text"));
    let s = parse(&scraped.body);
    let users = "/scim/v2/Users";
    let one = "/scim/v2/Users/{id}";
    assert_eq!(count(&s, requests("GET", users, "200", "")), 3.0);
    assert_eq!(count(&s, requests("POST", users, "201", "")), 1.0);
    assert_eq!(count(&s, requests("POST", users, "409", "uniqueness")), 1.0);
    assert_eq!(count(&s, requests("GET", one, "200", "")), 2.0);
    assert_eq!(count(&s, requests("GET", one, "404", "")), 1.0);
    assert_eq!(count(&s, requests("GET", users, "401", "")), 4.0);
    assert_eq!(count(&s, requests("GET", "/admin/tenants", "401", "")), 1.0);
    assert_eq!(
        count(&s, requests("GET", "/admin/tenants/{tenant}", "200", "")),
        1.0
    );
    let total: f64 = s
        .iter()
        .filter(|((name, _), _)| name == "scimkit_http_requests_total")
        .map(|(_, v)| v)
        .sum();
    assert_eq!(count(&s, requests("OTHER", users, "401", "")), 1.0);
    assert_eq!(count(&s, requests("PATCH", one, "400", "mutability")), 1.0);
    assert_eq!(total, 16.0, "{}", scraped.body);
    // The policy's decisions per attribute: the identifier applied at the create, refused at
    // the rename (the duplicate create is refused as a whole, before any attribute).
    let outcome = |rule, outcome| {
        sample(
            &s,
            "scimkit_policy_outcomes_total",
            &[("rule", rule), ("outcome", outcome)],
        )
    };
    assert_eq!(outcome("identifier", "apply"), 1.0, "{}", scraped.body);
    assert_eq!(outcome("identifier", "reject"), 1.0, "{}", scraped.body);
    let failures = |reason| sample(&s, "scimkit_auth_failures_total", &[("reason", reason)]);
    assert_eq!(failures("missing"), 3.0);
    assert_eq!(failures("invalid_token"), 2.0);
    assert_eq!(failures("not_bearer"), 1.0);
    let latency = [("method", "GET"), ("route", users)];
    assert_eq!(
        sample(&s, "scimkit_http_request_duration_seconds_count", &latency),
        7.0
    );
    assert_eq!(sample(&s, "scimkit_http_requests_in_flight", &[]), 0.0);
    assert!(
        sample(&s, "scimkit_audit_log_bytes", &[]) > 0.0,
        "{}",
        scraped.body
    );
    // Storage: every operation timed (one create: the duplicate is refused before it is
    // stored; a token lookup per request with a bearer token), and the SQLite pool's
    // connections.
    let storage = |op| {
        sample(
            &s,
            "scimkit_storage_operation_duration_seconds_count",
            &[("operation", op)],
        )
    };
    assert_eq!(storage("create"), 1.0, "{}", scraped.body);
    assert!(storage("commit") >= 1.0 && storage("begin") >= storage("commit"));
    assert!(storage("tenant_by_token") >= 9.0, "{}", scraped.body);
    let connections = |state| sample(&s, "scimkit_storage_connections", &[("state", state)]);
    assert!(
        connections("in_use") + connections("idle") >= 1.0,
        "{}",
        scraped.body
    );
    for raw in [id.as_str(), "no-such-user-4242", "acme", "/healthz", "BREW"] {
        assert!(
            !scraped.body.contains(raw),
            "{raw} in metrics:\n{}",
            scraped.body
        );
    }
    // On its own address, /metrics is not answered beside SCIM.
    assert_ne!(scrape(addr, None).await.status, 200);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beside_scim_metrics_need_their_own_token() {
    let token = Secret::new(METRICS, SecretOrigin::Argument);
    let dir = tempfile::tempdir().unwrap();
    let options = options(&dir).with_metrics(MetricsOptions::default().with_token(token));
    let running = scimkit_server::start(&options).await.unwrap();
    let addr = running.addr();
    assert_eq!(scrape(addr, None).await.status, 401);
    assert_eq!(scrape(addr, Some(TOKEN)).await.status, 401);
    assert_eq!(scrape(addr, Some(ADMIN)).await.status, 401);
    let ok = scrape(addr, Some(METRICS)).await;
    assert_eq!(ok.status, 200);
    let s = parse(&ok.body);
    assert_eq!(
        sample(
            &s,
            "scimkit_auth_failures_total",
            &[("reason", "metrics_token")]
        ),
        3.0
    );
    running.stop().await;
}
