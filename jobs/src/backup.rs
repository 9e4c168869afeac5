//! Backups of instances: the policy, the `backup_instance` workflow, the restore window, and
//! the scheduler that takes backups when their policy says.
//!
//! pgBackRest (`providers::host::backup`) does the work: every local instance, and every
//! server instance when the repository is object storage, archives its WAL into its own
//! stanza as it is written. A backup is an operation like the others:
//!
//! ```text
//! backup_instance:  take_backup      (one pgbackrest backup, recorded by its label)
//! ```
//!
//! A restore is a `create_instance` whose data directory comes from another instance's
//! backups instead of a template (see `instance::steps`); it never touches the source.
//!
//! # The restore window
//! From the end of the oldest backup still kept to `restorable_until`: the newest commit
//! known to be in the archive. The health sweep makes one commit per check on every
//! archiving instance (`txid_current()`), notes which WAL file holds it, and moves
//! `restorable_until` forward once that file is archived; so a quiet instance's window
//! trails the present by about `archive_timeout` plus one health interval, and every time in
//! the window has a commit at or after it to stop at.

use std::collections::{HashMap, VecDeque};
use std::str::FromStr as _;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use providers::host::backup::{BackupInfo, BackupType, Backups};
pub use providers::host::backup::{Repository, S3, Store, UriStyle};
use serde::{Deserialize, Serialize};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use crate::db::Db;
use crate::instance::{self, Instance, InstanceId, InstanceState, Provider};
use crate::operation::Operation;
use crate::registry::{GiveUp, Table};
use crate::user::UserId;
use crate::workflow::{Context, Kind, Next, steps};
use crate::{Error, Result};

/// A full backup every day at 03:00 UTC.
pub const DEFAULT_SCHEDULE: &str = "0 3 * * *";
/// Point-in-time recovery reaches back a week.
pub const DEFAULT_RETENTION_DAYS: i32 = 7;
/// The longest retention accepted.
pub const MAX_RETENTION_DAYS: i32 = 3650;

/// A backup's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "backup_kind", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum BackupKind {
    /// Every file.
    Full,
    /// What changed since the last full backup.
    Differential,
    /// What changed since the last backup of any type.
    Incremental,
}

impl From<BackupType> for BackupKind {
    fn from(t: BackupType) -> Self {
        match t {
            BackupType::Full => BackupKind::Full,
            BackupType::Differential => BackupKind::Differential,
            BackupType::Incremental => BackupKind::Incremental,
        }
    }
}

/// Where a backup is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "backup_status", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum BackupStatus {
    /// Being taken.
    Running,
    /// In the repository.
    Succeeded,
    /// Its operation gave up; `error` says why.
    Failed,
    /// Removed from the repository by the retention.
    Expired,
}

/// One backup, as recorded.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Backup {
    /// Its id.
    pub id: Uuid,
    /// The instance it is of.
    pub instance_id: InstanceId,
    /// The operation that took it.
    pub operation_id: Option<Uuid>,
    /// Its label in the repository, once known.
    pub label: Option<String>,
    /// Its type.
    pub kind: BackupKind,
    /// Where it is in its life.
    pub status: BackupStatus,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it finished: the earliest point it can be restored to.
    pub finished_at: Option<DateTime<Utc>>,
    /// The database's size.
    pub size_bytes: Option<i64>,
    /// What it takes in the repository.
    pub stored_bytes: Option<i64>,
    /// Why it failed.
    pub error: Option<String>,
}

/// When an instance is backed up in full, and how far back it can be restored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct BackupPolicy {
    /// Cron (five fields, UTC).
    pub schedule: String,
    /// Days of point-in-time recovery.
    pub retention_days: i32,
}

impl Default for BackupPolicy {
    fn default() -> Self {
        Self {
            schedule: DEFAULT_SCHEDULE.to_owned(),
            retention_days: DEFAULT_RETENTION_DAYS,
        }
    }
}

/// How an instance's WAL archiving is doing, as the health sweep last saw it.
#[derive(Clone, Debug, Default, Serialize, sqlx::FromRow)]
pub struct Archiving {
    /// When a WAL file was last archived.
    pub last_archived_at: Option<DateTime<Utc>>,
    /// When archiving last failed.
    pub last_failed_at: Option<DateTime<Utc>>,
    /// What failed, when the last attempt did.
    pub last_error: Option<String>,
    /// The newest moment known to be restorable.
    pub restorable_until: Option<DateTime<Utc>>,
}

