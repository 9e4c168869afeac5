//! Fleet workflows through the real engine against fake clouds that answer as the official
//! API descriptions say, and a real sshd on loopback standing in for the new server's SSH.

use std::sync::Arc;
use std::time::Duration;

use jobs::db::Db;
use jobs::operation::{Operation, OperationStatus};
use jobs::queue::WorkerConfig;
use jobs::server::{
    self, CloudProvider, Fleet, ProvisionServer, ScaleCluster, ServerState, SshCheck,
};
use jobs::user::DEFAULT_PROJECT_ID;
use jobs::workflow::Kind;
use jobs::{Context, RetryPolicy};
use providers::cloud::{CloudKind, DigitalOcean, Hetzner, NewVm, Token};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use testkit::cloud::{FakeCloud, FakeOptions, Fault};
use tokio_util::sync::CancellationToken;

const PATIENCE: Duration = Duration::from_secs(60);

struct Setup {
    db: Db,
    cx: Context,
    stop: CancellationToken,
    fake: FakeCloud,
    _sshd: Option<testkit::sshd::Sshd>,
}

/// A database, a fake Hetzner, and a fleet pointed at both. `ssh`: `Some(true)` waits for a
/// real sshd, `Some(false)` for a port where nothing listens, `None` skips the check.
async fn setup(connect: PgConnectOptions, ssh: Option<bool>, keep_failed: bool) -> Setup {
    setup_on(CloudKind::Hetzner, connect, ssh, keep_failed).await
}

async fn setup_on(
    kind: CloudKind,
    connect: PgConnectOptions,
    ssh: Option<bool>,
    keep_failed: bool,
) -> Setup {
    setup_with(kind, connect, ssh, keep_failed, FakeOptions::default()).await
}

async fn setup_with(
    kind: CloudKind,
    connect: PgConnectOptions,
    ssh: Option<bool>,
    keep_failed: bool,
    options: FakeOptions,
) -> Setup {
    providers::install_crypto_provider();
    let pool = PgPoolOptions::new()
        .max_connections(30)
        .connect_with(connect)
        .await
        .unwrap();
    let db = Db::from_pool(pool).sealed_with(testkit::master_key());
    let fake = FakeCloud::start_with(kind, options).await.unwrap();
    let token = Token::new(fake.token());
    let cloud: Arc<dyn providers::cloud::Cloud> = match kind {
        CloudKind::Hetzner => Arc::new(Hetzner::new(&fake.base_url(), token).unwrap()),
        CloudKind::DigitalOcean => Arc::new(DigitalOcean::new(&fake.base_url(), token).unwrap()),
    };
    let (sshd, port) = match ssh {
        Some(true) => {
            let sshd = testkit::sshd::Sshd::start().await;
            let port = sshd.addr.port();
            (Some(sshd), port)
        }
        _ => {
            let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            (None, closed.local_addr().unwrap().port())
        }
    };
    let fleet = Fleet {
        ssh: SshCheck {
            enabled: ssh.is_some(),
            port,
            timeout: Duration::from_secs(1),
            attempt_timeout: Duration::from_millis(500),
        },
        keep_failed,
        poll: Duration::from_millis(50),
        ..Fleet::default()
    }
    .with_cloud(cloud);
    let stop = CancellationToken::new();
    let cx = Context {
        db: db.clone(),
        shutdown: stop.clone(),
        retry: RetryPolicy {
            base: Duration::from_millis(20),
            cap: Duration::from_millis(100),
        },
        local: testkit::local_host(),
        fleet: Arc::new(fleet),
        backup: None,
        kubernetes: None,
        failpoint: None,
        tls: std::sync::Arc::new(jobs::tls::Authority::ephemeral().expect("a CA in memory")),
    };
    Setup {
        db,
        cx,
        stop,
        fake,
        _sshd: sshd,
    }
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

async fn wait_final(db: &Db, op: jobs::operation::OperationId) -> Operation {
    testkit::wait_final(db, op, PATIENCE).await
}

fn hetzner_cx22(name: &str) -> ProvisionServer {
    ProvisionServer {
        provider: CloudProvider::Hetzner,
        plan: "cx22".into(),
        region: "fsn1".into(),
        name: Some(name.into()),
        template: None,
        labels: Default::default(),
    }
}

async fn event_kinds(db: &Db, server: server::ServerId) -> Vec<String> {
    let page = db
        .cluster_events(&[DEFAULT_PROJECT_ID], Some(server), None, None, 100)
        .await
        .unwrap();
    page.items.into_iter().rev().map(|e| e.kind).collect()
}

/// The happy path: one VM, named and labelled after our id, booted from the template's user
/// data; SSH answers on the VM's address; the server ends `active` with its events recorded.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn provisioning_creates_one_vm_waits_for_ssh_and_marks_the_server_active(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = setup(c, Some(true), false).await;
    start_workers(&s.cx, &s.stop);
    let (srv, op) = server::provision(
        &s.db,
        &s.cx.fleet,
        &hetzner_cx22("db-1"),
        DEFAULT_PROJECT_ID,
        None,
    )
    .await
    .unwrap();
    assert_eq!(srv.state, ServerState::Provisioning);
    let done = wait_final(&s.db, op.id).await;
    assert_eq!(done.status, OperationStatus::Succeeded, "{done:?}");
    let srv = s.db.server(srv.id).await.unwrap();
    assert_eq!(srv.state, ServerState::Active);
    assert_eq!(srv.ipv4, Some([127, 0, 0, 1].into()));
    assert!(srv.provider_id.is_some());
    assert_eq!(s.fake.creates(), 1);
    let vms = s.fake.vms();
    assert_eq!(vms.len(), 1);
    assert_eq!(vms[0].name, format!("tg-{}", srv.id.0.simple()));
    assert_eq!(vms[0].server_id(), Some(srv.id.to_string().as_str()));
    assert_eq!(
        event_kinds(&s.db, srv.id).await,
        [
            "server_provisioning",
            "vm_created",
            "vm_running",
            "ssh_ready",
            "server_active"
        ]
    );
    assert!(s.fake.violations().is_empty(), "{:?}", s.fake.violations());
}

