//! Running the installed PostgreSQL server binaries: find them, `initdb`, start, wait for ready,
//! stop.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, User, chown, geteuid};
use tokio::process::{Child, Command};
use tokio::time::Instant;

use crate::{Error, Result};

/// How often we look at `postmaster.pid` while a server starts or stops. Postgres writes
/// "ready" there the moment it accepts connections, so a short poll beats `pg_ctl -w`'s 100 ms.
const READY_POLL: Duration = Duration::from_millis(5);
/// How long a server may take to accept connections after it was spawned (crash recovery of a
/// large WAL can take a while).
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a fast shutdown (SIGINT) may take before we escalate to an immediate one (SIGQUIT).
const FAST_STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long an immediate shutdown may take before we give up and report it.
const IMMEDIATE_STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// Where Debian (and so Ubuntu) installs each major version's server binaries.
const DEBIAN_LIB_DIR: &str = "/usr/lib/postgresql";
/// The longest Unix socket path the kernel accepts (`sun_path` is 108 bytes with the NUL).
const SOCKET_PATH_MAX: usize = 107;
/// What to tell a user who has no server binaries.
const INSTALL_HINT: &str = "install the PostgreSQL server binaries (Debian/Ubuntu: `apt-get install postgresql`) \
     or point TOYGRES_PG_BIN_DIR at the directory that holds `postgres` and `initdb`";

/// One installed PostgreSQL version's server binaries.
#[derive(Clone, Debug)]
pub struct PgBinaries {
    bin_dir: PathBuf,
    major: u32,
}

impl PgBinaries {
    /// The binaries in `explicit` if given, else the newest version under Debian's
    /// `/usr/lib/postgresql/<major>/bin`, else whatever `postgres` is on `PATH`.
    pub fn discover(explicit: Option<&Path>) -> Result<Self> {
        if let Some(dir) = explicit {
            return Self::at(dir);
        }
        if let Some(newest) = Self::installed().into_iter().last() {
            return Ok(newest);
        }
        let on_path = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .find(|dir| dir.join("postgres").is_file() && dir.join("initdb").is_file());
        match on_path {
            Some(dir) => Self::at(&dir),
            None => Err(Error::Permanent(anyhow!(
                "PostgreSQL server binaries not found in {DEBIAN_LIB_DIR}/*/bin or on PATH: {INSTALL_HINT}"
            ))),
        }
    }

    /// Every version installed under Debian's layout, oldest first.
    pub fn installed() -> Vec<Self> {
        let Ok(entries) = std::fs::read_dir(DEBIAN_LIB_DIR) else {
            return Vec::new();
        };
        let mut found: Vec<Self> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| Self::at(&e.path().join("bin")).ok())
            .collect();
        found.sort_by_key(|b| b.major);
        found
    }

    /// The binaries in `dir`, which must hold `postgres` and `initdb`.
    pub fn at(dir: &Path) -> Result<Self> {
        for name in ["postgres", "initdb"] {
            if !dir.join(name).is_file() {
                return Err(Error::Permanent(anyhow!(
                    "no `{name}` in {}: {INSTALL_HINT}",
                    dir.display()
                )));
            }
        }
        let out = std::process::Command::new(dir.join("postgres"))
            .arg("--version")
            .output()
            .with_context(|| format!("run {}/postgres --version", dir.display()))
            .map_err(Error::Permanent)?;
        let text = String::from_utf8_lossy(&out.stdout);
        // "postgres (PostgreSQL) 15.19 (Debian 15.19-0+deb12u1)"
        let major = text
            .split_whitespace()
            .nth(2)
            .and_then(|v| v.split('.').next())
            .and_then(|m| m.parse().ok())
            .ok_or_else(|| {
                Error::Permanent(anyhow!("unexpected `postgres --version` output: {text:?}"))
            })?;
        Ok(Self {
            bin_dir: dir.to_path_buf(),
            major,
        })
    }

    /// The major version, such as 15.
    pub fn major(&self) -> u32 {
        self.major
    }

    /// The directory holding the binaries.
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    fn bin(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }
}

/// The unprivileged system user that runs Postgres when we are root.
#[derive(Clone, Debug)]
pub struct RunAs {
    name: String,
    uid: u32,
    gid: u32,
}

