//! Moving an instance from one server to another with the least downtime we can manage.
//!
//! ```text
//! move_instance: prepare → copy_data → start_copy → catch_up → stop_source → promote
//!                → switch → clean_up
//! ```
//! * `prepare`: a port on the target, a password for the replication role on the source.
//! * `copy_data`: a base backup of the source into a new data directory on the target, WAL
//!   streamed alongside; `start_copy` gives it a certificate of its own and starts it as a hot
//!   standby streaming from the source. Both connections to the source are TLS, checked
//!   against the installation's CA (`sslmode=verify-full`).
//! * `catch_up`: wait until the standby trails the primary by less than [`CATCH_UP_BYTES`].
//!   The instance serves writes all along.
//! * `stop_source`: **writes stop** (recorded): the source's fast shutdown rolls back open
//!   transactions and hands every WAL record, its shutdown checkpoint included, to the standby
//!   before it exits.
//! * `promote`: checks that the source shut down cleanly (else it serves again and the cutover
//!   starts over), records the point of no return, and has the standby wait until it has
//!   replayed past the source's shutdown checkpoint (it then holds every committed write) and
//!   promote itself, in one round trip. Should that fail, the standby is still a standby, which
//!   [`roll_back`] checks before undoing anything.
//! * `switch`: in one transaction, the instance's server, port and host name the new primary,
//!   and **writes resume** (recorded): the window between the two is the move's
//!   write-unavailability, shown on the move.
//! * `clean_up`: the new primary forgets its upstream; the old copy is removed.
//!
//! Every step is idempotent and the phase is stored, so a control plane killed mid-move
//! resumes it. A move that gives up before `promote` is rolled back ([`roll_back`]): the new
//! copy is removed and the old primary started again (it was shut down cleanly, so it is
//! exactly as it was). After `promote` there is only forward: two primaries never serve.

use std::time::Duration;

use anyhow::anyhow;
use providers::host::{PgHost, Upstream};
use tokio::time::Instant;
use uuid::Uuid;

use super::{Instance, InstanceId, port_of};
use crate::db::{InstanceMove, MovePhase};
use crate::operation::Operation;
use crate::registry::{GiveUp, Table};
use crate::workflow::{Context, Kind, Next, steps};
use crate::{Error, Result};

/// A standby this close to the primary is caught up enough to cut over.
pub const CATCH_UP_BYTES: u64 = 16 * 1024 * 1024;
/// How long one delivery watches the standby catch up before napping.
const WATCH: Duration = Duration::from_secs(10);
/// How often the standby's progress is looked at within a step.
const LOOK: Duration = Duration::from_millis(20);

steps! {
    /// The steps of `move_instance`.
    pub(crate) enum MoveStep {
        Prepare => "prepare",
        CopyData => "copy_data",
        StartCopy => "start_copy",
        CatchUp => "catch_up",
        StopSource => "stop_source",
        Promote => "promote",
        Switch => "switch",
        CleanUp => "clean_up",
    }
}

/// `move_instance`: its steps, its step function; a move that gives up is rolled back when
/// it safely can be, else its instance is marked failed.
pub(crate) static TABLE: Table<MoveStep> = Table {
    steps: &[
        MoveStep::Prepare,
        MoveStep::CopyData,
        MoveStep::StartCopy,
        MoveStep::CatchUp,
        MoveStep::StopSource,
        MoveStep::Promote,
        MoveStep::Switch,
        MoveStep::CleanUp,
    ],
    run: |s, op, cx| Box::pin(step(s, op, cx)),
    give_up: GiveUp {
        clean_up: |op, message, cx| Box::pin(roll_back(op, message, cx)),
        mark: |tx, op, message, fine, _| Box::pin(super::mark_failed(tx, op, message, fine)),
    },
};

/// The move an operation carries out (named in its input).
pub(crate) async fn the_move(op: &Operation, cx: &Context) -> Result<InstanceMove> {
    let id: Uuid = op
        .input
        .get("move_id")
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::InvalidInput("a move_instance operation names no move".to_owned()))?;
    cx.db.instance_move(id).await
}

