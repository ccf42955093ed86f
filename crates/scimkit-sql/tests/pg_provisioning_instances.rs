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
    let scim = prov.dispatcher().build();
    let mut request = http::Request::builder()
        .method(method)
        .uri(path)
        .header("Authorization", format!("Bearer {token}"));
    let body = if method == "POST" {
        request = request.header("Content-Type", "application/scim+json");
        Bytes::from(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                   "userName": "ada@example.com", "emails": [{"value": "ada@example.com"}]})
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
