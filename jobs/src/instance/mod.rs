//! Postgres instances: the domain type, input validation, and the operations that change them.
//!
//! # Instance states
//! ```text
//! creating ──▶ running ──stop──▶ stopping ──▶ stopped ──start──▶ starting ──▶ running
//!                 │  └─restart─▶ stopping ──▶ starting ──▶ running
//!                 └─(any state)──delete──▶ deleting ──▶ deleted
//! any operation that gives up ──▶ failed (failure_reason says why; start or delete it)
//! ```
//! Health (`healthy | unhealthy | unknown`) is orthogonal: the health sweep sets it for
//! running instances.

pub mod failover;
mod kube;
pub mod moves;
pub mod standbys;
mod steps;
pub mod switchover;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use futures::future::BoxFuture;
use sqlx::{Postgres, Transaction};

use crate::db::{Db, NewOperation};
use crate::engine;
use crate::operation::{Operation, TargetKind};
use crate::registry::{GiveUp, Outcome, Table, Workflow};
use crate::user::{self, ProjectId, UserId};
use crate::workflow::{Context, Kind};
use crate::{Error, Result};

use kube::KubeStep;
pub(crate) use kube::observe_pods;
pub use kube::{Passwords, kubernetes_spec};
pub use kube::{check_drift, renew_certificates};
pub use providers::kubernetes::ServiceType;
pub use standbys::{MAX_STANDBYS, Standby};
use steps::stop_after_failure;
pub(crate) use steps::{HostStep, host_of, step as host_step};

/// The PostgreSQL majors the Kubernetes provider runs (the official image's supported tags).
pub const KUBERNETES_VERSIONS: &[u32] = &[13, 14, 15, 16, 17, 18];

/// How much CPU and memory an instance gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct InstancePlan {
    /// Its name.
    pub name: &'static str,
    /// CPU requested, in millicores.
    pub cpu_request_millis: u32,
    /// CPU limit, in millicores.
    pub cpu_limit_millis: u32,
    /// Memory requested and limited, in MiB.
    pub memory_mib: u32,
}

/// The plans, smallest first. On Kubernetes they are the pod's requests and limits.
pub const PLANS: &[InstancePlan] = &[
    InstancePlan {
        name: "small",
        cpu_request_millis: 250,
        cpu_limit_millis: 1000,
        memory_mib: 512,
    },
    InstancePlan {
        name: "medium",
        cpu_request_millis: 500,
        cpu_limit_millis: 2000,
        memory_mib: 1024,
    },
    InstancePlan {
        name: "large",
        cpu_request_millis: 1000,
        cpu_limit_millis: 4000,
        memory_mib: 4096,
    },
];

/// The plan named `name`.
pub fn find_plan(name: &str) -> Option<&'static InstancePlan> {
    PLANS.iter().find(|p| p.name == name)
}

impl InstancePlan {
    /// The pod resources of the plan.
    pub fn resources(&self) -> providers::kubernetes::Resources {
        providers::kubernetes::Resources {
            cpu_request_millis: self.cpu_request_millis,
            cpu_limit_millis: self.cpu_limit_millis,
            memory_mib: self.memory_mib,
        }
    }
}

/// What instances this installation can make.
#[derive(Clone, Debug, Default)]
pub struct Offer {
    /// The majors installed for the local provider.
    pub local_versions: Vec<u32>,
    /// Whether the Kubernetes provider is configured, and then its default Service type.
    pub kubernetes: Option<providers::kubernetes::ServiceType>,
    /// Whether instances can be placed on fleet servers (an SSH key is configured), and the
    /// majors the active servers have between them.
    pub server_versions: Option<Vec<u32>>,
}

impl Offer {
    /// The majors a provider runs.
    pub fn versions(&self, provider: Provider) -> Vec<u32> {
        match provider {
            Provider::Local => self.local_versions.clone(),
            Provider::Kubernetes if self.kubernetes.is_some() => KUBERNETES_VERSIONS.to_vec(),
            Provider::Kubernetes => Vec::new(),
            Provider::Server => self.server_versions.clone().unwrap_or_default(),
        }
    }

    /// The providers configured here.
    pub fn providers(&self) -> Vec<Provider> {
        let mut out = vec![Provider::Local];
        if self.kubernetes.is_some() {
            out.push(Provider::Kubernetes);
        }
        if self.server_versions.is_some() {
            out.push(Provider::Server);
        }
        out
    }
}

/// The default storage size, in GB.
pub const DEFAULT_STORAGE_GB: i32 = 10;
/// The largest storage size accepted, in GB.
pub const MAX_STORAGE_GB: i32 = 16384;
/// The role and database a new instance gets when none is named.
pub const DEFAULT_USERNAME: &str = "app";
/// The file a connection string's `sslrootcert` names: where a client saves the CA.
pub const CA_FILE_NAME: &str = "toygres-ca.crt";

/// An instance's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(transparent)]
#[serde(transparent)]
pub struct InstanceId(pub Uuid);

impl std::fmt::Display for InstanceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Where an instance is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "instance_state", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum InstanceState {
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
    /// An operation on it gave up; `failure_reason` says why.
    Failed,
}

/// Whether an instance answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "health_status", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// The last check connected and queried.
    Healthy,
    /// The last check failed.
    Unhealthy,
    /// Not checked since it last started.
    Unknown,
}

impl Health {
    /// What a check found.
    pub fn of(check: &HealthCheck) -> Self {
        if check.healthy {
            Health::Healthy
        } else {
            Health::Unhealthy
        }
    }
}

/// Where an instance runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "instance_provider", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// A PostgreSQL process on the control plane's host.
    Local,
    /// A StatefulSet on Kubernetes.
    Kubernetes,
    /// A PostgreSQL process on a fleet server, reached over SSH.
    Server,
}

