//! Which workflow each kind of operation runs: its table of steps, its step function, and what
//! happens when it gives up. The one place that maps kinds to the domain; the engine asks it,
//! and knows no workflow itself.
//!
//! | kind | steps | step function | gives up |
//! |---|---|---|---|
//! | `system_check` | `system_check::TABLE` | `system_check::step` | nothing to undo |
//! | instance kinds | `instance::{CREATE, DELETE, …}` (host and Kubernetes tables) | `instance::steps::step`, `instance::kube::step` | the instance stops and is marked failed |
//! | `move_instance` | `moves::TABLE` | `moves::step` | rolled back before promotion |
//! | `add_standby`, `remove_standby` | `instance::{ADD_STANDBY, REMOVE_STANDBY}` | `instance::steps::step` | the new standby is removed; the primary serves on |
//! | `relocate_standby` | `instance::RELOCATE_STANDBY` | `instance::steps::step` | the standby stays where it got to (down, for `heal_standbys`); the primary serves on |
//! | `switchover` | `switchover::TABLE` | `switchover::step` | before promotion the old primary serves again; after, forward only |
//! | `failover` | `failover::TABLE` | `failover::step` | after promotion forward only; before it the old primary restarts in place |
//! | `heal_standbys` | `instance::HEAL_STANDBYS` | `instance::steps::step` | the standbys stay down until the next try |
//! | server kinds | `server::steps::{PROVISION, …}` | `server::steps::step` | the server is marked failed (and discarded) |
//! | `backup_instance` | `backup::TABLE` | `backup::step` | its backup is marked failed |
//! | `restore_drill` | `drill::TABLE` | `drill::step` | failed loudly, its scratch instance removed |
//! | `test_script` | `script::TABLE` | `script::script_step` | nothing to undo |

use std::time::Duration;

use futures::future::BoxFuture;
use sqlx::{Postgres, Transaction};

use crate::instance::{self, Provider, failover, moves, switchover};
use crate::operation::Operation;
use crate::workflow::{Context, Kind, Next, Step};
use crate::{Error, Result, backup, drill, server, system_check};

/// The workflow operations of `kind` run.
pub(crate) fn workflow(kind: Kind) -> &'static dyn Workflow {
    match kind {
        Kind::SystemCheck => &system_check::TABLE,
        Kind::CreateInstance => &instance::CREATE,
        Kind::DeleteInstance => &instance::DELETE,
        Kind::StopInstance => &instance::STOP,
        Kind::StartInstance => &instance::START,
        Kind::RestartInstance => &instance::RESTART,
        Kind::RecoverInstance => &instance::RECOVER,
        Kind::MoveInstance => &moves::TABLE,
        Kind::AddStandby => &instance::ADD_STANDBY,
        Kind::RemoveStandby => &instance::REMOVE_STANDBY,
        Kind::RelocateStandby => &instance::RELOCATE_STANDBY,
        Kind::Switchover => &switchover::TABLE,
        Kind::Failover => &failover::TABLE,
        Kind::HealStandbys => &instance::HEAL_STANDBYS,
        Kind::RegisterServer => &server::steps::REGISTER,
        Kind::ProvisionServer => &server::steps::PROVISION,
        Kind::DrainServer => &server::steps::DRAIN,
        Kind::RemoveServer => &server::steps::REMOVE,
        Kind::DiscardServer => &server::steps::DISCARD,
        Kind::ScaleCluster => &server::steps::SCALE,
        Kind::RefreshPlans => &server::steps::REFRESH_PLANS,
        Kind::BackupInstance => &backup::TABLE,
        Kind::RestoreDrill => &drill::TABLE,
        #[cfg(any(test, feature = "script-workflow"))]
        Kind::TestScript => &crate::script::TABLE,
    }
}

/// The first step of an operation of `kind` (on an instance of `provider`, for instance
/// workflows, whose steps differ by provider).
pub(crate) fn first_step(kind: Kind, provider: Option<Provider>) -> Result<&'static str> {
    workflow(kind).first_step(provider).ok_or_else(|| {
        Error::Other(anyhow::anyhow!(
            "{} has no steps on this provider",
            kind.as_str()
        ))
    })
}

/// What a step came to, in the names the engine stores.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Store this step and run it now.
    Hop(&'static str),
    /// Run the same step again in a fresh delivery, this long from now.
    Nap(Duration),
    /// The operation succeeded.
    Done,
}

/// A workflow as the engine sees it.
pub(crate) trait Workflow: Sync {
    /// The first step (on an instance of `provider`, where that matters).
    fn first_step(&self, provider: Option<Provider>) -> Option<&'static str>;

    /// Run `op`'s current step.
    fn step<'a>(&'a self, op: &'a Operation, cx: &'a Context) -> BoxFuture<'a, Result<Outcome>>;

    /// What to do when `op` gives up for good.
    fn give_up(&self) -> &GiveUp;
}

