//! The synthetic User the benchmark and the memory example load, so that their figures
//! describe the same data.

use serde_json::json;

/// User number `i`: core attributes plus the enterprise extension, about 430 bytes of JSON.
pub fn user(i: usize) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "userName": format!("user{i}@example.com"),
        "externalId": format!("ext-{i}"),
        "active": true,
        "displayName": format!("User Number {i}"),
        "name": {"givenName": "User", "familyName": format!("Number{i}"), "formatted": format!("User Number{i}")},
        "emails": [{"value": format!("user{i}@example.com"), "type": "work", "primary": true}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales", "employeeNumber": format!("{i}")}
    }))
    .unwrap()
}
