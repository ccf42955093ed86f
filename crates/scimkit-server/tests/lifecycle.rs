//! SIGTERM under load (bounded, loopback): the binary stops accepting, lets in-flight requests
//! finish, exits 0; a request still running when the shutdown grace ends is cut off and the
//! exit is still 0, on time. The database (the default SQLite file, in a temporary working
//! directory) is closed cleanly: its write-ahead log is checkpointed into the file.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TOKEN: &str = "lifecycle-test-token-0123456789abcdef0123";

/// Starts the binary in `dir` (its default database, `scimkit.db`, is made there); its SCIM
/// address once it says it is ready.
fn start(dir: &Path, extra: &[&str]) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_scimkit-server"))
        .current_dir(dir)
        .env_remove("SCIMKIT_ADMIN_TOKEN")
        .env_remove("SCIMKIT_DB")
        .env("LIFECYCLE_TOKEN", TOKEN)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--tenant",
            "acme=env:LIFECYCLE_TOKEN",
        ])
        .args([
            "--log-format",
            "json",
            "--admin-token",
            "admin-0123456789abcdef0123456789",
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut addr = None;
    loop {
        let mut line = String::new();
        assert!(out.read_line(&mut line).unwrap() > 0, "the server stopped");
        if let Some((_, rest)) = line.split_once("listening on ") {
            addr = rest.split('"').next().and_then(|a| a.trim().parse().ok());
        }
        if line.contains("stops the server") {
            break;
        }
    }
    // Keep draining the log so that the server never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    (child, addr.unwrap())
}

fn sigterm(child: &Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

/// The exit status, waiting at most `limit`.
fn exit_within(child: &mut Child, limit: Duration) -> Option<i32> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("the server did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn user(i: usize) -> String {
    format!(
        r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"user{i}@example.com"}}"#
    )
}

/// A create request whose head and first half of the body are sent; the rest waits.
fn half_sent(addr: SocketAddr, i: usize) -> (TcpStream, Vec<u8>) {
    let body = user(i);
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Authorization: Bearer {TOKEN}\r\nContent-Type: application/scim+json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    let (first, rest) = body.split_at(body.len() / 2);
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(first.as_bytes()).unwrap();
    (s, rest.as_bytes().to_vec())
}

fn status_of(s: &mut TcpStream) -> u16 {
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    text.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[test]
fn sigterm_during_load_lets_in_flight_requests_finish_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr) = start(dir.path(), &["--shutdown-grace", "10s"]);
    // Bounded background load: 4 clients, at most 200 short requests each, until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, refused) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let load: Vec<_> = (0..4)
        .map(|_| {
            let (stop, ok, refused) = (stop.clone(), ok.clone(), refused.clone());
            std::thread::spawn(move || {
                for _ in 0..200 {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let Ok(mut s) = TcpStream::connect(addr) else {
                        refused.fetch_add(1, Ordering::Relaxed);
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    };
                    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                    let req = format!(
                        "GET /scim/v2/Users?count=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
                         Authorization: Bearer {TOKEN}\r\n\r\n"
                    );
                    if s.write_all(req.as_bytes()).is_err() {
                        continue;
                    }
                    // An answer that arrives is a whole, successful one.
                    match status_of(&mut s) {
                        200 => {
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                        0 => {} // closed unanswered: not yet read when shutdown began
                        other => panic!("a load request got {other}"),
                    }
                }
            })
        })
        .collect();
    while ok.load(Ordering::Relaxed) < 20 {
        std::thread::sleep(Duration::from_millis(5));
    }
    // Eight creates in flight: heads read, bodies half sent.
    let mut in_flight: Vec<_> = (0..8).map(|i| half_sent(addr, i)).collect();
    std::thread::sleep(Duration::from_millis(300));
    sigterm(&child);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "exited before draining"
    );
    assert!(
        TcpStream::connect(addr).is_err(),
        "a new connection was accepted after SIGTERM"
    );
    for (s, rest) in &mut in_flight {
        s.write_all(rest).unwrap();
    }
    for (s, _) in &mut in_flight {
        assert_eq!(status_of(s), 201, "an in-flight create was not completed");
    }
    assert_eq!(exit_within(&mut child, Duration::from_secs(10)), Some(0));
    stop.store(true, Ordering::Relaxed);
    for t in load {
        t.join().unwrap();
    }
    assert!(ok.load(Ordering::Relaxed) >= 20);
    // Closed cleanly: the write-ahead log was checkpointed into the file and removed.
    let wal = dir.path().join("scimkit.db-wal");
    assert!(
        std::fs::metadata(&wal).map_or(true, |m| m.len() == 0),
        "the database was not closed: {wal:?} remains"
    );
    // Restarted on the same file: the eight creates acknowledged during the drain are there.
    let (mut again, addr) = start(dir.path(), &[]);
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let req = format!(
        "GET /scim/v2/Users?count=0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Authorization: Bearer {TOKEN}\r\n\r\n"
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = String::new();
    let _ = s.read_to_string(&mut raw);
    assert!(raw.contains("\"totalResults\":8"), "{raw}");
    sigterm(&again);
    assert_eq!(exit_within(&mut again, Duration::from_secs(10)), Some(0));
}

#[test]
fn a_request_still_running_at_the_grace_deadline_is_cut_and_the_exit_is_zero() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr) = start(
        dir.path(),
        &["--shutdown-grace", "400ms", "--body-timeout", "60s"],
    );
    let (mut stuck, _never_sent) = half_sent(addr, 0);
    std::thread::sleep(Duration::from_millis(200));
    let signalled = Instant::now();
    sigterm(&child);
    assert_eq!(exit_within(&mut child, Duration::from_secs(5)), Some(0));
    let took = signalled.elapsed();
    assert!(
        took >= Duration::from_millis(350),
        "exited after {took:?}, before the grace period"
    );
    assert_eq!(status_of(&mut stuck), 0, "the stuck request was answered");
}
