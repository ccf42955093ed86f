//! The admin console at the HTTP level (no browser): cookie attributes, the
//! Content-Security-Policy, paging and search over 10,000 accounts, bad input.
#![allow(clippy::unwrap_used)]

mod support;

use axum::body::Body;
use bytes::Bytes;
use scimkit_provisioning::{AdminApi, Provisioning};
use scimkit_server::Console;
use serde_json::json;
use support::exchange;

const ADMIN: &str = "console-admin-token-0123456789abcdef0123";

/// The value of the `csrf` field of the first form in `html`.
fn csrf_of(html: &str) -> String {
    let at = html.find(r#"name="csrf" value=""#).expect("a CSRF field") + 19;
    html[at..].split('"').next().unwrap().to_string()
}

/// The `name=value` part of the `Set-Cookie` for `name`.
fn cookie_of(resp: &http::Response<Bytes>, name: &str) -> Option<String> {
    resp.headers()
        .get_all(http::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

fn get(path: &str, cookie: &str) -> http::Request<Body> {
    http::Request::get(path)
        .header("cookie", cookie)
        .body(Body::empty())
        .unwrap()
}

fn post(path: &str, cookie: &str, form: &str) -> http::Request<Body> {
    http::Request::post(path)
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form.to_string()))
        .unwrap()
}

/// Signs in; returns the session cookie (`name=value`) and the full `Set-Cookie` line.
async fn sign_in(console: &Console) -> (String, String) {
    let page = console.handle(get("/console/sign-in", "")).await;
    let form_cookie = cookie_of(&page, "scimkit_console_signin").unwrap();
    let csrf = csrf_of(std::str::from_utf8(page.body()).unwrap());
    let pair = form_cookie.split(';').next().unwrap();
    let resp = console
        .handle(post(
            "/console/sign-in",
            pair,
            &format!("csrf={csrf}&token={ADMIN}"),
        ))
        .await;
    assert_eq!(resp.status(), 303, "{resp:?}");
    let line = cookie_of(&resp, "scimkit_console").unwrap();
    (line.split(';').next().unwrap().to_string(), line)
}

fn console(secure: bool) -> (Console, AdminApi) {
    let admin = AdminApi::new(
        Provisioning::new(),
        ADMIN,
        "https://scim.example.com/scim/v2",
    )
    .with_base_path("/admin");
    (Console::new(admin.clone(), secure), admin)
}

#[tokio::test]
async fn cookies_are_http_only_strict_expiring_and_secure_behind_https() {
    for secure in [true, false] {
        let (console, _) = console(secure);
        let page = console.handle(get("/console/sign-in", "")).await;
        let (_, session) = sign_in(&console).await;
        for line in [cookie_of(&page, "scimkit_console_signin").unwrap(), session] {
            for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console", "Max-Age="] {
                assert!(line.contains(attribute), "{line}");
            }
            assert_eq!(line.contains("; Secure"), secure, "{line}");
        }
    }
}

