//! scimkit-testkit's store suite and provisioning-state suite (through a real dispatcher) on
//! PostgreSQL, a fresh database per check; and what the store adds on PostgreSQL: the
//! migrations (two instances opening a new database at once; a newer database refused).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pg_support;

use scimkit_schema::Registry;
use scimkit_sql::postgres::{PostgresDatabase, PostgresOptions, PostgresStore};
use scimkit_sql::SqlError;

async fn store(name: &str) -> Option<PostgresStore> {
    let url = pg_support::fresh_database(name).await?;
    Some(
        PostgresStore::connect(&url, &PostgresOptions::new())
            .await
            .unwrap(),
    )
}

/// A store on a fresh database serving `registry`'s types.
async fn store_for(name: &str, registry: Registry) -> PostgresStore {
    let url = pg_support::fresh_database(name).await.unwrap();
    let db = PostgresDatabase::connect(&url, &PostgresOptions::new())
        .await
        .unwrap();
    PostgresStore::new(db, registry)
}

#[tokio::test(flavor = "current_thread")]
async fn the_store_suite_passes_on_postgres() {
    if store("probe").await.is_none() {
        return;
    }
    scimkit_testkit::store::run_all(|registry| store_for("store_suite", registry)).await;
}

/// Cursor walks under writes, cursor pages against index pages, remembered index walks
/// against offset paging (the dispatcher answers keyset pages for this store).
#[tokio::test(flavor = "current_thread")]
async fn the_paging_suite_passes_on_postgres() {
    if store("probe").await.is_none() {
        return;
    }
    scimkit_testkit::paging::run_all(|| async { store("paging_suite").await.unwrap() }).await;
}

#[tokio::test(flavor = "current_thread")]
async fn the_provisioning_suite_passes_on_postgres() {
    if store("probe").await.is_none() {
        return;
    }
    scimkit_testkit::provisioning::run_all(|| async { store("prov_suite").await.unwrap() }).await;
}

/// Two instances starting on a new database at once: sqlx's migrator serialises them with
/// its advisory lock, so both open it and the schema is applied once.
#[tokio::test(flavor = "current_thread")]
async fn two_instances_migrate_a_new_database_at_once() {
    let Some(url) = pg_support::fresh_database("concurrent_migrate").await else {
        return;
    };
    let opens: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(
                async move { PostgresDatabase::connect(&url, &PostgresOptions::new()).await },
            )
        })
        .collect();
    let mut dbs = Vec::new();
    for o in opens {
        dbs.push(o.await.unwrap().unwrap());
    }
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(dbs[0].pool())
        .await
        .unwrap();
    assert_eq!(
        applied,
        i64::try_from(scimkit_sql::postgres::MIGRATOR.iter().count()).unwrap()
    );
}

/// A database migrated by a newer scimkit-sql is refused, and left unchanged.
#[tokio::test(flavor = "current_thread")]
async fn a_newer_database_is_refused() {
    let Some(url) = pg_support::fresh_database("newer").await else {
        return;
    };
    let db = PostgresDatabase::connect(&url, &PostgresOptions::new())
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99990101000000, 'from the future', true, '\\x00', 0)",
    )
    .execute(db.pool())
    .await
    .unwrap();
    db.close().await;
    match PostgresDatabase::connect(&url, &PostgresOptions::new()).await {
        Err(SqlError::NewerSchema { found, known }) => {
            assert_eq!(found, 99_990_101_000_000);
            assert_eq!(known, scimkit_sql::postgres::newest_known_version());
        }
        other => panic!("expected NewerSchema, got {other:?}"),
    }
}