struct Ends {
    source: std::sync::Arc<PgHost>,
    target: std::sync::Arc<PgHost>,
    target_address: String,
    source_address: String,
}

async fn ends(m: &InstanceMove, cx: &Context) -> Result<Ends> {
    let source = cx.db.server(m.source_server_id).await?;
    let target = cx.db.server(m.target_server_id).await?;
    let address = |s: &crate::server::Server| {
        s.address()
            .map(|a| a.to_string())
            .ok_or_else(|| Error::Other(anyhow!("server {} has no address", s.name)))
    };
    Ok(Ends {
        source_address: address(&source)?,
        target_address: address(&target)?,
        source: cx.fleet.hosts.host(&cx.db, &source).await?,
        target: cx.fleet.hosts.host(&cx.db, &target).await?,
    })
}

/// Run one step of the move.
async fn step(step: MoveStep, op: &Operation, cx: &Context) -> Result<Next<MoveStep>> {
    let inst = &super::target(op, cx).await?;
    let m = the_move(op, cx).await?;
    let name = inst.resource_name();
    let major = u32::try_from(inst.pg_version).map_err(anyhow::Error::from)?;
    let e = ends(&m, cx).await?;
    match step {
        MoveStep::Prepare => {
            let source_port = m.source_port.or(inst.port).ok_or_else(|| {
                Error::InvalidInput(format!("instance {} has no port to move from", inst.name))
            })?;
            if m.target_port.is_none() {
                let password = cx
                    .db
                    .move_replicator_password(m.id)
                    .await?
                    .unwrap_or_else(crate::user::generate_password);
                let port = free_port(&m, &e.target, cx).await?;
                cx.db
                    .prepare_move(m.id, source_port, port, &password)
                    .await?;
            }
            let m = cx.db.instance_move(m.id).await?;
            let password = cx.db.move_replicator_password(m.id).await?;
            e.source
                .allow_replication(
                    &name,
                    major,
                    port_of(m.source_port, "the move's source")?,
                    password.as_deref().unwrap_or_default(),
                )
                .await?;
        }
        MoveStep::CopyData => {
            let upstream = Upstream {
                address: e.source_address.clone(),
                port: port_of(m.source_port, "the move's source")?,
                password: cx
                    .db
                    .move_replicator_password(m.id)
                    .await?
                    .unwrap_or_default(),
                ca: cx.tls.pem().to_owned(),
                slot: None,
                application_name: "toygres_copy".into(),
            };
            e.target.ensure_standby(&name, major, &upstream).await?;
        }
        MoveStep::StartCopy => {
            // The copy came with the source's certificate; it gets one naming its own host.
            crate::tls::install(inst, &e.target, cx).await?;
            match e
                .target
                .ensure_running(
                    &name,
                    major,
                    port_of(m.target_port, "the move's target")?,
                    super::steps::archiving_of(inst, cx).await?.as_ref(),
                )
                .await
            {
                Err(providers::Error::AddressInUse { port }) => {
                    tracing::warn!(instance = %inst.id, port, "target port taken; choosing another");
                    cx.db.release_move_port(m.id).await?;
                    return Ok(Next::Hop(MoveStep::Prepare));
                }
                other => other?,
            }
            cx.db
                .set_move_phase(m.id, MovePhase::CatchingUp, None)
                .await?;
        }
        MoveStep::CatchUp => {
            let source_port = port_of(m.source_port, "the move's source")?;
            let target_port = port_of(m.target_port, "the move's target")?;
            let until = Instant::now() + WATCH;
            loop {
                let primary = e.source.recovery(&name, major, source_port).await?;
                let copy = e.target.recovery(&name, major, target_port).await?;
                let lag = primary.lsn.saturating_sub(copy.lsn);
                let lag_i = i64::try_from(lag).unwrap_or(i64::MAX);
                if copy.in_recovery && lag < CATCH_UP_BYTES {
                    cx.db
                        .set_move_phase(m.id, MovePhase::CatchingUp, Some(lag_i))
                        .await?;
                    break;
                }
                if Instant::now() > until {
                    cx.db
                        .set_move_phase(m.id, MovePhase::CatchingUp, Some(lag_i))
                        .await?;
                    return Ok(Next::Nap(Duration::from_millis(500)));
                }
                tokio::time::sleep(LOOK).await;
            }
        }
        MoveStep::StopSource => {
            cx.db.mark_writes_stopped(m.id).await?;
            let (checkpoint, clean) = e.source.stop_for_cutover(&name, major).await?;
            if clean {
                cx.db.record_source_checkpoint(m.id, checkpoint).await?;
            }
        }
        MoveStep::Promote => {
            let (checkpoint, clean) = match m.source_checkpoint {
                Some(c) => (u64::try_from(c).map_err(anyhow::Error::from)?, true),
                None => e.source.last_checkpoint(&name, major).await?,
            };
            if !clean {
                // It did not hand everything over: it serves again, and we start over.
                tracing::warn!(instance = %inst.id, "the source did not shut down cleanly; restarting the cutover");
                e.source
                    .ensure_running(
                        &name,
                        major,
                        port_of(m.source_port, "the move's source")?,
                        super::steps::archiving_of(inst, cx).await?.as_ref(),
                    )
                    .await?;
                cx.db.restart_cutover(m.id).await?;
                return Ok(Next::Hop(MoveStep::CatchUp));
            }
            cx.db.mark_promoting(m.id).await?;
            e.target
                .promote_after(
                    &name,
                    major,
                    port_of(m.target_port, "the move's target")?,
                    checkpoint,
                )
                .await?;
        }
        MoveStep::Switch => {
            cx.db.switch_move(&m, &e.target_address).await?;
        }
        MoveStep::CleanUp => {
            e.target
                .forget_upstream(&name, major, port_of(m.target_port, "the move's target")?)
                .await?;
            e.source.remove(&name).await?;
            cx.db.finish_move(m.id, MovePhase::Done, None).await?;
            let m = cx.db.instance_move(m.id).await?;
            let (from, to) = (
                cx.db.server(m.source_server_id).await?.name,
                cx.db.server(m.target_server_id).await?.name,
            );
            cx.db
                .cluster_event(
                    "instance_moved",
                    "info",
                    &format!(
                        "{} moved from {from} to {to}; writes were unavailable for {:.0} ms",
                        inst.name,
                        m.unavailable_ms.unwrap_or_default()
                    ),
                    Some(inst.id),
                    serde_json::json!({
                        "source_server_id": m.source_server_id,
                        "target_server_id": m.target_server_id,
                        "unavailable_ms": m.unavailable_ms,
                    }),
                )
                .await?;
        }
    }
    Ok(Next::Continue)
}

