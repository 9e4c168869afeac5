//! Fleet servers for tests: real `sshd` processes on loopback addresses registered through
//! the API, and the directory their instances live in.

use std::path::Path;

use serde_json::{Value, json};
use testkit::sshd::{ClientKey, Sshd};

use super::Toygres;

/// A directory `postgres` may write to, standing in for `/var/lib/toygres` on the servers.
pub fn server_root() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("tg-srv-")
        .tempdir_in("/tmp")
        .unwrap();
    let ok = std::process::Command::new("chown")
        .arg("postgres:postgres")
        .arg(dir.path())
        .status()
        .unwrap()
        .success();
    assert!(ok);
    dir
}

/// Where a server's instances live under the servers' root (its id's first 12 hex digits).
pub fn server_dir(root: &Path, server: &str) -> std::path::PathBuf {
    root.join(&server.replace('-', "")[..12])
}

pub fn env(key: &ClientKey, root: &Path) -> Vec<(&'static str, String)> {
    vec![
        (
            "TOYGRES_SSH_PRIVATE_KEY_FILE",
            key.private.display().to_string(),
        ),
        ("TOYGRES_SERVER_ROOT", root.display().to_string()),
        // The test hosts are sshd processes on loopback addresses.
        ("TOYGRES_ALLOW_PRIVATE_SERVER_ADDRESSES", "true".to_owned()),
        ("TOYGRES_FLEET_POLL_MS", "100".to_owned()),
        ("TOYGRES_HEALTH_INTERVAL_SECS", "1".to_owned()),
    ]
}

pub async fn gql_ok(t: &Toygres, token: &str, query: &str, vars: Value) -> Value {
    let (_, body) = t.gql(Some(token), query, vars).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"].clone()
}

/// Register `sshd` as server `name`, authorise the key it was given there (as its owner
/// would), and wait until it is active.
pub async fn register(t: &Toygres, token: &str, name: &str, sshd: &Sshd, memory_gb: f64) -> String {
    let data = gql_ok(
        t,
        token,
        "mutation($i: RegisterServerInput!) { registerServer(input: $i) { server { id state } operation { id } authorizedKey } }",
        json!({"i": {
            "name": name,
            "address": sshd.addr.ip().to_string(),
            "sshPort": sshd.addr.port(),
            "sshUser": "root",
            "memoryGb": memory_gb,
            "diskGb": 100,
        }}),
    )
    .await;
    let payload = &data["registerServer"];
    assert_eq!(payload["server"]["state"], "BOOTSTRAPPING");
    sshd.authorize(payload["authorizedKey"].as_str().unwrap());
    let op = t
        .wait_operation(token, payload["operation"]["id"].as_str().unwrap())
        .await;
    assert_eq!(op["status"], "SUCCEEDED", "{op}");
    let id = payload["server"]["id"].as_str().unwrap().to_owned();
    let server = gql_ok(
        t,
        token,
        "query($id: ID!) { server(id: $id) { state sshHostKey pgVersions memoryGb } }",
        json!({"id": id}),
    )
    .await;
    assert_eq!(server["server"]["state"], "ACTIVE", "{server}");
    assert!(
        server["server"]["sshHostKey"]
            .as_str()
            .unwrap()
            .starts_with("ssh-ed25519 "),
        "{server}"
    );
    id
}