/// What the user wants an instance to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "instance_desired_state", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum DesiredState {
    /// Serving.
    Running,
    /// Stopped, data kept.
    Stopped,
    /// Gone.
    Deleted,
}

/// One instance, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Instance {
    /// Its id.
    pub id: InstanceId,
    /// The project it belongs to.
    pub project_id: ProjectId,
    /// DNS-1123 label, unique among the project's live instances.
    pub name: String,
    /// Where it runs.
    pub provider: Provider,
    /// PostgreSQL major version.
    pub pg_version: i32,
    /// Storage size asked for, in GB.
    pub storage_gb: i32,
    /// Where it is in its life.
    pub state: InstanceState,
    /// Whether it answers.
    pub health: Health,
    /// Why it failed, when it did.
    pub failure_reason: Option<String>,
    /// Who created it.
    pub created_by: Option<UserId>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// What the user wants it to be.
    pub desired_state: DesiredState,
    /// The login role clients use.
    pub username: String,
    /// The database clients use.
    pub database_name: String,
    /// The address clients connect to, once known.
    pub host: Option<String>,
    /// The port clients connect to, once allocated.
    pub port: Option<i32>,
    /// When health was last recorded on the row.
    pub last_checked_at: Option<DateTime<Utc>>,
    /// The last check's round trip, in milliseconds.
    pub latency_ms: Option<f64>,
    /// The server's version, as it reports it.
    pub server_version: Option<String>,
    /// When it was deleted.
    pub deleted_at: Option<DateTime<Utc>>,
    /// The plan that sizes it ([`PLANS`]).
    pub plan: String,
    /// The client Service's type (`ClusterIP`, `LoadBalancer`), on Kubernetes.
    pub service_type: Option<String>,
    /// What the provider says is wrong right now (a pod that cannot pull its image, say).
    pub status_message: Option<String>,
    /// The fleet server it runs on (the `server` provider).
    pub server_id: Option<crate::server::ServerId>,
    /// The primary's member id, once a switchover changed it (else the instance's own id).
    pub primary_member_id: Option<Uuid>,
    /// The primary's data directory name, once a switchover changed it (else derived from
    /// the id).
    pub data_name: Option<String>,
    /// How many standbys it should have (0 to [`MAX_STANDBYS`]).
    pub standbys: i32,
    /// Whether each commit waits until a standby has it.
    pub synchronous: bool,
    /// When its primary last changed, by a switchover or a failover.
    pub last_failover_at: Option<DateTime<Utc>>,
}

impl Instance {
    /// A new instance as `createInstance` would record it, before it is stored: for
    /// rendering what would be made (`toygres kubernetes manifests`). Fails on bad input.
    pub fn draft(input: &CreateInstance, offer: &Offer) -> Result<Instance> {
        let valid = validate(input, offer)?;
        let now = Utc::now();
        Ok(Instance {
            id: InstanceId(Uuid::now_v7()),
            project_id: user::DEFAULT_PROJECT_ID,
            name: valid.name,
            provider: valid.provider,
            pg_version: valid.version,
            storage_gb: valid.storage_gb,
            state: InstanceState::Creating,
            health: Health::Unknown,
            failure_reason: None,
            created_by: None,
            created_at: now,
            updated_at: now,
            desired_state: DesiredState::Running,
            username: valid.username,
            database_name: valid.database,
            host: None,
            port: None,
            last_checked_at: None,
            latency_ms: None,
            server_version: None,
            deleted_at: None,
            plan: valid.plan.to_owned(),
            service_type: valid.service_type.map(|t| t.as_str().to_owned()),
            status_message: None,
            server_id: None,
            primary_member_id: None,
            data_name: None,
            standbys: valid.standbys,
            synchronous: valid.synchronous,
            last_failover_at: None,
        })
    }

    /// The name of everything we make for it outside our database (data directory,
    /// Kubernetes objects): derived from the id, so a retried step finds what the last made.
    /// Short, because a Unix socket path inside the data directory must fit in 107 bytes: the
    /// id's last 12 hex digits, which are random in a UUIDv7 (48 bits).
    pub fn resource_name(&self) -> String {
        match &self.data_name {
            Some(name) => name.clone(),
            None => resource_name_of(self.id.0),
        }
    }

    /// The id of its primary member (see `standbys`).
    pub fn primary_member_id(&self) -> Uuid {
        self.primary_member_id.unwrap_or(self.id.0)
    }

    /// `postgresql://user[:password]@host:port/database`, once it has an address. The
    /// password is included only when given. Instances serve TLS with a certificate of the
    /// installation's CA (a Kubernetes instance from its first start, which precedes its
    /// address), so the string ends in
    /// `?sslmode=verify-full&sslrootcert=toygres-ca.crt`: libpq checks the certificate against
    /// the CA saved (from `certificateAuthority { pem }`) as `toygres-ca.crt` in the client's
    /// working directory (or wherever the client changes `sslrootcert` to).
    ///
    /// With `standbys` (those that have an address), every member is listed, the primary
    /// first, in libpq's multi-host form with `target_session_attrs=read-write`: a client that
    /// reconnects after a switchover or a failover finds the new primary by itself.
    pub fn connection_string(
        &self,
        password: Option<&str>,
        standbys: &[Standby],
    ) -> Option<String> {
        let attrs = (self.addresses(standbys).len() > 1).then_some("read-write");
        self.connection_string_with(password, standbys, attrs)
    }

    /// The connection string for reads that a standby can serve: every member, standbys
    /// preferred (`target_session_attrs=prefer-standby`, libpq 14 and later); the primary
    /// when no standby answers.
    pub fn read_only_connection_string(
        &self,
        password: Option<&str>,
        standbys: &[Standby],
    ) -> Option<String> {
        self.connection_string_with(password, standbys, Some("prefer-standby"))
    }

