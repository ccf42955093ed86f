//! The write pipeline: validate, decide (hooks), store, with retries on version conflicts.

use super::{Ctx, Dispatcher};
use crate::auth::Authenticator;
use crate::hooks::{Hooks, Write, WriteKind};
use crate::http_util::Precondition;
use crate::identifiers;
use crate::store::{
    member_kinds, sole_kind, Change, MemberRef, Resource, Store, StoreError, StoreTx, Stored,
};
use scimkit_schema::{get_ci, is_server_owned, PatchOp, ResourceSchema, ScimError};
use serde_json::{Map, Value};
use std::collections::HashSet;

impl<S: Store, A: Authenticator, H: Hooks<S>> Dispatcher<S, A, H> {
    async fn begin(&self, ctx: &Ctx) -> Result<S::Tx, ScimError> {
        Ok(self.inner.store.begin(&ctx.principal.tenant).await?)
    }

    /// A hook's refusal: commits what the hook wrote in the transaction (its audit record),
    /// then answers the refusal.
    async fn refused(tx: S::Tx, refusal: ScimError) -> ScimError {
        match tx.commit().await {
            Ok(()) => refusal,
            Err(e) => e.into(),
        }
    }

    /// The hooks decide on a proposed resource in the write's transaction; a refusal commits
    /// what the hook wrote (its audit record) and is answered.
    async fn decide(
        &self,
        mut tx: S::Tx,
        write: &Write<'_>,
        proposed: Value,
        prepared: H::Prepared,
    ) -> Result<(S::Tx, Value, H::Decision), ScimError> {
        match self
            .inner
            .hooks
            .before_write(&mut tx, write, proposed, prepared)
            .await
        {
            Ok((resource, decision)) => Ok((tx, resource, decision)),
            Err(refusal) => Err(Self::refused(tx, refusal).await),
        }
    }

    /// The end of a write: the hooks see the stored resource in the transaction, then it
    /// commits.
    async fn finish(
        &self,
        mut tx: S::Tx,
        write: &Write<'_>,
        stored: Option<&Stored>,
        decision: H::Decision,
    ) -> Result<(), ScimError> {
        self.inner
            .hooks
            .after_write(&mut tx, write, stored, decision)
            .await?;
        Ok(tx.commit().await?)
    }

    /// POST: validate, decide, store.
    pub(crate) async fn create(
        &self,
        ctx: &Ctx,
        rs: ResourceSchema<'_>,
        raw: Value,
        bulk: bool,
    ) -> Result<Stored, ScimError> {
        let proposed = rs.validate_create(raw.clone(), &ctx.profile)?;
        identifiers::check(rs, None, &proposed)?;
        let write = Write {
            principal: &ctx.principal,
            resource_type: rs.name(),
            kind: WriteKind::Create,
            id: None,
            before: None,
            raw: Some(&raw),
            bulk,
        };
        let prepared = self.inner.hooks.prepare(&write, Some(&proposed));
        let tx = self.begin(ctx).await?;
        let (mut tx, proposed, decision) = self.decide(tx, &write, proposed, prepared).await?;
        let stored = served(rs, tx.create(rs.name(), proposed).await?);
        self.finish(tx, &write, Some(&stored), decision).await?;
        Ok(stored)
    }

    /// The resource a write starts from, read in its transaction, if it matches `If-Match`.
    async fn existing(
        tx: &mut S::Tx,
        rs: ResourceSchema<'_>,
        id: &str,
        if_match: &Precondition,
    ) -> Result<Stored, ScimError> {
        let stored = tx
            .get_for_update(rs.name(), id)
            .await?
            .ok_or_else(|| not_found(&rs, id))?;
        if_match.check(stored.version)?;
        Ok(served(rs, stored))
    }

    /// Whether to try again after a version conflict.
    pub(crate) fn retry(&self, err: &StoreError, if_match: &Precondition, attempt: usize) -> bool {
        matches!(err, StoreError::VersionMismatch { .. })
            && !if_match.is_given()
            && attempt < self.inner.config.max_write_retries
    }

    /// The error for a failed write: a version conflict the client did not ask about (no
    /// `If-Match`) that persisted through every retry is a 409, not a 412.
    pub(crate) fn write_error(err: StoreError, if_match: &Precondition) -> ScimError {
        match err {
            StoreError::VersionMismatch { .. } if !if_match.is_given() => ScimError::new(
                409,
                None,
                "The resource was changed by other requests meanwhile; retry the request",
            ),
            e => e.into(),
        }
    }

