//! Postgres instances on a host: the steps that make, start, stop, copy and remove them, written
//! once. The `local` provider runs them on this host; the `server` provider runs them on a
//! fleet server through SSH. Both go through a [`Shell`], which is all that differs.
//!
//! ```text
//! <root>/
//!   templates/pg<major>/         initdb'ed once per version, never started; copied per instance
//!   templates/pg<major>.init/    a template being made; renamed into place when complete
//!   instances/<name>/            one instance's data directory, socket and server.log
//!   instances/<name>.copy/       an instance being copied (from its template or a base backup)
//! ```
//!
//! Every instance authenticates clients with `scram-sha-256`, replication connections
//! included, and serves TLS with the certificate the control plane gives it
//! ([`PgHost::install_certificate`]: `server.crt` and `server.key` in its data directory). On a
//! fleet server (a host reached over SSH) every TCP connection without TLS is refused
//! (`hostnossl … reject`); on this host TLS is offered, not required.
//!
//! The control plane alone reaches the `postgres` superuser, by peer authentication
//! on the Unix socket inside the private data directory (`pg_ident.conf` maps the user that runs
//! Postgres there, and on this host the control plane's own user, to it); nothing is `trust`.
//!
//! SQL that carries a secret goes to `psql` on standard input, never in arguments, and a
//! failure's message has the secret blanked out. Values in SQL are quoted by Postgres
//! (see [`crate::login`]), never by us.
//!
//! Underneath the instance layout are the operations on any data directory
//! ([`PgHost::ensure_cluster`], [`PgHost::start_cluster`], [`PgHost::stop_cluster`]): the
//! embedded metadata database and the pods of the test kit's fake kubelet run through them too,
//! so every Postgres server Toygres starts is started, waited for and stopped by this one
//! module.

pub mod backup;
pub mod shell;
pub mod ssh;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::anyhow;
use nix::sys::signal::Signal;
use tokio::sync::Mutex;

pub use shell::{Budget, CommandLimits, Output, Reach, Shell};
pub use ssh::{KeyPair, KeyRefused, SshClient, SshTarget};

use crate::login::{self, Login, SEARCH_PATH};
use crate::{Error, Result};

/// The superuser inside every instance, reached only over the private socket.
pub const SUPERUSER: &str = "postgres";
/// The role a new copy of an instance streams its base backup and WAL as.
pub const REPLICATOR: &str = "toygres_replicator";

/// Settings every instance starts with: small, since an idle instance should cost little.
const INSTANCE_SETTINGS: &[(&str, &str)] = &[
    ("unix_socket_permissions", "0700"),
    ("max_connections", "50"),
    ("shared_buffers", "16MB"),
    ("password_encryption", "scram-sha-256"),
];
/// The file in a data directory holding the certificate authority a standby checks its
/// primary against.
const CA_FILE: &str = "toygres-ca.crt";
/// How long a server may take to accept connections after it was started (crash recovery of
/// a large WAL can take a while).
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a fast shutdown (SIGINT) may take before we escalate to an immediate one.
const FAST_STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long an immediate shutdown (SIGQUIT) may take before we report it.
const IMMEDIATE_STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// `sh -c WAIT_READY sh <data dir> <pid> <looks>`: every 5 ms, exit 0 once the pidfile names
/// the pid and says ready (or standby), 2 if the process died, 1 after `<looks>` looks.
const WAIT_READY: &str = concat!(
    "alive() { s=$(cut -d')' -f2 /proc/\"$1\"/stat 2>/dev/null) || return 1; case \"$s\" in ' Z'*) return 1;; esac; }\n",
    "dir=$1 pid=$2 n=$3 i=0\n",
    "while [ \"$i\" -lt \"$n\" ]; do\n",
    "  if [ \"$(sed -n 1p \"$dir/postmaster.pid\" 2>/dev/null)\" = \"$pid\" ]; then\n",
    "    case \"$(sed -n 8p \"$dir/postmaster.pid\" 2>/dev/null)\" in ready*|standby*) exit 0;; esac\n",
    "  fi\n",
    "  alive \"$pid\" || exit 2\n",
    "  sleep 0.005; i=$((i+1))\n",
    "done\n",
    "exit 1\n"
);

/// `sh -c STOP sh <data dir> <fast looks> <immediate looks>`: SIGINT the postmaster named in
/// the pidfile, wait (5 ms looks), then SIGQUIT and wait; print its pid if it ran. Exit 0 once
/// it is gone (or never ran), 3 if it outlived both.
const STOP: &str = concat!(
    "alive() { s=$(cut -d')' -f2 /proc/\"$1\"/stat 2>/dev/null) || return 1; case \"$s\" in ' Z'*) return 1;; esac; }\n",
    "pid=$(sed -n 1p \"$1/postmaster.pid\" 2>/dev/null)\n",
    "case \"$pid\" in ''|*[!0-9]*) exit 0;; esac\n",
    "alive \"$pid\" || exit 0\n",
    "echo \"$pid\"\n",
    "for step in \"INT $2\" \"QUIT $3\"; do\n",
    "  set -- $step; kill -\"$1\" \"$pid\" 2>/dev/null || exit 0; i=0\n",
    "  while [ \"$i\" -lt \"$2\" ]; do alive \"$pid\" || exit 0; sleep 0.005; i=$((i+1)); done\n",
    "done\n",
    "exit 3\n"
);

/// A host that runs Postgres instances: where they live there, which versions it has, and
/// which address and ports they listen on.
#[derive(Debug)]
pub struct PgHost {
    shell: Shell,
    root: PathBuf,
    listen: IpAddr,
    ports: std::ops::Range<u16>,
    versions: Vec<(u32, PathBuf)>,
    /// Held while a template is made, so concurrent creates make it once.
    template_lock: Mutex<()>,
}

/// Where a new copy streams from: the instance's current primary.
#[derive(Clone, Debug)]
pub struct Upstream {
    /// Its address, as the new copy's host reaches it.
    pub address: String,
    /// Its port.
    pub port: u16,
    /// The [`REPLICATOR`] role's password.
    pub password: String,
    /// The certificate authority (PEM) that issued the primary's certificate: the copy
    /// streams over TLS and checks the primary's certificate names `address`
    /// (`sslmode=verify-full`).
    pub ca: String,
    /// The physical replication slot on the primary that keeps the WAL this copy still
    /// needs (a standby's own; none for a move's short-lived copy).
    pub slot: Option<String>,
    /// The name the copy streams under, in the primary's `pg_stat_replication` and
    /// `synchronous_standby_names`.
    pub application_name: String,
}

