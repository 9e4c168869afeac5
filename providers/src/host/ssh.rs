//! Reaching fleet servers with OpenSSH's client.
//!
//! * **Keys.** Each server has a key pair of its own ([`KeyPair`], ed25519, made by us): the
//!   caller keeps its private half sealed and hands it to [`SshClient::target`], which writes it
//!   to a file only we can read (`<dir>/keys/<alias>`, for `ssh -i`) and logs in with it alone
//!   (`IdentitiesOnly`, no agent). Servers recorded before keys were per server log in with the
//!   installation's key, from configuration. Key material is never printed or logged by us; a
//!   server that refuses the key answers [`KeyRefused`].
//! * **Host keys: trust on first use.** A server with no recorded host key is connected to
//!   with `StrictHostKeyChecking=accept-new` into a fresh known-hosts file; the key it
//!   presented is then read back ([`SshTarget::learned_host_key`]) and the caller records it in
//!   the database. Every later connection writes the recorded key into the file and insists on
//!   it (`StrictHostKeyChecking=yes`): a server that presents another key is refused with
//!   [`crate::Error::Permanent`]. Keys are filed under `HostKeyAlias=toygres-<server>`, so a
//!   server keeps its key if its address changes, and two servers never share an entry.
//! * **Connections.** `ControlMaster=auto` with a short `ControlPersist`: the first command to
//!   a server opens a connection that the next ones reuse for a minute, so a step that polls
//!   costs a round trip, not a handshake. The control socket is named after the server's
//!   alias too, so two servers at one address never share a connection (or its login).
//! * **Commands.** An argument vector, each argument quoted for the remote shell
//!   ([`super::shell::quote`]); the login user runs them as `postgres` through `runuser`
//!   (root) or `sudo -n -u postgres` (any other user, such as the templates' `toygres`).

use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow};
use tokio::process::Command;
use zeroize::Zeroizing;

use super::shell::{Bounds, Kill, Output, last_lines, quote, run_command};
use crate::{Error, Result};

/// How much later than our own deadline a command on a server is killed there: ours fires
/// first, with a clear error, and the server's own `timeout` cleans up after it.
const REMOTE_GRACE_SECS: u64 = 30;

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
    /// recorded for it (`None`: trust the first one it presents), logging in with `identity`
    /// (the server's own private key, OpenSSH text) alone, or with the installation's key when
    /// `None`.
    pub fn target(
        &self,
        alias: &str,
        address: &str,
        port: u16,
        user: &str,
        host_key: Option<&str>,
        identity: Option<&str>,
    ) -> Result<SshTarget> {
        let key = match identity {
            Some(text) => self.write_identity(alias, text)?,
            None => self.key.clone(),
        };
        let control = alias
            .get(alias.len().saturating_sub(12)..)
            .unwrap_or(alias)
            .to_owned();
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
            key,
            known_hosts,
            alias,
            control: self.control_dir.join(format!("{control}-%C")),
            trust_first: host_key.is_none(),
        })
    }

    /// Delete the key file of the server known as `alias`, if there is one (it was removed).
    pub fn forget_identity(&self, alias: &str) -> Result<()> {
        match std::fs::remove_file(self.dir.join("keys").join(alias)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::Permanent(
                anyhow::Error::new(e).context(format!("remove the key file of {alias}")),
            )),
            _ => Ok(()),
        }
    }

    /// Write a server's private key where `ssh -i` reads it: a 0600 file, replaced whole
    /// (written beside it, then renamed) so that a concurrent `ssh` never reads half a key.
    fn write_identity(&self, alias: &str, text: &str) -> Result<PathBuf> {
        let dir = self.dir.join("keys");
        make_private(&dir)?;
        let path = dir.join(alias);
        let scratch = dir.join(format!(".{alias}.{}", uuid_like()));
        let mut contents = Zeroizing::new(text.trim_end().as_bytes().to_vec());
        contents.push(b'\n');
        super::shell::write_private_local(&scratch, &contents)?;
        std::fs::rename(&scratch, &path)
            .with_context(|| format!("install the key file {}", path.display()))
            .map_err(Error::Permanent)?;
        Ok(path)
    }
}

