//! The paging suite passes on the reference store, `MemoryStore` (which answers keyset pages
//! natively).

use futures_executor::block_on;
use scimkit_dispatch::{
    MemoryStore, MemoryTx, Page, Plan, Query, Store, StoreError, Stored, TenantId,
};
use scimkit_filter::{AttrPath, Filter};
use scimkit_schema::ResourceSchema;
use scimkit_testkit::paging;
use std::future::Future;

#[test]
fn cursor_walks_return_each_resource_once() {
    block_on(paging::cursor_walks_return_each_resource_once(
        MemoryStore::new(),
    ));
}

#[test]
fn cursor_pages_agree_with_index_pages() {
    block_on(paging::cursor_pages_agree_with_index_pages(
        MemoryStore::new(),
    ));
}

#[test]
fn index_walks_agree_with_offset_paging() {
    block_on(paging::index_walks_agree_with_offset_paging(
        MemoryStore::new(),
    ));
}

/// `MemoryStore` with keyset pages left to the dispatcher (as a store that does not claim
/// [`Plan::keyset`] gets them): the residual path must give the same answers.
#[derive(Clone)]
struct KeysetLeftToDispatcher(MemoryStore);

impl Store for KeysetLeftToDispatcher {
    type Tx = MemoryTx;

    fn begin(
        &self,
        tenant: &TenantId,
    ) -> impl Future<Output = Result<MemoryTx, StoreError>> + Send {
        self.0.begin(tenant)
    }

    fn get(
        &self,
        tenant: &TenantId,
        resource_type: &str,
        id: &str,
    ) -> impl Future<Output = Result<Option<Stored>, StoreError>> + Send {
        self.0.get(tenant, resource_type, id)
    }

    fn query(
        &self,
        tenant: &TenantId,
        query: Query<'_>,
    ) -> impl Future<Output = Result<Page, StoreError>> + Send {
        assert!(
            query.keyset.is_none(),
            "a keyset query the plan did not claim"
        );
        self.0.query(tenant, query)
    }

    fn plan<'a>(
        &self,
        resource_type: &ResourceSchema<'_>,
        filter: Option<&Filter<'a>>,
        sort: Option<&AttrPath<'_>>,
    ) -> Plan<'a> {
        let mut plan = self.0.plan(resource_type, filter, sort);
        plan.keyset = false;
        plan
    }
}

#[test]
fn the_suite_passes_when_the_dispatcher_answers_keyset_pages() {
    block_on(paging::run_all(|| async {
        KeysetLeftToDispatcher(MemoryStore::new())
    }));
}
