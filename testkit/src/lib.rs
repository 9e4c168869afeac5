//! Toygres's test infrastructure, for the other crates' tests only: a dev-dependency
//! everywhere, never published, never built into the `toygres` binary.
//!
//! # Layout
//! * `cloud`: Hetzner Cloud and DigitalOcean in process ([`cloud::FakeCloud`]), answering only
//!   what the official API descriptions (compacted in `testkit/api/`) allow.
//! * `kube`: a Kubernetes API server in process ([`kube::FakeKube`]) whose kubelet simulates
//!   pods or runs each one as a real PostgreSQL server.
//!
//! The examples `fake_cloud` and `fake_kube` serve the fakes on their own, for the dashboard's
//! browser tests (`ui/e2e/run.mjs`) and for trying Toygres without a cloud account or a
//! cluster; `compact_api_descriptions` makes the compact API descriptions again.

pub mod cloud;
pub mod kube;
