//! The server fleet: VMs on Hetzner Cloud and DigitalOcean that host Postgres, and the
//! operations that provision, drain, remove and scale them.
//!
//! # Server states
//! ```text
//! provisioning ──▶ bootstrapping ──▶ active ──drain──▶ draining ──remove──▶ removing ──▶ removed
//!      │                 │              └──────────remove──────────────────────┘
//!      └─────────────────┴──(gives up)──▶ failed ──(VM deleted unless kept)── remove ──▶ removed
//! ```
//! `provisioning` covers the create call and the provider's action; `bootstrapping` runs from
//! the VM's first boot until SSH answers (cloud-init installs the template meanwhile).
//!
//! # Idempotence
//! A VM is named `tg-<server id>` and labelled `toygres_server_id=<server id>`. Before
//! creating, a step looks for a VM with that label, so a create whose worker died after the
//! provider answered (but before we stored its id) is adopted, never duplicated.

pub mod hosts;
pub mod placement;
mod register;
mod scale;
mod ssh;
pub(crate) mod steps;
mod templates;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use providers::cloud::{Cloud, CloudKind};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::db::{Db, NewOperation, NewServer};
use crate::engine;
use crate::operation::{Operation, TargetKind};
use crate::user::{ProjectId, UserId};
use crate::workflow::Kind;
use crate::{Error, Result};

pub use providers::cloud::Plan;
pub use register::{RegisterServer, register};
pub use scale::{
    MAX_GROUP_SIZE, ScaleAction, ScaleCluster, ScalingOperation, ScalingPlan, plan_scaling, scale,
};
pub use ssh::{SshCheck, wait_for_banner};
pub use templates::{ServerTemplate, TEMPLATES, render_user_data};

/// A server's id.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type,
)]
#[sqlx(transparent)]
#[serde(transparent)]
pub struct ServerId(pub Uuid);

impl std::fmt::Display for ServerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Which cloud a server lives on.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type,
)]
#[sqlx(type_name = "server_provider", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum CloudProvider {
    /// Hetzner Cloud.
    Hetzner,
    /// DigitalOcean.
    Digitalocean,
    /// A host we did not make, registered by its address (`registerServer`).
    Existing,
}

impl CloudProvider {
    /// The provider crate's name for it; `None` for registered hosts, which have no cloud.
    pub fn kind(self) -> Option<CloudKind> {
        match self {
            CloudProvider::Hetzner => Some(CloudKind::Hetzner),
            CloudProvider::Digitalocean => Some(CloudKind::DigitalOcean),
            CloudProvider::Existing => None,
        }
    }

    /// The regions the cloud offers, from the built-in table; none for registered hosts.
    pub fn regions(self) -> &'static [&'static str] {
        self.kind()
            .map(providers::cloud::plans::builtin_regions)
            .unwrap_or_default()
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self.kind() {
            Some(kind) => kind.as_str(),
            None => "existing",
        }
    }

    /// The configuration variable holding its token.
    pub fn token_variable(self) -> &'static str {
        match self {
            CloudProvider::Hetzner => "TOYGRES_HETZNER_TOKEN",
            CloudProvider::Digitalocean => "TOYGRES_DIGITALOCEAN_TOKEN",
            CloudProvider::Existing => "TOYGRES_SSH_PRIVATE_KEY_FILE",
        }
    }
}

/// Where a server is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "server_state", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum ServerState {
    /// The VM is being created.
    Provisioning,
    /// The VM runs; its template is being installed, and we wait for SSH.
    Bootstrapping,
    /// Ready to host instances.
    Active,
    /// Nothing new is placed on it; work on it is finishing or has finished.
    Draining,
    /// Its VM is being deleted.
    Removing,
    /// Gone.
    Removed,
    /// Provisioning or removal gave up, or its VM was powered off to fence a primary that
    /// ran on it; `failure_reason` says why.
    Failed,
}

impl ServerState {
    /// Whether it counts toward its group's size when scaling.
    pub fn counts_in_fleet(self) -> bool {
        matches!(
            self,
            Self::Provisioning | Self::Bootstrapping | Self::Active
        )
    }
}

