//! Failover: when an instance's primary is lost, a standby takes over by itself.
//!
//! The watcher ([`watch`], one process at a time) checks the primary of every running
//! instance with standbys every `TOYGRES_HA_CHECK_SECS` (2 s) by connecting to it as a client
//! does, and reads how its standbys stream. A primary that fails
//! `TOYGRES_FAILOVER_AFTER_CHECKS` (3) checks in a row, while a standby streamed at the last
//! reading, is failed over by a durable operation:
//!
//! ```text
//! failover: fence → promote → switch → follow
//! ```
//! * `fence`: the old primary must never take writes again: it is stopped on its host.
//!   When its host does not answer and is a cloud VM, the VM is powered off through its
//!   cloud's API (and the server marked failed). When neither works (a registered host that
//!   does not answer), Toygres does **not** go on by itself (two primaries could serve): it
//!   raises a cluster event and fails; an operator who knows the host is down calls
//!   `failover(force: true)`.
//! * `promote`: the standby that has received the most WAL (in synchronous mode it holds
//!   every acknowledged commit) is chosen, recorded, and promoted after replaying all it has.
//! * `switch`: it becomes the instance's primary (the connection string names it first) and
//!   the old primary a standby marked to be copied afresh (it may hold writes nobody else
//!   saw); writes resume, recorded from the first failed check.
//! * `follow`: the other standbys follow the new primary; the old one is rebuilt as a standby
//!   when its host answers, else it is `down` and the watcher heals it later
//!   (`heal_standbys`) so the instance gets back its standbys.
//!
//! A control plane killed at any point resumes the operation from its stored step; the choice
//! of standby is recorded before it is promoted, so a resumed failover never promotes a
//! second one. In the watcher, the in-place restart the health sweep does for lone instances
//! (`recover_instance`) is left to failover whenever a standby streams.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::anyhow;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::standbys::{self, Standby, StandbyState, Started};
use super::{Instance, InstanceId, InstanceState, Kind, port_of};
use crate::db::Db;
use crate::operation::Operation;
use crate::registry::{GiveUp, Table};
use crate::workflow::{Context, Next, steps};
use crate::{Error, Result};

/// The watcher's advisory lock: "toyhaw".
const LEADER_LOCK: i64 = 0x0074_6f79_6861_7761;
/// How long fencing waits for the old primary's host to stop it.
const FENCE_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a cloud may take to power a VM off.
const POWER_OFF_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a standby may take to say how much WAL it holds.
const ASK_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the watcher tries to bring back the standbys of one instance.
const HEAL_EVERY: Duration = Duration::from_secs(60);

/// How the watcher decides.
#[derive(Clone, Debug)]
pub struct HaConfig {
    /// How often primaries with standbys are checked.
    pub interval: Duration,
    /// How many failed checks in a row make a failover.
    pub after_checks: u32,
    /// Whether the watcher fails over by itself (else only `failover` does).
    pub automatic: bool,
}

impl Default for HaConfig {
    /// Every 2 s; 3 failed checks; automatic.
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(2),
            after_checks: 3,
            automatic: true,
        }
    }
}

steps! {
    /// The steps of `failover`.
    pub(crate) enum FailStep {
        Fence => "fence",
        Promote => "promote",
        Switch => "switch",
        Follow => "follow",
    }
}

/// `failover`: its steps and step function; one that gives up after a promotion is carried
/// forward, before it the old primary is started again in place.
pub(crate) static TABLE: Table<FailStep> = Table {
    steps: &[
        FailStep::Fence,
        FailStep::Promote,
        FailStep::Switch,
        FailStep::Follow,
    ],
    run: |s, op, cx| Box::pin(step(s, op, cx)),
    give_up: GiveUp {
        clean_up: |op, message, cx| Box::pin(settle(op, message, cx)),
        mark: |tx, op, message, fine, _| Box::pin(super::mark_failed(tx, op, message, fine)),
    },
};

/// What a failover operation was asked.
#[derive(Debug, Default, Serialize, Deserialize)]
struct FailoverInput {
    /// Go on even when the old primary's host cannot be reached to stop it.
    #[serde(default)]
    force: bool,
    /// When the primary was first seen down (writes stopped then), for the watcher's.
    #[serde(default)]
    down_since: Option<DateTime<Utc>>,
}

