//! The outside systems Toygres drives: Postgres processes on this host, and (later) Kubernetes,
//! Hetzner, DigitalOcean and a metrics source. Nothing here knows our database or GraphQL.
//!
//! # Layout
//! * `local`: PostgreSQL server processes on this host, run from the installed binaries. The
//!   embedded metadata database and the `local` instance provider both stand on it.
//! * `cloud`: the VM fleet's clouds, Hetzner and DigitalOcean, behind one trait.
//! * `metrics`: CPU and memory from a Prometheus query API, or from this host.
//! * `Error`: every provider sorts its failures by what the caller should do next.

pub mod cloud;
pub mod local;
pub mod metrics;

/// What went wrong talking to a provider, sorted by what the caller should do next.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Worth retrying: timeouts, a process still starting, 429, 5xx.
    #[error("transient: {0:#}")]
    Transient(#[source] anyhow::Error),
    /// Retrying cannot help: missing binaries, bad token, invalid spec.
    #[error("permanent: {0:#}")]
    Permanent(#[source] anyhow::Error),
    /// Something else listens on the port a server was to use; pick another.
    #[error("port {port} is already in use")]
    AddressInUse { port: u16 },
    /// The named resource does not exist.
    #[error("{kind} {name} not found")]
    NotFound { kind: &'static str, name: String },
}

impl Error {
    /// A short, stable label for failure metrics.
    pub fn metric_label(&self) -> &'static str {
        match self {
            Error::Transient(_) => "transient",
            Error::Permanent(_) => "permanent",
            Error::AddressInUse { .. } => "address_in_use",
            Error::NotFound { .. } => "not_found",
        }
    }
}

/// The providers' result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
