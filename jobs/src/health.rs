//! The health sweep: every running instance is checked every interval, with its own
//! credentials, by one process at a time.
//!
//! One worker process leads (it holds a session advisory lock); the others wait to take over
//! if its connection drops. Each sweep checks every running local instance with at most
//! `concurrency` checks in flight, reusing one connection per instance (up to
//! `max_connections`; beyond that a check connects and disconnects). A check is recorded in
//! the instance's history every time; the instance row, and so an event, changes only when its
//! health changes or its last recorded check is ten intervals old.
//!
//! An instance found unhealthy whose server process is gone is started again by a
//! `recover_instance` operation (unless `auto_restart` is off). When it takes the lead, a
//! process also reports orphans: data directories with no instance, and instances whose data
//! directory is missing. Nothing is deleted. The leader also prunes queue jobs that finished
//! more than a week ago.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions as _, Connection as _, PgConnection};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use crate::backup::ArchiveProbe;
use crate::instance::{HealthCheck, Instance, InstanceId};
use crate::workflow::{Context, Kind};
use crate::{Error, Result};

/// How long jobs whose deliveries kept failing are kept for a human (finished jobs are deleted
/// when acknowledged; operations keep the history users see).
const FAILED_JOB_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// The advisory lock whose holder sweeps ("toygres" in ASCII).
const LEADER_LOCK: i64 = 0x0074_6f79_6772_6573;

/// How the sweep runs.
#[derive(Clone, Debug)]
pub struct HealthConfig {
    /// Time between checks of one instance.
    pub interval: Duration,
    /// Checks in flight at once.
    pub concurrency: usize,
    /// Connections kept open between sweeps.
    pub max_connections: usize,
    /// How long one check may take before it counts as failed.
    pub timeout: Duration,
    /// How long asking an unhealthy instance's host whether its server process is alive may
    /// take; a host that does not answer in time counts as unreachable (the process is not
    /// taken for gone).
    pub host_timeout: Duration,
    /// Start instances whose server died.
    pub auto_restart: bool,
    /// How long audit entries are kept: the sweep prunes older ones.
    pub audit_retention: Duration,
}

impl Default for HealthConfig {
    /// Every 30 s, 16 checks at once, up to 256 kept connections, 5 s per check, 15 s per
    /// host question, auto-restart on, audit entries kept a year.
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(30),
            concurrency: 16,
            max_connections: 256,
            timeout: Duration::from_secs(5),
            host_timeout: Duration::from_secs(15),
            auto_restart: true,
            audit_retention: Duration::from_secs(365 * 24 * 3600),
        }
    }
}

type Pool = Arc<Mutex<HashMap<InstanceId, PgConnection>>>;

/// Lead the sweep whenever no other process does, until `shutdown`.
pub async fn run(cx: Context, config: HealthConfig, shutdown: CancellationToken) {
    let interval = config.interval;
    let mut duty = Sweeper {
        cx,
        config,
        connections: Arc::default(),
        heartbeats: crate::backup::Heartbeats::default(),
    };
    crate::leader::run(
        &duty.cx.db.clone(),
        LEADER_LOCK,
        interval,
        &shutdown,
        "health sweep",
        &mut duty,
    )
    .await;
}

struct Sweeper {
    cx: Context,
    config: HealthConfig,
    connections: Pool,
    heartbeats: crate::backup::Heartbeats,
}

impl crate::leader::Duty for Sweeper {
    async fn on_lead(&mut self) -> Result<()> {
        report_orphans(&self.cx).await
    }

    async fn tick(&mut self) -> Result<()> {
        // Before the checks, which expect every instance to serve TLS.
        crate::tls::renew_due(&self.cx).await?;
        crate::instance::renew_certificates(&self.cx).await?;
        sweep(
            &self.cx,
            &self.config,
            &self.connections,
            &mut self.heartbeats,
        )
        .await?;
        crate::backup::schedule(&self.cx).await?;
        crate::backup::expire(&self.cx).await?;
        crate::drill::schedule(&self.cx).await?;
        crate::instance::observe_pods(&self.cx).await?;
        crate::instance::check_drift(&self.cx).await?;
        let pruned = crate::queue::prune_failed(&self.cx.db, FAILED_JOB_RETENTION).await?;
        if pruned > 0 {
            tracing::info!(pruned, "pruned failed jobs");
        }
        let pruned = self.cx.db.prune_audit(self.config.audit_retention).await?;
        if pruned > 0 {
            tracing::info!(pruned, "pruned audit entries past their retention");
        }
        Ok(())
    }
}