impl RunAs {
    /// `None` when we are not root (Postgres runs as us); otherwise the system user `name`,
    /// which must exist.
    pub fn resolve(name: &str) -> Result<Option<Self>> {
        if !geteuid().is_root() {
            return Ok(None);
        }
        let user = User::from_name(name)
            .with_context(|| format!("look up system user {name}"))
            .map_err(Error::Permanent)?
            .ok_or_else(|| {
                Error::Permanent(anyhow!(
                    "Postgres refuses to run as root and the system user `{name}` does not exist: \
                     create it (`useradd --system --user-group --no-create-home {name}`, or install \
                     the `postgresql` package which creates `postgres`) or name another with TOYGRES_PG_USER"
                ))
            })?;
        Ok(Some(Self {
            name: user.name,
            uid: user.uid.as_raw(),
            gid: user.gid.as_raw(),
        }))
    }

    /// The user's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn apply(&self, cmd: &mut Command) {
        cmd.uid(self.uid).gid(self.gid);
    }

    pub(crate) fn chown(&self, path: &Path) -> Result<()> {
        chown(path, Some(self.uid.into()), Some(self.gid.into()))
            .with_context(|| format!("chown {} to {}", path.display(), self.name))
            .map_err(Error::Permanent)
    }
}

/// How to start a server.
#[derive(Clone, Debug)]
pub struct StartOptions {
    /// The TCP port, which also names the Unix socket (`.s.PGSQL.<port>`).
    pub port: u16,
    /// `listen_addresses`: empty for Unix sockets only.
    pub listen_addresses: String,
    /// Where the Unix socket goes.
    pub socket_dir: PathBuf,
    /// Further `-c name=value` settings.
    pub settings: Vec<(String, String)>,
}

/// A data directory and the binaries and user that serve it.
#[derive(Clone, Debug)]
pub struct Cluster {
    bins: PgBinaries,
    run_as: Option<RunAs>,
    data_dir: PathBuf,
}

impl Cluster {
    /// A cluster in `data_dir` (which need not exist yet).
    pub fn new(bins: PgBinaries, run_as: Option<RunAs>, data_dir: PathBuf) -> Self {
        Self {
            bins,
            run_as,
            data_dir,
        }
    }

    /// Whether `initdb` has completed here.
    pub fn is_initialized(&self) -> bool {
        self.data_dir.join("PG_VERSION").is_file()
    }

