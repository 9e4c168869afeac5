//! The metrics sampler against this host and against a real VictoriaMetrics on loopback
//! (Debian's `victoria-metrics`), fed node_exporter series with known values.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use jobs::db::Db;
use jobs::metrics::{self, MetricsConfig, SERVER_LABEL};
use jobs::user::DEFAULT_PROJECT_ID;
use jobs::{Context, RetryPolicy};
use providers::metrics::PromClient;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio_util::sync::CancellationToken;

const PATIENCE: Duration = Duration::from_secs(30);

async fn context(connect: PgConnectOptions) -> Context {
    providers::install_crypto_provider();
    let pool = PgPoolOptions::new()
        .max_connections(10)
        .connect_with(connect)
        .await
        .unwrap();
    Context {
        db: Db::from_pool(pool).sealed_with(testkit::master_key()),
        shutdown: CancellationToken::new(),
        retry: RetryPolicy::default(),
        local: testkit::local_host(),
        fleet: Default::default(),
        backup: None,
        kubernetes: None,
        failpoint: None,
        tls: std::sync::Arc::new(jobs::tls::Authority::ephemeral().expect("a CA in memory")),
    }
}

fn config(source: Option<&str>) -> MetricsConfig {
    MetricsConfig {
        interval: Duration::from_millis(200),
        source: source.map(|url| PromClient::new(url).unwrap()),
        source_name: source.unwrap_or("host").to_owned(),
        ..MetricsConfig::default()
    }
}

