//! The job queue's rows: `queue_jobs` (one row per delivery of an operation) and
//! `queue_workers` (the processes running worker pools, and their leases).
//!
//! A job is fetched, run and acknowledged in batches, and the operation's own bookkeeping rides
//! along: the fetch marks the operations running in the statement that takes their jobs, and the
//! acknowledgement records how each finished (succeeded, napping, retrying) in the statement that
//! deletes the jobs. Inserting a due job wakes idle workers through the `queue_jobs_wake` trigger
//! (`pg_notify` on [`WAKE_CHANNEL`] with the queue's name; PostgreSQL folds identical
//! notifications of a transaction into one).
//!
//! The fetch and the acknowledgement announce their changes (the operations' events, the
//! wake-ups of due jobs) themselves, right after they commit, instead of from the triggers
//! while they commit: PostgreSQL lets only one transaction that sent notifications commit at a
//! time in the whole cluster, holding a lock through its WAL flush, so notifying from the
//! acknowledgement's flushed commit held every fetch and enqueue up for that flush. If this
//! process dies between a commit and its announcement, the events are lost: the worker that
//! takes the dead one's lease over then tells every subscriber to refetch (`Event::Resync`).

use std::time::Duration;

use sqlx::{FromRow as _, Row as _};
use uuid::Uuid;

use super::Db;
use crate::Result;
use crate::operation::{Operation, OperationId};

/// The channel that wakes idle workers; each notification's payload is a queue's name.
pub const WAKE_CHANNEL: &str = "toygres_jobs";

/// A job a worker took.
#[derive(Debug)]
pub(crate) struct Fetched {
    /// The job's id, to acknowledge it.
    pub(crate) job_id: i64,
    /// The operation to move on.
    pub(crate) operation_id: OperationId,
    /// Deliveries of this job started, this one included. More than one means an earlier one
    /// did not finish (its worker died, or the delivery failed), and the try it was on counts.
    pub(crate) deliveries: i32,
    /// The operation, marked running (one more try counted where due) by the fetch. `None`
    /// when the fetch did not start it: it is missing or final (a duplicate delivery), or this
    /// is a redelivery of its last try.
    pub(crate) operation: Option<Operation>,
}

impl Fetched {
    /// Whether an earlier delivery of this job started and did not finish.
    pub(crate) fn redelivered(&self) -> bool {
        self.deliveries > 1
    }
}

/// How a delivery ended, recorded with its acknowledgement.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Finish {
    /// The operation succeeded.
    Succeeded,
    /// Deliver the operation again after this long: a nap, or the rest of its workflow
    /// handed to the next delivery.
    Again(Duration),
    /// A try failed and another is due: back to `queued` with this error, delivered again
    /// after the backoff.
    Retry {
        /// The backoff.
        delay: Duration,
        /// What the user is told.
        error: String,
    },
    /// Everything was recorded already (it gave up, or there was nothing to do).
    Nothing,
}

/// Notifications owed by transactions that announced after commit, in order: (channel,
/// payload).
#[derive(Debug, Default)]
pub(crate) struct Announcements(Vec<(String, String)>);

impl Announcements {
    /// The notifications of `later` after these.
    pub(crate) fn append(&mut self, later: Announcements) {
        self.0.extend(later.0);
    }
}

/// One job's acknowledgement.
#[derive(Clone, Debug)]
pub(crate) struct Ack {
    /// The job.
    pub(crate) job_id: i64,
    /// Its queue (where a further delivery goes).
    pub(crate) queue: &'static str,
    /// Its operation.
    pub(crate) operation_id: OperationId,
    /// How the delivery ended.
    pub(crate) finish: Finish,
}

