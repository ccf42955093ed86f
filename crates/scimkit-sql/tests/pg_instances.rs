//! Two `PostgresStore`s on one database (two pools, as two server instances have) behave as one
//! store: a resource written through one is read, patched and deleted through the other;
//! userName races in any letter case give one 201 and one 409; concurrent member adds and
//! removes spread over both lose nothing. And the failures a client may retry are SCIM 503s:
//! a statement or lock timeout, a lost connection (the instance recovers by itself when the
//! database is back, and no acknowledged write is lost).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pg_support;

use futures_util::future::join_all;
use scimkit_sql::postgres::{PostgresOptions, PostgresStore};
use scimkit_testkit::client::Client;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

async fn instance(url: &str, options: &PostgresOptions) -> Client<PostgresStore> {
    Client::new(PostgresStore::connect(url, options).await.unwrap())
}

/// Two instances on one fresh database, or `None` without PostgreSQL.
async fn two(name: &str) -> Option<(Client<PostgresStore>, Client<PostgresStore>)> {
    let url = pg_support::fresh_database(name).await?;
    let options = PostgresOptions::new().max_connections(4);
    Some((
        instance(&url, &options).await,
        instance(&url, &options).await,
    ))
}

fn user(name: &str) -> Value {
    json!({"schemas": [USER], "userName": name})
}

#[tokio::test(flavor = "current_thread")]
async fn a_user_written_through_one_instance_is_served_by_the_other() {
    let Some((a, b)) = two("across").await else {
        return;
    };
    let created = a
        .call("POST", "/Users", Some(&user("ada@example.com")))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let read = b.call("GET", &format!("/Users/{id}"), None).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body["userName"], "ada@example.com");
    let patch = json!({"schemas": [PATCH], "Operations": [
        {"op": "replace", "path": "displayName", "value": "Ada"}]});
    let patched = b.call("PATCH", &format!("/Users/{id}"), Some(&patch)).await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    let read = a.call("GET", &format!("/Users/{id}"), None).await;
    assert_eq!(read.body["displayName"], "Ada");
    assert_eq!(read.etag, patched.etag);
    assert_eq!(
        b.call("DELETE", &format!("/Users/{id}"), None).await.status,
        204
    );
    assert_eq!(
        a.call("GET", &format!("/Users/{id}"), None).await.status,
        404
    );
}

#[tokio::test(flavor = "current_thread")]
async fn user_name_races_in_any_case_give_one_success_and_one_conflict() {
    let Some((a, b)) = two("races").await else {
        return;
    };
    for k in 0..20 {
        let lower = user(&format!("racer{k}@example.com"));
        let upper = user(&format!("RACER{k}@EXAMPLE.COM"));
        let (x, y) = tokio::join!(
            a.call("POST", "/Users", Some(&lower)),
            b.call("POST", "/Users", Some(&upper))
        );
        let mut statuses = [x.status, y.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 409], "race {k}: {} / {}", x.body, y.body);
        let loser = if x.status == 409 { &x } else { &y };
        assert_eq!(loser.body["scimType"], "uniqueness", "{}", loser.body);
    }
    let all = a.call("GET", "/Users?count=100", None).await;
    assert_eq!(all.body["totalResults"], 20);
}

#[tokio::test(flavor = "current_thread")]
async fn member_adds_and_removes_spread_over_two_instances_lose_nothing() {
    let Some((a, b)) = two("members").await else {
        return;
    };
    let mut ids = Vec::new();
    for i in 0..60 {
        let u = a
            .call("POST", "/Users", Some(&user(&format!("m{i}@example.com"))))
            .await;
        ids.push(u.body["id"].as_str().unwrap().to_owned());
    }
    // The group starts with the first 30; the even ones of those are removed and the last 30
    // added, one member per request, alternating between the instances, all at once.
    let initial: Vec<Value> = ids[..30].iter().map(|id| json!({"value": id})).collect();
    let g = a
        .call(
            "POST",
            "/Groups",
            Some(&json!({"schemas": [GROUP], "displayName": "Team", "members": initial})),
        )
        .await;
    assert_eq!(g.status, 201, "{}", g.body);
    let gid = g.body["id"].as_str().unwrap().to_owned();
    let path = format!("/Groups/{gid}");
    let mut requests = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let op = if i < 30 && i % 2 == 0 {
            json!({"op": "remove", "path": format!("members[value eq \"{id}\"]")})
        } else if i >= 30 {
            json!({"op": "add", "path": "members", "value": [{"value": id}]})
        } else {
            continue;
        };
        let body = json!({"schemas": [PATCH], "Operations": [op]});
        let via = if i % 3 == 0 { &a } else { &b };
        let path = path.clone();
        requests.push(async move { via.call("PATCH", &path, Some(&body)).await });
    }
    let answers = join_all(requests).await;
    for r in &answers {
        assert!(matches!(r.status, 200 | 204), "{} {}", r.status, r.body);
    }
    let expected: BTreeSet<&str> = ids
        .iter()
        .enumerate()
        .filter(|(i, _)| *i >= 30 || i % 2 == 1)
        .map(|(_, id)| id.as_str())
        .collect();
    for via in [&a, &b] {
        let group = via.call("GET", &path, None).await;
        let got: BTreeSet<&str> = group.body["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["value"].as_str().unwrap())
            .collect();
        assert_eq!(got, expected);
    }
}