/// Start failing running instance `id` over to its best standby: record and enqueue the
/// `failover` operation. `force` lets it go on when the old primary's host cannot be reached
/// to stop it: only for an operator who knows that host is down.
pub async fn start(
    db: &Db,
    id: InstanceId,
    force: bool,
    down_since: Option<DateTime<Utc>>,
    requested_by: Option<crate::user::UserId>,
) -> Result<Operation> {
    let mut tx = db.begin().await?;
    let inst = Db::lock_instance(&mut tx, id).await?;
    standbys::check_supported(inst.provider)?;
    if inst.state != InstanceState::Running {
        return Err(Error::Conflict(
            format!(
                "instance {} is {:?}; only a running instance fails over",
                inst.name, inst.state
            )
            .to_lowercase(),
        ));
    }
    if Db::count_standbys(&mut tx, id).await? == 0 {
        return Err(Error::InvalidInput(format!(
            "instance {} has no standby to fail over to",
            inst.name
        )));
    }
    let input = FailoverInput {
        force,
        down_since: Some(down_since.unwrap_or_else(Utc::now)),
    };
    let op = crate::engine::start_in(
        &mut tx,
        super::new_operation(
            &inst,
            Kind::Failover,
            requested_by,
            serde_json::to_value(&input).map_err(anyhow::Error::from)?,
        ),
    )
    .await?;
    tx.commit().await?;
    tracing::warn!(instance = %id, operation = %op.id, force, "failover queued");
    Ok(op)
}

fn major(inst: &Instance) -> Result<u32> {
    Ok(u32::try_from(inst.pg_version).map_err(anyhow::Error::from)?)
}

/// Run one step of the failover.
async fn step(step: FailStep, op: &Operation, cx: &Context) -> Result<Next<FailStep>> {
    let inst = super::target(op, cx).await?;
    let input: FailoverInput = serde_json::from_value(op.input.clone()).unwrap_or_default();
    let chosen = cx.db.find_handover(op.id).await?;
    let switched = chosen
        .as_ref()
        .is_some_and(|h| inst.primary_member_id() == h.to_member_id);
    if switched && step != FailStep::Follow {
        return Ok(Next::Hop(FailStep::Follow));
    }
    let major = major(&inst)?;
    match step {
        FailStep::Fence => fence(&inst, input.force, cx).await?,
        FailStep::Promote => {
            let h = match chosen {
                Some(h) => h,
                None => {
                    let best = best_standby(&inst, cx).await?;
                    cx.db
                        .record_handover(&inst, op.id, best.id, input.down_since)
                        .await?
                }
            };
            let s = cx.db.standby(h.to_member_id).await?;
            let host = standbys::host_of(&inst, &s, cx).await?;
            // Promoting replays everything it received first.
            host.promote_after(&s.resource_name, major, port_of(s.port, "the standby")?, 0)
                .await?;
        }
        FailStep::Switch => {
            let h = chosen.ok_or_else(|| Error::Other(anyhow!("no standby was chosen")))?;
            cx.db.switch_primary(&h).await?;
        }
        FailStep::Follow => {
            let h = chosen.ok_or_else(|| Error::Other(anyhow!("no standby was chosen")))?;
            let primary = super::host_of(&inst, cx).await?;
            primary
                .lead(
                    &inst.resource_name(),
                    major,
                    port_of(inst.port, "the primary")?,
                )
                .await?;
            if let Started::PortTaken = standbys::start_all(&inst, &primary, cx, false).await? {
                return Ok(Next::Hop(FailStep::Follow));
            }
            standbys::announce_handover(&inst, h.id, cx).await?;
        }
    }
    Ok(Next::Continue)
}

