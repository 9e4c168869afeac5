//! Servers we did not make: hosts registered by address (bare metal, VMs from elsewhere). They
//! join the fleet like provisioned ones, minus the cloud: `register_server` reaches them over
//! SSH (trusting and recording the host key they present), finds their PostgreSQL versions,
//! memory and disk, and makes them active. Removing one drains it and forgets it; the host is
//! left as it was.
//!
//! ```text
//! register_server: first_contact → mark_active
//! ```

use std::net::IpAddr;

use uuid::Uuid;

use super::{CloudProvider, Server, ServerId, new_operation};
use crate::db::{Db, NewServer};
use crate::engine;
use crate::operation::Operation;
use crate::user::{ProjectId, UserId};
use crate::workflow::Kind;
use crate::{Error, Result};

/// What a user registers.
#[derive(Clone, Debug)]
pub struct RegisterServer {
    /// A DNS-1123 name, unique in the project.
    pub name: String,
    /// Its address: we reach SSH there, and its instances listen there.
    pub address: IpAddr,
    /// Its SSH port; 22 when absent.
    pub ssh_port: Option<u16>,
    /// The user we log in as: `root`, `postgres`, or one that may `sudo -u postgres`; `root`
    /// when absent.
    pub ssh_user: Option<String>,
    /// A region name of the operator's choosing; `default` when absent.
    pub region: Option<String>,
    /// Memory instances may use, in GB; measured when absent.
    pub memory_gb: Option<f64>,
    /// Disk instances may use, in GB; the free disk under the root when absent.
    pub disk_gb: Option<i32>,
}

fn check(input: &RegisterServer) -> Result<()> {
    if !crate::instance::is_dns1123_label(input.name.trim()) {
        return Err(Error::InvalidInput(format!(
            "name {:?} must be a DNS-1123 label: 1 to 63 lower-case letters, digits or '-', \
             starting and ending with a letter or digit",
            input.name
        )));
    }
    if input.ssh_port == Some(0) {
        return Err(Error::InvalidInput(
            "sshPort must be between 1 and 65535".to_owned(),
        ));
    }
    if let Some(user) = &input.ssh_user {
        let ok = (1..=32).contains(&user.len())
            && user
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
            && !user.starts_with('-');
        if !ok {
            return Err(Error::InvalidInput(format!(
                "sshUser {user:?} must be a user name: lower-case letters, digits, '_' or '-'"
            )));
        }
    }
    if let Some(region) = &input.region
        && !crate::instance::is_dns1123_label(region)
    {
        return Err(Error::InvalidInput(format!(
            "region {region:?} must be a DNS-1123 label"
        )));
    }
    if input
        .memory_gb
        .is_some_and(|m| !(0.25..=65536.0).contains(&m))
    {
        return Err(Error::InvalidInput(
            "memoryGb must be between 0.25 and 65536".to_owned(),
        ));
    }
    if input.disk_gb.is_some_and(|d| !(1..=1_000_000).contains(&d)) {
        return Err(Error::InvalidInput(
            "diskGb must be between 1 and 1000000".to_owned(),
        ));
    }
    if input.address.is_unspecified() || input.address.is_multicast() {
        return Err(Error::InvalidInput(format!(
            "{} is not a host's address",
            input.address
        )));
    }
    Ok(())
}

/// Record a registered server (state `bootstrapping`) and its `register_server` operation, and
/// enqueue it, in one transaction. `Conflict` if a live server has that name, or that address
/// and SSH port.
pub async fn register(
    db: &Db,
    input: &RegisterServer,
    project: ProjectId,
    requested_by: Option<UserId>,
    ssh_configured: bool,
) -> Result<(Server, Operation)> {
    check(input)?;
    if !ssh_configured {
        return Err(Error::InvalidInput(
            "no SSH key is configured: set TOYGRES_SSH_PRIVATE_KEY_FILE so that Toygres can reach servers"
                .to_owned(),
        ));
    }
    let ssh_port = input.ssh_port.unwrap_or(22);
    let mut tx = db.begin().await?;
    if let Some(other) = Db::live_server_at(&mut tx, input.address, ssh_port).await? {
        return Err(Error::Conflict(format!(
            "server {} is registered at {}:{ssh_port} already",
            other.name, input.address
        )));
    }
    let id = ServerId(Uuid::now_v7());
    let new = NewServer {
        id,
        project_id: project,
        name: input.name.trim().to_owned(),
        provider: CloudProvider::Existing,
        plan: "existing".to_owned(),
        region: input.region.clone().unwrap_or_else(|| "default".to_owned()),
        template: "none".to_owned(),
        image: String::new(),
        labels: Default::default(),
        created_by: requested_by,
        scaling_operation_id: None,
    };
    let server = Db::insert_registered_server(
        &mut tx,
        &new,
        &crate::db::Reach {
            address: input.address,
            ssh_port,
            ssh_user: input.ssh_user.clone().unwrap_or_else(|| "root".to_owned()),
            memory_mb: input.memory_gb.map(|g| (g * 1024.0).round() as i32),
            disk_gb: input.disk_gb,
        },
    )
    .await?;
    Db::server_event_in(
        &mut tx,
        &server,
        "server_registered",
        "info",
        &format!("{} registered at {}:{ssh_port}", server.name, input.address),
    )
    .await?;
    let op = engine::start_in(
        &mut tx,
        new_operation(&server, Kind::RegisterServer, None, requested_by),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(server = %server.id, name = %server.name, "server registering");
    Ok((server, op))
}
