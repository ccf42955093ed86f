//! Provisioning policy for SCIM service providers: pure decisions about how each SCIM operation
//! maps onto a product's accounts. The API arrives with its own issue.
#![forbid(unsafe_code)]
