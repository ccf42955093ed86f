//! The `scimkit-server` binary: start-up errors exit non-zero naming the problem; operator
//! tokens never appear in its output; SIGTERM stops it with status 0; no colour in a pipe.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary, run in `dir` (where its default database, `scimkit.db`, is made).
fn server(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_scimkit-server"));
    c.env_remove("SCIMKIT_ADMIN_TOKEN")
        .env_remove("SCIMKIT_DB")
        .current_dir(dir);
    c
}

/// Runs the binary with arguments that must be refused at start-up.
fn refused(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut child = server(dir.path())
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("{args:?} started instead of being refused");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn assert_refused(args: &[&str], names: &[&str]) {
    let out = refused(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    for n in names {
        assert!(
            stderr.contains(n),
            "{args:?}: {stderr:?} does not name {n:?}"
        );
    }
}

#[test]
fn bad_start_up_options_are_errors() {
    let same = "the-same-token-for-two-tenants-0123456789";
    let acme = format!("acme={same}");
    let globex = format!("globex={same}");
    assert_refused(
        &["--tenant", &acme, "--tenant", &globex],
        &["acme", "globex", "same token"],
    );
    assert_refused(
        &["--tenant", "a b=tok-ab-0123456789abcdef0123456789"],
        &["\"a b\""],
    );
    assert_refused(
        &["--tenant", "acme=x", "--tenant", "acme=y"],
        &["acme", "twice"],
    );
    assert_refused(
        &["--tenant", "acme=x", "--tenant-idp", "acme=entra"],
        &["--tenant-idp", "entra", "generic", "entraId", "okta"],
    );
    assert_refused(
        &["--tenant", "acme=x", "--tenant-rules", "acme=auto"],
        &["--tenant-rules", "auto", "tresorit", "plain"],
    );
    assert_refused(
        &["--tenant", "acme=x", "--tenant-idp", "nope=okta"],
        &["nope"],
    );
    assert_refused(
        &["--tenant", "acme=env:SCIMKIT_TEST_UNSET_VARIABLE"],
        &["SCIMKIT_TEST_UNSET_VARIABLE"],
    );
    assert_refused(
        &["--admin-token-file", "/nonexistent/admin-token"],
        &["/nonexistent/admin-token"],
    );
    assert_refused(&["--bogus"], &["--bogus"]);
    assert_refused(&["--idle-timeout", "0"], &["--idle-timeout"]);
    assert_refused(&["--max-connections", "many"], &["--max-connections"]);
    assert_refused(&["--base-url", "scim.example.com"], &["--base-url"]);
    assert_refused(&["--listen"], &["--listen"]);
    // A refused start-up never echoes a token it was given.
    let out = refused(&["--tenant", "a b=secret-token-in-a-bad-tenant"]);
    let all = [out.stdout, out.stderr].concat();
    assert!(!String::from_utf8_lossy(&all).contains("secret-token-in-a-bad-tenant"));
}

/// A started binary, its stdout lines read so far, and the SCIM address.
struct Started {
    child: Child,
    lines: Vec<String>,
    /// The rest of stdout (the log), complete once the server has exited.
    rest: std::thread::JoinHandle<String>,
    addr: std::net::SocketAddr,
}

impl Started {
    /// Stops the server with SIGTERM; its exit status and everything it wrote.
    fn stop(mut self) -> (Option<i32>, String) {
        let status = sigterm(&mut self.child);
        let mut stderr = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let rest = self.rest.join().unwrap();
        let all = format!("{}\n{rest}\n{stderr}", self.lines.join("\n"));
        (status.code(), all)
    }
}

fn start(cmd: &mut Command) -> Started {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            let _ = child.kill();
            panic!("the server stopped: {lines:?}");
        }
        let done = line.contains("stops the server");
        lines.push(line.trim_end().to_string());
        if done {
            break;
        }
    }
    // Keep draining stdout in the background so logging never blocks.
    let rest = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let base = lines
        .iter()
        .find_map(|l| l.split_once("SCIM base URL: http://").map(|(_, b)| b))
        .unwrap();
    let addr = base.split('/').next().unwrap().parse().unwrap();
    Started {
        child,
        lines,
        rest,
        addr,
    }
}

