//! The translated filters give the evaluator's answers: every filter of the testkit corpus
//! (and more) over 1,000 users and 50 groups stored through the write layer, compared with
//! `scimkit_filter::matches` over the same resources as the store renders them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use scimkit_filter::parse;
use scimkit_schema::Registry;
use scimkit_testkit::corpus::{GROUP_FILTERS, USER_FILTERS};

/// Filters beyond the corpus: operators on every kind of target (columns, email rows,
/// membership, document, extension, multi-valued), `not` around each, edge values.
const MORE_USER_FILTERS: &[&str] = &[
    r#"id eq "u-00010""#,
    r#"id ne "u-00010""#,
    r#"id sw "u-0001""#,
    r#"id gt "u-00990""#,
    r#"externalId sw "ext-1""#,
    r#"externalId co "-99""#,
    r#"not (externalId pr)"#,
    r#"externalId eq null"#,
    r#"externalId ne null"#,
    r#"userName co "ÄRGER""#,
    r#"userName ew "97@example.com""#,
    r#"userName co "ser09""#,
    r#"userName sw """#,
    r#"userName co "@""#,
    r#"userName gt "ärger""#,
    r#"displayName lt "Barbara""#,
    r#"displayName ew "hopper""#,
    r#"displayName eq null"#,
    r#"active eq "True""#,
    r#"active eq "maybe""#,
    r#"active ne false"#,
    r#"emails.value eq "USER0010@example.com""#,
    r#"emails ew "@mail.test""#,
    r#"emails.value co "e12@mail""#,
    r#"emails.type ne "work""#,
    r#"emails.primary ne true"#,
    r#"emails.display pr"#,
    r#"emails[not (type eq "work")]"#,
    r#"emails[type eq "work" and not (primary eq true)]"#,
    r#"emails[value ew "test" or primary eq true]"#,
    r#"emails[type eq "work"].value eq "user0012@example.com""#,
    r#"phoneNumbers.value sw "+1 555 00""#,
    r#"phoneNumbers[type eq "WORK"]"#,
    r#"phoneNumbers.type eq "home""#,
    r#"phoneNumbers ne "+1 555 0010""#,
    r#"name.familyName gt "L""#,
    r#"name.familyName le "hopper""#,
    r#"name.givenName co "ü""#,
    r#"name.givenName ew "GEN""#,
    r#"name pr"#,
    r#"nickName ne "nick9""#,
    r#"nickName eq null"#,
    r#"title co "ng""#,
    r#"userType sw "con""#,
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department sw "r&""#,
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber gt "9""#,
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq 42"#,
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value co "-3""#,
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter ne "cc-3""#,
    r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "user00""#,
    r#"meta.created eq "2024-05-01T12:00:10.123457Z""#,
    r#"meta.created ge "2024-05-01T12:00:10.123457Z""#,
    r#"meta.created gt "2024-05-01T14:00:10.123457+02:00""#,
    r#"meta.created le "2024-05-01T12:00:10.1234570001Z""#,
    r#"meta.created lt "2024-05-01T12:00:10.1234570001Z""#,
    r#"meta.lastModified lt "2024-05-01T12:01:00Z""#,
    r#"meta.resourceType ne "User""#,
    r#"meta.version pr"#,
    r#"groups.value eq "g-001""#,
    r#"groups[value eq "g-002"] or groups.value eq "g-003""#,
    r#"groups ne "g-001""#,
    r#"groups.display eq "group 01""#,
    r#"schemas eq "urn:ietf:params:scim:schemas:core:2.0:user""#,
    r#"not (schemas co "enterprise")"#,
    r#"x509Certificates pr"#,
    r#"roles[primary eq "True"]"#,
    r#"title gt null"#,
    r#"title eq 3"#,
    r#"active eq 1"#,
    r#"not (active pr) or (title pr and not (emails[type eq "home"]))"#,
];

