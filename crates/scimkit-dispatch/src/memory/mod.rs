//! [`MemoryStore`]: the embedded, indexed, concurrent in-memory [`Store`].

mod document;
mod ids;
mod index;
mod kinds;
mod members;
mod order;
mod query;
mod tenant;
mod tx;

use crate::store::{MemberRef, Page, Plan, Query, Store, StoreError, Stored, TenantId};
use chrono::{DateTime, Utc};
use ids::IdGen;
use kinds::Kinds;
use scimkit_filter::{AttrPath, Filter};
use scimkit_schema::{remove_ci, Registry, ResourceSchema};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, PoisonError, RwLock};
use tenant::TenantData;
pub use tx::MemoryTx;

type TenantCell = Arc<async_lock::RwLock<TenantData>>;

/// An in-memory [`Store`]: the embedded default, and the reference for other implementations.
///
/// - **Concurrent**: one lock per tenant. Reads share it; a write transaction ([`MemoryTx`])
///   holds it until it commits or is dropped, so a tenant's writes run one after another and
///   are undone as a whole when their transaction is dropped.
/// - **Indexed** by `id`, `userName` (case-insensitive, unique per tenant), `externalId`,
///   `displayName` (case-insensitive; unique per tenant for groups unless configured off) and
///   membership (a reverse index from member to groups). `eq` filters on these attributes,
///   alone or in `and` / `or`, are answered from the indexes without scanning; other filters
///   scan with the filter evaluator.
/// - **Membership**: a `Group`'s `members` and a `User`'s computed `groups` come from one
///   relation; deleting a resource removes it from every group; member deltas apply atomically.
///
/// Cheap to clone: clones share the data.
///
/// ```
/// use scimkit_dispatch::{MemoryStore, Store, StoreTx, TenantId};
/// use serde_json::json;
/// # futures_executor::block_on(async {
/// let store = MemoryStore::new();
/// let acme = TenantId::new("acme");
/// let mut tx = store.begin(&acme).await.unwrap();
/// let user = tx.create("User", json!({"userName": "bjensen"})).await.unwrap();
/// tx.commit().await.unwrap();
/// let again = store.get(&acme, "User", &user.id).await.unwrap().unwrap();
/// assert_eq!(again.resource["userName"], "bjensen");
///
/// // A transaction dropped without a commit leaves nothing behind.
/// let mut tx = store.begin(&acme).await.unwrap();
/// let doomed = tx.create("User", json!({"userName": "ghost"})).await.unwrap();
/// drop(tx);
/// assert!(store.get(&acme, "User", &doomed.id).await.unwrap().is_none());
///
/// // Another tenant sees nothing, and may use the same userName; the same tenant may not.
/// let other = TenantId::new("globex");
/// assert!(store.get(&other, "User", &user.id).await.unwrap().is_none());
/// let mut tx = store.begin(&other).await.unwrap();
/// assert!(tx.create("User", json!({"userName": "BJENSEN"})).await.is_ok());
/// let mut tx = store.begin(&acme).await.unwrap();
/// assert!(tx.create("User", json!({"userName": "BJENSEN"})).await.is_err());
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    tenants: RwLock<HashMap<TenantId, TenantCell>>,
    kinds: Arc<Kinds>,
    unique_group_display_name: bool,
    ids: IdGen,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// An empty store of the standard registry's types (`User`, `Group`); group
    /// `displayName` is unique per tenant (Entra ID requires it).
    pub fn new() -> Self {
        Self::build(&Registry::standard(), true)
    }

    /// An empty store where groups may share a `displayName`.
    pub fn without_unique_group_names() -> Self {
        Self::build(&Registry::standard(), false)
    }

    /// An empty store of `registry`'s types: which types hold `members` (and of which
    /// types), which memberships a member's `groups` lists and which types have a unique
    /// `userName` come from their schemas. The `displayName` of a type with members is unique
    /// per tenant.
    pub fn for_registry(registry: &Registry) -> Self {
        Self::build(registry, true)
    }

    fn build(registry: &Registry, unique_group_display_name: bool) -> Self {
        MemoryStore {
            inner: Arc::new(Inner {
                tenants: RwLock::new(HashMap::new()),
                kinds: Arc::new(Kinds::of(registry)),
                unique_group_display_name,
                ids: IdGen::new(),
            }),
        }
    }

    /// How many resources of a type a tenant holds (waits for a write transaction of the
    /// tenant to finish).
    pub fn count(&self, tenant: &TenantId, resource_type: &str) -> usize {
        match self.tenant(tenant) {
            Some(t) => t
                .read_blocking()
                .types
                .get(&type_key(resource_type))
                .map_or(0, |td| td.by_id.len()),
            None => 0,
        }
    }

    fn tenant(&self, tenant: &TenantId) -> Option<TenantCell> {
        self.inner
            .tenants
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(tenant)
            .cloned()
    }

    fn tenant_or_create(&self, tenant: &TenantId) -> TenantCell {
        if let Some(t) = self.tenant(tenant) {
            return t;
        }
        self.inner
            .tenants
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(tenant.clone())
            .or_insert_with(|| {
                Arc::new(async_lock::RwLock::new(TenantData::new(Arc::clone(
                    &self.inner.kinds,
                ))))
            })
            .clone()
    }
}

