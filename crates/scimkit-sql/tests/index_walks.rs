//! Okta's index walk on SQLite (`tests/index_walk`): no `OFFSET` after the first page.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod index_walk;

use common::stored_document;
use scimkit_dispatch::{Store, StoreTx, TenantId};
use scimkit_schema::Registry;
use scimkit_sql::sqlite::{SqliteOptions, SqliteStore};
use scimkit_testkit::population;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_walk_reads_no_offset_after_its_first_page() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("walk.db"), &SqliteOptions::new())
        .await
        .unwrap();
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let mut tx = store.begin(&TenantId::new("a")).await.unwrap();
    for i in 0..index_walk::USERS {
        let doc = stored_document(&users, population::user(i));
        tx.create("User", doc).await.unwrap();
    }
    tx.commit().await.unwrap();
    index_walk::an_index_walk_reads_no_offset_after_its_first_page(store, "SqliteStore").await;
}
