//! The step engine: run an operation's workflow one idempotent step at a time.
//!
//! A delivery of an operation's job loads the operation, then loops: run the current step,
//! persist what it says comes next, go on. A step answers with a [`Next`]:
//!
//! ```text
//!   Hop(step) ── store the step, run it now (same delivery)
//!   Nap(d)    ── store nothing new; schedule a fresh delivery in d, end this one
//!   Done      ── mark the operation succeeded
//!   Err(e)    ── permanent: mark it failed at once
//!                transient: back to queued with the error, retried after next_retry(attempt),
//!                           failed once max_attempts tries have failed
//! ```
//!
//! A worker that dies mid-step leaves the job locked; the queue hands it to another worker
//! once the dead one misses its heartbeats, and that delivery counts as a new attempt and
//! resumes from the stored step. Steps are idempotent, so running one twice is safe.

use std::sync::Arc;
use std::time::Duration;

use providers::local::LocalHost;
use rand::Rng as _;
use sqlx::{Postgres, Transaction};
use tokio_util::sync::CancellationToken;

use crate::db::{Db, NewOperation};
use crate::operation::{Operation, OperationId};
use crate::queue::{self, Queue};
use crate::{Error, Result};

/// Most steps one delivery runs before handing over to a fresh delivery, so that a workflow
/// that hops in a circle cannot hold a worker forever.
const MAX_HOPS_PER_DELIVERY: usize = 100;

/// What a step says happens next.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// Go on to this step now.
    Hop(&'static str),
    /// Wait this long, then run the current step again (polling something outside).
    Nap(Duration),
    /// The workflow is finished.
    Done,
}

/// The exponential backoff between failed tries.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// The delay after the first failure.
    pub base: Duration,
    /// The longest delay.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    /// 2 s, 4 s, 8 s … doubling per failed try, capped at 10 min.
    fn default() -> Self {
        Self {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(600),
        }
    }
}

impl RetryPolicy {
    /// The delay before the try after `failed` failed tries: `base × 2^(failed−1)`, capped,
    /// then scaled by a random factor in [0.5, 1.5) so that retries of many jobs spread out.
    pub fn next_retry(&self, failed: u32) -> Duration {
        let exp = failed.saturating_sub(1).min(30);
        let raw = self.base.saturating_mul(1u32 << exp).min(self.cap);
        raw.mul_f64(rand::rng().random_range(0.5..1.5))
    }
}

/// What the workers need.
#[derive(Clone, Debug)]
pub struct Context {
    /// The metadata and queue database.
    pub db: Db,
    /// Cancelled when the process shuts down: steps in flight finish, no new one starts.
    pub shutdown: CancellationToken,
    /// Backoff between failed tries.
    pub retry: RetryPolicy,
    /// The local provider: Postgres processes on this host.
    pub local: Arc<LocalHost>,
    /// The server fleet's clouds and settings.
    pub fleet: Arc<crate::server::Fleet>,
    /// The Kubernetes provider, when configured.
    pub kubernetes: Option<Arc<providers::kubernetes::Kubernetes>>,
    /// A crash to inject, for crash tests: `kind:step` aborts the process right after an
    /// operation of `kind` has recorded that it entered `step`. `None` in production.
    pub failpoint: Option<String>,
}

/// A workflow that operations can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Check that the database and the job queue work.
    SystemCheck,
    /// Make a new instance and start it.
    CreateInstance,
    /// Stop an instance and remove it with its data.
    DeleteInstance,
    /// Stop an instance, keeping its data.
    StopInstance,
    /// Start a stopped (or failed) instance.
    StartInstance,
    /// Stop and start an instance.
    RestartInstance,
    /// Start an instance whose server died behind our back (the health sweep asks).
    RecoverInstance,
    /// Move an instance to another server: copy, catch up, cut over.
    MoveInstance,
    /// Reach a server registered by address and make it active.
    RegisterServer,
    /// Create a VM and bootstrap it into an active server.
    ProvisionServer,
    /// Stop placing work on a server and wait for what runs there.
    DrainServer,
    /// Drain a server, delete its VM, and mark it removed.
    RemoveServer,
    /// Delete the VM of a server whose provisioning failed.
    DiscardServer,
    /// Follow the provisions and removals of a scaling decision.
    ScaleCluster,
    /// Replace the plan table with a provider's own listing.
    RefreshPlans,
    /// Scripted behaviour for the engine's own tests.
    #[cfg(any(test, feature = "test-util"))]
    TestScript,
}