/// Make sure the old primary of `inst` takes no more writes: stop it on its host; when the
/// host does not answer and is a cloud VM, power the VM off through its cloud's API. A host
/// that can be neither reached nor powered off stops the failover unless `force`d: it might
/// still serve.
async fn fence(inst: &Instance, force: bool, cx: &Context) -> Result<()> {
    let stopped = async {
        let host = super::host_of(inst, cx).await?;
        tokio::time::timeout(FENCE_TIMEOUT, host.ensure_stopped(&inst.resource_name()))
            .await
            .map_err(|_| Error::Other(anyhow!("its host did not answer within 15 s")))?
            .map_err(Error::from)
    };
    let unreached = match stopped.await {
        Ok(()) => return Ok(()),
        Err(e) => e,
    };
    if let Some(server) = inst.server_id {
        let server = cx.db.server(server).await?;
        if let Some(vm) = server.provider_id.as_deref()
            && cx.fleet.is_configured(server.provider)
        {
            return power_off(inst, &server, vm, &unreached, cx).await;
        }
    }
    if force {
        tracing::warn!(instance = %inst.id, "failing over without fencing, as asked: {unreached:#}");
        return Ok(());
    }
    let message = format!(
        "the primary of {} is down, but its host could not be reached to stop it ({unreached}); \
         failing over could leave two primaries, so it waits for an operator: once sure the \
         host is down, call failover(force: true)",
        inst.name
    );
    cx.db
        .cluster_event(
            "failover_needs_operator",
            "critical",
            &message,
            Some(inst.id),
            serde_json::json!({}),
        )
        .await?;
    Err(Error::Conflict(message))
}

/// Fence the old primary of `inst` by cutting the power of `server`, cloud VM `vm`, whose SSH
/// did not answer (`why`): wait for the cloud's action, check the VM is off (or gone), and mark
/// the server failed, so nothing is placed on it again and its members are rebuilt
/// elsewhere. Run again after a crash, it powers off an already-off VM: no harm.
async fn power_off(
    inst: &Instance,
    server: &crate::server::Server,
    vm: &str,
    why: &Error,
    cx: &Context,
) -> Result<()> {
    use providers::cloud::{ActionStatus, VmStatus};
    let cloud = cx.fleet.cloud(server.provider)?;
    tracing::warn!(instance = %inst.id, server = %server.id, "powering the old primary's VM off: {why:#}");
    if let Some(action) = cloud.power_off(vm).await? {
        let deadline = tokio::time::Instant::now() + POWER_OFF_TIMEOUT;
        loop {
            match cloud.action(&action).await? {
                ActionStatus::Succeeded => break,
                ActionStatus::Running if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(cx.fleet.poll).await;
                }
                ActionStatus::Running => {
                    return Err(Error::Other(anyhow!(
                        "powering off {} took longer than {} s",
                        server.name,
                        POWER_OFF_TIMEOUT.as_secs()
                    )));
                }
                ActionStatus::Failed(reason) => {
                    return Err(Error::Other(anyhow!(
                        "powering off {} failed: {reason}",
                        server.name
                    )));
                }
            }
        }
    }
    match cloud.get(vm).await? {
        None => {}
        Some(found) if found.status == VmStatus::Off => {}
        Some(found) => {
            return Err(Error::Other(anyhow!(
                "{} is {:?} after it was powered off",
                server.name,
                found.status
            )));
        }
    }
    let reason = format!(
        "powered off to fence the old primary of {}: its SSH did not answer ({why})",
        inst.name
    );
    let mut tx = cx.db.begin().await?;
    let server = Db::mark_server_failed(&mut tx, server.id, &reason).await?;
    Db::server_event_in(&mut tx, &server, "vm_powered_off", "critical", &reason).await?;
    tx.commit().await?;
    Ok(())
}

/// The standby of `inst` that holds the most WAL, among those that answer.
async fn best_standby(inst: &Instance, cx: &Context) -> Result<Standby> {
    let major = major(inst)?;
    let mut best: Option<(u64, Standby)> = None;
    for s in cx.db.standbys(inst.id).await? {
        if s.rebuild {
            continue;
        }
        let asked = async {
            let host = standbys::host_of(inst, &s, cx).await?;
            let port = port_of(s.port, "the standby")?;
            tokio::time::timeout(ASK_TIMEOUT, host.received(&s.resource_name, major, port))
                .await
                .map_err(|_| Error::Other(anyhow!("no answer within 5 s")))?
                .map_err(Error::from)
        };
        match asked.await {
            Ok(lsn) if best.as_ref().is_none_or(|(b, _)| lsn > *b) => best = Some((lsn, s)),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(instance = %inst.id, member = %s.id, "standby does not answer: {e:#}")
            }
        }
    }
    best.map(|(_, s)| s).ok_or_else(|| {
        Error::Other(anyhow!(
            "no standby of {} answers: none can take over",
            inst.name
        ))
    })
}

