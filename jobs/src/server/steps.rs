//! The fleet workflows, one function per step. Every step is idempotent: it asks the cloud
//! for what an earlier try may have made (by the server's id label) before making anything.
//!
//! ```text
//! provision_server: create_vm → wait_action → wait_running → wait_ssh → first_contact → mark_active
//! register_server:  first_contact → mark_active
//! drain_server:     mark_draining → wait_operations → hand_over → plan_moves → move_instances
//!                   → mark_drained
//! remove_server:    mark_draining → wait_operations → hand_over → plan_moves → move_instances
//!                   → delete_vm → wait_gone → mark_removed
//!                   (a registered host has no VM: only forgotten)
//! discard_server:   delete_vm → wait_gone            (after a failed provision; state stays failed)
//! scale_cluster:    wait_children                    (its provisions and removals were enqueued with it)
//! refresh_plans:    fetch_plans
//! ```
//! `first_contact` logs in over SSH (when a key is configured), records the host key the server
//! presents (trust on first use) and what it has: versions, memory, disk. `hand_over` plans
//! the whole drain (or stops it, before anything happens, saying why), then, one instance with
//! standbys at a time, switches a primary on the server over to a standby elsewhere and
//! relocates the standbys on the server, each its own `switchover` or `relocate_standby`
//! operation; `plan_moves` places each remaining instance on the server elsewhere;
//! `move_instances` runs their moves one after the other, each its own `move_instance`
//! operation that reports its progress.
//!
//! A provision that gives up marks the server `failed` with the reason and, unless the fleet
//! keeps failed servers, starts `discard_server` in the same transaction, so the VM is
//! deleted by a durable job rather than a best-effort call.

use std::net::SocketAddr;

use chrono::Utc;
use providers::cloud::{ActionId, ActionStatus, NewVm, Vm, VmStatus};
use sqlx::{Postgres, Transaction};

use super::{CloudProvider, Server, ServerId, ServerState, render_user_data};
use crate::db::Db;
use crate::engine;
use crate::operation::{Operation, TargetKind};
use crate::registry::{GiveUp, Table};
use crate::workflow::{Context, Kind, Next, Step as _, steps};
use crate::{Error, Result};

steps! {
    /// The steps of the fleet workflows.
    pub(crate) enum ServerStep {
        CreateVm => "create_vm",
        WaitAction => "wait_action",
        WaitRunning => "wait_running",
        WaitSsh => "wait_ssh",
        FirstContact => "first_contact",
        MarkActive => "mark_active",
        MarkDraining => "mark_draining",
        WaitOperations => "wait_operations",
        HandOver => "hand_over",
        PlanMoves => "plan_moves",
        MoveInstances => "move_instances",
        MarkDrained => "mark_drained",
        DeleteVm => "delete_vm",
        WaitGone => "wait_gone",
        MarkRemoved => "mark_removed",
        WaitChildren => "wait_children",
        FetchPlans => "fetch_plans",
    }
}

/// A fleet workflow of `steps`: a server that gives up is marked failed (see
/// [`after_failure`]).
const fn fleet(steps: &'static [ServerStep]) -> Table<ServerStep> {
    Table {
        steps,
        run: |s, op, cx| Box::pin(step(s, op, cx)),
        give_up: GiveUp {
            mark: |tx, op, message, _, cx| Box::pin(after_failure(tx, op, message, cx)),
            ..GiveUp::NOTHING
        },
    }
}

/// `provision_server`.
pub(crate) static PROVISION: Table<ServerStep> = fleet(&[
    ServerStep::CreateVm,
    ServerStep::WaitAction,
    ServerStep::WaitRunning,
    ServerStep::WaitSsh,
    ServerStep::FirstContact,
    ServerStep::MarkActive,
]);
/// `register_server`.
pub(crate) static REGISTER: Table<ServerStep> =
    fleet(&[ServerStep::FirstContact, ServerStep::MarkActive]);
