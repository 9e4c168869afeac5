//! Reaching the Postgres hosts of the fleet: one [`PgHost`] per server, over SSH, with the host
//! key the server presented when it was first reached, logged in with the server's own key
//! (opened from its sealed copy) alone; a server without one (recorded before keys were per
//! server) with the installation's key.
//!
//! On a server, instances live under `<root>/<first 12 hex digits of the server id>/`
//! (`TOYGRES_SERVER_ROOT`, `/var/lib/toygres` by default, which the server templates make and
//! give to `postgres`): the server's own directory, so that hosts sharing storage never collide.
//! Instances listen on the server's address, at ports from `TOYGRES_SERVER_PORT_MIN` on
//! (`TOYGRES_SERVER_PORT_COUNT` of them).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::anyhow;
use providers::host::{CommandLimits, KeyPair, PgHost, Reach, Shell, SshClient};
use zeroize::Zeroizing;

use super::{Server, ServerId};
use crate::db::Db;
use crate::{Error, Result, Sealer};

/// What a server told us when we first reached it.
#[derive(Clone, Debug)]
pub struct Contact {
    /// The host key it presented (`<type> <base64>`).
    pub host_key: String,
    /// The PostgreSQL majors installed there.
    pub versions: Vec<i32>,
    /// Its memory, in MB.
    pub memory_mb: i32,
    /// The disk free under the instances' root, in GB.
    pub disk_gb: i32,
}

/// The fleet's hosts.
#[derive(Debug)]
pub struct ServerHosts {
    ssh: Option<SshClient>,
    sealer: Option<Arc<dyn Sealer>>,
    root: PathBuf,
    ports: std::ops::Range<u16>,
    /// The deadlines and output cap of commands on servers.
    limits: CommandLimits,
    cache: Mutex<HashMap<(ServerId, String), Arc<PgHost>>>,
}

impl Default for ServerHosts {
    /// No SSH key: instances cannot be placed on servers.
    fn default() -> Self {
        Self {
            ssh: None,
            sealer: None,
            root: PathBuf::from("/var/lib/toygres"),
            ports: 5433..6433,
            limits: CommandLimits::default(),
            cache: Mutex::new(HashMap::new()),
        }
    }
}

