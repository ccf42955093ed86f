//! [`MemoryStore`]: the embedded, indexed, concurrent in-memory [`Store`].

mod document;
mod ids;
mod index;
mod members;
mod order;

use crate::store::{Change, Page, Query, Resource, Store, StoreError, Stored, TenantId, Version};
use document::{decode, display_of, encode, filter_names, partial, sort_key, Entry};
use ids::{Id, IdGen};
use index::{IndexKeys, TypeData};
use members::MemberList;
use scimkit_filter::{compare_resources, Filter, Matcher};
use scimkit_schema::{get_ci, remove_ci};
use serde_json::{json, Map, Value};
use std::collections::{BTreeSet, HashMap};
use std::future::{ready, Future};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// An in-memory [`Store`]: the embedded default, and the reference for other implementations.
///
/// - **Concurrent**: one lock per tenant, held only inside a synchronous section (never across
///   an `.await`: every future it returns is already complete).
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
/// use scimkit_dispatch::{MemoryStore, Store, TenantId};
/// use serde_json::json;
/// # futures_executor::block_on(async {
/// let store = MemoryStore::new();
/// let acme = TenantId::new("acme");
/// let user = store.create(&acme, "User", json!({"userName": "bjensen"})).await.unwrap();
/// let again = store.get(&acme, "User", &user.id).await.unwrap().unwrap();
/// assert_eq!(again.resource["userName"], "bjensen");
/// // Another tenant sees nothing, and may use the same userName.
/// let other = TenantId::new("globex");
/// assert!(store.get(&other, "User", &user.id).await.unwrap().is_none());
/// assert!(store.create(&other, "User", json!({"userName": "BJENSEN"})).await.is_ok());
/// assert!(store.create(&acme, "User", json!({"userName": "BJENSEN"})).await.is_err());
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    tenants: RwLock<HashMap<TenantId, Arc<RwLock<TenantData>>>>,
    unique_group_display_name: bool,
    ids: IdGen,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// An empty store; group `displayName` is unique per tenant (Entra ID requires it).
    pub fn new() -> Self {
        MemoryStore {
            inner: Arc::new(Inner {
                tenants: RwLock::new(HashMap::new()),
                unique_group_display_name: true,
                ids: IdGen::new(),
            }),
        }
    }

    /// An empty store where groups may share a `displayName`.
    pub fn without_unique_group_names() -> Self {
        MemoryStore {
            inner: Arc::new(Inner {
                tenants: RwLock::new(HashMap::new()),
                unique_group_display_name: false,
                ids: IdGen::new(),
            }),
        }
    }

    /// How many resources of a type a tenant holds.
    pub fn count(&self, tenant: &TenantId, resource_type: &str) -> usize {
        match self.tenant(tenant) {
            Some(t) => read(&t)
                .types
                .get(&type_key(resource_type))
                .map_or(0, |td| td.by_id.len()),
            None => 0,
        }
    }

    fn tenant(&self, tenant: &TenantId) -> Option<Arc<RwLock<TenantData>>> {
        read(&self.inner.tenants).get(tenant).cloned()
    }

    fn tenant_or_create(&self, tenant: &TenantId) -> Arc<RwLock<TenantData>> {
        if let Some(t) = self.tenant(tenant) {
            return t;
        }
        write(&self.inner.tenants)
            .entry(tenant.clone())
            .or_default()
            .clone()
    }

    fn create_sync(
        &self,
        tenant: &TenantId,
        resource_type: &str,
        resource: Value,
    ) -> Result<Stored, StoreError> {
        let Value::Object(mut doc) = resource else {
            return Err(StoreError::InvalidValue(
                "a resource must be a JSON object".into(),
            ));
        };
        let key = type_key(resource_type);
        let is_group = key == "group";
        let members = if is_group {
            take_members(&mut doc)?
        } else {
            Vec::new()
        };
        strip_server_attributes(&mut doc);
        let t = self.tenant_or_create(tenant);
        let mut td = write(&t);
        let keys = IndexKeys::of(&key, &doc);
        td.types
            .entry(key.clone())
            .or_insert_with(|| TypeData::new(resource_type))
            .check_unique(
                &keys,
                None,
                is_group && self.inner.unique_group_display_name,
            )?;
        let members = td.resolve_members(members)?;
        let id: Id = Arc::from(self.inner.ids.next());
        let now = now();
        let ty = td
            .types
            .entry(key.clone())
            .or_insert_with(|| TypeData::new(resource_type));
        let canonical = ty.name.clone();
        doc.insert("id".into(), Value::String(id.to_string()));
        doc.insert(
            "meta".into(),
            json!({
                "resourceType": canonical,
                "created": now,
                "lastModified": now,
                "version": Version(1).etag(),
            }),
        );
        ty.index(&id, &keys);
        let seq = ty.order.push(Arc::clone(&id));
        ty.by_id.insert(
            Arc::clone(&id),
            Entry {
                seq,
                version: 1,
                display: display_of(is_group, &doc),
                doc: encode(&doc),
            },
        );
        if is_group {
            td.members.insert(id.to_string(), MemberList::default());
            td.apply_members(&id, members, &[]);
        }
        td.view(&key, &id, true)
            .ok_or_else(|| StoreError::backend("created resource vanished"))
    }

    fn get_sync(
        &self,
        tenant: &TenantId,
        resource_type: &str,
        id: &str,
    ) -> Result<Option<Stored>, StoreError> {
        let Some(t) = self.tenant(tenant) else {
            return Ok(None);
        };
        let td = read(&t);
        Ok(td.view(&type_key(resource_type), id, true))
    }

    fn write_sync(
        &self,
        tenant: &TenantId,
        resource_type: &str,
        id: &str,
        change: Change,
        replace_members: Option<Vec<Value>>,
        expected: Option<Version>,
    ) -> Result<Stored, StoreError> {
        let key = type_key(resource_type);
        let is_group = key == "group";
        let not_found = || StoreError::NotFound(id.to_string());
        let t = self.tenant(tenant).ok_or_else(not_found)?;
        let mut td = write(&t);
        let entry = td
            .types
            .get(&key)
            .and_then(|ty| ty.by_id.get(id))
            .ok_or_else(not_found)?;
        if let Some(v) = expected {
            if v.0 != entry.version {
                return Err(StoreError::VersionMismatch {
                    current: Version(entry.version),
                });
            }
        }
        // Work out everything that can fail before changing anything.
        let new_doc = match change.attributes {
            Some(Value::Object(mut doc)) => {
                if is_group {
                    remove_ci(&mut doc, "members");
                }
                strip_server_attributes(&mut doc);
                Some(doc)
            }
            Some(_) => {
                return Err(StoreError::InvalidValue(
                    "a resource must be a JSON object".into(),
                ))
            }
            None => None,
        };
        let new_keys = new_doc.as_ref().map(|d| IndexKeys::of(&key, d));
        if let (Some(keys), Some(ty)) = (&new_keys, td.types.get(&key)) {
            ty.check_unique(
                keys,
                Some(id),
                is_group && self.inner.unique_group_display_name,
            )?;
        }
        let (add, remove) = if is_group {
            let add = td.resolve_members(parse_members(change.add_members)?)?;
            let mut remove = change.remove_members;
            if let Some(all) = replace_members {
                let wanted = td.resolve_members(parse_members(all)?)?;
                let current: Vec<String> = td
                    .members
                    .get(id)
                    .map(|m| m.items.iter().map(|(k, _)| k.clone()).collect())
                    .unwrap_or_default();
                remove.extend(
                    current
                        .into_iter()
                        .filter(|c| !wanted.iter().any(|(w, _)| w == c)),
                );
                (wanted.into_iter().chain(add).collect(), remove)
            } else {
                (add, remove)
            }
        } else {
            (Vec::new(), Vec::new())
        };
        // Apply.
        let now = now();
        let Some(ty) = td.types.get_mut(&key) else {
            return Err(not_found());
        };
        let mut replaced = None;
        if let (Some(mut doc), Some(keys)) = (new_doc, new_keys) {
            let Some((id_key, entry)) = ty.by_id.get_key_value(id) else {
                return Err(not_found());
            };
            let id_key = Arc::clone(id_key);
            let mut old = decode(&entry.doc);
            let old_keys = IndexKeys::of(&key, &old);
            if let Some(meta) = old.remove("meta") {
                doc.insert("meta".into(), meta);
            }
            doc.insert("id".into(), Value::String(id.to_string()));
            ty.unindex(id, &old_keys);
            ty.index(&id_key, &keys);
            replaced = Some(doc);
        }
        let mut touched = td.apply_members(id, add, &remove);
        touched.retain(|g| g != id);
        td.bump(&key, id, &now, replaced);
        for g in touched {
            td.bump("group", &g, &now, None);
        }
        td.view(&key, id, true).ok_or_else(not_found)
    }

    fn delete_sync(
        &self,
        tenant: &TenantId,
        resource_type: &str,
        id: &str,
        expected: Option<Version>,
    ) -> Result<(), StoreError> {
        let key = type_key(resource_type);
        let not_found = || StoreError::NotFound(id.to_string());
        let t = self.tenant(tenant).ok_or_else(not_found)?;
        let mut td = write(&t);
        let ty = td.types.get_mut(&key).ok_or_else(not_found)?;
        let entry = ty.by_id.get(id).ok_or_else(not_found)?;
        if let Some(v) = expected {
            if v.0 != entry.version {
                return Err(StoreError::VersionMismatch {
                    current: Version(entry.version),
                });
            }
        }
        let Some(entry) = ty.by_id.remove(id) else {
            return Err(not_found());
        };
        ty.order.remove(entry.seq);
        ty.unindex(id, &IndexKeys::of(&key, &decode(&entry.doc)));
        if let Some(moved) = ty.order.compact_if_sparse() {
            for (id, seq) in moved {
                if let Some(e) = ty.by_id.get_mut(&*id) {
                    e.seq = seq;
                }
            }
        }
        let now = now();
        // Its own members (a group) lose their back-reference.
        if let Some(list) = td.members.remove(id) {
            for (m, _) in list.items {
                if let Some(set) = td.member_of.get_mut(&m) {
                    set.remove(id);
                    if set.is_empty() {
                        td.member_of.remove(&m);
                    }
                }
            }
        }
        // It leaves every group it was a member of.
        if let Some(groups) = td.member_of.remove(id) {
            for g in groups {
                if let Some(list) = td.members.get_mut(&g) {
                    list.remove(id);
                }
                td.bump("group", &g, &now, None);
            }
        }
        Ok(())
    }

    fn query_sync(&self, tenant: &TenantId, q: Query<'_>) -> Result<Page, StoreError> {
        let rs = q.resource_type;
        let matcher = match q.filter {
            Some(f) => {
                Some(Matcher::new(f, &rs).map_err(|e| StoreError::InvalidFilter(e.to_string()))?)
            }
            None => None,
        };
        let Some(t) = self.tenant(tenant) else {
            return Ok(Page::default());
        };
        let td = read(&t);
        let key = type_key(rs.name());
        let Some(ty) = td.types.get(&key) else {
            return Ok(Page::default());
        };
        let limit = q.limit.unwrap_or(usize::MAX);
        // The fast path: everything, in creation order.
        if q.filter.is_none() && q.sort.is_none() {
            let resources = ty
                .order
                .iter_from(q.offset)
                .take(limit)
                .filter_map(|id| td.view(&key, id, q.with_members))
                .collect();
            return Ok(Page {
                total: ty.by_id.len(),
                resources,
            });
        }
        let needs_view = q.filter.is_some_and(mentions_relation)
            || q.sort.is_some_and(|(by, _)| is_relation(&by.name));
        let candidates = q.filter.and_then(|f| ty.candidates(f, &rs));
        // (creation order, id, the entry when already looked up)
        let mut ids: Vec<(u64, &Id, Option<&Entry>)> = match &candidates {
            Some(list) => {
                let mut v: Vec<_> = list
                    .iter()
                    .filter_map(|id| ty.by_id.get_key_value(&**id))
                    .map(|(k, e)| (e.seq, k, Some(e)))
                    .collect();
                if v.len() > 1 {
                    v.sort_unstable_by_key(|(seq, _, _)| *seq);
                    v.dedup_by_key(|(seq, _, _)| *seq);
                }
                v
            }
            None => ty.order.iter().map(|(seq, id)| (seq, id, None)).collect(),
        };
        // Resources are held as JSON text: of each candidate, only the attributes the filter
        // and the sort look at (and extension objects) are parsed, and dropped after use.
        let mut names = Vec::new();
        if let Some(f) = q.filter {
            filter_names(f, &mut names);
        }
        if let Some((by, _)) = q.sort {
            names.push(&*by.name);
            names.extend(by.urn.as_deref());
        }
        let load = |id: &str| -> Option<Value> {
            if needs_view {
                let s = td.view(&key, id, true)?;
                Some(match s.resource.json_text() {
                    Some(text) => partial(text, &names),
                    None => s.resource.into_value(),
                })
            } else {
                ty.by_id.get(id).map(|e| partial(&e.doc, &names))
            }
        };
        // An index lookup that answers the whole filter needs no evaluation.
        let exact = candidates.is_some() && q.filter.is_some_and(|f| ty.index_answers(f, &rs));
        if let (Some(m), false) = (&matcher, exact) {
            ids.retain(|(_, id, _)| load(id).is_some_and(|d| m.matches(&d)));
        }
        if let Some((by, order)) = q.sort {
            let mut keyed: Vec<_> = ids
                .into_iter()
                .map(|item| {
                    let k = load(item.1).map_or(Value::Null, |d| sort_key(&d, by));
                    (k, item)
                })
                .collect();
            keyed.sort_by(|(a, _), (b, _)| compare_resources(a, b, by, order, &rs));
            ids = keyed.into_iter().map(|(_, item)| item).collect();
        }
        let total = ids.len();
        let resources = ids
            .into_iter()
            .skip(q.offset)
            .take(limit)
            .filter_map(|(_, id, entry)| match entry {
                Some(e) => Some(td.view_entry(&key, id, e, q.with_members)),
                None => td.view(&key, id, q.with_members),
            })
            .collect();
        Ok(Page { total, resources })
    }
}

