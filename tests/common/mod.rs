//! Run the real `toygres` binary and talk to it over HTTP and WebSocket.

#![allow(dead_code, unreachable_pub)]

use std::net::{SocketAddr, TcpListener};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use futures::{SinkExt as _, StreamExt as _};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

pub mod fleet;
pub mod s3;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "correct-horse-battery-staple";
/// How long a test waits for the binary to do something it should.
pub const PATIENCE: Duration = Duration::from_secs(60);

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A scratch directory that the unprivileged Postgres user can enter. Instances outlive the
/// control plane by design, so when the directory goes (a test passed, or failed half-way)
/// the Postgres servers still serving data under it are stopped with it.
pub struct Scratch(tempfile::TempDir);

impl Scratch {
    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for pid in postmasters_under(self.path()) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGQUIT);
        }
    }
}

pub fn scratch() -> Scratch {
    let dir = tempfile::Builder::new()
        .prefix("toygres-e2e")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    Scratch(dir)
}

pub fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// A running `toygres` process.
pub struct Toygres {
    child: Child,
    pub addr: SocketAddr,
    pub log: PathBuf,
}

impl Drop for Toygres {
    fn drop(&mut self) {
        // Politely first, so its embedded Postgres stops too.
        let _ = kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
    }
}

/// `toygres <args>` with `envs`, logging to a file in `dir`; does not wait for readiness.
pub fn spawn(dir: &Path, name: &str, args: &[&str], envs: &[(&str, &str)]) -> Toygres {
    // The tests' own HTTP clients need TLS's crypto provider chosen, as the binary does.
    providers::install_crypto_provider();
    let addr = free_addr();
    let log = dir.join(format!("{name}.log"));
    let out = std::fs::File::create(&log).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_toygres"));
    cmd.args(args)
        .env_remove("DATABASE_URL")
        .env("TOYGRES_LISTEN", addr.to_string())
        .env("TOYGRES_DATA_DIR", dir.join("data"))
        .env("TOYGRES_WORKER_POLL_MS", "100")
        // Tests run side by side: each control plane gets its own instance ports.
        .env(
            "TOYGRES_INSTANCE_PORT_MIN",
            (20000 + (addr.port() % 400) * 100).to_string(),
        )
        .env("TOYGRES_INSTANCE_PORT_COUNT", "100")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    Toygres {
        child: cmd.spawn().unwrap(),
        addr,
        log,
    }
}

/// `toygres serve` with the bootstrap admin, ready to answer.
pub async fn serve(dir: &Path, name: &str, envs: &[(&str, &str)]) -> Toygres {
    let mut all = vec![
        ("TOYGRES_BOOTSTRAP_ADMIN_EMAIL", ADMIN_EMAIL),
        ("TOYGRES_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD),
    ];
    all.extend_from_slice(envs);
    let mut t = spawn(dir, name, &["serve"], &all);
    t.wait_ready().await;
    t
}

impl Toygres {
    pub fn pid(&self) -> Pid {
        Pid::from_raw(self.child.id() as i32)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Poll `/readyz` until it answers 200; fail with the log if the process exits.
    pub async fn wait_ready(&mut self) {
        let url = format!("http://{}/readyz", self.addr);
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "toygres exited ({status}) before ready:\n{}",
                    self.log_text()
                );
            }
            if let Ok(resp) = reqwest::get(&url).await
                && resp.status() == 200
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "not ready in time:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Wait for the process to exit by itself.
    pub async fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "did not exit:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn signal(&self, signal: Signal) {
        kill(self.pid(), signal).unwrap();
    }

    pub fn url(&self) -> String {
        format!("http://{}/graphql", self.addr)
    }

    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
        let mut req = reqwest::Client::new()
            .post(self.url())
            .header("accept", "application/json")
            .json(&json!({"query": query, "variables": variables}));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap())
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let (status, body) = self
            .gql(
                None,
                "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
                json!({"e": email, "p": password}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["data"]["login"]["token"].as_str().unwrap().to_owned()
    }

    pub async fn ws_as(&self, token: &str) -> Ws {
        let mut req = format!("ws://{}/graphql", self.addr)
            .into_client_request()
            .unwrap();
        req.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
        send(&mut ws, json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}})).await;
        assert_eq!(recv(&mut ws).await["type"], "connection_ack");
        ws
    }
}

