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
    /// The project would hold more than its quota allows (`docs/limits.md`).
    #[error(
        "quota exceeded: this project may hold {quota} {}, holds {used}, and this asks for {requested} more",
        quota_unit(.limit)
    )]
    QuotaExceeded {
        /// Which limit: `instances`, `storage_gb`, `servers` or `standbys`.
        limit: &'static str,
        /// The limit.
        quota: i64,
        /// What the project holds without this request.
        used: i64,
        /// What this request adds.
        requested: i64,
    },
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
            Error::QuotaExceeded { .. } => "quota_exceeded",
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
                | Error::QuotaExceeded { .. }
                | Error::Unsupported(_)
                | Error::Provider(
                    providers::Error::Permanent(_) | providers::Error::NotFound { .. }
                )
        )
    }
}

/// How a quota's limit is said in a message.
fn quota_unit(limit: &str) -> &str {
    match limit {
        "storage_gb" => "GB of instance storage",
        other => other,
    }
}

/// The jobs crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
