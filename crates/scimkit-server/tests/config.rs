//! Configuration: the file, `SCIMKIT_…` variables and flags, their precedence, and every
//! start-up error (named, exit status 2, no token echoed).
#![allow(clippy::unwrap_used)]

use scimkit_policy::IdpDialect;
use scimkit_server::{load, LogFormat, RulePreset, Storage};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A fresh directory for this test's files.
fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("scimkit-config-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

#[test]
fn flags_win_over_the_environment_which_wins_over_the_file() {
    let d = dir("precedence");
    let config = write(
        &d,
        "server.toml",
        r#"
listen = ["127.0.0.1:7001", "[::1]:7001"]
base_url = "https://from-file.example.com/scim/v2"
log_format = "human"
trusted_proxies = ["10.0.0.0/8", "::1"]

[limits]
max_connections = 10
body_timeout = "5s"
idle_timeout = 20
shutdown_grace = "3s"

[[tenants]]
id = "acme"
token = "env:ACME_TOKEN"
idp = "okta"

[[tenants]]
id = "globex"
token = "env:GLOBEX_TOKEN"
rules = "plain"
"#,
    );
    let env = |k: &str| {
        match k {
            "ACME_TOKEN" => Some("acme-token-from-the-environment-0123456789"),
            "GLOBEX_TOKEN" => Some("globex-token-from-the-environment-012345678"),
            "OTHER_ACME" => Some("acme-token-given-by-a-flag-0123456789abcd"),
            "SCIMKIT_BASE_URL" => Some("https://from-env.example.com/scim/v2"),
            "SCIMKIT_BODY_TIMEOUT" => Some("6s"),
            "SCIMKIT_IDLE_TIMEOUT" => Some("21"),
            "SCIMKIT_LOG_FORMAT" => Some("json"),
            _ => None,
        }
        .map(str::to_string)
    };
    let flags = args(&[
        "--config",
        &config,
        "--body-timeout",
        "7s",
        "--tenant-rules",
        "acme=plain",
        "--tenant",
        "acme=env:OTHER_ACME",
        "--log-format",
        "auto",
    ]);
    let o = load(flags, &env).unwrap().options;
    // File only.
    assert_eq!(o.listen.to_string(), "127.0.0.1:7001");
    assert_eq!(o.extra_listen.len(), 1);
    assert_eq!(o.connections.max_connections, 10);
    assert_eq!(o.connections.shutdown_grace, Duration::from_secs(3));
    assert_eq!(o.trusted_proxies.len(), 2);
    // Environment over file.
    assert_eq!(
        o.base_url.as_deref(),
        Some("https://from-env.example.com/scim/v2")
    );
    assert_eq!(o.connections.idle_timeout, Duration::from_secs(21));
    // Flag over environment over file.
    assert_eq!(o.connections.body_timeout, Duration::from_secs(7));
    assert_eq!(o.log_format, LogFormat::Auto);
    // Defaults where nobody says anything.
    assert_eq!(o.connections.header_timeout, Duration::from_secs(10));
    assert_eq!(o.storage, Storage::Sqlite("scimkit.db".into()));
    // Tenants merge setting by setting: the file's profile, the flags' rules and token.
    let acme = o.tenants.iter().find(|t| t.id == "acme").unwrap();
    assert_eq!(acme.idp, IdpDialect::Okta);
    assert_eq!(acme.rules, RulePreset::Plain);
    assert_eq!(
        acme.token.expose(),
        "acme-token-given-by-a-flag-0123456789abcd"
    );
    let globex = o.tenants.iter().find(|t| t.id == "globex").unwrap();
    assert_eq!(globex.idp, IdpDialect::Generic);
    assert_eq!(globex.rules, RulePreset::Plain);
    // Without the flags, the environment's values; without a file, the defaults.
    let o = load(args(&["--config", &config]), &env).unwrap().options;
    assert_eq!(o.connections.body_timeout, Duration::from_secs(6));
    assert_eq!(o.log_format, LogFormat::Json);
    let o = load(args(&[]), &|_| None).unwrap().options;
    assert_eq!(o.connections.body_timeout, Duration::from_secs(30));
    assert_eq!(o.listen.to_string(), "127.0.0.1:8080");
    // SCIMKIT_CONFIG names the file when --config does not.
    let o = load(args(&[]), &|k| match k {
        "SCIMKIT_CONFIG" => Some(config.clone()),
        _ => env(k),
    })
    .unwrap()
    .options;
    assert_eq!(o.connections.max_connections, 10);
    std::fs::remove_dir_all(&d).unwrap();
}

/// Runs the binary to its end (10 s at most).
fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scimkit-server"));
    let work = tempfile::tempdir().unwrap();
    cmd.env_remove("SCIMKIT_ADMIN_TOKEN")
        .env_remove("SCIMKIT_CONFIG")
        .env_remove("SCIMKIT_DB")
        .current_dir(work.path());
    let mut child = cmd
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("{args:?} kept running");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// The binary refuses to start, exit status 2, naming each of `names`, echoing no `secret`.
fn assert_refused(args: &[&str], env: &[(&str, &str)], names: &[&str], secret: &str) {
    let out = run(args, env);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let all = format!("{}{stderr}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(out.status.code(), Some(2), "{args:?}: {all}");
    for n in names {
        assert!(
            stderr.contains(n),
            "{args:?}: {stderr:?} does not name {n:?}"
        );
    }
    assert!(!all.contains(secret), "{args:?} echoed a secret: {all}");
}

#[test]
fn every_start_up_error_names_its_setting_and_exits_2() {
    let d = dir("errors");
    let token = "a-token-that-must-never-be-printed-0123456789";
    let env = [("T1", token), ("T2", "another-token-0123456789abcdef0123")];
    let file = |name: &str, text: &str| write(&d, name, text);
    let cases: Vec<(String, Vec<&str>)> = vec![
        (file("unknown.toml", "listen = \"127.0.0.1:0\"\nbogus_key = 1\n"), vec!["bogus_key", "line 2", "unknown.toml"]),
        (file("unknown-limit.toml", "[limits]\nbody_timeout_ms = 5\n"), vec!["body_timeout_ms"]),
        (file("unknown-tenant-key.toml", "[[tenants]]\nid = \"a\"\ntoken = \"env:T1\"\ntokn = \"x\"\n"), vec!["tokn"]),
        (
            file("same-token.toml", "[[tenants]]\nid = \"acme\"\ntoken = \"env:T1\"\n[[tenants]]\nid = \"globex\"\ntoken = \"env:T1\"\n"),
            vec!["acme", "globex", "same token"],
        ),
        (file("bad-id.toml", "[[tenants]]\nid = \"a b\"\ntoken = \"env:T1\"\n"), vec!["\"a b\""]),
        (
            file("twice.toml", "[[tenants]]\nid = \"acme\"\ntoken = \"env:T1\"\n[[tenants]]\nid = \"acme\"\ntoken = \"env:T2\"\n"),
            vec!["acme", "twice"],
        ),
        (
            file("literal.toml", &format!("[[tenants]]\nid = \"acme\"\ntoken = \"{token}\"\n")),
            vec!["tenants[acme].token", "env:VARIABLE or file:PATH"],
        ),
        (file("bad-idp.toml", "[[tenants]]\nid = \"a\"\ntoken = \"env:T1\"\nidp = \"entra\"\n"), vec!["tenants[a].idp", "entraId"]),
        (file("bad-duration.toml", "[limits]\nidle_timeout = \"1h\"\n"), vec!["limits.idle_timeout"]),
        (file("bad-type.toml", "quiet = \"maybe\"\n"), vec!["quiet"]),
        (file("sqlite.toml", "db = \"sqlite:/nonexistent-dir/scimkit.db\"\n"), vec!["sqlite:/nonexistent-dir/scimkit.db"]),
        (file("old-key.toml", "storage = \"memory\"\n"), vec!["storage"]),
        (file("unset.toml", "admin_token = \"env:SCIMKIT_TEST_UNSET\"\n"), vec!["admin_token", "SCIMKIT_TEST_UNSET"]),
    ];
    for (path, names) in &cases {
        assert_refused(&["--config", path], &env, names, token);
    }
    // The storage URL may hold a password: refused without echoing it.
    assert_refused(
        &["--db", "postgres://scim:hunter2-password@127.0.0.1:1/scim"],
        &[],
        &["postgres://scim@127.0.0.1:1/scim"],
        "hunter2-password",
    );
    assert_refused(
        &["--db", "mysql://x:pw-secret@db"],
        &[],
        &["--db"],
        "pw-secret",
    );
    assert_refused(
        &["--config", "/nonexistent/scimkit.toml"],
        &[],
        &["/nonexistent/scimkit.toml"],
        token,
    );
    assert_refused(
        &[],
        &[("SCIMKIT_BODY_TIMEOUT", "0")],
        &["SCIMKIT_BODY_TIMEOUT"],
        token,
    );
    assert_refused(
        &[],
        &[("SCIMKIT_LISTEN", "nowhere")],
        &["SCIMKIT_LISTEN"],
        token,
    );
    assert_refused(&["--tenant-idp", "ghost=okta"], &[], &["ghost"], token);
    assert_refused(
        &["--trusted-proxy", "10.0.0.0/40"],
        &[],
        &["--trusted-proxy"],
        token,
    );
    // --check-config: the same errors, exit 2; a valid configuration exits 0 without tokens.
    assert_refused(
        &["--check-config", "--config", &cases[0].0],
        &env,
        &["bogus_key"],
        token,
    );
    let good = file(
        "good.toml",
        "[[tenants]]\nid = \"acme\"\ntoken = \"env:T1\"\nidp = \"entraId\"\n",
    );
    let out = run(&["--check-config", "--config", &good], &env);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("configuration is valid"), "{stdout}");
    assert!(
        stdout.contains("tenant acme (entraId, tresorit rules): token sha256:"),
        "{stdout}"
    );
    assert!(
        !stdout.contains(token) && !stdout.contains("Bearer"),
        "{stdout}"
    );
    std::fs::remove_dir_all(&d).unwrap();
}

/// The PostgreSQL pool settings: flag over `SCIMKIT_…` variable over `[database]` in the
/// file; applied to scimkit-sql's options over its defaults; bad values refused at start-up
/// (exit 2, naming the setting); given with SQLite or memory storage, a warning that they are
/// ignored.
#[test]
fn database_pool_settings_from_every_source() {
    let d = dir("database-pool");
    let config = write(
        &d,
        "server.toml",
        "db = \"postgres://scim@127.0.0.1:1/scim\"\n\n[database]\nmax_connections = 20\n\
         acquire_timeout = \"3s\"\nstatement_timeout = 30\n",
    );
    let env = |k: &str| (k == "SCIMKIT_DB_ACQUIRE_TIMEOUT").then(|| "750ms".to_string());
    let o = load(
        args(&["--config", &config, "--db-statement-timeout", "2s"]),
        &env,
    )
    .unwrap()
    .options;
    let pool = o.database_pool;
    assert_eq!(pool.max_connections, Some(20), "file");
    assert_eq!(
        pool.acquire_timeout,
        Some(Duration::from_millis(750)),
        "env"
    );
    assert_eq!(pool.statement_timeout, Some(Duration::from_secs(2)), "flag");
    let pg = pool.postgres_options();
    assert_eq!(
        (pg.max_connections, pg.acquire_timeout, pg.statement_timeout),
        (20, Duration::from_millis(750), Some(Duration::from_secs(2)))
    );
    assert!(
        o.warnings().iter().all(|w| !w.contains("db_")),
        "{:?}",
        o.warnings()
    );
    // Nothing said: scimkit-sql's defaults (docs/deploying.md states them).
    let o = load(args(&[]), &|_| None).unwrap().options;
    assert!(!o.database_pool.is_set());
    let pg = o.database_pool.postgres_options();
    assert_eq!(
        (pg.max_connections, pg.acquire_timeout, pg.statement_timeout),
        (10, Duration::from_secs(5), Some(Duration::from_secs(10)))
    );
    // Given for another storage: ignored, with a warning naming the storage.
    for db in ["memory", "sqlite:x.db"] {
        let o = load(args(&["--db", db, "--db-max-connections", "4"]), &|_| None)
            .unwrap()
            .options;
        let warned = o.warnings().into_iter().any(|w| {
            w.contains("db_max_connections")
                && w.contains(o.storage.backend())
                && w.contains("ignored")
        });
        assert!(warned, "{db}: {:?}", o.warnings());
    }
    // Bad values: start-up errors naming the setting, exit 2.
    for (flag, bad) in [
        ("--db-max-connections", "0"),
        ("--db-max-connections", "1001"),
        ("--db-max-connections", "ten"),
        ("--db-acquire-timeout", "0"),
        ("--db-acquire-timeout", "1h"),
        ("--db-statement-timeout", "-1s"),
    ] {
        assert_refused(
            &["--db", "memory", flag, bad],
            &[],
            &[flag],
            "no secret here",
        );
    }
    assert_refused(
        &["--db", "memory"],
        &[("SCIMKIT_DB_STATEMENT_TIMEOUT", "forever")],
        &["SCIMKIT_DB_STATEMENT_TIMEOUT"],
        "no secret here",
    );
    let bad = write(&d, "bad.toml", "[database]\nmax_connections = 0\n");
    assert_refused(
        &["--db", "memory", "--config", &bad],
        &[],
        &["database.max_connections"],
        "no secret here",
    );
    let unknown = write(&d, "unknown.toml", "[database]\npool_size = 3\n");
    assert_refused(
        &["--db", "memory", "--config", &unknown],
        &[],
        &["pool_size"],
        "no secret here",
    );
    // The warning reaches the operator at start-up.
    let out = run(
        &[
            "--db",
            "memory",
            "--db-statement-timeout",
            "5s",
            "--check-config",
        ],
        &[],
    );
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("ignored for memory storage"), "{all}");
    std::fs::remove_dir_all(&d).unwrap();
}
