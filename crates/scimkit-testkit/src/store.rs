//! The store suite: what the dispatcher needs of a [`Store`], checked through the dispatcher
//! (so a store that answers a filter natively and one that leaves it to the dispatcher are held
//! to the same answers).
//!
//! Each check takes a fresh, empty store and panics with a message naming what differs.

use crate::client::{encode, Client, TENANT_B};
pub use crate::transactions::{rollback_after_the_resource_write, SideEffect};
use crate::{corpus, population};
use futures_util::future::join_all;
use scimkit_dispatch::{MemoryStore, Store};
use scimkit_filter::{compare_resources, parse, parse_attr_path, Matcher, SortOrder};
use scimkit_schema::{
    AttributeDef, Mutability, Registry, ResourceType, Schema, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA,
    USER_SCHEMA,
};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Runs every check of the suite, each on a fresh, empty store that `factory` builds for the
/// resource types of the registry it is given ([`registry`]: the standard types and a `Team`
/// whose members are users).
pub async fn run_all<S, F, Fut>(factory: F)
where
    S: Store,
    F: Fn(Registry) -> Fut,
    Fut: std::future::Future<Output = S>,
{
    let fresh = || factory(registry());
    crud(fresh().await).await;
    versions(fresh().await).await;
    user_name_uniqueness(fresh().await).await;
    concurrent_membership(fresh().await).await;
    delete_cascades(fresh().await).await;
    tenant_isolation(fresh().await).await;
    filters_sorting_and_paging(fresh().await).await;
    rollback_after_the_resource_write(fresh().await).await;
    typed_membership(fresh().await).await;
}

/// The core schema of [`registry`]'s `Team`.
pub const TEAM: &str = "urn:example:scim:schemas:core:2.0:Team";

/// The registry the suite's stores serve: the standard `User` and `Group`, and a `Team`
/// (endpoint `/Teams`, schema [`TEAM`]) with a `displayName` and `members` that reference
/// `User` only: a type with members that is not called `Group`.
///
/// # Panics
///
/// Never: the definitions are fixed (a failure is a bug of the suite).
pub fn registry() -> Registry {
    let members = AttributeDef::complex(
        "members",
        vec![
            AttributeDef::string("value").mutability(Mutability::Immutable),
            AttributeDef::reference("$ref", &["User"]).mutability(Mutability::Immutable),
            AttributeDef::string("type").mutability(Mutability::Immutable),
        ],
    )
    .multi_valued();
    let team = Schema::new(TEAM, "Team")
        .attribute(AttributeDef::string("displayName").required())
        .attribute(members);
    Registry::builder()
        .with_standard_schemas()
        .schema(team)
        .resource_type(
            ResourceType::new("User", "/Users", USER_SCHEMA)
                .extension(ENTERPRISE_USER_SCHEMA, false),
        )
        .resource_type(ResourceType::new("Group", "/Groups", GROUP_SCHEMA))
        .resource_type(ResourceType::new("Team", "/Teams", TEAM))
        .build()
        .expect("the suite's registry is valid")
}

fn values(list: &Value) -> Vec<&str> {
    list.as_array()
        .map(|m| m.iter().filter_map(|x| x["value"].as_str()).collect())
        .unwrap_or_default()
}

