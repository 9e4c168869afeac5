//! The fleet workflows, one function per step. Every step is idempotent: it asks the cloud
//! for what an earlier try may have made (by the server's id label) before making anything.
//!
//! ```text
//! provision_server: create_vm → wait_action → wait_running → wait_ssh → mark_active
//! drain_server:     mark_draining → wait_operations → mark_drained
//! remove_server:    mark_draining → wait_operations → delete_vm → wait_gone → mark_removed
//! discard_server:   delete_vm → wait_gone            (after a failed provision; state stays failed)
//! scale_cluster:    wait_children                    (its provisions and removals were enqueued with it)
//! refresh_plans:    fetch_plans
//! ```
//! A provision that gives up marks the server `failed` with the reason and, unless the fleet
//! keeps failed servers, starts `discard_server` in the same transaction, so the VM is
//! deleted by a durable job rather than a best-effort call.

use std::net::SocketAddr;

use chrono::Utc;
use providers::cloud::{ActionId, ActionStatus, NewVm, VmStatus};
use sqlx::{Postgres, Transaction};

use super::{CloudProvider, Server, ServerId, ServerState, render_user_data};
use crate::db::Db;
use crate::operation::{Operation, TargetKind};
use crate::workflow::{self, Context, Kind, Next};
use crate::{Error, Result};

/// The steps of each fleet workflow, in order.
pub(crate) fn sequence(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::ProvisionServer => &[
            "create_vm",
            "wait_action",
            "wait_running",
            "wait_ssh",
            "mark_active",
        ],
        Kind::DrainServer => &["mark_draining", "wait_operations", "mark_drained"],
        Kind::RemoveServer => &[
            "mark_draining",
            "wait_operations",
            "delete_vm",
            "wait_gone",
            "mark_removed",
        ],
        Kind::DiscardServer => &["delete_vm", "wait_gone"],
        Kind::ScaleCluster => &["wait_children"],
        Kind::RefreshPlans => &["fetch_plans"],
        _ => &[],
    }
}

/// Run the operation's current step, then say what comes next.
pub(crate) async fn step(kind: Kind, op: &Operation, cx: &Context) -> Result<Next> {
    match kind {
        Kind::ScaleCluster => return wait_children(op, cx).await,
        Kind::RefreshPlans => return refresh_plans(op, cx).await,
        _ => {}
    }
    let id = ServerId(op.target_id.ok_or(Error::NotFound { kind: "server" })?);
    let server = cx.db.server(id).await?;
    let waited = match op.step.as_str() {
        "create_vm" => create_vm(&server, cx).await?,
        "wait_action" => wait_action(&server, cx).await?,
        "wait_running" => wait_running(&server, cx).await?,
        "wait_ssh" => wait_ssh(&server, cx).await?,
        "mark_active" => {
            if cx
                .db
                .move_server(id, &[ServerState::Bootstrapping], ServerState::Active)
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
        "mark_draining" => {
            if cx
                .db
                .move_server(id, &[ServerState::Active], ServerState::Draining)
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
        "wait_operations" => {
            let busy = cx.db.active_operations_on_server_instances(id).await?;
            (busy > 0).then_some(cx.fleet.poll)
        }
        "mark_drained" => {
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
        "delete_vm" => delete_vm(kind, &server, cx).await?,
        "wait_gone" => wait_gone(&server, cx).await?,
        "mark_removed" => {
            if cx.db.mark_server_removed(id).await? {
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
        other => {
            return Err(Error::InvalidInput(format!(
                "{} has no step {other}",
                kind.as_str()
            )));
        }
    };
    if let Some(delay) = waited {
        return Ok(Next::Nap(delay));
    }
    let steps = sequence(kind);
    let at = steps.iter().position(|s| *s == op.step);
    Ok(match at.and_then(|i| steps.get(i + 1)) {
        Some(next) => Next::Hop(next),
        None => Next::Done,
    })
}

/// A step's answer: `None` to go on, `Some(delay)` to look again later.
type Wait = Option<std::time::Duration>;

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
        user_data: render_user_data(server, cx.fleet.ssh_authorized_key.as_deref())?,
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
        .move_server(
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
async fn delete_vm(kind: Kind, server: &Server, cx: &Context) -> Result<Wait> {
    if kind == Kind::RemoveServer
        && cx
            .db
            .move_server(
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
        Some(id) => cloud.get(id).await?.is_none(),
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
async fn wait_children(op: &Operation, cx: &Context) -> Result<Next> {
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
async fn refresh_plans(op: &Operation, cx: &Context) -> Result<Next> {
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
pub(crate) async fn after_failure(
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
        Kind::ProvisionServer | Kind::RemoveServer => {
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
                workflow::start_in(
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
