//! Cluster health on the embedded default: this host's real CPU and memory, live.

mod common;

use common::{ADMIN_EMAIL, ADMIN_PASSWORD, recv, scratch, send, serve};
use serde_json::json;

#[tokio::test]
async fn the_cluster_is_this_host_and_its_samples_arrive_live() {
    let dir = scratch();
    let t = serve(
        dir.path(),
        "serve",
        &[("TOYGRES_METRICS_INTERVAL_SECS", "1")],
    )
    .await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut ws = t.ws_as(&token).await;
    send(
        &mut ws,
        json!({"id": "h", "type": "subscribe", "payload": {"query": "subscription { clusterHealthUpdated { cpuPercent memoryPercent sampledAt source available } }"}}),
    )
    .await;
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let msg = recv(&mut ws).await;
        let h = msg["payload"]["data"]["clusterHealthUpdated"].clone();
        assert_eq!(h["source"], "host", "{msg}");
        assert_eq!(h["available"], true);
        let cpu = h["cpuPercent"].as_f64().unwrap();
        let memory = h["memoryPercent"].as_f64().unwrap();
        assert!(
            (0.0..=100.0).contains(&cpu) && memory > 0.0 && memory < 100.0,
            "{h}"
        );
        seen.push(h["sampledAt"].as_str().unwrap().to_owned());
    }
    assert_ne!(seen[0], seen[1], "each push is a new sample");

    let (_, body) = t
        .gql(Some(&token), "{ clusterHealth { cpuPercent memoryPercent sampledAt source available message instances { state count } } }", json!({}))
        .await;
    let h = &body["data"]["clusterHealth"];
    assert_eq!(h["available"], true, "{body}");
    assert_eq!(h["message"], serde_json::Value::Null);
    let from = (chrono::Utc::now() - chrono::Duration::minutes(5)).to_rfc3339();
    let to = chrono::Utc::now().to_rfc3339();
    let (_, body) = t
        .gql(
            Some(&token),
            "query($f: DateTime!, $t: DateTime!) { serverMetrics(from: $f, to: $t, step: 1) { at cpuPercent memoryPercent } }",
            json!({"f": from, "t": to}),
        )
        .await;
    let points = body["data"]["serverMetrics"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    assert!(points.len() >= 2, "{body}");
}
