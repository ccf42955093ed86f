//! A framework-agnostic SCIM 2.0 endpoint: `http::Request` in, `http::Response` out.
//! The API arrives with its own issue.
#![forbid(unsafe_code)]
