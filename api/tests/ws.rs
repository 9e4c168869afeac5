//! The graphql-transport-ws protocol against a real server: every close code, subscriptions
//! that follow an operation, project isolation, and token expiry.

mod common;

use std::time::Duration;

use common::{Options, close_code, recv, send, start};
use futures::{SinkExt as _, StreamExt as _};
use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio_tungstenite::tungstenite::Message;

const FOLLOW: &str = "subscription($id: ID) { operationUpdated(id: $id) { id status step } }";

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_subscriber_follows_an_operation_to_success(_p: PgPoolOptions, c: PgConnectOptions) {
    let s = start(
        c,
        Options {
            workers: true,
            ..Options::default()
        },
    )
    .await;
    let token = s.token(s.users.operator);
    let mut ws = s.ws_as(&token).await;
    send(
        &mut ws,
        json!({"id": "all", "type": "subscribe", "payload": {"query": FOLLOW}}),
    )
    .await;
    // The subscription is live once the server has processed the subscribe; a ping round trip
    // after it proves that, since messages are handled in order.
    send(&mut ws, json!({"type": "ping"})).await;
    assert_eq!(recv(&mut ws).await["type"], "pong");

    let (_, body) = s
        .gql(
            Some(&token),
            "mutation { runSystemCheck { id } }",
            json!({}),
        )
        .await;
    let id = body["data"]["runSystemCheck"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut seen = Vec::new();
    loop {
        let msg = recv(&mut ws).await;
        assert_eq!(msg["type"], "next", "{msg}");
        assert_eq!(msg["id"], "all");
        let op = &msg["payload"]["data"]["operationUpdated"];
        assert_eq!(op["id"], id.as_str());
        seen.push(op["status"].as_str().unwrap().to_owned());
        if op["status"] == "SUCCEEDED" {
            break;
        }
    }
    assert_eq!(seen.first().map(String::as_str), Some("QUEUED"), "{seen:?}");
    assert!(seen.contains(&"RUNNING".to_owned()), "{seen:?}");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn subscribers_see_only_their_projects_operations(_p: PgPoolOptions, c: PgConnectOptions) {
    let s = start(c, Options::default()).await;
    let mut ws = s.ws_as(&s.token(s.users.outsider)).await;
    send(
        &mut ws,
        json!({"id": "1", "type": "subscribe", "payload": {"query": FOLLOW}}),
    )
    .await;
    send(&mut ws, json!({"type": "ping"})).await;
    assert_eq!(recv(&mut ws).await["type"], "pong");
    // First an operation in the default project, which the outsider must not see, then one in
    // theirs, which must be the first thing they receive.
    s.gql(
        Some(&s.token(s.users.admin)),
        "mutation { runSystemCheck { id } }",
        json!({}),
    )
    .await;
    let theirs = run_check_in(&s, &s.token(s.users.outsider), s.users.other_project.0).await;
    let msg = recv(&mut ws).await;
    assert_eq!(
        msg["payload"]["data"]["operationUpdated"]["id"], theirs,
        "{msg}"
    );
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn ping_gets_pong(_p: PgPoolOptions, c: PgConnectOptions) {
    let s = start(c, Options::default()).await;
    let mut ws = s.ws_as(&s.token(s.users.viewer)).await;
    send(&mut ws, json!({"type": "ping", "payload": {"n": 1}})).await;
    assert_eq!(
        recv(&mut ws).await,
        json!({"type": "pong", "payload": {"n": 1}})
    );
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn an_invalid_message_closes_with_4400(_p: PgPoolOptions, c: PgConnectOptions) {
    let s = start(c, Options::default()).await;
    for bad in [
        Message::Text("not json".into()),
        Message::Text(json!({"type": "no_such_type"}).to_string().into()),
        Message::Text(
            json!({"type": "subscribe", "payload": {"query": "{ me { id } }"}})
                .to_string()
                .into(),
        ),
        Message::Binary(vec![1, 2, 3].into()),
    ] {
        let mut ws = s.ws_as(&s.token(s.users.viewer)).await;
        ws.send(bad.clone()).await.unwrap();
        assert_eq!(close_code(&mut ws).await, 4400, "{bad:?}");
    }
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn subscribing_before_the_ack_closes_with_4401(_p: PgPoolOptions, c: PgConnectOptions) {
    let s = start(c, Options::default()).await;
    let mut ws = s.ws().await;
    send(
        &mut ws,
        json!({"id": "1", "type": "subscribe", "payload": {"query": FOLLOW}}),
    )
    .await;
    assert_eq!(close_code(&mut ws).await, 4401);
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn an_init_without_a_valid_token_closes_with_4403(_p: PgPoolOptions, c: PgConnectOptions) {
    let s = start(c, Options::default()).await;
    for payload in [
        json!(null),
        json!({}),
        json!({"authorization": "Bearer not-a-token"}),
        json!({"authorization": s.token(s.users.admin)}),
    ] {
        let mut ws = s.ws().await;
        send(
            &mut ws,
            json!({"type": "connection_init", "payload": payload}),
        )
        .await;
        assert_eq!(close_code(&mut ws).await, 4403, "{payload}");
    }
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn no_init_within_the_timeout_closes_with_4408(_p: PgPoolOptions, c: PgConnectOptions) {
    let s = start(
        c,
        Options {
            ws_init_timeout: Duration::from_millis(300),
            ..Options::default()
        },
    )
    .await;
    let mut ws = s.ws().await;
    assert_eq!(close_code(&mut ws).await, 4408);
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_duplicate_subscription_id_closes_with_4409(_p: PgPoolOptions, c: PgConnectOptions) {
    let s = start(c, Options::default()).await;
    let mut ws = s.ws_as(&s.token(s.users.viewer)).await;
    let subscribe = json!({"id": "same", "type": "subscribe", "payload": {"query": FOLLOW}});
    send(&mut ws, subscribe.clone()).await;
    send(&mut ws, subscribe).await;
    assert_eq!(close_code(&mut ws).await, 4409);
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_second_init_closes_with_4429(_p: PgPoolOptions, c: PgConnectOptions) {
    let s = start(c, Options::default()).await;
    let token = s.token(s.users.viewer);
    let mut ws = s.ws_as(&token).await;
    send(
        &mut ws,
        json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}}),
    )
    .await;
    assert_eq!(close_code(&mut ws).await, 4429);
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_completed_subscription_id_can_be_reused(_p: PgPoolOptions, c: PgConnectOptions) {
    let s = start(c, Options::default()).await;
    let mut ws = s.ws_as(&s.token(s.users.viewer)).await;
    let subscribe = json!({"id": "again", "type": "subscribe", "payload": {"query": FOLLOW}});
    send(&mut ws, subscribe.clone()).await;
    send(&mut ws, json!({"id": "again", "type": "complete"})).await;
    send(&mut ws, subscribe).await;
    send(&mut ws, json!({"type": "ping"})).await;
    assert_eq!(
        recv(&mut ws).await["type"],
        "pong",
        "still open: the id was free again"
    );
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_query_over_the_socket_answers_once_then_completes(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let mut ws = s.ws_as(&s.token(s.users.viewer)).await;
    send(
        &mut ws,
        json!({"id": "q", "type": "subscribe", "payload": {"query": "{ me { email } }"}}),
    )
    .await;
    let next = recv(&mut ws).await;
    assert_eq!(next["payload"]["data"]["me"]["email"], "viewer@example.com");
    assert_eq!(recv(&mut ws).await, json!({"type": "complete", "id": "q"}));
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_subscribe_that_fails_validation_gets_an_error_message_and_the_socket_stays_open(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let mut ws = s.ws_as(&s.token(s.users.viewer)).await;
    let refused = [
        (
            "unknown-field",
            "subscription { operationUpdated { id nope } }",
        ),
        (
            "bad-argument",
            "subscription { operationUpdated(id: 7, x: 1) { id } }",
        ),
        ("no-parse", "subscription { operationUpdated { id "),
    ];
    for (id, query) in refused {
        send(
            &mut ws,
            json!({"id": id, "type": "subscribe", "payload": {"query": query}}),
        )
        .await;
        let msg = recv(&mut ws).await;
        assert_eq!(msg["type"], "error", "{msg}");
        assert_eq!(msg["id"], id, "{msg}");
        let errors = msg["payload"].as_array().expect("payload is the errors");
        assert!(!errors.is_empty(), "{msg}");
        assert!(errors.iter().all(|e| e["message"].is_string()), "{msg}");
    }
    // No `complete` follows an `error`, the socket is open, and the ids are free again.
    send(&mut ws, json!({"type": "ping"})).await;
    assert_eq!(recv(&mut ws).await["type"], "pong");
    send(
        &mut ws,
        json!({"id": "unknown-field", "type": "subscribe", "payload": {"query": "{ me { email } }"}}),
    )
    .await;
    let next = recv(&mut ws).await;
    assert_eq!(next["type"], "next", "{next}");
    assert_eq!(next["payload"]["data"]["me"]["email"], "viewer@example.com");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_subscription_ends_when_its_token_expires(_p: PgPoolOptions, c: PgConnectOptions) {
    let s = start(
        c,
        Options {
            token_ttl: Duration::from_secs(2),
            ..Options::default()
        },
    )
    .await;
    let mut ws = s.ws_as(&s.token(s.users.viewer)).await;
    send(
        &mut ws,
        json!({"id": "1", "type": "subscribe", "payload": {"query": FOLLOW}}),
    )
    .await;
    assert_eq!(close_code(&mut ws).await, 4403);
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_message_over_the_size_limit_closes_with_1009_before_and_after_the_ack(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let token = s.token(s.users.viewer);
    // Before the ack, a few KiB: a token and little else.
    let mut ws = s.ws().await;
    send(
        &mut ws,
        json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}"), "padding": "x".repeat(8 * 1024)}}),
    )
    .await;
    assert_eq!(close_code(&mut ws).await, 1009);
    // After it, more, but not without end.
    let mut ws = s.ws_as(&token).await;
    let fits = "x".repeat(100 * 1024);
    send(&mut ws, json!({"type": "ping", "payload": {"fits": fits}})).await;
    assert_eq!(recv(&mut ws).await["payload"]["fits"], fits.as_str());
    send(
        &mut ws,
        json!({"type": "ping", "payload": {"big": "x".repeat(300 * 1024)}}),
    )
    .await;
    assert_eq!(close_code(&mut ws).await, 1009);
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_subscription_past_the_per_connection_cap_closes_with_1008(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(
        c,
        Options {
            ws_max_subscriptions: 2,
            ..Options::default()
        },
    )
    .await;
    let mut ws = s.ws_as(&s.token(s.users.viewer)).await;
    for id in ["1", "2"] {
        send(
            &mut ws,
            json!({"id": id, "type": "subscribe", "payload": {"query": FOLLOW}}),
        )
        .await;
    }
    send(&mut ws, json!({"type": "ping"})).await;
    assert_eq!(recv(&mut ws).await["type"], "pong");
    // A completed one frees its place.
    send(&mut ws, json!({"id": "2", "type": "complete"})).await;
    send(
        &mut ws,
        json!({"id": "3", "type": "subscribe", "payload": {"query": FOLLOW}}),
    )
    .await;
    send(&mut ws, json!({"type": "ping"})).await;
    assert_eq!(recv(&mut ws).await["type"], "pong");
    send(
        &mut ws,
        json!({"id": "4", "type": "subscribe", "payload": {"query": FOLLOW}}),
    )
    .await;
    assert_eq!(close_code(&mut ws).await, 1008);
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_connection_past_the_per_user_cap_closes_with_1013(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(
        c,
        Options {
            ws_max_connections_per_user: 2,
            ..Options::default()
        },
    )
    .await;
    let token = s.token(s.users.viewer);
    let init =
        json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}});
    let mut first = s.ws_as(&token).await;
    let _second = s.ws_as(&token).await;
    let mut third = s.ws().await;
    send(&mut third, init.clone()).await;
    assert_eq!(close_code(&mut third).await, 1013);
    // Other users are counted apart.
    let _other = s.ws_as(&s.token(s.users.operator)).await;
    // A closed connection gives its place back (once the server has seen it close).
    first.close(None).await.unwrap();
    while first.next().await.is_some() {}
    let mut again = s.ws().await;
    send(&mut again, init).await;
    assert_eq!(recv(&mut again).await["type"], "connection_ack");
}

/// Subscribe `ws` to [`FOLLOW`] as `id`, and wait until it listens: messages are handled in
/// order, so the pong to a later ping proves it.
async fn follow(ws: &mut common::Ws, id: &str) {
    send(
        ws,
        json!({"id": id, "type": "subscribe", "payload": {"query": FOLLOW}}),
    )
    .await;
    send(ws, json!({"type": "ping"})).await;
    assert_eq!(recv(ws).await["type"], "pong");
}

/// Start a system check in the caller's default project; its id.
async fn run_check(s: &common::Server, token: &str) -> serde_json::Value {
    let (_, body) = s
        .gql(Some(token), "mutation { runSystemCheck { id } }", json!({}))
        .await;
    let id = body["data"]["runSystemCheck"]["id"].clone();
    assert!(id.is_string(), "{body}");
    id
}

/// Start a system check in `project` as `token`'s user; its operation's id.
async fn run_check_in(s: &common::Server, token: &str, project: uuid::Uuid) -> serde_json::Value {
    let (_, body) = s
        .gql(
            Some(token),
            "mutation($p: ID) { runSystemCheck(projectId: $p) { id } }",
            json!({"p": project}),
        )
        .await;
    let id = body["data"]["runSystemCheck"]["id"].clone();
    assert!(id.is_string(), "{body}");
    id
}

/// Answers ready at the same moment go out together, a bounded number per write: more of
/// them than one write takes (80 subscriptions on one connection, each told of an operation
/// queued, running and done at once) all arrive, each subscription's in the order of events.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn more_answers_ready_at_once_than_one_write_takes_all_arrive_in_order(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    const SUBSCRIPTIONS: usize = 80;
    let s = start(
        c,
        Options {
            workers: true,
            ..Options::default()
        },
    )
    .await;
    let token = s.token(s.users.operator);
    let mut ws = s.ws_as(&token).await;
    for n in 0..SUBSCRIPTIONS {
        follow(&mut ws, &n.to_string()).await;
    }

    let id = run_check(&s, &token).await;
    let mut seen: Vec<Vec<String>> = vec![Vec::new(); SUBSCRIPTIONS];
    let mut done = 0;
    while done < SUBSCRIPTIONS {
        let msg = recv(&mut ws).await;
        assert_eq!(msg["type"], "next", "{msg}");
        let op = &msg["payload"]["data"]["operationUpdated"];
        assert_eq!(op["id"], id, "{msg}");
        let n: usize = msg["id"].as_str().unwrap().parse().unwrap();
        let status = op["status"].as_str().unwrap().to_owned();
        if status == "SUCCEEDED" {
            done += 1;
        }
        seen[n].push(status);
    }
    let rank = |status: &String| {
        ["QUEUED", "RUNNING", "SUCCEEDED"]
            .iter()
            .position(|s| s == status)
    };
    for (n, statuses) in seen.iter().enumerate() {
        assert_eq!(
            statuses.first().map(String::as_str),
            Some("QUEUED"),
            "{n}: {statuses:?}"
        );
        assert_eq!(
            statuses.last().map(String::as_str),
            Some("SUCCEEDED"),
            "{n}: {statuses:?}"
        );
        assert!(
            statuses.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])),
            "{n}: {statuses:?}"
        );
    }
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn subscribers_with_the_same_document_each_get_the_one_answer_under_their_own_id(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let token = s.token(s.users.operator);
    let mut first = s.ws_as(&token).await;
    let mut second = s.ws_as(&token).await;
    follow(&mut first, "a").await;
    // Ids that need escaping are spliced in as JSON, as the client sent them.
    follow(&mut first, "quote\"d").await;
    follow(&mut second, "b").await;

    let id = run_check(&s, &token).await;
    let mut payloads = Vec::new();
    let mut ids = Vec::new();
    for on_first in [true, true, false] {
        let ws = if on_first { &mut first } else { &mut second };
        let msg = recv(ws).await;
        assert_eq!(msg["type"], "next", "{msg}");
        assert_eq!(
            msg["payload"]["data"]["operationUpdated"]["id"], id,
            "{msg}"
        );
        ids.push(msg["id"].as_str().unwrap().to_owned());
        payloads.push(msg["payload"].clone());
    }
    // A connection's subscriptions answer in no set order.
    ids[..2].sort();
    assert_eq!(ids, ["a", "quote\"d", "b"]);
    assert!(payloads.windows(2).all(|w| w[0] == w[1]), "{payloads:?}");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_subscriber_with_the_same_document_never_sees_a_project_it_cannot_while_its_neighbour_does(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let mut viewer = s.ws_as(&s.token(s.users.viewer)).await;
    let mut outsider = s.ws_as(&s.token(s.users.outsider)).await;
    follow(&mut viewer, "1").await;
    follow(&mut outsider, "1").await;

    // One in the default project: the viewer sees it, the outsider must not.
    let ours = run_check(&s, &s.token(s.users.admin)).await;
    let msg = recv(&mut viewer).await;
    assert_eq!(
        msg["payload"]["data"]["operationUpdated"]["id"], ours,
        "{msg}"
    );
    // Then one in the outsider's project, which must be the first thing they receive.
    let theirs = run_check_in(&s, &s.token(s.users.outsider), s.users.other_project.0).await;
    let msg = recv(&mut outsider).await;
    assert_eq!(
        msg["payload"]["data"]["operationUpdated"]["id"], theirs,
        "{msg}"
    );
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_subscriber_leaving_does_not_end_the_subscriptions_it_shared(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let token = s.token(s.users.viewer);
    let mut staying = s.ws_as(&token).await;
    let mut completing = s.ws_as(&token).await;
    let mut closing = s.ws_as(&token).await;
    follow(&mut staying, "1").await;
    follow(&mut completing, "1").await;
    follow(&mut closing, "1").await;

    send(&mut completing, json!({"id": "1", "type": "complete"})).await;
    send(&mut completing, json!({"type": "ping"})).await;
    assert_eq!(recv(&mut completing).await["type"], "pong");
    closing.close(None).await.unwrap();
    // Read to its end: the server has seen the close.
    while closing.next().await.is_some() {}

    let id = run_check(&s, &s.token(s.users.admin)).await;
    let msg = recv(&mut staying).await;
    assert_eq!(msg["id"], "1", "{msg}");
    assert_eq!(
        msg["payload"]["data"]["operationUpdated"]["id"], id,
        "{msg}"
    );
    // The one that completed hears nothing more: the pong to a later ping comes first.
    send(&mut completing, json!({"type": "ping"})).await;
    assert_eq!(recv(&mut completing).await["type"], "pong");
}
