//! Shared test support: a temporary database file, the testkit population stored through the
//! write layer, the rendered view of a stored resource, and answering a filter through a plan.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use scimkit_filter::{parse, Filter, Matcher};
use scimkit_schema::{Profile, Registry, ResourceSchema};
use scimkit_sql::dialect::SqliteDialect;
use scimkit_sql::sqlite::Connection;
use scimkit_sql::sqlite::{
    self, DocumentWrite, Member, Query, SqliteDatabase, SqliteOptions, StoredRow, Target,
};
use scimkit_sql::translate::Translator;
use scimkit_testkit::population;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

pub const TENANT: &str = "t1";

pub async fn open_temp() -> (tempfile::TempDir, SqliteDatabase) {
    let dir = tempfile::tempdir().unwrap();
    let db = SqliteDatabase::open(&dir.path().join("scimkit.db"), &SqliteOptions::new())
        .await
        .unwrap();
    (dir, db)
}

pub fn base_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-05-01T12:00:00.123456Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// A document as the dispatcher stores it: validated (schema spelling), without id, meta and
/// members.
pub fn stored_document(schema: &ResourceSchema<'_>, body: Value) -> Value {
    let mut doc = schema.validate_create(body, &Profile::default()).unwrap();
    let o = doc.as_object_mut().unwrap();
    o.remove("id");
    o.remove("meta");
    o.remove("members");
    doc
}

pub struct Population {
    pub user_ids: Vec<String>,
    pub group_ids: Vec<String>,
}

pub fn user_id(i: usize) -> String {
    format!("u-{i:05}")
}

/// Stores `users` users and `groups` groups of the testkit population in one transaction.
pub async fn load(
    db: &SqliteDatabase,
    registry: &Registry,
    users: usize,
    groups: usize,
) -> Population {
    let user_schema = registry.resource_type("User").unwrap();
    let group_schema = registry.resource_type("Group").unwrap();
    let tx = db.begin_write().await.unwrap();
    let mut user_ids = Vec::new();
    for i in 0..users {
        let id = user_id(i);
        let doc = stored_document(&user_schema, population::user(i));
        let at = base_time() + Duration::seconds(i as i64) + Duration::nanoseconds(1000);
        sqlite::insert(
            &tx,
            &Target::new(TENANT, user_schema, &id),
            &DocumentWrite::new(&doc),
            &[],
            at,
        )
        .unwrap();
        user_ids.push(id);
    }
    let mut group_ids = Vec::new();
    for g in 0..groups {
        let id = format!("g-{g:03}");
        let members: Vec<Member> = population::members_of(g, groups, users)
            .into_iter()
            .map(|i| Member::new(user_ids[i].clone(), "User"))
            .collect();
        let ids: Vec<String> = members.iter().map(|m| m.id.clone()).collect();
        let doc = stored_document(&group_schema, population::group(g, &ids));
        sqlite::insert(
            &tx,
            &Target::new(TENANT, group_schema, &id),
            &DocumentWrite::new(&doc).unique_display_name(true),
            &members,
            base_time(),
        )
        .unwrap();
        group_ids.push(id);
    }
    tx.commit().await.unwrap();
    Population {
        user_ids,
        group_ids,
    }
}

/// The resource as the dispatcher renders it for filtering: the document with `id`, `meta`,
/// and a group's `members` or a member's `groups` from the membership table.
pub async fn view(conn: &Connection, schema: &ResourceSchema<'_>, row: &StoredRow) -> Value {
    let mut doc: Map<String, Value> = serde_json::from_str(&row.document).unwrap();
    doc.insert("id".into(), json!(row.id));
    doc.insert(
        "meta".into(),
        json!({
            "resourceType": schema.name(),
            "created": row.created.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            "lastModified": row.last_modified.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            "version": format!("W/\"{}\"", row.version),
        }),
    );
    if schema.core_attribute("members").is_some() {
        let members = sqlite::members(conn, TENANT, &row.id).unwrap();
        if !members.is_empty() {
            let list: Vec<Value> = members
                .iter()
                .map(|m| json!({"value": m.id, "type": m.kind}))
                .collect();
            doc.insert("members".into(), Value::Array(list));
        }
    }
    if schema.core_attribute("groups").is_some() {
        let groups = sqlite::groups_of(conn, TENANT, &row.id, &["Group"]).unwrap();
        if !groups.is_empty() {
            let list: Vec<Value> = groups
                .iter()
                .map(|(id, display)| json!({"value": id, "display": display, "type": "direct"}))
                .collect();
            doc.insert("groups".into(), Value::Array(list));
        }
    }
    Value::Object(doc)
}

/// Every resource of the type, rendered.
pub async fn all_views(conn: &Connection, schema: &ResourceSchema<'_>) -> Vec<Value> {
    let rows = sqlite::query(conn, TENANT, schema.name(), &Query::default()).unwrap();
    let mut out = Vec::new();
    for row in &rows {
        out.push(view(conn, schema, row).await);
    }
    out
}

/// The ids the store answers for `filter`: the plan's native condition in SQL, then its
/// residual evaluated on each candidate's view. Also returns whether the plan was exact.
pub async fn answer(
    conn: &Connection,
    schema: &ResourceSchema<'_>,
    filter: &Filter<'_>,
) -> (BTreeSet<String>, bool) {
    let dialect = SqliteDialect;
    let translator = Translator::new(*schema, &dialect);
    let plan = translator.plan(filter).unwrap();
    let rows = sqlite::query(conn, TENANT, schema.name(), &Query::from_plan(&plan)).unwrap();
    let mut ids = BTreeSet::new();
    for row in &rows {
        let keep = match &plan.residual {
            None => true,
            Some(residual) => {
                let v = view(conn, schema, row).await;
                Matcher::new(residual, schema).unwrap().matches(&v)
            }
        };
        if keep {
            ids.insert(row.id.clone());
        }
    }
    (ids, plan.is_exact())
}

/// The ids `scimkit_filter::matches` selects among `views`.
pub fn reference(views: &[Value], schema: &ResourceSchema<'_>, f: &str) -> BTreeSet<String> {
    let filter = parse(f).unwrap();
    let m = Matcher::new(&filter, schema).unwrap();
    views
        .iter()
        .filter(|v| m.matches(v))
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect()
}
