//! The lookups Entra ID and Okta make are answered through the index made for them on
//! PostgreSQL (`EXPLAIN`): over 2,000 users and 20 groups, with sequential scans priced out
//! (`enable_seqscan = off`) so that the plan shows whether an index *can* answer the lookup,
//! each plan names the expected index and no step scans a table. And a keyset page after a
//! deep position reads one index range, in order, with no sort.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pg_support;

use pg_support::data::*;
use scimkit_filter::{parse, parse_attr_path, SortOrder};
use scimkit_schema::Registry;
use scimkit_sql::dialect::PostgresDialect;
use scimkit_sql::keyset::{self, KeyColumn, KeysetSql};
use scimkit_sql::postgres::{self, Query};
use scimkit_sql::translate::Translator;
use scimkit_testkit::population;
use serde_json::Value;
use sqlx::PgConnection;

async fn plan_of(conn: &mut PgConnection, registry: &Registry, type_name: &str, f: &str) -> String {
    let schema = registry.resource_type(type_name).unwrap();
    let filter = parse(f).unwrap();
    let plan = Translator::new(schema, &PostgresDialect)
        .plan(&filter)
        .unwrap();
    assert!(plan.is_exact(), "{f}");
    postgres::explain(conn, TENANT, type_name, &Query::from_plan(&plan))
        .await
        .unwrap()
        .join("\n")
}