    /// Every member's address, the primary first.
    fn addresses(&self, standbys: &[Standby]) -> Vec<(String, i32)> {
        let Some(primary) = self.host.clone().zip(self.port) else {
            return Vec::new();
        };
        std::iter::once(primary)
            .chain(standbys.iter().filter_map(|s| s.host.clone().zip(s.port)))
            .collect()
    }

    fn connection_string_with(
        &self,
        password: Option<&str>,
        standbys: &[Standby],
        session: Option<&str>,
    ) -> Option<String> {
        let addresses = self.addresses(standbys);
        if addresses.is_empty() {
            return None;
        }
        let auth = match password {
            Some(pw) => format!("{}:{}", percent_encode(&self.username), percent_encode(pw)),
            None => percent_encode(&self.username),
        };
        let hosts: Vec<String> = addresses
            .iter()
            .map(|(host, port)| {
                if host.contains(':') {
                    format!("[{host}]:{port}")
                } else {
                    format!("{host}:{port}")
                }
            })
            .collect();
        let mut params = Vec::new();
        if let Some(session) = session {
            params.push(format!("target_session_attrs={session}"));
        }
        params.push("sslmode=verify-full".to_owned());
        params.push(format!("sslrootcert={CA_FILE_NAME}"));
        let query = format!("?{}", params.join("&"));
        Some(format!(
            "postgresql://{auth}@{}/{}{query}",
            hosts.join(","),
            percent_encode(&self.database_name)
        ))
    }
}

/// The name of what is made outside our database for the instance or member with id `id`:
/// `tg-` and the id's last 12 hex digits (random in a UUIDv7).
pub(crate) fn resource_name_of(id: Uuid) -> String {
    let hex = id.simple().to_string();
    format!("tg-{}", &hex[hex.len() - 12..])
}

/// One health check, as recorded.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct HealthCheck {
    /// When it ran.
    pub checked_at: DateTime<Utc>,
    /// Whether it connected and queried.
    pub healthy: bool,
    /// Round trip of the query, in milliseconds.
    pub latency_ms: Option<f64>,
    /// The server's version.
    pub server_version: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
}

/// What a user asks for.
#[derive(Clone, Debug, Default)]
pub struct CreateInstance {
    /// The project.
    pub project_id: Option<ProjectId>,
    /// DNS-1123 label.
    pub name: String,
    /// Major version; the newest installed when absent.
    pub version: Option<i32>,
    /// Storage in GB; [`DEFAULT_STORAGE_GB`] when absent.
    pub storage_gb: Option<i32>,
    /// Login role; [`DEFAULT_USERNAME`] when absent.
    pub username: Option<String>,
    /// Database; the username when absent.
    pub database: Option<String>,
    /// Password; generated when absent.
    pub password: Option<String>,
    /// Where to run it; local when absent.
    pub provider: Option<Provider>,
    /// The plan ([`PLANS`]); `small` when absent.
    pub plan: Option<String>,
    /// On Kubernetes, the client Service's type; the configured default when absent.
    pub service_type: Option<providers::kubernetes::ServiceType>,
    /// On servers, the server to place it on; chosen by the placement rule when absent.
    pub server_id: Option<crate::server::ServerId>,
    /// On servers, the region to place it in, when no server is named.
    pub region: Option<String>,
    /// How many standbys to give it (0 to [`MAX_STANDBYS`]); none when absent.
    pub standbys: Option<i32>,
    /// Whether each commit waits until a standby has it; not when absent.
    pub synchronous: Option<bool>,
}

/// A checked [`CreateInstance`].
struct ValidInstance {
    name: String,
    version: i32,
    storage_gb: i32,
    username: String,
    database: String,
    password: String,
    provider: Provider,
    plan: &'static str,
    service_type: Option<providers::kubernetes::ServiceType>,
    standbys: i32,
    synchronous: bool,
}

