//! Instance workflows through the real engine and the real local provider: failures, and a
//! port taken between allocation and start.

use std::time::Duration;

use jobs::db::Db;
use jobs::instance::{self, CreateInstance, InstanceState};
use jobs::operation::OperationStatus;
use jobs::queue::WorkerConfig;
use jobs::user::DEFAULT_PROJECT_ID;
use jobs::{Context, RetryPolicy};
use sqlx::Connection as _;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio_util::sync::CancellationToken;

const PATIENCE: Duration = Duration::from_secs(60);

async fn setup(connect: PgConnectOptions) -> (Db, Context, CancellationToken) {
    let pool = PgPoolOptions::new()
        .max_connections(30)
        .connect_with(connect)
        .await
        .unwrap();
    let db = Db::from_pool(pool).sealed_with(testkit::master_key());
    let shutdown = CancellationToken::new();
    let cx = Context {
        db: db.clone(),
        shutdown: shutdown.clone(),
        retry: RetryPolicy {
            base: Duration::from_millis(20),
            cap: Duration::from_millis(100),
        },
        local: testkit::local_host(),
        fleet: Default::default(),
        backup: None,
        kubernetes: None,
        failpoint: None,
        tls: std::sync::Arc::new(jobs::tls::Authority::ephemeral().expect("a CA in memory")),
    };
    (db, cx, shutdown)
}

fn start_workers(cx: &Context, shutdown: &CancellationToken) {
    let config = WorkerConfig {
        poll_interval: Duration::from_millis(50),
        ..WorkerConfig::default()
    };
    tokio::spawn(jobs::engine::run_workers(
        cx.clone(),
        config,
        shutdown.clone(),
    ));
}

async fn wait_final(db: &Db, op: jobs::operation::OperationId) -> jobs::operation::Operation {
    testkit::wait_final(db, op, PATIENCE).await
}

/// A version the API accepted but this host cannot run is a permanent failure: no retries,
/// the operation says why, and the instance is `failed` with the same reason.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_create_that_cannot_succeed_fails_at_once_and_marks_the_instance_failed(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let (db, cx, stop) = setup(c).await;
    start_workers(&cx, &stop);
    let input = CreateInstance {
        name: "impossible".into(),
        version: Some(99),
        ..CreateInstance::default()
    };
    let (inst, op) = instance::create(
        &db,
        &input,
        &local_offer(vec![99]),
        DEFAULT_PROJECT_ID,
        None,
    )
    .await
    .unwrap();
    let done = wait_final(&db, op.id).await;
    assert_eq!(done.status, OperationStatus::Failed);
    assert_eq!(done.attempts, 1, "a permanent error is not retried");
    let error = done.error.unwrap();
    assert!(error.contains("PostgreSQL 99 is not installed"), "{error}");
    let inst = db.instance(inst.id).await.unwrap();
    assert_eq!(inst.state, InstanceState::Failed);
    assert_eq!(inst.failure_reason.as_deref(), Some(error.as_str()));
}

/// Something else listens on the instance's port by the time it starts: the create takes
/// another port instead of failing.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_port_taken_before_start_is_exchanged_for_a_free_one(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let (db, cx, stop) = setup(c).await;
    let versions = cx.local.versions();
    let squatter = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = squatter.local_addr().unwrap().port();
    let input = CreateInstance {
        name: "squatted".into(),
        ..CreateInstance::default()
    };
    let (inst, op) = instance::create(
        &db,
        &input,
        &local_offer(versions),
        DEFAULT_PROJECT_ID,
        None,
    )
    .await
    .unwrap();
    // Claim the squatted port before any worker runs, as if allocation had raced the squatter.
    assert!(db.claim_port(inst.id, taken).await.unwrap());
    start_workers(&cx, &stop);
    let done = wait_final(&db, op.id).await;
    assert_eq!(done.status, OperationStatus::Succeeded, "{done:?}");
    let inst = db.instance(inst.id).await.unwrap();
    assert_eq!(inst.state, InstanceState::Running);
    assert_ne!(
        inst.port,
        Some(i32::from(taken)),
        "it moved off the taken port"
    );
    let steps: Vec<String> = db
        .operation_steps(op.id)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.step)
        .collect();
    assert_eq!(
        steps.iter().filter(|s| *s == "allocate_port").count(),
        2,
        "{steps:?}"
    );
    drop(squatter);
    cx.local.remove(&inst.resource_name()).await.unwrap();
}

