//! Restore drills: prove an instance's backups by restoring them, on a schedule.
//!
//! A drill writes a canary row into the instance (schema `toygres` of its `postgres`
//! database, which tenants cannot write), waits until the WAL holding it is archived, then
//! restores the instance's newest backup and archived WAL into a scratch instance on this
//! host, checks it, measures it and deletes it:
//!
//! ```text
//! restore_drill:  write_canary → allocate_port → restore_backup → start_scratch
//!                 → check_scratch → remove_scratch → record_drill
//! ```
//!
//! The operation's target is the scratch instance (an instance row with `drill_of` set,
//! never archived, never backed up, never marked running), so a drill never holds up
//! operations on the instance it drills. Its restore steps are the create workflow's own.
//!
//! * **RTO**: from the start of the restore to the scratch server taking connections.
//! * **RPO**: how old the newest restored commit (the canary) was when the restore began:
//!   had the instance been lost then, the writes of that last stretch would be lost.
//!
//! A check that fails (the restore errs, `pg_amcheck` finds damage, the canary is missing)
//! fails the drill: recorded with its error, raised as a critical cluster event, and the
//! scratch instance removed.

use std::str::FromStr as _;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::backup;
use crate::db::{Db, NewOperation};
use crate::instance::{self, HostStep, Instance, InstanceId, InstanceState, Provider};
use crate::operation::{Operation, TargetKind};
use crate::registry::{GiveUp, Table};
use crate::user::{ProjectId, UserId};
use crate::workflow::{Context, Kind, Next, steps};
use crate::{Error, Result};

/// Weekly, Sundays at 04:00 UTC.
pub const DEFAULT_SCHEDULE: &str = "0 4 * * 0";

/// Where a drill is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "drill_status", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum DrillStatus {
    /// Restoring or checking.
    Running,
    /// The backup restored, started and checked out.
    Succeeded,
    /// It did not; `error` says why.
    Failed,
}

/// One drill, as recorded.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Drill {
    /// Its id.
    pub id: Uuid,
    /// The instance drilled.
    pub instance_id: InstanceId,
    /// The scratch instance it restored into.
    pub scratch_instance_id: InstanceId,
    /// Its operation.
    pub operation_id: Option<Uuid>,
    /// Where it is.
    pub status: DrillStatus,
    /// When it began.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// When the canary was written.
    pub canary_at: Option<DateTime<Utc>>,
    /// When the restore began.
    pub restore_started_at: Option<DateTime<Utc>>,
    /// When the scratch instance took connections.
    pub connectable_at: Option<DateTime<Utc>>,
    /// Restore start to connectable, in milliseconds.
    pub rto_ms: Option<i64>,
    /// Age of the newest restored commit when the restore began, in milliseconds.
    pub rpo_ms: Option<i64>,
    /// Why it failed.
    pub error: Option<String>,
}

/// Set project `project`'s drill schedule (cron, five fields, UTC).
pub async fn set_policy(db: &Db, project: ProjectId, schedule: &str) -> Result<String> {
    backup::parse_schedule(schedule)?;
    let schedule = schedule.trim().to_owned();
    db.set_drill_policy(project, &schedule).await?;
    Ok(schedule)
}

/// Start a drill of instance `id`: it must be running and have a backup.
pub async fn start(
    db: &Db,
    local_versions: &[u32],
    repository: Option<&std::sync::Arc<backup::Repository>>,
    id: InstanceId,
    requested_by: Option<UserId>,
) -> Result<Operation> {
    let source = db.instance(id).await?;
    backup::repository_for(&source, repository)?;
    if source.state != InstanceState::Running {
        return Err(Error::Conflict(
            format!(
                "instance {} is {:?}; a drill writes a canary into it, so it must be running",
                source.name, source.state
            )
            .to_lowercase(),
        ));
    }
    if backup::restore_window(db, id).await?.is_none() {
        return Err(Error::InvalidInput(format!(
            "instance {} has no backup to drill yet",
            source.name
        )));
    }
    let drill = Uuid::now_v7();
    let hex = drill.simple().to_string();
    let input = instance::CreateInstance {
        name: format!("drill-{}", &hex[hex.len() - 12..]),
        provider: Some(Provider::Local),
        plan: Some("small".to_owned()),
        version: Some(source.pg_version),
        username: Some(source.username.clone()),
        database: Some(source.database_name.clone()),
        ..instance::CreateInstance::default()
    };
    let offer = instance::Offer {
        local_versions: local_versions.to_vec(),
        ..instance::Offer::default()
    };
    let mut tx = db.begin().await?;
    let scratch = instance::insert_in(
        &mut tx,
        db,
        &input,
        &offer,
        source.project_id,
        requested_by,
        Some((source.id, None)),
    )
    .await?;
    Db::begin_drill(&mut tx, drill, source.id, scratch.id).await?;
    let op = crate::engine::start_in(
        &mut tx,
        NewOperation {
            project_id: source.project_id,
            kind: Kind::RestoreDrill,
            target_kind: TargetKind::Instance,
            target_id: Some(scratch.id.0),
            provider: None,
            input: serde_json::json!({ "drill": drill }),
            requested_by,
        },
    )
    .await?;
    Db::set_drill_operation(&mut tx, drill, op.id).await?;
    tx.commit().await?;
    tracing::info!(instance = %id, drill = %drill, "restore drill started");
    Ok(op)
}

