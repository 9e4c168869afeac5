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
//!   wait for an operation to finish; [`master_key`], the master key tests seal passwords with.
//! * `script`: the script workflow's helpers, from `jobs` (built with its `script-workflow`
//!   feature, which this crate turns on): operations that do what their input says.
//!
//! The examples `fake_cloud` and `fake_kube` serve the fakes on their own, for the dashboard's
//! browser tests (`ui/e2e/run.mjs`) and for trying Toygres without a cloud account or a
//! cluster; `compact_api_descriptions` makes the compact API descriptions again.

pub mod cloud;
mod fixtures;
pub mod kube;
pub mod sshd;

/// The script workflow (`Kind::TestScript`): start operations whose input says how each step
/// behaves, and let held steps go on. It lives in `jobs`, whose registry maps every kind to its
/// workflow; see `jobs::script` for what an input can ask.
pub mod script {
    pub use jobs::script::{release, start_script, start_script_in};
}

pub use fixtures::{MASTER_KEY, local_host, master_key, record_server, wait_final};