/// A data directory no instance owns is reported as a cluster event and left in place.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn an_orphan_data_directory_is_reported_and_kept(_p: PgPoolOptions, c: PgConnectOptions) {
    let (db, cx, stop) = setup(c).await;
    let stray = cx.local.instance_dir("tg-stray");
    std::fs::create_dir_all(&stray).unwrap();
    std::fs::write(stray.join("PG_VERSION"), "15\n").unwrap();
    tokio::spawn(jobs::health::run(
        cx.clone(),
        jobs::health::HealthConfig::default(),
        stop.clone(),
    ));
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let found: Option<String> = sqlx::query_scalar(
            "SELECT message FROM cluster_events WHERE kind = 'orphan_data_directory'",
        )
        .fetch_optional(db.pool())
        .await
        .unwrap();
        if let Some(message) = found {
            assert!(message.contains("tg-stray"), "{message}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no orphan reported");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.cancel();
    assert!(stray.join("PG_VERSION").exists(), "nothing was deleted");
}

/// The certificate a server at `port` on this host serves, PEM, as `openssl s_client` sees it
/// after PostgreSQL's TLS negotiation.
fn served_certificate(port: u16) -> String {
    let out = std::process::Command::new("openssl")
        .args(["s_client", "-starttls", "postgres", "-connect"])
        .arg(format!("127.0.0.1:{port}"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let start = text
        .find("-----BEGIN CERTIFICATE-----")
        .unwrap_or_else(|| panic!("no certificate: {text}"));
    let end = text.find("-----END CERTIFICATE-----").unwrap() + "-----END CERTIFICATE-----".len();
    text[start..end].to_owned()
}

/// The health sweep's renewal gives a certificate near its expiry, and an instance that has
/// none (made before instances served TLS, so started without it), a new one, which the
/// running server serves after a reload: same process, new certificate, TLS verified against
/// the CA.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn certificates_near_expiry_or_missing_are_renewed_and_served_without_a_restart(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let (db, cx, stop) = setup(c).await;
    start_workers(&cx, &stop);
    let input = CreateInstance {
        name: "renewed".into(),
        ..CreateInstance::default()
    };
    let (inst, op) = instance::create(
        &db,
        &input,
        &local_offer(cx.local.versions()),
        DEFAULT_PROJECT_ID,
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        wait_final(&db, op.id).await.status,
        OperationStatus::Succeeded
    );
    let inst = db.instance(inst.id).await.unwrap();
    let (name, port) = (
        inst.resource_name(),
        u16::try_from(inst.port.unwrap()).unwrap(),
    );
    let major = u32::try_from(inst.pg_version).unwrap();
    let dir = cx.local.instance_dir(&name);
    let pid = cx.local.running_pid(&name).await.unwrap();
    let first = served_certificate(port);
    assert_eq!(
        first.trim(),
        std::fs::read_to_string(dir.join("server.crt"))
            .unwrap()
            .trim()
    );

    // Near its expiry: renewed, and served by the same process.
    sqlx::query("UPDATE instance_certificates SET not_after = now() + interval '1 day'")
        .execute(db.pool())
        .await
        .unwrap();
    jobs::tls::renew_due(&cx).await.unwrap();
    let expiry = db.certificate_expiry(inst.id).await.unwrap().unwrap();
    assert!(
        expiry > chrono::Utc::now() + chrono::Duration::days(89),
        "{expiry}"
    );
    let second = served_certificate(port);
    assert_ne!(second, first, "the new certificate is served");
    assert_eq!(
        cx.local.running_pid(&name).await.unwrap(),
        pid,
        "no restart"
    );

    // As if made before TLS: no certificate, started without TLS.
    cx.local
        .psql(&name, major, port, "ALTER SYSTEM RESET ssl;", None)
        .await
        .unwrap();
    cx.local.ensure_stopped(&name).await.unwrap();
    std::fs::remove_file(dir.join("server.crt")).unwrap();
    std::fs::remove_file(dir.join("server.key")).unwrap();
    sqlx::query("DELETE FROM instance_certificates")
        .execute(db.pool())
        .await
        .unwrap();
    cx.local
        .ensure_running(&name, major, port, None)
        .await
        .unwrap();
    let pid = cx.local.running_pid(&name).await.unwrap();
    jobs::tls::renew_due(&cx).await.unwrap();
    assert!(db.certificate_expiry(inst.id).await.unwrap().is_some());
    assert_eq!(
        cx.local.running_pid(&name).await.unwrap(),
        pid,
        "no restart"
    );
    let password = db.instance_password(inst.id).await.unwrap();
    let opts = jobs::tls::client_options(
        PgConnectOptions::new()
            .host("127.0.0.1")
            .port(port)
            .username(&inst.username)
            .password(&password)
            .database(&inst.database_name),
        &inst,
        cx.tls.pem(),
    );
    let mut conn = sqlx::PgConnection::connect_with(&opts).await.unwrap();
    let ssl: bool = sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert!(ssl);
    drop(conn);
    cx.local.remove(&name).await.unwrap();
}

fn local_offer(local_versions: Vec<u32>) -> instance::Offer {
    instance::Offer {
        local_versions,
        ..instance::Offer::default()
    }
}