/// Check a create request against the rules and what this installation `offer`s.
fn validate(input: &CreateInstance, offer: &Offer) -> Result<ValidInstance> {
    let name = input.name.trim().to_owned();
    if !is_dns1123_label(&name) {
        return Err(Error::InvalidInput(format!(
            "name {name:?} must be a DNS-1123 label: 1 to 63 lower-case letters, digits or '-', \
             starting and ending with a letter or digit"
        )));
    }
    let provider = input.provider.unwrap_or(Provider::Local);
    let service_type = match provider {
        Provider::Local if input.service_type.is_some() => {
            return Err(Error::InvalidInput(
                "serviceType applies to KUBERNETES instances only".to_owned(),
            ));
        }
        Provider::Local | Provider::Server => None,
        Provider::Kubernetes => match offer.kubernetes {
            Some(default) => Some(input.service_type.unwrap_or(default)),
            None => {
                return Err(Error::InvalidInput(
                    "the KUBERNETES provider is not configured on this installation \
                     (set TOYGRES_KUBERNETES=on and give it a kubeconfig)"
                        .to_owned(),
                ));
            }
        },
    };
    if provider != Provider::Server && (input.server_id.is_some() || input.region.is_some()) {
        return Err(Error::InvalidInput(
            "serverId and region apply to SERVER instances only".to_owned(),
        ));
    }
    if provider == Provider::Server && offer.server_versions.is_none() {
        return Err(Error::InvalidInput(
            "the SERVER provider is not configured on this installation \
             (set TOYGRES_SSH_PRIVATE_KEY_FILE so that Toygres can reach its servers)"
                .to_owned(),
        ));
    }
    let standbys = input.standbys.unwrap_or(0);
    let synchronous = input.synchronous.unwrap_or(false);
    if standbys != 0 || synchronous {
        standbys::check_supported(provider)?;
    }
    if !(0..=MAX_STANDBYS).contains(&standbys) {
        return Err(Error::InvalidInput(format!(
            "standbys must be between 0 and {MAX_STANDBYS} (got {standbys})"
        )));
    }
    if synchronous && standbys == 0 {
        return Err(Error::InvalidInput(
            "synchronous needs at least one standby to wait for".to_owned(),
        ));
    }
    let plan_name = input.plan.as_deref().unwrap_or("small");
    let plan = find_plan(plan_name).ok_or_else(|| {
        Error::InvalidInput(format!(
            "unknown plan {plan_name:?}; plans: {}",
            PLANS.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
        ))
    })?;
    let versions = &offer.versions(provider)[..];
    let newest = versions.iter().max().copied();
    let version = match input.version {
        Some(v) if u32::try_from(v).is_ok_and(|v| versions.contains(&v)) => v,
        Some(v) => {
            return Err(Error::InvalidInput(format!(
                "PostgreSQL {v} is not available; available versions: {versions:?}"
            )));
        }
        None => newest.and_then(|v| i32::try_from(v).ok()).ok_or_else(|| {
            Error::InvalidInput(match provider {
                Provider::Server => {
                    "no active server has PostgreSQL installed: register or provision one"
                        .to_owned()
                }
                _ => "no PostgreSQL version is installed on this host".to_owned(),
            })
        })?,
    };
    let storage_gb = input.storage_gb.unwrap_or(DEFAULT_STORAGE_GB);
    if !(1..=MAX_STORAGE_GB).contains(&storage_gb) {
        return Err(Error::InvalidInput(format!(
            "storageGb must be between 1 and {MAX_STORAGE_GB} (got {storage_gb})"
        )));
    }
    let username = input
        .username
        .clone()
        .unwrap_or_else(|| DEFAULT_USERNAME.to_owned());
    check_identifier("username", &username)?;
    let database = input.database.clone().unwrap_or_else(|| username.clone());
    check_identifier("database", &database)?;
    let password = match &input.password {
        Some(p) => {
            user::check_password_strength(p)?;
            if p.eq_ignore_ascii_case(&username)
                || p.chars().collect::<std::collections::HashSet<_>>().len() < 5
            {
                return Err(Error::InvalidInput(
                    "password is too weak: use at least 12 characters, not the username, not repetitive".to_owned(),
                ));
            }
            p.clone()
        }
        None => user::generate_password(),
    };
    Ok(ValidInstance {
        name,
        version,
        storage_gb,
        username,
        database,
        password,
        provider,
        plan: plan.name,
        service_type,
        standbys,
        synchronous,
    })
}

