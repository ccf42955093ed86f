//! scimkit-testkit's store and paging suites (through a real dispatcher) on a SQLite file per
//! check.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use scimkit_sql::sqlite::{SqliteDatabase, SqliteOptions, SqliteStore};
use std::sync::atomic::{AtomicUsize, Ordering};

#[tokio::test(flavor = "current_thread")]
async fn the_store_suite_passes_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let n = AtomicUsize::new(0);
    scimkit_testkit::store::run_all(|registry| {
        let path = dir
            .path()
            .join(format!("suite-{}.db", n.fetch_add(1, Ordering::Relaxed)));
        async move {
            let db = SqliteDatabase::open(&path, &SqliteOptions::new())
                .await
                .unwrap();
            SqliteStore::new(db, registry)
        }
    })
    .await;
}

/// Cursor walks under writes, cursor pages against index pages, remembered index walks
/// against offset paging (the dispatcher answers keyset pages for this store).
#[tokio::test(flavor = "current_thread")]
async fn the_paging_suite_passes_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let n = AtomicUsize::new(0);
    scimkit_testkit::paging::run_all(|| {
        let path = dir
            .path()
            .join(format!("paging-{}.db", n.fetch_add(1, Ordering::Relaxed)));
        async move {
            SqliteStore::open(&path, &SqliteOptions::new())
                .await
                .unwrap()
        }
    })
    .await;
}

/// A query the translation cannot answer whole (a residual filter, a sort SQL does not do)
/// still gives the evaluator's answer, sorted and paged; `plan` says so.
#[tokio::test(flavor = "current_thread")]
async fn queries_beyond_the_translation_are_finished_in_rust() {
    use scimkit_dispatch::{Query, Store, StoreTx, TenantId};
    use scimkit_filter::{parse, parse_attr_path, SortOrder};
    use serde_json::json;

    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("q.db"), &SqliteOptions::new())
        .await
        .unwrap();
    let registry = scimkit_schema::Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let t = TenantId::new("t");
    let mut tx = store.begin(&t).await.unwrap();
    let mut ids = Vec::new();
    for (name, email) in [
        ("a", "c@x.test"),
        ("b", "a@x.test"),
        ("c", "b@x.test"),
        ("d", "d@x.test"),
    ] {
        let u = json!({"userName": name, "emails": [{"value": email}]});
        ids.push(tx.create("User", u).await.unwrap().id);
    }
    let members: Vec<_> = ids[..3].iter().map(|id| json!({"value": id})).collect();
    tx.create("Group", json!({"displayName": "Team", "members": members}))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let filter = parse(r#"groups.display eq "team""#).unwrap();
    let by = parse_attr_path("emails.value").unwrap();
    let plan = store.plan(&users, Some(&filter), Some(&by));
    assert!(!plan.is_native());
    let q = Query::all(users)
        .filtered(Some(&filter))
        .sorted(&by, SortOrder::Descending)
        .page(1, 5);
    let page = store.query(&t, q).await.unwrap();
    assert_eq!(page.total, 3);
    let names: Vec<&str> = page
        .resources
        .iter()
        .map(|s| s.resource["userName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["c", "b"],
        "a (c@) first, then c (b@), then b (a@); page from 1"
    );

    let exact = parse(r#"userName sw "a" or userName eq "D""#).unwrap();
    assert!(store.plan(&users, Some(&exact), None).is_native());
}

/// The suite's typed-membership check alone (also part of `run_all`): a `Team` of users.
#[tokio::test(flavor = "current_thread")]
async fn a_custom_type_with_members_is_typed_by_its_schema() {
    let dir = tempfile::tempdir().unwrap();
    let db = SqliteDatabase::open(&dir.path().join("team.db"), &SqliteOptions::new())
        .await
        .unwrap();
    let registry = scimkit_testkit::store::registry();
    scimkit_testkit::store::typed_membership(SqliteStore::new(db, registry)).await;
}