impl Db {
    /// Take up to `limit` due jobs of `queue` for `worker`, oldest first, and mark their
    /// operations running, in one statement; returns them and the announcements owed (see
    /// [`Db::announce`]). A first run or a retry (status `queued`) counts one more try, and so
    /// does a redelivery; a redelivery of an operation's last try is not started (the engine
    /// gives it up). Committed without waiting for the WAL flush, as the engine's other
    /// bookkeeping is: if the database loses it, the jobs are simply due again.
    pub(crate) async fn fetch(
        &self,
        queue: &str,
        worker: Uuid,
        limit: usize,
    ) -> Result<(Vec<Fetched>, Announcements)> {
        // `quiet` runs once, before any row changes: the statement's transaction then commits
        // without a flush and without notifications (the triggers stay silent in it). The jobs
        // and operations are found by `= ANY(ARRAY(...))`: joined to a CTE of a few rows
        // instead, the planner may scan both whole tables for every fetch.
        let rows = sqlx::query(
            "WITH quiet AS MATERIALIZED ( \
                 SELECT set_config('synchronous_commit', 'off', true), \
                        set_config('toygres.announce_after_commit', 'on', true) \
             ), taken AS ( \
                 UPDATE queue_jobs j SET \
                     state = 'running', worker_id = $2, locked_at = now(), attempts = j.attempts + 1 \
                 WHERE j.id = ANY(ARRAY( \
                     SELECT id FROM queue_jobs \
                     WHERE queue = $1 AND state = 'available' AND run_at <= now() \
                       AND EXISTS (SELECT FROM quiet) \
                     ORDER BY run_at, id \
                     LIMIT $3 \
                     FOR UPDATE SKIP LOCKED)) \
                 RETURNING j.id, j.operation_id, j.attempts \
             ), begun AS ( \
                 UPDATE operations o SET \
                     status = 'running', \
                     attempts = CASE WHEN o.status = 'queued' OR t.attempts > 1 \
                                     THEN least(o.attempts + 1, o.max_attempts) ELSE o.attempts END, \
                     started_at = coalesce(o.started_at, now()), \
                     updated_at = now() \
                 FROM taken t \
                 WHERE o.id = t.operation_id AND o.id = ANY(ARRAY(SELECT operation_id FROM taken)) \
                   AND o.status IN ('queued', 'running') \
                   AND NOT (t.attempts > 1 AND o.attempts >= o.max_attempts) \
                 RETURNING o.*, \
                     json_build_object('table', 'operations', 'op', 'UPDATE', 'row', row_to_json(o))::text \
                         AS announcement \
             ) \
             SELECT t.id AS job_id, t.operation_id AS job_operation_id, t.attempts AS deliveries, b.* \
             FROM taken t LEFT JOIN begun b ON b.id = t.operation_id \
             ORDER BY t.id",
        )
        .bind(queue)
        .bind(worker)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        let mut announcements = Announcements::default();
        for row in &rows {
            if let Some(event) = row.try_get::<Option<String>, _>("announcement")? {
                announcements
                    .0
                    .push((crate::events::CHANNEL.to_owned(), event));
            }
        }
        let fetched = rows
            .iter()
            .map(|row| {
                // The operation's columns are all NULL when the fetch did not start it.
                let begun: Option<Uuid> = row.try_get("id")?;
                Ok(Fetched {
                    job_id: row.try_get("job_id")?,
                    operation_id: OperationId(row.try_get("job_operation_id")?),
                    deliveries: row.try_get("deliveries")?,
                    operation: begun.map(|_| Operation::from_row(row)).transpose()?,
                })
            })
            .collect::<Result<_>>()?;
        Ok((fetched, announcements))
    }