#[tokio::test]
async fn the_server_sets_secure_cookies_when_its_public_url_is_https() {
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--quiet",
        "--db",
        "memory",
        "--base-url",
        "https://scim.example.com/scim/v2",
    ];
    let options =
        scimkit_server::parse_args(args.iter().map(|s| s.to_string()), &|_| None).unwrap();
    let running = scimkit_server::start(&options).await.unwrap();
    let raw = b"GET /console/sign-in HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let reply = exchange(running.addr(), raw).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let cookie = reply.header("set-cookie").unwrap();
    assert!(
        cookie.contains("; Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    running.stop().await;
}

#[tokio::test]
async fn pages_carry_a_policy_without_inline_script() {
    let (console, admin) = console(false);
    admin
        .handle_bytes(
            http::Request::post("/admin/tenants")
                .header("authorization", format!("Bearer {ADMIN}"))
                .body(r#"{"id": "acme"}"#)
                .unwrap(),
        )
        .await;
    let (cookie, _) = sign_in(&console).await;
    for path in [
        "/console/sign-in",
        "/console/tenants",
        "/console/tenants/acme",
        "/console/tenants/acme/accounts",
        "/console/tenants/acme/audit",
    ] {
        let resp = console.handle(get(path, &cookie)).await;
        assert_eq!(resp.status(), 200, "{path}");
        let csp = resp.headers()["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
        let html = std::str::from_utf8(resp.body()).unwrap();
        assert_eq!(html.matches("<script").count(), 1, "{path}: {html}");
        assert!(html.contains(r#"<script src="/console/assets/console.js" defer>"#));
        assert!(
            !html.contains(" onclick=") && !html.contains(" onload="),
            "{path}"
        );
    }
}

#[tokio::test]
async fn ten_thousand_accounts_page_and_search() {
    let (console, admin) = console(false);
    let call = |method: &str, path: &str, body: serde_json::Value| {
        http::Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {ADMIN}"))
            .body(body.to_string())
            .unwrap()
    };
    admin
        .handle_bytes(call("POST", "/admin/tenants", json!({"id": "big"})))
        .await;
    for i in 0..10_000 {
        let body = json!({"email": format!("user{i:05}@example.com"), "name": format!("User {i}")});
        let resp = admin
            .handle_bytes(call("POST", "/admin/tenants/big/accounts", body))
            .await;
        assert_eq!(resp.status(), 201);
    }
    let (cookie, _) = sign_in(&console).await;
    let page = console
        .handle(get("/console/tenants/big/accounts", &cookie))
        .await;
    let html = String::from_utf8(page.body().to_vec()).unwrap();
    assert_eq!(html.matches("<tr data-email=").count(), 50);
    assert!(html.contains(r#"data-email="user00000@example.com""#));
    assert!(!html.contains(r#"data-email="user00050@example.com""#));
    let next = html
        .split(r#"href=""#)
        .find(|s| s.contains("cursor="))
        .and_then(|s| s.split('"').next())
        .expect("a next page link")
        .replace("&amp;", "&");
    let second = console.handle(get(&next, &cookie)).await;
    let html = String::from_utf8(second.body().to_vec()).unwrap();
    assert!(html.contains(r#"data-email="user00050@example.com""#));
    assert!(!html.contains(r#"data-email="user00049@example.com""#));

    let found = console
        .handle(get("/console/tenants/big/accounts?q=User+9999", &cookie))
        .await;
    let html = String::from_utf8(found.body().to_vec()).unwrap();
    assert_eq!(html.matches("<tr data-email=").count(), 1, "{html}");
    assert!(html.contains("user09999@example.com"));
}

#[tokio::test]
async fn bad_requests_change_nothing() {
    let (console, admin) = console(false);
    // Not signed in: pages redirect, forms are refused.
    let resp = console.handle(get("/console/tenants", "")).await;
    assert_eq!(resp.status(), 303);
    let resp = console
        .handle(post(
            "/console/tenants",
            "scimkit_console=guess",
            "id=x&csrf=y",
        ))
        .await;
    assert_eq!(resp.status(), 403);
    // A sign-in form without its cookie is refused.
    let resp = console
        .handle(post(
            "/console/sign-in",
            "",
            &format!("csrf=x&token={ADMIN}"),
        ))
        .await;
    assert_eq!(resp.status(), 403);
    assert!(cookie_of(&resp, "scimkit_console").is_none());

    let (cookie, _) = sign_in(&console).await;
    let big = format!("csrf=x&id={}", "a".repeat(70 * 1024));
    let resp = console
        .handle(post("/console/tenants", &cookie, &big))
        .await;
    assert_eq!(resp.status(), 413);
    let resp = console
        .handle(get("/console/tenants/%FF%00/audit?before=x", &cookie))
        .await;
    assert_eq!(resp.status(), 404);
    let resp = console.handle(get("/console/nothing/here", &cookie)).await;
    assert_eq!(resp.status(), 404);
    let tenants = admin
        .handle_bytes(
            http::Request::get("/admin/tenants")
                .header("authorization", format!("Bearer {ADMIN}"))
                .body(Bytes::new())
                .unwrap(),
        )
        .await;
    assert_eq!(tenants.body().as_ref(), br#"{"tenants":[]}"#);
}

/// The text of the element with `id` in `html` (its content up to the next tag).
fn text_of(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!(r#"id="{id}">"#))? + id.len() + 6;
    Some(html[at..].split('<').next()?.to_string())
}

#[tokio::test]
async fn the_token_is_shown_once_and_rotate_and_revoke_ask_first() {
    let (console, admin) = console(false);
    admin
        .handle_bytes(
            http::Request::post("/admin/tenants")
                .header("authorization", format!("Bearer {ADMIN}"))
                .body(r#"{"id": "acme"}"#)
                .unwrap(),
        )
        .await;
    let (cookie, _) = sign_in(&console).await;
    let page = |path: &'static str| {
        let console = console.clone();
        let cookie = cookie.clone();
        async move {
            let resp = console.handle(get(path, &cookie)).await;
            assert_eq!(resp.status(), 200, "{path}");
            String::from_utf8(resp.body().to_vec()).unwrap()
        }
    };
    let csrf = csrf_of(&page("/console/tenants/acme").await);
    let act = |action: &str| {
        post(
            &format!("/console/tenants/acme/provisioning/{action}"),
            &cookie,
            &format!("csrf={csrf}"),
        )
    };

    assert_eq!(console.handle(act("enable")).await.status(), 303);
    let shown = page("/console/tenants/acme").await;
    let token = text_of(&shown, "scim-token").expect("the token, once");
    assert!(token.starts_with("scimkit_") && shown.contains("will not be shown again"));
    assert_eq!(
        text_of(&shown, "scim-base-url").unwrap(),
        "https://scim.example.com/scim/v2"
    );
    assert!(!page("/console/tenants/acme").await.contains(&token));

    // Rotate and revoke are links to a confirmation page that posts.
    let confirm = page("/console/tenants/acme/provisioning/rotate").await;
    assert!(confirm.contains(r#"action="/console/tenants/acme/provisioning/rotate""#));
    assert!(confirm.contains("stops working"));
    assert_eq!(console.handle(act("rotate")).await.status(), 303);
    let rotated = text_of(&page("/console/tenants/acme").await, "scim-token").unwrap();
    assert_ne!(rotated, token);

    assert!(page("/console/tenants/acme/provisioning/revoke")
        .await
        .contains("401"));
    assert_eq!(console.handle(act("revoke")).await.status(), 303);
    let after = page("/console/tenants/acme").await;
    assert!(after.contains("The token was revoked") && text_of(&after, "scim-token").is_none());
    let tenant = admin
        .handle_bytes(
            http::Request::get("/admin/tenants/acme")
                .header("authorization", format!("Bearer {ADMIN}"))
                .body(Bytes::new())
                .unwrap(),
        )
        .await;
    let tenant: serde_json::Value = serde_json::from_slice(tenant.body()).unwrap();
    assert_eq!(tenant["hasToken"], false);
}

#[tokio::test]
async fn repeated_failed_sign_ins_close_sign_in_for_a_while() {
    let (console, _) = console(false);
    let attempt = |token: &'static str| {
        let console = console.clone();
        async move {
            let page = console.handle(get("/console/sign-in", "")).await;
            let form_cookie = cookie_of(&page, "scimkit_console_signin").unwrap();
            let csrf = csrf_of(std::str::from_utf8(page.body()).unwrap());
            let pair = form_cookie.split(';').next().unwrap().to_string();
            let form = format!("csrf={csrf}&token={token}");
            console
                .handle(post("/console/sign-in", &pair, &form))
                .await
                .status()
        }
    };
    for _ in 0..20 {
        assert_eq!(attempt("a-guess").await, 401);
    }
    assert_eq!(attempt("a-guess").await, 429);
    assert_eq!(
        attempt(ADMIN).await,
        429,
        "closed for everyone, for a minute"
    );
}
