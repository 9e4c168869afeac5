//! A real OpenSSH server on a loopback port ([`Sshd`]), standing in for a fleet server, and
//! the client keys ([`ClientKey`]) the control plane logs in to it with.
//!
//! Needs Debian's `openssh-server` and `openssh-client` (`/usr/sbin/sshd`, `ssh-keygen`;
//! `scripts/install-deps.sh --test` installs them), and root to let sshd log in as root.

use std::time::Duration;

/// A real OpenSSH server on a loopback port, standing in for a fleet server in tests. It runs
/// from Debian's `openssh-server` (`/usr/sbin/sshd`) with its own host key and configuration
/// in a scratch directory, and stops when dropped.
#[derive(Debug)]
pub struct Sshd {
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    child: std::process::Child,
    dir: std::path::PathBuf,
}

/// How the commands of an [`Sshd::start_unruly`] host behave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// They run, as on any host.
    Obedient,
    /// They never finish and print nothing (until the host is dropped).
    Hang,
    /// They print without end.
    Flood,
}

/// A key pair for the control plane to log in to [`Sshd`] hosts with.
#[derive(Debug)]
pub struct ClientKey {
    /// The private key's file (mode 0600).
    pub private: std::path::PathBuf,
    /// The public key, one line.
    pub public: String,
    _dir: tempfile::TempDir,
}

impl ClientKey {
    /// A fresh ed25519 key pair.
    pub fn generate() -> Self {
        let dir = tempfile::tempdir().expect("scratch directory for a client key");
        let private = dir.path().join("id_ed25519");
        let status = std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "toygres-test", "-f"])
            .arg(&private)
            .status()
            .expect("run ssh-keygen (install openssh-client)");
        assert!(status.success(), "ssh-keygen failed");
        let public = std::fs::read_to_string(private.with_extension("pub"))
            .expect("read the public key")
            .trim()
            .to_owned();
        Self {
            private,
            public,
            _dir: dir,
        }
    }

    /// The private key's text.
    pub fn private_text(&self) -> String {
        std::fs::read_to_string(&self.private).expect("read the private key")
    }
}

impl Sshd {
    /// Start sshd on a free port of 127.0.0.1 and wait until it accepts connections.
    pub async fn start() -> Self {
        Self::start_on(std::net::Ipv4Addr::LOCALHOST, None, None).await
    }

    /// Start sshd on a free port of `ip` (any 127.x.y.z), letting `authorized` (a public
    /// key) log in as root, with the host key in `host_key` if given (else a new one), and
    /// wait until it accepts connections.
    pub async fn start_on(
        ip: std::net::Ipv4Addr,
        authorized: Option<&str>,
        host_key: Option<&std::path::Path>,
    ) -> Self {
        Self::start_with(ip, authorized, host_key, &[]).await
    }

    /// Start sshd on a free port of `ip`, letting `authorized` log in as root, for a host
    /// that lacks `programs`: its sessions' `PATH` holds every other program of this
    /// machine's system directories.
    pub async fn start_lacking(
        ip: std::net::Ipv4Addr,
        authorized: &str,
        programs: &[&str],
    ) -> Self {
        Self::start_with(ip, Some(authorized), None, programs).await
    }

    /// Start sshd on a free port of `ip`, letting `authorized` log in as root, for a host
    /// whose commands can be made to hang or flood ([`Sshd::behave`]): every session runs a
    /// forced command that reads the host's current behaviour, then runs what was asked,
    /// never finishes, or prints without end. It starts [`Behaviour::Obedient`].
    pub async fn start_unruly(ip: std::net::Ipv4Addr, authorized: &str) -> Self {
        let sshd = Self::start_with_session(ip, Some(authorized), None, &[], true).await;
        sshd.behave(Behaviour::Obedient);
        sshd
    }