impl Store for MemoryStore {
    fn create(
        &self,
        tenant: &TenantId,
        resource_type: &str,
        resource: Value,
    ) -> impl Future<Output = Result<Stored, StoreError>> + Send {
        ready(self.create_sync(tenant, resource_type, resource))
    }

    fn get(
        &self,
        tenant: &TenantId,
        resource_type: &str,
        id: &str,
    ) -> impl Future<Output = Result<Option<Stored>, StoreError>> + Send {
        ready(self.get_sync(tenant, resource_type, id))
    }

    fn update(
        &self,
        tenant: &TenantId,
        resource_type: &str,
        id: &str,
        change: Change,
        expected: Option<Version>,
    ) -> impl Future<Output = Result<Stored, StoreError>> + Send {
        ready(self.write_sync(tenant, resource_type, id, change, None, expected))
    }

    fn replace(
        &self,
        tenant: &TenantId,
        resource_type: &str,
        id: &str,
        mut resource: Value,
        expected: Option<Version>,
    ) -> impl Future<Output = Result<Stored, StoreError>> + Send {
        let members = if type_key(resource_type) == "group" {
            let m = resource
                .as_object_mut()
                .and_then(|o| remove_ci(o, "members"));
            Some(match m {
                Some(Value::Array(a)) => a,
                _ => Vec::new(),
            })
        } else {
            None
        };
        let change = Change {
            attributes: Some(resource),
            ..Change::default()
        };
        ready(self.write_sync(tenant, resource_type, id, change, members, expected))
    }

