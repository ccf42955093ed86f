//! [`SqliteStore`]: scimkit-dispatch's `Store` (v2) on SQLite, over the functions of this
//! module's siblings. Each write transaction is one SQLite transaction (`BEGIN IMMEDIATE`);
//! the dispatcher's hooks write their own tables through the same connection.

use super::keyset_page;
use super::read::{self, kinds_of, Page as SqlPage, Query as SqlQuery};
use super::render::{self, RelationOf};
use super::write;
use super::writer::WriteTransaction;
use super::{SqliteDatabase, SqliteOptions};
use crate::dialect::SqliteDialect;
use crate::error::SqlError;
use crate::incoming::{document, member_refs, new_id, now};
use crate::keyset::key_of;
use crate::rows::{DocumentWrite, Member, MemberChange, Relation, Target};
use crate::translate::Translator;
use rusqlite::Connection;
use scimkit_dispatch::{
    member_kinds, Change, MemberRef, Page, Plan, Query, Store, StoreError, StoreTx, Stored,
    TenantId, Version,
};
use scimkit_filter::{AttrPath, Filter};
use scimkit_schema::{Registry, ResourceSchema};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

/// The settings every transaction shares.
#[derive(Debug)]
struct Shared {
    registry: Registry,
    unique_group_names: bool,
}

/// A `Store` on a SQLite database.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    db: SqliteDatabase,
    shared: Arc<Shared>,
}

/// A write transaction of one tenant of a [`SqliteStore`]: one SQLite transaction, rolled back
/// when dropped uncommitted.
#[derive(Debug)]
pub struct SqliteTx {
    tx: WriteTransaction,
    tenant: TenantId,
    shared: Arc<Shared>,
}

impl SqliteTx {
    /// The transaction's connection, for the hooks' own tables (accounts, audit, …).
    pub fn connection(&self) -> &Connection {
        &self.tx
    }

    /// The tenant the transaction writes for.
    pub fn tenant(&self) -> &str {
        self.tenant.as_str()
    }
}

impl SqliteStore {
    /// A store over an open database, serving the types of `registry`; group `displayName`s
    /// are unique per tenant (as `MemoryStore::new`).
    pub fn new(db: SqliteDatabase, registry: Registry) -> Self {
        SqliteStore {
            db,
            shared: Arc::new(Shared {
                registry,
                unique_group_names: true,
            }),
        }
    }

    /// Opens (creating and migrating it if needed) the database at `path` for the standard
    /// registry.
    ///
    /// # Errors
    ///
    /// As [`SqliteDatabase::open`].
    pub async fn open(path: &Path, options: &SqliteOptions) -> Result<Self, SqlError> {
        Ok(SqliteStore::new(
            SqliteDatabase::open(path, options).await?,
            Registry::standard(),
        ))
    }

    /// The same store with group `displayName`s allowed to repeat.
    #[must_use]
    pub fn without_unique_group_names(self) -> Self {
        SqliteStore {
            db: self.db,
            shared: Arc::new(Shared {
                registry: self.shared.registry.clone(),
                unique_group_names: false,
            }),
        }
    }

    /// The database.
    pub fn database(&self) -> &SqliteDatabase {
        &self.db
    }
}

fn backend(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> StoreError {
    StoreError::backend(e)
}

fn store_error(e: SqlError, id: &str) -> StoreError {
    match e {
        SqlError::NotFound => StoreError::NotFound(id.to_owned()),
        SqlError::VersionMismatch { current } => StoreError::VersionMismatch {
            current: Version(current),
        },
        SqlError::Uniqueness { attribute } => StoreError::Uniqueness(match attribute {
            "displayName" => "displayName is already in use by another group in this tenant".into(),
            other => format!("{other} is already in use in this tenant"),
        }),
        other => backend(other),
    }
}

impl Shared {
    fn schema(&self, resource_type: &str) -> Result<ResourceSchema<'_>, StoreError> {
        self.registry.resource_type(resource_type).ok_or_else(|| {
            StoreError::InvalidValue(format!("unknown resource type {resource_type}"))
        })
    }
}

