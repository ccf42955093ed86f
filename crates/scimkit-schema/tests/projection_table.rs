//! Runs the projection table in `data/projection_cases.json` (see `data/gen_projection_cases.py`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

use scimkit_schema::{AttributeDef, Projection, Registry, ResourceType, Returned, Schema};
use serde_json::{json, Value};

#[test]
fn projection_table() {
    let data: Value =
        serde_json::from_str(include_str!("data/projection_cases.json")).expect("valid JSON");
    let cases = data["cases"].as_array().unwrap();
    assert!(cases.len() >= 40, "the table has {} cases", cases.len());
    let registry = Registry::standard();
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let rs = registry
            .resource_type(case["type"].as_str().unwrap())
            .unwrap();
        let doc = &data["fixtures"][case["fixture"].as_str().unwrap()];
        let p = Projection::from_query(
            &rs,
            case["attributes"].as_str(),
            case["excludedAttributes"].as_str(),
        );
        match (p, case.get("error")) {
            (Ok(p), None) => {
                let got = rs.project(doc, &p);
                let in_place = rs.project_into(doc.clone(), &p);
                if in_place != got {
                    failures.push(format!("{name}: project_into differs: {in_place}"));
                }
                if got != case["expect"] {
                    failures.push(format!(
                        "{name}:\n  expected {}\n  got      {got}",
                        case["expect"]
                    ));
                }
            }
            (Err(e), Some(t)) if e.scim_type().map(|s| s.as_str()) == t.as_str() => {}
            (Ok(_), Some(_)) => failures.push(format!("{name}: expected an error")),
            (Err(e), _) => failures.push(format!("{name}: unexpected error {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `returned: request` attributes come back only when named in `attributes`.
#[test]
fn returned_request_only_when_asked() {
    let registry = Registry::builder()
        .schema(
            Schema::new("urn:example:scim:schemas:Device", "Device")
                .attribute(AttributeDef::string("serial"))
                .attribute(AttributeDef::string("secretNote").returned(Returned::Request)),
        )
        .resource_type(ResourceType::new(
            "Device",
            "/Devices",
            "urn:example:scim:schemas:Device",
        ))
        .build()
        .unwrap();
    let rs = registry.resource_type("Device").unwrap();
    let doc = json!({"schemas": ["urn:example:scim:schemas:Device"], "id": "d1",
                     "serial": "S1", "secretNote": "n"});
    let default = rs.project(&doc, &Projection::default());
    assert_eq!(
        default,
        json!({"schemas": ["urn:example:scim:schemas:Device"], "id": "d1", "serial": "S1"})
    );
    let asked = rs.project(
        &doc,
        &Projection::from_query(&rs, Some("secretNote"), None).unwrap(),
    );
    assert_eq!(
        asked,
        json!({"schemas": ["urn:example:scim:schemas:Device"], "id": "d1", "secretNote": "n"})
    );
    let excluded = rs.project(
        &doc,
        &Projection::from_query(&rs, None, Some("serial")).unwrap(),
    );
    assert_eq!(
        excluded,
        json!({"schemas": ["urn:example:scim:schemas:Device"], "id": "d1"})
    );
}

/// The same name can be hidden in one schema and visible in another: the right definition
/// decides, in both the borrowed and the in-place projection.
#[test]
fn returned_is_per_schema() {
    let core = "urn:example:scim:schemas:Device";
    let ext = "urn:example:scim:schemas:extension:Location";
    let registry = Registry::builder()
        .schema(
            Schema::new(core, "Device")
                .attribute(AttributeDef::string("note").returned(Returned::Never)),
        )
        .schema(Schema::new(ext, "Location").attribute(AttributeDef::string("note")))
        .resource_type(ResourceType::new("Device", "/Devices", core).extension(ext, false))
        .build()
        .unwrap();
    let rs = registry.resource_type("Device").unwrap();
    let doc = json!({"schemas": [core, ext], "id": "d1", "note": "hidden", ext: {"note": "shown"}});
    let expected = json!({"schemas": [core, ext], "id": "d1", ext: {"note": "shown"}});
    assert_eq!(rs.project(&doc, &Projection::default()), expected);
    assert_eq!(rs.project_into(doc, &Projection::default()), expected);
}
