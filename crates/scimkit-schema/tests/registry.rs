//! The built-in schemas carry the characteristics RFC 7643 §8.7.1 lists, transcribed here
//! independently as a table; discovery documents and attribute facts come from the registry.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

use scimkit_filter::{AttrRef, AttrType, AttributeFacts};
use scimkit_schema::{
    AttributeDef, Registry, Schema, ServiceProviderConfig, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA,
    USER_SCHEMA,
};
use serde_json::{json, Value};

/// `path type multi required caseExact mutability returned uniqueness [canonical] [refTypes]`;
/// `-` for a characteristic §8.7.1 does not list (the RFC default applies).
const TABLE: &str = r#"
User userName string F T F readWrite default server
User name complex F F F readWrite default none
User name.formatted string F F F readWrite default none
User name.familyName string F F F readWrite default none
User name.givenName string F F F readWrite default none
User name.middleName string F F F readWrite default none
User name.honorificPrefix string F F F readWrite default none
User name.honorificSuffix string F F F readWrite default none
User displayName string F F F readWrite default none
User nickName string F F F readWrite default none
User profileUrl reference F F F readWrite default none - external
User title string F F F readWrite default none
User userType string F F F readWrite default none
User preferredLanguage string F F F readWrite default none
User locale string F F F readWrite default none
User timezone string F F F readWrite default none
User active boolean F F F readWrite default none
User password string F F F writeOnly never none
User emails complex T F F readWrite default none
User emails.value string F F F readWrite default none
User emails.display string F F F readWrite default none
User emails.type string F F F readWrite default none work,home,other
User emails.primary boolean F F F readWrite default none
User phoneNumbers complex T F F readWrite default none
User phoneNumbers.value string F F F readWrite default none
User phoneNumbers.display string F F F readWrite default none
User phoneNumbers.type string F F F readWrite default none work,home,mobile,fax,pager,other
User phoneNumbers.primary boolean F F F readWrite default none
User ims complex T F F readWrite default none
User ims.value string F F F readWrite default none
User ims.display string F F F readWrite default none
User ims.type string F F F readWrite default none aim,gtalk,icq,xmpp,msn,skype,qq,yahoo
User ims.primary boolean F F F readWrite default none
User photos complex T F F readWrite default none
User photos.value reference F F F readWrite default none - external
User photos.display string F F F readWrite default none
User photos.type string F F F readWrite default none photo,thumbnail
User photos.primary boolean F F F readWrite default none
User addresses complex T F F readWrite default none
User addresses.formatted string F F F readWrite default none
User addresses.streetAddress string F F F readWrite default none
User addresses.locality string F F F readWrite default none
User addresses.region string F F F readWrite default none
User addresses.postalCode string F F F readWrite default none
User addresses.country string F F F readWrite default none
User addresses.type string F F F readWrite default none work,home,other
User groups complex T F F readOnly default none
User groups.value string F F F readOnly default none
User groups.$ref reference F F F readOnly default none - User,Group
User groups.display string F F F readOnly default none
User groups.type string F F F readOnly default none direct,indirect
User entitlements complex T F F readWrite default none
User entitlements.value string F F F readWrite default none
User entitlements.display string F F F readWrite default none
User entitlements.type string F F F readWrite default none
User entitlements.primary boolean F F F readWrite default none
User roles complex T F F readWrite default none
User roles.value string F F F readWrite default none
User roles.display string F F F readWrite default none
User roles.type string F F F readWrite default none []
User roles.primary boolean F F F readWrite default none
User x509Certificates complex T F F readWrite default none
User x509Certificates.value binary F F F readWrite default none
User x509Certificates.display string F F F readWrite default none
User x509Certificates.type string F F F readWrite default none []
User x509Certificates.primary boolean F F F readWrite default none
Group displayName string F F F readWrite default none
Group members complex T F F readWrite default none
Group members.value string F F F immutable default none
Group members.$ref reference F F F immutable default none - User,Group
Group members.type string F F F immutable default none User,Group
Enterprise employeeNumber string F F F readWrite default none
Enterprise costCenter string F F F readWrite default none
Enterprise organization string F F F readWrite default none
Enterprise division string F F F readWrite default none
Enterprise department string F F F readWrite default none
Enterprise manager complex F F F readWrite default none
Enterprise manager.value string F F F readWrite default none
Enterprise manager.$ref reference F F F readWrite default none - User
Enterprise manager.displayName string F F F readOnly default none
"#;

