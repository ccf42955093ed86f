//! [`PostgresStore`]: scimkit-dispatch's `Store` (v2) on PostgreSQL, over the functions of
//! this module's siblings. Each write transaction is one PostgreSQL transaction; the
//! dispatcher's hooks write their own tables through the same connection. A failure the client
//! may retry (a lost connection, a restart, a timeout) is `StoreError::Unavailable`, a 503.

use super::failure::unavailable;
use super::keyset_page;
use super::read::{self, kinds_locked, sendable, Page as SqlPage, Query as SqlQuery};
use super::render::{stored, stored_rows};
use super::write;
use super::{PostgresDatabase, PostgresOptions};
use crate::dialect::PostgresDialect;
use crate::error::SqlError;
use crate::incoming::{self, member_refs, new_id, now, Split};
use crate::rows::{DocumentWrite, Member, MemberChange, Target};
use crate::translate::Translator;
use scimkit_dispatch::{
    member_kinds, Change, MemberRef, Page, Plan, Query, Store, StoreError, StoreTx, Stored,
    TenantId, Version,
};
use scimkit_filter::{AttrPath, Filter};
use scimkit_schema::{Registry, ResourceSchema};
use serde_json::Value;
use sqlx::{PgConnection, Postgres, Transaction};
use std::sync::Arc;

/// The seed of the hash that turns a tenant id into its advisory lock key (a constant, so every
/// instance computes the same key; chosen apart from sqlx's migration lock key).
const TENANT_LOCK_SEED: i64 = 0x5c1_4b17;

/// The settings every transaction shares.
#[derive(Debug)]
struct Shared {
    registry: Registry,
    unique_group_names: bool,
}

/// A `Store` on a PostgreSQL database. Cloning shares the pool; any number of instances (in
/// one process or many) may serve one database at once.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    db: PostgresDatabase,
    shared: Arc<Shared>,
}

/// A write transaction of one tenant of a [`PostgresStore`]: one PostgreSQL transaction,
/// rolled back when dropped uncommitted.
#[derive(Debug)]
pub struct PostgresTx {
    tx: Transaction<'static, Postgres>,
    tenant: TenantId,
    shared: Arc<Shared>,
}

impl PostgresTx {
    /// The transaction's connection, for the hooks' own tables (accounts, audit, …).
    pub fn connection(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// The tenant the transaction writes for.
    pub fn tenant(&self) -> &str {
        self.tenant.as_str()
    }
}

impl PostgresStore {
    /// A store over an open database, serving the types of `registry`; group `displayName`s
    /// are unique per tenant (as `MemoryStore::new`).
    pub fn new(db: PostgresDatabase, registry: Registry) -> Self {
        PostgresStore {
            db,
            shared: Arc::new(Shared {
                registry,
                unique_group_names: true,
            }),
        }
    }

    /// Connects to the database at `url` (`postgres://user:password@host:port/database`),
    /// migrates it, and serves the standard registry.
    ///
    /// # Errors
    ///
    /// As [`PostgresDatabase::connect`].
    pub async fn connect(url: &str, options: &PostgresOptions) -> Result<Self, SqlError> {
        Ok(PostgresStore::new(
            PostgresDatabase::connect(url, options).await?,
            Registry::standard(),
        ))
    }

    /// The same store with group `displayName`s allowed to repeat.
    #[must_use]
    pub fn without_unique_group_names(self) -> Self {
        PostgresStore {
            db: self.db,
            shared: Arc::new(Shared {
                registry: self.shared.registry.clone(),
                unique_group_names: false,
            }),
        }
    }