/// Whether `s` is a DNS-1123 label.
pub fn is_dns1123_label(s: &str) -> bool {
    let bytes = s.as_bytes();
    (1..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
}

/// A login role or database name: 1 to 63 lower-case letters, digits or `_`, starting with
/// a letter or `_`, and none of the names PostgreSQL and Toygres keep for themselves
/// ([`is_reserved`]).
fn check_identifier(what: &str, s: &str) -> Result<()> {
    let ok = (1..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && s.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'_');
    if !ok {
        return Err(Error::InvalidInput(format!(
            "{what} {s:?} must be 1 to 63 lower-case letters, digits or '_', starting with a letter or '_'"
        )));
    }
    if is_reserved(s) {
        return Err(Error::InvalidInput(format!(
            "{what} {s:?} is reserved (postgres, pg_*, toygres_*, template0, template1, public)"
        )));
    }
    Ok(())
}

/// Whether `name`, in any case, is one PostgreSQL or Toygres keeps: the superuser
/// `postgres`, PostgreSQL's `pg_*` roles and schemas, Toygres's own `toygres_*` roles (the
/// replication role among them), the template databases and `public`.
fn is_reserved(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("pg_")
        || name.starts_with("toygres_")
        || ["postgres", "template0", "template1", "public"].contains(&name.as_str())
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Record a new instance and its `create_instance` operation, and enqueue it, in one
/// transaction. `QuotaExceeded` (and nothing recorded) when the project's quota has no room.
pub async fn create(
    db: &Db,
    input: &CreateInstance,
    offer: &Offer,
    project: ProjectId,
    requested_by: Option<UserId>,
) -> Result<(Instance, Operation)> {
    create_from(db, input, offer, project, requested_by, None).await
}

/// Where a new instance's data comes from, when not from an empty template: another
/// instance's backups, up to a time (the latest point when `None`).
pub(crate) type RestoreFrom = (InstanceId, Option<DateTime<Utc>>);

/// [`create`], with the data restored from `restore` when given.
pub(crate) async fn create_from(
    db: &Db,
    input: &CreateInstance,
    offer: &Offer,
    project: ProjectId,
    requested_by: Option<UserId>,
    restore: Option<RestoreFrom>,
) -> Result<(Instance, Operation)> {
    let mut tx = db.begin().await?;
    let reservation = crate::quota::lock(&mut tx, db, project).await?;
    let instance = insert_in(&mut tx, db, input, offer, project, requested_by, restore).await?;
    let asked = crate::quota::Usage {
        instances: 1,
        storage_gb: i64::from(instance.storage_gb),
        standbys: i64::from(instance.standbys),
        ..Default::default()
    };
    reservation
        .check(&mut tx, asked, Default::default())
        .await?;
    let op = engine::start_in(
        &mut tx,
        new_operation(
            &instance,
            Kind::CreateInstance,
            requested_by,
            serde_json::json!({}),
        ),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(instance = %instance.id, name = %instance.name, "instance creating");
    Ok((instance, op))
}

/// Check a new instance and record it (`creating`, placed, restored from `restore` when
/// given) in `tx`, without an operation: the caller starts the one that makes it.
pub(crate) async fn insert_in(
    tx: &mut Transaction<'_, Postgres>,
    db: &Db,
    input: &CreateInstance,
    offer: &Offer,
    project: ProjectId,
    requested_by: Option<UserId>,
    restore: Option<RestoreFrom>,
) -> Result<Instance> {
    let offer = &match input.provider {
        // What the active servers have between them.
        Some(Provider::Server) if offer.server_versions.is_some() => Offer {
            server_versions: Some(db.server_versions(project).await?),
            ..offer.clone()
        },
        _ => offer.clone(),
    };
    let valid = validate(input, offer)?;
    let server_id = match valid.provider {
        Provider::Server => Some(
            crate::server::placement::place_new(
                tx,
                project,
                &crate::server::placement::Need {
                    memory_mb: find_plan(valid.plan).map_or(512, |p| p.memory_mib),
                    disk_gb: valid.storage_gb,
                    pg_version: valid.version,
                },
                input.server_id,
                input.region.as_deref(),
            )
            .await?,
        ),
        _ => None,
    };
    let mut instance = db
        .insert_instance(
            tx,
            &crate::db::NewInstance {
                project_id: project,
                name: valid.name,
                provider: valid.provider,
                pg_version: valid.version,
                storage_gb: valid.storage_gb,
                username: valid.username,
                database_name: valid.database,
                password: valid.password,
                // Kubernetes instances' superuser is reached over the network, with a password.
                superuser_password: (valid.provider == Provider::Kubernetes)
                    .then(user::generate_password),
                plan: valid.plan.to_owned(),
                service_type: valid.service_type.map(|t| t.as_str().to_owned()),
                created_by: requested_by,
                server_id,
                synchronous: valid.synchronous,
            },
        )
        .await?;
    for _ in 0..valid.standbys {
        standbys::insert_in(tx, &instance, None).await?;
    }
    instance.standbys = valid.standbys;
    if let Some((source, target)) = restore {
        Db::set_restore_source(tx, instance.id, source, target).await?;
    }
    Ok(instance)
}

pub(crate) fn new_operation(
    instance: &Instance,
    kind: Kind,
    requested_by: Option<UserId>,
    input: serde_json::Value,
) -> NewOperation {
    NewOperation {
        project_id: instance.project_id,
        kind,
        target_kind: TargetKind::Instance,
        target_id: Some(instance.id.0),
        provider: Some(instance.provider),
        input,
        requested_by,
    }
}

/// An instance workflow: its steps where Postgres runs on a host (local or a server) and
/// where it runs on Kubernetes.
pub(crate) struct InstanceWorkflow {
    host: Table<HostStep>,
    kube: Table<KubeStep>,
}

impl InstanceWorkflow {
    const fn new(host: &'static [HostStep], kube: &'static [KubeStep]) -> Self {
        Self {
            host: Table {
                steps: host,
                run: |s, op, cx| Box::pin(steps::step(s, op, cx)),
                give_up: GIVE_UP,
            },
            kube: Table {
                steps: kube,
                run: |s, op, cx| Box::pin(kube::step(s, op, cx)),
                give_up: GIVE_UP,
            },
        }
    }
}

impl Workflow for InstanceWorkflow {
    fn first_step(&self, provider: Option<Provider>) -> Option<&'static str> {
        match provider? {
            Provider::Local | Provider::Server => self.host.first_step(None),
            Provider::Kubernetes => self.kube.first_step(None),
        }
    }

    fn step<'a>(&'a self, op: &'a Operation, cx: &'a Context) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(async move {
            match target(op, cx).await?.provider {
                Provider::Local | Provider::Server => self.host.drive(op, cx).await,
                Provider::Kubernetes => self.kube.drive(op, cx).await,
            }
        })
    }

    fn give_up(&self) -> &GiveUp {
        &self.host.give_up
    }
}

/// A stored port as a host takes it; `whose` names it in the error when there is none.
pub(crate) fn port_of(port: Option<i32>, whose: &str) -> Result<u16> {
    port.and_then(|p| u16::try_from(p).ok())
        .ok_or_else(|| Error::Other(anyhow::anyhow!("{whose} has no port")))
}

