//! Moves of instances between servers, and the plans of drains.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::api;
use super::instance::InstanceNode;
use super::operation::OperationNode;
use super::server::ServerNode;
use crate::error::OrGql as _;
use jobs::db::{InstanceMove, MovePhase};
use jobs::server::placement::{DrainAction, DrainPlan, PlannedMove};

/// How far a move has come.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(name = "MovePhase")]
pub(crate) enum MovePhaseValue {
    /// Planned by a drain; not started.
    Planned,
    /// The new copy is being made from a base backup.
    Copying,
    /// The new copy streams the primary's WAL and is catching up; writes go on.
    CatchingUp,
    /// The old primary is shutting down: writes are unavailable.
    CuttingOver,
    /// The new copy is being promoted; from here the move only goes forward.
    Promoting,
    /// The connection string names the new primary; writes resumed.
    Switched,
    /// Finished: the old copy is removed.
    Done,
    /// Undone: the old primary serves as before and the new copy is gone.
    RolledBack,
    /// Never started (its drain stopped first).
    Cancelled,
}

mirror!(
    MovePhaseValue,
    MovePhase,
    Planned,
    Copying,
    CatchingUp,
    CuttingOver,
    Promoting,
    Switched,
    Done,
    RolledBack,
    Cancelled
);

/// A move of an instance from one server to another.
pub(crate) struct InstanceMoveNode(pub(crate) InstanceMove);

#[Object(name = "InstanceMove")]
impl InstanceMoveNode {
    /// Its id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The instance's id.
    async fn instance_id(&self) -> ID {
        ID(self.0.instance_id.to_string())
    }
    /// The instance.
    async fn instance(&self, ctx: &Context<'_>) -> async_graphql::Result<InstanceNode> {
        Ok(InstanceNode::from(
            api(ctx)?.db.instance(self.0.instance_id).await.or_gql()?,
        ))
    }
    /// The server it moves from.
    async fn source(&self, ctx: &Context<'_>) -> async_graphql::Result<ServerNode> {
        Ok(ServerNode(
            api(ctx)?
                .db
                .server(self.0.source_server_id)
                .await
                .or_gql()?,
        ))
    }
    /// The server it moves to.
    async fn target(&self, ctx: &Context<'_>) -> async_graphql::Result<ServerNode> {
        Ok(ServerNode(
            api(ctx)?
                .db
                .server(self.0.target_server_id)
                .await
                .or_gql()?,
        ))
    }
    /// Its place in its drain's order, from 1.
    async fn position(&self) -> i32 {
        self.0.position
    }
    /// How far it has come.
    async fn phase(&self) -> MovePhaseValue {
        self.0.phase.into()
    }
    /// The `move_instance` operation carrying it out, once started.
    async fn operation(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<OperationNode>> {
        match self.0.operation_id {
            Some(id) => Ok(Some(OperationNode(
                api(ctx)?.db.operation(id).await.or_gql()?,
            ))),
            None => Ok(None),
        }
    }
    /// How far the new copy trailed the primary when last measured, in bytes.
    async fn lag_bytes(&self) -> Option<f64> {
        self.0.lag_bytes.map(|b| b as f64)
    }
    /// When writes stopped: the old primary began its shutdown.
    async fn writes_stopped_at(&self) -> Option<DateTime<Utc>> {
        self.0.writes_stopped_at
    }
    /// When writes resumed: the connection string named the promoted copy.
    async fn writes_resumed_at(&self) -> Option<DateTime<Utc>> {
        self.0.writes_resumed_at
    }
    /// The write-unavailability window, in milliseconds, once the move has switched.
    async fn unavailable_ms(&self) -> Option<f64> {
        self.0.unavailable_ms
    }
    /// Why it was undone.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    /// When it was planned.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it ended.
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
}

/// What a drain does with a member of an instance on its server.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(name = "DrainAction")]
pub(crate) enum DrainActionValue {
    /// The instance (it has no standbys) moves to the target: a copy there catches up and
    /// takes over (a `move_instance` operation).
    Move,
    /// The primary hands over to its standby on the target, losing no committed write (a
    /// `switchover` operation); the old primary stays behind as a standby, relocated next.
    Switchover,
    /// The standby (`memberId`) gets a fresh copy on the target, then its old copy and
    /// replication slot go (a `relocate_standby` operation).
    RelocateStandby,
}

mirror!(
    DrainActionValue,
    DrainAction,
    Move,
    Switchover,
    RelocateStandby
);

/// One action of a drain plan.
#[derive(SimpleObject)]
#[graphql(name = "PlannedMove")]
pub(crate) struct PlannedMoveValue {
    /// Its order in the drain, from 1.
    position: i32,
    /// What is done: a move, a switchover or a standby's relocation.
    action: DrainActionValue,
    /// The instance's id.
    instance_id: ID,
    /// The instance's name.
    instance_name: String,
    /// The member concerned: the standby taking over (`SWITCHOVER`) or relocated
    /// (`RELOCATE_STANDBY`); null for a `MOVE`.
    member_id: Option<ID>,
    /// The server it would go to (for `SWITCHOVER`, where the standby taking over is).
    target_server_id: ID,
    /// That server's name.
    target_server_name: String,
}

impl From<PlannedMove> for PlannedMoveValue {
    fn from(m: PlannedMove) -> Self {
        Self {
            position: m.position,
            action: m.action.into(),
            instance_id: ID(m.instance_id.to_string()),
            instance_name: m.instance_name,
            member_id: m.member_id.map(|id| ID(id.to_string())),
            target_server_id: ID(m.target_id.to_string()),
            target_server_name: m.target_name,
        }
    }
}

/// What draining a server does: each instance, what becomes of it and where it goes, in
/// order.
#[derive(SimpleObject)]
#[graphql(name = "DrainPlan")]
pub(crate) struct DrainPlanValue {
    /// The server.
    server_id: ID,
    /// The actions, in the order they run: the switchovers and standbys' relocations of
    /// instances with standbys first, one instance at a time, then the moves.
    moves: Vec<PlannedMoveValue>,
    /// Why the drain cannot be done (nothing would happen), when it cannot.
    blocked: Option<String>,
}

impl From<DrainPlan> for DrainPlanValue {
    fn from(p: DrainPlan) -> Self {
        Self {
            server_id: ID(p.server_id.to_string()),
            moves: p.moves.into_iter().map(Into::into).collect(),
            blocked: p.blocked,
        }
    }
}

/// What `drainServer` returns.
#[derive(SimpleObject)]
pub(crate) struct DrainServerPayload {
    /// Whether this was only a preview: nothing was recorded.
    pub(crate) dry_run: bool,
    /// The plan: which instance goes where, in order.
    pub(crate) plan: DrainPlanValue,
    /// The drain, unless this was a preview.
    pub(crate) operation: Option<OperationNode>,
}
