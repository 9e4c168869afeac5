//! Test helpers: a scripted workflow for the engine's own tests.
//!
//! A `test_script` operation's input says how each step behaves:
//! `{"noop": true}` finishes at once (for benchmarks), `{"fail_transient": n}` fails its first `n` tries transiently, `{"fail_permanent": true}`
//! fails at once, `{"nap_ms": m}` naps until `m` ms after entering step `nap`, `{"hold": "name"}` waits on its first try until
//! [`release`] is called with that name, and steps `one → two → done` are walked otherwise.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use crate::db::{Db, NewOperation};
use crate::engine;
use crate::operation::{Operation, TargetKind};
use crate::registry::{GiveUp, Table};
use crate::user::{DEFAULT_PROJECT_ID, ProjectId};
use crate::workflow::{Context, Kind, Next, steps};
use crate::{Error, Result};

static HOLDS: LazyLock<Mutex<HashMap<String, std::sync::Arc<Notify>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn hold(name: &str) -> std::sync::Arc<Notify> {
    HOLDS
        .lock()
        .expect("holds lock is never poisoned")
        .entry(name.to_owned())
        .or_default()
        .clone()
}

/// A local provider rooted in a fresh private scratch directory (leaked for the test's life),
/// running Postgres as the `postgres` user when tests run as root.
pub fn local_host() -> std::sync::Arc<providers::host::PgHost> {
    use std::os::unix::fs::PermissionsExt as _;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let dir = std::env::temp_dir().join(format!("tg-test-{}", &id[..12]));
    std::fs::create_dir_all(&dir).expect("create scratch directory");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))
        .expect("chmod scratch directory");
    let run_as =
        providers::local::RunAs::resolve("postgres").expect("the postgres system user exists");
    std::sync::Arc::new(providers::host::PgHost::local(
        dir,
        run_as,
        std::net::IpAddr::from([127, 0, 0, 1]),
        20000..30000,
        Vec::new(),
    ))
}

/// A server row for unit tests: an active registered host named `name`, reached over SSH,
/// with 4 GB of memory, 100 GB of disk and PostgreSQL 15. A test changes what it is about
/// with struct update syntax: `Server { state, ..testing::server("a") }`.
pub fn server(name: &str) -> crate::server::Server {
    use crate::server::{CloudProvider, Server, ServerId, ServerState};
    let now = chrono::Utc::now();
    Server {
        id: ServerId(uuid::Uuid::now_v7()),
        project_id: DEFAULT_PROJECT_ID,
        name: name.to_owned(),
        provider: CloudProvider::Existing,
        plan: "existing".to_owned(),
        region: "home".to_owned(),
        provider_id: Some(name.to_owned()),
        ipv4: Some(std::net::Ipv4Addr::new(127, 0, 0, 2).into()),
        ipv6: None,
        labels: serde_json::json!({}),
        state: ServerState::Active,
        failure_reason: None,
        created_by: None,
        created_at: now,
        updated_at: now,
        template: "postgres-host".to_owned(),
        image: String::new(),
        pending_action: None,
        state_changed_at: now,
        removed_at: None,
        scaling_operation_id: None,
        ssh_port: 22,
        ssh_user: "root".to_owned(),
        ssh_host_key: Some("ssh-ed25519 AAAA".to_owned()),
        memory_mb: Some(4096),
        disk_gb: Some(100),
        pg_versions: vec![15],
    }
}

