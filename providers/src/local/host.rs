//! Postgres instances as server processes on this host: the `local` provider.
//!
//! ```text
//! <root>/
//!   templates/pg<major>/         initdb'ed once per version, never started; copied per instance
//!   templates/pg<major>.init/    a template being made; renamed into place when complete
//!   instances/<name>/            one instance's data directory, socket and server.log
//!   instances/<name>.copy/       an instance being copied from its template
//! ```
//!
//! Every instance authenticates clients with `scram-sha-256`. The control plane alone reaches
//! the `postgres` superuser, by peer authentication on the Unix socket inside the private data
//! directory (`pg_ident.conf` maps the control plane's OS user to it); nothing is `trust`.

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow};
use nix::unistd::{User, geteuid};
use tokio::sync::Mutex;

use super::process::{Cluster, PgBinaries, RunAs, StartOptions};
use crate::{Error, Result};

/// The superuser inside every instance, reached only over the private socket.
pub const SUPERUSER: &str = "postgres";

/// Settings every instance starts with: small, since an idle instance should cost little.
const INSTANCE_SETTINGS: &[(&str, &str)] = &[
    ("unix_socket_permissions", "0700"),
    ("max_connections", "50"),
    ("shared_buffers", "16MB"),
    ("password_encryption", "scram-sha-256"),
];

/// The local provider: the installed PostgreSQL versions, and where instances live.
#[derive(Debug)]
pub struct LocalHost {
    root: PathBuf,
    run_as: Option<RunAs>,
    versions: Vec<PgBinaries>,
    listen: IpAddr,
    /// The ports instances may listen on.
    ports: std::ops::Range<u16>,
    /// Held while a template is made, so concurrent creates make it once.
    template_lock: Mutex<()>,
}

impl LocalHost {
    /// Instances under `root`, run as `run_as`, listening on `listen` at a port in `ports`,
    /// with the versions in `versions` (the installed ones when empty).
    pub fn new(
        root: PathBuf,
        run_as: Option<RunAs>,
        listen: IpAddr,
        ports: std::ops::Range<u16>,
        versions: Vec<PgBinaries>,
    ) -> Self {
        let versions = if versions.is_empty() {
            PgBinaries::installed()
        } else {
            versions
        };
        Self {
            root,
            run_as,
            versions,
            listen,
            ports,
            template_lock: Mutex::new(()),
        }
    }

    /// The major versions instances can run, oldest first.
    pub fn versions(&self) -> Vec<u32> {
        self.versions.iter().map(PgBinaries::major).collect()
    }

    /// The address instances listen on.
    pub fn listen(&self) -> IpAddr {
        self.listen
    }

    /// The ports instances may listen on.
    pub fn ports(&self) -> std::ops::Range<u16> {
        self.ports.clone()
    }

    /// Whether nothing else listens on `port` of the listen address right now.
    pub fn port_is_free(&self, port: u16) -> bool {
        TcpListener::bind(SocketAddr::new(self.listen, port)).is_ok()
    }

    /// The data directory (and socket directory) of instance `name`.
    pub fn instance_dir(&self, name: &str) -> PathBuf {
        self.root.join("instances").join(name)
    }

