//! The fleet API's contract: roles on every server mutation, validation that leaves nothing
//! behind, visibility across projects, dry-run scaling, and the fleet subscriptions.
//! (Servers provisioned for real against the fake clouds are covered in `jobs/tests/fleet.rs`
//! and end to end in the workspace's `tests/fleet.rs`.)

mod common;

use std::sync::Arc;

use common::{Options, error_code, start};
use jobs::server::Fleet;
use providers::cloud::{CloudKind, Hetzner, Token};
use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use testkit::cloud::FakeCloud;

const PROVISION: &str = "mutation($i: ProvisionServerInput!) { provisionServer(input: $i) { server { id name state provider plan region } operation { id kind status } } }";
const SCALE: &str = "mutation($c: Int!, $d: Boolean!) { scaleCluster(provider: HETZNER, plan: \"cx22\", region: \"fsn1\", count: $c, dryRun: $d) { id currentCount targetCount dryRun monthlyCostDelta currency actions { order action serverName monthlyCost } operation { id kind } } }";

/// A server with a fake Hetzner configured (no workers: nothing is provisioned for real here).
async fn with_hetzner(c: PgConnectOptions) -> (common::Server, FakeCloud) {
    providers::install_crypto_provider();
    let fake = FakeCloud::start(CloudKind::Hetzner).await;
    let hetzner = Hetzner::new(&fake.base_url(), Token::new(fake.token())).unwrap();
    let fleet = Fleet::default().with_cloud(Arc::new(hetzner));
    let s = start(
        c,
        Options {
            fleet: Arc::new(fleet),
            ..Options::default()
        },
    )
    .await;
    (s, fake)
}

async fn counts(s: &common::Server) -> (i64, i64, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM servers), (SELECT count(*) FROM operations), \
                (SELECT count(*) FROM queue_jobs), (SELECT count(*) FROM scaling_operations)",
    )
    .fetch_one(s.db.pool())
    .await
    .unwrap()
}

