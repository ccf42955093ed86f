//! RFC 9865 cursor paging through the server: the configured key signs cursors, so a cursor
//! issued before a restart (or by another instance with the same key) still reads the next
//! page; another key refuses it; a key shorter than 32 bytes stops start-up.
#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::Path;
use support::{exchange, request};

const TOKEN: &str = "paging-test-token-0123456789abcdef012345";
const KEY: &str = "paging-cursor-key-0123456789abcdef0123456789";
const OTHER_KEY: &str = "another-cursor-key-0123456789abcdef012345678";

async fn start(db: &Path, key: &str) -> scimkit_server::Running {
    let db = format!("sqlite:{}", db.display());
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--quiet",
        "--db",
        &db,
        "--tenant",
        &format!("acme={TOKEN}"),
        "--cursor-key",
        key,
    ];
    let options =
        scimkit_server::parse_args(args.iter().map(|s| s.to_string()), &|_| None).unwrap();
    scimkit_server::start(&options).await.unwrap()
}

async fn get(addr: SocketAddr, target: &str) -> (u16, Value) {
    let reply = exchange(addr, &request("GET", target, "x", TOKEN, None)).await;
    (reply.status, reply.json())
}

fn user_names(page: &Value) -> Vec<String> {
    page["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userName"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cursors_outlive_a_restart_with_the_same_key_and_no_other() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("paging.db");
    let first = start(&db, KEY).await;
    let addr = first.addr();
    for i in 0..5 {
        let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                          "userName": format!("user{i}@example.com")});
        let r = exchange(
            addr,
            &request("POST", "/scim/v2/Users", "x", TOKEN, Some(&user)),
        )
        .await;
        assert_eq!(r.status, 201, "{r:?}");
    }
    let (_, config) = get(addr, "/scim/v2/ServiceProviderConfig").await;
    assert_eq!(config["pagination"]["cursor"], true, "{config}");
    assert_eq!(config["pagination"]["defaultPaginationMethod"], "index");
    let sorted = "sortBy=userName&count=2";
    let (status, page) = get(addr, &format!("/scim/v2/Users?cursor&{sorted}")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        user_names(&page),
        ["user0@example.com", "user1@example.com"]
    );
    let next = page["nextCursor"].as_str().unwrap().to_string();
    first.stop().await;

    let second = start(&db, KEY).await;
    let (status, page) = get(
        second.addr(),
        &format!("/scim/v2/Users?cursor={next}&{sorted}"),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        user_names(&page),
        ["user2@example.com", "user3@example.com"]
    );
    second.stop().await;

    let third = start(&db, OTHER_KEY).await;
    let (status, error) = get(
        third.addr(),
        &format!("/scim/v2/Users?cursor={next}&{sorted}"),
    )
    .await;
    assert_eq!(
        (status, &error["scimType"]),
        (400, &json!("invalidCursor")),
        "{error}"
    );
    third.stop().await;
}

#[tokio::test]
async fn a_short_cursor_key_stops_start_up() {
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--db",
        "memory",
        "--cursor-key",
        "too-short",
    ];
    let options =
        scimkit_server::parse_args(args.iter().map(|s| s.to_string()), &|_| None).unwrap();
    let err = scimkit_server::start(&options).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("cursor_key"), "{text}");
    assert!(!text.contains("too-short"), "{text}");
}