/// A server row recorded as a provision records it ([`Db::insert_server`], no operation
/// started): a Hetzner `cx22` in `fsn1` named `name`, in `project`, still `provisioning`. For
/// tests that need a server to exist, not to run.
pub async fn record_server(
    db: &Db,
    project: ProjectId,
    name: &str,
) -> Result<crate::server::Server> {
    use crate::server::{CloudProvider, ServerId};
    let provider = CloudProvider::Hetzner;
    let mut tx = db.begin().await?;
    let server = Db::insert_server(
        &mut tx,
        &crate::db::NewServer {
            id: ServerId(uuid::Uuid::now_v7()),
            project_id: project,
            name: name.to_owned(),
            provider,
            plan: "cx22".to_owned(),
            region: "fsn1".to_owned(),
            template: "postgres-host".to_owned(),
            image: crate::server::default_image(provider),
            labels: Default::default(),
            created_by: None,
            scaling_operation_id: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(server)
}

/// A worker context over `db` for tests: the local provider of [`local_host`], no fleet, no
/// Kubernetes, short retries, and no failpoint.
pub fn context(db: &Db) -> Context {
    Context {
        db: db.clone(),
        shutdown: tokio_util::sync::CancellationToken::new(),
        retry: crate::RetryPolicy {
            base: Duration::from_millis(20),
            cap: Duration::from_millis(100),
        },
        local: local_host(),
        fleet: Default::default(),
        kubernetes: None,
        failpoint: None,
    }
}

/// Wait until operation `op` is final (succeeded, failed or cancelled), at most `patience`;
/// panics when it is not.
pub async fn wait_final(
    db: &Db,
    op: crate::operation::OperationId,
    patience: std::time::Duration,
) -> Operation {
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        let now = db.operation(op).await.expect("read the operation");
        if now.status.is_final() {
            return now;
        }
        assert!(tokio::time::Instant::now() < deadline, "stuck: {now:?}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Let the step holding on `name` go on, even if it has not started waiting yet.
pub fn release(name: &str) {
    hold(name).notify_one();
}

/// Queue a `test_script` operation with `input` in the default project.
pub async fn start_script(db: &Db, input: serde_json::Value) -> Result<Operation> {
    start_script_in(db, DEFAULT_PROJECT_ID, input).await
}

/// Queue a `test_script` operation with `input` in `project`.
pub async fn start_script_in(
    db: &Db,
    project: ProjectId,
    input: serde_json::Value,
) -> Result<Operation> {
    engine::start(
        db,
        NewOperation {
            project_id: project,
            kind: Kind::TestScript,
            target_kind: TargetKind::System,
            target_id: None,
            provider: None,
            input,
            requested_by: None,
        },
    )
    .await
}

steps! {
    /// The steps of `test_script`.
    pub(crate) enum ScriptStep {
        One => "one",
        Two => "two",
        Nap => "nap",
    }
}

/// `test_script`: `one → two`, then `nap` when the input asks for one.
pub(crate) static TABLE: Table<ScriptStep> = Table {
    steps: &[ScriptStep::One, ScriptStep::Two, ScriptStep::Nap],
    run: |s, op, cx| Box::pin(script_step(s, op, cx)),
    give_up: GiveUp::NOTHING,
};

/// Do what the input says: hold, fail, finish early, or nap.
async fn script_step(step: ScriptStep, op: &Operation, cx: &Context) -> Result<Next<ScriptStep>> {
    let input = &op.input;
    if let Some(name) = input.get("hold").and_then(|h| h.as_str())
        && step == ScriptStep::One
        && op.attempts == 1
    {
        hold(name).notified().await;
    }
    if input.get("fail_permanent").and_then(|f| f.as_bool()) == Some(true) {
        return Err(Error::InvalidInput("scripted permanent failure".to_owned()));
    }
    let transient = input
        .get("fail_transient")
        .and_then(|f| f.as_i64())
        .unwrap_or(0);
    if i64::from(op.attempts) <= transient {
        return Err(anyhow::anyhow!("scripted transient failure {}", op.attempts).into());
    }
    match step {
        ScriptStep::One if input.get("noop").is_some() => Ok(Next::Done),
        ScriptStep::One => Ok(Next::Continue),
        ScriptStep::Two if input.get("nap_ms").is_some() => Ok(Next::Continue),
        ScriptStep::Two => Ok(Next::Done),
        // Naps until `nap_ms` after entering the step, then finishes.
        ScriptStep::Nap => {
            let nap =
                Duration::from_millis(input.get("nap_ms").and_then(|n| n.as_u64()).unwrap_or(0));
            let steps = cx.db.operation_steps(op.id).await?;
            let entered = steps.last().map_or(op.created_at, |s| s.entered_at);
            let elapsed = (chrono::Utc::now() - entered).to_std().unwrap_or_default();
            Ok(if elapsed < nap {
                Next::Nap(nap - elapsed)
            } else {
                Next::Continue
            })
        }
    }
}

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
        let config = dir.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListenAddress {ip}\nHostKey {}\nPidFile {}\n\
                 AuthorizedKeysFile {}\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 UsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\nMaxSessions 64\nMaxStartups 64\n",
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

impl Drop for Sshd {
    fn drop(&mut self) {
        drop(self.child.kill());
        drop(self.child.wait());
        drop(std::fs::remove_dir_all(&self.dir));
    }
}
