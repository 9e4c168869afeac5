//! The instance workflows of the providers that run Postgres on a host, one function per step:
//! `local` (this host) and `server` (a fleet server, over SSH) run the very same steps through
//! [`providers::host::PgHost`]. Every step is idempotent: it asks the host for what the last
//! try may have made (by the instance's resource name) before making it.
//!
//! ```text
//! create_instance:  allocate_port → prepare_data_dir → start_server → create_role
//!                   → create_stanza → mark_running
//!                   (start_server hops back to allocate_port if another process took the port)
//! delete_instance:  stop_server → remove_data → remove_backups → mark_deleted
//! stop_instance:    stop_server → mark_stopped
//! start_instance:   start_server → create_stanza → mark_running
//! restart_instance: stop_server → start_server → create_stanza → mark_running
//! recover_instance: start_server → create_stanza → mark_running   (the health sweep's restart)
//! ```
//!
//! Where an instance has standbys (see `standbys`), `create`, `start`, `restart` and
//! `recover` end with `start_standbys`, `stop` and `delete` stop them after the primary
//! (`stop_standbys`), and `delete` removes them (`remove_standbys`); `add_standby` is
//! `start_standbys` alone, `remove_standby` is `drop_standby`, and `relocate_standby` is
//! `drop_old_copy → start_standbys`.
//!
//! `start_server` first writes a new TLS certificate for the instance into its data directory
//! (see `tls`).
//!
//! A restore is a `create_instance` whose instance names a source (`restored_from`):
//! `prepare_data_dir` restores the source's backups instead of copying the template, and
//! `start_server` waits, napping, until the restored server has replayed up to its target
//! and promoted itself. Where backups are on (see `backup`), every start writes the
//! instance's pgBackRest configuration and archives its WAL, and `create_stanza` makes sure
//! its stanza exists.

use std::sync::Arc;

use providers::host::PgHost;
use providers::host::backup::{Backups, RestoreTarget};
use providers::login::Login;

use super::standbys::{self, Started};
use super::{Instance, InstanceId, InstanceState, Provider};
use crate::backup;
use crate::operation::{Operation, TargetKind};
use crate::workflow::{Context, Kind, Next, steps};
use crate::{Error, Result};

steps! {
    /// The steps of the instance workflows on a host.
    pub(crate) enum HostStep {
        AllocatePort => "allocate_port",
        PrepareDataDir => "prepare_data_dir",
        StartServer => "start_server",
        CreateRole => "create_role",
        CreateStanza => "create_stanza",
        MarkRunning => "mark_running",
        StopServer => "stop_server",
        RemoveData => "remove_data",
        RemoveBackups => "remove_backups",
        MarkStopped => "mark_stopped",
        MarkDeleted => "mark_deleted",
        StartStandbys => "start_standbys",
        StopStandbys => "stop_standbys",
        RemoveStandbys => "remove_standbys",
        DropStandby => "drop_standby",
        DropOldCopy => "drop_old_copy",
    }
}

/// The host that `inst` (a local or server instance) runs on: this one, or its server's.
pub(crate) async fn host_of(inst: &Instance, cx: &Context) -> Result<Arc<PgHost>> {
    match (inst.provider, inst.server_id) {
        (Provider::Server, Some(server)) => {
            let server = cx.db.server(server).await?;
            cx.fleet.hosts.host(&cx.db, &server).await
        }
        (Provider::Local, _) => Ok(cx.local.clone()),
        _ => Err(Error::InvalidInput(format!(
            "instance {} runs on no host",
            inst.name
        ))),
    }
}