    fn delete(
        &self,
        tenant: &TenantId,
        resource_type: &str,
        id: &str,
        expected: Option<Version>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        ready(self.delete_sync(tenant, resource_type, id, expected))
    }

    fn query(
        &self,
        tenant: &TenantId,
        query: Query<'_>,
    ) -> impl Future<Output = Result<Page, StoreError>> + Send {
        ready(self.query_sync(tenant, query))
    }

    fn answers(&self, _resource_type: &str, _filter: &Filter<'_>) -> bool {
        true
    }

    fn sorts_by(&self, _resource_type: &str, _by: &scimkit_filter::AttrPath<'_>) -> bool {
        true
    }
}

fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(PoisonError::into_inner)
}

fn type_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// The index key of a case-insensitive value: the same fold the filter evaluator compares by.
fn fold(s: &str) -> String {
    scimkit_filter::fold(s).into_owned()
}

fn now() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
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

/// A member as given: its id and the element to keep (`value`, `type`, `display`).
type Member = (String, Value);

fn parse_members(list: Vec<Value>) -> Result<Vec<Member>, StoreError> {
    list.into_iter()
        .map(|m| {
            let id = crate::store::member_id(&m)
                .ok_or_else(|| {
                    StoreError::InvalidValue("each member must have a string \"value\"".into())
                })?
                .to_string();
            Ok((id, m))
        })
        .collect()
}