/// `drain_server`.
pub(crate) static DRAIN: Table<ServerStep> = fleet(&[
    ServerStep::MarkDraining,
    ServerStep::WaitOperations,
    ServerStep::HandOver,
    ServerStep::PlanMoves,
    ServerStep::MoveInstances,
    ServerStep::MarkDrained,
]);
/// `remove_server`.
pub(crate) static REMOVE: Table<ServerStep> = fleet(&[
    ServerStep::MarkDraining,
    ServerStep::WaitOperations,
    ServerStep::HandOver,
    ServerStep::PlanMoves,
    ServerStep::MoveInstances,
    ServerStep::DeleteVm,
    ServerStep::WaitGone,
    ServerStep::MarkRemoved,
]);
/// `discard_server`.
pub(crate) static DISCARD: Table<ServerStep> = fleet(&[ServerStep::DeleteVm, ServerStep::WaitGone]);
/// `scale_cluster`.
pub(crate) static SCALE: Table<ServerStep> = fleet(&[ServerStep::WaitChildren]);
/// `refresh_plans`.
pub(crate) static REFRESH_PLANS: Table<ServerStep> = fleet(&[ServerStep::FetchPlans]);

/// Run one step of a fleet workflow.
async fn step(step: ServerStep, op: &Operation, cx: &Context) -> Result<Next<ServerStep>> {
    // These two act on no server.
    if step == ServerStep::WaitChildren {
        return wait_children(op, cx).await;
    }
    if step == ServerStep::FetchPlans {
        return refresh_plans(op, cx).await;
    }
    let kind = Kind::parse(&op.kind);
    let id = ServerId(op.target_id.ok_or(Error::NotFound { kind: "server" })?);
    let server = cx.db.server(id).await?;
    let waited = match step {
        ServerStep::CreateVm => create_vm(&server, cx).await?,
        ServerStep::WaitAction => wait_action(&server, cx).await?,
        ServerStep::WaitRunning => wait_running(&server, cx).await?,
        ServerStep::WaitSsh => wait_ssh(&server, cx).await?,
        ServerStep::FirstContact => first_contact(kind, op, &server, cx).await?,
        ServerStep::HandOver => hand_over(op, &server, cx).await?,
        ServerStep::PlanMoves => plan_moves(op, &server, cx).await?,
        ServerStep::MoveInstances => move_instances(op, &server, cx).await?,
        ServerStep::MarkActive => {
            if cx
                .db
                .set_server_state_if(id, &[ServerState::Bootstrapping], ServerState::Active)
                .await?
            {
                cx.db
                    .server_event(
                        &server,
                        "server_active",
                        "info",
                        &format!("{} is active", server.name),
                    )
                    .await?;
            }
            None
        }
        ServerStep::MarkDraining => {
            if cx
                .db
                .set_server_state_if(id, &[ServerState::Active], ServerState::Draining)
                .await?
            {
                cx.db
                    .server_event(
                        &server,
                        "server_draining",
                        "info",
                        &format!("{} is draining: nothing new is placed on it", server.name),
                    )
                    .await?;
            }
            None
        }
        ServerStep::WaitOperations => {
            let busy = cx.db.active_operations_on_server_instances(id).await?;
            (busy > 0).then_some(cx.fleet.poll)
        }
        ServerStep::MarkDrained => {
            cx.db
                .server_event(
                    &server,
                    "server_drained",
                    "info",
                    &format!("{} is drained: no operation runs on it", server.name),
                )
                .await?;
            None
        }
        // A registered host has no VM of ours: it is only forgotten.
        ServerStep::DeleteVm | ServerStep::WaitGone
            if server.provider == CloudProvider::Existing =>
        {
            None
        }
        ServerStep::DeleteVm => delete_vm(kind, &server, cx).await?,
        ServerStep::WaitGone => wait_gone(&server, cx).await?,
        ServerStep::MarkRemoved => {
            let removed = cx.db.mark_server_removed(id).await?;
            cx.fleet.hosts.forget(id)?;
            if removed {
                cx.db
                    .server_event(
                        &server,
                        "server_removed",
                        "info",
                        &format!("{} is removed", server.name),
                    )
                    .await?;
            }
            None
        }
        ServerStep::WaitChildren | ServerStep::FetchPlans => None,
    };
    Ok(match waited {
        Some(delay) => Next::Nap(delay),
        None => Next::Continue,
    })
}

/// A step's answer: `None` to go on, `Some(delay)` to look again later.
type Wait = Option<std::time::Duration>;