/// Check every running instance once.
async fn sweep(
    cx: &Context,
    config: &HealthConfig,
    connections: &Pool,
    heartbeats: &mut crate::backup::Heartbeats,
) -> Result<()> {
    let instances = cx.db.instances_to_check(false).await?;
    let live: std::collections::HashSet<InstanceId> = instances.iter().map(|(i, _)| i.id).collect();
    connections.lock().await.retain(|id, _| live.contains(id));
    heartbeats.retain(&live);
    // Each check, and each question to a host, has its own deadline, and they run
    // concurrently: a host that hangs costs its own instances a timeout, never the sweep.
    let results: Vec<(Instance, HealthCheck, Option<ArchiveProbe>, bool)> =
        futures::stream::iter(instances)
            .map(|(inst, password)| async move {
                // Instances that archive their WAL get a heartbeat commit and an archiver
                // reading with their check (see `backup`).
                let archives = crate::backup::repository_for(&inst, cx.backup.as_ref()).is_ok();
                let (check, probe) = check(
                    &inst,
                    &password,
                    config,
                    connections,
                    archives,
                    cx.tls.pem(),
                )
                .await;
                let gone = !check.healthy
                    && config.auto_restart
                    && !fails_over(&inst, cx).await
                    && process_gone(&inst, cx, config.host_timeout).await;
                (inst, check, probe, gone)
            })
            .buffer_unordered(config.concurrency.max(1))
            .collect()
            .await;
    let due = chrono::Duration::from_std(config.interval * 10).unwrap_or(chrono::Duration::MAX);
    for (inst, check, probe, gone) in results {
        if let Some(probe) = probe {
            heartbeats.observe(cx, &inst, probe).await?;
        }
        let outcome = if check.healthy {
            "healthy"
        } else {
            "unhealthy"
        };
        crate::telemetry::TELEMETRY
            .health_checks
            .with_label_values(&[outcome])
            .inc();
        let refresh = inst
            .last_checked_at
            .is_none_or(|at| check.checked_at - at >= due);
        if cx.db.record_health(inst.id, &check, refresh).await? {
            tracing::info!(instance = %inst.id, healthy = check.healthy, "instance health changed");
        }
        // A local or server instance whose process is gone is restarted here; Kubernetes
        // restarts its own pods.
        if gone {
            match crate::instance::change(&cx.db, inst.id, Kind::RecoverInstance, None).await {
                Ok(op) => {
                    tracing::warn!(instance = %inst.id, operation = %op.id, "instance server is gone; restarting it")
                }
                // Another operation is on it already, or it changed state meanwhile.
                Err(Error::Conflict(_) | Error::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

/// Check instance `inst` once, at `address` and `port`, with its `password`, on a connection of
/// its own: what the workflows that leave an instance running record with its new state, so
/// that its health is known when the operation ends rather than at the next sweep.
pub(crate) async fn check_at(
    inst: &Instance,
    address: &str,
    port: u16,
    password: &str,
    ca: &str,
) -> HealthCheck {
    let at = Instance {
        host: Some(address.to_owned()),
        port: Some(i32::from(port)),
        ..inst.clone()
    };
    check(
        &at,
        password,
        &HealthConfig::default(),
        &Pool::default(),
        false,
        ca,
    )
    .await
    .0
}

/// Whether a lost primary of `inst` is the failover watcher's to handle: a standby of it
/// streamed at the last reading (see `instance::failover`). Otherwise it is restarted in
/// place, as an instance without standbys is.
async fn fails_over(inst: &Instance, cx: &Context) -> bool {
    use crate::instance::standbys::StandbyState;
    inst.standbys > 0
        && cx.db.standbys(inst.id).await.is_ok_and(|all| {
            all.iter().any(|s| {
                !s.rebuild && matches!(s.state, StandbyState::Streaming | StandbyState::Lagging)
            })
        })
}

/// Whether the process of a local or server instance is gone (and not merely slow). A host we
/// cannot ask, or that does not answer within `within`, counts as not gone: the instance may
/// be moving, or its server unreachable.
async fn process_gone(inst: &Instance, cx: &Context, within: Duration) -> bool {
    use crate::instance::Provider;
    if !matches!(inst.provider, Provider::Local | Provider::Server) {
        return false;
    }
    let ask = async {
        match crate::instance::host_of(inst, cx).await {
            Ok(host) => matches!(host.is_running(&inst.resource_name()).await, Ok(false)),
            Err(_) => false,
        }
    };
    match tokio::time::timeout(within, ask).await {
        Ok(gone) => gone,
        Err(_) => {
            tracing::warn!(instance = %inst.id, "its host did not answer within {within:?}");
            false
        }
    }
}

/// Connect (or reuse a connection) with the instance's own credentials and ask its version;
/// with `archives`, also make a heartbeat commit and read the archiver's progress.
async fn check(
    inst: &Instance,
    password: &str,
    config: &HealthConfig,
    connections: &Pool,
    archives: bool,
    ca: &str,
) -> (HealthCheck, Option<ArchiveProbe>) {
    let checked_at = chrono::Utc::now();
    let cached = connections.lock().await.remove(&inst.id);
    let mut outcome = match cached {
        Some(conn) => query(conn, config.timeout).await,
        None => Err("no connection".to_owned()),
    };
    if outcome.is_err() {
        // A cached connection may have died with a restart; try once afresh.
        outcome = match connect(inst, password, config.timeout, ca).await {
            Ok(conn) => query(conn, config.timeout).await,
            Err(e) => Err(e),
        };
    }
    match outcome {
        Ok((mut conn, version, latency)) => {
            let probe = if archives {
                probe_archiving(&mut conn, config.timeout).await
            } else {
                None
            };
            let mut pool = connections.lock().await;
            if pool.len() < config.max_connections {
                pool.insert(inst.id, conn);
            }
            let check = HealthCheck {
                checked_at,
                healthy: true,
                latency_ms: Some(latency.as_secs_f64() * 1e3),
                server_version: Some(version),
                error: None,
            };
            (check, probe)
        }
        Err(error) => {
            let check = HealthCheck {
                checked_at,
                healthy: false,
                latency_ms: None,
                server_version: None,
                error: Some(error),
            };
            (check, None)
        }
    }
}

/// A heartbeat commit (a transaction that takes an id writes a timestamped commit record),
/// then the WAL file now being written, which holds it, and the archiver's progress. Every
/// name is schema-qualified: the connection is the tenant's, whose search path is theirs.
/// `None` if the instance did not answer (a read-only role refuses only the heartbeat).
async fn probe_archiving(conn: &mut PgConnection, timeout: Duration) -> Option<ArchiveProbe> {
    type Row = (
        String,
        Option<String>,
        Option<chrono::DateTime<chrono::Utc>>,
        Option<String>,
        Option<chrono::DateTime<chrono::Utc>>,
    );
    let probe = async {
        let beat: Option<chrono::DateTime<chrono::Utc>> =
            sqlx::query_scalar("SELECT pg_catalog.now() FROM pg_catalog.txid_current()")
                .fetch_one(&mut *conn)
                .await
                .ok();
        let row: Row = sqlx::query_as(
            "SELECT pg_catalog.pg_walfile_name(pg_catalog.pg_current_wal_lsn()), \
                    a.last_archived_wal, a.last_archived_time, a.last_failed_wal, a.last_failed_time \
             FROM pg_catalog.pg_stat_archiver a",
        )
        .fetch_one(&mut *conn)
        .await
        .ok()?;
        Some(ArchiveProbe {
            heartbeat: beat.map(|at| (at, row.0)),
            last_archived: row.1.zip(row.2),
            last_failed: row.3.zip(row.4),
        })
    };
    tokio::time::timeout(timeout, probe).await.ok().flatten()
}

async fn connect(
    inst: &Instance,
    password: &str,
    timeout: Duration,
    ca: &str,
) -> Result<PgConnection, String> {
    let (Some(host), Some(port)) = (
        inst.host.as_deref(),
        inst.port.and_then(|p| u16::try_from(p).ok()),
    ) else {
        return Err("no address yet".to_owned());
    };
    let opts = PgConnectOptions::new()
        .host(host)
        .port(port)
        .username(&inst.username)
        .password(password)
        .database(&inst.database_name)
        .application_name("toygres-health")
        .options([providers::login::PINNED_SEARCH_PATH])
        .disable_statement_logging();
    let opts = crate::tls::client_options(opts, inst, ca);
    match tokio::time::timeout(timeout, PgConnection::connect_with(&opts)).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(format!("connect: {e}")),
        Err(_) => Err(format!("connect: no answer within {timeout:?}")),
    }
}

async fn query(
    mut conn: PgConnection,
    timeout: Duration,
) -> Result<(PgConnection, String, Duration), String> {
    let start = Instant::now();
    match tokio::time::timeout(
        timeout,
        sqlx::query_scalar::<_, String>("SHOW server_version").fetch_one(&mut conn),
    )
    .await
    {
        Ok(Ok(version)) => Ok((conn, version, start.elapsed())),
        Ok(Err(e)) => Err(format!("query: {e}")),
        Err(_) => Err(format!("query: no answer within {timeout:?}")),
    }
}

/// Report data directories with no instance and instances with no data directory.
async fn report_orphans(cx: &Context) -> Result<()> {
    let instances = cx.db.live_local_instances().await?;
    let names: std::collections::HashSet<String> =
        instances.iter().map(Instance::resource_name).collect();
    let present: Vec<String> = cx.local.instance_names().await.unwrap_or_default();
    for dir in &present {
        if !names.contains(dir) {
            let path = cx.local.instance_dir(dir);
            tracing::warn!(path = %path.display(), "data directory with no instance");
            cx.db
                .cluster_event(
                    "orphan_data_directory",
                    "warning",
                    &format!(
                        "data directory {} belongs to no instance; it was left in place",
                        path.display()
                    ),
                    None,
                    serde_json::json!({"path": path}),
                )
                .await?;
        }
    }
    let present: std::collections::HashSet<String> = present.into_iter().collect();
    for inst in instances {
        let made = inst.port.is_some() && inst.state != crate::instance::InstanceState::Creating;
        if made && !present.contains(&inst.resource_name()) {
            tracing::warn!(instance = %inst.id, "instance has no data directory");
            cx.db
                .cluster_event(
                    "missing_data_directory",
                    "critical",
                    &format!("instance {} has no data directory", inst.name),
                    Some(inst.id),
                    serde_json::json!({"path": cx.local.instance_dir(&inst.resource_name())}),
                )
                .await?;
        }
    }
    Ok(())
}