/// The times an instance can be restored to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestoreWindow {
    /// The end of the oldest backup kept.
    pub earliest: DateTime<Utc>,
    /// The newest moment known to be in the archive.
    pub latest: DateTime<Utc>,
}

/// Parse a cron schedule (five fields: minute hour day-of-month month day-of-week, UTC).
pub fn parse_schedule(text: &str) -> Result<croner::Cron> {
    let text = text.trim();
    if text.split_whitespace().count() != 5 {
        return Err(Error::InvalidInput(format!(
            "schedule {text:?} must be a cron expression of five fields \
             (minute hour day-of-month month day-of-week, in UTC), such as {DEFAULT_SCHEDULE:?}"
        )));
    }
    croner::Cron::from_str(text)
        .map_err(|e| Error::InvalidInput(format!("schedule {text:?} is not valid cron: {e}")))
}

/// The repository settings instance `inst` backs up with, or why it cannot.
pub(crate) async fn backups_of(inst: &Instance, cx: &Context) -> Result<Backups> {
    let repository = repository_for(inst, cx.backup.as_ref())?;
    let policy = cx.db.backup_policy(inst.id).await?;
    Ok(Backups {
        repository,
        stanza: stanza(inst.id),
        retention_days: u32::try_from(policy.retention_days).unwrap_or(1),
    })
}

/// The repository `inst` can use, or why it has none.
pub fn repository_for(
    inst: &Instance,
    repository: Option<&Arc<Repository>>,
) -> Result<Arc<Repository>> {
    if inst.provider == Provider::Kubernetes {
        return Err(kubernetes_unsupported());
    }
    let Some(repository) = repository else {
        return Err(Error::Unsupported(
            "backups are off on this installation: pgBackRest is not installed \
             (Debian: apt-get install pgbackrest)"
                .to_owned(),
        ));
    };
    match (inst.provider, &repository.store) {
        (Provider::Local, _) | (Provider::Server, Store::S3(_)) => Ok(repository.clone()),
        (Provider::Server, Store::Directory(_)) => Err(Error::Unsupported(
            "backups of SERVER instances need object storage (TOYGRES_BACKUP_S3_*): a \
             directory on the server would be lost with it"
                .to_owned(),
        )),
        (Provider::Kubernetes, _) => Err(kubernetes_unsupported()),
    }
}

fn kubernetes_unsupported() -> Error {
    Error::Unsupported("backups of KUBERNETES instances are not supported yet".to_owned())
}

/// The stanza of instance `id`: fixed for its life and after it, so a deleted instance's
/// backups can still be found.
pub fn stanza(id: InstanceId) -> String {
    format!("tg-{}", id.0.simple())
}

/// Set instance `id`'s backup policy; its next start writes the new retention into its
/// configuration, and the scheduler follows the new schedule at once.
pub async fn set_policy(db: &Db, id: InstanceId, policy: &BackupPolicy) -> Result<BackupPolicy> {
    if db.instance(id).await?.provider == Provider::Kubernetes {
        return Err(kubernetes_unsupported());
    }
    parse_schedule(&policy.schedule)?;
    if !(1..=MAX_RETENTION_DAYS).contains(&policy.retention_days) {
        return Err(Error::InvalidInput(format!(
            "retentionDays must be between 1 and {MAX_RETENTION_DAYS} (got {})",
            policy.retention_days
        )));
    }
    let policy = BackupPolicy {
        schedule: policy.schedule.trim().to_owned(),
        retention_days: policy.retention_days,
    };
    db.set_backup_policy(id, &policy).await?;
    Ok(policy)
}

/// Start a backup of running instance `id`.
pub async fn start(
    db: &Db,
    repository: Option<&Arc<Repository>>,
    id: InstanceId,
    kind: BackupKind,
    requested_by: Option<UserId>,
) -> Result<Operation> {
    let inst = db.instance(id).await?;
    repository_for(&inst, repository)?;
    if kind == BackupKind::Incremental {
        return Err(Error::InvalidInput(
            "kind must be FULL or DIFFERENTIAL".to_owned(),
        ));
    }
    if inst.state != InstanceState::Running {
        return Err(Error::Conflict(
            format!(
                "instance {} is {:?}; a backup needs it running",
                inst.name, inst.state
            )
            .to_lowercase(),
        ));
    }
    let input = serde_json::json!({ "kind": kind });
    crate::engine::start(
        db,
        instance::new_operation(&inst, Kind::BackupInstance, requested_by, input),
    )
    .await
}