/// A create whose worker died after the cloud made the VM, before we stored its id: the
/// retry finds the VM by our label and adopts it instead of making a second one.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_vm_made_by_a_crashed_try_is_adopted_not_duplicated(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = setup(c, None, false).await;
    let (srv, op) = server::provision(
        &s.db,
        &s.cx.fleet,
        &hetzner_cx22("db-2"),
        DEFAULT_PROJECT_ID,
        None,
    )
    .await
    .unwrap();
    // What the crashed try did at the cloud, and never recorded.
    let cloud = s.cx.fleet.cloud(CloudProvider::Hetzner).unwrap();
    let made = cloud
        .create(&NewVm {
            name: srv.vm_name(),
            server_id: srv.id.to_string(),
            plan: "cx22".into(),
            region: "fsn1".into(),
            image: "debian-12".into(),
            ssh_keys: vec![],
            user_data: "#cloud-config\n".into(),
            labels: Default::default(),
        })
        .await
        .unwrap();
    start_workers(&s.cx, &s.stop);
    let done = wait_final(&s.db, op.id).await;
    assert_eq!(done.status, OperationStatus::Succeeded, "{done:?}");
    assert_eq!(s.fake.creates(), 1, "the retry must not create a second VM");
    let srv = s.db.server(srv.id).await.unwrap();
    assert_eq!(
        srv.provider_id.as_deref(),
        Some(made.vm.provider_id.as_str())
    );
    assert!(
        event_kinds(&s.db, srv.id)
            .await
            .contains(&"vm_adopted".to_owned())
    );
}

