//! Postgres instances: create, follow, connect, stop, start, restart, delete.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures::Stream;

use super::operation::OperationNode;
use super::page::{Connection, Paging, page_size};
use super::{api, caller, parse_id, visible, writable, writable_project};
use crate::cache::Cache;
use crate::error::OrGql as _;
use jobs::db::SealedInstance;
use jobs::events::{Event, EventBus, Follower};
use jobs::instance::{
    self as inst, Health, Instance, InstanceId, InstanceState, Provider, ServiceType,
};

use jobs::workflow::Kind;

/// The most instances [`InstanceCache`] keeps; past it the cache starts again empty.
const CACHE_CAPACITY: usize = 10_000;

/// Instances by id, their passwords still sealed, kept between requests so that reading one
/// costs no query (see [`crate::cache`]).
#[derive(Debug)]
pub(crate) struct InstanceCache(Cache<InstanceId, SealedInstance>);

impl InstanceCache {
    /// An empty cache that drops an instance when the database announces its change, for as
    /// long as it is alive.
    pub(crate) fn following(bus: &EventBus) -> Arc<Self> {
        let cache = Arc::new(Self(Cache::new(CACHE_CAPACITY, bus)));
        bus.follow(&cache);
        cache
    }

    /// Drop everything.
    pub(crate) fn forget_all(&self) {
        self.0.forget_all();
    }
}

impl Follower for InstanceCache {
    fn hear(&self, event: &Event) {
        match event {
            Event::Instance(instance) => self.0.forget(&instance.id),
            // A project's purge deletes its instances, which announces no instance, only its
            // memberships going.
            Event::AccessChanged(_) | Event::Resync => self.0.forget_all(),
            _ => {}
        }
    }
}

/// The most health checks one request returns.
const MAX_HEALTH_CHECKS: i32 = 100;

/// Where an instance is in its life.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(name = "InstanceState")]
pub(crate) enum InstanceStateValue {
    /// Being made.
    Creating,
    /// Serving.
    Running,
    /// Being stopped.
    Stopping,
    /// Stopped on request; its data is kept.
    Stopped,
    /// Being started again.
    Starting,
    /// Being deleted.
    Deleting,
    /// Gone, data included.
    Deleted,
    /// An operation on it gave up; `failureReason` says why.
    Failed,
}

/// Whether an instance answers.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(name = "Health")]
pub(crate) enum HealthValue {
    /// The last check connected and queried.
    Healthy,
    /// The last check failed.
    Unhealthy,
    /// Not checked since it last started.
    Unknown,
}

/// Where an instance runs.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(name = "Provider")]
pub(crate) enum ProviderValue {
    /// A PostgreSQL process on the control plane's host.
    Local,
    /// A StatefulSet on Kubernetes.
    Kubernetes,
    /// A PostgreSQL process on a fleet server, reached over SSH.
    Server,
}

mirror!(
    InstanceStateValue,
    InstanceState,
    Creating,
    Running,
    Stopping,
    Stopped,
    Starting,
    Deleting,
    Deleted,
    Failed
);
mirror!(HealthValue, Health, Healthy, Unhealthy, Unknown);
mirror!(ProviderValue, Provider, Local, Kubernetes, Server);

/// How clients outside a Kubernetes cluster reach an instance.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(name = "ServiceType")]
pub(crate) enum ServiceTypeValue {
    /// Inside the cluster only, at `NAME.NAMESPACE.svc`.
    ClusterIp,
    /// Through a cloud load balancer.
    LoadBalancer,
}

impl From<ServiceTypeValue> for ServiceType {
    fn from(v: ServiceTypeValue) -> Self {
        match v {
            ServiceTypeValue::ClusterIp => ServiceType::ClusterIp,
            ServiceTypeValue::LoadBalancer => ServiceType::LoadBalancer,
        }
    }
}

/// CPU and memory an instance gets (on Kubernetes, its pod's requests and limits).
#[derive(SimpleObject)]
#[graphql(name = "InstancePlan")]
pub(crate) struct InstancePlanNode {
    /// Its name, for `createInstance(input: { plan })`.
    name: String,
    /// CPU requested, in millicores.
    cpu_request_millis: i32,
    /// CPU limit, in millicores.
    cpu_limit_millis: i32,
    /// Memory requested and limited, in MiB.
    memory_mib: i32,
}

