//! What every workflow shares: the [`Kind`]s of operations, the [`Context`] their steps run
//! in, the [`Next`] a step answers, the [`Step`] names it stores, and the [`RetryPolicy`].
//! The engine (`engine`) runs them; the registry (`registry`) says which steps and which
//! step function each kind has. This module imports neither.
//!
//! A workflow's steps are an enum declared with [`steps!`], each variant with its stored
//! name, and a step function of one shape:
//!
//! ```text
//! async fn step(step: S, op: &Operation, cx: &Context) -> Result<Next<S>>
//!
//!   Continue  ── the next step of the workflow's table, run now (same delivery); after the
//!                last one the operation has succeeded
//!   Hop(s)    ── step s now, out of the table's order (back to an earlier step, say)
//!   Nap(d)    ── the same step again in a fresh delivery, d from now (polling)
//!   Done      ── finished early
//!   Err(e)    ── permanent: failed at once; transient: retried with backoff until
//!                max_attempts tries have failed
//! ```

use std::sync::Arc;
use std::time::Duration;

use providers::host::PgHost;
use rand::Rng as _;
use tokio_util::sync::CancellationToken;

use crate::db::Db;
use crate::queue::Queue;

/// What a step says happens next.
#[derive(Debug, PartialEq, Eq)]
pub enum Next<S> {
    /// Go on to the next step of the table (or finish after the last).
    Continue,
    /// Go on to this step now.
    Hop(S),
    /// Wait this long, then run the current step again (polling something outside).
    Nap(Duration),
    /// The workflow is finished.
    Done,
}

/// A workflow's step: an enum whose variants have stored names. Declare one with [`steps!`].
pub trait Step: Copy + Eq + std::fmt::Debug + Send + Sync + 'static {
    /// Every step.
    const ALL: &'static [Self];

    /// The stored name.
    fn as_str(self) -> &'static str;

    /// The step stored as `name`, if there is one.
    fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|s| s.as_str() == name)
    }
}

/// Declare a workflow's step enum, each variant with the name stored in `operations.step`
/// (never rename one without a migration).
macro_rules! steps {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident => $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        $vis enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $crate::workflow::Step for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),+];

            fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }
        }
    };
}
pub(crate) use steps;

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
    pub local: Arc<PgHost>,
    /// The server fleet's clouds and settings.
    pub fleet: Arc<crate::server::Fleet>,
    /// The backup repository, unless pgBackRest is missing here.
    pub backup: Option<Arc<providers::host::backup::Repository>>,
    /// The Kubernetes provider, when configured.
    pub kubernetes: Option<Arc<providers::kubernetes::Kubernetes>>,
    /// The installation's certificate authority, which issues instances' certificates.
    pub tls: Arc<crate::tls::Authority>,
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
    /// Make a new standby of an instance.
    AddStandby,
    /// Remove one standby of an instance.
    RemoveStandby,
    /// Copy a standby of an instance afresh onto another server and remove its old copy.
    RelocateStandby,
    /// Hand an instance's primary over to a standby, losing no committed write.
    Switchover,
    /// Promote a standby of an instance whose primary is lost.
    Failover,
    /// Bring back the standbys of an instance that are down.
    HealStandbys,
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
    /// Take a backup of an instance into its repository.
    BackupInstance,
    /// Restore an instance's backups into a scratch instance, check and measure it.
    RestoreDrill,
    /// Scripted behaviour for the engine's own tests (the `script` module, only with the
    /// `script-workflow` feature).
    #[cfg(any(test, feature = "script-workflow"))]
    TestScript,
}

impl Kind {
    /// Every kind this build knows.
    pub const ALL: &'static [Kind] = &[
        Kind::SystemCheck,
        Kind::CreateInstance,
        Kind::DeleteInstance,
        Kind::StopInstance,
        Kind::StartInstance,
        Kind::RestartInstance,
        Kind::RecoverInstance,
        Kind::MoveInstance,
        Kind::AddStandby,
        Kind::RemoveStandby,
        Kind::RelocateStandby,
        Kind::Switchover,
        Kind::Failover,
        Kind::HealStandbys,
        Kind::RegisterServer,
        Kind::ProvisionServer,
        Kind::DrainServer,
        Kind::RemoveServer,
        Kind::DiscardServer,
        Kind::ScaleCluster,
        Kind::RefreshPlans,
        Kind::BackupInstance,
        Kind::RestoreDrill,
        #[cfg(any(test, feature = "script-workflow"))]
        Kind::TestScript,
    ];

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
            Kind::AddStandby => "add_standby",
            Kind::RemoveStandby => "remove_standby",
            Kind::RelocateStandby => "relocate_standby",
            Kind::Switchover => "switchover",
            Kind::Failover => "failover",
            Kind::HealStandbys => "heal_standbys",
            Kind::RegisterServer => "register_server",
            Kind::ProvisionServer => "provision_server",
            Kind::DrainServer => "drain_server",
            Kind::RemoveServer => "remove_server",
            Kind::DiscardServer => "discard_server",
            Kind::ScaleCluster => "scale_cluster",
            Kind::RefreshPlans => "refresh_plans",
            Kind::BackupInstance => "backup_instance",
            Kind::RestoreDrill => "restore_drill",
            #[cfg(any(test, feature = "script-workflow"))]
            Kind::TestScript => "test_script",
        }
    }

    /// The kind stored as `name`, if this build knows it.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == name)
    }

    /// The worker pool that runs it.
    pub fn queue(self) -> Queue {
        match self {
            Kind::SystemCheck => Queue::System,
            Kind::CreateInstance
            | Kind::StopInstance
            | Kind::StartInstance
            | Kind::RestartInstance
            | Kind::RecoverInstance
            | Kind::AddStandby
            | Kind::RemoveStandby
            | Kind::Switchover
            | Kind::Failover
            | Kind::HealStandbys => Queue::Deploy,
            Kind::DeleteInstance => Queue::Delete,
            Kind::ProvisionServer | Kind::ScaleCluster | Kind::RefreshPlans => Queue::Provision,
            // A relocation copies a standby's data, as a move does.
            Kind::DrainServer | Kind::RemoveServer | Kind::MoveInstance | Kind::RelocateStandby => {
                Queue::Drain
            }
            Kind::RegisterServer => Queue::Provision,
            Kind::DiscardServer => Queue::Delete,
            Kind::BackupInstance | Kind::RestoreDrill => Queue::Backup,
            #[cfg(any(test, feature = "script-workflow"))]
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
            | Kind::RecoverInstance
            | Kind::AddStandby
            | Kind::RemoveStandby
            | Kind::HealStandbys
            | Kind::Failover => 5,
            // Transient cloud failures (5xx, rate limits) get more tries; polling naps do
            // not count as tries.
            Kind::MoveInstance
            | Kind::Switchover
            | Kind::RelocateStandby
            | Kind::RegisterServer
            | Kind::ProvisionServer
            | Kind::DrainServer
            | Kind::RemoveServer
            | Kind::DiscardServer
            | Kind::RefreshPlans => 8,
            Kind::ScaleCluster => 3,
            // A backup that fails over and over (a repository down) fails loudly, and the
            // scheduler starts the next one.
            Kind::BackupInstance | Kind::RestoreDrill => 5,
            #[cfg(any(test, feature = "script-workflow"))]
            Kind::TestScript => 4,
        }
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
        for kind in Kind::ALL.iter().copied() {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
            assert!(kind.max_attempts() >= 1);
        }
        assert_eq!(Kind::parse("no_such_kind"), None);
    }
}
