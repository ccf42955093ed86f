//! Okta's sequential index walk (`startIndex=1, 101, 201, …` with one filter and sort) with
//! remembered walk ends: the store is asked to skip nothing after the first page (on SQL an
//! `OFFSET` costs O(startIndex)), the pages are what offset paging gives, and a write between
//! pages makes the dispatcher fall back to offset paging for that page.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use http::StatusCode;
use scimkit_dispatch::{
    BearerTokens, Config, Dispatcher, MemoryStore, MemoryTx, Page, Plan, Query, Store, StoreError,
    Stored, TenantId,
};
use scimkit_filter::{AttrPath, Filter};
use scimkit_schema::ResourceSchema;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// `MemoryStore`, counting the resources queries ask it to skip (what an `OFFSET` costs).
#[derive(Clone, Default)]
struct CountingStore {
    inner: MemoryStore,
    skipped: Arc<AtomicUsize>,
}

impl Store for CountingStore {
    type Tx = MemoryTx;

    fn begin(
        &self,
        tenant: &TenantId,
    ) -> impl Future<Output = Result<MemoryTx, StoreError>> + Send {
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

fn walker(store: &CountingStore, walks: usize) -> Dispatcher<CountingStore, BearerTokens> {
    Dispatcher::builder(store.clone(), tokens())
        .config(Config::default().with_index_walks(walks))
        .build()
}

fn ids(r: &Resp) -> Vec<String> {
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect()
}

fn populate(store: &CountingStore, n: usize) {
    let d = walker(store, 0);
    for i in 0..n {
        let r = call(
            &d,
            "POST",
            "/Users",
            Some(user(&format!("okta{i:04}"))),
            &[],
        );
        assert_eq!(r.status, StatusCode::CREATED);
    }
}

/// Walks every page; returns the rows skipped per page and every id served.
fn walk(
    d: &Dispatcher<CountingStore, BearerTokens>,
    store: &CountingStore,
) -> (Vec<usize>, Vec<String>) {
    let (mut skipped, mut served) = (Vec::new(), Vec::new());
    let mut start = 1;
    loop {
        let before = store.skipped.load(Ordering::Relaxed);
        let path = format!("/Users?startIndex={start}&count=100&filter=active%20eq%20true");
        let page = ids(&call(d, "GET", &path, None, &[]));
        skipped.push(store.skipped.load(Ordering::Relaxed) - before);
        start += page.len();
        let last = page.len() < 100;
        served.extend(page);
        if last {
            return (skipped, served);
        }
    }
}

#[test]
fn a_remembered_walk_skips_nothing_after_the_first_page() {
    let store = CountingStore::default();
    populate(&store, 1_000);
    let (with_memory, served) = walk(&walker(&store, 8), &store);
    assert_eq!(with_memory.len(), 11, "10 full pages and an empty one");
    assert!(
        with_memory.iter().all(|&s| s == 0),
        "rows skipped per page: {with_memory:?}"
    );
    let mut unique = served.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((served.len(), unique.len()), (1_000, 1_000));
    // Without the memory, page k skips 100·k rows: the cost grows with startIndex.
    let (without, plain) = walk(&walker(&store, 0), &store);
    assert_eq!(without[9], 900, "{without:?}");
    assert_eq!(unique.len(), plain.len());
}

#[test]
fn a_write_between_pages_falls_back_to_offset_paging_for_that_page() {
    let store = CountingStore::default();
    populate(&store, 300);
    let d = walker(&store, 8);
    let fresh = || walker(&store, 8);
    let page = |d: &Dispatcher<CountingStore, BearerTokens>, start: usize| {
        let before = store.skipped.load(Ordering::Relaxed);
        let path = format!("/Users?startIndex={start}&count=100&filter=active%20eq%20true");
        let r = ids(&call(d, "GET", &path, None, &[]));
        (r, store.skipped.load(Ordering::Relaxed) - before)
    };
    let (first, _) = page(&d, 1);
    // A user of the first page is deleted: every later resource moves up by one.
    let r = call(&d, "DELETE", &format!("/Users/{}", first[0]), None, &[]);
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let (second, skipped) = page(&d, 101);
    assert_eq!(
        second,
        page(&fresh(), 101).0,
        "the offset page, as offset paging gives it"
    );
    assert_eq!(
        skipped, 100,
        "the remembered end was refused: offset paging"
    );
    // The next page continues from the end of this one again.
    let (third, skipped) = page(&d, 201);
    assert_eq!(third, page(&fresh(), 201).0);
    assert_eq!(skipped, 0);
    // Another writer (a second dispatcher on the same store, as another instance) is
    // noticed too: a user created there sorts before the walk's position or after it, and
    // either way the page is the offset page.
    let other = walker(&store, 0);
    let (_, _) = page(&d, 1);
    let (_, _) = page(&d, 101);
    for i in 0..20 {
        call(
            &other,
            "POST",
            "/Users",
            Some(user(&format!("late{i}"))),
            &[],
        );
    }
    assert_eq!(page(&d, 201).0, page(&fresh(), 201).0);
}