impl Kind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::SystemCheck => "system_check",
            Kind::CreateInstance => "create_instance",
            Kind::DeleteInstance => "delete_instance",
            Kind::StopInstance => "stop_instance",
            Kind::StartInstance => "start_instance",
            Kind::RestartInstance => "restart_instance",
            Kind::RecoverInstance => "recover_instance",
            Kind::MoveInstance => "move_instance",
            Kind::RegisterServer => "register_server",
            Kind::ProvisionServer => "provision_server",
            Kind::DrainServer => "drain_server",
            Kind::RemoveServer => "remove_server",
            Kind::DiscardServer => "discard_server",
            Kind::ScaleCluster => "scale_cluster",
            Kind::RefreshPlans => "refresh_plans",
            #[cfg(any(test, feature = "test-util"))]
            Kind::TestScript => "test_script",
        }
    }

    /// The kind stored as `name`, if this build knows it.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "system_check" => Some(Kind::SystemCheck),
            "create_instance" => Some(Kind::CreateInstance),
            "delete_instance" => Some(Kind::DeleteInstance),
            "stop_instance" => Some(Kind::StopInstance),
            "start_instance" => Some(Kind::StartInstance),
            "restart_instance" => Some(Kind::RestartInstance),
            "recover_instance" => Some(Kind::RecoverInstance),
            "move_instance" => Some(Kind::MoveInstance),
            "register_server" => Some(Kind::RegisterServer),
            "provision_server" => Some(Kind::ProvisionServer),
            "drain_server" => Some(Kind::DrainServer),
            "remove_server" => Some(Kind::RemoveServer),
            "discard_server" => Some(Kind::DiscardServer),
            "scale_cluster" => Some(Kind::ScaleCluster),
            "refresh_plans" => Some(Kind::RefreshPlans),
            #[cfg(any(test, feature = "test-util"))]
            "test_script" => Some(Kind::TestScript),
            _ => None,
        }
    }

    /// The worker pool that runs it.
    pub fn queue(self) -> Queue {
        match self {
            Kind::SystemCheck => Queue::System,
            Kind::CreateInstance
            | Kind::StopInstance
            | Kind::StartInstance
            | Kind::RestartInstance
            | Kind::RecoverInstance => Queue::Deploy,
            Kind::DeleteInstance => Queue::Delete,
            Kind::ProvisionServer | Kind::ScaleCluster | Kind::RefreshPlans => Queue::Provision,
            Kind::DrainServer | Kind::RemoveServer | Kind::MoveInstance => Queue::Drain,
            Kind::RegisterServer => Queue::Provision,
            Kind::DiscardServer => Queue::Delete,
            #[cfg(any(test, feature = "test-util"))]
            Kind::TestScript => Queue::System,
        }
    }

    /// How many tries an operation of this kind gets.
    pub fn max_attempts(self) -> i32 {
        match self {
            Kind::SystemCheck => 3,
            Kind::CreateInstance
            | Kind::DeleteInstance
            | Kind::StopInstance
            | Kind::StartInstance
            | Kind::RestartInstance
            | Kind::RecoverInstance => 5,
            // Transient cloud failures (5xx, rate limits) get more tries; polling naps do
            // not count as tries.
            Kind::MoveInstance
            | Kind::RegisterServer
            | Kind::ProvisionServer
            | Kind::DrainServer
            | Kind::RemoveServer
            | Kind::DiscardServer
            | Kind::RefreshPlans => 8,
            Kind::ScaleCluster => 3,
            #[cfg(any(test, feature = "test-util"))]
            Kind::TestScript => 4,
        }
    }
}

/// Record an operation and enqueue its first job in one transaction: either both exist or
/// neither does.
pub async fn start(db: &Db, new: NewOperation) -> Result<Operation> {
    let mut tx = db.begin().await?;
    let op = start_in(&mut tx, new).await?;
    tx.commit().await?;
    Ok(op)
}