steps! {
    /// The steps of `restore_drill`.
    pub(crate) enum DrillStep {
        WriteCanary => "write_canary",
        AllocatePort => "allocate_port",
        RestoreBackup => "restore_backup",
        StartScratch => "start_scratch",
        CheckScratch => "check_scratch",
        RemoveScratch => "remove_scratch",
        RecordDrill => "record_drill",
    }
}

/// `restore_drill`.
pub(crate) static TABLE: Table<DrillStep> = Table {
    steps: &[
        DrillStep::WriteCanary,
        DrillStep::AllocatePort,
        DrillStep::RestoreBackup,
        DrillStep::StartScratch,
        DrillStep::CheckScratch,
        DrillStep::RemoveScratch,
        DrillStep::RecordDrill,
    ],
    run: |s, op, cx| Box::pin(step(s, op, cx)),
    give_up: GiveUp {
        clean_up: |op, message, cx| Box::pin(fail(op, message, cx)),
        mark: |_, _, _, _, _| Box::pin(async { Ok(()) }),
    },
};

#[derive(Deserialize)]
struct DrillInput {
    drill: Uuid,
}

fn drill_id(op: &Operation) -> Result<Uuid> {
    let input: DrillInput =
        serde_json::from_value(op.input.clone()).map_err(anyhow::Error::from)?;
    Ok(input.drill)
}

/// The host steps of the create workflow, run on the scratch instance, and what they come to.
async fn host(step: HostStep, op: &Operation, cx: &Context) -> Result<Next<DrillStep>> {
    Ok(match instance::host_step(step, op, cx).await? {
        Next::Nap(d) => Next::Nap(d),
        // Port taken: allocate another, as a create does.
        Next::Hop(HostStep::AllocatePort) => Next::Hop(DrillStep::AllocatePort),
        Next::Continue | Next::Hop(_) | Next::Done => Next::Continue,
    })
}

async fn step(step: DrillStep, op: &Operation, cx: &Context) -> Result<Next<DrillStep>> {
    let id = drill_id(op)?;
    let drill = cx.db.drill(id).await?;
    match step {
        DrillStep::WriteCanary => {
            let source = cx.db.instance(drill.instance_id).await?;
            return write_canary(&drill, &source, cx).await;
        }
        DrillStep::AllocatePort => return host(HostStep::AllocatePort, op, cx).await,
        DrillStep::RestoreBackup => {
            cx.db.drill_restore_started(id).await?;
            return host(HostStep::PrepareDataDir, op, cx).await;
        }
        DrillStep::StartScratch => {
            let next = host(HostStep::StartServer, op, cx).await?;
            if next == Next::Continue {
                cx.db.drill_connectable(id).await?;
            }
            return Ok(next);
        }
        DrillStep::CheckScratch => check_scratch(&drill, cx).await?,
        DrillStep::RemoveScratch => {
            remove_scratch(drill.scratch_instance_id, cx).await?;
        }
        DrillStep::RecordDrill => {
            cx.db.finish_drill(id).await?;
            tracing::info!(drill = %id, instance = %drill.instance_id, "restore drill passed");
        }
    }
    Ok(Next::Continue)
}

/// Write the drill's canary into the instance once, switch to a new WAL file so the one
/// holding it is archived at once, and nap until it is.
async fn write_canary(drill: &Drill, source: &Instance, cx: &Context) -> Result<Next<DrillStep>> {
    let host = instance::host_of(source, cx).await?;
    let name = source.resource_name();
    let major = u32::try_from(source.pg_version).map_err(anyhow::Error::from)?;
    let port = source
        .port
        .and_then(|p| u16::try_from(p).ok())
        .ok_or_else(|| Error::Conflict(format!("instance {} has no port", source.name)))?;
    let sql = format!(
        "SET search_path = pg_catalog, pg_temp;\n\
         CREATE SCHEMA IF NOT EXISTS toygres;\n\
         CREATE TABLE IF NOT EXISTS toygres.canary (drill uuid PRIMARY KEY, at timestamptz NOT NULL, \
             wal text NOT NULL);\n\
         INSERT INTO toygres.canary VALUES ('{id}', pg_catalog.clock_timestamp(), \
             pg_catalog.pg_walfile_name(pg_catalog.pg_current_wal_insert_lsn())) \
             ON CONFLICT (drill) DO NOTHING;\n\
         SELECT CASE WHEN c.wal > coalesce(a.last_archived_wal, '') THEN pg_catalog.pg_switch_wal()::text END \
             FROM toygres.canary c, pg_catalog.pg_stat_archiver a WHERE c.drill = '{id}';\n\
         SELECT c.at, c.wal <= coalesce(a.last_archived_wal, '') \
             FROM toygres.canary c, pg_catalog.pg_stat_archiver a WHERE c.drill = '{id}';\n",
        id = drill.id
    );
    let out = host.psql(&name, major, port, &sql, None).await?;
    let last = out.lines().last().unwrap_or_default();
    let (at, archived) = last
        .split_once('|')
        .ok_or_else(|| Error::Other(anyhow::anyhow!("unexpected canary answer {out:?}")))?;
    let at = DateTime::<Utc>::from_str(&at.replace(' ', "T"))
        .or_else(|_| {
            DateTime::parse_from_str(at, "%Y-%m-%d %H:%M:%S%.f%#z").map(|t| t.with_timezone(&Utc))
        })
        .map_err(|e| Error::Other(anyhow::anyhow!("unreadable canary time {at:?}: {e}")))?;
    cx.db.drill_canary(drill.id, at).await?;
    if archived == "t" {
        Ok(Next::Continue)
    } else {
        Ok(Next::Nap(Duration::from_millis(250)))
    }
}

