//! [`StoreError`]: what a store call reports, and how the dispatcher answers it.

use super::Version;
use scimkit_schema::ScimError;

/// A failed store call.
///
/// A store reports what the client caused (a missing resource, a stale version, a uniqueness
/// or value conflict) with the matching variant, and everything else as [`StoreError::Backend`]
/// with its source kept: the dispatcher answers it with a 500 whose body never shows it, and
/// reports it as a `tracing` event (target `scimkit_dispatch::store`, level `ERROR`) with the
/// whole error chain, so the operator sees the database's own message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No resource of that type with that id in the tenant.
    #[error("resource {0} not found")]
    NotFound(String),
    /// The expected version did not match the stored one.
    #[error("version mismatch: the resource is at version {}", .current.0)]
    VersionMismatch {
        /// The stored version.
        current: Version,
    },
    /// A uniqueness constraint (e.g. `userName`) would be violated.
    #[error("{0}")]
    Uniqueness(String),
    /// A value the store cannot accept (e.g. a member that does not exist in the tenant).
    #[error("{0}")]
    InvalidValue(String),
    /// The filter cannot be evaluated (e.g. ordering a boolean attribute).
    #[error("{0}")]
    InvalidFilter(String),
    /// Anything else (a database error): kept for the operator, never shown to the client.
    #[error("storage failure")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The backend is unavailable for now and the request may be retried: a lost or refused
    /// connection, a database restarting, a statement or lock timeout, no pooled connection
    /// within the acquire timeout, a transaction aborted by a concurrent one. Answered with a
    /// 503 whose detail is `reason` (a fixed text, never a value from the request or the
    /// database's message); the source is reported as a [`StoreError::Backend`]'s is.
    #[error("storage unavailable: {reason}")]
    Unavailable {
        /// Why, in a few words (e.g. "a database statement exceeded the statement timeout").
        reason: &'static str,
        /// The backend's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl StoreError {
    /// A backend failure with its cause, e.g. `StoreError::backend(sqlx_error)`.
    pub fn backend(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        StoreError::Backend(source.into())
    }

    /// A failure the client may retry (a 503), e.g.
    /// `StoreError::unavailable("the database connection was lost", sqlx_error)`.
    pub fn unavailable(
        reason: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        StoreError::Unavailable {
            reason,
            source: source.into(),
        }
    }
}

impl From<StoreError> for ScimError {
    fn from(e: StoreError) -> ScimError {
        match e {
            StoreError::NotFound(id) => ScimError::not_found(format!("Resource {id} not found")),
            StoreError::VersionMismatch { .. } => ScimError::precondition_failed(
                "The resource has changed: its version does not match If-Match",
            ),
            StoreError::Uniqueness(d) => ScimError::uniqueness(d),
            StoreError::InvalidValue(d) => ScimError::invalid_value(d),
            StoreError::InvalidFilter(d) => ScimError::invalid_filter(d),
            StoreError::Backend(source) => {
                report_backend_failure(source.as_ref());
                ScimError::internal("The resource store failed")
            }
            StoreError::Unavailable { reason, source } => {
                report_backend_failure(source.as_ref());
                ScimError::new(
                    503,
                    None,
                    format!("The resource store is unavailable ({reason}); retry the request"),
                )
            }
        }
    }
}

/// The one place a backend failure is reported: a `tracing` event with the error chain.
fn report_backend_failure(source: &(dyn std::error::Error + 'static)) {
    let mut chain = source.to_string();
    let mut next = source.source();
    while let Some(cause) = next {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        next = cause.source();
    }
    tracing::error!(target: "scimkit_dispatch::store", error = %chain, "the resource store failed");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unavailable_store_is_a_503_whose_detail_is_the_reason_only() {
        let source = std::io::Error::other("connection reset by 10.0.0.7:5432, secret=xyz");
        let e: ScimError =
            StoreError::unavailable("the database connection was lost", source).into();
        assert_eq!(e.status(), 503);
        assert!(e.detail().contains("the database connection was lost"));
        assert!(!e.detail().contains("10.0.0.7") && !e.detail().contains("secret"));
        let e: ScimError = StoreError::backend(std::io::Error::other("x")).into();
        assert_eq!(e.status(), 500);
    }
}