/// Whether the type holds members (its schema's `members` references resource types).
fn has_members(schema: &ResourceSchema<'_>) -> bool {
    member_kinds(schema).is_some()
}

/// The members `refs` names, each checked to be a resource of the tenant of a type the
/// owner's `members` may be (the one it names, when it names one), keeping a `display` the
/// client gave.
fn resolve_members(
    conn: &Connection,
    tenant: &str,
    owner: &ResourceSchema<'_>,
    refs: Vec<MemberRef>,
) -> Result<Vec<Member>, StoreError> {
    let allowed = member_kinds(owner).unwrap_or_default();
    let ids: Vec<&str> = refs.iter().map(|m| m.id.as_str()).collect();
    let kinds = kinds_of(conn, tenant, &ids).map_err(backend)?;
    refs.into_iter()
        .map(|m| {
            let kind = kinds
                .get(&m.id)
                .filter(|k| allowed.iter().any(|a| a == k))
                .filter(|k| m.kind.as_deref().is_none_or(|n| n.eq_ignore_ascii_case(k)))
                .cloned()
                .ok_or_else(|| {
                    StoreError::InvalidValue(format!(
                        "member {} is not a resource of this tenant that a {} may hold",
                        m.id,
                        owner.name()
                    ))
                })?;
            let mut member = Member::new(m.id, kind);
            member.display = m.display;
            Ok(member)
        })
        .collect()
}

/// The resource `target` as stored after a write in this transaction, with its relation
/// (one query).
fn reread(conn: &Connection, target: &Target<'_>) -> Result<Stored, StoreError> {
    let of = RelationOf::new(&target.schema);
    let relation = of.relation(true);
    let row = read::get_with(conn, target, relation)
        .map_err(backend)?
        .ok_or_else(|| StoreError::NotFound(target.id.to_owned()))?;
    render::stored(row, relation)
}

impl SqliteTx {
    fn write(
        &mut self,
        resource_type: &str,
        id: &str,
        resource: Option<Value>,
        change: MembersGiven,
        expected: Option<Version>,
    ) -> Result<Stored, StoreError> {
        let shared = Arc::clone(&self.shared);
        let schema = shared.schema(resource_type)?;
        let tenant = self.tenant.as_str().to_owned();
        let target = Target::new(&tenant, schema, id);
        let (doc, members_in_doc) = match resource {
            Some(r) => {
                let (doc, members) = document(r)?;
                (Some(Value::Object(doc)), members)
            }
            None => (None, None),
        };
        let unique = has_members(&schema) && shared.unique_group_names;
        let write_doc = doc
            .as_ref()
            .map(|d| DocumentWrite::new(d).unique_display_name(unique));
        let (add, remove, replace) = match change {
            MembersGiven::Delta(add, remove) => (
                resolve_members(&self.tx, &tenant, &schema, add)?,
                remove.into_iter().map(|m| m.id).collect(),
                None,
            ),
            MembersGiven::InDocument if has_members(&schema) => {
                let all = member_refs(&members_in_doc.unwrap_or_default())?;
                (
                    Vec::new(),
                    Vec::new(),
                    Some(resolve_members(&self.tx, &tenant, &schema, all)?),
                )
            }
            MembersGiven::InDocument => (Vec::new(), Vec::new(), None),
        };
        let members = match &replace {
            Some(all) => MemberChange::Replace(all),
            None if add.is_empty() && remove.is_empty() => MemberChange::Keep,
            None => MemberChange::Delta {
                add: &add,
                remove: &remove,
            },
        };
        write::update(
            &self.tx,
            &target,
            expected.map(|v| v.0),
            write_doc.as_ref(),
            members,
            now(),
        )
        .map_err(|e| store_error(e, id))?;
        reread(&self.tx, &target)
    }
}

/// How a write names members.
enum MembersGiven {
    /// `Change::add_members` / `remove_members`.
    Delta(Vec<MemberRef>, Vec<MemberRef>),
    /// The document's `members` (PUT): the whole list, for a type with members.
    InDocument,
}

