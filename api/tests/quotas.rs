//! Project quotas: each limit refuses with `QUOTA_EXCEEDED` and records nothing, two creates
//! at once cannot both take the last slot, `project { quota usage }` shows them, and only site
//! admins set them (the role matrix in `roles.rs` checks the last for every role).

mod common;

use std::sync::Arc;

use common::{Options, error_code, start};
use jobs::quota::Quota;
use jobs::server::Fleet;
use jobs::server::hosts::ServerHosts;
use jobs::user::DEFAULT_PROJECT_ID;
use providers::cloud::{CloudKind, Hetzner, Token};
use providers::host::SshClient;
use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use testkit::cloud::FakeCloud;

const CREATE: &str =
    "mutation($i: CreateInstanceInput!) { createInstance(input: $i) { instance { id } } }";
const SET: &str = "mutation($p: ID!, $i: ProjectQuotaInput!) { setProjectQuota(projectId: $p, input: $i) { quota { instances storageGb servers standbys isDefault } } }";
const SHOW: &str = "query($p: ID!) { project(id: $p) { quota { instances storageGb servers standbys isDefault } usage { instances storageGb servers standbys } } }";
const PROVISION: &str =
    "mutation($i: ProvisionServerInput!) { provisionServer(input: $i) { server { id } } }";
const REGISTER: &str =
    "mutation($i: RegisterServerInput!) { registerServer(input: $i) { server { id } } }";
const SCALE: &str = "mutation($c: Int!, $d: Boolean!) { scaleCluster(provider: HETZNER, plan: \"cx22\", region: \"fsn1\", count: $c, dryRun: $d) { id } }";

fn project() -> String {
    DEFAULT_PROJECT_ID.0.to_string()
}

/// Everything a refused create could have left behind.
async fn recorded(s: &common::Server) -> Value {
    sqlx::query_scalar(
        "SELECT json_build_object( \
            'instances', (SELECT count(*) FROM instances), \
            'secrets', (SELECT count(*) FROM instance_secrets), \
            'servers', (SELECT count(*) FROM servers), \
            'operations', (SELECT count(*) FROM operations), \
            'jobs', (SELECT count(*) FROM queue_jobs), \
            'scalings', (SELECT count(*) FROM scaling_operations))",
    )
    .fetch_one(s.db.pool())
    .await
    .unwrap()
}

async fn set_quota(s: &common::Server, quota: Value) -> Value {
    let admin = s.token(s.users.admin);
    let (_, body) = s
        .gql(Some(&admin), SET, json!({"p": project(), "i": quota}))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["setProjectQuota"]["quota"].clone()
}