/// One standby streaming from a primary, as the primary sees it (`pg_stat_replication`).
#[derive(Clone, Debug, PartialEq)]
pub struct Replica {
    /// The name it streams under ([`Upstream::application_name`]).
    pub application_name: String,
    /// `streaming`, `catchup`, `startup`, ...
    pub state: String,
    /// How many bytes of WAL it has not replayed yet.
    pub lag_bytes: u64,
    /// How long replaying trails the primary's commits, in milliseconds, when known.
    pub replay_lag_ms: Option<f64>,
    /// Whether commits wait for it (`sync` or `quorum`).
    pub synchronous: bool,
}

/// What a copy's recovery has reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recovery {
    /// Whether it is still a standby.
    pub in_recovery: bool,
    /// The last WAL position replayed (a standby) or written (a primary).
    pub lsn: u64,
}

/// How to serve a data directory: the port (which also names the Unix socket, inside the data
/// directory), the address to listen on (`None`: the socket only) and settings.
#[derive(Clone, Debug)]
pub struct Serve<'a> {
    /// The TCP port and socket name.
    pub port: u16,
    /// `listen_addresses`, if any.
    pub listen: Option<IpAddr>,
    /// `-c name=value` settings.
    pub settings: &'a [(&'a str, &'a str)],
}

impl PgHost {
    /// Instances under `root` on the host `shell` reaches, listening on `listen` at a port in
    /// `ports`, with the binaries of `versions` (major, binary directory).
    pub fn new(
        shell: Shell,
        root: PathBuf,
        listen: IpAddr,
        ports: std::ops::Range<u16>,
        versions: Vec<(u32, PathBuf)>,
    ) -> Self {
        Self {
            shell,
            root,
            listen,
            ports,
            versions,
            template_lock: Mutex::new(()),
        }
    }

    /// The same host, its commands within `limits`.
    #[must_use]
    pub fn with_limits(mut self, limits: CommandLimits) -> Self {
        self.shell = self.shell.with_limits(limits);
        self
    }

    /// How commands reach the host.
    pub fn shell(&self) -> &Shell {
        &self.shell
    }

    /// The major versions instances can run, oldest first.
    pub fn versions(&self) -> Vec<u32> {
        self.versions.iter().map(|(m, _)| *m).collect()
    }

    /// The address instances listen on.
    pub fn listen(&self) -> IpAddr {
        self.listen
    }

    /// The ports instances may listen on.
    pub fn ports(&self) -> std::ops::Range<u16> {
        self.ports.clone()
    }

    /// Whether nothing listens on `port` of the listen address there right now.
    pub async fn port_is_free(&self, port: u16) -> Result<bool> {
        self.shell.port_is_free(self.listen, port).await
    }

    /// The data directory (and socket directory) of instance `name`.
    pub fn instance_dir(&self, name: &str) -> PathBuf {
        self.root.join("instances").join(name)
    }

    /// The names of every instance data directory present.
    pub async fn instance_names(&self) -> Result<Vec<String>> {
        Ok(self
            .shell
            .list_dirs(&self.root.join("instances"))
            .await?
            .into_iter()
            .filter(|n| !n.ends_with(".copy"))
            .collect())
    }

    fn bin(&self, major: u32, program: &str) -> Result<String> {
        self.versions
            .iter()
            .find(|(m, _)| *m == major)
            .map(|(_, dir)| dir.join(program).display().to_string())
            .ok_or_else(|| {
                Error::Permanent(anyhow!(
                    "PostgreSQL {major} is not installed on {} (installed: {:?})",
                    self.shell.describe(),
                    self.versions()
                ))
            })
    }

    async fn is_initialized(&self, dir: &Path) -> Result<bool> {
        self.shell.exists(&dir.join("PG_VERSION")).await
    }

    /// Make instance `name`'s data directory from the version's template, unless it exists.
    /// A copy interrupted by a crash is thrown away and made again.
    pub async fn ensure_data_dir(&self, name: &str, major: u32) -> Result<()> {
        let target = self.instance_dir(name);
        if self.is_initialized(&target).await? {
            return Ok(());
        }
        let template = self.ensure_template(major).await?;
        let scratch = target.with_extension("copy");
        self.shell.remove_tree(&scratch).await?;
        // A directory without PG_VERSION is not a cluster: nothing in it is worth keeping.
        self.shell.remove_tree(&target).await?;
        self.shell.copy_tree(&template, &scratch).await?;
        self.shell.rename(&scratch, &target).await
    }

    /// The version's template cluster, made once: initdb, with scram for clients and peer for
    /// the control plane.
    async fn ensure_template(&self, major: u32) -> Result<PathBuf> {
        let path = self.root.join("templates").join(format!("pg{major}"));
        let _guard = self.template_lock.lock().await;
        if self.is_initialized(&path).await? {
            return Ok(path);
        }
        let scratch = path.with_extension("init");
        self.shell.remove_tree(&scratch).await?;
        self.shell.make_dir(&self.root.join("instances")).await?;
        self.initdb(&scratch, major, SUPERUSER, None).await?;
        self.write_access_files(&scratch).await?;
        self.shell.rename(&scratch, &path).await?;
        Ok(path)
    }

    /// `initdb` into `dir` (made private) with `superuser` as the bootstrap role: with
    /// `password`, every connection needs it (scram-sha-256); without, local connections are
    /// trusted, so whoever can enter `dir` (the socket is inside) is the superuser.
    async fn initdb(
        &self,
        dir: &Path,
        major: u32,
        superuser: &str,
        password: Option<&str>,
    ) -> Result<()> {
        self.shell.make_private_dir(dir).await?;
        let mut argv = vec![
            self.bin(major, "initdb")?,
            "--pgdata".into(),
            dir.display().to_string(),
            "--username".into(),
            superuser.into(),
            "--encoding=UTF8".into(),
            "--no-locale".into(),
            "--no-instructions".into(),
        ];
        // The password goes through a private file, never argv (visible in `ps`).
        let pwfile = dir.with_extension("pwfile");
        match password {
            Some(pw) => {
                self.shell.write_private(&pwfile, pw.as_bytes()).await?;
                argv.push("--auth=scram-sha-256".into());
                argv.push(format!("--pwfile={}", pwfile.display()));
            }
            None => argv.push("--auth=trust".into()),
        }
        let made = self.shell.check(&argv, None).await;
        if password.is_some() {
            self.shell.remove_tree(&pwfile).await?;
        }
        made.map(drop)
            .map_err(|e| Error::Permanent(anyhow!("initdb of {} failed: {e}", dir.display())))
    }