    /// Make the commands of an [`Sshd::start_unruly`] host behave as `behaviour` from the
    /// next session on.
    pub fn behave(&self, behaviour: Behaviour) {
        let word = match behaviour {
            Behaviour::Obedient => "obedient",
            Behaviour::Hang => "hang",
            Behaviour::Flood => "flood",
        };
        std::fs::write(self.dir.join("behaviour"), word).expect("write the host's behaviour");
    }

    async fn start_with(
        ip: std::net::Ipv4Addr,
        authorized: Option<&str>,
        host_key: Option<&std::path::Path>,
        lacking: &[&str],
    ) -> Self {
        Self::start_with_session(ip, authorized, host_key, lacking, false).await
    }

    async fn start_with_session(
        ip: std::net::Ipv4Addr,
        authorized: Option<&str>,
        host_key: Option<&std::path::Path>,
        lacking: &[&str],
        unruly: bool,
    ) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let dir = std::env::temp_dir().join(format!("tg-sshd-{}", &id[..12]));
        std::fs::create_dir_all(&dir).expect("create sshd scratch directory");
        let key = dir.join("host_ed25519");
        match host_key {
            Some(k) => {
                std::fs::copy(k, &key).expect("copy the host key");
            }
            None => {
                let status = std::process::Command::new("ssh-keygen")
                    .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                    .arg(&key)
                    .status()
                    .expect("run ssh-keygen (install openssh-client)");
                assert!(status.success(), "ssh-keygen failed");
            }
        }
        std::fs::write(
            dir.join("authorized_keys"),
            authorized.map(|k| format!("{k}\n")).unwrap_or_default(),
        )
        .expect("write authorized_keys");
        // sshd refuses to start without its privilege-separation directory.
        std::fs::create_dir_all("/run/sshd").expect("create /run/sshd");
        let port = {
            let probe = std::net::TcpListener::bind((ip, 0)).expect("bind a probe port");
            probe.local_addr().expect("probe address").port()
        };
        // Sessions get a home of their own: bash run by sshd reads ~/.bashrc, and this
        // machine's root's runs `pyenv init`, whose rehash waits up to a minute on a lock that
        // a session killed mid-rehash (a host made to vanish) leaves behind, stalling every
        // later command of every test host.
        let home = dir.join("home");
        std::fs::create_dir_all(&home).expect("create the sessions' home");
        let mut setenv = vec![format!("HOME={}", home.display())];
        let mut extra = String::new();
        if !lacking.is_empty() {
            let bin = dir.join("bin");
            std::fs::create_dir_all(&bin).expect("create the sessions' bin directory");
            for system in [
                "/usr/local/sbin",
                "/usr/local/bin",
                "/usr/sbin",
                "/usr/bin",
                "/sbin",
                "/bin",
            ] {
                for entry in std::fs::read_dir(system).into_iter().flatten().flatten() {
                    let name = entry.file_name();
                    let link = bin.join(&name);
                    if !lacking.iter().any(|p| name == *p) && !link.exists() {
                        std::os::unix::fs::symlink(entry.path(), link).expect("link a program");
                    }
                }
            }
            setenv.push(format!("PATH={}", bin.display()));
        }
        extra.push_str(&format!("SetEnv {}\n", setenv.join(" ")));
        if unruly {
            // A hanging session looks once a second whether its host is gone, so that it
            // ends with the test rather than outliving it.
            let session = dir.join("session");
            let behaviour = dir.join("behaviour");
            std::fs::write(
                &session,
                format!(
                    "#!/bin/sh
                     case \"$(cat '{b}' 2>/dev/null)\" in
                     hang) while [ -e '{b}' ]; do sleep 1; done; exit 1;;
                     flood) exec yes 'a host that prints without end';;
                     esac
                     exec /bin/sh -c \"$SSH_ORIGINAL_COMMAND\"
",
                    b = behaviour.display()
                ),
            )
            .expect("write the forced command");
            std::fs::set_permissions(
                &session,
                <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o755),
            )
            .expect("make the forced command executable");
            extra.push_str(&format!("ForceCommand {}\n", session.display()));
        }
        let config = dir.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListenAddress {ip}\nHostKey {}\nPidFile {}\n\
                 AuthorizedKeysFile {}\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 UsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\nMaxSessions 64\nMaxStartups 64\n{extra}",
                key.display(),
                dir.join("sshd.pid").display(),
                dir.join("authorized_keys").display(),
            ),
        )
        .expect("write sshd_config");
        let child = std::process::Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(&config)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect(
                "start /usr/sbin/sshd (scripts/install-deps.sh --test installs openssh-server)",
            );
        let addr = std::net::SocketAddr::from((ip, port));
        let sshd = Self { addr, child, dir };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(addr).await.is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "sshd did not listen on {addr} within 10 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        sshd
    }

    /// Let the holder of `public` (one `authorized_keys` line) log in as root too, as a host's
    /// owner does when registering it. sshd reads the file at each login: no restart.
    pub fn authorize(&self, public: &str) {
        use std::io::Write as _;
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(self.dir.join("authorized_keys"))
            .expect("open authorized_keys");
        writeln!(file, "{}", public.trim()).expect("append to authorized_keys");
    }

    /// Its host key's private file (to start another sshd with the same key).
    pub fn host_key(&self) -> std::path::PathBuf {
        self.dir.join("host_ed25519")
    }

    /// Stop it and start it again on the same address with a new host key, as if the machine
    /// had been reinstalled (or impersonated).
    pub async fn restart_with_new_host_key(self, authorized: Option<&str>) -> Self {
        let addr = self.addr;
        drop(self);
        let std::net::IpAddr::V4(ip) = addr.ip() else {
            panic!("IPv4 only");
        };
        let mut next = Self::start_on(ip, authorized, None).await;
        if next.addr.port() != addr.port() {
            // Same address and port: rewrite the config and start again there.
            let config = next.dir.join("sshd_config");
            let text = std::fs::read_to_string(&config).expect("read sshd_config");
            let text = text.replace(
                &format!("Port {}\n", next.addr.port()),
                &format!("Port {}\n", addr.port()),
            );
            drop(next.child.kill());
            drop(next.child.wait());
            std::fs::write(&config, text).expect("write sshd_config");
            next.child = std::process::Command::new("/usr/sbin/sshd")
                .args(["-D", "-e", "-f"])
                .arg(&config)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("start sshd");
            next.addr = addr;
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            while tokio::net::TcpStream::connect(addr).await.is_err() {
                assert!(std::time::Instant::now() < deadline, "sshd did not listen");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        next
    }
}

impl Sshd {
    /// The host goes away at once, as a machine that loses power: the daemon and every
    /// session it forked (a client's shared connection included) are killed, so nothing
    /// more reaches it over SSH.
    pub fn vanish(mut self) {
        let daemon = self.child.id();
        let mut doomed = vec![daemon];
        let mut i = 0;
        while i < doomed.len() {
            doomed.extend(children_of(doomed[i]));
            i += 1;
        }
        for pid in doomed.iter().rev() {
            if let Ok(pid) = i32::try_from(*pid) {
                // One already gone is fine.
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
        drop(self.child.wait());
    }
}

/// The processes whose parent is `pid`, from `/proc`.
fn children_of(pid: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|child| {
            std::fs::read_to_string(format!("/proc/{child}/stat")).is_ok_and(|stat| {
                // After the command's closing parenthesis: state, then the parent's pid.
                stat.rsplit_once(") ")
                    .and_then(|(_, rest)| rest.split(' ').nth(1)?.parse::<u32>().ok())
                    == Some(pid)
            })
        })
        .collect()
}

impl Drop for Sshd {
    fn drop(&mut self) {
        drop(self.child.kill());
        drop(self.child.wait());
        drop(std::fs::remove_dir_all(&self.dir));
    }
}
