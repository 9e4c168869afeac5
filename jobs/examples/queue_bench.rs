//! Benchmark of the job engine: no-op operations through the same code the product uses
//! (`engine::start` writes the operation, its timeline and its job in one statement; the
//! worker pools fetch jobs in batches, marking their operations running; the step engine runs
//! each; the acknowledgements record the outcomes in batches).
//!
//! ```sh
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!   cargo run --release -p jobs --features script-workflow --example queue_bench -- [jobs] [concurrency] [workers]
//! ```
//!
//! Reports enqueue, process and end-to-end throughput, and the idle enqueue-to-start latency
//! (from the operation's `created_at` to its `started_at`, both database clock). Finished
//! operations are counted as the product's change feed announces them (`toygres_events`), as
//! `scripts/bench/queue.mjs` counts graphile-worker's `job:success` events; the database
//! confirms each count afterwards.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use jobs::db::Db;
use jobs::operation::OperationId;
use jobs::queue::WorkerConfig;
use jobs::{Context, RetryPolicy};
use sqlx::Connection as _;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// Clients enqueueing at once, as concurrent API requests would.
const ENQUEUERS: usize = 16;
/// Samples of idle latency.
const LATENCY_SAMPLES: usize = 100;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let jobs: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(5000);
    let concurrency: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(32);
    let base: PgConnectOptions = std::env::var("DATABASE_URL")?.parse()?;
    let name = format!("toygres_bench_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect_with(&base).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await?;

    let pool = PgPoolOptions::new()
        .max_connections(64)
        .connect_with(base.clone().database(&name))
        .await?;
    let db = Db::from_pool(pool);
    db.migrate().await?;

    let listening = CancellationToken::new();
    let succeeded = count_succeeded(&db, listening.clone()).await?;
    let workers: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1);
    let config = WorkerConfig {
        workers_per_queue: workers,
        concurrency,
        batch_size: concurrency,
        poll_interval: Duration::from_millis(100),
        ..WorkerConfig::default()
    };
    println!(
        "{jobs} no-op jobs, {ENQUEUERS} enqueueing clients, {workers} workers × concurrency {concurrency}"
    );

    // 1. Enqueue with no workers running.
    let start = Instant::now();
    enqueue(&db, jobs).await?;
    let enqueue_rate = jobs as f64 / start.elapsed().as_secs_f64();

    // 2. Process the backlog.
    let shutdown = CancellationToken::new();
    let cx = Context {
        db: db.clone(),
        shutdown: shutdown.clone(),
        retry: RetryPolicy::default(),
        local: testkit::local_host(),
        fleet: Default::default(),
        backup: None,
        kubernetes: None,
        failpoint: None,
        tls: std::sync::Arc::new(jobs::tls::Authority::ephemeral().expect("a CA in memory")),
    };
    let start = Instant::now();
    let workers = tokio::spawn(jobs::engine::run_workers(cx, config, shutdown.clone()));
    let done = wait_succeeded(&db, &succeeded, jobs).await?;
    let process_rate = jobs as f64 / (done - start).as_secs_f64();

    // 3. Enqueue and process at once.
    let start = Instant::now();
    enqueue(&db, jobs).await?;
    let done = wait_succeeded(&db, &succeeded, 2 * jobs).await?;
    let e2e_rate = jobs as f64 / (done - start).as_secs_f64();

    // 4. Idle latency: one job at a time into idle workers.
    let mut latencies = Vec::with_capacity(LATENCY_SAMPLES);
    for i in 0..LATENCY_SAMPLES {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let op = testkit::script::start_script(&db, serde_json::json!({"noop": true})).await?;
        wait_succeeded(&db, &succeeded, 2 * jobs + i + 1).await?;
        let op = db.operation(op.id).await?;
        let started = op.started_at.expect("a succeeded operation has started");
        latencies.push((started - op.created_at).to_std()?);
    }
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p).round() as usize];

    shutdown.cancel();
    workers.await??;
    listening.cancel();

    db.pool().close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}")))
        .execute(&mut admin)
        .await?;

    println!("                toygres");
    println!("enqueue      {enqueue_rate:>8.0} jobs/s");
    println!("process      {process_rate:>8.0} jobs/s");
    println!("end-to-end   {e2e_rate:>8.0} jobs/s");
    println!(
        "idle enqueue-to-start latency: median {:.1} ms, p90 {:.1} ms",
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.9).as_secs_f64() * 1e3
    );
    Ok(())
}

async fn enqueue(db: &Db, jobs: usize) -> anyhow::Result<()> {
    let mut tasks = tokio::task::JoinSet::new();
    for client in 0..ENQUEUERS {
        let db = db.clone();
        let share = jobs / ENQUEUERS + usize::from(client < jobs % ENQUEUERS);
        tasks.spawn(async move {
            for _ in 0..share {
                testkit::script::start_script(&db, serde_json::json!({"noop": true})).await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(())
}

/// The number of distinct operations the change feed (`toygres_events`) announced as
/// succeeded, from now on. Each payload is read only as far as the operation's id and status,
/// so that counting takes little of the CPU the workers share.
async fn count_succeeded(
    db: &Db,
    stop: CancellationToken,
) -> anyhow::Result<watch::Receiver<usize>> {
    #[derive(serde::Deserialize)]
    struct Change<'a> {
        #[serde(borrow)]
        table: &'a str,
        #[serde(borrow)]
        row: Row<'a>,
    }
    #[derive(serde::Deserialize)]
    struct Row<'a> {
        id: uuid::Uuid,
        #[serde(borrow, default)]
        status: Option<&'a str>,
    }
    let mut listener = PgListener::connect_with(db.pool()).await?;
    listener.listen(jobs::events::CHANNEL).await?;
    let (count, counted) = watch::channel(0);
    tokio::spawn(async move {
        let mut seen = HashSet::new();
        loop {
            let received = tokio::select! {
                () = stop.cancelled() => return,
                r = listener.recv() => r,
            };
            let notification = match received {
                Ok(n) => n,
                // Its pool closes as the benchmark ends.
                Err(_) if stop.is_cancelled() => return,
                Err(e) => return eprintln!("the change feed failed: {e:#}"),
            };
            if let Ok(change) = serde_json::from_str::<Change<'_>>(notification.payload())
                && change.table == "operations"
                && change.row.status == Some("succeeded")
                && seen.insert(change.row.id)
            {
                count.send_replace(seen.len());
            }
        }
    });
    Ok(counted)
}

async fn succeeded_ids(db: &Db) -> anyhow::Result<HashSet<OperationId>> {
    let ids: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT id FROM operations WHERE status = 'succeeded'")
            .fetch_all(db.pool())
            .await?;
    Ok(ids.into_iter().map(OperationId).collect())
}

/// Wait until `total` operations were announced as succeeded, then check that the database
/// agrees. Returns when the last was announced.
async fn wait_succeeded(
    db: &Db,
    succeeded: &watch::Receiver<usize>,
    total: usize,
) -> anyhow::Result<Instant> {
    succeeded.clone().wait_for(|&n| n >= total).await?;
    let reached = Instant::now();
    let stored = succeeded_ids(db).await?.len();
    anyhow::ensure!(
        stored >= total,
        "{total} announced as succeeded, {stored} stored"
    );
    Ok(reached)
}
