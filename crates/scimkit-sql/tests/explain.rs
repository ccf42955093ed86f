//! The lookups Entra ID and Okta make are answered through an index (`EXPLAIN QUERY PLAN`):
//! no step scans the resources, emails or membership tables.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use scimkit_filter::{parse, parse_attr_path, SortOrder};
use scimkit_schema::Registry;
use scimkit_sql::dialect::SqliteDialect;
use scimkit_sql::keyset::{KeyColumn, KeysetSql};
use scimkit_sql::sqlite::{self, Query};
use scimkit_sql::translate::Translator;
use scimkit_testkit::population;
use serde_json::Value;

#[tokio::test(flavor = "current_thread")]
async fn identity_provider_lookups_use_an_index() {
    let (_dir, db) = open_temp().await;
    let registry = Registry::standard();
    load(&db, &registry, 200, 10).await;
    // No ANALYZE: the server never runs it, so the planner has no statistics.
    let conn = db.read().await;
    let cases = [
        ("User", r#"userName eq "user0010@example.com""#),
        ("User", r#"externalId eq "ext-10""#),
        (
            "User",
            r#"emails[type eq "work"].value eq "user0012@example.com""#,
        ),
        (
            "User",
            r#"emails[type eq "work" and value eq "user0012@example.com"]"#,
        ),
        ("User", r#"id eq "u-00010""#),
        ("User", r#"userName co "er001""#),
        ("Group", r#"displayName eq "Group 07""#),
        ("Group", r#"members[value eq "u-00001"]"#),
        ("Group", r#"id eq "g-001""#),
    ];
    for (type_name, f) in cases {
        let schema = registry.resource_type(type_name).unwrap();
        let filter = parse(f).unwrap();
        let dialect = SqliteDialect;
        let plan = Translator::new(schema, &dialect).plan(&filter).unwrap();
        assert!(plan.is_exact(), "{f}");
        let steps = sqlite::explain(&conn, TENANT, type_name, &Query::from_plan(&plan)).unwrap();
        let scans: Vec<&String> = steps
            .iter()
            .filter(|s| s.starts_with("SCAN") && !s.contains("VIRTUAL TABLE"))
            .collect();
        assert!(scans.is_empty(), "{f}: {steps:#?}");
        assert!(
            steps
                .iter()
                .any(|s| s.contains("USING") && s.contains("INDEX") || s.contains("PRIMARY KEY")),
            "{f}: {steps:#?}"
        );
        println!("{f}:\n  {}", steps.join("\n  "));
    }

    // The check can fail: without its index, the externalId lookup scans.
    conn.execute_batch("DROP INDEX resources_keyset_by_external_id")
        .unwrap();
    let schema = registry.resource_type("User").unwrap();
    let filter = parse(r#"externalId eq "ext-10""#).unwrap();
    let dialect = SqliteDialect;
    let plan = Translator::new(schema, &dialect).plan(&filter).unwrap();
    let steps = sqlite::explain(&conn, TENANT, "User", &Query::from_plan(&plan)).unwrap();
    assert!(
        !steps.iter().any(|s| s.contains("external_id=")),
        "{steps:#?}"
    );
}

/// The plan of the first segment of a keyset page after `position`, as the store reads it
/// (`sqlite::keyset_query`): the segment's condition and order, `LIMIT 200`.
fn keyset_plan(
    conn: &sqlite::Connection,
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
        page: Some(sqlite::Page {
            offset: 0,
            limit: 200,
        }),
    };
    sqlite::explain(conn, TENANT, "User", &q)
        .unwrap()
        .join("\n")
}

/// A keyset page after a deep position (90% of 5,000 users) is one index range read in index
/// order: the plan searches the keyset index (or the id index) and has no temporary b-tree
/// for the order (which would read and sort every user after the position).
#[tokio::test(flavor = "current_thread")]
async fn a_deep_keyset_page_reads_an_index_range_without_sorting() {
    let (_dir, db) = open_temp().await;
    let registry = Registry::standard();
    let n = 5_000;
    load(&db, &registry, n, 0).await;
    let conn = db.read().await;
    let deep = n * 9 / 10;
    let id = user_id(deep);
    let name = Value::String(population::user_name(deep));
    let cases = [
        (None, Value::Null, "resources_by_id"),
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
        let plan = keyset_plan(&conn, &registry, sort, (&value, &id));
        println!("{sort:?}:\n{plan}\n");
        assert!(plan.contains(index), "{sort:?}: expected {index}:\n{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{sort:?}:\n{plan}");
        assert!(!plan.contains("SCAN r"), "{sort:?}:\n{plan}");
    }

    // The check can fail: without the keyset index on userName, the page is read from
    // another index and sorted.
    conn.execute_batch("DROP INDEX resources_keyset_by_user_name")
        .unwrap();
    let value = Value::String(population::user_name(deep));
    let sort = Some(("userName", SortOrder::Ascending));
    let plan = keyset_plan(&conn, &registry, sort, (&value, &id));
    assert!(plan.contains("TEMP B-TREE"), "{plan}");
}

/// A user's `groups`, read in the same query, start from the user's membership rows (the
/// `memberships_by_member` index) and look each group up by id: never a walk over the
/// tenant's resources probing the memberships for each, which a planner without statistics
/// picks for a plain `JOIN` (8 ms per read at 20,000 users).
#[tokio::test(flavor = "current_thread")]
async fn a_users_groups_are_read_from_its_memberships() {
    let (_dir, db) = open_temp().await;
    let registry = Registry::standard();
    load(&db, &registry, 500, 10).await;
    let conn = db.read().await;
    let filter = parse(r#"userName eq "user0010@example.com""#).unwrap();
    let users = registry.resource_type("User").unwrap();
    let plan = Translator::new(users, &SqliteDialect)
        .plan(&filter)
        .unwrap();
    let steps = sqlite::explain_with(
        &conn,
        TENANT,
        "User",
        &Query::from_plan(&plan),
        sqlite::Relation::Groups(&["Group"]),
    )
    .unwrap();
    println!("{}", steps.join("\n"));
    let subquery = steps
        .iter()
        .position(|s| s.contains("SUBQUERY"))
        .expect("the groups subquery");
    assert!(
        steps[subquery + 1].starts_with("SEARCH ms USING COVERING INDEX memberships_by_member"),
        "{steps:#?}"
    );
    assert!(
        steps[subquery + 2].starts_with("SEARCH g USING INDEX resources_by_id"),
        "{steps:#?}"
    );
}

/// Member references name ids only: resolving them looks each id up in the tenant through
/// `resources_by_tenant_and_id`, never reading the tenant's resources of every type (which a
/// planner without statistics did with `resources_by_id`: 2.2 ms per member change at
/// 100,000 users).
#[tokio::test(flavor = "current_thread")]
async fn member_references_are_resolved_through_an_index() {
    let (_dir, db) = open_temp().await;
    let registry = Registry::standard();
    load(&db, &registry, 300, 3).await;
    let conn = db.read().await;
    let steps = sqlite::explain_kinds_of(&conn, TENANT, &["u-00001", "u-00002"]).unwrap();
    assert_eq!(
        steps,
        ["SEARCH resources USING COVERING INDEX resources_by_tenant_and_id (tenant=? AND id=?)"]
    );
}
