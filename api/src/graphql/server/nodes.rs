//! What the fleet's types look like in the schema: servers, their states, events, plans and
//! templates.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::events_page;
use crate::error::OrGql as _;
use crate::graphql::api;
use crate::graphql::cluster::ServerHealth;
use crate::graphql::operation::OperationNode;
use crate::graphql::page::{Connection, Paging};
use jobs::server::{CloudProvider, ClusterEvent, Server, ServerState};

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
    /// Provisioning or removal gave up, or its VM was powered off to fence a primary that
    /// ran on it; `failureReason` says why.
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
    pub(crate) key: String,
    /// Its value.
    pub(crate) value: String,
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
    /// The public half of the server's own SSH key, one `authorized_keys` line: Toygres logs
    /// in with this key alone, so the host's owner must authorise it for `sshUser` (cloud-init
    /// does on provisioned VMs). Null for servers from before keys were per server, which use
    /// the installation's key.
    async fn ssh_public_key(&self) -> Option<&str> {
        self.0.ssh_public_key.as_deref()
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
    ) -> async_graphql::Result<Vec<crate::graphql::instance::InstanceNode>> {
        Ok(api(ctx)?
            .db
            .instances_on_server(self.0.id)
            .await
            .or_gql()?
            .into_iter()
            .map(crate::graphql::instance::InstanceNode::from)
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
    #[graphql(complexity = "crate::graphql::page::cost(first, child_complexity)")]
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
    #[graphql(complexity = "crate::graphql::page::cost(Some(first), child_complexity)")]
    async fn operations(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
    ) -> async_graphql::Result<Vec<OperationNode>> {
        crate::graphql::operation::newest_on_target(ctx, self.0.project_id, self.0.id.0, first)
            .await
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
    pub(crate) name: String,
    /// What it installs.
    pub(crate) description: String,
    /// The cloud-config document, with `{{placeholders}}` filled per server.
    pub(crate) user_data: String,
}
