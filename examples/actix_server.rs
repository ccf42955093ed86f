//! The same SCIM dispatcher inside actix-web 4: actix has its own request types, so the route
//! reads the body (bounded), copies method, URI and headers into an `http::Request`, and copies
//! the response back.
//!
//! ```sh
//! cargo run --release -p scimkit-example-actix --example actix_server -- 127.0.0.1:8082 s3cret
//! curl -H 'Authorization: Bearer s3cret' http://127.0.0.1:8082/scim/v2/Users
//! ```

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use scimkit::dispatch::{BearerTokens, Config, Dispatcher, MemoryStore, TenantId};
use scimkit::schema::ScimError;

type Scim = Dispatcher<MemoryStore, BearerTokens>;

async fn scim_route(
    req: HttpRequest,
    payload: web::Payload,
    scim: web::Data<Scim>,
) -> HttpResponse {
    // Read the body up to the dispatcher's largest limit; beyond it, the dispatcher's SCIM 413.
    let limit = scim
        .config()
        .bulk_max_payload
        .max(scim.config().max_body_bytes);
    let body = match payload.to_bytes_limited(limit + 1).await {
        Ok(Ok(body)) => body,
        Ok(Err(_)) => return HttpResponse::BadRequest().finish(),
        Err(_) => {
            let e = ScimError::payload_too_large(format!(
                "The request body is larger than {limit} bytes"
            ));
            return to_actix(scimkit::dispatch::error_response(&e));
        }
    };
    let mut request = http::Request::builder()
        .method(req.method().as_str())
        .uri(req.uri().to_string());
    for (name, value) in req.headers() {
        request = request.header(name.as_str(), value.as_bytes());
    }
    let Ok(request) = request.body(body) else {
        return HttpResponse::BadRequest().finish();
    };
    to_actix(scim.handle_bytes(request).await)
}

fn to_actix(response: http::Response<bytes::Bytes>) -> HttpResponse {
    let status = StatusCode::from_u16(response.status().as_u16())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut out = HttpResponse::build(status);
    for (name, value) in response.headers() {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_str().as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            out.insert_header((n, v));
        }
    }
    out.body(response.into_body())
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8082".into());
    let token = args.next().unwrap_or_else(|| "dev-token".into());
    let tokens = BearerTokens::new();
    tokens.insert(&token, TenantId::new("default"));
    let config = Config::default().with_base_path("/scim/v2");
    let scim = web::Data::new(
        Dispatcher::builder(MemoryStore::new(), tokens)
            .config(config)
            .build(),
    );
    println!("SCIM base URL: http://{addr}/scim/v2  (Authorization: Bearer {token})");
    actix_web::rt::System::new().block_on(
        HttpServer::new(move || {
            App::new()
                .app_data(scim.clone())
                .default_service(web::to(scim_route))
        })
        .bind(&addr)?
        .run(),
    )
}
