//! A SCIM 2.0 server for Entra ID and Okta: axum + tokio around `scimkit`'s dispatcher, with
//! the in-memory store.
//!
//! ```sh
//! cargo run --release --example server                       # 127.0.0.1:8080, a random token
//! cargo run --release --example server -- --token s3cret     # your token for tenant "default"
//! cargo run --release --example server -- --listen 0.0.0.0:9000 \
//!     --tenant acme=token-a --tenant globex=token-b          # one token per tenant
//! cargo run --release --example server -- --base-url https://scim.example.com/scim/v2
//! ```
//!
//! It prints the SCIM base URL and the token(s), logs one line per request (method, path,
//! status, latency) and stops gracefully on Ctrl-C.

use axum::body::Body;
use axum::extract::Request;
use axum::Router;
use scimkit::dispatch::{BearerTokens, Config, Dispatcher, MemoryStore, TenantId};
use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::time::Instant;

/// The dispatcher this server runs.
pub type Scim = Dispatcher<MemoryStore, BearerTokens>;

/// Where the SCIM endpoints live.
pub const BASE_PATH: &str = "/scim/v2";

/// The axum application: every request under any path goes to the dispatcher (which answers
/// 404 outside [`BASE_PATH`]), with one log line per request.
pub fn app(scim: Scim) -> Router {
    Router::new().fallback(move |req: Request| {
        let scim = scim.clone();
        async move {
            let started = Instant::now();
            let method = req.method().clone();
            let path = req.uri().path().to_string();
            let resp = scim.handle(req).await;
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
}

/// Parses the arguments (without the program name).
pub fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut listen: SocketAddr = ([127, 0, 0, 1], 8080).into();
    let mut tenants = Vec::new();
    let mut base_url = None;
    let mut quiet = false;
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
            "-h" | "--help" => {
                return Err("usage: server [--listen ADDR] [--token TOKEN] \
                            [--tenant NAME=TOKEN]... [--base-url URL] [--quiet]"
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

/// The dispatcher for these options, with the tokens it accepts.
pub fn build(options: &Options) -> (Scim, Vec<(String, String)>) {
    let mut tenants = options.tenants.clone();
    if tenants.is_empty() {
        tenants.push(("default".to_string(), random_token()));
    }
    let tokens = BearerTokens::new();
    for (name, token) in &tenants {
        tokens.insert(token, TenantId::new(name));
    }
    let config = Config {
        base_path: BASE_PATH.into(),
        base_url: options.base_url.clone(),
        ..Config::default()
    };
    let scim = Dispatcher::builder(MemoryStore::new(), tokens)
        .config(config)
        .build();
    (scim, tenants)
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
    println!("Ctrl-C stops the server.");
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    };
    if let Err(e) = axum::serve(listener, app(scim))
        .with_graceful_shutdown(shutdown)
        .await
    {
        eprintln!("server error: {e}");
        std::process::exit(1);
    }
}
