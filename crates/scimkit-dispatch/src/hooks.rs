//! The extension point between "compute the proposed resource" and "store it": where a
//! provisioning policy (e.g. `scimkit-policy`) decides, rewrites or rejects.

use crate::auth::Principal;
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
/// The dispatcher calls, per write: validate / PATCH (schema crate) → [`Hooks::before_write`]
/// (or [`Hooks::before_delete`]) → store → [`Hooks::after_write`]. A rejection stores nothing.
/// For reads, [`Hooks::on_read`] sees every resource before projection.
pub trait Hooks: Send + Sync + 'static {
    /// Decides on a proposed resource (after validation or PATCH, before the store): return it,
    /// a rewritten resource, or an error to reject the request. The proposed resource of a
    /// PUT or PATCH carries the stored `id` and `meta`.
    fn before_write(
        &self,
        write: &Write<'_>,
        proposed: Value,
    ) -> impl Future<Output = Result<Value, ScimError>> + Send {
        let _ = write;
        ready(Ok(proposed))
    }

    /// Decides on a delete before it happens.
    fn before_delete(
        &self,
        write: &Write<'_>,
    ) -> impl Future<Output = Result<(), ScimError>> + Send {
        let _ = write;
        ready(Ok(()))
    }

    /// Called after a successful write with the stored resource (absent after a delete):
    /// the place for effects and audit records.
    fn after_write(
        &self,
        write: &Write<'_>,
        stored: Option<&Value>,
    ) -> impl Future<Output = ()> + Send {
        let _ = (write, stored);
        ready(())
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

impl Hooks for NoHooks {
    fn rewrites_reads(&self) -> bool {
        false
    }
}
