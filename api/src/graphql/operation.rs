//! Operations: follow a job by query or subscription, and the system check that exercises
//! the job engine end to end.

use async_graphql::{Context, Enum, ID, InputObject, Object, Subscription};
use chrono::{DateTime, Utc};
use futures::Stream;

use super::page::{Connection, Paging, page_size};
use super::{api, caller, parse_id, visible};
use crate::error::{OrGql as _, code, coded, forbidden};
use jobs::events::Event;
use jobs::operation::{Operation, OperationId, OperationStatus, TargetKind};
use jobs::user::{DEFAULT_PROJECT_ID, ProjectId};

/// Where an operation is in its life.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(name = "OperationStatus")]
pub(crate) enum OperationStatusValue {
    /// Waiting for a worker: a first run, or a retry after a failure.
    Queued,
    /// A worker is on it, or it waits on something outside between steps.
    Running,
    /// Finished as asked.
    Succeeded,
    /// Gave up; `error` says why.
    Failed,
    /// Stopped on request.
    Cancelled,
}

impl From<OperationStatus> for OperationStatusValue {
    fn from(s: OperationStatus) -> Self {
        match s {
            OperationStatus::Queued => Self::Queued,
            OperationStatus::Running => Self::Running,
            OperationStatus::Succeeded => Self::Succeeded,
            OperationStatus::Failed => Self::Failed,
            OperationStatus::Cancelled => Self::Cancelled,
        }
    }
}

impl From<OperationStatusValue> for OperationStatus {
    fn from(s: OperationStatusValue) -> Self {
        match s {
            OperationStatusValue::Queued => Self::Queued,
            OperationStatusValue::Running => Self::Running,
            OperationStatusValue::Succeeded => Self::Succeeded,
            OperationStatusValue::Failed => Self::Failed,
            OperationStatusValue::Cancelled => Self::Cancelled,
        }
    }
}

/// What an operation acts on.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(name = "OperationTarget")]
pub(crate) enum TargetKindValue {
    /// A Postgres instance.
    Instance,
    /// A fleet server.
    Server,
    /// The fleet as a whole.
    Cluster,
    /// Toygres itself.
    System,
}

impl From<TargetKind> for TargetKindValue {
    fn from(t: TargetKind) -> Self {
        match t {
            TargetKind::Instance => Self::Instance,
            TargetKind::Server => Self::Server,
            TargetKind::Cluster => Self::Cluster,
            TargetKind::System => Self::System,
        }
    }
}

/// The user-visible record of one durable job.
pub(crate) struct OperationNode(pub(crate) Operation);

