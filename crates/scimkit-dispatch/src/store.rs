//! The storage interface: an async, tenant-scoped, versioned store of SCIM resources.
//!
//! The dispatcher is generic over [`Store`]; [`MemoryStore`](crate::MemoryStore) is the
//! embedded default. A database-backed store implements the same trait (see
//! `docs/embedding.md`).

use scimkit_filter::{AttrPath, Filter, SortOrder};
use scimkit_schema::{ResourceSchema, ScimError};
use serde_json::Value;
use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

/// The tenant a request acts for. Every store call takes one; no call reads across tenants.
///
/// Cheap to clone (a shared string).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(Arc<str>);

impl TenantId {
    /// A tenant id.
    pub fn new(id: impl AsRef<str>) -> Self {
        TenantId(Arc::from(id.as_ref()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for TenantId {
    fn from(s: &str) -> Self {
        TenantId::new(s)
    }
}

/// A resource's version: a counter the store increases on every write (the members of a group
/// included). It is served as the weak ETag `W/"n"` and as `meta.version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version(pub u64);

impl Version {
    /// The weak ETag for this version: `W/"3"`.
    pub fn etag(self) -> String {
        format!("W/\"{}\"", self.0)
    }

    /// Reads an ETag (`W/"3"`, `"3"` or `3`); `None` when it is not one this crate issued.
    pub fn from_etag(tag: &str) -> Option<Version> {
        let t = tag.trim();
        let t = t.strip_prefix("W/").unwrap_or(t);
        let t = t
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(t);
        t.parse().ok().map(Version)
    }
}

/// A resource as the store holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// The resource's id.
    pub id: String,
    /// Its version.
    pub version: Version,
    /// The resource: the JSON the dispatcher wrote, plus `id` and `meta` (`resourceType`,
    /// `created`, `lastModified`, `version`) maintained by the store; for a `Group` its
    /// `members`, for a `User` the computed `groups`. `meta.location` is added by the
    /// dispatcher when it renders the resource. Shared (`Arc`), so a store can hand out what it
    /// holds without copying it.
    pub resource: Resource,
}

/// A stored resource (a JSON object) as a store hands it out: either a parsed [`Value`], or
/// its compact JSON text, parsed on first use. Dereferences to the [`Value`].
///
/// Cheap to clone (shared). A store that keeps resources serialised (as
/// [`MemoryStore`](crate::MemoryStore) does) hands out the text with [`Resource::from_json`];
/// the dispatcher then serves it with the default projection without parsing it.
#[derive(Clone)]
pub struct Resource(Arc<Repr>);

#[derive(Clone)]
enum Repr {
    Value(Value),
    Json {
        text: Arc<str>,
        parsed: OnceLock<Value>,
    },
}

impl Resource {
    /// A resource held as compact JSON text, which must be a JSON object (text that does not
    /// parse reads as `null`).
    pub fn from_json(text: Arc<str>) -> Self {
        Resource(Arc::new(Repr::Json {
            text,
            parsed: OnceLock::new(),
        }))
    }

    /// The compact JSON text, when the resource is held as text.
    pub fn json_text(&self) -> Option<&str> {
        match &*self.0 {
            Repr::Json { text, .. } => Some(text),
            Repr::Value(_) => None,
        }
    }

    /// The resource as a JSON value (parsed on first use when held as text).
    pub fn value(&self) -> &Value {
        match &*self.0 {
            Repr::Value(v) => v,
            Repr::Json { text, parsed } => {
                parsed.get_or_init(|| serde_json::from_str(text).unwrap_or(Value::Null))
            }
        }
    }

    /// The resource as an owned JSON value.
    pub fn into_value(self) -> Value {
        match Arc::try_unwrap(self.0) {
            Ok(Repr::Value(v)) => v,
            Ok(Repr::Json { text, parsed }) => parsed
                .into_inner()
                .unwrap_or_else(|| serde_json::from_str(&text).unwrap_or(Value::Null)),
            Err(shared) => Resource(shared).value().clone(),
        }
    }

    /// The value, for changing it (copied first when shared, parsed first when held as text).
    pub fn make_mut(&mut self) -> &mut Value {
        let repr = Arc::make_mut(&mut self.0);
        if let Repr::Json { text, parsed } = repr {
            let v = parsed
                .take()
                .unwrap_or_else(|| serde_json::from_str(text).unwrap_or(Value::Null));
            *repr = Repr::Value(v);
        }
        match repr {
            Repr::Value(v) => v,
            Repr::Json { .. } => unreachable!("the text was just replaced by its value"),
        }
    }
}

impl Deref for Resource {
    type Target = Value;
    fn deref(&self) -> &Value {
        self.value()
    }
}

impl From<Value> for Resource {
    fn from(v: Value) -> Self {
        Resource(Arc::new(Repr::Value(v)))
    }
}

impl PartialEq for Resource {
    fn eq(&self, other: &Self) -> bool {
        match (self.json_text(), other.json_text()) {
            (Some(a), Some(b)) if a == b => true,
            _ => self.value() == other.value(),
        }
    }
}

impl fmt::Debug for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value().fmt(f)
    }
}

impl serde::Serialize for Resource {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(s)
    }
}

