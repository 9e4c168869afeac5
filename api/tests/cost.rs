//! What one request may cost: root fields, aliases and logins are capped before anything
//! runs, lists cost their page size, and failed logins are rate limited per account and per
//! client address, over HTTP and WebSocket alike.

mod common;

use std::net::IpAddr;
use std::time::Duration;

use api::{LoginLimits, Quota};
use common::{Options, PASSWORD, Server, error_code, recv, send, start};
use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

const LOGIN: &str =
    "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";

fn limits(per_account: u32, per_address: u32) -> Options {
    Options {
        login: LoginLimits {
            per_account: Quota {
                attempts: per_account,
                window: Duration::from_secs(900),
            },
            per_address: Quota {
                attempts: per_address,
                window: Duration::from_secs(60),
            },
        },
        ..Options::default()
    }
}

/// An anonymous client whose connections come from `ip` (any 127.0.0.0/8 address reaches
/// the server on loopback).
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

async fn post(s: &Server, client: &reqwest::Client, query: &str, variables: Value) -> Value {
    client
        .post(s.url())
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn login(s: &Server, client: &reqwest::Client, email: &str, password: &str) -> Value {
    post(s, client, LOGIN, json!({"e": email, "p": password})).await
}

async fn audited_logins(s: &Server) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'login'")
        .fetch_one(s.db.pool())
        .await
        .unwrap()
}

