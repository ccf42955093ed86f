//! Okta's index walk on PostgreSQL (`tests/index_walk`): no `OFFSET` after the first page.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod index_walk;
mod pg_support;

use pg_support::data::stored_document;
use scimkit_dispatch::{Store, StoreTx, TenantId};
use scimkit_schema::Registry;
use scimkit_sql::postgres::{PostgresOptions, PostgresStore};
use scimkit_testkit::population;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_walk_reads_no_offset_after_its_first_page() {
    let url = database_or_skip!("index_walks");
    let store = PostgresStore::connect(&url, &PostgresOptions::new())
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
    sqlx::query("ANALYZE")
        .execute(store.database().pool())
        .await
        .unwrap();
    index_walk::an_index_walk_reads_no_offset_after_its_first_page(store, "PostgresStore").await;
}
