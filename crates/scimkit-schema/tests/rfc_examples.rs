//! Every example document of RFC 7643 §8 and the message examples of RFC 7644 §3 parse,
//! validate and round-trip. (The §8.2 certificate value is shortened; it is still base64.)

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

use scimkit_schema::{
    BulkRequest, BulkResponse, ErrorResponse, Group, ListResponse, PatchOp, Profile, Registry,
    ResourceType, ScimError, SearchRequest, ServiceProviderConfig, User, ENTERPRISE_USER_SCHEMA,
    GROUP_SCHEMA, USER_SCHEMA,
};
use serde_json::{json, Value};

fn doc(s: &str) -> Value {
    serde_json::from_str(s).expect("example is JSON")
}

const MINIMAL: &str = include_str!("data/rfc/rfc7643-8.1-minimal-user.json");
const FULL: &str = include_str!("data/rfc/rfc7643-8.2-full-user.json");
const ENTERPRISE: &str = include_str!("data/rfc/rfc7643-8.3-enterprise-user.json");
const GROUP: &str = include_str!("data/rfc/rfc7643-8.4-group.json");

/// A resource example is already in the schema's spelling: normalising it changes nothing,
/// the typed struct round-trips it, and it validates as a create body (minus readOnly parts).
fn check_resource(type_name: &str, text: &str) {
    let registry = Registry::standard();
    let rs = registry.resource_type(type_name).unwrap();
    let original = doc(text);
    let normalized = rs.normalize(original.clone(), &Profile::strict()).unwrap();
    assert_eq!(
        normalized, original,
        "{type_name}: normalisation changed the example"
    );

    let created = rs
        .validate_create(original.clone(), &Profile::strict())
        .unwrap();
    assert!(created.get("id").is_none() && created.get("meta").is_none());
    if type_name == "User" {
        assert!(created.get("groups").is_none(), "groups is readOnly");
        let user = User::from_value(original.clone()).unwrap();
        assert_eq!(user.to_value(), original);
    } else {
        let group = Group::from_value(original.clone()).unwrap();
        assert_eq!(group.to_value(), original);
    }
    // Replacing the stored example with itself keeps everything.
    let replaced = rs
        .validate_replace(&original, original.clone(), &Profile::strict())
        .unwrap();
    assert_eq!(replaced, original);
}

#[test]
fn rfc7643_8_1_minimal_user() {
    check_resource("User", MINIMAL);
}

#[test]
fn rfc7643_8_2_full_user() {
    check_resource("User", FULL);
}

#[test]
fn rfc7643_8_3_enterprise_user() {
    check_resource("User", ENTERPRISE);
    let user = User::from_value(doc(ENTERPRISE)).unwrap();
    assert_eq!(user.enterprise().unwrap()["costCenter"], "4130");
}

#[test]
fn rfc7643_8_4_group() {
    check_resource("Group", GROUP);
}

#[test]
fn rfc7643_8_5_service_provider_config() {
    let original = doc(include_str!(
        "data/rfc/rfc7643-8.5-service-provider-config.json"
    ));
    let spc: ServiceProviderConfig = serde_json::from_value(original.clone()).unwrap();
    assert!(spc.bulk.supported && spc.bulk.max_operations == 1000);
    let mut expected = original.clone();
    let obj = expected.as_object_mut().unwrap();
    obj.remove("schemas");
    obj.remove("meta");
    assert_eq!(serde_json::to_value(&spc).unwrap(), expected);
    let served = spc.to_representation("https://example.com/v2");
    assert_eq!(served["schemas"], original["schemas"]);
    assert_eq!(served["meta"]["location"], original["meta"]["location"]);
}

