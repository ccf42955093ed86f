//! `kill -9` mid-stream (bounded, loopback): the binary on a SQLite file takes creates,
//! deactivating PATCHes and group member adds from several clients and is killed without
//! warning. Restarted on the same file: every write that got a 2xx is there, every User has its
//! account and every SCIM account its User (the two views agree on `active`), and the audit
//! log holds exactly one record per User write that is visible — so one per acknowledged write.
#![allow(clippy::unwrap_used)]

use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TOKEN: &str = "crash-test-token-0123456789abcdef0123456";
const ADMIN: &str = "crash-test-admin-0123456789abcdef0123456";
const CLIENTS: usize = 4;
/// Each client's writes at most (the kill comes earlier).
const ROUNDS: usize = 400;

/// Starts the binary on `db`; its address once it says it is ready.
fn start(db: &Path) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_scimkit-server"))
        .env_remove("SCIMKIT_ADMIN_TOKEN")
        .env("CRASH_TOKEN", TOKEN)
        .env("CRASH_ADMIN", ADMIN)
        .args(["--listen", "127.0.0.1:0", "--quiet", "--log-format", "json"])
        .args(["--db", &format!("sqlite:{}", db.display())])
        .args(["--tenant", "acme=env:CRASH_TOKEN"])
        .args(["--admin-token", "env:CRASH_ADMIN"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut addr = None;
    loop {
        let mut line = String::new();
        assert!(out.read_line(&mut line).unwrap() > 0, "the server stopped");
        if let Some((_, rest)) = line.split_once("listening on ") {
            addr = rest.split('"').next().and_then(|a| a.trim().parse().ok());
        }
        if line.contains("stops the server") {
            break;
        }
    }
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    (child, addr.unwrap())
}

/// One request; `None` when the connection failed or closed without an answer.
fn call(
    addr: SocketAddr,
    method: &str,
    target: &str,
    token: &str,
    body: Option<&Value>,
) -> Option<(u16, Value)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    let payload = body.map(Value::to_string).unwrap_or_default();
    let head = format!(
        "{method} {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/scim+json\r\n\
         Content-Length: {}\r\n\r\n",
        payload.len()
    );
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(payload.as_bytes()).ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    let (head, body) = raw.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, serde_json::from_str(body).unwrap_or(Value::Null)))
}

/// What the clients were told succeeded.
#[derive(Default)]
struct Acknowledged {
    /// User id → userName.
    created: BTreeMap<String, String>,
    deactivated: BTreeSet<String>,
    members: BTreeSet<String>,
}

fn client(
    addr: SocketAddr,
    n: usize,
    group: &str,
    acked: &Mutex<Acknowledged>,
    writes: &AtomicUsize,
) {
    let deactivate = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": false}]});
    for i in 0..ROUNDS {
        let user_name = format!("client{n}-user{i}@example.com");
        let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": user_name, "active": true, "displayName": format!("User {n}.{i}")});
        let Some((201, created)) = call(addr, "POST", "/scim/v2/Users", TOKEN, Some(&user)) else {
            return;
        };
        let id = created["id"].as_str().unwrap().to_string();
        acked.lock().unwrap().created.insert(id.clone(), user_name);
        writes.fetch_add(1, Ordering::Relaxed);
        let target = format!("/scim/v2/Users/{id}");
        match call(addr, "PATCH", &target, TOKEN, Some(&deactivate)) {
            Some((200 | 204, _)) => {
                acked.lock().unwrap().deactivated.insert(id.clone());
                writes.fetch_add(1, Ordering::Relaxed);
            }
            _ => return,
        }
        let add = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": id}]}]});
        match call(
            addr,
            "PATCH",
            &format!("/scim/v2/Groups/{group}"),
            TOKEN,
            Some(&add),
        ) {
            Some((200 | 204, _)) => {
                acked.lock().unwrap().members.insert(id);
                writes.fetch_add(1, Ordering::Relaxed);
            }
            _ => return,
        }
    }
}

/// Every page of an admin API list (`key` holds the items; `next` continues with `param`).
fn admin_list(addr: SocketAddr, path: &str, key: &str, param: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let target = match &next {
            Some(n) => format!("{path}?limit=1000&{param}={n}"),
            None => format!("{path}?limit=1000"),
        };
        let (status, page) = call(addr, "GET", &target, ADMIN, None).unwrap();
        assert_eq!(status, 200, "{page}");
        items.extend(page[key].as_array().unwrap().iter().cloned());
        match &page["next"] {
            Value::Null => return items,
            n => next = Some(n.as_str().map_or_else(|| n.to_string(), str::to_string)),
        }
    }
}