    /// Acknowledge `acks` of `worker`'s jobs and record how each delivery ended, in one
    /// statement, committed with the WAL flushed: the jobs are deleted (operations keep the
    /// history), succeeded operations marked so, failed tries put back to `queued`, and the
    /// next deliveries of napping and retrying operations enqueued. A job `worker` no longer
    /// holds (its lease ran out and the job went to another worker) is left alone, and so is
    /// its operation: the delivery now holding it decides. Returns the announcements owed
    /// (see [`Db::announce`]): the operations' changes, and wake-ups for the deliveries due at
    /// once.
    pub(crate) async fn acknowledge(&self, worker: Uuid, acks: &[Ack]) -> Result<Announcements> {
        let mut jobs = Vec::with_capacity(acks.len());
        let mut finishes = Vec::with_capacity(acks.len());
        let mut queues = Vec::with_capacity(acks.len());
        let mut operations = Vec::with_capacity(acks.len());
        let mut delays = Vec::with_capacity(acks.len());
        let mut errors = Vec::with_capacity(acks.len());
        for ack in acks {
            let (finish, delay, error) = match &ack.finish {
                Finish::Succeeded => ("succeeded", Duration::ZERO, None),
                Finish::Again(delay) => ("again", *delay, None),
                Finish::Retry { delay, error } => (
                    "retry",
                    *delay,
                    Some(super::operations::truncate_error(error)),
                ),
                Finish::Nothing => ("nothing", Duration::ZERO, None),
            };
            jobs.push(ack.job_id);
            finishes.push(finish);
            queues.push(ack.queue);
            operations.push(ack.operation_id.0);
            delays.push(delay.as_secs_f64());
            errors.push(error);
        }
        // `acks` sets the transaction to announce after commit before any row changes.
        let announced: Vec<(String, String)> = sqlx::query_as(
            "WITH acks AS ( \
                 SELECT a.* FROM set_config('toygres.announce_after_commit', 'on', true), \
                     unnest($2::bigint[], $3::text[], $4::text[], $5::uuid[], $6::float8[], $7::text[]) \
                     AS a(job_id, finish, queue, operation_id, delay, error) \
             ), acked AS ( \
                 DELETE FROM queue_jobs j USING acks a \
                 WHERE j.id = a.job_id AND j.worker_id = $1 AND j.state = 'running' \
                 RETURNING a.* \
             ), succeeded AS ( \
                 UPDATE operations o SET status = 'succeeded', error = NULL, finished_at = now(), updated_at = now() \
                 FROM acked a \
                 WHERE a.finish = 'succeeded' AND o.id = a.operation_id AND o.status = 'running' \
                 RETURNING o.* \
             ), retried AS ( \
                 UPDATE operations o SET status = 'queued', error = a.error, updated_at = now() \
                 FROM acked a \
                 WHERE a.finish = 'retry' AND o.id = a.operation_id AND o.status = 'running' \
                 RETURNING o.* \
             ), again AS ( \
                 INSERT INTO queue_jobs (queue, operation_id, run_at) \
                 SELECT queue, operation_id, now() + make_interval(secs => delay) \
                 FROM acked WHERE finish IN ('again', 'retry') \
                 RETURNING queue, run_at <= now() AS due \
             ), changed AS ( \
                 SELECT * FROM succeeded UNION ALL SELECT * FROM retried \
             ) \
             SELECT $8, \
                 json_build_object('table', 'operations', 'op', 'UPDATE', 'row', row_to_json(c))::text \
             FROM changed c \
             UNION ALL \
             SELECT DISTINCT $9, queue FROM again WHERE due",
        )
        .bind(worker)
        .bind(&jobs)
        .bind(&finishes)
        .bind(&queues)
        .bind(&operations)
        .bind(&delays)
        .bind(&errors)
        .bind(crate::events::CHANNEL)
        .bind(WAKE_CHANNEL)
        .fetch_all(&self.pool)
        .await?;
        Ok(Announcements(announced))
    }

    /// Send the notifications owed by transactions that announced after commit, in order, in
    /// a transaction of their own that does not wait for the WAL flush (notifications are
    /// not kept anyway). A failure is logged: the changes are committed, and only live
    /// subscribers and idle workers miss them (idle workers poll).
    pub(crate) async fn announce(&self, announcements: Announcements) {
        if announcements.0.is_empty() {
            return;
        }
        let (channels, payloads): (Vec<String>, Vec<String>) = announcements.0.into_iter().unzip();
        let sent = sqlx::query(
            "SELECT count(pg_notify(n.channel, n.payload)) \
             FROM set_config('synchronous_commit', 'off', true), \
                 unnest($1::text[], $2::text[]) AS n(channel, payload)",
        )
        .bind(&channels)
        .bind(&payloads)
        .execute(&self.pool)
        .await;
        if let Err(e) = sent {
            tracing::warn!(
                notifications = channels.len(),
                "failed to announce committed job changes: {e:#}"
            );
        }
    }