/// One server, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Server {
    /// Its id.
    pub id: ServerId,
    /// The project it belongs to.
    pub project_id: ProjectId,
    /// DNS-1123 label, unique among the project's servers that are not removed.
    pub name: String,
    /// Its cloud.
    pub provider: CloudProvider,
    /// The plan (server type, size slug).
    pub plan: String,
    /// The region (location, region slug).
    pub region: String,
    /// The cloud's id for its VM, once known.
    pub provider_id: Option<String>,
    /// Public IPv4, once known.
    pub ipv4: Option<std::net::IpAddr>,
    /// Public IPv6, once known.
    pub ipv6: Option<std::net::IpAddr>,
    /// Labels put on the VM.
    pub labels: serde_json::Value,
    /// Where it is in its life.
    pub state: ServerState,
    /// Why it failed, when it did.
    pub failure_reason: Option<String>,
    /// Who asked for it.
    pub created_by: Option<UserId>,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// The template it boots from.
    pub template: String,
    /// The image it boots.
    pub image: String,
    /// The provider action being waited for.
    pub pending_action: Option<String>,
    /// When `state` last changed.
    pub state_changed_at: DateTime<Utc>,
    /// When it was removed.
    pub removed_at: Option<DateTime<Utc>>,
    /// The scaling operation that asked for it, if one did.
    pub scaling_operation_id: Option<Uuid>,
    /// The port its sshd listens on.
    pub ssh_port: i32,
    /// The user we log in as.
    pub ssh_user: String,
    /// The host key it presented when first reached (`<type> <base64>`), trusted from then on.
    pub ssh_host_key: Option<String>,
    /// Memory instances may use, in MB, once known.
    pub memory_mb: Option<i32>,
    /// Disk instances may use, in GB, once known.
    pub disk_gb: Option<i32>,
    /// The PostgreSQL majors installed there, once reached.
    pub pg_versions: Vec<i32>,
    /// The public half of the server's own SSH key (an `authorized_keys` line), which its
    /// owner authorises there (cloud-init does on provisioned VMs); we log in with that key
    /// alone. `None` for servers recorded before keys were per server: they keep the
    /// installation's key. The private half is sealed in `server_ssh_keys`.
    pub ssh_public_key: Option<String>,
}

impl Server {
    /// The VM's name at the provider: derived from our id, so a retry finds it.
    pub fn vm_name(&self) -> String {
        format!("tg-{}", self.id.0.simple())
    }

    /// The address instances on it listen on and clients connect to: its IPv4, else IPv6.
    pub fn address(&self) -> Option<std::net::IpAddr> {
        self.ipv4.or(self.ipv6)
    }
}

/// A notable thing that happened in the fleet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ClusterEvent {
    /// Its id.
    pub id: Uuid,
    /// The project it concerns, if one.
    pub project_id: Option<ProjectId>,
    /// The server it concerns, if one.
    pub server_id: Option<ServerId>,
    /// The instance it concerns, if one.
    pub instance_id: Option<Uuid>,
    /// What happened, in snake_case (`server_active`, `cpu_high`).
    pub kind: String,
    /// `info`, `warning` or `critical`.
    pub severity: String,
    /// What happened, for people.
    pub message: String,
    /// Details, for programs.
    pub details: serde_json::Value,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// How the fleet reaches its clouds and checks its servers.
#[derive(Clone, Debug)]
pub struct Fleet {
    /// The configured clouds, by kind; add one with [`Fleet::with_cloud`].
    pub clouds: BTreeMap<CloudKind, Arc<dyn Cloud>>,
    /// The SSH check of a new server.
    pub ssh: SshCheck,
    /// SSH keys put on new VMs: names (Hetzner) or fingerprints (DigitalOcean).
    pub ssh_keys: Vec<String>,
    /// A public key the templates authorise for the `toygres` user besides the server's own
    /// (the operator's, for their own access); Toygres logs in with the server's own key.
    pub ssh_authorized_key: Option<String>,
    /// Accept loopback, link-local and cloud metadata-service addresses in `registerServer`
    /// (`TOYGRES_ALLOW_PRIVATE_SERVER_ADDRESSES`; for tests and single-host setups).
    pub allow_private_addresses: bool,
    /// How long a registered server's first login may be refused (its owner has not
    /// authorised its key yet) before the registration gives up.
    pub key_wait: Duration,
    /// Keep the VM of a server that failed to provision, for inspection.
    pub keep_failed: bool,
    /// How often to poll a provider action or a VM's state.
    pub poll: Duration,
    /// How long a provider action, a boot or a deletion may take.
    pub vm_timeout: Duration,
    /// How instances on servers are reached: over SSH, when a key is configured.
    pub hosts: Arc<hosts::ServerHosts>,
}

impl Default for Fleet {
    fn default() -> Self {
        Self {
            clouds: BTreeMap::new(),
            ssh: SshCheck::default(),
            ssh_keys: Vec::new(),
            ssh_authorized_key: None,
            allow_private_addresses: false,
            key_wait: Duration::from_secs(3600),
            keep_failed: false,
            poll: Duration::from_secs(2),
            vm_timeout: Duration::from_secs(900),
            hosts: Arc::new(hosts::ServerHosts::default()),
        }
    }
}