#[tokio::test(flavor = "current_thread")]
async fn identity_provider_lookups_use_their_index() {
    let Some(db) = open_fresh("explain").await else {
        return;
    };
    let registry = Registry::standard();
    load(&db, &registry, 2_000, 20).await;
    let mut conn = db.pool().acquire().await.unwrap();
    sqlx::query("ANALYZE").execute(&mut *conn).await.unwrap();
    sqlx::query("SET enable_seqscan = off")
        .execute(&mut *conn)
        .await
        .unwrap();
    let cases = [
        (
            "User",
            r#"userName eq "user0010@example.com""#,
            "resources_by_user_name",
        ),
        (
            "User",
            r#"externalId eq "ext-10""#,
            "resources_by_external_id",
        ),
        (
            "User",
            r#"emails[type eq "work"].value eq "user0012@example.com""#,
            "emails_by_value",
        ),
        (
            "User",
            r#"emails[type eq "work" and value eq "user0012@example.com"]"#,
            "emails_by_value",
        ),
        // resources_by_id or, since migration 0002, resources_keyset_by_id (tenant, type, id).
        ("User", r#"id eq "u-00010""#, "by_id"),
        (
            "User",
            r#"userName co "r1234@""#,
            "resources_user_name_trigrams",
        ),
        ("User", r#"userName sw "user001""#, "resources_by_user_name"),
        (
            "User",
            r#"emails.value co "me1234@""#,
            "emails_value_trigrams",
        ),
        ("Group", r#"displayName eq "Group 07""#, "display_name"),
        (
            "Group",
            r#"members[value eq "u-00001"]"#,
            "memberships_by_member",
        ),
        ("Group", r#"id eq "g-001""#, "by_id"),
    ];
    for (type_name, f, index) in cases {
        let plan = plan_of(&mut conn, &registry, type_name, f).await;
        println!("{f}:\n{plan}\n");
        assert!(plan.contains(index), "{f}: expected {index}:\n{plan}");
        assert!(!plan.contains("Seq Scan"), "{f}:\n{plan}");
    }

    // The check can fail: without its index, the externalId lookup reads some other index
    // (or the table) and checks every row of the tenant.
    sqlx::query("DROP INDEX resources_by_external_id")
        .execute(&mut *conn)
        .await
        .unwrap();
    let plan = plan_of(&mut conn, &registry, "User", r#"externalId eq "ext-10""#).await;
    assert!(!plan.contains("resources_by_external_id"), "{plan}");
}

/// The plan of the first segment of a keyset page after `position`, as the store reads it
/// (`read::keyset_query`): the segment's condition and order, `LIMIT 200`.
async fn keyset_plan(
    conn: &mut PgConnection,
    registry: &Registry,
    sort: Option<(&str, SortOrder)>,
    position: (&Value, &str),
) -> String {
    let users = registry.resource_type("User").unwrap();
    let path = sort.map(|(by, o)| (parse_attr_path(by).unwrap(), o));
    let key = path
        .as_ref()
        .map(|(by, _)| KeyColumn::for_sort(&users, by).unwrap());
    let order = sort.map_or(SortOrder::Ascending, |(_, o)| o);
    let sql = KeysetSql::new(key, order, Some(position)).unwrap();
    let segment = &sql.segments[0];
    let q = Query {
        condition: segment.condition.as_ref(),
        order: Some(&segment.order),
        page: Some(postgres::Page {
            offset: 0,
            limit: 200,
        }),
    };
    postgres::explain(conn, TENANT, "User", &q)
        .await
        .unwrap()
        .join("\n")
}

/// A keyset page after a deep position (90% of 20,000 users) is one index range read in
/// index order: the plan names the keyset index, and has no sort (which would read and order
/// every user after the position) and no sequential scan. Sequential scans stay enabled: the
/// planner picks the index on its own.
#[tokio::test(flavor = "current_thread")]
async fn a_deep_keyset_page_reads_an_index_range_without_sorting() {
    let Some(db) = open_fresh("explain_keyset").await else {
        return;
    };
    let registry = Registry::standard();
    let n = 20_000;
    load(&db, &registry, n, 0).await;
    let mut conn = db.pool().acquire().await.unwrap();
    sqlx::query("VACUUM ANALYZE")
        .execute(&mut *conn)
        .await
        .unwrap();
    let deep = n * 9 / 10;
    let id = user_id(deep);
    let name = Value::String(population::user_name(deep));
    let cases = [
        (None, Value::Null, "resources_keyset_by_id"),
        (
            Some(("userName", SortOrder::Ascending)),
            name.clone(),
            "resources_keyset_by_user_name",
        ),
        (
            Some(("userName", SortOrder::Descending)),
            name,
            "resources_keyset_by_user_name",
        ),
        // An incremental sync's order ("what changed since", oldest first).
        (
            Some(("meta.lastModified", SortOrder::Ascending)),
            Value::String("2026-12-01T08:00:00.000Z".into()),
            "resources_keyset_by_last_modified",
        ),
        (
            Some(("meta.lastModified", SortOrder::Descending)),
            Value::String("2026-12-01T08:00:00.000Z".into()),
            "resources_keyset_by_last_modified",
        ),
    ];
    for (sort, value, index) in cases {
        let plan = keyset_plan(&mut conn, &registry, sort, (&value, &id)).await;
        println!("{sort:?}:\n{plan}\n");
        assert!(plan.contains(index), "{sort:?}: expected {index}:\n{plan}");
        assert!(!plan.contains("Sort"), "{sort:?}:\n{plan}");
        assert!(!plan.contains("Seq Scan"), "{sort:?}:\n{plan}");
    }

    // A `meta.lastModified` window in `id` order (no sortBy: how identity providers page) is
    // read ids first (the store's `ids_first`): the window's ids from its index alone — no
    // row read — then sorted, then the page's rows looked up by id.
    let users = registry.resource_type("User").unwrap();
    let since = base_time() + chrono::Duration::seconds(i64::try_from(n - 200).unwrap());
    let text = format!(r#"meta.lastModified gt "{}""#, since.to_rfc3339());
    let filter = parse(&text).unwrap();
    let plan = Translator::new(users, &PostgresDialect)
        .plan(&filter)
        .unwrap();
    let first = KeysetSql::new(None, SortOrder::Ascending, None).unwrap();
    let segment = &first.segments[0];
    let condition = keyset::and(plan.native.as_ref(), segment.condition.as_ref());
    let q = Query {
        condition: condition.as_ref(),
        order: Some(&segment.order),
        page: Some(postgres::Page {
            offset: 0,
            limit: 100,
        }),
    };
    let plan = postgres::explain_keyset_page(&mut conn, TENANT, "User", &q)
        .await
        .unwrap()
        .join("\n");
    println!("lastModified window, id order:\n{plan}\n");
    assert!(
        finding_ids(&plan).contains("Index Only Scan using resources_keyset_by_last_modified"),
        "{plan}"
    );

    // The check can fail: without the keyset index on userName, the page is read from
    // another index or the table and sorted.
    sqlx::query("DROP INDEX resources_keyset_by_user_name")
        .execute(&mut *conn)
        .await
        .unwrap();
    let value = Value::String(population::user_name(deep));
    let sort = Some(("userName", SortOrder::Ascending));
    let plan = keyset_plan(&mut conn, &registry, sort, (&value, &id)).await;
    assert!(plan.contains("Sort"), "{plan}");
}

/// The part of a keyset page's plan read ids first that finds the page's ids: the lines under
/// the first `Limit` (the rows are then looked up by id and put in order).
fn finding_ids(plan: &str) -> String {
    let mut lines = plan.lines().skip_while(|l| !l.contains("Limit"));
    let Some(limit) = lines.next() else {
        return String::new();
    };
    let depth = |l: &str| l.len() - l.trim_start().len();
    let indent = depth(limit.trim_start_matches("->"));
    lines
        .take_while(|l| depth(l) > indent)
        .collect::<Vec<_>>()
        .join("\n")
}