    /// PUT: validate against the stored resource, decide, store if unchanged in between.
    pub(crate) async fn replace(
        &self,
        ctx: &Ctx,
        rs: ResourceSchema<'_>,
        id: &str,
        raw: Value,
        if_match: &Precondition,
        bulk: bool,
    ) -> Result<Stored, ScimError> {
        let request = Write {
            principal: &ctx.principal,
            resource_type: rs.name(),
            kind: WriteKind::Replace,
            id: Some(id),
            before: None,
            raw: Some(&raw),
            bulk,
        };
        let mut prepared = Some(self.inner.hooks.prepare(&request, None));
        let mut attempt = 0;
        loop {
            attempt += 1;
            let prepared = prepared
                .take()
                .unwrap_or_else(|| self.inner.hooks.prepare(&request, None));
            let mut tx = self.begin(ctx).await?;
            let existing = Self::existing(&mut tx, rs, id, if_match).await?;
            let proposed = rs.validate_replace(&existing.resource, raw.clone(), &ctx.profile)?;
            identifiers::check(rs, Some(&existing.resource), &proposed)?;
            let write = Write {
                before: Some(&existing.resource),
                ..request
            };
            let (mut tx, proposed, decision) = self.decide(tx, &write, proposed, prepared).await?;
            match tx
                .replace(rs.name(), id, proposed, Some(existing.version))
                .await
            {
                Ok(stored) => {
                    let stored = served(rs, stored);
                    self.finish(tx, &write, Some(&stored), decision).await?;
                    return Ok(stored);
                }
                Err(e) if self.retry(&e, if_match, attempt) => continue,
                Err(e) => return Err(Self::write_error(e, if_match)),
            }
        }
    }

    /// PATCH: apply with the schema crate to the stored resource, decide, then store the
    /// difference — attributes (if any changed, conditional on the version read) and member
    /// deltas (unconditional unless `If-Match` was given, so concurrent member changes never
    /// overwrite each other).
    pub(crate) async fn patch(
        &self,
        ctx: &Ctx,
        rs: ResourceSchema<'_>,
        id: &str,
        raw: Value,
        if_match: &Precondition,
        bulk: bool,
    ) -> Result<Stored, ScimError> {
        let patch: PatchOp = serde_json::from_value(raw.clone())
            .map_err(|e| ScimError::invalid_syntax(format!("Not a PatchOp message: {e}")))?;
        patch.check_schemas()?;
        if patch.operations.is_empty() {
            return Err(ScimError::invalid_value(
                "A PATCH request needs at least one operation",
            ));
        }
        let request = Write {
            principal: &ctx.principal,
            resource_type: rs.name(),
            kind: WriteKind::Patch,
            id: Some(id),
            before: None,
            raw: Some(&raw),
            bulk,
        };
        let mut prepared = Some(self.inner.hooks.prepare(&request, None));
        let mut attempt = 0;
        loop {
            attempt += 1;
            let prepared = prepared
                .take()
                .unwrap_or_else(|| self.inner.hooks.prepare(&request, None));
            let mut tx = self.begin(ctx).await?;
            let existing = Self::existing(&mut tx, rs, id, if_match).await?;
            let outcome = rs.patch(&existing.resource, &patch, &ctx.profile)?;
            identifiers::check(rs, Some(&existing.resource), &outcome.resource)?;
            let write = Write {
                before: Some(&existing.resource),
                ..request
            };
            let (mut tx, proposed, decision) =
                self.decide(tx, &write, outcome.resource, prepared).await?;
            let change = diff(rs, &existing.resource, proposed);
            if change.is_empty() {
                self.finish(tx, &write, Some(&existing), decision).await?;
                return Ok(existing);
            }
            let expected =
                (change.attributes.is_some() || if_match.is_given()).then_some(existing.version);
            match tx.update(rs.name(), id, change, expected).await {
                Ok(stored) => {
                    let stored = served(rs, stored);
                    self.finish(tx, &write, Some(&stored), decision).await?;
                    return Ok(stored);
                }
                Err(e) if self.retry(&e, if_match, attempt) => continue,
                Err(e) => return Err(Self::write_error(e, if_match)),
            }
        }
    }

    /// DELETE.
    pub(crate) async fn delete(
        &self,
        ctx: &Ctx,
        rs: ResourceSchema<'_>,
        id: &str,
        if_match: &Precondition,
        bulk: bool,
    ) -> Result<(), ScimError> {
        let request = Write {
            principal: &ctx.principal,
            resource_type: rs.name(),
            kind: WriteKind::Delete,
            id: Some(id),
            before: None,
            raw: None,
            bulk,
        };
        let prepared = self.inner.hooks.prepare(&request, None);
        let mut tx = self.begin(ctx).await?;
        let existing = Self::existing(&mut tx, rs, id, if_match).await?;
        let write = Write {
            before: Some(&existing.resource),
            ..request
        };
        let decision = match self
            .inner
            .hooks
            .before_delete(&mut tx, &write, prepared)
            .await
        {
            Ok(decision) => decision,
            Err(refusal) => return Err(Self::refused(tx, refusal).await),
        };
        let expected = if_match.is_given().then_some(existing.version);
        tx.delete(rs.name(), id, expected).await?;
        self.finish(tx, &write, None, decision).await
    }
}