    /// A delivery itself failed (the database, a panic): give the job back to be delivered
    /// again after `delay`, or keep it as `failed` once `max_deliveries` have been started.
    pub(crate) async fn fail_delivery(
        &self,
        worker: Uuid,
        job: i64,
        max_deliveries: i32,
        delay: Duration,
        error: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE queue_jobs SET \
                 state = CASE WHEN attempts >= $3 THEN 'failed' ELSE 'available' END::queue_job_state, \
                 worker_id = NULL, locked_at = NULL, \
                 run_at = now() + make_interval(secs => $4), last_error = $5 \
             WHERE id = $1 AND worker_id = $2 AND state = 'running'",
        )
        .bind(job)
        .bind(worker)
        .bind(max_deliveries)
        .bind(delay.as_secs_f64())
        .bind(super::operations::truncate_error(error))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// `worker` is alive: renew its lease (registering it again if it was taken for dead).
    pub(crate) async fn heartbeat(&self, worker: Uuid) -> Result<()> {
        sqlx::query(
            "INSERT INTO queue_workers (id) VALUES ($1) \
             ON CONFLICT (id) DO UPDATE SET last_seen = now()",
        )
        .bind(worker)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forget workers silent for longer than `lease` and make the jobs they held due again;
    /// each job's next delivery counts the try it was on. Returns how many jobs came back.
    ///
    /// A dead worker may have committed changes it never announced (see the module's notes),
    /// so forgetting one also announces [`crate::events::Event::Resync`]: every subscriber is
    /// told to refetch.
    pub(crate) async fn reclaim_from_dead_workers(&self, lease: Duration) -> Result<u64> {
        let (reclaimed, _told): (i64, i64) = sqlx::query_as(
            "WITH dead AS ( \
                 DELETE FROM queue_workers WHERE last_seen < now() - make_interval(secs => $1) \
                 RETURNING id \
             ), back AS ( \
                 UPDATE queue_jobs SET state = 'available', worker_id = NULL, locked_at = NULL, run_at = now() \
                 WHERE state = 'running' AND worker_id IN (SELECT id FROM dead) \
                 RETURNING 1 \
             ), told AS ( \
                 SELECT pg_notify($2, $3) WHERE EXISTS (SELECT FROM dead) \
             ) \
             SELECT (SELECT count(*) FROM back), (SELECT count(*) FROM told)",
        )
        .bind(lease.as_secs_f64())
        .bind(crate::events::CHANNEL)
        .bind(crate::events::RESYNC_PAYLOAD)
        .fetch_one(&self.pool)
        .await?;
        Ok(u64::try_from(reclaimed).unwrap_or(0))
    }

    /// `worker` stops: the jobs it still holds are due again (their next delivery counts the
    /// try they were on), and it is forgotten.
    pub(crate) async fn retire_worker(&self, worker: Uuid) -> Result<u64> {
        let mut tx = self.pool.begin().await?;
        let released = sqlx::query(
            "UPDATE queue_jobs SET state = 'available', worker_id = NULL, locked_at = NULL, run_at = now() \
             WHERE state = 'running' AND worker_id = $1",
        )
        .bind(worker)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query("DELETE FROM queue_workers WHERE id = $1")
            .bind(worker)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(released)
    }

    /// Jobs on `queue` not yet finished (due, delayed or running).
    pub async fn queue_depth(&self, queue: &str) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT count(*) FROM queue_jobs WHERE queue = $1 AND state IN ('available', 'running')",
        )
        .bind(queue)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Delete jobs whose deliveries kept failing (`failed`) made more than `older_than` ago.
    pub async fn prune_failed_jobs(&self, older_than: Duration) -> Result<u64> {
        Ok(sqlx::query(
            "DELETE FROM queue_jobs \
             WHERE state = 'failed' AND created_at < now() - make_interval(secs => $1)",
        )
        .bind(older_than.as_secs_f64())
        .execute(&self.pool)
        .await?
        .rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use sqlx::PgPool;
    use sqlx::postgres::PgListener;

    use super::*;
    use crate::operation::OperationStatus;
    use crate::script::start_script;

    async fn queued(db: &Db, n: usize) -> Vec<Operation> {
        let mut ops = Vec::new();
        for _ in 0..n {
            ops.push(start_script(db, serde_json::json!({})).await.unwrap());
        }
        ops
    }

    async fn job_states(db: &Db) -> Vec<(Uuid, String, i32, Option<Uuid>)> {
        sqlx::query_as(
            "SELECT operation_id, state::text, attempts, worker_id FROM queue_jobs ORDER BY id",
        )
        .fetch_all(db.pool())
        .await
        .unwrap()
    }

    /// A fetch, announced as the worker pools announce it.
    async fn take(db: &Db, queue: &str, worker: Uuid, limit: usize) -> Result<Vec<Fetched>> {
        let (fetched, announcements) = db.fetch(queue, worker, limit).await?;
        db.announce(announcements).await;
        Ok(fetched)
    }

    /// An acknowledgement, announced as the worker pools announce it.
    async fn finish(db: &Db, worker: Uuid, acks: &[Ack]) -> Result<()> {
        let announcements = db.acknowledge(worker, acks).await?;
        db.announce(announcements).await;
        Ok(())
    }

    fn ack(job: &Fetched, finish: Finish) -> Ack {
        Ack {
            job_id: job.job_id,
            queue: "system",
            operation_id: job.operation_id,
            finish,
        }
    }

    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn a_fetch_takes_the_oldest_due_jobs_and_marks_their_operations_running(pool: PgPool) {
        let db = Db::from_pool(pool);
        let ops = queued(&db, 3).await;
        let worker = Uuid::now_v7();
        let fetched = take(&db, "system", worker, 2).await.unwrap();
        assert_eq!(fetched.len(), 2);
        for (job, op) in fetched.iter().zip(&ops) {
            assert_eq!(job.operation_id, op.id, "oldest first");
            assert!(!job.redelivered());
            let started = job.operation.as_ref().expect("started by the fetch");
            assert_eq!(started.status, OperationStatus::Running);
            assert_eq!(started.attempts, 1);
            assert!(started.started_at.is_some());
            assert_eq!(&db.operation(op.id).await.unwrap(), started, "as stored");
        }
        assert_eq!(
            db.operation(ops[2].id).await.unwrap().status,
            OperationStatus::Queued
        );
        assert_eq!(
            job_states(&db).await,
            [
                (ops[0].id.0, "running".to_owned(), 1, Some(worker)),
                (ops[1].id.0, "running".to_owned(), 1, Some(worker)),
                (ops[2].id.0, "available".to_owned(), 0, None),
            ]
        );
        assert!(
            take(&db, "deploy", worker, 8).await.unwrap().is_empty(),
            "per queue"
        );
    }

    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn an_acknowledgement_deletes_the_jobs_and_records_how_each_operation_ended(
        pool: PgPool,
    ) {
        let db = Db::from_pool(pool);
        let ops = queued(&db, 3).await;
        let worker = Uuid::now_v7();
        let fetched = take(&db, "system", worker, 3).await.unwrap();
        let acks = [
            ack(&fetched[0], Finish::Succeeded),
            ack(&fetched[1], Finish::Again(Duration::from_secs(3600))),
            ack(
                &fetched[2],
                Finish::Retry {
                    delay: Duration::ZERO,
                    error: "try again".to_owned(),
                },
            ),
        ];
        finish(&db, worker, &acks).await.unwrap();
        let succeeded = db.operation(ops[0].id).await.unwrap();
        assert_eq!(succeeded.status, OperationStatus::Succeeded);
        assert!(succeeded.finished_at.is_some());
        assert_eq!(
            db.operation(ops[1].id).await.unwrap().status,
            OperationStatus::Running,
            "napping"
        );
        let retried = db.operation(ops[2].id).await.unwrap();
        assert_eq!(retried.status, OperationStatus::Queued);
        assert_eq!(retried.error.as_deref(), Some("try again"));
        assert_eq!(
            job_states(&db).await,
            [
                (ops[1].id.0, "available".to_owned(), 0, None),
                (ops[2].id.0, "available".to_owned(), 0, None),
            ],
            "the finished jobs are gone, the next deliveries queued"
        );
    }

    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn a_delayed_job_waits_until_it_is_due(pool: PgPool) {
        let db = Db::from_pool(pool);
        let op = queued(&db, 1).await.remove(0);
        let worker = Uuid::now_v7();
        let first = take(&db, "system", worker, 1).await.unwrap();
        finish(
            &db,
            worker,
            &[ack(&first[0], Finish::Again(Duration::from_secs(60)))],
        )
        .await
        .unwrap();
        assert!(take(&db, "system", worker, 1).await.unwrap().is_empty());
        // The clock moves on a minute.
        sqlx::query("UPDATE queue_jobs SET run_at = run_at - interval '60 seconds'")
            .execute(db.pool())
            .await
            .unwrap();
        let due = take(&db, "system", worker, 1).await.unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].operation_id, op.id);
        assert!(!due[0].redelivered(), "a nap's delivery is a fresh one");
        assert_eq!(
            due[0].operation.as_ref().unwrap().attempts,
            1,
            "not a new try"
        );
    }

