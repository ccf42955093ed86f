//! `/healthz` and `/readyz`: no authentication, no data; readiness follows the storage check
//! (503 while it fails), liveness does not.
#![allow(clippy::unwrap_used)]

mod support;

use scimkit_server::{Options, Secret, SecretOrigin, Storage, TenantOptions};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use support::exchange;

const TOKEN: &str = "health-test-token-0123456789abcdef012345";

fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_need_no_token_reveal_nothing_and_readiness_follows_storage() {
    let options = Options::default()
        .with_storage(Storage::Memory)
        .with_listen("127.0.0.1:0".parse().unwrap())
        .with_tenant(TenantOptions::new(
            "acme-tenant",
            Secret::new(TOKEN, SecretOrigin::Argument),
        ));
    let storage_up = Arc::new(AtomicBool::new(true));
    let up = storage_up.clone();
    let check = move || {
        if up.load(Ordering::Relaxed) {
            Ok(())
        } else {
            Err("connection refused".to_string())
        }
    };
    let running = scimkit_server::start_with(&options, |s| s.with_readiness(Arc::new(check)))
        .await
        .unwrap();
    let addr = running.addr();

    for (path, body) in [("/healthz", "ok\n"), ("/readyz", "ready\n")] {
        let r = exchange(addr, &get(path)).await;
        assert_eq!((r.status, r.body.as_str()), (200, body), "{path}: {r:?}");
        let everything = format!("{:?}", r.headers);
        for secret in ["acme-tenant", "0.1", "scimkit", TOKEN] {
            assert!(
                !everything.contains(secret),
                "{path} reveals {secret}: {r:?}"
            );
        }
    }

    // The database goes away: not ready, still alive; the reason is not sent.
    storage_up.store(false, Ordering::Relaxed);
    let r = exchange(addr, &get("/readyz")).await;
    assert_eq!((r.status, r.body.as_str()), (503, "not ready\n"), "{r:?}");
    assert_eq!(exchange(addr, &get("/healthz")).await.status, 200);
    storage_up.store(true, Ordering::Relaxed);
    assert_eq!(exchange(addr, &get("/readyz")).await.status, 200);

    // Only GET and HEAD; and the SCIM endpoints still need their token.
    let post =
        b"POST /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
    assert_eq!(exchange(addr, post).await.status, 405);
    let scim = exchange(addr, &get("/scim/v2/Users")).await;
    scim.assert_scim_error(401);
    running.stop().await;
}

/// The built-in readiness check on a real SQLite file: ready while the database answers at
/// the newest schema; not ready once the file is gone (every write would be lost at the next
/// start) or the pool is closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_checks_the_sqlite_database() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ready.db");
    let options = Options::default()
        .with_storage(Storage::Sqlite(file.clone()))
        .with_listen("127.0.0.1:0".parse().unwrap())
        .with_tenant(TenantOptions::new(
            "acme-tenant",
            Secret::new(TOKEN, SecretOrigin::Argument),
        ));
    let running = scimkit_server::start(&options).await.unwrap();
    let addr = running.addr();
    assert_eq!(exchange(addr, &get("/readyz")).await.status, 200);
    std::fs::rename(&file, dir.path().join("moved.db")).unwrap();
    let r = exchange(addr, &get("/readyz")).await;
    assert_eq!((r.status, r.body.as_str()), (503, "not ready\n"), "{r:?}");
    std::fs::rename(dir.path().join("moved.db"), &file).unwrap();
    assert_eq!(exchange(addr, &get("/readyz")).await.status, 200);
    running.server().close_storage().await;
    let r = exchange(addr, &get("/readyz")).await;
    assert_eq!(r.status, 503, "{r:?}");
    assert_eq!(exchange(addr, &get("/healthz")).await.status, 200);
    running.stop().await;
}
