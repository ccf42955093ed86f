//! The same SCIM dispatcher served by bare hyper 1.x (no framework).
//!
//! ```sh
//! cargo run --release --example hyper_server -- 127.0.0.1:8081 s3cret
//! curl -H 'Authorization: Bearer s3cret' http://127.0.0.1:8081/scim/v2/Users
//! # with the provisioning policy (seed rules) for tenant "default", as the reference server:
//! cargo run --release --example hyper_server -- 127.0.0.1:8081 s3cret --policy
//! ```

use http::{Request, Response};
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use scimkit::dispatch::{BearerTokens, Config, Dispatcher, MemoryStore, TenantId};
use scimkit::policy::IdpDialect;
use scimkit::provisioning::Provisioning;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

type Handler = Arc<
    dyn Fn(
            Request<hyper::body::Incoming>,
        ) -> Pin<Box<dyn Future<Output = Response<bytes::Bytes>> + Send>>
        + Send
        + Sync,
>;

/// The allocator the reference server uses (docs/decisions.md), so that both sides of the
/// loopback comparison run on it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn config() -> Config {
    Config::default().with_base_path("/scim/v2")
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8081".into());
    let token = args.next().unwrap_or_else(|| "dev-token".into());
    let policy = args.next().as_deref() == Some("--policy");
    let handler: Handler = if policy {
        let prov = Provisioning::new();
        prov.create_tenant("default", IdpDialect::Generic)
            .await
            .map_err(std::io::Error::other)?;
        prov.enable_provisioning_with_token("default", &token)
            .await
            .map_err(std::io::Error::other)?;
        let scim = prov.dispatcher().config(config()).build();
        Arc::new(move |req| {
            let scim = scim.clone();
            Box::pin(async move { scim.handle(req).await })
        })
    } else {
        let tokens = BearerTokens::new();
        tokens.insert(&token, TenantId::new("default"));
        let scim = Dispatcher::builder(MemoryStore::new(), tokens)
            .config(config())
            .build();
        Arc::new(move |req| {
            let scim = scim.clone();
            Box::pin(async move { scim.handle(req).await })
        })
    };
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("SCIM base URL: http://{addr}/scim/v2  (Authorization: Bearer {token})");
    loop {
        let (stream, _) = listener.accept().await?;
        let handler = handler.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let handler = handler.clone();
                async move { Ok::<_, Infallible>(handler(req).await.map(Full::new)) }
            });
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                eprintln!("connection error: {e}");
            }
        });
    }
}