impl Store for MemoryStore {
    type Tx = MemoryTx;

    fn begin(
        &self,
        tenant: &TenantId,
    ) -> impl Future<Output = Result<MemoryTx, StoreError>> + Send {
        let cell = self.tenant_or_create(tenant);
        let inner = Arc::clone(&self.inner);
        async move { Ok(MemoryTx::new(inner, cell.write_arc().await)) }
    }

    fn get(
        &self,
        tenant: &TenantId,
        resource_type: &str,
        id: &str,
    ) -> impl Future<Output = Result<Option<Stored>, StoreError>> + Send {
        let cell = self.tenant(tenant);
        let key = type_key(resource_type);
        async move {
            Ok(match cell {
                Some(cell) => cell.read().await.view(&key, id, true),
                None => None,
            })
        }
    }

    fn query(
        &self,
        tenant: &TenantId,
        query: Query<'_>,
    ) -> impl Future<Output = Result<Page, StoreError>> + Send {
        let cell = self.tenant(tenant);
        async move {
            match cell {
                Some(cell) => cell.read().await.query(query),
                None => Ok(Page::default()),
            }
        }
    }

    /// Every filter, sort and keyset page: the indexes answer equality, the rest is
    /// evaluated here.
    fn plan<'a>(
        &self,
        _resource_type: &ResourceSchema<'_>,
        filter: Option<&Filter<'a>>,
        _sort: Option<&AttrPath<'_>>,
    ) -> Plan<'a> {
        Plan::native(filter).with_keyset()
    }
}

fn type_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// The index key of a case-insensitive value: the same fold the filter evaluator compares by.
fn fold(s: &str) -> String {
    scimkit_filter::fold(s).into_owned()
}

