//! The API of Kubernetes instances: what an installation offers, the fields a create records,
//! and the input only Kubernetes accepts. (Instances running on the fake cluster's real
//! Postgres pods are covered in `jobs/tests/kubernetes.rs` and the workspace's `tests/`.)

mod common;

use std::sync::Arc;

use common::{Options, error_code, start};
use providers::kubernetes::{KubeSettings, Kubernetes};
use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use testkit::kube::{FakeKube, Kubelet};

const CREATE: &str = "mutation($i: CreateInstanceInput!) { createInstance(input: $i) { instance { id provider plan serviceType version statusMessage events(first: 5) { edges { node { kind } } } } operation { kind status } } }";

async fn with_cluster(c: PgConnectOptions) -> (common::Server, FakeKube) {
    let fake = FakeKube::start(Kubelet::Simulated { ready_after: 0 })
        .await
        .unwrap();
    let k8s = Kubernetes::with_client(fake.client(), KubeSettings::default());
    let options = Options {
        kubernetes: Some(Arc::new(k8s)),
        ..Options::default()
    };
    (start(c, options).await, fake)
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn an_installation_offers_kubernetes_only_when_a_cluster_is_configured(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    const OFFER: &str = "{ instanceProviders versions(provider: KUBERNETES) instancePlans { name cpuRequestMillis cpuLimitMillis memoryMib } }";
    let (s, _fake) = with_cluster(c).await;
    let token = s.token(s.users.viewer);
    let (_, body) = s.gql(Some(&token), OFFER, json!({})).await;
    assert_eq!(
        body["data"]["instanceProviders"],
        json!(["LOCAL", "KUBERNETES"]),
        "{body}"
    );
    assert_eq!(body["data"]["versions"], json!([13, 14, 15, 16, 17, 18]));
    assert_eq!(
        body["data"]["instancePlans"][0],
        json!({"name": "small", "cpuRequestMillis": 250, "cpuLimitMillis": 1000, "memoryMib": 512})
    );
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn an_installation_without_a_cluster_offers_local_instances_only(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    const OFFER: &str = "{ instanceProviders versions(provider: KUBERNETES) }";
    let plain = start(c, Options::default()).await;
    let token = plain.token(plain.users.viewer);
    let (_, body) = plain.gql(Some(&token), OFFER, json!({})).await;
    assert_eq!(
        body["data"]["instanceProviders"],
        json!(["LOCAL"]),
        "{body}"
    );
    assert_eq!(body["data"]["versions"], json!([]));
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_kubernetes_create_records_its_plan_and_service_type_and_queues_at_once(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let (s, fake) = with_cluster(c).await;
    let token = s.token(s.users.operator);
    let input = json!({"name": "orders", "provider": "KUBERNETES", "plan": "medium", "serviceType": "LOAD_BALANCER", "version": 16});
    let (_, body) = s.gql(Some(&token), CREATE, json!({"i": input})).await;
    let instance = &body["data"]["createInstance"]["instance"];
    assert_eq!(instance["provider"], "KUBERNETES", "{body}");
    assert_eq!(instance["plan"], "medium");
    assert_eq!(instance["serviceType"], "LOAD_BALANCER");
    assert_eq!(instance["version"], 16);
    assert_eq!(instance["statusMessage"], json!(null));
    assert_eq!(instance["events"]["edges"], json!([]));
    assert_eq!(
        body["data"]["createInstance"]["operation"]["status"],
        "QUEUED"
    );
    assert!(
        fake.requests().is_empty(),
        "resolvers never call the provider"
    );

    // The installation's default service type when none is asked for.
    let (_, body) = s
        .gql(
            Some(&token),
            CREATE,
            json!({"i": {"name": "plain", "provider": "KUBERNETES"}}),
        )
        .await;
    assert_eq!(
        body["data"]["createInstance"]["instance"]["serviceType"], "CLUSTER_IP",
        "{body}"
    );
    assert_eq!(body["data"]["createInstance"]["instance"]["plan"], "small");

    // Viewers cannot.
    let viewer = s.token(s.users.viewer);
    let (_, body) = s
        .gql(
            Some(&viewer),
            CREATE,
            json!({"i": {"name": "nope", "provider": "KUBERNETES"}}),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn kubernetes_only_input_is_refused_elsewhere_and_records_nothing(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let (s, _fake) = with_cluster(c).await;
    let token = s.token(s.users.operator);
    for (input, says) in [
        (
            json!({"name": "db", "provider": "KUBERNETES", "version": 12}),
            "not available",
        ),
        (
            json!({"name": "db", "provider": "LOCAL", "serviceType": "CLUSTER_IP"}),
            "KUBERNETES instances only",
        ),
        (
            json!({"name": "db", "provider": "KUBERNETES", "plan": "xl"}),
            "unknown plan",
        ),
    ] {
        let (_, body) = s.gql(Some(&token), CREATE, json!({"i": input})).await;
        assert_eq!(error_code(&body), "INVALID_INPUT", "{input}: {body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(says),
            "{body}"
        );
    }
    let count = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT (SELECT count(*) FROM instances) + (SELECT count(*) FROM operations)",
        )
        .fetch_one(s.db.pool())
        .await
        .unwrap()
    };
    assert_eq!(count().await, 0);

    // retainStorage is for Kubernetes volumes only.
    let (_, body) = s
        .gql(Some(&token), CREATE, json!({"i": {"name": "local"}}))
        .await;
    let id = body["data"]["createInstance"]["instance"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    sqlx::query("UPDATE operations SET status = 'succeeded', finished_at = now()")
        .execute(s.db.pool())
        .await
        .unwrap();
    let before = count().await;
    let (_, body) = s
        .gql(
            Some(&token),
            "mutation($id: ID!) { deleteInstance(id: $id, retainStorage: true) { id } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(error_code(&body), "INVALID_INPUT", "{body}");
    assert_eq!(count().await, before, "no delete operation recorded");
}

/// Backups, restores and drills are not there for Kubernetes instances yet: each mutation says
/// so with `UNSUPPORTED`, and none of them is a silent no-op.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn backup_mutations_on_a_kubernetes_instance_answer_unsupported(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let (s, _fake) = with_cluster(c).await;
    let token = s.token(s.users.operator);
    let input = json!({"name": "kept", "provider": "KUBERNETES"});
    let (_, body) = s.gql(Some(&token), CREATE, json!({"i": input})).await;
    let id = body["data"]["createInstance"]["instance"]["id"].clone();
    for mutation in [
        "mutation($id: ID!) { createBackup(instanceId: $id) { id } }",
        "mutation($id: ID!) { setBackupPolicy(instanceId: $id, schedule: \"0 3 * * *\", retentionDays: 7) { schedule } }",
        "mutation($id: ID!) { runRestoreDrill(instanceId: $id) { id } }",
        "mutation($id: ID!) { restoreInstance(input: {sourceInstanceId: $id, name: \"copy\"}) { instance { id } } }",
    ] {
        let (_, body) = s.gql(Some(&token), mutation, json!({"id": id})).await;
        let error = &body["errors"][0];
        assert_eq!(
            error["extensions"]["code"], "UNSUPPORTED",
            "{mutation}: {body}"
        );
        assert!(
            error["message"].as_str().unwrap().contains("KUBERNETES"),
            "{body}"
        );
    }
    let (_, body) = s
        .gql(
            Some(&token),
            "query($id: ID!) { instance(id: $id) { backupPolicy { schedule } backups { edges { node { id } } } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        body["data"]["instance"]["backups"]["edges"],
        json!([]),
        "{body}"
    );
    let (_, body) = s
        .gql(
            Some(&token),
            "{ instances { edges { node { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["instances"]["edges"].as_array().unwrap().len(),
        1,
        "{body}"
    );
}
