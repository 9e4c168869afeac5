//! The job queue: enqueueing operation jobs and running the worker pools, on our own tables
//! (`queue_jobs`, `queue_workers`; their SQL is in `db::queue`).
//!
//! Every job says only "move operation X on": the operation row holds the workflow's state.
//! Jobs are inserted inside the caller's transaction, so an operation and its job commit
//! together; a trigger wakes idle workers (LISTEN/NOTIFY, one notification per queue per
//! transaction) at that commit, and delayed jobs are found by polling.
//!
//! ```text
//!   fetch ── up to `batch_size` due jobs taken (FOR UPDATE SKIP LOCKED) and their
//!            operations marked running, one statement
//!   run   ── each job on its own task, at most `concurrency` at once per pool
//!   ack   ── finished jobs deleted and their outcome recorded (succeeded, the next
//!            delivery of a nap or a retry), many per transaction, WAL flushed
//!   announce ── the changes of each fetch and acknowledgement, right after it committed
//!            (see `db::queue` for why not while committing), in order, by one task per
//!            process; a fetch's jobs start once its changes are out, so that nothing they
//!            change later is heard first
//! ```
//!
//! Each [`Queue`] has its own worker pools and concurrency, so housekeeping never starves user
//! work. A worker process renews its lease every `heartbeat`; one silent for longer than
//! `heartbeat × (missed_heartbeats + 1)` is taken for dead by any live one, and the jobs it
//! held are due again, their next delivery counting the try they were on.

use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt as _;
use futures::future::BoxFuture;
use sqlx::postgres::PgListener;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc, oneshot};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::Result;
use crate::db::{Ack, Announcements, Db, Fetched, Finish, WAKE_CHANNEL};
use crate::workflow::Context;

/// Deliveries a job gets when the delivery itself fails (the database, a panic), after 1 s,
/// 2 s, 4 s and 8 s; then it stays `failed` for a human. Workflow errors are not these: they
/// are recorded on the operation and retried with backoff by the engine.
const MAX_DELIVERIES: i32 = 5;
/// The most acknowledgements written in one transaction.
const MAX_ACK_BATCH: usize = 1024;
/// The first wait before writing acknowledgements again after the database failed; it
/// doubles up to [`ACK_RETRY_MAX`].
const ACK_RETRY_MIN: Duration = Duration::from_millis(100);
/// The longest wait between tries to write acknowledgements.
const ACK_RETRY_MAX: Duration = Duration::from_secs(5);
/// Connections of the queue's own (see `serve`): the fetch loops, the acknowledgement
/// writers, the announcer and the lease share them.
const BOOKKEEPING_CONNECTIONS: u32 = 4;
/// How long a fetch in a backlog waits for more of the pool's slots to come free, so that
/// it takes a full batch (see `Pool::run`).
const BACKLOG_LINGER: Duration = Duration::from_millis(2);
/// How long to wait before listening again after the listener's connection failed.
const RELISTEN_DELAY: Duration = Duration::from_secs(1);

/// A worker pool. Stored in `queue_jobs.queue`: never rename one without a migration.
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

/// How the worker pools run (`engine::run_workers`).
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// Pools per queue in this process, each with its own fetch loop and `concurrency`.
    pub workers_per_queue: usize,
    /// Jobs run at once, per pool.
    pub concurrency: usize,
    /// Jobs fetched at most per fetch, per pool (at most `concurrency`, so no process hoards
    /// work).
    pub batch_size: usize,
    /// How often this process renews its lease on the jobs it runs.
    pub heartbeat: Duration,
    /// Heartbeats a process may miss before its jobs go to another.
    pub missed_heartbeats: usize,
    /// How often idle pools look for delayed jobs that came due (new jobs wake them at once).
    pub poll_interval: Duration,
    /// How long running jobs may take to finish after shutdown starts.
    pub shutdown_timeout: Duration,
}