fn take_members(doc: &mut Map<String, Value>) -> Result<Vec<Member>, StoreError> {
    match remove_ci(doc, "members") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => parse_members(a),
        Some(_) => Err(StoreError::InvalidValue("members must be an array".into())),
    }
}

#[derive(Debug, Default)]
struct TenantData {
    types: HashMap<String, TypeData>,
    /// group id → its members.
    members: HashMap<String, MemberList>,
    /// member id → the groups it is a direct member of.
    member_of: HashMap<String, BTreeSet<String>>,
}

impl TenantData {
    /// Checks that every member exists in this tenant and fills in its `type`.
    fn resolve_members(&self, members: Vec<Member>) -> Result<Vec<Member>, StoreError> {
        members
            .into_iter()
            .map(|(id, given)| {
                let kind = ["user", "group"]
                    .into_iter()
                    .find(|k| {
                        self.types
                            .get(*k)
                            .is_some_and(|t| t.by_id.contains_key(id.as_str()))
                    })
                    .ok_or_else(|| {
                        StoreError::InvalidValue(format!(
                            "member {id} is not a user or group of this tenant"
                        ))
                    })?;
                let mut element = Map::new();
                element.insert("value".into(), Value::String(id.clone()));
                if let Value::Object(o) = &given {
                    if let Some(d) = get_ci(o, "display").filter(|d| d.is_string()) {
                        element.insert("display".into(), d.clone());
                    }
                }
                let kind = if kind == "user" { "User" } else { "Group" };
                element.insert("type".into(), Value::String(kind.into()));
                Ok((id, Value::Object(element)))
            })
            .collect()
    }

