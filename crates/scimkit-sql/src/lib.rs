//! SQL storage for scimkit.
#![forbid(unsafe_code)]

pub mod dialect;
mod error;
pub mod fragment;
pub mod projection;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod translate;

pub use error::SqlError;
