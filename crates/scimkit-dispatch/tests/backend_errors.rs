//! A backend failure keeps its source: the client gets a SCIM 500 that never shows it, the
//! operator a `tracing` event with the whole error chain.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use http::StatusCode;
use scimkit_dispatch::{
    Dispatcher, MemoryStore, MemoryTx, Page, Query, Store, StoreError, Stored, TenantId,
};
use std::future::{ready, Future};
use std::io::Write;
use std::sync::{Arc, Mutex};

/// A store whose reads fail as a database would.
struct Broken(MemoryStore);

#[derive(Debug, thiserror::Error)]
#[error("connection to /var/lib/db lost")]
struct Cause(#[source] std::io::Error);

fn failure() -> StoreError {
    StoreError::backend(Cause(std::io::Error::other("disk on fire")))
}

impl Store for Broken {
    type Tx = MemoryTx;

    fn begin(&self, t: &TenantId) -> impl Future<Output = Result<MemoryTx, StoreError>> + Send {
        self.0.begin(t)
    }
    fn get(
        &self,
        _: &TenantId,
        _: &str,
        _: &str,
    ) -> impl Future<Output = Result<Option<Stored>, StoreError>> + Send {
        ready(Err(failure()))
    }
    fn query(
        &self,
        _: &TenantId,
        _: Query<'_>,
    ) -> impl Future<Output = Result<Page, StoreError>> + Send {
        ready(Err(failure()))
    }
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn backend_failures_reach_the_operator_not_the_client() {
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let d = Dispatcher::new(Broken(MemoryStore::new()), tokens());
    let (get, list) = tracing::subscriber::with_default(subscriber, || {
        (
            call(&d, "GET", "/Users/some-id", None, &[]),
            call(
                &d,
                "GET",
                "/Users?filter=userName%20eq%20%22a%22",
                None,
                &[],
            ),
        )
    });
    for r in [&get, &list] {
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
        let body = r.body.to_string();
        assert!(
            !body.contains("disk") && !body.contains("/var/lib"),
            "{body}"
        );
    }
    let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert_eq!(log.matches("the resource store failed").count(), 2, "{log}");
    assert!(
        log.contains("connection to /var/lib/db lost: disk on fire"),
        "the whole chain: {log}"
    );
}