    /// Applies member deltas to a group; returns the groups whose version must move (the
    /// group itself is always among them when anything changed).
    fn apply_members(&mut self, group: &str, add: Vec<Member>, remove: &[String]) -> Vec<String> {
        let Some(list) = self.members.get_mut(group) else {
            return Vec::new();
        };
        let mut changed = false;
        for id in remove {
            if list.remove(id) {
                changed = true;
                if let Some(set) = self.member_of.get_mut(id) {
                    set.remove(group);
                    if set.is_empty() {
                        self.member_of.remove(id);
                    }
                }
            }
        }
        for (id, element) in add {
            if list.add(id.clone(), element) {
                changed = true;
                self.member_of
                    .entry(id)
                    .or_default()
                    .insert(group.to_string());
            }
        }
        if changed {
            vec![group.to_string()]
        } else {
            Vec::new()
        }
    }

    /// Moves a resource to its next version, with new attributes (and its `id` and `meta`)
    /// when given.
    fn bump(&mut self, key: &str, id: &str, now: &str, doc: Option<Map<String, Value>>) {
        let Some(entry) = self.types.get_mut(key).and_then(|t| t.by_id.get_mut(id)) else {
            return;
        };
        entry.version += 1;
        let version = Version(entry.version).etag();
        let mut doc = doc.unwrap_or_else(|| decode(&entry.doc));
        if let Some(meta) = doc.get_mut("meta").and_then(Value::as_object_mut) {
            meta.insert("lastModified".into(), Value::String(now.to_string()));
            meta.insert("version".into(), Value::String(version));
        }
        entry.display = display_of(key == "group", &doc);
        entry.doc = encode(&doc);
    }