/// A cloud whose filter returns every VM, a stranger's too: provisioning makes its own VM
/// instead of adopting the stranger's, and removing the server deletes only its own.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_vm_without_our_server_id_is_never_adopted_or_deleted(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    for kind in [CloudKind::Hetzner, CloudKind::DigitalOcean] {
        let options = FakeOptions {
            ignore_filters: true,
            ..FakeOptions::default()
        };
        let s = setup_with(kind, c.clone(), None, false, options).await;
        let provider = match kind {
            CloudKind::Hetzner => CloudProvider::Hetzner,
            CloudKind::DigitalOcean => CloudProvider::Digitalocean,
        };
        let cloud = s.cx.fleet.cloud(provider).unwrap();
        let (plan, region, image) = match kind {
            CloudKind::Hetzner => ("cx22", "fsn1", "debian-12"),
            CloudKind::DigitalOcean => ("s-2vcpu-4gb", "fra1", "debian-12-x64"),
        };
        let stranger = cloud
            .create(&NewVm {
                name: "someone-elses".into(),
                server_id: uuid::Uuid::new_v4().to_string(),
                plan: plan.into(),
                region: region.into(),
                image: image.into(),
                ssh_keys: vec![],
                user_data: String::new(),
                labels: Default::default(),
            })
            .await
            .unwrap()
            .vm;
        start_workers(&s.cx, &s.stop);
        let (srv, op) = server::provision(
            &s.db,
            &s.cx.fleet,
            &ProvisionServer {
                provider,
                plan: plan.into(),
                region: region.into(),
                ..hetzner_cx22("ours")
            },
            DEFAULT_PROJECT_ID,
            None,
        )
        .await
        .unwrap();
        let done = wait_final(&s.db, op.id).await;
        assert_eq!(
            done.status,
            OperationStatus::Succeeded,
            "{kind:?}: {done:?}"
        );
        assert_eq!(s.fake.creates(), 2, "{kind:?}: ours was made, not adopted");
        let srv = s.db.server(srv.id).await.unwrap();
        assert_ne!(
            srv.provider_id.as_deref(),
            Some(stranger.provider_id.as_str())
        );
        assert!(
            !event_kinds(&s.db, srv.id)
                .await
                .contains(&"vm_adopted".to_owned())
        );

        let remove = server::change(&s.db, srv.id, Kind::RemoveServer, None)
            .await
            .unwrap();
        let done = wait_final(&s.db, remove.id).await;
        assert_eq!(
            done.status,
            OperationStatus::Succeeded,
            "{kind:?}: {done:?}"
        );
        let left: Vec<String> = s
            .fake
            .vms()
            .into_iter()
            .map(|vm| vm.id.to_string())
            .collect();
        assert_eq!(left, vec![stranger.provider_id.clone()], "{kind:?}");
        assert_eq!(s.fake.deletes(), 1, "{kind:?}");
        assert!(s.fake.violations().is_empty(), "{:?}", s.fake.violations());
        s.stop.cancel();
    }
}

/// SSH never answers: the server is `failed` with the reason, and a `discard_server`
/// operation deletes its VM, so a broken bootstrap costs nothing.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_server_whose_ssh_never_answers_fails_with_the_reason_and_its_vm_is_deleted(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = setup(c, Some(false), false).await;
    start_workers(&s.cx, &s.stop);
    let (srv, op) = server::provision(
        &s.db,
        &s.cx.fleet,
        &hetzner_cx22("db-3"),
        DEFAULT_PROJECT_ID,
        None,
    )
    .await
    .unwrap();
    let done = wait_final(&s.db, op.id).await;
    assert_eq!(done.status, OperationStatus::Failed);
    let srv = s.db.server(srv.id).await.unwrap();
    assert_eq!(srv.state, ServerState::Failed);
    let reason = srv.failure_reason.unwrap();
    assert!(reason.contains("SSH did not answer within 1s"), "{reason}");
    let discard =
        s.db.operations(
            &jobs::db::OperationFilter {
                projects: vec![DEFAULT_PROJECT_ID],
                target_id: Some(srv.id.0),
                ..Default::default()
            },
            None,
            10,
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|o| o.kind == Kind::DiscardServer.as_str())
        .expect("a discard_server operation");
    let discarded = wait_final(&s.db, discard.id).await;
    assert_eq!(
        discarded.status,
        OperationStatus::Succeeded,
        "{discarded:?}"
    );
    assert!(s.fake.vms().is_empty(), "the failed server's VM is deleted");
    assert_eq!(
        s.db.server(srv.id).await.unwrap().state,
        ServerState::Failed
    );
}

