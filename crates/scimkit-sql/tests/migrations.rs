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
    let conn = db.read().await;
    let one = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(one("PRAGMA synchronous"), 1, "NORMAL");
    assert_eq!(one("PRAGMA foreign_keys"), 1);
    assert_eq!(
        one("SELECT max(version) FROM _sqlx_migrations"),
        newest_known_version()
    );
    drop(conn);
    db.close().await.unwrap();

    let db = SqliteDatabase::open(
        &path,
        &SqliteOptions::new().durability(Durability::PowerLoss),
    )
    .await
    .unwrap();
    let conn = db.read().await;
    let one = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(one("PRAGMA synchronous"), 2, "FULL");
    let applied = one("SELECT count(*) FROM _sqlx_migrations");
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
    let tx = db.begin_write().await.unwrap();
    tx.execute(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
         execution_time) VALUES (?, 'from the future', 1, x'00', 0)",
        [future],
    )
    .unwrap();
    tx.commit().await.unwrap();
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
    let conn = db.read().await;
    let one = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(one("SELECT x FROM legacy"), 7);
    assert_eq!(one("SELECT count(*) FROM resources"), 0);
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
    let indexed: i64 = store
        .database()
        .read()
        .await
        .query_row(
            "SELECT count(*) FROM resource_text WHERE resource_text MATCH '\"bab\" AND \"ara\"'",
            [],
            |r| r.get(0),
        )
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
        let db = db.clone();
        async move {
            let conn = db.read().await;
            let mut stmt = conn
                .prepare("SELECT type, n FROM resource_counts WHERE tenant = 't' ORDER BY type")
                .unwrap();
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap()
        }
    };
    assert_eq!(
        counts(&db).await,
        [("Group".to_owned(), 1), ("User".to_owned(), 2)]
    );
    let tx = db.begin_write().await.unwrap();
    tx.execute_batch(
        "DELETE FROM resources WHERE id = 'r1'; \
         INSERT INTO resources (tenant, type, id, version, created, last_modified, document, \
         folded) VALUES ('t', 'Group', 'g9', 1, 0, 0, '{}', '{}')",
    )
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        counts(&db).await,
        [("Group".to_owned(), 2), ("User".to_owned(), 1)]
    );
}