fn cx22(name: &str) -> serde_json::Value {
    json!({"i": {"provider": "HETZNER", "plan": "cx22", "region": "fsn1", "name": name}})
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn provisioning_returns_the_server_and_its_queued_operation_at_once(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let (s, _fake) = with_hetzner(c).await;
    let token = s.token(s.users.operator);
    let (_, body) = s.gql(Some(&token), PROVISION, cx22("db-1")).await;
    let payload = &body["data"]["provisionServer"];
    assert_eq!(payload["server"]["state"], "PROVISIONING", "{body}");
    assert_eq!(payload["server"]["provider"], "HETZNER");
    assert_eq!(payload["operation"]["kind"], "provision_server");
    assert_eq!(payload["operation"]["status"], "QUEUED");
    assert_eq!(counts(&s).await, (1, 1, 1, 0));
    let (_, again) = s.gql(Some(&token), PROVISION, cx22("db-1")).await;
    assert_eq!(error_code(&again), "CONFLICT", "{again}");
    assert_eq!(counts(&s).await, (1, 1, 1, 0));
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn bad_provision_input_gets_a_clear_error_and_creates_nothing(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let (s, _fake) = with_hetzner(c).await;
    let token = s.token(s.users.operator);
    let cases = [
        (
            json!({"provider": "HETZNER", "plan": "cx9000", "region": "fsn1"}),
            "not a hetzner plan",
        ),
        (
            json!({"provider": "HETZNER", "plan": "cx22", "region": "mars1"}),
            "not a hetzner region",
        ),
        (
            json!({"provider": "HETZNER", "plan": "cx22", "region": "fsn1", "name": "Bad_Name"}),
            "DNS-1123",
        ),
        (
            json!({"provider": "HETZNER", "plan": "cx22", "region": "fsn1", "template": "windows"}),
            "no server template",
        ),
        (
            json!({"provider": "HETZNER", "plan": "cx22", "region": "fsn1", "labels": [{"key": "toygres_x", "value": "1"}]}),
            "label",
        ),
        (
            json!({"provider": "DIGITALOCEAN", "plan": "s-1vcpu-1gb", "region": "fra1"}),
            "TOYGRES_DIGITALOCEAN_TOKEN",
        ),
    ];
    for (input, expected) in cases {
        let (_, body) = s.gql(Some(&token), PROVISION, json!({"i": input})).await;
        assert_eq!(error_code(&body), "INVALID_INPUT", "{input}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains(expected),
            "{message} should mention {expected}"
        );
    }
    let (_, body) = s
        .gql(Some(&token), SCALE, json!({"c": 101, "d": true}))
        .await;
    assert_eq!(error_code(&body), "INVALID_INPUT", "{body}");
    assert_eq!(counts(&s).await, (0, 0, 0, 0));
}

/// Every server mutation, as each role: viewers and strangers change nothing.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn every_server_mutation_needs_an_operator_or_admin(_p: PgPoolOptions, c: PgConnectOptions) {
    let (s, _fake) = with_hetzner(c).await;
    let admin = s.token(s.users.admin);
    let (_, body) = s.gql(Some(&admin), PROVISION, cx22("target")).await;
    let id = body["data"]["provisionServer"]["server"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    sqlx::query("UPDATE servers SET state = 'active', provider_id = '1'")
        .execute(s.db.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE operations SET status = 'succeeded', finished_at = now()")
        .execute(s.db.pool())
        .await
        .unwrap();
    let before = counts(&s).await;
    let mutations = [
        (PROVISION, cx22("another")),
        (
            "mutation($id: ID!) { drainServer(id: $id) { operation { id } } }",
            json!({"id": id}),
        ),
        (
            "mutation($id: ID!) { removeServer(id: $id) { id } }",
            json!({"id": id}),
        ),
        (SCALE, json!({"c": 3, "d": false})),
        (SCALE, json!({"c": 3, "d": true})),
    ];
    for (mutation, vars) in &mutations {
        let (status, body) = s.gql(None, mutation, vars.clone()).await;
        assert_eq!(status, 401, "anonymous: {body}");
        let (_, body) = s
            .gql(Some(&s.token(s.users.viewer)), mutation, vars.clone())
            .await;
        assert_eq!(error_code(&body), "FORBIDDEN", "viewer: {mutation} {body}");
        let (_, body) = s
            .gql(Some(&s.token(s.users.outsider)), mutation, vars.clone())
            .await;
        assert!(
            ["NOT_FOUND", "FORBIDDEN"].contains(&error_code(&body)),
            "outsider: {mutation} {body}"
        );
    }
    let (_, body) = s
        .gql(
            Some(&admin),
            "mutation { refreshPlans(provider: HETZNER) { id } }",
            json!({}),
        )
        .await;
    assert!(
        body["errors"].is_null(),
        "a site admin may refresh plans: {body}"
    );
    let (_, body) = s
        .gql(
            Some(&s.token(s.users.operator)),
            "mutation { refreshPlans(provider: HETZNER) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    let after = counts(&s).await;
    assert_eq!(
        (after.0, after.3),
        (before.0, before.3),
        "no server or scaling recorded"
    );
    // The operator may drain it, once.
    let operator = s.token(s.users.operator);
    let (_, body) = s
        .gql(
            Some(&operator),
            "mutation($id: ID!) { drainServer(id: $id) { operation { kind status } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        body["data"]["drainServer"]["operation"]["kind"], "drain_server",
        "{body}"
    );
    let (_, body) = s
        .gql(
            Some(&operator),
            "mutation($id: ID!) { removeServer(id: $id) { id } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        error_code(&body),
        "CONFLICT",
        "one operation per server at a time: {body}"
    );
}

/// Project isolation: another project's admin neither sees nor finds the server by id.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn servers_of_another_project_are_invisible(_p: PgPoolOptions, c: PgConnectOptions) {
    let (s, _fake) = with_hetzner(c).await;
    let (_, body) = s
        .gql(Some(&s.token(s.users.operator)), PROVISION, cx22("mine"))
        .await;
    let id = body["data"]["provisionServer"]["server"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let outsider = s.token(s.users.outsider);
    let (_, body) = s
        .gql(Some(&outsider), "query($id: ID!) { server(id: $id) { id } servers { edges { node { id } } } clusterEvents { edges { node { serverId } } } }", json!({"id": id}))
        .await;
    assert_eq!(body["data"]["server"], serde_json::Value::Null, "{body}");
    assert_eq!(body["data"]["servers"]["edges"], json!([]));
    assert_eq!(body["data"]["clusterEvents"]["edges"], json!([]));
    let viewer = s.token(s.users.viewer);
    let (_, body) = s
        .gql(
            Some(&viewer),
            "query($id: ID!) { server(id: $id) { name latestMetrics { cpuPercent } events { edges { node { kind } } } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        body["data"]["server"]["name"], "mine",
        "viewers read: {body}"
    );
    assert_eq!(
        body["data"]["server"]["latestMetrics"],
        serde_json::Value::Null,
        "no sample yet: {body}"
    );
    assert_eq!(
        body["data"]["server"]["events"]["edges"][0]["node"]["kind"],
        "server_provisioning"
    );
}

/// Another project's servers stay out of cluster health and their metrics are not found;
/// where the metrics come from is for site admins alone.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn other_projects_server_metrics_and_the_metrics_source_stay_hidden(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    use jobs::db::MetricSample;
    let s = start(c, Options::default()).await;
    let server = testkit::record_server(&s.db, jobs::user::DEFAULT_PROJECT_ID, "mine")
        .await
        .unwrap();
    // What the sampler records from a metrics source: the cluster and each server.
    let now = chrono::Utc::now();
    let sample = |server_id| MetricSample {
        server_id,
        sampled_at: now,
        source: "https://vm.internal:8428".to_owned(),
        cpu_percent: Some(12.5),
        memory_percent: Some(40.0),
        error: None,
    };
    s.db.record_samples(
        &[sample(None), sample(Some(server.id.0))],
        now - chrono::Duration::hours(1),
    )
    .await
    .unwrap();
    let health = "{ clusterHealth { source servers { serverId } } }";
    let metrics = "query($id: ID!, $from: DateTime!, $to: DateTime!) { serverMetrics(serverId: $id, from: $from, to: $to) { cpuPercent } }";
    let window = json!({
        "id": server.id.0.to_string(),
        "from": (now - chrono::Duration::minutes(5)).to_rfc3339(),
        "to": (now + chrono::Duration::minutes(1)).to_rfc3339(),
    });

    let outsider = s.token(s.users.outsider);
    let (_, body) = s.gql(Some(&outsider), health, json!({})).await;
    assert_eq!(
        body["data"]["clusterHealth"]["servers"],
        json!([]),
        "{body}"
    );
    assert_eq!(
        body["data"]["clusterHealth"]["source"],
        serde_json::Value::Null
    );
    let (_, body) = s.gql(Some(&outsider), metrics, window.clone()).await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body}");

    let viewer = s.token(s.users.viewer);
    let (_, body) = s.gql(Some(&viewer), health, json!({})).await;
    assert_eq!(
        body["data"]["clusterHealth"]["servers"],
        json!([{"serverId": server.id.0.to_string()}]),
        "{body}"
    );
    assert_eq!(
        body["data"]["clusterHealth"]["source"],
        serde_json::Value::Null
    );
    let (_, body) = s.gql(Some(&viewer), metrics, window).await;
    assert_eq!(
        body["data"]["serverMetrics"][0]["cpuPercent"], 12.5,
        "{body}"
    );

    let admin = s.token(s.users.admin);
    let (_, body) = s.gql(Some(&admin), health, json!({})).await;
    assert_eq!(
        body["data"]["clusterHealth"]["source"], "https://vm.internal:8428",
        "{body}"
    );
}

/// A dry run shows which servers would be added, in order, at what cost, and records only
/// the plan; plans and templates are listed for anyone signed in.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_dry_run_scale_returns_the_plan_and_acts_on_nothing(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let (s, fake) = with_hetzner(c).await;
    let token = s.token(s.users.operator);
    let (_, body) = s.gql(Some(&token), SCALE, json!({"c": 2, "d": true})).await;
    let plan = &body["data"]["scaleCluster"];
    assert_eq!(plan["dryRun"], true, "{body}");
    assert_eq!(plan["currentCount"], 0);
    assert_eq!(plan["targetCount"], 2);
    assert_eq!(plan["operation"], serde_json::Value::Null);
    assert_eq!(plan["actions"].as_array().unwrap().len(), 2);
    assert_eq!(plan["actions"][1]["order"], 2);
    assert_eq!(plan["actions"][0]["action"], "ADD");
    assert_eq!(plan["currency"], "EUR");
    // Hetzner's prices come from its own listing (refreshPlans); the built-in table has none.
    assert_eq!(plan["monthlyCostDelta"], serde_json::Value::Null);
    assert_eq!(plan["actions"][0]["monthlyCost"], serde_json::Value::Null);
    assert_eq!(counts(&s).await, (0, 0, 0, 1));
    assert_eq!(fake.requests(), 0, "a dry run does not call the cloud");

    let viewer = s.token(s.users.viewer);
    let (_, body) = s
        .gql(Some(&viewer), "{ plans(provider: HETZNER) { name memoryGb cores } serverTemplates { name description } scalingOperations { edges { node { dryRun } } } configuredProviders }", json!({}))
        .await;
    let plans = body["data"]["plans"].as_array().unwrap();
    let cx11 = plans.iter().find(|p| p["name"] == "cx11").unwrap();
    assert_eq!(cx11["memoryGb"], 2.0);
    assert_eq!(body["data"]["serverTemplates"][0]["name"], "postgres-host");
    assert_eq!(
        body["data"]["scalingOperations"]["edges"][0]["node"]["dryRun"],
        true
    );
    assert_eq!(body["data"]["configuredProviders"], json!(["HETZNER"]));
}

/// Addresses that name the control plane's own machine or its cloud's internals are no
/// tenant's host: refused with a message saying how an operator may allow them, recording
/// nothing (the installation here does not allow them, as none does by default).
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn loopback_link_local_and_metadata_addresses_cannot_be_registered(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let token = s.token(s.users.operator);
    for address in [
        "127.0.0.1",
        "::1",
        "::ffff:127.0.0.1",
        "169.254.169.254",
        "fe80::1",
        "fd00:ec2::254",
        "100.100.100.200",
        "0.0.0.0",
        "224.0.0.1",
    ] {
        let (_, body) = s
            .gql(
                Some(&token),
                "mutation($i: RegisterServerInput!) { registerServer(input: $i) { server { id } } }",
                json!({"i": {"name": "sneaky", "address": address}}),
            )
            .await;
        assert_eq!(error_code(&body), "INVALID_INPUT", "{address}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("host"), "{address}: {message}");
    }
    let (_, body) = s
        .gql(
            Some(&token),
            "mutation($i: RegisterServerInput!) { registerServer(input: $i) { server { id } } }",
            json!({"i": {"name": "sneaky", "address": "169.254.169.254"}}),
        )
        .await;
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("TOYGRES_ALLOW_PRIVATE_SERVER_ADDRESSES"),
        "{message}"
    );
    assert_eq!(counts(&s).await, (0, 0, 0, 0));
}