/// A failed store call.
///
/// A store reports what the client caused (a missing resource, a stale version, a uniqueness
/// or value conflict) with the matching variant, and everything else as [`StoreError::Backend`]
/// with its source kept: the dispatcher answers it with a 500 whose body never shows it, and
/// reports it as a `tracing` event (target `scimkit_dispatch::store`, level `ERROR`) with the
/// whole error chain, so the operator sees the database's own message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No resource of that type with that id in the tenant.
    #[error("resource {0} not found")]
    NotFound(String),
    /// The expected version did not match the stored one.
    #[error("version mismatch: the resource is at version {}", .current.0)]
    VersionMismatch {
        /// The stored version.
        current: Version,
    },
    /// A uniqueness constraint (e.g. `userName`) would be violated.
    #[error("{0}")]
    Uniqueness(String),
    /// A value the store cannot accept (e.g. a member that does not exist in the tenant).
    #[error("{0}")]
    InvalidValue(String),
    /// The filter cannot be evaluated (e.g. ordering a boolean attribute).
    #[error("{0}")]
    InvalidFilter(String),
    /// Anything else (a database error): kept for the operator, never shown to the client.
    #[error("storage failure")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// A backend failure with its cause, e.g. `StoreError::backend(sqlx_error)`.
    pub fn backend(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        StoreError::Backend(source.into())
    }
}

impl From<StoreError> for ScimError {
    fn from(e: StoreError) -> ScimError {
        match e {
            StoreError::NotFound(id) => ScimError::not_found(format!("Resource {id} not found")),
            StoreError::VersionMismatch { .. } => ScimError::precondition_failed(
                "The resource has changed: its version does not match If-Match",
            ),
            StoreError::Uniqueness(d) => ScimError::uniqueness(d),
            StoreError::InvalidValue(d) => ScimError::invalid_value(d),
            StoreError::InvalidFilter(d) => ScimError::invalid_filter(d),
            StoreError::Backend(source) => {
                report_backend_failure(source.as_ref());
                ScimError::internal("The resource store failed")
            }
        }
    }
}

/// The one place a backend failure is reported: a `tracing` event with the error chain.
fn report_backend_failure(source: &(dyn std::error::Error + 'static)) {
    let mut chain = source.to_string();
    let mut next = source.source();
    while let Some(cause) = next {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        next = cause.source();
    }
    tracing::error!(target: "scimkit_dispatch::store", error = %chain, "the resource store failed");
}

/// A change to an existing resource. Attributes are replaced as a whole (the dispatcher has
/// computed them); group members change by deltas, so that concurrent membership changes
/// never overwrite each other.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Change {
    /// The resource's new attributes, without `id`, `meta`, `members` and `groups`;
    /// `None` leaves them as they are.
    pub attributes: Option<Value>,
    /// Members to add (objects with `value` and optionally `type` and `display`); a member
    /// already present is left as it is.
    pub add_members: Vec<Value>,
    /// Ids of members to remove; an id that is not a member is ignored.
    pub remove_members: Vec<String>,
}

impl Change {
    /// Whether the change changes nothing.
    pub fn is_empty(&self) -> bool {
        self.attributes.is_none() && self.add_members.is_empty() && self.remove_members.is_empty()
    }
}