/// Record an operation and enqueue its first job in the caller's transaction, which may
/// change the operation's target too.
pub async fn start_in(tx: &mut Transaction<'_, Postgres>, new: NewOperation) -> Result<Operation> {
    let kind = Kind::parse(&new.kind)
        .ok_or_else(|| Error::InvalidInput(format!("unknown operation kind {}", new.kind)))?;
    let op = Db::insert_operation(tx, &new).await?;
    queue::enqueue(tx, kind.queue(), op.id, Duration::ZERO).await?;
    tracing::info!(operation = %op.id, kind = %op.kind, "operation queued");
    Ok(op)
}

/// Run one delivery of an operation's job. `redelivered` says an earlier delivery of the same
/// job did not finish (its worker died), which counts as a failed try.
#[tracing::instrument(skip(cx), fields(kind))]
pub async fn run(operation: OperationId, redelivered: bool, cx: &Context) -> Result<()> {
    if redelivered {
        // The worker that had it died; if that was its last try, give up.
        let current = match cx.db.operation(operation).await {
            Ok(op) => op,
            Err(Error::NotFound { .. }) => return Ok(()),
            Err(e) => return Err(e),
        };
        if !current.status.is_final() && current.attempts >= current.max_attempts {
            let message = format!(
                "gave up after {} tries: the worker running it stopped",
                current.attempts
            );
            return give_up(&current, &message, cx).await;
        }
    }
    // One statement marks it running and counts the try; `None` means it is missing or
    // already final (a duplicate delivery).
    let Some(mut op) = cx.db.begin_run(operation, redelivered).await? else {
        return Ok(());
    };
    tracing::Span::current().record("kind", op.kind.as_str());
    let Some(kind) = Kind::parse(&op.kind) else {
        let message = format!("this Toygres does not know operation kind {}", op.kind);
        return give_up(&op, &message, cx).await;
    };
    let mut measured = crate::telemetry::JobMeasurer::new(kind.queue().name(), &op.kind);
    for _ in 0..MAX_HOPS_PER_DELIVERY {
        match step(kind, &op, cx).await {
            Ok(Next::Hop(next)) => {
                tracing::info!(operation = %op.id, from = %op.step, to = next, "operation step");
                op = cx.db.hop(op.id, next).await?;
                if cx.failpoint.as_deref() == Some(&format!("{}:{next}", op.kind)) {
                    tracing::error!(failpoint = next, "failpoint reached: aborting the process");
                    std::process::abort();
                }
                if cx.shutdown.is_cancelled() {
                    // Hand the rest to whichever worker is up next.
                    deliver_again(kind, &op, Duration::ZERO, cx).await?;
                    measured.outcome = "handed_over";
                    return Ok(());
                }
            }
            Ok(Next::Nap(delay)) => {
                deliver_again(kind, &op, delay, cx).await?;
                measured.outcome = "napped";
                return Ok(());
            }
            Ok(Next::Done) => {
                cx.db.succeed(op.id).await?;
                measured.outcome = "succeeded";
                tracing::info!(operation = %op.id, "operation succeeded");
                return Ok(());
            }
            Err(e) => {
                fail_try(kind, &op, &e, cx).await?;
                measured.outcome = "step_failed";
                return Ok(());
            }
        }
    }
    deliver_again(kind, &op, Duration::ZERO, cx).await?;
    measured.outcome = "handed_over";
    Ok(())
}

/// End this delivery and enqueue another of the same operation, due after `delay`.
async fn deliver_again(kind: Kind, op: &Operation, delay: Duration, cx: &Context) -> Result<()> {
    let mut tx = cx.db.begin().await?;
    queue::enqueue(&mut tx, kind.queue(), op.id, delay).await?;
    tx.commit().await?;
    Ok(())
}

