//! A PostgreSQL for tests (feature `postgres`): [`fresh_database`] gives each test a fresh,
//! empty database of its own (so the tests of a binary run in parallel):
//!
//! - `DATABASE_URL` set (CI): databases are created on that server (the role needs
//!   `CREATEDB`);
//! - else a private server started from the system binaries (`initdb` in a temporary
//!   directory — as the `postgres` user when running as root —, `pg_ctl` on a free loopback
//!   port, `fsync=off`), shared by the test binary and stopped by a watchdog when the binary
//!   exits;
//! - else the test prints a loud message and passes without running — unless
//!   `SCIMKIT_REQUIRE_POSTGRES=1` (set by scimkit's `.ci/run`), which makes it fail.
//!
//! A test that stops and restarts PostgreSQL gets a [`PrivateServer`] of its own
//! ([`private_server_or_skip`]), whatever `DATABASE_URL` says.

use sqlx::Connection;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Where the system's PostgreSQL binaries may be.
const BIN_DIRS: &[&str] = &[
    "/usr/lib/postgresql/17/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/15/bin",
    "/usr/lib/postgresql/14/bin",
    "/usr/local/pgsql/bin",
    "/usr/local/bin",
    "/usr/bin",
];

/// The server's base URL (without a database), or why there is none.
fn server() -> &'static Result<String, String> {
    static SERVER: OnceLock<Result<String, String>> = OnceLock::new();
    SERVER.get_or_init(|| match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => Ok(url),
        // Shared by the test binary for its whole life: never dropped, stopped by the
        // watchdog when the process is gone.
        _ => PrivateServer::start().map(|s| {
            let url = s.url().to_owned();
            std::mem::forget(s);
            url
        }),
    })
}

