//! Opening: a new file gets the schema in WAL mode; reopening is a no-op; a database written
//! by a newer version is refused and left unchanged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use scimkit_sql::sqlite::{newest_known_version, Durability, SqliteDatabase, SqliteOptions};
use scimkit_sql::SqlError;

#[tokio::test(flavor = "current_thread")]
async fn a_new_file_is_migrated_in_wal_mode_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let db = SqliteDatabase::open(&path, &SqliteOptions::new())
        .await
        .unwrap();
    let mut conn = db.pool().acquire().await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(sync, 1, "NORMAL");
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(fk, 1);
    let version: i64 = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(version, newest_known_version());
    drop(conn);
    db.close().await.unwrap();

    let db = SqliteDatabase::open(
        &path,
        &SqliteOptions::new().durability(Durability::PowerLoss),
    )
    .await
    .unwrap();
    let mut conn = db.pool().acquire().await.unwrap();
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(sync, 2, "FULL");
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(
        applied,
        newest_known_version(),
        "each migration applied once"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_database_from_a_newer_version_is_refused_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("newer.db");
    let db = SqliteDatabase::open(&path, &SqliteOptions::new())
        .await
        .unwrap();
    let future = newest_known_version() + 1;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (?, 'from the future', 1, x'00', 0)",
    )
    .bind(future)
    .execute(db.pool())
    .await
    .unwrap();
    db.close().await.unwrap();

    let err = SqliteDatabase::open(&path, &SqliteOptions::new())
        .await
        .unwrap_err();
    match err {
        SqlError::NewerSchema { found, known } => {
            assert_eq!((found, known), (future, newest_known_version()));
        }
        other => panic!("{other:?}"),
    }
    assert!(err_text(future).contains("upgrade scimkit"));
}

fn err_text(found: i64) -> String {
    SqlError::NewerSchema {
        found,
        known: newest_known_version(),
    }
    .to_string()
}

#[tokio::test(flavor = "current_thread")]
async fn an_older_database_is_migrated_and_keeps_its_data() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    // A database from before any migration: a file with data of its own.
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true);
    let mut raw = sqlx::SqliteConnection::connect_with(&options)
        .await
        .unwrap();
    sqlx::query("CREATE TABLE legacy (x INTEGER)")
        .execute(&mut raw)
        .await
        .unwrap();
    sqlx::query("INSERT INTO legacy VALUES (7)")
        .execute(&mut raw)
        .await
        .unwrap();
    raw.close().await.unwrap();

    let db = SqliteDatabase::open(&path, &SqliteOptions::new())
        .await
        .unwrap();
    let kept: i64 = sqlx::query_scalar("SELECT x FROM legacy")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(kept, 7);
    let resources: i64 = sqlx::query_scalar("SELECT count(*) FROM resources")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(resources, 0);
}

/// A version 1 database (positional trigram index) with users migrates to version 2: the
/// new index holds every user's text, so `co` still finds them through it.
#[tokio::test(flavor = "current_thread")]
async fn a_version_1_database_gets_its_text_index_rebuilt() {
    use scimkit_dispatch::{Query, Store, StoreTx, TenantId};
    use scimkit_sql::sqlite::{SqliteStore, MIGRATOR};
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true);
    let mut raw = sqlx::SqliteConnection::connect_with(&options)
        .await
        .unwrap();
    MIGRATOR.run_to(1, &mut raw).await.unwrap();
    // Version 1's tables, written as version 1 wrote them (resources, emails, text index).
    sqlx::query(
        "INSERT INTO resources (pk, tenant, type, id, version, created, last_modified, document, \
         folded, user_name_norm) VALUES (1, 't', 'User', 'u1', 1, 0, 0, \
         '{\"userName\":\"Barbara\",\"emails\":[{\"value\":\"babs@example.com\"}]}', '{}', 'barbara')",
    )
    .execute(&mut raw)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO emails (resource_pk, position, value_norm) VALUES (1, 0, 'babs@example.com')",
    )
    .execute(&mut raw)
    .await
    .unwrap();
    raw.close().await.unwrap();

    let store = SqliteStore::open(&path, &SqliteOptions::new())
        .await
        .unwrap();
    let registry = scimkit_schema::Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let t = TenantId::new("t");
    for (filter, indexed) in [
        (r#"userName co "arbar""#, "arbar"),
        (r#"emails.value ew "example.com""#, "example.com"),
    ] {
        let f = scimkit_filter::parse(filter).unwrap();
        let page = store
            .query(&t, Query::all(users).filtered(Some(&f)))
            .await
            .unwrap();
        assert_eq!(
            page.total, 1,
            "{filter} finds the user of version 1 ({indexed})"
        );
    }
    let indexed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM resource_text WHERE resource_text MATCH '\"bab\" AND \"ara\"'",
    )
    .fetch_one(store.database().pool())
    .await
    .unwrap();
    assert_eq!(indexed, 1, "the index was rebuilt from the rows");
    // A new user is indexed too.
    let mut tx = store.begin(&t).await.unwrap();
    tx.create("User", serde_json::json!({"userName": "carolyn"}))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let f = scimkit_filter::parse(r#"userName co "roly""#).unwrap();
    let page = store
        .query(&t, Query::all(users).filtered(Some(&f)))
        .await
        .unwrap();
    assert_eq!(page.total, 1);
}

/// The per-type counts of migration 0003 start from the rows a version 2 database holds and
/// follow inserts and deletes (what an unfiltered list's `totalResults` reads).
#[tokio::test(flavor = "current_thread")]
async fn resource_counts_start_from_the_rows_and_follow_writes() {
    use scimkit_sql::sqlite::MIGRATOR;
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v2.db");
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true);
    let mut raw = sqlx::SqliteConnection::connect_with(&options)
        .await
        .unwrap();
    MIGRATOR.run_to(2, &mut raw).await.unwrap();
    for (pk, ty) in [(1, "User"), (2, "User"), (3, "Group")] {
        sqlx::query(
            "INSERT INTO resources (pk, tenant, type, id, version, created, last_modified, \
             document, folded) VALUES (?, 't', ?, ?, 1, 0, 0, '{}', '{}')",
        )
        .bind(pk)
        .bind(ty)
        .bind(format!("r{pk}"))
        .execute(&mut raw)
        .await
        .unwrap();
    }
    raw.close().await.unwrap();
    let db = SqliteDatabase::open(&path, &SqliteOptions::new())
        .await
        .unwrap();
    let counts = |db: &SqliteDatabase| {
        let pool = db.pool().clone();
        async move {
            sqlx::query_as::<_, (String, i64)>(
                "SELECT type, n FROM resource_counts WHERE tenant = 't' ORDER BY type",
            )
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(
        counts(&db).await,
        [("Group".to_owned(), 1), ("User".to_owned(), 2)]
    );
    let mut tx = db.begin_write().await.unwrap();
    sqlx::query("DELETE FROM resources WHERE id = 'r1'")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO resources (tenant, type, id, version, created, last_modified, document, \
         folded) VALUES ('t', 'Group', 'g9', 1, 0, 0, '{}', '{}')",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        counts(&db).await,
        [("Group".to_owned(), 2), ("User".to_owned(), 1)]
    );
}