    /// The names of every instance data directory present.
    pub fn instance_names(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.root.join("instances")) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| !n.ends_with(".copy"))
            .collect()
    }

    fn bins(&self, major: u32) -> Result<&PgBinaries> {
        self.versions
            .iter()
            .find(|b| b.major() == major)
            .ok_or_else(|| {
                Error::Permanent(anyhow!(
                    "PostgreSQL {major} is not installed here (installed: {:?})",
                    self.versions()
                ))
            })
    }

    fn cluster(&self, name: &str, major: u32) -> Result<Cluster> {
        Ok(Cluster::new(
            self.bins(major)?.clone(),
            self.run_as.clone(),
            self.instance_dir(name),
        ))
    }

    /// Make instance `name`'s data directory from the version's template, unless it exists.
    /// A copy interrupted by a crash is thrown away and made again.
    pub async fn ensure_data_dir(&self, name: &str, major: u32) -> Result<()> {
        let cluster = self.cluster(name, major)?;
        if cluster.is_initialized() {
            return Ok(());
        }
        let template = self.ensure_template(major).await?;
        let target = self.instance_dir(name);
        let scratch = target.with_extension("copy");
        remove_dir_if_present(&scratch)?;
        if target.exists() {
            // A directory without PG_VERSION is not a cluster: nothing in it is worth keeping.
            remove_dir_if_present(&target)?;
        }
        let status = tokio::process::Command::new("cp")
            .arg("-a")
            .arg(&template)
            .arg(&scratch)
            .status()
            .await
            .context("run cp")
            .map_err(Error::Transient)?;
        if !status.success() {
            return Err(Error::Transient(anyhow!(
                "copying the template failed ({status})"
            )));
        }
        std::fs::rename(&scratch, &target)
            .with_context(|| format!("move {} into place", target.display()))
            .map_err(Error::Transient)?;
        Ok(())
    }

    /// The version's template cluster, made once: initdb with scram for clients and peer for
    /// the control plane.
    async fn ensure_template(&self, major: u32) -> Result<PathBuf> {
        let path = self.root.join("templates").join(format!("pg{major}"));
        let _guard = self.template_lock.lock().await;
        if path.join("PG_VERSION").is_file() {
            return Ok(path);
        }
        let scratch = path.with_extension("init");
        remove_dir_if_present(&scratch)?;
        std::fs::create_dir_all(self.root.join("instances"))
            .context("create the instances directory")
            .map_err(Error::Permanent)?;
        let cluster = Cluster::new(
            self.bins(major)?.clone(),
            self.run_as.clone(),
            scratch.clone(),
        );
        cluster.init(SUPERUSER, None).await?;
        let me = User::from_uid(geteuid())
            .ok()
            .flatten()
            .map_or_else(|| "root".to_owned(), |u| u.name);
        let hba = format!(
            "# Written by Toygres.\n\
             # The control plane reaches the superuser over the private socket, by peer.\n\
             local all {SUPERUSER} peer map=toygres\n\
             # Everyone else, over the socket or the network, with a password.\n\
             local all all scram-sha-256\n\
             host all all 0.0.0.0/0 scram-sha-256\n\
             host all all ::/0 scram-sha-256\n"
        );
        let ident = format!("# Written by Toygres.\ntoygres {me} {SUPERUSER}\n");
        for (file, text) in [("pg_hba.conf", hba), ("pg_ident.conf", ident)] {
            let p = scratch.join(file);
            std::fs::write(&p, text)
                .with_context(|| format!("write {}", p.display()))
                .map_err(Error::Permanent)?;
            cluster.own(&p)?;
        }
        std::fs::rename(&scratch, &path)
            .context("move the template into place")
            .map_err(Error::Permanent)?;
        Ok(path)
    }

    /// Start instance `name` on `port` unless it runs already, and wait until it accepts
    /// connections. The server outlives this process; it is found again by its pidfile.
    pub async fn ensure_running(&self, name: &str, major: u32, port: u16) -> Result<()> {
        let cluster = self.cluster(name, major)?;
        if !cluster.is_initialized() {
            return Err(Error::NotFound {
                kind: "data directory",
                name: name.to_owned(),
            });
        }
        if let Some(pid) = cluster.running_pid() {
            return cluster.wait_ready(pid).await;
        }
        let dir = self.instance_dir(name);
        let postmaster = cluster
            .start(&StartOptions {
                port,
                listen_addresses: self.listen.to_string(),
                socket_dir: dir,
                settings: INSTANCE_SETTINGS
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            })
            .await?;
        postmaster.detach();
        Ok(())
    }

    /// Whether instance `name`'s server process is alive.
    pub fn is_running(&self, name: &str) -> bool {
        let pidfile = self.instance_dir(name).join("postmaster.pid");
        std::fs::read_to_string(pidfile)
            .ok()
            .and_then(|t| t.lines().next().and_then(|l| l.trim().parse::<i32>().ok()))
            .is_some_and(|pid| {
                nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
            })
    }

    /// Stop instance `name`'s server if it runs (fast shutdown).
    pub async fn ensure_stopped(&self, name: &str) -> Result<()> {
        let Some(bins) = self.versions.first() else {
            return Ok(());
        };
        // Stopping only signals the pid in the pidfile: any version's binaries will do.
        Cluster::new(bins.clone(), self.run_as.clone(), self.instance_dir(name))
            .stop_running()
            .await
    }

    /// Stop instance `name` and remove its data directory. Gone already counts as done.
    pub async fn remove(&self, name: &str) -> Result<()> {
        self.ensure_stopped(name).await?;
        remove_dir_if_present(&self.instance_dir(name).with_extension("copy"))?;
        remove_dir_if_present(&self.instance_dir(name))
    }

    /// The Unix socket directory where the control plane reaches instance `name`'s superuser.
    pub fn socket_dir(&self, name: &str) -> PathBuf {
        self.instance_dir(name)
    }
}

fn remove_dir_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::Transient(
            anyhow::Error::from(e).context(format!("remove {}", path.display())),
        )),
    }
}
