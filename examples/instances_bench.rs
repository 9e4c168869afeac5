//! Benchmark of local instances through the public API of a running Toygres.
//!
//! ```sh
//! scripts/bench-instances.sh          # starts a release Toygres and runs this against it
//! ```
//!
//! Measures, in one run: the raw cost of `initdb` + start + first query (no control plane),
//! create-to-connectable latency through `createInstance` (mutation sent → first successful
//! query with the returned connection string), delete latency (mutation sent → `DELETED`),
//! and the health sweep's CPU cost per check with a fleet of real instances.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqlx::Connection as _;

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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    providers::install_crypto_provider();
    let env = |k: &str| std::env::var(k).map_err(|_| anyhow::anyhow!("{k} must be set"));
    let url = env("BENCH_URL")?;
    let data_dir = env("BENCH_DATA_DIR")?;
    let pid: i32 = env("BENCH_PID")?.parse()?;
    let count: usize = env("BENCH_COUNT")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(20);
    let fleet: usize = env("BENCH_FLEET")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(200);
    let window = Duration::from_secs(
        env("BENCH_SWEEP_SECS")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(60),
    );
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

    // Raw: initdb + start + first query, with the installed binaries and no control plane.
    let mut raw = Vec::new();
    for _ in 0..5 {
        raw.push(raw_start().await?);
    }
    report("raw initdb + start + first query", &mut raw);

    let mut creates = Vec::new();
    let mut ids = Vec::new();
    for i in 0..count {
        let start = Instant::now();
        let id = create(&api, &format!("bench-{i}")).await?;
        let cs = wait_connection_string(&api, &id).await?;
        wait_connectable(&cs).await?;
        creates.push(start.elapsed());
        ids.push(id);
    }
    report("create-to-connectable", &mut creates);

    let mut deletes = Vec::new();
    for id in &ids {
        let start = Instant::now();
        api.gql(
            "mutation($id: ID!) { deleteInstance(id: $id) { id } }",
            json!({"id": id}),
        )
        .await?;
        wait_state(&api, id, "DELETED").await?;
        deletes.push(start.elapsed());
    }
    report("delete (mutation to DELETED)", &mut deletes);

    if fleet > 0 {
        sweep_cost(&api, fleet, pid, Path::new(&data_dir), window).await?;
    }
    Ok(())
}