const MORE_GROUP_FILTERS: &[&str] = &[
    r#"members.value ne "u-00001""#,
    r#"members[value sw "u-0000"]"#,
    r#"members[type eq "User"]"#,
    r#"members.value eq "U-00001""#,
    r#"displayName gt "group 3""#,
    r#"externalId pr"#,
    r#"id eq "g-004""#,
];

#[tokio::test(flavor = "current_thread")]
async fn every_filter_gives_the_evaluators_answer() {
    let (_dir, db) = open_temp().await;
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let groups = registry.resource_type("Group").unwrap();
    let population = load(&db, &registry, 1_000, 50).await;
    let conn = db.read().await;
    let user_views = all_views(&conn, &users).await;
    let group_views = all_views(&conn, &groups).await;
    assert_eq!(user_views.len(), 1_000);
    assert_eq!(group_views.len(), 50);

    let member = &population.user_ids[1];
    let other = &population.user_ids[0];
    let group_filters: Vec<String> = GROUP_FILTERS
        .iter()
        .chain(MORE_GROUP_FILTERS)
        .map(|f| f.replace("{member}", member).replace("{other}", other))
        .collect();
    let cases = USER_FILTERS
        .iter()
        .chain(MORE_USER_FILTERS)
        .map(|f| (users, (*f).to_owned(), &user_views))
        .chain(group_filters.into_iter().map(|f| (groups, f, &group_views)));

    let (mut total, mut exact, mut residual) = (0, 0, Vec::new());
    let mut non_empty = 0;
    for (schema, f, views) in cases {
        let filter = parse(&f).unwrap_or_else(|e| panic!("{f}: {e}"));
        let expected = reference(views, &schema, &f);
        let (got, is_exact) = answer(&conn, &schema, &filter).await;
        assert_eq!(
            got, expected,
            "filter {f}: SQL answer vs scimkit_filter::matches"
        );
        total += 1;
        if is_exact {
            exact += 1;
        } else {
            residual.push(f.clone());
        }
        if !expected.is_empty() && expected.len() < views.len() {
            non_empty += 1;
        }
    }
    assert!(total >= 150, "{total} filters");
    // The corpus must discriminate: most filters select some but not all resources.
    assert!(
        non_empty * 10 >= total * 7,
        "{non_empty} of {total} discriminate"
    );
    // Only what docs/storage.md lists as residual stays residual.
    assert_eq!(
        residual,
        [
            r#"meta.version pr"#,
            r#"groups.display eq "group 01""#,
            r#"members[type eq "User"]"#,
        ],
        "{exact} of {total} native"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn sorting_and_paging_pushed_down_give_the_evaluators_order() {
    use scimkit_filter::{compare_resources, parse_attr_path, SortOrder};
    use scimkit_sql::dialect::SqliteDialect;
    use scimkit_sql::sqlite::{self, Page, Query};
    use scimkit_sql::translate::Translator;

    let (_dir, db) = open_temp().await;
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    load(&db, &registry, 300, 5).await;
    let conn = db.read().await;
    let views = all_views(&conn, &users).await;
    let dialect = SqliteDialect;
    let translator = Translator::new(users, &dialect);
    let pushed = [
        "userName",
        "displayName",
        "externalId",
        "id",
        "meta.created",
        "meta.lastModified",
        "title",
        "nickName",
        "name.familyName",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    ];
    for by in pushed {
        let path = parse_attr_path(by).unwrap();
        for order in [SortOrder::Ascending, SortOrder::Descending] {
            let order_by = translator
                .order_by(&path, order)
                .unwrap_or_else(|| panic!("{by} is pushed down"));
            let q = Query {
                order: Some(&order_by),
                ..Query::default()
            };
            let got: Vec<String> = sqlite::query(&conn, TENANT, "User", &q)
                .unwrap()
                .into_iter()
                .map(|r| r.id)
                .collect();
            let mut expected = views.clone();
            expected.sort_by(|a, b| compare_resources(a, b, &path, order, &users));
            let expected: Vec<&str> = expected.iter().map(|v| v["id"].as_str().unwrap()).collect();
            assert_eq!(got, expected, "sortBy={by} {order:?}");
        }
    }
    for by in ["emails.value", "emails", "active", "groups.value"] {
        let path = parse_attr_path(by).unwrap();
        assert!(
            translator.order_by(&path, SortOrder::Ascending).is_none(),
            "{by}"
        );
    }

    // Pages of an exact plan, pushed down, tile the whole answer.
    let filter = parse(r#"userName sw "user0" and not (title pr)"#).unwrap();
    let plan = translator.plan(&filter).unwrap();
    assert!(plan.is_exact());
    let order_by = translator
        .order_by(&parse_attr_path("userName").unwrap(), SortOrder::Descending)
        .unwrap();
    let whole = Query {
        condition: plan.native.as_ref(),
        order: Some(&order_by),
        page: None,
    };
    let all: Vec<String> = sqlite::query(&conn, TENANT, "User", &whole)
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    let total = sqlite::count(&conn, TENANT, "User", &whole).unwrap();
    assert_eq!(total as usize, all.len());
    assert!(all.len() > 100);
    let mut paged = Vec::new();
    for offset in (0..all.len() as u64 + 7).step_by(7) {
        let q = Query {
            page: Some(Page { offset, limit: 7 }),
            ..whole
        };
        paged.extend(
            sqlite::query(&conn, TENANT, "User", &q)
                .unwrap()
                .into_iter()
                .map(|r| r.id),
        );
    }
    assert_eq!(paged, all);
}

/// The largest filters the parser's default limits allow (256 terms; 32 levels of nesting),
/// and values with the characters of SQL and FTS5 syntax, run and agree with the evaluator.
#[tokio::test(flavor = "current_thread")]
async fn the_largest_and_strangest_filters_run() {
    let (_dir, db) = open_temp().await;
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    load(&db, &registry, 100, 3).await;
    let conn = db.read().await;
    let views = all_views(&conn, &users).await;
    let wide = (0..256)
        .map(|i| format!(r#"id eq "u-{i:05}""#))
        .collect::<Vec<_>>()
        .join(" or ");
    let mut deep = r#"title pr"#.to_owned();
    for _ in 0..30 {
        deep = format!("not ({deep})");
    }
    let strange = [
        r#"userName co "\"x*""#.to_owned(),
        r#"userName co "er00\" OR \"a""#.to_owned(),
        r#"displayName co "a' OR '1'='1""#.to_owned(),
        r#"userName co "NEAR(a b)""#.to_owned(),
        r#"userName sw "\u0000""#.to_owned(),
        r#"emails.value co "%_@""#.to_owned(),
        r#"title eq "\ud83d\ude00""#.to_owned(),
    ];
    for f in [wide, deep].into_iter().chain(strange) {
        let filter = parse(&f).unwrap_or_else(|e| panic!("{f}: {e}"));
        let (got, _) = answer(&conn, &users, &filter).await;
        assert_eq!(got, reference(&views, &users, &f), "{f}");
    }
}

/// A deployment that raises the parser's term limit still gets valid SQL: `or`/`and` chains
/// are nested as balanced trees (SQLite refuses expressions deeper than 1,000).
#[tokio::test(flavor = "current_thread")]
async fn a_chain_of_thousands_of_terms_stays_within_sqlites_depth() {
    use scimkit_filter::{Limits, ParseOptions};
    let (_dir, db) = open_temp().await;
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    load(&db, &registry, 50, 1).await;
    let conn = db.read().await;
    let views = all_views(&conn, &users).await;
    let f = (0..3_000)
        .map(|i| format!(r#"id eq "u-{i:05}""#))
        .collect::<Vec<_>>()
        .join(" or ");
    let options = ParseOptions::from(Limits {
        max_length: 100_000,
        max_terms: 5_000,
        ..Limits::default()
    });
    let filter = options.parse(&f).unwrap();
    let (got, exact) = answer(&conn, &users, &filter).await;
    assert!(exact);
    assert_eq!(got.len(), 50);
    assert_eq!(got, reference(&views, &users, "id pr"));
}