impl Default for WorkerConfig {
    /// 8 jobs at once per queue, heartbeat every 10 s, jobs of a process silent for 40 s
    /// delivered again, delayed jobs found within 1 s, 30 s to finish on shutdown.
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

impl WorkerConfig {
    /// How long a process may stay silent before its jobs go to another.
    fn lease(&self) -> Duration {
        let beats = u32::try_from(self.missed_heartbeats.max(1) + 1).unwrap_or(u32::MAX);
        self.heartbeat.saturating_mul(beats)
    }
}

/// Jobs on `queue` not yet finished.
pub async fn depth(db: &Db, queue: Queue) -> Result<i64> {
    db.queue_depth(queue.name()).await
}

/// Delete jobs whose deliveries kept failing, made more than `older_than` ago (finished jobs
/// are deleted when acknowledged; operations keep the history).
pub async fn prune_failed(db: &Db, older_than: Duration) -> Result<u64> {
    db.prune_failed_jobs(older_than).await
}

/// What a delivery of a job does: move the operation on, and say how the delivery ended. The
/// engine's, given by the engine, so that the queue never calls the engine by name.
pub(crate) type Deliver = fn(Fetched, Context) -> BoxFuture<'static, Result<Finish>>;

/// Run the worker pools of every queue until `shutdown`, each delivery handed to `deliver`;
/// then stop fetching, give running jobs up to `shutdown_timeout` to finish, and hand back
/// those that did not.
pub(crate) async fn serve(
    cx: Context,
    config: WorkerConfig,
    shutdown: CancellationToken,
    deliver: Deliver,
) -> Result<()> {
    // A fresh id per process start: a restarted process must not inherit the jobs its
    // predecessor held, which come back once that one's lease runs out.
    let worker = Uuid::now_v7();
    // The queue's own statements (fetch, acknowledge, announce, the lease) run on a few
    // connections of their own: a workflow's queries can never hold up the queue, and each
    // connection plans those statements once (PostgreSQL plans a prepared statement afresh on
    // each connection for its first runs), where the shared pool would spread them over many.
    let books = Db::connect(
        (*cx.db.pool().connect_options()).clone(),
        BOOKKEEPING_CONNECTIONS,
    )
    .await?;
    books.heartbeat(worker).await?;

    let mut wakers: HashMap<&'static str, Vec<Arc<Notify>>> = HashMap::new();
    let (announcer, owed) = mpsc::unbounded_channel();
    let mut pools = Vec::new();
    for queue in Queue::ALL {
        for _ in 0..config.workers_per_queue.max(1) {
            let wake = Arc::new(Notify::new());
            wakers.entry(queue.name()).or_default().push(wake.clone());
            pools.push(Pool {
                queue,
                worker,
                cx: cx.clone(),
                books: books.clone(),
                config: config.clone(),
                wake,
                deliver,
                announcer: announcer.clone(),
            });
        }
    }
    drop(announcer);
    // Listen before the first fetch, so that no job committed after that fetch goes unseen.
    let stop_helpers = CancellationToken::new();
    let listener = Listener::start(&cx.db, wakers, stop_helpers.clone()).await?;
    // In a set, so that dropping this future (a process dying, in tests) stops them too.
    let mut helpers = JoinSet::new();
    helpers.spawn(listener.run());
    // Ends once every pool has stopped (and dropped its sender), after the last announcement.
    helpers.spawn(announce(books.clone(), owed));
    helpers.spawn(keep_alive(
        books.clone(),
        worker,
        config.clone(),
        stop_helpers.clone(),
    ));

    let mut running = JoinSet::new();
    for pool in pools {
        running.spawn(pool.run(shutdown.clone()));
    }
    while running.join_next().await.is_some() {}
    stop_helpers.cancel();
    while helpers.join_next().await.is_some() {}
    match books.retire_worker(worker).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(jobs = n, "jobs still running at shutdown handed back"),
        Err(e) => tracing::error!("failed to hand back jobs at shutdown: {e:#}"),
    }
    books.pool().close().await;
    Ok(())
}

/// One worker pool: a fetch loop for one queue, its running jobs, and their acknowledgements.
struct Pool {
    /// The queue it serves.
    queue: Queue,
    /// This process's worker id, which holds the jobs it takes.
    worker: Uuid,
    /// What deliveries need.
    cx: Context,
    /// The queue's own connections, for its bookkeeping.
    books: Db,
    /// Concurrency, batch size, poll interval, shutdown timeout.
    config: WorkerConfig,
    /// Notified when jobs of this queue became due.
    wake: Arc<Notify>,
    /// Runs one delivery.
    deliver: Deliver,
    /// Where the announcements owed by fetches and acknowledgements go, in order.
    announcer: mpsc::UnboundedSender<Owed>,
}

