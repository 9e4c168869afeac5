//! The metrics sampler: every interval, one process records the cluster's CPU and memory.
//!
//! With a metrics source (`TOYGRES_METRICS_URL`: VictoriaMetrics or Prometheus), figures come
//! from node_exporter series, per server and averaged for the cluster:
//!
//! ```text
//! cpu %    = 100 * (1 - avg by (instance, toygres_server_id) (rate(node_cpu_seconds_total{mode="idle"}[1m])))
//! memory % = 100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)
//! ```
//!
//! A series belongs to a server through its `toygres_server_id` label, which the server
//! template sets. Without a source, the cluster is this host, read from `/proc`.
//!
//! An unreachable source is recorded as a sample with an error, never as zeros; crossing the
//! CPU or memory alert threshold, and losing or regaining the source, are cluster events.
//! Samples older than the retention are pruned.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use chrono::Utc;
use providers::metrics::{LocalSampler, PromClient, Sample};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::Result;
use crate::db::MetricSample;
use crate::workflow::Context;

/// The advisory lock whose holder samples ("toymetr" in ASCII).
const LEADER_LOCK: i64 = 0x0074_6f79_6d65_7472;
/// The label that ties a node_exporter series to one of our servers.
pub const SERVER_LABEL: &str = "toygres_server_id";

const CPU_QUERY: &str = r#"100 * (1 - avg by (instance, toygres_server_id) (rate(node_cpu_seconds_total{mode="idle"}[1m])))"#;
const MEMORY_QUERY: &str =
    "100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)";

/// How sampling runs.
#[derive(Clone, Debug)]
pub struct MetricsConfig {
    /// Time between samples.
    pub interval: Duration,
    /// How long samples are kept.
    pub retention: Duration,
    /// CPU use above which a `cpu_high` event is raised.
    pub cpu_alert_percent: f64,
    /// Memory use above which a `memory_high` event is raised.
    pub memory_alert_percent: f64,
    /// The query API; this host when `None`.
    pub source: Option<PromClient>,
    /// The source's URL, recorded with each sample.
    pub source_name: String,
}

impl Default for MetricsConfig {
    /// Every 30 s, kept 7 days, alerts above 90 % CPU or memory, this host as the source.
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(30),
            retention: Duration::from_secs(7 * 24 * 3600),
            cpu_alert_percent: 90.0,
            memory_alert_percent: 90.0,
            source: None,
            source_name: "host".to_owned(),
        }
    }
}

/// Sample whenever no other process does, until `shutdown`.
pub async fn run(cx: Context, config: MetricsConfig, shutdown: CancellationToken) {
    let interval = config.interval;
    let db = cx.db.clone();
    let mut sampler = Sampler {
        cx,
        config,
        local: LocalSampler::new(),
        alerting: HashSet::new(),
        available: true,
    };
    crate::leader::run(
        &db,
        LEADER_LOCK,
        interval,
        &shutdown,
        "metrics sampler",
        &mut sampler,
    )
    .await;
}

struct Sampler {
    cx: Context,
    config: MetricsConfig,
    /// This host's `/proc`, the source when no query API is configured.
    local: LocalSampler,
    /// The thresholds currently exceeded, so that each crossing is one event.
    alerting: HashSet<&'static str>,
    /// Whether the last sample had figures.
    available: bool,
}

impl crate::leader::Duty for Sampler {
    async fn on_lead(&mut self) -> Result<()> {
        Ok(())
    }