/// A server's SSH key pair (ed25519), made by us. Its `Debug` shows the public half only.
pub struct KeyPair {
    /// The public key as one `authorized_keys` line: `ssh-ed25519 <base64> <comment>`.
    pub public: String,
    private: Zeroizing<String>,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair")
            .field("public", &self.public)
            .field("private", &"<redacted>")
            .finish()
    }
}

impl KeyPair {
    /// A fresh ed25519 key pair from the operating system's random numbers, with `comment`
    /// (one word, such as `toygres-<server name>`) on its public line.
    pub fn generate(comment: &str) -> Self {
        use base64::Engine as _;
        let seed = Zeroizing::new(rand::random::<[u8; 32]>());
        let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
        let public = signing.verifying_key().to_bytes();
        let comment: String = comment
            .chars()
            .filter(|c| c.is_ascii_graphic())
            .take(64)
            .collect();
        let mut blob = Vec::new();
        put_string(&mut blob, b"ssh-ed25519");
        put_string(&mut blob, &public);
        let b64 = base64::engine::general_purpose::STANDARD;
        let public_line = format!("ssh-ed25519 {} {comment}", b64.encode(&blob));

        // The `openssh-key-v1` format (OpenSSH's PROTOCOL.key), unencrypted: the key is sealed
        // at rest by our caller and only ever written to a 0600 file for `ssh`.
        let mut secret = Zeroizing::new(Vec::new());
        let check: u32 = rand::random();
        secret.extend_from_slice(&check.to_be_bytes());
        secret.extend_from_slice(&check.to_be_bytes());
        put_string(&mut secret, b"ssh-ed25519");
        put_string(&mut secret, &public);
        let mut pair = Zeroizing::new([0u8; 64]);
        pair[..32].copy_from_slice(seed.as_slice());
        pair[32..].copy_from_slice(&public);
        put_string(&mut secret, pair.as_slice());
        put_string(&mut secret, comment.as_bytes());
        let mut pad = 1u8;
        while secret.len() % 8 != 0 {
            secret.push(pad);
            pad += 1;
        }
        let mut whole = Zeroizing::new(b"openssh-key-v1\0".to_vec());
        put_string(&mut whole, b"none");
        put_string(&mut whole, b"none");
        put_string(&mut whole, b"");
        whole.extend_from_slice(&1u32.to_be_bytes());
        put_string(&mut whole, &blob);
        put_string(&mut whole, &secret);
        let encoded = Zeroizing::new(b64.encode(whole.as_slice()));
        let mut private = Zeroizing::new(String::from("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
        for line in encoded.as_bytes().chunks(70) {
            private.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
            private.push('\n');
        }
        private.push_str("-----END OPENSSH PRIVATE KEY-----\n");
        Self {
            public: public_line,
            private,
        }
    }

    /// The private key in OpenSSH's format, for sealing. Never log or show it.
    pub fn private_openssh(&self) -> &str {
        &self.private
    }
}

fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).expect("SSH key fields are short");
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

/// The server refused every key we offered (`Permission denied (publickey)`): its owner has
/// not authorised the server's key yet, or took it away. Carried inside
/// [`Error::Transient`], since the owner may still add it.
#[derive(Debug, thiserror::Error)]
#[error("{target} refused the server's SSH key ({why})")]
pub struct KeyRefused {
    /// `user@address:port`.
    pub target: String,
    /// What ssh said.
    pub why: String,
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
    control: PathBuf,
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