fn bin_dir() -> Option<PathBuf> {
    BIN_DIRS
        .iter()
        .map(Path::new)
        .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
        .map(Path::to_path_buf)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A command run as the `postgres` user when we are root (`initdb` refuses root).
fn as_server_user(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.arg("-u").arg("postgres").arg("--").arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// A PostgreSQL server of this process's own, started from the system binaries (`initdb` in
/// a temporary directory — as the `postgres` user when running as root —, `pg_ctl` on a free
/// loopback port, `fsync=off`), that a test may stop and start again (a restart or an outage
/// under load) on the same port and data. Dropping it stops it (`-m immediate`) and removes
/// its directory; a watchdog does the same if the process dies first.
///
/// [`fresh_database`] uses one of these, shared, when `DATABASE_URL` is not set; a test that
/// restarts the server needs its own ([`private_server_or_skip`]), even when it is.
#[derive(Debug)]
pub struct PrivateServer {
    bin: PathBuf,
    dir: PathBuf,
    data: PathBuf,
    options: String,
    url: String,
}

impl PrivateServer {
    /// Initialises and starts a server.
    ///
    /// # Errors
    /// Why there is none: no binaries, `initdb` or `pg_ctl` failed (with the server's log).
    pub fn start() -> Result<PrivateServer, String> {
        let bin = bin_dir().ok_or("no PostgreSQL binaries (initdb, pg_ctl) found")?;
        let dir = tempfile::Builder::new()
            .prefix("scimkit-pg-")
            .tempdir()
            .map_err(|e| e.to_string())?
            .keep();
        let data = dir.join("data");
        if is_root() {
            let ok = Command::new("chown")
                .arg("postgres")
                .arg(&dir)
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if !ok {
                return Err("cannot hand the data directory to the postgres user".into());
            }
        }
        let out = as_server_user(&bin.join("initdb"))
            .args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
                "-D",
            ])
            .arg(&data)
            .output()
            .map_err(|e| format!("initdb: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let port = free_port()?;
        let options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
             -c max_connections=300",
            dir.display()
        );
        let server = PrivateServer {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            bin,
            dir,
            data,
            options,
        };
        server.watchdog()?;
        server.start_again()?;
        Ok(server)
    }

    /// The server's base URL (database `postgres`, user `postgres`, no password).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The URL of a fresh, empty database on this server for the test `test`.
    ///
    /// # Panics
    /// When the server refuses to create it.
    pub async fn fresh_database(&self, test: &str) -> String {
        create_database(&self.url, test).await
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<(), String> {
        let out = as_server_user(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&self.data)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("pg_ctl: {e}"))?;
        if out.status.success() {
            return Ok(());
        }
        let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
        Err(format!(
            "pg_ctl {args:?} failed: {}{log}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }

    /// Stops the server, waiting until it is down. `mode`: `smart`, `fast` (sessions
    /// terminated, as a failover or an operator's restart does) or `immediate` (no shutdown
    /// checkpoint, as a crash).
    ///
    /// # Errors
    /// `pg_ctl`'s complaint.
    pub fn stop(&self, mode: &str) -> Result<(), String> {
        self.pg_ctl(&["-m", mode, "-w", "-t", "60", "stop"])
    }

    /// Starts the stopped server again, on the same port and data, waiting until it accepts
    /// connections.
    ///
    /// # Errors
    /// `pg_ctl`'s complaint, with the server's log.
    pub fn start_again(&self) -> Result<(), String> {
        let log = self.dir.join("server.log");
        let log = log.to_string_lossy();
        self.pg_ctl(&["-o", &self.options, "-l", &log, "-w", "-t", "60", "start"])
    }

    /// The watchdog: stops the server and removes its directory once this process is gone.
    fn watchdog(&self) -> Result<(), String> {
        let stop = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; \
             {runuser} {pg_ctl} -D {data} -m immediate stop >/dev/null 2>&1; rm -rf {dir}",
            pid = std::process::id(),
            runuser = if is_root() {
                "runuser -u postgres --"
            } else {
                ""
            },
            pg_ctl = self.bin.join("pg_ctl").display(),
            data = self.data.display(),
            dir = self.dir.display(),
        );
        Command::new("sh")
            .arg("-c")
            .arg(stop)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(drop)
            .map_err(|e| format!("watchdog: {e}"))
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        let _ = self.stop("immediate");
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A [`PrivateServer`] of the test's own, or `None` (after a loud message) when none can be
/// started and `SCIMKIT_REQUIRE_POSTGRES` is not `1`. For tests that stop and start the
/// server: it is private even when `DATABASE_URL` is set.
///
/// # Panics
/// When `SCIMKIT_REQUIRE_POSTGRES=1` and no server can be started.
pub fn private_server_or_skip(test: &str) -> Option<PrivateServer> {
    match PrivateServer::start() {
        Ok(server) => Some(server),
        Err(why) => {
            skip(test, &why);
            None
        }
    }
}

/// Fails under `SCIMKIT_REQUIRE_POSTGRES=1`; else says loudly that `test` does not run.
fn skip(test: &str, why: &str) {
    if std::env::var("SCIMKIT_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
        panic!("SCIMKIT_REQUIRE_POSTGRES=1 but no PostgreSQL: {why}");
    }
    eprintln!(
        "\n!!!!!!!! SKIPPED {test}: no PostgreSQL ({why}).\n!!!!!!!! Set DATABASE_URL \
         or install the server (apt-get install postgresql postgresql-contrib).\n"
    );
}

/// `url` with its database replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{database}?{q}"),
        None => format!("{base}/{database}"),
    }
}

/// The URL of a fresh, empty database for one test, or `None` (after a loud message) when no
/// PostgreSQL can be had and it is not required.
///
/// # Panics
/// When `SCIMKIT_REQUIRE_POSTGRES=1` and there is no PostgreSQL, or when the server refuses
/// to create the database.
pub async fn fresh_database(test: &str) -> Option<String> {
    match server() {
        Ok(base) => Some(create_database(base, test).await),
        Err(why) => {
            skip(test, why);
            None
        }
    }
}

/// Creates a database named after `test` (and unique) on the server at `base`; its URL.
#[allow(clippy::unwrap_used, clippy::expect_used)]
async fn create_database(base: &str, test: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let mut rand = [0u8; 4];
    getrandom::fill(&mut rand).unwrap();
    let name = format!(
        "scimkit_{}_{}_{}_{:08x}",
        test.chars()
            .filter(char::is_ascii_alphanumeric)
            .take(20)
            .collect::<String>()
            .to_lowercase(),
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        u32::from_le_bytes(rand)
    );
    let mut admin = sqlx::PgConnection::connect(base)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {base}: {e}"));
    // The name is made here of ASCII letters, digits and underscores only.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    with_database(base, &name)
}

/// Returns from the test (after [`fresh_database`]'s loud message) when there is no
/// PostgreSQL; else evaluates to the URL of a fresh database.
///
/// ```no_run
/// # async fn a_test() {
/// let url = scimkit_testkit::database_or_skip!("my_store_suite");
/// // connect your store to `url` and run the suites
/// # }
/// ```
#[macro_export]
macro_rules! database_or_skip {
    ($name:expr) => {
        match $crate::postgres::fresh_database($name).await {
            Some(url) => url,
            None => return,
        }
    };
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn urls_get_their_database_replaced() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/postgres", "x"),
            "postgres://u:p@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h:5432?sslmode=disable", "x"),
            "postgres://u@h:5432/x?sslmode=disable"
        );
    }
}