    /// The database.
    pub fn database(&self) -> &PostgresDatabase {
        &self.db
    }
}

/// A database failure as the dispatcher answers it: unavailable (503) or a backend failure
/// (500).
pub(crate) fn backend(e: impl Into<SqlError>) -> StoreError {
    match e.into() {
        SqlError::Database(e) => match unavailable(&e) {
            Some(reason) => StoreError::unavailable(reason, e),
            None => StoreError::backend(SqlError::Database(e)),
        },
        other => StoreError::backend(other),
    }
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

/// PostgreSQL's text (and `jsonb`) cannot hold the character U+0000: a value with it is
/// never stored, so a lookup of it finds nothing and a write of it is refused.
pub(crate) fn has_nul(s: &str) -> bool {
    s.contains('\0')
}

/// Refuses a document with U+0000 in a name or a string (PostgreSQL cannot store it): a
/// client error, not a database failure.
fn refuse_nul(v: &Value) -> Result<(), StoreError> {
    let refused = || {
        Err(StoreError::InvalidValue(
            "strings cannot hold the character U+0000".into(),
        ))
    };
    match v {
        Value::String(s) if has_nul(s) => refused(),
        Value::Array(items) => items.iter().try_for_each(refuse_nul),
        Value::Object(o) => {
            o.iter()
                .try_for_each(|(k, v)| if has_nul(k) { refused() } else { refuse_nul(v) })
        }
        _ => Ok(()),
    }
}

/// Splits a resource the dispatcher writes into document and members, refusing U+0000
/// (PostgreSQL cannot store it).
fn document(resource: Value) -> Result<Split, StoreError> {
    refuse_nul(&resource)?;
    incoming::document(resource)
}

/// The members `refs` names, each checked to be a resource of the tenant (its row
/// share-locked until the transaction ends) of a type the owner's `members` may be (the one
/// it names, when it names one), keeping a `display` the client gave.
async fn resolve_members(
    conn: &mut PgConnection,
    tenant: &str,
    owner: &ResourceSchema<'_>,
    refs: Vec<MemberRef>,
) -> Result<Vec<Member>, StoreError> {
    for m in &refs {
        if has_nul(&m.id) || m.display.as_deref().is_some_and(has_nul) {
            return Err(StoreError::InvalidValue(
                "strings cannot hold the character U+0000".into(),
            ));
        }
    }
    let allowed = member_kinds(owner).unwrap_or_default();
    let ids: Vec<&str> = refs.iter().map(|m| m.id.as_str()).collect();
    let kinds = kinds_locked(conn, tenant, &ids, true)
        .await
        .map_err(backend)?;
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

impl PostgresTx {
    async fn write(
        &mut self,
        resource_type: &str,
        id: &str,
        resource: Option<Value>,
        change: MembersGiven,
        expected: Option<Version>,
    ) -> Result<Stored, StoreError> {
        if has_nul(id) {
            return Err(StoreError::NotFound(id.to_owned()));
        }
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
                resolve_members(&mut self.tx, &tenant, &schema, add).await?,
                // No member's id holds U+0000 (PostgreSQL could not take it).
                remove
                    .into_iter()
                    .map(|m| m.id)
                    .filter(|id| !has_nul(id))
                    .collect(),
                None,
            ),
            MembersGiven::InDocument if has_members(&schema) => {
                let all = member_refs(&members_in_doc.unwrap_or_default())?;
                (
                    Vec::new(),
                    Vec::new(),
                    Some(resolve_members(&mut self.tx, &tenant, &schema, all).await?),
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
        let row = write::update(
            &mut self.tx,
            &target,
            expected.map(|v| v.0),
            write_doc.as_ref(),
            members,
            now(),
        )
        .await
        .map_err(|e| store_error(e, id))?;
        stored(&mut self.tx, &tenant, &schema, row, true).await
    }
}

/// How a write names members.
enum MembersGiven {
    /// `Change::add_members` / `remove_members`.
    Delta(Vec<MemberRef>, Vec<MemberRef>),
    /// The document's `members` (PUT): the whole list, for a type with members.
    InDocument,
}

impl StoreTx for PostgresTx {
    async fn get_for_update(
        &mut self,
        resource_type: &str,
        id: &str,
    ) -> Result<Option<Stored>, StoreError> {
        if has_nul(id) {
            return Ok(None);
        }
        let shared = Arc::clone(&self.shared);
        let schema = shared.schema(resource_type)?;
        let tenant = self.tenant.as_str().to_owned();
        let row = read::get_locked(&mut self.tx, &Target::new(&tenant, schema, id), true)
            .await
            .map_err(backend)?;
        match row {
            Some(row) => Ok(Some(
                stored(&mut self.tx, &tenant, &schema, row, true).await?,
            )),
            None => Ok(None),
        }
    }

    async fn create(&mut self, resource_type: &str, resource: Value) -> Result<Stored, StoreError> {
        let shared = Arc::clone(&self.shared);
        let schema = shared.schema(resource_type)?;
        let tenant = self.tenant.as_str().to_owned();
        let (doc, members) = document(resource)?;
        let members = if has_members(&schema) {
            let refs = member_refs(&members.unwrap_or_default())?;
            resolve_members(&mut self.tx, &tenant, &schema, refs).await?
        } else {
            Vec::new()
        };
        let id = new_id()?;
        let doc = Value::Object(doc);
        let write_doc = DocumentWrite::new(&doc)
            .unique_display_name(has_members(&schema) && shared.unique_group_names);
        let row = write::insert(
            &mut self.tx,
            &Target::new(&tenant, schema, &id),
            &write_doc,
            &members,
            now(),
        )
        .await
        .map_err(|e| store_error(e, &id))?;
        stored(&mut self.tx, &tenant, &schema, row, true).await
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
            .await
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
        .await
    }

    async fn delete(
        &mut self,
        resource_type: &str,
        id: &str,
        expected: Option<Version>,
    ) -> Result<(), StoreError> {
        if has_nul(id) {
            return Err(StoreError::NotFound(id.to_owned()));
        }
        let shared = Arc::clone(&self.shared);
        let schema = shared.schema(resource_type)?;
        let tenant = self.tenant.as_str().to_owned();
        write::delete(
            &mut self.tx,
            &Target::new(&tenant, schema, id),
            expected.map(|v| v.0),
            now(),
        )
        .await
        .map_err(|e| store_error(e, id))
    }

    async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await.map_err(backend)
    }
}

impl Store for PostgresStore {
    type Tx = PostgresTx;

    /// Begins a transaction holding the tenant's write lock (a transaction-level advisory
    /// lock on the tenant id): the writes of one tenant take turns, on every instance, as
    /// SQLite's `BEGIN IMMEDIATE` makes them; other tenants and reads are not held up. The
    /// hooks' read-modify-writes (a tenant's record, an account) are safe under it, and no two
    /// writers of a tenant can deadlock on each other's rows.
    async fn begin(&self, tenant: &TenantId) -> Result<PostgresTx, StoreError> {
        if has_nul(tenant.as_str()) {
            return Err(StoreError::InvalidValue(
                "tenant ids cannot hold the character U+0000".into(),
            ));
        }
        let mut tx = self.db.begin_write().await.map_err(backend)?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, $2))")
            .bind(tenant.as_str())
            .bind(TENANT_LOCK_SEED)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        Ok(PostgresTx {
            tx,
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
        if has_nul(id) {
            return Ok(None);
        }
        let mut conn = self.db.pool().acquire().await.map_err(backend)?;
        let row = read::get(&mut conn, &Target::new(tenant.as_str(), schema, id))
            .await
            .map_err(backend)?;
        match row {
            Some(row) => Ok(Some(
                stored(&mut conn, tenant.as_str(), &schema, row, true).await?,
            )),
            None => Ok(None),
        }
    }

    async fn query(&self, tenant: &TenantId, query: Query<'_>) -> Result<Page, StoreError> {
        let schema = query.resource_type;
        let (condition, residual, order) = {
            let translator = Translator::new(schema, &PostgresDialect);
            let (condition, residual) = match query.filter {
                Some(f) => {
                    let plan = translator
                        .plan(f)
                        .map_err(|e| StoreError::InvalidFilter(e.to_string()))?;
                    if plan.native.as_ref().is_none_or(sendable) {
                        (plan.native, plan.residual)
                    } else {
                        (None, Some(f.clone()))
                    }
                }
                None => (None, None),
            };
            let order = query.sort.and_then(|(by, o)| translator.order_by(by, o));
            (condition, residual, order)
        };
        let sorted_in_sql = query.sort.is_none() || order.is_some();
        let mut conn = self.db.pool().acquire().await.map_err(backend)?;
        let t = tenant.as_str();
        if let Some(keyset) = query.keyset {
            let page = match residual {
                None => keyset_page::read(&mut conn, t, condition.as_ref(), &query, keyset).await?,
                Some(_) => None,
            };
            if let Some(page) = page {
                let resources =
                    stored_rows(&mut conn, t, &schema, page.rows, query.with_members).await?;
                return Ok(Page {
                    total: usize::try_from(page.total).unwrap_or(usize::MAX),
                    resources,
                });
            }
        }
        if residual.is_none() && sorted_in_sql {
            let q = SqlQuery {
                condition: condition.as_ref(),
                order: order.as_ref(),
                page: query.limit.map(|limit| SqlPage {
                    offset: query.offset as u64,
                    limit: limit as u64,
                }),
            };
            let q = SqlQuery {
                page: q.page.or((query.offset > 0).then_some(SqlPage {
                    offset: query.offset as u64,
                    limit: u64::MAX >> 1,
                })),
                ..q
            };
            let rows = read::query(&mut conn, t, schema.name(), &q)
                .await
                .map_err(backend)?;
            // The total without a second statement when the page tells it: a page that is
            // not full and not past the end holds the last match (a lookup's usual answer).
            let short = query.limit.is_none_or(|limit| rows.len() < limit);
            let total = if short && (!rows.is_empty() || query.offset == 0) {
                (query.offset + rows.len()) as u64
            } else {
                read::count(&mut conn, t, schema.name(), &q)
                    .await
                    .map_err(backend)?
            };
            let resources = stored_rows(&mut conn, t, &schema, rows, query.with_members).await?;
            return Ok(Page {
                total: usize::try_from(total).unwrap_or(usize::MAX),
                resources,
            });
        }
        // What SQL cannot answer whole: its candidates, then the residual, sort and page here.
        let q = SqlQuery {
            condition: condition.as_ref(),
            order: None,
            page: None,
        };
        let rows = read::query(&mut conn, t, schema.name(), &q)
            .await
            .map_err(backend)?;
        let resources = stored_rows(&mut conn, t, &schema, rows, true).await?;
        crate::paging::finish_candidates(&query, residual.as_ref(), resources)
    }

    fn plan<'a>(
        &self,
        resource_type: &ResourceSchema<'_>,
        filter: Option<&Filter<'a>>,
        sort: Option<&AttrPath<'_>>,
    ) -> Plan<'a> {
        let translator = Translator::new(*resource_type, &PostgresDialect);
        let sorts = sort.is_none_or(|by| {
            translator
                .order_by(by, scimkit_filter::SortOrder::Ascending)
                .is_some()
        });
        // Keyset pages are answered in SQL when the whole query is and the sort key is a
        // column with its keyset index (or there is no sortBy: `id` order).
        let keyset = |plan: Plan<'a>| match crate::keyset::key_of(resource_type, sort) {
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
            Ok(plan) if !plan.native.as_ref().is_none_or(sendable) => Plan::residual(Some(filter)),
            Ok(plan) if plan.is_exact() && sorts => keyset(Plan::native(Some(filter))),
            Ok(plan) => Plan::split(plan.native_filter, plan.residual),
            Err(_) => Plan::residual(Some(filter)),
        }
    }
}