/// Membership follows the schema, not the names `Group` and `User`: a `Team` holds users as
/// typed members (`type` resolved to `User`), refuses a group (its `members` reference `User`
/// only), takes member deltas, is found by `members[value eq …]`, loses a deleted member (and
/// moves to its next version); a user's `groups` lists only what the User schema's `groups`
/// references (groups, not teams).
pub async fn typed_membership<S: Store>(store: S) {
    let c = Client::with_registry(store, registry());
    let (one, two) = (population::user(11), population::user(12));
    let u1 = id(&c.call("POST", "/Users", Some(&one)).await.body);
    let u2 = id(&c.call("POST", "/Users", Some(&two)).await.body);
    let g = c
        .call(
            "POST",
            "/Groups",
            Some(&population::group(0, std::slice::from_ref(&u1))),
        )
        .await;
    assert_eq!(g.status, 201, "group: {}", g.body);
    let gid = id(&g.body);
    let team =
        |members: Value| json!({"schemas": [TEAM], "displayName": "Blue", "members": members});

    let with_group = c
        .call(
            "POST",
            "/Teams",
            Some(&team(json!([{"value": u1}, {"value": gid}]))),
        )
        .await;
    assert_eq!(
        with_group.status, 400,
        "a group in a team of users: {}",
        with_group.body
    );
    let created = c
        .call("POST", "/Teams", Some(&team(json!([{"value": u1}]))))
        .await;
    assert_eq!(created.status, 201, "team: {}", created.body);
    let tid = id(&created.body);
    assert_eq!(created.body["meta"]["resourceType"], "Team");
    assert_eq!(created.body["members"][0]["value"], u1.as_str());
    assert_eq!(
        created.body["members"][0]["type"], "User",
        "{}",
        created.body
    );

    let ops = json!([{"op": "add", "path": "members", "value": [{"value": u2}]}]);
    let added = c
        .call("PATCH", &format!("/Teams/{tid}"), Some(&patch(ops)))
        .await;
    assert_eq!(added.status, 200, "add a member: {}", added.body);
    let mut now = values(&added.body["members"]);
    now.sort_unstable();
    let mut both = [u1.as_str(), u2.as_str()];
    both.sort_unstable();
    assert_eq!(now, both, "members in any order");
    let kinds: Vec<&Value> = added.body["members"]
        .as_array()
        .map(|m| m.iter().map(|x| &x["type"]).collect())
        .unwrap_or_default();
    assert_eq!(kinds, [&json!("User"), &json!("User")]);
    let ops = json!([{"op": "add", "path": "members", "value": [{"value": gid}]}]);
    let refused = c
        .call("PATCH", &format!("/Teams/{tid}"), Some(&patch(ops)))
        .await;
    assert_eq!(
        refused.status, 400,
        "a group added to a team: {}",
        refused.body
    );

    let found = c
        .call(
            "GET",
            &format!(
                "/Teams?filter={}",
                encode(&format!("members[value eq \"{u2}\"]"))
            ),
            None,
        )
        .await;
    let found_ids: Vec<&str> = found.body["Resources"]
        .as_array()
        .map(|r| r.iter().filter_map(|x| x["id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        found_ids,
        [tid.as_str()],
        "members filter on a Team: {}",
        found.body
    );

    let member = c.call("GET", &format!("/Users/{u1}"), None).await.body;
    assert_eq!(
        values(&member["groups"]),
        [gid.as_str()],
        "a user's groups list groups, not teams: {member}"
    );

    assert_eq!(
        c.call("DELETE", &format!("/Users/{u1}"), None).await.status,
        204
    );
    let after = c.call("GET", &format!("/Teams/{tid}"), None).await.body;
    assert_eq!(values(&after["members"]), [u2.as_str()], "{after}");
    assert_ne!(
        after["meta"]["version"], added.body["meta"]["version"],
        "a team that lost a member moves to its next version"
    );
    assert_eq!(
        c.call("DELETE", &format!("/Teams/{tid}"), None)
            .await
            .status,
        204
    );
    let found = c
        .call(
            "GET",
            &format!(
                "/Teams?filter={}",
                encode(&format!("members[value eq \"{u2}\"]"))
            ),
            None,
        )
        .await;
    assert_eq!(
        found.body["totalResults"], 0,
        "a deleted team leaves no members behind"
    );
}

fn id(answer: &Value) -> String {
    answer["id"].as_str().expect("an id").to_owned()
}

fn patch(ops: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

/// Create, read, replace, patch and delete of users and groups; a group's `members` and a
/// user's computed `groups`.
pub async fn crud<S: Store>(store: S) {
    let c = Client::new(store);
    let created = c.call("POST", "/Users", Some(&population::user(1))).await;
    assert_eq!(created.status, 201, "create: {}", created.body);
    let uid = id(&created.body);
    assert_eq!(created.body["meta"]["resourceType"], "User");
    let read = c.call("GET", &format!("/Users/{uid}"), None).await;
    assert_eq!(read.status, 200);
    assert_eq!(
        read.body, created.body,
        "a read shows what the create answered"
    );

    let mut replacement = population::user(1);
    replacement["displayName"] = json!("Replaced");
    let replaced = c
        .call("PUT", &format!("/Users/{uid}"), Some(&replacement))
        .await;
    assert_eq!(replaced.status, 200, "replace: {}", replaced.body);
    assert_eq!(replaced.body["displayName"], "Replaced");
    assert_ne!(
        replaced.body["meta"]["version"],
        created.body["meta"]["version"]
    );

    let ops = json!([{"op": "replace", "path": "title", "value": "Captain"}]);
    let patched = c
        .call("PATCH", &format!("/Users/{uid}"), Some(&patch(ops)))
        .await;
    assert_eq!(patched.status, 200, "patch: {}", patched.body);
    assert_eq!(patched.body["title"], "Captain");
    assert_eq!(patched.body["displayName"], "Replaced");

    let g = c
        .call(
            "POST",
            "/Groups",
            Some(&population::group(0, std::slice::from_ref(&uid))),
        )
        .await;
    assert_eq!(g.status, 201, "group create: {}", g.body);
    let gid = id(&g.body);
    assert_eq!(g.body["members"][0]["value"], uid.as_str());
    let user = c.call("GET", &format!("/Users/{uid}"), None).await;
    assert_eq!(
        user.body["groups"][0]["value"],
        gid.as_str(),
        "{}",
        user.body
    );

    assert_eq!(
        c.call("DELETE", &format!("/Users/{uid}"), None)
            .await
            .status,
        204
    );
    assert_eq!(
        c.call("GET", &format!("/Users/{uid}"), None).await.status,
        404
    );
    assert_eq!(
        c.call("DELETE", &format!("/Users/{uid}"), None)
            .await
            .status,
        404
    );
}

/// Versions move on every write; `If-Match` with a stale version is refused (412) and changes
/// nothing; `If-None-Match` with the current version answers 304.
pub async fn versions<S: Store>(store: S) {
    let c = Client::new(store);
    let created = c.call("POST", "/Users", Some(&population::user(2))).await;
    let uid = id(&created.body);
    let first = created.etag.expect("an ETag on create");
    let ops = patch(json!([{"op": "replace", "path": "nickName", "value": "one"}]));
    let path = format!("/Users/{uid}");
    let t = crate::client::TENANT_A;
    let ok = c
        .call_as(t, "PATCH", &path, Some(&ops), &[("If-Match", &first)])
        .await;
    assert_eq!(
        ok.status, 200,
        "If-Match with the current version: {}",
        ok.body
    );
    let second = ok.etag.expect("an ETag on PATCH");
    assert_ne!(first, second, "a write moves the version on");
    let ops = patch(json!([{"op": "replace", "path": "nickName", "value": "two"}]));
    let stale = c
        .call_as(t, "PATCH", &path, Some(&ops), &[("If-Match", &first)])
        .await;
    assert_eq!(
        stale.status, 412,
        "If-Match with a stale version: {}",
        stale.body
    );
    let now = c.call("GET", &path, None).await;
    assert_eq!(
        now.body["nickName"], "one",
        "a refused write changes nothing"
    );
    let unchanged = c
        .call_as(t, "GET", &path, None, &[("If-None-Match", &second)])
        .await;
    assert_eq!(unchanged.status, 304);
    let stale_delete = c
        .call_as(t, "DELETE", &path, None, &[("If-Match", &first)])
        .await;
    assert_eq!(stale_delete.status, 412);
    assert_eq!(c.call("GET", &path, None).await.status, 200);
}

/// Pairs of userNames and whether they are the same identifier: case-insensitive beyond ASCII,
/// with the fold of `scimkit_filter::fold` (NFC, full case folding, width mapping).
pub const USER_NAME_PAIRS: &[(&str, &str, bool)] = &[
    ("bjensen@example.com", "BJensen@Example.COM", true),
    ("ärger@example.com", "ÄRGER@example.com", true),
    ("ärger@example.com", "a\u{308}rger@example.com", true),
    ("i\u{307}lker@example.com", "\u{130}LKER@example.com", true),
    ("ilker@example.com", "\u{130}lker@example.com", false),
    ("strasse@example.com", "STRAßE@example.com", true),
    (
        "fred@example.com",
        "\u{ff26}\u{ff32}\u{ff25}\u{ff24}@example.com",
        true,
    ),
    ("jose@example.com", "josé@example.com", false),
];

/// `userName` is unique per tenant without regard to case, including non-ASCII text, with the
/// same answers as [`MemoryStore`]: a second create is a 409 `uniqueness`, and so is a rename
/// onto another user's name.
pub async fn user_name_uniqueness<S: Store>(store: S) {
    let c = Client::new(store);
    let reference = Client::new(MemoryStore::new());
    for (k, (first, second, same)) in USER_NAME_PAIRS.iter().enumerate() {
        let mut answers = Vec::new();
        for client in [&c as &dyn Probe, &reference as &dyn Probe] {
            answers.push(client.pair(k, first, second).await);
        }
        let expected = if *same { 409 } else { 201 };
        assert_eq!(
            answers[1], expected,
            "reference store on {first:?} then {second:?}"
        );
        assert_eq!(
            answers[0], answers[1],
            "{first:?} then {second:?}: the store answered {} where MemoryStore answered {}",
            answers[0], answers[1]
        );
    }
    let a = c
        .call(
            "POST",
            "/Users",
            Some(&json!({"schemas": [population::USER], "userName": "taken@example.com"})),
        )
        .await;
    assert_eq!(a.status, 201);
    let b = c
        .call(
            "POST",
            "/Users",
            Some(&json!({"schemas": [population::USER], "userName": "free@example.com"})),
        )
        .await;
    let ops = patch(json!([{"op": "replace", "path": "userName", "value": "TAKEN@example.com"}]));
    let rename = c
        .call("PATCH", &format!("/Users/{}", id(&b.body)), Some(&ops))
        .await;
    assert_eq!(
        rename.status, 409,
        "rename onto a taken name: {}",
        rename.body
    );
    assert_eq!(rename.body["scimType"], "uniqueness");
}

/// Creating two users in turn through either store, for [`user_name_uniqueness`].
trait Probe {
    fn pair<'a>(
        &'a self,
        k: usize,
        first: &'a str,
        second: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = u16> + 'a>>;
}

impl<S: Store> Probe for Client<S> {
    fn pair<'a>(
        &'a self,
        k: usize,
        first: &'a str,
        second: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = u16> + 'a>> {
        Box::pin(async move {
            let user = |name: &str| json!({"schemas": [population::USER], "userName": name, "externalId": format!("pair-{k}")});
            let a = self.call("POST", "/Users", Some(&user(first))).await;
            assert_eq!(a.status, 201, "create {first:?}: {}", a.body);
            let b = self.call("POST", "/Users", Some(&user(second))).await;
            if b.status == 409 {
                assert_eq!(b.body["scimType"], "uniqueness");
            }
            for answer in [&a, &b].into_iter().filter(|x| x.status == 201) {
                self.call("DELETE", &format!("/Users/{}", id(&answer.body)), None)
                    .await;
            }
            b.status
        })
    }
}

/// Concurrent member additions and removals on one group lose nothing: 40 users added by 40
/// concurrent PATCHes while 10 of the initial members are removed concurrently.
pub async fn concurrent_membership<S: Store>(store: S) {
    let c = Client::new(store);
    let mut ids = Vec::new();
    for i in 0..50 {
        ids.push(id(&c
            .call("POST", "/Users", Some(&population::user(i)))
            .await
            .body));
    }
    let g = c
        .call("POST", "/Groups", Some(&population::group(0, &ids[..10])))
        .await;
    let path = format!("/Groups/{}", id(&g.body));
    let adds = ids[10..]
        .iter()
        .map(|uid| patch(json!([{"op": "add", "path": "members", "value": [{"value": uid}]}])));
    let removes = ids[..10].iter().map(|uid| {
        patch(json!([{"op": "remove", "path": format!("members[value eq \"{uid}\"]")}]))
    });
    let requests: Vec<Value> = adds.chain(removes).collect();
    let statuses = join_all(
        requests
            .iter()
            .map(|ops| async { c.call("PATCH", &path, Some(ops)).await.status }),
    )
    .await;
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 204),
        "member PATCHes: {statuses:?}"
    );
    let group = c.call("GET", &path, None).await.body;
    let members: BTreeSet<&str> = group["members"]
        .as_array()
        .map(|m| m.iter().filter_map(|x| x["value"].as_str()).collect())
        .unwrap_or_default();
    let expected: BTreeSet<&str> = ids[10..].iter().map(String::as_str).collect();
    assert_eq!(members, expected, "concurrent member changes lost some");
}

