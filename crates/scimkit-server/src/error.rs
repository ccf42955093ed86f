//! Start-up errors. Each names the option at fault; none contains a token.

use std::net::SocketAddr;

/// Why the server cannot start. The binary prints it and exits with status 2 (1 for
/// [`ConfigError::Listen`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// An option that takes a value was last on the command line.
    #[error("{0} needs a value")]
    MissingValue(String),
    /// An argument the server does not know.
    #[error("unknown argument {0} (try --help)")]
    UnknownArgument(String),
    /// An option's value is malformed or out of range.
    #[error("{option}: {problem}")]
    InvalidValue {
        /// The option, e.g. `--listen`.
        option: String,
        /// What is wrong, with the valid values where there is a list.
        problem: String,
    },
    /// A token could not be read.
    #[error("{what}: {problem}")]
    Secret {
        /// The option or variable the token was configured by.
        what: String,
        /// What went wrong (never the token).
        problem: String,
    },
    /// The same tenant id was configured twice.
    #[error("tenant {0} is configured twice")]
    DuplicateTenant(String),
    /// Two tenants were given the same token, so it could only open one of them.
    #[error("tenants {first} and {second} are given the same token; every tenant needs its own")]
    DuplicateToken {
        /// The tenant configured first.
        first: String,
        /// The tenant configured later.
        second: String,
    },
    /// `--tenant-idp` or `--tenant-rules` names a tenant no `--tenant`/`--token` creates.
    #[error("{option}: no tenant {tenant} (configure it with --tenant {tenant}=TOKEN)")]
    UnknownTenant {
        /// The option.
        option: String,
        /// The tenant id it names.
        tenant: String,
    },
    /// The provisioning layer refused a tenant (e.g. an invalid tenant id).
    #[error("tenant {tenant:?}: {problem}")]
    Tenant {
        /// The tenant id as given.
        tenant: String,
        /// The provisioning layer's reason.
        problem: String,
    },
    /// The configuration file cannot be read or parsed (an unknown key, a wrong type).
    #[error("configuration file {}: {problem}", path.display())]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong, with the line and key.
        problem: String,
    },
    /// The storage cannot be opened (a file that cannot be created, a database written by a
    /// newer version, a failed migration).
    #[error("storage {location}: {source}")]
    Storage {
        /// Where: `sqlite:PATH` (never a URL with a password).
        location: String,
        /// The backend's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The listen address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

impl ConfigError {
    /// An [`InvalidValue`](ConfigError::InvalidValue) error.
    pub fn invalid(option: &str, problem: impl Into<String>) -> Self {
        ConfigError::InvalidValue {
            option: option.to_string(),
            problem: problem.into(),
        }
    }
}
