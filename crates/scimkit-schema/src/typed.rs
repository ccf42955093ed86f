//! Typed `User` and `Group` for convenience, converting both ways with the JSON form without
//! losing extension or unknown data, and the distinct [`ResourceId`] / [`ExternalId`] types.

use crate::{ScimError, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a string.
            pub fn new(s: impl Into<String>) -> Self {
                $name(s.into())
            }

            /// The string.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Unwraps the string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

id_type!(
    /// A resource's `id`, assigned by the service provider (case-exact, never reassigned).
    ResourceId
);
id_type!(
    /// A resource's `externalId`, assigned by the provisioning client. A different type from
    /// [`ResourceId`] so the two cannot be confused:
    ///
    /// ```compile_fail
    /// use scimkit_schema::{ExternalId, ResourceId};
    /// fn lookup(_id: &ResourceId) {}
    /// lookup(&ExternalId::new("00ujl29u0le5T6Aj10h7"));
    /// ```
    ExternalId
);

/// Resource metadata (RFC 7643 §3.1 `meta`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    /// `User`, `Group`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// Creation time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Last modification time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// The resource's URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The version (ETag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Anything else.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// The components of a name (RFC 7643 §4.1.1).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Name {
    /// The full name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    /// Family (last) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// Given (first) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Middle name(s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    /// Honorific prefix (e.g. `Ms.`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honorific_prefix: Option<String>,
    /// Honorific suffix (e.g. `III`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honorific_suffix: Option<String>,
    /// Anything else.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// One value of a multi-valued attribute (`emails`, `phoneNumbers`, `members`, …).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MultiValue {
    /// The value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// A human-readable name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// The label (`work`, `home`, `User`, …).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Whether this is the primary value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
    /// A reference to the resource.
    #[serde(default, rename = "$ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Anything else (e.g. the parts of an address).
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A User (RFC 7643 §4.1) with typed common attributes; everything else (other multi-valued
/// attributes, extensions such as the Enterprise User, unknown data) lives in `other`.
///
/// ```
/// use scimkit_schema::User;
/// use serde_json::json;
///
/// let json = json!({
///     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
///                 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
///     "id": "2819c223", "externalId": "701984", "userName": "bjensen",
///     "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
///     "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "701984"}
/// });
/// let user = User::from_value(json.clone()).unwrap();
/// assert_eq!(user.id.as_ref().unwrap().as_str(), "2819c223");
/// assert_eq!(user.enterprise().unwrap()["employeeNumber"], "701984");
/// assert_eq!(user.to_value(), json);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// The schemas.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
    /// The service provider's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<ResourceId>,
    /// The client's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<ExternalId>,
    /// The unique user name (required in a stored User; absent in some projections).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// The name components.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Name>,
    /// The display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The administrative status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Email addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emails: Option<Vec<MultiValue>>,
    /// Groups (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<MultiValue>>,
    /// Metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Every other attribute and extension, keyed as in JSON.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A Group (RFC 7643 §4.2).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// The schemas.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
    /// The service provider's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<ResourceId>,
    /// The client's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<ExternalId>,
    /// The display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<MultiValue>>,
    /// Metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Every other attribute and extension.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

fn from_value<T: serde::de::DeserializeOwned>(v: Value, what: &str) -> Result<T, ScimError> {
    serde_json::from_value(v)
        .map_err(|_| ScimError::invalid_value(format!("the body is not a valid {what}")))
}

fn to_value<T: Serialize>(t: &T) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

impl User {
    /// A user with a user name and the core schema.
    pub fn new(user_name: impl Into<String>) -> Self {
        User {
            schemas: vec![USER_SCHEMA.into()],
            user_name: Some(user_name.into()),
            ..User::default()
        }
    }

    /// Reads a user from its JSON form (normalised to the schema's spelling, e.g. by
    /// [`ResourceSchema::normalize`](crate::ResourceSchema::normalize)).
    pub fn from_value(v: Value) -> Result<Self, ScimError> {
        from_value(v, "User")
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        to_value(self)
    }

    /// The Enterprise User extension object, if present.
    pub fn enterprise(&self) -> Option<&Map<String, Value>> {
        self.other.get(ENTERPRISE_USER_SCHEMA)?.as_object()
    }
}

impl Group {
    /// A group with a display name and the core schema.
    pub fn new(display_name: impl Into<String>) -> Self {
        Group {
            schemas: vec![GROUP_SCHEMA.into()],
            display_name: Some(display_name.into()),
            ..Group::default()
        }
    }

    /// Reads a group from its JSON form.
    pub fn from_value(v: Value) -> Result<Self, ScimError> {
        from_value(v, "Group")
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        to_value(self)
    }
}

impl TryFrom<Value> for User {
    type Error = ScimError;
    fn try_from(v: Value) -> Result<Self, ScimError> {
        User::from_value(v)
    }
}

impl From<&User> for Value {
    fn from(u: &User) -> Value {
        u.to_value()
    }
}

impl TryFrom<Value> for Group {
    type Error = ScimError;
    fn try_from(v: Value) -> Result<Self, ScimError> {
        Group::from_value(v)
    }
}

impl From<&Group> for Value {
    fn from(g: &Group) -> Value {
        g.to_value()
    }
}