/// The scratch instance's catalogs pass `pg_amcheck`, and the canary is there.
async fn check_scratch(drill: &Drill, cx: &Context) -> Result<()> {
    let scratch = cx.db.instance(drill.scratch_instance_id).await?;
    let host = instance::host_of(&scratch, cx).await?;
    let name = scratch.resource_name();
    let major = u32::try_from(scratch.pg_version).map_err(anyhow::Error::from)?;
    let port = scratch
        .port
        .and_then(|p| u16::try_from(p).ok())
        .ok_or_else(|| Error::Conflict("the scratch instance has no port".to_owned()))?;
    host.check_catalogs(&name, major, port).await?;
    let found = host
        .psql(
            &name,
            major,
            port,
            &format!(
                "SET search_path = pg_catalog, pg_temp;\n\
                 SELECT pg_catalog.count(*) FROM toygres.canary WHERE drill = '{}';\n",
                drill.id
            ),
            None,
        )
        .await;
    match found.as_deref().map(str::trim) {
        Ok("1") => Ok(()),
        Ok(other) => Err(Error::InvalidInput(format!(
            "the restored copy lacks the canary written before the drill (found {other})"
        ))),
        Err(e) => Err(Error::InvalidInput(format!(
            "the restored copy has no canary table: {e}"
        ))),
    }
}

/// Stop and remove the scratch instance, and mark it deleted.
async fn remove_scratch(id: InstanceId, cx: &Context) -> Result<()> {
    let scratch = cx.db.instance(id).await?;
    if scratch.state == InstanceState::Deleted {
        return Ok(());
    }
    let host = instance::host_of(&scratch, cx).await?;
    let name = scratch.resource_name();
    host.remove(&name).await?;
    host.remove_backup_config(&name).await?;
    cx.db.mark_instance_deleted(id).await
}

/// The drill gave up: record why, say so loudly, and remove its scratch instance.
async fn fail(op: &Operation, message: &str, cx: &Context) -> bool {
    let Ok(id) = drill_id(op) else {
        return true;
    };
    let drill = match cx.db.drill(id).await {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(drill = %id, "failed to load a failing drill: {e:#}");
            return true;
        }
    };
    if let Err(e) = remove_scratch(drill.scratch_instance_id, cx).await {
        tracing::warn!(drill = %id, "failed to remove a drill's scratch instance: {e:#}");
    }
    if let Err(e) = cx.db.fail_drill(id, message).await {
        tracing::warn!(drill = %id, "failed to record a failed drill: {e:#}");
    }
    let name = cx
        .db
        .instance(drill.instance_id)
        .await
        .map(|i| i.name)
        .unwrap_or_default();
    tracing::error!(drill = %id, instance = %drill.instance_id, "restore drill failed: {message}");
    if let Err(e) = cx
        .db
        .cluster_event(
            "restore_drill_failed",
            "critical",
            &format!("the restore drill of instance {name} failed: {message}"),
            Some(drill.instance_id),
            serde_json::json!({"drill": id}),
        )
        .await
    {
        tracing::warn!(drill = %id, "failed to raise a failed drill: {e:#}");
    }
    true
}

/// Start the drills that are due: an instance with a backup is drilled whenever its
/// project's schedule has passed a time since its last drill (or, before its first, since
/// its first backup). Run by the health sweep's leader.
pub async fn schedule(cx: &Context) -> Result<()> {
    if cx.backup.is_none() {
        return Ok(());
    }
    let now = Utc::now();
    for (inst, schedule, since) in cx.db.drill_schedule().await? {
        if backup::repository_for(&inst, cx.backup.as_ref()).is_err() {
            continue;
        }
        let due = backup::parse_schedule(&schedule)
            .ok()
            .and_then(|cron| cron.find_previous_occurrence(&now, true).ok())
            .is_some_and(|at| at > since);
        if !due {
            continue;
        }
        match start(
            &cx.db,
            &cx.local.versions(),
            cx.backup.as_ref(),
            inst.id,
            None,
        )
        .await
        {
            Ok(op) => {
                tracing::info!(instance = %inst.id, operation = %op.id, "scheduled restore drill started");
            }
            Err(Error::Conflict(_) | Error::NotFound { .. } | Error::InvalidInput(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