fn sigterm(child: &mut Child) -> std::process::ExitStatus {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("SIGTERM did not stop the server");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn operator_tokens_never_reach_the_output_and_sigterm_exits_zero() {
    let tenant_token = "tenant-token-from-env-0123456789abcdef";
    let file_token = "tenant-token-from-a-file-0123456789abcdef";
    let admin_token = "short-admin";
    let dir = std::env::temp_dir().join(format!("scimkit-server-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("globex-token");
    std::fs::write(&file, format!("{file_token}\n")).unwrap();
    let globex = format!("globex=file:{}", file.display());
    let work = tempfile::tempdir().unwrap();
    let s = start(
        server(work.path())
            .args(["--listen", "127.0.0.1:0", "--tenant", "acme=env:ACME_TOKEN"])
            .args(["--log-format", "human"])
            .args(["--tenant-idp", "acme=okta", "--tenant-rules", "acme=plain"])
            .args(["--tenant", &globex])
            .env("ACME_TOKEN", tenant_token)
            .env("SCIMKIT_ADMIN_TOKEN", admin_token),
    );
    let printed = s.lines.join("\n");
    assert!(
        printed.contains("tenant acme (okta, plain rules): token sha256:"),
        "{printed}"
    );
    assert!(printed.contains("(from $ACME_TOKEN)"), "{printed}");
    assert!(
        printed.contains("tenant globex (generic, tresorit rules)"),
        "{printed}"
    );

    // Requests carrying the tokens, so a log line would show them if it could.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for (token, target) in [
        (tenant_token, "/scim/v2/ServiceProviderConfig"),
        (file_token, "/scim/v2/Users"),
        (admin_token, "/admin/tenants"),
    ] {
        let raw = support::request("GET", target, "x", token, None);
        let reply = rt.block_on(support::exchange(s.addr, &raw));
        assert_eq!(reply.status, 200, "{target}: {reply:?}");
    }

    let (status, everything) = s.stop();
    assert_eq!(status, Some(0), "{everything}");
    assert!(everything.contains("tenant=acme"), "{everything}");
    assert!(everything.contains("request_id="), "{everything}");
    assert!(
        everything.contains("admin token is shorter than 32"),
        "{everything}"
    );
    for token in [tenant_token, file_token, admin_token] {
        assert!(
            !everything.contains(token),
            "{token} printed:\n{everything}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn generated_tokens_are_printed_once_and_logs_have_no_colour_in_a_pipe() {
    let work = tempfile::tempdir().unwrap();
    let s = start(server(work.path()).args(["--listen", "127.0.0.1:0", "--admin-token", "adm1n"]));
    let printed = s.lines.join("\n");
    assert!(
        printed
            .contains("tenant default (generic, tresorit rules): Authorization: Bearer scimkit_"),
        "{printed}"
    );
    assert!(!printed.contains("adm1n"), "{printed}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let raw = support::request("GET", "/scim/v2/Users", "x", "wrong-token", None);
    assert_eq!(rt.block_on(support::exchange(s.addr, &raw)).status, 401);
    let (status, everything) = s.stop();
    assert_eq!(status, Some(0), "{everything}");
    assert!(
        everything.contains("GET /scim/v2/Users 401"),
        "{everything}"
    );
    assert!(!everything.contains('\u{1b}'), "{everything:?}");
    assert!(
        everything.contains("the admin token was given on the command line"),
        "{everything}"
    );
    assert!(!everything.contains("adm1n"), "{everything}");
}

/// GET /Users with a token, on a throwaway runtime: the status.
fn users_status(addr: std::net::SocketAddr, token: &str) -> u16 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let raw = support::request("GET", "/scim/v2/Users", "x", token, None);
    rt.block_on(support::exchange(addr, &raw)).status
}

#[test]
fn the_default_database_keeps_tenants_and_the_generated_token_across_restarts() {
    let work = tempfile::tempdir().unwrap();
    let first = start(server(work.path()).args(["--listen", "127.0.0.1:0"]));
    let printed = first.lines.join("\n");
    let database = work.path().canonicalize().unwrap().join("scimkit.db");
    assert!(
        printed.contains(&format!("storage: sqlite:{}", database.display())),
        "{printed}"
    );
    let token = printed
        .split("Authorization: Bearer ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_string();
    assert_eq!(users_status(first.addr, &token), 200);
    let (status, _) = first.stop();
    assert_eq!(status, Some(0));
    assert!(database.exists());

    let second = start(server(work.path()).args(["--listen", "127.0.0.1:0"]));
    let printed = second.lines.join("\n");
    // (Only the admin token, generated at each start without --admin-token, is shown.)
    let tenants: Vec<&String> = second
        .lines
        .iter()
        .filter(|l| l.contains("tenant "))
        .collect();
    assert!(
        !format!("{tenants:?}").contains("Authorization: Bearer"),
        "{printed}"
    );
    assert!(!printed.contains(&token), "{printed}");
    assert!(
        printed.contains("tenant default (generic, tresorit rules): stored token"),
        "{printed}"
    );
    assert_eq!(users_status(second.addr, &token), 200);
    assert_eq!(users_status(second.addr, "not-the-token"), 401);
    let (status, everything) = second.stop();
    assert_eq!(status, Some(0), "{everything}");
}