/// The times instance `id` can be restored to, if it has a backup.
pub async fn restore_window(db: &Db, id: InstanceId) -> Result<Option<RestoreWindow>> {
    let Some((earliest, newest)) = db.backup_span(id).await? else {
        return Ok(None);
    };
    let archived = db.archiving(id).await?.and_then(|a| a.restorable_until);
    let latest = archived.map_or(newest, |a| a.max(newest));
    // Until WAL past the only backup is archived, the window is that backup's end alone.
    Ok(Some(RestoreWindow {
        earliest: earliest.min(latest),
        latest,
    }))
}

/// Make a new instance from instance `source`'s backups, at `target_time` (the latest
/// restorable point when `None`): the new instance takes the source's version, login role
/// and database, and `input` says the rest (name, provider, placement, plan, password). It
/// follows `create_instance`'s steps; the source, which may be deleted, is never touched.
pub async fn restore(
    db: &Db,
    repository: Option<&Arc<Repository>>,
    source: InstanceId,
    target_time: Option<DateTime<Utc>>,
    input: &instance::CreateInstance,
    offer: &instance::Offer,
    requested_by: Option<UserId>,
) -> Result<(Instance, Operation)> {
    let from = db.instance(source).await?;
    repository_for(&from, repository)?;
    if db.backups_purged(source).await? {
        return Err(Error::InvalidInput(format!(
            "the backups of instance {} were purged when it was deleted",
            from.name
        )));
    }
    let input = instance::CreateInstance {
        project_id: Some(from.project_id),
        version: Some(from.pg_version),
        username: Some(from.username.clone()),
        database: Some(from.database_name.clone()),
        ..input.clone()
    };
    // Where it goes must be able to back up too (its WAL archives from the start).
    if input.provider == Some(Provider::Kubernetes) {
        return Err(Error::Unsupported(
            "restores into KUBERNETES instances are not supported yet".to_owned(),
        ));
    }
    if input.provider == Some(Provider::Server)
        && !matches!(repository.map(|r| &r.store), Some(Store::S3(_)))
    {
        return Err(Error::Unsupported(
            "restores into SERVER instances need object storage (TOYGRES_BACKUP_S3_*)".to_owned(),
        ));
    }
    let window = restore_window(db, source).await?.ok_or_else(|| {
        Error::InvalidInput(format!(
            "instance {} has no backup to restore from yet",
            from.name
        ))
    })?;
    if let Some(at) = target_time
        && !(window.earliest..=window.latest).contains(&at)
    {
        return Err(Error::InvalidInput(format!(
            "targetTime {} is outside the restore window of instance {}: from {} to {}",
            at.to_rfc3339(),
            from.name,
            window.earliest.to_rfc3339(),
            window.latest.to_rfc3339()
        )));
    }
    instance::create_from(
        db,
        &input,
        offer,
        from.project_id,
        requested_by,
        Some((source, target_time)),
    )
    .await
}

steps! {
    /// The steps of `backup_instance`.
    pub(crate) enum BackupStep {
        TakeBackup => "take_backup",
    }
}

/// `backup_instance`.
pub(crate) static TABLE: Table<BackupStep> = Table {
    steps: &[BackupStep::TakeBackup],
    run: |s, op, cx| Box::pin(step(s, op, cx)),
    give_up: GiveUp {
        clean_up: |_, _, _| Box::pin(async { true }),
        mark: |tx, op, message, _, _| Box::pin(mark_failed(tx, op, message)),
    },
};

#[derive(Deserialize)]
struct BackupInput {
    kind: BackupKind,
}

async fn step(step: BackupStep, op: &Operation, cx: &Context) -> Result<Next<BackupStep>> {
    match step {
        BackupStep::TakeBackup => take_backup(op, cx).await?,
    }
    Ok(Next::Continue)
}