pub async fn send(ws: &mut Ws, message: Value) {
    ws.send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
}

pub async fn recv(ws: &mut Ws) -> Value {
    loop {
        match tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("a message in time")
        {
            Some(Ok(Message::Text(t))) => return serde_json::from_str(&t).unwrap(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected a text message, got {other:?}"),
        }
    }
}

/// Subscribe to every operation and wait (after a ping round trip) until the subscription is
/// live.
pub async fn subscribe_operations(ws: &mut Ws) {
    send(ws, json!({"id": "ops", "type": "subscribe", "payload": {"query": "subscription { operationUpdated { id status step } }"}})).await;
    wait_pong(ws).await;
}

/// Ping, and read until the pong: the subscriptions sent before are live from then on. Events
/// that arrive before the pong (changes already under way) are skipped; callers that need the
/// state as of now query it after this.
pub async fn wait_pong(ws: &mut Ws) {
    send(ws, json!({"type": "ping"})).await;
    loop {
        let msg = recv(ws).await;
        match msg["type"].as_str() {
            Some("pong") => return,
            Some("next") => continue,
            _ => panic!("expected a pong, got {msg}"),
        }
    }
}

/// Read `operationUpdated` events until operation `id` reaches a final status; returns it.
pub async fn follow_to_the_end(ws: &mut Ws, id: &str) -> String {
    loop {
        let msg = recv(ws).await;
        let op = &msg["payload"]["data"]["operationUpdated"];
        if op["id"] == id {
            let status = op["status"].as_str().unwrap().to_owned();
            if ["SUCCEEDED", "FAILED", "CANCELLED"].contains(&status.as_str()) {
                return status;
            }
        }
    }
}

/// A fresh database on the `DATABASE_URL` server, for tests of several processes sharing one.
pub async fn fresh_database() -> String {
    use sqlx::Connection as _;
    let base = std::env::var("DATABASE_URL")
        .expect("DATABASE_URL must name a PostgreSQL superuser for these tests");
    let name = format!("toygres_e2e_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&base).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    with_database(&base, &name)
}

/// `url` with its database replaced by `db`.
fn with_database(url: &str, db: &str) -> String {
    let (main, query) = url
        .split_once('?')
        .map_or((url, None), |(m, q)| (m, Some(q)));
    let authority = main.find("://").map_or(0, |i| i + 3);
    let base = main[authority..]
        .find('/')
        .map_or(main, |i| &main[..authority + i]);
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

/// Subscribe to every instance's changes (live after a ping round trip).
pub async fn subscribe_instances(ws: &mut Ws) {
    send(ws, json!({"id": "instances", "type": "subscribe", "payload": {"query": "subscription { instanceUpdated { id state health connectionString } }"}})).await;
    wait_pong(ws).await;
}

/// Read `instanceUpdated` events of instance `id` until `done(state, health)`; returns every
/// (state, health) seen, in order.
pub async fn follow_instance(
    ws: &mut Ws,
    id: &str,
    done: impl Fn(&str, &str) -> bool,
) -> Vec<(String, String)> {
    let mut seen = Vec::new();
    loop {
        let msg = recv(ws).await;
        let inst = &msg["payload"]["data"]["instanceUpdated"];
        if inst["id"] != id {
            continue;
        }
        let (state, health) = (
            inst["state"].as_str().unwrap().to_owned(),
            inst["health"].as_str().unwrap().to_owned(),
        );
        let finished = done(&state, &health);
        seen.push((state, health));
        if finished {
            return seen;
        }
        assert!(seen.len() < 50, "no end in sight: {seen:?}");
    }
}

impl Toygres {
    /// Poll `operation(id)` until it is final; its status, attempts and error.
    pub async fn wait_operation(&self, token: &str, id: &str) -> Value {
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            let (_, body) = self
                .gql(
                    Some(token),
                    "query($id: ID!) { operation(id: $id) { status attempts error } }",
                    json!({"id": id}),
                )
                .await;
            let op = body["data"]["operation"].clone();
            if ["SUCCEEDED", "FAILED", "CANCELLED"].contains(&op["status"].as_str().unwrap_or("")) {
                return op;
            }
            assert!(std::time::Instant::now() < deadline, "stuck: {op}");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// `createInstance(name)`; returns the instance id and operation id.
    pub async fn create_instance(&self, token: &str, name: &str) -> (String, String) {
        let (_, body) = self
            .gql(
                Some(token),
                "mutation($n: String!) { createInstance(input: {name: $n}) { instance { id state } operation { id } } }",
                json!({"n": name}),
            )
            .await;
        let payload = &body["data"]["createInstance"];
        assert_eq!(payload["instance"]["state"], "CREATING", "{body}");
        (
            payload["instance"]["id"].as_str().unwrap().to_owned(),
            payload["operation"]["id"].as_str().unwrap().to_owned(),
        )
    }

    /// The instance's fields named in `fields`.
    pub async fn instance(&self, token: &str, id: &str, fields: &str) -> Value {
        let (_, body) = self
            .gql(
                Some(token),
                &format!("query($id: ID!) {{ instance(id: $id) {{ {fields} }} }}"),
                json!({"id": id}),
            )
            .await;
        body["data"]["instance"].clone()
    }

    /// The instance's connection string, usable as a client would use it: the CA from
    /// `certificateAuthority { pem }` saved beside this process's log, where its
    /// `sslrootcert` names it.
    pub async fn connection_string(&self, token: &str, id: &str) -> String {
        let (_, body) = self
            .gql(
                Some(token),
                "query($id: ID!) { instance(id: $id) { connectionString } certificateAuthority { pem } }",
                json!({"id": id}),
            )
            .await;
        let cs = body["data"]["instance"]["connectionString"]
            .as_str()
            .unwrap_or_else(|| panic!("no connection string: {body}"));
        let ca = self.log.with_file_name("toygres-ca.crt");
        std::fs::write(
            &ca,
            body["data"]["certificateAuthority"]["pem"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        cs.replace(
            "sslrootcert=toygres-ca.crt",
            &format!("sslrootcert={}", ca.display()),
        )
    }

    /// Run an instance mutation (`stopInstance`, …) and return its operation id.
    pub async fn instance_op(&self, token: &str, mutation: &str, id: &str) -> String {
        let (_, body) = self
            .gql(
                Some(token),
                &format!("mutation($id: ID!) {{ {mutation}(id: $id) {{ id }} }}"),
                json!({"id": id}),
            )
            .await;
        body["data"][mutation]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_owned()
    }
}

/// The pids of postgres postmasters serving a data directory under `dir`. A backend the
/// postmaster has just forked shows the postmaster's command line until it sets its own
/// title, so a process whose parent is one of them is not counted.
pub fn postmasters_under(dir: &Path) -> Vec<i32> {
    let mut pids = Vec::new();
    let mut parents = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let is_postmaster = args.first().is_some_and(|a| a.ends_with("/postgres"));
        let serves = args
            .windows(2)
            .any(|w| w[0] == "-D" && Path::new(&w[1]).starts_with(dir));
        if is_postmaster && serves {
            pids.push(pid);
            parents.push(parent_of(pid));
        }
    }
    pids.iter()
        .zip(&parents)
        .filter(|(_, parent)| !parent.is_some_and(|p| pids.contains(&p)))
        .map(|(pid, _)| *pid)
        .collect()
}

/// The parent of process `pid`, from `/proc/<pid>/stat` (its fourth field, after the
/// parenthesised name).
fn parent_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, after) = stat.rsplit_once(')')?;
    after.split_whitespace().nth(1)?.parse().ok()
}

/// `(name, value)` pairs borrowed, for [`serve`] and [`spawn`].
pub fn borrowed<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}