/// With `keep_failed`, the VM of a failed server stays for inspection.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_failed_server_keeps_its_vm_when_configured_to(_p: PgPoolOptions, c: PgConnectOptions) {
    let s = setup(c, Some(false), true).await;
    start_workers(&s.cx, &s.stop);
    let (srv, op) = server::provision(
        &s.db,
        &s.cx.fleet,
        &hetzner_cx22("db-4"),
        DEFAULT_PROJECT_ID,
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        wait_final(&s.db, op.id).await.status,
        OperationStatus::Failed
    );
    assert_eq!(
        s.db.server(srv.id).await.unwrap().state,
        ServerState::Failed
    );
    assert_eq!(s.fake.vms().len(), 1);
}

/// Draining marks the server and finishes; removing deletes the VM, waits until the cloud
/// says it is gone, and marks the server removed.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn draining_then_removing_deletes_the_vm_and_marks_the_server_removed(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = setup(c, None, false).await;
    start_workers(&s.cx, &s.stop);
    let (srv, op) = server::provision(
        &s.db,
        &s.cx.fleet,
        &hetzner_cx22("db-5"),
        DEFAULT_PROJECT_ID,
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        wait_final(&s.db, op.id).await.status,
        OperationStatus::Succeeded
    );
    let drain = server::change(&s.db, srv.id, Kind::DrainServer, None)
        .await
        .unwrap();
    assert_eq!(
        wait_final(&s.db, drain.id).await.status,
        OperationStatus::Succeeded
    );
    assert_eq!(
        s.db.server(srv.id).await.unwrap().state,
        ServerState::Draining
    );
    let remove = server::change(&s.db, srv.id, Kind::RemoveServer, None)
        .await
        .unwrap();
    let done = wait_final(&s.db, remove.id).await;
    assert_eq!(done.status, OperationStatus::Succeeded, "{done:?}");
    let srv = s.db.server(srv.id).await.unwrap();
    assert_eq!(srv.state, ServerState::Removed);
    assert!(srv.removed_at.is_some());
    assert!(s.fake.vms().is_empty());
    let err = server::change(&s.db, srv.id, Kind::DrainServer, None)
        .await
        .unwrap_err();
    assert!(matches!(err, jobs::Error::Conflict(_)), "{err}");
    assert!(s.fake.violations().is_empty(), "{:?}", s.fake.violations());
}

/// A dry run returns the plan and changes nothing; the real run provisions the servers it
/// named, and scaling down removes them again.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn scaling_plans_without_acting_then_adds_and_removes_servers(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = setup(c, None, false).await;
    start_workers(&s.cx, &s.stop);
    let ask = |count, dry_run| ScaleCluster {
        provider: CloudProvider::Hetzner,
        plan: "CX22".into(),
        region: "fsn1".into(),
        count,
        dry_run,
    };
    // The built-in table has no Hetzner prices; the cloud's own listing does.
    let refresh = jobs::engine::start(
        &s.db,
        jobs::db::NewOperation {
            project_id: DEFAULT_PROJECT_ID,
            kind: Kind::RefreshPlans,
            target_kind: jobs::operation::TargetKind::System,
            target_id: None,
            provider: None,
            input: serde_json::json!({"provider": "hetzner"}),
            requested_by: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        wait_final(&s.db, refresh.id).await.status,
        OperationStatus::Succeeded
    );
    let listed = server::plans(&s.db, CloudProvider::Hetzner).await.unwrap();
    let price = listed
        .iter()
        .find(|p| p.name == "cx22")
        .and_then(|p| p.monthly_price);
    assert!(
        price.is_some_and(|p| p > 0.0),
        "the listing has prices: {listed:?}"
    );
    assert!(
        listed.iter().all(|p| !p.regions.is_empty()),
        "and locations"
    );
    let (plan, op) = server::scale(&s.db, &s.cx.fleet, &ask(2, true), DEFAULT_PROJECT_ID, None)
        .await
        .unwrap();
    assert!(op.is_none());
    assert_eq!(plan.steps().len(), 2);
    assert_eq!(plan.monthly_cost_delta, price.map(|p| 2.0 * p));
    let none =
        s.db.servers(
            &jobs::db::ServerFilter {
                projects: vec![DEFAULT_PROJECT_ID],
                ..Default::default()
            },
            None,
            10,
        )
        .await
        .unwrap();
    assert!(none.items.is_empty(), "a dry run creates nothing");
    assert_eq!(s.fake.creates(), 0);

    let (scaled, op) = server::scale(&s.db, &s.cx.fleet, &ask(2, false), DEFAULT_PROJECT_ID, None)
        .await
        .unwrap();
    let done = wait_final(&s.db, op.unwrap().id).await;
    assert_eq!(done.status, OperationStatus::Succeeded, "{done:?}");
    let servers =
        s.db.servers(
            &jobs::db::ServerFilter {
                projects: vec![DEFAULT_PROJECT_ID],
                ..Default::default()
            },
            None,
            10,
        )
        .await
        .unwrap()
        .items;
    assert_eq!(servers.len(), 2);
    assert!(servers.iter().all(|s| s.state == ServerState::Active));
    let planned: Vec<_> = scaled.steps().into_iter().map(|a| a.server_id).collect();
    assert!(
        servers.iter().all(|srv| planned.contains(&srv.id.0)),
        "the plan's ids are the servers'"
    );
    assert_eq!(s.fake.vms().len(), 2);

    let (down, op) = server::scale(&s.db, &s.cx.fleet, &ask(1, false), DEFAULT_PROJECT_ID, None)
        .await
        .unwrap();
    assert_eq!(down.current_count, 2);
    let done = wait_final(&s.db, op.unwrap().id).await;
    assert_eq!(done.status, OperationStatus::Succeeded, "{done:?}");
    assert_eq!(s.fake.vms().len(), 1);
    assert!(s.fake.violations().is_empty(), "{:?}", s.fake.violations());
}