/// Log in over SSH: record the host key the server presents (trusted from now on), its
/// PostgreSQL versions, memory and disk. Skipped for a provisioned server when no SSH key is
/// configured (or the SSH check is off): it then hosts no instances.
///
/// A server that refuses its own key has not been authorised by its owner yet: the operation
/// says so (its `error`, with the key to add) and tries again, every `poll` at first and then
/// less often (a tenth of the time waited so far, at most every 30 s, so that a host's
/// brute-force guard is not provoked), until `Fleet::key_wait` has passed since registration.
async fn first_contact(
    kind: Option<Kind>,
    op: &Operation,
    server: &Server,
    cx: &Context,
) -> Result<Wait> {
    const MOST_KEY_POLL: std::time::Duration = std::time::Duration::from_secs(30);
    let hosts = &cx.fleet.hosts;
    if kind == Some(Kind::ProvisionServer) && (!hosts.configured() || !cx.fleet.ssh.enabled) {
        return Ok(None);
    }
    let contact = match hosts.first_contact(&cx.db, server).await {
        Ok(c) => c,
        Err(Error::Provider(providers::Error::Transient(e)))
            if e.downcast_ref::<providers::host::KeyRefused>().is_some() =>
        {
            let waited = (Utc::now() - server.state_changed_at)
                .to_std()
                .unwrap_or_default();
            let key = server
                .ssh_public_key
                .as_deref()
                .unwrap_or("the installation's key (TOYGRES_SSH_AUTHORIZED_KEY)");
            let why = format!(
                "{e:#}: add this line to ~{user}/.ssh/authorized_keys on the host (it is the \
                 server's sshPublicKey): {key}",
                user = server.ssh_user
            );
            if waited > cx.fleet.key_wait {
                return Err(Error::Provider(providers::Error::Permanent(
                    anyhow::anyhow!(
                        "{why}; gave up after {}s: remove the server and register it again",
                        cx.fleet.key_wait.as_secs()
                    ),
                )));
            }
            cx.db
                .note_waiting(
                    op.id,
                    &format!("waiting for the key to be authorised: {why}"),
                )
                .await?;
            tracing::info!(server = %server.id, "SSH key not authorised yet: {e:#}");
            return Ok(Some(
                (waited / 10).clamp(cx.fleet.poll, MOST_KEY_POLL.max(cx.fleet.poll)),
            ));
        }
        // A server that does not answer yet is waited for, within the fleet's bound.
        Err(Error::Provider(providers::Error::Transient(e))) => {
            check_deadline(server, "an SSH login", cx)?;
            tracing::debug!(server = %server.id, "SSH login not possible yet: {e:#}");
            return Ok(Some(cx.fleet.poll));
        }
        Err(e) => return Err(e),
    };
    let learned = server.ssh_host_key.is_none();
    let server = cx.db.record_contact(server.id, &contact).await?;
    if learned {
        cx.db
            .server_event(
                &server,
                "host_key_recorded",
                "info",
                &format!(
                    "{} reached over SSH; its host key ({}) is trusted from now on; PostgreSQL {:?}, {} MB memory, {} GB disk",
                    server.name,
                    contact.host_key.split_whitespace().next().unwrap_or("?"),
                    contact.versions,
                    server.memory_mb.unwrap_or_default(),
                    server.disk_gb.unwrap_or_default()
                ),
            )
            .await?;
    }
    Ok(None)
}

