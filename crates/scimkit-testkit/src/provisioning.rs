//! The provisioning-state suite: what [`Provisioning`] needs of a [`ProvisioningState`]
//! backend — tenants and their tokens, accounts (by email and by SCIM User, paged), the audit
//! log (paged, bounded) and one transaction per write — checked through a real dispatcher and
//! the admin operations.
//!
//! Each check takes a fresh, empty backend and panics with a message naming what differs.

use crate::client::encode;
use crate::population;
use bytes::Bytes;
use scimkit_dispatch::Dispatcher;
use scimkit_policy::{AuditLimits, AuditRecord, IdpDialect, JoinedVia};
use scimkit_provisioning::{AccountPage, Provisioning, ProvisioningState, MAX_ACCOUNT_PAGE};
use serde_json::{json, Value};

mod failing;
pub use failing::FailingAccounts;

/// Runs every check of the suite, each on a fresh backend from `factory`.
pub async fn run_all<B, F, Fut>(factory: F)
where
    B: ProvisioningState,
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = B>,
{
    tenants_and_tokens(factory().await).await;
    accounts_follow_scim_writes(factory().await).await;
    account_paging(factory().await).await;
    audit_paging_and_retention(factory().await).await;
    a_failed_account_write_leaves_nothing(factory().await).await;
}

/// A dispatcher over the backend with `prov` as authenticator and hooks, and a way to call it.
struct Scim<B: ProvisioningState> {
    scim: Dispatcher<B, Provisioning<B>, Provisioning<B>>,
}

impl<B: ProvisioningState> Scim<B> {
    fn new(prov: &Provisioning<B>) -> Self {
        Scim {
            scim: prov.dispatcher().build(),
        }
    }

    async fn call(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut request = http::Request::builder()
            .method(method)
            .uri(path)
            .header("Authorization", format!("Bearer {token}"));
        let bytes = match body {
            Some(v) => {
                request = request.header("Content-Type", "application/scim+json");
                Bytes::from(v.to_string())
            }
            None => Bytes::new(),
        };
        let response = self
            .scim
            .handle_bytes(request.body(bytes).expect("a valid request"))
            .await;
        let body = match response.body().is_empty() {
            true => Value::Null,
            false => serde_json::from_slice(response.body()).expect("a JSON answer"),
        };
        (response.status().as_u16(), body)
    }
}

async fn tenant<B: ProvisioningState>(prov: &Provisioning<B>, id: &str) -> String {
    prov.create_tenant(id, IdpDialect::EntraId)
        .await
        .expect("a new tenant");
    prov.enable_provisioning(id)
        .await
        .expect("provisioning on")
        .expose()
        .to_owned()
}

/// Tenants are kept with their settings; tokens lead to their tenant only; disable, rotate
/// and revoke are kept; a duplicate tenant is refused.
pub async fn tenants_and_tokens<B: ProvisioningState>(backend: B) {
    let prov = Provisioning::with_backend(backend.clone());
    let a = tenant(&prov, "a").await;
    let b = tenant(&prov, "b").await;
    assert!(prov.create_tenant("a", IdpDialect::Okta).await.is_err());
    assert_eq!(prov.tenant_ids().await.expect("ids"), ["a", "b"]);
    prov.create_template("a", "Engineering")
        .await
        .expect("a template");
    let kept = backend
        .load_tenant("a")
        .await
        .expect("a read")
        .expect("tenant a");
    assert_eq!(kept.tenant.templates().len(), 2, "the new template is kept");
    assert!(
        kept.tenant.audit_log().next().is_none(),
        "a kept tenant's own log is empty: its entries are in the backend's log"
    );

    let scim = Scim::new(&prov);
    let user = population::user(1);
    let (status, created) = scim.call(&a, "POST", "/Users", Some(&user)).await;
    assert_eq!(status, 201, "{created}");
    let path = format!("/Users/{}", created["id"].as_str().unwrap_or_default());
    assert_eq!(
        scim.call(&b, "GET", &path, None).await.0,
        404,
        "tenant b cannot see a's user"
    );

    let rotated = prov.rotate_token("a").await.expect("rotated");
    assert_eq!(
        scim.call(&a, "GET", &path, None).await.0,
        401,
        "the old token"
    );
    assert_eq!(scim.call(rotated.expose(), "GET", &path, None).await.0, 200);
    prov.disable_provisioning("a").await.expect("disabled");
    let (status, body) = scim.call(rotated.expose(), "GET", &path, None).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.to_string().contains("disabled"), "{body}");
    let fresh = prov.enable_provisioning("a").await.expect("enabled");
    assert_eq!(scim.call(rotated.expose(), "GET", &path, None).await.0, 401);
    assert_eq!(scim.call(fresh.expose(), "GET", &path, None).await.0, 200);
    prov.revoke_token("a").await.expect("revoked");
    assert_eq!(scim.call(fresh.expose(), "GET", &path, None).await.0, 401);
    assert_eq!(
        scim.call(&b, "GET", "/Users", None).await.0,
        200,
        "b is untouched"
    );
}

