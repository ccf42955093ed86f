//! The ceiling for HTTP on a machine: a bare axum handler answering every request with the same
//! bytes (e.g. a captured SCIM response), for load runs beside `examples/server.rs`
//! (docs/performance.md).
//!
//! ```sh
//! cargo run --release --example bare_axum -- 127.0.0.1:8090 response.json
//! ```

use axum::body::Body;
use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderValue;
use axum::response::Response;
use axum::Router;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8090".into());
    let bytes = match args.next() {
        Some(path) => std::fs::read(path)?,
        None => b"{}".to_vec(),
    };
    let bytes = bytes::Bytes::from(bytes);
    let app = Router::new().fallback(move || {
        let bytes = bytes.clone();
        async move {
            let mut resp = Response::new(Body::from(bytes));
            resp.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/scim+json"),
            );
            resp
        }
    });
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("serving fixed bytes on http://{addr}");
    axum::serve(listener, app).await
}
