//! Reaching fleet servers with OpenSSH's client.
//!
//! * **Keys.** One private key, from configuration, in a file only we can read; it is named in
//!   `ssh`'s arguments and never read, printed or logged by us.
//! * **Host keys: trust on first use.** A server with no recorded host key is connected to
//!   with `StrictHostKeyChecking=accept-new` into a fresh known-hosts file; the key it
//!   presented is then read back ([`SshTarget::learned_host_key`]) and the caller records it in
//!   the database. Every later connection writes the recorded key into the file and insists on
//!   it (`StrictHostKeyChecking=yes`): a server that presents another key is refused with
//!   [`crate::Error::Permanent`]. Keys are filed under `HostKeyAlias=toygres-<server>`, so a
//!   server keeps its key if its address changes, and two servers never share an entry.
//! * **Connections.** `ControlMaster=auto` with a short `ControlPersist`: the first command to
//!   a server opens a connection that the next ones reuse for a minute, so a step that polls
//!   costs a round trip, not a handshake.
//! * **Commands.** An argument vector, each argument quoted for the remote shell
//!   ([`super::shell::quote`]); the login user runs them as `postgres` through `runuser`
//!   (root) or `sudo -n -u postgres` (any other user, such as the templates' `toygres`).

use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow};
use tokio::process::Command;

use super::shell::{Output, last_lines, quote, run_command};
use crate::{Error, Result};

/// How this control plane reaches servers: its key and where it keeps known hosts and
/// connection sockets.
#[derive(Clone, Debug)]
pub struct SshClient {
    key: PathBuf,
    dir: PathBuf,
    control_dir: PathBuf,
}

impl SshClient {
    /// A client that logs in with the private key in `key` (which must be readable only by
    /// us, as `ssh` insists) and keeps its files in `dir`.
    pub fn new(key: PathBuf, dir: PathBuf) -> Result<Self> {
        for d in [&dir, &dir.join("known_hosts")] {
            make_private(d)?;
        }
        // Socket paths must fit in 108 bytes: keep them short, under /tmp.
        let control_dir = std::env::temp_dir().join(format!("tg-ssh-{}", &uuid_like()[..10]));
        make_private(&control_dir)?;
        Ok(Self {
            key,
            dir,
            control_dir,
        })
    }

    /// Write `pem` (a private key from configuration) to `dir/id_toygres`, mode 0600, and use
    /// it.
    pub fn with_key_text(pem: &str, dir: PathBuf) -> Result<Self> {
        make_private(&dir)?;
        let path = dir.join("id_toygres");
        super::shell::write_private_local(&path, pem.trim_end().as_bytes())?;
        // ssh wants a final newline after the key.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, b"\n"))
            .context("finish the key file")
            .map_err(Error::Permanent)?;
        Self::new(path, dir)
    }

    /// A server at `address:port`, logged in as `user`, known as `alias`, with the host key
    /// recorded for it (`None`: trust the first one it presents).
    pub fn target(
        &self,
        alias: &str,
        address: &str,
        port: u16,
        user: &str,
        host_key: Option<&str>,
    ) -> Result<SshTarget> {
        let alias = format!("toygres-{alias}");
        let known_hosts = self.dir.join("known_hosts").join(&alias);
        match host_key {
            Some(key) => std::fs::write(&known_hosts, format!("{alias} {}\n", key.trim())),
            None => std::fs::write(&known_hosts, ""),
        }
        .with_context(|| format!("write {}", known_hosts.display()))
        .map_err(Error::Permanent)?;
        Ok(SshTarget {
            address: address.to_owned(),
            port,
            user: user.to_owned(),
            key: self.key.clone(),
            known_hosts,
            alias,
            control_dir: self.control_dir.clone(),
            trust_first: host_key.is_none(),
        })
    }
}

/// One server: where it is, who we log in as, and which host key we expect.
#[derive(Clone, Debug)]
pub struct SshTarget {
    address: String,
    port: u16,
    user: String,
    key: PathBuf,
    known_hosts: PathBuf,
    alias: String,
    control_dir: PathBuf,
    trust_first: bool,
}

impl SshTarget {
    /// `user@address:port`.
    pub fn describe(&self) -> String {
        format!("{}@{}:{}", self.user, self.address, self.port)
    }

    /// The host key the server presented on first use, as `<type> <base64>`, once a command
    /// has succeeded; `None` when it was already recorded (or nothing connected yet).
    pub fn learned_host_key(&self) -> Option<String> {
        if !self.trust_first {
            return None;
        }
        let text = std::fs::read_to_string(&self.known_hosts).ok()?;
        let line = text
            .lines()
            .find(|l| !l.trim().is_empty() && !l.starts_with('#'))?;
        let mut fields = line.split_whitespace();
        fields.next()?; // the alias
        let (kind, key) = (fields.next()?, fields.next()?);
        Some(format!("{kind} {key}"))
    }

    fn prefix(&self) -> Vec<&'static str> {
        match self.user.as_str() {
            "root" => vec!["runuser", "-u", "postgres", "--"],
            "postgres" => vec![],
            _ => vec!["sudo", "-n", "-u", "postgres", "--"],
        }
    }

    /// Run `argv` as `postgres` on the server.
    pub(crate) async fn run(&self, argv: &[String], stdin: Option<&[u8]>) -> Result<Output> {
        let remote: Vec<String> = self
            .prefix()
            .into_iter()
            .map(str::to_owned)
            .chain(argv.iter().cloned())
            .map(|a| quote(&a))
            .collect();
        let mut cmd = Command::new("ssh");
        cmd.arg("-F")
            .arg("/dev/null")
            .arg("-i")
            .arg(&self.key)
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-l")
            .arg(&self.user);
        let strict = if self.trust_first {
            "accept-new"
        } else {
            "yes"
        };
        for option in [
            "BatchMode=yes".to_owned(),
            "IdentitiesOnly=yes".to_owned(),
            "PasswordAuthentication=no".to_owned(),
            format!("UserKnownHostsFile={}", self.known_hosts.display()),
            "GlobalKnownHostsFile=/dev/null".to_owned(),
            format!("HostKeyAlias={}", self.alias),
            format!("StrictHostKeyChecking={strict}"),
            "ControlMaster=auto".to_owned(),
            format!("ControlPath={}/%C", self.control_dir.display()),
            "ControlPersist=60".to_owned(),
            "ConnectTimeout=10".to_owned(),
            "ServerAliveInterval=10".to_owned(),
            "LogLevel=ERROR".to_owned(),
        ] {
            cmd.arg("-o").arg(option);
        }
        cmd.arg(&self.address).arg("--").arg(remote.join(" "));
        let out = run_command(cmd, stdin, "ssh").await?;
        // 255 is ssh's own failure: it did not reach the server, or did not trust it.
        if out.code == Some(255) {
            let why = last_lines(&out.stderr);
            if why.contains("Host key verification failed")
                || why.contains("IDENTIFICATION HAS CHANGED")
                || why.contains("host key for")
            {
                return Err(Error::Permanent(anyhow!(
                    "{} presented a host key other than the one recorded for it when it was \
                     first reached; refusing to connect (if the server was really reinstalled, \
                     re-register it)",
                    self.describe()
                )));
            }
            return Err(Error::Transient(anyhow!(
                "ssh to {} failed: {why}",
                self.describe()
            )));
        }
        Ok(out)
    }
}

fn make_private(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)))
        .with_context(|| format!("create {}", dir.display()))
        .map_err(Error::Permanent)
}

fn uuid_like() -> String {
    use rand::Rng as _;
    let n: u64 = rand::rng().random();
    format!("{n:016x}")
}
