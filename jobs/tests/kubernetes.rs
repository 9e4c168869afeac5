//! Instance workflows on Kubernetes through the real engine, the real kube client over HTTP,
//! and the fake API server whose kubelet runs each pod as a real PostgreSQL server: create,
//! connect, stop, start, restart, delete; pod problems; drift repaired by the sweep; TLS from
//! the installation's CA, kept across reconciles and renewed.

use std::sync::Arc;
use std::time::Duration;

use jobs::db::Db;
use jobs::health::HealthConfig;
use jobs::instance::{
    self, CreateInstance, DeleteOptions, InstanceId, InstanceState, Offer, Provider,
};
use jobs::operation::{Operation, OperationId, OperationStatus};
use jobs::queue::WorkerConfig;
use jobs::user::DEFAULT_PROJECT_ID;
use jobs::workflow::Kind;
use jobs::{Context, RetryPolicy};
use providers::kubernetes::{KubeSettings, Kubernetes, ServiceType};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions as _, Connection as _};
use testkit::kube::{FakeKube, Kubelet};
use tokio_util::sync::CancellationToken;

const PATIENCE: Duration = Duration::from_secs(90);
const NS: &str = "toygres";

struct Setup {
    db: Db,
    cx: Context,
    fake: FakeKube,
    stop: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Drop for Setup {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn setup(connect: PgConnectOptions, settings: KubeSettings) -> Setup {
    let pool = PgPoolOptions::new()
        .max_connections(30)
        .connect_with(connect)
        .await
        .unwrap();
    let db = Db::from_pool(pool).sealed_with(testkit::master_key());
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeKube::start(Kubelet::Postgres {
        root: dir.path().join("volumes"),
    })
    .await
    .unwrap();
    let k8s = Kubernetes::with_client(fake.client(), settings);
    let stop = CancellationToken::new();
    let cx = Context {
        db: db.clone(),
        shutdown: stop.clone(),
        retry: RetryPolicy {
            base: Duration::from_millis(50),
            cap: Duration::from_millis(200),
        },
        local: testkit::local_host(),
        fleet: Default::default(),
        backup: None,
        kubernetes: Some(Arc::new(k8s)),
        failpoint: None,
        tls: std::sync::Arc::new(jobs::tls::Authority::ephemeral().expect("a CA in memory")),
    };
    let config = WorkerConfig {
        poll_interval: Duration::from_millis(50),
        ..WorkerConfig::default()
    };
    tokio::spawn(jobs::engine::run_workers(cx.clone(), config, stop.clone()));
    Setup {
        db,
        cx,
        fake,
        stop,
        _dir: dir,
    }
}

/// Load balancers, so that the control plane (outside the "cluster") reaches instances.
fn settings() -> KubeSettings {
    KubeSettings {
        service_type: ServiceType::LoadBalancer,
        ..KubeSettings::default()
    }
}

fn offer() -> Offer {
    Offer {
        local_versions: vec![],
        kubernetes: Some(ServiceType::LoadBalancer),
        ..Offer::default()
    }
}

/// PostgreSQL 15: the fake kubelet runs the installed server binaries.
fn input(name: &str) -> CreateInstance {
    CreateInstance {
        name: name.into(),
        version: Some(15),
        storage_gb: Some(1),
        provider: Some(Provider::Kubernetes),
        ..CreateInstance::default()
    }
}

async fn wait_final(db: &Db, op: OperationId) -> Operation {
    testkit::wait_final(db, op, PATIENCE).await
}

async fn succeed(db: &Db, op: Operation) {
    let done = wait_final(db, op.id).await;
    assert_eq!(done.status, OperationStatus::Succeeded, "{done:?}");
}

/// Connect as the instance's own role, through its connection string, with the CA saved
/// where the string's `sslrootcert` says (in the test's directory rather than the working one).
async fn connect(s: &Setup, id: InstanceId) -> sqlx::PgConnection {
    try_connect(s, id, s.cx.tls.pem()).await.unwrap()
}

async fn try_connect(
    s: &Setup,
    id: InstanceId,
    ca: &str,
) -> Result<sqlx::PgConnection, sqlx::Error> {
    let inst = s.db.instance(id).await.unwrap();
    let password = s.db.instance_password(id).await.unwrap();
    let url = inst
        .connection_string(Some(&password), &[])
        .expect("an address");
    assert!(
        url.ends_with("?sslmode=verify-full&sslrootcert=toygres-ca.crt"),
        "{url}"
    );
    let file = s._dir.path().join(format!("ca-{}.crt", rand_suffix()));
    std::fs::write(&file, ca).unwrap();
    let url = url.replace(
        "sslrootcert=toygres-ca.crt",
        &format!("sslrootcert={}", file.display()),
    );
    let opts: PgConnectOptions = url.parse().unwrap();
    sqlx::PgConnection::connect_with(&opts.disable_statement_logging()).await
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The instance's TLS Secret's certificate, PEM.
fn secret_certificate(s: &Setup, inst: &jobs::instance::Instance) -> String {
    use base64::Engine as _;
    let secret = s
        .fake
        .object("secrets", NS, &format!("{}-tls", inst.resource_name()))
        .expect("the TLS Secret");
    assert_eq!(secret["type"], "kubernetes.io/tls");
    let pem = base64::engine::general_purpose::STANDARD
        .decode(secret["data"]["tls.crt"].as_str().unwrap())
        .unwrap();
    String::from_utf8(pem).unwrap()
}

/// What `openssl x509` says of a certificate (PEM): `-serial`, `-enddate` …
fn x509(pem: &str, what: &str) -> String {
    use std::io::Write as _;
    let mut child = std::process::Command::new("openssl")
        .args(["x509", "-noout", what])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(pem.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "openssl x509 {what}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The certificate the server at `address`:5432 serves, PEM, as `openssl s_client` sees it
/// after PostgreSQL's TLS negotiation.
fn served_certificate(address: &str) -> String {
    let out = std::process::Command::new("openssl")
        .args(["s_client", "-starttls", "postgres", "-connect"])
        .arg(format!("{address}:5432"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let start = text
        .find("-----BEGIN CERTIFICATE-----")
        .unwrap_or_else(|| panic!("no certificate: {text}"));
    let end = text.find("-----END CERTIFICATE-----").unwrap() + "-----END CERTIFICATE-----".len();
    format!("{}\n", &text[start..end])
}

async fn ssl_in_use(conn: &mut sqlx::PgConnection) -> bool {
    sqlx::query_scalar(
        "SELECT ssl FROM pg_catalog.pg_stat_ssl WHERE pid = pg_catalog.pg_backend_pid()",
    )
    .fetch_one(conn)
    .await
    .unwrap()
}

async fn events(db: &Db, id: InstanceId) -> Vec<(String, String)> {
    db.cluster_events(&[DEFAULT_PROJECT_ID], None, Some(id.0), None, 100)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| (e.kind, e.message))
        .collect()
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn an_instance_on_kubernetes_serves_through_its_service_survives_stop_and_restart_and_is_deleted(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = setup(c, settings()).await;
    let (inst, op) = instance::create(&s.db, &input("orders"), &offer(), DEFAULT_PROJECT_ID, None)
        .await
        .unwrap();
    succeed(&s.db, op).await;
    let name = inst.resource_name();

    let running = s.db.instance(inst.id).await.unwrap();
    assert_eq!(running.state, InstanceState::Running);
    assert_eq!(running.port, Some(5432));
    let ip: std::net::Ipv4Addr = running.host.as_deref().unwrap().parse().unwrap();
    assert!(ip.is_loopback());
    assert_eq!(running.service_type.as_deref(), Some("LoadBalancer"));

    // The role and database are the instance's own, not the superuser's.
    let mut conn = connect(&s, inst.id).await;
    let (user, super_): (String, bool) = sqlx::query_as(
        "SELECT current_user::text, rolsuper FROM pg_roles WHERE rolname = current_user",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!((user.as_str(), super_), ("app", false));
    sqlx::raw_sql("CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders VALUES (1), (2)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();

    // Stop scales to zero and keeps the data; start brings it back.
    succeed(
        &s.db,
        instance::change(&s.db, inst.id, Kind::StopInstance, None)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        s.db.instance(inst.id).await.unwrap().state,
        InstanceState::Stopped
    );
    assert!(s.fake.object("pods", NS, &format!("{name}-0")).is_none());
    assert_eq!(
        s.fake.object("statefulsets", NS, &name).unwrap()["spec"]["replicas"],
        0
    );
    succeed(
        &s.db,
        instance::change(&s.db, inst.id, Kind::StartInstance, None)
            .await
            .unwrap(),
    )
    .await;
    let mut conn = connect(&s, inst.id).await;
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(n, 2, "the rows survived the stop");
    conn.close().await.unwrap();

    // Restart replaces the pod.
    let before =
        s.fake.object("pods", NS, &format!("{name}-0")).unwrap()["metadata"]["uid"].clone();
    tokio::time::sleep(Duration::from_millis(1100)).await; // pods are stamped to the second
    succeed(
        &s.db,
        instance::change(&s.db, inst.id, Kind::RestartInstance, None)
            .await
            .unwrap(),
    )
    .await;
    let after = s.fake.object("pods", NS, &format!("{name}-0")).unwrap()["metadata"]["uid"].clone();
    assert_ne!(before, after);
    assert_eq!(
        s.db.instance(inst.id).await.unwrap().state,
        InstanceState::Running
    );

    // One of each object, however many times they were applied.
    assert_eq!(s.fake.objects("statefulsets").len(), 1);
    assert_eq!(s.fake.objects("services").len(), 2);
    assert_eq!(s.fake.objects("secrets").len(), 2);
    assert_eq!(s.fake.objects("persistentvolumeclaims").len(), 1);

    succeed(
        &s.db,
        instance::delete(&s.db, inst.id, DeleteOptions::default(), None)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        s.db.instance(inst.id).await.unwrap().state,
        InstanceState::Deleted
    );
    for plural in [
        "statefulsets",
        "services",
        "secrets",
        "pods",
        "persistentvolumeclaims",
    ] {
        assert!(s.fake.objects(plural).is_empty(), "{plural} left");
    }
    assert_eq!(s.fake.violations(), Vec::<String>::new());
    s.fake.shutdown().await;
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_delete_that_retains_storage_keeps_the_claim(_p: PgPoolOptions, c: PgConnectOptions) {
    let s = setup(c, settings()).await;
    let (inst, op) = instance::create(&s.db, &input("keep"), &offer(), DEFAULT_PROJECT_ID, None)
        .await
        .unwrap();
    succeed(&s.db, op).await;
    let keep = DeleteOptions {
        retain_storage: Some(true),
        ..DeleteOptions::default()
    };
    succeed(
        &s.db,
        instance::delete(&s.db, inst.id, keep, None).await.unwrap(),
    )
    .await;
    let claims = s.fake.objects("persistentvolumeclaims");
    assert_eq!(claims.len(), 1);
    assert_eq!(
        claims[0]["metadata"]["labels"]["toygres.io/instance-id"],
        inst.id.to_string()
    );
    assert!(s.fake.objects("statefulsets").is_empty());
    let kept = events(&s.db, inst.id).await;
    assert!(
        kept.iter()
            .any(|(k, m)| k == "objects_deleted" && m.contains("kept data-")),
        "{kept:?}"
    );
    s.fake.shutdown().await;
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn an_image_that_cannot_be_pulled_is_shown_on_the_instance_and_fails_the_create_with_the_reason(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = setup(
        c,
        KubeSettings {
            ready_timeout: Duration::from_secs(3),
            image: providers::kubernetes::ImageSource {
                registry: "registry.invalid/postgres".into(),
                tag_pattern: "{version}".into(),
            },
            ..settings()
        },
    )
    .await;
    s.fake.fail_image(
        "registry.invalid",
        "ImagePullBackOff",
        "Back-off pulling image \"registry.invalid/postgres:15\"",
    );
    let (inst, op) = instance::create(&s.db, &input("nopull"), &offer(), DEFAULT_PROJECT_ID, None)
        .await
        .unwrap();
    let done = wait_final(&s.db, op.id).await;
    assert_eq!(done.status, OperationStatus::Failed);
    let error = done.error.unwrap();
    assert!(error.contains("ImagePullBackOff"), "{error}");
    let failed = s.db.instance(inst.id).await.unwrap();
    assert_eq!(failed.state, InstanceState::Failed);
    assert_eq!(
        failed.status_message.as_deref(),
        Some("ImagePullBackOff: Back-off pulling image \"registry.invalid/postgres:15\"")
    );
    let seen = events(&s.db, inst.id).await;
    assert_eq!(
        seen.iter().filter(|(k, _)| k == "pod_problem").count(),
        1,
        "reported once, not at every poll: {seen:?}"
    );
    // Nothing half-made keeps trying to run: the StatefulSet is scaled to zero.
    assert_eq!(
        s.fake
            .object("statefulsets", NS, &inst.resource_name())
            .unwrap()["spec"]["replicas"],
        0
    );
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn objects_deleted_or_changed_behind_our_back_are_reported_and_applied_again(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = setup(c, settings()).await;
    let (inst, op) = instance::create(&s.db, &input("drifty"), &offer(), DEFAULT_PROJECT_ID, None)
        .await
        .unwrap();
    succeed(&s.db, op).await;
    let name = inst.resource_name();
    s.fake.remove("services", NS, &format!("{name}-hl")).await;
    s.fake
        .edit("statefulsets", NS, &name, |sts| {
            sts["spec"]["replicas"] = serde_json::json!(0);
        })
        .await;

    let health = HealthConfig {
        interval: Duration::from_millis(200),
        ..HealthConfig::default()
    };
    tokio::spawn(jobs::health::run(s.cx.clone(), health, s.stop.clone()));

    let deadline = tokio::time::Instant::now() + PATIENCE;
    let drift = loop {
        let seen = events(&s.db, inst.id).await;
        if let Some((_, m)) = seen.iter().find(|(k, _)| k == "drift_detected") {
            break m.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no drift reported: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        drift.contains(&format!("Service/{name}-hl is missing")),
        "{drift}"
    );
    assert!(drift.contains("has 0 replicas, not 1"), "{drift}");

    // The repair: the recover operation applies again, and the instance serves.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let ops =
            s.db.operations(
                &jobs::db::OperationFilter {
                    projects: vec![DEFAULT_PROJECT_ID],
                    target_id: Some(inst.id.0),
                    ..Default::default()
                },
                None,
                20,
            )
            .await
            .unwrap()
            .items;
        if ops
            .iter()
            .any(|o| o.kind == "recover_instance" && o.status == OperationStatus::Succeeded)
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not repaired: {ops:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        s.fake
            .object("services", NS, &format!("{name}-hl"))
            .is_some()
    );
    assert_eq!(
        s.fake.object("statefulsets", NS, &name).unwrap()["spec"]["replicas"],
        1
    );
    let mut conn = connect(&s, inst.id).await;
    sqlx::query("SELECT 1").execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    s.stop.cancel();
    s.fake.shutdown().await;
}

/// A Kubernetes instance serves TLS from its Secret: its connection string, with the
/// installation's CA, connects with `verify-full` to the load balancer's address and the
/// session is encrypted; the server serves the Secret's certificate, and another CA is refused.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_kubernetes_instances_connection_string_verifies_its_certificate_against_the_ca(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = setup(c, settings()).await;
    let (inst, op) = instance::create(&s.db, &input("secure"), &offer(), DEFAULT_PROJECT_ID, None)
        .await
        .unwrap();
    succeed(&s.db, op).await;
    let inst = s.db.instance(inst.id).await.unwrap();

    let mut conn = connect(&s, inst.id).await;
    assert!(ssl_in_use(&mut conn).await, "the session is encrypted");
    conn.close().await.unwrap();

    let address = inst.host.as_deref().unwrap();
    let secret = secret_certificate(&s, &inst);
    assert_eq!(served_certificate(address), secret);
    let names = x509(&secret, "-ext=subjectAltName");
    let service = inst.resource_name();
    for name in [
        format!("IP Address:{address}"),
        format!("DNS:{service}"),
        format!("DNS:{service}.{NS}"),
        format!("DNS:{service}.{NS}.svc"),
        format!("DNS:{service}.{NS}.svc.cluster.local"),
    ] {
        assert!(names.contains(&name), "{name} in {names}");
    }

    let stranger = jobs::tls::Authority::ephemeral().unwrap();
    let refused = try_connect(&s, inst.id, stranger.pem()).await;
    assert!(refused.is_err(), "a certificate of another CA is refused");
    assert_eq!(s.fake.violations(), Vec::<String>::new());
    s.fake.shutdown().await;
}

/// Reconciling applies the kept certificate again: an apply of every object (a recover) and
/// the sweep's drift check leave the Secret's certificate as it was (same serial), report no
/// drift and start nothing.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_reconcile_keeps_the_kubernetes_certificate_and_reports_no_drift(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = setup(c, settings()).await;
    let (inst, op) = instance::create(&s.db, &input("steady"), &offer(), DEFAULT_PROJECT_ID, None)
        .await
        .unwrap();
    succeed(&s.db, op).await;
    let inst = s.db.instance(inst.id).await.unwrap();
    let before = secret_certificate(&s, &inst);
    let pod = s
        .fake
        .object("pods", NS, &format!("{}-0", inst.resource_name()))
        .unwrap()["metadata"]["uid"]
        .clone();

    succeed(
        &s.db,
        instance::change(&s.db, inst.id, Kind::RecoverInstance, None)
            .await
            .unwrap(),
    )
    .await;
    for _ in 0..3 {
        jobs::instance::renew_certificates(&s.cx).await.unwrap();
        jobs::instance::check_drift(&s.cx).await.unwrap();
    }

    let after = secret_certificate(&s, &inst);
    assert_eq!(x509(&after, "-serial"), x509(&before, "-serial"));
    assert_eq!(after, before);
    let seen = events(&s.db, inst.id).await;
    assert!(!seen.iter().any(|(k, _)| k == "drift_detected"), "{seen:?}");
    let ops =
        s.db.operations(
            &jobs::db::OperationFilter {
                projects: vec![DEFAULT_PROJECT_ID],
                target_id: Some(inst.id.0),
                ..Default::default()
            },
            None,
            20,
        )
        .await
        .unwrap()
        .items;
    assert_eq!(
        ops.iter().filter(|o| o.kind == "recover_instance").count(),
        1,
        "only the one asked for: {ops:?}"
    );
    assert_eq!(
        s.fake
            .object("pods", NS, &format!("{}-0", inst.resource_name()))
            .unwrap()["metadata"]["uid"],
        pod,
        "the pod was not replaced"
    );
    let mut conn = connect(&s, inst.id).await;
    assert!(ssl_in_use(&mut conn).await);
    conn.close().await.unwrap();
    s.fake.shutdown().await;
}

/// The sweep renews a Kubernetes certificate near its expiry: a new certificate (another
/// serial, 90 days) in the Secret, which the kubelet refreshes in the pod and the same server
/// serves after a reload, without a restart.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_kubernetes_certificate_near_expiry_is_renewed_and_served_without_a_restart(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = setup(c, settings()).await;
    let (inst, op) = instance::create(&s.db, &input("renewed"), &offer(), DEFAULT_PROJECT_ID, None)
        .await
        .unwrap();
    succeed(&s.db, op).await;
    let inst = s.db.instance(inst.id).await.unwrap();
    let address = inst.host.clone().unwrap();
    let first = secret_certificate(&s, &inst);
    let pod_name = format!("{}-0", inst.resource_name());
    let pod = s.fake.object("pods", NS, &pod_name).unwrap()["metadata"]["uid"].clone();

    sqlx::query("UPDATE instance_certificates SET not_after = now() + interval '1 day'")
        .execute(s.db.pool())
        .await
        .unwrap();
    jobs::instance::renew_certificates(&s.cx).await.unwrap();

    let second = secret_certificate(&s, &inst);
    assert_ne!(x509(&second, "-serial"), x509(&first, "-serial"));
    let expiry = s.db.certificate_expiry(inst.id).await.unwrap().unwrap();
    assert!(
        expiry > chrono::Utc::now() + chrono::Duration::days(89),
        "{expiry}"
    );
    // The reload is a signal the server handles on its own time.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while served_certificate(&address) != second {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the renewed certificate is not served"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        s.fake.object("pods", NS, &pod_name).unwrap()["metadata"]["uid"],
        pod,
        "no restart"
    );
    let mut conn = connect(&s, inst.id).await;
    assert!(ssl_in_use(&mut conn).await);
    conn.close().await.unwrap();
    // Renewed once: the next sweep keeps it.
    jobs::instance::renew_certificates(&s.cx).await.unwrap();
    assert_eq!(secret_certificate(&s, &inst), second);
    s.fake.shutdown().await;
}

/// A load balancer's address that appears or changes after the certificate was issued (a
/// cloud gives it late, or moves it) is named in a new certificate at the next sweep.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_load_balancers_new_address_is_named_in_a_renewed_certificate(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = setup(c, settings()).await;
    let (inst, op) = instance::create(&s.db, &input("moved"), &offer(), DEFAULT_PROJECT_ID, None)
        .await
        .unwrap();
    succeed(&s.db, op).await;
    let inst = s.db.instance(inst.id).await.unwrap();
    let first = secret_certificate(&s, &inst);
    assert!(!x509(&first, "-ext=subjectAltName").contains("DNS:db.lb.example"));

    s.fake
        .edit("services", NS, &inst.resource_name(), |svc| {
            svc["status"]["loadBalancer"]["ingress"] =
                serde_json::json!([{"hostname": "db.lb.example"}]);
        })
        .await;
    // The reload reaches for the new address, which goes nowhere here: logged, and retried.
    jobs::instance::renew_certificates(&s.cx).await.unwrap();

    let second = secret_certificate(&s, &inst);
    assert_ne!(x509(&second, "-serial"), x509(&first, "-serial"));
    let names = x509(&second, "-ext=subjectAltName");
    assert!(names.contains("DNS:db.lb.example"), "{names}");
    assert!(
        names.contains(&format!("DNS:{}.{NS}.svc", inst.resource_name())),
        "{names}"
    );
    // Named now: the next sweep keeps it.
    jobs::instance::renew_certificates(&s.cx).await.unwrap();
    assert_eq!(secret_certificate(&s, &inst), second);
    s.fake.shutdown().await;
}

/// An instance made before Kubernetes instances served TLS (no certificate, no TLS Secret, a
/// pod without the mount) is brought to TLS by the sweep: the drift check issues it a
/// certificate and its repair applies the objects, whose new pod serves TLS.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn an_instance_from_before_tls_gets_a_certificate_and_a_pod_that_serves_it(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = setup(c, settings()).await;
    let (inst, op) = instance::create(&s.db, &input("older"), &offer(), DEFAULT_PROJECT_ID, None)
        .await
        .unwrap();
    succeed(&s.db, op).await;
    let inst = s.db.instance(inst.id).await.unwrap();
    let name = inst.resource_name();
    // As an older Toygres left it.
    s.fake.remove("secrets", NS, &format!("{name}-tls")).await;
    s.fake
        .edit("statefulsets", NS, &name, |sts| {
            let pod = &mut sts["spec"]["template"]["spec"];
            pod["containers"][0].as_object_mut().unwrap().remove("args");
            let mounts = pod["containers"][0]["volumeMounts"].as_array_mut().unwrap();
            mounts.retain(|m| m["name"] != "tls");
            pod["volumes"]
                .as_array_mut()
                .unwrap()
                .retain(|v| v["name"] != "tls");
        })
        .await;
    sqlx::query("DELETE FROM instance_certificates")
        .execute(s.db.pool())
        .await
        .unwrap();

    jobs::instance::check_drift(&s.cx).await.unwrap();
    assert!(s.db.certificate_expiry(inst.id).await.unwrap().is_some());
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let ops =
            s.db.operations(
                &jobs::db::OperationFilter {
                    projects: vec![DEFAULT_PROJECT_ID],
                    target_id: Some(inst.id.0),
                    ..Default::default()
                },
                None,
                20,
            )
            .await
            .unwrap()
            .items;
        let recover = ops.iter().find(|o| o.kind == "recover_instance");
        if let Some(op) = recover.filter(|o| o.status.is_final()) {
            assert_eq!(op.status, OperationStatus::Succeeded, "{op:?}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not repaired: {ops:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut conn = connect(&s, inst.id).await;
    assert!(ssl_in_use(&mut conn).await);
    conn.close().await.unwrap();
    assert_eq!(
        served_certificate(inst.host.as_deref().unwrap()),
        secret_certificate(&s, &inst)
    );
    s.fake.shutdown().await;
}
