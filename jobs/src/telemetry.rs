//! Toygres's telemetry: its own Prometheus series, in one registry that `GET /metrics`
//! exposes (guarded by `TOYGRES_TELEMETRY_TOKEN`). Not to be confused with `metrics`, the
//! cluster's CPU and memory samples.
//!
//! Counters and histograms are updated where things happen (requests, GraphQL operations,
//! jobs, health checks); gauges of state (instances and servers by state, queue depth, pool
//! use) are read from the database when scraped, so every process reports the same truth.

use std::sync::LazyLock;
use std::time::Instant;

use prometheus::{
    Encoder as _, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec,
    Opts, Registry, TextEncoder,
};

use crate::db::Db;
use crate::queue::{self, Queue};

/// Every metric Toygres exports.
pub struct Telemetry {
    registry: Registry,
    /// HTTP requests by route, method (the standard ones, else `other`) and status.
    pub http_requests: IntCounterVec,
    /// HTTP request latency by route.
    pub http_duration: HistogramVec,
    /// GraphQL operations by root field (`multiple` for several, `other` when unknown; never
    /// the client-chosen operation name) and outcome (`ok`, `error`).
    pub graphql_operations: IntCounterVec,
    /// Subscriptions open now.
    pub active_subscriptions: IntGauge,
    /// Subscription streams running now: one for each set of open subscriptions that share
    /// their answers (same document, variables and caller), so at most `active_subscriptions`.
    pub subscription_streams: IntGauge,
    /// Job deliveries by queue, kind and outcome.
    pub job_runs: IntCounterVec,
    /// Job delivery time by kind.
    pub job_duration: HistogramVec,
    /// Health checks by outcome (`healthy`, `unhealthy`).
    pub health_checks: IntCounterVec,
    instances: IntGaugeVec,
    servers: IntGaugeVec,
    queue_depth: IntGaugeVec,
    pool_connections: IntGaugeVec,
    backups: BackupGauges,
}

/// Per instance that backs up, read from the database at each scrape.
struct BackupGauges {
    last_backup_age: GaugeVec,
    last_backup_duration: GaugeVec,
    last_backup_size: GaugeVec,
    archive_lag: GaugeVec,
    archive_failing: GaugeVec,
    drill_rto: GaugeVec,
    drill_passed: GaugeVec,
}

impl BackupGauges {
    fn all(&self) -> [&GaugeVec; 7] {
        [
            &self.last_backup_age,
            &self.last_backup_duration,
            &self.last_backup_size,
            &self.archive_lag,
            &self.archive_failing,
            &self.drill_rto,
            &self.drill_passed,
        ]
    }
}

/// The process's telemetry.
pub static TELEMETRY: LazyLock<Telemetry> = LazyLock::new(Telemetry::new);

