//! Toygres's test infrastructure, for the other crates' tests only: a dev-dependency
//! everywhere, never published, never built into the `toygres` binary.
//!
//! # Layout
//! * `cloud`: Hetzner Cloud and DigitalOcean in process ([`cloud::FakeCloud`]), answering only
//!   what the official API descriptions (compacted in `testkit/api/`) allow.
//! * `kube`: a Kubernetes API server in process ([`kube::FakeKube`]) whose kubelet simulates
//!   pods or runs each one as a real PostgreSQL server.
//! * `sshd`: a real OpenSSH server on a loopback address ([`sshd::Sshd`]) standing in for a
//!   fleet server, and client keys to log in to it with.
//! * [`local_host`], [`wait_final`]: a local host on a scratch directory for instances, and the
//!   wait for an operation to finish.
//!
//! The examples `fake_cloud` and `fake_kube` serve the fakes on their own, for the dashboard's
//! browser tests (`ui/e2e/run.mjs`) and for trying Toygres without a cloud account or a
//! cluster; `compact_api_descriptions` makes the compact API descriptions again.

pub mod cloud;
mod fixtures;
pub mod kube;
pub mod sshd;

pub use fixtures::{local_host, wait_final};