/// Record a failed try: fail the operation if retrying cannot help or no tries are left,
/// else requeue it with backoff.
async fn fail_try(kind: Kind, op: &Operation, err: &Error, cx: &Context) -> Result<()> {
    let message = user_message(err);
    if err.is_permanent() || op.attempts >= op.max_attempts {
        tracing::warn!(operation = %op.id, error = err.metric_label(), "operation failed: {err:#}");
        let message = if err.is_permanent() {
            message
        } else {
            format!("gave up after {} tries: {message}", op.attempts)
        };
        return give_up(op, &message, cx).await;
    }
    let delay = cx.retry.next_retry(u32::try_from(op.attempts).unwrap_or(1));
    tracing::warn!(operation = %op.id, attempt = op.attempts, ?delay, "failed to {err:#}; will retry");
    let mut tx = cx.db.begin().await?;
    Db::requeue_after_failure(&mut tx, op.id, &message).await?;
    queue::enqueue(&mut tx, kind.queue(), op.id, delay).await?;
    tx.commit().await?;
    Ok(())
}

/// The operation failed for good: clean up what must not keep running, then mark the
/// operation and its target failed in one transaction, so nobody sees one without the other.
async fn give_up(op: &Operation, message: &str, cx: &Context) -> Result<()> {
    // A move undone serves as before; anything else on an instance stops it and marks it
    // failed.
    let instance_fine = if op.kind == Kind::MoveInstance.as_str() {
        crate::instance::moves::roll_back(op, message, cx).await
    } else {
        crate::instance::stop_after_failure(op, cx).await;
        false
    };
    let mut tx = cx.db.begin().await?;
    Db::fail(&mut tx, op.id, message).await?;
    if op.target_kind == crate::operation::TargetKind::Instance
        && !instance_fine
        && let Some(target) = op.target_id
    {
        Db::mark_instance_failed(&mut tx, crate::instance::InstanceId(target), message).await?;
    }
    crate::server::after_failure(&mut tx, op, message, cx).await?;
    tx.commit().await?;
    Ok(())
}

/// What a user is told about a failure: the domain's own words, or a generic line for
/// internal errors whose detail (which might name hosts or paths) stays in the logs.
fn user_message(err: &Error) -> String {
    match err {
        Error::Db(_) => "database error (see the server logs)".to_owned(),
        other => format!("{other:#}"),
    }
}

async fn step(kind: Kind, op: &Operation, cx: &Context) -> Result<Next> {
    match kind {
        Kind::SystemCheck => crate::system_check::step(op, cx).await,
        Kind::CreateInstance
        | Kind::DeleteInstance
        | Kind::StopInstance
        | Kind::StartInstance
        | Kind::RestartInstance
        | Kind::RecoverInstance
        | Kind::MoveInstance => crate::instance::step(kind, op, cx).await,
        Kind::RegisterServer
        | Kind::ProvisionServer
        | Kind::DrainServer
        | Kind::RemoveServer
        | Kind::DiscardServer
        | Kind::ScaleCluster
        | Kind::RefreshPlans => crate::server::step(kind, op, cx).await,
        #[cfg(any(test, feature = "test-util"))]
        Kind::TestScript => crate::testing::script_step(op, cx).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_from_the_base_and_stop_at_the_cap_with_jitter() {
        let policy = RetryPolicy::default();
        for _ in 0..50 {
            let first = policy.next_retry(1);
            assert!(
                first >= Duration::from_secs(1) && first < Duration::from_secs(3),
                "{first:?}"
            );
            let third = policy.next_retry(3);
            assert!(
                third >= Duration::from_secs(4) && third < Duration::from_secs(12),
                "{third:?}"
            );
            let late = policy.next_retry(40);
            assert!(
                late >= Duration::from_secs(300) && late < Duration::from_secs(900),
                "{late:?}"
            );
        }
    }

    #[test]
    fn kinds_round_trip_through_their_stored_names() {
        for kind in [
            Kind::SystemCheck,
            Kind::CreateInstance,
            Kind::DeleteInstance,
            Kind::StopInstance,
            Kind::StartInstance,
            Kind::RestartInstance,
            Kind::RecoverInstance,
            Kind::MoveInstance,
            Kind::RegisterServer,
            Kind::ProvisionServer,
            Kind::DrainServer,
            Kind::RemoveServer,
            Kind::DiscardServer,
            Kind::ScaleCluster,
            Kind::RefreshPlans,
            Kind::TestScript,
        ] {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
            assert!(kind.max_attempts() >= 1);
        }
        assert_eq!(Kind::parse("no_such_kind"), None);
    }
}
