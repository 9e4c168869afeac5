//! The job engine run for real: operations through the Postgres job queue and our workers.

use std::time::Duration;

use jobs::db::{Db, NewOperation};
use jobs::events::{Event, EventBus};
use jobs::operation::{Operation, OperationStatus, TargetKind};
use jobs::queue::{self, WorkerConfig};
use jobs::user::DEFAULT_PROJECT_ID;
use jobs::workflow::Kind;
use jobs::{Context, RetryPolicy};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long a test waits for an operation to get somewhere before it fails.
const PATIENCE: Duration = Duration::from_secs(30);

fn fast_workers() -> WorkerConfig {
    WorkerConfig {
        workers_per_queue: 2,
        concurrency: 4,
        batch_size: 4,
        heartbeat: Duration::from_secs(1),
        missed_heartbeats: 1,
        poll_interval: Duration::from_millis(50),
        shutdown_timeout: Duration::from_secs(5),
    }
}

/// The test database with room for the workers' listener and queries.
async fn setup(_parent: PgPoolOptions, connect: PgConnectOptions) -> Db {
    let pool = PgPoolOptions::new()
        .max_connections(30)
        .connect_with(connect)
        .await
        .expect("connect");
    Db::from_pool(pool).sealed_with(testkit::master_key())
}

/// Start a worker process's pools; the handle stands for the process.
fn spawn_workers(
    db: &Db,
    config: WorkerConfig,
) -> (JoinHandle<jobs::Result<()>>, CancellationToken) {
    let shutdown = CancellationToken::new();
    let cx = Context {
        db: db.clone(),
        shutdown: shutdown.clone(),
        retry: RetryPolicy {
            base: Duration::from_millis(20),
            cap: Duration::from_millis(200),
        },
        local: testkit::local_host(),
        fleet: Default::default(),
        backup: None,
        kubernetes: None,
        failpoint: None,
        tls: std::sync::Arc::new(jobs::tls::Authority::ephemeral().expect("a CA in memory")),
    };
    (
        tokio::spawn(jobs::engine::run_workers(cx, config, shutdown.clone())),
        shutdown,
    )
}

