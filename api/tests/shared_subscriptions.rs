//! Subscriptions that share one stream, as `/metrics` counts them. One test alone in this
//! file: the gauges are the process's, and tests in one file run in one process.

mod common;

use std::time::Duration;

use common::{Options, PATIENCE, recv, send, start};
use futures::StreamExt as _;
use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

const FOLLOW: &str = "subscription { operationUpdated { id status } }";

/// The open subscriptions and the streams running for them, as `/metrics` says.
async fn gauges(s: &common::Server) -> (i64, i64) {
    let text = reqwest::get(format!("http://{}/metrics", s.addr))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let gauge = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {text}"))
    };
    (
        gauge("toygres_graphql_active_subscriptions"),
        gauge("toygres_graphql_subscription_streams"),
    )
}

/// Wait until `/metrics` counts `subscriptions` open and `streams` running.
async fn wait_gauges(s: &common::Server, subscriptions: i64, streams: i64) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let now = gauges(s).await;
        if now == (subscriptions, streams) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "(subscriptions, streams) stayed {now:?}, not {:?}",
            (subscriptions, streams)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn follow(ws: &mut common::Ws, id: &str, query: &str) {
    send(
        ws,
        json!({"id": id, "type": "subscribe", "payload": {"query": query}}),
    )
    .await;
    send(ws, json!({"type": "ping"})).await;
    assert_eq!(recv(ws).await["type"], "pong");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn subscriptions_of_one_caller_and_document_share_one_stream_that_ends_with_the_last(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    wait_gauges(&s, 0, 0).await;
    let operator = s.token(s.users.operator);
    let mut first = s.ws_as(&operator).await;
    let mut second = s.ws_as(&operator).await;
    follow(&mut first, "1", FOLLOW).await;
    follow(&mut second, "1", FOLLOW).await;
    follow(&mut second, "2", FOLLOW).await;
    wait_gauges(&s, 3, 1).await;

    // Another caller, another document, other variables: each a stream of its own.
    let mut viewer = s.ws_as(&s.token(s.users.viewer)).await;
    follow(&mut viewer, "1", FOLLOW).await;
    wait_gauges(&s, 4, 2).await;
    follow(&mut first, "2", "subscription { operationUpdated { id } }").await;
    wait_gauges(&s, 5, 3).await;
    let with_id = "subscription($id: ID) { operationUpdated(id: $id) { id status } }";
    for (id, op) in [
        ("3", "00000000-0000-0000-0000-000000000001"),
        ("4", "00000000-0000-0000-0000-000000000002"),
    ] {
        send(
            &mut first,
            json!({"id": id, "type": "subscribe", "payload": {"query": with_id, "variables": {"id": op}}}),
        )
        .await;
    }
    wait_gauges(&s, 7, 5).await;
    for id in ["2", "3", "4"] {
        send(&mut first, json!({"id": id, "type": "complete"})).await;
    }
    wait_gauges(&s, 4, 2).await;

    // Members leave one by one; the shared stream runs until the last has gone.
    drop(viewer);
    wait_gauges(&s, 3, 1).await;
    send(&mut second, json!({"id": "2", "type": "complete"})).await;
    wait_gauges(&s, 2, 1).await;
    first.close(None).await.unwrap();
    while first.next().await.is_some() {}
    wait_gauges(&s, 1, 1).await;
    let (_, body) = s
        .gql(
            Some(&operator),
            "mutation { runSystemCheck { id } }",
            json!({}),
        )
        .await;
    let msg = recv(&mut second).await;
    assert_eq!(
        msg["payload"]["data"]["operationUpdated"]["id"], body["data"]["runSystemCheck"]["id"],
        "{msg}"
    );
    drop(second);
    wait_gauges(&s, 0, 0).await;
}