    /// Make a cluster in `dir` unless one is there: `initdb` into a scratch directory beside
    /// it (see `initdb`), renamed into place only when complete, so that a crash
    /// mid-way never leaves a half-made cluster that looks whole.
    pub async fn ensure_cluster(
        &self,
        dir: &Path,
        major: u32,
        superuser: &str,
        password: Option<&str>,
    ) -> Result<()> {
        if self.is_initialized(dir).await? {
            return Ok(());
        }
        let scratch = dir.with_extension("init");
        self.shell.remove_tree(&scratch).await?;
        self.initdb(&scratch, major, superuser, password).await?;
        self.shell.rename(&scratch, dir).await
    }

    /// Write `pg_hba.conf` and `pg_ident.conf` into the data directory `dir`: scram for
    /// everyone, replication included; peer for the superuser on the socket. On a fleet
    /// server, TCP connections without TLS are refused first.
    async fn write_access_files(&self, dir: &Path) -> Result<()> {
        let tls_only = match self.shell.reach {
            Reach::Local(_) => "",
            Reach::Ssh(_) => {
                "# Nothing crosses the network in the clear.\n\
                 hostnossl all all 0.0.0.0/0 reject\n\
                 hostnossl all all ::/0 reject\n\
                 hostnossl replication all 0.0.0.0/0 reject\n\
                 hostnossl replication all ::/0 reject\n"
            }
        };
        let hba = format!(
            "# Written by Toygres.\n\
             # The control plane reaches the superuser over the private socket, by peer.\n\
             local all {SUPERUSER} peer map=toygres\n\
             {tls_only}\
             # Everyone else, over the socket or the network, with a password.\n\
             local all all scram-sha-256\n\
             host all all 0.0.0.0/0 scram-sha-256\n\
             host all all ::/0 scram-sha-256\n\
             # A new copy of this instance, streaming it during a move.\n\
             host replication {REPLICATOR} 0.0.0.0/0 scram-sha-256\n\
             host replication {REPLICATOR} ::/0 scram-sha-256\n"
        );
        let mut ident = String::from("# Written by Toygres.\n");
        let mut users = vec![self.shell.postgres_user()];
        if self.shell.is_local() {
            // The control plane's own user, should it connect to the socket itself.
            users.push(Shell::local(None).postgres_user());
        }
        users.dedup();
        for user in users {
            ident.push_str(&format!("toygres {user} {SUPERUSER}\n"));
        }
        self.shell
            .write_private(&dir.join("pg_hba.conf"), hba.as_bytes())
            .await?;
        self.shell
            .write_private(&dir.join("pg_ident.conf"), ident.as_bytes())
            .await
    }

    /// The pid of a live postmaster serving instance `name`, if any (for example one left
    /// behind when the control plane was killed).
    pub async fn running_pid(&self, name: &str) -> Result<Option<i32>> {
        self.cluster_pid(&self.instance_dir(name)).await
    }

    /// The pid of a live postmaster serving the data directory `dir`, if any.
    pub async fn cluster_pid(&self, dir: &Path) -> Result<Option<i32>> {
        let Some(text) = self.shell.read_file(&dir.join("postmaster.pid")).await? else {
            return Ok(None);
        };
        let Some(pid) = text.lines().next().and_then(|l| l.trim().parse().ok()) else {
            return Ok(None);
        };
        Ok(self.shell.alive(pid).await?.then_some(pid))
    }

    /// Whether instance `name`'s server process is alive.
    pub async fn is_running(&self, name: &str) -> Result<bool> {
        Ok(self.running_pid(name).await?.is_some())
    }

