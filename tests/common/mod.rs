//! Shared by the end-to-end tests: a dispatcher with two tenants, and a replayer for the
//! request/response fixtures of `tests/fixtures/`.
#![allow(clippy::unwrap_used, dead_code)]

use bytes::Bytes;
use futures_executor::block_on;
use http::{HeaderMap, Request, StatusCode};
use scimkit::dispatch::{BearerTokens, Config, Dispatcher, MemoryStore, TenantId};
use serde_json::{json, Value};
use std::collections::HashMap;

pub const TOKEN: &str = "e2e-token-tenant-one";
pub const TOKEN_TWO: &str = "e2e-token-tenant-two";

pub type Scim = Dispatcher<MemoryStore, BearerTokens>;

pub fn scim(config: Config) -> Scim {
    let tokens = BearerTokens::new();
    tokens.insert(TOKEN, TenantId::new("one"));
    tokens.insert(TOKEN_TWO, TenantId::new("two"));
    Dispatcher::builder(MemoryStore::new(), tokens)
        .config(config)
        .build()
}

pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The step of a fixture whose name starts with `prefix`.
pub fn step<'f>(fixture: &'f Value, prefix: &str) -> &'f Value {
    fixture["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"].as_str().unwrap().starts_with(prefix))
        .unwrap_or_else(|| panic!("no step {prefix}"))
}

#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