impl From<&inst::InstancePlan> for InstancePlanNode {
    fn from(p: &inst::InstancePlan) -> Self {
        let int = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
        Self {
            name: p.name.to_owned(),
            cpu_request_millis: int(p.cpu_request_millis),
            cpu_limit_millis: int(p.cpu_limit_millis),
            memory_mib: int(p.memory_mib),
        }
    }
}

/// A Postgres database server, and its role's password when it was read with it.
pub(crate) struct InstanceNode(pub(crate) Instance, Option<String>);

impl From<Instance> for InstanceNode {
    fn from(instance: Instance) -> Self {
        Self(instance, None)
    }
}

#[Object(name = "Instance")]
impl InstanceNode {
    /// The instance's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The project it belongs to.
    async fn project_id(&self) -> ID {
        ID(self.0.project_id.0.to_string())
    }
    /// Its name: a DNS-1123 label, unique among the project's live instances.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Where it runs.
    async fn provider(&self) -> ProviderValue {
        self.0.provider.into()
    }
    /// The plan that sizes it.
    async fn plan(&self) -> &str {
        &self.0.plan
    }
    /// On Kubernetes, how clients reach it.
    async fn service_type(&self) -> Option<ServiceTypeValue> {
        match self
            .0
            .service_type
            .as_deref()?
            .parse::<ServiceType>()
            .ok()?
        {
            ServiceType::ClusterIp => Some(ServiceTypeValue::ClusterIp),
            ServiceType::LoadBalancer => Some(ServiceTypeValue::LoadBalancer),
        }
    }
    /// What its provider says is wrong right now, in the provider's words (a pod that cannot
    /// pull its image, a crash loop, no node to run on); null when nothing is.
    async fn status_message(&self) -> Option<&str> {
        self.0.status_message.as_deref()
    }
    /// The fleet server it runs on (`SERVER` instances).
    async fn server(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<super::server::ServerNode>> {
        match self.0.server_id {
            Some(id) => Ok(Some(super::server::ServerNode(
                api(ctx)?.db.server(id).await.or_gql()?,
            ))),
            None => Ok(None),
        }
    }
    /// Its moves between servers, newest first.
    #[graphql(complexity = "crate::graphql::page::cost(Some(first), child_complexity)")]
    async fn moves(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
    ) -> async_graphql::Result<Vec<super::moves::InstanceMoveNode>> {
        Ok(api(ctx)?
            .db
            .instance_moves(self.0.id, page_size(Some(first))?)
            .await
            .or_gql()?
            .into_iter()
            .map(super::moves::InstanceMoveNode)
            .collect())
    }
    /// Its events (pod problems, drift, deletions), newest first.
    #[graphql(complexity = "crate::graphql::page::cost(first, child_complexity)")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<super::server::ClusterEventNode>> {
        let paging = Paging::new(first, after)?;
        super::server::events_page(ctx, &[self.0.project_id], None, Some(self.0.id.0), paging).await
    }
    /// The tables, views and materialized views of its database, with estimated row counts,
    /// sizes, columns and indexes (admins and operators; a running instance).
    async fn tables(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TableNode>> {
        let mut conn = browse(ctx, &self.0).await?;
        let tables = conn.tables().await.or_gql();
        conn.close().await;
        Ok(tables?
            .into_iter()
            .map(|t| TableNode {
                schema: t.schema,
                name: t.name,
                kind: t.kind,
                estimated_rows: t.estimated_rows,
                size_bytes: t.size_bytes,
                columns: t
                    .columns
                    .into_iter()
                    .map(|c| TableColumnNode {
                        name: c.name,
                        data_type: c.data_type,
                        nullable: c.nullable,
                        default: c.default,
                        primary_key: c.primary_key,
                    })
                    .collect(),
                indexes: t
                    .indexes
                    .into_iter()
                    .map(|i| TableIndexNode {
                        name: i.name,
                        definition: i.definition,
                        unique: i.unique,
                        primary: i.primary,
                    })
                    .collect(),
            })
            .collect())
    }
    /// A page of a table's rows in primary-key order (physical order without one), at most
    /// `first` (up to 500) and 1 MiB; `after` is a previous page's `nextCursor`.
    #[graphql(complexity = "crate::graphql::page::cost(Some(first), child_complexity)")]
    async fn rows(
        &self,
        ctx: &Context<'_>,
        table: String,
        #[graphql(default = "public")] schema: String,
        #[graphql(default = 50)] first: i32,
        after: Option<String>,
    ) -> async_graphql::Result<RowSetNode> {
        let first = usize::try_from(first)
            .ok()
            .filter(|n| (1..=jobs::browser::MAX_ROWS).contains(n))
            .ok_or_else(|| {
                crate::error::invalid(format!(
                    "`first` must be between 1 and {}",
                    jobs::browser::MAX_ROWS
                ))
            })?;
        let mut conn = browse(ctx, &self.0).await?;
        let rows = conn
            .rows(&schema, &table, first, after.as_deref())
            .await
            .or_gql();
        conn.close().await;
        Ok(rows?.into())
    }
    /// PostgreSQL major version.
    async fn version(&self) -> i32 {
        self.0.pg_version
    }
    /// Storage asked for, in GB (recorded; the local provider does not cap disk use).
    async fn storage_gb(&self) -> i32 {
        self.0.storage_gb
    }
    /// Where it is in its life.
    async fn state(&self) -> InstanceStateValue {
        self.0.state.into()
    }
    /// Whether it answers.
    async fn health(&self) -> HealthValue {
        self.0.health.into()
    }
    /// Why it failed, when it did.
    async fn failure_reason(&self) -> Option<&str> {
        self.0.failure_reason.as_deref()
    }
    /// The login role clients use.
    async fn username(&self) -> &str {
        &self.0.username
    }
    /// The database clients use.
    async fn database(&self) -> &str {
        &self.0.database_name
    }
    /// The address clients connect to, once it runs.
    async fn host(&self) -> Option<&str> {
        self.0.host.as_deref()
    }
    /// The port clients connect to, once allocated.
    async fn port(&self) -> Option<i32> {
        self.0.port
    }
    /// `postgresql://user:password@host:port/database`. The password is included for admins
    /// and operators of the project, and left out for viewers. It ends in
    /// `?sslmode=verify-full&sslrootcert=toygres-ca.crt`: save `certificateAuthority { pem }`
    /// as `toygres-ca.crt` where the client runs (or change the path). With standbys, every
    /// member is listed, the primary first, with `target_session_attrs=read-write`
    /// (libpq's multi-host form): a client that reconnects after a switchover or a failover
    /// finds the new primary.
    async fn connection_string(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let me = caller(ctx)?;
        if me.role_in(self.0.project_id).is_some_and(|r| r.can_write()) {
            let password = match &self.1 {
                Some(password) => password.clone(),
                None => api(ctx)?.db.instance_password(self.0.id).await.or_gql()?,
            };
            let standbys = super::standbys::standbys_of(ctx, &self.0).await?;
            Ok(self.0.connection_string(Some(&password), &standbys))
        } else {
            let standbys = super::standbys::standbys_of(ctx, &self.0).await?;
            Ok(self.0.connection_string(None, &standbys))
        }
    }
    /// For reads a standby can serve: every member, standbys preferred
    /// (`target_session_attrs=prefer-standby`, libpq 14 and later), the primary when no
    /// standby answers. The password as in `connectionString`.
    async fn read_only_connection_string(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<String>> {
        let me = caller(ctx)?;
        let standbys = super::standbys::standbys_of(ctx, &self.0).await?;
        if me.role_in(self.0.project_id).is_some_and(|r| r.can_write()) {
            let password = match &self.1 {
                Some(password) => password.clone(),
                None => api(ctx)?.db.instance_password(self.0.id).await.or_gql()?,
            };
            Ok(self
                .0
                .read_only_connection_string(Some(&password), &standbys))
        } else {
            Ok(self.0.read_only_connection_string(None, &standbys))
        }
    }
    /// Its members: the primary first, then its standbys (`addStandby`).
    async fn members(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::standbys::InstanceMemberNode>> {
        super::standbys::members(ctx, &self.0).await
    }
    /// How it stays available: its standbys, whether commits wait for one, its switchovers.
    async fn high_availability(&self) -> super::standbys::HighAvailabilityNode {
        super::standbys::HighAvailabilityNode(self.0.clone())
    }
    /// When health was last recorded on the instance.
    async fn last_checked_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_checked_at
    }
    /// The last recorded check's round trip, in milliseconds.
    async fn latency_ms(&self) -> Option<f64> {
        self.0.latency_ms
    }
    /// The server's version, as it reports it.
    async fn server_version(&self) -> Option<&str> {
        self.0.server_version.as_deref()
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Its latest health checks, newest first.
    #[graphql(complexity = "crate::graphql::page::cost(Some(last), child_complexity)")]
    async fn health_checks(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] last: i32,
    ) -> async_graphql::Result<Vec<HealthCheckNode>> {
        if !(0..=MAX_HEALTH_CHECKS).contains(&last) {
            return Err(crate::error::invalid(format!(
                "`last` must be between 0 and {MAX_HEALTH_CHECKS}"
            )));
        }
        Ok(api(ctx)?
            .db
            .health_checks(self.0.id, i64::from(last))
            .await
            .or_gql()?
            .into_iter()
            .map(|c| HealthCheckNode {
                checked_at: c.checked_at,
                healthy: c.healthy,
                latency_ms: c.latency_ms,
                server_version: c.server_version,
                error: c.error,
            })
            .collect())
    }
    /// When it is backed up in full, and how far back it can be restored.
    async fn backup_policy(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<super::backup::BackupPolicyNode> {
        super::backup::policy(ctx, &self.0).await
    }
    /// Its backups, newest first (expired and failed ones included, marked so).
    #[graphql(complexity = "crate::graphql::page::cost(first, child_complexity)")]
    async fn backups(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<super::backup::BackupNode>> {
        super::backup::backups(ctx, &self.0, first, after).await
    }
    /// The earliest time it can be restored to (the end of its oldest backup kept); null
    /// before its first backup.
    async fn earliest_restore_time(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<DateTime<Utc>>> {
        Ok(super::backup::window(ctx, &self.0)
            .await?
            .map(|w| w.earliest))
    }
    /// The latest time it can be restored to: a moment known to be in the archived WAL,
    /// trailing the present by about the archive timeout plus a health interval.
    async fn latest_restore_time(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<DateTime<Utc>>> {
        Ok(super::backup::window(ctx, &self.0).await?.map(|w| w.latest))
    }
    /// How its continuous WAL archiving is doing; null where it does not archive.
    async fn archiving(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<super::backup::ArchivingNode>> {
        super::backup::archiving(ctx, &self.0).await
    }
    /// Deleted with its backups kept: when they will be purged from the repository (a
    /// restore from it works until then). Null while it lives, and once they are gone.
    async fn backups_retained_until(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<DateTime<Utc>>> {
        api(ctx)?
            .db
            .backups_retained_until(self.0.id)
            .await
            .or_gql()
    }
    /// Its restore drills, newest first: a failed one is worth an alarm.
    #[graphql(complexity = "crate::graphql::page::cost(Some(first), child_complexity)")]
    async fn restore_drills(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
    ) -> async_graphql::Result<Vec<super::backup::DrillNode>> {
        super::backup::drills(ctx, &self.0, first).await
    }
    /// The instance it was restored from, if it was.
    async fn restored_from(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ID>> {
        Ok(api(ctx)?
            .db
            .restore_source(self.0.id)
            .await
            .or_gql()?
            .map(|(source, _)| ID(source.to_string())))
    }
    /// Its operations, newest first.
    #[graphql(complexity = "crate::graphql::page::cost(Some(first), child_complexity)")]
    async fn operations(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
    ) -> async_graphql::Result<Vec<OperationNode>> {
        super::operation::newest_on_target(ctx, self.0.project_id, self.0.id.0, first).await
    }
}

/// One health check.
#[derive(SimpleObject)]
#[graphql(name = "HealthCheck")]
pub(crate) struct HealthCheckNode {
    /// When it ran.
    checked_at: DateTime<Utc>,
    /// Whether it connected and queried.
    healthy: bool,
    /// Round trip of the query, in milliseconds.
    latency_ms: Option<f64>,
    /// The server's version.
    server_version: Option<String>,
    /// Why it failed.
    error: Option<String>,
}

/// What to create.
#[derive(InputObject)]
pub(crate) struct CreateInstanceInput {
    /// A DNS-1123 label, unique among the project's live instances.
    name: String,
    /// PostgreSQL major version; the newest installed if omitted (see `versions`).
    version: Option<i32>,
    /// Storage in GB, 1 to 16384; 10 if omitted.
    storage_gb: Option<i32>,
    /// The login role; `app` if omitted.
    username: Option<String>,
    /// The database; named after the role if omitted.
    database: Option<String>,
    /// The role's password, at least 12 characters; a strong one is generated if omitted.
    password: Option<String>,
    /// Where to run it; `LOCAL` if omitted (see `instanceProviders`).
    provider: Option<ProviderValue>,
    /// The plan (see `instancePlans`); `small` if omitted.
    plan: Option<String>,
    /// On Kubernetes, how clients reach it; the installation's default if omitted.
    service_type: Option<ServiceTypeValue>,
    /// On servers, the server to place it on; chosen by the placement rule if omitted (the
    /// active server with the most free memory, then disk, then fewest instances).
    server_id: Option<ID>,
    /// On servers, the region to place it in when no server is named.
    region: Option<String>,
    /// The project; the default project if omitted.
    project_id: Option<ID>,
    /// How many standbys to give it, 0 to 2 (LOCAL and SERVER instances; each SERVER
    /// standby on a server of its own); none if omitted. They count toward the project's
    /// standby quota.
    standbys: Option<i32>,
    /// Whether each commit waits until a standby has it, so that a failover loses no
    /// acknowledged write; needs a standby. Not if omitted.
    synchronous: Option<bool>,
}

/// What `createInstance` returns.
#[derive(SimpleObject)]
pub(crate) struct CreateInstancePayload {
    /// The new instance, `CREATING`.
    pub(crate) instance: InstanceNode,
    /// The operation that makes it; follow it with `operationUpdated`.
    pub(crate) operation: OperationNode,
}

/// Which instances to list.
#[derive(InputObject, Default)]
#[graphql(name = "InstanceFilter")]
pub(crate) struct InstanceFilterInput {
    /// Only this state; without it, deleted instances are left out.
    state: Option<InstanceStateValue>,
    /// Only this health.
    health: Option<HealthValue>,
    /// Only this provider.
    provider: Option<ProviderValue>,
    /// Only names containing this text.
    name_contains: Option<String>,
    /// Only this project's (one the caller is in; none otherwise).
    project_id: Option<ID>,
}

#[derive(Default)]
pub(crate) struct InstanceQuery;

#[Object]
impl InstanceQuery {
    /// One instance, if the caller may see it. A deleted instance stays visible as `DELETED`.
    async fn instance(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<InstanceNode>> {
        let me = caller(ctx)?;
        let id = InstanceId(parse_id(&id, "instance")?);
        let db = &api(ctx)?.db;
        let load = db.sealed_instance(id);
        let found = match ctx.data_opt::<Arc<InstanceCache>>() {
            Some(cache) => cache.0.get(id, load).await,
            None => load.await.map(Arc::new),
        };
        let Some(row) = visible(me, found, |r| r.instance.project_id)? else {
            return Ok(None);
        };
        // The password is unsealed for the connection strings alone.
        let look = ctx.look_ahead();
        let password = if look.field("connectionString").exists()
            || look.field("readOnlyConnectionString").exists()
        {
            db.unseal_password(&row).or_gql()?
        } else {
            None
        };
        Ok(Some(InstanceNode(row.instance.clone(), password)))
    }

    /// Instances the caller may see, newest first.
    #[graphql(complexity = "crate::graphql::page::cost(first, child_complexity)")]
    async fn instances(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<InstanceFilterInput>,
    ) -> async_graphql::Result<Connection<InstanceNode>> {
        let me = caller(ctx)?;
        let paging = Paging::new(first, after)?;
        let filter = filter.unwrap_or_default();
        let page = api(ctx)?
            .db
            .instances(
                &jobs::db::InstanceFilter {
                    projects: super::only_project(me, filter.project_id.as_ref())?,
                    state: filter.state.map(Into::into),
                    health: filter.health.map(Into::into),
                    provider: filter.provider.map(Into::into),
                    name_contains: filter.name_contains,
                },
                paging.after.map(InstanceId),
                paging.first,
            )
            .await
            .or_gql()?;
        Ok(paging.connection(page, InstanceNode::from))
    }

    /// The PostgreSQL major versions a provider (`LOCAL` if omitted) runs on this installation.
    async fn versions(
        &self,
        ctx: &Context<'_>,
        provider: Option<ProviderValue>,
    ) -> async_graphql::Result<Vec<i32>> {
        let me = caller(ctx)?;
        let provider = provider.map_or(Provider::Local, Into::into);
        let api = api(ctx)?;
        let versions = match provider {
            // What the active servers of the caller's projects have between them.
            Provider::Server if api.offer.server_versions.is_some() => {
                let mut all = std::collections::BTreeSet::new();
                for project in me.visible_projects() {
                    all.extend(api.db.server_versions(project).await.or_gql()?);
                }
                all.into_iter().collect()
            }
            other => api.offer.versions(other),
        };
        Ok(versions
            .into_iter()
            .filter_map(|v| i32::try_from(v).ok())
            .collect())
    }

    /// The providers instances can be created on here: `LOCAL` always, `KUBERNETES` when a
    /// cluster is configured, `SERVER` when an SSH key is (see `registerServer`).
    async fn instance_providers(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<ProviderValue>> {
        caller(ctx)?;
        Ok(api(ctx)?
            .offer
            .providers()
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// The plans instances can have.
    async fn instance_plans(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<InstancePlanNode>> {
        caller(ctx)?;
        Ok(inst::PLANS.iter().map(Into::into).collect())
    }
}

#[derive(Default)]
pub(crate) struct InstanceMutation;

async fn change(ctx: &Context<'_>, id: &ID, kind: Kind) -> async_graphql::Result<OperationNode> {
    let me = caller(ctx)?;
    let id = InstanceId(parse_id(id, "instance")?);
    let found = api(ctx)?.db.instance(id).await;
    let instance = writable(me, found, |i| i.project_id, "instance")?;
    let op = inst::change(&api(ctx)?.db, instance.id, kind, Some(me.user_id))
        .await
        .or_gql()?;
    Ok(OperationNode(op))
}

#[Object]
impl InstanceMutation {
    /// Ask for a new instance. Returns at once with the instance (`CREATING`) and the
    /// operation that makes it; bad input creates nothing.
    async fn create_instance(
        &self,
        ctx: &Context<'_>,
        input: CreateInstanceInput,
    ) -> async_graphql::Result<CreateInstancePayload> {
        let me = caller(ctx)?;
        let project = writable_project(
            me,
            input.project_id.as_ref(),
            "create instances in this project",
        )?;
        let api = api(ctx)?;
        let request = inst::CreateInstance {
            project_id: Some(project),
            name: input.name,
            version: input.version,
            storage_gb: input.storage_gb,
            username: input.username,
            database: input.database,
            password: input.password,
            provider: input.provider.map(Into::into),
            plan: input.plan,
            service_type: input.service_type.map(Into::into),
            server_id: input
                .server_id
                .map(|s| parse_id(&s, "server").map(jobs::server::ServerId))
                .transpose()?,
            region: input.region,
            standbys: input.standbys,
            synchronous: input.synchronous,
        };
        let (instance, op) = inst::create(&api.db, &request, &api.offer, project, Some(me.user_id))
            .await
            .or_gql()?;
        Ok(CreateInstancePayload {
            instance: InstanceNode::from(instance),
            operation: OperationNode(op),
        })
    }

    /// Move a SERVER instance to another server (`serverId`, or the best one by the placement
    /// rule): a new copy streams from it, catches up, and takes over; writes pause only for
    /// the cutover, whose length the move records (`InstanceMove.unavailableMs`). Returns the
    /// `move_instance` operation.
    async fn move_instance(
        &self,
        ctx: &Context<'_>,
        id: ID,
        server_id: Option<ID>,
    ) -> async_graphql::Result<OperationNode> {
        let me = caller(ctx)?;
        let id = InstanceId(parse_id(&id, "instance")?);
        let target = server_id
            .map(|s| parse_id(&s, "server").map(jobs::server::ServerId))
            .transpose()?;
        let found = api(ctx)?.db.instance(id).await;
        let instance = writable(me, found, |i| i.project_id, "instance")?;
        let (_, op) = inst::moves::start(&api(ctx)?.db, instance.id, target, Some(me.user_id))
            .await
            .or_gql()?;
        Ok(OperationNode(op))
    }

    /// Stop the instance and remove it with all its data. On Kubernetes, `retainStorage`
    /// keeps its volume (the PVC); the installation's default (`TOYGRES_K8S_RETAIN_PVC`)
    /// applies if omitted. Its backups are kept for their retention period, so that
    /// `restoreInstance` can bring it back, unless `purgeBackups` is true.
    async fn delete_instance(
        &self,
        ctx: &Context<'_>,
        id: ID,
        retain_storage: Option<bool>,
        purge_backups: Option<bool>,
    ) -> async_graphql::Result<OperationNode> {
        let me = caller(ctx)?;
        let id = InstanceId(parse_id(&id, "instance")?);
        let found = api(ctx)?.db.instance(id).await;
        let instance = writable(me, found, |i| i.project_id, "instance")?;
        let options = inst::DeleteOptions {
            retain_storage,
            purge_backups,
        };
        let op = inst::delete(&api(ctx)?.db, instance.id, options, Some(me.user_id))
            .await
            .or_gql()?;
        Ok(OperationNode(op))
    }

    /// Stop a running instance, keeping its data.
    async fn stop_instance(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<OperationNode> {
        change(ctx, &id, Kind::StopInstance).await
    }

    /// Start a stopped or failed instance.
    async fn start_instance(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<OperationNode> {
        change(ctx, &id, Kind::StartInstance).await
    }

    /// Stop and start a running instance.
    async fn restart_instance(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<OperationNode> {
        change(ctx, &id, Kind::RestartInstance).await
    }
}

#[derive(Default)]
pub(crate) struct InstanceSubscription;

#[Subscription]
impl InstanceSubscription {
    /// Every state and health change of one instance (`id`), or of every instance the caller
    /// may see. A subscriber that falls behind gets a `LAGGED` error and should refetch.
    async fn instance_updated(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<InstanceNode>> + use<>>
    {
        let me = caller(ctx)?.clone();
        let only = id
            .map(|i| parse_id(&i, "instance").map(InstanceId))
            .transpose()?;
        Ok(super::watch(&api(ctx)?.bus, move |event| match event {
            Event::Instance(i) if me.can_see(i.project_id) && only.is_none_or(|id| id == i.id) => {
                Some(InstanceNode::from(i.clone()))
            }
            _ => None,
        }))
    }
}

/// A table, view or materialized view of an instance's database.
#[derive(SimpleObject)]
#[graphql(name = "Table")]
pub(crate) struct TableNode {
    /// Its schema.
    schema: String,
    /// Its name.
    name: String,
    /// `table`, `partitioned table`, `view` or `materialized view`.
    kind: String,
    /// The planner's estimate of its rows (-1 when never analyzed).
    estimated_rows: i64,
    /// Its size with indexes and TOAST, in bytes.
    size_bytes: i64,
    /// Its columns, in order.
    columns: Vec<TableColumnNode>,
    /// Its indexes.
    indexes: Vec<TableIndexNode>,
}

/// A column of a table.
#[derive(SimpleObject)]
#[graphql(name = "TableColumn")]
pub(crate) struct TableColumnNode {
    /// Its name.
    name: String,
    /// Its type, as Postgres writes it.
    data_type: String,
    /// Whether it may be null.
    nullable: bool,
    /// Its default expression.
    default: Option<String>,
    /// Whether it is part of the primary key.
    primary_key: bool,
}

/// An index of a table.
#[derive(SimpleObject)]
#[graphql(name = "TableIndex")]
pub(crate) struct TableIndexNode {
    /// Its name.
    name: String,
    /// Its definition.
    definition: String,
    /// Whether it is unique.
    unique: bool,
    /// Whether it is the primary key.
    primary: bool,
}

/// A column of a result.
#[derive(SimpleObject)]
#[graphql(name = "ResultColumn")]
pub(crate) struct ResultColumnNode {
    /// Its name.
    name: String,
    /// Its type, as Postgres names it.
    data_type: String,
}

/// Rows with typed columns.
#[derive(SimpleObject)]
#[graphql(name = "RowSet")]
pub(crate) struct RowSetNode {
    /// The columns.
    columns: Vec<ResultColumnNode>,
    /// The rows: one list per row, one JSON value per column, as Postgres renders it.
    rows: async_graphql::Json<Vec<Vec<serde_json::Value>>>,
    /// Whether rows were left out (by the page size, or the row or byte limit).
    truncated: bool,
    /// For a table's rows: pass as `after` for the next page.
    next_cursor: Option<String>,
}

impl From<jobs::browser::RowSet> for RowSetNode {
    fn from(r: jobs::browser::RowSet) -> Self {
        Self {
            columns: r
                .columns
                .into_iter()
                .map(|c| ResultColumnNode {
                    name: c.name,
                    data_type: c.data_type,
                })
                .collect(),
            rows: async_graphql::Json(r.rows),
            truncated: r.truncated,
            next_cursor: r.next_cursor,
        }
    }
}

/// A connection to `instance` as its own role, for the browser: admins and operators of its
/// project only, a running instance only.
async fn browse(
    ctx: &Context<'_>,
    instance: &Instance,
) -> async_graphql::Result<jobs::browser::Browser> {
    let me = caller(ctx)?;
    match me.role_in(instance.project_id) {
        Some(role) if role.can_write() => {}
        _ => return Err(crate::error::forbidden("browse instances' data")),
    }
    if instance.state != InstanceState::Running {
        return Err(crate::error::coded(
            crate::error::code::CONFLICT,
            format!("instance {} is not running", instance.name),
        ));
    }
    let db = &api(ctx)?.db;
    let password = db.instance_password(instance.id).await.or_gql()?;
    let ca = super::tls::certificate_authority_pem(db).await?;
    jobs::browser::Browser::connect(instance, &password, &ca)
        .await
        .or_gql()
}

#[derive(Default)]
pub(crate) struct BrowserMutation;

#[Object]
impl BrowserMutation {
    /// Run one read-only statement that returns rows (`SELECT`, `VALUES`, `TABLE`, `WITH …
    /// SELECT`) on an instance's database, as its own role (admins and operators): in a
    /// `READ ONLY` transaction that is rolled back, within 5 s, at most 500 rows and 1 MiB.
    async fn run_read_only_query(
        &self,
        ctx: &Context<'_>,
        instance_id: ID,
        sql: String,
    ) -> async_graphql::Result<RowSetNode> {
        let me = caller(ctx)?;
        let id = InstanceId(parse_id(&instance_id, "instance")?);
        let found = api(ctx)?.db.instance(id).await;
        let instance = visible(me, found, |i| i.project_id)?.ok_or_else(|| {
            crate::error::coded(crate::error::code::NOT_FOUND, "instance not found")
        })?;
        let mut conn = browse(ctx, &instance).await?;
        let result = conn.run_read_only(&sql).await.or_gql();
        conn.close().await;
        Ok(result?.into())
    }
}