impl Fleet {
    /// Use `cloud` for its kind.
    #[must_use]
    pub fn with_cloud(mut self, cloud: Arc<dyn Cloud>) -> Self {
        self.clouds.insert(cloud.kind(), cloud);
        self
    }

    /// The configured cloud of `provider`, or an error naming the variable to set.
    pub fn cloud(&self, provider: CloudProvider) -> Result<&Arc<dyn Cloud>> {
        let Some(kind) = provider.kind() else {
            return Err(Error::InvalidInput(
                "existing servers are registered with registerServer, not provisioned".to_owned(),
            ));
        };
        self.clouds.get(&kind).ok_or_else(|| {
            Error::InvalidInput(format!(
                "{} is not configured on this installation: set {}",
                provider.as_str(),
                provider.token_variable()
            ))
        })
    }

    /// Whether `provider` has a token.
    pub fn is_configured(&self, provider: CloudProvider) -> bool {
        provider
            .kind()
            .is_some_and(|k| self.clouds.contains_key(&k))
    }
}

/// What a user asks for.
#[derive(Clone, Debug)]
pub struct ProvisionServer {
    /// The cloud.
    pub provider: CloudProvider,
    /// The plan, by name.
    pub plan: String,
    /// The region, by name.
    pub region: String,
    /// A DNS-1123 name; generated from region and plan when absent.
    pub name: Option<String>,
    /// A template name; `postgres-host` when absent.
    pub template: Option<String>,
    /// More labels for the VM.
    pub labels: BTreeMap<String, String>,
}

/// The plans a provider offers: its last refreshed listing, or the built-in table.
pub async fn plans(db: &Db, provider: CloudProvider) -> Result<Vec<Plan>> {
    let stored = db.stored_plans(provider).await?;
    Ok(if stored.is_empty() {
        provider
            .kind()
            .map(providers::cloud::plans::builtin_plans)
            .unwrap_or_default()
    } else {
        stored
    })
}

/// Check `plan` and `region` against the provider's plans and regions.
pub async fn check_plan(
    db: &Db,
    provider: CloudProvider,
    plan: &str,
    region: &str,
) -> Result<Plan> {
    let plans = plans(db, provider).await?;
    let Some(found) = providers::cloud::plans::find_plan(&plans, plan).cloned() else {
        let mut names: Vec<&str> = plans.iter().map(|p| p.name.as_str()).collect();
        names.sort_unstable();
        return Err(Error::InvalidInput(format!(
            "{plan:?} is not a {} plan; known plans: {}",
            provider.as_str(),
            names.join(", ")
        )));
    };
    let regions = provider
        .kind()
        .map(providers::cloud::plans::builtin_regions)
        .unwrap_or_default();
    let known_region = regions.contains(&region) || found.regions.iter().any(|r| r == region);
    if !known_region {
        return Err(Error::InvalidInput(format!(
            "{region:?} is not a {} region; known regions: {}",
            provider.as_str(),
            regions.join(", ")
        )));
    }
    if !found.regions.is_empty() && !found.regions.iter().any(|r| r == region) {
        return Err(Error::InvalidInput(format!(
            "plan {} is not offered in {region}; it is offered in {}",
            found.name,
            found.regions.join(", ")
        )));
    }
    Ok(found)
}

