//! The storage interface: an async, tenant-scoped, versioned store of SCIM resources.
//!
//! The dispatcher is generic over [`Store`]; [`MemoryStore`](crate::MemoryStore) is the
//! embedded default. A database-backed store implements the same trait (see
//! `docs/embedding.md`).

use chrono::{DateTime, Utc};
use scimkit_filter::{AttrPath, Filter, SortOrder};
use scimkit_schema::ResourceSchema;
use serde_json::Value;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

mod error;
mod finish;
mod keyset;
mod member;
mod resource;

pub use error::StoreError;
pub use finish::{finish_keyset_query, finish_query};
pub use keyset::{compare_keyset, keyset_key, Keyset, KeysetKey, KeysetPosition};
pub use member::{group_kinds, member_kinds, sole_kind, MemberRef};
pub use resource::Resource;

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

/// A resource as a store hands it out: its document and the fields the store keeps beside it.
///
/// The document holds the resource's attributes and its relation (a group's `members`, the
/// computed `groups` of a member); never `id` or `meta`, which the dispatcher renders from the
/// fields (`meta.resourceType` from the registry, `meta.location` from the base URL).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Stored {
    /// The resource's id.
    pub id: String,
    /// Its version.
    pub version: Version,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// When it last changed (a member added or removed included).
    pub last_modified: DateTime<Utc>,
    /// The document. Shared (`Arc`), so a store can hand out what it holds without copying it.
    pub resource: Resource,
}

impl Stored {
    /// A stored resource from its parts.
    pub fn new(
        id: impl Into<String>,
        version: Version,
        created: DateTime<Utc>,
        last_modified: DateTime<Utc>,
        resource: impl Into<Resource>,
    ) -> Self {
        Stored {
            id: id.into(),
            version,
            created,
            last_modified,
            resource: resource.into(),
        }
    }

    /// The resource as a filter sees it: the document with `id` and [`Stored::meta`] (a parsed
    /// copy; what the dispatcher evaluates residual filters on).
    pub fn view(&self, resource_type: &str) -> Value {
        let mut v = self.resource.value().clone();
        if let Value::Object(o) = &mut v {
            o.insert("id".into(), Value::String(self.id.clone()));
            o.insert("meta".into(), self.meta(resource_type));
        }
        v
    }

    /// The resource's `meta` as served (without `location`, which depends on the base URL):
    /// `resourceType`, `created`, `lastModified` (RFC 3339, milliseconds, UTC) and `version`.
    pub fn meta(&self, resource_type: &str) -> Value {
        meta(
            resource_type,
            self.version,
            self.created,
            self.last_modified,
        )
    }
}

/// The one place `meta` is built (a filter on `meta.*` compares what is served).
pub(crate) fn meta(
    resource_type: &str,
    version: Version,
    created: DateTime<Utc>,
    last_modified: DateTime<Utc>,
) -> Value {
    serde_json::json!({
        "resourceType": resource_type,
        "created": timestamp(created),
        "lastModified": timestamp(last_modified),
        "version": version.etag(),
    })
}

/// A point in time as `meta` serves it: `2026-11-30T23:59:59.123Z`.
pub fn timestamp(t: DateTime<Utc>) -> String {
    let mut out = String::with_capacity(24);
    write_timestamp(&mut out, t);
    out
}

/// Appends [`timestamp`]'s text: written field by field, several times faster than
/// `chrono`'s format strings, which matters on every resource a list serves.
pub(crate) fn write_timestamp(out: &mut String, t: DateTime<Utc>) {
    use chrono::{Datelike, Timelike};
    fn digits(out: &mut String, n: u32, width: u32) {
        for place in (0..width).rev() {
            let digit = (n / 10u32.pow(place)) % 10;
            out.push(char::from(b'0' + digit as u8));
        }
    }
    match u32::try_from(t.year()) {
        Ok(year) if year <= 9999 => digits(out, year, 4),
        _ => out.push_str(&t.format("%Y").to_string()),
    }
    out.push('-');
    digits(out, t.month(), 2);
    out.push('-');
    digits(out, t.day(), 2);
    out.push('T');
    digits(out, t.hour(), 2);
    out.push(':');
    digits(out, t.minute(), 2);
    out.push(':');
    digits(out, t.second(), 2);
    out.push('.');
    digits(out, (t.nanosecond() / 1_000_000) % 1_000, 3);
    out.push('Z');
}

