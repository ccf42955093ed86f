//! `/Bulk` (RFC 7644 §3.7): operations in order, `bulkId` references (forward ones too),
//! circular references between new groups, `failOnErrors`, `maxOperations`.

use crate::auth::Authenticator;
use crate::dispatcher::{Ctx, Dispatcher};
use crate::hooks::Hooks;
use crate::http_util::Precondition;
use crate::store::Store;
use scimkit_schema::{
    get_ci, BulkOperation, BulkOperationResponse, BulkRequest, BulkResponse, ResourceSchema,
    ScimError, BULK_REQUEST_SCHEMA, BULK_RESPONSE_SCHEMA, PATCH_OP_SCHEMA,
};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};

const PREFIX: &str = "bulkId:";

/// The bulkIds an operation refers to (in its path or anywhere in its data).
fn references(op: &BulkOperation) -> HashSet<String> {
    let mut out = HashSet::new();
    for seg in op.path.split('/') {
        if let Some(r) = seg.strip_prefix(PREFIX) {
            out.insert(r.to_string());
        }
    }
    if let Some(d) = &op.data {
        collect(d, &mut out);
    }
    out
}

fn collect(v: &Value, out: &mut HashSet<String>) {
    match v {
        Value::String(s) => {
            if let Some(r) = s.strip_prefix(PREFIX) {
                out.insert(r.to_string());
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
        Value::Object(o) => o.values().for_each(|x| collect(x, out)),
        _ => {}
    }
}

fn substitute(v: &mut Value, ids: &HashMap<String, String>) {
    match v {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix(PREFIX).and_then(|r| ids.get(r)) {
                *s = id.clone();
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| substitute(x, ids)),
        Value::Object(o) => o.values_mut().for_each(|x| substitute(x, ids)),
        _ => {}
    }
}

fn substitute_path(path: &str, ids: &HashMap<String, String>) -> String {
    path.split('/')
        .map(
            |seg| match seg.strip_prefix(PREFIX).and_then(|r| ids.get(r)) {
                Some(id) => id.as_str(),
                None => seg,
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// Removes the members of a new group that refer to pending bulkIds; returns them.
fn take_pending_members(data: &mut Value, pending: &HashSet<String>) -> Vec<(String, Value)> {
    let Some(Value::Array(members)) = data
        .as_object_mut()
        .and_then(|o| scimkit_schema::get_ci_mut(o, "members"))
    else {
        return Vec::new();
    };
    let mut taken = Vec::new();
    members.retain(|m| {
        let r = m
            .as_object()
            .and_then(|o| get_ci(o, "value"))
            .and_then(Value::as_str)
            .and_then(|s| s.strip_prefix(PREFIX))
            .filter(|r| pending.contains(*r));
        match r {
            Some(r) => {
                taken.push((r.to_string(), m.clone()));
                false
            }
            None => true,
        }
    });
    taken
}

fn error_result(
    op: &BulkOperation,
    err: &ScimError,
    location: Option<String>,
) -> BulkOperationResponse {
    BulkOperationResponse {
        method: op.method.to_ascii_uppercase(),
        bulk_id: op.bulk_id.clone(),
        version: None,
        location,
        status: err.status(),
        response: Some(err.to_json()),
    }
}

/// A member add postponed until the group it points at exists (a circular reference).
struct Deferred {
    /// The type of the new resource (one whose `members` attribute references others).
    resource_type: String,
    group_id: String,
    members: Vec<(String, Value)>,
    result_index: usize,
}

impl<S: Store, A: Authenticator, H: Hooks<S>> Dispatcher<S, A, H> {
    pub(crate) async fn bulk(&self, ctx: &Ctx, body: Value) -> Result<Value, ScimError> {
        let req: BulkRequest = serde_json::from_value(body)
            .map_err(|e| ScimError::invalid_syntax(format!("Not a BulkRequest message: {e}")))?;
        if !req
            .schemas
            .iter()
            .any(|s| s.eq_ignore_ascii_case(BULK_REQUEST_SCHEMA))
        {
            return Err(ScimError::invalid_syntax(format!(
                "a Bulk body must list {BULK_REQUEST_SCHEMA} in schemas"
            )));
        }
        let max = self.config().bulk_max_operations;
        if req.operations.len() > max {
            return Err(ScimError::payload_too_large(format!(
                "The bulk request has {} operations; maxOperations is {max}",
                req.operations.len()
            )));
        }
        let mut defined: HashMap<String, usize> = HashMap::new();
        for (i, op) in req.operations.iter().enumerate() {
            if let Some(b) = &op.bulk_id {
                if !op.method.eq_ignore_ascii_case("POST") {
                    continue;
                }
                if defined.insert(b.clone(), i).is_some() {
                    return Err(ScimError::invalid_value(format!(
                        "bulkId {b} is used by more than one operation"
                    )));
                }
            }
        }
        let fail_on = req.fail_on_errors.filter(|&n| n > 0);
        let ops = req.operations;
        let refs: Vec<HashSet<String>> = ops.iter().map(references).collect();
        let mut ids: HashMap<String, String> = HashMap::new();
        let mut failed: HashSet<String> = HashSet::new();
        let mut results: Vec<BulkOperationResponse> = Vec::new();
        let mut pending: Vec<usize> = (0..ops.len()).collect();
        let mut deferred: Vec<Deferred> = Vec::new();
        let mut errors = 0u32;
        let mut stopped = false;
        'outer: while !pending.is_empty() {
            let mut progressed = false;
            let mut still = Vec::new();
            for &i in &pending {
                let op = &ops[i];
                let waiting = refs[i].iter().any(|r| {
                    !ids.contains_key(r) && !failed.contains(r) && defined.contains_key(r)
                });
                if waiting {
                    still.push(i);
                    continue;
                }
                progressed = true;
                let unresolved = refs[i].iter().find(|r| !ids.contains_key(*r));
                let result = match unresolved {
                    Some(r) => Err((
                        ScimError::new(
                            409,
                            None,
                            format!("bulkId {r} does not name a resource created in this request"),
                        ),
                        None,
                    )),
                    None => self.bulk_one(ctx, op, &ids, None).await,
                };
                match result {
                    Ok((resp, id)) => {
                        if let (Some(b), Some(id)) = (&op.bulk_id, id) {
                            ids.insert(b.clone(), id);
                        }
                        results.push(resp);
                    }
                    Err((e, location)) => {
                        if let Some(b) = &op.bulk_id {
                            failed.insert(b.clone());
                        }
                        results.push(error_result(op, &e, location));
                        errors += 1;
                        if fail_on.is_some_and(|n| errors >= n) {
                            stopped = true;
                            break 'outer;
                        }
                    }
                }
            }
            pending = still;
            if pending.is_empty() || progressed {
                continue;
            }
            // Every remaining operation waits for another: a cycle. Break it at a new group
            // whose waiting references are all members: create it without them, add them later.
            let waiting_ids: HashSet<String> = pending
                .iter()
                .filter_map(|&i| ops[i].bulk_id.clone())
                .collect();
            let breakable = pending.iter().position(|&i| {
                let op = &ops[i];
                op.method.eq_ignore_ascii_case("POST")
                    && op.data.as_ref().is_some_and(|d| {
                        let mut d = d.clone();
                        let taken = take_pending_members(&mut d, &waiting_ids);
                        !taken.is_empty() && {
                            let mut rest = HashSet::new();
                            collect(&d, &mut rest);
                            rest.iter().all(|r| ids.contains_key(r))
                        }
                    })
            });
            let Some(pos) = breakable else {
                for &i in &pending {
                    let e = ScimError::new(
                        409,
                        None,
                        "Circular bulkId references could not be resolved",
                    );
                    results.push(error_result(&ops[i], &e, None));
                }
                break;
            };
            let i = pending.remove(pos);
            let op = &ops[i];
            let mut data = op.data.clone().unwrap_or(Value::Null);
            let taken = take_pending_members(&mut data, &waiting_ids);
            match self.bulk_one(ctx, op, &ids, Some(data)).await {
                Ok((resp, id)) => {
                    if let (Some(b), Some(id)) = (&op.bulk_id, id.clone()) {
                        ids.insert(b.clone(), id.clone());
                        let endpoint = op.path.split('/').find(|s| !s.is_empty()).unwrap_or("");
                        let resource_type = self
                            .registry()
                            .resource_type_by_endpoint(endpoint)
                            .map_or_else(String::new, |rs| rs.name().to_owned());
                        deferred.push(Deferred {
                            resource_type,
                            group_id: id,
                            members: taken,
                            result_index: results.len(),
                        });
                    }
                    results.push(resp);
                }
                Err((e, location)) => {
                    if let Some(b) = &op.bulk_id {
                        failed.insert(b.clone());
                    }
                    results.push(error_result(op, &e, location));
                    errors += 1;
                    if fail_on.is_some_and(|n| errors >= n) {
                        stopped = true;
                        break;
                    }
                }
            }
        }
        if !stopped {
            self.finish_deferred(ctx, deferred, &ids, &mut results)
                .await;
        }
        let out = BulkResponse {
            schemas: vec![BULK_RESPONSE_SCHEMA.into()],
            operations: results,
        };
        serde_json::to_value(&out).map_err(|e| ScimError::internal(e.to_string()))
    }

    async fn finish_deferred(
        &self,
        ctx: &Ctx,
        deferred: Vec<Deferred>,
        ids: &HashMap<String, String>,
        results: &mut [BulkOperationResponse],
    ) {
        for d in deferred {
            let Some(owner) = self.registry().resource_type(&d.resource_type) else {
                continue;
            };
            let mut add = Vec::new();
            let mut missing = None;
            for (r, mut m) in d.members {
                match ids.get(&r) {
                    Some(_) => {
                        substitute(&mut m, ids);
                        add.push(m);
                    }
                    None => missing = Some(r),
                }
            }
            let outcome = match missing {
                Some(r) => Err(ScimError::new(
                    409,
                    None,
                    format!("bulkId {r} could not be resolved"),
                )),
                // Through the write pipeline (hooks, transaction), as a PATCH would be.
                None => {
                    let patch = json!({
                        "schemas": [PATCH_OP_SCHEMA],
                        "Operations": [{"op": "add", "path": "members", "value": add}],
                    });
                    self.patch(
                        ctx,
                        owner,
                        &d.group_id,
                        patch,
                        &Precondition::from_version(None),
                        true,
                    )
                    .await
                }
            };
            if let Some(slot) = results.get_mut(d.result_index) {
                match outcome {
                    Ok(stored) => slot.version = Some(stored.version.etag()),
                    Err(e) => {
                        slot.status = e.status();
                        slot.response = Some(e.to_json());
                    }
                }
            }
        }
    }

    /// One operation, with bulkIds substituted. Returns the result and the id of the resource
    /// it created, or the error and the location it concerned.
    async fn bulk_one(
        &self,
        ctx: &Ctx,
        op: &BulkOperation,
        ids: &HashMap<String, String>,
        data_override: Option<Value>,
    ) -> Result<(BulkOperationResponse, Option<String>), (ScimError, Option<String>)> {
        let method = op.method.to_ascii_uppercase();
        let path = substitute_path(&op.path, ids);
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let reg = self.registry();
        let (rs, id): (Option<ResourceSchema<'_>>, Option<&str>) = match segs.as_slice() {
            [t] => (reg.resource_type_by_endpoint(t), None),
            [t, id] => (reg.resource_type_by_endpoint(t), Some(*id)),
            _ => (None, None),
        };
        let rs = rs.ok_or_else(|| {
            (
                ScimError::invalid_value(format!("{} is not a resource path", op.path)),
                None,
            )
        })?;
        let location = id.map(|i| self.location(ctx, rs, i));
        let fail = |e: ScimError| (e, location.clone());
        let mut data = data_override.or_else(|| op.data.clone());
        if let Some(d) = &mut data {
            substitute(d, ids);
        }
        let need_data = || {
            data.clone()
                .ok_or_else(|| fail(ScimError::invalid_syntax(format!("{method} needs data"))))
        };
        let version = Precondition::from_version(op.version.as_deref());
        let ok = |status: u16, stored: Option<&crate::store::Stored>| BulkOperationResponse {
            method: method.clone(),
            bulk_id: op.bulk_id.clone(),
            version: stored.map(|s| s.version.etag()),
            location: stored
                .map(|s| self.location(ctx, rs, &s.id))
                .or_else(|| location.clone()),
            status,
            response: None,
        };
        match (method.as_str(), id) {
            ("POST", None) => {
                let stored = self
                    .create(ctx, rs, need_data()?, true)
                    .await
                    .map_err(fail)?;
                Ok((ok(201, Some(&stored)), Some(stored.id)))
            }
            ("PUT", Some(id)) => {
                let stored = self
                    .replace(ctx, rs, id, need_data()?, &version, true)
                    .await
                    .map_err(fail)?;
                Ok((ok(200, Some(&stored)), None))
            }
            ("PATCH", Some(id)) => {
                let stored = self
                    .patch(ctx, rs, id, need_data()?, &version, true)
                    .await
                    .map_err(fail)?;
                Ok((ok(200, Some(&stored)), None))
            }
            ("DELETE", Some(id)) => {
                self.delete(ctx, rs, id, &version, true)
                    .await
                    .map_err(fail)?;
                Ok((ok(204, None), None))
            }
            _ => Err(fail(ScimError::invalid_value(format!(
                "{method} {} is not a bulk operation (POST to a type; PUT, PATCH or DELETE to a resource)",
                op.path
            )))),
        }
    }
}