impl Telemetry {
    fn new() -> Self {
        let registry =
            Registry::new_custom(Some("toygres".to_owned()), None).expect("a valid prefix");
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid counter");
            registry
                .register(Box::new(c.clone()))
                .expect("unique metric");
            c
        };
        let histogram = |name: &str, help: &str, labels: &[&str]| {
            let h =
                HistogramVec::new(HistogramOpts::new(name, help), labels).expect("valid histogram");
            registry
                .register(Box::new(h.clone()))
                .expect("unique metric");
            h
        };
        let gauge = |name: &str, help: &str, labels: &[&str]| {
            let g = IntGaugeVec::new(Opts::new(name, help), labels).expect("valid gauge");
            registry
                .register(Box::new(g.clone()))
                .expect("unique metric");
            g
        };
        let float_gauge = |name: &str, help: &str| {
            let g =
                GaugeVec::new(Opts::new(name, help), &["instance", "name"]).expect("valid gauge");
            registry
                .register(Box::new(g.clone()))
                .expect("unique metric");
            g
        };
        let backups = BackupGauges {
            last_backup_age: float_gauge(
                "backup_last_success_age_seconds",
                "Seconds since the instance's newest good backup finished",
            ),
            last_backup_duration: float_gauge(
                "backup_last_duration_seconds",
                "How long the instance's newest good backup took",
            ),
            last_backup_size: float_gauge(
                "backup_last_size_bytes",
                "The database size the instance's newest good backup copied",
            ),
            archive_lag: float_gauge(
                "archive_lag_seconds",
                "Seconds the instance's latest restorable point trails the present",
            ),
            archive_failing: float_gauge(
                "archive_failing",
                "1 while the instance's WAL archiving fails, else 0",
            ),
            drill_rto: float_gauge(
                "restore_drill_rto_seconds",
                "The recovery time the instance's newest passed restore drill measured",
            ),
            drill_passed: float_gauge(
                "restore_drill_last_passed",
                "1 if the instance's newest finished restore drill passed, 0 if it failed",
            ),
        };
        let active_subscriptions = IntGauge::new(
            "graphql_active_subscriptions",
            "GraphQL subscriptions open now",
        )
        .expect("valid gauge");
        registry
            .register(Box::new(active_subscriptions.clone()))
            .expect("unique metric");
        let subscription_streams = IntGauge::new(
            "graphql_subscription_streams",
            "GraphQL subscription streams running now, each shared by the open subscriptions with the same document, variables and caller",
        )
        .expect("valid gauge");
        registry
            .register(Box::new(subscription_streams.clone()))
            .expect("unique metric");
        Self {
            http_requests: counter(
                "http_requests_total",
                "HTTP requests",
                &["route", "method", "status"],
            ),
            http_duration: histogram(
                "http_request_duration_seconds",
                "HTTP request latency",
                &["route"],
            ),
            graphql_operations: counter(
                "graphql_operations_total",
                "GraphQL operations",
                &["operation", "outcome"],
            ),
            active_subscriptions,
            subscription_streams,
            job_runs: counter(
                "job_runs_total",
                "Job deliveries",
                &["queue", "kind", "outcome"],
            ),
            job_duration: histogram("job_duration_seconds", "Job delivery time", &["kind"]),
            health_checks: counter(
                "health_checks_total",
                "Instance health checks",
                &["outcome"],
            ),
            instances: gauge("instances", "Live instances by state", &["state"]),
            servers: gauge("servers", "Servers by state", &["state"]),
            queue_depth: gauge(
                "queue_depth",
                "Jobs waiting or running, by queue",
                &["queue"],
            ),
            pool_connections: gauge(
                "db_pool_connections",
                "Metadata database connections",
                &["state"],
            ),
            backups,
            registry,
        }
    }

    /// Refresh the state gauges from `db` and render everything in the text format.
    pub async fn render(&self, db: &Db) -> crate::Result<String> {
        self.instances.reset();
        for (state, count) in db.count_by_state("instances").await? {
            self.instances.with_label_values(&[&state]).set(count);
        }
        self.servers.reset();
        for (state, count) in db.count_by_state("servers").await? {
            self.servers.with_label_values(&[&state]).set(count);
        }
        for q in Queue::ALL {
            self.queue_depth
                .with_label_values(&[q.name()])
                .set(queue::depth(db, q).await?);
        }
        for g in self.backups.all() {
            g.reset();
        }
        let now = chrono::Utc::now();
        let secs = |d: chrono::TimeDelta| d.num_milliseconds() as f64 / 1e3;
        for row in db.backup_telemetry().await? {
            let labels = [row.instance_id.to_string(), row.name.clone()];
            let labels = [labels[0].as_str(), labels[1].as_str()];
            let b = &self.backups;
            if let Some(at) = row.last_backup_at {
                b.last_backup_age
                    .with_label_values(&labels)
                    .set(secs(now - at));
            }
            if let Some(s) = row.last_backup_seconds {
                b.last_backup_duration.with_label_values(&labels).set(s);
            }
            if let Some(size) = row.last_backup_bytes {
                b.last_backup_size
                    .with_label_values(&labels)
                    .set(size as f64);
            }
            if let Some(until) = row.restorable_until {
                b.archive_lag
                    .with_label_values(&labels)
                    .set(secs(now - until));
            }
            if let Some(failing) = row.archive_failing {
                b.archive_failing
                    .with_label_values(&labels)
                    .set(f64::from(u8::from(failing)));
            }
            if let Some(rto) = row.drill_rto_ms {
                b.drill_rto.with_label_values(&labels).set(rto as f64 / 1e3);
            }
            if let Some(passed) = row.drill_passed {
                b.drill_passed
                    .with_label_values(&labels)
                    .set(f64::from(u8::from(passed)));
            }
        }
        let pool = db.pool();
        let idle = i64::try_from(pool.num_idle()).unwrap_or(i64::MAX);
        self.pool_connections.with_label_values(&["idle"]).set(idle);
        self.pool_connections
            .with_label_values(&["in_use"])
            .set(i64::from(pool.size()) - idle);
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .map_err(|e| anyhow::anyhow!("encode telemetry: {e}"))?;
        Ok(String::from_utf8(out).map_err(|e| anyhow::anyhow!("telemetry is not UTF-8: {e}"))?)
    }
}

/// Times one job delivery and counts its outcome when dropped, on every exit path.
pub(crate) struct JobMeasurer {
    queue: &'static str,
    kind: String,
    start: Instant,
    /// Set to the outcome before the guard drops; `error` when never set (a panic, an early `?`).
    pub(crate) outcome: &'static str,
}

impl JobMeasurer {
    pub(crate) fn new(queue: &'static str, kind: &str) -> Self {
        Self {
            queue,
            kind: kind.to_owned(),
            start: Instant::now(),
            outcome: "error",
        }
    }
}

impl Drop for JobMeasurer {
    fn drop(&mut self) {
        TELEMETRY
            .job_runs
            .with_label_values(&[self.queue, &self.kind, self.outcome])
            .inc();
        TELEMETRY
            .job_duration
            .with_label_values(&[&self.kind])
            .observe(self.start.elapsed().as_secs_f64());
    }
}