/// Appends `s` as a JSON string (quoted, escaped).
pub(crate) fn write_json_str(out: &mut String, s: &str) {
    if s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.push_str(&serde_json::to_string(s).unwrap_or_default());
    } else {
        out.push('"');
        out.push_str(s);
        out.push('"');
    }
}

/// A change to an existing resource. Attributes are replaced as a whole (the dispatcher has
/// computed them); members change by deltas of typed references, so that concurrent
/// membership changes never overwrite each other.
///
/// ```
/// use scimkit_dispatch::{Change, MemberRef};
/// use serde_json::json;
///
/// let change = Change::new()
///     .with_attributes(json!({"displayName": "Sales"}))
///     .add_member(MemberRef::new("u1").of_kind("User"))
///     .remove_member(MemberRef::new("u2"));
/// assert!(!change.is_empty());
/// assert!(Change::new().is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Change {
    /// The resource's new attributes, without `id`, `meta`, `members` and `groups`;
    /// `None` leaves them as they are.
    pub attributes: Option<Value>,
    /// Members to add (for a type with `members`); a member already present is left as it is.
    pub add_members: Vec<MemberRef>,
    /// Members to remove (by id); one that is not a member is ignored.
    pub remove_members: Vec<MemberRef>,
}

impl Change {
    /// A change that changes nothing (yet).
    pub fn new() -> Self {
        Change::default()
    }

    /// With new attributes.
    #[must_use]
    pub fn with_attributes(mut self, attributes: Value) -> Self {
        self.attributes = Some(attributes);
        self
    }

    /// Adding a member.
    #[must_use]
    pub fn add_member(mut self, member: MemberRef) -> Self {
        self.add_members.push(member);
        self
    }

    /// Removing a member.
    #[must_use]
    pub fn remove_member(mut self, member: MemberRef) -> Self {
        self.remove_members.push(member);
        self
    }

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
    /// The filter; `None` matches everything. Only what the store's [`Store::plan`] called
    /// native is passed.
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
    /// Keyset paging: `Some` orders the results in keyset order (the sort, then `id`: see
    /// [`KeysetPosition`]) and starts after the keyset's position, before `offset` is
    /// applied. Given only when the store's [`Plan::keyset`] claims it. `None`: the store's
    /// order (the sort, ties in its default order) from `offset`.
    pub keyset: Option<Keyset<'a>>,
    /// Whether [`Page::total`] is wanted. When `false` a store may skip counting (the
    /// dispatcher then omits `totalResults`, as RFC 9865 allows for cursor pages) and return
    /// any `total`.
    pub with_total: bool,
}

impl<'a> Query<'a> {
    /// Every resource of a type, in the store's default order, with members.
    pub fn all(resource_type: ResourceSchema<'a>) -> Self {
        Query {
            resource_type,
            filter: None,
            sort: None,
            offset: 0,
            limit: None,
            with_members: true,
            keyset: None,
            with_total: true,
        }
    }

    /// Only the resources matching `filter`.
    pub fn filtered(mut self, filter: Option<&'a Filter<'a>>) -> Self {
        self.filter = filter;
        self
    }

    /// Sorted by an attribute.
    pub fn sorted(mut self, by: &'a AttrPath<'a>, order: SortOrder) -> Self {
        self.sort = Some((by, order));
        self
    }

    /// The page `offset .. offset + limit` (0-based).
    pub fn page(mut self, offset: usize, limit: usize) -> Self {
        self.offset = offset;
        self.limit = Some(limit);
        self
    }

