//! Instances on fleet servers, end to end through the real binary: real `sshd` processes on
//! loopback addresses stand in for servers registered through the API, and instances run on
//! them as real PostgreSQL processes deployed over SSH. A drain moves them by streaming
//! replication while a client writes.

mod common;

use std::net::Ipv4Addr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::fleet::{env, gql_ok, register, server_dir, server_root};
use common::{ADMIN_EMAIL, ADMIN_PASSWORD, PATIENCE, Toygres, scratch, serve};
use serde_json::{Value, json};
use sqlx::Connection as _;
use testkit::sshd::{ClientKey, Sshd};

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
    t.connection_string(token, id).await
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
    let alpha_dir = server_dir(root.path(), &sa).join("instances");
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

    // The SSH private key never reaches the log.
    let secret = key.private_text();
    let body_line = secret.lines().nth(2).expect("a key body line");
    assert!(
        !t.log_text().contains(body_line),
        "the SSH key leaked into the log"
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
    // Removing it cannot move them either: the removal fails saying why, and the server stays
    // draining (not failed), its instances running.
    let remove = gql_ok(
        &t,
        &token,
        "mutation($id: ID!) { removeServer(id: $id) { id } }",
        json!({"id": sb}),
    )
    .await["removeServer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let status = t.wait_operation(&token, &remove).await;
    assert_eq!(status["status"], "FAILED", "{status}");
    assert!(
        status["error"]
            .as_str()
            .unwrap()
            .contains("nothing was moved"),
        "{status}"
    );
    let beta = gql_ok(
        &t,
        &token,
        "query($id: ID!) { server(id: $id) { state instances { state } } }",
        json!({"id": sb}),
    )
    .await;
    assert_eq!(beta["server"]["state"], "DRAINING", "{beta}");
    assert_eq!(
        beta["server"]["instances"],
        json!([{"state": "RUNNING"}, {"state": "RUNNING"}])
    );
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
        let new_dir = server_dir(root.path(), &servers[to]);
        assert_eq!(
            common::postmasters_under(&new_dir).len(),
            1,
            "{step}: it runs on the new server"
        );
        let old_dir = server_dir(root.path(), &servers[from]).join("instances");
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

/// Server instances take no plain-text connection over the network: a client that checks the
/// certificate against the installation's CA (as the connection string says) gets TLS, one
/// asking for no TLS is refused by `pg_hba.conf`. A move's copy streams from the primary over
/// TLS: the primary's walsender for it runs in a TLS session (seen with the control plane
/// stopped mid-move, while the copy catches up), and after the move the new primary serves
/// TLS with a certificate naming its own server.
#[tokio::test]
async fn a_server_instance_refuses_connections_without_tls_and_a_move_replicates_over_tls() {
    let key = ClientKey::generate();
    let a = Sshd::start_on(Ipv4Addr::new(127, 0, 33, 1), Some(&key.public), None).await;
    let b = Sshd::start_on(Ipv4Addr::new(127, 0, 33, 2), Some(&key.public), None).await;
    let root = server_root();
    let dir = scratch();
    let base = env(&key, root.path());
    let t = serve(dir.path(), "setup", &common::borrowed(&base)).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let servers = [
        register(&t, &token, "alpha", &a, 4.0).await,
        register(&t, &token, "beta", &b, 4.0).await,
    ];
    let id = create_on(&t, &token, "sealed", Some(&servers[0])).await;
    let url = connection_string(&t, &token, &id).await;
    assert!(url.contains("sslmode=verify-full"), "{url}");
    let ssl = |url: String| async move {
        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
        let ssl: bool =
            sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                .fetch_one(&mut c)
                .await
                .unwrap();
        c.close().await.unwrap();
        ssl
    };
    assert!(ssl(url.clone()).await, "the session is TLS");
    let plain = format!("{}?sslmode=disable", url.split('?').next().unwrap());
    let refused = sqlx::PgConnection::connect(&plain)
        .await
        .expect_err("a connection without TLS is refused")
        .to_string();
    assert!(
        refused.contains("pg_hba.conf rejects connection") && refused.contains("no encryption"),
        "{refused}"
    );
    let inst = t.instance(&token, &id, "version port").await;
    let (major, port) = (
        inst["version"].as_i64().unwrap(),
        inst["port"].as_i64().unwrap(),
    );
    drop(t);

    // Stop the control plane once the copy streams, and look at the primary's walsender.
    let mut crashing = base.clone();
    crashing.push(("TOYGRES_FAILPOINT", "move_instance:catch_up".to_owned()));
    let mut t = serve(dir.path(), "crashing", &common::borrowed(&crashing)).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let op = gql_ok(
        &t,
        &token,
        "mutation($id: ID!, $s: ID) { moveInstance(id: $id, serverId: $s) { id } }",
        json!({"id": id, "s": servers[1]}),
    )
    .await["moveInstance"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!t.wait_exit().await.success(), "the failpoint crashed it");
    drop(t);
    let source = server_dir(root.path(), &servers[0])
        .join("instances")
        .join(format!("tg-{}", &id.replace('-', "")[20..]));
    let streaming = "SELECT coalesce(pg_catalog.bool_and(s.ssl)::text, 'none') \
                     FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid) \
                     WHERE r.application_name = 'toygres_copy'";
    let deadline = Instant::now() + PATIENCE;
    let mut seen = as_superuser(&source, major, port, streaming);
    while seen == "none" && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        seen = as_superuser(&source, major, port, streaming);
    }
    assert_eq!(seen, "true", "the copy streams over TLS");

    let t = serve(dir.path(), "restarted", &common::borrowed(&base)).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let status = t.wait_operation(&token, &op).await;
    assert_eq!(status["status"], "SUCCEEDED", "{status}");
    let url = connection_string(&t, &token, &id).await;
    assert!(url.contains("@127.0.33.2:"), "{url}");
    assert!(
        ssl(url).await,
        "the new primary serves TLS for its own address"
    );
    drop((a, b));
}

/// Benchmark (run by hand, see BENCHMARKS.md): move an instance holding 1 GB while a client
/// writes, and report the move's time, its measured write pause, and the client's longest gap;
/// then, in the same run, the peer approach (stop, copy the data directory, start on the other
/// server) for its downtime.
#[tokio::test]
#[ignore = "a benchmark: cargo test --test servers -- --ignored --nocapture"]
async fn benchmark_moving_an_instance_holding_one_gigabyte() {
    let key = ClientKey::generate();
    let a = Sshd::start_on(Ipv4Addr::new(127, 0, 39, 1), Some(&key.public), None).await;
    let b = Sshd::start_on(Ipv4Addr::new(127, 0, 39, 2), Some(&key.public), None).await;
    let root = server_root();
    let dir = scratch();
    let t = Arc::new(
        serve(
            dir.path(),
            "bench",
            &common::borrowed(&env(&key, root.path())),
        )
        .await,
    );
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let sa = register(&t, &token, "alpha", &a, 8.0).await;
    let sb = register(&t, &token, "beta", &b, 8.0).await;
    let id = create_on(&t, &token, "big", Some(&sa)).await;
    let url = connection_string(&t, &token, &id).await;
    let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
    let load = Instant::now();
    sqlx::query("CREATE TABLE filler AS SELECT g AS id, repeat(md5(g::text), 30) AS pad FROM generate_series(1, 1000000) g")
        .execute(&mut c)
        .await
        .unwrap();
    sqlx::query("CREATE TABLE rows (id bigint PRIMARY KEY)")
        .execute(&mut c)
        .await
        .unwrap();
    let size: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
        .fetch_one(&mut c)
        .await
        .unwrap();
    c.close().await.unwrap();
    eprintln!(
        "loaded {:.2} GB in {:.1} s",
        size as f64 / 1e9,
        load.elapsed().as_secs_f64()
    );

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Writes::default()));
    let writer = tokio::spawn(write_throughout(
        t.clone(),
        token.clone(),
        id.clone(),
        stop.clone(),
        seen.clone(),
    ));
    let until = Instant::now() + PATIENCE;
    while seen.lock().unwrap().committed.len() < 20 {
        assert!(Instant::now() < until);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let started = Instant::now();
    let op = gql_ok(
        &t,
        &token,
        "mutation($id: ID!, $s: ID) { moveInstance(id: $id, serverId: $s) { id } }",
        json!({"id": id, "s": sb}),
    )
    .await["moveInstance"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let deadline = Instant::now() + Duration::from_secs(1800);
    let status = loop {
        let (_, body) = t
            .gql(
                Some(&token),
                "query($id: ID!) { operation(id: $id) { status move { unavailableMs lagBytes } } }",
                json!({"id": op}),
            )
            .await;
        let o = body["data"]["operation"].clone();
        if ["SUCCEEDED", "FAILED"].contains(&o["status"].as_str().unwrap_or("")) {
            break o;
        }
        assert!(Instant::now() < deadline, "stuck: {o}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let took = started.elapsed();
    let before = seen.lock().unwrap().committed.len();
    while seen.lock().unwrap().committed.len() < before + 20 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.await.unwrap();
    assert_eq!(status["status"], "SUCCEEDED", "{status}");
    let writes = std::mem::take(&mut *seen.lock().unwrap());
    eprintln!(
        "streaming move: {:.1} s in all; measured write pause {:.0} ms; the client's longest gap {:.0} ms; {} writes committed during the run",
        took.as_secs_f64(),
        status["move"]["unavailableMs"].as_f64().unwrap(),
        writes.longest_gap.as_secs_f64() * 1000.0,
        writes.committed.len()
    );

    // The peer: stop, copy the data directory, start it on the other server.
    let pid = common::postmasters_under(root.path());
    assert_eq!(pid.len(), 1);
    let src = server_dir(root.path(), &sb).join("instances");
    let name = std::fs::read_dir(&src)
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let dst_dir = server_dir(root.path(), &sa).join("instances");
    std::fs::create_dir_all(&dst_dir).unwrap();
    let dst = dst_dir.join("peer-copy");
    let pg_ctl = providers::local::PgBinaries::installed()
        .last()
        .expect("PostgreSQL is installed")
        .bin_dir()
        .join("pg_ctl");
    let down = Instant::now();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid[0]),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    while std::path::Path::new(&format!("/proc/{}", pid[0])).exists()
        && !std::fs::read_to_string(format!("/proc/{}/stat", pid[0]))
            .unwrap_or_default()
            .contains(") Z")
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let stopped = down.elapsed();
    let ok = std::process::Command::new("cp")
        .arg("-a")
        .arg(&name)
        .arg(&dst)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let copied = down.elapsed();
    let _ = std::fs::remove_file(dst.join("postmaster.pid"));
    let ok = std::process::Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(&pg_ctl)
        .args(["-w", "-D"])
        .arg(&dst)
        .args(["-o", "-p 6999 -c listen_addresses=127.0.39.1", "-l"])
        .arg(dst.join("peer.log"))
        .arg("start")
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let downtime = down.elapsed();
    let _ = std::process::Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(&pg_ctl)
        .args(["-w", "-m", "fast", "-D"])
        .arg(&dst)
        .arg("stop")
        .status();
    eprintln!(
        "peer (stop, copy, start): downtime {:.1} s (stop {:.2} s, copy {:.1} s, start {:.2} s)",
        downtime.as_secs_f64(),
        stopped.as_secs_f64(),
        (copied - stopped).as_secs_f64(),
        (downtime - copied).as_secs_f64()
    );
    drop((a, b));
}

/// Poll the instance until `done` says yes about its state and health.
async fn wait_instance(t: &Toygres, token: &str, id: &str, done: impl Fn(&str, &str) -> bool) {
    let until = Instant::now() + PATIENCE;
    loop {
        let i = t.instance(token, id, "state health").await;
        let (s, h) = (
            i["state"].as_str().unwrap_or(""),
            i["health"].as_str().unwrap_or(""),
        );
        if done(s, h) {
            return;
        }
        assert!(Instant::now() < until, "instance stuck at {i}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A host without pgBackRest cannot back its instances up: its registration fails and says
/// what to install, and the server never becomes active.
#[tokio::test]
async fn a_host_without_pgbackrest_fails_registration_naming_what_to_install() {
    let key = ClientKey::generate();
    let bare =
        Sshd::start_lacking(Ipv4Addr::new(127, 0, 34, 1), &key.public, &["pgbackrest"]).await;
    let root = server_root();
    let dir = scratch();
    let t = serve(
        dir.path(),
        "bare",
        &common::borrowed(&env(&key, root.path())),
    )
    .await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let data = gql_ok(
        &t,
        &token,
        "mutation($i: RegisterServerInput!) { registerServer(input: $i) { server { id } operation { id } authorizedKey } }",
        json!({"i": {"name": "bare", "address": "127.0.34.1", "sshPort": bare.addr.port()}}),
    )
    .await;
    bare.authorize(data["registerServer"]["authorizedKey"].as_str().unwrap());
    let op = t
        .wait_operation(
            &token,
            data["registerServer"]["operation"]["id"].as_str().unwrap(),
        )
        .await;
    assert_eq!(op["status"], "FAILED", "{op}");
    let error = op["error"].as_str().unwrap();
    assert!(error.contains("no pgbackrest"), "{error}");
    assert!(error.contains("apt-get install pgbackrest"), "{error}");
    let server = gql_ok(
        &t,
        &token,
        "query($id: ID!) { server(id: $id) { state } }",
        json!({"id": data["registerServer"]["server"]["id"]}),
    )
    .await;
    assert_ne!(server["server"]["state"], "ACTIVE", "{server}");
}

#[tokio::test]
async fn an_instance_on_a_server_is_placed_checked_stopped_started_recovered_and_deleted() {
    let key = ClientKey::generate();
    let a = Sshd::start_on(Ipv4Addr::new(127, 0, 33, 1), Some(&key.public), None).await;
    let b = Sshd::start_on(Ipv4Addr::new(127, 0, 33, 2), Some(&key.public), None).await;
    let root = server_root();
    let dir = scratch();
    let t = serve(
        dir.path(),
        "lifecycle",
        &common::borrowed(&env(&key, root.path())),
    )
    .await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Bad registrations record nothing.
    for (input, code) in [
        (
            json!({"name": "x", "address": "not-an-ip"}),
            "INVALID_INPUT",
        ),
        (
            json!({"name": "Bad_Name", "address": "127.0.33.1"}),
            "INVALID_INPUT",
        ),
        (
            json!({"name": "x", "address": "127.0.33.1", "sshUser": "a;b"}),
            "INVALID_INPUT",
        ),
        (
            json!({"name": "x", "address": "127.0.33.1", "memoryGb": 0}),
            "INVALID_INPUT",
        ),
    ] {
        let (_, body) = t
            .gql(Some(&token), "mutation($i: RegisterServerInput!) { registerServer(input: $i) { server { id } } }", json!({"i": input}))
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], code,
            "{input}: {body}"
        );
    }
    let listed = gql_ok(&t, &token, "{ servers { nodes { id } } }", json!({})).await;
    assert_eq!(listed["servers"]["nodes"], json!([]), "nothing recorded");

    let sa = register(&t, &token, "small", &a, 2.0).await;
    let sb = register(&t, &token, "large", &b, 6.0).await;
    // The same host twice is refused.
    let (_, body) = t
        .gql(
            Some(&token),
            "mutation($i: RegisterServerInput!) { registerServer(input: $i) { server { id } } }",
            json!({"i": {"name": "again", "address": "127.0.33.1", "sshPort": a.addr.port()}}),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "CONFLICT",
        "{body}"
    );

    // The versions offered on servers are the ones the active servers have.
    let offered = gql_ok(
        &t,
        &token,
        "{ versions(provider: SERVER) instanceProviders }",
        json!({}),
    )
    .await;
    let installed = providers::local::PgBinaries::installed()
        .last()
        .unwrap()
        .major();
    assert_eq!(offered["versions"], json!([installed]), "{offered}");
    assert!(
        offered["instanceProviders"]
            .as_array()
            .unwrap()
            .contains(&json!("SERVER"))
    );

    // Without a server named, the one with the most free memory takes it.
    let id = create_on(&t, &token, "placed", None).await;
    let inst = t.instance(&token, &id, "server { id } host port").await;
    assert_eq!(inst["server"]["id"], sb.as_str(), "{inst}");
    assert_eq!(inst["host"], "127.0.33.2");
    wait_instance(&t, &token, &id, |s, h| s == "RUNNING" && h == "HEALTHY").await;
    // A server it cannot go to is refused, with the reason, and nothing is made.
    let (_, body) = t
        .gql(
            Some(&token),
            "mutation($i: CreateInstanceInput!) { createInstance(input: $i) { instance { id } } }",
            json!({"i": {"name": "huge", "provider": "SERVER", "serverId": sa, "plan": "large"}}),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "INVALID_INPUT",
        "{body}"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("memory free"),
        "{body}"
    );

    let server_dir = server_dir(root.path(), &sb);
    for (mutation, state) in [
        ("stopInstance", "STOPPED"),
        ("startInstance", "RUNNING"),
        ("restartInstance", "RUNNING"),
    ] {
        let op = t.instance_op(&token, mutation, &id).await;
        assert_eq!(
            t.wait_operation(&token, &op).await["status"],
            "SUCCEEDED",
            "{mutation}"
        );
        wait_instance(&t, &token, &id, |s, _| s == state).await;
        let running = common::postmasters_under(&server_dir).len();
        assert_eq!(running, usize::from(state == "RUNNING"), "{mutation}");
    }
    wait_instance(&t, &token, &id, |_, h| h == "HEALTHY").await;

    // Killed behind our back: unhealthy, then restarted over SSH by the health sweep.
    let pids = common::postmasters_under(&server_dir);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pids[0]),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    wait_instance(&t, &token, &id, |_, h| h == "UNHEALTHY").await;
    wait_instance(&t, &token, &id, |s, h| s == "RUNNING" && h == "HEALTHY").await;
    let url = connection_string(&t, &token, &id).await;
    let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(one, 1);
    c.close().await.unwrap();

    let op = t.instance_op(&token, "deleteInstance", &id).await;
    assert_eq!(t.wait_operation(&token, &op).await["status"], "SUCCEEDED");
    assert!(common::postmasters_under(&server_dir).is_empty());
    let left: Vec<_> = std::fs::read_dir(server_dir.join("instances"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
    drop((a, b));
}

/// A move that cannot go on before its promotion is undone: the old primary serves as before,
/// the new copy is removed, the move says why, and the instance is not marked failed.
#[tokio::test]
async fn a_move_that_gives_up_before_its_promotion_is_rolled_back_and_the_instance_serves_on() {
    let key = ClientKey::generate();
    let a = Sshd::start_on(Ipv4Addr::new(127, 0, 34, 1), Some(&key.public), None).await;
    let b = Sshd::start_on(Ipv4Addr::new(127, 0, 34, 2), Some(&key.public), None).await;
    let root = server_root();
    let dir = scratch();
    let mut base = env(&key, root.path());
    base.push(("TOYGRES_WORKER_HEARTBEAT_SECS", "1".to_owned()));
    base.push(("TOYGRES_WORKER_MISSED_HEARTBEATS", "1".to_owned()));
    let mut crashing = base.clone();
    crashing.push(("TOYGRES_FAILPOINT", "move_instance:start_copy".to_owned()));
    let mut t = serve(dir.path(), "crashing", &common::borrowed(&crashing)).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let sa = register(&t, &token, "alpha", &a, 4.0).await;
    let sb = register(&t, &token, "beta", &b, 4.0).await;
    let id = create_on(&t, &token, "kept", Some(&sa)).await;
    let url = connection_string(&t, &token, &id).await;
    let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query("CREATE TABLE rows AS SELECT generate_series(1, 100) AS id")
        .execute(&mut c)
        .await
        .unwrap();
    c.close().await.unwrap();
    let op = gql_ok(
        &t,
        &token,
        "mutation($id: ID!, $s: ID) { moveInstance(id: $id, serverId: $s) { id } }",
        json!({"id": id, "s": sb}),
    )
    .await["moveInstance"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!t.wait_exit().await.success(), "the failpoint crashed it");
    drop(t);

    // While the control plane is down, the new copy's data is lost.
    let copies = server_dir(root.path(), &sb).join("instances");
    for entry in std::fs::read_dir(&copies).unwrap().flatten() {
        std::fs::remove_dir_all(entry.path()).unwrap();
    }

    let t = serve(dir.path(), "restarted", &common::borrowed(&base)).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let status = t.wait_operation(&token, &op).await;
    assert_eq!(status["status"], "FAILED", "{status}");
    let after = gql_ok(
        &t,
        &token,
        "query($op: ID!, $i: ID!) { operation(id: $op) { move { phase error } } instance(id: $i) { state server { id } } }",
        json!({"op": op, "i": id}),
    )
    .await;
    assert_eq!(
        after["operation"]["move"]["phase"], "ROLLED_BACK",
        "{after}"
    );
    assert!(after["operation"]["move"]["error"].as_str().is_some());
    assert_eq!(after["instance"]["state"], "RUNNING", "not failed: {after}");
    assert_eq!(after["instance"]["server"]["id"], sa.as_str());
    assert_eq!(
        common::postmasters_under(root.path()).len(),
        1,
        "only the old primary runs"
    );
    let url = connection_string(&t, &token, &id).await;
    let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM rows")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(n, 100);
    sqlx::query("INSERT INTO rows VALUES (101)")
        .execute(&mut c)
        .await
        .unwrap();
    c.close().await.unwrap();
    drop((a, b));
}

/// Every catalog function the control plane's SQL inside an instance calls, by name.
const CALLED_FUNCTIONS: &[&str] = &[
    "array_position",
    "clock_timestamp",
    "convert_from",
    "count",
    "current_setting",
    "decode",
    "format",
    "format_type",
    "now",
    "pg_current_wal_insert_lsn",
    "pg_current_wal_lsn",
    "pg_get_expr",
    "pg_get_indexdef",
    "pg_get_userbyid",
    "pg_is_in_recovery",
    "pg_last_wal_replay_lsn",
    "pg_promote",
    "pg_reload_conf",
    "pg_sleep",
    "pg_switch_wal",
    "pg_total_relation_size",
    "pg_walfile_name",
    "quote_ident",
    "row_to_json",
    "set_config",
    "txid_current",
];

/// What a shadowing function writes to the server log and raises when it runs.
const TRAP: &str = "toygres-shadow-trap";

/// SQL that plants, in `schema`, a function for every overload of each of
/// [`CALLED_FUNCTIONS`] and for numeric, text and other loose variants of each: each one
/// logs a warning and raises. (`unknown`-typed arguments cannot be declared outside C.)
fn plant_traps(schema: &str) -> String {
    let names = CALLED_FUNCTIONS
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "DO $do$ DECLARE f record; BEGIN
           FOR f IN
             SELECT p.proname::text AS name, pg_catalog.pg_get_function_identity_arguments(p.oid) AS args
               FROM pg_catalog.pg_proc p
              WHERE p.pronamespace = 'pg_catalog'::pg_catalog.regnamespace AND p.proname::text = ANY (ARRAY[{names}])
             UNION
             SELECT n, v FROM pg_catalog.unnest(ARRAY[{names}]) n,
               pg_catalog.unnest(ARRAY['', 'numeric', 'text', 'double precision', 'text, text',
                 'text, text, text', 'text, text, boolean', 'text, numeric', 'oid', 'oid, integer']) v
           LOOP
             BEGIN
               EXECUTE pg_catalog.format(
                 'CREATE FUNCTION %I.%I(%s) RETURNS text LANGUAGE plpgsql AS %L',
                 '{schema}', f.name, f.args,
                 pg_catalog.format('BEGIN RAISE WARNING %L; RAISE EXCEPTION %L; END',
                   '{TRAP} ' || f.name || '(' || f.args || ')',
                   '{TRAP} ' || f.name || '(' || f.args || ')'));
             EXCEPTION WHEN others THEN NULL;
             END;
           END LOOP;
         END $do$"
    )
}

/// Run `sql` as the superuser of the instance whose socket is in `socket_dir`, as the
/// control plane's own psql does, and return what it printed.
fn as_superuser(socket_dir: &Path, major: i64, port: i64, sql: &str) -> String {
    let out = std::process::Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(format!("/usr/lib/postgresql/{major}/bin/psql"))
        .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h"])
        .arg(socket_dir)
        .args([
            "-p",
            &port.to_string(),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-c",
            sql,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Every `server.log` under `dir`, concatenated.
fn server_logs(dir: &Path) -> String {
    let mut text = String::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return text;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            text.push_str(&server_logs(&path));
        } else if path.file_name().is_some_and(|n| n == "server.log") {
            text.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
        }
    }
    text
}

/// A tenant who puts functions named like the catalog's before the catalog (in its own
/// database, through `ALTER DATABASE … SET search_path`, and in the `postgres` database's
/// `public` schema, writable as on PostgreSQL 14 and older) cannot make the control plane
/// run them: not in a move, a restart, a health check or a database-browser read.
#[tokio::test]
async fn a_tenants_shadowing_functions_never_run_in_the_control_planes_sessions() {
    let key = ClientKey::generate();
    let a = Sshd::start_on(Ipv4Addr::new(127, 0, 36, 1), Some(&key.public), None).await;
    let b = Sshd::start_on(Ipv4Addr::new(127, 0, 36, 2), Some(&key.public), None).await;
    let root = server_root();
    let dir = scratch();
    let t = serve(
        dir.path(),
        "shadowing",
        &common::borrowed(&env(&key, root.path())),
    )
    .await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let sa = register(&t, &token, "alpha", &a, 4.0).await;
    let sb = register(&t, &token, "beta", &b, 4.0).await;
    let id = create_on(&t, &token, "shadowed", Some(&sa)).await;
    let inst = t
        .instance(&token, &id, "version port username database")
        .await;
    let (major, port) = (
        inst["version"].as_i64().unwrap(),
        inst["port"].as_i64().unwrap(),
    );
    let (user, database) = (
        inst["username"].as_str().unwrap().to_owned(),
        inst["database"].as_str().unwrap().to_owned(),
    );
    let socket = server_dir(root.path(), &sa)
        .join("instances")
        .join(format!("tg-{}", &id.replace('-', "")[20..]));

    // New instances give no one but the owner CREATE on `public` in `postgres`.
    let acl = as_superuser(
        &socket,
        major,
        port,
        "SELECT nspacl::text FROM pg_namespace WHERE nspname = 'public'",
    );
    assert!(
        !acl.trim_matches(['{', '}'])
            .split(',')
            .any(|e| e.starts_with('=') && e.split('/').next().unwrap().contains('C')),
        "PUBLIC may create in public: {acl}"
    );
    // As PostgreSQL 14 and older grant it, for the attack on the superuser's own sessions.
    as_superuser(
        &socket,
        major,
        port,
        "GRANT CREATE ON SCHEMA public TO PUBLIC",
    );

    let url = connection_string(&t, &token, &id).await;
    let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
    for sql in [
        "CREATE TABLE items (id int PRIMARY KEY, note text)".to_owned(),
        "INSERT INTO items VALUES (1, 'one'), (2, 'two')".to_owned(),
        "CREATE SCHEMA trap".to_owned(),
        plant_traps("trap"),
        format!("ALTER DATABASE \"{database}\" SET search_path = trap, pg_catalog, public"),
        format!("ALTER ROLE \"{user}\" SET search_path = trap, pg_catalog, public"),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut c)
            .await
            .unwrap();
    }
    c.close().await.unwrap();
    // The query (TLS settings) may hold slashes of its own: the database is before it.
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let (base, tail) = path.rsplit_once('/').unwrap();
    assert_eq!(tail, database, "{url}");
    let postgres_db = format!("{base}/postgres?{query}");
    let mut c = sqlx::PgConnection::connect(&postgres_db).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(plant_traps("public")))
        .execute(&mut c)
        .await
        .unwrap();
    let planted: i64 = sqlx::query_scalar(
        "SELECT pg_catalog.count(*) FROM pg_catalog.pg_proc WHERE pronamespace = 'public'::pg_catalog.regnamespace",
    )
    .fetch_one(&mut c)
    .await
    .unwrap();
    assert!(planted > 50, "only {planted} traps planted");
    c.close().await.unwrap();
    // The traps work: a session that takes the tenant's search_path runs them.
    let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
    let sprung = sqlx::query("SELECT pg_sleep(0.01)").execute(&mut c).await;
    assert!(
        sprung.unwrap_err().to_string().contains(TRAP),
        "the tenant's pg_sleep runs for the tenant"
    );
    c.close().await.unwrap();
    let traps_in = |server: &str| {
        server_logs(&server_dir(root.path(), server))
            .lines()
            .filter(|l| l.contains(TRAP))
            .count()
    };
    let probed = traps_in(&sa);
    assert!(probed > 0, "the trap's warning is logged");

    // A move: a copy streams, the source stops, the copy is promoted.
    let op = gql_ok(
        &t,
        &token,
        "mutation($id: ID!, $s: ID) { moveInstance(id: $id, serverId: $s) { id } }",
        json!({"id": id, "s": sb}),
    )
    .await["moveInstance"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let status = t.wait_operation(&token, &op).await;
    assert_eq!(status["status"], "SUCCEEDED", "{status}");
    let moved = t.instance(&token, &id, "server { id }").await;
    assert_eq!(moved["server"]["id"], sb.as_str(), "{moved}");

    // A restart.
    let op = t.instance_op(&token, "restartInstance", &id).await;
    let status = t.wait_operation(&token, &op).await;
    assert_eq!(status["status"], "SUCCEEDED", "{status}");

    // A health check of the sweep, after the restart's own.
    let before = t
        .instance(&token, &id, "healthChecks(last: 1) { checkedAt }")
        .await["healthChecks"][0]["checkedAt"]
        .clone();
    let deadline = Instant::now() + PATIENCE;
    loop {
        let now = t
            .instance(
                &token,
                &id,
                "healthChecks(last: 1) { checkedAt healthy error }",
            )
            .await["healthChecks"][0]
            .clone();
        if now["checkedAt"] != before {
            assert_eq!(now["healthy"], true, "{now}");
            break;
        }
        assert!(Instant::now() < deadline, "no health check since {before}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Database-browser reads: the catalog and a page of rows.
    let read = gql_ok(
        &t,
        &token,
        "query($id: ID!) { instance(id: $id) { tables { schema name sizeBytes columns { name dataType } indexes { definition } } rows(table: \"items\", first: 1) { rows nextCursor } } }",
        json!({"id": id}),
    )
    .await;
    let tables = read["instance"]["tables"].as_array().unwrap();
    assert!(tables.iter().any(|tb| tb["name"] == "items"), "{read}");
    assert_eq!(
        read["instance"]["rows"]["rows"],
        json!([[1, "one"]]),
        "{read}"
    );
    let cursor = read["instance"]["rows"]["nextCursor"].as_str().unwrap();
    let next = gql_ok(
        &t,
        &token,
        "query($id: ID!, $after: String) { instance(id: $id) { rows(table: \"items\", first: 1, after: $after) { rows } } }",
        json!({"id": id, "after": cursor}),
    )
    .await;
    assert_eq!(
        next["instance"]["rows"]["rows"],
        json!([[2, "two"]]),
        "{next}"
    );

    assert!(
        !server_logs(&server_dir(root.path(), &sb)).is_empty(),
        "the copy logs to server.log"
    );
    assert_eq!(traps_in(&sb), 0, "the tenant's functions ran on the copy");
    assert!(
        traps_in(&sa) <= probed,
        "the tenant's functions ran on the source"
    );
    drop((a, b));
}

/// The base64 lines of an OpenSSH private key file: what must never appear anywhere else.
fn private_key_lines(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"),
        "{text:.40}"
    );
    let lines: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::to_owned)
        .collect();
    assert!(!lines.is_empty());
    lines
}

/// Registering a host gives it a key of its own: a host that trusts only the installation's
/// key is never logged in to (the registration waits, saying which key to add, and the
/// server stays `BOOTSTRAPPING`); once its owner authorises the returned key it becomes
/// active. The private key is in no API answer, error or log line.
#[tokio::test]
async fn a_registered_host_is_reached_only_with_its_own_key_once_its_owner_authorises_it() {
    let key = ClientKey::generate();
    // The host trusts the installation's key alone, as every host did before.
    let host = Sshd::start_on(Ipv4Addr::new(127, 0, 35, 1), Some(&key.public), None).await;
    let root = server_root();
    let dir = scratch();
    let t = serve(
        dir.path(),
        "keys",
        &common::borrowed(&env(&key, root.path())),
    )
    .await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut answers = vec![];

    let data = gql_ok(
        &t,
        &token,
        "mutation($i: RegisterServerInput!) { registerServer(input: $i) { server { id state sshPublicKey } operation { id } authorizedKey } }",
        json!({"i": {"name": "own-key", "address": "127.0.35.1", "sshPort": host.addr.port()}}),
    )
    .await;
    answers.push(data.to_string());
    let payload = &data["registerServer"];
    let id = payload["server"]["id"].as_str().unwrap().to_owned();
    let op = payload["operation"]["id"].as_str().unwrap().to_owned();
    let own = payload["authorizedKey"].as_str().unwrap().to_owned();
    assert!(own.starts_with("ssh-ed25519 "), "{own}");
    assert!(own.ends_with(" toygres-own-key"), "{own}");
    assert_eq!(payload["server"]["sshPublicKey"], own.as_str());
    assert_ne!(own, key.public, "a key of the server's own");

    // Refused: the operation says so, with the key to add, and keeps waiting.
    let deadline = Instant::now() + PATIENCE;
    let waiting = loop {
        let (_, body) = t
            .gql(
                Some(&token),
                "query($id: ID!) { operation(id: $id) { status error step } }",
                json!({"id": op}),
            )
            .await;
        answers.push(body.to_string());
        let op = body["data"]["operation"].clone();
        assert!(
            ["QUEUED", "RUNNING"].contains(&op["status"].as_str().unwrap()),
            "the installation's key got in, or the registration gave up: {op}"
        );
        if op["error"]
            .as_str()
            .is_some_and(|e| e.contains("waiting for the key"))
        {
            break op;
        }
        assert!(
            Instant::now() < deadline,
            "no word of the refused key: {op}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let error = waiting["error"].as_str().unwrap();
    assert!(error.contains("refused the server's SSH key"), "{error}");
    assert!(error.contains("authorized_keys"), "{error}");
    assert!(error.contains(&own), "{error}");
    assert_eq!(waiting["step"], "first_contact");
    let server = gql_ok(
        &t,
        &token,
        "query($id: ID!) { server(id: $id) { state sshHostKey sshPublicKey } }",
        json!({"id": id}),
    )
    .await;
    answers.push(server.to_string());
    assert_eq!(server["server"]["state"], "BOOTSTRAPPING", "{server}");
    assert!(server["server"]["sshHostKey"].is_null(), "never logged in");

    // The owner authorises the key: the same operation finishes and the server is active.
    host.authorize(&own);
    let done = t.wait_operation(&token, &op).await;
    answers.push(done.to_string());
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert!(done["error"].is_null(), "{done}");
    let server = gql_ok(
        &t,
        &token,
        "query($id: ID!) { server(id: $id) { state sshHostKey events(first: 20) { edges { node { kind message } } } operations { kind status error } } }",
        json!({"id": id}),
    )
    .await;
    answers.push(server.to_string());
    assert_eq!(server["server"]["state"], "ACTIVE", "{server}");

    // The private key exists only sealed in the database and in the file ssh reads.
    let file = dir.path().join("data/ssh/keys").join(id.replace('-', ""));
    let secret = private_key_lines(&file);
    let log = t.log_text();
    for line in &secret {
        assert!(
            !log.contains(line.as_str()),
            "the private key leaked into the log"
        );
        for answer in &answers {
            assert!(
                !answer.contains(line.as_str()),
                "the private key leaked: {answer}"
            );
        }
    }
    assert!(!log.contains("PRIVATE KEY"));
    assert!(answers.iter().all(|a| !a.contains("PRIVATE KEY")));
}

/// No project can register an address another server already has, however it is written
/// (`::ffff:a.b.c.d` is `a.b.c.d`) and on whatever SSH port; once the server there is
/// removed (and its key deleted), the host may be registered again.
#[tokio::test]
async fn another_project_cannot_register_an_address_that_a_server_already_has() {
    let key = ClientKey::generate();
    let host = Sshd::start_on(Ipv4Addr::new(127, 0, 35, 2), Some(&key.public), None).await;
    let root = server_root();
    let dir = scratch();
    let t = serve(
        dir.path(),
        "conflict",
        &common::borrowed(&env(&key, root.path())),
    )
    .await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let first = register(&t, &token, "tenant-a", &host, 1.0).await;

    let project = gql_ok(
        &t,
        &token,
        "mutation { createProject(name: \"tenant-b\") { id } }",
        json!({}),
    )
    .await["createProject"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    const REGISTER: &str = "mutation($i: RegisterServerInput!) { registerServer(input: $i) { server { id } authorizedKey } }";
    for (address, port) in [
        ("127.0.35.2", host.addr.port()),
        ("::ffff:127.0.35.2", host.addr.port()),
        ("::FFFF:7f00:2302", host.addr.port()),
        ("127.0.35.2", 2222),
    ] {
        let (_, body) = t
            .gql(
                Some(&token),
                REGISTER,
                json!({"i": {"name": "taken", "address": address, "sshPort": port, "projectId": project}}),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "CONFLICT",
            "{address}:{port}: {body}"
        );
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("127.0.35.2"), "{message}");
        assert!(
            !message.contains("tenant-a"),
            "another project's server is not named: {message}"
        );
    }
    let listed = gql_ok(
        &t,
        &token,
        "query($p: ID!) { servers(filter: {projectId: $p}) { nodes { id } } }",
        json!({"p": project}),
    )
    .await;
    assert_eq!(listed["servers"]["nodes"], json!([]), "nothing recorded");

    // Removed, the host is free again.
    let removed = gql_ok(
        &t,
        &token,
        "mutation($id: ID!) { removeServer(id: $id) { id } }",
        json!({"id": first}),
    )
    .await;
    let op = t
        .wait_operation(&token, removed["removeServer"]["id"].as_str().unwrap())
        .await;
    assert_eq!(op["status"], "SUCCEEDED", "{op}");
    let key_file = dir
        .path()
        .join("data/ssh/keys")
        .join(first.replace('-', ""));
    assert!(!key_file.exists(), "a removed server's key is deleted");
    let again = gql_ok(
        &t,
        &token,
        REGISTER,
        json!({"i": {"name": "tenant-b-host", "address": "::ffff:127.0.35.2", "sshPort": host.addr.port(), "projectId": project}}),
    )
    .await;
    let key_b = again["registerServer"]["authorizedKey"].as_str().unwrap();
    assert!(key_b.starts_with("ssh-ed25519 "), "{again}");
}

/// The status and error of operation `id`, once it has finished, waiting up to `patience`.
async fn finished_within(t: &Toygres, token: &str, id: &str, patience: Duration) -> Value {
    let until = Instant::now() + patience;
    loop {
        let op = gql_ok(
            t,
            token,
            "query($id: ID!) { operation(id: $id) { status error } }",
            json!({"id": id}),
        )
        .await;
        let op = op["operation"].clone();
        if op["status"] == "SUCCEEDED" || op["status"] == "FAILED" {
            return op;
        }
        assert!(Instant::now() < until, "operation stuck: {op}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A server whose commands hang fails the step that asked, with the reason, and holds up
/// neither the workers nor the health sweep, which meanwhile restarts a local instance that
/// died; a server whose commands print without end fails its step too.
#[tokio::test]
async fn a_server_that_hangs_or_floods_fails_its_operations_and_holds_up_nothing_else() {
    use testkit::sshd::Behaviour;
    let key = ClientKey::generate();
    let host = Sshd::start_unruly(Ipv4Addr::new(127, 0, 37, 1), &key.public).await;
    let root = server_root();
    let dir = scratch();
    let mut vars = env(&key, root.path());
    vars.extend([
        ("TOYGRES_COMMAND_TIMEOUT_SECS", "10".to_owned()),
        ("TOYGRES_HEALTH_HOST_TIMEOUT_SECS", "2".to_owned()),
        ("TOYGRES_COMMAND_MAX_OUTPUT_BYTES", "65536".to_owned()),
        ("TOYGRES_RETRY_BASE_MS", "100".to_owned()),
    ]);
    let t = serve(dir.path(), "unruly", &common::borrowed(&vars)).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let server = register(&t, &token, "unruly", &host, 4.0).await;
    let remote = create_on(&t, &token, "remote", Some(&server)).await;
    let data = gql_ok(
        &t,
        &token,
        "mutation { createInstance(input: {name: \"here\", provider: LOCAL}) { instance { id } operation { id } } }",
        json!({}),
    )
    .await;
    let op = data["createInstance"]["operation"]["id"].as_str().unwrap();
    assert_eq!(t.wait_operation(&token, op).await["status"], "SUCCEEDED");
    let local = data["createInstance"]["instance"]["id"].as_str().unwrap();
    wait_instance(&t, &token, &remote, |s, h| s == "RUNNING" && h == "HEALTHY").await;
    wait_instance(&t, &token, local, |s, h| s == "RUNNING" && h == "HEALTHY").await;

    // The server hangs, and both instances' servers die.
    host.behave(Behaviour::Hang);
    let kill = |pids: Vec<i32>| {
        for pid in pids {
            nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            )
            .unwrap();
        }
    };
    kill(common::postmasters_under(&server_dir(root.path(), &server)));
    wait_instance(&t, &token, &remote, |_, h| h == "UNHEALTHY").await;
    let stop = t.instance_op(&token, "stopInstance", &remote).await;
    // The sweep asks the hung server in vain, and goes on: the local instance, killed after
    // the sweep found the remote one dead, is restarted all the same.
    kill(common::postmasters_under(
        &dir.path().join("data/instances"),
    ));
    wait_instance(&t, &token, local, |_, h| h == "UNHEALTHY").await;
    wait_instance(&t, &token, local, |s, h| s == "RUNNING" && h == "HEALTHY").await;
    // The stop fails once its tries have met the deadline, saying so.
    let op = finished_within(&t, &token, &stop, Duration::from_secs(180)).await;
    assert_eq!(op["status"], "FAILED", "{op}");
    let error = op["error"].as_str().unwrap();
    assert!(error.contains("did not finish within 10 s"), "{error}");
    assert!(error.contains("127.0.37.1"), "{error}");

    // A server that floods fails at once.
    host.behave(Behaviour::Flood);
    let data = gql_ok(
        &t,
        &token,
        "mutation($i: CreateInstanceInput!) { createInstance(input: $i) { operation { id } } }",
        json!({"i": {"name": "flooded", "provider": "SERVER", "serverId": server, "storageGb": 1}}),
    )
    .await;
    let op = data["createInstance"]["operation"]["id"].as_str().unwrap();
    let op = finished_within(&t, &token, op, PATIENCE).await;
    assert_eq!(op["status"], "FAILED", "{op}");
    let error = op["error"].as_str().unwrap();
    assert!(error.contains("printed more than 65536 bytes"), "{error}");
    drop(host);
}
