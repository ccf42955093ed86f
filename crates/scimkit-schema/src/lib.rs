//! The SCIM 2.0 resource model (RFC 7643): schema registry, validation, projection, PATCH and the
//! protocol messages of RFC 7644, plus [`ScimError`], the error type every scimkit crate returns.
//!
//! Everything goes through a [`ResourceSchema`], one resource type resolved against a
//! [`Registry`]:
//!
//! ```
//! use scimkit_schema::{Profile, Registry};
//! use serde_json::json;
//!
//! let registry = Registry::standard();
//! let users = registry.resource_type("User").unwrap();
//! let stored = users
//!     .validate_create(json!({
//!         "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
//!         "userName": "bjensen",
//!         "password": "t1meMa$heen"
//!     }), &Profile::default())
//!     .unwrap();
//! assert_eq!(stored["userName"], "bjensen");
//! ```
#![forbid(unsafe_code)]

mod builtin;
mod elements;
mod error;
mod limits;
mod messages;
mod patch;
mod profile;
mod project;
mod registry;
mod resource;
mod schema;
mod typed;
mod validate;

pub use builtin::{
    common_attributes, enterprise_user_schema, group_schema, user_schema, ENTERPRISE_USER_SCHEMA,
    GROUP_SCHEMA, RESOURCE_TYPE_SCHEMA, SCHEMA_SCHEMA, SERVICE_PROVIDER_CONFIG_SCHEMA, USER_SCHEMA,
};
pub use error::{ScimError, ScimType, ERROR_SCHEMA};
pub use limits::Limits;
pub use messages::{
    BulkOperation, BulkOperationResponse, BulkRequest, BulkResponse, ErrorResponse, ListResponse,
    PatchOp, PatchOpKind, PatchOperation, SearchRequest, SortOrder, BULK_REQUEST_SCHEMA,
    BULK_RESPONSE_SCHEMA, LIST_RESPONSE_SCHEMA, PATCH_OP_SCHEMA, SEARCH_REQUEST_SCHEMA,
};
pub use patch::PatchOutcome;
pub use profile::{Profile, PutAbsent, Unknown};
pub use project::Projection;
pub use registry::{
    AuthenticationScheme, BulkConfig, FilterConfig, Registry, RegistryBuilder, ResolvedAttr,
    ResourceSchema, ResourceType, SchemaExtension, ServiceProviderConfig, Supported,
};
pub use resource::{
    get_ci, get_ci_mut, is_server_owned, is_unassigned, key_ci, remove_ci, values_equal,
    SERVER_OWNED,
};
pub use schema::{AttributeDef, AttributeType, Mutability, Returned, Schema, Uniqueness};
pub use typed::{ExternalId, Group, Meta, MultiValue, Name, ResourceId, User};
