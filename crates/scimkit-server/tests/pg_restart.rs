//! The server binary on a PostgreSQL that is restarted under load (bounded, loopback):
//!
//! - four clients send creates and PATCHes while PostgreSQL is stopped (`pg_ctl stop -m
//!   fast`: every session terminated, as a failover or an operator's restart does), kept down
//!   for 3 s (longer than the server's 2 s acquire timeout), and started again on the same
//!   port;
//! - every answer is a 2xx or a SCIM 503 error body (`schemas` of the Error message, `status`
//!   `"503"`): never a 500, another status, or a connection closed without an answer; the
//!   process stays up;
//! - the server serves again by itself within a few seconds of PostgreSQL's return;
//! - every write that got a 2xx is there afterwards (a PATCH's value, or that of a later
//!   PATCH whose answer was lost with the database: it may have committed);
//! - a statement that exceeds `--db-statement-timeout` (a read waiting behind a table locked
//!   `ACCESS EXCLUSIVE` from another connection) is a 503 whose detail names the timeout.
//!
//! PostgreSQL: a private server from the system binaries, even when `DATABASE_URL` is set (it
//! is stopped and started); without one the test says so loudly and passes, unless
//! `SCIMKIT_REQUIRE_POSTGRES=1` (CI).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{json, Value};
use sqlx::Connection;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{parse, read_until_closed, request, Reply};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const TOKEN: &str = "restart-test-token-0123456789abcdef012345";
const ADMIN: &str = "restart-test-admin-0123456789abcdef012345";
const CLIENTS: usize = 4;
/// Each client's requests at most (the loop is bounded even if the server hangs).
const ROUNDS: usize = 400;

/// The server binary, started on `url`; killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(url: &str, work: &std::path::Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_scimkit-server"))
        .current_dir(work)
        .env_remove("SCIMKIT_ADMIN_TOKEN")
        .env_remove("SCIMKIT_CONFIG")
        .env("SCIMKIT_DB", url)
        .env("TENANT_TOKEN", TOKEN)
        .env("ADMIN_TOKEN", ADMIN)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--quiet",
            "--log-format",
            "human",
        ])
        .args([
            "--tenant",
            "acme=env:TENANT_TOKEN",
            "--admin-token",
            "env:ADMIN_TOKEN",
        ])
        .args(["--db-max-connections", "8", "--db-acquire-timeout", "2s"])
        .args(["--db-statement-timeout", "1s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    for _ in 0..200 {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            let mut err = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut err);
            panic!("the server stopped: {lines:?} {err}");
        }
        let done = line.contains("stops the server");
        lines.push(line.trim_end().to_owned());
        if done {
            break;
        }
    }
    // Keep draining stdout and stderr so that logging never blocks.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let mut stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    let base = lines
        .iter()
        .find_map(|l| l.split_once("SCIM base URL: http://").map(|(_, b)| b))
        .unwrap_or_else(|| panic!("no base URL in {lines:?}"));
    let addr = base.split('/').next().unwrap().parse().unwrap();
    Server { child, addr }
}

/// What a request got: an answer, or why there was none.
#[derive(Debug)]
enum Outcome {
    Answer(Reply),
    #[allow(dead_code)] // Shown through Debug in failure messages.
    Dropped(String),
}

async fn attempt(addr: SocketAddr, method: &str, target: &str, body: Option<&Value>) -> Outcome {
    let raw = request(method, target, "x", TOKEN, body);
    let mut stream =
        match tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(addr)).await {
            Ok(Ok(s)) => s,
            other => return Outcome::Dropped(format!("connect: {other:?}")),
        };
    if let Err(e) = stream.write_all(&raw).await {
        return Outcome::Dropped(format!("write: {e}"));
    }
    match read_until_closed(&mut stream, Duration::from_secs(15)).await {
        None => Outcome::Dropped("no answer within 15 s".into()),
        Some(bytes) if bytes.is_empty() => Outcome::Dropped("closed without an answer".into()),
        Some(bytes) => Outcome::Answer(parse(&bytes)),
    }
}