/// Deleting a user removes it from every group; deleting a group removes it from its members'
/// `groups`.
pub async fn delete_cascades<S: Store>(store: S) {
    let c = Client::new(store);
    let u1 = id(&c
        .call("POST", "/Users", Some(&population::user(1)))
        .await
        .body);
    let u2 = id(&c
        .call("POST", "/Users", Some(&population::user(2)))
        .await
        .body);
    let both = [u1.clone(), u2.clone()];
    let g1 = id(&c
        .call("POST", "/Groups", Some(&population::group(1, &both)))
        .await
        .body);
    let g2 = id(&c
        .call("POST", "/Groups", Some(&population::group(2, &both)))
        .await
        .body);
    assert_eq!(
        c.call("DELETE", &format!("/Users/{u1}"), None).await.status,
        204
    );
    for g in [&g1, &g2] {
        let group = c.call("GET", &format!("/Groups/{g}"), None).await.body;
        let members: Vec<&str> = group["members"]
            .as_array()
            .map(|m| m.iter().filter_map(|x| x["value"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(members, [u2.as_str()], "group {g} after deleting a member");
    }
    let found = c
        .call(
            "GET",
            &format!(
                "/Groups?filter={}",
                encode(&format!("members[value eq \"{u1}\"]"))
            ),
            None,
        )
        .await;
    assert_eq!(
        found.body["totalResults"], 0,
        "a deleted user is nobody's member"
    );
    assert_eq!(
        c.call("DELETE", &format!("/Groups/{g1}"), None)
            .await
            .status,
        204
    );
    let user = c.call("GET", &format!("/Users/{u2}"), None).await.body;
    let groups: Vec<&str> = user["groups"]
        .as_array()
        .map(|m| m.iter().filter_map(|x| x["value"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        groups,
        [g2.as_str()],
        "a deleted group leaves its members' groups"
    );
}

/// A tenant never sees, changes or collides with another tenant's resources.
pub async fn tenant_isolation<S: Store>(store: S) {
    let c = Client::new(store);
    let a = c.call("POST", "/Users", Some(&population::user(3))).await;
    let uid = id(&a.body);
    let path = format!("/Users/{uid}");
    let b = |method: &'static str, path: String, body: Option<Value>| {
        let c = &c;
        async move { c.call_as(TENANT_B, method, &path, body.as_ref(), &[]).await }
    };
    assert_eq!(b("GET", path.clone(), None).await.status, 404);
    let ops = patch(json!([{"op": "replace", "path": "nickName", "value": "x"}]));
    assert_eq!(b("PATCH", path.clone(), Some(ops)).await.status, 404);
    assert_eq!(
        b("PUT", path.clone(), Some(population::user(3)))
            .await
            .status,
        404
    );
    assert_eq!(b("DELETE", path.clone(), None).await.status, 404);
    let list = b("GET", "/Users".into(), None).await;
    assert_eq!(list.body["totalResults"], 0);
    let q = format!(
        "/Users?filter={}",
        encode(&format!("userName eq \"{}\"", population::user_name(3)))
    );
    assert_eq!(b("GET", q, None).await.body["totalResults"], 0);
    let same_name = b("POST", "/Users".into(), Some(population::user(3))).await;
    assert_eq!(same_name.status, 201, "the same userName in another tenant");
    let members =
        json!({"schemas": [population::GROUP], "displayName": "g", "members": [{"value": uid}]});
    let foreign = b("POST", "/Groups".into(), Some(members)).await;
    assert_eq!(
        foreign.status, 400,
        "another tenant's user as a member: {}",
        foreign.body
    );
    let still = c.call("GET", &path, None).await;
    assert_eq!(still.status, 200);
    assert_eq!(
        still.body, a.body,
        "tenant b's requests changed nothing of tenant a"
    );
}

/// A loaded population: the clients's view of every user and group.
struct Loaded<S: Store> {
    client: Client<S>,
    users: Vec<Value>,
    user_ids: Vec<String>,
}

/// Number of users and groups in the population of [`filters_sorting_and_paging`].
pub const USERS: usize = 1_000;
/// See [`USERS`].
pub const GROUPS: usize = 50;

async fn load<S: Store>(store: S) -> Loaded<S> {
    let client = Client::new(store);
    let mut user_ids = Vec::with_capacity(USERS);
    for i in 0..USERS {
        let a = client
            .call("POST", "/Users", Some(&population::user(i)))
            .await;
        assert_eq!(a.status, 201, "population user {i}: {}", a.body);
        user_ids.push(id(&a.body));
    }
    for g in 0..GROUPS {
        let ids: Vec<String> = population::members_of(g, GROUPS, USERS)
            .into_iter()
            .map(|i| user_ids[i].clone())
            .collect();
        let a = client
            .call("POST", "/Groups", Some(&population::group(g, &ids)))
            .await;
        assert_eq!(a.status, 201, "population group {g}: {}", a.body);
    }
    let mut users = Vec::with_capacity(USERS);
    for chunk in 0..USERS.div_ceil(200) {
        let page = client
            .call(
                "GET",
                &format!("/Users?startIndex={}&count=200", chunk * 200 + 1),
                None,
            )
            .await;
        users.extend(
            page.body["Resources"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        );
    }
    assert_eq!(users.len(), USERS, "paging through the population");
    Loaded {
        client,
        users,
        user_ids,
    }
}

/// The `key` of every resource a query answers, page by page (servers cap `count`).
async fn names<S: Store>(c: &Client<S>, endpoint: &str, query: &str, key: &str) -> Vec<String> {
    let mut out = Vec::new();
    loop {
        let path = format!("/{endpoint}?startIndex={}&{query}", out.len() + 1);
        let a = c.call("GET", &path, None).await;
        assert_eq!(a.status, 200, "{path}: {}", a.body);
        let total = a.body["totalResults"].as_u64().unwrap_or_default();
        let resources = a.body["Resources"].as_array().cloned().unwrap_or_default();
        out.extend(
            resources
                .iter()
                .map(|r| r[key].as_str().unwrap_or_default().to_owned()),
        );
        if resources.is_empty() || out.len() as u64 >= total {
            assert_eq!(out.len() as u64, total, "{path}: totalResults");
            return out;
        }
    }
}

/// Every filter of the [`corpus`] over 1,000 users and 50 groups gives the same answer as
/// [`MemoryStore`] and as evaluating the filter on each read; sorting orders as the schema says;
/// paging through a filtered list visits every match exactly once.
pub async fn filters_sorting_and_paging<S: Store>(store: S) {
    let registry = Registry::standard();
    let user_schema = registry.resource_type("User").expect("the User type");
    let tested = load(store).await;
    let reference = load(MemoryStore::new()).await;
    for f in corpus::USER_FILTERS {
        let filter = parse(f).unwrap_or_else(|e| panic!("corpus filter {f}: {e}"));
        let matcher = Matcher::new(&filter, &user_schema).expect("a valid corpus filter");
        let by_reads: BTreeSet<String> = tested
            .users
            .iter()
            .filter(|u| matcher.matches(u))
            .map(|u| u["userName"].as_str().unwrap_or_default().to_owned())
            .collect();
        let q = format!("filter={}", encode(f));
        let got: BTreeSet<String> = names(&tested.client, "Users", &q, "userName")
            .await
            .into_iter()
            .collect();
        assert_eq!(
            got, by_reads,
            "filter {f}: the store's answer vs the filter on each read"
        );
        let expected: BTreeSet<String> = names(&reference.client, "Users", &q, "userName")
            .await
            .into_iter()
            .collect();
        assert_eq!(
            got, expected,
            "filter {f}: the store's answer vs MemoryStore's"
        );
    }
    for f in corpus::GROUP_FILTERS {
        let with = |ids: &[String]| f.replace("{member}", &ids[1]).replace("{other}", &ids[0]);
        let got: BTreeSet<String> = names(
            &tested.client,
            "Groups",
            &format!("filter={}", encode(&with(&tested.user_ids))),
            "displayName",
        )
        .await
        .into_iter()
        .collect();
        let expected: BTreeSet<String> = names(
            &reference.client,
            "Groups",
            &format!("filter={}", encode(&with(&reference.user_ids))),
            "displayName",
        )
        .await
        .into_iter()
        .collect();
        assert_eq!(
            got, expected,
            "group filter {f}: the store's answer vs MemoryStore's"
        );
    }
    for (by, order) in [
        ("userName", "ascending"),
        ("userName", "descending"),
        ("displayName", "ascending"),
        ("title", "descending"),
        ("name.familyName", "ascending"),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            "ascending",
        ),
    ] {
        let q = format!(
            "sortBy={}&sortOrder={order}&attributes=userName",
            encode(by)
        );
        let got = names(&tested.client, "Users", &q, "userName").await;
        let path = parse_attr_path(by).expect("a sort path");
        let sort_order = SortOrder::from_param(order).expect("an order");
        let key = |name: &String| {
            tested
                .users
                .iter()
                .find(|u| u["userName"] == name.as_str())
                .cloned()
                .unwrap_or_default()
        };
        let sorted: Vec<Value> = got.iter().map(key).collect();
        for pair in sorted.windows(2) {
            let cmp = compare_resources(&pair[0], &pair[1], &path, sort_order, &user_schema);
            assert_ne!(
                cmp,
                std::cmp::Ordering::Greater,
                "sortBy {by} {order}: {} before {}",
                pair[0]["userName"],
                pair[1]["userName"]
            );
        }
        assert_eq!(got.len(), USERS, "sortBy {by} returns every user");
    }
    let filter = encode("active eq true or title pr");
    let all = names(
        &tested.client,
        "Users",
        &format!("filter={filter}"),
        "userName",
    )
    .await;
    let mut walked = Vec::new();
    let mut start = 1;
    loop {
        let q = format!("/Users?filter={filter}&startIndex={start}&count=37&sortBy=userName");
        let page = tested.client.call("GET", &q, None).await;
        assert_eq!(
            page.body["totalResults"].as_u64(),
            Some(all.len() as u64),
            "totalResults while paging"
        );
        let resources = page.body["Resources"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if resources.is_empty() {
            break;
        }
        walked.extend(
            resources
                .iter()
                .map(|r| r["userName"].as_str().unwrap_or_default().to_owned()),
        );
        start += 37;
    }
    let unique: BTreeSet<&String> = walked.iter().collect();
    assert_eq!(unique.len(), walked.len(), "a page repeats a resource");
    assert_eq!(unique, all.iter().collect(), "paging visits every match");
}
