//! The audit log: every mutation (over HTTP or WebSocket, allowed or refused, logged in or
//! not) is recorded with who, what, when, from where and the outcome, never a secret; project
//! admins read their projects' entries, site admins everything.

mod common;

use common::{Options, PASSWORD, error_code, recv, send, start};
use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

const LOG: &str = "query($p: ID) { auditLog(first: 50, projectId: $p) { edges { node { actor action targetId projectId outcome errorCode arguments sourceIp userAgent } } } }";

fn entries(body: &Value) -> Vec<Value> {
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn every_mutation_is_recorded_with_its_outcome_and_without_secrets(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let admin = s.token(s.users.admin);
    let operator = s.token(s.users.operator);
    let viewer = s.token(s.users.viewer);

    let (_, body) = s
        .gql(Some(&operator), "mutation { createInstance(input: {name: \"orders\", password: \"a-very-secret-password\"}) { instance { id } } }", json!({}))
        .await;
    let instance = body["data"]["createInstance"]["instance"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, body) = s
        .gql(
            Some(&viewer),
            "mutation($id: ID!) { deleteInstance(id: $id) { id } }",
            json!({"id": instance}),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    let (_, body) = s
        .gql(
            None,
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            json!({"e": "admin@example.com", "p": "not-the-password"}),
        )
        .await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    let default = jobs::user::DEFAULT_PROJECT_ID.0.to_string();
    let (_, body) = s
        .gql(Some(&admin), "mutation($p: ID!) { createApiToken(projectId: $p, name: \"ci\", role: VIEWER) { secret } }", json!({"p": default}))
        .await;
    let secret = body["data"]["createApiToken"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    // A mutation over the WebSocket protocol is recorded too.
    let mut ws = s.ws_as(&admin).await;
    send(&mut ws, json!({"id": "m", "type": "subscribe", "payload": {"query": "mutation { createProject(name: \"over-ws\") { id } }"}})).await;
    assert!(recv(&mut ws).await["payload"]["data"]["createProject"]["id"].is_string());

    let (_, body) = s.gql(Some(&admin), LOG, json!({})).await;
    let log = entries(&body);
    let actions: Vec<(&str, &str, &str)> = log
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["actor"].as_str().unwrap(),
                e["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("createProject", "admin@example.com", "succeeded"),
            ("createApiToken", "admin@example.com", "succeeded"),
            ("login", "anonymous (admin@example.com)", "failed"),
            ("deleteInstance", "viewer@example.com", "failed"),
            ("createInstance", "operator@example.com", "succeeded"),
        ]
    );
    let create = &log[4];
    assert_eq!(
        create["targetId"],
        json!(instance),
        "the target is what it made"
    );
    assert_eq!(create["projectId"], json!(default));
    assert_eq!(create["arguments"]["input"]["password"], "[redacted]");
    assert_eq!(create["arguments"]["input"]["name"], "orders");
    assert_eq!(create["sourceIp"], "127.0.0.1");
    assert_eq!(create["userAgent"], "toygres-api-tests");
    assert_eq!(log[3]["errorCode"], "FORBIDDEN");
    assert_eq!(log[3]["targetId"], json!(instance));
    assert_eq!(log[2]["arguments"]["password"], "[redacted]");

    // No secret anywhere in the table: not the instance password, not the login attempt's,
    // not the token's secret.
    let text: String =
        sqlx::query_scalar("SELECT coalesce(string_agg(audit_log::text, ' '), '') FROM audit_log")
            .fetch_one(s.db.pool())
            .await
            .unwrap();
    for secret in [
        "a-very-secret-password",
        "not-the-password",
        secret.as_str(),
        PASSWORD,
    ] {
        assert!(!text.contains(secret), "{secret} reached the audit log");
    }
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn project_admins_read_their_projects_entries_and_others_nothing(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let operator = s.token(s.users.operator);
    let outsider = s.token(s.users.outsider);
    let (_, body) = s
        .gql(
            Some(&operator),
            "mutation { createInstance(input: {name: \"mine\"}) { instance { id } } }",
            json!({}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let other = s.users.other_project.0.to_string();
    let (_, body) = s
        .gql(Some(&outsider), "mutation($p: ID) { createInstance(input: {name: \"theirs\", projectId: $p}) { instance { id } } }", json!({"p": other}))
        .await;
    assert!(body["errors"].is_null(), "{body}");

    // The outsider administers only their project: they see its entry, not the default's.
    let (_, body) = s.gql(Some(&outsider), LOG, json!({})).await;
    let seen: Vec<_> = entries(&body)
        .iter()
        .map(|e| e["arguments"]["input"]["name"].clone())
        .collect();
    assert_eq!(seen, [json!("theirs")]);
    let default = jobs::user::DEFAULT_PROJECT_ID.0.to_string();
    let (_, body) = s.gql(Some(&outsider), LOG, json!({"p": default})).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    // Operators and viewers read no audit log.
    let (_, body) = s.gql(Some(&operator), LOG, json!({})).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    // The default project's admin (a site admin here) sees both.
    let admin = s.token(s.users.admin);
    let (_, body) = s.gql(Some(&admin), LOG, json!({})).await;
    assert_eq!(entries(&body).len(), 2);
}

/// Nobody writes into another project's log by naming it: a refused mutation is filed under
/// its resolved target's project, or none. Long arguments, emails and messages are capped, and
/// entries past their retention are pruned.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn refused_mutations_stay_out_of_other_projects_logs_and_entries_are_bounded(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let outsider = s.token(s.users.outsider);
    let admin = s.token(s.users.admin);
    let default = jobs::user::DEFAULT_PROJECT_ID.0.to_string();
    let (_, body) = s
        .gql(Some(&outsider), "mutation($p: ID) { createInstance(input: {name: \"planted\", projectId: $p}) { instance { id } } }", json!({"p": default}))
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
    // Anonymous, acting on the project itself: refused and filed under its target.
    let (_, body) = s
        .gql(
            None,
            "mutation($p: ID!) { renameProject(id: $p, name: \"owned\") { id } }",
            json!({"p": default}),
        )
        .await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
    let (_, body) = s.gql(Some(&admin), LOG, json!({"p": default})).await;
    let filed: Vec<_> = entries(&body).iter().map(|e| e["action"].clone()).collect();
    assert_eq!(
        filed,
        [json!("renameProject")],
        "the outsider's refused create, which targets nothing yet, is not in the default \
         project's log"
    );
    let (_, body) = s.gql(Some(&admin), LOG, json!({})).await;
    let all = entries(&body);
    let planted = all
        .iter()
        .find(|e| e["action"] == "createInstance")
        .expect("still recorded, for site admins");
    assert_eq!(planted["projectId"], Value::Null, "{planted}");
    assert_eq!(planted["outcome"], "failed");

    // Large input makes a small entry.
    let long = "x".repeat(20_000);
    let (_, body) = s
        .gql(
            None,
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            json!({"e": long, "p": PASSWORD}),
        )
        .await;
    assert!(!body["errors"].is_null(), "{body}");
    let (_, body) = s
        .gql(
            Some(&admin),
            "mutation($n: String!) { createInstance(input: {name: $n}) { instance { id } } }",
            json!({"n": long}),
        )
        .await;
    assert_eq!(error_code(&body), "INVALID_INPUT", "{body}");
    let (_, body) = s.gql(Some(&admin), LOG, json!({})).await;
    let all = entries(&body);
    let login = all.iter().find(|e| e["action"] == "login").unwrap();
    assert!(
        login["actor"].as_str().unwrap().len() < 400,
        "{}",
        &login["actor"].as_str().unwrap()[..80]
    );
    let create = all
        .iter()
        .find(|e| e["action"] == "createInstance" && e["errorCode"] == "INVALID_INPUT")
        .unwrap();
    let name = create["arguments"]["input"]["name"].as_str().unwrap();
    assert!(
        name.len() < 1100 && name.ends_with("(20000 bytes)"),
        "{}",
        name.len()
    );

    // A year and a day later, the old entries go and a new one stays.
    let before = all.len();
    sqlx::query("UPDATE audit_log SET at = now() - interval '366 days'")
        .execute(s.db.pool())
        .await
        .unwrap();
    let (_, body) = s
        .gql(
            Some(&admin),
            "mutation { createProject(name: \"fresh\") { id } }",
            json!({}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let pruned =
        s.db.prune_audit(std::time::Duration::from_secs(365 * 24 * 3600))
            .await
            .unwrap();
    assert_eq!(pruned as usize, before);
    let (_, body) = s.gql(Some(&admin), LOG, json!({})).await;
    let left: Vec<_> = entries(&body).iter().map(|e| e["action"].clone()).collect();
    assert_eq!(left, [json!("createProject")]);
}