#[Object(name = "Operation")]
impl OperationNode {
    /// The operation's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The project it belongs to.
    async fn project_id(&self) -> ID {
        ID(self.0.project_id.0.to_string())
    }
    /// The workflow, such as `system_check`.
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    /// What it acts on.
    async fn target_kind(&self) -> TargetKindValue {
        self.0.target_kind.into()
    }
    /// The id of what it acts on, unless it acts on Toygres or the fleet as a whole.
    async fn target_id(&self) -> Option<ID> {
        self.0.target_id.map(|t| ID(t.to_string()))
    }
    /// Where it is in its life.
    async fn status(&self) -> OperationStatusValue {
        self.0.status.into()
    }
    /// The workflow's current step.
    async fn step(&self) -> &str {
        &self.0.step
    }
    /// Tries so far.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// Tries allowed before it fails.
    async fn max_attempts(&self) -> i32 {
        self.0.max_attempts
    }
    /// The last failure, if any.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    /// Who asked for it.
    async fn requested_by(&self) -> Option<ID> {
        self.0.requested_by.map(|u| ID(u.to_string()))
    }
    /// When it was asked for.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// When a worker first picked it up.
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }
    /// When it finished.
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
    /// The move it carries out (`move_instance` operations): phase, lag, and the
    /// write-unavailability window.
    async fn r#move(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<super::moves::InstanceMoveNode>> {
        if self.0.kind != "move_instance" {
            return Ok(None);
        }
        Ok(api(ctx)?
            .db
            .move_of_operation(self.0.id)
            .await
            .or_gql()?
            .map(super::moves::InstanceMoveNode))
    }
    /// A drain's (or a removal's) moves, in their order: each instance, where it goes, and
    /// how far it has come. Empty for other operations.
    async fn moves(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::moves::InstanceMoveNode>> {
        if !matches!(self.0.kind.as_str(), "drain_server" | "remove_server") {
            return Ok(Vec::new());
        }
        Ok(api(ctx)?
            .db
            .drain_moves(self.0.id)
            .await
            .or_gql()?
            .into_iter()
            .map(super::moves::InstanceMoveNode)
            .collect())
    }
    /// Every step it has entered, in order.
    async fn steps(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<OperationStepNode>> {
        Ok(api(ctx)?
            .db
            .operation_steps(self.0.id)
            .await
            .or_gql()?
            .into_iter()
            .map(|s| OperationStepNode {
                seq: s.seq,
                step: s.step,
                entered_at: s.entered_at,
            })
            .collect())
    }
}

/// A step an operation entered.
#[derive(async_graphql::SimpleObject)]
#[graphql(name = "OperationStep")]
pub(crate) struct OperationStepNode {
    /// 1 for the first step.
    pub seq: i32,
    /// The step's name.
    pub step: String,
    /// When it was entered.
    pub entered_at: DateTime<Utc>,
}

/// Which operations to list.
#[derive(InputObject, Default)]
#[graphql(name = "OperationFilter")]
pub(crate) struct OperationFilterInput {
    /// Only this status.
    pub status: Option<OperationStatusValue>,
    /// Only this kind, such as `system_check`.
    pub kind: Option<String>,
    /// Only operations on this target.
    pub target_id: Option<ID>,
}

#[derive(Default)]
pub(crate) struct OperationQuery;

#[Object]
impl OperationQuery {
    /// One operation, if the caller may see it.
    async fn operation(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<OperationNode>> {
        let me = caller(ctx)?;
        let id = OperationId(parse_id(&id, "operation")?);
        let found = api(ctx)?.db.operation(id).await;
        Ok(visible(me, found, |op| op.project_id)?.map(OperationNode))
    }

    /// Operations the caller may see, newest first.
    #[graphql(complexity = "crate::graphql::page::cost(first, child_complexity)")]
    async fn operations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<OperationFilterInput>,
    ) -> async_graphql::Result<Connection<OperationNode>> {
        let me = caller(ctx)?;
        let paging = Paging::new(first, after)?;
        let filter = filter.unwrap_or_default();
        let target_id = filter
            .target_id
            .as_ref()
            .map(|t| parse_id(t, "target"))
            .transpose()?;
        let page = api(ctx)?
            .db
            .operations(
                &jobs::db::OperationFilter {
                    projects: me.visible_projects(),
                    status: filter.status.map(Into::into),
                    kind: filter.kind,
                    target_id,
                },
                paging.after.map(OperationId),
                paging.first,
            )
            .await
            .or_gql()?;
        Ok(paging.connection(page, OperationNode))
    }
}

/// The newest `first` operations on `target` (an instance or server of `project`), for its
/// page; `first` is checked like a connection's.
pub(crate) async fn newest_on_target(
    ctx: &Context<'_>,
    project: ProjectId,
    target: uuid::Uuid,
    first: i32,
) -> async_graphql::Result<Vec<OperationNode>> {
    let page = api(ctx)?
        .db
        .operations(
            &jobs::db::OperationFilter {
                projects: vec![project],
                target_id: Some(target),
                ..Default::default()
            },
            None,
            page_size(Some(first))?,
        )
        .await
        .or_gql()?;
    Ok(page.items.into_iter().map(OperationNode).collect())
}

#[derive(Default)]
pub(crate) struct OperationMutation;

#[Object]
impl OperationMutation {
    /// Check that Toygres's database and job queue work, as an operation that a worker runs
    /// step by step. Returns at once; follow it with `operation(id)` or `operationUpdated`.
    async fn run_system_check(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The project to record it in; the default project if omitted.")]
        project_id: Option<ID>,
    ) -> async_graphql::Result<OperationNode> {
        let me = caller(ctx)?;
        let project = match project_id {
            Some(id) => ProjectId(parse_id(&id, "project")?),
            None => DEFAULT_PROJECT_ID,
        };
        match me.role_in(project) {
            Some(role) if role.can_write() => {}
            Some(_) => return Err(forbidden("start operations in this project")),
            None => return Err(coded(code::NOT_FOUND, "project not found")),
        }
        let op = jobs::system_check::start(&api(ctx)?.db, project, Some(me.user_id))
            .await
            .or_gql()?;
        Ok(OperationNode(op))
    }
}

#[derive(Default)]
pub(crate) struct OperationSubscription;

#[Subscription]
impl OperationSubscription {
    /// Every change to one operation (`id`), or to every operation the caller may see. A
    /// subscriber that falls behind gets a `LAGGED` error and should refetch.
    async fn operation_updated(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<OperationNode>> + use<>>
    {
        let me = caller(ctx)?.clone();
        let only = id
            .map(|i| parse_id(&i, "operation").map(OperationId))
            .transpose()?;
        Ok(super::watch(&api(ctx)?.bus, move |event| match event {
            Event::Operation(op)
                if me.can_see(op.project_id) && only.is_none_or(|id| id == op.id) =>
            {
                Some(OperationNode(op.clone()))
            }
            _ => None,
        }))
    }
}
