//! The protocol messages of RFC 7644 as serde types: ListResponse, PatchOp, SearchRequest,
//! BulkRequest / BulkResponse and Error.

use crate::{ScimError, ScimType, ERROR_SCHEMA};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// URN of the ListResponse message.
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// URN of the PatchOp message.
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// URN of the SearchRequest message.
pub const SEARCH_REQUEST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
/// URN of the BulkRequest message.
pub const BULK_REQUEST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
/// URN of the BulkResponse message.
pub const BULK_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

/// A query response (RFC 7644 §3.4.2).
///
/// ```
/// use scimkit_schema::ListResponse;
/// use serde_json::json;
///
/// let page = ListResponse::new(vec![json!({"id": "2819c223"})], 2, 1);
/// let wire = serde_json::to_value(&page).unwrap();
/// assert_eq!(wire["totalResults"], 2);
/// assert_eq!(wire["Resources"][0]["id"], "2819c223");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResponse<T = Value> {
    /// `["urn:ietf:params:scim:api:messages:2.0:ListResponse"]`.
    pub schemas: Vec<String>,
    /// The number of results the query matched.
    pub total_results: u64,
    /// The 1-based index of the first result of this page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_index: Option<u64>,
    /// The number of results on this page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items_per_page: Option<u64>,
    /// The results (`Resources`; may be absent when `totalResults` is 0).
    #[serde(rename = "Resources", default = "Vec::new")]
    pub resources: Vec<T>,
}

impl<T> ListResponse<T> {
    /// A page of results.
    pub fn new(resources: Vec<T>, total_results: u64, start_index: u64) -> Self {
        ListResponse {
            schemas: vec![LIST_RESPONSE_SCHEMA.into()],
            total_results,
            start_index: Some(start_index),
            items_per_page: Some(resources.len() as u64),
            resources,
        }
    }
}

/// A PATCH operation's kind. Deserialised without regard to letter case (Entra ID sends
/// `"Replace"`); serialised in lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatchOpKind {
    /// `add`
    Add,
    /// `remove`
    Remove,
    /// `replace`
    Replace,
}

impl PatchOpKind {
    /// The canonical spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PatchOpKind::Add => "add",
            PatchOpKind::Remove => "remove",
            PatchOpKind::Replace => "replace",
        }
    }
}

impl Serialize for PatchOpKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PatchOpKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        for k in [PatchOpKind::Add, PatchOpKind::Remove, PatchOpKind::Replace] {
            if s.eq_ignore_ascii_case(k.as_str()) {
                return Ok(k);
            }
        }
        Err(serde::de::Error::custom(
            "op must be \"add\", \"remove\" or \"replace\"",
        ))
    }
}

/// One PATCH operation (RFC 7644 §3.5.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchOperation {
    /// The operation.
    pub op: PatchOpKind,
    /// The target path; absent means the resource itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The value (absent for most removes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

impl PatchOperation {
    /// An operation with a path and a value.
    pub fn new(op: PatchOpKind, path: Option<&str>, value: Option<Value>) -> Self {
        PatchOperation {
            op,
            path: path.map(str::to_string),
            value,
        }
    }
}

/// A PATCH request body (RFC 7644 §3.5.2).
///
/// ```
/// use scimkit_schema::{PatchOp, PatchOpKind};
///
/// let patch: PatchOp = serde_json::from_str(r#"{
///   "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
///   "Operations": [{"op": "Replace", "path": "active", "value": "False"}]
/// }"#).unwrap();
/// assert_eq!(patch.operations[0].op, PatchOpKind::Replace);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchOp {
    /// `["urn:ietf:params:scim:api:messages:2.0:PatchOp"]`.
    pub schemas: Vec<String>,
    /// The operations, applied in order.
    #[serde(rename = "Operations")]
    pub operations: Vec<PatchOperation>,
}

impl PatchOp {
    /// A PatchOp message with these operations.
    pub fn new(operations: Vec<PatchOperation>) -> Self {
        PatchOp {
            schemas: vec![PATCH_OP_SCHEMA.into()],
            operations,
        }
    }

