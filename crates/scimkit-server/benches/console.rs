//! The admin console's server-side render with 10,000 accounts (target: an accounts page in
//! at most 20 ms): the whole request, session check and admin API call included.
//!
//! `cargo bench -p scimkit-server --bench console`
#![allow(missing_docs, clippy::unwrap_used)]

use axum::body::Body;
use criterion::{criterion_group, criterion_main, Criterion};
use scimkit_provisioning::{AdminApi, Provisioning};
use scimkit_server::Console;
use serde_json::json;
use std::hint::black_box;

const ADMIN: &str = "console-admin-token-0123456789abcdef0123";
const ACCOUNTS: usize = 10_000;

fn admin_call(method: &str, path: &str, body: serde_json::Value) -> http::Request<String> {
    http::Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {ADMIN}"))
        .body(body.to_string())
        .unwrap()
}

fn request(method: &str, path: &str, cookie: &str, form: &str) -> http::Request<Body> {
    http::Request::builder()
        .method(method)
        .uri(path)
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form.to_string()))
        .unwrap()
}

fn set_cookie(resp: &http::Response<bytes::Bytes>, name: &str) -> String {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(name) && c[name.len()..].starts_with('='))
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_string()
}

/// A console over a tenant with [`ACCOUNTS`] accounts, and a signed-in session cookie.
async fn setup() -> (Console, String) {
    let admin = AdminApi::new(
        Provisioning::new(),
        ADMIN,
        "https://scim.example.com/scim/v2",
    )
    .with_base_path("/admin");
    admin
        .handle_bytes(admin_call("POST", "/admin/tenants", json!({"id": "big"})))
        .await;
    for i in 0..ACCOUNTS {
        let body = json!({"email": format!("user{i:05}@example.com"), "name": format!("User {i}")});
        admin
            .handle_bytes(admin_call("POST", "/admin/tenants/big/accounts", body))
            .await;
    }
    let console = Console::new(admin, true);
    let page = console
        .handle(request("GET", "/console/sign-in", "", ""))
        .await;
    let form_cookie = set_cookie(&page, "scimkit_console_signin");
    let csrf = form_cookie.split_once('=').unwrap().1.to_string();
    let signed_in = console
        .handle(request(
            "POST",
            "/console/sign-in",
            &form_cookie,
            &format!("csrf={csrf}&token={ADMIN}"),
        ))
        .await;
    let cookie = set_cookie(&signed_in, "scimkit_console");
    (console, cookie)
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (console, cookie) = rt.block_on(setup());
    let mut group = c.benchmark_group("console_10k_accounts");
    for (name, path) in [
        ("accounts_first_page", "/console/tenants/big/accounts"),
        (
            "accounts_middle_page",
            "/console/tenants/big/accounts?cursor=user05000%40example.com",
        ),
        (
            "accounts_search",
            "/console/tenants/big/accounts?q=User+9999",
        ),
        ("audit_newest_page", "/console/tenants/big/audit"),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let resp = rt.block_on(console.handle(request("GET", path, &cookie, "")));
                assert_eq!(resp.status(), 200);
                black_box(resp)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
