//! `Provisioning` under concurrent SCIM writes (Entra ID and Okta shapes, members of groups
//! included) and admin suspensions: afterwards every account matches what the IdP reads, every
//! suspension made is still there, and the audit log holds one applied entry per write.
#![allow(clippy::unwrap_used)]

mod policy_common;

use futures_executor::block_on;
use policy_common::{Env, Idp, BOTH};
use serde_json::json;
use std::sync::Arc;

const USERS: usize = 12;
const ROUNDS: usize = 10;

#[test]
fn concurrent_scim_writes_and_admin_suspensions_keep_accounts_consistent() {
    for idp in BOTH {
        let env = Arc::new(Env::new());
        let ids: Vec<String> = (0..USERS)
            .map(|i| {
                env.create(
                    idp,
                    &format!("user{i}@example.com"),
                    "User",
                    &format!("N{i}"),
                )["id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        // A group with every user, so the store's computed `groups` shows up on each User.
        let members: Vec<_> = ids.iter().map(|id| json!({"value": id})).collect();
        let g = env.scim(
            idp,
            "POST",
            "/Groups",
            Some(
                &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                         "displayName": "All", "members": members}),
            ),
        );
        assert_eq!(g.status, 201, "{g:?}");
        let audit_before = env.audit(idp).len();

        let mut handles = Vec::new();
        for worker in 0..4 {
            let env = Arc::clone(&env);
            let ids = ids.clone();
            handles.push(std::thread::spawn(move || {
                let mut writes = 0;
                for round in 0..ROUNDS {
                    for (i, id) in ids.iter().enumerate() {
                        if i % 4 != worker {
                            continue;
                        }
                        let active = (round + i) % 2 == 0;
                        let r = env.scim(
                            idp,
                            "PATCH",
                            &format!("/Users/{id}"),
                            Some(&idp.set_active(active)),
                        );
                        assert_eq!(r.status, 200, "{r:?}");
                        writes += 1;
                        let current = env.get_user(idp, id).body;
                        let (method, body) =
                            idp.rename(&current, &format!("R{round}"), round % 2 == 0);
                        let r = env.scim(idp, method, &format!("/Users/{id}"), Some(&body));
                        assert_eq!(r.status, 200, "{r:?}");
                        writes += 1;
                    }
                }
                writes
            }));
        }
        let admin = {
            let env = Arc::clone(&env);
            std::thread::spawn(move || {
                for round in 0..ROUNDS {
                    for i in 0..USERS {
                        let action = if (round + i) % 3 == 0 {
                            "suspend"
                        } else {
                            "unsuspend"
                        };
                        let r = env.admin(
                            "POST",
                            &format!(
                                "/admin/tenants/{}/accounts/user{i}@example.com/{action}",
                                idp.tenant()
                            ),
                            None,
                        );
                        assert_eq!(r.status, 200, "{r:?}");
                    }
                }
            })
        };
        let writes: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        admin.join().unwrap();

        let last_round = ROUNDS - 1;
        for (i, id) in ids.iter().enumerate() {
            let read = env.get_user(idp, id).body;
            let account = env.account(idp, &format!("user{i}@example.com"));
            assert_eq!(read["active"], account["scimActive"], "{idp:?} user{i}");
            assert_eq!(read["active"], json!((last_round + i) % 2 == 0));
            assert_eq!(read["name"]["givenName"], format!("R{last_round}"));
            assert_eq!(account["registeredName"], format!("User N{i}"));
            assert_eq!(account["adminSuspended"], json!((last_round + i) % 3 == 0));
            assert_eq!(account["scimId"], json!(id));
        }
        let applied = env.audit(idp)[audit_before..]
            .iter()
            .filter(|e| e["record"]["actor"] == "scim")
            .count();
        assert_eq!(applied, writes, "{idp:?}: one audit entry per SCIM write");
    }
}

#[test]
fn tokens_are_per_tenant() {
    let env = Env::new();
    let entra = env.create(Idp::Entra, "ada@example.com", "Ada", "Lovelace");
    let id = entra["id"].as_str().unwrap();
    assert_eq!(env.get_user(Idp::Okta, id).status, 404);
    assert!(block_on(env.prov.account("okta", "ada@example.com"))
        .unwrap()
        .is_none());
    assert!(block_on(env.prov.account("entra", "ada@example.com"))
        .unwrap()
        .is_some());
}
