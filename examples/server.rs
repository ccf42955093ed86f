//! The reference SCIM 2.0 server (the `scimkit-server` crate): axum + tokio around `scimkit`'s
//! dispatcher, the in-memory store, the provisioning policy per tenant, the admin API under
//! `/admin`.
//!
//! ```sh
//! cargo run --release --example server                       # 127.0.0.1:8080, a generated token
//! cargo run --release --example server -- --tenant acme=env:ACME_TOKEN --tenant-idp acme=okta
//! cargo run --release --example server -- --help             # every flag
//! ```

/// The allocator the `scimkit-server` binary uses (docs/decisions.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    scimkit_server::main_with_args(std::env::args().skip(1))
}
