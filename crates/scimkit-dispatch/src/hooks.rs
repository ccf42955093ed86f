//! The extension point between "compute the proposed resource" and "store it": where a
//! provisioning policy (e.g. `scimkit-policy`) decides, rewrites or rejects.

use crate::auth::Principal;
use crate::store::{Store, Stored};
use scimkit_schema::ScimError;
use serde_json::Value;
use std::future::{ready, Future};

/// What kind of write a [`Write`] describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WriteKind {
    /// POST: a new resource.
    Create,
    /// PUT: a full replacement.
    Replace,
    /// PATCH.
    Patch,
    /// DELETE.
    Delete,
}

/// One write the dispatcher is about to make (or has made).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Write<'a> {
    /// Who asks.
    pub principal: &'a Principal,
    /// The resource type's name (`User`, `Group`, …).
    pub resource_type: &'a str,
    /// POST, PUT, PATCH or DELETE.
    pub kind: WriteKind,
    /// The resource id (absent for a create).
    pub id: Option<&'a str>,
    /// The stored resource before the write (absent for a create).
    pub before: Option<&'a Value>,
    /// The request body as received (absent for a delete).
    pub raw: Option<&'a Value>,
    /// Whether the write is one operation of a `/Bulk` request.
    pub bulk: bool,
}

/// Hooks around every write and read. Every method has a do-nothing default, so an
/// implementation overrides only what it needs; [`NoHooks`] is the default.
///
/// Per write, the dispatcher calls [`Hooks::prepare`] with what needs no stored state, begins
/// a transaction ([`Store::begin`]), reads the resource through it, validates or PATCHes it
/// (schema crate), then calls [`Hooks::before_write`] (or [`Hooks::before_delete`]) → the
/// store write → [`Hooks::after_write`] → commit. The hooks get
/// the transaction, so what they write in it (an account, an audit record) commits with the
/// resource or not at all: an error from the store or from `after_write` drops the transaction
/// and nothing is visible. A rejection from `before_write` is an answer, not a failure: the
/// transaction then commits what the hook wrote in it (typically the audit record of the
/// refusal) and the resource is unchanged. What `before_write` decided reaches `after_write` as
/// [`Hooks::Decision`], for the same write.
///
/// For reads, [`Hooks::on_read`] sees every resource before projection.
pub trait Hooks<S: Store>: Send + Sync + 'static {
    /// What [`Hooks::before_write`] hands to [`Hooks::after_write`] for the same write
    /// (`()` when nothing).
    type Decision: Default + Send;

    /// What [`Hooks::prepare`] computes for a write before its transaction (`()` when
    /// nothing).
    type Prepared: Default + Send;

    /// Work on a write that needs no stored state, done before the write's transaction
    /// begins. A store serialises each tenant's writes (`MemoryStore` and SQLite hold a lock
    /// for the transaction, PostgreSQL a tenant lock), so what a hook does here — e.g.
    /// redacting the request body for an audit record — does not make the tenant's other
    /// writes wait. `write.before` is `None` (nothing is read yet); `proposed` is the
    /// validated resource of a POST, `None` for other writes (a PUT or PATCH is validated
    /// against the stored resource, in the transaction). The result reaches
    /// [`Hooks::before_write`] or [`Hooks::before_delete`]; a write retried after a version
    /// conflict is prepared again.
    fn prepare(&self, write: &Write<'_>, proposed: Option<&Value>) -> Self::Prepared {
        let _ = (write, proposed);
        Self::Prepared::default()
    }

    /// Decides on a proposed resource (after validation or PATCH, before the store): return it,
    /// or a rewritten resource, with the decision for [`Hooks::after_write`]; or an error to
    /// reject the request. The proposed resource of a PUT or PATCH carries the stored `id`
    /// and `meta`. `prepared` is what [`Hooks::prepare`] returned for this write.
    fn before_write(
        &self,
        tx: &mut S::Tx,
        write: &Write<'_>,
        proposed: Value,
        prepared: Self::Prepared,
    ) -> impl Future<Output = Result<(Value, Self::Decision), ScimError>> + Send {
        let _ = (tx, write, prepared);
        ready(Ok((proposed, Self::Decision::default())))
    }

    /// Decides on a delete before it happens (`prepared`: what [`Hooks::prepare`] returned).
    fn before_delete(
        &self,
        tx: &mut S::Tx,
        write: &Write<'_>,
        prepared: Self::Prepared,
    ) -> impl Future<Output = Result<Self::Decision, ScimError>> + Send {
        let _ = (tx, write, prepared);
        ready(Ok(Self::Decision::default()))
    }

    /// Called after the store write, in its transaction, with the stored resource (absent
    /// after a delete) and what `before_write` decided: the place for effects and audit
    /// records. An error rolls the whole write back.
    fn after_write(
        &self,
        tx: &mut S::Tx,
        write: &Write<'_>,
        stored: Option<&Stored>,
        decision: Self::Decision,
    ) -> impl Future<Output = Result<(), ScimError>> + Send {
        let _ = (tx, write, stored, decision);
        ready(Ok(()))
    }

    /// Rewrites a resource on its way out (every GET, list and write response), before
    /// `attributes` / `excludedAttributes` projection: return `Some(replacement)`, or `None`
    /// to serve it as stored (the default, which copies nothing).
    fn on_read(
        &self,
        principal: &Principal,
        resource_type: &str,
        resource: &Value,
    ) -> Option<Value> {
        let _ = (principal, resource_type, resource);
        None
    }

    /// Whether [`Hooks::on_read`] may rewrite anything. Return `false` when it never does (it
    /// always returns `None`): the dispatcher then serves resources a store holds as JSON text
    /// without parsing them. The default is `true`, which is always correct.
    fn rewrites_reads(&self) -> bool {
        true
    }
}

/// No hooks: every write is stored as computed.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHooks;

impl<S: Store> Hooks<S> for NoHooks {
    type Decision = ();
    type Prepared = ();

    fn rewrites_reads(&self) -> bool {
        false
    }
}