/// A failover is giving up. A standby promoted already is recorded as the primary (forward
/// only: `false`, the instance marked failed, only when that cannot be recorded). Otherwise
/// nothing changed hands: the old primary is started again in place where its host lets
/// it, and the instance stays as it is, so that an operator can still `failover(force)`.
async fn settle(op: &Operation, message: &str, cx: &Context) -> bool {
    tracing::warn!(operation = %op.id, "failover gave up: {message}");
    let forward = async {
        let inst = super::target(op, cx).await?;
        let Some(h) = cx.db.find_handover(op.id).await? else {
            return Ok(false);
        };
        if inst.primary_member_id() == h.to_member_id {
            return Ok(true);
        }
        let s = cx.db.standby(h.to_member_id).await?;
        let host = standbys::host_of(&inst, &s, cx).await?;
        let promoted = !host
            .recovery(
                &s.resource_name,
                major(&inst)?,
                port_of(s.port, "the standby")?,
            )
            .await?
            .in_recovery;
        if promoted {
            cx.db.switch_primary(&h).await?;
        }
        cx.db.finish_handover(h.id).await?;
        Ok::<_, Error>(promoted)
    };
    match forward.await {
        Ok(true) => return true,
        Ok(false) => {}
        Err(e) => {
            // A promoted standby that cannot be recorded: say so rather than guess.
            tracing::error!(operation = %op.id, "settling a failover failed: {e:#}");
            return false;
        }
    }
    let restarted = async {
        let inst = super::target(op, cx).await?;
        let host = super::host_of(&inst, cx).await?;
        let archiving = super::steps::archiving_of(&inst, cx).await?;
        host.ensure_running(
            &inst.resource_name(),
            major(&inst)?,
            port_of(inst.port, "the primary")?,
            archiving.as_ref(),
        )
        .await?;
        Ok::<_, Error>(())
    };
    if let Err(e) = restarted.await {
        tracing::warn!(operation = %op.id, "the old primary could not be started in place: {e:#}");
    }
    true
}

/// Watch the primaries of instances with standbys whenever no other process does, until
/// `shutdown`.
pub async fn watch(cx: Context, config: HaConfig, shutdown: CancellationToken) {
    let interval = config.interval;
    let mut duty = Watcher {
        cx,
        config,
        failing: HashMap::new(),
        healed: HashMap::new(),
        started: HashMap::new(),
    };
    crate::leader::run(
        &duty.cx.db.clone(),
        LEADER_LOCK,
        interval,
        &shutdown,
        "failover watch",
        &mut duty,
    )
    .await;
}

struct Watcher {
    cx: Context,
    config: HaConfig,
    /// Instances whose primary failed its last checks: since when, and how many.
    failing: HashMap<InstanceId, (DateTime<Utc>, u32)>,
    /// When the standbys of an instance were last brought back.
    healed: HashMap<InstanceId, tokio::time::Instant>,
    /// The failover started for an instance whose primary has not answered since: one that
    /// failed (its old primary could not be fenced) is not tried again until the primary
    /// answers; an operator decides.
    started: HashMap<InstanceId, crate::operation::OperationId>,
}

impl crate::leader::Duty for Watcher {
    async fn on_lead(&mut self) -> Result<()> {
        self.failing.clear();
        Ok(())
    }

