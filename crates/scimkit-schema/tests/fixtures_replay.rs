//! Replays every request and response body of the shared fixture library (the workspace's
//! `tests/fixtures`, transcribed from the Entra ID and Okta documentation and the RFCs; the
//! files used are copied into this crate's `tests/fixtures` so that the published crate's tests
//! run on their own) through this crate:
//! create and PUT bodies validate, PATCH bodies parse and apply, resources in responses are in
//! the schema's spelling, and protocol messages round-trip through their serde types.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

use scimkit_schema::{
    BulkRequest, BulkResponse, ErrorResponse, ListResponse, PatchOp, Profile, Registry,
    ResourceType, SearchRequest, ServiceProviderConfig,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The fixture files whose steps are replayed.
const REPLAYED: [&str; 16] = [
    "entra/aadoptscim062020.json",
    "entra/group-operations.json",
    "entra/provisioning-examples.json",
    "entra/roles-and-extensions.json",
    "entra/user-operations.json",
    "entra/test-connection.json",
    "entra/schema-discovery.json",
    "okta/crud-test.json",
    "okta/groups.json",
    "okta/spec-test.json",
    "okta/users.json",
    "rfc/discovery.json",
    "rfc/rfc7644-bulk.json",
    "rfc/rfc7644-crud.json",
    "rfc/rfc7644-errors.json",
    "rfc/rfc7644-patch.json",
];
/// The RFC 7643 §8 documents.
const DOCUMENTS: &str = "rfc/rfc7643-documents.json";
/// The filters and PATCH paths identity providers send.
const IDP_FILTERS: &str = "idp-filters.json";

/// The crate's copies equal the workspace library's files (when the crate is built inside
/// the workspace; the published crate has only the copies).
#[test]
fn fixture_copies_match_the_workspace_library() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    if !workspace.is_dir() {
        eprintln!(
            "no workspace fixture library at {}: nothing to compare",
            workspace.display()
        );
        return;
    }
    for rel in REPLAYED.into_iter().chain([DOCUMENTS, IDP_FILTERS]) {
        let original = std::fs::read(workspace.join(rel)).unwrap();
        let copy = std::fs::read(fixtures_dir().join(rel)).unwrap();
        assert!(
            original == copy,
            "tests/fixtures/{rel} differs from the workspace's: copy it again"
        );
    }
}

fn load(rel: &str) -> Value {
    let text = std::fs::read_to_string(fixtures_dir().join(rel)).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn profile_for(file: &str) -> Profile {
    if file.starts_with("entra/") {
        Profile::entra_id()
    } else if file.starts_with("okta/") {
        Profile::okta()
    } else {
        Profile::default()
    }
}

/// A User and a Group with something for every path the fixtures touch, with the id of the
/// request path (the fixtures' "substitute the server-chosen id" rule).
fn rich_at(type_name: &str, path: &str) -> Value {
    let mut r = rich(type_name);
    let id = path.split(['?', '/']).filter(|s| !s.is_empty()).nth(1);
    if let Some(id) = id {
        r["id"] = json!(id);
    }
    r
}

fn rich(type_name: &str) -> Value {
    if type_name == "User" {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "id": "2819c223-7f76-453a-919d-413861904646", "userName": "bjensen", "externalId": "x",
            "name": {"givenName": "B", "familyName": "J"}, "displayName": "B J", "active": true,
            "emails": [{"value": "b@example.com", "type": "work", "primary": true}],
            "addresses": [{"type": "work", "streetAddress": "1 Main St"}],
            "phoneNumbers": [{"value": "555", "type": "work"}],
            "roles": [{"value": "r", "primary": true}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "d"}
        })
    } else {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "id": "e9e30dba-f08f-4109-8486-d5c6a331660a", "displayName": "G",
            "members": [{"value": "2819c223-7f76-453a-919d-413861904646", "type": "User"}]
        })
    }
}

fn type_of(path: &str) -> Option<&'static str> {
    let p = path.trim_start_matches('/');
    if p.starts_with("Users") {
        Some("User")
    } else if p.starts_with("Groups") {
        Some("Group")
    } else {
        None
    }
}

