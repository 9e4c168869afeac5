//! Kubernetes instances through the real binary, against the fake API server whose kubelet
//! runs each pod as a real PostgreSQL server: an operator creates one, watches it become
//! healthy, connects over TLS verified against the installation's CA and deletes it; and a control plane killed at any step of a create
//! leaves no duplicate objects and finishes on restart.

mod common;

use common::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Toygres, follow_instance, scratch, serve, subscribe_instances,
};
use serde_json::{Value, json};
use sqlx::{ConnectOptions as _, Connection as _};
use testkit::kube::{FakeKube, Kubelet};

const CREATE: &str = "mutation($i: CreateInstanceInput!) { createInstance(input: $i) { instance { id state } operation { id } } }";

/// A fake cluster whose volumes live in `dir`, and the settings that point Toygres at it.
async fn cluster(dir: &std::path::Path) -> (FakeKube, Vec<(&'static str, String)>) {
    let fake = FakeKube::start(Kubelet::Postgres {
        root: dir.join("volumes"),
    })
    .await
    .unwrap();
    let kubeconfig = fake.write_kubeconfig(dir).unwrap();
    (fake, kube_env(&kubeconfig))
}

fn kube_env(kubeconfig: &std::path::Path) -> Vec<(&'static str, String)> {
    vec![
        ("TOYGRES_KUBERNETES", "on".to_owned()),
        ("TOYGRES_K8S_KUBECONFIG", kubeconfig.display().to_string()),
        // Load balancers get loopback addresses that reach the pods, so the control plane
        // (outside the fake cluster) can connect, as it would in a real one.
        ("TOYGRES_K8S_SERVICE_TYPE", "LoadBalancer".to_owned()),
        ("TOYGRES_HEALTH_INTERVAL_SECS", "1".to_owned()),
        ("TOYGRES_WORKER_HEARTBEAT_SECS", "1".to_owned()),
        ("TOYGRES_WORKER_MISSED_HEARTBEATS", "1".to_owned()),
        ("TOYGRES_RETRY_BASE_MS", "100".to_owned()),
    ]
}

async fn create(t: &Toygres, token: &str, name: &str) -> (String, String) {
    let (_, body) = t
        .gql(
            Some(token),
            CREATE,
            json!({"i": {"name": name, "provider": "KUBERNETES", "version": 15, "storageGb": 1}}),
        )
        .await;
    let payload = &body["data"]["createInstance"];
    assert_eq!(payload["instance"]["state"], "CREATING", "{body}");
    (
        payload["instance"]["id"].as_str().unwrap().to_owned(),
        payload["operation"]["id"].as_str().unwrap().to_owned(),
    )
}

/// Connect with the connection string the API gives the operator (`sslmode=verify-full`, the
/// CA saved where it says), and ask who we are; TLS or the connection fails.
async fn whoami(url: &str) -> String {
    assert!(url.contains("?sslmode=verify-full&sslrootcert="), "{url}");
    let opts: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
    let mut conn = sqlx::PgConnection::connect_with(&opts.disable_statement_logging())
        .await
        .unwrap();
    let (me, ssl): (String, bool) = sqlx::query_as(
        "SELECT current_user::text, ssl FROM pg_catalog.pg_stat_ssl WHERE pid = pg_catalog.pg_backend_pid()",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    assert!(ssl, "the session is encrypted");
    me
}

#[tokio::test]
async fn an_operator_creates_a_kubernetes_instance_watches_it_become_healthy_connects_and_deletes_it()
 {
    let dir = scratch();
    let (fake, env) = cluster(dir.path()).await;
    let t = serve(dir.path(), "serve", &common::borrowed(&env)).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut ws = t.ws_as(&token).await;
    subscribe_instances(&mut ws).await;

    let (id, _) = create(&t, &token, "orders").await;
    let seen = follow_instance(&mut ws, &id, |s, h| s == "RUNNING" && h == "HEALTHY").await;
    assert_eq!(
        seen.first().map(|(s, _)| s.as_str()),
        Some("CREATING"),
        "{seen:?}"
    );

    let inst = t
        .instance(
            &token,
            &id,
            "provider serviceType host port connectionString statusMessage",
        )
        .await;
    assert_eq!(inst["provider"], "KUBERNETES");
    assert_eq!(inst["serviceType"], "LOAD_BALANCER");
    assert_eq!(inst["port"], 5432);
    assert_eq!(inst["statusMessage"], Value::Null);
    let url = t.connection_string(&token, &id).await;
    let url = url.as_str();
    assert_eq!(whoami(url).await, "app");

    let op = t.instance_op(&token, "deleteInstance", &id).await;
    assert_eq!(t.wait_operation(&token, &op).await["status"], "SUCCEEDED");
    assert_eq!(t.instance(&token, &id, "state").await["state"], "DELETED");
    for plural in [
        "statefulsets",
        "services",
        "secrets",
        "pods",
        "persistentvolumeclaims",
    ] {
        assert!(fake.objects(plural).is_empty(), "{plural} left behind");
    }
    assert_eq!(fake.violations(), Vec::<String>::new());
    let log = t.log_text();
    let superuser = fake
        .objects("secrets")
        .first()
        .map(|s| s["data"]["superuser-password"].to_string());
    assert!(superuser.is_none(), "the Secret is gone with the instance");
    assert!(
        !log.contains(url.split('@').next().unwrap()),
        "credentials leaked into the log"
    );
    fake.shutdown().await;
}

/// Kill the control plane right after each create step after the first is recorded (the
/// objects applied, the pod starting or ready, the role made); the restarted one finishes the
/// create, with exactly one of each object and a working role.
#[tokio::test]
async fn a_control_plane_killed_at_any_step_of_a_kubernetes_create_leaves_no_duplicates_and_finishes()
 {
    for step in ["wait_ready", "create_role", "mark_running"] {
        let dir = scratch();
        let (fake, env) = cluster(dir.path()).await;
        let mut crashing = env.clone();
        crashing.push(("TOYGRES_FAILPOINT", format!("create_instance:{step}")));
        let mut t = serve(dir.path(), "crashing", &common::borrowed(&crashing)).await;
        let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let (id, op) = create(&t, &token, "survivor").await;
        let status = t.wait_exit().await;
        assert!(
            !status.success(),
            "the failpoint at {step} crashed the process"
        );
        drop(t);

        let t = serve(dir.path(), "restarted", &common::borrowed(&env)).await;
        let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let done = t.wait_operation(&token, &op).await;
        assert_eq!(done["status"], "SUCCEEDED", "{step}: {done}");
        assert_eq!(done["attempts"], 2, "{step}: the crashed try counted");
        let inst = t.instance(&token, &id, "state").await;
        assert_eq!(inst["state"], "RUNNING", "{step}");
        assert_eq!(
            whoami(&t.connection_string(&token, &id).await).await,
            "app",
            "{step}"
        );
        for plural in ["statefulsets", "pods", "persistentvolumeclaims"] {
            assert_eq!(fake.objects(plural).len(), 1, "{step}: {plural}");
        }
        assert_eq!(fake.objects("services").len(), 2, "{step}");
        assert_eq!(
            fake.objects("secrets").len(),
            2,
            "{step}: passwords and TLS"
        );
        assert_eq!(fake.violations(), Vec::<String>::new(), "{step}");
        drop(t);
        fake.shutdown().await;
    }
}
