//! The provisioning state on PostgreSQL shared by two instances (two stores, two pools, two
//! `Provisioning`s, as two server processes have): a token rotated, disabled or revoked through
//! one instance's admin operations is refused by the other at its next request; a tenant
//! created through one is served by the other; two instances creating one tenant at once give
//! one tenant.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pg_support;

use bytes::Bytes;
use scimkit_policy::IdpDialect;
use scimkit_provisioning::Provisioning;
use scimkit_sql::postgres::{PostgresOptions, PostgresStore};
use serde_json::json;

async fn call(prov: &Provisioning<PostgresStore>, token: &str, method: &str, path: &str) -> u16 {
    call_as(prov, token, method, path, "ada@example.com").await
}

async fn call_as(
    prov: &Provisioning<PostgresStore>,
    token: &str,
    method: &str,
    path: &str,
    user_name: &str,
) -> u16 {
    let scim = prov.dispatcher().build();
    let mut request = http::Request::builder()
        .method(method)
        .uri(path)
        .header("Authorization", format!("Bearer {token}"));
    let body = if method == "POST" {
        request = request.header("Content-Type", "application/scim+json");
        Bytes::from(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                   "userName": user_name, "emails": [{"value": user_name}]})
            .to_string(),
        )
    } else {
        Bytes::new()
    };
    scim.handle_bytes(request.body(body).unwrap())
        .await
        .status()
        .as_u16()
}

#[tokio::test(flavor = "current_thread")]
async fn token_changes_through_one_instance_hold_on_the_other_at_once() {
    let Some(url) = pg_support::fresh_database("prov_instances").await else {
        return;
    };
    let options = PostgresOptions::new().max_connections(4);
    let one = Provisioning::with_backend(PostgresStore::connect(&url, &options).await.unwrap());
    let two = Provisioning::with_backend(PostgresStore::connect(&url, &options).await.unwrap());

    one.create_tenant("acme", IdpDialect::Okta).await.unwrap();
    let token = one.enable_provisioning("acme").await.unwrap();
    let token = token.expose().to_owned();
    assert_eq!(call(&two, &token, "POST", "/Users").await, 201);
    assert_eq!(call(&one, &token, "GET", "/Users").await, 200);

    let rotated = two.rotate_token("acme").await.unwrap().expose().to_owned();
    assert_eq!(call(&one, &token, "GET", "/Users").await, 401, "old token");
    assert_eq!(call(&one, &rotated, "GET", "/Users").await, 200);

    one.disable_provisioning("acme").await.unwrap();
    assert_eq!(call(&two, &rotated, "GET", "/Users").await, 403, "disabled");
    let fresh = two
        .enable_provisioning("acme")
        .await
        .unwrap()
        .expose()
        .to_owned();
    assert_eq!(call(&one, &fresh, "GET", "/Users").await, 200);

    one.revoke_token("acme").await.unwrap();
    assert_eq!(call(&two, &fresh, "GET", "/Users").await, 401, "revoked");
}

#[tokio::test(flavor = "current_thread")]
async fn two_instances_creating_one_tenant_at_once_make_one() {
    let Some(url) = pg_support::fresh_database("prov_create_race").await else {
        return;
    };
    let options = PostgresOptions::new().max_connections(4);
    let one = Provisioning::with_backend(PostgresStore::connect(&url, &options).await.unwrap());
    let two = Provisioning::with_backend(PostgresStore::connect(&url, &options).await.unwrap());
    for k in 0..10 {
        let id = format!("t{k}");
        let (a, b) = tokio::join!(
            one.create_tenant(&id, IdpDialect::Okta),
            two.create_tenant(&id, IdpDialect::EntraId)
        );
        assert!(
            a.is_ok() != b.is_ok(),
            "tenant {id}: exactly one create succeeds"
        );
    }
    assert_eq!(one.tenant_ids().await.unwrap().len(), 10);
}

/// Identifiers PostgreSQL cannot hold (U+0000) are client errors or not found through the
/// provisioning hooks and the admin operations too, never a database error.
#[tokio::test(flavor = "current_thread")]
async fn identifiers_postgres_cannot_hold_are_client_errors() {
    use scimkit_provisioning::ProvisioningState;
    let Some(url) = pg_support::fresh_database("prov_nul").await else {
        return;
    };
    let store = PostgresStore::connect(&url, &PostgresOptions::new())
        .await
        .unwrap();
    let prov = Provisioning::with_backend(store.clone());
    prov.create_tenant("acme", IdpDialect::Okta).await.unwrap();
    let token = prov.enable_provisioning("acme").await.unwrap();
    let status = call_as(
        &prov,
        token.expose(),
        "POST",
        "/Users",
        "a\u{0}b@example.com",
    )
    .await;
    assert_eq!(status, 400);
    assert!(store
        .load_account("acme", "a\u{0}b")
        .await
        .unwrap()
        .is_none());
    assert!(store.load_tenant("a\u{0}").await.unwrap().is_none());
    assert!(prov
        .create_tenant("a\u{0}", IdpDialect::Okta)
        .await
        .is_err());
    assert!(store
        .account_page("acme", Some("\u{0}"), 10, None)
        .await
        .is_err());
    assert_eq!(store.audit_bytes("a\u{0}").await.unwrap(), 0);
}
