//! Shared by `tests/policy_*.rs`: a dispatcher wired to `Provisioning` (hooks + authenticator)
//! and the admin API over the same state, with two tenants: `entra` (Entra ID) and `okta`.
//! Request shapes follow `tests/fixtures/entra/*.json` and `tests/fixtures/okta/*.json`.
#![allow(clippy::unwrap_used, dead_code)]

use bytes::Bytes;
use futures_executor::block_on;
use http::Request;
use scimkit::dispatch::{Config, Dispatcher};
use scimkit::provisioning::{AdminApi, MemoryBackend, Provisioning};
use serde_json::{json, Value};

pub const ADMIN_TOKEN: &str = "policy-tests-admin-token";
pub const BASE_URL: &str = "https://scim.example.com/scim/v2";

pub type Scim = Dispatcher<MemoryBackend, Provisioning, Provisioning>;

/// The two identity providers and the request shapes each sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idp {
    Entra,
    Okta,
}

pub const BOTH: [Idp; 2] = [Idp::Entra, Idp::Okta];

impl Idp {
    pub fn tenant(self) -> &'static str {
        match self {
            Idp::Entra => "entra",
            Idp::Okta => "okta",
        }
    }

    fn dialect(self) -> &'static str {
        match self {
            Idp::Entra => "entraId",
            Idp::Okta => "okta",
        }
    }

    /// `POST /Users` as the IdP sends it.
    pub fn create(self, email: &str, given: &str, family: &str) -> Value {
        match self {
            // tests/fixtures/entra/user-operations.json "Create User"
            Idp::Entra => json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                "externalId": format!("ext-{email}"),
                "userName": email,
                "active": true,
                "emails": [{"primary": true, "type": "work", "value": email}],
                "meta": {"resourceType": "User"},
                "name": {"formatted": format!("{given} {family}"), "familyName": family, "givenName": given},
                "roles": []
            }),
            // tests/fixtures/okta/users.json "Create the User with custom attributes"
            Idp::Okta => json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": email,
                "name": {"givenName": given, "familyName": family},
                "emails": [{"primary": true, "value": email, "type": "work"}],
                "displayName": format!("{given} {family}"),
                "locale": "en-US",
                "groups": [],
                "password": "1mz050nq",
                "active": true
            }),
        }
    }

    /// An update of the given name: Entra ID PATCHes (`"op":"Replace"` with a path, or the
    /// path-less `aadOptscim062020` form), Okta PUTs the full object it read, echoing `id`,
    /// `meta`, `groups` and `password`.
    pub fn rename(self, current: &Value, given: &str, pathless: bool) -> (&'static str, Value) {
        match self {
            Idp::Entra if pathless => (
                "PATCH",
                patch(json!([{"op": "replace", "value": {
                    "name.givenName": given,
                    "displayName": format!("{given} {}", current["name"]["familyName"].as_str().unwrap_or(""))
                }}])),
            ),
            Idp::Entra => (
                "PATCH",
                patch(json!([{"op": "Replace", "path": "name.givenName", "value": given}])),
            ),
            Idp::Okta => {
                let mut body = okta_put_body(current);
                body["name"]["givenName"] = json!(given);
                ("PUT", body)
            }
        }
    }

    /// A change of `userName` to `new`.
    pub fn set_user_name(self, current: &Value, new: &str) -> (&'static str, Value) {
        match self {
            Idp::Entra => (
                "PATCH",
                patch(json!([{"op": "Replace", "path": "userName", "value": new}])),
            ),
            Idp::Okta => {
                let mut body = okta_put_body(current);
                body["userName"] = json!(new);
                ("PUT", body)
            }
        }
    }

    /// Deactivation / reactivation: Entra ID's `"op":"Replace"` with the string `"False"`,
    /// Okta's path-less `{"op":"replace","value":{"active":false}}`.
    pub fn set_active(self, active: bool) -> Value {
        match self {
            Idp::Entra => patch(json!([{"op": "Replace", "path": "active",
                                         "value": if active { "True" } else { "False" }}])),
            Idp::Okta => patch(json!([{"op": "replace", "value": {"active": active}}])),
        }
    }
}

/// Okta's full-object PUT: what it read, plus `groups` and `password`.
pub fn okta_put_body(current: &Value) -> Value {
    let mut body = current.clone();
    body["groups"] = json!([]);
    body["password"] = json!("t0p-s3cret");
    body
}

pub fn patch(ops: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub body: Value,
}

