//! A SCIM 2.0 server for Entra ID and Okta: axum + tokio around `scimkit`'s dispatcher, with
//! the in-memory store.
//!
//! ```sh
//! cargo run --release --example server                       # 127.0.0.1:8080, a random token
//! cargo run --release --example server -- --token s3cret     # your token for tenant "default"
//! cargo run --release --example server -- --listen 0.0.0.0:9000 \
//!     --tenant acme=token-a --tenant globex=token-b          # one token per tenant
//! cargo run --release --example server -- --base-url https://scim.example.com/scim/v2
//! cargo run --release --example server -- --admin-token adm1n   # tenant admin API under /admin
//! ```
//!
//! Every tenant runs the provisioning policy (`scimkit-policy`'s `RuleSet::tresorit()`, through
//! `scimkit_dispatch::Provisioning`), and the tenant admin API (`docs/admin-api.md`) is mounted
//! under `/admin`, protected by the admin token.
//!
//! It prints the SCIM base URL, the token(s) and the admin token, logs the tenants'
//! configuration warnings and one line per request (method, path, status, latency), and stops
//! gracefully on Ctrl-C.

use axum::body::Body;
use axum::extract::Request;
use axum::Router;
use scimkit::dispatch::{AdminApi, Config, Dispatcher, MemoryStore, Provisioning};
use scimkit::policy::IdpDialect;
use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::time::Instant;

/// The dispatcher this server runs: tokens and policy from [`Provisioning`].
pub type Scim = Dispatcher<MemoryStore, Provisioning, Provisioning>;

/// Where the SCIM endpoints live.
pub const BASE_PATH: &str = "/scim/v2";

/// Where the tenant admin API lives.
pub const ADMIN_PATH: &str = "/admin";

/// The axum application: every request under any path goes to the dispatcher (which answers
/// 404 outside [`BASE_PATH`]), with one log line per request.
pub fn app(scim: Scim) -> Router {
    app_with_admin(scim, None)
}

/// [`app`], plus the tenant admin API under [`ADMIN_PATH`] when given.
pub fn app_with_admin(scim: Scim, admin: Option<AdminApi>) -> Router {
    Router::new().fallback(move |req: Request| {
        let scim = scim.clone();
        let admin = admin.clone();
        async move {
            let started = Instant::now();
            let method = req.method().clone();
            let path = req.uri().path().to_string();
            let is_admin = path == ADMIN_PATH || path.starts_with(&format!("{ADMIN_PATH}/"));
            let resp = match admin {
                Some(admin) if is_admin => {
                    let changes = method != axum::http::Method::GET;
                    let resp = admin.handle(req).await;
                    if changes && resp.status().is_success() {
                        for (tenant, w) in admin.provisioning().all_warnings() {
                            tracing::warn!("tenant {tenant}: {}", w.message);
                        }
                    }
                    resp
                }
                _ => scim.handle(req).await,
            };
            tracing::info!(
                "{method} {path} {} {:.1}ms",
                resp.status().as_u16(),
                started.elapsed().as_secs_f64() * 1e3
            );
            resp.map(Body::from)
        }
    })
}

/// Command-line options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// `--listen ADDR`.
    pub listen: SocketAddr,
    /// `--token TOKEN` for the tenant `default`, and `--tenant NAME=TOKEN`, in order.
    pub tenants: Vec<(String, String)>,
    /// `--base-url URL`: the public base URL (behind a proxy or tunnel).
    pub base_url: Option<String>,
    /// `--quiet`: no per-request log line (for load runs).
    pub quiet: bool,
    /// `--admin-token TOKEN` for the admin API (a random one when absent).
    pub admin_token: Option<String>,
}

/// Parses the arguments (without the program name).
pub fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut listen: SocketAddr = ([127, 0, 0, 1], 8080).into();
    let mut tenants = Vec::new();
    let mut base_url = None;
    let mut quiet = false;
    let mut admin_token = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--listen" => {
                let v = value("--listen")?;
                listen = v.parse().map_err(|e| format!("--listen {v}: {e}"))?;
            }
            "--token" => tenants.push(("default".to_string(), value("--token")?)),
            "--tenant" => {
                let v = value("--tenant")?;
                let (name, token) = v
                    .split_once('=')
                    .filter(|(n, t)| !n.is_empty() && !t.is_empty())
                    .ok_or(format!("--tenant takes NAME=TOKEN, not {v}"))?;
                tenants.push((name.to_string(), token.to_string()));
            }
            "--base-url" => base_url = Some(value("--base-url")?),
            "--quiet" => quiet = true,
            "--admin-token" => admin_token = Some(value("--admin-token")?),
            "-h" | "--help" => {
                return Err("usage: server [--listen ADDR] [--token TOKEN] \
                            [--tenant NAME=TOKEN]... [--base-url URL] [--admin-token TOKEN] [--quiet]"
                    .into())
            }
            other => return Err(format!("unknown argument {other} (try --help)")),
        }
    }
    Ok(Options {
        listen,
        tenants,
        base_url,
        quiet,
        admin_token,
    })
}