    /// A worker that stops renewing its lease loses its jobs to a live one, once, and the
    /// dead one's late acknowledgement changes nothing.
    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn a_dead_workers_job_is_delivered_again_once_when_its_lease_runs_out(pool: PgPool) {
        let db = Db::from_pool(pool);
        let op = queued(&db, 1).await.remove(0);
        let lease = Duration::from_secs(30);
        let (dead, live) = (Uuid::now_v7(), Uuid::now_v7());
        db.heartbeat(dead).await.unwrap();
        db.heartbeat(live).await.unwrap();
        let taken = take(&db, "system", dead, 1).await.unwrap();
        assert_eq!(
            db.reclaim_from_dead_workers(lease).await.unwrap(),
            0,
            "alive"
        );
        // The dead worker's last heartbeat was a minute ago.
        sqlx::query(
            "UPDATE queue_workers SET last_seen = now() - interval '60 seconds' WHERE id = $1",
        )
        .bind(dead)
        .execute(db.pool())
        .await
        .unwrap();
        let mut listener = PgListener::connect_with(db.pool()).await.unwrap();
        listener.listen(crate::events::CHANNEL).await.unwrap();
        assert_eq!(db.reclaim_from_dead_workers(lease).await.unwrap(), 1);
        let told = listener.recv().await.unwrap();
        assert!(
            matches!(
                crate::events::Event::parse(told.payload()).unwrap(),
                crate::events::Event::Resync
            ),
            "its unannounced changes may be missed: subscribers refetch"
        );
        assert_eq!(
            db.reclaim_from_dead_workers(lease).await.unwrap(),
            0,
            "once"
        );
        let again = take(&db, "system", live, 1).await.unwrap();
        assert_eq!(again.len(), 1);
        assert!(again[0].redelivered());
        let resumed = again[0].operation.as_ref().expect("resumed");
        assert_eq!(resumed.attempts, 2, "the dead worker's try counts");

        finish(&db, dead, &[ack(&taken[0], Finish::Succeeded)])
            .await
            .unwrap();
        assert_eq!(
            db.operation(op.id).await.unwrap().status,
            OperationStatus::Running,
            "the late acknowledgement of a lost job is ignored"
        );
        assert_eq!(
            job_states(&db).await,
            [(op.id.0, "running".to_owned(), 2, Some(live))]
        );
    }

    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn a_redelivery_of_the_last_try_is_not_started(pool: PgPool) {
        let db = Db::from_pool(pool);
        let op = queued(&db, 1).await.remove(0);
        sqlx::query(
            "UPDATE operations SET status = 'running', attempts = max_attempts WHERE id = $1; ",
        )
        .bind(op.id)
        .execute(db.pool())
        .await
        .unwrap();
        sqlx::query("UPDATE queue_jobs SET attempts = 1")
            .execute(db.pool())
            .await
            .unwrap();
        let fetched = take(&db, "system", Uuid::now_v7(), 1).await.unwrap();
        assert!(fetched[0].redelivered());
        assert_eq!(fetched[0].operation, None, "left for the engine to give up");
    }