#[test]
fn every_acknowledged_write_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    let (mut child, addr) = start(&db);
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                       "displayName": "Everyone"});
    let (status, group) = call(addr, "POST", "/scim/v2/Groups", TOKEN, Some(&group)).unwrap();
    assert_eq!(status, 201, "{group}");
    let group_id = group["id"].as_str().unwrap().to_string();

    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let writes = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| {
            let (acked, writes, group_id) = (acked.clone(), writes.clone(), group_id.clone());
            std::thread::spawn(move || client(addr, n, &group_id, &acked, &writes))
        })
        .collect();
    // Kill mid-stream: after 150 acknowledged writes (or 20 s, on a very slow machine).
    let deadline = Instant::now() + Duration::from_secs(20);
    while writes.load(Ordering::Relaxed) < 150 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    for c in clients {
        c.join().unwrap();
    }
    let acked = acked.lock().unwrap();
    assert!(acked.created.len() >= 20, "too few writes before the kill");

    let (mut child, addr) = start(&db);
    let (status, list) = call(addr, "GET", "/scim/v2/Users?count=10000", TOKEN, None).unwrap();
    assert_eq!(status, 200, "{list}");
    let users: BTreeMap<String, Value> = list["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["id"].as_str().unwrap().to_string(), u.clone()))
        .collect();
    for (id, user_name) in &acked.created {
        let user = users
            .get(id)
            .unwrap_or_else(|| panic!("acknowledged create {id} lost"));
        assert_eq!(user["userName"], user_name.as_str());
    }
    for id in &acked.deactivated {
        assert_eq!(
            users[id]["active"], false,
            "acknowledged deactivation of {id} lost"
        );
    }
    let (_, group) = call(
        addr,
        "GET",
        &format!("/scim/v2/Groups/{group_id}"),
        TOKEN,
        None,
    )
    .unwrap();
    let members: BTreeSet<String> = group["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|m| m["value"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    for id in &acked.members {
        assert!(members.contains(id), "acknowledged member add of {id} lost");
    }
    assert!(
        members.iter().all(|m| users.contains_key(m)),
        "a member without its User"
    );

    // The account view and the SCIM view agree, both ways.
    let accounts = admin_list(addr, "/admin/tenants/acme/accounts", "accounts", "cursor");
    let by_user: BTreeMap<String, &Value> = accounts
        .iter()
        .filter_map(|a| Some((a["scimId"].as_str()?.to_string(), a)))
        .collect();
    assert_eq!(by_user.len(), accounts.len(), "an account without its User");
    assert_eq!(
        by_user.keys().collect::<Vec<_>>(),
        users.keys().collect::<Vec<_>>(),
        "Users and accounts differ"
    );
    for (id, user) in &users {
        let account = by_user[id];
        assert_eq!(
            account["email"].as_str().unwrap().to_lowercase(),
            user["userName"].as_str().unwrap().to_lowercase()
        );
        assert_eq!(account["scimActive"], user["active"], "{account} / {user}");
    }

    // One audit record per visible User write: a create per User, a PATCH per deactivated one.
    let audit = admin_list(addr, "/admin/tenants/acme/audit", "entries", "since");
    let mut records: BTreeMap<(String, String), usize> = BTreeMap::new();
    for entry in &audit {
        let r = &entry["record"];
        if r["actor"] == "scim" && r["result"]["result"] != "rejected" {
            let key = (
                r["kind"].as_str().unwrap_or_default().to_string(),
                r["subject"].as_str().unwrap_or_default().to_lowercase(),
            );
            *records.entry(key).or_default() += 1;
        }
    }
    for user in users.values() {
        let subject = user["userName"].as_str().unwrap().to_lowercase();
        let count = |kind: &str| records.get(&(kind.to_string(), subject.clone())).copied();
        assert_eq!(count("create"), Some(1), "{subject}: {records:?}");
        let patched = user["active"] == false;
        assert_eq!(count("patch"), patched.then_some(1), "{subject}");
    }
    assert_eq!(
        records.values().sum::<usize>(),
        users.len() + users.values().filter(|u| u["active"] == false).count(),
        "an audit record without its write"
    );
    eprintln!(
        "acknowledged before the kill: {} creates, {} deactivations, {} member adds; \
         after the restart: {} users, {} SCIM audit records",
        acked.created.len(),
        acked.deactivated.len(),
        acked.members.len(),
        users.len(),
        records.values().sum::<usize>(),
    );
    child.kill().unwrap();
    child.wait().unwrap();
}