/// A stored resource as the dispatcher works with it and serves it: with `id` and `meta`.
/// A resource held as JSON text gets them spliced into the text, without parsing it.
pub(crate) fn served(rs: ResourceSchema<'_>, mut stored: Stored) -> Stored {
    let spliced = stored.resource.json_text().and_then(|text| {
        let mut id = String::new();
        crate::store::write_json_str(&mut id, &stored.id);
        let meta = crate::render::meta_text(&stored, rs.name(), None);
        crate::render::with_raw_entries(text, &[("id", &id), ("meta", &meta)])
    });
    stored.resource = match spliced {
        Some(text) => Resource::from_json(text.into()),
        None => Resource::from(stored.view(rs.name())),
    };
    stored
}

pub(crate) fn not_found(rs: &ResourceSchema<'_>, id: &str) -> ScimError {
    ScimError::not_found(format!("{} {id} not found", rs.name()))
}

pub(crate) fn parse_json(body: &[u8]) -> Result<Value, ScimError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ScimError::invalid_syntax("The request body is empty"));
    }
    serde_json::from_slice(body)
        .map_err(|e| ScimError::invalid_syntax(format!("The request body is not JSON: {e}")))
}

/// The attributes a write stores as the document: all but the server-owned ones and `members`
/// (a relation, changed by deltas).
pub(crate) fn attributes_of(v: &Value) -> Map<String, Value> {
    let mut m = v.as_object().cloned().unwrap_or_default();
    m.retain(|k, _| !is_server_owned(k) && !k.eq_ignore_ascii_case("members"));
    m
}

/// The members a resource names, in order (elements without a string id are skipped: the
/// schema crate has refused them before).
fn member_refs(v: &Value) -> Vec<MemberRef> {
    v.as_object()
        .and_then(|o| get_ci(o, "members"))
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(MemberRef::from_element).collect())
        .unwrap_or_default()
}

/// The store change that turns `before` into `after`: the attributes when they differ and,
/// for a type whose schema gives it `members`, the members added and removed, typed when the
/// schema allows one kind only.
pub(crate) fn diff(rs: ResourceSchema<'_>, before: &Value, after: Value) -> Change {
    let old = attributes_of(before);
    let new = attributes_of(&after);
    let mut change = Change::new();
    if old != new {
        change = change.with_attributes(Value::Object(new));
    }
    if member_kinds(&rs).is_none() {
        return change;
    }
    let old_m = member_refs(before);
    let new_m = member_refs(&after);
    let old_ids: HashSet<&str> = old_m.iter().map(|m| m.id.as_str()).collect();
    let new_ids: HashSet<&str> = new_m.iter().map(|m| m.id.as_str()).collect();
    let sole = sole_kind(&rs);
    for m in &new_m {
        if !old_ids.contains(m.id.as_str()) {
            let m = m.clone();
            change = change.add_member(match sole {
                Some(kind) => m.of_kind(kind),
                None => m,
            });
        }
    }
    for m in &old_m {
        if !new_ids.contains(m.id.as_str()) {
            change = change.remove_member(m.clone());
        }
    }
    change
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Version;
    use chrono::DateTime;
    use scimkit_schema::Registry;
    use serde_json::json;

    #[test]
    fn served_text_and_value_agree_with_meta() {
        let reg = Registry::standard();
        let users = reg.resource_type("User").expect("User");
        let t = |ms| DateTime::from_timestamp_millis(ms).expect("a time");
        let doc = json!({"userName": "a\"b", "zeta": 1, "emails": [{"value": "x"}]});
        let text = Resource::from_json(doc.to_string().into());
        let as_text = Stored::new("id\"1", Version(7), t(1_000), t(2_345_678), text);
        let as_value = Stored::new("id\"1", Version(7), t(1_000), t(2_345_678), doc.clone());
        let from_text = served(users, as_text.clone());
        assert!(
            from_text.resource.json_text().is_some(),
            "spliced, not parsed"
        );
        let from_value = served(users, as_value);
        assert_eq!(from_text.resource.value(), from_value.resource.value());
        assert_eq!(from_text.resource["meta"], as_text.meta("User"));
        assert_eq!(
            from_text.resource["meta"]["lastModified"],
            "1970-01-01T00:39:05.678Z"
        );
        assert_eq!(from_text.resource["id"], "id\"1");
        assert_eq!(from_text.resource["zeta"], 1);
    }
}