async fn create(api: &Api, name: &str) -> anyhow::Result<String> {
    let data = api
        .gql(
            "mutation($n: String!) { createInstance(input: {name: $n}) { instance { id } } }",
            json!({"n": name}),
        )
        .await?;
    Ok(data["createInstance"]["instance"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

async fn wait_connection_string(api: &Api, id: &str) -> anyhow::Result<String> {
    loop {
        let data = api
            .gql(
                "query($id: ID!) { instance(id: $id) { state connectionString } }",
                json!({"id": id}),
            )
            .await?;
        anyhow::ensure!(
            data["instance"]["state"] != "FAILED",
            "instance failed: {data}"
        );
        if let Some(cs) = data["instance"]["connectionString"].as_str() {
            return Ok(cs.to_owned());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn wait_connectable(cs: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(mut conn) = sqlx::PgConnection::connect(cs).await
            && sqlx::query("SELECT 1").execute(&mut conn).await.is_ok()
        {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < deadline, "not connectable: {cs}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn wait_state(api: &Api, id: &str, state: &str) -> anyhow::Result<()> {
    loop {
        let data = api
            .gql(
                "query($id: ID!) { instance(id: $id) { state } }",
                json!({"id": id}),
            )
            .await?;
        if data["instance"]["state"] == state {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn raw_start() -> anyhow::Result<Duration> {
    use providers::host::{PgHost, Serve};
    use providers::local::{PgBinaries, RunAs};
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir()?;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let bins = PgBinaries::discover(None)?;
    let major = bins.major();
    let host = PgHost::local(
        dir.path().to_path_buf(),
        RunAs::resolve("postgres")?,
        std::net::Ipv4Addr::LOCALHOST.into(),
        port..port + 1,
        vec![bins],
    );
    let data = dir.path().join("pg");
    let start = Instant::now();
    host.ensure_cluster(&data, major, "postgres", Some("raw-password-123"))
        .await?;
    let serve = Serve {
        port,
        listen: Some(std::net::Ipv4Addr::LOCALHOST.into()),
        settings: &[],
    };
    host.start_cluster(&data, major, &serve).await?;
    wait_connectable(&format!(
        "postgresql://postgres:raw-password-123@127.0.0.1:{port}/postgres"
    ))
    .await?;
    let took = start.elapsed();
    host.stop_cluster(&data).await?;
    Ok(took)
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let pct =
        |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3;
    println!(
        "{what:<36} n={:<3} median {:>7.1} ms  p90 {:>7.1} ms",
        samples.len(),
        pct(0.5),
        pct(0.9)
    );
}

/// CPU seconds (user + system) used so far by `pid` and by the metadata database's processes.
fn control_plane_cpu(pid: i32, data_dir: &Path) -> anyhow::Result<f64> {
    let ticks = |pid: &str| -> Option<u64> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let fields: Vec<&str> = stat.rsplit_once(") ")?.1.split_whitespace().collect();
        Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
    };
    let metadata_db = data_dir.join("postgres");
    let mut total = ticks(&pid.to_string()).unwrap_or(0);
    for entry in std::fs::read_dir("/proc")?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        // Postmaster children keep their parent's command line; match by the data directory
        // of their postmaster (the first line of postmaster.pid) or by being that postmaster.
        if let Ok(pm) = std::fs::read_to_string(metadata_db.join("postmaster.pid"))
            && let Some(pm) = pm.lines().next()
            && let Ok(status) = std::fs::read_to_string(entry.path().join("status"))
        {
            let ppid = status
                .lines()
                .find_map(|l| l.strip_prefix("PPid:"))
                .map(str::trim);
            if name == pm || ppid == Some(pm) {
                total += ticks(&name).unwrap_or(0);
            }
        }
    }
    Ok(total as f64 / 100.0)
}

async fn sweep_cost(
    api: &Api,
    fleet: usize,
    pid: i32,
    data_dir: &Path,
    window: Duration,
) -> anyhow::Result<()> {
    let mut ids = Vec::new();
    for i in 0..fleet {
        ids.push(create(api, &format!("fleet-{i}")).await?);
    }
    for id in &ids {
        loop {
            let data = api
                .gql(
                    "query($id: ID!) { instance(id: $id) { state health } }",
                    json!({"id": id}),
                )
                .await?;
            if data["instance"]["health"] == "HEALTHY" {
                break;
            }
            anyhow::ensure!(data["instance"]["state"] != "FAILED", "{data}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let checks_before = count_checks(api, &ids).await?;
    let cpu_before = control_plane_cpu(pid, data_dir)?;
    tokio::time::sleep(window).await;
    let cpu = control_plane_cpu(pid, data_dir)? - cpu_before;
    let checks = count_checks(api, &ids).await? - checks_before;
    let per_check = cpu / checks.max(1) as f64;
    println!(
        "health sweep: {fleet} instances, {checks} checks in {:.0} s, control plane CPU {cpu:.2} s \
         → {:.2} ms CPU per check → one core keeps {:.0} instances checked every 30 s",
        window.as_secs_f64(),
        per_check * 1e3,
        30.0 / per_check
    );
    for id in &ids {
        api.gql(
            "mutation($id: ID!) { deleteInstance(id: $id) { id } }",
            json!({"id": id}),
        )
        .await?;
    }
    Ok(())
}

/// Health checks recorded so far over `ids` (each keeps its newest 100).
async fn count_checks(api: &Api, ids: &[String]) -> anyhow::Result<usize> {
    let mut n = 0;
    for id in ids {
        let data = api
            .gql(
                "query($id: ID!) { instance(id: $id) { healthChecks(last: 100) { checkedAt } } }",
                json!({"id": id}),
            )
            .await?;
        n += data["instance"]["healthChecks"]
            .as_array()
            .map_or(0, Vec::len);
    }
    Ok(n)
}