/// `create_instance`: a port, a data directory, the server, the login; or the Kubernetes
/// objects, a ready pod, the login.
pub(crate) static CREATE: InstanceWorkflow = InstanceWorkflow::new(
    &[
        HostStep::AllocatePort,
        HostStep::PrepareDataDir,
        HostStep::StartServer,
        HostStep::CreateRole,
        HostStep::CreateStanza,
        HostStep::MarkRunning,
        HostStep::StartStandbys,
    ],
    &[
        KubeStep::ApplyObjects,
        KubeStep::WaitReady,
        KubeStep::CreateRole,
        KubeStep::MarkRunning,
    ],
);
/// `delete_instance`.
pub(crate) static DELETE: InstanceWorkflow = InstanceWorkflow::new(
    &[
        HostStep::StopServer,
        HostStep::StopStandbys,
        HostStep::RemoveData,
        HostStep::RemoveStandbys,
        HostStep::RemoveBackups,
        HostStep::MarkDeleted,
    ],
    &[
        KubeStep::DeleteObjects,
        KubeStep::WaitDeleted,
        KubeStep::MarkDeleted,
    ],
);
/// `stop_instance`.
pub(crate) static STOP: InstanceWorkflow = InstanceWorkflow::new(
    &[
        HostStep::StopServer,
        HostStep::StopStandbys,
        HostStep::MarkStopped,
    ],
    &[
        KubeStep::ScaleDown,
        KubeStep::WaitStopped,
        KubeStep::MarkStopped,
    ],
);
/// `start_instance`.
pub(crate) static START: InstanceWorkflow = InstanceWorkflow::new(
    &[
        HostStep::StartServer,
        HostStep::CreateStanza,
        HostStep::MarkRunning,
        HostStep::StartStandbys,
    ],
    &[
        KubeStep::ApplyObjects,
        KubeStep::WaitReady,
        KubeStep::MarkRunning,
    ],
);
/// `restart_instance`.
pub(crate) static RESTART: InstanceWorkflow = InstanceWorkflow::new(
    &[
        HostStep::StopServer,
        HostStep::StartServer,
        HostStep::CreateStanza,
        HostStep::MarkRunning,
        HostStep::StartStandbys,
    ],
    &[
        KubeStep::RestartPod,
        KubeStep::WaitReady,
        KubeStep::MarkRunning,
    ],
);
/// `recover_instance`: the health sweep's automatic restart (drift on Kubernetes is repaired
/// by the sweep itself).
pub(crate) static RECOVER: InstanceWorkflow = InstanceWorkflow::new(
    &[
        HostStep::StartServer,
        HostStep::CreateStanza,
        HostStep::MarkRunning,
        HostStep::StartStandbys,
    ],
    &[
        KubeStep::ApplyObjects,
        KubeStep::WaitReady,
        KubeStep::MarkRunning,
    ],
);

/// `add_standby`: make the standby it names (and bring any other back), then have a
/// synchronous primary wait for it. Giving up removes the new standby; the primary serves on.
pub(crate) static ADD_STANDBY: Table<HostStep> = Table {
    steps: &[HostStep::StartStandbys],
    run: |s, op, cx| Box::pin(steps::step(s, op, cx)),
    give_up: GiveUp {
        clean_up: |op, _, cx| Box::pin(standbys::forget_new(op, cx)),
        mark: |_, _, _, _, _| Box::pin(async { Ok(()) }),
    },
};
/// `heal_standbys`: bring back the standbys that are down (rebuilding a failed primary
/// left behind by a failover), then have a synchronous primary wait for them again. Started
/// by the failover watcher; giving up leaves them down until its next try.
pub(crate) static HEAL_STANDBYS: Table<HostStep> = Table {
    steps: &[HostStep::StartStandbys],
    run: |s, op, cx| Box::pin(steps::step(s, op, cx)),
    give_up: GiveUp::NOTHING,
};
/// `remove_standby`: stop the standby it names, remove it and its slot. Giving up leaves it
/// as it was.
pub(crate) static REMOVE_STANDBY: Table<HostStep> = Table {
    steps: &[HostStep::DropStandby],
    run: |s, op, cx| Box::pin(steps::step(s, op, cx)),
    give_up: GiveUp::NOTHING,
};

/// `relocate_standby`: stop the standby it names and remove its data where it was (and its
/// slot on the primary, which stops waiting for it), point it at its new server, then make it
/// there afresh and wait until it streams. Giving up leaves it where it got to: down, for
/// `heal_standbys` to bring back; the primary serves on.
pub(crate) static RELOCATE_STANDBY: Table<HostStep> = Table {
    steps: &[HostStep::DropOldCopy, HostStep::StartStandbys],
    run: |s, op, cx| Box::pin(steps::step(s, op, cx)),
    give_up: GiveUp::NOTHING,
};

/// An instance operation that gives up stops the instance, which is then marked failed.
const GIVE_UP: GiveUp = GiveUp {
    clean_up: |op, _, cx| {
        Box::pin(async move {
            stop_after_failure(op, cx).await;
            false
        })
    },
    mark: |tx, op, message, fine, _| Box::pin(mark_failed(tx, op, message, fine)),
};

/// Mark the operation's instance failed with `message`, unless it is `fine` as it is.
pub(crate) async fn mark_failed(
    tx: &mut Transaction<'_, Postgres>,
    op: &Operation,
    message: &str,
    fine: bool,
) -> Result<()> {
    if op.target_kind == TargetKind::Instance
        && !fine
        && let Some(target) = op.target_id
    {
        Db::mark_instance_failed(tx, InstanceId(target), message).await?;
    }
    Ok(())
}

/// The instance an instance operation acts on.
pub(crate) async fn target(op: &Operation, cx: &Context) -> Result<Instance> {
    let id = InstanceId(op.target_id.ok_or(Error::NotFound { kind: "instance" })?);
    cx.db.instance(id).await
}

/// Record that a stop has finished.
async fn mark_stopped(id: InstanceId, cx: &Context) -> Result<()> {
    cx.db
        .set_instance_state_if(id, InstanceState::Stopping, InstanceState::Stopped)
        .await?;
    Ok(())
}

/// How a delete treats the instance's storage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteOptions {
    /// Keep the volume (Kubernetes: the PVC) for a later restore.
    pub retain_storage: Option<bool>,
    /// Delete the instance's backups and archived WAL at once, instead of keeping them for
    /// their retention period (during which the instance can be restored).
    pub purge_backups: Option<bool>,
}

/// Start an operation of `kind` on an existing instance: check that its state allows it, move
/// it to the operation's first state, record the operation and enqueue it, in one transaction.
pub async fn change(
    db: &Db,
    id: InstanceId,
    kind: Kind,
    requested_by: Option<UserId>,
) -> Result<Operation> {
    change_with(db, id, kind, requested_by, serde_json::json!({})).await
}

