//! High availability: an instance's members (its primary and standbys), adding, removing
//! and relocating standbys, and switchovers.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::operation::OperationNode;
use super::server::ServerNode;
use super::{api, caller, parse_id, writable};
use crate::error::OrGql as _;
use jobs::instance::standbys::{self, Handover, StandbyState};
use jobs::instance::{Health, Instance, InstanceId, InstanceState, Standby, failover, switchover};

/// What a member of an instance does.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(name = "MemberRole")]
pub(crate) enum MemberRoleValue {
    /// Takes writes; the connection string names it first.
    Primary,
    /// Streams the primary's WAL; read-only, ready to take over.
    Standby,
}

/// Where a member is.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(name = "MemberState")]
pub(crate) enum MemberStateValue {
    /// The primary, serving.
    Serving,
    /// Being made, or rejoining as a standby after a switchover.
    Creating,
    /// A standby streaming close behind the primary.
    Streaming,
    /// A standby streaming, but more than 16 MiB behind.
    Lagging,
    /// Not serving (a standby its primary does not see, or a primary that fails its checks
    /// or is stopped).
    Down,
}

/// One PostgreSQL server of an instance: its primary or one of its standbys.
pub(crate) struct InstanceMemberNode {
    pub(crate) inst: Instance,
    /// `None`: the primary.
    pub(crate) standby: Option<Standby>,
}

#[Object(name = "InstanceMember")]
impl InstanceMemberNode {
    /// Its id: it names one data directory for its whole life, whichever role it has.
    async fn id(&self) -> ID {
        ID(match &self.standby {
            Some(s) => s.id.to_string(),
            None => self.inst.primary_member_id().to_string(),
        })
    }
    /// What it does.
    async fn role(&self) -> MemberRoleValue {
        match self.standby {
            Some(_) => MemberRoleValue::Standby,
            None => MemberRoleValue::Primary,
        }
    }
    /// The fleet server it runs on (`SERVER` instances).
    async fn server(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ServerNode>> {
        let id = match &self.standby {
            Some(s) => s.server_id,
            None => self.inst.server_id,
        };
        match id {
            Some(id) => Ok(Some(ServerNode(api(ctx)?.db.server(id).await.or_gql()?))),
            None => Ok(None),
        }
    }
    /// The address it serves at, once started.
    async fn host(&self) -> Option<&str> {
        match &self.standby {
            Some(s) => s.host.as_deref(),
            None => self.inst.host.as_deref(),
        }
    }
    /// Its port, once allocated.
    async fn port(&self) -> Option<i32> {
        match &self.standby {
            Some(s) => s.port,
            None => self.inst.port,
        }
    }
    /// Where it is.
    async fn state(&self) -> MemberStateValue {
        match &self.standby {
            Some(s) => match s.state {
                StandbyState::Creating => MemberStateValue::Creating,
                StandbyState::Streaming => MemberStateValue::Streaming,
                StandbyState::Lagging => MemberStateValue::Lagging,
                StandbyState::Down => MemberStateValue::Down,
            },
            None => match (self.inst.state, self.inst.health) {
                (InstanceState::Creating, _) => MemberStateValue::Creating,
                (InstanceState::Running, Health::Healthy | Health::Unknown) => {
                    MemberStateValue::Serving
                }
                _ => MemberStateValue::Down,
            },
        }
    }
    /// How many bytes of WAL a standby has not replayed yet, when last measured; 0 for the
    /// primary.
    async fn lag_bytes(&self) -> Option<f64> {
        match &self.standby {
            Some(s) => s.lag_bytes.map(|b| b as f64),
            None => Some(0.0),
        }
    }
    /// How far a standby's replay trails the primary's commits, in milliseconds, when known.
    async fn replay_lag_ms(&self) -> Option<f64> {
        self.standby.as_ref().and_then(|s| s.replay_lag_ms)
    }
    /// When the primary last reported on a standby.
    async fn checked_at(&self) -> Option<DateTime<Utc>> {
        self.standby.as_ref().and_then(|s| s.checked_at)
    }
}

/// An instance's members, the primary first.
pub(crate) async fn members(
    ctx: &Context<'_>,
    inst: &Instance,
) -> async_graphql::Result<Vec<InstanceMemberNode>> {
    let standbys = standbys_of(ctx, inst).await?;
    Ok(std::iter::once(None)
        .chain(standbys.into_iter().map(Some))
        .map(|standby| InstanceMemberNode {
            inst: inst.clone(),
            standby,
        })
        .collect())
}

/// An instance's standbys; no query for an instance that has none.
pub(crate) async fn standbys_of(
    ctx: &Context<'_>,
    inst: &Instance,
) -> async_graphql::Result<Vec<Standby>> {
    if inst.standbys == 0 {
        return Ok(Vec::new());
    }
    api(ctx)?.db.standbys(inst.id).await.or_gql()
}

/// How an instance stays available.
pub(crate) struct HighAvailabilityNode(pub(crate) Instance);

#[Object(name = "HighAvailability")]
impl HighAvailabilityNode {
    /// How many standbys it has.
    async fn standbys(&self) -> i32 {
        self.0.standbys
    }
    /// Whether each commit waits until a standby has it (no acknowledged write is lost when
    /// the primary fails).
    async fn synchronous(&self) -> bool {
        self.0.synchronous
    }
    /// When its primary last changed, by a switchover or a failover.
    async fn last_failover_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_failover_at
    }
    /// Its switchovers and failovers, newest first.
    #[graphql(complexity = "crate::graphql::page::cost(Some(first), child_complexity)")]
    async fn handovers(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
    ) -> async_graphql::Result<Vec<HandoverNode>> {
        Ok(api(ctx)?
            .db
            .handovers(self.0.id, super::page::page_size(Some(first))?)
            .await
            .or_gql()?
            .into_iter()
            .map(HandoverNode::from)
            .collect())
    }
}