/// A SCIM create makes an account linked to its User; a PATCH of `active` reaches it; a
/// DELETE ends its membership and unlinks it; the account is found by any letter case of its
/// email and by its User id.
pub async fn accounts_follow_scim_writes<B: ProvisioningState>(backend: B) {
    let prov = Provisioning::with_backend(backend.clone());
    let token = tenant(&prov, "a").await;
    let scim = Scim::new(&prov);
    let user = population::user(7);
    let email = user["userName"].as_str().unwrap_or_default().to_owned();
    let (status, created) = scim.call(&token, "POST", "/Users", Some(&user)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap_or_default().to_owned();

    let stored = prov
        .stored_account("a", &email.to_uppercase())
        .await
        .expect("a read")
        .expect("the account, by any letter case of its email");
    assert_eq!(stored.user_id.as_deref(), Some(id.as_str()));
    assert!(stored.account.managed_by_scim);
    let by_user = prov.account_of_user("a", &id).await.expect("a read");
    assert_eq!(by_user.as_ref(), Some(&stored.account));

    let off = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": false}]});
    let path = format!("/Users/{id}");
    let (status, body) = scim.call(&token, "PATCH", &path, Some(&off)).await;
    assert_eq!(status, 200, "{body}");
    let account = prov
        .account("a", &email)
        .await
        .expect("a read")
        .expect("kept");
    assert!(!account.scim_active, "the IdP's active reached the account");

    assert_eq!(scim.call(&token, "DELETE", &path, None).await.0, 204);
    let after = prov
        .stored_account("a", &email)
        .await
        .expect("a read")
        .expect("retained");
    assert!(!after.account.is_member(), "membership ended");
    assert_eq!(after.user_id, None, "unlinked");
    assert!(prov
        .account_of_user("a", &id)
        .await
        .expect("a read")
        .is_none());
}

/// 2,500 accounts: pages of at most [`MAX_ACCOUNT_PAGE`] walk every account once in email
/// order; a search finds by email or name ignoring case.
pub async fn account_paging<B: ProvisioningState>(backend: B) {
    let prov = Provisioning::with_backend(backend);
    tenant(&prov, "a").await;
    for i in 0..2_500 {
        prov.add_account(
            "a",
            &format!("User{i:04}@Example.com"),
            &format!("Name {i}"),
            JoinedVia::Invite,
        )
        .await
        .expect("an account");
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page: AccountPage = prov
            .accounts_page("a", cursor.as_deref(), 5_000, None)
            .await
            .expect("a page");
        assert!(page.accounts.len() <= MAX_ACCOUNT_PAGE);
        seen.extend(page.accounts.into_iter().map(|(a, _)| a.email));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), 2_500);
    assert!(seen
        .windows(2)
        .all(|w| w[0].to_lowercase() < w[1].to_lowercase()));
    let found = prov
        .accounts_page("a", None, 100, Some("USER12"))
        .await
        .expect("a search");
    assert_eq!(found.accounts.len(), 100, "user1200..user1299");
    let by_name = prov
        .accounts_page("a", None, 100, Some("name 2499"))
        .await
        .expect("a search");
    assert_eq!(by_name.accounts.len(), 1);
    assert!(prov
        .add_account("a", "user0001@example.COM", "Again", JoinedVia::Invite)
        .await
        .is_err());
}