/// Percent-encodes what a documented raw query string has that a URI may not.
pub fn encode_uri(path: &str) -> String {
    let mut out = String::new();
    for c in path.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '"' => out.push_str("%22"),
            '<' | '>' | '`' | '{' | '}' | '|' | '\\' | '^' | '[' | ']' => {
                out.push_str(&format!("%{:02X}", c as u32))
            }
            c if c.is_ascii() => out.push(c),
            c => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

/// Reads `a.b`, `a[0].b`, `a[*].b` (an array of values) or `a[type eq "work"].b`.
pub fn get(v: &Value, path: &str) -> Option<Value> {
    if path.is_empty() {
        return Some(v.clone());
    }
    let mut segs = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for c in path.chars() {
        match c {
            '[' => {
                depth += 1;
                cur.push(c)
            }
            ']' => {
                depth -= 1;
                cur.push(c)
            }
            '.' if depth == 0 => segs.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    segs.push(cur);
    get_segs(v, &segs)
}

fn get_ci<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    let o = v.as_object()?;
    o.get(key).or_else(|| {
        o.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn get_segs(v: &Value, segs: &[String]) -> Option<Value> {
    let Some((first, rest)) = segs.split_first() else {
        return Some(v.clone());
    };
    let (name, sel) = match first.split_once('[') {
        Some((n, s)) => (n, Some(s.trim_end_matches(']'))),
        None => (first.as_str(), None),
    };
    let inner = if name.is_empty() { v } else { get_ci(v, name)? };
    match sel {
        None => get_segs(inner, rest),
        Some("*") => Some(Value::Array(
            inner
                .as_array()?
                .iter()
                .filter_map(|e| get_segs(e, rest))
                .collect(),
        )),
        Some(s) if s.parse::<usize>().is_ok() => {
            get_segs(inner.as_array()?.get(s.parse::<usize>().ok()?)?, rest)
        }
        Some(filter) => {
            let (attr, val) = filter.split_once(" eq ")?;
            let val: Value = serde_json::from_str(val).ok()?;
            let found = inner.as_array()?.iter().find(|e| {
                get_ci(e, attr).is_some_and(|x| match (x, &val) {
                    (Value::String(a), Value::String(b)) => a.eq_ignore_ascii_case(b),
                    (a, b) => a == b,
                })
            })?;
            get_segs(found, rest)
        }
    }
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// A client of one dispatcher with the variables and id substitutions of a replay.
pub struct Harness {
    pub scim: Scim,
    pub vars: HashMap<String, String>,
    /// Documented value → value in this run (ids the server chose).
    pub literal: Vec<(String, String)>,
    pub token: String,
}

impl Harness {
    pub fn new() -> Self {
        Self::with(scim(Config::default()))
    }

    pub fn with(scim: Scim) -> Self {
        let bearer = format!("Bearer {TOKEN}");
        let mut vars = HashMap::new();
        vars.insert("auth".to_string(), bearer.clone());
        vars.insert("SCIMAuth".to_string(), bearer.clone());
        Harness {
            scim,
            vars,
            literal: vec![
                ("<Authorization credentials>".into(), bearer.clone()),
                ("Bearer ...".into(), bearer),
            ],
            token: TOKEN.to_string(),
        }
    }

    pub fn var(&mut self, name: &str, value: &str) {
        self.vars.insert(name.to_string(), value.to_string());
    }

    /// Substitutes `{{vars}}` and documented ids in a string.
    pub fn subst_str(&self, s: &str) -> String {
        let mut out = s.to_string();
        for (k, v) in &self.vars {
            out = out.replace(&format!("{{{{{k}}}}}"), v);
        }
        for (from, to) in &self.literal {
            if !from.is_empty() {
                out = out.replace(from.as_str(), to);
            }
        }
        out
    }

    pub fn subst(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.subst_str(s)),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.subst(x)).collect()),
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, x)| (self.subst_str(k), self.subst(x)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(String, String)],
        body: Option<&Value>,
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(encode_uri(path));
        let mut auth = false;
        for (k, v) in headers {
            auth |= k.eq_ignore_ascii_case("authorization");
            b = b.header(k.as_str(), v.as_str());
        }
        if !auth {
            b = b.header("Authorization", format!("Bearer {}", self.token));
        }
        let bytes = match body {
            Some(v) => {
                if !headers
                    .iter()
                    .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                {
                    b = b.header("Content-Type", "application/scim+json");
                }
                Bytes::from(serde_json::to_vec(v).unwrap())
            }
            None => Bytes::new(),
        };
        let resp = block_on(self.scim.handle_bytes(b.body(bytes).unwrap()));
        let status = resp.status();
        let body = if resp.body().is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(resp.body()).unwrap()
        };
        if status.as_u16() >= 400 {
            assert_eq!(
                body["schemas"][0],
                "urn:ietf:params:scim:api:messages:2.0:Error"
            );
            assert_eq!(body["status"], status.as_str());
        } else if !body.is_null() {
            assert_eq!(
                resp.headers()["content-type"],
                "application/scim+json",
                "responses are SCIM JSON"
            );
        }
        Resp {
            status,
            headers: resp.headers().clone(),
            body,
        }
    }

    pub fn post(&self, path: &str, body: Value) -> Resp {
        self.send("POST", path, &[], Some(&body))
    }

    pub fn get(&self, path: &str) -> Resp {
        self.send("GET", path, &[], None)
    }

    /// Creates a user from a body and maps `documented_id` to its id.
    pub fn seed_user(&mut self, documented_id: &str, body: Value) -> String {
        let r = self.post("/Users", body);
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["id"].as_str().unwrap().to_string();
        if !documented_id.is_empty() {
            self.literal.push((documented_id.to_string(), id.clone()));
        }
        id
    }

    pub fn seed_group(&mut self, documented_id: &str, body: Value) -> String {
        let r = self.post("/Groups", body);
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["id"].as_str().unwrap().to_string();
        if !documented_id.is_empty() {
            self.literal.push((documented_id.to_string(), id.clone()));
        }
        id
    }

    /// Sends a fixture step's request (substituted) and checks what the fixture says about
    /// the response: status, Runscope-style assertions, `must_match` against the documented
    /// body, `must_be_present` / `must_be_absent`, `expect_totalResults`; then binds variables.
    pub fn replay(&mut self, step: &Value) -> Resp {
        let name = step["name"].as_str().unwrap_or("?").to_string();
        let req = &step["request"];
        let path = self.subst_str(req["path"].as_str().unwrap());
        let headers: Vec<(String, String)> = req["headers"]
            .as_object()
            .map(|h| {
                h.iter()
                    .map(|(k, v)| (k.clone(), self.subst_str(v.as_str().unwrap_or(""))))
                    .collect()
            })
            .unwrap_or_default();
        let body = req.get("body").map(|b| self.subst(b));
        let resp = self.send(
            req["method"].as_str().unwrap(),
            &path,
            &headers,
            body.as_ref(),
        );
        let documented = &step["response"];
        let expect = &step["expect"];
        // Status.
        let mut allowed: Vec<u16> = Vec::new();
        if let Some(n) = documented["status"].as_u64() {
            allowed.push(n as u16);
        }
        if let Some(s) = expect["status"].as_str() {
            if s != "exact" && !s.starts_with("exact (2") {
                allowed.extend(
                    s.split(|c: char| !c.is_ascii_digit())
                        .filter(|t| t.len() == 3)
                        .filter_map(|t| t.parse::<u16>().ok()),
                );
            }
            if s.starts_with("exact (204") {
                allowed.extend([200, 204]);
            }
        }
        if !allowed.is_empty() {
            assert!(
                allowed.contains(&resp.status.as_u16()),
                "{name}: status {} not in {allowed:?}: {}",
                resp.status,
                resp.body
            );
        }
        // Runscope assertions (Okta's test suites).
        for a in documented["assertions"].as_array().into_iter().flatten() {
            let value = self.subst_str(&as_text(&a["value"]));
            let prop = a["property"].as_str().unwrap_or("");
            let source = a["source"].as_str().unwrap_or("response_json");
            let actual = get(&resp.body, prop);
            match (a["comparison"].as_str().unwrap(), source) {
                ("equal_number", "response_status") => {
                    assert_eq!(resp.status.as_str(), value, "{name}")
                }
                (_, "response_time") => {}
                ("equal_number", _) | ("equal", _) => assert_eq!(
                    actual.as_ref().map(as_text).as_deref(),
                    Some(value.as_str()),
                    "{name}: {prop}"
                ),
                ("not_empty", _) => {
                    assert!(
                        actual.is_some_and(|v| !is_empty(&v)),
                        "{name}: {prop} empty"
                    )
                }
                ("is_a_number", _) => {
                    assert!(actual.is_some_and(|v| v.is_number()), "{name}: {prop}")
                }
                ("has_value", _) | ("contains", _) => {
                    let container = if prop.is_empty() {
                        get(&resp.body, "schemas")
                    } else {
                        actual
                    };
                    let ok = match container {
                        Some(Value::Array(a)) => a.iter().any(|x| as_text(x) == value),
                        Some(Value::String(s)) => s.contains(&value),
                        _ => false,
                    };
                    assert!(ok, "{name}: {prop} lacks {value}: {}", resp.body);
                }
                (other, _) => panic!("{name}: unknown comparison {other}"),
            }
        }
        if let Some(n) = documented["expect_totalResults"].as_u64() {
            assert_eq!(resp.body["totalResults"], n, "{name}");
        }
        // Documented body comparisons.
        let doc_body = self.subst(&documented["body"]);
        let server_chosen: Vec<&str> = expect["server_chosen"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let mut must_match: Vec<&str> = expect["must_match"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if !resp.body.is_null() {
            must_match.extend(
                expect["must_match_if_body"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str),
            );
        }
        for p in must_match {
            if p == "headers.ETag == meta.version" {
                assert_eq!(
                    resp.headers["etag"].to_str().unwrap(),
                    resp.body["meta"]["version"].as_str().unwrap(),
                    "{name}"
                );
                continue;
            }
            let p = p.split(" (").next().unwrap_or(p);
            if server_chosen.contains(&p) || doc_body.is_null() {
                continue;
            }
            assert_eq!(get(&resp.body, p), get(&doc_body, p), "{name}: {p}");
        }
        for p in expect["must_be_present"].as_array().into_iter().flatten() {
            let p = p.as_str().unwrap();
            assert!(
                get(&resp.body, p).is_some(),
                "{name}: {p} missing: {}",
                resp.body
            );
        }
        for p in expect["must_be_absent"].as_array().into_iter().flatten() {
            let p = p.as_str().unwrap().split(' ').next().unwrap();
            assert!(
                get(&resp.body, p).map_or(true, |v| is_empty(&v)),
                "{name}: {p} present: {}",
                resp.body
            );
        }
        // Bindings, and the documented value they replace.
        for (var, p) in step["binds"].as_object().into_iter().flatten() {
            let p = p.as_str().unwrap();
            let actual = get(&resp.body, p)
                .map(|v| as_text(&v))
                .unwrap_or_else(|| panic!("{name}: cannot bind {var} from {p}"));
            if let Some(doc) = get(&documented["body"], p) {
                self.literal.push((as_text(&doc), actual.clone()));
            }
            self.vars.insert(var.clone(), actual);
        }
        resp
    }
}

pub fn patch_op(ops: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

pub fn user(name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": name,
        "name": {"givenName": "Given", "familyName": "familyName"},
        "emails": [{"value": format!("{name}@example.com"), "type": "work", "primary": true}],
        "active": true
    })
}

pub fn group(name: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name})
}

pub fn members(r: &Resp) -> Vec<String> {
    let mut m: Vec<String> = r.body["members"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| m["value"].as_str().unwrap().to_string())
        .collect();
    m.sort();
    m
}