/// Start moving instance `id` to server `target` (chosen by the placement rule when `None`):
/// record the move and its `move_instance` operation, and enqueue it, in one transaction.
pub async fn start(
    db: &crate::db::Db,
    id: InstanceId,
    target: Option<crate::server::ServerId>,
    requested_by: Option<crate::user::UserId>,
) -> Result<(InstanceMove, Operation)> {
    use crate::server::placement;
    let mut tx = db.begin().await?;
    let inst = crate::db::Db::lock_instance(&mut tx, id).await?;
    let Some(source) = inst
        .server_id
        .filter(|_| inst.provider == super::Provider::Server)
    else {
        return Err(Error::InvalidInput(format!(
            "instance {} does not run on a server; only SERVER instances move",
            inst.name
        )));
    };
    if inst.state != super::InstanceState::Running {
        return Err(Error::Conflict(
            format!(
                "instance {} is {:?}; only a running instance moves",
                inst.name, inst.state
            )
            .to_lowercase(),
        ));
    }
    if inst.standbys > 0 {
        return Err(Error::Unsupported(format!(
            "instance {} has standbys: switch over to one (switchover) rather than move it",
            inst.name
        )));
    }
    if target == Some(source) {
        return Err(Error::InvalidInput(format!(
            "instance {} is on that server already",
            inst.name
        )));
    }
    let all = placement::candidates(&mut tx, inst.project_id).await?;
    let pool = placement::named_or_all(all, target)?;
    let at = placement::choose(&pool, &placement::Need::of(&inst), None, Some(source))
        .map_err(|why| Error::InvalidInput(format!("instance {} cannot move: {why}", inst.name)))?;
    let m = crate::db::Db::insert_move(
        &mut tx,
        &crate::db::NewMove {
            instance_id: inst.id,
            source_server_id: source,
            target_server_id: pool[at].server.id,
            drain_operation_id: None,
            position: 1,
        },
    )
    .await?;
    let op = start_operation(&mut tx, &inst, &m, requested_by).await?;
    tx.commit().await?;
    tracing::info!(instance = %inst.id, operation = %op.id, "instance move queued");
    Ok((m, op))
}

