//! Benchmark of high availability through the public API of a running Toygres, with `psql`
//! (libpq) as the client.
//!
//! ```sh
//! scripts/bench-failover.sh          # starts a Toygres and runs this against it
//! ```
//!
//! In one run, each scenario `BENCH_ROUNDS` times, on instances of the local provider:
//!
//! - **failover, synchronous** and **asynchronous**: an instance with one standby; a client
//!   inserts one row per connection through the multi-host connection string; the primary's
//!   postmaster is killed with SIGKILL. Measured: primary killed → first write accepted, and
//!   how many acknowledged rows are missing afterwards.
//! - **switchover**: the same client while `switchover` runs; the write pause the operation
//!   recorded, and the longest gap the client saw between two acknowledged rows.
//! - **restart in place**: an instance without standbys, killed likewise; the health sweep
//!   sees its process gone and restarts it (what a single-server instance gets).
//!
//! The client's resolution is one `psql` connection (about 10–30 ms here).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

struct Api {
    url: String,
    token: String,
    http: reqwest::Client,
}

impl Api {
    async fn gql(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
        let body: Value = self
            .http
            .post(&self.url)
            .bearer_auth(&self.token)
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await?
            .json()
            .await?;
        anyhow::ensure!(body.get("errors").is_none(), "{body}");
        Ok(body["data"].clone())
    }

