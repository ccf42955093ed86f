//! 1,000 concurrent member-add PATCHes on one group lose none, while renames of the group and
//! removals of other members run in between.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use scimkit::dispatch::Config;
use serde_json::{json, Value};
use std::sync::Arc;

async fn send(scim: &Scim, method: &str, path: &str, body: Value) -> (u16, Value) {
    let req = http::Request::builder()
        .method(method)
        .uri(path)
        .header("Authorization", format!("Bearer {TOKEN}"))
        .header("Content-Type", "application/scim+json")
        .body(bytes::Bytes::from(serde_json::to_vec(&body).unwrap()))
        .unwrap();
    let resp = scim.handle_bytes(req).await;
    let v = if resp.body().is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(resp.body()).unwrap()
    };
    (resp.status().as_u16(), v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_member_adds_lose_none() {
    let scim = Arc::new(scim(Config::default()));
    let mut users = Vec::new();
    for i in 0..1000 {
        let (s, v) = send(&scim, "POST", "/Users", user(&format!("c{i}@example.com"))).await;
        assert_eq!(s, 201);
        users.push(v["id"].as_str().unwrap().to_string());
    }
    let extras: Vec<String> = {
        let mut e = Vec::new();
        for i in 0..20 {
            let (_, v) = send(&scim, "POST", "/Users", user(&format!("x{i}@example.com"))).await;
            e.push(v["id"].as_str().unwrap().to_string());
        }
        e
    };
    let mut g = group("Everyone");
    g["members"] = json!(extras
        .iter()
        .map(|id| json!({"value": id}))
        .collect::<Vec<_>>());
    let (_, v) = send(&scim, "POST", "/Groups", g).await;
    let gid = v["id"].as_str().unwrap().to_string();
    let path = format!("/Groups/{gid}");

    let mut tasks = Vec::new();
    for (i, u) in users.iter().enumerate() {
        let scim1 = Arc::clone(&scim);
        let path1 = path.clone();
        // Entra ID's and Okta's shapes, alternately.
        let op = if i % 2 == 0 {
            json!({"op": "Add", "path": "members", "value": [{"value": u}]})
        } else {
            json!({"op": "add", "path": "members", "value": [{"value": u, "display": "x"}]})
        };
        tasks.push(tokio::spawn(async move {
            send(&scim1, "PATCH", &path1, patch_op(json!([op]))).await.0
        }));
        if i % 50 == 0 {
            let scim = Arc::clone(&scim);
            let path = path.clone();
            let n = i / 50;
            let extra = extras[n].clone();
            tasks.push(tokio::spawn(async move {
                let rename = patch_op(json!([{"op": "replace", "path": "displayName",
                                               "value": format!("Everyone {n}")}]));
                let a = send(&scim, "PATCH", &path, rename).await.0;
                let rm = patch_op(json!([{"op": "remove",
                                           "path": format!("members[value eq \"{extra}\"]")}]));
                let b = send(&scim, "PATCH", &path, rm).await.0;
                a.max(b)
            }));
        }
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let (_, v) = send(&scim, "GET", &path, Value::Null).await;
    let mut got: Vec<String> = v["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap().to_string())
        .collect();
    got.sort();
    let mut want = users.clone();
    want.sort();
    assert_eq!(got.len(), 1000, "members lost or extra members kept");
    assert_eq!(got, want);
    assert!(v["displayName"].as_str().unwrap().starts_with("Everyone "));
    // The reverse index agrees.
    for u in users.iter().step_by(97) {
        let (_, v) = send(&scim, "GET", &format!("/Users/{u}"), Value::Null).await;
        assert_eq!(v["groups"][0]["value"], gid.as_str());
    }
    // 1 create + 1000 adds + 20 removes + 20 renames, each one version.
    let (_, v) = send(&scim, "GET", &path, Value::Null).await;
    assert_eq!(v["meta"]["version"], "W/\"1041\"");
}