/// Record and enqueue the `move_instance` operation that carries out move `m`, in `tx`.
pub(crate) async fn start_operation(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    inst: &Instance,
    m: &InstanceMove,
    requested_by: Option<crate::user::UserId>,
) -> Result<Operation> {
    let op = crate::engine::start_in(
        tx,
        super::new_operation(
            inst,
            Kind::MoveInstance,
            requested_by,
            serde_json::json!({ "move_id": m.id }),
        ),
    )
    .await?;
    crate::db::Db::attach_move(tx, m.id, op.id).await?;
    Ok(op)
}

/// The lowest port on the target that no instance or copy holds and nothing listens on.
async fn free_port(m: &InstanceMove, target: &PgHost, cx: &Context) -> Result<u16> {
    let taken = cx.db.server_ports_in_use(m.target_server_id).await?;
    for port in target.ports() {
        if taken.contains(&i32::from(port)) || !target.port_is_free(port).await? {
            continue;
        }
        return Ok(port);
    }
    let ports = target.ports();
    Err(Error::Other(anyhow!(
        "no free port in {}..{} on the target",
        ports.start,
        ports.end
    )))
}

/// A move is giving up. Before the promotion, undo it: remove the new copy and start the old
/// primary again; the instance is as it was, and `true` says so. After the promotion (or if
/// undoing fails), `false`: the instance is marked failed with the reason.
pub(crate) async fn roll_back(op: &Operation, message: &str, cx: &Context) -> bool {
    let undo = async {
        let m = the_move(op, cx).await?;
        if m.phase.is_final() {
            return Ok(true);
        }
        let inst = cx.db.instance(m.instance_id).await?;
        let name = inst.resource_name();
        let major = u32::try_from(inst.pg_version).map_err(anyhow::Error::from)?;
        let e = ends(&m, cx).await?;
        if m.phase >= MovePhase::Promoting {
            // Undo only what is certainly still a standby: never two primaries.
            let still_standby = match m.target_port.and_then(|p| u16::try_from(p).ok()) {
                Some(p) => matches!(
                    e.target.recovery(&name, major, p).await,
                    Ok(r) if r.in_recovery
                ),
                None => false,
            };
            if m.phase > MovePhase::Promoting || !still_standby {
                return Ok(false);
            }
        }
        // The old primary first: it is what clients need.
        if let Some(p) = m.source_port.or(inst.port) {
            let p = u16::try_from(p).map_err(anyhow::Error::from)?;
            let archiving = super::steps::archiving_of(&inst, cx).await?;
            e.source
                .ensure_running(&name, major, p, archiving.as_ref())
                .await?;
        }
        // Then the new copy, if its host answers; one left behind is reported, not served.
        if let Err(err) = e.target.remove(&name).await {
            tracing::warn!(instance = %inst.id, "could not remove the new copy: {err:#}");
            cx.db
                .cluster_event(
                    "move_copy_left_behind",
                    "warning",
                    &format!(
                        "the move of {} was undone, but its new copy could not be removed: {err}",
                        inst.name
                    ),
                    Some(inst.id),
                    serde_json::json!({ "target_server_id": m.target_server_id }),
                )
                .await?;
        }
        cx.db
            .finish_move(m.id, MovePhase::RolledBack, Some(message))
            .await?;
        tracing::warn!(instance = %inst.id, "move rolled back: {message}");
        Ok::<bool, Error>(true)
    };
    match undo.await {
        Ok(fine) => fine,
        Err(e) => {
            tracing::error!(operation = %op.id, "rolling back a move failed: {e:#}");
            false
        }
    }
}