impl ServerHosts {
    /// Hosts reached with `ssh`, instances under `root` at ports in `ports`; servers' own
    /// keys are sealed and opened with `sealer`.
    pub fn new(
        ssh: SshClient,
        sealer: Arc<dyn Sealer>,
        root: PathBuf,
        ports: std::ops::Range<u16>,
    ) -> Self {
        Self {
            ssh: Some(ssh),
            sealer: Some(sealer),
            root,
            ports,
            limits: CommandLimits::default(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The same hosts, their commands within `limits`.
    #[must_use]
    pub fn with_limits(mut self, limits: CommandLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Whether an SSH key is configured, so that servers can host instances.
    pub fn configured(&self) -> bool {
        self.ssh.is_some()
    }

    fn client(&self) -> Result<&SshClient> {
        self.ssh.as_ref().ok_or_else(|| {
            Error::InvalidInput(
                "no SSH key is configured: set TOYGRES_SSH_PRIVATE_KEY_FILE so that Toygres can reach servers"
                    .to_owned(),
            )
        })
    }

    fn sealer(&self) -> Result<&Arc<dyn Sealer>> {
        self.client()?;
        self.sealer
            .as_ref()
            .ok_or_else(|| Error::Other(anyhow!("servers' keys cannot be sealed: no master key")))
    }

    /// A new key pair for `server`: its public line, and its private key sealed for storage.
    pub fn new_key(&self, server: ServerId, name: &str) -> Result<(String, Vec<u8>)> {
        let sealer = self.sealer()?;
        let pair = KeyPair::generate(&format!("toygres-{name}"));
        let sealed = sealer.seal(&key_name(server), pair.private_openssh().as_bytes());
        Ok((pair.public.clone(), sealed))
    }

    /// The private key `server` logs in with, opened; `None` for a server without a key of
    /// its own, which uses the installation's.
    async fn identity(&self, db: &Db, server: &Server) -> Result<Option<Zeroizing<String>>> {
        if server.ssh_public_key.is_none() {
            return Ok(None);
        }
        let sealed = db.server_sealed_key(server.id).await?.ok_or_else(|| {
            Error::Provider(providers::Error::Permanent(anyhow!(
                "server {}'s SSH key is missing from the database",
                server.name
            )))
        })?;
        let opened = Zeroizing::new(self.sealer()?.open(&key_name(server.id), &sealed)?);
        let text = std::str::from_utf8(&opened)
            .map_err(|_| Error::Other(anyhow!("server {}'s SSH key is not text", server.name)))?;
        Ok(Some(Zeroizing::new(text.to_owned())))
    }

    fn root_of(&self, server: &Server) -> PathBuf {
        let id = server.id.0.simple().to_string();
        self.root.join(&id[..12])
    }

    fn shell(
        &self,
        server: &Server,
        host_key: Option<&str>,
        identity: Option<&str>,
    ) -> Result<Shell> {
        let address = server.address().ok_or_else(|| {
            Error::Provider(providers::Error::Permanent(anyhow!(
                "server {} has no address yet",
                server.name
            )))
        })?;
        let port = u16::try_from(server.ssh_port).map_err(anyhow::Error::from)?;
        let target = self.client()?.target(
            &server.id.0.simple().to_string(),
            &address.to_string(),
            port,
            &server.ssh_user,
            host_key,
            identity,
        )?;
        Ok(Shell::ssh(target).with_limits(self.limits))
    }

    /// The Postgres host on `server`, reached with the host key recorded for it and the
    /// server's own key (read from `db` on first use).
    pub async fn host(&self, db: &Db, server: &Server) -> Result<Arc<PgHost>> {
        let Some(key) = server.ssh_host_key.as_deref() else {
            return Err(Error::Conflict(format!(
                "server {} has never been reached over SSH, so its host key is unknown",
                server.name
            )));
        };
        let cache_key = (server.id, key.to_owned());
        if let Some(host) = self.cached(&cache_key) {
            return Ok(host);
        }
        let identity = self.identity(db, server).await?;
        let address = server.address().ok_or_else(|| {
            Error::Provider(providers::Error::Permanent(anyhow!(
                "server {} has no address",
                server.name
            )))
        })?;
        let versions = server
            .pg_versions
            .iter()
            .filter_map(|v| u32::try_from(*v).ok())
            .map(|v| (v, PathBuf::from(format!("/usr/lib/postgresql/{v}/bin"))))
            .collect();
        let host = Arc::new(PgHost::new(
            self.shell(server, Some(key), identity.as_deref().map(String::as_str))?,
            self.root_of(server),
            address,
            self.ports.clone(),
            versions,
        ));
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(cache_key, host.clone());
        Ok(host)
    }

    /// Forget a removed server: its cached host and the file its key was written to.
    pub fn forget(&self, server: ServerId) -> Result<()> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|(id, _), _| *id != server);
        match &self.ssh {
            Some(client) => Ok(client.forget_identity(&server.0.simple().to_string())?),
            None => Ok(()),
        }
    }

    fn cached(&self, key: &(ServerId, String)) -> Option<Arc<PgHost>> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(key)
            .cloned()
    }

    /// Reach `server` for the first time: trust and return the host key it presents (or
    /// insist on the recorded one), and find its PostgreSQL versions, memory and free disk.
    /// Its instances' root must be writable by `postgres` there. A server with a key of its
    /// own is logged in to with that key alone.
    pub async fn first_contact(&self, db: &Db, server: &Server) -> Result<Contact> {
        let identity = self.identity(db, server).await?;
        let shell = self.shell(
            server,
            server.ssh_host_key.as_deref(),
            identity.as_deref().map(String::as_str),
        )?;
        let versions: Vec<i32> = shell
            .installed_versions()
            .await?
            .into_iter()
            .filter_map(|(v, _)| i32::try_from(v).ok())
            .collect();
        let host_key = match (&shell.reach, &server.ssh_host_key) {
            (_, Some(known)) => known.clone(),
            (Reach::Ssh(target), None) => target.learned_host_key().ok_or_else(|| {
                Error::Provider(providers::Error::Transient(anyhow!(
                    "{} presented no host key we could read",
                    server.name
                )))
            })?,
            (Reach::Local(_), None) => unreachable!("servers are reached over SSH"),
        };
        let root = self.root_of(server);
        shell.make_dir(&root).await.map_err(|e| {
            Error::Provider(providers::Error::Permanent(anyhow!(
                "{}'s instances root {} cannot be made by postgres ({e}); the server templates make {} and give it to postgres",
                server.name,
                root.display(),
                self.root.display()
            )))
        })?;
        let script = "awk '/^MemTotal:/ {print int($2/1024)}' /proc/meminfo; df -Pk \"$1\" | awk 'NR==2 {print int($4/1048576)}'; command -v pgbackrest >/dev/null 2>&1 && echo pgbackrest; exit 0";
        let out = shell
            .check(
                &[
                    "sh".into(),
                    "-c".into(),
                    script.into(),
                    "sh".into(),
                    root.display().to_string(),
                ],
                None,
            )
            .await?;
        let text = String::from_utf8_lossy(&out);
        let mut numbers = text.lines().filter_map(|l| l.trim().parse::<i32>().ok());
        let (Some(memory_mb), Some(disk_gb)) = (numbers.next(), numbers.next()) else {
            // Recording a guess would make the server look full (or roomy) for no reason.
            return Err(Error::Provider(providers::Error::Permanent(anyhow!(
                "could not read {}'s memory and free disk (/proc/meminfo, df {}): got {:?}",
                server.name,
                root.display(),
                text.trim()
            ))));
        };
        // Its instances archive their WAL with pgBackRest from their first start.
        if !text.lines().any(|l| l.trim() == "pgbackrest") {
            return Err(Error::Provider(providers::Error::Permanent(anyhow!(
                "{} has no pgbackrest, which Toygres backs its instances up with: install it \
                 there (Debian: apt-get install pgbackrest) and register the server again",
                server.name
            ))));
        }
        Ok(Contact {
            host_key,
            versions,
            memory_mb: memory_mb.max(1),
            disk_gb: disk_gb.max(1),
        })
    }
}

/// The name a server's private key is sealed for.
fn key_name(server: ServerId) -> String {
    format!("server-ssh-key:{server}")
}
