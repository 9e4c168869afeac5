//! Postgres instances on the local provider, end to end through the public API: create and
//! watch live, connect, stop, start, delete; crashes of the control plane mid-create; an
//! instance killed behind the control plane's back.

mod common;

use std::path::Path;

use common::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Toygres, follow_instance, postmasters_under, scratch, serve,
    subscribe_instances,
};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use sqlx::Connection as _;

/// Checks every second, so that health changes show within a test's patience.
const FAST_HEALTH: (&str, &str) = ("TOYGRES_HEALTH_INTERVAL_SECS", "1");

async fn connect_and_query(connection_string: &str) -> Result<i32, sqlx::Error> {
    let mut conn = sqlx::PgConnection::connect(connection_string).await?;
    let n: i32 = sqlx::query_scalar("SELECT 40 + 2")
        .fetch_one(&mut conn)
        .await?;
    conn.close().await?;
    Ok(n)
}

fn instance_dirs(data: &Path) -> Vec<String> {
    std::fs::read_dir(data.join("instances"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A local instance serves TLS with a certificate of the installation's CA: `psql` with the
/// connection string (`sslmode=verify-full`) and the CA from `certificateAuthority { pem }`
/// connects over TLS; with another installation's CA it refuses the certificate.
#[tokio::test]
async fn psql_connects_to_a_local_instance_over_tls_verified_against_the_ca() {
    let dir = scratch();
    let t = serve(dir.path(), "serve", &[]).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (id, op) = t.create_instance(&token, "sealed").await;
    let op = t.wait_operation(&token, &op).await;
    assert_eq!(op["status"], "SUCCEEDED", "{op}");
    let cs = t.connection_string(&token, &id).await;
    assert!(cs.contains("?sslmode=verify-full&sslrootcert="), "{cs}");
    let psql = |cs: &str| {
        let bins = providers::local::PgBinaries::discover(None).unwrap();
        std::process::Command::new(bins.bin_dir().join("psql"))
            .arg(cs)
            .args(["-X", "-A", "-t", "-c"])
            .arg("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .env_clear()
            .output()
            .unwrap()
    };
    let out = psql(&cs);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "t");

    let stranger = dir.path().join("stranger-ca.crt");
    let other = jobs::tls::Authority::ephemeral().unwrap();
    std::fs::write(&stranger, other.pem()).unwrap();
    let at = cs.find("sslrootcert=").unwrap();
    let out = psql(&format!("{}sslrootcert={}", &cs[..at], stranger.display()));
    assert!(!out.status.success(), "another CA's certificate is refused");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("certificate verify failed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Instance servers, the embedded metadata server and what they run start with a clean
/// environment: nothing of the control plane's (tokens, keys, `DATABASE_URL`) reaches them.
#[tokio::test]
async fn instance_processes_inherit_nothing_of_the_control_planes_environment() {
    let dir = scratch();
    let canary = "env-canary-5ecret-value";
    let t = serve(
        dir.path(),
        "serve",
        &[
            ("TOYGRES_TELEMETRY_TOKEN", canary),
            ("TOYGRES_SOMETHING_PRIVATE", canary),
        ],
    )
    .await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (_, op) = t.create_instance(&token, "clean").await;
    assert_eq!(t.wait_operation(&token, &op).await["status"], "SUCCEEDED");
    let postmasters = postmasters_under(dir.path());
    assert!(
        postmasters.len() >= 2,
        "the metadata server and the instance: {postmasters:?}"
    );
    let ours = std::fs::read(format!("/proc/{}/environ", t.pid())).unwrap();
    assert!(
        String::from_utf8_lossy(&ours).contains(canary),
        "the control plane has it"
    );
    for pid in postmasters {
        let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
        let env = String::from_utf8_lossy(&env);
        assert!(
            !env.contains(canary),
            "postmaster {pid} inherited the canary"
        );
        assert!(!env.contains("TOYGRES_"), "postmaster {pid}: {env}");
    }
}

/// The sweep checks once an hour here, so only the workflows' own check can know.
#[tokio::test]
async fn an_instance_is_healthy_when_its_create_and_its_restart_succeed() {
    let dir = scratch();
    let t = serve(
        dir.path(),
        "serve",
        &[("TOYGRES_HEALTH_INTERVAL_SECS", "3600")],
    )
    .await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (id, op) = t.create_instance(&token, "checked").await;
    assert_eq!(t.wait_operation(&token, &op).await["status"], "SUCCEEDED");
    let now = t.instance(&token, &id, "state health").await;
    assert_eq!(now["state"], "RUNNING", "{now}");
    assert_eq!(now["health"], "HEALTHY", "{now}");
    let op = t.instance_op(&token, "restartInstance", &id).await;
    assert_eq!(t.wait_operation(&token, &op).await["status"], "SUCCEEDED");
    assert_eq!(t.instance(&token, &id, "health").await["health"], "HEALTHY");
    let op = t.instance_op(&token, "deleteInstance", &id).await;
    assert_eq!(t.wait_operation(&token, &op).await["status"], "SUCCEEDED");
}

#[tokio::test]
async fn an_instance_is_created_watched_connected_to_stopped_started_restarted_and_deleted() {
    let dir = scratch();
    let t = serve(dir.path(), "serve", &[FAST_HEALTH]).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut ws = t.ws_as(&token).await;
    subscribe_instances(&mut ws).await;

    let (id, _) = t.create_instance(&token, "orders").await;
    let seen = follow_instance(&mut ws, &id, |s, h| s == "RUNNING" && h == "HEALTHY").await;
    assert_eq!(seen[0].0, "CREATING", "{seen:?}");
    assert!(seen.iter().any(|(s, _)| s == "RUNNING"), "{seen:?}");

    let cs = t.connection_string(&token, &id).await;
    assert!(cs.starts_with("postgresql://app:"), "{cs}");
    assert_eq!(connect_and_query(&cs).await.unwrap(), 42);
    let wrong = cs.replacen("postgresql://app:", "postgresql://app:x", 1);
    assert!(
        connect_and_query(&wrong).await.is_err(),
        "a wrong password is refused (scram, not trust)"
    );

    t.instance_op(&token, "stopInstance", &id).await;
    follow_instance(&mut ws, &id, |s, _| s == "STOPPED").await;
    assert!(
        connect_and_query(&cs).await.is_err(),
        "a stopped instance refuses connections"
    );

    t.instance_op(&token, "startInstance", &id).await;
    follow_instance(&mut ws, &id, |s, h| s == "RUNNING" && h == "HEALTHY").await;
    assert_eq!(
        connect_and_query(&cs).await.unwrap(),
        42,
        "the same data directory, the same role"
    );

    t.instance_op(&token, "restartInstance", &id).await;
    let seen = follow_instance(&mut ws, &id, |s, h| s == "RUNNING" && h == "HEALTHY").await;
    assert!(seen.iter().any(|(s, _)| s == "STOPPING"), "{seen:?}");
    assert_eq!(connect_and_query(&cs).await.unwrap(), 42);

    t.instance_op(&token, "deleteInstance", &id).await;
    follow_instance(&mut ws, &id, |s, _| s == "DELETED").await;
    assert_eq!(t.instance(&token, &id, "state").await["state"], "DELETED");
    assert!(
        instance_dirs(&dir.path().join("data")).is_empty(),
        "its data directory is gone"
    );
    assert!(postmasters_under(&dir.path().join("data/instances")).is_empty());
    assert!(connect_and_query(&cs).await.is_err());
}

/// Kill the control plane right after each create step is recorded (a crash injected at a
/// named point, so that every step is covered, not only the one a timer happens to hit);
/// the restarted control plane finishes the create with one server and nothing left over.
#[tokio::test]
async fn a_control_plane_killed_at_any_step_of_a_create_finishes_it_after_a_restart() {
    for step in [
        "prepare_data_dir",
        "start_server",
        "create_role",
        "mark_running",
    ] {
        let dir = scratch();
        let failpoint = format!("create_instance:{step}");
        let quick_takeover = [
            ("TOYGRES_WORKER_HEARTBEAT_SECS", "1"),
            ("TOYGRES_WORKER_MISSED_HEARTBEATS", "1"),
            FAST_HEALTH,
        ];
        let mut crashing: Vec<(&str, &str)> = quick_takeover.to_vec();
        crashing.push(("TOYGRES_FAILPOINT", &failpoint));
        let mut t = serve(dir.path(), "crashing", &crashing).await;
        let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let (id, op) = t.create_instance(&token, "crashy").await;
        let status = t.wait_exit().await;
        assert!(
            !status.success(),
            "the failpoint at {step} crashed the process"
        );
        drop(t);

        let t = serve(dir.path(), "restarted", &quick_takeover).await;
        let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        wait_until_running_and_healthy(&t, &token, &id).await;
        // The last step marks the instance running; its delivery's acknowledgement, which
        // marks the operation succeeded, commits just after.
        let done = t.wait_operation(&token, &op).await;
        assert_eq!(done["status"], "SUCCEEDED", "{step}: {done}");
        assert_eq!(done["attempts"], 2, "{step}: the crashed try counted");
        let data = dir.path().join("data");
        assert_eq!(
            postmasters_under(&data.join("instances")).len(),
            1,
            "{step}: exactly one server"
        );
        assert_eq!(
            instance_dirs(&data).len(),
            1,
            "{step}: no stray copy: {:?}",
            instance_dirs(&data)
        );
        let cs = t.connection_string(&token, &id).await;
        assert_eq!(connect_and_query(&cs).await.unwrap(), 42, "{step}");
    }
}

/// The same with a plain SIGKILL at an arbitrary moment of the create.
#[tokio::test]
async fn a_control_plane_killed_mid_create_finishes_it_after_a_restart() {
    let dir = scratch();
    let quick = [
        ("TOYGRES_WORKER_HEARTBEAT_SECS", "1"),
        ("TOYGRES_WORKER_MISSED_HEARTBEATS", "1"),
        FAST_HEALTH,
    ];
    let t = serve(dir.path(), "killed", &quick).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut ws = t.ws_as(&token).await;
    subscribe_instances(&mut ws).await;
    let (id, _) = t.create_instance(&token, "killed").await;
    t.signal(Signal::SIGKILL);
    drop(t);
    drop(ws);

    let t = serve(dir.path(), "restarted", &quick).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    wait_until_running_and_healthy(&t, &token, &id).await;
    assert_eq!(
        postmasters_under(&dir.path().join("data/instances")).len(),
        1
    );
    assert_eq!(instance_dirs(&dir.path().join("data")).len(), 1);
}

async fn wait_until_running_and_healthy(t: &Toygres, token: &str, id: &str) {
    let mut ws = t.ws_as(token).await;
    subscribe_instances(&mut ws).await;
    let now = t.instance(token, id, "state health").await;
    if !(now["state"] == "RUNNING" && now["health"] == "HEALTHY") {
        let follow = follow_instance(&mut ws, id, |s, h| s == "RUNNING" && h == "HEALTHY");
        if tokio::time::timeout(common::PATIENCE / 2, follow)
            .await
            .is_err()
        {
            panic!(
                "not running and healthy in time: {}\n{}",
                t.instance(
                    token,
                    id,
                    "state health operations { kind status step attempts error }"
                )
                .await,
                t.log_text()
            );
        }
    }
}

#[tokio::test]
async fn an_instance_killed_behind_our_back_goes_unhealthy_and_comes_back() {
    let dir = scratch();
    let t = serve(dir.path(), "serve", &[FAST_HEALTH]).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut ws = t.ws_as(&token).await;
    subscribe_instances(&mut ws).await;
    let (id, _) = t.create_instance(&token, "fragile").await;
    follow_instance(&mut ws, &id, |s, h| s == "RUNNING" && h == "HEALTHY").await;

    let pids = postmasters_under(&dir.path().join("data/instances"));
    assert_eq!(pids.len(), 1);
    kill(Pid::from_raw(pids[0]), Signal::SIGKILL).unwrap();
    let seen = follow_instance(&mut ws, &id, |_, h| h == "UNHEALTHY").await;
    assert_eq!(seen.last().unwrap().0, "RUNNING");
    follow_instance(&mut ws, &id, |s, h| s == "RUNNING" && h == "HEALTHY").await;

    let (_, body) = t
        .gql(
            Some(&token),
            "query($id: ID!) { instance(id: $id) { operations { id kind } } }",
            serde_json::json!({"id": id}),
        )
        .await;
    // The newest recover (a scheduled backup may have started beside it).
    let recover = body["data"]["instance"]["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] != "backup_instance")
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(recover["kind"], "recover_instance", "{body}");
    // Health can be seen before the operation records its own end.
    let op = t
        .wait_operation(&token, recover["id"].as_str().unwrap())
        .await;
    assert_eq!(op["status"], "SUCCEEDED", "{op}");
    let cs = t.connection_string(&token, &id).await;
    assert_eq!(connect_and_query(&cs).await.unwrap(), 42);
}
