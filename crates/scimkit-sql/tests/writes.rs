//! The write layer: inserts with their projection, uniqueness (folded, non-ASCII included),
//! versions, membership deltas, cascading deletes, and rollback of an uncommitted transaction.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Duration;
use common::*;
use scimkit_schema::Registry;
use scimkit_sql::sqlite::Connection;
use scimkit_sql::sqlite::{self, DocumentWrite, Member, MemberChange, Target};
use scimkit_sql::SqlError;
use serde_json::json;

fn user(name: &str) -> serde_json::Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name,
           "emails": [{"value": format!("{name}@example.com"), "type": "work"}]})
}

fn group(name: &str) -> serde_json::Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name})
}

async fn count(conn: &Connection, sql: &'static str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn user_name_is_unique_by_its_fold_key_per_tenant() {
    let (_dir, db) = open_temp().await;
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let tx = db.begin_write().await.unwrap();
    for (i, name) in ["\u{c4}RGER", "\u{130}stanbul"].iter().enumerate() {
        let id = format!("a{i}");
        let doc = stored_document(&users, user(name));
        sqlite::insert(
            &tx,
            &Target::new(TENANT, users, &id),
            &DocumentWrite::new(&doc),
            &[],
            base_time(),
        )
        .unwrap();
    }
    // The same names in another spelling: taken.
    for (i, name) in ["\u{e4}rger", "A\u{308}RGER", "i\u{307}stanbul"]
        .iter()
        .enumerate()
    {
        let id = format!("b{i}");
        let doc = stored_document(&users, user(name));
        let err = sqlite::insert(
            &tx,
            &Target::new(TENANT, users, &id),
            &DocumentWrite::new(&doc),
            &[],
            base_time(),
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                SqlError::Uniqueness {
                    attribute: "userName"
                }
            ),
            "{name}: {err:?}"
        );
    }
    // Not the same name: `istanbul` is not `İstanbul`'s fold key. And another tenant is free.
    let doc = stored_document(&users, user("istanbul"));
    sqlite::insert(
        &tx,
        &Target::new(TENANT, users, "c0"),
        &DocumentWrite::new(&doc),
        &[],
        base_time(),
    )
    .unwrap();
    let doc = stored_document(&users, user("\u{e4}rger"));
    sqlite::insert(
        &tx,
        &Target::new("t2", users, "a0"),
        &DocumentWrite::new(&doc),
        &[],
        base_time(),
    )
    .unwrap();
    // An id that is not its own fold key is refused.
    let doc = stored_document(&users, user("upper"));
    let err = sqlite::insert(
        &tx,
        &Target::new(TENANT, users, "ID-1"),
        &DocumentWrite::new(&doc),
        &[],
        base_time(),
    )
    .unwrap_err();
    assert!(matches!(err, SqlError::InvalidId), "{err:?}");
    tx.commit().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn group_display_name_is_unique_only_where_configured() {
    let (_dir, db) = open_temp().await;
    let registry = Registry::standard();
    let groups = registry.resource_type("Group").unwrap();
    let tx = db.begin_write().await.unwrap();
    let doc = stored_document(&groups, group("Sales"));
    let unique = DocumentWrite::new(&doc).unique_display_name(true);
    sqlite::insert(
        &tx,
        &Target::new(TENANT, groups, "g1"),
        &unique,
        &[],
        base_time(),
    )
    .unwrap();
    let again = stored_document(&groups, group("SALES"));
    let err = sqlite::insert(
        &tx,
        &Target::new(TENANT, groups, "g2"),
        &DocumentWrite::new(&again).unique_display_name(true),
        &[],
        base_time(),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            SqlError::Uniqueness {
                attribute: "displayName"
            }
        ),
        "{err:?}"
    );
    // Where displayName is not configured unique, a second one is fine.
    sqlite::insert(
        &tx,
        &Target::new(TENANT, groups, "g3"),
        &DocumentWrite::new(&again),
        &[],
        base_time(),
    )
    .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn versions_member_deltas_and_cascading_delete() {
    let (_dir, db) = open_temp().await;
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let groups = registry.resource_type("Group").unwrap();
    let tx = db.begin_write().await.unwrap();
    let mut members = Vec::new();
    for i in 0..3 {
        let id = format!("u{i}");
        let doc = stored_document(&users, user(&format!("user{i}")));
        sqlite::insert(
            &tx,
            &Target::new(TENANT, users, &id),
            &DocumentWrite::new(&doc),
            &[],
            base_time(),
        )
        .unwrap();
        members.push(Member::new(id, "User"));
    }
    let g = Target::new(TENANT, groups, "g1");
    let doc = stored_document(&groups, group("Team"));
    let created = sqlite::insert(
        &tx,
        &g,
        &DocumentWrite::new(&doc),
        &members[..2],
        base_time(),
    )
    .unwrap();
    assert_eq!(created.version, 1);

    // A delta: one added, one removed, one already present (kept, not duplicated).
    let later = base_time() + Duration::seconds(5);
    let add = [members[2].clone(), members[0].clone()];
    let remove = ["u1".to_owned()];
    let updated = sqlite::update(
        &tx,
        &g,
        Some(1),
        None,
        MemberChange::Delta {
            add: &add,
            remove: &remove,
        },
        later,
    )
    .unwrap();
    assert_eq!(
        (updated.version, updated.last_modified, updated.created),
        (2, later, base_time())
    );
    let ids: Vec<String> = sqlite::members(&tx, TENANT, "g1")
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(ids, ["u0", "u2"]);

    // A stale version is refused and changes nothing; a missing resource is NotFound.
    let err =
        sqlite::update(&tx, &g, Some(1), None, MemberChange::Replace(&[]), later).unwrap_err();
    assert!(
        matches!(err, SqlError::VersionMismatch { current: 2 }),
        "{err:?}"
    );
    assert_eq!(sqlite::members(&tx, TENANT, "g1").unwrap().len(), 2);
    let err = sqlite::update(
        &tx,
        &Target::new(TENANT, groups, "nope"),
        None,
        None,
        MemberChange::Keep,
        later,
    )
    .unwrap_err();
    assert!(matches!(err, SqlError::NotFound), "{err:?}");

    // A new document replaces the projection and the email rows.
    let u0 = Target::new(TENANT, users, "u0");
    let doc = stored_document(&users, user("renamed"));
    sqlite::update(
        &tx,
        &u0,
        None,
        Some(&DocumentWrite::new(&doc)),
        MemberChange::Keep,
        later,
    )
    .unwrap();
    let emails: Vec<String> = tx
        .prepare(
            "SELECT e.value_norm FROM emails e JOIN resources r ON r.pk = e.resource_pk \
             WHERE r.id = 'u0'",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(emails, ["renamed@example.com"]);
    // The text index holds the new name only.
    let text_hits = |needle: &'static str| -> i64 {
        tx.query_row(
            "SELECT count(*) FROM resource_text WHERE resource_text MATCH ?",
            [needle],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(text_hits("\"ren\" AND \"ame\" AND \"med\""), 1);
    assert_eq!(text_hits("\"use\" AND \"ser\" AND \"er0\""), 0);

    // Deleting a member removes its rows and gives its groups a new version.
    sqlite::delete(&tx, &u0, Some(2), later).unwrap();
    assert!(sqlite::get(&tx, &u0).unwrap().is_none());
    let g_now = sqlite::get(&tx, &g).unwrap().unwrap();
    assert_eq!(g_now.version, 3);
    let ids: Vec<String> = sqlite::members(&tx, TENANT, "g1")
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(ids, ["u2"]);
    assert_eq!(count(&tx, "SELECT count(*) FROM emails e JOIN resources r ON r.pk = e.resource_pk WHERE r.id = 'u0'").await, 0);
    assert_eq!(
        count(&tx, "SELECT count(*) FROM emails").await,
        2,
        "the other users' rows stay"
    );

    // Deleting the group removes its membership rows.
    sqlite::delete(&tx, &g, None, later).unwrap();
    assert_eq!(count(&tx, "SELECT count(*) FROM memberships").await, 0);
    assert!(sqlite::groups_of(&tx, TENANT, "u2", &["Group"])
        .unwrap()
        .is_empty());
    tx.commit().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn an_uncommitted_transaction_leaves_nothing() {
    let (_dir, db) = open_temp().await;
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    {
        let tx = db.begin_write().await.unwrap();
        let doc = stored_document(&users, user("ghost"));
        sqlite::insert(
            &tx,
            &Target::new(TENANT, users, "x"),
            &DocumentWrite::new(&doc),
            &[],
            base_time(),
        )
        .unwrap();
        // Dropped: a later step failed.
    }
    let conn = db.read().await;
    assert!(sqlite::get(&conn, &Target::new(TENANT, users, "x"))
        .unwrap()
        .is_none());
    for table in [
        "SELECT count(*) FROM resources",
        "SELECT count(*) FROM emails",
        "SELECT count(*) FROM resource_text",
    ] {
        assert_eq!(count(&conn, table).await, 0, "{table}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn audit_records_cannot_be_changed() {
    let (_dir, db) = open_temp().await;
    let conn = db.begin_write().await.unwrap();
    conn.execute(
        "INSERT INTO audit (tenant, seq, at, bytes, record) VALUES ('t1', 1, 1, 2, '{}')",
        [],
    )
    .unwrap();
    let err = conn
        .execute("UPDATE audit SET record = '{\"forged\":true}'", [])
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
}

#[tokio::test(flavor = "current_thread")]
async fn filters_never_cross_tenants() {
    use scimkit_sql::dialect::SqliteDialect;
    use scimkit_sql::sqlite::Query;
    use scimkit_sql::translate::Translator;
    let (_dir, db) = open_temp().await;
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let groups = registry.resource_type("Group").unwrap();
    let tx = db.begin_write().await.unwrap();
    for tenant in ["t1", "t2"] {
        let doc = stored_document(&users, user("same"));
        sqlite::insert(
            &tx,
            &Target::new(tenant, users, "u1"),
            &DocumentWrite::new(&doc),
            &[],
            base_time(),
        )
        .unwrap();
    }
    let doc = stored_document(&groups, group("Only in t1"));
    sqlite::insert(
        &tx,
        &Target::new("t1", groups, "g1"),
        &DocumentWrite::new(&doc),
        &[Member::new("u1", "User")],
        base_time(),
    )
    .unwrap();
    tx.commit().await.unwrap();
    let conn = db.read().await;
    let cases = [
        (users, r#"userName eq "same""#, 1),
        (users, r#"emails co "same@""#, 1),
        (users, r#"userName co "sam""#, 1),
        (users, r#"groups pr"#, 0),
        (groups, r#"members[value eq "u1"]"#, 0),
        (groups, r#"displayName pr"#, 0),
    ];
    for (schema, f, in_t2) in cases {
        let filter = scimkit_filter::parse(f).unwrap();
        let dialect = SqliteDialect;
        let plan = Translator::new(schema, &dialect).plan(&filter).unwrap();
        let rows = sqlite::query(&conn, "t2", schema.name(), &Query::from_plan(&plan)).unwrap();
        assert_eq!(rows.len(), in_t2, "{f}");
    }
}

/// Writers on several connections at once (`BEGIN IMMEDIATE`, busy timeout): every member
/// delta lands, each one version.
#[tokio::test(flavor = "current_thread")]
async fn concurrent_member_deltas_lose_nothing() {
    let (_dir, db) = open_temp().await;
    let registry = Registry::standard();
    let groups = registry.resource_type("Group").unwrap();
    let tx = db.begin_write().await.unwrap();
    let doc = stored_document(&groups, group("Busy"));
    sqlite::insert(
        &tx,
        &Target::new(TENANT, groups, "g"),
        &DocumentWrite::new(&doc),
        &[],
        base_time(),
    )
    .unwrap();
    tx.commit().await.unwrap();

    let mut tasks = tokio::task::JoinSet::new();
    for writer in 0..4 {
        let db = db.clone();
        tasks.spawn(async move {
            let registry = Registry::standard();
            let groups = registry.resource_type("Group").unwrap();
            for k in 0..25 {
                let member = [Member::new(format!("m{writer}-{k:02}"), "User")];
                let tx = db.begin_write().await.unwrap();
                let change = MemberChange::Delta {
                    add: &member,
                    remove: &[],
                };
                sqlite::update(
                    &tx,
                    &Target::new(TENANT, groups, "g"),
                    None,
                    None,
                    change,
                    base_time(),
                )
                .unwrap();
                tx.commit().await.unwrap();
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let conn = db.read().await;
    assert_eq!(sqlite::members(&conn, TENANT, "g").unwrap().len(), 100);
    let g = sqlite::get(&conn, &Target::new(TENANT, groups, "g"))
        .unwrap()
        .unwrap();
    assert_eq!(g.version, 101);
}
