//! `MemoryStore` transactions: a transaction dropped without a commit leaves the store exactly
//! as it was — documents, versions, times, creation order, memberships both ways and every
//! index — whatever it did; a committed one is visible as a whole.
#![allow(clippy::unwrap_used)]

use futures_executor::block_on;
use proptest::prelude::*;
use scimkit_dispatch::{Change, MemberRef, MemoryStore, Query, Store, StoreTx, Stored, TenantId};
use scimkit_schema::Registry;
use serde_json::{json, Value};

/// One write, on resources named by their position among the live ones.
#[derive(Debug, Clone)]
enum Op {
    CreateUser(u8),
    CreateGroup(u8, Vec<u8>),
    RenameUser(u8, u8),
    AddMember(u8, u8),
    RemoveMember(u8, u8),
    ReplaceGroup(u8, u8, Vec<u8>),
    DeleteUser(u8),
    DeleteGroup(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        any::<u8>().prop_map(Op::CreateUser),
        (any::<u8>(), prop::collection::vec(any::<u8>(), 0..4))
            .prop_map(|(n, m)| Op::CreateGroup(n, m)),
        (any::<u8>(), any::<u8>()).prop_map(|(u, n)| Op::RenameUser(u, n)),
        (any::<u8>(), any::<u8>()).prop_map(|(g, u)| Op::AddMember(g, u)),
        (any::<u8>(), any::<u8>()).prop_map(|(g, u)| Op::RemoveMember(g, u)),
        (
            any::<u8>(),
            any::<u8>(),
            prop::collection::vec(any::<u8>(), 0..4)
        )
            .prop_map(|(g, n, m)| Op::ReplaceGroup(g, n, m)),
        any::<u8>().prop_map(Op::DeleteUser),
        any::<u8>().prop_map(Op::DeleteGroup),
    ]
}

async fn ids(store: &MemoryStore, tenant: &TenantId, ty: &str) -> Vec<String> {
    let reg = Registry::standard();
    let rs = reg.resource_type(ty).unwrap();
    let page = store.query(tenant, Query::all(rs)).await.unwrap();
    page.resources.into_iter().map(|s| s.id).collect()
}

fn pick(ids: &[String], n: u8) -> Option<&str> {
    (!ids.is_empty()).then(|| ids[usize::from(n) % ids.len()].as_str())
}

fn members(ids: &[String], picks: &[u8]) -> Vec<Value> {
    picks
        .iter()
        .filter_map(|n| pick(ids, *n))
        .map(|id| json!({"value": id}))
        .collect()
}

/// Runs one op in a transaction; errors (a taken userName, a missing member) are part of the
/// game and leave the transaction usable.
async fn run(tx: &mut impl StoreTx, users: &[String], groups: &[String], op: &Op) {
    let _ = match op {
        Op::CreateUser(n) => tx
            .create(
                "User",
                json!({"userName": format!("U{}", n % 40), "externalId": format!("e{}", n % 3)}),
            )
            .await
            .map(drop),
        Op::CreateGroup(n, m) => tx
            .create(
                "Group",
                json!({"displayName": format!("G{}", n % 20), "members": members(users, m)}),
            )
            .await
            .map(drop),
        Op::RenameUser(u, n) => match pick(users, *u) {
            Some(id) => {
                let change =
                    Change::new().with_attributes(json!({"userName": format!("u{}", n % 40)}));
                tx.update("User", id, change, None).await.map(drop)
            }
            None => Ok(()),
        },
        Op::AddMember(g, u) | Op::RemoveMember(g, u) => match (pick(groups, *g), pick(users, *u)) {
            (Some(g), Some(u)) => {
                let change = match op {
                    Op::AddMember(..) => Change::new().add_member(MemberRef::new(u)),
                    _ => Change::new().remove_member(MemberRef::new(u)),
                };
                tx.update("Group", g, change, None).await.map(drop)
            }
            _ => Ok(()),
        },
        Op::ReplaceGroup(g, n, m) => match pick(groups, *g) {
            Some(g) => tx
                .replace(
                    "Group",
                    g,
                    json!({"displayName": format!("G{}", n % 20), "members": members(users, m)}),
                    None,
                )
                .await
                .map(drop),
            None => Ok(()),
        },
        Op::DeleteUser(u) => match pick(users, *u) {
            Some(id) => tx.delete("User", id, None).await,
            None => Ok(()),
        },
        Op::DeleteGroup(g) => match pick(groups, *g) {
            Some(id) => tx.delete("Group", id, None).await,
            None => Ok(()),
        },
    };
}