/// Run one step on the operation's instance's host.
pub(crate) async fn step(step: HostStep, op: &Operation, cx: &Context) -> Result<Next<HostStep>> {
    let inst = super::target(op, cx).await?;
    let id = inst.id;
    // The last steps only record the outcome: no host needed.
    if step == HostStep::MarkStopped {
        super::mark_stopped(id, cx).await?;
        return Ok(Next::Continue);
    }
    if step == HostStep::MarkDeleted {
        cx.db.mark_instance_deleted(id).await?;
        return Ok(Next::Continue);
    }
    let name = inst.resource_name();
    let major = u32::try_from(inst.pg_version).map_err(anyhow::Error::from)?;
    let host = host_of(&inst, cx).await?;
    match step {
        HostStep::AllocatePort => allocate_port(&inst, &host, cx).await?,
        HostStep::PrepareDataDir => match cx.db.restore_source(id).await? {
            None => host.ensure_data_dir(&name, major).await?,
            Some((source, target)) => {
                let backups = backup::backups_of(&inst, cx).await?;
                let target = target.map_or(RestoreTarget::Latest, RestoreTarget::Time);
                host.restore(
                    &name,
                    port(&inst)?,
                    &backups,
                    &backup::stanza(source),
                    target,
                )
                .await?;
            }
        },
        HostStep::StartServer => {
            if inst.state == InstanceState::Stopping {
                cx.db
                    .set_instance_state_if(id, InstanceState::Stopping, InstanceState::Starting)
                    .await?;
            }
            // A fresh certificate at every start: for the host it starts on, never expiring
            // soon, and given to instances made before they served TLS.
            crate::tls::install(&inst, &host, cx).await?;
            let archiving = archiving_of(&inst, cx).await?;
            match host
                .ensure_running(&name, major, port(&inst)?, archiving.as_ref())
                .await
            {
                // Something else took the port between allocation and start: take another.
                Err(providers::Error::AddressInUse { port }) => {
                    tracing::warn!(instance = %id, port, "port taken by another process; allocating another");
                    cx.db.release_port(id).await?;
                    return Ok(Next::Hop(HostStep::AllocatePort));
                }
                other => other?,
            }
            // A restored server replays WAL up to its target, then promotes itself.
            if inst.state == InstanceState::Creating
                && cx.db.restore_source(id).await?.is_some()
                && host.recovery(&name, major, port(&inst)?).await?.in_recovery
            {
                return Ok(Next::Nap(std::time::Duration::from_millis(500)));
            }
        }
        HostStep::CreateStanza => {
            if let Some(backups) = archiving_of(&inst, cx).await? {
                host.create_stanza(&name, &backups).await?;
            }
        }
        HostStep::CreateRole => {
            let password = cx.db.instance_password(inst.id).await?;
            let login = Login {
                username: &inst.username,
                password: &password,
                database: &inst.database_name,
            };
            host.ensure_login(&name, major, port(&inst)?, &login)
                .await?;
        }
        HostStep::MarkRunning => {
            let address = host.listen().to_string();
            let password = cx.db.instance_password(id).await?;
            let check =
                crate::health::check_at(&inst, &address, port(&inst)?, &password, cx.tls.pem())
                    .await;
            cx.db
                .mark_instance_running(id, &address, None, &check)
                .await?;
        }
        HostStep::StartStandbys => match standbys::start_all(&inst, &host, cx, strict(op)).await? {
            Started::All => {}
            Started::PortTaken => return Ok(Next::Hop(HostStep::StartStandbys)),
            Started::NotYet => return Ok(Next::Nap(std::time::Duration::from_millis(500))),
        },
        HostStep::StopStandbys => standbys::stop_all(&inst, cx).await?,
        HostStep::RemoveStandbys => standbys::remove_all(&inst, cx).await?,
        HostStep::DropStandby => standbys::drop_one(&inst, &host, op, cx).await?,
        HostStep::DropOldCopy => {
            if !standbys::drop_old_copy(&inst, &host, op, cx).await? {
                return Ok(Next::Done);
            }
        }
        HostStep::StopServer => host.ensure_stopped(&name).await?,
        HostStep::RemoveData => host.remove(&name).await?,
        HostStep::RemoveBackups => remove_backups(&inst, &host, op, cx).await?,
        HostStep::MarkStopped | HostStep::MarkDeleted => {}
    }
    Ok(Next::Continue)
}

/// Whether standbys are what operation `op` is for, so that one that cannot start fails it.
fn strict(op: &Operation) -> bool {
    [
        Kind::CreateInstance,
        Kind::AddStandby,
        Kind::HealStandbys,
        Kind::RelocateStandby,
    ]
    .iter()
    .any(|k| k.as_str() == op.kind)
}

