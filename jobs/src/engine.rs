//! The step engine: run an operation's workflow one idempotent step at a time.
//!
//! A delivery of an operation's job loads the operation, then loops: ask the registry for
//! its kind's workflow, run the current step, persist what comes next, go on:
//!
//! ```text
//!   Hop(step) ── store the step, run it now (same delivery)
//!   Nap(d)    ── store nothing new; schedule a fresh delivery in d, end this one
//!   Done      ── mark the operation succeeded
//!   Err(e)    ── permanent: give up at once
//!                transient: back to queued with the error, retried after next_retry(attempt);
//!                           given up once max_attempts tries have failed
//! ```
//!
//! Giving up runs the workflow's clean-up (stop an instance, roll a move back), then marks the
//! operation and its target failed in one transaction.
//!
//! The queue does the bookkeeping around a delivery in batches: its fetch marks the operation
//! running (counting the try), and its acknowledgement records what the delivery came to
//! ([`Finish`]: succeeded, deliver again after a nap, retry after a failed try). Hops and
//! giving up are written by the engine as they happen.
//!
//! A worker that dies mid-step leaves the job held; the queue hands it to another worker
//! once the dead one's lease runs out, and that delivery counts as a new attempt and resumes
//! from the stored step. Steps are idempotent, so running one twice is safe.

use std::time::Duration;

use sqlx::{Postgres, Transaction};

use crate::db::{Db, Fetched, Finish, NewOperation};
use crate::operation::{Operation, OperationId};
use crate::queue::{self, WorkerConfig};
use crate::registry::{self, Outcome};
use crate::workflow::{Context, Kind};
use crate::{Error, Result};

/// Most steps one delivery runs before handing over to a fresh delivery, so that a workflow
/// that hops in a circle cannot hold a worker forever.
const MAX_HOPS_PER_DELIVERY: usize = 100;

/// Record an operation and enqueue its first job, atomically: either both exist or neither
/// does.
pub async fn start(db: &Db, new: NewOperation) -> Result<Operation> {
    // One statement, so no transaction of our own is needed.
    let mut conn = db.pool().acquire().await?;
    start_on(&mut conn, new).await
}

/// Record an operation and enqueue its first job in the caller's transaction, which may
/// change the operation's target too. Its first step is its workflow's.
pub async fn start_in(tx: &mut Transaction<'_, Postgres>, new: NewOperation) -> Result<Operation> {
    start_on(tx, new).await
}

async fn start_on(conn: &mut sqlx::PgConnection, new: NewOperation) -> Result<Operation> {
    let first = registry::first_step(new.kind, new.provider)?;
    let op = Db::insert_operation(conn, &new, first, new.kind.queue().name()).await?;
    tracing::info!(operation = %op.id, kind = %op.kind, "operation queued");
    Ok(op)
}

/// Run the worker pools of every queue until `shutdown`, each delivery moving its operation
/// on through [`deliver`].
pub async fn run_workers(
    cx: Context,
    config: WorkerConfig,
    shutdown: tokio_util::sync::CancellationToken,
) -> Result<()> {
    queue::serve(cx, config, shutdown, |fetched, cx| {
        Box::pin(async move { deliver(fetched, &cx).await })
    })
    .await
}

/// Run one delivery of an operation's job, which the queue's fetch has marked running (or
/// not, see [`Fetched::operation`]), and say how it ended.
#[tracing::instrument(skip_all, fields(operation = %fetched.operation_id, kind))]
async fn deliver(fetched: Fetched, cx: &Context) -> Result<Finish> {
    let redelivered = fetched.redelivered();
    let Some(op) = fetched.operation else {
        return settle_unstarted(fetched.operation_id, redelivered, cx).await;
    };
    tracing::Span::current().record("kind", op.kind.as_str());
    let Some(kind) = Kind::parse(&op.kind) else {
        let message = format!("this Toygres does not know operation kind {}", op.kind);
        give_up(&op, &message, cx).await?;
        return Ok(Finish::Nothing);
    };
    drive(kind, op, cx).await
}

/// A delivery the fetch did not start: the operation is missing or final (a duplicate
/// delivery, nothing to do), or this redelivery found its last try used up by a worker that
/// died, and it gives up.
async fn settle_unstarted(
    operation: OperationId,
    redelivered: bool,
    cx: &Context,
) -> Result<Finish> {
    let current = match cx.db.operation(operation).await {
        Ok(op) => op,
        Err(Error::NotFound { .. }) => return Ok(Finish::Nothing),
        Err(e) => return Err(e),
    };
    if redelivered && !current.status.is_final() && current.attempts >= current.max_attempts {
        let message = format!(
            "gave up after {} tries: the worker running it stopped",
            current.attempts
        );
        give_up(&current, &message, cx).await?;
    }
    Ok(Finish::Nothing)
}

