//! Property: random sequences of SCIM requests (Entra ID and Okta shapes, through the
//! dispatcher) and admin operations (through the admin API) keep the two views of a user apart.
//!
//! After every step:
//! - no SCIM operation changes `admin_suspended`, the template or the registered name of an
//!   account that existed before it;
//! - no admin operation changes the SCIM resource the IdP reads (its `active` included);
//! - the `active` the IdP reads is the account's `scim_active`, and effective access is
//!   `scim_active && !admin_suspended`;
//! - a rejected operation (4xx) leaves both views unchanged.
#![allow(clippy::unwrap_used)]

mod policy_common;

use futures_executor::block_on;
use policy_common::{patch, Env, Idp};
use proptest::prelude::*;
use scimkit::dispatch::{Hooks, Principal, Store, TenantId};
use scimkit::policy::Account;
use scimkit::provisioning::MemoryBackend;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const EMAILS: [&str; 3] = ["ada@example.com", "grace@example.com", "hedy@example.org"];
const NAMES: [&str; 3] = ["Augusta", "Amazing", "Hedwig"];

#[derive(Debug, Clone)]
enum Step {
    Create(usize, usize),
    Rename(usize, usize, bool),
    SetUserName(usize, usize, bool),
    SetActive(usize, bool),
    SetTitle(usize),
    BadPatch(usize),
    Delete(usize),
    Suspend(usize),
    Unsuspend(usize),
    AddAccount(usize, bool),
    CreateTemplate(usize),
    SetDefault(u64),
    AddDomain(bool),
    Disable,
    Enable,
    Rotate,
}

fn step() -> impl Strategy<Value = Step> {
    let u = 0..EMAILS.len();
    let n = 0..NAMES.len();
    prop_oneof![
        3 => (u.clone(), n.clone()).prop_map(|(u, n)| Step::Create(u, n)),
        2 => (u.clone(), n.clone(), any::<bool>()).prop_map(|(u, n, p)| Step::Rename(u, n, p)),
        2 => (u.clone(), u.clone(), any::<bool>()).prop_map(|(u, o, c)| Step::SetUserName(u, o, c)),
        3 => (u.clone(), any::<bool>()).prop_map(|(u, a)| Step::SetActive(u, a)),
        1 => u.clone().prop_map(Step::SetTitle),
        1 => u.clone().prop_map(Step::BadPatch),
        1 => u.clone().prop_map(Step::Delete),
        2 => u.clone().prop_map(Step::Suspend),
        2 => u.clone().prop_map(Step::Unsuspend),
        1 => (u, any::<bool>()).prop_map(|(u, d)| Step::AddAccount(u, d)),
        1 => n.prop_map(Step::CreateTemplate),
        1 => (1u64..4).prop_map(Step::SetDefault),
        1 => any::<bool>().prop_map(Step::AddDomain),
        1 => Just(Step::Disable),
        1 => Just(Step::Enable),
        1 => Just(Step::Rotate),
    ]
}

impl Step {
    fn is_admin(&self) -> bool {
        matches!(
            self,
            Step::Suspend(_)
                | Step::Unsuspend(_)
                | Step::AddAccount(..)
                | Step::CreateTemplate(_)
                | Step::SetDefault(_)
                | Step::AddDomain(_)
                | Step::Disable
                | Step::Enable
                | Step::Rotate
        )
    }
}

struct World {
    env: Env,
    idp: Idp,
    /// SCIM ids of the users the IdP created, by email.
    ids: BTreeMap<String, String>,
    /// The last token issued (the IdP keeps using it while provisioning is off).
    token: String,
}