fn is_template(v: &Value) -> bool {
    v.to_string().contains("{{")
}

fn schemas_of(body: &Value) -> Vec<String> {
    body["schemas"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Response bodies: resources normalise to themselves, messages round-trip.
fn check_response(registry: &Registry, body: &Value, file: &str, step: &str) -> Result<(), String> {
    let schemas = schemas_of(body);
    let has = |s: &str| schemas.iter().any(|x| x.ends_with(s));
    let round = |mut back: Value| {
        // An absent `Resources` reads as empty; ours always writes it (Okta requires it).
        if body.get("Resources").is_none() && back["Resources"] == json!([]) {
            back.as_object_mut().unwrap().remove("Resources");
        }
        if back == *body {
            Ok(())
        } else {
            Err(format!(
                "{file} / {step}: message did not round-trip:\n  {body}\n  {back}"
            ))
        }
    };
    if has(":ListResponse") {
        let parsed: ListResponse = serde_json::from_value(body.clone())
            .map_err(|e| format!("{file} / {step}: ListResponse: {e}"))?;
        return round(serde_json::to_value(parsed).unwrap());
    }
    if has(":Error") {
        let parsed: ErrorResponse = serde_json::from_value(body.clone())
            .map_err(|e| format!("{file} / {step}: Error: {e}"))?;
        // Okta's examples print `status` as a number; ours is always a string.
        let mut expected = body.clone();
        expected["status"] = json!(parsed.status.to_string());
        let back = serde_json::to_value(parsed).unwrap();
        return if back == expected {
            Ok(())
        } else {
            Err(format!("{file} / {step}: Error round-trip {back}"))
        };
    }
    if has(":BulkResponse") {
        let parsed: BulkResponse = serde_json::from_value(body.clone())
            .map_err(|e| format!("{file} / {step}: BulkResponse: {e}"))?;
        let _ = parsed;
        return Ok(());
    }
    if has(":ServiceProviderConfig") {
        serde_json::from_value::<ServiceProviderConfig>(body.clone())
            .map_err(|e| format!("{file} / {step}: ServiceProviderConfig: {e}"))?;
        return Ok(());
    }
    if has(":ResourceType") {
        serde_json::from_value::<ResourceType>(body.clone())
            .map_err(|e| format!("{file} / {step}: ResourceType: {e}"))?;
        return Ok(());
    }
    for t in ["User", "Group"] {
        let rs = registry.resource_type(t).unwrap();
        if schemas.iter().any(|s| rs.is_core(s)) {
            rs.normalize(body.clone(), &Profile::default())
                .map_err(|e| format!("{file} / {step}: response {t} does not validate: {e}"))?;
        }
    }
    Ok(())
}

#[test]
fn replay_fixture_library() {
    let registry = Registry::standard();
    let mut failures = Vec::new();
    let mut replayed = 0;
    for file in REPLAYED {
        let data = load(file);
        let profile = profile_for(file);
        for step in data["steps"].as_array().unwrap() {
            let name = step["name"].as_str().unwrap_or("?");
            let req = &step["request"];
            let method = req["method"].as_str().unwrap_or("");
            let path = req["path"].as_str().unwrap_or("");
            let status = step["response"]["status"].as_u64().unwrap_or(200);
            if let Some(body) = step["response"].get("body").filter(|b| b.is_object()) {
                if let Err(e) = check_response(&registry, body, file, name) {
                    failures.push(e);
                }
            }
            let Some(body) = req.get("body").filter(|b| !b.is_null()) else {
                continue;
            };
            if is_template(body) && method != "PATCH" {
                continue;
            }
            replayed += 1;
            let result: Result<(), String> = match (method, type_of(path)) {
                ("POST", _) if path.contains("Bulk") => {
                    serde_json::from_value::<BulkRequest>(body.clone())
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                }
                ("POST", _) if path.contains(".search") => {
                    serde_json::from_value::<SearchRequest>(body.clone())
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                }
                ("POST", Some(t)) => {
                    let rs = registry.resource_type(t).unwrap();
                    match rs.validate_create(body.clone(), &profile) {
                        Ok(_) => Ok(()),
                        Err(_) if status >= 400 => Ok(()), // a documented error response
                        Err(e) => Err(e.to_string()),
                    }
                }
                ("PUT", Some(t)) => {
                    let rs = registry.resource_type(t).unwrap();
                    rs.validate_replace(&rich_at(t, path), body.clone(), &profile)
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                }
                ("PATCH", Some(t)) => {
                    let rs = registry.resource_type(t).unwrap();
                    match serde_json::from_value::<PatchOp>(body.clone()) {
                        Err(e) => Err(format!("PatchOp: {e}")),
                        Ok(patch) => match rs.patch(&rich_at(t, path), &patch, &profile) {
                            Ok(_) => Ok(()),
                            Err(_) if status >= 400 => Ok(()), // a documented error response
                            Err(e) if e.scim_type().map(|s| s.as_str()) == Some("noTarget") => {
                                Ok(())
                            }
                            Err(e) => Err(e.to_string()),
                        },
                    }
                }
                _ => Ok(()),
            };
            if let Err(e) = result {
                failures.push(format!("{file} / {name}: {method} {path}: {e}"));
            }
        }
    }
    assert!(replayed >= 30, "only {replayed} request bodies replayed");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn rfc7643_documents_from_the_library() {
    let registry = Registry::standard();
    let data = load(DOCUMENTS);
    let mut checked = 0;
    for d in data["documents"].as_array().unwrap() {
        let doc = &d["document"];
        match d["resource_type"].as_str().unwrap_or("") {
            t @ ("User" | "Group") => {
                let rs = registry.resource_type(t).unwrap();
                let normalized = rs.normalize(doc.clone(), &Profile::strict()).unwrap();
                assert_eq!(&normalized, doc, "{}", d["name"]);
                rs.validate_create(doc.clone(), &Profile::strict()).unwrap();
                checked += 1;
            }
            _ => {
                for item in doc.as_array().cloned().unwrap_or_else(|| vec![doc.clone()]) {
                    assert!(check_response(&registry, &item, "rfc7643-documents", "doc").is_ok());
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 6);
}

#[test]
fn idp_patch_paths_resolve() {
    let registry = Registry::standard();
    let data = load(IDP_FILTERS);
    let mut n = 0;
    for p in data["patch_paths"]["paths"].as_array().unwrap() {
        let mut paths: Vec<&str> = p["path"].as_str().into_iter().collect();
        paths.extend(
            p["also"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str),
        );
        for path in paths {
            let t = if path.starts_with("members") || path == "displayName" {
                "Group"
            } else {
                "User"
            };
            let rs = registry.resource_type(t).unwrap();
            let value = match path {
                "active" => json!(false),
                "members" | "roles" => json!([{"value": "x"}]),
                "manager" => json!([{"value": "m"}]),
                _ => json!("x"),
            };
            let op = if path.starts_with("members[") {
                json!({"op": "remove", "path": path})
            } else {
                json!({"op": "replace", "path": path, "value": value})
            };
            let patch: PatchOp = serde_json::from_value(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [op]
            }))
            .unwrap();
            let out = rs.patch(&rich(t), &patch, &Profile::entra_id());
            let out = out.unwrap_or_else(|e| panic!("{path} on {t}: {e}"));
            rs.normalize(out.resource, &Profile::strict()).unwrap();
            n += 1;
        }
        if let Some(keys) = p["value_keys_as_paths"].as_array() {
            let t = if keys.iter().any(|k| k == "id") {
                "Group"
            } else {
                "User"
            };
            let rs = registry.resource_type(t).unwrap();
            let value: serde_json::Map<String, Value> = keys
                .iter()
                .map(|k| {
                    let k = k.as_str().unwrap().to_string();
                    let v = match k.as_str() {
                        "active" => json!(false),
                        "id" => rich(t)["id"].clone(),
                        _ => json!("x"),
                    };
                    (k, v)
                })
                .collect();
            let patch: PatchOp = serde_json::from_value(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "value": value}]
            }))
            .unwrap();
            rs.patch(&rich(t), &patch, &Profile::entra_id()).unwrap();
            n += 1;
        }
    }
    assert!(n >= 10, "{n}");
}