/// A switchover (planned) or a failover: the primary handed over to a standby.
#[derive(SimpleObject)]
#[graphql(name = "Handover")]
pub(crate) struct HandoverNode {
    /// Its id.
    id: ID,
    /// Whether it was asked for (a switchover) rather than forced by a failure.
    planned: bool,
    /// The member that was primary.
    from_member_id: ID,
    /// The member that took over.
    to_member_id: ID,
    /// The operation that carried it out.
    operation_id: ID,
    /// When writes stopped.
    writes_stopped_at: Option<DateTime<Utc>>,
    /// When the connection string named the new primary: writes resumed.
    writes_resumed_at: Option<DateTime<Utc>>,
    /// How long writes were unavailable, in milliseconds.
    unavailable_ms: Option<f64>,
    /// When it was asked for.
    created_at: DateTime<Utc>,
    /// When it finished.
    finished_at: Option<DateTime<Utc>>,
}

impl From<Handover> for HandoverNode {
    fn from(h: Handover) -> Self {
        Self {
            id: ID(h.id.to_string()),
            planned: h.planned,
            from_member_id: ID(h.from_member_id.to_string()),
            to_member_id: ID(h.to_member_id.to_string()),
            operation_id: ID(h.operation_id.to_string()),
            writes_stopped_at: h.writes_stopped_at,
            writes_resumed_at: h.writes_resumed_at,
            unavailable_ms: h.unavailable_ms,
            created_at: h.created_at,
            finished_at: h.finished_at,
        }
    }
}

#[derive(Default)]
pub(crate) struct StandbyMutation;

/// The instance `id` names, if the caller may change it.
async fn writable_instance(ctx: &Context<'_>, id: &ID) -> async_graphql::Result<Instance> {
    let me = caller(ctx)?;
    let id = InstanceId(parse_id(id, "instance")?);
    let found = api(ctx)?.db.instance(id).await;
    writable(me, found, |i| i.project_id, "instance")
}

#[Object]
impl StandbyMutation {
    /// Give a running LOCAL or SERVER instance one more standby (at most 2): on `serverId`, or
    /// for SERVER instances on the server the placement rule picks among those holding no
    /// member of the instance; LOCAL standbys are other server processes on this host.
    /// Counts toward the project's standby quota. Returns the `add_standby` operation; the
    /// new member shows in `members` at once, `CREATING` until it streams. Kubernetes
    /// instances answer `UNSUPPORTED`.
    async fn add_standby(
        &self,
        ctx: &Context<'_>,
        instance_id: ID,
        server_id: Option<ID>,
    ) -> async_graphql::Result<OperationNode> {
        let me = caller(ctx)?;
        let inst = writable_instance(ctx, &instance_id).await?;
        let server = server_id
            .map(|s| parse_id(&s, "server").map(jobs::server::ServerId))
            .transpose()?;
        let (_, op) = standbys::add(&api(ctx)?.db, inst.id, server, Some(me.user_id))
            .await
            .or_gql()?;
        Ok(OperationNode(op))
    }

