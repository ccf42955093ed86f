//! Tenant isolation as a property: random interleaved operations of two tenants never see
//! each other's resources, ids or uniqueness conflicts, and each tenant's state matches a
//! model that knows nothing of the other.
#![allow(clippy::unwrap_used, clippy::map_entry)]

mod common;

use common::*;
use proptest::prelude::*;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone)]
enum Op {
    CreateUser(usize, u8),
    CreateGroup(usize, u8),
    AddMember {
        tenant: usize,
        group: u8,
        user: u8,
    },
    DeleteUser(usize, u8),
    Rename(usize, u8, u8),
    /// Tenant `.0` tries to read, change and delete the `.1`-th id the other tenant owns.
    Trespass(usize, u8),
}

fn op() -> impl Strategy<Value = Op> {
    let t = 0usize..2;
    prop_oneof![
        (t.clone(), 0u8..6).prop_map(|(t, n)| Op::CreateUser(t, n)),
        (t.clone(), 0u8..3).prop_map(|(t, n)| Op::CreateGroup(t, n)),
        (t.clone(), 0u8..3, 0u8..6).prop_map(|(tenant, group, user)| Op::AddMember {
            tenant,
            group,
            user
        }),
        (t.clone(), 0u8..6).prop_map(|(t, n)| Op::DeleteUser(t, n)),
        (t.clone(), 0u8..6, 0u8..6).prop_map(|(t, a, b)| Op::Rename(t, a, b)),
        (t, 0u8..8).prop_map(|(t, n)| Op::Trespass(t, n)),
    ]
}

/// What one tenant should hold: userName → id, group name → (id, member userNames).
#[derive(Debug, Default, Clone)]
struct Model {
    users: BTreeMap<String, String>,
    groups: BTreeMap<String, (String, BTreeSet<String>)>,
}

fn uname(n: u8) -> String {
    format!("user{n}@example.com")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn two_tenants_never_meet(ops in proptest::collection::vec(op(), 1..40)) {
        let base = Harness::new();
        let mut h = [Harness::with(base.scim.clone()), Harness::with(base.scim.clone())];
        h[1].token = TOKEN_TWO.to_string();
        let mut model = [Model::default(), Model::default()];
        for op in ops {
            match op {
                Op::CreateUser(t, n) => {
                    let r = h[t].post("/Users", user(&uname(n)));
                    if model[t].users.contains_key(&uname(n)) {
                        prop_assert_eq!(r.status.as_u16(), 409);
                    } else {
                        prop_assert_eq!(r.status.as_u16(), 201);
                        let id = r.body["id"].as_str().unwrap().to_string();
                        prop_assert!(!model[1 - t].users.values().any(|v| *v == id));
                        model[t].users.insert(uname(n), id);
                    }
                }
                Op::CreateGroup(t, n) => {
                    let name = format!("G{n}");
                    let r = h[t].post("/Groups", group(&name));
                    if model[t].groups.contains_key(&name) {
                        prop_assert_eq!(r.status.as_u16(), 409);
                    } else {
                        prop_assert_eq!(r.status.as_u16(), 201);
                        let id = r.body["id"].as_str().unwrap().to_string();
                        model[t].groups.insert(name, (id, BTreeSet::new()));
                    }
                }
                Op::AddMember { tenant: t, group: g, user: u } => {
                    let Some((gid, _)) = model[t].groups.get(&format!("G{g}")).cloned() else { continue };
                    // The user may belong to either tenant: only the own tenant's is accepted.
                    let own = model[t].users.get(&uname(u)).cloned();
                    let other = model[1 - t].users.get(&uname(u)).cloned();
                    for (candidate, is_own) in [(own, true), (other, false)] {
                        let Some(uid) = candidate else { continue };
                        let p = patch_op(json!([{"op": "add", "path": "members", "value": [{"value": uid}]}]));
                        let r = h[t].send("PATCH", &format!("/Groups/{gid}"), &[], Some(&p));
                        if is_own {
                            prop_assert_eq!(r.status.as_u16(), 200);
                            model[t].groups.get_mut(&format!("G{g}")).unwrap().1.insert(uname(u));
                        } else {
                            prop_assert_eq!(r.status.as_u16(), 400);
                        }
                    }
                }
                Op::DeleteUser(t, n) => {
                    if let Some(id) = model[t].users.remove(&uname(n)) {
                        prop_assert_eq!(h[t].send("DELETE", &format!("/Users/{id}"), &[], None).status.as_u16(), 204);
                        for (_, m) in model[t].groups.values_mut() {
                            m.remove(&uname(n));
                        }
                    }
                }
                Op::Rename(t, a, b) => {
                    let Some(id) = model[t].users.get(&uname(a)).cloned() else { continue };
                    let p = patch_op(json!([{"op": "replace", "path": "userName", "value": uname(b)}]));
                    let r = h[t].send("PATCH", &format!("/Users/{id}"), &[], Some(&p));
                    if a == b || !model[t].users.contains_key(&uname(b)) {
                        prop_assert_eq!(r.status.as_u16(), 200);
                        model[t].users.remove(&uname(a));
                        model[t].users.insert(uname(b), id);
                        for (_, m) in model[t].groups.values_mut() {
                            if m.remove(&uname(a)) {
                                m.insert(uname(b));
                            }
                        }
                    } else {
                        prop_assert_eq!(r.status.as_u16(), 409);
                    }
                }
                Op::Trespass(t, n) => {
                    let theirs: Vec<(String, &str)> = model[1 - t].users.values().map(|i| (i.clone(), "Users"))
                        .chain(model[1 - t].groups.values().map(|(i, _)| (i.clone(), "Groups")))
                        .collect();
                    if theirs.is_empty() { continue }
                    let (id, ep) = &theirs[n as usize % theirs.len()];
                    let path = format!("/{ep}/{id}");
                    prop_assert_eq!(h[t].get(&path).status.as_u16(), 404);
                    let p = patch_op(json!([{"op": "replace", "path": "displayName", "value": "pwned"}]));
                    prop_assert_eq!(h[t].send("PATCH", &path, &[], Some(&p)).status.as_u16(), 404);
                    prop_assert_eq!(h[t].send("PUT", &path, &[], Some(&user("pwned@example.com"))).status.as_u16(), 404);
                    prop_assert_eq!(h[t].send("DELETE", &path, &[], None).status.as_u16(), 404);
                    let r = h[t].get(&format!("/{ep}?filter=id%20eq%20%22{id}%22"));
                    prop_assert_eq!(&r.body["totalResults"], &json!(0));
                }
            }
        }
        // Each tenant's lists are exactly its model.
        for t in 0..2 {
            let r = h[t].get("/Users?count=200");
            let names: BTreeSet<String> = r.body["Resources"].as_array().unwrap().iter()
                .map(|u| u["userName"].as_str().unwrap().to_string()).collect();
            prop_assert_eq!(&names, &model[t].users.keys().cloned().collect::<BTreeSet<_>>());
            let r = h[t].get("/Groups?count=200");
            prop_assert_eq!(&r.body["totalResults"], &json!(model[t].groups.len()));
            for (gid, m) in model[t].groups.values() {
                let g = h[t].get(&format!("/Groups/{gid}"));
                let ids: BTreeSet<String> = members(&g).into_iter().collect();
                let want: BTreeSet<String> = m.iter().map(|n| model[t].users[n].clone()).collect();
                prop_assert_eq!(ids, want);
            }
        }
    }
}
