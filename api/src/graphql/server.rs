//! The server fleet: servers on Hetzner and DigitalOcean, their plans, templates and events,
//! and the mutations that provision, drain, remove and scale them.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures::Stream;

use super::cluster::ServerHealth;
use super::operation::OperationNode;
use super::page::{Connection, Paging};
use super::{api, caller, parse_id, visible, writable, writable_project};
use crate::error::{OrGql as _, forbidden};
use jobs::events::Event;
use jobs::server::{
    self as srv, CloudProvider, ClusterEvent, ScalingOperation, Server, ServerId, ServerState,
};
use jobs::user::{DEFAULT_PROJECT_ID, ProjectId};
use jobs::workflow::Kind;

/// A cloud that rents us servers.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(name = "CloudProvider")]
pub(crate) enum CloudProviderValue {
    /// Hetzner Cloud.
    Hetzner,
    /// DigitalOcean.
    Digitalocean,
    /// A host we did not make, registered by address (`registerServer`).
    Existing,
}

/// Where a server is in its life.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(name = "ServerState")]
pub(crate) enum ServerStateValue {
    /// The VM is being created.
    Provisioning,
    /// The VM runs; its template is being installed and SSH awaited.
    Bootstrapping,
    /// Ready to host instances.
    Active,
    /// Nothing new is placed on it.
    Draining,
    /// Its VM is being deleted.
    Removing,
    /// Gone.
    Removed,
    /// Provisioning or removal gave up; `failureReason` says why.
    Failed,
}

mirror!(
    CloudProviderValue,
    CloudProvider,
    Hetzner,
    Digitalocean,
    Existing
);
mirror!(
    ServerStateValue,
    ServerState,
    Provisioning,
    Bootstrapping,
    Active,
    Draining,
    Removing,
    Removed,
    Failed
);

/// A label on a server's VM.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "LabelInput")]
pub(crate) struct Label {
    /// Its key.
    key: String,
    /// Its value.
    value: String,
}

/// A VM in the fleet.
pub(crate) struct ServerNode(pub(crate) Server);

