//! The SCIM 2.0 resource model (RFC 7643): schema registry, validation, projection, PATCH and the
//! protocol messages of RFC 7644, plus [`ScimError`], the error type every scimkit crate returns.
#![forbid(unsafe_code)]

mod error;

pub use error::{ScimError, ScimType, ERROR_SCHEMA};