/// Whether `reply` is a SCIM 503 error body.
fn is_scim_503(reply: &Reply) -> bool {
    let body = reply.json();
    reply.status == 503
        && body["schemas"][0] == "urn:ietf:params:scim:api:messages:2.0:Error"
        && body["status"] == "503"
        && body["detail"].as_str().is_some_and(|d| !d.is_empty())
}

/// What one client saw.
#[derive(Default)]
struct Log {
    /// userName → id of every create answered 201.
    created: BTreeMap<String, String>,
    /// id → the title values PATCHed, in order, each with whether it got a 2xx.
    patched: BTreeMap<String, Vec<(String, bool)>>,
    /// Answers that were neither a 2xx nor a SCIM 503, and requests without an answer.
    wrong: Vec<String>,
    /// How many 2xx and SCIM 503 answers.
    ok: usize,
    unavailable: usize,
}

async fn client(addr: SocketAddr, n: usize, stop: Arc<AtomicBool>) -> Log {
    let mut log = Log::default();
    let mut mine: Vec<String> = Vec::new();
    for round in 0..ROUNDS {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let patch_one = round % 2 == 1 && !mine.is_empty();
        let (method, target, body, value) = if patch_one {
            let id = &mine[round % mine.len()];
            let value = format!("client {n} round {round}");
            let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "title", "value": value}]});
            ("PATCH", format!("/scim/v2/Users/{id}"), patch, Some(value))
        } else {
            let name = format!("c{n}r{round}@example.com");
            let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": name});
            ("POST", "/scim/v2/Users".to_owned(), user, None)
        };
        let outcome = attempt(addr, method, &target, Some(&body)).await;
        let success = matches!(&outcome, Outcome::Answer(r) if (200..300).contains(&r.status));
        match &outcome {
            Outcome::Answer(_) if success => log.ok += 1,
            Outcome::Answer(r) if is_scim_503(r) => log.unavailable += 1,
            other => log.wrong.push(format!("{method} {target}: {other:?}")),
        }
        match (value, &outcome) {
            (Some(value), _) => {
                let id = target.rsplit('/').next().unwrap().to_owned();
                log.patched.entry(id).or_default().push((value, success));
            }
            (None, Outcome::Answer(r)) if success => {
                let id = r.json()["id"].as_str().unwrap().to_owned();
                log.created
                    .insert(body["userName"].as_str().unwrap().into(), id.clone());
                mine.push(id);
            }
            _ => {}
        }
        // Paced, so that the run spans the outage without piling up requests.
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    log
}