#[test]
fn rfc7643_8_6_resource_types() {
    let original = doc(include_str!("data/rfc/rfc7643-8.6-resource-types.json"));
    // The RFC's example makes the extension required.
    let registry = Registry::builder()
        .with_standard_schemas()
        .resource_type(
            ResourceType::new("User", "/Users", USER_SCHEMA)
                .description("User Account")
                .extension(ENTERPRISE_USER_SCHEMA, true),
        )
        .resource_type(ResourceType::new("Group", "/Groups", GROUP_SCHEMA).description("Group"))
        .build()
        .unwrap();
    let served = Value::Array(registry.resource_type_representations("https://example.com/v2"));
    assert_eq!(served, original);
    for rt in original.as_array().unwrap() {
        let parsed: ResourceType = serde_json::from_value(rt.clone()).unwrap();
        assert_eq!(parsed.to_representation("https://example.com/v2"), *rt);
    }
    // A required extension is enforced on create.
    let users = registry.resource_type("User").unwrap();
    let err = users
        .validate_create(doc(MINIMAL), &Profile::default())
        .unwrap_err();
    assert_eq!(err.scim_type().map(|t| t.as_str()), Some("invalidValue"));
    assert!(users
        .validate_create(doc(ENTERPRISE), &Profile::default())
        .is_ok());
}

#[test]
fn rfc7643_8_7_schema_representations_round_trip() {
    let registry = Registry::standard();
    let docs = registry.schema_representations("https://example.com/v2");
    assert_eq!(docs.len(), 3);
    for d in &docs {
        let parsed: scimkit_schema::Schema = serde_json::from_value(d.clone()).unwrap();
        assert_eq!(parsed.to_representation("https://example.com/v2"), *d);
        assert_eq!(
            d["meta"]["location"],
            format!(
                "https://example.com/v2/Schemas/{}",
                d["id"].as_str().unwrap()
            )
        );
    }
}

#[test]
fn rfc7644_messages_round_trip() {
    let all = doc(include_str!("data/rfc/rfc7644-messages.json"));
    for (name, original) in all.as_object().unwrap() {
        let back = match name.split_whitespace().nth(1).unwrap() {
            "list" => serde_json::to_value(
                serde_json::from_value::<ListResponse>(original.clone()).unwrap(),
            ),
            "search" if name.ends_with("request") => serde_json::to_value(
                serde_json::from_value::<SearchRequest>(original.clone()).unwrap(),
            ),
            "search" => serde_json::to_value(
                serde_json::from_value::<ListResponse>(original.clone()).unwrap(),
            ),
            "patch" => {
                serde_json::to_value(serde_json::from_value::<PatchOp>(original.clone()).unwrap())
            }
            "bulk" if name.ends_with("request") => serde_json::to_value(
                serde_json::from_value::<BulkRequest>(original.clone()).unwrap(),
            ),
            "bulk" => serde_json::to_value(
                serde_json::from_value::<BulkResponse>(original.clone()).unwrap(),
            ),
            "error" => {
                let e: ErrorResponse = serde_json::from_value(original.clone()).unwrap();
                let scim: ScimError = e.clone().into();
                assert_eq!(scim.to_json(), *original, "{name}: ScimError::to_json");
                serde_json::to_value(e)
            }
            other => panic!("no type for {other}"),
        }
        .unwrap();
        assert_eq!(back, *original, "{name} did not round-trip");
    }
}

#[test]
fn rfc7644_3_3_create_and_3_5_1_replace() {
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    // §3.3
    let created = users
        .validate_create(
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "bjensen",
                "externalId": "bjensen",
                "name": {"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen", "givenName": "Barbara"}
            }),
            &Profile::strict(),
        )
        .unwrap();
    assert_eq!(created["name"]["givenName"], "Barbara");
    // §3.5.1, against the stored §8.2 user.
    let stored = doc(FULL);
    let replaced = users
        .validate_replace(
            &stored,
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "id": "2819c223-7f76-453a-919d-413861904646",
                "userName": "bjensen",
                "externalId": "bjensen",
                "name": {"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen",
                         "givenName": "Barbara", "middleName": "Jane"},
                "roles": [],
                "emails": [{"value": "bjensen@example.com"}, {"value": "babs@jensen.org"}]
            }),
            &Profile::strict(),
        )
        .unwrap();
    assert_eq!(replaced["id"], stored["id"]);
    assert_eq!(replaced["meta"], stored["meta"]);
    assert_eq!(replaced["groups"], stored["groups"], "readOnly kept");
    assert_eq!(
        replaced["password"], stored["password"],
        "writeOnly kept when absent"
    );
    assert!(
        replaced.get("nickName").is_none(),
        "readWrite absent is cleared"
    );
    assert!(replaced.get("roles").is_none(), "empty array is unassigned");
    assert_eq!(replaced["userName"], "bjensen");
}
