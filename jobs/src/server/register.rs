//! Servers we did not make: hosts registered by address (bare metal, VMs from elsewhere). They
//! join the fleet like provisioned ones, minus the cloud: `register_server` reaches them over
//! SSH (trusting and recording the host key they present), finds their PostgreSQL versions,
//! memory and disk, and makes them active. Removing one drains it and forgets it; the host is
//! left as it was.
//!
//! # Who may register what
//! A registration makes the server a key pair of its own and answers with its public half;
//! the host's owner authorises it (`authorized_keys` of the login user), and `first_contact`
//! logs in with that key alone, waiting (and saying so on the operation) until it is
//! authorised, up to `Fleet::key_wait`. So registering a host proves control of it: nobody
//! can take over a host by typing its address. Besides:
//! * an address is compared after normalisation (an IPv4-mapped IPv6 address is its IPv4),
//!   and one that any server in any project has, in any state but `removed`, is refused with
//!   `Conflict` (a removed server's host may be registered again; a failed one must be
//!   removed first);
//! * loopback, link-local, unspecified, multicast and broadcast addresses, and the cloud
//!   metadata services (169.254.169.254, fd00:ec2::254, 100.100.100.200), are refused unless
//!   `TOYGRES_ALLOW_PRIVATE_SERVER_ADDRESSES` is set: they name the control plane's own
//!   machine or its cloud's internals, not a tenant's host. Private networks (RFC 1918,
//!   unique-local IPv6, shared address space) are allowed: hosts on a private network beside
//!   the control plane are the common case.
//!
//! ```text
//! register_server: first_contact → mark_active
//! ```

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use uuid::Uuid;

use super::{CloudProvider, Fleet, Server, ServerId, new_operation};
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
    Ok(())
}

/// `address` as stored and compared: an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) is its
/// IPv4 address.
pub(crate) fn normalise(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_canonical(),
        IpAddr::V4(_) => address,
    }
}

/// The cloud metadata services: AWS, GCP, Azure, DigitalOcean, Hetzner and OpenStack answer at
/// 169.254.169.254 (link-local, refused with it), AWS also at fd00:ec2::254, Alibaba at
/// 100.100.100.200.
const METADATA_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254);
const METADATA_ALIBABA: Ipv4Addr = Ipv4Addr::new(100, 100, 100, 200);

/// Refuse an address (normalised) that is no tenant's host: never one that names no single
/// host; unless `allow_private`, none that names this machine or its cloud's internals.
pub(crate) fn check_address(address: IpAddr, allow_private: bool) -> Result<()> {
    let (never, private) = match address {
        IpAddr::V4(v4) => (
            v4.is_unspecified() || v4.is_multicast() || v4.is_broadcast() || v4.octets()[0] == 0,
            v4.is_loopback() || v4.is_link_local() || v4 == METADATA_ALIBABA,
        ),
        IpAddr::V6(v6) => (
            v6.is_unspecified() || v6.is_multicast(),
            v6.is_loopback() || v6.is_unicast_link_local() || v6 == METADATA_V6,
        ),
    };
    if never {
        return Err(Error::InvalidInput(format!(
            "{address} is not a host's address"
        )));
    }
    if private && !allow_private {
        return Err(Error::InvalidInput(format!(
            "{address} is a loopback, link-local or cloud metadata-service address, which \
             names the control plane's own machine or its cloud, not a host of yours; register \
             the host by an address the control plane reaches it at over the network (an \
             operator may allow such addresses with TOYGRES_ALLOW_PRIVATE_SERVER_ADDRESSES=true)"
        )));
    }
    Ok(())
}

/// Record a registered server (state `bootstrapping`) with a key pair of its own, and its
/// `register_server` operation, and enqueue it, in one transaction. The server's public key
/// is [`Server::ssh_public_key`]: its owner must authorise it on the host before the
/// registration can finish. `Conflict` if a server of the project has that name, or any server
/// not removed has that address; `QuotaExceeded` when the project's quota has no room.
pub async fn register(
    db: &Db,
    input: &RegisterServer,
    project: ProjectId,
    requested_by: Option<UserId>,
    fleet: &Fleet,
) -> Result<(Server, Operation)> {
    check(input)?;
    let address = normalise(input.address);
    check_address(address, fleet.allow_private_addresses)?;
    if !fleet.hosts.configured() {
        return Err(Error::InvalidInput(
            "no SSH key is configured: set TOYGRES_SSH_PRIVATE_KEY_FILE so that Toygres can reach servers"
                .to_owned(),
        ));
    }
    let ssh_port = input.ssh_port.unwrap_or(22);
    let mut tx = db.begin().await?;
    let reservation = crate::quota::lock(&mut tx, db, project).await?;
    if let Some(other) = Db::server_at_address(&mut tx, address).await? {
        // Another project's server is named only as "a server": its name is not ours to see.
        return Err(Error::Conflict(if other.project_id == project {
            format!("server {} is registered at {address} already", other.name)
        } else {
            format!("a server is registered at {address} already")
        }));
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
            address,
            ssh_port,
            ssh_user: input.ssh_user.clone().unwrap_or_else(|| "root".to_owned()),
            memory_mb: input.memory_gb.map(|g| (g * 1024.0).round() as i32),
            disk_gb: input.disk_gb,
        },
    )
    .await?;
    reservation
        .check(&mut tx, super::one_server(), Default::default())
        .await?;
    let (public, sealed) = fleet.hosts.new_key(server.id, &server.name)?;
    let public = Db::set_server_key(&mut tx, server.id, &public, &sealed).await?;
    let server = Server {
        ssh_public_key: Some(public),
        ..server
    };
    Db::server_event_in(
        &mut tx,
        &server,
        "server_registered",
        "info",
        &format!(
            "{} registered at {address}:{ssh_port}; it becomes active once its SSH key is authorised there",
            server.name
        ),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        normalise(text.parse().unwrap())
    }

    #[test]
    fn an_ipv4_mapped_ipv6_address_is_its_ipv4_address() {
        assert_eq!(ip("::ffff:10.1.2.3"), ip("10.1.2.3"));
        assert_eq!(ip("::ffff:127.0.0.1"), ip("127.0.0.1"));
        assert_eq!(ip("2001:db8::1"), "2001:db8::1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn loopback_link_local_and_metadata_addresses_are_refused_unless_allowed() {
        for refused in [
            "127.0.0.1",
            "127.0.31.1",
            "::1",
            "::ffff:127.0.0.1",
            "169.254.169.254",
            "169.254.1.1",
            "fe80::1",
            "fd00:ec2::254",
            "100.100.100.200",
        ] {
            let err = check_address(ip(refused), false).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidInput(m) if m.contains("TOYGRES_ALLOW_PRIVATE_SERVER_ADDRESSES")),
                "{refused}: {err}"
            );
            check_address(ip(refused), true).unwrap();
        }
    }

    #[test]
    fn private_networks_and_public_addresses_are_hosts() {
        for ok in [
            "10.0.0.5",
            "172.16.3.4",
            "192.168.1.10",
            "100.64.0.1",
            "fd12:3456::1",
            "203.0.113.9",
            "2001:db8::5",
        ] {
            check_address(ip(ok), false).unwrap();
        }
    }

    #[test]
    fn addresses_of_no_single_host_are_refused_even_when_private_ones_are_allowed() {
        for never in [
            "0.0.0.0",
            "0.1.2.3",
            "::",
            "224.0.0.1",
            "ff02::1",
            "255.255.255.255",
        ] {
            assert!(check_address(ip(never), true).is_err(), "{never}");
        }
    }
}