pub struct Env {
    pub prov: Provisioning,
    pub scim: Scim,
    pub admin: AdminApi,
    /// The current SCIM token of each tenant (`entra`, `okta`).
    pub tokens: std::collections::HashMap<String, String>,
}

fn send<F>(handle: F, method: &str, path: &str, token: &str, body: Option<&Value>) -> Resp
where
    F: FnOnce(Request<Bytes>) -> http::Response<Bytes>,
{
    let mut req = Request::builder()
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
    let resp = handle(req.body(bytes).unwrap());
    let status = resp.status().as_u16();
    let body = if resp.body().is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(resp.body()).unwrap()
    };
    Resp { status, body }
}

impl Env {
    /// Both tenants created and enabled through the admin API.
    pub fn new() -> Self {
        let prov = Provisioning::new();
        let scim = prov.dispatcher().config(Config::default()).build();
        let admin = AdminApi::new(prov.clone(), ADMIN_TOKEN, BASE_URL).with_base_path("/admin");
        let mut env = Env {
            prov,
            scim,
            admin,
            tokens: Default::default(),
        };
        for idp in BOTH {
            let r = env.admin(
                "POST",
                "/admin/tenants",
                Some(json!({"id": idp.tenant(), "idp": idp.dialect()})),
            );
            assert_eq!(r.status, 201, "{r:?}");
            env.enable(idp);
        }
        env
    }

    /// Enables provisioning through the admin API and keeps the new token.
    pub fn enable(&mut self, idp: Idp) -> String {
        let r = self.admin(
            "POST",
            &format!("/admin/tenants/{}/provisioning/enable", idp.tenant()),
            None,
        );
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.body["scimBaseUrl"], BASE_URL);
        let token = r.body["token"].as_str().unwrap().to_owned();
        self.tokens.insert(idp.tenant().to_owned(), token.clone());
        token
    }

    pub fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Resp {
        send(
            |r| block_on(self.admin.handle_bytes(r)),
            method,
            path,
            ADMIN_TOKEN,
            body.as_ref(),
        )
    }

    pub fn scim_with(&self, token: &str, method: &str, path: &str, body: Option<&Value>) -> Resp {
        send(
            |r| block_on(self.scim.handle_bytes(r)),
            method,
            path,
            token,
            body,
        )
    }

    pub fn scim(&self, idp: Idp, method: &str, path: &str, body: Option<&Value>) -> Resp {
        let token = self.tokens[idp.tenant()].clone();
        self.scim_with(&token, method, path, body)
    }

    /// Creates a user the IdP's way; returns the created resource.
    pub fn create(&self, idp: Idp, email: &str, given: &str, family: &str) -> Value {
        let r = self.scim(
            idp,
            "POST",
            "/Users",
            Some(&idp.create(email, given, family)),
        );
        assert_eq!(r.status, 201, "{r:?}");
        r.body
    }

    pub fn get_user(&self, idp: Idp, id: &str) -> Resp {
        self.scim(idp, "GET", &format!("/Users/{id}"), None)
    }

    /// The account as the admin API shows it.
    pub fn account(&self, idp: Idp, email: &str) -> Value {
        let r = self.admin(
            "GET",
            &format!("/admin/tenants/{}/accounts/{email}", idp.tenant()),
            None,
        );
        assert_eq!(r.status, 200, "{r:?}");
        r.body
    }

    /// Every SCIM User of the tenant as the IdP reads it.
    pub fn users(&self, idp: Idp) -> Value {
        let r = self.scim(idp, "GET", "/Users", None);
        assert_eq!(r.status, 200, "{r:?}");
        r.body["Resources"].clone()
    }

    /// Every account of the tenant as the admin API shows it.
    pub fn accounts(&self, idp: Idp) -> Value {
        let r = self.admin(
            "GET",
            &format!("/admin/tenants/{}/accounts", idp.tenant()),
            None,
        );
        assert_eq!(r.status, 200, "{r:?}");
        r.body["accounts"].clone()
    }

    /// Every audit entry of the tenant, page by page (`since` = the previous page's `next`).
    pub fn audit(&self, idp: Idp) -> Vec<Value> {
        let mut entries = Vec::new();
        let mut since = 0;
        loop {
            let r = self.admin(
                "GET",
                &format!(
                    "/admin/tenants/{}/audit?since={since}&limit=1000",
                    idp.tenant()
                ),
                None,
            );
            assert_eq!(r.status, 200, "{r:?}");
            entries.extend(r.body["entries"].as_array().unwrap().iter().cloned());
            match r.body.get("next").and_then(Value::as_u64) {
                Some(next) => since = next,
                None => return entries,
            }
        }
    }
}