    /// However many due jobs a transaction inserts, idle workers get one wake-up per queue.
    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn a_transaction_wakes_the_workers_of_a_queue_once(pool: PgPool) {
        let db = Db::from_pool(pool);
        let mut listener = PgListener::connect_with(db.pool()).await.unwrap();
        listener.listen(WAKE_CHANNEL).await.unwrap();
        let ops = queued(&db, 4).await;
        for _ in &ops {
            assert_eq!(listener.recv().await.unwrap().payload(), "system");
        }
        let worker = Uuid::now_v7();
        let fetched = take(&db, "system", worker, 4).await.unwrap();
        let mut acks: Vec<Ack> = fetched
            .iter()
            .map(|job| ack(job, Finish::Again(Duration::ZERO)))
            .collect();
        acks[2].queue = "deploy";
        acks[3].queue = "backup";
        acks[3].finish = Finish::Again(Duration::from_secs(60));
        finish(&db, worker, &acks).await.unwrap();
        let mut woken: Vec<_> = heard(&db, &mut listener)
            .await
            .into_iter()
            .map(|(_, queue)| queue)
            .collect();
        woken.sort();
        assert_eq!(
            woken,
            ["deploy", "system"],
            "one per queue with due jobs, none for later"
        );
    }

    /// The notifications on `channels` up to a marker sent now, in order.
    async fn heard(db: &Db, listener: &mut PgListener) -> Vec<(String, String)> {
        sqlx::query("SELECT pg_notify($1, 'end')")
            .bind(WAKE_CHANNEL)
            .execute(db.pool())
            .await
            .unwrap();
        let mut heard = Vec::new();
        loop {
            let n = listener.recv().await.unwrap();
            if n.channel() == WAKE_CHANNEL && n.payload() == "end" {
                return heard;
            }
            heard.push((n.channel().to_owned(), n.payload().to_owned()));
        }
    }