#[Object(name = "Server")]
impl ServerNode {
    /// Its id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The project it belongs to.
    async fn project_id(&self) -> ID {
        ID(self.0.project_id.0.to_string())
    }
    /// Its name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Its cloud.
    async fn provider(&self) -> CloudProviderValue {
        self.0.provider.into()
    }
    /// Its plan (server type or size slug).
    async fn plan(&self) -> &str {
        &self.0.plan
    }
    /// Its region.
    async fn region(&self) -> &str {
        &self.0.region
    }
    /// The cloud's id for its VM, once known.
    async fn provider_id(&self) -> Option<&str> {
        self.0.provider_id.as_deref()
    }
    /// The VM's name at the cloud.
    async fn vm_name(&self) -> String {
        self.0.vm_name()
    }
    /// Public IPv4, once known.
    async fn ipv4(&self) -> Option<String> {
        self.0.ipv4.map(|a| a.to_string())
    }
    /// Public IPv6, once known.
    async fn ipv6(&self) -> Option<String> {
        self.0.ipv6.map(|a| a.to_string())
    }
    /// Labels asked for at provisioning.
    async fn labels(&self) -> Vec<Label> {
        self.0
            .labels
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| Label {
                        key: k.clone(),
                        value: v.as_str().unwrap_or_default().to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
    /// Where it is in its life.
    async fn state(&self) -> ServerStateValue {
        self.0.state.into()
    }
    /// Why it failed, when it did.
    async fn failure_reason(&self) -> Option<&str> {
        self.0.failure_reason.as_deref()
    }
    /// The template it boots from.
    async fn template(&self) -> &str {
        &self.0.template
    }
    /// The image it boots.
    async fn image(&self) -> &str {
        &self.0.image
    }
    /// When it was asked for.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// When its state last changed.
    async fn state_changed_at(&self) -> DateTime<Utc> {
        self.0.state_changed_at
    }
    /// When it was removed.
    async fn removed_at(&self) -> Option<DateTime<Utc>> {
        self.0.removed_at
    }
    /// The port its sshd listens on.
    async fn ssh_port(&self) -> i32 {
        self.0.ssh_port
    }
    /// The user Toygres logs in as.
    async fn ssh_user(&self) -> &str {
        &self.0.ssh_user
    }
    /// The host key it presented when first reached (`<type> <base64>`), trusted from then
    /// on; a server that presents another is refused.
    async fn ssh_host_key(&self) -> Option<&str> {
        self.0.ssh_host_key.as_deref()
    }
    /// Memory instances may use, in GB, once known.
    async fn memory_gb(&self) -> Option<f64> {
        self.0.memory_mb.map(|m| f64::from(m) / 1024.0)
    }
    /// Disk instances may use, in GB, once known.
    async fn disk_gb(&self) -> Option<i32> {
        self.0.disk_gb
    }
    /// The PostgreSQL majors installed there, once reached.
    async fn pg_versions(&self) -> &[i32] {
        &self.0.pg_versions
    }
    /// The live instances it hosts, by name.
    async fn instances(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::instance::InstanceNode>> {
        Ok(api(ctx)?
            .db
            .instances_on_server(self.0.id)
            .await
            .or_gql()?
            .into_iter()
            .map(super::instance::InstanceNode)
            .collect())
    }
    /// How many live instances it hosts.
    async fn instance_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        let counts = api(ctx)?
            .db
            .instance_counts_by_server(&[self.0.id])
            .await
            .or_gql()?;
        Ok(counts.get(&self.0.id).copied().unwrap_or(0))
    }
    /// Its events, newest first.
    async fn events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<ClusterEventNode>> {
        let paging = Paging::new(first, after)?;
        events_page(ctx, &[self.0.project_id], Some(self.0.id), None, paging).await
    }
    /// Its operations, newest first.
    async fn operations(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
    ) -> async_graphql::Result<Vec<OperationNode>> {
        super::operation::newest_on_target(ctx, self.0.project_id, self.0.id.0, first).await
    }
    /// Its newest CPU and memory figures, from the last hour.
    async fn latest_metrics(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<ServerHealth>> {
        let since = Utc::now() - chrono::Duration::hours(1);
        let sample = api(ctx)?
            .db
            .latest_server_sample(self.0.id.0, since)
            .await
            .or_gql()?;
        Ok(sample.map(|s| ServerHealth {
            server_id: ID(self.0.id.to_string()),
            cpu_percent: s.cpu_percent,
            memory_percent: s.memory_percent,
            sampled_at: s.sampled_at,
        }))
    }
}

/// Something notable that happened in the fleet.
pub(crate) struct ClusterEventNode(pub(crate) ClusterEvent);

#[Object(name = "ClusterEvent")]
impl ClusterEventNode {
    /// Its id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The server it concerns, if one.
    async fn server_id(&self) -> Option<ID> {
        self.0.server_id.map(|s| ID(s.to_string()))
    }
    /// The instance it concerns, if one.
    async fn instance_id(&self) -> Option<ID> {
        self.0.instance_id.map(|s| ID(s.to_string()))
    }
    /// What happened, in snake_case (`server_active`, `vm_created`, `cpu_high`).
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    /// `info`, `warning` or `critical`.
    async fn severity(&self) -> &str {
        &self.0.severity
    }
    /// What happened, for people.
    async fn message(&self) -> &str {
        &self.0.message
    }
    /// Details, for programs, as JSON text.
    async fn details(&self) -> String {
        self.0.details.to_string()
    }
    /// When.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A plan a cloud offers.
#[derive(SimpleObject)]
#[graphql(name = "Plan")]
pub(crate) struct PlanNode {
    /// Its name, as `provisionServer` takes it.
    name: String,
    /// vCPUs.
    cores: i32,
    /// Memory, in GB.
    memory_gb: f64,
    /// Local disk, in GB.
    disk_gb: i32,
    /// Monthly price, when known.
    monthly_price: Option<f64>,
    /// Currency of the price.
    currency: String,
    /// `x86` or `arm`.
    architecture: String,
    /// Regions offering it; empty when unknown.
    regions: Vec<String>,
    /// Whether the cloud marks it deprecated.
    deprecated: bool,
}

impl From<jobs::server::Plan> for PlanNode {
    fn from(p: jobs::server::Plan) -> Self {
        Self {
            name: p.name,
            cores: i32::try_from(p.cores).unwrap_or(i32::MAX),
            memory_gb: p.memory_gb,
            disk_gb: i32::try_from(p.disk_gb).unwrap_or(i32::MAX),
            monthly_price: p.monthly_price,
            currency: p.currency.to_owned(),
            architecture: p.architecture.to_owned(),
            regions: p.regions,
            deprecated: p.deprecated,
        }
    }
}

/// A cloud-init template new servers boot from.
#[derive(SimpleObject)]
#[graphql(name = "ServerTemplate")]
pub(crate) struct ServerTemplateNode {
    /// Its name, as `provisionServer` takes it.
    name: String,
    /// What it installs.
    description: String,
    /// The cloud-config document, with `{{placeholders}}` filled per server.
    user_data: String,
}

/// Add a server, or remove one.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
pub(crate) enum ScaleActionKind {
    /// Provision a new server.
    Add,
    /// Remove an active server.
    Remove,
}

/// One step of a scaling plan.
#[derive(SimpleObject)]
pub(crate) struct ScaleAction {
    /// Its place in the order (from 1).
    order: i32,
    /// Add or remove.
    action: ScaleActionKind,
    /// The server added (its id to be) or removed.
    server_id: ID,
    /// Its name.
    server_name: String,
    /// What it costs per month, when known.
    monthly_cost: Option<f64>,
}

/// A scaling decision: the plan, and (unless a dry run) the operation carrying it out.
pub(crate) struct ScalingOperationNode(pub(crate) ScalingOperation);

#[Object(name = "ScalingOperation")]
impl ScalingOperationNode {
    /// Its id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The cloud.
    async fn provider(&self) -> CloudProviderValue {
        self.0.provider.into()
    }
    /// The group's plan.
    async fn plan(&self) -> &str {
        &self.0.plan
    }
    /// The group's region.
    async fn region(&self) -> &str {
        &self.0.region
    }
    /// Servers in the group when asked (provisioning, bootstrapping or active).
    async fn current_count(&self) -> i32 {
        self.0.current_count
    }
    /// Servers asked for.
    async fn target_count(&self) -> i32 {
        self.0.target_count
    }
    /// Whether it only planned.
    async fn dry_run(&self) -> bool {
        self.0.dry_run
    }
    /// The steps, in order.
    async fn actions(&self) -> Vec<ScaleAction> {
        self.0
            .steps()
            .into_iter()
            .map(|a| ScaleAction {
                order: a.order,
                action: if a.action == "add" {
                    ScaleActionKind::Add
                } else {
                    ScaleActionKind::Remove
                },
                server_id: ID(a.server_id.to_string()),
                server_name: a.server_name,
                monthly_cost: a.monthly_cost,
            })
            .collect()
    }
    /// The change of the group's monthly cost, when the price is known.
    async fn monthly_cost_delta(&self) -> Option<f64> {
        self.0.monthly_cost_delta
    }
    /// The currency of the costs.
    async fn currency(&self) -> Option<&str> {
        self.0.currency.as_deref()
    }
    /// The operation carrying it out; none for a dry run.
    async fn operation(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<OperationNode>> {
        let Some(id) = self.0.operation_id else {
            return Ok(None);
        };
        let op = api(ctx)?
            .db
            .operation(jobs::operation::OperationId(id))
            .await
            .or_gql()?;
        Ok(Some(OperationNode(op)))
    }
    /// When it was asked for.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// Which servers to list.
#[derive(InputObject, Default)]
pub(crate) struct ServerFilterInput {
    /// Only this state; without it, removed servers are left out.
    state: Option<ServerStateValue>,
    /// Only this cloud.
    provider: Option<CloudProviderValue>,
    /// Only this region.
    region: Option<String>,
    /// Only names containing this.
    name_contains: Option<String>,
    /// Only this project's (one the caller is in; none otherwise).
    project_id: Option<ID>,
}

/// What `provisionServer` takes.
#[derive(InputObject)]
pub(crate) struct ProvisionServerInput {
    /// The cloud.
    provider: CloudProviderValue,
    /// A plan, by name (see `plans`).
    plan: String,
    /// A region, by name.
    region: String,
    /// A DNS-1123 name; generated from region and plan when absent.
    name: Option<String>,
    /// A template (see `serverTemplates`); `postgres-host` when absent.
    template: Option<String>,
    /// The project; the default project when absent.
    project_id: Option<ID>,
    /// More labels for the VM.
    #[graphql(default)]
    labels: Vec<Label>,
}

/// What `registerServer` takes.
#[derive(InputObject)]
pub(crate) struct RegisterServerInput {
    /// A DNS-1123 name, unique in the project.
    name: String,
    /// Its IP address: SSH is reached there, and its instances listen there.
    address: String,
    /// Its SSH port; 22 if omitted.
    ssh_port: Option<i32>,
    /// The user to log in as: `root`, `postgres`, or one that may `sudo -u postgres`; `root`
    /// if omitted.
    ssh_user: Option<String>,
    /// A region name of your choosing (placement can ask for one); `default` if omitted.
    region: Option<String>,
    /// Memory instances may use, in GB; measured if omitted.
    memory_gb: Option<f64>,
    /// Disk instances may use, in GB; the free disk under the instances' root if omitted.
    disk_gb: Option<i32>,
    /// The project; the default project if omitted.
    project_id: Option<ID>,
}

/// What `provisionServer` returns.
#[derive(SimpleObject)]
pub(crate) struct ProvisionServerPayload {
    /// The new server, `PROVISIONING`.
    server: ServerNode,
    /// The operation that provisions it.
    operation: OperationNode,
}

/// One page of the events of `projects`, of one server or instance when given.
pub(crate) async fn events_page(
    ctx: &Context<'_>,
    projects: &[ProjectId],
    server: Option<ServerId>,
    instance: Option<uuid::Uuid>,
    paging: Paging,
) -> async_graphql::Result<Connection<ClusterEventNode>> {
    let page = api(ctx)?
        .db
        .cluster_events(projects, server, instance, paging.after, paging.first)
        .await
        .or_gql()?;
    Ok(paging.connection(page, ClusterEventNode))
}

#[derive(Default)]
pub(crate) struct ServerQuery;

#[Object]
impl ServerQuery {
    /// One server, if the caller may see it. A removed server stays visible as `REMOVED`.
    async fn server(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<ServerNode>> {
        let me = caller(ctx)?;
        let id = ServerId(parse_id(&id, "server")?);
        let found = api(ctx)?.db.server(id).await;
        Ok(visible(me, found, |s| s.project_id)?.map(ServerNode))
    }

    /// Servers the caller may see, newest first.
    async fn servers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<ServerFilterInput>,
    ) -> async_graphql::Result<Connection<ServerNode>> {
        let me = caller(ctx)?;
        let paging = Paging::new(first, after)?;
        let filter = filter.unwrap_or_default();
        let page = api(ctx)?
            .db
            .servers(
                &jobs::db::ServerFilter {
                    projects: super::only_project(me, filter.project_id.as_ref())?,
                    state: filter.state.map(Into::into),
                    provider: filter.provider.map(Into::into),
                    region: filter.region,
                    name_contains: filter.name_contains,
                },
                paging.after.map(ServerId),
                paging.first,
            )
            .await
            .or_gql()?;
        Ok(paging.connection(page, ServerNode))
    }

    /// The plans a cloud offers: its last refreshed listing, or Toygres's built-in table.
    async fn plans(
        &self,
        ctx: &Context<'_>,
        provider: CloudProviderValue,
    ) -> async_graphql::Result<Vec<PlanNode>> {
        caller(ctx)?;
        let plans = srv::plans(&api(ctx)?.db, provider.into()).await.or_gql()?;
        Ok(plans.into_iter().map(PlanNode::from).collect())
    }

    /// The regions a cloud offers.
    async fn regions(
        &self,
        ctx: &Context<'_>,
        provider: CloudProviderValue,
    ) -> async_graphql::Result<Vec<String>> {
        caller(ctx)?;
        Ok(CloudProvider::from(provider)
            .regions()
            .iter()
            .map(|r| (*r).to_owned())
            .collect())
    }

    /// The clouds this installation has tokens for.
    async fn configured_providers(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<CloudProviderValue>> {
        caller(ctx)?;
        let fleet = &api(ctx)?.fleet;
        Ok([CloudProvider::Hetzner, CloudProvider::Digitalocean]
            .into_iter()
            .filter(|p| fleet.is_configured(*p))
            .map(Into::into)
            .collect())
    }

    /// The templates new servers can boot from.
    async fn server_templates(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<ServerTemplateNode>> {
        caller(ctx)?;
        Ok(srv::TEMPLATES
            .iter()
            .map(|t| ServerTemplateNode {
                name: t.name.to_owned(),
                description: t.description.to_owned(),
                user_data: t.body.to_owned(),
            })
            .collect())
    }

    /// Scaling decisions the caller may see, newest first.
    async fn scaling_operations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<ScalingOperationNode>> {
        let me = caller(ctx)?;
        let paging = Paging::new(first, after)?;
        let page = api(ctx)?
            .db
            .scaling_operations(&me.visible_projects(), paging.after, paging.first)
            .await
            .or_gql()?;
        Ok(paging.connection(page, ScalingOperationNode))
    }

    /// Fleet events the caller may see (and the cluster's own), newest first.
    async fn cluster_events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        server_id: Option<ID>,
        instance_id: Option<ID>,
    ) -> async_graphql::Result<Connection<ClusterEventNode>> {
        let me = caller(ctx)?;
        let server = server_id
            .map(|s| parse_id(&s, "server").map(ServerId))
            .transpose()?;
        let instance = instance_id.map(|i| parse_id(&i, "instance")).transpose()?;
        let paging = Paging::new(first, after)?;
        events_page(ctx, &me.visible_projects(), server, instance, paging).await
    }
}

#[derive(Default)]
pub(crate) struct ServerMutation;

async fn change(ctx: &Context<'_>, id: &ID, kind: Kind) -> async_graphql::Result<OperationNode> {
    let me = caller(ctx)?;
    let id = ServerId(parse_id(id, "server")?);
    let found = api(ctx)?.db.server(id).await;
    let server = writable(me, found, |s| s.project_id, "server")?;
    let op = srv::change(&api(ctx)?.db, server.id, kind, Some(me.user_id))
        .await
        .or_gql()?;
    Ok(OperationNode(op))
}

#[Object]
impl ServerMutation {
    /// Ask for a new server. Returns at once with the server (`PROVISIONING`) and the
    /// operation that creates and bootstraps it; bad input creates nothing.
    async fn provision_server(
        &self,
        ctx: &Context<'_>,
        input: ProvisionServerInput,
    ) -> async_graphql::Result<ProvisionServerPayload> {
        let me = caller(ctx)?;
        let project = writable_project(
            me,
            input.project_id.as_ref(),
            "provision servers in this project",
        )?;
        let api = api(ctx)?;
        let request = srv::ProvisionServer {
            provider: input.provider.into(),
            plan: input.plan,
            region: input.region,
            name: input.name,
            template: input.template,
            labels: input.labels.into_iter().map(|l| (l.key, l.value)).collect(),
        };
        let (server, op) = srv::provision(&api.db, &api.fleet, &request, project, Some(me.user_id))
            .await
            .or_gql()?;
        Ok(ProvisionServerPayload {
            server: ServerNode(server),
            operation: OperationNode(op),
        })
    }

    /// Move every instance off the server, one after the other, each to the best other
    /// active server (see the placement rule in the docs), and place nothing new on it. One
    /// operation, with a `move_instance` operation per instance. With `dryRun`, only return
    /// the plan: each instance, its target and the order, or why it cannot be done. Without
    /// room for every instance elsewhere, the drain is refused (`CONFLICT`) before anything
    /// moves.
    async fn drain_server(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(default = false)] dry_run: bool,
    ) -> async_graphql::Result<super::moves::DrainServerPayload> {
        let me = caller(ctx)?;
        let sid = ServerId(parse_id(&id, "server")?);
        let found = api(ctx)?.db.server(sid).await;
        let server = writable(me, found, |s| s.project_id, "server")?;
        let plan = srv::drain_plan(&api(ctx)?.db, server.id).await.or_gql()?;
        if dry_run {
            return Ok(super::moves::DrainServerPayload {
                dry_run,
                plan: plan.into(),
                operation: None,
            });
        }
        if let Some(why) = &plan.blocked {
            return Err(crate::error::coded(
                crate::error::code::CONFLICT,
                format!("nothing was moved: {why}"),
            ));
        }
        let op = srv::change(
            &api(ctx)?.db,
            server.id,
            Kind::DrainServer,
            Some(me.user_id),
        )
        .await
        .or_gql()?;
        Ok(super::moves::DrainServerPayload {
            dry_run,
            plan: plan.into(),
            operation: Some(OperationNode(op)),
        })
    }

    /// Add a host we did not make to the fleet, by address: Toygres logs in over SSH (with its
    /// configured key), trusts and records the host key it presents, finds its PostgreSQL
    /// versions, memory and disk, and makes it active. Returns at once with the server
    /// (`BOOTSTRAPPING`) and the operation; bad input records nothing.
    async fn register_server(
        &self,
        ctx: &Context<'_>,
        input: RegisterServerInput,
    ) -> async_graphql::Result<ProvisionServerPayload> {
        let me = caller(ctx)?;
        let project = writable_project(
            me,
            input.project_id.as_ref(),
            "register servers in this project",
        )?;
        let api = api(ctx)?;
        let address = input.address.trim().parse().map_err(|_| {
            crate::error::coded(
                crate::error::code::INVALID_INPUT,
                format!("address {:?} is not an IP address", input.address),
            )
        })?;
        let ssh_port = input
            .ssh_port
            .map(|p| {
                u16::try_from(p).map_err(|_| {
                    crate::error::coded(
                        crate::error::code::INVALID_INPUT,
                        "sshPort must be between 1 and 65535",
                    )
                })
            })
            .transpose()?;
        let request = srv::RegisterServer {
            name: input.name,
            address,
            ssh_port,
            ssh_user: input.ssh_user,
            region: input.region,
            memory_gb: input.memory_gb,
            disk_gb: input.disk_gb,
        };
        let (server, op) = srv::register(
            &api.db,
            &request,
            project,
            Some(me.user_id),
            api.fleet.hosts.configured(),
        )
        .await
        .or_gql()?;
        Ok(ProvisionServerPayload {
            server: ServerNode(server),
            operation: OperationNode(op),
        })
    }

    /// Drain the server, delete its VM, and mark it removed.
    async fn remove_server(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<OperationNode> {
        change(ctx, &id, Kind::RemoveServer).await
    }

    /// Bring a group (cloud, plan, region) to `count` servers. With `dryRun`, only return the
    /// plan: which servers would be added or removed, in what order, at what cost.
    #[allow(clippy::too_many_arguments)]
    async fn scale_cluster(
        &self,
        ctx: &Context<'_>,
        provider: CloudProviderValue,
        plan: String,
        region: String,
        count: i32,
        #[graphql(default = false)] dry_run: bool,
        project_id: Option<ID>,
    ) -> async_graphql::Result<ScalingOperationNode> {
        let me = caller(ctx)?;
        let project = writable_project(me, project_id.as_ref(), "scale servers in this project")?;
        let api = api(ctx)?;
        let input = srv::ScaleCluster {
            provider: provider.into(),
            plan,
            region,
            count,
            dry_run,
        };
        let (scaling, _) = srv::scale(&api.db, &api.fleet, &input, project, Some(me.user_id))
            .await
            .or_gql()?;
        Ok(ScalingOperationNode(scaling))
    }

    /// Replace the plan table with the cloud's own listing (site admins).
    async fn refresh_plans(
        &self,
        ctx: &Context<'_>,
        provider: CloudProviderValue,
    ) -> async_graphql::Result<OperationNode> {
        let me = caller(ctx)?;
        if !me.is_site_admin {
            return Err(forbidden("refresh plans (site admins only)"));
        }
        let api = api(ctx)?;
        let provider = CloudProvider::from(provider);
        api.fleet.cloud(provider).or_gql()?;
        let op = jobs::engine::start(
            &api.db,
            jobs::db::NewOperation {
                project_id: DEFAULT_PROJECT_ID,
                kind: Kind::RefreshPlans,
                target_kind: jobs::operation::TargetKind::System,
                target_id: None,
                provider: None,
                input: serde_json::json!({ "provider": provider }),
                requested_by: Some(me.user_id),
            },
        )
        .await
        .or_gql()?;
        Ok(OperationNode(op))
    }
}

#[derive(Default)]
pub(crate) struct ServerSubscription;

#[Subscription]
impl ServerSubscription {
    /// Every change of one server (`id`), or of every server the caller may see. A subscriber
    /// that falls behind gets a `LAGGED` error and should refetch.
    async fn server_updated(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<ServerNode>> + use<>> {
        let me = caller(ctx)?.clone();
        let only = id
            .map(|i| parse_id(&i, "server").map(ServerId))
            .transpose()?;
        Ok(super::watch(&api(ctx)?.bus, move |event| match event {
            Event::Server(s) if me.can_see(s.project_id) && only.is_none_or(|id| id == s.id) => {
                Some(ServerNode(s.clone()))
            }
            _ => None,
        }))
    }

    /// Every new event the caller may see (and the cluster's own); only one server's with
    /// `serverId`, one instance's with `instanceId`.
    async fn cluster_events(
        &self,
        ctx: &Context<'_>,
        server_id: Option<ID>,
        instance_id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<ClusterEventNode>> + use<>>
    {
        let me = caller(ctx)?.clone();
        let only = server_id
            .map(|i| parse_id(&i, "server").map(ServerId))
            .transpose()?;
        let instance = instance_id.map(|i| parse_id(&i, "instance")).transpose()?;
        Ok(super::watch(&api(ctx)?.bus, move |event| match event {
            Event::ClusterEvent(e)
                if e.project_id.is_none_or(|p| me.can_see(p))
                    && only.is_none_or(|id| e.server_id == Some(id))
                    && instance.is_none_or(|id| e.instance_id == Some(id)) =>
            {
                Some(ClusterEventNode(e.clone()))
            }
            _ => None,
        }))
    }
}
