//! The provisioning-state suite against the in-memory backend.

use futures_executor::block_on;
use scimkit_dispatch::MemoryStore;
use scimkit_provisioning::MemoryBackend;
use scimkit_testkit::provisioning;

#[test]
fn tenants_and_tokens() {
    block_on(provisioning::tenants_and_tokens(MemoryBackend::new()));
}

#[test]
fn accounts_follow_scim_writes() {
    block_on(provisioning::accounts_follow_scim_writes(
        MemoryBackend::new(),
    ));
}

#[test]
fn account_paging() {
    block_on(provisioning::account_paging(MemoryBackend::new()));
}

#[test]
fn audit_paging_and_retention() {
    block_on(provisioning::audit_paging_and_retention(
        MemoryBackend::new(),
    ));
}

#[test]
fn a_failed_account_write_leaves_nothing() {
    block_on(provisioning::a_failed_account_write_leaves_nothing(
        MemoryBackend::new(),
    ));
}

/// The store suite runs against the backend too (it is a `Store`).
#[test]
fn the_store_suite_passes_on_the_backend() {
    block_on(scimkit_testkit::store::run_all(|registry| async move {
        MemoryBackend::with_store(MemoryStore::for_registry(&registry))
    }));
}