impl World {
    fn tenant(&self) -> &'static str {
        self.idp.tenant()
    }

    /// Every account, by email.
    fn accounts(&self) -> BTreeMap<String, Account> {
        block_on(self.env.prov.accounts(self.tenant()))
            .unwrap()
            .into_iter()
            .map(|a| (a.email.to_lowercase(), a))
            .collect()
    }

    /// Every SCIM User as the IdP reads it: the stored resource through the dispatcher's read
    /// hook (which works while provisioning is off, unlike a GET).
    fn idp_views(&self) -> BTreeMap<String, Value> {
        let tenant = TenantId::new(self.tenant());
        let principal = Principal::new(tenant.clone());
        self.ids
            .values()
            .filter_map(|id| {
                let stored = block_on(self.env.scim.store().get(&tenant, "User", id)).unwrap()?;
                let view = Hooks::<MemoryBackend>::on_read(
                    &self.env.prov,
                    &principal,
                    "User",
                    &stored.resource,
                )
                .unwrap_or_else(|| (*stored.resource).clone());
                Some((id.clone(), view))
            })
            .collect()
    }

    /// The SCIM id of user `u`, or else of another user the IdP created (so that most updates
    /// find a user), or none.
    fn user(&self, u: usize) -> Option<&String> {
        self.ids
            .get(EMAILS[u])
            .or_else(|| self.ids.values().nth(u % self.ids.len().max(1)))
    }

    fn scim(&self, method: &str, path: &str, body: Option<&Value>) -> u16 {
        self.env.scim_with(&self.token, method, path, body).status
    }

    fn admin(&self, method: &str, path: &str, body: Option<Value>) -> policy_common::Resp {
        self.env.admin(
            method,
            &format!("/admin/tenants/{}{path}", self.tenant()),
            body,
        )
    }

    /// Runs a step; returns its HTTP status.
    fn run(&mut self, step: &Step) -> u16 {
        let idp = self.idp;
        let missing = "00000000-missing".to_string();
        match *step {
            Step::Create(u, n) => {
                let r = self.env.scim_with(
                    &self.token,
                    "POST",
                    "/Users",
                    Some(&idp.create(EMAILS[u], NAMES[n], "Tester")),
                );
                if r.status == 201 {
                    self.ids
                        .insert(EMAILS[u].into(), r.body["id"].as_str().unwrap().into());
                }
                r.status
            }
            Step::Rename(u, n, pathless) => {
                let id = self.user(u).unwrap_or(&missing).clone();
                let current = self.idp_views().remove(&id).unwrap_or(json!({}));
                let (m, body) = idp.rename(&current, NAMES[n], pathless);
                self.scim(m, &format!("/Users/{id}"), Some(&body))
            }
            Step::SetUserName(u, other, upper) => {
                let id = self.user(u).unwrap_or(&missing).clone();
                let current = self.idp_views().remove(&id).unwrap_or(json!({}));
                let new = if upper {
                    EMAILS[other].to_uppercase()
                } else {
                    EMAILS[other].to_owned()
                };
                let (m, body) = idp.set_user_name(&current, &new);
                self.scim(m, &format!("/Users/{id}"), Some(&body))
            }
            Step::SetActive(u, active) => {
                let id = self.user(u).unwrap_or(&missing).clone();
                self.scim(
                    "PATCH",
                    &format!("/Users/{id}"),
                    Some(&idp.set_active(active)),
                )
            }
            Step::SetTitle(u) => {
                let id = self.user(u).unwrap_or(&missing).clone();
                let body = patch(json!([{"op": "Add", "path": "title", "value": "Engineer"}]));
                self.scim("PATCH", &format!("/Users/{id}"), Some(&body))
            }
            Step::BadPatch(u) => {
                let id = self.user(u).unwrap_or(&missing).clone();
                let body = patch(json!([{"op": "replace", "path": "active", "value": "maybe"}]));
                self.scim("PATCH", &format!("/Users/{id}"), Some(&body))
            }
            Step::Delete(u) => {
                let id = self.user(u).unwrap_or(&missing).clone();
                let status = self.scim("DELETE", &format!("/Users/{id}"), None);
                if status == 204 {
                    self.ids.retain(|_, v| *v != id);
                }
                status
            }
            Step::Suspend(u) => {
                self.admin("POST", &format!("/accounts/{}/suspend", EMAILS[u]), None)
                    .status
            }
            Step::Unsuspend(u) => {
                self.admin("POST", &format!("/accounts/{}/unsuspend", EMAILS[u]), None)
                    .status
            }
            Step::AddAccount(u, auto) => {
                let via = if auto { "domainAutoAdd" } else { "manual" };
                self.admin(
                    "POST",
                    "/accounts",
                    Some(json!({"email": EMAILS[u], "name": "Self Registered", "joinedVia": via})),
                )
                .status
            }
            Step::CreateTemplate(n) => {
                self.admin("POST", "/templates", Some(json!({"name": NAMES[n]})))
                    .status
            }
            Step::SetDefault(t) => {
                self.admin("PUT", "/templates/default", Some(json!({"template": t})))
                    .status
            }
            Step::AddDomain(auto) => {
                let mode = if auto { "addAutomatically" } else { "doNotAdd" };
                self.admin(
                    "POST",
                    "/domains",
                    Some(json!({"domain": "example.com", "mode": mode})),
                )
                .status
            }
            Step::Disable => self.admin("POST", "/provisioning/disable", None).status,
            Step::Enable | Step::Rotate => {
                let action = if matches!(step, Step::Enable) {
                    "enable"
                } else {
                    "rotate"
                };
                let r = self.admin("POST", &format!("/provisioning/{action}"), None);
                if r.status == 200 {
                    self.token = r.body["token"].as_str().unwrap().to_owned();
                }
                r.status
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_scim_and_admin_sequences_keep_the_two_views_apart(
        okta in any::<bool>(),
        steps in prop::collection::vec(step(), 1..24),
    ) {
        let idp = if okta { Idp::Okta } else { Idp::Entra };
        let env = Env::new();
        let token = env.tokens[idp.tenant()].clone();
        let mut w = World { env, idp, ids: BTreeMap::new(), token };
        for step in &steps {
            let accounts_before = w.accounts();
            let views_before = w.idp_views();
            let status = w.run(step);
            prop_assert!(status < 500, "{step:?} answered {status}");
            let accounts = w.accounts();
            let views = w.idp_views();
            if status >= 400 {
                prop_assert_eq!(&accounts, &accounts_before, "rejected {:?} changed an account", step);
                prop_assert_eq!(&views, &views_before, "rejected {:?} changed a SCIM resource", step);
            }
            if step.is_admin() {
                prop_assert_eq!(&views, &views_before, "admin {:?} changed what the IdP reads", step);
            } else {
                for (email, before) in &accounts_before {
                    let after = &accounts[email];
                    prop_assert_eq!(after.admin_suspended, before.admin_suspended, "{:?}", step);
                    prop_assert_eq!(after.template, before.template, "{:?}", step);
                    prop_assert_eq!(&after.registered_name, &before.registered_name, "{:?}", step);
                }
            }
            for (email, id) in &w.ids {
                let account = block_on(w.env.prov.account_of_user(w.tenant(), id)).unwrap().unwrap();
                prop_assert!(account.email.eq_ignore_ascii_case(email));
                prop_assert_eq!(&views[id]["active"], &json!(account.scim_active), "{:?}", step);
                let shown = w.env.account(idp, email);
                prop_assert_eq!(
                    &shown["effectiveAccess"],
                    &json!(account.scim_active && !account.admin_suspended)
                );
            }
        }
    }
}
