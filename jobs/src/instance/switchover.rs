//! Switchover: hand an instance's primary over to one of its standbys, for maintenance,
//! losing no committed write, with the write pause measured. The cutover is a move's (see
//! `moves`), without the copy: the standby is already there.
//!
//! ```text
//! switchover: catch_up → stop_primary → promote → switch → follow
//! ```
//! * `catch_up`: wait until the chosen standby streams close behind the primary.
//! * `stop_primary`: **writes stop** (recorded): a fast shutdown hands every WAL record, its
//!   shutdown checkpoint included, to the standbys streaming from it.
//! * `promote`: the old primary shut down cleanly (else it serves again and the cutover
//!   starts over); the standby replays past its shutdown checkpoint, so it holds every
//!   committed write, and promotes itself, in one round trip.
//! * `switch`: in one transaction the standby becomes the instance's primary (the connection
//!   string names it first) and the old primary a standby, each keeping its member id;
//!   **writes resume** (recorded).
//! * `follow`: the new primary forgets its upstream and keeps a slot for each standby; the
//!   other standbys follow it, and the old primary rejoins as a standby (it shut down
//!   cleanly at a point the new primary has replayed, so it follows the new timeline as it
//!   is); a synchronous primary waits for them again.
//!
//! A control plane killed at any point resumes from the stored step. A switchover that gives
//! up before the promotion starts the old primary again; after it, only forward: the
//! promoted standby is recorded as the primary. Two primaries never serve.

use std::time::Duration;

use tokio::time::Instant;

use super::standbys::{self, Handover, Standby, Started};
use super::{Instance, InstanceId, InstanceState, Kind};
use crate::db::Db;
use crate::operation::Operation;
use crate::registry::{GiveUp, Table};
use crate::workflow::{Context, Next, steps};
use crate::{Error, Result};

/// How long one delivery watches the standby catch up before napping.
const WATCH: Duration = Duration::from_secs(10);
/// How often it looks meanwhile.
const LOOK: Duration = Duration::from_millis(20);

steps! {
    /// The steps of `switchover`.
    pub(crate) enum SwitchStep {
        CatchUp => "catch_up",
        StopPrimary => "stop_primary",
        Promote => "promote",
        Switch => "switch",
        Follow => "follow",
    }
}

/// `switchover`: its steps and step function; one that gives up is undone before the
/// promotion and carried forward after it.
pub(crate) static TABLE: Table<SwitchStep> = Table {
    steps: &[
        SwitchStep::CatchUp,
        SwitchStep::StopPrimary,
        SwitchStep::Promote,
        SwitchStep::Switch,
        SwitchStep::Follow,
    ],
    run: |s, op, cx| Box::pin(step(s, op, cx)),
    give_up: GiveUp {
        clean_up: |op, message, cx| Box::pin(settle(op, message, cx)),
        mark: |tx, op, message, fine, _| Box::pin(super::mark_failed(tx, op, message, fine)),
    },
};

/// Start handing running instance `id`'s primary over to its standby `to` (when `None`, the
/// one closest behind): record the handover and its `switchover` operation, and enqueue it,
/// in one transaction.
pub async fn start(
    db: &Db,
    id: InstanceId,
    to: Option<uuid::Uuid>,
    requested_by: Option<crate::user::UserId>,
) -> Result<(Handover, Operation)> {
    let mut tx = db.begin().await?;
    let inst = Db::lock_instance(&mut tx, id).await?;
    let (h, op) = start_in(&mut tx, db, &inst, to, requested_by).await?;
    tx.commit().await?;
    tracing::info!(instance = %id, to = %h.to_member_id, operation = %op.id, "switchover queued");
    Ok((h, op))
}

/// [`start`] the switchover of `inst` (locked in `tx`), in `tx`.
pub(crate) async fn start_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    db: &Db,
    inst: &Instance,
    to: Option<uuid::Uuid>,
    requested_by: Option<crate::user::UserId>,
) -> Result<(Handover, Operation)> {
    let id = inst.id;
    standbys::check_supported(inst.provider)?;
    if inst.state != InstanceState::Running {
        return Err(Error::Conflict(
            format!(
                "instance {} is {:?}; only a running instance switches over",
                inst.name, inst.state
            )
            .to_lowercase(),
        ));
    }
    let standbys: Vec<Standby> = db.standbys(id).await?;
    let target = match to {
        Some(to) if to == inst.primary_member_id() => {
            return Err(Error::InvalidInput(
                "that member is the primary already".to_owned(),
            ));
        }
        Some(to) => standbys
            .iter()
            .find(|s| s.id == to)
            .ok_or(Error::NotFound { kind: "member" })?,
        None => standbys
            .iter()
            .filter(|s| s.state == standbys::StandbyState::Streaming)
            .min_by_key(|s| s.lag_bytes.unwrap_or(i64::MAX))
            .ok_or_else(|| {
                Error::InvalidInput(format!(
                    "instance {} has no streaming standby to switch over to",
                    inst.name
                ))
            })?,
    };
    if !matches!(
        target.state,
        standbys::StandbyState::Streaming | standbys::StandbyState::Lagging
    ) {
        return Err(Error::InvalidInput(
            format!(
                "that standby is {:?}, not streaming: it cannot take over",
                target.state
            )
            .to_lowercase(),
        ));
    }
    let op = crate::engine::start_in(
        tx,
        super::new_operation(
            inst,
            Kind::Switchover,
            requested_by,
            serde_json::json!({ "member_id": target.id }),
        ),
    )
    .await?;
    let h = Db::insert_handover(tx, inst, op.id, target.id, true, None).await?;
    Ok((h, op))
}

