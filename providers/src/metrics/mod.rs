//! CPU and memory figures: from a Prometheus query API (as VictoriaMetrics and Prometheus
//! serve it), or, with no metrics source configured, read from this host's `/proc`.
//!
//! # Layout
//! * `prom`: the query API client and its response parser.
//! * `local`: this host's CPU and memory, from `/proc` (the sample's source is named `host`).

mod local;
mod prom;

pub use local::{LocalSample, LocalSampler};
pub use prom::{PromClient, Sample, parse_vector};