    /// In keyset order, from the start or after a position ([`Query::keyset`]).
    pub fn keyset(mut self, keyset: Keyset<'a>) -> Self {
        self.keyset = Some(keyset);
        self
    }
}

/// A page of query results.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    /// How many resources matched in all.
    pub total: usize,
    /// The resources of the page, in order.
    pub resources: Vec<Stored>,
}

/// What a store answers of a query itself, and what the dispatcher evaluates over the
/// candidates it returns: [`Store::plan`]'s answer.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Plan<'a> {
    /// The part of the filter the store evaluates (`None`: every resource of the type).
    pub native: Option<Filter<'a>>,
    /// What the dispatcher evaluates over the store's answer (`None`: nothing; the store's
    /// answer is exact).
    pub residual: Option<Filter<'a>>,
    /// Whether the store sorts by the requested attribute itself. Sorting and paging are pushed
    /// down only when it does and nothing is residual.
    pub sorts: bool,
    /// Whether the store answers [`Query::keyset`] itself (keyset order and the position).
    /// When it does not, a keyset page is computed by the dispatcher over every candidate
    /// ([`finish_keyset_query`]): correct on every store, linear in the matches.
    pub keyset: bool,
}

impl<'a> Plan<'a> {
    /// The store answers the whole query: filter, sort and page.
    pub fn native(filter: Option<&Filter<'a>>) -> Self {
        Plan {
            native: filter.cloned(),
            residual: None,
            sorts: true,
            keyset: false,
        }
    }

    /// The store answers nothing: it lists every resource of the type and the dispatcher
    /// filters, sorts and pages (the default).
    pub fn residual(filter: Option<&Filter<'a>>) -> Self {
        Plan {
            native: None,
            residual: filter.cloned(),
            sorts: false,
            keyset: false,
        }
    }

    /// The store answers `native` (a part of the filter whose matches include every match of
    /// the whole); the dispatcher evaluates `residual` over its answer, then sorts and pages.
    pub fn split(native: Option<Filter<'a>>, residual: Option<Filter<'a>>) -> Self {
        Plan {
            native,
            residual,
            sorts: false,
            keyset: false,
        }
    }

    /// With [`Plan::keyset`] set: the store answers keyset pages natively.
    #[must_use]
    pub fn with_keyset(mut self) -> Self {
        self.keyset = true;
        self
    }

    /// Whether the store answers filter, sort and page by itself.
    pub fn is_native(&self) -> bool {
        self.residual.is_none() && self.sorts
    }
}

