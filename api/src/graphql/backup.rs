//! Backups and restores: an instance's policy, backups, restore window and archiving, and
//! the mutations that back up now, change the policy, and restore into a new instance.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::instance::{CreateInstancePayload, InstanceNode, ProviderValue};
use super::operation::OperationNode;
use super::page::{Connection, Listed, Paging};
use super::{api, caller, parse_id, writable, writable_project};
use crate::error::OrGql as _;
use jobs::backup::{self, Backup, BackupKind, BackupPolicy, BackupStatus};
use jobs::drill::{self, Drill, DrillStatus};
use jobs::instance::{self as inst, Instance, InstanceId};

/// A backup's type.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(name = "BackupKind")]
pub(crate) enum BackupKindValue {
    /// Every file.
    Full,
    /// What changed since the last full backup.
    Differential,
    /// What changed since the last backup of any type.
    Incremental,
}

impl From<BackupKind> for BackupKindValue {
    fn from(k: BackupKind) -> Self {
        match k {
            BackupKind::Full => Self::Full,
            BackupKind::Differential => Self::Differential,
            BackupKind::Incremental => Self::Incremental,
        }
    }
}

impl From<BackupKindValue> for BackupKind {
    fn from(k: BackupKindValue) -> Self {
        match k {
            BackupKindValue::Full => Self::Full,
            BackupKindValue::Differential => Self::Differential,
            BackupKindValue::Incremental => Self::Incremental,
        }
    }
}

/// Where a backup is in its life.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(name = "BackupStatus")]
pub(crate) enum BackupStatusValue {
    /// Being taken.
    Running,
    /// In the repository.
    Succeeded,
    /// Its operation gave up; `error` says why.
    Failed,
    /// Removed from the repository by the retention.
    Expired,
}

impl From<BackupStatus> for BackupStatusValue {
    fn from(s: BackupStatus) -> Self {
        match s {
            BackupStatus::Running => Self::Running,
            BackupStatus::Succeeded => Self::Succeeded,
            BackupStatus::Failed => Self::Failed,
            BackupStatus::Expired => Self::Expired,
        }
    }
}

/// One backup of an instance.
pub(crate) struct BackupNode(pub(crate) Backup);

impl Listed for Backup {
    fn key(&self) -> uuid::Uuid {
        self.id
    }
}

#[Object(name = "Backup")]
impl BackupNode {
    /// Its id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Its type.
    async fn kind(&self) -> BackupKindValue {
        self.0.kind.into()
    }
    /// Where it is in its life.
    async fn status(&self) -> BackupStatusValue {
        self.0.status.into()
    }
    /// When it started.
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }
    /// When it finished: the earliest time it can restore to.
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
    /// The database's size, in bytes.
    async fn size_bytes(&self) -> Option<f64> {
        self.0.size_bytes.map(|b| b as f64)
    }
    /// What it takes in the repository (compressed; only changes, for a differential).
    async fn stored_bytes(&self) -> Option<f64> {
        self.0.stored_bytes.map(|b| b as f64)
    }
    /// Its label in the repository (pgBackRest's).
    async fn label(&self) -> Option<&str> {
        self.0.label.as_deref()
    }
    /// Why it failed.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    /// The operation that took it.
    async fn operation_id(&self) -> Option<ID> {
        self.0.operation_id.map(|id| ID(id.to_string()))
    }
}

/// When an instance is backed up, and how far back it can be restored.
#[derive(SimpleObject)]
#[graphql(name = "BackupPolicy")]
pub(crate) struct BackupPolicyNode {
    /// When a full backup is taken: cron, five fields, UTC.
    schedule: String,
    /// How many days back point-in-time recovery reaches.
    retention_days: i32,
}

impl From<BackupPolicy> for BackupPolicyNode {
    fn from(p: BackupPolicy) -> Self {
        Self {
            schedule: p.schedule,
            retention_days: p.retention_days,
        }
    }
}

/// How an instance's continuous WAL archiving is doing (as of the last health check).
#[derive(SimpleObject)]
#[graphql(name = "Archiving")]
pub(crate) struct ArchivingNode {
    /// When a WAL file last reached the repository.
    last_archived_at: Option<DateTime<Utc>>,
    /// When archiving last failed.
    last_failed_at: Option<DateTime<Utc>>,
    /// What is failing, while it fails; null once archiving works again.
    last_error: Option<String>,
}

/// The instance fields about backups (resolved from `Instance`).
pub(crate) async fn policy(
    ctx: &Context<'_>,
    instance: &Instance,
) -> async_graphql::Result<BackupPolicyNode> {
    Ok(api(ctx)?
        .db
        .backup_policy(instance.id)
        .await
        .or_gql()?
        .into())
}

