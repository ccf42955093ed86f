//! The lookups Entra ID and Okta make are answered through an index (`EXPLAIN QUERY PLAN`):
//! no step scans the resources, emails or membership tables.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use scimkit_filter::parse;
use scimkit_schema::Registry;
use scimkit_sql::dialect::SqliteDialect;
use scimkit_sql::sqlite::{self, Query};
use scimkit_sql::translate::Translator;

#[tokio::test(flavor = "current_thread")]
async fn identity_provider_lookups_use_an_index() {
    let (_dir, db) = open_temp().await;
    let registry = Registry::standard();
    load(&db, &registry, 200, 10).await;
    let conn = db.read().await;
    conn.execute_batch("ANALYZE").unwrap();
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
    conn.execute_batch("DROP INDEX resources_by_external_id")
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