/// A client's value PostgreSQL cannot store (U+0000) is a 400, an id holding it a 404: never
/// a database error.
#[tokio::test(flavor = "current_thread")]
async fn values_postgres_cannot_hold_are_client_errors() {
    let Some((a, _)) = two("nul").await else {
        return;
    };
    let bad = a
        .call("POST", "/Users", Some(&user("nul\u{0}@example.com")))
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(a.call("GET", "/Users/a%00b", None).await.status, 404);
    let found = a
        .call(
            "GET",
            "/Users?filter=userName%20eq%20%22a%5Cu0000b%22",
            None,
        )
        .await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(found.body["totalResults"], 0);
}

fn assert_503(answer: &scimkit_testkit::client::Answer, reason: &str) {
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert_eq!(answer.body["status"], "503");
    assert_eq!(
        answer.body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    let detail = answer.body["detail"].as_str().unwrap();
    assert!(detail.contains(reason), "{detail}");
}

/// A write waiting for the tenant's write lock (held by a transaction of the other instance)
/// longer than the statement timeout, or the lock timeout, is a 503 that says which.
#[tokio::test(flavor = "current_thread")]
async fn a_statement_or_lock_timeout_is_a_503() {
    use scimkit_dispatch::{Store, TenantId};
    let Some(url) = pg_support::fresh_database("timeouts").await else {
        return;
    };
    let holder = PostgresStore::connect(&url, &PostgresOptions::new())
        .await
        .unwrap();
    let tx = holder.begin(&TenantId::new("a")).await.unwrap();
    let by_statement = instance(
        &url,
        &PostgresOptions::new()
            .statement_timeout(Some(Duration::from_millis(300)))
            .lock_timeout(None),
    )
    .await;
    let answer = by_statement
        .call("POST", "/Users", Some(&user("slow@example.com")))
        .await;
    assert_503(&answer, "statement timeout");
    let by_lock = instance(
        &url,
        &PostgresOptions::new().lock_timeout(Some(Duration::from_millis(300))),
    )
    .await;
    let answer = by_lock
        .call("POST", "/Users", Some(&user("slow@example.com")))
        .await;
    assert_503(&answer, "lock timeout");
    drop(tx);
    let answer = by_lock
        .call("POST", "/Users", Some(&user("slow@example.com")))
        .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
}

/// A TCP relay between the store and PostgreSQL that the test can cut (every connection
/// dropped, new ones refused) and restore: a database restart, as the store sees it.
struct Relay {
    port: u16,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    generation: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Relay {
    async fn start(target: String) -> Relay {
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        use std::sync::Arc;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let generation = Arc::new(AtomicU64::new(0));
        let (up2, gen2) = (Arc::clone(&up), Arc::clone(&generation));
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !up2.load(Ordering::SeqCst) {
                    continue; // dropped: refused
                }
                let born = gen2.load(Ordering::SeqCst);
                let (target, up3, gen3) = (target.clone(), Arc::clone(&up2), Arc::clone(&gen2));
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    let relay = tokio::io::copy_bidirectional(&mut client, &mut server);
                    let cut = async {
                        while up3.load(Ordering::SeqCst) && gen3.load(Ordering::SeqCst) == born {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    };
                    tokio::select! { _ = relay => {}, () = cut => {} }
                });
            }
        });
        Relay {
            port,
            up,
            generation,
        }
    }

    fn cut(&self) {
        use std::sync::atomic::Ordering;
        self.up.store(false, Ordering::SeqCst);
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The database goes away during a stream of writes and comes back: while it is away the
/// requests get SCIM 503s (never a 500), afterwards the instance serves again without a
/// restart, and every write that got a 201 is there.
#[tokio::test(flavor = "current_thread")]
async fn a_lost_database_is_a_503_and_the_instance_recovers() {
    let Some(url) = pg_support::fresh_database("lost").await else {
        return;
    };
    let rest = url.split_once('@').unwrap().1;
    let (host_port, database) = rest.split_once('/').unwrap();
    let relay = Relay::start(host_port.to_owned()).await;
    let via_relay = format!(
        "{}@127.0.0.1:{}/{database}",
        url.split_once('@').unwrap().0,
        relay.port
    );
    let options = PostgresOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_millis(500));
    let c = instance(&via_relay, &options).await;
    let mut acknowledged = Vec::new();
    let mut unavailable = 0;
    for i in 0..60 {
        if i == 20 {
            relay.cut();
            // The relay drops its connections within 20 ms.
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        if i == 40 {
            relay.restore();
        }
        let answer = c
            .call("POST", "/Users", Some(&user(&format!("w{i}@example.com"))))
            .await;
        match answer.status {
            201 => acknowledged.push(answer.body["id"].as_str().unwrap().to_owned()),
            503 => {
                assert_503(&answer, "");
                unavailable += 1;
            }
            other => panic!("write {i}: {other} {}", answer.body),
        }
    }
    assert!(unavailable >= 20, "{unavailable} writes got a 503");
    assert!(
        acknowledged.len() >= 35,
        "{} acknowledged",
        acknowledged.len()
    );
    // Recovered: the writes after the restore went through; every acknowledged one is there.
    let direct = instance(&url, &PostgresOptions::new()).await;
    for id in &acknowledged {
        assert_eq!(
            direct
                .call("GET", &format!("/Users/{id}"), None)
                .await
                .status,
            200
        );
    }
}
