//! Instances on fleet servers, end to end through the real binary: real `sshd` processes on
//! loopback addresses stand in for servers registered through the API, and instances run on
//! them as real PostgreSQL processes deployed over SSH. A drain moves them by streaming
//! replication while a client writes.

mod common;

use std::net::Ipv4Addr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{ADMIN_EMAIL, ADMIN_PASSWORD, PATIENCE, Toygres, scratch, serve};
use jobs::testing::{ClientKey, Sshd};
use serde_json::{Value, json};
use sqlx::Connection as _;

/// A directory `postgres` may write to, standing in for `/var/lib/toygres` on the servers.
fn server_root() -> tempfile::TempDir {
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

fn env(key: &ClientKey, root: &Path) -> Vec<(&'static str, String)> {
    vec![
        (
            "TOYGRES_SSH_PRIVATE_KEY_FILE",
            key.private.display().to_string(),
        ),
        ("TOYGRES_SERVER_ROOT", root.display().to_string()),
        ("TOYGRES_FLEET_POLL_MS", "100".to_owned()),
        ("TOYGRES_HEALTH_INTERVAL_SECS", "1".to_owned()),
    ]
}

async fn gql_ok(t: &Toygres, token: &str, query: &str, vars: Value) -> Value {
    let (_, body) = t.gql(Some(token), query, vars).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"].clone()
}

/// Register `sshd` as server `name` and wait until it is active.
async fn register(t: &Toygres, token: &str, name: &str, sshd: &Sshd, memory_gb: f64) -> String {
    let data = gql_ok(
        t,
        token,
        "mutation($i: RegisterServerInput!) { registerServer(input: $i) { server { id state } operation { id } } }",
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

/// Create a SERVER instance (on `server` if given) and wait until it runs.
async fn create_on(t: &Toygres, token: &str, name: &str, server: Option<&str>) -> String {
    let data = gql_ok(
        t,
        token,
        "mutation($i: CreateInstanceInput!) { createInstance(input: $i) { instance { id } operation { id } } }",
        json!({"i": {"name": name, "provider": "SERVER", "serverId": server, "storageGb": 1}}),
    )
    .await;
    let op = t
        .wait_operation(
            token,
            data["createInstance"]["operation"]["id"].as_str().unwrap(),
        )
        .await;
    assert_eq!(op["status"], "SUCCEEDED", "{op}");
    data["createInstance"]["instance"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn connection_string(t: &Toygres, token: &str, id: &str) -> String {
    t.instance(token, id, "connectionString").await["connectionString"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// What a client that writes throughout saw: the ids it committed, and its longest gap
/// between two commits.
#[derive(Default)]
struct Writes {
    committed: Vec<i64>,
    longest_gap: Duration,
}

/// Insert rows one by one until `stop`, reconnecting through the API's current connection
/// string whenever a write fails.
async fn write_throughout(
    t: Arc<Toygres>,
    token: String,
    id: String,
    stop: Arc<std::sync::atomic::AtomicBool>,
    seen: Arc<Mutex<Writes>>,
) {
    let mut next = 1_000_000i64;
    let mut conn: Option<sqlx::PgConnection> = None;
    let mut last_commit = Instant::now();
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        if conn.is_none() {
            let url = connection_string(&t, &token, &id).await;
            conn = sqlx::PgConnection::connect(&url).await.ok();
            if conn.is_none() {
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            }
        }
        let c = conn.as_mut().unwrap();
        match sqlx::query("INSERT INTO rows (id) VALUES ($1)")
            .bind(next)
            .execute(&mut *c)
            .await
        {
            Ok(_) => {
                let now = Instant::now();
                let mut s = seen.lock().unwrap();
                s.committed.push(next);
                s.longest_gap = s.longest_gap.max(now - last_commit);
                last_commit = now;
                next += 1;
            }
            Err(_) => {
                // The row may or may not have committed: it is not counted, and the next try
                // uses a new id.
                next += 1;
                conn = None;
            }
        }
    }
}

/// The drain's operation, its moves, and their phases, once it is final.
async fn finished_drain(t: &Toygres, token: &str, op: &str) -> Value {
    let status = t.wait_operation(token, op).await;
    assert_eq!(status["status"], "SUCCEEDED", "{status}");
    gql_ok(
        t,
        token,
        "query($id: ID!) { operation(id: $id) { status moves { position phase unavailableMs lagBytes instance { name } target { name } operation { status steps { step } } } } }",
        json!({"id": op}),
    )
    .await["operation"]
        .clone()
}

#[tokio::test]
async fn a_drain_moves_every_instance_to_another_server_and_a_writing_client_loses_nothing() {
    let key = ClientKey::generate();
    let a = Sshd::start_on(Ipv4Addr::new(127, 0, 31, 1), Some(&key.public), None).await;
    let b = Sshd::start_on(Ipv4Addr::new(127, 0, 31, 2), Some(&key.public), None).await;
    let root = server_root();
    let dir = scratch();
    let t = Arc::new(
        serve(
            dir.path(),
            "servers",
            &common::borrowed(&env(&key, root.path())),
        )
        .await,
    );
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let sa = register(&t, &token, "alpha", &a, 4.0).await;
    let sb = register(&t, &token, "beta", &b, 4.0).await;

    // Two instances on alpha, with rows.
    let one = create_on(&t, &token, "one", Some(&sa)).await;
    let two = create_on(&t, &token, "two", Some(&sa)).await;
    for id in [&one, &two] {
        let inst = t.instance(&token, id, "host server { name }").await;
        assert_eq!(inst["host"], "127.0.31.1", "{inst}");
        assert_eq!(inst["server"]["name"], "alpha");
        let url = connection_string(&t, &token, id).await;
        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query("CREATE TABLE rows (id bigint PRIMARY KEY)")
            .execute(&mut c)
            .await
            .unwrap();
        sqlx::query("INSERT INTO rows SELECT generate_series(1, 5000)")
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
    }

    // The preview says what would move where, in order, and changes nothing.
    let preview = gql_ok(
        &t,
        &token,
        "mutation($id: ID!) { drainServer(id: $id, dryRun: true) { dryRun operation { id } plan { blocked moves { position instanceName targetServerName } } } }",
        json!({"id": sa}),
    )
    .await["drainServer"]
        .clone();
    assert_eq!(preview["dryRun"], true);
    assert!(preview["operation"].is_null());
    assert!(preview["plan"]["blocked"].is_null(), "{preview}");
    let moves = preview["plan"]["moves"].as_array().unwrap();
    assert_eq!(moves.len(), 2, "{preview}");
    assert_eq!(moves[0]["position"], 1);
    assert!(moves.iter().all(|m| m["targetServerName"] == "beta"));
    let state = gql_ok(
        &t,
        &token,
        "query($id: ID!) { server(id: $id) { state } }",
        json!({"id": sa}),
    )
    .await;
    assert_eq!(
        state["server"]["state"], "ACTIVE",
        "a preview changes nothing"
    );

    // A client writes to `one` throughout the drain.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Writes::default()));
    let writer = tokio::spawn(write_throughout(
        t.clone(),
        token.clone(),
        one.clone(),
        stop.clone(),
        seen.clone(),
    ));
    // Let it commit some rows before the drain starts.
    let until = Instant::now() + PATIENCE;
    while seen.lock().unwrap().committed.len() < 50 {
        assert!(Instant::now() < until, "the writer never committed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let drain = gql_ok(
        &t,
        &token,
        "mutation($id: ID!) { drainServer(id: $id) { operation { id } } }",
        json!({"id": sa}),
    )
    .await["drainServer"]["operation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let done = finished_drain(&t, &token, &drain).await;
    // Writes after the move land on the new primary too.
    let after = seen.lock().unwrap().committed.len();
    let until = Instant::now() + PATIENCE;
    while seen.lock().unwrap().committed.len() < after + 50 {
        assert!(
            Instant::now() < until,
            "the writer stopped committing after the move"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.await.unwrap();

    let moves = done["moves"].as_array().unwrap();
    assert_eq!(moves.len(), 2, "{done}");
    let mut windows = Vec::new();
    for m in moves {
        assert_eq!(m["phase"], "DONE", "{done}");
        assert_eq!(m["target"]["name"], "beta");
        assert_eq!(m["operation"]["status"], "SUCCEEDED");
        windows.push(m["unavailableMs"].as_f64().expect("the window is measured"));
    }

    // Every committed row is on the new server, and the old one holds nothing.
    let writes = std::mem::take(&mut *seen.lock().unwrap());
    for id in [&one, &two] {
        let inst = t.instance(&token, id, "state host server { name }").await;
        assert_eq!(inst["state"], "RUNNING");
        assert_eq!(inst["host"], "127.0.31.2", "{inst}");
        assert_eq!(inst["server"]["name"], "beta");
    }
    let url = connection_string(&t, &token, &one).await;
    let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
    let base: i64 = sqlx::query_scalar("SELECT count(*) FROM rows WHERE id <= 5000")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(base, 5000);
    let present: Vec<i64> = sqlx::query_scalar("SELECT id FROM rows WHERE id > 5000")
        .fetch_all(&mut c)
        .await
        .unwrap();
    let present: std::collections::HashSet<i64> = present.into_iter().collect();
    let lost: Vec<&i64> = writes
        .committed
        .iter()
        .filter(|i| !present.contains(i))
        .collect();
    assert!(lost.is_empty(), "committed writes lost: {lost:?}");
    c.close().await.unwrap();
    let servers = gql_ok(
        &t,
        &token,
        "query($a: ID!, $b: ID!) { a: server(id: $a) { state instances { name } } b: server(id: $b) { instances { name } } }",
        json!({"a": sa, "b": sb}),
    )
    .await;
    assert_eq!(servers["a"]["instances"], json!([]), "{servers}");
    assert_eq!(servers["b"]["instances"].as_array().unwrap().len(), 2);
    assert_eq!(servers["a"]["state"], "DRAINING");
    let alpha_dir = root
        .path()
        .join(&sa.replace('-', "")[..12])
        .join("instances");
    let left: Vec<_> = std::fs::read_dir(&alpha_dir)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "alpha still holds {left:?}");

    // The client saw writes unavailable for about the measured window: its longest gap
    // includes its own reconnect through the API, so it may exceed the window by that.
    let window = windows.iter().copied().fold(0.0, f64::max);
    let gap = writes.longest_gap.as_secs_f64() * 1000.0;
    eprintln!("measured windows {windows:?} ms; the client's longest gap {gap:.0} ms");
    assert!(
        gap <= window + 1000.0,
        "client gap {gap} ms, measured window {window} ms"
    );

    // Draining beta now has nowhere to go: refused before anything moves, saying why.
    let (_, body) = t
        .gql(
            Some(&token),
            "mutation($id: ID!) { drainServer(id: $id) { operation { id } } }",
            json!({"id": sb}),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "CONFLICT",
        "{body}"
    );
    let msg = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("nothing was moved") && msg.contains("alpha is draining"),
        "{msg}"
    );
    let plan = gql_ok(
        &t,
        &token,
        "mutation($id: ID!) { drainServer(id: $id, dryRun: true) { plan { blocked moves { position } } } }",
        json!({"id": sb}),
    )
    .await;
    assert!(
        plan["drainServer"]["plan"]["blocked"].as_str().is_some(),
        "{plan}"
    );
    let beta = gql_ok(
        &t,
        &token,
        "query($id: ID!) { server(id: $id) { state instances { state } } }",
        json!({"id": sb}),
    )
    .await;
    assert_eq!(beta["server"]["state"], "ACTIVE", "{beta}");
    drop((a, b));
}

/// Kill the control plane right after a move records each of its critical steps (the copy
/// started, the old primary stopped and the copy about to be promoted, the connection string
/// switched); the restarted one finishes the move: the instance serves from the new server,
/// with every row, from exactly one postmaster that is a primary.
#[tokio::test]
async fn a_control_plane_killed_mid_move_finishes_it_after_a_restart_with_one_primary() {
    let key = ClientKey::generate();
    let a = Sshd::start_on(Ipv4Addr::new(127, 0, 32, 1), Some(&key.public), None).await;
    let b = Sshd::start_on(Ipv4Addr::new(127, 0, 32, 2), Some(&key.public), None).await;
    let root = server_root();
    let dir = scratch();
    let mut base = env(&key, root.path());
    base.push(("TOYGRES_WORKER_HEARTBEAT_SECS", "1".to_owned()));
    base.push(("TOYGRES_WORKER_MISSED_HEARTBEATS", "1".to_owned()));
    let t = serve(dir.path(), "setup", &common::borrowed(&base)).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let servers = [
        register(&t, &token, "alpha", &a, 4.0).await,
        register(&t, &token, "beta", &b, 4.0).await,
    ];
    let id = create_on(&t, &token, "mover", Some(&servers[0])).await;
    let url = connection_string(&t, &token, &id).await;
    let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query("CREATE TABLE rows AS SELECT generate_series(1, 10000) AS id")
        .execute(&mut c)
        .await
        .unwrap();
    c.close().await.unwrap();
    drop(t);

    for (round, step) in ["start_copy", "promote", "clean_up"]
        .into_iter()
        .enumerate()
    {
        // Back and forth: alpha → beta, beta → alpha, alpha → beta.
        let (from, to) = (round % 2, (round + 1) % 2);
        let mut crashing = base.clone();
        crashing.push(("TOYGRES_FAILPOINT", format!("move_instance:{step}")));
        let mut t = serve(dir.path(), "crashing", &common::borrowed(&crashing)).await;
        let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let op = gql_ok(
            &t,
            &token,
            "mutation($id: ID!, $s: ID) { moveInstance(id: $id, serverId: $s) { id } }",
            json!({"id": id, "s": servers[to]}),
        )
        .await["moveInstance"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            !t.wait_exit().await.success(),
            "{step}: the failpoint crashed it"
        );
        drop(t);

        let t = serve(dir.path(), "restarted", &common::borrowed(&base)).await;
        let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let status = t.wait_operation(&token, &op).await;
        assert_eq!(status["status"], "SUCCEEDED", "{step}: {status}");
        let moved = gql_ok(
            &t,
            &token,
            "query($id: ID!) { operation(id: $id) { move { phase unavailableMs } } instance(id: $i) { state server { id } } }"
                .replace("$id: ID!)", "$id: ID!, $i: ID!)")
                .as_str(),
            json!({"id": op, "i": id}),
        )
        .await;
        assert_eq!(
            moved["operation"]["move"]["phase"], "DONE",
            "{step}: {moved}"
        );
        assert_eq!(moved["instance"]["state"], "RUNNING");
        assert_eq!(
            moved["instance"]["server"]["id"],
            servers[to].as_str(),
            "{step}"
        );
        // Exactly one postmaster serves it, on the new server, and it takes writes.
        let pids = common::postmasters_under(root.path());
        assert_eq!(pids.len(), 1, "{step}: postmasters {pids:?}");
        let new_dir = root.path().join(&servers[to].replace('-', "")[..12]);
        assert_eq!(
            common::postmasters_under(&new_dir).len(),
            1,
            "{step}: it runs on the new server"
        );
        let old_dir = root
            .path()
            .join(&servers[from].replace('-', "")[..12])
            .join("instances");
        let left: Vec<_> = std::fs::read_dir(&old_dir)
            .map(|d| d.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(left.is_empty(), "{step}: the old copy is gone: {left:?}");
        let url = connection_string(&t, &token, &id).await;
        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
        let (n, standby): (i64, bool) =
            sqlx::query_as("SELECT (SELECT count(*) FROM rows), pg_is_in_recovery()")
                .fetch_one(&mut c)
                .await
                .unwrap();
        assert_eq!((n, standby), (10000, false), "{step}");
        sqlx::query("INSERT INTO rows VALUES (0)")
            .execute(&mut c)
            .await
            .unwrap();
        sqlx::query("DELETE FROM rows WHERE id = 0")
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
    }
    drop((a, b));
}