/// Delete an instance, keeping its storage when `options` ask (Kubernetes only).
pub async fn delete(
    db: &Db,
    id: InstanceId,
    options: DeleteOptions,
    requested_by: Option<UserId>,
) -> Result<Operation> {
    if options.retain_storage.is_some() {
        let instance = db.instance(id).await?;
        if instance.provider != Provider::Kubernetes {
            return Err(Error::InvalidInput(
                "retainStorage applies to KUBERNETES instances only".to_owned(),
            ));
        }
    }
    let input = serde_json::to_value(options).map_err(anyhow::Error::from)?;
    change_with(db, id, Kind::DeleteInstance, requested_by, input).await
}

async fn change_with(
    db: &Db,
    id: InstanceId,
    kind: Kind,
    requested_by: Option<UserId>,
    input: serde_json::Value,
) -> Result<Operation> {
    use InstanceState as S;
    let (allowed, entering, desired): (&[S], S, Option<DesiredState>) = match kind {
        Kind::DeleteInstance => (
            &[
                S::Creating,
                S::Running,
                S::Stopping,
                S::Stopped,
                S::Starting,
                S::Failed,
            ],
            S::Deleting,
            Some(DesiredState::Deleted),
        ),
        Kind::StopInstance => (&[S::Running], S::Stopping, Some(DesiredState::Stopped)),
        Kind::StartInstance => (
            &[S::Stopped, S::Failed],
            S::Starting,
            Some(DesiredState::Running),
        ),
        Kind::RestartInstance => (&[S::Running], S::Stopping, Some(DesiredState::Running)),
        Kind::RecoverInstance | Kind::HealStandbys => (&[S::Running], S::Running, None),
        other => {
            return Err(Error::InvalidInput(format!(
                "{} does not change an instance",
                other.as_str()
            )));
        }
    };
    let mut tx = db.begin().await?;
    let instance = Db::lock_instance(&mut tx, id).await?;
    if !allowed.contains(&instance.state) {
        return Err(Error::Conflict(
            format!(
                "instance {} is {:?}; {} needs it to be one of {:?}",
                instance.name,
                instance.state,
                kind.as_str(),
                allowed
            )
            .to_lowercase(),
        ));
    }
    let op = engine::start_in(&mut tx, new_operation(&instance, kind, requested_by, input)).await?;
    Db::set_instance_state(&mut tx, id, entering, desired).await?;
    tx.commit().await?;
    tracing::info!(instance = %id, kind = kind.as_str(), "instance operation queued");
    Ok(op)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(versions: &[u32]) -> Offer {
        Offer {
            local_versions: versions.to_vec(),
            ..Offer::default()
        }
    }

    #[test]
    fn kubernetes_instances_get_the_configured_service_type_a_plan_and_its_versions() {
        use providers::kubernetes::ServiceType;
        let offer = Offer {
            local_versions: vec![15],
            kubernetes: Some(ServiceType::ClusterIp),
            ..Offer::default()
        };
        let k8s = CreateInstance {
            provider: Some(Provider::Kubernetes),
            ..input("db")
        };
        let v = validate(&k8s, &offer).unwrap();
        assert_eq!(v.version, 18, "the newest the official image offers");
        assert_eq!(
            (v.plan, v.service_type),
            ("small", Some(ServiceType::ClusterIp))
        );
        let lb = CreateInstance {
            service_type: Some(ServiceType::LoadBalancer),
            plan: Some("large".into()),
            version: Some(13),
            ..k8s.clone()
        };
        let v = validate(&lb, &offer).unwrap();
        assert_eq!(
            (v.plan, v.service_type),
            ("large", Some(ServiceType::LoadBalancer))
        );
        for bad in [
            CreateInstance {
                plan: Some("huge".into()),
                ..k8s.clone()
            },
            CreateInstance {
                version: Some(12),
                ..k8s.clone()
            },
            CreateInstance {
                service_type: Some(ServiceType::LoadBalancer),
                ..input("db")
            },
        ] {
            assert!(
                matches!(validate(&bad, &offer), Err(Error::InvalidInput(_))),
                "{bad:?}"
            );
        }
    }

    fn input(name: &str) -> CreateInstance {
        CreateInstance {
            name: name.to_owned(),
            ..CreateInstance::default()
        }
    }

    #[test]
    fn names_must_be_dns1123_labels() {
        for good in ["a", "db-1", "0abc", &"a".repeat(63)] {
            assert!(is_dns1123_label(good), "{good}");
        }
        for bad in ["", "-a", "a-", "A", "a_b", "a.b", &"a".repeat(64), "é"] {
            assert!(!is_dns1123_label(bad), "{bad}");
            assert!(matches!(
                validate(&input(bad), &local(&[15])),
                Err(Error::InvalidInput(_))
            ));
        }
    }

    #[test]
    fn defaults_fill_in_version_size_role_and_a_strong_password() {
        let v = validate(&input("db"), &local(&[14, 15])).unwrap();
        assert_eq!((v.version, v.storage_gb), (15, DEFAULT_STORAGE_GB));
        assert_eq!((v.username.as_str(), v.database.as_str()), ("app", "app"));
        assert!(v.password.len() >= 20);
        assert_eq!(v.provider, Provider::Local);
    }

    #[test]
    fn out_of_bounds_input_is_refused_with_a_reason() {
        let bad = [
            CreateInstance {
                version: Some(9),
                ..input("db")
            },
            CreateInstance {
                storage_gb: Some(0),
                ..input("db")
            },
            CreateInstance {
                storage_gb: Some(MAX_STORAGE_GB + 1),
                ..input("db")
            },
            CreateInstance {
                username: Some("postgres".into()),
                ..input("db")
            },
            CreateInstance {
                username: Some("toygres_replicator".into()),
                ..input("db")
            },
            CreateInstance {
                username: Some("Robert'); DROP".into()),
                ..input("db")
            },
            CreateInstance {
                database: Some("pg_catalog".into()),
                ..input("db")
            },
            CreateInstance {
                password: Some("short".into()),
                ..input("db")
            },
            CreateInstance {
                password: Some("aaaaaaaaaaaaaaaa".into()),
                ..input("db")
            },
            CreateInstance {
                provider: Some(Provider::Kubernetes),
                ..input("db")
            },
        ];
        for b in bad {
            assert!(
                matches!(validate(&b, &local(&[15])), Err(Error::InvalidInput(_))),
                "{b:?}"
            );
        }
    }

    #[test]
    fn connection_strings_encode_what_needs_encoding() {
        let now = Utc::now();
        let inst = Instance {
            id: InstanceId(Uuid::now_v7()),
            project_id: crate::user::DEFAULT_PROJECT_ID,
            name: "db".into(),
            provider: Provider::Local,
            pg_version: 15,
            storage_gb: 1,
            state: InstanceState::Running,
            health: Health::Unknown,
            failure_reason: None,
            created_by: None,
            created_at: now,
            updated_at: now,
            desired_state: DesiredState::Running,
            username: "app".into(),
            database_name: "app".into(),
            host: Some("127.0.0.1".into()),
            port: Some(15432),
            last_checked_at: None,
            latency_ms: None,
            server_version: None,
            deleted_at: None,
            plan: "small".into(),
            service_type: None,
            status_message: None,
            server_id: None,
            primary_member_id: None,
            data_name: None,
            standbys: 0,
            synchronous: false,
            last_failover_at: None,
        };
        assert_eq!(
            inst.connection_string(Some("p@ss:w/rd"), &[]).unwrap(),
            "postgresql://app:p%40ss%3Aw%2Frd@127.0.0.1:15432/app?sslmode=verify-full&sslrootcert=toygres-ca.crt"
        );
        assert_eq!(
            inst.connection_string(None, &[]).unwrap(),
            "postgresql://app@127.0.0.1:15432/app?sslmode=verify-full&sslrootcert=toygres-ca.crt"
        );
        let on_kubernetes = Instance {
            provider: Provider::Kubernetes,
            host: Some("tg-0123456789ab.toygres.svc".into()),
            port: Some(5432),
            ..inst.clone()
        };
        assert_eq!(
            on_kubernetes.connection_string(None, &[]).unwrap(),
            "postgresql://app@tg-0123456789ab.toygres.svc:5432/app?sslmode=verify-full&sslrootcert=toygres-ca.crt"
        );
        assert!(inst.resource_name().starts_with("tg-"));
        assert_eq!(
            inst.resource_name().len(),
            15,
            "short enough for socket paths"
        );
    }

    #[test]
    fn with_standbys_the_connection_string_lists_every_member_primary_first() {
        let now = Utc::now();
        let inst = Instance {
            host: Some("10.0.0.1".into()),
            port: Some(5433),
            provider: Provider::Server,
            ..Instance::draft(&input("db"), &local(&[15])).unwrap()
        };
        let standby = |host: Option<&str>, port: Option<i32>| Standby {
            id: Uuid::now_v7(),
            instance_id: inst.id,
            server_id: None,
            resource_name: "tg-000000000001".into(),
            port,
            host: host.map(Into::into),
            state: standbys::StandbyState::Streaming,
            rebuild: false,
            lag_bytes: None,
            replay_lag_ms: None,
            checked_at: None,
            created_at: now,
            updated_at: now,
        };
        let members = [
            standby(Some("10.0.0.2"), Some(5434)),
            standby(Some("fd00::3"), Some(5435)),
            // Not started yet: no address to list.
            standby(None, None),
        ];
        assert_eq!(
            inst.connection_string(None, &members).unwrap(),
            "postgresql://app@10.0.0.1:5433,10.0.0.2:5434,[fd00::3]:5435/app\
             ?target_session_attrs=read-write&sslmode=verify-full&sslrootcert=toygres-ca.crt"
        );
        assert_eq!(
            inst.read_only_connection_string(None, &members).unwrap(),
            "postgresql://app@10.0.0.1:5433,10.0.0.2:5434,[fd00::3]:5435/app\
             ?target_session_attrs=prefer-standby&sslmode=verify-full&sslrootcert=toygres-ca.crt"
        );
        assert_eq!(
            inst.connection_string(None, &members[2..]).unwrap(),
            "postgresql://app@10.0.0.1:5433/app?sslmode=verify-full&sslrootcert=toygres-ca.crt",
            "a lone primary's string is as it always was"
        );
    }

    #[test]
    fn standbys_are_counted_and_kubernetes_has_none() {
        let too_many = CreateInstance {
            standbys: Some(MAX_STANDBYS + 1),
            ..input("db")
        };
        assert!(matches!(
            validate(&too_many, &local(&[15])),
            Err(Error::InvalidInput(_))
        ));
        let nothing_to_wait_for = CreateInstance {
            synchronous: Some(true),
            ..input("db")
        };
        assert!(matches!(
            validate(&nothing_to_wait_for, &local(&[15])),
            Err(Error::InvalidInput(_))
        ));
        let kube = CreateInstance {
            standbys: Some(1),
            provider: Some(Provider::Kubernetes),
            ..input("db")
        };
        let offer = Offer {
            kubernetes: Some(ServiceType::ClusterIp),
            ..local(&[15])
        };
        assert!(matches!(
            validate(&kube, &offer),
            Err(Error::Unsupported(_))
        ));
        let fine = validate(
            &CreateInstance {
                standbys: Some(2),
                synchronous: Some(true),
                ..input("db")
            },
            &local(&[15]),
        )
        .unwrap();
        assert_eq!((fine.standbys, fine.synchronous), (2, true));
    }
}
