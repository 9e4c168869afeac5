//! Instance workflows on Kubernetes through the real engine, the real kube client over HTTP,
//! and the fake API server whose kubelet runs each pod as a real PostgreSQL server: create,
//! connect, stop, start, restart, delete; pod problems; drift repaired by the sweep.

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

/// Connect as the instance's own role, through its connection string.
async fn connect(db: &Db, id: InstanceId) -> sqlx::PgConnection {
    let inst = db.instance(id).await.unwrap();
    let password = db.instance_password(id).await.unwrap();
    let url = inst.connection_string(Some(&password)).expect("an address");
    let opts: PgConnectOptions = url.parse().unwrap();
    sqlx::PgConnection::connect_with(&opts.disable_statement_logging())
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
    let mut conn = connect(&s.db, inst.id).await;
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
    let mut conn = connect(&s.db, inst.id).await;
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
    assert_eq!(s.fake.objects("secrets").len(), 1);
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
    let mut conn = connect(&s.db, inst.id).await;
    sqlx::query("SELECT 1").execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    s.stop.cancel();
    s.fake.shutdown().await;
}