    /// Start instance `name` on `port` unless it runs already, and wait until it accepts
    /// connections (read-only ones, for a standby). The server outlives this process; it is
    /// found again by its pidfile.
    ///
    /// With `backups`, it archives its WAL into its stanza (the configuration is written
    /// afresh first, so a changed port, key or host takes effect).
    pub async fn ensure_running(
        &self,
        name: &str,
        major: u32,
        port: u16,
        backups: Option<&backup::Backups>,
    ) -> Result<()> {
        let dir = self.instance_dir(name);
        if !self.is_initialized(&dir).await? {
            return Err(Error::NotFound {
                kind: "data directory",
                name: name.to_owned(),
            });
        }
        let archive = match backups {
            Some(b) => {
                self.write_backup_config(name, port, b).await?;
                self.archive_settings(name, b)
            }
            None => Vec::new(),
        };
        // `server.crt` and `server.key` (PostgreSQL's default names) are what
        // `install_certificate` wrote; an instance without them serves no TLS.
        let tls = self.shell.exists(&dir.join("server.crt")).await?;
        let settings: Vec<(&str, &str)> = INSTANCE_SETTINGS
            .iter()
            .copied()
            .chain(tls.then_some(("ssl", "on")))
            .chain(archive.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .collect();
        let serve = Serve {
            port,
            listen: Some(self.listen),
            settings: &settings,
        };
        self.start_cluster(&dir, major, &serve).await.map(drop)
    }

    /// Serve the data directory `dir` with version `major`'s `postgres` as `serve` says,
    /// unless a server runs there already, and wait until it accepts connections (read-only
    /// ones, for a standby); its pid. The server outlives this process, logs to `server.log`
    /// in `dir`, and is found again by its pidfile.
    pub async fn start_cluster(&self, dir: &Path, major: u32, serve: &Serve<'_>) -> Result<i32> {
        if let Some(pid) = self.cluster_pid(dir).await? {
            self.wait_ready(dir, pid).await?;
            return Ok(pid);
        }
        let socket = dir.join(format!(".s.PGSQL.{}", serve.port));
        if socket.as_os_str().len() > 107 {
            return Err(Error::Permanent(anyhow!(
                "the Unix socket path {} is longer than 107 bytes: use a shorter directory",
                socket.display()
            )));
        }
        let mut argv = vec![
            self.bin(major, "postgres")?,
            "-D".into(),
            dir.display().to_string(),
            "-p".into(),
            serve.port.to_string(),
            "-k".into(),
            dir.display().to_string(),
            "-c".into(),
            format!(
                "listen_addresses={}",
                serve.listen.map(|a| a.to_string()).unwrap_or_default()
            ),
        ];
        for (k, v) in serve.settings {
            argv.push("-c".into());
            argv.push(format!("{k}={v}"));
        }
        let pid = self
            .shell
            .spawn_detached(&argv, &dir.join("server.log"))
            .await?;
        match self.wait_ready(dir, pid).await {
            Err(Error::Transient(e)) if format!("{e:#}").contains("Address already in use") => {
                Err(Error::AddressInUse { port: serve.port })
            }
            Err(e) => Err(e),
            Ok(()) => Ok(pid),
        }
    }

    /// Wait until postmaster `pid` of the data directory `dir` accepts connections: its
    /// pidfile names it and says `ready` (a primary) or `standby` (a hot standby). One script
    /// on the host polls, so a server over SSH costs one round trip, not one per look.
    async fn wait_ready(&self, dir: &Path, pid: i32) -> Result<()> {
        let out = self
            .shell
            .run(
                &shell::args(["sh", "-c", WAIT_READY, "sh"], [dir])
                    .into_iter()
                    .chain([pid.to_string(), (START_TIMEOUT.as_millis() / 5).to_string()])
                    .collect::<Vec<_>>(),
                None,
            )
            .await?;
        match out.code {
            Some(0) => Ok(()),
            Some(2) => Err(Error::Transient(anyhow!(
                "postgres exited during startup: {}",
                self.log_tail(dir).await
            ))),
            _ => {
                let _ = self.shell.signal(pid, Signal::SIGQUIT).await;
                Err(Error::Transient(anyhow!(
                    "postgres did not accept connections within {START_TIMEOUT:?}: {}",
                    self.log_tail(dir).await
                )))
            }
        }
    }

    /// The last lines of the server log in `dir`, read from its last 64 KiB: a tenant can
    /// make the log as large as it likes.
    async fn log_tail(&self, dir: &Path) -> String {
        let out = self
            .shell
            .run(
                &shell::args(["tail", "-c", "65536", "--"], [&dir.join("server.log")]),
                None,
            )
            .await;
        match out {
            Ok(out) if out.success() => shell::last_lines(&String::from_utf8_lossy(&out.stdout)),
            _ => String::new(),
        }
    }

    /// Stop instance `name`'s server if it runs: see [`PgHost::stop_cluster`].
    pub async fn ensure_stopped(&self, name: &str) -> Result<()> {
        self.stop_cluster(&self.instance_dir(name)).await
    }

    /// Stop the server of the data directory `dir` if one runs, whoever started it: fast
    /// shutdown (roll back open transactions, checkpoint, and hand every WAL record to
    /// connected standbys), then immediate. One script on the host signals and waits.
    pub async fn stop_cluster(&self, dir: &Path) -> Result<()> {
        self.stop_then(dir, &[]).await.map(drop)
    }

    /// Run the stop script for the data directory `dir`, then (if it stopped) `after` with the
    /// data directory appended, in one round trip; what `after` printed.
    async fn stop_then(&self, dir: &Path, after: &[String]) -> Result<Vec<u8>> {
        let dir = dir.display().to_string();
        let mut argv = vec![
            "sh".to_owned(),
            "-c".to_owned(),
            // $0 is the stop script; then, unless it failed, the follow-up command.
            "sh -c \"$0\" sh \"$1\" \"$2\" \"$3\" >/dev/null || exit $?; shift 3; [ \"$#\" -eq 0 ] || exec \"$@\"".to_owned(),
            STOP.to_owned(),
            dir.clone(),
            (FAST_STOP_TIMEOUT.as_millis() / 5).to_string(),
            (IMMEDIATE_STOP_TIMEOUT.as_millis() / 5).to_string(),
        ];
        if !after.is_empty() {
            argv.extend(after.iter().cloned());
            argv.push(dir.clone());
        }
        let out = self.shell.run(&argv, None).await?;
        match out.code {
            Some(0) => Ok(out.stdout),
            _ => Err(Error::Transient(anyhow!(
                "stopping the server of {dir} on {} failed: {}",
                self.shell.describe(),
                shell::last_lines(&out.stderr)
            ))),
        }
    }

    /// Stop instance `name` (see [`PgHost::ensure_stopped`]) and read its last checkpoint, in
    /// one round trip: see [`PgHost::last_checkpoint`].
    pub async fn stop_for_cutover(&self, name: &str, major: u32) -> Result<(u64, bool)> {
        let out = self
            .stop_then(
                &self.instance_dir(name),
                &[self.bin(major, "pg_controldata")?, "-D".into()],
            )
            .await?;
        checkpoint_of(&String::from_utf8_lossy(&out))
    }

    /// Stop instance `name` and remove its data directory. Gone already counts as done.
    pub async fn remove(&self, name: &str) -> Result<()> {
        self.ensure_stopped(name).await?;
        let dir = self.instance_dir(name);
        self.shell.remove_tree(&dir.with_extension("copy")).await?;
        self.shell.remove_tree(&dir).await
    }

    /// Run `sql` as the superuser of instance `name` (listening on `port`), over its private
    /// socket, and return what it printed (unaligned, tuples only). `secret`, if given, is
    /// blanked out of any error. The session's `search_path` is pinned to the catalog
    /// ([`login::PGOPTIONS`]), whatever the instance's owner set for its roles or databases;
    /// `sql` still names every function with its schema.
    pub async fn psql(
        &self,
        name: &str,
        major: u32,
        port: u16,
        sql: &str,
        secret: Option<&str>,
    ) -> Result<String> {
        let argv = vec![
            "env".into(),
            login::PGOPTIONS.into(),
            self.bin(major, "psql")?,
            "-h".into(),
            self.instance_dir(name).display().to_string(),
            "-p".into(),
            port.to_string(),
            "-U".into(),
            SUPERUSER.into(),
            "-d".into(),
            "postgres".into(),
            "-X".into(),
            "-q".into(),
            "-A".into(),
            "-t".into(),
            "-v".into(),
            "ON_ERROR_STOP=1".into(),
            "-v".into(),
            "VERBOSITY=terse".into(),
            "-f".into(),
            "-".into(),
        ];
        let out = self.shell.run(&argv, Some(sql.as_bytes())).await?;
        if out.success() {
            return Ok(out.text());
        }
        let mut why = shell::last_lines(&out.stderr);
        if let Some(secret) = secret.filter(|s| !s.is_empty()) {
            why = why
                .replace(secret, "***")
                .replace(&login::hex(secret), "***");
        }
        Err(Error::Transient(anyhow!(
            "SQL on instance {name} on {} failed: {why}",
            self.shell.describe()
        )))
    }

    /// Create (or update) the login role with its password, and its database owned by it:
    /// [`Login::script`], whose statements psql runs with `\gexec`. The script (and so the
    /// password) goes on standard input; psql's arguments and environment never hold it.
    pub async fn ensure_login(
        &self,
        name: &str,
        major: u32,
        port: u16,
        login: &Login<'_>,
    ) -> Result<()> {
        let sql = format!("{} \\gexec\n", login.script());
        self.psql(name, major, port, &sql, Some(login.password))
            .await
            .map(drop)
    }

    /// Give instance `name` its TLS certificate and key (PEM): `server.crt` and `server.key`
    /// in its data directory (0600, owned by the user that runs Postgres), which the server
    /// reads when it starts and on every reload; its `pg_hba.conf` is written afresh too,
    /// so an instance made before TLS gets the current rules.
    pub async fn install_certificate(
        &self,
        name: &str,
        certificate: &str,
        key: &str,
    ) -> Result<()> {
        let dir = self.instance_dir(name);
        if !self.is_initialized(&dir).await? {
            return Err(Error::NotFound {
                kind: "data directory",
                name: name.to_owned(),
            });
        }
        self.shell
            .write_private(&dir.join("server.key"), key.as_bytes())
            .await?;
        self.shell
            .write_private(&dir.join("server.crt"), certificate.as_bytes())
            .await?;
        self.write_access_files(&dir).await
    }

    /// Have instance `name`'s running server take up the files of
    /// [`PgHost::install_certificate`] without a restart: TLS on (for a server started
    /// before it had a certificate), then a reload.
    pub async fn reload_tls(&self, name: &str, major: u32, port: u16) -> Result<()> {
        self.psql(
            name,
            major,
            port,
            "ALTER SYSTEM SET ssl = on;\nSELECT pg_catalog.pg_reload_conf();\n",
            None,
        )
        .await
        .map(drop)
    }

    /// Let [`REPLICATOR`] stream instance `name`, with `password` (quoted by Postgres, as in
    /// [`Login::script`]).
    pub async fn allow_replication(
        &self,
        name: &str,
        major: u32,
        port: u16,
        password: &str,
    ) -> Result<()> {
        let sql = format!(
            "{SEARCH_PATH}\n\
             SELECT pg_catalog.format('%s ROLE %I REPLICATION LOGIN PASSWORD %L',\n  \
               CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '{REPLICATOR}') THEN 'ALTER' ELSE 'CREATE' END,\n  \
               '{REPLICATOR}', {}) \\gexec\n",
            login::text(password)
        );
        self.psql(name, major, port, &sql, Some(password))
            .await
            .map(drop)
    }

    /// Make instance `name` here a standby of `upstream`, unless its data directory exists:
    /// a base backup into a scratch directory (WAL streamed alongside), then the standby's
    /// settings, then renamed into place. Start it with [`PgHost::ensure_running`].
    pub async fn ensure_standby(&self, name: &str, major: u32, upstream: &Upstream) -> Result<()> {
        let target = self.instance_dir(name);
        if self.is_initialized(&target).await? {
            return Ok(());
        }
        self.shell.make_dir(&self.root.join("instances")).await?;
        let scratch = target.with_extension("copy");
        self.shell.remove_tree(&scratch).await?;
        self.shell.remove_tree(&target).await?;
        self.shell.make_private_dir(&scratch).await?;
        // The password goes in a passfile, never in arguments or the environment.
        let passfile = self.root.join("instances").join(format!("{name}.pgpass"));
        self.shell
            .write_private(&passfile, passfile_line(upstream).as_bytes())
            .await?;
        let cafile = self.root.join("instances").join(format!("{name}.ca.crt"));
        self.shell
            .write_private(&cafile, upstream.ca.as_bytes())
            .await?;
        let backup = self
            .shell
            .run_within(
                &[
                    "env".into(),
                    format!("PGPASSFILE={}", passfile.display()),
                    "PGSSLMODE=verify-full".into(),
                    format!("PGSSLROOTCERT={}", cafile.display()),
                    self.bin(major, "pg_basebackup")?,
                    "-h".into(),
                    upstream.address.clone(),
                    "-p".into(),
                    upstream.port.to_string(),
                    "-U".into(),
                    REPLICATOR.into(),
                    "-D".into(),
                    scratch.display().to_string(),
                    "-X".into(),
                    "stream".into(),
                    "-c".into(),
                    "fast".into(),
                    "-w".into(),
                ],
                None,
                Budget::Long,
            )
            .await;
        let backup = match backup {
            Ok(out) if out.success() => Ok(()),
            Ok(out) => Err(Error::Transient(anyhow!(
                "pg_basebackup from {}:{} failed: {}",
                upstream.address,
                upstream.port,
                shell::last_lines(&out.stderr)
            ))),
            Err(e) => Err(e),
        };
        if let Err(e) = backup {
            let _ = self.shell.remove_tree(&passfile).await;
            let _ = self.shell.remove_tree(&cafile).await;
            return Err(e);
        }
        // The standby keeps its passfile and CA inside its data directory until it is
        // promoted.
        let kept = scratch.join("toygres.pgpass");
        self.shell.rename(&passfile, &kept).await?;
        self.shell.rename(&cafile, &scratch.join(CA_FILE)).await?;
        self.shell
            .write_private(
                &scratch.join("postgresql.auto.conf"),
                standby_settings(&target, upstream).as_bytes(),
            )
            .await?;
        self.shell
            .write_private(&scratch.join("standby.signal"), b"")
            .await?;
        // The backup brought the old host's files: a server log, a pidfile, its peer map.
        for stale in ["server.log", "postmaster.pid", "postmaster.opts"] {
            self.shell.remove_tree(&scratch.join(stale)).await?;
        }
        // The source's socket lock files came along too (its data directory is its socket
        // directory); the new copy would take them for another postmaster's.
        self.shell
            .check(
                &shell::args(["sh", "-c", "rm -f -- \"$1\"/.s.PGSQL.*", "sh"], [&scratch]),
                None,
            )
            .await?;
        self.write_access_files(&scratch).await?;
        self.shell.rename(&scratch, &target).await
    }

    /// Where the instance's WAL stands: a standby's last replayed position, a primary's
    /// current write position.
    pub async fn recovery(&self, name: &str, major: u32, port: u16) -> Result<Recovery> {
        let out = self
            .psql(
                name,
                major,
                port,
                "SELECT pg_catalog.pg_is_in_recovery(), CASE WHEN pg_catalog.pg_is_in_recovery() \
                 THEN pg_catalog.pg_last_wal_replay_lsn() ELSE pg_catalog.pg_current_wal_lsn() END;",
                None,
            )
            .await?;
        let (rec, lsn) = out
            .split_once('|')
            .ok_or_else(|| Error::Transient(anyhow!("unexpected recovery status {out:?}")))?;
        Ok(Recovery {
            in_recovery: rec == "t",
            lsn: parse_lsn(lsn)?,
        })
    }

    /// The last checkpoint of a stopped instance `name`, from `pg_controldata`, and whether
    /// it was shut down cleanly: after a fast shutdown every record up to that checkpoint has
    /// been sent to the standbys that were streaming.
    pub async fn last_checkpoint(&self, name: &str, major: u32) -> Result<(u64, bool)> {
        let out = self
            .shell
            .check(
                &[
                    self.bin(major, "pg_controldata")?,
                    "-D".into(),
                    self.instance_dir(name).display().to_string(),
                ],
                None,
            )
            .await?;
        checkpoint_of(&String::from_utf8_lossy(&out))
    }

    /// Promote instance `name`, a standby, to a primary once it has replayed past `after`
    /// (the old primary's shutdown checkpoint), waiting up to 30 s for that, and wait until
    /// it takes writes. A primary already counts as done; a standby that does not get there
    /// is left a standby (an error says so). One round trip.
    pub async fn promote_after(&self, name: &str, major: u32, port: u16, after: u64) -> Result<()> {
        let lsn = format!("{:X}/{:X}", after >> 32, after & 0xFFFF_FFFF);
        let sql = format!(
            "DO $tg$BEGIN\n\
               FOR i IN 1..3000 LOOP\n\
                 EXIT WHEN NOT pg_catalog.pg_is_in_recovery() OR pg_catalog.pg_last_wal_replay_lsn() > '{lsn}'::pg_catalog.pg_lsn;\n\
                 PERFORM pg_catalog.pg_sleep(0.01);\n\
               END LOOP;\n\
               IF pg_catalog.pg_is_in_recovery() AND pg_catalog.pg_last_wal_replay_lsn() <= '{lsn}'::pg_catalog.pg_lsn THEN\n\
                 RAISE EXCEPTION 'the copy has not replayed the old primary''s last WAL ({lsn})';\n\
               END IF;\n\
             END$tg$;\n\
             SELECT CASE WHEN pg_catalog.pg_is_in_recovery() THEN pg_catalog.pg_promote(true, 60) ELSE true END;\n"
        );
        let out = self.psql(name, major, port, &sql, None).await?;
        if out != "t" {
            return Err(Error::Transient(anyhow!(
                "instance {name} was not promoted within 60 s"
            )));
        }
        Ok(())
    }

    /// Make sure primary `name` has the physical replication slot `slot`, keeping WAL from
    /// now on for the standby that will use it.
    pub async fn ensure_slot(&self, name: &str, major: u32, port: u16, slot: &str) -> Result<()> {
        check_slot(slot)?;
        let sql = format!(
            "SELECT pg_catalog.pg_create_physical_replication_slot('{slot}', true) \
             WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_replication_slots WHERE slot_name = '{slot}');\n"
        );
        self.psql(name, major, port, &sql, None).await.map(drop)
    }

    /// Drop the replication slot `slot` of instance `name`, so that it keeps no more WAL for
    /// a standby that is gone. None counts as done; one still in use is an error (its
    /// standby has not let go yet), to be tried again.
    pub async fn drop_slot(&self, name: &str, major: u32, port: u16, slot: &str) -> Result<()> {
        check_slot(slot)?;
        let sql = format!(
            "SELECT pg_catalog.pg_drop_replication_slot(slot_name) FROM pg_catalog.pg_replication_slots \
               WHERE slot_name = '{slot}' AND NOT active;\n\
             SELECT count(*) FROM pg_catalog.pg_replication_slots WHERE slot_name = '{slot}';\n"
        );
        let out = self.psql(name, major, port, &sql, None).await?;
        if out.lines().last() == Some("0") {
            return Ok(());
        }
        Err(Error::Transient(anyhow!(
            "replication slot {slot} of {name} is still in use"
        )))
    }

    /// Drop every replication slot that standby `name` (on `port`) holds and nothing uses:
    /// an old primary that rejoined as a standby keeps the slots it had for its standbys,
    /// and they would hold WAL on it for ever.
    pub async fn drop_inactive_slots(&self, name: &str, major: u32, port: u16) -> Result<()> {
        self.psql(
            name,
            major,
            port,
            "SELECT pg_catalog.pg_drop_replication_slot(slot_name) FROM pg_catalog.pg_replication_slots \
             WHERE NOT active AND slot_type = 'physical';\n",
            None,
        )
        .await
        .map(drop)
    }

    /// Have primary `name` wait, at every commit, until one of the standbys streaming as
    /// `standbys` has the commit on disk (`ANY 1`); none: commits wait for no standby.
    pub async fn set_synchronous(
        &self,
        name: &str,
        major: u32,
        port: u16,
        standbys: &[String],
    ) -> Result<()> {
        for s in standbys {
            check_slot(s)?;
        }
        let set = if standbys.is_empty() {
            "ALTER SYSTEM RESET synchronous_standby_names;".to_owned()
        } else {
            let names: Vec<String> = standbys.iter().map(|s| format!("\"{s}\"")).collect();
            format!(
                "ALTER SYSTEM SET synchronous_standby_names = 'ANY 1 ({})';",
                names.join(", ")
            )
        };
        self.psql(
            name,
            major,
            port,
            &format!("{set}\nSELECT pg_catalog.pg_reload_conf();\n"),
            None,
        )
        .await
        .map(drop)
    }

    /// Make instance `name` here a standby of `upstream` from now on: its passfile, the CA,
    /// its connection settings and `standby.signal`. A running standby (on `port`) takes them
    /// up at once; a stopped server (an old primary, shut down cleanly) comes up as a standby
    /// at its next start.
    pub async fn follow(
        &self,
        name: &str,
        major: u32,
        port: u16,
        upstream: &Upstream,
    ) -> Result<()> {
        if let Some(slot) = &upstream.slot {
            check_slot(slot)?;
        }
        let dir = self.instance_dir(name);
        if !self.is_initialized(&dir).await? {
            return Err(Error::NotFound {
                kind: "data directory",
                name: name.to_owned(),
            });
        }
        self.shell
            .write_private(
                &dir.join("toygres.pgpass"),
                passfile_line(upstream).as_bytes(),
            )
            .await?;
        self.shell
            .write_private(&dir.join(CA_FILE), upstream.ca.as_bytes())
            .await?;
        self.shell
            .write_private(
                &dir.join("postgresql.auto.conf"),
                standby_settings(&dir, upstream).as_bytes(),
            )
            .await?;
        self.shell
            .write_private(&dir.join("standby.signal"), b"")
            .await?;
        if self.is_running(name).await? {
            self.psql(
                name,
                major,
                port,
                "SELECT pg_catalog.pg_reload_conf();\n",
                None,
            )
            .await?;
        }
        Ok(())
    }

    /// How much of the primary's WAL standby `name` holds: the furthest position it has
    /// received (or, when it streams nothing now, replayed). The standby that holds the
    /// most is the one to promote when its primary is lost.
    pub async fn received(&self, name: &str, major: u32, port: u16) -> Result<u64> {
        let out = self
            .psql(
                name,
                major,
                port,
                "SELECT CASE WHEN pg_catalog.pg_last_wal_receive_lsn() IS NULL \
                   OR pg_catalog.pg_last_wal_replay_lsn() > pg_catalog.pg_last_wal_receive_lsn() \
                 THEN pg_catalog.pg_last_wal_replay_lsn() ELSE pg_catalog.pg_last_wal_receive_lsn() END;\n",
                None,
            )
            .await?;
        parse_lsn(&out)
    }

    /// The standbys streaming from primary `name`, as it sees them.
    pub async fn replication(&self, name: &str, major: u32, port: u16) -> Result<Vec<Replica>> {
        let out = self
            .psql(
                name,
                major,
                port,
                "SELECT application_name, state, \
                   coalesce(pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), replay_lsn), 0)::bigint, \
                   coalesce((EXTRACT(epoch FROM replay_lag) * 1000)::text, ''), \
                   sync_state IN ('sync', 'quorum') \
                 FROM pg_catalog.pg_stat_replication;\n",
                None,
            )
            .await?;
        out.lines()
            .filter(|l| !l.is_empty())
            .map(|line| {
                let f: Vec<&str> = line.split('|').collect();
                let [app, state, lag, replay, sync] = f[..] else {
                    return Err(Error::Transient(anyhow!(
                        "unexpected replication status {line:?}"
                    )));
                };
                Ok(Replica {
                    application_name: app.to_owned(),
                    state: state.to_owned(),
                    lag_bytes: lag.parse::<i64>().map_or(0, |v| v.max(0).unsigned_abs()),
                    replay_lag_ms: replay.parse().ok(),
                    synchronous: sync == "t",
                })
            })
            .collect()
    }

    /// After a promotion within an instance that keeps its standbys: forget the old primary
    /// (its connection settings, passfile and CA); the replication role stays, for the
    /// standbys that follow this one now.
    pub async fn lead(&self, name: &str, major: u32, port: u16) -> Result<()> {
        self.psql(
            name,
            major,
            port,
            "ALTER SYSTEM RESET primary_conninfo;\nALTER SYSTEM RESET primary_slot_name;\n\
             SELECT pg_catalog.pg_reload_conf();\n",
            None,
        )
        .await?;
        self.shell
            .remove_tree(&self.instance_dir(name).join("toygres.pgpass"))
            .await?;
        self.shell
            .remove_tree(&self.instance_dir(name).join(CA_FILE))
            .await
    }

    /// After a promotion: forget the old primary (its connection settings, passfile and CA)
    /// and disable the replication role.
    pub async fn forget_upstream(&self, name: &str, major: u32, port: u16) -> Result<()> {
        self.psql(
            name,
            major,
            port,
            &format!(
                "ALTER SYSTEM RESET primary_conninfo;\nSELECT pg_catalog.pg_reload_conf();\n\
                 DO $tg$BEGIN IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '{REPLICATOR}') THEN ALTER ROLE {REPLICATOR} NOLOGIN PASSWORD NULL; END IF; END$tg$;\n"
            ),
            None,
        )
        .await?;
        self.shell
            .remove_tree(&self.instance_dir(name).join("toygres.pgpass"))
            .await?;
        self.shell
            .remove_tree(&self.instance_dir(name).join(CA_FILE))
            .await
    }
}

/// The `postgresql.auto.conf` of a standby of `upstream` whose data directory is `dir`: how
/// it reaches the primary (the passfile and CA it keeps in `dir`) and which slot it uses.
fn standby_settings(dir: &Path, upstream: &Upstream) -> String {
    let conninfo = format!(
        "host={} port={} user={REPLICATOR} passfile={} sslmode=verify-full sslrootcert={} \
         application_name={}",
        upstream.address,
        upstream.port,
        dir.join("toygres.pgpass").display(),
        dir.join(CA_FILE).display(),
        upstream.application_name
    );
    let mut text = format!(
        "# Written by Toygres: this server streams from the instance's primary.\n\
         primary_conninfo = '{}'\n",
        conninfo.replace('\'', "''")
    );
    if let Some(slot) = &upstream.slot {
        text.push_str(&format!("primary_slot_name = '{slot}'\n"));
    }
    text
}

/// The passfile line that lets a standby log in to `upstream` as [`REPLICATOR`].
fn passfile_line(upstream: &Upstream) -> String {
    format!(
        "{}:{}:*:{REPLICATOR}:{}\n",
        pgpass_escape(&upstream.address),
        upstream.port,
        pgpass_escape(&upstream.password)
    )
}

/// Whether `slot` may be spliced into SQL and settings as it is: the names Toygres makes
/// (lower-case letters, digits and `_`, as PostgreSQL requires of slot names).
fn check_slot(slot: &str) -> Result<()> {
    if !slot.is_empty()
        && slot.len() <= 63
        && slot
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Ok(());
    }
    Err(Error::Permanent(anyhow!(
        "{slot:?} is not a replication slot name"
    )))
}