/// Bad input records nothing: an unknown plan or region, a bad name, an unconfigured cloud.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn bad_provision_requests_are_refused_and_record_nothing(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = setup(c, None, false).await;
    let cases = [
        (
            ProvisionServer {
                plan: "cx9000".into(),
                ..hetzner_cx22("a")
            },
            "not a hetzner plan",
        ),
        (
            ProvisionServer {
                region: "mars1".into(),
                ..hetzner_cx22("b")
            },
            "not a hetzner region",
        ),
        (
            ProvisionServer {
                name: Some("Bad_Name".into()),
                ..hetzner_cx22("c")
            },
            "DNS-1123",
        ),
        (
            ProvisionServer {
                template: Some("windows".into()),
                ..hetzner_cx22("d")
            },
            "no server template",
        ),
        (
            ProvisionServer {
                provider: CloudProvider::Digitalocean,
                plan: "s-1vcpu-1gb".into(),
                region: "fra1".into(),
                ..hetzner_cx22("e")
            },
            "TOYGRES_DIGITALOCEAN_TOKEN",
        ),
    ];
    for (input, expected) in cases {
        let err = server::provision(&s.db, &s.cx.fleet, &input, DEFAULT_PROJECT_ID, None)
            .await
            .unwrap_err();
        assert!(matches!(err, jobs::Error::InvalidInput(_)), "{err}");
        assert!(
            err.to_string().contains(expected),
            "{err} should mention {expected}"
        );
    }
    let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM servers")
        .fetch_one(s.db.pool())
        .await
        .unwrap();
    assert_eq!(count, 0);
    let (ops,): (i64,) = sqlx::query_as("SELECT count(*) FROM operations")
        .fetch_one(s.db.pool())
        .await
        .unwrap();
    assert_eq!(ops, 0);
}

/// The same workflow on DigitalOcean: a droplet tagged with our id, active over real SSH,
/// then removed, every request as the description allows.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_droplet_is_provisioned_and_removed_on_digitalocean(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = setup_on(CloudKind::DigitalOcean, c, Some(true), false).await;
    start_workers(&s.cx, &s.stop);
    let input = ProvisionServer {
        provider: CloudProvider::Digitalocean,
        plan: "s-2vcpu-4gb".into(),
        region: "fra1".into(),
        ..hetzner_cx22("droplet-1")
    };
    let (srv, op) = server::provision(&s.db, &s.cx.fleet, &input, DEFAULT_PROJECT_ID, None)
        .await
        .unwrap();
    let done = wait_final(&s.db, op.id).await;
    assert_eq!(done.status, OperationStatus::Succeeded, "{done:?}");
    assert_eq!(
        s.db.server(srv.id).await.unwrap().state,
        ServerState::Active
    );
    let vms = s.fake.vms();
    assert_eq!(vms.len(), 1);
    assert_eq!(vms[0].server_id(), Some(srv.id.to_string().as_str()));
    let remove = server::change(&s.db, srv.id, Kind::RemoveServer, None)
        .await
        .unwrap();
    assert_eq!(
        wait_final(&s.db, remove.id).await.status,
        OperationStatus::Succeeded
    );
    assert_eq!(
        s.db.server(srv.id).await.unwrap().state,
        ServerState::Removed
    );
    assert!(s.fake.vms().is_empty());
    assert!(s.fake.violations().is_empty(), "{:?}", s.fake.violations());
}

