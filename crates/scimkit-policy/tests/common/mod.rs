//! Test helpers: identity-provider payloads as Entra ID and Okta send them, and a deliberately
//! small PATCH applier (the real one is scimkit-schema's) so PATCH requests become the
//! before/after pairs `decide` works on.
#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use scimkit_policy::{RuleSet, Tenant};
use serde_json::{json, Map, Value};

pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 10, 30, 0).unwrap()
}

pub fn entropy(seed: u8) -> [u8; 32] {
    let mut e = [0u8; 32];
    for (i, b) in e.iter_mut().enumerate() {
        *b = seed.wrapping_mul(31).wrapping_add(i as u8);
    }
    e
}

/// A tenant with the Tresorit preset and provisioning on.
pub fn tenant() -> Tenant {
    tenant_with(RuleSet::tresorit())
}

pub fn tenant_with(rules: RuleSet) -> Tenant {
    let mut t = Tenant::new("contoso", rules);
    t.enable_provisioning(entropy(1), now()).unwrap();
    t
}

/// POST /Users as Microsoft Entra ID sends it (shape from Microsoft's SCIM provisioning docs).
pub fn entra_create(upn: &str, given: &str, family: &str) -> Value {
    json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            ENTERPRISE
        ],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": upn,
        "active": true,
        "emails": [{"primary": true, "type": "work", "value": upn}],
        "meta": {"resourceType": "User"},
        "name": {
            "formatted": format!("{given} {family}"),
            "familyName": family,
            "givenName": given
        },
        "roles": [],
        ENTERPRISE: {"department": "Finance", "employeeNumber": "1701"}
    })
}

/// POST /Users as Okta sends it (shape from Okta's SCIM 2.0 reference), password included.
pub fn okta_create(login: &str, given: &str, family: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": login,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": true, "value": login, "type": "work"}],
        "displayName": format!("{given} {family}"),
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",
        "active": true
    })
}

/// What the server stored after a create: the resource plus id and meta.
pub fn stored(mut created: Value, id: &str) -> Value {
    if let Value::Object(m) = &mut created {
        m.insert("id".into(), json!(id));
        m.insert(
            "meta".into(),
            json!({"resourceType": "User", "location": format!("https://scim.example/Users/{id}")}),
        );
        m.remove("password");
    }
    created
}

/// A PatchOp message.
pub fn patch_op(ops: Value) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": ops
    })
}

/// Applies a PatchOp the simple way Entra ID and Okta use it: `op` in any case; no path with an
/// object value; `attr`, `attr.sub`, `urn:…:attr` and `attr[type eq "x"].sub` paths. Values are
/// kept exactly as sent (string booleans included) so `decide` sees what an un-normalised
/// request would produce.
pub fn apply_patch(before: &Value, patch: &Value) -> Value {
    let mut r = before.clone();
    for op in patch["Operations"].as_array().unwrap() {
        let kind = op["op"].as_str().unwrap().to_ascii_lowercase();
        let value = op.get("value").cloned();
        match op.get("path").and_then(Value::as_str) {
            None => {
                for (k, v) in value.unwrap().as_object().unwrap() {
                    set(&mut r, &[k.as_str()], Some(v.clone()));
                }
            }
            Some(path) => {
                let value = if kind == "remove" { None } else { value };
                if let Some((attr, rest)) = path.split_once('[') {
                    let (filter, sub) = rest.split_once("].").unwrap();
                    let wanted = filter.split('"').nth(1).unwrap();
                    let items = r[attr].as_array_mut().unwrap();
                    for item in items.iter_mut() {
                        if item["type"] == json!(wanted) {
                            item[sub] = value.clone().unwrap_or(Value::Null);
                        }
                    }
                } else if let Some(idx) = path.rfind(':').filter(|_| path.starts_with("urn:")) {
                    set(&mut r, &[&path[..idx], &path[idx + 1..]], value);
                } else {
                    let parts: Vec<&str> = path.split('.').collect();
                    set(&mut r, &parts, value);
                }
            }
        }
    }
    r
}

fn set(r: &mut Value, keys: &[&str], value: Option<Value>) {
    let map = r.as_object_mut().unwrap();
    let existing = map
        .keys()
        .find(|k| k.eq_ignore_ascii_case(keys[0]))
        .cloned();
    let key = existing.unwrap_or_else(|| keys[0].to_owned());
    if keys.len() == 1 {
        match value {
            Some(v) => {
                map.insert(key, v);
            }
            None => {
                map.remove(&key);
            }
        }
    } else {
        let child = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
        set(child, &keys[1..], value);
    }
}