fn check_labels(labels: &BTreeMap<String, String>) -> Result<()> {
    let ok = |s: &str, max: usize| {
        s.len() <= max
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    for (k, v) in labels {
        if k.is_empty() || !ok(k, 63) || !ok(v, 63) || k.starts_with("toygres") {
            return Err(Error::InvalidInput(format!(
                "label {k:?}={v:?} must be at most 63 letters, digits, '-', '_' or '.', \
                 and keys must not start with \"toygres\""
            )));
        }
    }
    Ok(())
}

/// A generated server name: `<region>-<plan>-<6 hex digits>`, lower-case.
pub(crate) fn generated_name(region: &str, plan: &str) -> String {
    let suffix: String = Uuid::new_v4().simple().to_string()[..6].to_owned();
    let raw = format!("{region}-{plan}-{suffix}").to_ascii_lowercase();
    raw.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// Record a new server and its `provision_server` operation, and enqueue it, in one
/// transaction. Bad input, or a project quota without room (`QuotaExceeded`), records nothing.
pub async fn provision(
    db: &Db,
    fleet: &Fleet,
    input: &ProvisionServer,
    project: ProjectId,
    requested_by: Option<UserId>,
) -> Result<(Server, Operation)> {
    fleet.cloud(input.provider)?;
    let plan = check_plan(db, input.provider, input.plan.trim(), input.region.trim()).await?;
    let region = input.region.trim().to_owned();
    let name = match &input.name {
        Some(n) => n.trim().to_owned(),
        None => generated_name(&region, &plan.name),
    };
    if !crate::instance::is_dns1123_label(&name) {
        return Err(Error::InvalidInput(format!(
            "name {name:?} must be a DNS-1123 label: 1 to 63 lower-case letters, digits or '-', \
             starting and ending with a letter or digit"
        )));
    }
    let template = input.template.as_deref().unwrap_or(templates::DEFAULT);
    templates::find(template)?;
    check_labels(&input.labels)?;
    let mut tx = db.begin().await?;
    let reservation = crate::quota::lock(&mut tx, db, project).await?;
    let new = NewServer {
        id: ServerId(Uuid::now_v7()),
        project_id: project,
        name,
        provider: input.provider,
        plan: plan.name,
        region,
        template: template.to_owned(),
        image: default_image(input.provider),
        labels: input.labels.clone(),
        created_by: requested_by,
        scaling_operation_id: None,
    };
    let (server, op) = insert_and_provision(&mut tx, &new, None).await?;
    reservation
        .check(&mut tx, one_server(), Default::default())
        .await?;
    tx.commit().await?;
    tracing::info!(server = %server.id, name = %server.name, provider = server.provider.as_str(), "server provisioning");
    Ok((server, op))
}

/// What one more server counts against a quota.
pub(crate) fn one_server() -> crate::quota::Usage {
    crate::quota::Usage {
        servers: 1,
        ..Default::default()
    }
}

/// The image a new server of `provider` boots (none for a registered host).
pub fn default_image(provider: CloudProvider) -> String {
    provider
        .kind()
        .map(providers::cloud::plans::default_image)
        .unwrap_or_default()
        .to_owned()
}

/// Insert a server and start its provisioning in the caller's transaction.
pub(crate) async fn insert_and_provision(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    new: &NewServer,
    input: Option<serde_json::Value>,
) -> Result<(Server, Operation)> {
    let server = Db::insert_server(tx, new).await?;
    Db::server_event_in(
        tx,
        &server,
        "server_provisioning",
        "info",
        &format!(
            "{} asked for on {} ({} in {})",
            server.name,
            server.provider.as_str(),
            server.plan,
            server.region
        ),
    )
    .await?;
    let op = engine::start_in(
        tx,
        new_operation(&server, Kind::ProvisionServer, input, new.created_by),
    )
    .await?;
    Ok((server, op))
}

pub(crate) fn new_operation(
    server: &Server,
    kind: Kind,
    input: Option<serde_json::Value>,
    requested_by: Option<UserId>,
) -> NewOperation {
    NewOperation {
        project_id: server.project_id,
        kind,
        target_kind: TargetKind::Server,
        target_id: Some(server.id.0),
        provider: None,
        input: input.unwrap_or_else(|| serde_json::json!({})),
        requested_by,
    }
}

/// What draining `server` would do now: each instance, its target and the order, or why it
/// cannot be done. Records nothing.
pub async fn drain_plan(db: &Db, server: ServerId) -> Result<placement::DrainPlan> {
    let mut tx = db.begin().await?;
    let server = Db::lock_server(&mut tx, server).await?;
    let plan = placement::plan_drain(&mut tx, &server).await?;
    tx.rollback().await?;
    Ok(plan)
}

/// Start draining or removing a server: check that its state allows it, record the
/// operation and enqueue it, in one transaction. A second operation on the same server while
/// one is active is refused (`Conflict`).
pub async fn change(
    db: &Db,
    id: ServerId,
    kind: Kind,
    requested_by: Option<UserId>,
) -> Result<Operation> {
    use ServerState as S;
    let allowed: &[S] = match kind {
        Kind::DrainServer => &[S::Active, S::Draining],
        Kind::RemoveServer => &[S::Active, S::Draining, S::Failed],
        other => {
            return Err(Error::InvalidInput(format!(
                "{} does not change a server",
                other.as_str()
            )));
        }
    };
    let mut tx = db.begin().await?;
    let server = Db::lock_server(&mut tx, id).await?;
    if !allowed.contains(&server.state) {
        return Err(Error::Conflict(format!(
            "server {} is {:?}; {} needs it to be one of {:?}",
            server.name,
            server.state,
            kind.as_str(),
            allowed
        )));
    }
    let op = engine::start_in(&mut tx, new_operation(&server, kind, None, requested_by)).await?;
    tx.commit().await?;
    tracing::info!(server = %id, kind = kind.as_str(), "server operation queued");
    Ok(op)
}