impl Pool {
    /// Fetch and run jobs until `shutdown`; then wait for the running ones up to the shutdown
    /// timeout and write the last acknowledgements.
    async fn run(self, shutdown: CancellationToken) {
        let concurrency = self.config.concurrency.max(1);
        let batch = self.config.batch_size.clamp(1, concurrency);
        let slots = Arc::new(Semaphore::new(concurrency));
        let (acks, received) = mpsc::channel(concurrency * 4);
        let mut acknowledging = JoinSet::new();
        acknowledging.spawn(acknowledge(
            self.books.clone(),
            self.worker,
            received,
            self.announcer.clone(),
            shutdown.clone(),
        ));
        let mut jobs = JoinSet::new();
        // Whether the last fetch came back full: more due jobs are likely waiting.
        let mut backlog = false;
        'fetching: loop {
            let first = tokio::select! {
                () = shutdown.cancelled() => break 'fetching,
                permit = slots.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            };
            let mut permits = vec![first];
            // In a backlog, the slots of the batch just run come free within moments of each
            // other: wait a little for them, so that one fetch takes many jobs rather than
            // many fetches one each. Otherwise take the free slots at once.
            let linger = backlog.then(|| tokio::time::Instant::now() + BACKLOG_LINGER);
            while permits.len() < batch {
                let more = match (slots.clone().try_acquire_owned(), linger) {
                    (Ok(permit), _) => Some(permit),
                    (Err(_), Some(until)) => {
                        let permit = tokio::time::timeout_at(until, slots.clone().acquire_owned());
                        permit
                            .await
                            .ok()
                            .map(|p| p.expect("the semaphore is never closed"))
                    }
                    (Err(_), None) => None,
                };
                match more {
                    Some(permit) => permits.push(permit),
                    None => break,
                }
            }
            let wanted = permits.len();
            let fetched = match self
                .books
                .fetch(self.queue.name(), self.worker, wanted)
                .await
            {
                Ok((fetched, announcements)) => {
                    // Out before the jobs run: what they change next (a step, a failure) is
                    // heard after "running", never before it.
                    let (sent, out) = oneshot::channel();
                    let owed = Owed {
                        announcements,
                        sent: Some(sent),
                    };
                    if self.announcer.send(owed).is_ok() {
                        drop(out.await);
                    }
                    fetched
                }
                Err(e) => {
                    tracing::warn!(queue = self.queue.name(), "failed to fetch jobs: {e:#}");
                    Vec::new()
                }
            };
            backlog = fetched.len() == wanted;
            let mut seen = HashSet::new();
            for (job, permit) in fetched.into_iter().zip(permits) {
                if !seen.insert(job.operation_id) {
                    // A second job of an operation this batch already runs: one is enough.
                    drop(permit);
                    let done = Ack {
                        job_id: job.job_id,
                        queue: self.queue.name(),
                        operation_id: job.operation_id,
                        finish: Finish::Nothing,
                    };
                    drop(acks.send(done).await);
                    continue;
                }
                jobs.spawn(self.run_job(job, permit, acks.clone()));
            }
            while jobs.try_join_next().is_some() {}
            if !backlog {
                tokio::select! {
                    () = shutdown.cancelled() => break 'fetching,
                    () = self.wake.notified() => {}
                    () = tokio::time::sleep(self.config.poll_interval) => {}
                }
            }
        }
        let finished = tokio::time::timeout(self.config.shutdown_timeout, async {
            while jobs.join_next().await.is_some() {}
        })
        .await;
        if finished.is_err() {
            // Their jobs stay held by this worker until `serve` hands them back.
            jobs.abort_all();
        }
        drop(acks);
        while acknowledging.join_next().await.is_some() {}
    }

    /// Run one job's delivery, and queue its acknowledgement. A delivery that fails or panics
    /// gives its job back for a later delivery.
    fn run_job(
        &self,
        job: Fetched,
        permit: OwnedSemaphorePermit,
        acks: mpsc::Sender<Ack>,
    ) -> impl Future<Output = ()> + Send + 'static {
        let (db, worker, queue, deliver, cx) = (
            self.books.clone(),
            self.worker,
            self.queue,
            self.deliver,
            self.cx.clone(),
        );
        async move {
            let (job_id, operation, deliveries) = (job.job_id, job.operation_id, job.deliveries);
            let failed = match AssertUnwindSafe(deliver(job, cx)).catch_unwind().await {
                Ok(Ok(finish)) => {
                    let ack = Ack {
                        job_id,
                        queue: queue.name(),
                        operation_id: operation,
                        finish,
                    };
                    // Only fails when the pool stopped; the job is then handed back.
                    drop(acks.send(ack).await);
                    return drop(permit);
                }
                Ok(Err(e)) => {
                    tracing::error!(%operation, "failed to run operation: {e:#}");
                    format!("{e:#}")
                }
                Err(_) => {
                    tracing::error!(%operation, "operation step panicked");
                    "the delivery panicked".to_owned()
                }
            };
            drop(permit);
            let delay = delivery_retry(deliveries);
            if let Err(e) = db
                .fail_delivery(worker, job_id, MAX_DELIVERIES, delay, &failed)
                .await
            {
                // It stays held by this worker: handed back at shutdown, or taken over by
                // another once this one's lease runs out.
                tracing::error!(%operation, "failed to give a job back: {e:#}");
            }
        }
    }
}

/// The wait before a job whose `deliveries`-th delivery failed is delivered again: 1 s, 2 s,
/// 4 s, 8 s.
fn delivery_retry(deliveries: i32) -> Duration {
    let doublings = u32::try_from(deliveries.saturating_sub(1))
        .unwrap_or(0)
        .min(3);
    Duration::from_secs(1 << doublings)
}