/// Drive a running operation from its stored step, one step after another, until it finishes,
/// naps, fails a try or hands over.
async fn drive(kind: Kind, mut op: Operation, cx: &Context) -> Result<Finish> {
    let workflow = registry::workflow(kind);
    let mut measured = crate::telemetry::JobMeasurer::new(kind.queue().name(), &op.kind);
    for _ in 0..MAX_HOPS_PER_DELIVERY {
        match workflow.step(&op, cx).await {
            Ok(Outcome::Hop(next)) => {
                tracing::info!(operation = %op.id, from = %op.step, to = next, "operation step");
                op = cx.db.hop(op.id, next).await?;
                failpoint(&op, next, cx);
                if cx.shutdown.is_cancelled() {
                    // Hand the rest to whichever worker is up next.
                    measured.outcome = "handed_over";
                    return Ok(Finish::Again(Duration::ZERO));
                }
            }
            Ok(Outcome::Nap(delay)) => {
                measured.outcome = "napped";
                return Ok(Finish::Again(delay));
            }
            Ok(Outcome::Done) => {
                measured.outcome = "succeeded";
                tracing::info!(operation = %op.id, "operation succeeded");
                return Ok(Finish::Succeeded);
            }
            Err(e) => {
                measured.outcome = "step_failed";
                return fail_try(&op, &e, cx).await;
            }
        }
    }
    measured.outcome = "handed_over";
    Ok(Finish::Again(Duration::ZERO))
}

/// Crash tests (the `failpoints` feature): abort the process right after an operation of the
/// named kind has recorded that it entered the named step.
#[cfg(feature = "failpoints")]
fn failpoint(op: &Operation, step: &str, cx: &Context) {
    if cx.failpoint.as_deref() == Some(&format!("{}:{step}", op.kind)) {
        tracing::error!(failpoint = step, "failpoint reached: aborting the process");
        std::process::abort();
    }
}

#[cfg(not(feature = "failpoints"))]
fn failpoint(_op: &Operation, _step: &str, _cx: &Context) {}

/// Record a failed try: give up if retrying cannot help or no tries are left, else have it
/// retried with backoff.
async fn fail_try(op: &Operation, err: &Error, cx: &Context) -> Result<Finish> {
    let message = user_message(err);
    if err.is_permanent() || op.attempts >= op.max_attempts {
        tracing::warn!(operation = %op.id, error = err.label(), "operation failed: {err:#}");
        let message = if err.is_permanent() {
            message
        } else {
            shorten(format!("gave up after {} tries: {message}", op.attempts))
        };
        give_up(op, &message, cx).await?;
        return Ok(Finish::Nothing);
    }
    let delay = cx.retry.next_retry(u32::try_from(op.attempts).unwrap_or(1));
    tracing::warn!(operation = %op.id, attempt = op.attempts, ?delay, "failed to {err:#}; will retry");
    Ok(Finish::Retry {
        delay,
        error: message,
    })
}

/// The operation failed for good: its workflow cleans up what must not keep running, then
/// the operation and its target are marked failed in one transaction, so nobody sees one
/// without the other.
async fn give_up(op: &Operation, message: &str, cx: &Context) -> Result<()> {
    let give_up = Kind::parse(&op.kind).map(|kind| registry::workflow(kind).give_up());
    let target_fine = match give_up {
        Some(hooks) => (hooks.clean_up)(op, message, cx).await,
        None => true,
    };
    let mut tx = cx.db.begin().await?;
    Db::fail(&mut tx, op.id, message).await?;
    if let Some(hooks) = give_up {
        (hooks.mark)(&mut tx, op, message, target_fine, cx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// What a user is told about a failure: the domain's own words, or a generic line for
/// internal errors whose detail (which might name hosts or paths) stays in the logs.
/// Shortened to [`MAX_ERROR_BYTES`].
fn user_message(err: &Error) -> String {
    match err {
        Error::Db(_) => "database error (see the server logs)".to_owned(),
        other => shorten(format!("{other:#}")),
    }
}

/// The most bytes of an error an operation, and the instance or server it failed, record.
/// The rows that carry it are announced whole by `pg_notify`, whose payload PostgreSQL
/// caps at 8000 bytes: a longer error would make the transaction that records the failure
/// fail, and leave the operation stuck. 2 KiB leaves room for the rest of the row.
pub const MAX_ERROR_BYTES: usize = 2048;

/// `text` cut to at most [`MAX_ERROR_BYTES`] bytes, on a character boundary, with `…` at the
/// end when it was cut.
fn shorten(text: String) -> String {
    if text.len() <= MAX_ERROR_BYTES {
        return text;
    }
    let mut end = MAX_ERROR_BYTES - '…'.len_utf8();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}