    /// Run `argv` as `postgres` on the server, within `bounds`. Past the deadline our `ssh`
    /// is killed, which ends its session; the command itself runs under `timeout` on the
    /// server, which kills it (and what it started, but for detached servers) a little
    /// after that, should the server still answer.
    pub(crate) async fn run(
        &self,
        argv: &[String],
        stdin: Option<&[u8]>,
        bounds: Bounds,
    ) -> Result<Output> {
        let remote_deadline = bounds.deadline.as_secs().saturating_add(REMOTE_GRACE_SECS);
        let remote: Vec<String> = self
            .prefix()
            .into_iter()
            .map(str::to_owned)
            .chain([
                "timeout".to_owned(),
                "-k".to_owned(),
                "10".to_owned(),
                format!("{remote_deadline}s"),
            ])
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
            "IdentityAgent=none".to_owned(),
            "PasswordAuthentication=no".to_owned(),
            format!("UserKnownHostsFile={}", self.known_hosts.display()),
            "GlobalKnownHostsFile=/dev/null".to_owned(),
            format!("HostKeyAlias={}", self.alias),
            format!("StrictHostKeyChecking={strict}"),
            "ControlMaster=auto".to_owned(),
            format!("ControlPath={}", self.control.display()),
            "ControlPersist=60".to_owned(),
            "ConnectTimeout=10".to_owned(),
            "ServerAliveInterval=10".to_owned(),
            "LogLevel=ERROR".to_owned(),
        ] {
            cmd.arg("-o").arg(option);
        }
        cmd.arg(&self.address).arg("--").arg(remote.join(" "));
        let what = format!(
            "`{}` on {}",
            argv.first().map_or("", String::as_str),
            self.describe()
        );
        let out = run_command(cmd, stdin, &what, bounds, Kill::Child).await?;
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
            if why.contains("Permission denied") {
                return Err(Error::Transient(anyhow::Error::new(KeyRefused {
                    target: self.describe(),
                    why,
                })));
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

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNDS: Bounds = Bounds {
        deadline: std::time::Duration::from_secs(60),
        max_output: 1024 * 1024,
    };

    /// OpenSSH itself reads the private key we write and derives the public line we show.
    #[test]
    fn a_generated_key_pair_is_one_that_openssh_reads_back() {
        let pair = KeyPair::generate("toygres-db-1");
        assert!(pair.public.starts_with("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5"));
        assert!(pair.public.ends_with(" toygres-db-1"), "{}", pair.public);
        assert!(!format!("{pair:?}").contains("PRIVATE"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("id");
        super::super::shell::write_private_local(&path, pair.private_openssh().as_bytes()).unwrap();
        let out = std::process::Command::new("ssh-keygen")
            .arg("-y")
            .arg("-f")
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let derived = String::from_utf8(out.stdout).unwrap();
        let mut fields = pair.public.split_whitespace();
        let expected = format!("{} {}", fields.next().unwrap(), fields.next().unwrap());
        assert!(derived.starts_with(&expected), "{derived} vs {expected}");
        assert_ne!(KeyPair::generate("x").public, KeyPair::generate("x").public);
    }

    /// A server's own key is offered alone: a host that trusts only the installation's key
    /// refuses it (as `KeyRefused`), and accepts it once authorised.
    #[tokio::test]
    async fn a_server_is_logged_in_to_with_its_own_key_alone() {
        let installation = testkit::sshd::ClientKey::generate();
        let sshd = testkit::sshd::Sshd::start_on(
            std::net::Ipv4Addr::new(127, 0, 36, 1),
            Some(&installation.public),
            None,
        )
        .await;
        let dir = tempfile::tempdir().unwrap();
        let client = SshClient::new(installation.private.clone(), dir.path().join("ssh")).unwrap();
        let own = KeyPair::generate("toygres-test");
        let port = sshd.addr.port();
        let ip = sshd.addr.ip().to_string();
        let target = |alias: &str, identity: Option<&str>| {
            client
                .target(alias, &ip, port, "root", None, identity)
                .unwrap()
        };
        let argv = ["true".to_owned()];

        let err = target("own", Some(own.private_openssh()))
            .run(&argv, None, BOUNDS)
            .await
            .unwrap_err();
        let Error::Transient(e) = &err else {
            panic!("{err}");
        };
        assert!(e.downcast_ref::<KeyRefused>().is_some(), "{e:#}");
        assert!(!format!("{e:#}").contains("PRIVATE"), "{e:#}");
        target("installation", None)
            .run(&argv, None, BOUNDS)
            .await
            .unwrap();

        sshd.authorize(&own.public);
        let out = target("own", Some(own.private_openssh()))
            .run(&argv, None, BOUNDS)
            .await
            .unwrap();
        assert_eq!(out.code, Some(0));
    }

    /// A server whose commands hang, or print without end, fails each command with a clear
    /// error at its deadline or output cap, and our `ssh` for it is killed.
    #[tokio::test]
    async fn a_server_that_hangs_or_floods_fails_the_command_and_its_ssh_is_killed() {
        use crate::host::{CommandLimits, Shell};
        use testkit::sshd::Behaviour;
        let key = testkit::sshd::ClientKey::generate();
        let sshd =
            testkit::sshd::Sshd::start_unruly(std::net::Ipv4Addr::new(127, 0, 36, 2), &key.public)
                .await;
        let dir = tempfile::tempdir().unwrap();
        let client = SshClient::new(key.private.clone(), dir.path().join("ssh")).unwrap();
        let port = sshd.addr.port();
        let target = client
            .target(
                "unruly",
                &sshd.addr.ip().to_string(),
                port,
                "root",
                None,
                None,
            )
            .unwrap();
        let shell = Shell::ssh(target).with_limits(CommandLimits {
            quick: std::time::Duration::from_secs(3),
            long: std::time::Duration::from_secs(3),
            max_output: 64 * 1024,
        });
        let argv = ["echo".to_owned(), "hello".to_owned()];
        assert_eq!(shell.check(&argv, None).await.unwrap(), b"hello\n");
        let patience = std::time::Duration::from_secs(60);

        sshd.behave(Behaviour::Hang);
        let err = tokio::time::timeout(patience, shell.run(&argv, None))
            .await
            .expect("the command ends at its deadline")
            .unwrap_err();
        let expected = format!(
            "`echo` on root@{}:{port} did not finish within 3 s",
            sshd.addr.ip()
        );
        assert!(err.to_string().contains(&expected), "{err}");
        // No `ssh` of ours to that server is left running.
        let until = std::time::Instant::now() + patience;
        while ssh_children_to(port) > 0 {
            assert!(
                std::time::Instant::now() < until,
                "an ssh to {port} outlived its command"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }

        sshd.behave(Behaviour::Flood);
        let err = tokio::time::timeout(patience, shell.run(&argv, None))
            .await
            .expect("the command ends at its cap")
            .unwrap_err();
        assert!(
            err.to_string().contains("printed more than 65536 bytes"),
            "{err}"
        );

        sshd.behave(Behaviour::Obedient);
        assert_eq!(shell.check(&argv, None).await.unwrap(), b"hello\n");
    }

    /// Live `ssh` processes that this process started for `port` (the background
    /// connection, a daemon of its own, not counted).
    fn ssh_children_to(port: u16) -> usize {
        let me = std::process::id().to_string();
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return 0;
        };
        entries
            .flatten()
            .filter(|e| {
                let path = e.path();
                let Ok(stat) = std::fs::read_to_string(path.join("stat")) else {
                    return false;
                };
                let Some((head, rest)) = stat.rsplit_once(')') else {
                    return false;
                };
                let mut fields = rest.split_whitespace();
                let (state, ppid) = (fields.next(), fields.next());
                let cmdline = std::fs::read(path.join("cmdline")).unwrap_or_default();
                head.ends_with("(ssh")
                    && state != Some("Z")
                    && ppid == Some(me.as_str())
                    && cmdline
                        .split(|b| *b == 0)
                        .any(|arg| arg == port.to_string().as_bytes())
            })
            .count()
    }
}
