//! The suites pass on the reference store, `MemoryStore`.

use futures_executor::block_on;
use scimkit_dispatch::MemoryStore;
use scimkit_testkit::store;

#[test]
fn crud() {
    block_on(store::crud(MemoryStore::new()));
}

#[test]
fn versions() {
    block_on(store::versions(MemoryStore::new()));
}

#[test]
fn user_name_uniqueness() {
    block_on(store::user_name_uniqueness(MemoryStore::new()));
}

#[test]
fn concurrent_membership() {
    block_on(store::concurrent_membership(MemoryStore::new()));
}

#[test]
fn delete_cascades() {
    block_on(store::delete_cascades(MemoryStore::new()));
}

#[test]
fn tenant_isolation() {
    block_on(store::tenant_isolation(MemoryStore::new()));
}

#[test]
fn filters_sorting_and_paging() {
    block_on(store::filters_sorting_and_paging(MemoryStore::new()));
}

#[test]
fn rollback_after_the_resource_write() {
    block_on(store::rollback_after_the_resource_write(MemoryStore::new()));
}

#[test]
fn typed_membership() {
    block_on(store::typed_membership(MemoryStore::for_registry(
        &store::registry(),
    )));
}
