//! The server fleet: servers on Hetzner and DigitalOcean, their plans, templates and events,
//! and the mutations that provision, drain, remove and scale them.
//!
//! # Layout
//! * `nodes`: servers, their states, events, plans and templates as the schema shows them.
//! * `scaling`: scaling decisions and the operations that carried them out.
//! * here: the inputs, and the fleet's queries, mutations and subscriptions.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject, Subscription};
use futures::Stream;

use super::operation::OperationNode;
use super::page::{Connection, Paging};
use super::{api, caller, parse_id, visible, writable, writable_project};
use crate::error::{OrGql as _, forbidden};
use jobs::events::Event;
use jobs::server::{self as srv, CloudProvider, ServerId};
use jobs::user::{DEFAULT_PROJECT_ID, ProjectId};
use jobs::workflow::Kind;

mod nodes;
mod scaling;

pub(crate) use nodes::*;
pub(crate) use scaling::*;

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

/// What `registerServer` returns.
#[derive(SimpleObject)]
pub(crate) struct RegisterServerPayload {
    /// The new server, `BOOTSTRAPPING` until its key is authorised and it is reached.
    server: ServerNode,
    /// The operation that reaches it: it waits (saying so in its `error`) until the key is
    /// authorised.
    operation: OperationNode,
    /// The server's own public SSH key (also `server.sshPublicKey`): add this line to the
    /// `authorized_keys` of `sshUser` on the host. Toygres logs in with this key alone.
    authorized_key: String,
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
    #[graphql(complexity = "crate::graphql::page::cost(first, child_complexity)")]
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
    #[graphql(complexity = "crate::graphql::page::cost(first, child_complexity)")]
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
    #[graphql(complexity = "crate::graphql::page::cost(first, child_complexity)")]
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
    /// operation, with a `move_instance` operation per instance. An instance with standbys
    /// is not moved: first, one instance at a time, a primary on the server switches over to
    /// a standby streaming elsewhere (`switchover`), and each standby on the server, the old
    /// primary included, is copied afresh onto another server (`relocate_standby`). With
    /// `dryRun`, only return the plan: each action, its target and the order, or why it
    /// cannot be done. Without room for everything elsewhere (or a standby streaming
    /// elsewhere to switch over to), the drain is refused (`CONFLICT`) before anything
    /// happens.
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

    /// Add a host we did not make to the fleet, by address. Returns at once with the server
    /// (`BOOTSTRAPPING`), the operation, and `authorizedKey`, a public SSH key made for this
    /// server alone: once the host's owner adds it to `sshUser`'s `authorized_keys`, Toygres
    /// logs in with it (until then the operation waits and says so in its `error`), trusts
    /// and records the host key it presents, finds its PostgreSQL versions, memory and disk,
    /// and makes it active. An address some server already has (in any project, in any state
    /// but `REMOVED`; `::ffff:a.b.c.d` is `a.b.c.d`) is a `CONFLICT`; loopback, link-local and
    /// metadata-service addresses are `INVALID_INPUT` unless the operator allows them. Bad
    /// input records nothing.
    async fn register_server(
        &self,
        ctx: &Context<'_>,
        input: RegisterServerInput,
    ) -> async_graphql::Result<RegisterServerPayload> {
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
        let (server, op) = srv::register(&api.db, &request, project, Some(me.user_id), &api.fleet)
            .await
            .or_gql()?;
        let authorized_key = server
            .ssh_public_key
            .clone()
            .expect("a registered server is recorded with its key");
        Ok(RegisterServerPayload {
            server: ServerNode(server),
            operation: OperationNode(op),
            authorized_key,
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
