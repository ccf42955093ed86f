//! The lookups Entra ID and Okta make are answered through the index made for them on
//! PostgreSQL (`EXPLAIN`): over 2,000 users and 20 groups, with sequential scans priced out
//! (`enable_seqscan = off`) so that the plan shows whether an index *can* answer the lookup,
//! each plan names the expected index and no step scans a table.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pg_support;

use pg_support::data::*;
use scimkit_filter::parse;
use scimkit_schema::Registry;
use scimkit_sql::dialect::PostgresDialect;
use scimkit_sql::postgres::{self, Query};
use scimkit_sql::translate::Translator;
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
        ("User", r#"id eq "u-00010""#, "resources_by_id"),
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
        ("Group", r#"id eq "g-001""#, "resources_by_id"),
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