    /// The resource as served: its document plus `members` (groups) or `groups` (others).
    /// A resource without relations is handed out without copying.
    fn view(&self, key: &str, id: &str, with_members: bool) -> Option<Stored> {
        let entry = self.types.get(key)?.by_id.get(id)?;
        Some(self.view_entry(key, id, entry, with_members))
    }

    /// [`TenantData::view`] of an entry already looked up.
    fn view_entry(&self, key: &str, id: &str, entry: &Entry, with_members: bool) -> Stored {
        let relation: Option<(&str, Vec<Value>)> = if key == "group" {
            with_members.then(|| {
                let items = self
                    .members
                    .get(id)
                    .map(|m| m.items.iter().map(|(_, v)| v.clone()).collect())
                    .unwrap_or_default();
                ("members", items)
            })
        } else {
            self.member_of.get(id).map(|groups| {
                let list = groups
                    .iter()
                    .map(|g| {
                        let display = self
                            .types
                            .get("group")
                            .and_then(|t| t.by_id.get(g.as_str()))
                            .and_then(|e| e.display.as_deref())
                            .cloned();
                        let mut o = Map::new();
                        o.insert("value".into(), Value::String(g.clone()));
                        if let Some(d) = display {
                            o.insert("display".into(), d);
                        }
                        o.insert("type".into(), Value::String("direct".into()));
                        Value::Object(o)
                    })
                    .collect();
                ("groups", list)
            })
        };
        let resource = match relation {
            None => Resource::from_json(Arc::clone(&entry.doc)),
            Some((name, items)) => {
                let items = Value::Array(items);
                match crate::render::with_entry(&entry.doc, name, &items) {
                    Some(text) => Resource::from_json(Arc::from(text)),
                    None => {
                        let mut doc = decode(&entry.doc);
                        doc.insert(name.into(), items);
                        Resource::from(Value::Object(doc))
                    }
                }
            }
        };
        Stored {
            id: id.to_string(),
            version: Version(entry.version),
            resource,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_executor::block_on;
    use scimkit_schema::Registry;

    fn t(s: &str) -> TenantId {
        TenantId::new(s)
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
            let u = s
                .create(&t("a"), "User", json!({"userName": "Ärger@x"}))
                .await
                .unwrap();
            let dup = s
                .create(&t("a"), "User", json!({"userName": "ärger@X"}))
                .await;
            assert!(matches!(dup, Err(StoreError::Uniqueness(_))));
            s.delete(&t("a"), "User", &u.id, None).await.unwrap();
            assert!(s
                .create(&t("a"), "User", json!({"userName": "ärger@X"}))
                .await
                .is_ok());
        });
    }

