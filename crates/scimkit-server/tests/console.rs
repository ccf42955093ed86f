//! The admin console in a real headless Chromium (WebDriver): the scenarios of issue 13.
//! Screenshots land in `target/tmp/console-screenshots/`.
#![allow(clippy::unwrap_used)]

mod browser;
mod support;

use browser::Browser;
use fantoccini::Locator;
use scimkit_server::Running;
use serde_json::{json, Value};
use std::time::Duration;
use support::{exchange, request};

const ADMIN: &str = "console-admin-token-0123456789abcdef0123";

/// The server on a SQLite file in a new directory (kept while the test runs).
async fn start() -> (Running, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("console.db").display());
    let args = ["--listen", "127.0.0.1:0", "--quiet", "--db", &db];
    let env = |k: &str| (k == scimkit_server::ADMIN_TOKEN_ENV).then(|| ADMIN.to_string());
    let options = scimkit_server::parse_args(args.iter().map(|s| s.to_string()), &env).unwrap();
    let running = scimkit_server::start(&options).await.unwrap();
    let base = format!("http://{}", running.addr());
    (running, base, dir)
}

async fn sign_in(b: &Browser, base: &str) {
    b.goto(&format!("{base}/console")).await;
    assert!(b
        .client
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/console/sign-in"));
    b.fill("#token", ADMIN).await;
    b.press("Sign in").await;
    b.wait_for_text("Create a tenant").await;
}

/// An admin API call over HTTP (to check what the console did).
async fn admin(running: &Running, method: &str, path: &str) -> Value {
    let reply = exchange(
        running.addr(),
        &request(method, &format!("/admin{path}"), "x", ADMIN, None),
    )
    .await;
    assert!(reply.status < 300, "{reply:?}");
    reply.json()
}

async fn wait_for(b: &Browser, css: &str) -> fantoccini::elements::Element {
    b.client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provisioning_from_sign_in_to_audit() {
    let (running, base, _db) = start().await;
    let addr = running.addr();
    let b = Browser::start().await;

    b.goto(&format!("{base}/console")).await;
    b.screenshot("sign-in").await;
    sign_in(&b, &base).await;

    // Create a tenant with an IdP profile.
    b.fill("#tenant-id", "acme").await;
    b.client
        .find(Locator::Css("#tenant-idp"))
        .await
        .unwrap()
        .select_by_value("okta")
        .await
        .unwrap();
    b.press("Create tenant").await;
    b.wait_for_text("Tenant acme created.").await;
    assert_eq!(admin(&running, "GET", "/tenants/acme").await["idp"], "okta");

    // Enable provisioning: the token is shown once, with a working copy button.
    b.press("Turn provisioning on").await;
    b.wait_for_text("it will not be shown again").await;
    let token = b.text("#scim-token").await;
    assert!(token.starts_with("scimkit_"), "{token}");
    assert_eq!(b.text("#scim-base-url").await, format!("{base}/scim/v2"));
    let copy = b
        .client
        .find(Locator::Css("button[data-copy=scim-token]"))
        .await
        .unwrap();
    assert!(
        copy.is_displayed().await.unwrap(),
        "console.js shows the copy button"
    );
    b.screenshot("token-shown-once").await;
    b.client.refresh().await.unwrap();
    b.wait_for_text("Provisioning").await;
    assert!(!b.has("#scim-token").await);
    assert!(
        !b.client.source().await.unwrap().contains(&token),
        "a reload shows the token again"
    );

    // The IdP creates a user with that token over HTTP: the account appears.
    let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "ada@example.com", "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "active": true});
    let created = exchange(
        addr,
        &request("POST", "/scim/v2/Users", "x", &token, Some(&user)),
    )
    .await;
    assert_eq!(created.status, 201, "{created:?}");
    let scim_id = created.json()["id"].as_str().unwrap().to_string();
    b.goto(&format!("{base}/console/tenants/acme/accounts"))
        .await;
    let row = r#"tr[data-email="ada@example.com"]"#;
    wait_for(&b, row).await;
    assert!(b.text(row).await.contains("SCIM-managed"));
    assert_eq!(b.text(&format!("{row} td.access")).await, "has access");
    assert_eq!(b.text(&format!("{row} td.idp-active")).await, "active");
    assert_eq!(b.text(&format!("{row} td.idp-name")).await, "Ada Lovelace");

    // The IdP changes the name: the IdP's name shows it, the registered name does not change.
    let rename = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "name.givenName", "value": "Augusta"}]});
    let renamed = exchange(
        addr,
        &request(
            "PATCH",
            &format!("/scim/v2/Users/{scim_id}"),
            "x",
            &token,
            Some(&rename),
        ),
    )
    .await;
    assert_eq!(renamed.status, 200, "{renamed:?}");
    b.client.refresh().await.unwrap();
    wait_for(&b, row).await;
    assert_eq!(
        b.text(&format!("{row} td.idp-name")).await,
        "Augusta Lovelace"
    );
    let registered = admin(&running, "GET", "/tenants/acme/accounts/ada@example.com").await;
    assert_eq!(registered["registeredName"], "Ada Lovelace", "{registered}");
    assert_eq!(registered["idpName"], "Augusta Lovelace", "{registered}");

    // Suspend: the badge changes, SCIM still answers active: true.
    b.click(&format!("{row} button")).await;
    b.wait_for_text("is suspended here").await;
    assert_eq!(b.text(&format!("{row} td.suspension")).await, "suspended");
    assert_eq!(b.text(&format!("{row} td.access")).await, "no access");
    b.screenshot("accounts").await;
    let read = exchange(
        addr,
        &request(
            "GET",
            &format!("/scim/v2/Users/{scim_id}"),
            "x",
            &token,
            None,
        ),
    )
    .await;
    assert_eq!(read.json()["active"], true, "{read:?}");

    // The audit page updates live: a refused userName change shows as `reject` on userName.
    b.goto(&format!("{base}/console/tenants/acme/audit")).await;
    wait_for(&b, "li.entry").await;
    let rename = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "userName", "value": "ada.l@example.com"}]});
    let refused = exchange(
        addr,
        &request(
            "PATCH",
            &format!("/scim/v2/Users/{scim_id}"),
            "x",
            &token,
            Some(&rename),
        ),
    )
    .await;
    assert_eq!(refused.status, 400, "{refused:?}");
    let outcome = wait_for(&b, r#"li.entry tr[data-path="userName"] .outcome-reject"#).await;
    assert_eq!(outcome.text().await.unwrap(), "reject");
    let newest = b.text("li.entry").await;
    assert!(
        newest.contains("rejected") && newest.contains("mutability"),
        "{newest}"
    );
    assert!(
        newest.contains("ada.l@example.com"),
        "the raw body is shown: {newest}"
    );
    b.screenshot("audit-live").await;

    // A verified domain that adds users automatically: the banner, then the one-click fix.
    b.goto(&format!("{base}/console/tenants/acme")).await;
    b.fill("#domain-name", "example.com").await;
    b.client
        .find(Locator::Css("#domain-mode"))
        .await
        .unwrap()
        .select_by_value("addAutomatically")
        .await
        .unwrap();
    b.press("Add domain").await;
    b.wait_for_text("Domain example.com added.").await;
    let banner = b.text("#auto-add-banner").await;
    assert!(
        banner.contains(
            "can result in users being added to your subscription outside SCIM provisioning"
        ),
        "{banner}"
    );
    b.screenshot("auto-add-banner").await;
    b.press("Set example.com to Invite only registration").await;
    b.wait_for_text("mode changed").await;
    assert!(!b.has("#auto-add-banner").await);
    assert_eq!(
        admin(&running, "GET", "/tenants/acme/domains").await["domains"][0]["mode"],
        "inviteOnly"
    );
    drop(b);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_forms_and_ended_sessions_are_refused() {
    let (running, base, _db) = start().await;
    let addr = running.addr();
    let b = Browser::start().await;

    // A wrong admin token does not sign in, and is not echoed.
    b.goto(&format!("{base}/console/sign-in")).await;
    b.fill("#token", "not-the-admin-token-<b>x</b>").await;
    b.press("Sign in").await;
    b.wait_for_text("That is not the admin token.").await;
    assert!(!b
        .client
        .source()
        .await
        .unwrap()
        .contains("not-the-admin-token"));

    sign_in(&b, &base).await;
    let session = b.client.get_named_cookie("scimkit_console").await.unwrap();
    assert_eq!(session.http_only(), Some(true));
    assert_eq!(format!("{:?}", session.same_site()), "Some(Strict)");
    let cookie = format!("scimkit_console={}", session.value());

    // A form whose CSRF token was tampered with changes nothing.
    b.goto(&format!("{base}/console/tenants/default")).await;
    b.fill("#template-name", "Forged").await;
    b.client
        .execute(
            "document.querySelector('form[action$=\"/templates\"] input[name=csrf]').value = 'forged';",
            vec![],
        )
        .await
        .unwrap();
    b.press("Create template").await;
    b.wait_for_text("CSRF token is missing or not valid").await;
    let templates = admin(&running, "GET", "/tenants/default/templates").await;
    assert_eq!(
        templates["templates"].as_array().unwrap().len(),
        1,
        "{templates}"
    );

    // Signing out ends the session: its cookie no longer opens a page or sends a form.
    b.goto(&format!("{base}/console/tenants")).await;
    let csrf = b
        .client
        .find(Locator::Css("input[name=csrf]"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    b.press("Sign out").await;
    b.wait_for_text("Sign in with the server's admin token")
        .await;
    let form = format!("csrf={csrf}&id=after-sign-out&idp=generic");
    let raw = format!(
        "POST /console/tenants HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: {cookie}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    );
    let reply = exchange(addr, raw.as_bytes()).await;
    assert_eq!(reply.status, 403, "{reply:?}");
    let raw = format!(
        "GET /console/tenants HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: {cookie}\r\n\r\n"
    );
    let reply = exchange(addr, raw.as_bytes()).await;
    assert_eq!(reply.status, 303, "{reply:?}");
    assert_eq!(reply.header("location"), Some("/console/sign-in"));
    assert_eq!(
        admin(&running, "GET", "/tenants").await["tenants"],
        json!(["default"])
    );
    drop(b);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markup_in_names_is_shown_as_text() {
    let (running, base, _db) = start().await;
    let b = Browser::start().await;
    sign_in(&b, &base).await;

    // A tenant id with a script element is refused, and the refusal shows it as text.
    let evil = "<script>document.title='pwned'</script>";
    b.fill("#tenant-id", evil).await;
    b.press("Create tenant").await;
    b.wait_for_text("is not a valid tenant id").await;
    assert!(b.body().await.contains(evil), "{}", b.body().await);

    // A template name and an account name with markup: text, never elements.
    b.goto(&format!("{base}/console/tenants/default")).await;
    let name = "<script>document.title='pwned'</script><b id=bold>bold</b>";
    b.fill("#template-name", name).await;
    b.press("Create template").await;
    b.wait_for_text("created.").await;
    assert!(b.text("#templates").await.contains(name));
    let scripts = b
        .client
        .execute("return document.scripts.length", vec![])
        .await
        .unwrap();
    assert_eq!(scripts, json!(1), "only console.js");
    assert!(!b.has("#bold").await);
    assert!(!b.client.title().await.unwrap().contains("pwned"));
    b.screenshot("markup-as-text").await;
    drop(b);
    running.stop().await;
}