    async fn wait_operation(&self, id: &str) -> anyhow::Result<()> {
        loop {
            let op = self
                .gql(
                    "query($id: ID!) { operation(id: $id) { status error } }",
                    json!({"id": id}),
                )
                .await?;
            match op["operation"]["status"].as_str() {
                Some("SUCCEEDED") => return Ok(()),
                Some("FAILED" | "CANCELLED") => anyhow::bail!("operation {id}: {op}"),
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// A new instance with `standbys`, running; its id and its connection string, with the
    /// CA saved where `sslrootcert` can find it.
    async fn instance(
        &self,
        name: &str,
        standbys: i32,
        synchronous: bool,
        dir: &Path,
    ) -> anyhow::Result<(String, String)> {
        let made = self
            .gql(
                "mutation($n: String!, $s: Int!, $y: Boolean!) { createInstance(input: \
                 {name: $n, standbys: $s, synchronous: $y}) { instance { id } operation { id } } }",
                json!({"n": name, "s": standbys, "y": synchronous}),
            )
            .await?;
        let id = made["createInstance"]["instance"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        self.wait_operation(
            made["createInstance"]["operation"]["id"]
                .as_str()
                .unwrap_or_default(),
        )
        .await?;
        let got = self
            .gql(
                "query($id: ID!) { instance(id: $id) { connectionString } certificateAuthority { pem } }",
                json!({"id": id}),
            )
            .await?;
        let ca = dir.join("toygres-ca.crt");
        std::fs::write(
            &ca,
            got["certificateAuthority"]["pem"]
                .as_str()
                .unwrap_or_default(),
        )?;
        let url = got["instance"]["connectionString"]
            .as_str()
            .unwrap_or_default()
            .replace(
                "sslrootcert=toygres-ca.crt",
                &format!("sslrootcert={}", ca.display()),
            );
        Ok((id, url))
    }

    /// Delete instance `id` once no operation on it (a failover finishing) is under way.
    async fn delete(&self, id: &str) -> anyhow::Result<()> {
        loop {
            let ops = self
                .gql(
                    "query($id: ID!) { instance(id: $id) { operations(first: 5) { status } } }",
                    json!({"id": id}),
                )
                .await?;
            let busy = ops["instance"]["operations"].as_array().is_some_and(|o| {
                o.iter()
                    .any(|o| ["QUEUED", "RUNNING"].contains(&o["status"].as_str().unwrap_or("")))
            });
            if !busy {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let op = self
            .gql(
                "mutation($id: ID!) { deleteInstance(id: $id) { id } }",
                json!({"id": id}),
            )
            .await?;
        self.wait_operation(op["deleteInstance"]["id"].as_str().unwrap_or_default())
            .await
    }
}

fn psql(bin: &Path, url: &str, sql: &str) -> bool {
    std::process::Command::new(bin)
        .arg(url)
        .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .env_clear()
        .env("PGCONNECT_TIMEOUT", "2")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn psql_out(bin: &Path, url: &str, sql: &str) -> String {
    std::process::Command::new(bin)
        .arg(url)
        .args(["-X", "-q", "-A", "-t", "-c", sql])
        .env_clear()
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// Inserts 1, 2, 3, … one connection each, retrying a row until acknowledged; when each
/// was.
struct Writer {
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Vec<(i64, Instant)>>>,
    thread: std::thread::JoinHandle<()>,
}

impl Writer {
    fn start(bin: &Path, url: &str) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(Mutex::new(Vec::new()));
        let (s, a, url, bin) = (stop.clone(), acked.clone(), url.to_owned(), bin.to_owned());
        let thread = std::thread::spawn(move || {
            let mut next = 1_i64;
            while !s.load(Ordering::SeqCst) {
                if psql(&bin, &url, &format!("INSERT INTO ledger VALUES ({next})")) {
                    a.lock().unwrap().push((next, Instant::now()));
                    next += 1;
                }
            }
        });
        Self {
            stop,
            acked,
            thread,
        }
    }

    fn count(&self) -> usize {
        self.acked.lock().unwrap().len()
    }

    async fn wait_more(&self, n: usize, patience: Duration) -> anyhow::Result<()> {
        let (from, until) = (self.count(), Instant::now() + patience);
        while self.count() < from + n {
            anyhow::ensure!(Instant::now() < until, "the writer is stuck");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(())
    }

    fn finish(self) -> Vec<(i64, Instant)> {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.thread.join();
        self.acked.lock().unwrap().clone()
    }
}

fn postmaster(data: &Path, name: &str) -> anyhow::Result<i32> {
    let text = std::fs::read_to_string(data.join("instances").join(name).join("postmaster.pid"))?;
    Ok(text.lines().next().unwrap_or_default().trim().parse()?)
}

fn resource_name(id: &str) -> String {
    let hex = id.replace('-', "");
    format!("tg-{}", &hex[hex.len() - 12..])
}

/// Kill the primary of instance `id` (member `primary`) under a writing client; the time
/// to the first write accepted after, and the acknowledged rows then missing.
async fn kill_and_measure(
    api: &Api,
    bin: &Path,
    data: &Path,
    id: &str,
    url: &str,
) -> anyhow::Result<(Duration, usize)> {
    let primary = api
        .gql(
            "query($id: ID!) { instance(id: $id) { members { id } } }",
            json!({"id": id}),
        )
        .await?["instance"]["members"][0]["id"]
        .as_str()
        .unwrap_or(id)
        .to_owned();
    assert!(psql(bin, url, "CREATE TABLE ledger (i bigint PRIMARY KEY)"));
    let writer = Writer::start(bin, url);
    writer.wait_more(20, Duration::from_secs(30)).await?;
    let pid = postmaster(data, &resource_name(&primary))?;
    let killed = Instant::now();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )?;
    writer.wait_more(5, Duration::from_secs(300)).await?;
    let acked = writer.finish();
    let first = acked
        .iter()
        .find(|(_, at)| *at > killed)
        .map(|(_, at)| *at - killed)
        .unwrap_or_default();
    let stored: std::collections::HashSet<i64> = psql_out(bin, url, "SELECT i FROM ledger")
        .lines()
        .filter_map(|l| l.parse().ok())
        .collect();
    let lost = acked.iter().filter(|(i, _)| !stored.contains(i)).count();
    Ok((first, lost))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or_default()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    providers::install_crypto_provider();
    let env = |k: &str| std::env::var(k).map_err(|_| anyhow::anyhow!("{k} must be set"));
    let url = env("BENCH_URL")?;
    let data = PathBuf::from(env("BENCH_DATA_DIR")?);
    let rounds: usize = env("BENCH_ROUNDS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(3);
    let bin = providers::local::PgBinaries::discover(None)?
        .bin_dir()
        .join("psql");
    let scratch = data.parent().unwrap_or(&data).to_owned();
    let http = reqwest::Client::new();
    let login: Value = http
        .post(&url)
        .json(&json!({"query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
                      "variables": {"e": env("BENCH_EMAIL")?, "p": env("BENCH_PASSWORD")?}}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["data"]["login"]["token"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("login: {login}"))?;
    let api = Api {
        url,
        token: token.to_owned(),
        http,
    };

    let mut rows: Vec<(String, Vec<f64>, Vec<f64>)> = Vec::new();
    for (label, standbys, sync) in [
        ("failover, synchronous", 1, true),
        ("failover, asynchronous", 1, false),
        ("restart in place (no standby)", 0, false),
    ] {
        let (mut times, mut lost) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            let name = format!("bench-{}-{round}", label.len() + usize::from(sync));
            let (id, url) = api.instance(&name, standbys, sync, &scratch).await?;
            let (first, missing) = kill_and_measure(&api, &bin, &data, &id, &url).await?;
            println!(
                "{label}, round {round}: first write after {first:?}, {missing} acknowledged rows lost"
            );
            times.push(first.as_secs_f64() * 1000.0);
            lost.push(missing as f64);
            api.delete(&id).await?;
        }
        rows.push((label.to_owned(), times, lost));
    }

    let (mut paused, mut gaps, mut switch_lost) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (id, url) = api
            .instance(&format!("bench-switch-{round}"), 1, true, &scratch)
            .await?;
        assert!(psql(
            &bin,
            &url,
            "CREATE TABLE ledger (i bigint PRIMARY KEY)"
        ));
        let writer = Writer::start(&bin, &url);
        writer.wait_more(20, Duration::from_secs(30)).await?;
        let op = api
            .gql(
                "mutation($id: ID!) { switchover(instanceId: $id) { id } }",
                json!({"id": id}),
            )
            .await?;
        api.wait_operation(op["switchover"]["id"].as_str().unwrap_or_default())
            .await?;
        writer.wait_more(20, Duration::from_secs(30)).await?;
        let acked = writer.finish();
        let gap = acked
            .windows(2)
            .map(|w| (w[1].1 - w[0].1).as_secs_f64() * 1000.0)
            .fold(0.0, f64::max);
        let h = api
            .gql(
                "query($id: ID!) { instance(id: $id) { highAvailability { handovers { unavailableMs } } } }",
                json!({"id": id}),
            )
            .await?;
        let recorded = h["instance"]["highAvailability"]["handovers"][0]["unavailableMs"]
            .as_f64()
            .unwrap_or_default();
        let stored: std::collections::HashSet<i64> = psql_out(&bin, &url, "SELECT i FROM ledger")
            .lines()
            .filter_map(|l| l.parse().ok())
            .collect();
        switch_lost.push(acked.iter().filter(|(i, _)| !stored.contains(i)).count());
        println!(
            "switchover, round {round}: recorded pause {recorded:.0} ms, longest client gap {gap:.0} ms"
        );
        paused.push(recorded);
        gaps.push(gap);
        api.delete(&id).await?;
    }

    println!();
    println!(
        "| scenario | primary killed → first write accepted (median of {rounds}) | acknowledged rows lost (each round) |"
    );
    println!("|---|---:|---|");
    for (label, times, lost) in &rows {
        println!(
            "| {label} | {:.0} ms | {} |",
            median(times.clone()),
            lost.iter()
                .map(|l| format!("{l:.0}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    println!(
        "| switchover (planned) | write pause recorded {:.0} ms, longest client gap {:.0} ms | {} |",
        median(paused),
        median(gaps),
        switch_lost
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}