/// Everything a client can observe: every resource in creation order with its version and
/// times, and what the indexes answer for every userName, externalId and displayName.
async fn observe(store: &MemoryStore, tenant: &TenantId) -> Vec<String> {
    let reg = Registry::standard();
    let mut seen = Vec::new();
    for ty in ["User", "Group"] {
        let rs = reg.resource_type(ty).unwrap();
        let page = store.query(tenant, Query::all(rs)).await.unwrap();
        seen.extend(page.resources.iter().map(|s: &Stored| format!("{s:?}")));
        let mut probes: Vec<String> = (0..40).map(|n| format!("userName eq \"u{n}\"")).collect();
        probes.extend((0..3).map(|n| format!("externalId eq \"e{n}\"")));
        probes.extend((0..20).map(|n| format!("displayName eq \"g{n}\"")));
        for probe in probes {
            let f = scimkit_filter::parse(&probe).unwrap();
            let page = store
                .query(tenant, Query::all(rs).filtered(Some(&f)))
                .await
                .unwrap();
            let ids: Vec<_> = page.resources.into_iter().map(|s| s.id).collect();
            seen.push(format!("{ty} {probe}: {ids:?}"));
        }
    }
    seen
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_dropped_transaction_leaves_no_trace(
        before in prop::collection::vec(op(), 0..25),
        doomed in prop::collection::vec(op(), 1..12),
    ) {
        block_on(async {
            let store = MemoryStore::new();
            let tenant = TenantId::new("t");
            for op in &before {
                let (users, groups) = (ids(&store, &tenant, "User").await, ids(&store, &tenant, "Group").await);
                let mut tx = store.begin(&tenant).await.unwrap();
                run(&mut tx, &users, &groups, op).await;
                tx.commit().await.unwrap();
            }
            let seen = observe(&store, &tenant).await;
            let (users, groups) = (ids(&store, &tenant, "User").await, ids(&store, &tenant, "Group").await);
            let mut tx = store.begin(&tenant).await.unwrap();
            for op in &doomed {
                run(&mut tx, &users, &groups, op).await;
            }
            drop(tx);
            prop_assert_eq!(observe(&store, &tenant).await, seen);
            // The store goes on working: the same writes, committed, are visible.
            let mut tx = store.begin(&tenant).await.unwrap();
            for op in &doomed {
                run(&mut tx, &users, &groups, op).await;
            }
            tx.commit().await.unwrap();
            Ok(())
        })?;
    }
}

#[test]
fn a_committed_transaction_is_visible_as_a_whole() {
    block_on(async {
        let store = MemoryStore::new();
        let tenant = TenantId::new("t");
        let mut tx = store.begin(&tenant).await.unwrap();
        let u = tx.create("User", json!({"userName": "ada"})).await.unwrap();
        let g = tx
            .create(
                "Group",
                json!({"displayName": "Eng", "members": [{"value": u.id}]}),
            )
            .await
            .unwrap();
        // Inside the transaction its own writes are visible.
        let seen = tx.get_for_update("User", &u.id).await.unwrap().unwrap();
        assert_eq!(seen.resource["groups"][0]["value"], g.id.as_str());
        tx.commit().await.unwrap();
        let u = store.get(&tenant, "User", &u.id).await.unwrap().unwrap();
        assert_eq!(u.resource["groups"][0]["display"], "Eng");
    });
}
