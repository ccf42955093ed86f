//! The same SCIM dispatcher served by bare hyper 1.x (no framework).
//!
//! ```sh
//! cargo run --release --example hyper_server -- 127.0.0.1:8081 s3cret
//! curl -H 'Authorization: Bearer s3cret' http://127.0.0.1:8081/scim/v2/Users
//! ```

use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use scimkit::dispatch::{BearerTokens, Config, Dispatcher, MemoryStore, TenantId};
use std::convert::Infallible;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8081".into());
    let token = args.next().unwrap_or_else(|| "dev-token".into());
    let tokens = BearerTokens::new();
    tokens.insert(&token, TenantId::new("default"));
    let scim = Dispatcher::builder(MemoryStore::new(), tokens)
        .config(Config {
            base_path: "/scim/v2".into(),
            ..Config::default()
        })
        .build();
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("SCIM base URL: http://{addr}/scim/v2  (Authorization: Bearer {token})");
    loop {
        let (stream, _) = listener.accept().await?;
        let scim = scim.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let scim = scim.clone();
                async move { Ok::<_, Infallible>(scim.handle(req).await.map(Full::new)) }
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