/// An instance's backups, newest first.
pub(crate) async fn backups(
    ctx: &Context<'_>,
    instance: &Instance,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Connection<BackupNode>> {
    let paging = Paging::new(first, after)?;
    let page = api(ctx)?
        .db
        .backups(instance.id, paging.after, paging.first)
        .await
        .or_gql()?;
    Ok(paging.connection(page, BackupNode))
}

/// The ends of an instance's restore window.
pub(crate) async fn window(
    ctx: &Context<'_>,
    instance: &Instance,
) -> async_graphql::Result<Option<backup::RestoreWindow>> {
    backup::restore_window(&api(ctx)?.db, instance.id)
        .await
        .or_gql()
}

/// An instance's archiving, if it archives.
pub(crate) async fn archiving(
    ctx: &Context<'_>,
    instance: &Instance,
) -> async_graphql::Result<Option<ArchivingNode>> {
    Ok(api(ctx)?
        .db
        .archiving(instance.id)
        .await
        .or_gql()?
        .map(|a| ArchivingNode {
            last_archived_at: a.last_archived_at,
            last_failed_at: a.last_failed_at,
            last_error: a.last_error,
        }))
}

/// What to restore, and into what.
#[derive(InputObject)]
pub(crate) struct RestoreInstanceInput {
    /// The instance whose backups to restore (it may be deleted, while its backups are kept).
    source_instance_id: ID,
    /// The new instance's name.
    name: String,
    /// The moment to restore to, within the source's restore window; its latest restorable
    /// point if omitted.
    target_time: Option<DateTime<Utc>>,
    /// Where to run it; `LOCAL` if omitted.
    provider: Option<ProviderValue>,
    /// The plan; `small` if omitted.
    plan: Option<String>,
    /// Storage in GB; 10 if omitted.
    storage_gb: Option<i32>,
    /// The login role's new password; a strong one is generated if omitted.
    password: Option<String>,
    /// On servers, the server to place it on.
    server_id: Option<ID>,
    /// On servers, the region to place it in when no server is named.
    region: Option<String>,
}

/// Where a restore drill is.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(name = "RestoreDrillStatus")]
pub(crate) enum DrillStatusValue {
    /// Restoring or checking.
    Running,
    /// The backup restored, started, and passed its checks.
    Succeeded,
    /// It did not; `error` says why.
    Failed,
}

/// One restore drill: an instance's newest backup restored into a scratch instance,
/// checked (`pg_amcheck` on its catalogs, a canary row written before the drill) and timed.
pub(crate) struct DrillNode(pub(crate) Drill);

#[Object(name = "RestoreDrill")]
impl DrillNode {
    /// Its id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// When it began.
    async fn at(&self) -> DateTime<Utc> {
        self.0.started_at
    }
    /// Where it is.
    async fn status(&self) -> DrillStatusValue {
        match self.0.status {
            DrillStatus::Running => DrillStatusValue::Running,
            DrillStatus::Succeeded => DrillStatusValue::Succeeded,
            DrillStatus::Failed => DrillStatusValue::Failed,
        }
    }
    /// When it ended.
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
    /// Recovery time: from the start of the restore to the copy taking connections, in ms.
    async fn rto_ms(&self) -> Option<f64> {
        self.0.rto_ms.map(|v| v as f64)
    }
    /// Recovery point: how old the newest restored commit was when the restore began, in ms.
    async fn rpo_ms(&self) -> Option<f64> {
        self.0.rpo_ms.map(|v| v as f64)
    }
    /// Why it failed.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    /// The scratch instance it restored into (deleted once it is over).
    async fn scratch_instance_id(&self) -> ID {
        ID(self.0.scratch_instance_id.to_string())
    }
    /// Its operation.
    async fn operation_id(&self) -> Option<ID> {
        self.0.operation_id.map(|id| ID(id.to_string()))
    }
}

/// An instance's restore drills, newest first.
pub(crate) async fn drills(
    ctx: &Context<'_>,
    instance: &Instance,
    first: i32,
) -> async_graphql::Result<Vec<DrillNode>> {
    let first = super::page::page_size(Some(first))?;
    Ok(api(ctx)?
        .db
        .drills(instance.id, first)
        .await
        .or_gql()?
        .into_iter()
        .map(DrillNode)
        .collect())
}

/// When a project's instances are drilled.
#[derive(SimpleObject)]
#[graphql(name = "RestoreDrillPolicy")]
pub(crate) struct DrillPolicyNode {
    /// The project.
    project_id: ID,
    /// Cron, five fields, UTC.
    schedule: String,
}

#[derive(Default)]
pub(crate) struct BackupQuery;

#[Object]
impl BackupQuery {
    /// When a project's instances are restore-drilled (weekly, Sundays 04:00 UTC, unless set).
    async fn restore_drill_policy(
        &self,
        ctx: &Context<'_>,
        project_id: Option<ID>,
    ) -> async_graphql::Result<DrillPolicyNode> {
        let me = caller(ctx)?;
        let project = match &project_id {
            Some(id) => jobs::user::ProjectId(parse_id(id, "project")?),
            None => jobs::user::DEFAULT_PROJECT_ID,
        };
        if !me.can_see(project) {
            return Err(crate::error::coded(
                crate::error::code::NOT_FOUND,
                "project not found",
            ));
        }
        let schedule = api(ctx)?.db.drill_policy(project).await.or_gql()?;
        Ok(DrillPolicyNode {
            project_id: ID(project.0.to_string()),
            schedule,
        })
    }
}

#[derive(Default)]
pub(crate) struct BackupMutation;

#[Object]
impl BackupMutation {
    /// Set when an instance is backed up in full (`schedule`, cron in UTC, five fields) and
    /// how many days back it can be restored (`retentionDays`, 1 to 3650). The defaults are
    /// a full backup daily at 03:00 and 7 days.
    async fn set_backup_policy(
        &self,
        ctx: &Context<'_>,
        instance_id: ID,
        schedule: String,
        retention_days: i32,
    ) -> async_graphql::Result<BackupPolicyNode> {
        let instance = writable_instance(ctx, &instance_id).await?;
        let policy = BackupPolicy {
            schedule,
            retention_days,
        };
        Ok(backup::set_policy(&api(ctx)?.db, instance.id, &policy)
            .await
            .or_gql()?
            .into())
    }

    /// Back a running instance up now: `FULL` or `DIFFERENTIAL` (changes since the last full
    /// backup; a full one if there is none). Returns the `backup_instance` operation.
    async fn create_backup(
        &self,
        ctx: &Context<'_>,
        instance_id: ID,
        #[graphql(default_with = "BackupKindValue::Full")] kind: BackupKindValue,
    ) -> async_graphql::Result<OperationNode> {
        let me = caller(ctx)?;
        let instance = writable_instance(ctx, &instance_id).await?;
        let api = api(ctx)?;
        let op = backup::start(
            &api.db,
            api.backup.as_ref(),
            instance.id,
            kind.into(),
            Some(me.user_id),
        )
        .await
        .or_gql()?;
        Ok(OperationNode(op))
    }

    /// Set when the project's instances are restore-drilled: `schedule`, cron in UTC, five
    /// fields (the default is weekly, Sundays at 04:00).
    async fn set_restore_drill_policy(
        &self,
        ctx: &Context<'_>,
        project_id: Option<ID>,
        schedule: String,
    ) -> async_graphql::Result<DrillPolicyNode> {
        let me = caller(ctx)?;
        let project = writable_project(me, project_id.as_ref(), "change this project's drills")?;
        let schedule = drill::set_policy(&api(ctx)?.db, project, &schedule)
            .await
            .or_gql()?;
        Ok(DrillPolicyNode {
            project_id: ID(project.0.to_string()),
            schedule,
        })
    }

    /// Drill a running instance now: write a canary into it, restore its newest backup and
    /// WAL into a scratch instance, check it, time it (RTO and RPO) and delete it. Returns the
    /// `restore_drill` operation; the outcome shows in `Instance.restoreDrills`.
    async fn run_restore_drill(
        &self,
        ctx: &Context<'_>,
        instance_id: ID,
    ) -> async_graphql::Result<OperationNode> {
        let me = caller(ctx)?;
        let instance = writable_instance(ctx, &instance_id).await?;
        let api = api(ctx)?;
        let op = drill::start(
            &api.db,
            &api.offer.local_versions,
            api.backup.as_ref(),
            instance.id,
            Some(me.user_id),
        )
        .await
        .or_gql()?;
        Ok(OperationNode(op))
    }

    /// Make a **new** instance from another's backups, as it was at `targetTime` (omitted:
    /// the latest restorable point). It takes the source's version, login role and
    /// database; the source, running or deleted, is never touched. Answers like
    /// `createInstance`; a time outside the source's restore window is `INVALID_INPUT`.
    async fn restore_instance(
        &self,
        ctx: &Context<'_>,
        input: RestoreInstanceInput,
    ) -> async_graphql::Result<CreateInstancePayload> {
        let me = caller(ctx)?;
        let source = writable_instance(ctx, &input.source_instance_id).await?;
        let api = api(ctx)?;
        let request = inst::CreateInstance {
            name: input.name,
            provider: input.provider.map(Into::into),
            plan: input.plan,
            storage_gb: input.storage_gb,
            password: input.password,
            server_id: input
                .server_id
                .map(|s| parse_id(&s, "server").map(jobs::server::ServerId))
                .transpose()?,
            region: input.region,
            ..inst::CreateInstance::default()
        };
        let (instance, op) = backup::restore(
            &api.db,
            api.backup.as_ref(),
            source.id,
            input.target_time,
            &request,
            &api.offer,
            Some(me.user_id),
        )
        .await
        .or_gql()?;
        Ok(CreateInstancePayload {
            instance: InstanceNode::from(instance),
            operation: OperationNode(op),
        })
    }
}

/// The instance `id`, if the caller may change it.
async fn writable_instance(ctx: &Context<'_>, id: &ID) -> async_graphql::Result<Instance> {
    let me = caller(ctx)?;
    let id = InstanceId(parse_id(id, "instance")?);
    let found = api(ctx)?.db.instance(id).await;
    writable(me, found, |i| i.project_id, "instance")
}
