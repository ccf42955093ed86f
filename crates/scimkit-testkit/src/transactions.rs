//! The store suite's transaction check: a write whose transaction fails after the resource
//! was written leaves nothing visible — neither the resource change nor what a hook wrote in
//! the same transaction — and one that succeeds shows both.

use crate::client::{encode, Client};
use crate::population;
use scimkit_dispatch::{Hooks, Store, StoreTx, Stored, Write};
use scimkit_schema::ScimError;
use serde_json::{json, Value};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// A hook that, after each resource write, writes a second resource in the same transaction
/// (a group named `side effect N`, standing in for an account row or an audit record), then
/// fails when told to: the failure the store must roll back.
#[derive(Debug, Default)]
pub struct SideEffect {
    fail: AtomicBool,
    written: AtomicUsize,
}

impl SideEffect {
    /// Makes the following writes fail after their side effect (`true`) or succeed.
    pub fn fail(&self, fail: bool) {
        self.fail.store(fail, Ordering::SeqCst);
    }
}

/// The display name of the `n`th side effect.
fn side_effect(n: usize) -> String {
    format!("side effect {n}")
}

impl<S: Store> Hooks<S> for SideEffect {
    type Decision = ();
    type Prepared = ();

    fn after_write(
        &self,
        tx: &mut S::Tx,
        _write: &Write<'_>,
        _stored: Option<&Stored>,
        _decision: (),
    ) -> impl Future<Output = Result<(), ScimError>> + Send {
        let n = self.written.fetch_add(1, Ordering::SeqCst);
        let fail = self.fail.load(Ordering::SeqCst);
        async move {
            let doc = json!({"displayName": side_effect(n)});
            tx.create("Group", doc).await?;
            match fail {
                true => Err(ScimError::internal(
                    "injected failure after the resource write",
                )),
                false => Ok(()),
            }
        }
    }

    fn rewrites_reads(&self) -> bool {
        false
    }
}

async fn count<S: Store>(c: &Client<S, SideEffect>, path: &str, filter: &str) -> u64 {
    let answer = c
        .call("GET", &format!("{path}?filter={}", encode(filter)), None)
        .await;
    assert_eq!(answer.status, 200, "{filter}: {}", answer.body);
    answer.body["totalResults"].as_u64().unwrap_or(u64::MAX)
}

async fn side_effects<S: Store>(c: &Client<S, SideEffect>) -> u64 {
    count(c, "/Groups", r#"displayName sw "side effect""#).await
}

fn patch(ops: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

/// Injects a failure after the resource write of a create, a PUT, a PATCH (attributes and
/// members) and a DELETE: each answers the error and leaves the store as it was, including
/// versions and memberships; the hook's own write in the transaction is gone too. Without the
/// failure, the resource and the hook's write are both visible.
pub async fn rollback_after_the_resource_write<S: Store>(store: S) {
    let c = Client::with_hooks(store, SideEffect::default());
    let created = c.call("POST", "/Users", Some(&population::user(1))).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let uid = created.body["id"].as_str().expect("an id").to_owned();
    let group = population::group(0, std::slice::from_ref(&uid));
    let g = c.call("POST", "/Groups", Some(&group)).await;
    assert_eq!(g.status, 201, "{}", g.body);
    let gid = g.body["id"].as_str().expect("an id").to_owned();
    assert_eq!(
        side_effects(&c).await,
        2,
        "a committed write shows the hook's write"
    );

    let user_path = format!("/Users/{uid}");
    let group_path = format!("/Groups/{gid}");
    let before_user = c.call("GET", &user_path, None).await.body;
    let before_group = c.call("GET", &group_path, None).await.body;

    c.hooks().fail(true);
    let doomed = population::user(2);
    let answer = c.call("POST", "/Users", Some(&doomed)).await;
    assert_eq!(answer.status, 500, "create: {}", answer.body);
    let name = doomed["userName"].as_str().unwrap_or_default();
    assert_eq!(
        count(&c, "/Users", &format!("userName eq \"{name}\"")).await,
        0,
        "a rolled-back create left its user"
    );

    let mut replacement = population::user(1);
    replacement["displayName"] = json!("Rolled back");
    let answer = c.call("PUT", &user_path, Some(&replacement)).await;
    assert_eq!(answer.status, 500, "replace: {}", answer.body);

    let ops = json!([{"op": "replace", "path": "title", "value": "Rolled back"}]);
    let answer = c.call("PATCH", &user_path, Some(&patch(ops))).await;
    assert_eq!(answer.status, 500, "patch: {}", answer.body);

    let ops = json!([{"op": "remove", "path": format!("members[value eq \"{uid}\"]")}]);
    let answer = c.call("PATCH", &group_path, Some(&patch(ops))).await;
    assert_eq!(answer.status, 500, "member removal: {}", answer.body);

    let answer = c.call("DELETE", &user_path, None).await;
    assert_eq!(answer.status, 500, "delete: {}", answer.body);

    assert_eq!(
        c.call("GET", &user_path, None).await.body,
        before_user,
        "the user after rolled-back PUT, PATCH and DELETE"
    );
    assert_eq!(
        c.call("GET", &group_path, None).await.body,
        before_group,
        "the group after a rolled-back member removal and member delete"
    );
    assert_eq!(
        side_effects(&c).await,
        2,
        "rolled-back writes left the hook's writes"
    );

    c.hooks().fail(false);
    let answer = c.call("DELETE", &user_path, None).await;
    assert_eq!(answer.status, 204, "the store works on: {}", answer.body);
    let group = c.call("GET", &group_path, None).await.body;
    let members = group["members"].as_array().map_or(0, Vec::len);
    assert_eq!(members, 0, "a deleted user leaves its group: {group}");
    assert_eq!(side_effects(&c).await, 3);
}