impl StoreTx for SqliteTx {
    async fn get_for_update(
        &mut self,
        resource_type: &str,
        id: &str,
    ) -> Result<Option<Stored>, StoreError> {
        let shared = Arc::clone(&self.shared);
        let schema = shared.schema(resource_type)?;
        let tenant = self.tenant.as_str().to_owned();
        let of = RelationOf::new(&schema);
        let relation = of.relation(true);
        let row = read::get_with(&self.tx, &Target::new(&tenant, schema, id), relation)
            .map_err(backend)?;
        row.map(|row| render::stored(row, relation)).transpose()
    }

    async fn create(&mut self, resource_type: &str, resource: Value) -> Result<Stored, StoreError> {
        let shared = Arc::clone(&self.shared);
        let schema = shared.schema(resource_type)?;
        let tenant = self.tenant.as_str().to_owned();
        let (doc, members) = document(resource)?;
        let members = if has_members(&schema) {
            let refs = member_refs(&members.unwrap_or_default())?;
            resolve_members(&self.tx, &tenant, &schema, refs)?
        } else {
            Vec::new()
        };
        let id = new_id()?;
        let doc = Value::Object(doc);
        let write_doc = DocumentWrite::new(&doc)
            .unique_display_name(has_members(&schema) && shared.unique_group_names);
        let target = Target::new(&tenant, schema, &id);
        let row = write::insert(&self.tx, &target, &write_doc, &members, now())
            .map_err(|e| store_error(e, &id))?;
        if members.is_empty() {
            // Nothing refers to a resource created a moment ago, and it has no members.
            return render::stored(row, Relation::None);
        }
        reread(&self.tx, &target)
    }

    async fn update(
        &mut self,
        resource_type: &str,
        id: &str,
        change: Change,
        expected: Option<Version>,
    ) -> Result<Stored, StoreError> {
        let members = MembersGiven::Delta(change.add_members, change.remove_members);
        self.write(resource_type, id, change.attributes, members, expected)
    }

    async fn replace(
        &mut self,
        resource_type: &str,
        id: &str,
        resource: Value,
        expected: Option<Version>,
    ) -> Result<Stored, StoreError> {
        self.write(
            resource_type,
            id,
            Some(resource),
            MembersGiven::InDocument,
            expected,
        )
    }

    async fn delete(
        &mut self,
        resource_type: &str,
        id: &str,
        expected: Option<Version>,
    ) -> Result<(), StoreError> {
        let shared = Arc::clone(&self.shared);
        let schema = shared.schema(resource_type)?;
        let tenant = self.tenant.as_str().to_owned();
        write::delete(
            &self.tx,
            &Target::new(&tenant, schema, id),
            expected.map(|v| v.0),
            now(),
        )
        .map_err(|e| store_error(e, id))
    }

    async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await.map_err(backend)
    }
}

impl Store for SqliteStore {
    type Tx = SqliteTx;

    async fn begin(&self, tenant: &TenantId) -> Result<SqliteTx, StoreError> {
        Ok(SqliteTx {
            tx: self.db.begin_write().await.map_err(backend)?,
            tenant: tenant.clone(),
            shared: Arc::clone(&self.shared),
        })
    }

    async fn get(
        &self,
        tenant: &TenantId,
        resource_type: &str,
        id: &str,
    ) -> Result<Option<Stored>, StoreError> {
        let schema = self.shared.schema(resource_type)?;
        let of = RelationOf::new(&schema);
        let relation = of.relation(true);
        let target = Target::new(tenant.as_str(), schema, id);
        let row = self
            .db
            .read_with(|conn| read::get_with(conn, &target, relation))
            .await
            .map_err(backend)?;
        row.map(|row| render::stored(row, relation)).transpose()
    }