/// A `.pgpass` field: `:` and `\` escaped with `\`.
fn pgpass_escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace(':', "\\:")
}

/// The latest checkpoint in `pg_controldata` output, and whether the cluster was shut down
/// cleanly.
fn checkpoint_of(text: &str) -> Result<(u64, bool)> {
    let field = |label: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(label))
            .map(|v| v.trim().to_owned())
    };
    let lsn = field("Latest checkpoint location:")
        .ok_or_else(|| Error::Transient(anyhow!("pg_controldata gave no checkpoint")))?;
    let state = field("Database cluster state:").unwrap_or_default();
    Ok((parse_lsn(&lsn)?, state == "shut down"))
}

/// `16/B374D848` as a number.
pub fn parse_lsn(text: &str) -> Result<u64> {
    let (hi, lo) = text
        .trim()
        .split_once('/')
        .ok_or_else(|| Error::Transient(anyhow!("not an LSN: {text:?}")))?;
    let hi = u64::from_str_radix(hi, 16).map_err(|e| Error::Transient(anyhow!("{e}")))?;
    let lo = u64::from_str_radix(lo, 16).map_err(|e| Error::Transient(anyhow!("{e}")))?;
    Ok((hi << 32) | lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A data directory outside the instance layout (as the embedded database and the fake
    /// kubelet use): made once, served, found running by its pidfile, and stopped.
    #[tokio::test]
    async fn a_cluster_is_made_once_served_found_and_stopped() {
        use crate::local::{PgBinaries, RunAs};
        use std::os::unix::fs::PermissionsExt as _;
        let scratch = tempfile::tempdir().unwrap();
        std::fs::set_permissions(scratch.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let bins = PgBinaries::discover(None).unwrap();
        let major = bins.major();
        let host = PgHost::local(
            scratch.path().to_path_buf(),
            RunAs::resolve("postgres").unwrap(),
            std::net::Ipv4Addr::LOCALHOST.into(),
            0..0,
            vec![bins],
        );
        let dir = scratch.path().join("pg");
        host.ensure_cluster(&dir, major, "postgres", None)
            .await
            .unwrap();
        let version = std::fs::read_to_string(dir.join("PG_VERSION")).unwrap();
        assert_eq!(version.trim(), major.to_string());
        assert!(!dir.with_extension("init").exists());
        // A second call keeps what is there.
        host.ensure_cluster(&dir, major, "postgres", None)
            .await
            .unwrap();
        let serve = Serve {
            port: 5499,
            listen: None,
            settings: &[("max_connections", "10")],
        };
        let pid = host.start_cluster(&dir, major, &serve).await.unwrap();
        assert!(dir.join(".s.PGSQL.5499").exists());
        assert_eq!(host.cluster_pid(&dir).await.unwrap(), Some(pid));
        // Started again, it is the same server.
        assert_eq!(host.start_cluster(&dir, major, &serve).await.unwrap(), pid);
        host.stop_cluster(&dir).await.unwrap();
        assert_eq!(host.cluster_pid(&dir).await.unwrap(), None);
        // Stopping what is not running is fine.
        host.stop_cluster(&dir).await.unwrap();
    }

    /// The login script through psql makes a role and a database whose names and password
    /// hold quotes, backslashes and `$$`; run again with another password, it changes the
    /// password and keeps the database. psql's arguments and environment never hold the
    /// password: a wrapper in place of psql records both, and the script went on stdin.
    #[tokio::test]
    async fn a_login_with_quotes_backslashes_and_dollars_is_made_and_its_password_stays_off_argv() {
        use crate::local::{PgBinaries, RunAs};
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |path: &Path, mode| {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        };
        let scratch = tempfile::tempdir().unwrap();
        mode(scratch.path(), 0o755);
        let bins = PgBinaries::discover(None).unwrap();
        let major = bins.major();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let localhost = std::net::Ipv4Addr::LOCALHOST.into();
        let run_as = RunAs::resolve("postgres").unwrap();
        let host = PgHost::local(
            scratch.path().to_path_buf(),
            run_as.clone(),
            localhost,
            port..port + 1,
            vec![bins.clone()],
        );
        // The same instances, but psql is a script that records its arguments and
        // environment, then runs the real one.
        let wrapped = scratch.path().join("bin");
        std::fs::create_dir(&wrapped).unwrap();
        let record = scratch.path().join("psql.record");
        std::fs::write(&record, "").unwrap();
        mode(&record, 0o666);
        let psql = wrapped.join("psql");
        std::fs::write(
            &psql,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$@\" >>'{rec}'\nenv >>'{rec}'\nexec '{real}' \"$@\"\n",
                rec = record.display(),
                real = bins.bin_dir().join("psql").display()
            ),
        )
        .unwrap();
        mode(&psql, 0o755);
        let recorded = PgHost::new(
            Shell::local(run_as),
            scratch.path().to_path_buf(),
            localhost,
            port..port + 1,
            vec![(major, wrapped)],
        );

        let name = "tg-logintest";
        host.ensure_data_dir(name, major).await.unwrap();
        host.ensure_running(name, major, port, None).await.unwrap();
        let first = Login {
            username: "o'brien \"the\" \\ $$user$$",
            password: "it's a 'quoted' pass\\word $$ $tg$ ;-- \\gexec",
            database: "db $$ 'x' \"y\" \\",
        };
        recorded
            .ensure_login(name, major, port, &first)
            .await
            .unwrap();
        let second = Login {
            password: "$$'\\'$$ another",
            ..first
        };
        recorded
            .ensure_login(name, major, port, &second)
            .await
            .unwrap();

        // The role logs in over TCP with the second password, into its own database.
        let ask = |password: &str| {
            std::process::Command::new(bins.bin_dir().join("psql"))
                .args(["-X", "-A", "-t", "-c"])
                .arg("SELECT current_user || '|' || current_database() || '|' || (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database())")
                .env("PGHOST", "127.0.0.1")
                .env("PGPORT", port.to_string())
                .env("PGUSER", first.username)
                .env("PGDATABASE", first.database)
                .env("PGPASSWORD", password)
                .output()
                .unwrap()
        };
        let out = ask(second.password);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!("{}|{}|{}", first.username, first.database, first.username)
        );
        assert!(
            !ask(first.password).status.success(),
            "the old password is gone"
        );

        let record = std::fs::read_to_string(&record).unwrap();
        assert!(
            record.contains("ON_ERROR_STOP=1"),
            "the wrapper ran: {record}"
        );
        for secret in [first.password, second.password] {
            assert!(!record.contains(secret), "{record}");
            assert!(!record.contains(&login::hex(secret)), "{record}");
        }
        host.remove(name).await.unwrap();
    }

    #[test]
    fn lsns_parse_into_ordered_numbers() {
        assert_eq!(parse_lsn("0/16B3748").unwrap(), 0x16B_3748);
        assert!(parse_lsn("1/0").unwrap() > parse_lsn("0/FFFFFFFF").unwrap());
        assert!(parse_lsn("nonsense").is_err());
    }

    #[test]
    fn pgpass_fields_escape_colons_and_backslashes() {
        assert_eq!(pgpass_escape("a:b\\c"), "a\\:b\\\\c");
    }
}