    /// Remove a standby (`memberId`, from `members`): it stops, and its data and replication
    /// slot go. The primary cannot be removed: switch over first. Returns the
    /// `remove_standby` operation.
    async fn remove_standby(
        &self,
        ctx: &Context<'_>,
        member_id: ID,
    ) -> async_graphql::Result<OperationNode> {
        let me = caller(ctx)?;
        let db = &api(ctx)?.db;
        let member = parse_id(&member_id, "member")?;
        let found = match db.instance_of_member(member).await {
            Ok(id) => db.instance(id).await,
            Err(e) => Err(e),
        };
        writable(me, found, |i| i.project_id, "member")?;
        let (_, op) = standbys::remove(db, member, Some(me.user_id))
            .await
            .or_gql()?;
        Ok(OperationNode(op))
    }

    /// Move a standby (`memberId`, from `members`) of a running SERVER instance to another
    /// server: `serverId`, or the server the placement rule picks among those holding no
    /// member of the instance. The standby stops, its data and replication slot go from its
    /// old server (a synchronous primary stops waiting for it first), and a fresh copy is
    /// made on the new one, `CREATING` until it streams. The primary cannot be relocated:
    /// switch over first. Drains do this for the standbys on the drained server. Returns the
    /// `relocate_standby` operation. Kubernetes instances answer `UNSUPPORTED`.
    async fn relocate_standby(
        &self,
        ctx: &Context<'_>,
        member_id: ID,
        server_id: Option<ID>,
    ) -> async_graphql::Result<OperationNode> {
        let me = caller(ctx)?;
        let db = &api(ctx)?.db;
        let member = parse_id(&member_id, "member")?;
        let found = match db.instance_of_member(member).await {
            Ok(id) => db.instance(id).await,
            Err(e) => Err(e),
        };
        writable(me, found, |i| i.project_id, "member")?;
        let server = server_id
            .map(|s| parse_id(&s, "server").map(jobs::server::ServerId))
            .transpose()?;
        let (_, op) = standbys::relocate(db, member, server, Some(me.user_id))
            .await
            .or_gql()?;
        Ok(OperationNode(op))
    }

    /// Hand a running instance's primary over to a standby (`toMemberId`, or the streaming
    /// one closest behind), for maintenance: writes pause while the primary shuts down and
    /// the standby, holding every committed write, is promoted; the old primary rejoins as a
    /// standby. The pause is recorded (`highAvailability.handovers`). Clients connected with
    /// the multi-host connection string find the new primary when they reconnect. Returns the
    /// `switchover` operation.
    async fn switchover(
        &self,
        ctx: &Context<'_>,
        instance_id: ID,
        to_member_id: Option<ID>,
    ) -> async_graphql::Result<OperationNode> {
        let me = caller(ctx)?;
        let inst = writable_instance(ctx, &instance_id).await?;
        let to = to_member_id.map(|m| parse_id(&m, "member")).transpose()?;
        let (_, op) = switchover::start(&api(ctx)?.db, inst.id, to, Some(me.user_id))
            .await
            .or_gql()?;
        Ok(OperationNode(op))
    }

    /// Promote the standby holding the most WAL of an instance whose primary is lost, as the
    /// failover watcher does by itself (`TOYGRES_HA_CHECK_SECS`,
    /// `TOYGRES_FAILOVER_AFTER_CHECKS`). The old primary is stopped first; when its host
    /// cannot be reached the failover stops and says so, unless `force` is true: use it only
    /// when you know that host is down, or two primaries may take writes. Returns the
    /// `failover` operation.
    async fn failover(
        &self,
        ctx: &Context<'_>,
        instance_id: ID,
        #[graphql(default = false)] force: bool,
    ) -> async_graphql::Result<OperationNode> {
        let me = caller(ctx)?;
        let inst = writable_instance(ctx, &instance_id).await?;
        let op = failover::start(&api(ctx)?.db, inst.id, force, None, Some(me.user_id))
            .await
            .or_gql()?;
        Ok(OperationNode(op))
    }
}
