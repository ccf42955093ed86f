//! The paging suite: RFC 9865 cursor pages and remembered index walks over a [`Store`],
//! checked through a dispatcher with cursor keys and index walks on.
//!
//! A store that answers keyset pages itself ([`Plan::keyset`](scimkit_dispatch::Plan)) and
//! one that leaves them to the dispatcher are held to the same answers: a cursor walk returns
//! every resource that exists throughout it exactly once, in keyset order, while resources are
//! created and deleted between pages; an index walk gives, page by page, what offset paging
//! gives at that moment.

use crate::client::{encode, TENANT_A};
use scimkit_dispatch::{
    compare_keyset, keyset_key, BearerTokens, Config, CursorKey, Dispatcher, Store, TenantId,
};
use scimkit_filter::{parse_attr_path, SortOrder};
use scimkit_schema::Registry;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Runs every check of the suite, each on a fresh store from `factory`.
pub async fn run_all<S, F, Fut>(factory: F)
where
    S: Store + Clone,
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = S>,
{
    cursor_walks_return_each_resource_once(factory().await).await;
    cursor_pages_agree_with_index_pages(factory().await).await;
    index_walks_agree_with_offset_paging(factory().await).await;
}

/// The configuration the suite runs with: a cursor key and remembered index walks.
pub fn config() -> Config {
    let key = CursorKey::new("testkit cursor key: thirty-two bytes at least").expect("a key");
    Config::default()
        .with_cursor_keys([key])
        .with_index_walks(16)
}

struct Scim<S: Store> {
    scim: Dispatcher<S, BearerTokens>,
}

impl<S: Store> Scim<S> {
    fn new(store: S, config: Config) -> Self {
        let tokens = BearerTokens::new();
        tokens.insert(TENANT_A, TenantId::new("a"));
        Scim {
            scim: Dispatcher::builder(store, tokens).config(config).build(),
        }
    }

    async fn call(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let mut request = http::Request::builder()
            .method(method)
            .uri(path)
            .header("Authorization", format!("Bearer {TENANT_A}"));
        let bytes = match body {
            Some(v) => {
                request = request.header("Content-Type", "application/scim+json");
                bytes::Bytes::from(v.to_string())
            }
            None => bytes::Bytes::new(),
        };
        let response = self
            .scim
            .handle_bytes(request.body(bytes).expect("a valid request"))
            .await;
        let body = match response.body().is_empty() {
            true => Value::Null,
            false => serde_json::from_slice(response.body()).expect("a JSON answer"),
        };
        (response.status().as_u16(), body)
    }

    async fn create(&self, i: usize) -> String {
        // Every third user has no title; titles repeat, so sorts have ties and absent values.
        let mut user = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": format!("paging.user{i:04}"),
            "displayName": format!("Paging User {}", (i * 7) % 100),
        });
        if i % 3 != 0 {
            user["title"] = json!(format!("title {}", i % 5));
        }
        let (status, body) = self.call("POST", "/Users", Some(&user)).await;
        assert_eq!(status, 201, "create user {i}: {body}");
        body["id"].as_str().expect("an id").to_owned()
    }

    async fn delete(&self, id: &str) {
        let (status, body) = self.call("DELETE", &format!("/Users/{id}"), None).await;
        assert_eq!(status, 204, "delete {id}: {body}");
    }
}

fn resources(body: &Value) -> Vec<Value> {
    body["Resources"].as_array().cloned().unwrap_or_default()
}