fn lookup<'s>(schema: &'s Schema, path: &str) -> &'s AttributeDef {
    let (top, sub) = match path.split_once('.') {
        Some((t, s)) => (t, Some(s)),
        None => (path, None),
    };
    let def = schema.get(top).unwrap_or_else(|| panic!("{path} missing"));
    match sub {
        Some(s) => def
            .sub_attributes
            .iter()
            .find(|d| d.name == s)
            .unwrap_or_else(|| panic!("{path} missing")),
        None => def,
    }
}

fn list(s: Option<&&str>) -> Option<Vec<String>> {
    match s {
        None | Some(&"-") => None,
        Some(&"[]") => Some(vec![]),
        Some(v) => Some(v.split(',').map(str::to_string).collect()),
    }
}

#[test]
fn builtin_schemas_match_rfc7643_8_7_1() {
    let registry = Registry::standard();
    let mut counts = [0usize; 3];
    for line in TABLE.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (schema, n) = match f[0] {
            "User" => (registry.schema(USER_SCHEMA).unwrap(), 0),
            "Group" => (registry.schema(GROUP_SCHEMA).unwrap(), 1),
            _ => (registry.schema(ENTERPRISE_USER_SCHEMA).unwrap(), 2),
        };
        counts[n] += 1;
        let def = lookup(schema, f[1]);
        let repr = serde_json::to_value(def).unwrap();
        assert_eq!(def.name, f[1].rsplit('.').next().unwrap(), "{line}");
        assert_eq!(repr["type"], f[2], "{line}");
        assert_eq!(def.multi_valued, f[3] == "T", "{line}");
        assert_eq!(def.required, f[4] == "T", "{line}");
        assert_eq!(def.case_exact, f[5] == "T", "{line}");
        assert_eq!(repr["mutability"], f[6], "{line}");
        assert_eq!(repr["returned"], f[7], "{line}");
        assert_eq!(repr["uniqueness"], f[8], "{line}");
        assert_eq!(def.canonical_values, list(f.get(9)), "{line}");
        assert_eq!(def.reference_types, list(f.get(10)), "{line}");
    }
    // Every attribute and sub-attribute of the schemas is in the table: nothing extra.
    let total = |s: &Schema| {
        s.attributes.len()
            + s.attributes
                .iter()
                .map(|a| a.sub_attributes.len())
                .sum::<usize>()
    };
    assert_eq!(counts[0], total(registry.schema(USER_SCHEMA).unwrap()));
    assert_eq!(counts[1], total(registry.schema(GROUP_SCHEMA).unwrap()));
    assert_eq!(
        counts[2],
        total(registry.schema(ENTERPRISE_USER_SCHEMA).unwrap())
    );
}