/// An async, tenant-scoped, versioned store of SCIM resources, written through transactions.
///
/// Reads ([`Store::get`], [`Store::query`]) see committed data. Every write happens in a
/// [`StoreTx`] begun by [`Store::begin`] for one tenant: the dispatcher reads the resource
/// through it ([`StoreTx::get_for_update`]), lets the hooks take part (an embedding's own
/// tables, e.g. `scimkit-provisioning`'s accounts and audit log, are written in the same
/// transaction), writes, and commits; a transaction dropped without [`StoreTx::commit`] leaves
/// nothing behind. A store must never return or touch another tenant's data.
///
/// Futures are `Send` and the trait needs no boxing (return-position `impl Trait`).
///
/// Resource types are named as in the registry (`User`, `Group`, …), compared without regard
/// to letter case. The store keeps `id`, `version`, `created` and `lastModified` beside the
/// document ([`Stored`]), enforces uniqueness atomically (`userName` case-insensitively per
/// tenant; group `displayName` per tenant where configured), keeps the membership relation
/// (a `Group`'s `members`, a member's computed `groups`), and removes a deleted resource from
/// every group.
///
/// `docs/embedding.md` shows an implementation; `scimkit-testkit`'s store suite checks one.
pub trait Store: Send + Sync + 'static {
    /// A write transaction of one tenant. It owns what it needs (a pooled connection, a lock
    /// guard), as sqlx's `Transaction<'static, _>` from a pool does.
    type Tx: StoreTx;

    /// Begins a write transaction for a tenant.
    ///
    /// # Errors
    /// [`StoreError::Backend`] when the backend cannot start one.
    fn begin(&self, tenant: &TenantId)
        -> impl Future<Output = Result<Self::Tx, StoreError>> + Send;

    /// The resource with this id, or `None`.
    ///
    /// # Errors
    /// [`StoreError::Backend`] when the backend fails.
    fn get(
        &self,
        tenant: &TenantId,
        resource_type: &str,
        id: &str,
    ) -> impl Future<Output = Result<Option<Stored>, StoreError>> + Send;

    /// Runs a query: filter, sort, then the page `offset .. offset + limit`, with the total
    /// number of matches. The filter is a plan's `native` part; the sort is given only when
    /// the plan said the store sorts.
    ///
    /// # Errors
    /// [`StoreError::InvalidFilter`] for a filter the store cannot evaluate (e.g. ordering a
    /// boolean), [`StoreError::Backend`] when the backend fails.
    fn query(
        &self,
        tenant: &TenantId,
        query: Query<'_>,
    ) -> impl Future<Output = Result<Page, StoreError>> + Send;

    /// How much of a query the store answers itself. The default answers nothing natively:
    /// the dispatcher asks for every resource of the type and filters, sorts and pages them.
    fn plan<'a>(
        &self,
        resource_type: &ResourceSchema<'_>,
        filter: Option<&Filter<'a>>,
        sort: Option<&AttrPath<'_>>,
    ) -> Plan<'a> {
        let _ = (resource_type, sort);
        Plan::residual(filter)
    }
}

/// A write transaction of one tenant ([`Store::begin`]): committed by [`StoreTx::commit`],
/// rolled back when dropped.
pub trait StoreTx: Send + 'static {
    /// The resource with this id, read for a write in this transaction (a SQL store locks it
    /// or relies on its isolation; `MemoryStore` holds the tenant's lock), or `None`.
    ///
    /// # Errors
    /// [`StoreError::Backend`] when the backend fails.
    fn get_for_update(
        &mut self,
        resource_type: &str,
        id: &str,
    ) -> impl Future<Output = Result<Option<Stored>, StoreError>> + Send;

    /// Stores a new resource and returns it with its `id` and version 1. For a type with
    /// members, `members` in `resource` are its initial members.
    ///
    /// # Errors
    /// [`StoreError::Uniqueness`] when a unique value is taken, [`StoreError::InvalidValue`]
    /// for a member that does not exist in the tenant, [`StoreError::Backend`].
    fn create(
        &mut self,
        resource_type: &str,
        resource: Value,
    ) -> impl Future<Output = Result<Stored, StoreError>> + Send;

    /// Applies a change if the resource is at `expected` (when given).
    ///
    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::VersionMismatch`], [`StoreError::Uniqueness`],
    /// [`StoreError::InvalidValue`], [`StoreError::Backend`].
    fn update(
        &mut self,
        resource_type: &str,
        id: &str,
        change: Change,
        expected: Option<Version>,
    ) -> impl Future<Output = Result<Stored, StoreError>> + Send;

    /// Replaces a resource's attributes and, for a type with members, its whole member list,
    /// if the resource is at `expected` (when given).
    ///
    /// # Errors
    /// As [`StoreTx::update`].
    fn replace(
        &mut self,
        resource_type: &str,
        id: &str,
        resource: Value,
        expected: Option<Version>,
    ) -> impl Future<Output = Result<Stored, StoreError>> + Send;

    /// Deletes a resource (and its memberships) if it is at `expected` (when given).
    ///
    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::VersionMismatch`], [`StoreError::Backend`].
    fn delete(
        &mut self,
        resource_type: &str,
        id: &str,
        expected: Option<Version>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Makes every write of the transaction visible, atomically.
    ///
    /// # Errors
    /// [`StoreError::Backend`] when the backend fails to commit (nothing is then visible).
    fn commit(self) -> impl Future<Output = Result<(), StoreError>> + Send;
}