/// A token for local use: 256 bits from the standard library's randomly keyed hasher.
/// (A product issues tokens from a CSPRNG; see `docs/admin-api.md`.)
fn random_token() -> String {
    let mut out = String::from("scimkit_");
    for i in 0u64..4 {
        let n = std::collections::hash_map::RandomState::new().hash_one((i, Instant::now()));
        out.push_str(&format!("{n:016x}"));
    }
    out
}

/// The dispatcher for these options, with the tokens it accepts: each tenant is created with
/// provisioning enabled under its given token; without any, tenant `default` gets a token
/// issued by [`Provisioning`] (from the operating system's random generator).
pub fn build(options: &Options) -> (Scim, Vec<(String, String)>) {
    let provisioning = Provisioning::new();
    let mut tenants = Vec::new();
    for (name, token) in &options.tenants {
        let enabled = provisioning
            .create_tenant(name, IdpDialect::Generic)
            .and_then(|()| provisioning.enable_provisioning_with_token(name, token));
        match enabled {
            Ok(()) => tenants.push((name.clone(), token.clone())),
            Err(e) => eprintln!("tenant {name}: {e}"),
        }
    }
    if options.tenants.is_empty() {
        let issued = provisioning
            .create_tenant("default", IdpDialect::Generic)
            .and_then(|()| provisioning.enable_provisioning("default"));
        match issued {
            Ok(token) => tenants.push(("default".to_string(), token.expose().to_string())),
            Err(e) => eprintln!("tenant default: {e}"),
        }
    }
    let config = Config {
        base_path: BASE_PATH.into(),
        base_url: options.base_url.clone(),
        ..Config::default()
    };
    let scim = Dispatcher::builder(MemoryStore::new(), provisioning.clone())
        .hooks(provisioning)
        .config(config)
        .build();
    (scim, tenants)
}

/// The admin API over the dispatcher's tenants, with its token (`--admin-token`, or a random
/// one), telling administrators `scim_base_url` as the SCIM endpoint.
pub fn build_admin(options: &Options, scim: &Scim, scim_base_url: &str) -> (AdminApi, String) {
    let token = options.admin_token.clone().unwrap_or_else(random_token);
    let admin = AdminApi::new(scim.authenticator().clone(), &token, scim_base_url)
        .with_base_path(ADMIN_PATH);
    (admin, token)
}

#[tokio::main]
async fn main() {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let level = if options.quiet {
        tracing::Level::WARN
    } else {
        tracing::Level::INFO
    };
    tracing_subscriber::fmt()
        .with_target(false)
        .with_max_level(level)
        .init();
    let (scim, tenants) = build(&options);
    let listener = match tokio::net::TcpListener::bind(options.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {}: {e}", options.listen);
            std::process::exit(1);
        }
    };
    let addr = listener.local_addr().unwrap_or(options.listen);
    let base = options
        .base_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}{BASE_PATH}"));
    println!("SCIM base URL: {base}");
    for (name, token) in &tenants {
        println!("tenant {name}: Authorization: Bearer {token}");
    }
    let public = base
        .strip_suffix(BASE_PATH)
        .map_or_else(|| format!("http://{addr}"), str::to_string);
    let (admin, admin_token) = build_admin(&options, &scim, &base);
    println!("admin API: {public}{ADMIN_PATH} (Authorization: Bearer {admin_token})");
    for (tenant, warning) in scim.authenticator().all_warnings() {
        tracing::warn!("tenant {tenant}: {}", warning.message);
    }
    println!("Ctrl-C stops the server.");
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    };
    if let Err(e) = axum::serve(listener, app_with_admin(scim, Some(admin)))
        .with_graceful_shutdown(shutdown)
        .await
    {
        eprintln!("server error: {e}");
        std::process::exit(1);
    }
}
