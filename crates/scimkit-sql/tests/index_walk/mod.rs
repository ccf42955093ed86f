//! Okta's index walk (`startIndex=1, 201, 401, …`) over 1,050 users through a dispatcher that
//! remembers walks, on a SQL store that answers keyset pages itself: after the first page the
//! store is asked to skip nothing (no `OFFSET`), every user is served once, and each page is
//! what offset paging gives in keyset order — without `sortBy`, sorted on a key every user has
//! (`userName`), and descending on one a third of them lack (`displayName`: the walk crosses
//! from absent values to present ones). Shared by the SQLite and PostgreSQL tests.
#![allow(dead_code)]

use scimkit_dispatch::{
    compare_keyset, keyset_key, BearerTokens, Config, Dispatcher, Page, Plan, Query, Store,
    StoreError, Stored, TenantId,
};
use scimkit_filter::{parse_attr_path, AttrPath, Filter, SortOrder};
use scimkit_schema::{Registry, ResourceSchema};
use serde_json::Value;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The users the caller loads into tenant `a`.
pub const USERS: usize = 1_050;
const TOKEN: &str = "walk-token";

/// A store, counting the rows queries ask it to skip (what an `OFFSET` reads) and the
/// queries it is asked to answer in keyset order.
#[derive(Clone)]
struct CountingStore<S> {
    inner: S,
    skipped: Arc<AtomicUsize>,
    keyset_queries: Arc<AtomicUsize>,
}

impl<S: Store> Store for CountingStore<S> {
    type Tx = S::Tx;

    fn begin(&self, tenant: &TenantId) -> impl Future<Output = Result<S::Tx, StoreError>> + Send {
        self.inner.begin(tenant)
    }

    fn get(
        &self,
        tenant: &TenantId,
        resource_type: &str,
        id: &str,
    ) -> impl Future<Output = Result<Option<Stored>, StoreError>> + Send {
        self.inner.get(tenant, resource_type, id)
    }

    fn query(
        &self,
        tenant: &TenantId,
        query: Query<'_>,
    ) -> impl Future<Output = Result<Page, StoreError>> + Send {
        self.skipped.fetch_add(query.offset, Ordering::Relaxed);
        if query.keyset.is_some() {
            self.keyset_queries.fetch_add(1, Ordering::Relaxed);
        }
        self.inner.query(tenant, query)
    }

    fn plan<'a>(
        &self,
        resource_type: &ResourceSchema<'_>,
        filter: Option<&Filter<'a>>,
        sort: Option<&AttrPath<'_>>,
    ) -> Plan<'a> {
        self.inner.plan(resource_type, filter, sort)
    }
}

async fn get<S: Store>(d: &Dispatcher<CountingStore<S>, BearerTokens>, path: &str) -> Value {
    let request = http::Request::builder()
        .uri(path)
        .header("Authorization", format!("Bearer {TOKEN}"))
        .body(bytes::Bytes::new())
        .unwrap();
    let response = d.handle_bytes(request).await;
    let body: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(response.status(), 200, "{path}: {body}");
    body
}

fn ids(page: &Value) -> Vec<String> {
    page["Resources"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|u| u["id"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Every user's id in keyset order for `sort`, as the dispatcher's own keyset code orders
/// them (`compare_keyset` over the rendered views).
async fn keyset_order<S: Store>(
    store: &S,
    users: ResourceSchema<'_>,
    sort: Option<(&AttrPath<'_>, SortOrder)>,
) -> Vec<String> {
    let all = store
        .query(&TenantId::new("a"), Query::all(users))
        .await
        .unwrap()
        .resources;
    let mut keyed: Vec<(Value, String)> =
        all.iter().map(|s| (s.view("User"), s.id.clone())).collect();
    keyed.sort_by(|(va, ia), (vb, ib)| {
        compare_keyset(
            keyset_key(va, ia, sort, &users),
            keyset_key(vb, ib, sort, &users),
            sort,
            &users,
        )
    });
    keyed.into_iter().map(|(_, id)| id).collect()
}

/// Walks `store`'s users (tenant `a`, [`USERS`] of them, loaded by the caller) as Okta does,
/// with and without the dispatcher's memory of walks, and checks the pages and what the store
/// was asked to skip.
pub async fn an_index_walk_reads_no_offset_after_its_first_page<S>(store: S, name: &str)
where
    S: Store + Clone + Send + Sync + 'static,
{
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let tokens = BearerTokens::new();
    tokens.insert(TOKEN, TenantId::new("a"));
    let counting = CountingStore {
        inner: store.clone(),
        skipped: Arc::default(),
        keyset_queries: Arc::default(),
    };
    let d = Dispatcher::builder(counting.clone(), tokens)
        .config(Config::default().with_index_walks(8))
        .build();

    let user_name = parse_attr_path("userName").unwrap();
    let display_name = parse_attr_path("displayName").unwrap();
    let walks: [(&str, Option<(&AttrPath<'_>, SortOrder)>); 3] = [
        ("", None),
        ("&sortBy=userName", Some((&user_name, SortOrder::Ascending))),
        (
            "&sortBy=displayName&sortOrder=descending",
            Some((&display_name, SortOrder::Descending)),
        ),
    ];
    for (query, sort) in walks {
        assert!(
            store.plan(&users, None, sort.map(|(by, _)| by)).keyset,
            "{query}: {name} answers keyset pages itself"
        );
        let expected = keyset_order(&store, users, sort).await;
        assert_eq!(expected.len(), USERS);
        let (mut start, mut served, mut skipped) = (1, Vec::new(), Vec::new());
        let keyset_before = counting.keyset_queries.load(Ordering::Relaxed);
        for _ in 0..=USERS / 200 + 1 {
            let before = counting.skipped.load(Ordering::Relaxed);
            let page = get(&d, &format!("/Users?startIndex={start}&count=200{query}")).await;
            skipped.push(counting.skipped.load(Ordering::Relaxed) - before);
            assert_eq!(page["totalResults"], USERS, "{query}");
            let got = ids(&page);
            let offset = start - 1;
            let want = &expected[offset.min(USERS)..(offset + 200).min(USERS)];
            assert_eq!(
                got, want,
                "{query}: page at startIndex={start} vs offset paging"
            );
            start += got.len();
            let last = got.len() < 200;
            served.extend(got);
            if last {
                break;
            }
        }
        let mut unique = served.clone();
        unique.sort();
        unique.dedup();
        assert_eq!((served.len(), unique.len()), (USERS, USERS), "{query}");
        assert_eq!(skipped.len(), 6, "{query}: 5 full pages and a short one");
        assert!(
            skipped.iter().all(|&s| s == 0),
            "{query}: rows skipped per page: {skipped:?}"
        );
        assert!(
            counting.keyset_queries.load(Ordering::Relaxed) > keyset_before,
            "{query}: keyset queries reached the store"
        );
    }

    // Without the memory, the last pages skip 800 and 1,000 rows: the check can fail.
    let plain = Dispatcher::builder(counting.clone(), {
        let tokens = BearerTokens::new();
        tokens.insert(TOKEN, TenantId::new("a"));
        tokens
    })
    .config(Config::default())
    .build();
    let before = counting.skipped.load(Ordering::Relaxed);
    get(&plain, "/Users?startIndex=1001&count=200").await;
    assert_eq!(counting.skipped.load(Ordering::Relaxed) - before, 1_000);
}