#[track_caller]
fn assert_refused_as_too_complex(body: &Value, says: &str) {
    assert_eq!(error_code(body), "QUERY_TOO_COMPLEX", "{body}");
    assert_eq!(body["data"], Value::Null, "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains(says), "{body}");
}

#[track_caller]
fn retry_after(body: &Value) -> u64 {
    assert_eq!(error_code(body), "RATE_LIMITED", "{body}");
    body["errors"][0]["extensions"]["retryAfterSeconds"]
        .as_u64()
        .unwrap_or_else(|| panic!("no retryAfterSeconds: {body}"))
}

/// Proves no alias ran: none was audited, and with one failure allowed per account, the
/// right password still logs in afterwards.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn two_hundred_anonymous_login_aliases_are_refused_before_any_password_is_checked(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, limits(1, 100)).await;
    let aliases: Vec<String> = (0..200)
        .map(|i| {
            format!(
                "l{i}: login(email: \"admin@example.com\", password: \"guess-{i}\") {{ token }}"
            )
        })
        .collect();
    let query = format!("mutation {{ {} }}", aliases.join(" "));
    let body = post(&s, &s.http, &query, json!({})).await;
    assert_refused_as_too_complex(&body, "200 root fields");
    assert!(!body.to_string().contains("guess-"), "{body}");
    assert_eq!(audited_logins(&s).await, 0);
    let body = login(&s, &s.http, "admin@example.com", PASSWORD).await;
    assert!(body["data"]["login"]["token"].is_string(), "{body}");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_second_login_in_the_same_document_is_refused_before_either_runs(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let one = format!("login(email: \"admin@example.com\", password: \"{PASSWORD}\") {{ token }}");
    let two = format!("mutation {{ a: {one} b: {one} }}");
    let body = post(&s, &s.http, &two, json!({})).await;
    assert_refused_as_too_complex(&body, "at most 1 `login`");
    assert!(!body.to_string().contains(PASSWORD), "{body}");
    // The second in another operation of the document, even one that is not run, counts too.
    let split = format!(
        "mutation A {{ {one} }} mutation B {{ ...L }} fragment L on MutationRoot {{ {one} }}"
    );
    let body = s
        .http
        .post(s.url())
        .json(&json!({"query": split, "operationName": "A"}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_refused_as_too_complex(&body, "at most 1 `login`");
    assert_eq!(audited_logins(&s).await, 0);
    let body = post(&s, &s.http, &format!("mutation {{ {one} }}"), json!({})).await;
    assert!(body["data"]["login"]["token"].is_string(), "{body}");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn root_fields_and_aliases_past_their_caps_are_refused(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let token = s.token(s.users.viewer);
    let roots: Vec<String> = (0..=api::MAX_ROOT_FIELDS)
        .map(|i| format!("m{i}: me {{ id }}"))
        .collect();
    let (_, body) = s
        .gql(
            Some(&token),
            &format!("{{ {} }}", roots.join(" ")),
            json!({}),
        )
        .await;
    assert_refused_as_too_complex(&body, "root fields");
    let (_, body) = s
        .gql(
            Some(&token),
            &format!("{{ {} }}", roots[..api::MAX_ROOT_FIELDS].join(" ")),
            json!({}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let aliases: Vec<String> = (0..=api::MAX_ALIASES)
        .map(|i| format!("a{i}: email"))
        .collect();
    let (_, body) = s
        .gql(
            Some(&token),
            &format!("{{ me {{ {} }} }}", aliases.join(" ")),
            json!({}),
        )
        .await;
    assert_refused_as_too_complex(&body, "aliases");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn repeated_wrong_passwords_rate_limit_the_account_even_for_the_right_password(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, limits(3, 100)).await;
    let home = client_from("127.0.0.1");
    for _ in 0..3 {
        let body = login(&s, &home, "Admin@Example.com", "not-the-password").await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
    }
    let body = login(&s, &home, "admin@example.com", PASSWORD).await;
    let wait = retry_after(&body);
    assert!((1..=900).contains(&wait), "{body}");
    assert!(!body.to_string().contains(PASSWORD), "{body}");
    // The limit is the account's: another address is refused for it too...
    let away = client_from("127.0.0.2");
    let body = login(&s, &away, "admin@example.com", PASSWORD).await;
    assert!(retry_after(&body) > 0);
    // ...and another account from another address is not affected.
    let body = login(&s, &away, "operator@example.com", PASSWORD).await;
    assert!(body["data"]["login"]["token"].is_string(), "{body}");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn failed_logins_from_one_address_rate_limit_it_for_every_account(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, limits(100, 3)).await;
    let sprayer = client_from("127.0.0.3");
    for who in [
        "nobody@example.com",
        "operator@example.com",
        "x@example.com",
    ] {
        let body = login(&s, &sprayer, who, "spring2026").await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
    }
    let body = login(&s, &sprayer, "viewer@example.com", PASSWORD).await;
    let wait = retry_after(&body);
    assert!((1..=60).contains(&wait), "{body}");
    let body = login(
        &s,
        &client_from("127.0.0.4"),
        "viewer@example.com",
        PASSWORD,
    )
    .await;
    assert!(body["data"]["login"]["token"].is_string(), "{body}");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn list_fields_cost_their_page_size_so_large_nested_pages_are_refused(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let token = s.token(s.users.admin);
    for query in [
        "{ instances(first: 1000) { nodes { operations(first: 1000) { id } } } }",
        "{ servers(first: 100) { nodes { operations(first: 100) { id status } } } }",
        "{ instances(first: 50) { nodes { restoreDrills(first: 100) { id } moves(first: 100) { id } \
         healthChecks(last: 100) { healthy } } } }",
        "{ auditLog(first: 100) { nodes { id } } operations(first: 100) { nodes { id } } \
         clusterEvents(first: 100) { nodes { id } } scalingOperations(first: 100) { nodes { id } } \
         servers(first: 100) { nodes { id events(first: 100) { nodes { id } } } } }",
    ] {
        let (_, body) = s.gql(Some(&token), query, json!({})).await;
        assert_refused_as_too_complex(&body, "too complex");
    }
    // Page sizes given as variables count the same.
    let query =
        "query($n: Int) { instances(first: $n) { nodes { backups(first: $n) { nodes { id } } } } }";
    let (_, body) = s.gql(Some(&token), query, json!({"n": 100})).await;
    assert_refused_as_too_complex(&body, "too complex");
    // So do a series' points: a day at one point a minute is 1,441 of them.
    let to = chrono::Utc::now();
    let day = json!({"from": to - chrono::Duration::days(1), "to": to});
    let series = "serverMetrics(from: $from, to: $to, step: 60) { at cpuPercent memoryPercent }";
    let query = format!("query($from: DateTime!, $to: DateTime!) {{ {series} }}");
    let (_, body) = s.gql(Some(&token), &query, day.clone()).await;
    assert!(body["errors"].is_null(), "{body}");
    let query = format!(
        "query($from: DateTime!, $to: DateTime!) {{ a: {series} b: {series} c: {series} }}"
    );
    let (_, body) = s.gql(Some(&token), &query, day).await;
    assert_refused_as_too_complex(&body, "too complex");
    let query = "{ instances(first: 100) { nodes { id operations(first: 5) { id } } } }";
    let (_, body) = s.gql(Some(&token), query, json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn over_a_websocket_the_caps_apply_and_logins_count_against_the_clients_address(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, limits(100, 2)).await;
    let mut ws = s.ws_as(&s.token(s.users.viewer)).await;
    let one = "login(email: \"admin@example.com\", password: \"wrong\") { token }";
    let two = format!("mutation {{ a: {one} b: {one} }}");
    send(
        &mut ws,
        json!({"id": "1", "type": "subscribe", "payload": {"query": two}}),
    )
    .await;
    let refused = recv(&mut ws).await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(
        refused["payload"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
        "{refused}"
    );
    let mut answers = Vec::new();
    for (id, who) in [
        ("2", "a@example.com"),
        ("3", "b@example.com"),
        ("4", "admin@example.com"),
    ] {
        let payload = json!({"query": LOGIN, "variables": {"e": who, "p": "wrong"}});
        send(
            &mut ws,
            json!({"id": id, "type": "subscribe", "payload": payload}),
        )
        .await;
        let next = recv(&mut ws).await;
        assert_eq!(next["type"], "next", "{next}");
        answers.push(next["payload"].clone());
        assert_eq!(recv(&mut ws).await["type"], "complete");
    }
    assert_eq!(error_code(&answers[0]), "UNAUTHENTICATED", "{answers:?}");
    assert_eq!(error_code(&answers[1]), "UNAUTHENTICATED", "{answers:?}");
    assert!(retry_after(&answers[2]) > 0);
}