    /// Run `initdb` with `superuser` as the bootstrap role. With `password`, local and host
    /// connections need it (scram-sha-256); without, the cluster trusts every local connection,
    /// so its socket directory must be private.
    pub async fn init(&self, superuser: &str, password: Option<&str>) -> Result<()> {
        self.make_private_dir(&self.data_dir)?;
        let mut cmd = self.command("initdb");
        cmd.arg("--pgdata")
            .arg(&self.data_dir)
            .arg("--username")
            .arg(superuser)
            .args(["--encoding=UTF8", "--no-locale", "--no-instructions"]);
        // The password goes through a file, never argv (visible in `ps`).
        let pwfile = match password {
            Some(pw) => {
                let path = self.data_dir.with_extension("pwfile");
                crate::host::shell::write_private_local(&path, pw.as_bytes())?;
                if let Some(run_as) = &self.run_as {
                    run_as.chown(&path)?;
                }
                cmd.arg("--auth=scram-sha-256").arg("--pwfile").arg(&path);
                Some(path)
            }
            None => {
                cmd.arg("--auth=trust");
                None
            }
        };
        let out = cmd.output().await;
        if let Some(path) = pwfile {
            let _ = std::fs::remove_file(path);
        }
        let out = out.context("run initdb").map_err(Error::Permanent)?;
        if !out.status.success() {
            return Err(Error::Permanent(anyhow!(
                "initdb of {} failed ({}): {}",
                self.data_dir.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(())
    }

    /// The pid of a live postmaster serving this data directory, if any (for example one left
    /// behind when its parent was killed).
    pub fn running_pid(&self) -> Option<i32> {
        let text = std::fs::read_to_string(self.data_dir.join("postmaster.pid")).ok()?;
        let pid: i32 = text.lines().next()?.trim().parse().ok()?;
        // Signal 0 only checks that the process exists.
        kill(Pid::from_raw(pid), None).ok().map(|()| pid)
    }

    /// Stop the postmaster serving this data directory, whoever started it (for example one
    /// left behind by a killed control plane): fast shutdown, then immediate.
    pub async fn stop_running(&self) -> Result<()> {
        let Some(pid) = self.running_pid() else {
            return Ok(());
        };
        tracing::info!(pid, data_dir = %self.data_dir.display(), "stopping postmaster");
        let pid = Pid::from_raw(pid);
        for (signal, timeout) in [
            (Signal::SIGINT, FAST_STOP_TIMEOUT),
            (Signal::SIGQUIT, IMMEDIATE_STOP_TIMEOUT),
        ] {
            if kill(pid, signal).is_err() {
                return Ok(()); // already gone
            }
            let deadline = Instant::now() + timeout;
            while Instant::now() < deadline {
                if kill(pid, None).is_err() {
                    return Ok(());
                }
                tokio::time::sleep(READY_POLL).await;
            }
        }
        Err(Error::Transient(anyhow!("postmaster {pid} did not stop")))
    }

    /// Spawn `postgres` and wait until it accepts connections.
    pub async fn start(&self, opts: &StartOptions) -> Result<Postmaster> {
        let socket = opts.socket_dir.join(format!(".s.PGSQL.{}", opts.port));
        if socket.as_os_str().len() > SOCKET_PATH_MAX {
            return Err(Error::Permanent(anyhow!(
                "the Unix socket path {} is longer than {SOCKET_PATH_MAX} bytes: use a shorter data directory",
                socket.display()
            )));
        }
        let log_path = self.data_dir.join("server.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .with_context(|| format!("open {}", log_path.display()))
            .map_err(Error::Permanent)?;
        let log_err = log
            .try_clone()
            .context("clone log handle")
            .map_err(Error::Permanent)?;
        let mut cmd = self.command("postgres");
        cmd.arg("-D")
            .arg(&self.data_dir)
            .arg("-p")
            .arg(opts.port.to_string())
            .arg("-k")
            .arg(&opts.socket_dir)
            .arg("-c")
            .arg(format!("listen_addresses={}", opts.listen_addresses));
        for (name, value) in &opts.settings {
            cmd.arg("-c").arg(format!("{name}={value}"));
        }
        // Its own process group, so that a Ctrl-C meant for us reaches it only through our
        // orderly shutdown, after the API and workers have stopped.
        cmd.stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .process_group(0);
        let mut child = cmd
            .spawn()
            .context("spawn postgres")
            .map_err(Error::Permanent)?;
        let pid = child
            .id()
            .and_then(|p| i32::try_from(p).ok())
            .ok_or_else(|| Error::Transient(anyhow!("postgres exited at once")))?;
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = child
                .try_wait()
                .context("poll postgres")
                .map_err(Error::Transient)?
            {
                if log_tail(&log_path).contains("Address already in use") {
                    return Err(Error::AddressInUse { port: opts.port });
                }
                return Err(Error::Transient(anyhow!(
                    "postgres exited during startup ({status}): {}",
                    log_tail(&log_path)
                )));
            }
            if self.pidfile_says_ready(pid) {
                break;
            }
            if Instant::now() > deadline {
                let _ = kill(Pid::from_raw(pid), Signal::SIGQUIT);
                return Err(Error::Transient(anyhow!(
                    "postgres did not accept connections within {START_TIMEOUT:?}: {}",
                    log_tail(&log_path)
                )));
            }
            tokio::time::sleep(READY_POLL).await;
        }
        Ok(Postmaster { child, pid })
    }

    /// Wait until the running postmaster `pid` accepts connections (it may be one we found
    /// running, still starting).
    pub async fn wait_ready(&self, pid: i32) -> Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        while !self.pidfile_says_ready(pid) {
            if kill(Pid::from_raw(pid), None).is_err() {
                return Err(Error::Transient(anyhow!(
                    "postgres exited during startup: {}",
                    log_tail(&self.data_dir.join("server.log"))
                )));
            }
            if Instant::now() > deadline {
                return Err(Error::Transient(anyhow!(
                    "postgres did not accept connections within {START_TIMEOUT:?}"
                )));
            }
            tokio::time::sleep(READY_POLL).await;
        }
        Ok(())
    }

    /// `postmaster.pid` names `pid` and its status line (the 8th) reads "ready".
    fn pidfile_says_ready(&self, pid: i32) -> bool {
        let Ok(text) = std::fs::read_to_string(self.data_dir.join("postmaster.pid")) else {
            return false;
        };
        let mut lines = text.lines();
        lines.next().map(str::trim) == Some(pid.to_string().as_str())
            && lines.nth(6).map(str::trim) == Some("ready")
    }

    fn command(&self, bin: &str) -> Command {
        let mut cmd = Command::new(self.bins.bin(bin));
        // A cwd the unprivileged user can enter, and a predictable locale.
        cmd.current_dir(self.data_dir.parent().unwrap_or(Path::new("/")))
            .env("LC_ALL", "C")
            .env_remove("PGDATA");
        if let Some(run_as) = &self.run_as {
            run_as.apply(&mut cmd);
        }
        cmd
    }

    /// Give `path` to the user that runs Postgres.
    pub fn own(&self, path: &Path) -> Result<()> {
        match &self.run_as {
            Some(run_as) => run_as.chown(path),
            None => Ok(()),
        }
    }

    /// Make `dir` private (0700) and owned by the user that runs Postgres.
    pub fn make_private_dir(&self, dir: &Path) -> Result<()> {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::create_dir_all(dir)
            .with_context(|| format!("create {}", dir.display()))
            .map_err(Error::Permanent)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("chmod {}", dir.display()))
            .map_err(Error::Permanent)?;
        if let Some(run_as) = &self.run_as {
            run_as.chown(dir)?;
        }
        Ok(())
    }
}

/// A running postmaster that we started.
#[derive(Debug)]
pub struct Postmaster {
    child: Child,
    pid: i32,
}

impl Postmaster {
    /// Its process id.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Fast shutdown (SIGINT: roll back open transactions, checkpoint, exit), escalating to an
    /// immediate one (SIGQUIT) if it takes longer than 30 s.
    pub async fn stop(mut self) -> Result<()> {
        for (signal, timeout) in [
            (Signal::SIGINT, FAST_STOP_TIMEOUT),
            (Signal::SIGQUIT, IMMEDIATE_STOP_TIMEOUT),
        ] {
            if kill(Pid::from_raw(self.pid), signal).is_err() {
                break; // already gone
            }
            if tokio::time::timeout(timeout, self.child.wait())
                .await
                .is_ok()
            {
                return Ok(());
            }
            tracing::warn!(pid = self.pid, ?signal, "postgres did not stop in time");
        }
        let _ = self.child.wait().await;
        Ok(())
    }

    /// Let the server run on by itself: we no longer wait for it (tokio reaps it when it
    /// exits). Whoever stops it later finds it through `postmaster.pid`.
    pub fn detach(self) {
        drop(self.child);
    }
}

/// The last lines of a server log, for an error message.
fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(5)..].join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_without_binaries_names_the_package_to_install() {
        let dir = tempfile::tempdir().unwrap();
        let err = PgBinaries::discover(Some(dir.path())).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("apt-get install postgresql"), "{msg}");
        assert!(matches!(err, Error::Permanent(_)));
    }

    #[test]
    fn installed_binaries_report_their_major_version() {
        let Some(bins) = PgBinaries::installed().into_iter().last() else {
            panic!("these tests need PostgreSQL server binaries under {DEBIAN_LIB_DIR}");
        };
        assert!(bins.major() >= 12, "major {}", bins.major());
        assert!(bins.bin_dir().ends_with("bin"));
    }

    /// initdb, start, observe ready via the pidfile, stop: the whole life of a cluster.
    #[tokio::test]
    async fn a_cluster_initializes_starts_and_stops() {
        let dir = tempfile::tempdir().unwrap();
        let parent = dir.path();
        std::fs::set_permissions(parent, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let bins = PgBinaries::discover(None).unwrap();
        let run_as = RunAs::resolve("postgres").unwrap();
        let cluster = Cluster::new(bins, run_as, parent.join("pg"));
        assert!(!cluster.is_initialized());
        cluster.init("postgres", None).await.unwrap();
        assert!(cluster.is_initialized());
        let pm = cluster
            .start(&StartOptions {
                port: 5499,
                listen_addresses: String::new(),
                socket_dir: parent.join("pg"),
                settings: vec![],
            })
            .await
            .unwrap();
        assert_eq!(cluster.running_pid(), Some(pm.pid()));
        assert!(parent.join("pg/.s.PGSQL.5499").exists());
        pm.stop().await.unwrap();
        assert_eq!(cluster.running_pid(), None);
    }
}