    #[test]
    fn versions_and_preconditions() {
        block_on(async {
            let s = MemoryStore::new();
            let u = s
                .create(&t("a"), "User", json!({"userName": "x"}))
                .await
                .unwrap();
            assert_eq!(u.version, Version(1));
            assert_eq!(u.resource["meta"]["version"], "W/\"1\"");
            let change = Change {
                attributes: Some(json!({"userName": "y"})),
                ..Change::default()
            };
            let err = s
                .update(&t("a"), "User", &u.id, change.clone(), Some(Version(7)))
                .await;
            assert!(matches!(
                err,
                Err(StoreError::VersionMismatch {
                    current: Version(1)
                })
            ));
            let v2 = s
                .update(&t("a"), "User", &u.id, change, Some(Version(1)))
                .await
                .unwrap();
            assert_eq!(v2.version, Version(2));
            assert_eq!(v2.resource["userName"], "y");
            assert_eq!(v2.resource["id"], u.id.as_str());
            assert_eq!(
                v2.resource["meta"]["created"],
                u.resource["meta"]["created"]
            );
        });
    }

    #[test]
    fn membership_is_indexed_both_ways_and_deletion_cleans_up() {
        block_on(async {
            let s = MemoryStore::new();
            let a = t("a");
            let u1 = s
                .create(&a, "User", json!({"userName": "u1"}))
                .await
                .unwrap();
            let u2 = s
                .create(&a, "User", json!({"userName": "u2"}))
                .await
                .unwrap();
            let g = s
                .create(
                    &a,
                    "Group",
                    json!({"displayName": "G", "members": [{"value": u1.id}]}),
                )
                .await
                .unwrap();
            assert_eq!(g.resource["members"][0]["value"], u1.id.as_str());
            assert_eq!(g.resource["members"][0]["type"], "User");
            let add = Change {
                add_members: vec![json!({"value": u2.id})],
                ..Change::default()
            };
            let g2 = s.update(&a, "Group", &g.id, add, None).await.unwrap();
            assert_eq!(g2.version, Version(2));
            assert_eq!(g2.resource["members"].as_array().unwrap().len(), 2);
            let u1v = s.get(&a, "User", &u1.id).await.unwrap().unwrap();
            assert_eq!(u1v.resource["groups"][0]["value"], g.id.as_str());
            assert_eq!(u1v.resource["groups"][0]["display"], "G");
            s.delete(&a, "User", &u1.id, None).await.unwrap();
            let g3 = s.get(&a, "Group", &g.id).await.unwrap().unwrap();
            assert_eq!(
                g3.resource["members"],
                json!([{"value": u2.id, "type": "User"}])
            );
            assert_eq!(g3.version, Version(3));
            // A member from another tenant is refused and nothing changes.
            let other = s
                .create(&t("b"), "User", json!({"userName": "o"}))
                .await
                .unwrap();
            let bad = Change {
                add_members: vec![json!({"value": other.id})],
                ..Change::default()
            };
            assert!(matches!(
                s.update(&a, "Group", &g.id, bad, None).await,
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
            s.create(&t("a"), "Group", json!({"displayName": "Sales"}))
                .await
                .unwrap();
            assert!(s
                .create(&t("a"), "Group", json!({"displayName": "sales"}))
                .await
                .is_err());
            let lax = MemoryStore::without_unique_group_names();
            lax.create(&t("a"), "Group", json!({"displayName": "Sales"}))
                .await
                .unwrap();
            assert!(lax
                .create(&t("a"), "Group", json!({"displayName": "sales"}))
                .await
                .is_ok());
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
                s.create(
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
                let q = Query {
                    resource_type: users,
                    filter: Some(&filter),
                    sort: None,
                    offset: 0,
                    limit: None,
                    with_members: true,
                };
                let indexed = s.query(&a, q).await.unwrap();
                let td = read(&s.tenant(&a).unwrap())
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