/// A VictoriaMetrics on a free loopback port, stopped on drop.
struct Victoria {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Victoria {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn victoria(port: u16) -> Victoria {
    providers::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let child = Command::new("victoria-metrics")
        .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
        .arg(format!("-storageDataPath={}", dir.path().display()))
        .arg("-retentionPeriod=1d")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("victoria-metrics is installed (scripts/install-deps.sh installs it)");
    let url = format!("http://127.0.0.1:{port}");
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while reqwest::get(format!("{url}/health"))
        .await
        .map(|r| r.status() != 200)
        .unwrap_or(true)
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "victoria-metrics did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Victoria {
        child,
        url,
        _dir: dir,
    }
}

/// Five minutes of node_exporter series for one node, ending now: the idle counter grows by
/// `idle_share` seconds per second, and `available / total` of memory is free.
async fn import_node(vm: &Victoria, server: &str, idle_share: f64, available: f64, total: f64) {
    let now_ms = chrono::Utc::now().timestamp_millis();
    let mut lines = String::new();
    for k in (0..=30).rev() {
        let t = now_ms - k * 10_000;
        let idle = 1000.0 + idle_share * ((30 - k) * 10) as f64;
        let labels = format!(r#"instance="127.0.0.1:9100",{SERVER_LABEL}="{server}""#);
        lines.push_str(&format!(
            "node_cpu_seconds_total{{mode=\"idle\",cpu=\"0\",{labels}}} {idle} {t}\n"
        ));
        lines.push_str(&format!(
            "node_memory_MemAvailable_bytes{{{labels}}} {available} {t}\n"
        ));
        lines.push_str(&format!(
            "node_memory_MemTotal_bytes{{{labels}}} {total} {t}\n"
        ));
    }
    let client = reqwest::Client::new();
    let resp = client
        .post(format!("{}/api/v1/import/prometheus", vm.url))
        .body(lines)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    client
        .get(format!("{}/internal/force_flush", vm.url))
        .send()
        .await
        .unwrap();
}

async fn wait_for_row<T: Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>>(
    db: &Db,
    sql: &'static str,
) -> T {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(row) = sqlx::query_as::<_, T>(sql)
            .fetch_optional(db.pool())
            .await
            .unwrap()
        {
            return row;
        }
        assert!(tokio::time::Instant::now() < deadline, "no row for {sql}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn without_a_source_the_cluster_is_this_host(_p: PgPoolOptions, c: PgConnectOptions) {
    let cx = context(c).await;
    tokio::spawn(metrics::run(cx.clone(), config(None), cx.shutdown.clone()));
    let (cpu, memory, source): (f64, f64, String) = wait_for_row(
        &cx.db,
        "SELECT cpu_percent, memory_percent, source FROM server_metrics WHERE server_id IS NULL AND error IS NULL LIMIT 1",
    )
    .await;
    assert!((0.0..=100.0).contains(&cpu), "{cpu}");
    assert!(memory > 0.0 && memory < 100.0, "{memory}");
    assert_eq!(source, "host");
    cx.shutdown.cancel();
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn figures_from_victoriametrics_are_exactly_what_the_series_imply(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let cx = context(c).await;
    let server = testkit::record_server(&cx.db, DEFAULT_PROJECT_ID, "node-a")
        .await
        .unwrap()
        .id
        .0;
    let vm = victoria(free_port()).await;
    // Server A: idle half the time (CPU 50 %), a quarter of memory free (75 % used).
    import_node(&vm, &server.to_string(), 0.5, 25e9, 100e9).await;
    // A node we do not know: idle 90 % (CPU 10 %), half free (50 %). Counted in the cluster.
    import_node(&vm, "not-one-of-ours", 0.9, 50e9, 100e9).await;

    tokio::spawn(metrics::run(
        cx.clone(),
        config(Some(&vm.url)),
        cx.shutdown.clone(),
    ));
    let (cpu, memory): (f64, f64) = wait_for_row(
        &cx.db,
        "SELECT cpu_percent, memory_percent FROM server_metrics WHERE server_id IS NOT NULL LIMIT 1",
    )
    .await;
    assert!((cpu - 50.0).abs() < 1e-6, "server cpu {cpu}");
    assert!((memory - 75.0).abs() < 1e-6, "server memory {memory}");
    let (cpu, memory): (f64, f64) = wait_for_row(
        &cx.db,
        "SELECT cpu_percent, memory_percent FROM server_metrics WHERE server_id IS NULL AND error IS NULL LIMIT 1",
    )
    .await;
    assert!(
        (cpu - 30.0).abs() < 1e-6,
        "cluster cpu is the mean of 50 and 10: {cpu}"
    );
    assert!(
        (memory - 62.5).abs() < 1e-6,
        "cluster memory is the mean of 75 and 50: {memory}"
    );
    cx.shutdown.cancel();
}

/// The source is down: samples say so (never zeros) and an event is raised; it comes back:
/// figures return and another event says so.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_source_that_goes_away_and_comes_back_is_reported_both_ways(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let cx = context(c).await;
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    tokio::spawn(metrics::run(
        cx.clone(),
        config(Some(&url)),
        cx.shutdown.clone(),
    ));
    let (error,): (String,) = wait_for_row(
        &cx.db,
        "SELECT error FROM server_metrics WHERE server_id IS NULL AND error IS NOT NULL LIMIT 1",
    )
    .await;
    assert!(error.starts_with("metrics unavailable"), "{error}");
    let since = cx.db.metrics_unavailable_since().await.unwrap();
    assert!(since.is_some());
    let (_,): (String,) = wait_for_row(
        &cx.db,
        "SELECT message FROM cluster_events WHERE kind = 'metrics_unavailable'",
    )
    .await;

    let vm = victoria(port).await;
    import_node(&vm, "n1", 0.5, 25e9, 100e9).await;
    let (cpu,): (f64,) = wait_for_row(
        &cx.db,
        "SELECT cpu_percent FROM server_metrics WHERE server_id IS NULL AND error IS NULL LIMIT 1",
    )
    .await;
    assert!((cpu - 50.0).abs() < 1e-6, "{cpu}");
    let (_,): (String,) = wait_for_row(
        &cx.db,
        "SELECT message FROM cluster_events WHERE kind = 'metrics_available'",
    )
    .await;
    assert_eq!(cx.db.metrics_unavailable_since().await.unwrap(), None);
    cx.shutdown.cancel();
}