    /// The operations' changes an event payload announces: (id, status).
    fn changes(heard: &[(String, String)]) -> Vec<(OperationId, OperationStatus)> {
        heard
            .iter()
            .filter(|(channel, _)| channel == crate::events::CHANNEL)
            .map(
                |(_, payload)| match crate::events::Event::parse(payload).unwrap() {
                    crate::events::Event::Operation(op) => (op.id, op.status),
                    other => panic!("unexpected event {other:?}"),
                },
            )
            .collect()
    }

    /// The fetch and the acknowledgement commit without notifying (the triggers stay silent)
    /// and announce each change once, after their commit.
    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn a_fetch_and_an_acknowledgement_announce_each_change_once(pool: PgPool) {
        let db = Db::from_pool(pool);
        let ops = queued(&db, 3).await;
        let mut listener = PgListener::connect_with(db.pool()).await.unwrap();
        listener
            .listen_all([crate::events::CHANNEL, WAKE_CHANNEL])
            .await
            .unwrap();
        let worker = Uuid::now_v7();
        let fetched = take(&db, "system", worker, 3).await.unwrap();
        let running: Vec<_> = ops
            .iter()
            .map(|op| (op.id, OperationStatus::Running))
            .collect();
        let after_fetch = heard(&db, &mut listener).await;
        assert_eq!(changes(&after_fetch), running, "no wake-up either");
        assert_eq!(after_fetch.len(), 3);

        let acks = [
            ack(&fetched[0], Finish::Succeeded),
            ack(
                &fetched[1],
                Finish::Retry {
                    delay: Duration::ZERO,
                    error: "try again".to_owned(),
                },
            ),
            ack(&fetched[2], Finish::Again(Duration::from_secs(60))),
        ];
        finish(&db, worker, &acks).await.unwrap();
        let after_ack = heard(&db, &mut listener).await;
        let mut announced = changes(&after_ack);
        announced.sort_by_key(|(id, _)| id.0);
        assert_eq!(
            announced,
            [
                (ops[0].id, OperationStatus::Succeeded),
                (ops[1].id, OperationStatus::Queued),
            ],
            "the napping operation did not change"
        );
        let woken: Vec<_> = after_ack
            .iter()
            .filter(|(channel, _)| channel == WAKE_CHANNEL)
            .map(|(_, queue)| queue.as_str())
            .collect();
        assert_eq!(
            woken,
            ["system"],
            "the retry is due at once, the nap is not"
        );
    }