#[test]
fn registry_implements_attribute_facts() {
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let facts = |urn, name, sub| {
        users.facts(&AttrRef {
            urn,
            name,
            sub_attr: sub,
        })
    };
    assert_eq!(facts(None, "USERNAME", None).kind, AttrType::String);
    assert!(!facts(None, "userName", None).case_exact);
    assert!(facts(None, "id", None).case_exact);
    assert!(facts(None, "externalId", None).case_exact);
    assert_eq!(facts(None, "active", None).kind, AttrType::Boolean);
    assert_eq!(
        facts(None, "meta", Some("lastModified")).kind,
        AttrType::DateTime
    );
    assert_eq!(
        facts(None, "emails", Some("primary")).kind,
        AttrType::Boolean
    );
    assert_eq!(
        facts(None, "x509Certificates", Some("value")).kind,
        AttrType::Binary
    );
    assert_eq!(
        facts(Some(ENTERPRISE_USER_SCHEMA), "manager", Some("$ref")).kind,
        AttrType::Reference
    );
    assert_eq!(
        facts(Some(USER_SCHEMA), "active", None).kind,
        AttrType::Boolean
    );
    assert!(users.is_core_schema(USER_SCHEMA));
    assert!(!users.is_core_schema(ENTERPRISE_USER_SCHEMA));
    // Registry-wide facts answer for any type.
    let any = registry.facts(&AttrRef {
        urn: None,
        name: "members",
        sub_attr: Some("value"),
    });
    assert_eq!(any.kind, AttrType::String);
    // The filter evaluator uses them: caseExact id vs case-insensitive userName.
    let user = json!({"id": "AbC", "userName": "BJensen", "active": true});
    let m = |f: &str| {
        scimkit_filter::matches(&scimkit_filter::parse(f).unwrap(), &user, &users).unwrap()
    };
    assert!(m(r#"userName eq "bjensen""#));
    assert!(!m(r#"id eq "abc""#));
    assert!(m("active eq true"));
}

#[test]
fn discovery_documents() {
    let registry = Registry::standard();
    let base = "https://example.com/scim/v2/";
    let schemas = registry.schema_representations(base);
    let ids: Vec<&str> = schemas.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE_USER_SCHEMA]);
    assert_eq!(
        schemas[0]["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:Schema"])
    );
    assert_eq!(schemas[0]["attributes"][0]["name"], "userName");
    assert_eq!(
        schemas[0]["meta"]["location"],
        format!("https://example.com/scim/v2/Schemas/{USER_SCHEMA}")
    );
    let types = registry.resource_type_representations(base);
    assert_eq!(
        types[0]["schemaExtensions"],
        json!([{"schema": ENTERPRISE_USER_SCHEMA, "required": false}])
    );
    assert!(types[1].get("schemaExtensions").is_none());
    let spc = ServiceProviderConfig::default().to_representation(base);
    for key in [
        "patch",
        "bulk",
        "filter",
        "changePassword",
        "sort",
        "etag",
        "authenticationSchemes",
    ] {
        assert!(spc.get(key).is_some(), "{key}");
    }
    assert_eq!(
        spc["meta"]["location"],
        "https://example.com/scim/v2/ServiceProviderConfig"
    );
    assert!(registry.resource_type_by_endpoint("/users").is_some());
    assert!(registry.resource_type_by_endpoint("Groups").is_some());
    assert!(registry.resource_type("Device").is_none());
    let _: Value = spc;
}

#[test]
fn case_insensitive_get() {
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let u = json!({"userName": "a", "name": {"givenName": "B"},
                   ENTERPRISE_USER_SCHEMA: {"manager": {"value": "m"}}});
    assert_eq!(users.get(&u, "NAME.givenname"), Some(&json!("B")));
    assert_eq!(
        users.get(
            &u,
            &format!("{}:MANAGER.VALUE", ENTERPRISE_USER_SCHEMA.to_uppercase())
        ),
        Some(&json!("m"))
    );
    assert_eq!(
        users.get(&u, ENTERPRISE_USER_SCHEMA),
        Some(&json!({"manager": {"value": "m"}}))
    );
    assert_eq!(users.get(&u, "nickName"), None);
    assert_eq!(users.get(&u, "urn:example:other:x"), None);
}

#[test]
fn sorting_uses_the_schema() {
    use scimkit_schema::SortOrder;
    let registry = Registry::standard();
    let users = registry.resource_type("User").unwrap();
    let ent = ENTERPRISE_USER_SCHEMA;
    let mut page = vec![
        json!({"id": "1", "userName": "b", ent: {"department": "Sales"}}),
        json!({"id": "2", "userName": "A"}),
        json!({"id": "3", "userName": "c", ent: {"department": "ops"}}),
    ];
    users.sort(&mut page, "userName", SortOrder::Ascending);
    let ids = |p: &[Value]| {
        p.iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&page), ["2", "1", "3"], "caseExact false: A < b < c");
    users.sort(
        &mut page,
        &format!("{ent}:department"),
        SortOrder::Ascending,
    );
    assert_eq!(ids(&page), ["3", "1", "2"], "ops < Sales, missing last");
    users.sort(&mut page, "id", SortOrder::Descending);
    assert_eq!(ids(&page), ["3", "2", "1"]);
    users.sort(&mut page, "nonexistent", SortOrder::Ascending);
    assert_eq!(
        ids(&page),
        ["3", "2", "1"],
        "unknown attribute keeps the order"
    );
}

/// A schema representation as another service publishes it (characteristics the RFC lets
/// default omitted) reads into a usable schema.
#[test]
fn schema_json_with_defaults_reads() {
    let s: Schema = serde_json::from_value(json!({
        "id": "urn:example:scim:schemas:Device", "name": "Device",
        "attributes": [{"name": "serial", "type": "string"},
                       {"name": "ports", "type": "complex", "multiValued": true,
                        "subAttributes": [{"name": "kind", "type": "string", "canonicalValues": ["usb", "hdmi"]}]}]
    }))
    .unwrap();
    let serial = s.get("SERIAL").unwrap();
    assert!(!serial.required && !serial.multi_valued && !serial.case_exact);
    assert_eq!(
        serde_json::to_value(serial).unwrap()["mutability"],
        "readWrite"
    );
    assert_eq!(
        s.get("ports")
            .unwrap()
            .sub_attribute("KIND")
            .unwrap()
            .canonical_values
            .as_deref()
            .unwrap()
            .len(),
        2
    );
}
