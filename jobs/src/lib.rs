//! The domain model, the store (all SQL), the job queue and its worker pools, workflows, and
//! the event bus.
//!
//! # Layout
//! * `db`: every SQL query, and `MIGRATOR`.
//! * `queue`: the job queue on our own tables: enqueueing, worker pools, leases.
//! * `workflow`: what every workflow shares: kinds, the context, typed steps, `Next`.
//! * `engine`: the step engine that moves operations on, with retries and backoff.
//! * `registry`: which steps, step function and give-up hook each kind has.
//! * `backup`: backup policies, the backup workflow, restore windows, the backup scheduler.
//! * `drill`: restore drills that prove backups by restoring them into scratch instances.
//! * `instance`: Postgres instances: validation, operations, and their workflow steps.
//! * `server`: the VM fleet: provision, drain, remove and scale servers on the clouds.
//! * `quota`: project quotas, checked in the transaction that records what they count.
//! * `secrets`: the [`MasterKey`] and [`Sealer`] that keep secrets at rest (servers' SSH keys,
//!   instance and replication passwords).
//! * `tls`: the installation's certificate authority and instances' certificates.
//! * `health`: the health sweep that checks every running instance.
//! * `metrics`: the sampler of cluster CPU and memory.
//! * `leader`: one process at a time for periodic housekeeping.
//! * `telemetry`: Toygres's telemetry: its own Prometheus series, served at `GET /metrics`.
//! * `system_check`: the diagnostic workflow.
//! * `events`: LISTEN once per process, fan out committed changes to subscribers.
//! * `user`, `operation`: domain types.
//! * `script` (feature `script-workflow`): the script workflow, whose operations do what their
//!   input says, for the engine's tests (through `testkit::script`) and the queue benchmark.
//!   The feature also adds its kind, `Kind::TestScript`. The crash failpoint
//!   (`Context::failpoint`) is the `failpoints` feature. Other test infrastructure (fakes,
//!   sshd, fixtures) is in the `testkit` crate.
//!
//! # Operation lifecycle
//! ```text
//!            start (row + job in one transaction)
//!                 │
//!                 ▼
//!   ┌──────── queued ◀──────────── transient error, tries left (after backoff)
//!   │             │ a worker picks the job up
//!   │             ▼
//!   │          running ── Continue/Hop: next step, same delivery
//!   │             │    ── Nap: same step, a later delivery
//!   │             ├──── Done ──────────────▶ succeeded
//!   │             └──── permanent error, or
//!   │                   no tries left ────▶ failed
//!   └── (cancel) ──────────────────────────▶ cancelled
//! ```

pub mod backup;
pub mod browser;
pub mod db;
pub mod drill;
pub mod engine;
mod error;
pub mod events;
pub mod health;
pub mod instance;
mod leader;
pub mod metrics;
pub mod operation;
pub mod queue;
pub mod quota;
mod registry;
pub mod secrets;
pub mod server;
pub mod system_check;
pub mod telemetry;
pub mod tls;
pub mod user;
pub mod workflow;

#[cfg(any(test, feature = "script-workflow"))]
pub mod script;

#[cfg(test)]
mod fixtures;

pub use error::{Error, Result};
pub use secrets::{MasterKey, Sealer};

/// Whether this build honours `Context::failpoint` (the `failpoints` feature, for crash
/// tests).
pub const FAILPOINTS: bool = cfg!(feature = "failpoints");
pub use workflow::{Context, Next, RetryPolicy};