/// Write the acknowledgements `received`, as many per transaction as have arrived while the
/// last one was being written. A failed write is tried again with backoff, and once shutdown
/// has begun, given up after one more try (the jobs are then delivered again).
async fn acknowledge(
    db: Db,
    worker: Uuid,
    mut received: mpsc::Receiver<Ack>,
    announcer: mpsc::UnboundedSender<Owed>,
    shutdown: CancellationToken,
) {
    let mut batch = Vec::new();
    while let Some(first) = received.recv().await {
        batch.push(first);
        while batch.len() < MAX_ACK_BATCH {
            match received.try_recv() {
                Ok(ack) => batch.push(ack),
                Err(_) => break,
            }
        }
        let mut wait = ACK_RETRY_MIN;
        loop {
            match db.acknowledge(worker, &batch).await {
                Ok(announcements) => {
                    // Not waited for: the next acknowledgements need not wait for these.
                    drop(announcer.send(Owed {
                        announcements,
                        sent: None,
                    }));
                    break;
                }
                Err(e) if shutdown.is_cancelled() && wait > ACK_RETRY_MIN => {
                    tracing::error!(jobs = batch.len(), "failed to acknowledge jobs: {e:#}");
                    break;
                }
                Err(e) => {
                    tracing::warn!(
                        jobs = batch.len(),
                        "failed to acknowledge jobs, retrying: {e:#}"
                    );
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(ACK_RETRY_MAX);
                }
            }
        }
        batch.clear();
    }
}

/// Announcements owed by a fetch or an acknowledgement, and who waits for them to be out.
struct Owed {
    announcements: Announcements,
    sent: Option<oneshot::Sender<()>>,
}

/// Send the announcements `owed` by this process's fetches and acknowledgements, in the order
/// they committed, as many per statement as are waiting, and tell whoever waits; until every
/// sender is gone.
async fn announce(db: Db, mut owed: mpsc::UnboundedReceiver<Owed>) {
    while let Some(first) = owed.recv().await {
        let mut batch = first.announcements;
        let mut waiting: Vec<_> = first.sent.into_iter().collect();
        while let Ok(next) = owed.try_recv() {
            batch.append(next.announcements);
            waiting.extend(next.sent);
        }
        db.announce(batch).await;
        for sent in waiting {
            // The fetch that waited may have stopped since; nobody to tell then.
            let _ = sent.send(());
        }
    }
}

/// Renew this process's lease every heartbeat, and take back the jobs of processes whose
/// lease ran out, until `stop`.
async fn keep_alive(db: Db, worker: Uuid, config: WorkerConfig, stop: CancellationToken) {
    let mut tick = tokio::time::interval(config.heartbeat);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        if let Err(e) = db.heartbeat(worker).await {
            tracing::warn!("failed to renew the workers' lease: {e:#}");
        }
        match db.reclaim_from_dead_workers(config.lease()).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(jobs = n, "took back the jobs of a worker that stopped"),
            Err(e) => tracing::warn!("failed to look for stopped workers: {e:#}"),
        }
    }
}

/// This process's one LISTEN connection, waking the pools of the queue each notification
/// names.
struct Listener {
    listener: PgListener,
    wakers: HashMap<&'static str, Vec<Arc<Notify>>>,
    stop: CancellationToken,
}

impl Listener {
    /// Listen on [`WAKE_CHANNEL`]; returns once the LISTEN is in place.
    async fn start(
        db: &Db,
        wakers: HashMap<&'static str, Vec<Arc<Notify>>>,
        stop: CancellationToken,
    ) -> Result<Self> {
        let mut listener = PgListener::connect_with(db.pool()).await?;
        listener.listen(WAKE_CHANNEL).await?;
        Ok(Self {
            listener,
            wakers,
            stop,
        })
    }

    async fn run(mut self) {
        loop {
            let received = tokio::select! {
                () = self.stop.cancelled() => return,
                r = self.listener.try_recv() => r,
            };
            match received {
                Ok(Some(n)) => {
                    for wake in self.wakers.get(n.payload()).into_iter().flatten() {
                        wake.notify_one();
                    }
                }
                // The connection dropped and sqlx listens again on the next call; wake every
                // pool for what was announced in between.
                Ok(None) => self.wake_all(),
                Err(e) => {
                    tracing::warn!("job listener failed: {e:#}");
                    self.wake_all();
                    tokio::select! {
                        () = self.stop.cancelled() => return,
                        () = tokio::time::sleep(RELISTEN_DELAY) => {}
                    }
                }
            }
        }
    }

    fn wake_all(&self) {
        for wake in self.wakers.values().flatten() {
            wake.notify_one();
        }
    }
}