/// Poll the operation until `done` holds, or fail after [`PATIENCE`].
async fn wait_for(db: &Db, op: &Operation, done: impl Fn(&Operation) -> bool) -> Operation {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let now = db.operation(op.id).await.expect("load operation");
        if done(&now) {
            return now;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "operation stuck: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn steps(db: &Db, op: &Operation) -> Vec<String> {
    db.operation_steps(op.id)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.step)
        .collect()
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn an_operation_walks_every_step_to_success(opts: PgPoolOptions, connect: PgConnectOptions) {
    let db = setup(opts, connect).await;
    let (_workers, _stop) = spawn_workers(&db, fast_workers());
    let op = testkit::script::start_script(&db, serde_json::json!({}))
        .await
        .unwrap();
    assert_eq!(op.status, OperationStatus::Queued);
    let done = wait_for(&db, &op, |o| o.status.is_final()).await;
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(done.attempts, 1);
    assert!(done.started_at.is_some() && done.finished_at.is_some());
    assert_eq!(steps(&db, &op).await, ["one", "two"]);
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn transient_failures_are_retried_until_the_step_succeeds(
    opts: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let db = setup(opts, connect).await;
    let (_workers, _stop) = spawn_workers(&db, fast_workers());
    let op = testkit::script::start_script(&db, serde_json::json!({"fail_transient": 2}))
        .await
        .unwrap();
    let done = wait_for(&db, &op, |o| o.status.is_final()).await;
    assert_eq!(done.status, OperationStatus::Succeeded, "{done:?}");
    assert_eq!(done.attempts, 3);
    assert_eq!(done.error, None, "success clears the last error");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn an_operation_that_keeps_failing_gives_up_after_max_attempts(
    opts: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let db = setup(opts, connect).await;
    let (_workers, _stop) = spawn_workers(&db, fast_workers());
    let op = testkit::script::start_script(&db, serde_json::json!({"fail_transient": 99}))
        .await
        .unwrap();
    let done = wait_for(&db, &op, |o| o.status.is_final()).await;
    assert_eq!(done.status, OperationStatus::Failed);
    assert_eq!(done.attempts, done.max_attempts);
    let error = done.error.unwrap();
    assert!(error.starts_with("gave up after 4 tries"), "{error}");
    assert!(error.contains("scripted transient failure"), "{error}");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_permanent_failure_stops_at_once(opts: PgPoolOptions, connect: PgConnectOptions) {
    let db = setup(opts, connect).await;
    let (_workers, _stop) = spawn_workers(&db, fast_workers());
    let op = testkit::script::start_script(&db, serde_json::json!({"fail_permanent": true}))
        .await
        .unwrap();
    let done = wait_for(&db, &op, |o| o.status.is_final()).await;
    assert_eq!(done.status, OperationStatus::Failed);
    assert_eq!(done.attempts, 1);
    assert_eq!(done.error.as_deref(), Some("scripted permanent failure"));
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_napping_step_is_run_again_by_a_later_delivery(
    opts: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let db = setup(opts, connect).await;
    let (_workers, _stop) = spawn_workers(&db, fast_workers());
    let op = testkit::script::start_script(&db, serde_json::json!({"nap_ms": 300}))
        .await
        .unwrap();
    let done = wait_for(&db, &op, |o| o.status.is_final()).await;
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(done.attempts, 1, "a nap is not a failed try");
    assert_eq!(steps(&db, &op).await, ["one", "two", "nap"]);
}

/// A nap ends the delivery: the operation waits as a delayed job, holding no worker.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_napping_operation_waits_as_a_delayed_job(
    opts: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let db = setup(opts, connect).await;
    let (_workers, _stop) = spawn_workers(&db, fast_workers());
    let op = testkit::script::start_script(&db, serde_json::json!({"nap_ms": 60_000}))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let waiting: Option<(String, bool)> = sqlx::query_as(
            "SELECT state::text, run_at > now() + interval '30 seconds' FROM queue_jobs WHERE operation_id = $1",
        )
        .bind(op.id)
        .fetch_optional(db.pool())
        .await
        .unwrap();
        if let Some(waiting) = waiting
            && waiting.1
        {
            assert_eq!(waiting.0, "available", "a delayed job held by no worker");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no delayed job");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let now = db.operation(op.id).await.unwrap();
    assert_eq!(
        (now.status, now.step.as_str()),
        (OperationStatus::Running, "nap")
    );
}

/// A worker process dies mid-step (its tasks are dropped, its heartbeats stop); another
/// worker picks the job up, counts the dead try, and finishes from the stored step.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_job_whose_worker_died_is_finished_by_another_worker(
    opts: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let db = setup(opts, connect).await;
    let (first, _stop_first) = spawn_workers(&db, fast_workers());
    let hold = format!("crash-{}", uuid::Uuid::new_v4());
    let op = testkit::script::start_script(&db, serde_json::json!({"hold": hold}))
        .await
        .unwrap();
    wait_for(&db, &op, |o| o.status == OperationStatus::Running).await;
    first.abort();
    let _ = first.await;

    let (_second, _stop_second) = spawn_workers(&db, fast_workers());
    let done = wait_for(&db, &op, |o| o.status.is_final()).await;
    assert_eq!(done.status, OperationStatus::Succeeded, "{done:?}");
    assert_eq!(done.attempts, 2, "the dead worker's try counts");
    assert_eq!(steps(&db, &op).await, ["one", "two"]);
    testkit::script::release(&hold);
}

/// Two jobs of one operation fetched together run it once.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn two_jobs_of_one_operation_in_a_batch_run_it_once(
    opts: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let db = setup(opts, connect).await;
    let op = testkit::script::start_script(&db, serde_json::json!({}))
        .await
        .unwrap();
    sqlx::query("INSERT INTO queue_jobs (queue, operation_id) VALUES ('system', $1)")
        .bind(op.id)
        .execute(db.pool())
        .await
        .unwrap();
    let one_pool = WorkerConfig {
        workers_per_queue: 1,
        ..fast_workers()
    };
    let (_workers, _stop) = spawn_workers(&db, one_pool);
    let done = wait_for(&db, &op, |o| o.status.is_final()).await;
    wait_for_no_jobs(&db).await;
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(done.attempts, 1);
    assert_eq!(steps(&db, &op).await, ["one", "two"], "each step once");
}

/// A queue whose every slot is busy holds up no other queue: each has its own pool.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_queue_with_every_slot_busy_holds_up_no_other_queue(
    opts: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let db = setup(opts, connect).await;
    let one_at_a_time = WorkerConfig {
        workers_per_queue: 1,
        concurrency: 1,
        batch_size: 1,
        ..fast_workers()
    };
    let (_workers, _stop) = spawn_workers(&db, one_at_a_time);
    let hold = format!("busy-{}", uuid::Uuid::new_v4());
    let busy = testkit::script::start_script(&db, serde_json::json!({"hold": hold}))
        .await
        .unwrap();
    wait_for(&db, &busy, |o| o.status == OperationStatus::Running).await;
    // Queued behind it on the same queue, then moved to another one.
    let other = testkit::script::start_script(&db, serde_json::json!({}))
        .await
        .unwrap();
    sqlx::query("UPDATE queue_jobs SET queue = 'deploy' WHERE operation_id = $1")
        .bind(other.id)
        .execute(db.pool())
        .await
        .unwrap();
    let done = wait_for(&db, &other, |o| o.status.is_final()).await;
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(
        db.operation(busy.id).await.unwrap().status,
        OperationStatus::Running,
        "still holding its queue's only slot"
    );
    testkit::script::release(&hold);
    wait_for(&db, &busy, |o| o.status.is_final()).await;
}

/// Shutdown lets the running step finish, then hands the rest of the workflow to the next
/// worker instead of dropping it.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn shutdown_finishes_the_running_step_and_loses_nothing(
    opts: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let db = setup(opts, connect).await;
    let (workers, stop) = spawn_workers(&db, fast_workers());
    let hold = format!("shutdown-{}", uuid::Uuid::new_v4());
    let op = testkit::script::start_script(&db, serde_json::json!({"hold": hold}))
        .await
        .unwrap();
    wait_for(&db, &op, |o| o.status == OperationStatus::Running).await;
    stop.cancel();
    testkit::script::release(&hold);
    tokio::time::timeout(PATIENCE, workers)
        .await
        .expect("workers stop within the shutdown timeout")
        .unwrap()
        .unwrap();
    let paused = db.operation(op.id).await.unwrap();
    assert_eq!(paused.status, OperationStatus::Running);
    assert_eq!(paused.step, "two", "the step in flight completed");

    let (_next, _stop_next) = spawn_workers(&db, fast_workers());
    let done = wait_for(&db, &op, |o| o.status.is_final()).await;
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(done.attempts, 1, "a hand-over at shutdown is not a failure");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_second_active_operation_on_a_target_is_refused_and_enqueues_nothing(
    opts: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let db = setup(opts, connect).await;
    let target = uuid::Uuid::now_v7();
    let new = || NewOperation {
        project_id: DEFAULT_PROJECT_ID,
        kind: Kind::TestScript,
        target_kind: TargetKind::Instance,
        target_id: Some(target),
        provider: None,
        input: serde_json::json!({}),
        requested_by: None,
    };
    jobs::engine::start(&db, new()).await.unwrap();
    let err = jobs::engine::start(&db, new()).await.unwrap_err();
    assert!(matches!(err, jobs::Error::Conflict(_)), "{err:?}");
    let (ops, queued): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM operations), (SELECT count(*) FROM queue_jobs)",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(
        (ops, queued),
        (1, 1),
        "the refused operation left neither row nor job"
    );
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_duplicate_delivery_of_a_finished_operation_changes_nothing(
    opts: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let db = setup(opts, connect).await;
    let (_workers, _stop) = spawn_workers(&db, fast_workers());
    let op = testkit::script::start_script(&db, serde_json::json!({}))
        .await
        .unwrap();
    let done = wait_for(&db, &op, |o| o.status.is_final()).await;
    sqlx::query("INSERT INTO queue_jobs (queue, operation_id) VALUES ('system', $1)")
        .bind(op.id)
        .execute(db.pool())
        .await
        .unwrap();
    wait_for_no_jobs(&db).await;
    assert_eq!(db.operation(op.id).await.unwrap(), done);
}

/// Wait until every job has been acknowledged (acknowledged jobs are deleted).
async fn wait_for_no_jobs(db: &Db) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM queue_jobs")
            .fetch_one(db.pool())
            .await
            .unwrap();
        if left == 0 {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{left} jobs left");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn committed_changes_reach_subscribers_and_rolled_back_ones_do_not(
    opts: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let db = setup(opts, connect).await;
    let shutdown = CancellationToken::new();
    let bus = EventBus::start(&db, shutdown.clone()).await.unwrap();
    let mut events = bus.subscribe();

    // Rolled back: no event.
    let mut tx = db.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO cluster_events (id, kind, message) VALUES ($1, 'test_event', 'never')",
    )
    .bind(uuid::Uuid::now_v7())
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.rollback().await.unwrap();

    let op = testkit::script::start_script(&db, serde_json::json!({}))
        .await
        .unwrap();
    let event = tokio::time::timeout(PATIENCE, events.recv())
        .await
        .unwrap()
        .unwrap();
    match &*event {
        Event::Operation(seen) => assert_eq!(seen, &op),
        other => panic!("expected the new operation, got {other:?}"),
    }
    shutdown.cancel();
}