/// A step function: `async fn(step, &Operation, &Context) -> Result<Next<step>>`, boxed.
pub(crate) type StepFn<S> =
    for<'a> fn(S, &'a Operation, &'a Context) -> BoxFuture<'a, Result<Next<S>>>;

/// Stop or undo what must not stay after an operation (with this message) gave up; whether
/// its target is fine as it is.
pub(crate) type CleanUp = for<'a> fn(&'a Operation, &'a str, &'a Context) -> BoxFuture<'a, bool>;

/// Mark a given-up operation's target in the transaction that marks the operation failed,
/// given the message and whether the target is fine.
pub(crate) type MarkTarget = for<'a, 't> fn(
    &'a mut Transaction<'t, Postgres>,
    &'a Operation,
    &'a str,
    bool,
    &'a Context,
) -> BoxFuture<'a, Result<()>>;

/// What becomes of an operation's target when the operation gives up for good.
pub(crate) struct GiveUp {
    /// First, outside any transaction.
    pub(crate) clean_up: CleanUp,
    /// Then, in the transaction that marks the operation failed.
    pub(crate) mark: MarkTarget,
}

impl GiveUp {
    /// Nothing to undo, no target to mark.
    pub(crate) const NOTHING: GiveUp = GiveUp {
        clean_up: |_, _, _| Box::pin(async { true }),
        mark: |_, _, _, _, _| Box::pin(async { Ok(()) }),
    };
}

/// A workflow with one table of steps.
pub(crate) struct Table<S: 'static> {
    /// The steps, in order.
    pub(crate) steps: &'static [S],
    /// Runs one step.
    pub(crate) run: StepFn<S>,
    /// What happens on giving up.
    pub(crate) give_up: GiveUp,
}

impl<S: Step> Workflow for Table<S> {
    fn first_step(&self, _provider: Option<Provider>) -> Option<&'static str> {
        self.steps.first().map(|s| s.as_str())
    }

    fn step<'a>(&'a self, op: &'a Operation, cx: &'a Context) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(self.drive(op, cx))
    }

    fn give_up(&self) -> &GiveUp {
        &self.give_up
    }
}

impl<S: Step> Table<S> {
    /// Run `op`'s stored step, and name what comes next.
    pub(crate) async fn drive(&self, op: &Operation, cx: &Context) -> Result<Outcome> {
        let step = S::parse(&op.step)
            .filter(|s| self.steps.contains(s))
            .ok_or_else(|| Error::InvalidInput(format!("{} has no step {}", op.kind, op.step)))?;
        Ok(match (self.run)(step, op, cx).await? {
            Next::Continue => {
                let at = self.steps.iter().position(|s| *s == step);
                match at.and_then(|i| self.steps.get(i + 1)) {
                    Some(next) => Outcome::Hop(next.as_str()),
                    None => Outcome::Done,
                }
            }
            Next::Hop(next) => Outcome::Hop(next.as_str()),
            Next::Nap(delay) => Outcome::Nap(delay),
            Next::Done => Outcome::Done,
        })
    }
}

#[cfg(test)]
mod tests {
    use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

    use super::*;
    use crate::db::Db;
    use crate::user::DEFAULT_PROJECT_ID;

    /// A table's step names what comes next: the next step of the table, the end after the
    /// last, and a stored step the table does not have is refused, not run.
    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn a_table_goes_from_step_to_step_and_refuses_a_step_it_does_not_have(
        _p: PgPoolOptions,
        c: PgConnectOptions,
    ) {
        let db = Db::from_pool(PgPoolOptions::new().connect_with(c).await.unwrap());
        let cx = crate::fixtures::context(&db);
        let mut op = system_check::start(&db, DEFAULT_PROJECT_ID, None)
            .await
            .unwrap();
        assert_eq!(op.step, "check_database");
        let table = &system_check::TABLE;
        assert_eq!(
            table.drive(&op, &cx).await.unwrap(),
            Outcome::Hop("check_queue")
        );
        op.step = "check_queue".to_owned();
        assert_eq!(table.drive(&op, &cx).await.unwrap(), Outcome::Done);
        op.step = "fetch_plans".to_owned();
        let refused = table.drive(&op, &cx).await.unwrap_err();
        assert!(matches!(refused, Error::InvalidInput(_)), "{refused}");
    }

    #[test]
    fn every_kind_has_a_first_step_on_every_provider_it_runs_on() {
        for kind in Kind::ALL.iter().copied() {
            let providers: &[Option<Provider>] = match workflow(kind).first_step(None) {
                // Instance workflows answer per provider.
                Some(_) => &[None],
                None => &[
                    Some(Provider::Local),
                    Some(Provider::Server),
                    Some(Provider::Kubernetes),
                ],
            };
            for provider in providers {
                assert!(
                    first_step(kind, *provider).is_ok(),
                    "{} on {provider:?}",
                    kind.as_str()
                );
            }
        }
    }
}