    /// Checks the `schemas` member (RFC 7644 §3.5.2: it must be the PatchOp URN).
    pub fn check_schemas(&self) -> Result<(), ScimError> {
        if self
            .schemas
            .iter()
            .any(|s| s.eq_ignore_ascii_case(PATCH_OP_SCHEMA))
        {
            Ok(())
        } else {
            Err(ScimError::invalid_syntax(format!(
                "a PATCH body must list {PATCH_OP_SCHEMA} in schemas"
            )))
        }
    }
}

/// `sortOrder` (RFC 7644 §3.4.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    /// Ascending (the default).
    Ascending,
    /// Descending.
    Descending,
}

/// A query sent with POST to `/.search` (RFC 7644 §3.4.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchRequest {
    /// `["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]`.
    pub schemas: Vec<String>,
    /// Attributes to return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Vec<String>>,
    /// Attributes not to return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded_attributes: Option<Vec<String>>,
    /// The filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// The attribute to sort by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_by: Option<String>,
    /// The sort order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_order: Option<SortOrder>,
    /// 1-based index of the first result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_index: Option<u64>,
    /// The largest page wanted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

/// One operation of a Bulk request (RFC 7644 §3.7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkOperation {
    /// `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: String,
    /// The client's id for a resource created in this request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulk_id: Option<String>,
    /// The version (ETag) expected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The resource path, e.g. `/Users` or `/Groups/e9e3…`.
    pub path: String,
    /// The request body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

/// A Bulk request (RFC 7644 §3.7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkRequest {
    /// `["urn:ietf:params:scim:api:messages:2.0:BulkRequest"]`.
    pub schemas: Vec<String>,
    /// Stop after this many errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_on_errors: Option<u32>,
    /// The operations.
    #[serde(rename = "Operations")]
    pub operations: Vec<BulkOperation>,
}

/// The result of one Bulk operation (RFC 7644 §3.7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkOperationResponse {
    /// The method of the operation.
    pub method: String,
    /// The client's bulk id, if one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulk_id: Option<String>,
    /// The resource's version after the operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The resource's location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The HTTP status, a string as in the RFC's examples (a number is accepted on input).
    #[serde(with = "status_string")]
    pub status: u16,
    /// The response body (an error body for failures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Value>,
}

/// A Bulk response (RFC 7644 §3.7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkResponse {
    /// `["urn:ietf:params:scim:api:messages:2.0:BulkResponse"]`.
    pub schemas: Vec<String>,
    /// The operation results.
    #[serde(rename = "Operations")]
    pub operations: Vec<BulkOperationResponse>,
}

/// A SCIM error body (RFC 7644 §3.12): `status` is a string on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorResponse {
    /// `["urn:ietf:params:scim:api:messages:2.0:Error"]`.
    pub schemas: Vec<String>,
    /// The HTTP status.
    #[serde(with = "status_string")]
    pub status: u16,
    /// The `scimType`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scim_type: Option<ScimType>,
    /// A human-readable detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl From<&ScimError> for ErrorResponse {
    fn from(e: &ScimError) -> Self {
        ErrorResponse {
            schemas: vec![ERROR_SCHEMA.into()],
            status: e.status(),
            scim_type: e.scim_type(),
            detail: Some(e.detail().to_string()),
        }
    }
}

impl From<ErrorResponse> for ScimError {
    fn from(e: ErrorResponse) -> Self {
        ScimError::new(e.status, e.scim_type, e.detail.unwrap_or_default())
    }
}

mod status_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(status: &u16, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&status.to_string())
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Num(u16),
        Str(String),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
        match Raw::deserialize(d)? {
            Raw::Num(n) => Ok(n),
            Raw::Str(s) => s
                .trim()
                .parse()
                .map_err(|_| serde::de::Error::custom("status must be an HTTP status code")),
        }
    }
}