    /// A database that ran the apalis queue keeps its unfinished deliveries through the
    /// migrations that replace it, and loses apalis's schema.
    #[sqlx::test(migrations = false)]
    async fn upgrading_from_apalis_moves_its_unfinished_jobs_and_drops_its_schema(pool: PgPool) {
        const FIRST_WITHOUT_APALIS: i64 = 20261206000033;
        let up = || {
            crate::db::MIGRATOR
                .iter()
                .filter(|m| m.migration_type.is_up_migration())
        };
        for m in up().filter(|m| m.version < FIRST_WITHOUT_APALIS) {
            sqlx::raw_sql(m.sql.clone()).execute(&pool).await.unwrap();
        }
        // apalis's table, as far as the move reads it, with one job in each state.
        sqlx::raw_sql(
            "CREATE SCHEMA apalis; \
             CREATE TABLE apalis.jobs (job bytea NOT NULL, id text PRIMARY KEY, job_type text NOT NULL, \
                 status text NOT NULL, attempts integer NOT NULL, max_attempts integer NOT NULL, \
                 run_at timestamptz NOT NULL); \
             INSERT INTO apalis.jobs VALUES \
                 (convert_to('{\"operation_id\":\"00000000-0000-7000-8000-000000000001\"}', 'UTF8'), 'a', 'deploy', 'Pending', 0, 5, '2026-01-01'), \
                 (convert_to('{\"operation_id\":\"00000000-0000-7000-8000-000000000002\"}', 'UTF8'), 'b', 'system', 'Running', 0, 5, '2026-01-01'), \
                 (convert_to('{\"operation_id\":\"00000000-0000-7000-8000-000000000003\"}', 'UTF8'), 'c', 'deploy', 'Failed', 1, 5, '2026-01-01'), \
                 (convert_to('{\"operation_id\":\"00000000-0000-7000-8000-000000000004\"}', 'UTF8'), 'd', 'backup', 'Pending', 0, 5, '2999-01-01'), \
                 (convert_to('{\"operation_id\":\"00000000-0000-7000-8000-000000000005\"}', 'UTF8'), 'e', 'deploy', 'Done', 1, 5, '2026-01-01'), \
                 (convert_to('{\"operation_id\":\"00000000-0000-7000-8000-000000000006\"}', 'UTF8'), 'f', 'deploy', 'Failed', 5, 5, '2026-01-01')",
        )
        .execute(&pool)
        .await
        .unwrap();
        for m in up().filter(|m| m.version >= FIRST_WITHOUT_APALIS) {
            sqlx::raw_sql(m.sql.clone()).execute(&pool).await.unwrap();
        }
        let moved: Vec<(String, String, String, i32, bool)> = sqlx::query_as(
            "SELECT operation_id::text, queue, state::text, attempts, run_at > now() \
             FROM queue_jobs ORDER BY operation_id",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let op = |n: u8| format!("00000000-0000-7000-8000-00000000000{n}");
        let row = |n, queue: &str, attempts, later| {
            (
                op(n),
                queue.to_owned(),
                "available".to_owned(),
                attempts,
                later,
            )
        };
        assert_eq!(
            moved,
            [
                row(1, "deploy", 0, false),
                row(2, "system", 1, false),
                row(3, "deploy", 2, false),
                row(4, "backup", 0, true),
            ],
            "due, in flight (its next delivery a retry), failed with tries left, delayed"
        );
        let left: (Option<String>, Option<String>) = sqlx::query_as(
            "SELECT to_regnamespace('apalis')::text, to_regproc('toygres_move_apalis_jobs')::text",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(left, (None, None));
    }
}