/// Audit entries come back in order, page by page, after any sequence number; a tenant's
/// log keeps within its entry and byte limits, dropping the oldest.
pub async fn audit_paging_and_retention<B: ProvisioningState>(backend: B) {
    let prov = Provisioning::with_backend(backend.clone());
    tenant(&prov, "a").await;
    prov.set_audit_limits("a", AuditLimits::default().with_max_entries(50))
        .await
        .expect("limits");
    for i in 0..120 {
        prov.create_template("a", &format!("T{i}"))
            .await
            .expect("a template");
    }
    let mut seqs = Vec::new();
    let mut since = 0;
    loop {
        let page = prov.audit_page("a", since, 7).await.expect("a page");
        assert!(page.entries.len() <= 7);
        seqs.extend(page.entries.iter().map(|e| e.seq));
        match page.next {
            Some(next) => since = next,
            None => break,
        }
    }
    assert_eq!(seqs.len(), 50, "at most 50 entries kept");
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    let last = *seqs.last().unwrap_or(&0);
    let page = prov.audit_page("a", last - 3, 100).await.expect("a page");
    assert_eq!(page.entries.len(), 3);
    assert!(matches!(page.entries[0].record, AuditRecord::Admin { .. }));

    prov.set_audit_limits("a", AuditLimits::default().with_max_bytes(4 * 1024))
        .await
        .expect("limits");
    for i in 0..200 {
        prov.create_template("a", &format!("Template with a longer name {i}"))
            .await
            .expect("a template");
    }
    let bytes = prov.audit_bytes("a").await.expect("bytes");
    assert!(bytes <= 4 * 1024, "the byte budget holds: {bytes}");
}

/// A failure between the resource write and the account write (injected in the backend's
/// `save_account`): the create, the PATCH and the DELETE each answer 500 and leave neither a
/// resource change, nor an account change, nor an audit record.
pub async fn a_failed_account_write_leaves_nothing<B: ProvisioningState>(backend: B) {
    let failing = FailingAccounts::new(backend);
    let prov = Provisioning::with_backend(failing.clone());
    let token = tenant(&prov, "a").await;
    let scim = Scim::new(&prov);
    let user = population::user(3);
    let email = user["userName"].as_str().unwrap_or_default().to_owned();
    let (status, created) = scim.call(&token, "POST", "/Users", Some(&user)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap_or_default().to_owned();
    let path = format!("/Users/{id}");
    let account_before = prov.stored_account("a", &email).await.expect("a read");
    let audit_before = prov.audit_page("a", 0, 1000).await.expect("a page");

    failing.fail(true);
    let other = population::user(4);
    let other_email = other["userName"].as_str().unwrap_or_default().to_owned();
    let (status, body) = scim.call(&token, "POST", "/Users", Some(&other)).await;
    assert_eq!(status, 500, "create: {body}");
    let filter = encode(&format!("userName eq \"{other_email}\""));
    let (_, list) = scim
        .call(&token, "GET", &format!("/Users?filter={filter}"), None)
        .await;
    assert_eq!(
        list["totalResults"], 0,
        "no user without its account: {list}"
    );
    assert!(prov
        .account("a", &other_email)
        .await
        .expect("a read")
        .is_none());

    let off = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": false}]});
    assert_eq!(scim.call(&token, "PATCH", &path, Some(&off)).await.0, 500);
    assert_eq!(scim.call(&token, "DELETE", &path, None).await.0, 500);
    failing.fail(false);

    let (status, read) = scim.call(&token, "GET", &path, None).await;
    assert_eq!(status, 200, "the user is still there");
    assert_eq!(read["active"], created["active"], "the PATCH left nothing");
    assert_eq!(read["meta"]["version"], created["meta"]["version"]);
    assert_eq!(
        prov.stored_account("a", &email).await.expect("a read"),
        account_before,
        "the account is as it was"
    );
    assert_eq!(
        prov.audit_page("a", 0, 1000).await.expect("a page"),
        audit_before,
        "no audit record of a write that did not happen"
    );
}