/// A query over one resource type of one tenant.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Query<'a> {
    /// The resource type, resolved against the registry (its attribute facts decide how
    /// values compare).
    pub resource_type: ResourceSchema<'a>,
    /// The filter; `None` matches everything. Only filters the store said it answers
    /// ([`Store::answers`]) are passed.
    pub filter: Option<&'a Filter<'a>>,
    /// `sortBy` and `sortOrder`; `None` means the store's stable default order (creation order
    /// for [`MemoryStore`](crate::MemoryStore)).
    pub sort: Option<(&'a AttrPath<'a>, SortOrder)>,
    /// 0-based offset of the first result wanted.
    pub offset: usize,
    /// The most results wanted; `None` means all of them.
    pub limit: Option<usize>,
    /// Whether `members` of groups are wanted in the results (`false` when the client excluded
    /// them, which saves materialising large groups).
    pub with_members: bool,
}

/// A page of query results.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    /// How many resources matched in all.
    pub total: usize,
    /// The resources of the page, in order.
    pub resources: Vec<Stored>,
}

/// An async, tenant-scoped, versioned store of SCIM resources.
///
/// Every method takes the tenant; a store must never return or touch another tenant's data.
/// Futures are `Send` and the trait needs no boxing (return-position `impl Trait`).
///
/// Resource types are named as in the registry (`User`, `Group`, …), compared without regard
/// to letter case. The store maintains `id` and `meta` (except `meta.location`), enforces
/// uniqueness atomically (`userName` case-insensitively per tenant; group `displayName` per
/// tenant where configured), keeps the membership relation (a `Group`'s `members`, a `User`'s
/// computed `groups`), and removes a deleted resource from every group.
pub trait Store: Send + Sync + 'static {
    /// Stores a new resource and returns it with its `id`, `meta` and version 1.
    /// For a `Group`, `members` in `resource` are its initial members.
    fn create(
        &self,
        tenant: &TenantId,
        resource_type: &str,
        resource: Value,
    ) -> impl Future<Output = Result<Stored, StoreError>> + Send;

    /// The resource with this id, or `None`.
    fn get(
        &self,
        tenant: &TenantId,
        resource_type: &str,
        id: &str,
    ) -> impl Future<Output = Result<Option<Stored>, StoreError>> + Send;

    /// Applies a change, atomically, if the resource is at `expected` (when given).
    fn update(
        &self,
        tenant: &TenantId,
        resource_type: &str,
        id: &str,
        change: Change,
        expected: Option<Version>,
    ) -> impl Future<Output = Result<Stored, StoreError>> + Send;

    /// Replaces a resource's attributes and, for a group, its whole member list, if the
    /// resource is at `expected` (when given).
    fn replace(
        &self,
        tenant: &TenantId,
        resource_type: &str,
        id: &str,
        resource: Value,
        expected: Option<Version>,
    ) -> impl Future<Output = Result<Stored, StoreError>> + Send;

    /// Deletes a resource (and its memberships) if it is at `expected` (when given).
    fn delete(
        &self,
        tenant: &TenantId,
        resource_type: &str,
        id: &str,
        expected: Option<Version>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Runs a query: filter, sort, then the page `offset .. offset + limit`, with the total
    /// number of matches.
    fn query(
        &self,
        tenant: &TenantId,
        query: Query<'_>,
    ) -> impl Future<Output = Result<Page, StoreError>> + Send;

    /// Whether the store answers this filter itself. When it does not, the dispatcher asks for
    /// candidates (the conjuncts the store does answer, or everything) and evaluates the filter,
    /// sorts and pages itself. The default answers nothing natively.
    fn answers(&self, resource_type: &str, filter: &Filter<'_>) -> bool {
        let _ = (resource_type, filter);
        false
    }

    /// Whether the store sorts by this attribute itself; when it does not, the dispatcher
    /// sorts. The default sorts by nothing.
    fn sorts_by(&self, resource_type: &str, by: &AttrPath<'_>) -> bool {
        let _ = (resource_type, by);
        false
    }
}

/// The id a `members` element refers to: its `value` (any letter case of the key), or the
/// element itself when a client sent a bare string. The one place membership elements are read.
pub(crate) fn member_id(element: &Value) -> Option<&str> {
    match element {
        Value::Object(o) => scimkit_filter::get_ci(o, "value")?.as_str(),
        Value::String(s) => Some(s),
        _ => None,
    }
}