/// A quota error is permanent: the operation fails on its first try with the cloud's own
/// code and message, and nothing is left at the cloud. A 5xx is retried and succeeds.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_quota_error_fails_at_once_and_a_server_error_is_retried(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = setup(c, None, false).await;
    start_workers(&s.cx, &s.stop);
    s.fake.fail_next_on(
        "POST",
        "/servers",
        1,
        Fault::Code {
            code: "resource_limit_exceeded".into(),
            message: "server limit reached".into(),
        },
    );
    let (srv, op) = server::provision(
        &s.db,
        &s.cx.fleet,
        &hetzner_cx22("quota"),
        DEFAULT_PROJECT_ID,
        None,
    )
    .await
    .unwrap();
    let done = wait_final(&s.db, op.id).await;
    assert_eq!(done.status, OperationStatus::Failed);
    assert_eq!(done.attempts, 1, "a permanent error is not retried");
    let error = done.error.unwrap();
    assert!(
        error.contains("resource_limit_exceeded") && error.contains("server limit reached"),
        "{error}"
    );
    assert!(!error.contains(s.fake.token()), "{error}");
    assert_eq!(
        s.db.server(srv.id).await.unwrap().state,
        ServerState::Failed
    );
    assert_eq!(s.fake.creates(), 0);

    s.fake
        .fail_next_on("POST", "/servers", 1, Fault::ServerError { status: 503 });
    let (srv, op) = server::provision(
        &s.db,
        &s.cx.fleet,
        &hetzner_cx22("flaky"),
        DEFAULT_PROJECT_ID,
        None,
    )
    .await
    .unwrap();
    let done = wait_final(&s.db, op.id).await;
    assert_eq!(done.status, OperationStatus::Succeeded, "{done:?}");
    assert!(done.attempts >= 2, "the 503 cost a try: {done:?}");
    assert_eq!(
        s.db.server(srv.id).await.unwrap().state,
        ServerState::Active
    );
    assert_eq!(s.fake.creates(), 1);
}

/// The failed server's row is announced whole by `pg_notify`, whose payload PostgreSQL caps
/// at 8000 bytes: a longer reason is shortened (on a character boundary), so the failure is
/// recorded and the operation ends instead of sticking.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_failure_reason_too_long_for_a_notification_is_shortened_and_the_server_still_fails(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = setup(c, None, false).await;
    start_workers(&s.cx, &s.stop);
    // Two-byte characters after one byte, so a cut at a byte count lands inside one.
    let long = format!("x{}", "é".repeat(10_000));
    s.fake.fail_next_on(
        "POST",
        "/servers",
        1,
        Fault::Code {
            code: "resource_limit_exceeded".into(),
            message: long,
        },
    );
    let (srv, op) = server::provision(
        &s.db,
        &s.cx.fleet,
        &hetzner_cx22("verbose"),
        DEFAULT_PROJECT_ID,
        None,
    )
    .await
    .unwrap();
    let done = wait_final(&s.db, op.id).await;
    assert_eq!(done.status, OperationStatus::Failed);
    let server = s.db.server(srv.id).await.unwrap();
    assert_eq!(server.state, ServerState::Failed);
    let reason = server.failure_reason.unwrap();
    assert!(
        reason.len() <= jobs::engine::MAX_ERROR_BYTES,
        "{}",
        reason.len()
    );
    assert!(reason.contains("xéé") && reason.ends_with('…'), "{reason}");
}