#[track_caller]
fn assert_exceeded(body: &Value, limit: &str, quota: i64, used: i64, requested: i64) {
    assert_eq!(error_code(body), "QUOTA_EXCEEDED", "{body}");
    let ext = &body["errors"][0]["extensions"];
    assert_eq!(ext["limit"], limit, "{body}");
    assert_eq!(
        (&ext["quota"], &ext["used"], &ext["requested"]),
        (&json!(quota), &json!(used), &json!(requested)),
        "{body}"
    );
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains(&quota.to_string()), "{message}");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn an_instance_past_the_instance_quota_is_refused_and_nothing_is_recorded(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    set_quota(&s, json!({"instances": 1})).await;
    let token = s.token(s.users.operator);
    let (_, body) = s
        .gql(Some(&token), CREATE, json!({"i": {"name": "one"}}))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let before = recorded(&s).await;
    let (_, body) = s
        .gql(Some(&token), CREATE, json!({"i": {"name": "two"}}))
        .await;
    assert_exceeded(&body, "instances", 1, 1, 1);
    assert_eq!(recorded(&s).await, before);

    // A deleted instance no longer counts.
    sqlx::query("UPDATE instances SET state = 'deleted', deleted_at = now()")
        .execute(s.db.pool())
        .await
        .unwrap();
    let (_, body) = s
        .gql(Some(&token), CREATE, json!({"i": {"name": "two"}}))
        .await;
    assert!(body["errors"].is_null(), "{body}");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn storage_past_the_storage_quota_is_refused(_p: PgPoolOptions, c: PgConnectOptions) {
    let s = start(c, Options::default()).await;
    set_quota(&s, json!({"storageGb": 15})).await;
    let token = s.token(s.users.operator);
    let (_, body) = s
        .gql(
            Some(&token),
            CREATE,
            json!({"i": {"name": "ten", "storageGb": 10}}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let before = recorded(&s).await;
    let (_, body) = s
        .gql(
            Some(&token),
            CREATE,
            json!({"i": {"name": "six", "storageGb": 6}}),
        )
        .await;
    assert_exceeded(&body, "storage_gb", 15, 10, 6);
    assert_eq!(recorded(&s).await, before);
    let (_, body) = s
        .gql(
            Some(&token),
            CREATE,
            json!({"i": {"name": "five", "storageGb": 5}}),
        )
        .await;
    assert!(body["errors"].is_null(), "fits exactly: {body}");
}

/// Rounds of ten creates at once against a quota with two free slots: exactly two get
/// through each time, whatever the interleaving, because each create counts under a lock on
/// the project row. (Without the lock, some round lets more through.)
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn concurrent_creates_never_take_more_than_the_last_slots(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let token = s.token(s.users.operator);
    for round in 0..5 {
        let held = 2 * round;
        set_quota(&s, json!({"instances": held + 2})).await;
        let answers = futures::future::join_all((0..10).map(|n| {
            let (s, token) = (&s, &token);
            async move {
                s.gql(
                    Some(token),
                    CREATE,
                    json!({"i": {"name": format!("r{round}-{n}")}}),
                )
                .await
                .1
            }
        }))
        .await;
        let created = answers.iter().filter(|b| b["errors"].is_null()).count();
        let refused = answers
            .iter()
            .filter(|b| error_code(b) == "QUOTA_EXCEEDED")
            .count();
        assert_eq!((created, refused), (2, 8), "round {round}: {answers:?}");
        assert_eq!(recorded(&s).await["instances"], held + 2);
    }
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn servers_past_the_server_quota_are_refused_before_any_vm_is_made(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    providers::install_crypto_provider();
    let fake = FakeCloud::start(CloudKind::Hetzner).await;
    let hetzner = Hetzner::new(&fake.base_url(), Token::new(fake.token())).unwrap();
    let key = testkit::sshd::ClientKey::generate();
    let dir = key.private.parent().unwrap().to_owned();
    let hosts = ServerHosts::new(
        SshClient::new(key.private.clone(), dir.join("ssh")).unwrap(),
        testkit::master_key(),
        dir.join("root"),
        20000..20100,
    );
    let fleet = Fleet {
        hosts: Arc::new(hosts),
        ..Fleet::default()
    }
    .with_cloud(Arc::new(hetzner));
    let s = start(
        c,
        Options {
            fleet: Arc::new(fleet),
            ..Options::default()
        },
    )
    .await;
    set_quota(&s, json!({"servers": 2})).await;
    let token = s.token(s.users.operator);

    let provision = |name: &str| json!({"i": {"provider": "HETZNER", "plan": "cx22", "region": "fsn1", "name": name}});
    let (_, body) = s.gql(Some(&token), PROVISION, provision("p1")).await;
    assert!(body["errors"].is_null(), "{body}");
    let register = |name: &str, address: &str| json!({"i": {"name": name, "address": address}});
    let (_, body) = s
        .gql(Some(&token), REGISTER, register("r1", "203.0.113.10"))
        .await;
    assert!(body["errors"].is_null(), "{body}");

    let before = recorded(&s).await;
    let (_, body) = s.gql(Some(&token), PROVISION, provision("p2")).await;
    assert_exceeded(&body, "servers", 2, 2, 1);
    let (_, body) = s
        .gql(Some(&token), REGISTER, register("r2", "203.0.113.11"))
        .await;
    assert_exceeded(&body, "servers", 2, 2, 1);
    // Scaling the group from its one server to three adds two: refused, dry run or not.
    for dry in [true, false] {
        let (_, body) = s.gql(Some(&token), SCALE, json!({"c": 3, "d": dry})).await;
        assert_exceeded(&body, "servers", 2, 2, 2);
    }
    assert_eq!(recorded(&s).await, before);
    assert_eq!(fake.requests(), 0, "no VM was asked for");

    // A removed server no longer counts.
    sqlx::query("UPDATE servers SET state = 'removed', removed_at = now() WHERE name = 'r1'")
        .execute(s.db.pool())
        .await
        .unwrap();
    let (_, body) = s
        .gql(Some(&token), SCALE, json!({"c": 2, "d": false}))
        .await;
    assert!(body["errors"].is_null(), "{body}");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_project_shows_its_quota_and_usage_and_falls_back_to_the_default(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(
        c,
        Options {
            default_quota: Quota {
                instances: Some(4),
                storage_gb: Some(100),
                servers: Some(2),
                standbys: Some(3),
            },
            ..Options::default()
        },
    )
    .await;
    let viewer = s.token(s.users.viewer);
    let operator = s.token(s.users.operator);
    let (_, body) = s
        .gql(
            Some(&operator),
            CREATE,
            json!({"i": {"name": "a", "storageGb": 7}}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    // A restore drill's scratch instance is the installation's: it does not count.
    let (_, body) = s
        .gql(
            Some(&operator),
            CREATE,
            json!({"i": {"name": "scratch", "storageGb": 9}}),
        )
        .await;
    let scratch = body["data"]["createInstance"]["instance"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    sqlx::query("UPDATE instances SET drill_of = (SELECT id FROM instances WHERE name = 'a') WHERE id = $1::uuid")
        .bind(&scratch)
        .execute(s.db.pool())
        .await
        .unwrap();

    let (_, body) = s.gql(Some(&viewer), SHOW, json!({"p": project()})).await;
    let p = &body["data"]["project"];
    assert_eq!(
        p["quota"],
        json!({"instances": 4, "storageGb": 100, "servers": 2, "standbys": 3, "isDefault": true}),
        "{body}"
    );
    assert_eq!(
        p["usage"],
        json!({"instances": 1, "storageGb": 7, "servers": 0, "standbys": 0})
    );

    let own = set_quota(&s, json!({"instances": 10, "storageGb": null})).await;
    assert_eq!(
        own,
        json!({"instances": 10, "storageGb": null, "servers": null, "standbys": null, "isDefault": false})
    );
    let back = set_quota(&s, json!({"useDefault": true})).await;
    assert_eq!(back["isDefault"], true);
    assert_eq!(back["instances"], 4);
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn bad_quotas_and_callers_below_site_admin_change_nothing(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let admin = s.token(s.users.admin);
    for input in [
        json!({"instances": -1}),
        json!({"useDefault": true, "servers": 3}),
    ] {
        let (_, body) = s
            .gql(Some(&admin), SET, json!({"p": project(), "i": input}))
            .await;
        assert_eq!(error_code(&body), "INVALID_INPUT", "{body}");
    }
    // The outsider administers a project of its own, but is no site admin.
    let outsider = s.token(s.users.outsider);
    let other = s.users.other_project.0.to_string();
    let (_, body) = s
        .gql(
            Some(&outsider),
            SET,
            json!({"p": other, "i": {"instances": 1000}}),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM project_quotas")
        .fetch_one(s.db.pool())
        .await
        .unwrap();
    assert_eq!(rows, 0);
}
