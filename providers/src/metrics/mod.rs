//! CPU and memory figures: from a Prometheus query API (as VictoriaMetrics and Prometheus
//! serve it), or, with no metrics source configured, read from this host's `/proc`.
//!
//! # Layout
//! * `prom`: the query API client and its response parser.
//! * `host`: this host's CPU and memory.

mod host;
mod prom;

pub use host::{HostSample, HostSampler};
pub use prom::{PromClient, Sample, parse_vector};
