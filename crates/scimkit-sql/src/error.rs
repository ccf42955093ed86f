//! The errors of the SQL layer.

/// A failed storage call.
///
/// The client-caused outcomes (a missing resource, a stale version, a uniqueness conflict)
/// have their own variants so a store maps them to SCIM errors (404, 412, 409); everything
/// else is [`SqlError::Database`] or [`SqlError::Migrate`] with its source kept. No variant's
/// message holds a value from a request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SqlError {
    /// No resource with that type and id in the tenant.
    #[error("no such resource")]
    NotFound,
    /// The resource's version is not the one the write expected (`If-Match`).
    #[error("the resource's version is {current}, not the expected one")]
    VersionMismatch {
        /// The stored version.
        current: u64,
    },
    /// A value that must be unique is taken (SCIM `uniqueness`, HTTP 409).
    #[error("{attribute} is already taken in this tenant")]
    Uniqueness {
        /// The attribute whose uniqueness was violated (`userName`, `displayName`, `id`,
        /// `email`, or `value` when the database did not say).
        attribute: &'static str,
    },
    /// The database was written by a newer scimkit-sql: its schema version is higher than
    /// any this build knows, so it is not opened (and not changed).
    #[error(
        "the database's schema version is {found}, newer than {known}, the newest this \
         build of scimkit-sql knows: upgrade scimkit (the database was not changed)"
    )]
    NewerSchema {
        /// The database's schema version.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// A resource id that is not its own fold key (`scimkit_filter::fold`): ids are generated
    /// by the store and compared as fold keys in membership filters.
    #[error("resource ids must be their own fold key (e.g. lower-case)")]
    InvalidId,
    /// A stored value could not be read back (a corrupt row).
    #[error("a stored value is corrupt: {0}")]
    Corrupt(&'static str),
    /// Applying the embedded migrations failed.
    #[error("migrating the database failed")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// Any other database error.
    #[error("database error")]
    Database(#[source] sqlx::Error),
    /// Any other SQLite error (the SQLite backend calls SQLite in the caller's thread).
    #[cfg(feature = "sqlite")]
    #[error("database error")]
    Sqlite(#[source] rusqlite::Error),
    /// A checkpoint at close could not copy the whole write-ahead log into the database file
    /// (a reader held an old snapshot): nothing is lost, SQLite replays the log at the next
    /// open.
    #[error("the write-ahead log could not be checkpointed completely (a reader was busy)")]
    CheckpointBusy,
    /// The database was closed ([`SqliteDatabase::close`](crate::sqlite::SqliteDatabase::close)).
    #[error("the database is closed")]
    Closed,
}

/// The attribute a unique index guards, from the database's message (SQLite names the
/// columns) or the index's name (PostgreSQL).
fn unique_attribute(message: &str, index: &str) -> &'static str {
    if message.contains("user_name_norm") || index == "resources_by_user_name" {
        "userName"
    } else if message.contains("display_name_key") || index == "resources_by_unique_display_name" {
        "displayName"
    } else if message.contains("email_norm") || index == "accounts_pkey" {
        "email"
    } else if message.contains(".id") || index == "resources_by_id" {
        "id"
    } else {
        "value"
    }
}

#[cfg(feature = "sqlite")]
impl From<rusqlite::Error> for SqlError {
    fn from(e: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(failure, message) = &e {
            let unique = failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY;
            if unique {
                let attribute = unique_attribute(message.as_deref().unwrap_or_default(), "");
                return SqlError::Uniqueness { attribute };
            }
        }
        SqlError::Sqlite(e)
    }
}

impl SqlError {
    /// Whether SQLite interrupted the statement (its time budget on the caller's thread ran
    /// out, see `SqliteOptions::read_budget`).
    #[cfg(feature = "sqlite")]
    pub(crate) fn is_interrupt(&self) -> bool {
        matches!(self, SqlError::Sqlite(rusqlite::Error::SqliteFailure(f, _))
            if f.code == rusqlite::ErrorCode::OperationInterrupted)
    }
}

impl From<sqlx::Error> for SqlError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                let attribute = unique_attribute(db.message(), db.constraint().unwrap_or_default());
                return SqlError::Uniqueness { attribute };
            }
        }
        SqlError::Database(e)
    }
}

impl From<sqlx::migrate::MigrateError> for SqlError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        SqlError::Migrate(e)
    }
}