/// Now, to the millisecond `meta` shows.
fn now() -> DateTime<Utc> {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn is_relation(name: &str) -> bool {
    name.eq_ignore_ascii_case("members") || name.eq_ignore_ascii_case("groups")
}

fn mentions_relation(f: &Filter<'_>) -> bool {
    match f {
        Filter::Attr { path, .. } => is_relation(&path.name),
        Filter::ValuePath(vp) => is_relation(&vp.attr.name),
        Filter::And(fs) | Filter::Or(fs) => fs.iter().any(mentions_relation),
        Filter::Not(f) => mentions_relation(f),
    }
}

/// Drops what the store maintains itself.
fn strip_server_attributes(doc: &mut Map<String, Value>) {
    for k in scimkit_schema::SERVER_OWNED {
        remove_ci(doc, k);
    }
}

/// A member as kept: its id and the element served (`value`, `display`, `type`).
type Member = (String, Value);

fn parse_members(list: Vec<Value>) -> Result<Vec<MemberRef>, StoreError> {
    list.iter()
        .map(|m| {
            MemberRef::from_element(m).ok_or_else(|| {
                StoreError::InvalidValue("each member must have a string \"value\"".into())
            })
        })
        .collect()
}

fn take_members(doc: &mut Map<String, Value>) -> Result<Vec<MemberRef>, StoreError> {
    match remove_ci(doc, "members") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => parse_members(a),
        Some(_) => Err(StoreError::InvalidValue("members must be an array".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Change, StoreTx, Version};
    use futures_executor::block_on;
    use scimkit_schema::Registry;
    use serde_json::json;

    fn t(s: &str) -> TenantId {
        TenantId::new(s)
    }

    async fn create(
        s: &MemoryStore,
        t: &TenantId,
        ty: &str,
        v: Value,
    ) -> Result<Stored, StoreError> {
        let mut tx = s.begin(t).await?;
        let stored = tx.create(ty, v).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn update(
        s: &MemoryStore,
        t: &TenantId,
        ty: &str,
        id: &str,
        change: Change,
        expected: Option<Version>,
    ) -> Result<Stored, StoreError> {
        let mut tx = s.begin(t).await?;
        let stored = tx.update(ty, id, change, expected).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn delete(
        s: &MemoryStore,
        t: &TenantId,
        ty: &str,
        id: &str,
        expected: Option<Version>,
    ) -> Result<(), StoreError> {
        let mut tx = s.begin(t).await?;
        tx.delete(ty, id, expected).await?;
        tx.commit().await
    }

    #[test]
    fn ids_are_uuid_shaped_and_distinct() {
        let g = IdGen::new();
        let a = g.next();
        let b = g.next();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
    }

    #[test]
    fn user_name_unique_case_insensitively_per_tenant_and_freed_on_delete() {
        block_on(async {
            let s = MemoryStore::new();
            let u = create(&s, &t("a"), "User", json!({"userName": "Ärger@x"}))
                .await
                .unwrap();
            let dup = create(&s, &t("a"), "User", json!({"userName": "ärger@X"})).await;
            assert!(matches!(dup, Err(StoreError::Uniqueness(_))));
            delete(&s, &t("a"), "User", &u.id, None).await.unwrap();
            assert!(create(&s, &t("a"), "User", json!({"userName": "ärger@X"}))
                .await
                .is_ok());
        });
    }

    #[test]
    fn versions_and_preconditions() {
        block_on(async {
            let s = MemoryStore::new();
            let u = create(&s, &t("a"), "User", json!({"userName": "x"}))
                .await
                .unwrap();
            assert_eq!(u.version, Version(1));
            assert_eq!(u.created, u.last_modified);
            assert!(u.resource.get("meta").is_none() && u.resource.get("id").is_none());
            let change = Change::new().with_attributes(json!({"userName": "y"}));
            let err = update(&s, &t("a"), "User", &u.id, change.clone(), Some(Version(7))).await;
            assert!(matches!(
                err,
                Err(StoreError::VersionMismatch {
                    current: Version(1)
                })
            ));
            let v2 = update(&s, &t("a"), "User", &u.id, change, Some(Version(1)))
                .await
                .unwrap();
            assert_eq!(v2.version, Version(2));
            assert_eq!(v2.resource["userName"], "y");
            assert_eq!(v2.id, u.id);
            assert_eq!(v2.created, u.created);
            assert!(v2.last_modified >= u.last_modified);
        });
    }

    #[test]
    fn membership_is_indexed_both_ways_and_deletion_cleans_up() {
        block_on(async {
            let s = MemoryStore::new();
            let a = t("a");
            let u1 = create(&s, &a, "User", json!({"userName": "u1"}))
                .await
                .unwrap();
            let u2 = create(&s, &a, "User", json!({"userName": "u2"}))
                .await
                .unwrap();
            let g = create(
                &s,
                &a,
                "Group",
                json!({"displayName": "G", "members": [{"value": u1.id}]}),
            )
            .await
            .unwrap();
            assert_eq!(g.resource["members"][0]["value"], u1.id.as_str());
            assert_eq!(g.resource["members"][0]["type"], "User");
            let add = Change::new().add_member(MemberRef::new(&u2.id));
            let g2 = update(&s, &a, "Group", &g.id, add, None).await.unwrap();
            assert_eq!(g2.version, Version(2));
            assert_eq!(g2.resource["members"].as_array().unwrap().len(), 2);
            let u1v = s.get(&a, "User", &u1.id).await.unwrap().unwrap();
            assert_eq!(u1v.resource["groups"][0]["value"], g.id.as_str());
            assert_eq!(u1v.resource["groups"][0]["display"], "G");
            delete(&s, &a, "User", &u1.id, None).await.unwrap();
            let g3 = s.get(&a, "Group", &g.id).await.unwrap().unwrap();
            assert_eq!(
                g3.resource["members"],
                json!([{"value": u2.id, "type": "User"}])
            );
            assert_eq!(g3.version, Version(3));
            // A member from another tenant is refused and nothing changes.
            let other = create(&s, &t("b"), "User", json!({"userName": "o"}))
                .await
                .unwrap();
            let bad = Change::new().add_member(MemberRef::new(&other.id));
            assert!(matches!(
                update(&s, &a, "Group", &g.id, bad, None).await,
                Err(StoreError::InvalidValue(_))
            ));
            assert_eq!(
                s.get(&a, "Group", &g.id).await.unwrap().unwrap().version,
                Version(3)
            );
        });
    }

    #[test]
    fn group_display_name_unique_by_default() {
        block_on(async {
            let s = MemoryStore::new();
            create(&s, &t("a"), "Group", json!({"displayName": "Sales"}))
                .await
                .unwrap();
            assert!(
                create(&s, &t("a"), "Group", json!({"displayName": "sales"}))
                    .await
                    .is_err()
            );
            let lax = MemoryStore::without_unique_group_names();
            create(&lax, &t("a"), "Group", json!({"displayName": "Sales"}))
                .await
                .unwrap();
            assert!(
                create(&lax, &t("a"), "Group", json!({"displayName": "sales"}))
                    .await
                    .is_ok()
            );
        });
    }

    #[test]
    fn indexed_equality_matches_scan() {
        block_on(async {
            let reg = Registry::standard();
            let users = reg.resource_type("User").unwrap();
            let s = MemoryStore::new();
            let a = t("a");
            for i in 0..50 {
                create(
                    &s,
                    &a,
                    "User",
                    json!({"userName": format!("User{i}"), "externalId": format!("E{}", i % 5),
                           "displayName": format!("D{}", i % 7)}),
                )
                .await
                .unwrap();
            }
            for f in [
                r#"userName eq "user7""#,
                r#"externalId eq "E3""#,
                r#"externalId eq "e3""#,
                r#"displayName eq "d2" and externalId eq "E1""#,
                r#"userName eq "USER1" or userName eq "user2" or displayName eq "d0""#,
                r#"userName sw "user1""#,
            ] {
                let filter = scimkit_filter::parse(f).unwrap();
                let q = Query::all(users).filtered(Some(&filter));
                let indexed = s.query(&a, q).await.unwrap();
                let td = s
                    .tenant(&a)
                    .unwrap()
                    .read_blocking()
                    .types
                    .get("user")
                    .map(|ty| ty.candidates(&filter, &users).is_some());
                let all = s.query(&a, Query { filter: None, ..q }).await.unwrap();
                let scanned: Vec<_> = all
                    .resources
                    .into_iter()
                    .filter(|r| scimkit_filter::matches(&filter, &r.resource, &users).unwrap())
                    .collect();
                assert_eq!(indexed.total, scanned.len(), "{f}");
                assert_eq!(indexed.resources, scanned, "{f}");
                assert_eq!(td, Some(!f.contains(" sw ")), "{f}");
            }
        });
    }
}
