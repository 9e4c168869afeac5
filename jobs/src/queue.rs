//! The only module that names apalis: enqueueing operation jobs and running the worker pools.
//!
//! Every job is `RunOperation { operation_id }`: the operation row holds the workflow's state,
//! the job only says "move this operation on". Jobs are inserted with plain SQL inside the
//! caller's transaction, so an operation and its job commit together; apalis's insert trigger
//! wakes idle workers (LISTEN/NOTIFY) at that commit, and delayed jobs are found by polling.
//!
//! Each [`Queue`] has its own worker pool and concurrency, so housekeeping never starves user
//! work. A worker that dies holds its jobs until it misses `missed_heartbeats` heartbeats; then
//! a live worker on the same queue re-enqueues them, and their next delivery counts as a retry.

use std::time::Duration;

use apalis::prelude::*;
use apalis_postgres::{Config as PgConfig, PostgresStorage};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use futures::future::BoxFuture;

use crate::Result;
use crate::db::Db;
use crate::operation::OperationId;
use crate::workflow::Context;

/// How many deliveries a job gets from the queue itself. Our handler fails a delivery only
/// when the database does (workflow errors are recorded on the operation and retried with
/// backoff by the engine), so these are immediate retries after an infrastructure blip.
const MAX_DELIVERIES: i32 = 5;

/// A worker pool. Stored in `apalis.jobs.job_type`: never rename one without a migration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Queue {
    /// Creating servers.
    Provision,
    /// Deploying and changing Postgres instances.
    Deploy,
    /// Draining servers.
    Drain,
    /// Deleting instances and servers.
    Delete,
    /// Backups: long copies that must not hold up deploys.
    Backup,
    /// Diagnostics and housekeeping.
    System,
}

impl Queue {
    /// Every queue.
    pub const ALL: [Queue; 6] = [
        Queue::Provision,
        Queue::Deploy,
        Queue::Drain,
        Queue::Delete,
        Queue::Backup,
        Queue::System,
    ];

    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            Queue::Provision => "provision",
            Queue::Deploy => "deploy",
            Queue::Drain => "drain",
            Queue::Delete => "delete",
            Queue::Backup => "backup",
            Queue::System => "system",
        }
    }
}

/// The one job type: move an operation on.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunOperation {
    /// The operation to run.
    pub operation_id: Uuid,
}

/// How the worker pools run (`engine::run_workers`).
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// Fetching workers per queue. Each fetches a batch, runs it, and acknowledges it;
    /// several overlap those round trips.
    pub workers_per_queue: usize,
    /// Jobs run at once, per worker.
    pub concurrency: usize,
    /// Jobs fetched per poll, per queue (at most `concurrency`, so no process hoards work).
    pub batch_size: usize,
    /// How often each worker proves it is alive.
    pub heartbeat: Duration,
    /// Heartbeats a worker may miss before its jobs go to another worker.
    pub missed_heartbeats: usize,
    /// How often idle workers look for delayed jobs that came due (new jobs wake them at once).
    pub poll_interval: Duration,
    /// How long running jobs may take to finish after shutdown starts.
    pub shutdown_timeout: Duration,
}

impl Default for WorkerConfig {
    /// 8 jobs at once per queue, heartbeat every 10 s, jobs of a worker silent for 30 s
    /// re-enqueued, delayed jobs found within 1 s, 30 s to finish on shutdown.
    fn default() -> Self {
        Self {
            workers_per_queue: 1,
            concurrency: 8,
            batch_size: 8,
            heartbeat: Duration::from_secs(10),
            missed_heartbeats: 3,
            poll_interval: Duration::from_secs(1),
            shutdown_timeout: Duration::from_secs(30),
        }
    }
}

/// Create or upgrade apalis's own tables (schema `apalis`), which are not ours to migrate.
pub async fn setup(db: &Db) -> Result<()> {
    PostgresStorage::<()>::setup(db.pool())
        .await
        .map_err(|e| anyhow::anyhow!("set up the job queue: {e}"))?;
    Ok(())
}

/// Enqueue a delivery of `operation` on `queue`, due after `delay`, inside the caller's
/// transaction. The job id is a ULID (apalis's id type) made from a fresh UUIDv7, so ids sort
/// by creation time.
pub(crate) async fn enqueue(
    conn: &mut PgConnection,
    queue: Queue,
    operation: OperationId,
    delay: Duration,
) -> Result<()> {
    let id = ulid::Ulid::from_bytes(*Uuid::now_v7().as_bytes()).to_string();
    let args = serde_json::to_vec(&RunOperation {
        operation_id: operation.0,
    })
    .map_err(anyhow::Error::from)?;
    // `run_at = now()` (not a client timestamp) so that apalis's insert trigger, which only
    // announces jobs already due, fires for undelayed jobs.
    sqlx::query(
        "INSERT INTO apalis.jobs (id, job_type, job, status, attempts, max_attempts, run_at, priority) \
         VALUES ($1, $2, $3, 'Pending', 0, $4, now() + make_interval(secs => $5), 0)",
    )
    .bind(id)
    .bind(queue.name())
    .bind(args)
    .bind(MAX_DELIVERIES)
    .bind(delay.as_secs_f64())
    .execute(conn)
    .await?;
    Ok(())
}

