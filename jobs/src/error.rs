//! The jobs crate's error: what callers (the API, the worker loop) must tell apart.

/// What went wrong in the domain layer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The thing asked for does not exist (or the caller may not see it).
    #[error("{kind} not found")]
    NotFound {
        /// What was looked for, such as "operation".
        kind: &'static str,
    },
    /// The request collides with existing state: a taken name, an operation already running.
    #[error("{0}")]
    Conflict(String),
    /// The request itself is wrong, whatever the state.
    #[error("{0}")]
    InvalidInput(String),
    /// This installation, or this kind of instance, cannot do that (yet).
    #[error("{0}")]
    Unsupported(String),
    /// A provider failed; its variant says whether retrying can help.
    #[error(transparent)]
    Provider(#[from] providers::Error),
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// Anything else.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl Error {
    /// A short, stable name of the kind of failure, for logs (`error = ...`) and labels.
    pub fn label(&self) -> &'static str {
        match self {
            Error::NotFound { .. } => "not_found",
            Error::Conflict(_) => "conflict",
            Error::InvalidInput(_) => "invalid_input",
            Error::Unsupported(_) => "unsupported",
            Error::Provider(e) => e.label(),
            Error::Db(_) => "db",
            Error::Other(_) => "other",
        }
    }

    /// Whether trying the same step again cannot help.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            Error::NotFound { .. }
                | Error::Conflict(_)
                | Error::InvalidInput(_)
                | Error::Unsupported(_)
                | Error::Provider(
                    providers::Error::Permanent(_) | providers::Error::NotFound { .. }
                )
        )
    }
}

/// The jobs crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