/// Take the backup, unless an earlier try of this operation already did (its row says when
/// it began; a backup in the repository that started since is that try's), and record it.
async fn take_backup(op: &Operation, cx: &Context) -> Result<()> {
    let input: BackupInput =
        serde_json::from_value(op.input.clone()).map_err(anyhow::Error::from)?;
    let inst = instance::target(op, cx).await?;
    let backups = backups_of(&inst, cx).await?;
    let row = cx.db.begin_backup(op, inst.id, input.kind).await?;
    // Backups run beside the instance's other operations: one stopped or deleted meanwhile
    // ends this backup, at once and for good.
    if inst.state != InstanceState::Running {
        return Err(Error::Conflict(
            format!(
                "instance {} stopped running before its backup ({:?})",
                inst.name, inst.state
            )
            .to_lowercase(),
        ));
    }
    let host = instance::host_of(&inst, cx).await?;
    let name = inst.resource_name();
    // pgBackRest's times are whole seconds.
    let since = row.started_at - chrono::Duration::seconds(1);
    let ours = |list: &[BackupInfo]| list.iter().rev().find(|b| b.started_at >= since).cloned();
    // A backup an earlier try of this step started may still be running: let it finish,
    // then adopt it rather than take a second one.
    host.await_running_backup(&name, &backups.stanza).await?;
    let mut list = host.backups(&name, &backups.stanza).await?;
    if ours(&list).is_none() {
        let kind = match input.kind {
            BackupKind::Differential => BackupType::Differential,
            BackupKind::Full | BackupKind::Incremental => BackupType::Full,
        };
        host.backup(&name, &backups, kind).await?;
        list = host.backups(&name, &backups.stanza).await?;
    }
    let taken = ours(&list).ok_or_else(|| {
        Error::Other(anyhow::anyhow!(
            "pgBackRest finished the backup but does not list it"
        ))
    })?;
    let labels: Vec<String> = list.iter().map(|b| b.label.clone()).collect();
    cx.db.finish_backup(row.id, &taken, &labels).await?;
    tracing::info!(instance = %inst.id, label = %taken.label, "backup taken");
    Ok(())
}

/// A backup operation gave up: its backup failed.
async fn mark_failed(
    tx: &mut Transaction<'_, Postgres>,
    op: &Operation,
    message: &str,
) -> Result<()> {
    Db::fail_backup(tx, op.id, message).await
}