/// The backup settings `inst` archives with, or `None` where backups are not available to
/// it (no pgBackRest here, a Kubernetes instance, a server instance without object storage).
pub(crate) async fn archiving_of(inst: &Instance, cx: &Context) -> Result<Option<Backups>> {
    // A drill's scratch copy is thrown away: it archives nothing.
    if cx.db.is_drill_scratch(inst.id).await? {
        return Ok(None);
    }
    match backup::backups_of(inst, cx).await {
        Ok(b) => Ok(Some(b)),
        Err(Error::Unsupported(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A deleted instance's backups stay in the repository for their retention (a restore can
/// still use them; the health sweep purges them after) unless the delete asked to purge them
/// now; its configuration and spool go.
async fn remove_backups(
    inst: &Instance,
    host: &PgHost,
    op: &Operation,
    cx: &Context,
) -> Result<()> {
    let options: super::DeleteOptions =
        serde_json::from_value(op.input.clone()).unwrap_or_default();
    let name = inst.resource_name();
    match archiving_of(inst, cx).await? {
        Some(backups) if options.purge_backups == Some(true) => {
            host.purge_stanza(&name, port(inst).unwrap_or(0), &backups)
                .await?;
            cx.db.mark_backups_purged(inst.id).await?;
        }
        Some(backups) => {
            let days = i32::try_from(backups.retention_days).unwrap_or(i32::MAX);
            cx.db.retain_stanza(inst.id, &backups.stanza, days).await?;
            host.remove_backup_config(&name).await?;
        }
        None => host.remove_backup_config(&name).await?,
    }
    Ok(())
}

fn port(inst: &Instance) -> Result<u16> {
    inst.port
        .and_then(|p| u16::try_from(p).ok())
        .ok_or_else(|| {
            Error::InvalidInput(format!(
                "instance {} was never given a port (its create failed early); delete and recreate it",
                inst.name
            ))
        })
}

/// Give the instance the lowest port that no live instance holds and nothing else listens
/// on. The unique index on live ports settles races between concurrent creates.
async fn allocate_port(inst: &Instance, host: &PgHost, cx: &Context) -> Result<()> {
    if inst.port.is_some() {
        return Ok(());
    }
    let taken = match inst.server_id {
        Some(server) if inst.provider == Provider::Server => {
            cx.db.server_ports_in_use(server).await?
        }
        _ => cx.db.local_ports_in_use().await?,
    };
    for port in host.ports() {
        if taken.contains(&i32::from(port)) || !host.port_is_free(port).await? {
            continue;
        }
        match cx.db.claim_port(inst.id, port).await {
            Ok(true) => return Ok(()),
            Ok(false) => return Ok(()), // an earlier try claimed one already
            Err(Error::Conflict(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    let ports = host.ports();
    Err(Error::Other(anyhow::anyhow!(
        "no free port in {}..{}",
        ports.start,
        ports.end
    )))
}

/// An instance operation is giving up: stop the instance's server so that nothing half-made
/// keeps running (the caller then marks it `failed`). Its data is kept for inspection (locally
/// `server.log` is inside; on Kubernetes the objects stay, scaled to zero); `deleteInstance`
/// removes it. Best effort: a failure to stop is logged, not raised.
pub(crate) async fn stop_after_failure(op: &Operation, cx: &Context) {
    if op.target_kind != TargetKind::Instance {
        return;
    }
    let Some(target) = op.target_id else {
        return;
    };
    let id = InstanceId(target);
    let inst = match cx.db.instance(id).await {
        Ok(inst) => inst,
        Err(e) => {
            tracing::warn!(instance = %id, "failed to load a failing instance: {e:#}");
            return;
        }
    };
    let stopped = match inst.provider {
        Provider::Local | Provider::Server => match host_of(&inst, cx).await {
            Ok(host) => host
                .ensure_stopped(&inst.resource_name())
                .await
                .map_err(Error::from),
            Err(e) => Err(e),
        },
        Provider::Kubernetes => super::kube::scale_to_zero(&inst, cx).await,
    };
    if let Err(e) = stopped {
        tracing::warn!(instance = %id, "failed to stop a failed instance: {e:#}");
    }
}

#[cfg(test)]
mod tests {
    use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

    use super::*;
    use crate::db::Db;
    use crate::instance::{self, CreateInstance, Offer};
    use crate::user::DEFAULT_PROJECT_ID;

    /// Step by step, without the engine: `AllocatePort` claims a free port and goes on; when
    /// another process takes that port before `StartServer`, the step releases it and hops
    /// back to `AllocatePort`, which claims another.
    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn a_port_taken_before_the_start_sends_the_create_back_to_allocate_another(
        _p: PgPoolOptions,
        c: PgConnectOptions,
    ) {
        let master = crate::MasterKey::from_bytes(&[7; 32]).unwrap();
        let db = Db::from_pool(PgPoolOptions::new().connect_with(c).await.unwrap())
            .sealed_with(std::sync::Arc::new(master));
        let cx = crate::fixtures::context(&db);
        let offer = Offer {
            local_versions: cx.local.versions(),
            ..Offer::default()
        };
        let input = CreateInstance {
            name: "stepwise".into(),
            ..CreateInstance::default()
        };
        let (inst, op) = instance::create(&db, &input, &offer, DEFAULT_PROJECT_ID, None)
            .await
            .unwrap();
        assert_eq!(op.step, "allocate_port");

        let next = step(HostStep::AllocatePort, &op, &cx).await.unwrap();
        assert_eq!(next, Next::Continue);
        let first = db.instance(inst.id).await.unwrap().port.expect("a port");
        let next = step(HostStep::PrepareDataDir, &op, &cx).await.unwrap();
        assert_eq!(next, Next::Continue);

        let squatter = std::net::TcpListener::bind(("127.0.0.1", u16::try_from(first).unwrap()))
            .expect("take the instance's port");
        let next = step(HostStep::StartServer, &op, &cx).await.unwrap();
        assert_eq!(next, Next::Hop(HostStep::AllocatePort));
        assert_eq!(db.instance(inst.id).await.unwrap().port, None, "released");

        let next = step(HostStep::AllocatePort, &op, &cx).await.unwrap();
        assert_eq!(next, Next::Continue);
        let second = db
            .instance(inst.id)
            .await
            .unwrap()
            .port
            .expect("another port");
        assert_ne!(second, first);
        drop(squatter);
        cx.local.remove(&inst.resource_name()).await.unwrap();
    }
}
