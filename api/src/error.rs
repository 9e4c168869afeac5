//! GraphQL errors with a stable `extensions.code`.
//!
//! User errors keep their message; internal ones say "internal error" to the client and are
//! logged here, with detail, once.

use async_graphql::{Error as GqlError, ErrorExtensions as _};

/// `extensions.code` values clients can rely on.
pub mod code {
    /// No valid token.
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    /// A valid caller whose role may not do this.
    pub const FORBIDDEN: &str = "FORBIDDEN";
    /// The thing does not exist, or the caller may not see it.
    pub const NOT_FOUND: &str = "NOT_FOUND";
    /// The request collides with current state.
    pub const CONFLICT: &str = "CONFLICT";
    /// The request is malformed or out of bounds.
    pub const INVALID_INPUT: &str = "INVALID_INPUT";
    /// This installation, or this kind of instance, cannot do that (yet): not a bad request,
    /// and not worth retrying.
    pub const UNSUPPORTED: &str = "UNSUPPORTED";
    /// The project would hold more than its quota allows. `extensions` say which `limit`
    /// (`instances`, `storage_gb`, `servers`, `standbys`), the `quota`, what the project
    /// holds (`used`) and what the request adds (`requested`). Nothing was recorded.
    pub const QUOTA_EXCEEDED: &str = "QUOTA_EXCEEDED";
    /// The document asks for more than one request may: nested too deep, too complex (list
    /// fields count their page size), too many root fields or aliases, or more than one
    /// `login`. Refused before anything runs; see `docs/limits.md`.
    pub const QUERY_TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";
    /// Too many failed logins for this account or from this address; retry after
    /// `extensions.retryAfterSeconds`.
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    /// The subscriber fell behind and missed events.
    pub const LAGGED: &str = "LAGGED";
    /// Something broke on our side.
    pub const INTERNAL: &str = "INTERNAL";
}

/// A GraphQL error with `message` and `extensions.code = code`.
pub fn coded(code: &'static str, message: impl Into<String>) -> GqlError {
    GqlError::new(message).extend_with(|_, e| e.set("code", code))
}

/// The caller has no valid token.
pub fn unauthenticated() -> GqlError {
    coded(
        code::UNAUTHENTICATED,
        "authentication required: send `Authorization: Bearer <token>`",
    )
}

/// The caller's role may not do this.
pub fn forbidden(what: &str) -> GqlError {
    coded(code::FORBIDDEN, format!("your role may not {what}"))
}

/// Bad input, with a message that says what to change.
pub fn invalid(message: impl Into<String>) -> GqlError {
    coded(code::INVALID_INPUT, message)
}

/// Too many attempts: try again in `retry_after` (rounded up to whole seconds, at least 1).
pub fn rate_limited(what: &str, retry_after: std::time::Duration) -> GqlError {
    let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
    let seconds = seconds.max(1);
    GqlError::new(format!("{what}; try again in {seconds} s")).extend_with(|_, e| {
        e.set("code", code::RATE_LIMITED);
        e.set("retryAfterSeconds", seconds);
    })
}

/// Turn a domain error into a GraphQL error, logging internal ones.
pub fn from_jobs(err: jobs::Error) -> GqlError {
    match err {
        jobs::Error::NotFound { kind } => coded(code::NOT_FOUND, format!("{kind} not found")),
        jobs::Error::Conflict(m) => coded(code::CONFLICT, m),
        jobs::Error::InvalidInput(m) => coded(code::INVALID_INPUT, m),
        jobs::Error::Unsupported(m) => coded(code::UNSUPPORTED, m),
        e @ jobs::Error::QuotaExceeded {
            limit,
            quota,
            used,
            requested,
        } => GqlError::new(e.to_string()).extend_with(|_, x| {
            x.set("code", code::QUOTA_EXCEEDED);
            x.set("limit", limit);
            x.set("quota", quota);
            x.set("used", used);
            x.set("requested", requested);
        }),
        other => internal(&other),
    }
}

/// Log an internal failure and hide its detail from the client.
pub fn internal(err: &dyn std::fmt::Display) -> GqlError {
    tracing::error!("failed to serve request: {err:#}");
    coded(code::INTERNAL, "internal error")
}

/// `?` on a domain result inside a resolver.
pub trait OrGql<T> {
    /// Map the error with [`from_jobs`].
    fn or_gql(self) -> async_graphql::Result<T>;
}

impl<T> OrGql<T> for jobs::Result<T> {
    fn or_gql(self) -> async_graphql::Result<T> {
        self.map_err(from_jobs)
    }
}