fn ids(body: &Value) -> Vec<String> {
    resources(body)
        .iter()
        .map(|r| r["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The walks' orders: none, a unique key, a key with ties and absent values, a key with ties
/// that SQL stores hold in a column, and an instant (users created in the same millisecond
/// tie).
const SORTS: [(&str, &str); 8] = [
    ("", ""),
    ("userName", "ascending"),
    ("userName", "descending"),
    ("title", "ascending"),
    ("title", "descending"),
    ("displayName", "descending"),
    ("meta.lastModified", "ascending"),
    ("meta.lastModified", "descending"),
];

fn sort_query(by: &str, order: &str) -> String {
    match by {
        "" => String::new(),
        _ => format!("&sortBy={by}&sortOrder={order}"),
    }
}

/// A cursor walk (GET and `POST /.search`, with and without a sort, ties and absent values
/// included) returns every user that exists throughout it exactly once and in keyset order,
/// while users are created and deleted between pages.
pub async fn cursor_walks_return_each_resource_once<S: Store>(store: S) {
    let scim = Scim::new(store, config());
    let registry = Registry::standard();
    let users = registry.resource_type("User").expect("the User type");
    let mut live: BTreeSet<String> = BTreeSet::new();
    for i in 0..60 {
        live.insert(scim.create(i).await);
    }
    let mut next_user = 1_000;
    for (walk, (by, order)) in SORTS.into_iter().enumerate() {
        let via_search = walk % 2 == 1;
        let stable: BTreeSet<String> = live.clone();
        let mut deleted: BTreeSet<String> = BTreeSet::new();
        let mut seen: BTreeMap<String, Value> = BTreeMap::new();
        let mut order_seen: Vec<(Value, String)> = Vec::new();
        let mut cursor = String::new();
        for page in 0.. {
            assert!(page < 100, "walk {by} {order}: more pages than users");
            let (status, body) = match via_search {
                true => {
                    let mut search = json!({"cursor": cursor, "count": 7});
                    if !by.is_empty() {
                        search["sortBy"] = json!(by);
                        search["sortOrder"] = json!(order);
                    }
                    scim.call("POST", "/Users/.search", Some(&search)).await
                }
                false => {
                    let path = format!(
                        "/Users?count=7&cursor={}{}",
                        encode(&cursor),
                        sort_query(by, order)
                    );
                    scim.call("GET", &path, None).await
                }
            };
            assert_eq!(status, 200, "walk {by} {order}, page {page}: {body}");
            assert!(resources(&body).len() <= 7, "a page holds at most count");
            for r in resources(&body) {
                let id = r["id"].as_str().unwrap_or_default().to_owned();
                assert!(
                    seen.insert(id.clone(), r.clone()).is_none(),
                    "walk {by} {order}: {id} served twice"
                );
                order_seen.push((r, id));
            }
            // Writes between pages: one user created, the oldest undeleted one deleted.
            live.insert(scim.create(next_user).await);
            next_user += 1;
            if let Some(doomed) = live.iter().find(|id| !seen.contains_key(*id)).cloned() {
                scim.delete(&doomed).await;
                live.remove(&doomed);
                deleted.insert(doomed);
            }
            match body["nextCursor"].as_str() {
                Some(next) => cursor = next.to_owned(),
                None => break,
            }
        }
        for id in stable.difference(&deleted) {
            assert!(
                seen.contains_key(id),
                "walk {by} {order}: {id} existed throughout and was never served"
            );
        }
        for id in &deleted {
            assert!(
                !seen.contains_key(id),
                "walk {by} {order}: {id} served after its deletion"
            );
        }
        let path = (!by.is_empty()).then(|| parse_attr_path(by).expect("a sortBy"));
        let sort = path.as_ref().map(|p| {
            let o = SortOrder::from_param(order).expect("a sortOrder");
            (p, o)
        });
        for pair in order_seen.windows(2) {
            let a = keyset_key(&pair[0].0, &pair[0].1, sort, &users);
            let b = keyset_key(&pair[1].0, &pair[1].1, sort, &users);
            assert!(
                compare_keyset(a, b, sort, &users).is_lt(),
                "walk {by} {order}: {} before {} is not keyset order",
                pair[0].1,
                pair[1].1
            );
        }
    }
}

/// Without writes, a cursor walk with a filter, sorted or not, serves the same resources as
/// index paging of the same query, and the same `totalResults`.
pub async fn cursor_pages_agree_with_index_pages<S: Store>(store: S) {
    let scim = Scim::new(store, config());
    for i in 0..45 {
        scim.create(i).await;
    }
    let filters = [
        r#"title sw "title""#,
        r#"userName sw "paging.user00" or title eq "title 2""#,
        r#"not (title pr)"#,
    ];
    for (filter, sort) in filters
        .into_iter()
        .flat_map(|f| [(f, "&sortBy=title"), (f, "")])
    {
        let q = format!("filter={}{sort}", encode(filter));
        let (status, all) = scim.call("GET", &format!("/Users?{q}"), None).await;
        assert_eq!(status, 200, "{filter}: {all}");
        let expected: BTreeSet<String> = ids(&all).into_iter().collect();
        let mut got = BTreeSet::new();
        let mut cursor = String::new();
        loop {
            let path = format!("/Users?{q}&count=4&cursor={}", encode(&cursor));
            let (status, body) = scim.call("GET", &path, None).await;
            assert_eq!(status, 200, "{path}: {body}");
            assert_eq!(
                body["totalResults"], all["totalResults"],
                "{filter}: cursor totalResults"
            );
            got.extend(ids(&body));
            match body["nextCursor"].as_str() {
                Some(next) => cursor = next.to_owned(),
                None => break,
            }
        }
        assert_eq!(got, expected, "{filter}{sort}: cursor pages vs index pages");
    }
}

/// An index walk (`startIndex=1, 1+n, …`, as Okta reads) through a dispatcher that remembers
/// walks gives, page by page, what a dispatcher without that memory gives for the same
/// request at that moment, while users are created and deleted between pages.
pub async fn index_walks_agree_with_offset_paging<S: Store + Clone>(store: S) {
    let walking = Scim::new(store.clone(), config());
    for i in 0..50 {
        walking.create(i).await;
    }
    let mut next_user = 2_000;
    for (by, order) in SORTS {
        for round in 0..3 {
            let mut start = 1;
            loop {
                let path = format!("/Users?startIndex={start}&count=6{}", sort_query(by, order));
                let (status, got) = walking.call("GET", &path, None).await;
                assert_eq!(status, 200, "{path}: {got}");
                // A fresh dispatcher remembers nothing: plain offset paging, same order.
                let fresh = Scim::new(store.clone(), config());
                let (_, want) = fresh.call("GET", &path, None).await;
                assert_eq!(
                    ids(&got),
                    ids(&want),
                    "{path}: remembered walk vs offset paging"
                );
                assert_eq!(got["totalResults"], want["totalResults"], "{path}");
                let served = resources(&got).len();
                if served < 6 {
                    break;
                }
                start += served;
                // Round 0 reads without writes; rounds 1 and 2 write between pages, before
                // and after the page boundary.
                if round > 0 {
                    walking.create(next_user).await;
                    next_user += 1;
                    let victim = match round {
                        1 => ids(&got).first().cloned(),
                        _ => ids(&got).last().cloned(),
                    };
                    if let Some(victim) = victim {
                        walking.delete(&victim).await;
                    }
                }
            }
        }
    }
}