/// Jobs on `queue` not yet finished.
pub async fn depth(db: &Db, queue: Queue) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM apalis.jobs \
         WHERE job_type = $1 AND status IN ('Pending', 'Queued', 'Running')",
    )
    .bind(queue.name())
    .fetch_one(db.pool())
    .await?)
}

/// Delete jobs that finished (done, killed, or failed with no tries left) more than
/// `older_than` ago: apalis keeps every job row forever otherwise. Operations keep the
/// user-visible history.
pub async fn prune_finished(db: &Db, older_than: Duration) -> Result<u64> {
    Ok(sqlx::query(
        "DELETE FROM apalis.jobs \
         WHERE (status IN ('Done', 'Killed') OR (status = 'Failed' AND attempts >= max_attempts)) \
           AND done_at < now() - make_interval(secs => $1)",
    )
    .bind(older_than.as_secs_f64())
    .execute(db.pool())
    .await?
    .rows_affected())
}

/// What a delivery of a job does: move the operation on (`redelivered` when an earlier
/// delivery of the same job did not finish). The engine's `run`, given by the engine, so
/// that the queue never calls the engine by name.
pub(crate) type Deliver = fn(OperationId, bool, Context) -> BoxFuture<'static, Result<()>>;

/// What each worker holds.
#[derive(Clone)]
struct Worker {
    cx: Context,
    deliver: Deliver,
}

/// Run one worker pool per queue until `shutdown`, each delivery handed to `deliver`; then
/// stop fetching and give running jobs up to `shutdown_timeout` to finish.
pub(crate) async fn serve(
    cx: Context,
    config: WorkerConfig,
    shutdown: CancellationToken,
    deliver: Deliver,
) -> Result<()> {
    // Worker names must be unique per process start: a restarted process that reused its
    // predecessor's name would keep that predecessor's orphaned jobs locked for good.
    let instance = ulid::Ulid::from_bytes(*Uuid::now_v7().as_bytes());
    let mut monitor = Monitor::new();
    for (queue, n) in Queue::ALL
        .into_iter()
        .flat_map(|q| (0..config.workers_per_queue.max(1)).map(move |n| (q, n)))
    {
        let worker = Worker {
            cx: cx.clone(),
            deliver,
        };
        let config = config.clone();
        monitor = monitor.register(move |restarts| {
            let storage = PostgresStorage::<RunOperation>::new(worker.cx.db.pool()).with_config(
                PgConfig::default()
                    .queue(queue.name())
                    .batch_size(config.batch_size.clamp(1, config.concurrency.max(1)))
                    .heartbeat_interval(config.heartbeat)
                    .missed_heartbeats(config.missed_heartbeats),
            );
            let backend = storage
                .with_pubsub()
                .poll_with_interval(config.poll_interval);
            WorkerBuilder::new(format!("{}-{instance}-{n}-{restarts}", queue.name()))
                .backend(backend)
                .data(worker.clone())
                .concurrency(config.concurrency)
                .build(handle)
        });
    }
    monitor
        .should_restart(|ctx, err| {
            tracing::warn!(worker = ctx.name(), "worker stopped, restarting: {err}");
            true
        })
        .shutdown_timeout(config.shutdown_timeout)
        .run_with_signal(async move {
            shutdown.cancelled().await;
            Ok(())
        })
        .await
        .map_err(|e| anyhow::anyhow!("run worker pools: {e}"))?;
    Ok(())
}

/// Adapt apalis's handler shape to the engine's. A panic in a workflow fails this delivery
/// (the queue redelivers it) instead of leaving the job marked running.
async fn handle(
    job: RunOperation,
    attempt: Attempt,
    worker: Data<Worker>,
) -> Result<(), BoxDynError> {
    let redelivered = attempt.current() > 1;
    let operation = OperationId(job.operation_id);
    let run = tokio::spawn((worker.deliver)(operation, redelivered, worker.cx.clone()));
    match run.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => {
            tracing::error!(%operation, "failed to run operation: {e:#}");
            Err(e.into())
        }
        Err(join) => {
            tracing::error!(%operation, "operation step panicked: {join}");
            Err(join.into())
        }
    }
}