/// Plan the drain and record its hand-overs (switchovers and relocations of the members of
/// instances with standbys on the server), in order, once per operation; or, if anything of
/// the drain cannot be done, stop before anything happens and say why. Then carry them out
/// one after the other: start the next as a child operation, recorded with it in one
/// transaction (so a drain resumed after a crash waits for that child rather than start
/// another), wait for it, go on. A child that fails fails the drain; what was done stays done.
async fn hand_over(op: &Operation, server: &Server, cx: &Context) -> Result<Wait> {
    use super::placement::DrainAction;
    use crate::db::HandOverAction;
    use crate::operation::OperationStatus;
    let mut planned = cx.db.drain_handovers(op.id).await?;
    if planned.is_empty() {
        let mut tx = cx.db.begin().await?;
        let server = Db::lock_server(&mut tx, server.id).await?;
        let plan = super::placement::plan_drain(&mut tx, &server).await?;
        if let Some(why) = plan.blocked {
            return Err(Error::Conflict(format!("nothing was moved: {why}")));
        }
        let handovers: Vec<_> = plan
            .moves
            .iter()
            .filter_map(|m| {
                let action = match m.action {
                    DrainAction::Move => return None,
                    DrainAction::Switchover => HandOverAction::Switchover,
                    DrainAction::RelocateStandby => HandOverAction::RelocateStandby,
                };
                Some((m, action, m.member_id?))
            })
            .collect();
        if handovers.is_empty() {
            return Ok(None);
        }
        for (m, action, member) in &handovers {
            Db::insert_drain_handover(
                &mut tx,
                op.id,
                m.position,
                m.instance_id,
                *action,
                *member,
                m.target_id,
            )
            .await?;
        }
        Db::server_event_in(
            &mut tx,
            &server,
            "drain_planned",
            "info",
            &format!(
                "the members of instances with standbys on {} will be handed over first: {}",
                server.name,
                handovers
                    .iter()
                    .map(|(m, action, _)| match action {
                        HandOverAction::Switchover =>
                            format!("{} switches over to {}", m.instance_name, m.target_name),
                        HandOverAction::RelocateStandby =>
                            format!("{}'s standby → {}", m.instance_name, m.target_name),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .await?;
        tx.commit().await?;
        planned = cx.db.drain_handovers(op.id).await?;
    }
    for h in planned {
        if h.finished_at.is_some() {
            continue;
        }
        let what = match h.action {
            HandOverAction::Switchover => "switching an instance's primary over",
            HandOverAction::RelocateStandby => "relocating a standby",
        };
        if let Some(child) = h.operation_id {
            let child = cx.db.operation(child).await?;
            match child.status {
                OperationStatus::Succeeded => {
                    cx.db.finish_drain_handover(h.id).await?;
                    continue;
                }
                OperationStatus::Failed | OperationStatus::Cancelled => {
                    return Err(Error::Conflict(format!(
                        "{what} off {} failed, so the drain stopped: {}",
                        server.name,
                        child.error.as_deref().unwrap_or("unknown error")
                    )));
                }
                OperationStatus::Queued | OperationStatus::Running => {
                    return Ok(Some(cx.fleet.poll));
                }
            }
        }
        let mut tx = cx.db.begin().await?;
        let inst = Db::lock_instance(&mut tx, h.instance_id).await?;
        // The member may have left the server since the plan (an operator's switchover, a
        // removed standby): then there is nothing left to do for it.
        let still_here = match h.action {
            HandOverAction::Switchover => inst.server_id == Some(server.id),
            HandOverAction::RelocateStandby => {
                Db::standby_is_on(&mut tx, h.member_id, server.id).await?
            }
        };
        if !still_here || inst.state == crate::instance::InstanceState::Deleted {
            drop(tx);
            cx.db.finish_drain_handover(h.id).await?;
            continue;
        }
        let started = match h.action {
            HandOverAction::Switchover => crate::instance::switchover::start_in(
                &mut tx,
                &cx.db,
                &inst,
                Some(h.member_id),
                op.requested_by,
            )
            .await
            .map(|(_, child)| child),
            HandOverAction::RelocateStandby => {
                crate::instance::standbys::relocate_in(
                    &mut tx,
                    &inst,
                    h.member_id,
                    Some(h.target_server_id),
                    op.requested_by,
                )
                .await
            }
        };
        match started {
            Ok(child) => {
                Db::attach_drain_handover(&mut tx, h.id, child.id).await?;
                tx.commit().await?;
            }
            Err(e) => {
                drop(tx);
                // Another operation holds the instance: wait for it.
                let busy =
                    matches!(e, Error::Conflict(_)) && cx.db.instance_busy(h.instance_id).await?;
                if !busy && e.is_permanent() {
                    return Err(Error::Conflict(format!(
                        "{what} off {} could not start, so the drain stopped: {e}",
                        server.name
                    )));
                }
                if !busy {
                    return Err(e);
                }
            }
        }
        return Ok(Some(cx.fleet.poll));
    }
    Ok(None)
}

/// Place every instance left on the draining server (those with standbys were handed over)
/// elsewhere and record the moves, in order; or, if one fits nowhere, stop before anything
/// moves and say why. Done once per operation.
async fn plan_moves(op: &Operation, server: &Server, cx: &Context) -> Result<Wait> {
    use super::placement::DrainAction;
    if !cx.db.drain_moves(op.id).await?.is_empty() {
        return Ok(None);
    }
    let mut tx = cx.db.begin().await?;
    let server = Db::lock_server(&mut tx, server.id).await?;
    let plan = super::placement::plan_drain(&mut tx, &server).await?;
    if let Some(why) = plan.blocked {
        return Err(Error::Conflict(format!("nothing was moved: {why}")));
    }
    if let Some(m) = plan.moves.iter().find(|m| m.action != DrainAction::Move) {
        return Err(Error::Conflict(format!(
            "instance {} has a member on {} again: drain it again",
            m.instance_name, server.name
        )));
    }
    for planned in &plan.moves {
        Db::insert_move(
            &mut tx,
            &crate::db::NewMove {
                instance_id: planned.instance_id,
                source_server_id: server.id,
                target_server_id: planned.target_id,
                drain_operation_id: Some(op.id),
                position: planned.position,
            },
        )
        .await?;
    }
    if !plan.moves.is_empty() {
        Db::server_event_in(
            &mut tx,
            &server,
            "drain_planned",
            "info",
            &format!(
                "{} instance(s) will move off {}: {}",
                plan.moves.len(),
                server.name,
                plan.moves
                    .iter()
                    .map(|m| format!("{} → {}", m.instance_name, m.target_name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(None)
}

/// Carry out the drain's moves one after the other: start the next, wait for it, go on. A
/// move that fails (it is rolled back) fails the drain; moves already done stay done.
async fn move_instances(op: &Operation, server: &Server, cx: &Context) -> Result<Wait> {
    use crate::db::MovePhase;
    use crate::operation::OperationStatus;
    for m in cx.db.drain_moves(op.id).await? {
        match m.phase {
            MovePhase::Done => continue,
            MovePhase::RolledBack | MovePhase::Cancelled => {
                return Err(Error::Conflict(format!(
                    "moving an instance off {} failed, so the drain stopped: {}",
                    server.name,
                    m.error.as_deref().unwrap_or("the move was undone")
                )));
            }
            _ => {}
        }
        let Some(child) = m.operation_id else {
            let mut tx = cx.db.begin().await?;
            let inst = Db::lock_instance(&mut tx, m.instance_id).await?;
            match crate::instance::moves::start_operation(&mut tx, &inst, &m, op.requested_by).await
            {
                Ok(_) => tx.commit().await?,
                // Another operation is on the instance: wait for it.
                Err(Error::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
            return Ok(Some(cx.fleet.poll));
        };
        let child = cx.db.operation(child).await?;
        if child.status == OperationStatus::Failed {
            return Err(Error::Conflict(format!(
                "moving an instance off {} failed, so the drain stopped: {}",
                server.name,
                child.error.as_deref().unwrap_or("unknown error")
            )));
        }
        return Ok(Some(cx.fleet.poll));
    }
    Ok(None)
}

/// Past the fleet's bound on waiting for the provider, counted from the last state change.
fn check_deadline(server: &Server, what: &str, cx: &Context) -> Result<()> {
    let waited = (Utc::now() - server.state_changed_at)
        .to_std()
        .unwrap_or_default();
    if waited > cx.fleet.vm_timeout {
        return Err(Error::Provider(providers::Error::Permanent(
            anyhow::anyhow!("{what} took longer than {}s", cx.fleet.vm_timeout.as_secs()),
        )));
    }
    Ok(())
}

/// Create the VM, or adopt the one an earlier try made.
async fn create_vm(server: &Server, cx: &Context) -> Result<Wait> {
    if server.provider_id.is_some() {
        return Ok(None);
    }
    let cloud = cx.fleet.cloud(server.provider)?;
    let existing = cloud.find_by_server_id(&server.id.to_string()).await?;
    if let Some(vm) = existing.first() {
        cx.db.record_vm(server.id, vm, None).await?;
        cx.db
            .server_event(
                server,
                "vm_adopted",
                "warning",
                &format!(
                    "found VM {} made by an earlier try for {}; adopting it instead of creating another",
                    vm.provider_id, server.name
                ),
            )
            .await?;
        return Ok(None);
    }
    // The VM's own key goes into its user data; made before the VM, kept across retries.
    let own_key = match &server.ssh_public_key {
        Some(key) => Some(key.clone()),
        None if cx.fleet.hosts.configured() => {
            let (public, sealed) = cx.fleet.hosts.new_key(server.id, &server.name)?;
            let mut tx = cx.db.begin().await?;
            let public = Db::set_server_key(&mut tx, server.id, &public, &sealed).await?;
            tx.commit().await?;
            Some(public)
        }
        None => None,
    };
    let authorized: Vec<&str> = own_key
        .as_deref()
        .into_iter()
        .chain(cx.fleet.ssh_authorized_key.as_deref())
        .collect();
    let mut labels: std::collections::BTreeMap<String, String> =
        serde_json::from_value(server.labels.clone()).unwrap_or_default();
    labels.insert("managed_by".to_owned(), "toygres".to_owned());
    labels.insert(
        "toygres_project_id".to_owned(),
        server.project_id.0.to_string(),
    );
    let new = NewVm {
        name: server.vm_name(),
        server_id: server.id.to_string(),
        plan: server.plan.clone(),
        region: server.region.clone(),
        image: server.image.clone(),
        ssh_keys: cx.fleet.ssh_keys.clone(),
        user_data: render_user_data(server, &authorized)?,
        labels,
    };
    let created = cloud.create(&new).await?;
    cx.db
        .record_vm(
            server.id,
            &created.vm,
            created.action.as_ref().map(|a| a.0.as_str()),
        )
        .await?;
    cx.db
        .server_event(
            server,
            "vm_created",
            "info",
            &format!(
                "{} created VM {} for {}",
                server.provider.as_str(),
                created.vm.provider_id,
                server.name
            ),
        )
        .await?;
    Ok(None)
}

/// Wait for the provider's create action.
async fn wait_action(server: &Server, cx: &Context) -> Result<Wait> {
    let Some(action) = &server.pending_action else {
        return Ok(None);
    };
    let cloud = cx.fleet.cloud(server.provider)?;
    match cloud.action(&ActionId(action.clone())).await? {
        ActionStatus::Running => {
            check_deadline(server, "the provider's create action", cx)?;
            Ok(Some(cx.fleet.poll))
        }
        ActionStatus::Succeeded => {
            cx.db.set_pending_action(server.id, None).await?;
            Ok(None)
        }
        ActionStatus::Failed(reason) => Err(Error::Provider(providers::Error::Permanent(
            anyhow::anyhow!(
                "{} could not create the VM: {reason}",
                server.provider.as_str()
            ),
        ))),
    }
}

/// Wait for the VM to run, then record its addresses and start bootstrapping.
async fn wait_running(server: &Server, cx: &Context) -> Result<Wait> {
    if server.state != ServerState::Provisioning {
        return Ok(None);
    }
    let provider_id = provider_id(server)?;
    let cloud = cx.fleet.cloud(server.provider)?;
    let Some(vm) = cloud.get(provider_id).await? else {
        return Err(Error::Provider(providers::Error::Permanent(
            anyhow::anyhow!(
                "VM {provider_id} of {} disappeared at {}",
                server.name,
                server.provider.as_str()
            ),
        )));
    };
    if vm.status != VmStatus::Running {
        check_deadline(server, "booting the VM", cx)?;
        return Ok(Some(cx.fleet.poll));
    }
    cx.db.record_vm(server.id, &vm, None).await?;
    if cx
        .db
        .set_server_state_if(
            server.id,
            &[ServerState::Provisioning],
            ServerState::Bootstrapping,
        )
        .await?
    {
        let address = vm
            .ipv4
            .or(vm.ipv6)
            .map(|a| a.to_string())
            .unwrap_or_default();
        cx.db
            .server_event(
                server,
                "vm_running",
                "info",
                &format!(
                    "VM {provider_id} runs at {address}; bootstrapping {}",
                    server.template
                ),
            )
            .await?;
    }
    Ok(None)
}

/// Wait until SSH answers on the server's address, within the configured bound.
async fn wait_ssh(server: &Server, cx: &Context) -> Result<Wait> {
    let check = &cx.fleet.ssh;
    if !check.enabled {
        return Ok(None);
    }
    let Some(ip) = server.ipv4.or(server.ipv6) else {
        return Err(Error::Provider(providers::Error::Permanent(
            anyhow::anyhow!("{} has no public address to reach SSH on", server.name),
        )));
    };
    let addr = SocketAddr::new(ip, check.port);
    match super::wait_for_banner(addr, check.attempt_timeout).await {
        Ok(banner) => {
            cx.db.set_server_ssh_port(server.id, check.port).await?;
            cx.db
                .server_event(
                    server,
                    "ssh_ready",
                    "info",
                    &format!("SSH answers on {addr}: {banner}"),
                )
                .await?;
            Ok(None)
        }
        Err(why) => {
            let waited = (Utc::now() - server.state_changed_at)
                .to_std()
                .unwrap_or_default();
            if waited > check.timeout {
                return Err(Error::Provider(providers::Error::Permanent(
                    anyhow::anyhow!(
                        "SSH did not answer within {}s: {why}",
                        check.timeout.as_secs()
                    ),
                )));
            }
            tracing::debug!(server = %server.id, "SSH not ready: {why}");
            Ok(Some(cx.fleet.poll))
        }
    }
}

fn provider_id(server: &Server) -> Result<&str> {
    server
        .provider_id
        .as_deref()
        .ok_or_else(|| Error::Other(anyhow::anyhow!("server {} has no VM recorded", server.name)))
}

/// Delete every VM of the server: the recorded one, and any an interrupted create left.
async fn delete_vm(kind: Option<Kind>, server: &Server, cx: &Context) -> Result<Wait> {
    if kind == Some(Kind::RemoveServer)
        && cx
            .db
            .set_server_state_if(
                server.id,
                &[
                    ServerState::Active,
                    ServerState::Draining,
                    ServerState::Failed,
                ],
                ServerState::Removing,
            )
            .await?
    {
        cx.db
            .server_event(
                server,
                "server_removing",
                "info",
                &format!("deleting the VM of {}", server.name),
            )
            .await?;
    }
    let cloud = cx.fleet.cloud(server.provider)?;
    let mut ids: Vec<String> = cloud
        .find_by_server_id(&server.id.to_string())
        .await?
        .into_iter()
        .map(|vm| vm.provider_id)
        .collect();
    if let Some(recorded) = &server.provider_id
        && !ids.contains(recorded)
        && ours(cloud.get(recorded).await?.as_ref(), server)
    {
        ids.push(recorded.clone());
    }
    let mut action = None;
    for id in &ids {
        if let Some(a) = cloud.delete(id).await? {
            action.get_or_insert(a);
        }
    }
    cx.db
        .set_pending_action(server.id, action.as_ref().map(|a| a.0.as_str()))
        .await?;
    Ok(None)
}

/// Whether a VM is the server's: it carries the server's id in its label (Hetzner) or tag
/// (DigitalOcean). A recorded provider id alone is not proof: ids can be reused.
fn ours(vm: Option<&Vm>, server: &Server) -> bool {
    vm.is_some_and(|vm| vm.server_id() == Some(server.id.to_string().as_str()))
}

/// Wait until the provider says every VM of the server is gone.
async fn wait_gone(server: &Server, cx: &Context) -> Result<Wait> {
    let cloud = cx.fleet.cloud(server.provider)?;
    if let Some(action) = &server.pending_action {
        match cloud.action(&ActionId(action.clone())).await? {
            ActionStatus::Running => {
                check_deadline(server, "deleting the VM", cx)?;
                return Ok(Some(cx.fleet.poll));
            }
            ActionStatus::Succeeded => cx.db.set_pending_action(server.id, None).await?,
            ActionStatus::Failed(reason) => {
                return Err(Error::Provider(providers::Error::Transient(
                    anyhow::anyhow!(
                        "{} could not delete the VM: {reason}",
                        server.provider.as_str()
                    ),
                )));
            }
        }
    }
    let recorded_gone = match &server.provider_id {
        Some(id) => !ours(cloud.get(id).await?.as_ref(), server),
        None => true,
    };
    let leftovers = cloud.find_by_server_id(&server.id.to_string()).await?;
    if recorded_gone && leftovers.is_empty() {
        cx.db
            .server_event(
                server,
                "vm_deleted",
                "info",
                &format!("the VM of {} is gone", server.name),
            )
            .await?;
        return Ok(None);
    }
    check_deadline(server, "deleting the VM", cx)?;
    Ok(Some(cx.fleet.poll))
}

/// Wait until every provision and removal of the scaling operation has finished.
async fn wait_children(op: &Operation, cx: &Context) -> Result<Next<ServerStep>> {
    let scaling = op.target_id.ok_or(Error::NotFound {
        kind: "scaling operation",
    })?;
    let children = cx.db.scaling_children(scaling).await?;
    if children.active > 0 {
        return Ok(Next::Nap(cx.fleet.poll));
    }
    if children.failed > 0 {
        return Err(Error::Provider(providers::Error::Permanent(
            anyhow::anyhow!(
                "{} of {} server operations failed; first: {}",
                children.failed,
                children.total,
                children.first_error.unwrap_or_default()
            ),
        )));
    }
    Ok(Next::Done)
}

/// Replace the stored plan table with the provider's own listing.
async fn refresh_plans(op: &Operation, cx: &Context) -> Result<Next<ServerStep>> {
    let provider: CloudProvider = serde_json::from_value(op.input["provider"].clone())
        .map_err(|e| Error::InvalidInput(format!("refresh_plans needs a provider: {e}")))?;
    let plans = cx.fleet.cloud(provider)?.plans().await?;
    if plans.is_empty() {
        return Err(Error::Provider(providers::Error::Transient(
            anyhow::anyhow!("{} listed no plans", provider.as_str()),
        )));
    }
    cx.db.store_plans(provider, &plans).await?;
    Ok(Next::Done)
}

/// What a fleet operation that gave up leaves behind, in the transaction that marks it
/// failed: the server failed with the reason, and a `discard_server` operation to delete a
/// failed provision's VM unless the fleet keeps failed servers.
async fn after_failure(
    tx: &mut Transaction<'_, Postgres>,
    op: &Operation,
    message: &str,
    cx: &Context,
) -> Result<()> {
    if op.target_kind != TargetKind::Server {
        return Ok(());
    }
    let Some(target) = op.target_id else {
        return Ok(());
    };
    let id = ServerId(target);
    let Some(kind) = Kind::parse(&op.kind) else {
        return Ok(());
    };
    match kind {
        // A removal whose drain could not move the instances leaves the server draining, as
        // a failed drain does: the server itself is fine.
        Kind::RemoveServer
            if matches!(
                ServerStep::parse(&op.step),
                Some(ServerStep::HandOver | ServerStep::PlanMoves | ServerStep::MoveInstances)
            ) =>
        {
            Db::cancel_planned_moves(tx, op.id).await?;
            let server = Db::lock_server(tx, id).await?;
            Db::server_event_in(
                tx,
                &server,
                "remove_failed",
                "warning",
                &format!(
                    "removing {} stopped while draining it: {message}",
                    server.name
                ),
            )
            .await?;
        }
        Kind::ProvisionServer | Kind::RemoveServer | Kind::RegisterServer => {
            Db::cancel_planned_moves(tx, op.id).await?;
            let server = Db::mark_server_failed(tx, id, message).await?;
            Db::server_event_in(
                tx,
                &server,
                "server_failed",
                "critical",
                &format!("{} failed: {message}", server.name),
            )
            .await?;
            if kind == Kind::ProvisionServer && !cx.fleet.keep_failed {
                // The failing operation is final in this transaction already, so the one
                // active operation per server allows this one.
                engine::start_in(
                    tx,
                    super::new_operation(&server, Kind::DiscardServer, None, None),
                )
                .await?;
            }
        }
        Kind::DiscardServer => {
            let server = Db::lock_server(tx, id).await?;
            Db::server_event_in(
                tx,
                &server,
                "vm_not_deleted",
                "critical",
                &format!(
                    "the VM of failed server {} could not be deleted and may still cost money: {message}",
                    server.name
                ),
            )
            .await?;
        }
        Kind::DrainServer => {
            Db::cancel_planned_moves(tx, op.id).await?;
            let server = Db::lock_server(tx, id).await?;
            Db::server_event_in(
                tx,
                &server,
                "drain_failed",
                "warning",
                &format!("draining {} failed: {message}", server.name),
            )
            .await?;
        }
        _ => {}
    }
    Ok(())
}
