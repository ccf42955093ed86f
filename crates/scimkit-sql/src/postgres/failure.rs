//! Which database failures mean "unavailable for now, retry" rather than a bug: a lost or
//! refused connection, a server restarting, a statement or lock timeout, a pool with no free
//! connection, a transaction aborted by a conflicting one. The store answers them with
//! `StoreError::Unavailable` (a SCIM 503), everything else with `StoreError::Backend` (500).

/// A short, value-free description of why the database is unavailable, or `None` when `e` is
/// not such a failure.
pub fn unavailable(e: &sqlx::Error) -> Option<&'static str> {
    match e {
        sqlx::Error::PoolTimedOut => {
            Some("no database connection was free within the acquire timeout")
        }
        sqlx::Error::PoolClosed => Some("the database pool is closed"),
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed => {
            Some("the database connection was lost")
        }
        sqlx::Error::Database(db) => {
            let code = db.code()?;
            match code.as_ref() {
                "57014" => Some("a database statement exceeded the statement timeout"),
                "55P03" => Some("a database row lock was not granted within the lock timeout"),
                "40001" | "40P01" => {
                    Some("the database aborted the transaction because of a concurrent one")
                }
                "57P01" | "57P02" | "57P03" => Some("the database is shutting down or starting"),
                "53300" => Some("the database has no free connection slot"),
                c if c.starts_with("08") => Some("the database connection failed"),
                _ => None,
            }
        }
        _ => None,
    }
}