    async fn tick(&mut self) -> Result<()> {
        let (cx, config) = (&self.cx, &self.config);
        let now = Utc::now();
        let taken = match &config.source {
            None => self
                .local
                .sample()
                .await
                .map_err(crate::Error::from)
                .map(|h| {
                    vec![figures(
                        None,
                        now,
                        &config.source_name,
                        h.cpu_percent,
                        h.memory_percent,
                    )]
                }),
            Some(prom) => from_source(cx, prom, now, &config.source_name).await,
        };
        let samples = match taken {
            Ok(samples) => {
                if !self.available {
                    self.available = true;
                    event(
                        cx,
                        "metrics_available",
                        "info",
                        "the metrics source answers again",
                    )
                    .await?;
                }
                samples
            }
            Err(e) => {
                let reason = format!("metrics unavailable: {e}");
                if self.available {
                    self.available = false;
                    tracing::warn!("{reason}");
                    event(cx, "metrics_unavailable", "warning", &reason).await?;
                }
                vec![MetricSample {
                    server_id: None,
                    sampled_at: now,
                    source: config.source_name.clone(),
                    cpu_percent: None,
                    memory_percent: None,
                    error: Some(reason),
                }]
            }
        };
        let keep_after =
            now - chrono::Duration::from_std(config.retention).unwrap_or(chrono::Duration::MAX);
        cx.db.record_samples(&samples, keep_after).await?;
        if let Some(cluster) = samples.iter().find(|s| s.server_id.is_none()) {
            for (name, value, threshold) in [
                ("cpu", cluster.cpu_percent, config.cpu_alert_percent),
                (
                    "memory",
                    cluster.memory_percent,
                    config.memory_alert_percent,
                ),
            ] {
                let Some(value) = value else { continue };
                let high = value > threshold;
                let (kind, severity, message) = if high && self.alerting.insert(name) {
                    (
                        format!("{name}_high"),
                        "warning",
                        format!("cluster {name} at {value:.1}% (alert above {threshold}%)"),
                    )
                } else if !high && self.alerting.remove(name) {
                    (
                        format!("{name}_normal"),
                        "info",
                        format!("cluster {name} back to {value:.1}%"),
                    )
                } else {
                    continue;
                };
                event(cx, &kind, severity, &message).await?;
            }
        }
        Ok(())
    }
}

async fn event(cx: &Context, kind: &str, severity: &str, message: &str) -> Result<()> {
    cx.db
        .cluster_event(kind, severity, message, None, serde_json::json!({}))
        .await
}

fn figures(
    server: Option<Uuid>,
    at: chrono::DateTime<Utc>,
    source: &str,
    cpu: f64,
    memory: f64,
) -> MetricSample {
    MetricSample {
        server_id: server,
        sampled_at: at,
        source: source.to_owned(),
        cpu_percent: Some(cpu),
        memory_percent: Some(memory),
        error: None,
    }
}

/// Per-server samples for series that name one of our servers, and the cluster's average
/// over every series. No series at all is an error ("no data"), not zeros.
async fn from_source(
    cx: &Context,
    prom: &PromClient,
    at: chrono::DateTime<Utc>,
    source: &str,
) -> Result<Vec<MetricSample>> {
    let cpu = finite(prom.query(CPU_QUERY).await?);
    let memory = finite(prom.query(MEMORY_QUERY).await?);
    if cpu.is_empty() || memory.is_empty() {
        return Err(anyhow::anyhow!("the source has no node_exporter series").into());
    }
    let mean =
        |samples: &[Sample]| samples.iter().map(|s| s.value).sum::<f64>() / samples.len() as f64;
    let mut out = vec![figures(None, at, source, mean(&cpu), mean(&memory))];
    let by_server = |samples: &[Sample]| -> BTreeMap<Uuid, f64> {
        samples
            .iter()
            .filter_map(|s| Some((s.labels.get(SERVER_LABEL)?.parse().ok()?, s.value)))
            .collect()
    };
    let (cpu_by, memory_by) = (by_server(&cpu), by_server(&memory));
    let named: Vec<Uuid> = cpu_by.keys().copied().collect();
    for server in cx.db.existing_servers(&named).await? {
        if let (Some(c), Some(m)) = (cpu_by.get(&server), memory_by.get(&server)) {
            out.push(figures(Some(server), at, source, *c, *m));
        }
    }
    Ok(out)
}

/// NaN and infinities (a counter reset, a zero total) are not figures.
fn finite(samples: Vec<Sample>) -> Vec<Sample> {
    samples
        .into_iter()
        .filter(|s| s.value.is_finite())
        .map(|s| Sample {
            value: s.value.clamp(0.0, 100.0),
            ..s
        })
        .collect()
}
