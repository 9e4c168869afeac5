//! The outside systems Toygres drives: Postgres processes on this host, Kubernetes,
//! Hetzner, DigitalOcean and a metrics source. Nothing here knows our database or GraphQL.
//!
//! # Layout
//! * `host`: the steps that run Postgres on a host, written once over a shell: this host's, or
//!   a fleet server's through SSH. Every server Toygres starts (instances, the embedded
//!   metadata database, the pods of `testkit`'s fake kubelet) is started and stopped here.
//! * `local`: the installed server binaries, the user that runs them, and `PgHost::local`.
//! * `login`: the SQL that makes an instance's login role and database, whoever runs it.
//! * `cloud`: the VM fleet's clouds, Hetzner and DigitalOcean, behind one trait.
//! * `kubernetes`: Postgres instances as StatefulSets on a Kubernetes cluster (kube-rs).
//! * `metrics`: CPU and memory from a Prometheus query API, or from this host.
//! * `Error`: every provider sorts its failures by what the caller should do next.
//!
//! # TLS
//! reqwest is built with rustls and no crypto provider of its own. Every process that makes an
//! HTTP client (the binary's `main`, and each test that builds a `reqwest::Client`) calls
//! [`install_crypto_provider`] first; the cloud clients' constructors call it themselves.
//!
//! # Tests
//! The fakes the clients are tested against (Hetzner and DigitalOcean in process, a Kubernetes
//! API server) live in the `testkit` crate, a dev-dependency only: nothing here is built for
//! tests alone.

pub mod cloud;
pub mod host;
pub mod kubernetes;
pub mod local;
pub mod login;
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
    /// A short, stable name of the kind of failure, for logs (`error = ...`) and labels.
    pub fn label(&self) -> &'static str {
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

/// Make ring the process's rustls crypto provider, which HTTPS clients need before the first
/// `reqwest::Client` is built. Idempotent: a provider that is already installed, ours or
/// another, is kept.
pub fn install_crypto_provider() {
    // Err only means a provider is already installed, which is all we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