/// The queue announces its own changes after they commit; the engine's writes (steps,
/// giving up) go through the triggers. Subscribers still hear each operation's changes in the
/// order they happened, and its last event is its final state.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn subscribers_hear_each_operations_changes_in_the_order_they_happened(
    opts: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let db = setup(opts, connect).await;
    let shutdown = CancellationToken::new();
    let bus = EventBus::start(&db, shutdown.clone()).await.unwrap();
    let mut events = bus.subscribe();
    let (workers, stop) = spawn_workers(&db, fast_workers());
    let walks = testkit::script::start_script(&db, serde_json::json!({}))
        .await
        .unwrap();
    let fails = testkit::script::start_script(&db, serde_json::json!({"fail_permanent": true}))
        .await
        .unwrap();
    let mut heard: std::collections::HashMap<_, Vec<(OperationStatus, String)>> =
        Default::default();
    let mut finished = 0;
    while finished < 2 {
        let event = tokio::time::timeout(PATIENCE, events.recv())
            .await
            .expect("both operations finish")
            .unwrap();
        if let Event::Operation(op) = &*event {
            heard
                .entry(op.id)
                .or_default()
                .push((op.status, op.step.clone()));
            finished += usize::from(op.status.is_final());
        }
    }
    use OperationStatus::{Failed, Queued, Running, Succeeded};
    let said = |status, step: &str| (status, step.to_owned());
    assert_eq!(
        heard[&walks.id],
        [
            said(Queued, "one"),
            said(Running, "one"),
            said(Running, "two"),
            said(Succeeded, "two"),
        ]
    );
    assert_eq!(
        heard[&fails.id],
        [
            said(Queued, "one"),
            said(Running, "one"),
            said(Failed, "one"),
        ]
    );
    stop.cancel();
    workers.await.unwrap().unwrap();
    shutdown.cancel();
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn acknowledged_jobs_leave_no_row_and_failed_ones_are_pruned_after_the_retention(
    opts: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let db = setup(opts, connect).await;
    let (workers, stop) = spawn_workers(&db, fast_workers());
    let done = testkit::script::start_script(&db, serde_json::json!({}))
        .await
        .unwrap();
    wait_for(&db, &done, |o| o.status.is_final()).await;
    wait_for_no_jobs(&db).await;
    stop.cancel();
    workers.await.unwrap().unwrap();
    // One whose deliveries kept failing long ago, one waiting.
    let waiting = testkit::script::start_script(&db, serde_json::json!({}))
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO queue_jobs (queue, operation_id, state, attempts, last_error, created_at) \
         VALUES ('system', $1, 'failed', 5, 'database down', now() - interval '8 days')",
    )
    .bind(done.id)
    .execute(db.pool())
    .await
    .unwrap();
    let pruned = queue::prune_failed(&db, Duration::from_secs(7 * 24 * 3600))
        .await
        .unwrap();
    assert_eq!(pruned, 1);
    let left: Vec<(uuid::Uuid, String)> =
        sqlx::query_as("SELECT operation_id, state::text FROM queue_jobs")
            .fetch_all(db.pool())
            .await
            .unwrap();
    assert_eq!(left, [(waiting.id.0, "available".to_owned())]);
    assert_eq!(
        db.operation(done.id).await.unwrap().status,
        OperationStatus::Succeeded,
        "history stays"
    );
}