/// Waits until a read is answered 200, at most `limit`; how long it took.
async fn until_served(addr: SocketAddr, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Outcome::Answer(r) = attempt(addr, "GET", "/scim/v2/Users?count=1", None).await {
            if r.status == 200 {
                return Some(started.elapsed());
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_restart_under_load_is_503s_then_recovery_and_no_write_is_lost() {
    let Some(pg) = scimkit_testkit::postgres::private_server_or_skip("pg_restart") else {
        return;
    };
    let url = pg.fresh_database("pg_restart").await;
    let work = tempfile::tempdir().unwrap();
    let server = start_server(&url, work.path());
    let addr = server.addr;
    assert!(until_served(addr, Duration::from_secs(10)).await.is_some());

    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| tokio::spawn(client(addr, n, Arc::clone(&stop))))
        .collect();
    // Load first, then the outage: stopped (sessions terminated), down 3 s, started. Down
    // longer than the 2 s acquire timeout: a request that finds no connection waits that long
    // for PostgreSQL to come back before it is answered 503 (a shorter outage may be unseen).
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let pg = Arc::new(pg);
    let down = Arc::clone(&pg);
    tokio::task::spawn_blocking(move || {
        down.stop("fast").unwrap();
        std::thread::sleep(Duration::from_secs(3));
        down.start_again().unwrap();
    })
    .await
    .unwrap();
    let recovered = until_served(addr, Duration::from_secs(10)).await;
    // Load goes on after the recovery, then stops.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    stop.store(true, Ordering::Relaxed);
    let mut logs = Vec::new();
    for c in clients {
        logs.push(c.await.unwrap());
    }

    let wrong: Vec<&String> = logs.iter().flat_map(|l| &l.wrong).collect();
    assert!(wrong.is_empty(), "not a 2xx nor a SCIM 503: {wrong:#?}");
    let unavailable: usize = logs.iter().map(|l| l.unavailable).sum();
    let ok: usize = logs.iter().map(|l| l.ok).sum();
    assert!(
        unavailable > 0,
        "the outage was never seen ({ok} successes)"
    );
    assert!(ok > 20, "{ok} successes");
    let recovered = recovered.expect("the server did not recover within 10 s of PostgreSQL");
    assert!(
        recovered < Duration::from_secs(5),
        "recovered in {recovered:?}"
    );
    assert!(
        server_is_running(&server),
        "the server process exited during the outage"
    );
    println!("{ok} writes answered 2xx, {unavailable} SCIM 503s; served again {recovered:?} after PostgreSQL was back");

    // Every write that got a 2xx is there.
    for log in &logs {
        for (name, id) in &log.created {
            let Outcome::Answer(r) =
                attempt(addr, "GET", &format!("/scim/v2/Users/{id}"), None).await
            else {
                panic!("no answer for {id}");
            };
            assert_eq!(r.status, 200, "created {name} ({id}) is gone: {r:?}");
            assert_eq!(r.json()["userName"], name.as_str());
            let Some(patches) = log.patched.get(id) else {
                continue;
            };
            let Some(last_ok) = patches.iter().rposition(|(_, ok)| *ok) else {
                continue;
            };
            // The last acknowledged value, or a later one whose answer was lost.
            let possible: Vec<&str> = patches[last_ok..].iter().map(|(v, _)| v.as_str()).collect();
            let got = r.json()["title"].as_str().unwrap_or("").to_owned();
            assert!(
                possible.contains(&got.as_str()),
                "{id}: title {got:?}, acknowledged {possible:?}"
            );
        }
    }

    statement_timeout_is_a_503(addr, &url).await;
}

fn server_is_running(server: &Server) -> bool {
    // `kill -0` checks the process without touching it.
    Command::new("kill")
        .args(["-0", &server.child.id().to_string()])
        .status()
        .is_ok_and(|s| s.success())
}

/// A read that waits behind a table locked from another connection runs into the server's 1 s
/// statement timeout: a SCIM 503 naming it; once the lock is gone, the read is served.
async fn statement_timeout_is_a_503(addr: SocketAddr, url: &str) {
    let mut locker = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut locker).await.unwrap();
    sqlx::query("LOCK TABLE resources IN ACCESS EXCLUSIVE MODE")
        .execute(&mut locker)
        .await
        .unwrap();
    let started = Instant::now();
    let target = "/scim/v2/Users?filter=userName%20eq%20%22c0r0@example.com%22";
    let outcome = attempt(addr, "GET", target, None).await;
    let waited = started.elapsed();
    sqlx::query("ROLLBACK").execute(&mut locker).await.unwrap();
    let Outcome::Answer(reply) = outcome else {
        panic!("no answer: {outcome:?}");
    };
    assert!(is_scim_503(&reply), "{reply:?}");
    let detail = reply.json()["detail"].as_str().unwrap_or("").to_owned();
    assert!(detail.contains("statement timeout"), "{detail}");
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "answered after {waited:?}"
    );
    let Outcome::Answer(after) = attempt(addr, "GET", target, None).await else {
        panic!("no answer after the lock");
    };
    assert_eq!(after.status, 200, "{after:?}");
}