/// Start the backups that are due: an archiving instance with no backup yet at once, then
/// one whenever its schedule has passed a time since its last backup began. Run by the
/// health sweep's leader.
pub async fn schedule(cx: &Context) -> Result<()> {
    if cx.backup.is_none() {
        return Ok(());
    }
    let now = Utc::now();
    for (inst, policy, last) in cx.db.backup_schedule().await? {
        if repository_for(&inst, cx.backup.as_ref()).is_err() {
            continue;
        }
        let due = match last {
            None => true,
            Some(last) => parse_schedule(&policy.schedule)
                .ok()
                .and_then(|cron| cron.find_previous_occurrence(&now, true).ok())
                .is_some_and(|at| at > last),
        };
        if !due {
            continue;
        }
        match start(&cx.db, cx.backup.as_ref(), inst.id, BackupKind::Full, None).await {
            Ok(op) => {
                tracing::info!(instance = %inst.id, operation = %op.id, "scheduled backup started");
            }
            // Another operation is on it, or it stopped meanwhile: the next tick tries again.
            Err(Error::Conflict(_) | Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// How many expired stanzas one tick purges: the rest wait for the next.
const PURGES_PER_TICK: i64 = 10;

/// Purge the stanzas of deleted instances whose retention has ended, from this host (the
/// repository is reachable from here whatever the instances ran on). Run by the health
/// sweep's leader; a purge that fails is recorded and tried again at the next tick.
pub async fn expire(cx: &Context) -> Result<()> {
    let Some(repository) = cx.backup.as_ref() else {
        return Ok(());
    };
    for (stanza, id) in cx.db.expired_stanzas(PURGES_PER_TICK).await? {
        let backups = Backups {
            repository: repository.clone(),
            stanza: stanza.clone(),
            retention_days: 1,
        };
        // A configuration of its own, named for the stanza: the instance's is gone.
        match cx
            .local
            .purge_stanza(&format!("expire-{stanza}"), 0, &backups)
            .await
        {
            Ok(()) => {
                cx.db.mark_backups_purged(id).await?;
                tracing::info!(instance = %id, %stanza, "kept backups expired and were purged");
            }
            Err(e) => {
                let error = format!("{e:#}");
                tracing::warn!(instance = %id, %stanza, error, "purging expired backups failed");
                cx.db.stanza_purge_failed(&stanza, &error).await?;
            }
        }
    }
    Ok(())
}

/// What one health check saw of an instance's archiving.
#[derive(Clone, Debug)]
pub(crate) struct ArchiveProbe {
    /// A commit the check made (`None` if the instance refused one), and the WAL file it is in.
    pub(crate) heartbeat: Option<(DateTime<Utc>, String)>,
    /// The last WAL file archived, and when.
    pub(crate) last_archived: Option<(String, DateTime<Utc>)>,
    /// The last WAL file whose archiving failed, and when.
    pub(crate) last_failed: Option<(String, DateTime<Utc>)>,
}

/// Heartbeats not yet known to be archived, per instance: the health sweep's leader keeps
/// them between checks (a new leader starts afresh, which only delays the window's end).
#[derive(Debug, Default)]
pub(crate) struct Heartbeats(HashMap<InstanceId, VecDeque<(DateTime<Utc>, String)>>);

impl Heartbeats {
    /// Note what a check saw and record the instance's archiving; a failure that is new
    /// raises a cluster event.
    pub(crate) async fn observe(
        &mut self,
        cx: &Context,
        inst: &Instance,
        probe: ArchiveProbe,
    ) -> Result<()> {
        let pending = self.0.entry(inst.id).or_default();
        if let Some(beat) = probe.heartbeat {
            pending.push_back(beat);
            // A stuck archiver must not grow this without end: the oldest are the least use.
            while pending.len() > 1000 {
                pending.pop_front();
            }
        }
        let mut restorable = None;
        if let Some((archived, _)) = &probe.last_archived {
            while let Some((at, file)) = pending.front() {
                // WAL file names order by timeline, then position.
                if file.as_str() > archived.as_str() {
                    break;
                }
                restorable = Some(*at);
                pending.pop_front();
            }
        }
        let failing = match (&probe.last_failed, &probe.last_archived) {
            (Some((_, failed)), Some((_, archived))) => failed > archived,
            (Some(_), None) => true,
            _ => false,
        };
        let archiving = Archiving {
            last_archived_at: probe.last_archived.as_ref().map(|(_, at)| *at),
            last_failed_at: probe.last_failed.as_ref().map(|(_, at)| *at),
            last_error: probe
                .last_failed
                .as_ref()
                .filter(|_| failing)
                .map(|(file, _)| {
                    format!("archiving WAL file {file} failed (see the instance's server log)")
                }),
            restorable_until: restorable,
        };
        let newly_failing = cx.db.record_archiving(inst.id, &archiving).await?;
        if newly_failing {
            tracing::warn!(instance = %inst.id, "WAL archiving is failing");
            cx.db
                .cluster_event(
                    "archiving_failed",
                    "critical",
                    &format!(
                        "instance {}: {}",
                        inst.name,
                        archiving
                            .last_error
                            .as_deref()
                            .unwrap_or("archiving failed")
                    ),
                    Some(inst.id),
                    serde_json::json!({}),
                )
                .await?;
        }
        Ok(())
    }

    /// Forget instances no longer checked.
    pub(crate) fn retain(&mut self, live: &std::collections::HashSet<InstanceId>) {
        self.0.retain(|id, _| live.contains(id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_are_five_field_cron() {
        assert!(parse_schedule("0 3 * * *").is_ok());
        assert!(parse_schedule(" */15 * * * 1-5 ").is_ok());
        for bad in [
            "",
            "daily",
            "0 3 * *",
            "0 0 3 * * *",
            "61 * * * *",
            "0 25 * * *",
        ] {
            let err = parse_schedule(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidInput(_)), "{bad}: {err}");
        }
    }

    #[test]
    fn kubernetes_and_server_instances_without_object_storage_are_unsupported() {
        use providers::host::backup::{Repository, Store};
        let dir = Arc::new(Repository {
            store: Store::Directory("/r".into()),
            cipher_pass: "k".into(),
            archive_timeout_secs: 60,
        });
        let mut inst = Instance::draft(
            &instance::CreateInstance {
                name: "a".into(),
                ..Default::default()
            },
            &instance::Offer {
                local_versions: vec![15],
                ..Default::default()
            },
        )
        .unwrap();
        assert!(repository_for(&inst, Some(&dir)).is_ok());
        assert!(matches!(
            repository_for(&inst, None),
            Err(Error::Unsupported(_))
        ));
        inst.provider = Provider::Kubernetes;
        assert!(matches!(
            repository_for(&inst, Some(&dir)),
            Err(Error::Unsupported(_))
        ));
        inst.provider = Provider::Server;
        assert!(matches!(
            repository_for(&inst, Some(&dir)),
            Err(Error::Unsupported(_))
        ));
    }
}