/// The two ends of a handover, wherever it stands: the old primary and the standby taking
/// over, each with its host, data directory and port.
struct Ends {
    inst: Instance,
    h: Handover,
    /// Whether the instance row names the new primary already.
    switched: bool,
    old: End,
    new: End,
}

struct End {
    host: std::sync::Arc<providers::host::PgHost>,
    name: String,
    port: u16,
}

async fn ends(op: &Operation, cx: &Context) -> Result<Ends> {
    let inst = super::target(op, cx).await?;
    let h = cx.db.handover_of(op.id).await?;
    let switched = inst.primary_member_id() == h.to_member_id;
    let (primary_member, standby_member) = if switched {
        (h.to_member_id, h.from_member_id)
    } else {
        (h.from_member_id, h.to_member_id)
    };
    debug_assert_eq!(primary_member, inst.primary_member_id());
    let standby = cx.db.standby(standby_member).await?;
    let primary = End {
        host: super::host_of(&inst, cx).await?,
        name: inst.resource_name(),
        port: super::port_of(inst.port, "the primary")?,
    };
    let other = End {
        host: standbys::host_of(&inst, &standby, cx).await?,
        name: standby.resource_name.clone(),
        port: super::port_of(standby.port, "the standby")?,
    };
    let (old, new) = if switched {
        (other, primary)
    } else {
        (primary, other)
    };
    Ok(Ends {
        inst,
        h,
        switched,
        old,
        new,
    })
}

/// Run one step of the switchover.
async fn step(step: SwitchStep, op: &Operation, cx: &Context) -> Result<Next<SwitchStep>> {
    let e = ends(op, cx).await?;
    let major = u32::try_from(e.inst.pg_version).map_err(anyhow::Error::from)?;
    match step {
        // Past the switch, a resumed operation only finishes.
        _ if e.switched && step != SwitchStep::Follow => return Ok(Next::Hop(SwitchStep::Follow)),
        SwitchStep::CatchUp => {
            let slot = cx.db.standby(e.h.to_member_id).await?.slot();
            let until = Instant::now() + WATCH;
            loop {
                let seen = e
                    .old
                    .host
                    .replication(&e.old.name, major, e.old.port)
                    .await?;
                let close = seen.iter().any(|r| {
                    r.application_name == slot
                        && r.state == "streaming"
                        && r.lag_bytes < super::moves::CATCH_UP_BYTES
                });
                if close {
                    break;
                }
                if Instant::now() > until {
                    return Ok(Next::Nap(Duration::from_millis(500)));
                }
                tokio::time::sleep(LOOK).await;
            }
        }
        SwitchStep::StopPrimary => {
            cx.db.handover_writes_stopped(e.h.id, None).await?;
            let (checkpoint, clean) = e.old.host.stop_for_cutover(&e.old.name, major).await?;
            if clean {
                cx.db
                    .handover_writes_stopped(e.h.id, Some(checkpoint))
                    .await?;
            }
        }
        SwitchStep::Promote => {
            let (checkpoint, clean) = match e.h.source_checkpoint {
                Some(c) => (u64::try_from(c).map_err(anyhow::Error::from)?, true),
                None => e.old.host.last_checkpoint(&e.old.name, major).await?,
            };
            if !clean {
                tracing::warn!(instance = %e.inst.id, "the primary did not shut down cleanly; restarting the switchover");
                start_old_primary(&e, cx).await?;
                cx.db.restart_handover(e.h.id).await?;
                return Ok(Next::Hop(SwitchStep::CatchUp));
            }
            e.new
                .host
                .promote_after(&e.new.name, major, e.new.port, checkpoint)
                .await?;
        }
        SwitchStep::Switch => cx.db.switch_primary(&e.h).await?,
        SwitchStep::Follow => {
            let inst = cx.db.instance(e.inst.id).await?;
            e.new.host.lead(&e.new.name, major, e.new.port).await?;
            match standbys::start_all(&inst, &e.new.host, cx, true).await? {
                Started::All => {}
                Started::PortTaken => return Ok(Next::Hop(SwitchStep::Follow)),
                Started::NotYet => return Ok(Next::Nap(Duration::from_millis(500))),
            }
            standbys::announce_handover(&inst, e.h.id, cx).await?;
        }
    }
    Ok(Next::Continue)
}

/// Start the old primary again, as the primary it still is.
async fn start_old_primary(e: &Ends, cx: &Context) -> Result<()> {
    let major = u32::try_from(e.inst.pg_version).map_err(anyhow::Error::from)?;
    let archiving = super::steps::archiving_of(&e.inst, cx).await?;
    e.old
        .host
        .ensure_running(&e.old.name, major, e.old.port, archiving.as_ref())
        .await?;
    Ok(())
}

/// A switchover is giving up. While the standby is still a standby, the old primary serves
/// again and the instance is as it was. Once promoted, the standby is recorded as the primary
/// (the old one is stopped): forward only. `true` when the instance is fine either way;
/// `false` (marked failed) only when neither could be done.
async fn settle(op: &Operation, message: &str, cx: &Context) -> bool {
    let settled = async {
        let e = ends(op, cx).await?;
        if !e.switched {
            let major = u32::try_from(e.inst.pg_version).map_err(anyhow::Error::from)?;
            let promoted = !e
                .new
                .host
                .recovery(&e.new.name, major, e.new.port)
                .await?
                .in_recovery;
            if promoted {
                cx.db.switch_primary(&e.h).await?;
            } else {
                start_old_primary(&e, cx).await?;
            }
        }
        cx.db.finish_handover(e.h.id).await?;
        Ok::<_, Error>(())
    };
    match settled.await {
        Ok(()) => {
            tracing::warn!(operation = %op.id, "switchover gave up: {message}");
            true
        }
        Err(err) => {
            tracing::error!(operation = %op.id, "settling a switchover failed: {err:#}");
            false
        }
    }
}