    async fn query(&self, tenant: &TenantId, query: Query<'_>) -> Result<Page, StoreError> {
        let schema = query.resource_type;
        let (condition, residual, order) = {
            let translator = Translator::new(schema, &SqliteDialect);
            let (condition, residual) = match query.filter {
                Some(f) => {
                    let plan = translator
                        .plan(f)
                        .map_err(|e| StoreError::InvalidFilter(e.to_string()))?;
                    (plan.native, plan.residual)
                }
                None => (None, None),
            };
            let order = query.sort.and_then(|(by, o)| translator.order_by(by, o));
            (condition, residual, order)
        };
        let sorted_in_sql = query.sort.is_none() || order.is_some();
        let of = RelationOf::new(&schema);
        let t = tenant.as_str();
        let keyset_sql = match query.keyset {
            Some(keyset) if residual.is_none() => crate::paging::keyset_sql(&query, keyset)?,
            _ => None,
        };
        if let (Some(keyset), Some(sql)) = (query.keyset, &keyset_sql) {
            let relation = of.relation(query.with_members);
            let page = self
                .db
                .read_with(|conn| {
                    keyset_page::read(conn, t, condition.as_ref(), &query, keyset, sql, relation)
                })
                .await
                .map_err(backend)?;
            let resources = page
                .rows
                .into_iter()
                .map(|row| render::stored(row, relation))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(Page {
                total: usize::try_from(page.total).unwrap_or(usize::MAX),
                resources,
            });
        }
        if residual.is_none() && sorted_in_sql && query.keyset.is_none() {
            let relation = of.relation(query.with_members);
            let page = match query.limit {
                Some(limit) => Some(SqlPage {
                    offset: query.offset as u64,
                    limit: limit as u64,
                }),
                None => (query.offset > 0).then_some(SqlPage {
                    offset: query.offset as u64,
                    limit: u64::MAX >> 1,
                }),
            };
            let q = SqlQuery {
                condition: condition.as_ref(),
                order: order.as_ref(),
                page,
            };
            let (rows, total) = self
                .db
                .read_with(|conn| {
                    let rows = read::query_with(conn, t, schema.name(), &q, relation)?;
                    // The total without a second query when the page tells it: a page that
                    // is not full and not past the end holds the last match (a lookup's
                    // usual answer).
                    let short = query.limit.is_none_or(|limit| rows.len() < limit);
                    let total = if short && (!rows.is_empty() || query.offset == 0) {
                        query.offset + rows.len()
                    } else {
                        let n = read::count(conn, t, schema.name(), &q)?;
                        usize::try_from(n).unwrap_or(usize::MAX)
                    };
                    Ok((rows, total))
                })
                .await
                .map_err(backend)?;
            let resources = rows
                .into_iter()
                .map(|row| render::stored(row, relation))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(Page { total, resources });
        }
        // What SQL cannot answer whole: its candidates, then the residual, sort and page here.
        let relation = of.relation(true);
        let q = SqlQuery {
            condition: condition.as_ref(),
            order: None,
            page: None,
        };
        let rows = self
            .db
            .read_with(|conn| read::query_with(conn, t, schema.name(), &q, relation))
            .await
            .map_err(backend)?;
        let resources = rows
            .into_iter()
            .map(|row| render::stored(row, relation))
            .collect::<Result<Vec<_>, _>>()?;
        crate::paging::finish_candidates(&query, residual.as_ref(), resources)
    }

    fn plan<'a>(
        &self,
        resource_type: &ResourceSchema<'_>,
        filter: Option<&Filter<'a>>,
        sort: Option<&AttrPath<'_>>,
    ) -> Plan<'a> {
        let translator = Translator::new(*resource_type, &SqliteDialect);
        let sorts = sort.is_none_or(|by| {
            translator
                .order_by(by, scimkit_filter::SortOrder::Ascending)
                .is_some()
        });
        // Keyset pages are answered in SQL when the whole query is and the sort key is a
        // column with its keyset index (or there is no sortBy: `id` order).
        let keyset = |plan: Plan<'a>| match key_of(resource_type, sort) {
            Some(_) => plan.with_keyset(),
            None => plan,
        };
        let Some(filter) = filter else {
            return if sorts {
                keyset(Plan::native(None))
            } else {
                Plan::split(None, None)
            };
        };
        match translator.plan(filter) {
            Ok(plan) if plan.is_exact() && sorts => keyset(Plan::native(Some(filter))),
            Ok(plan) => Plan::split(plan.native_filter, plan.residual),
            Err(_) => Plan::residual(Some(filter)),
        }
    }
}
