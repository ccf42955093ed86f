//! scimkit-provisioning over a SQLite file: tenants, tokens, accounts and the audit log commit
//! with the SCIM writes and survive closing and reopening the database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use scimkit_dispatch::Config;
use scimkit_policy::{IdpDialect, RegistrationMode};
use scimkit_provisioning::{Provisioning, ProvisioningState};
use scimkit_sql::sqlite::{SqliteOptions, SqliteStore};
use serde_json::{json, Value};
use std::path::Path;

async fn call(
    scim: &scimkit_dispatch::Dispatcher<
        SqliteStore,
        Provisioning<SqliteStore>,
        Provisioning<SqliteStore>,
    >,
    token: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut req = http::Request::builder()
        .method(method)
        .uri(path)
        .header("Authorization", format!("Bearer {token}"));
    let bytes = match body {
        Some(b) => {
            req = req.header("Content-Type", "application/scim+json");
            Bytes::from(serde_json::to_vec(b).unwrap())
        }
        None => Bytes::new(),
    };
    let resp = scim.handle_bytes(req.body(bytes).unwrap()).await;
    let status = resp.status().as_u16();
    let body = serde_json::from_slice(resp.body()).unwrap_or(Value::Null);
    (status, body)
}

async fn open(path: &Path) -> Provisioning<SqliteStore> {
    let store = SqliteStore::open(path, &SqliteOptions::new())
        .await
        .unwrap();
    Provisioning::with_backend(store)
}

#[tokio::test(flavor = "current_thread")]
async fn provisioning_state_commits_with_the_writes_and_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("prov.db");
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "ada@example.com",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"value": "ada@example.com", "type": "work", "primary": true}],
        "active": true
    });
    let (token, user_id, audit_before) = {
        let prov = open(&path).await;
        prov.create_tenant("acme", IdpDialect::EntraId)
            .await
            .unwrap();
        prov.add_domain("acme", "example.com", RegistrationMode::AddAutomatically)
            .await
            .unwrap();
        let token = prov.enable_provisioning("acme").await.unwrap();
        let scim = prov.dispatcher().config(Config::default()).build();
        let (status, body) = call(&scim, token.expose(), "POST", "/Users", Some(&user)).await;
        assert_eq!(status, 201, "{body}");
        let user_id = body["id"].as_str().unwrap().to_owned();
        let account = prov.account_of_user("acme", &user_id).await.unwrap();
        assert_eq!(account.map(|a| a.email), Some("ada@example.com".to_owned()));
        let audit = prov.backend().audit_page("acme", 0, 100).await.unwrap();
        assert!(!audit.entries.is_empty());
        assert!(prov.backend().audit_bytes("acme").await.unwrap() > 0);
        prov.backend().database().close().await.unwrap();
        (token.expose().to_owned(), user_id, audit.entries)
    };

    // Reopened: the token still opens the tenant, and everything is there.
    let prov = open(&path).await;
    assert_eq!(prov.tenant_ids().await.unwrap(), ["acme"]);
    let scim = prov.dispatcher().config(Config::default()).build();
    let (status, body) = call(&scim, &token, "GET", &format!("/Users/{user_id}"), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["userName"], "ada@example.com");
    let (status, _) = call(&scim, "not-the-token", "GET", "/Users", None).await;
    assert_eq!(status, 401);
    let account = prov.account_of_user("acme", &user_id).await.unwrap();
    assert_eq!(account.map(|a| a.email), Some("ada@example.com".to_owned()));
    let audit = prov.backend().audit_page("acme", 0, 100).await.unwrap();
    assert_eq!(audit.entries, audit_before);
    let seqs: Vec<u64> = audit.entries.iter().map(|e| e.seq).collect();
    let expected: Vec<u64> = (1..=seqs.len() as u64).collect();
    assert_eq!(seqs, expected, "a tenant's log counts from 1");

    // A suspension is one more audited change; deleting the User removes its account link.
    let (status, body) = call(&scim, &token, "DELETE", &format!("/Users/{user_id}"), None).await;
    assert_eq!(status, 204, "{body}");
    let audit = prov.backend().audit_page("acme", 0, 100).await.unwrap();
    assert!(audit.entries.len() > audit_before.len());
}

#[tokio::test(flavor = "current_thread")]
async fn the_audit_log_keeps_within_its_bounds() {
    use scimkit_policy::AuditLimits;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("audit.db"), &SqliteOptions::new())
        .await
        .unwrap();
    let prov = Provisioning::with_backend(store)
        .with_audit_limits(AuditLimits::default().with_max_entries(3));
    prov.create_tenant("t", IdpDialect::Generic).await.unwrap();
    for d in ["a.test", "b.test", "c.test", "d.test", "e.test"] {
        prov.add_domain("t", d, RegistrationMode::DoNotAdd)
            .await
            .unwrap();
    }
    let page = prov.backend().audit_page("t", 0, 100).await.unwrap();
    assert_eq!(page.entries.len(), 3);
    let seqs: Vec<u64> = page.entries.iter().map(|e| e.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    let last = *seqs.last().unwrap();
    assert!(last >= 5, "sequence numbers are never reused: {seqs:?}");
    let bytes = prov.backend().audit_bytes("t").await.unwrap();
    let counted: usize = page
        .entries
        .iter()
        .map(|e| serde_json::to_vec(e).unwrap().len())
        .sum();
    assert_eq!(bytes, counted);
    let paged = prov.backend().audit_page("t", 0, 2).await.unwrap();
    assert_eq!(paged.entries.len(), 2);
    assert_eq!(paged.next, Some(paged.entries[1].seq));
}

/// scimkit-testkit's provisioning-state suite on a SQLite file per check (tenants and tokens,
/// accounts following SCIM writes, paging, audit retention, a failure injected between the
/// resource write and the account write).
#[tokio::test(flavor = "current_thread")]
async fn the_provisioning_state_suite_passes_on_sqlite() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let n = AtomicUsize::new(0);
    scimkit_testkit::provisioning::run_all(|| {
        let path = dir
            .path()
            .join(format!("state-{}.db", n.fetch_add(1, Ordering::Relaxed)));
        async move {
            SqliteStore::open(&path, &SqliteOptions::new())
                .await
                .unwrap()
        }
    })
    .await;
}