    async fn tick(&mut self) -> Result<()> {
        let cx = self.cx.clone();
        let cx = &cx;
        let instances = cx.db.instances_to_check(true).await?;
        let live: std::collections::HashSet<InstanceId> =
            instances.iter().map(|(i, _)| i.id).collect();
        self.failing.retain(|id, _| live.contains(id));
        self.healed.retain(|id, _| live.contains(id));
        self.started.retain(|id, _| live.contains(id));
        let checks =
            futures::future::join_all(instances.into_iter().map(|(inst, password)| async move {
                let (Some(host), Some(port)) = (inst.host.clone(), inst.port) else {
                    return (inst, false);
                };
                let port = u16::try_from(port).unwrap_or_default();
                let check =
                    crate::health::check_at(&inst, &host, port, &password, cx.tls.pem()).await;
                if check.healthy
                    && let Err(e) = standbys::observe(&inst, cx).await
                {
                    tracing::warn!(instance = %inst.id, "failed to read replication: {e:#}");
                }
                (inst, check.healthy)
            }))
            .await;
        for (inst, healthy) in checks {
            if healthy {
                self.failing.remove(&inst.id);
                self.started.remove(&inst.id);
                self.heal(&inst).await?;
                continue;
            }
            if let Some(op) = self.started.get(&inst.id).copied() {
                use crate::operation::OperationStatus as S;
                let done = match cx.db.operation(op).await?.status {
                    S::Succeeded | S::Cancelled => true,
                    // One that handed over before it gave up leaves a new primary, which may
                    // fail in its turn; one that did not waits for an operator.
                    S::Failed => cx
                        .db
                        .find_handover(op)
                        .await?
                        .is_some_and(|h| h.writes_resumed_at.is_some()),
                    S::Queued | S::Running => false,
                };
                if !done {
                    continue;
                }
                self.started.remove(&inst.id);
            }
            let entry = self.failing.entry(inst.id).or_insert((Utc::now(), 0));
            entry.1 += 1;
            let (since, count) = *entry;
            if count < self.config.after_checks || !self.config.automatic {
                continue;
            }
            let streaming = cx.db.standbys(inst.id).await?.iter().any(|s| {
                !s.rebuild && matches!(s.state, StandbyState::Streaming | StandbyState::Lagging)
            });
            if !streaming {
                continue;
            }
            match start(&cx.db, inst.id, false, Some(since), None).await {
                Ok(op) => {
                    self.failing.remove(&inst.id);
                    self.started.insert(inst.id, op.id);
                }
                // Another operation is on it (a switchover, a restart, a failover).
                Err(Error::Conflict(_) | Error::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

impl Watcher {
    /// Bring back the standbys of `inst` (healthy) that are down, at most every
    /// [`HEAL_EVERY`]: one on a server lost for good (powered off to fence it, say) is
    /// relocated to another server by a `relocate_standby` operation; otherwise a
    /// `heal_standbys` operation rebuilds or restarts them where they are.
    async fn heal(&mut self, inst: &Instance) -> Result<()> {
        let down: Vec<Standby> = self
            .cx
            .db
            .standbys(inst.id)
            .await?
            .into_iter()
            .filter(|s| s.rebuild || s.state == StandbyState::Down)
            .collect();
        if down.is_empty()
            || self
                .healed
                .get(&inst.id)
                .is_some_and(|at| at.elapsed() < HEAL_EVERY)
        {
            return Ok(());
        }
        // Another operation on the instance (the failover that left these standbys down, say)
        // is waited for: the next check tries again, not a minute later.
        for s in &down {
            if !standbys::on_lost_server(s, &self.cx).await? {
                continue;
            }
            match standbys::relocate(&self.cx.db, s.id, None, None).await {
                Ok((_, op)) => {
                    self.healed.insert(inst.id, tokio::time::Instant::now());
                    tracing::info!(instance = %inst.id, member = %s.id, operation = %op.id, "relocating a standby whose server is lost");
                    return Ok(());
                }
                Err(Error::Conflict(_)) => return Ok(()),
                // No server can take the standby now.
                Err(e @ (Error::NotFound { .. } | Error::InvalidInput(_))) => {
                    tracing::warn!(instance = %inst.id, member = %s.id, "cannot relocate a standby whose server is lost: {e}");
                }
                Err(e) => return Err(e),
            }
        }
        match super::change(&self.cx.db, inst.id, Kind::HealStandbys, None).await {
            Ok(op) => {
                self.healed.insert(inst.id, tokio::time::Instant::now());
                tracing::info!(instance = %inst.id, operation = %op.id, "bringing standbys back");
                Ok(())
            }
            Err(Error::Conflict(_) | Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
