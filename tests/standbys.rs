//! Standbys and switchovers on the local provider, end to end through the public API, with
//! real PostgreSQL servers and `psql` (libpq) as the client: the multi-host connection
//! string, a synchronous standby, a switchover under a writing client, removing a standby,
//! and a control plane killed mid-switchover.

mod common;

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use common::{ADMIN_EMAIL, ADMIN_PASSWORD, Toygres, scratch, serve};
use serde_json::{Value, json};

const FAST_HEALTH: (&str, &str) = ("TOYGRES_HEALTH_INTERVAL_SECS", "1");

const MEMBERS: &str = "members { id role host port state lagBytes } \
    highAvailability { standbys synchronous lastFailoverAt \
      handovers { planned fromMemberId toMemberId unavailableMs writesStoppedAt writesResumedAt finishedAt } }";

/// Run `sql` with `psql` at `url`: what it printed, or why it failed.
fn psql(url: &str, sql: &str) -> Result<String, String> {
    let bins = providers::local::PgBinaries::discover(None).unwrap();
    let out = Command::new(bins.bin_dir().join("psql"))
        .arg(url)
        .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .env_clear()
        .env("PGCONNECT_TIMEOUT", "5")
        .output()
        .unwrap();
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

/// `url` (a connection string) pointed at one member, `host:port`, whatever its role.
fn at_member(url: &str, host: &str, port: i64) -> String {
    let (auth, rest) = url.split_once('@').unwrap();
    let (_, tail) = rest.split_once('/').unwrap();
    format!(
        "{auth}@{host}:{port}/{}",
        tail.replace("target_session_attrs=read-write&", "")
    )
}

/// Create instance `name` with `standbys` and `synchronous`, and wait until its operation
/// succeeded; its id.
async fn create_with_standbys(
    t: &Toygres,
    token: &str,
    name: &str,
    standbys: i32,
    synchronous: bool,
) -> String {
    let (_, body) = t
        .gql(
            Some(token),
            "mutation($n: String!, $s: Int!, $sync: Boolean!) { \
               createInstance(input: {name: $n, standbys: $s, synchronous: $sync}) { \
                 instance { id state } operation { id } } }",
            json!({"n": name, "s": standbys, "sync": synchronous}),
        )
        .await;
    let payload = &body["data"]["createInstance"];
    let id = payload["instance"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    let op = payload["operation"]["id"].as_str().unwrap();
    let done = t.wait_operation(token, op).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}\n{}", t.log_text());
    id
}

/// Run mutation `field(args)` returning an operation, and wait until it is final.
async fn run_op(t: &Toygres, token: &str, mutation: &str, field: &str, vars: Value) -> Value {
    let (_, body) = t.gql(Some(token), mutation, vars).await;
    let op = body["data"][field]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    t.wait_operation(token, &op).await
}

/// Whether each member (`host:port`) is in recovery, in the members' order.
fn in_recovery(url: &str, members: &Value) -> Vec<Result<String, String>> {
    members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            psql(
                &at_member(
                    url,
                    m["host"].as_str().unwrap(),
                    m["port"].as_i64().unwrap(),
                ),
                "SELECT pg_is_in_recovery()",
            )
        })
        .collect()
}

/// A client that inserts rows 1, 2, 3, … one connection each, through the multi-host
/// connection string, retrying a row until it is acknowledged; the rows acknowledged.
///
/// A retry may find its row there already: a commit that was waiting for the synchronous
/// standby when the primary shut down is durable (the standby has it) though the client
/// saw only an error. So the insert does nothing on a conflict, as a client that retries
/// must.
struct Writer {
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Vec<i64>>>,
    /// Why the last failed insert failed.
    last_error: Arc<Mutex<Option<String>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    fn start(url: &str) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(Mutex::new(Vec::new()));
        let last_error = Arc::new(Mutex::new(None));
        let (s, a, e, url) = (
            stop.clone(),
            acked.clone(),
            last_error.clone(),
            url.to_owned(),
        );
        let thread = std::thread::spawn(move || {
            let mut next = 1_i64;
            while !s.load(Ordering::SeqCst) {
                match psql(
                    &url,
                    &format!("INSERT INTO ledger VALUES ({next}) ON CONFLICT DO NOTHING"),
                ) {
                    Ok(_) => {
                        a.lock().unwrap().push(next);
                        next += 1;
                    }
                    Err(why) => *e.lock().unwrap() = Some(why),
                }
            }
        });
        Self {
            stop,
            acked,
            last_error,
            thread: Some(thread),
        }
    }

    fn acked(&self) -> usize {
        self.acked.lock().unwrap().len()
    }

    /// Wait until `n` more rows are acknowledged than now.
    async fn wait_more(&self, n: usize) {
        let from = self.acked();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while self.acked() < from + n {
            assert!(
                std::time::Instant::now() < deadline,
                "the writer is stuck at {} rows; its last error: {:?}",
                self.acked(),
                self.last_error.lock().unwrap()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    fn finish(mut self) -> Vec<i64> {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.take().unwrap().join().unwrap();
        self.acked.lock().unwrap().clone()
    }
}

/// A synchronous standby takes over in a switchover while a client writes through the
/// multi-host connection string: writes pause (the pause is recorded), the client finds the
/// new primary by reconnecting, no acknowledged row is missing, exactly one member takes
/// writes, and the old primary streams from the new one. Removing the standby then drops it
/// with its slot, and deleting the instance leaves no data directory behind.
#[tokio::test]
async fn a_switchover_under_a_writing_client_loses_no_acknowledged_row() {
    let dir = scratch();
    let t = serve(dir.path(), "serve", &[FAST_HEALTH]).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let id = create_with_standbys(&t, &token, "ha", 1, true).await;

    let before = t.instance(&token, &id, MEMBERS).await;
    let members = before["members"].as_array().unwrap().clone();
    assert_eq!(members.len(), 2, "{before}");
    assert_eq!(members[0]["role"], "PRIMARY", "{before}");
    assert_eq!(members[1]["role"], "STANDBY", "{before}");
    assert_eq!(members[1]["state"], "STREAMING", "{before}");
    assert_eq!(before["highAvailability"]["synchronous"], true);
    let (old_primary, standby) = (
        members[0]["id"].as_str().unwrap().to_owned(),
        members[1]["id"].as_str().unwrap().to_owned(),
    );

    let url = t.connection_string(&token, &id).await;
    assert!(url.contains("target_session_attrs=read-write"), "{url}");
    assert_eq!(
        url.split_once('@')
            .unwrap()
            .1
            .split_once('/')
            .unwrap()
            .0
            .split(',')
            .count(),
        2,
        "both members listed: {url}"
    );
    psql(&url, "CREATE TABLE ledger (i bigint PRIMARY KEY)").unwrap();
    // Commits wait for the standby.
    assert_eq!(
        psql(&url, "SHOW synchronous_standby_names").unwrap(),
        format!(
            "ANY 1 (\"{}\")",
            format!("tg-{}", &standby.replace('-', "")[20..]).replace('-', "_")
        )
    );
    assert_eq!(
        in_recovery(&url, &before["members"]),
        [Ok("f".to_owned()), Ok("t".to_owned())]
    );

    let writer = Writer::start(&url);
    writer.wait_more(20).await;
    let done = run_op(
        &t,
        &token,
        "mutation($id: ID!) { switchover(instanceId: $id) { id } }",
        "switchover",
        json!({"id": id}),
    )
    .await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}\n{}", t.log_text());
    writer.wait_more(20).await;
    let acked = writer.finish();

    let after = t.instance(&token, &id, MEMBERS).await;
    let members = after["members"].as_array().unwrap();
    assert_eq!(
        members[0]["id"], standby,
        "the standby is the primary: {after}"
    );
    assert_eq!(members[1]["id"], old_primary, "{after}");
    assert_eq!(
        members[1]["state"], "STREAMING",
        "the old primary follows: {after}"
    );
    assert_eq!(
        in_recovery(&url, &after["members"]),
        [Ok("f".to_owned()), Ok("t".to_owned())],
        "exactly one member takes writes"
    );
    let handover = &after["highAvailability"]["handovers"][0];
    assert_eq!(handover["planned"], true, "{after}");
    assert_eq!(handover["toMemberId"], standby, "{after}");
    assert!(handover["unavailableMs"].as_f64().unwrap() > 0.0, "{after}");
    assert!(
        after["highAvailability"]["lastFailoverAt"].is_string(),
        "{after}"
    );

    assert_none_lost(&url, &acked);
    assert!(acked.len() >= 40);

    // The old primary goes: stopped, its data and its slot on the new primary removed.
    let done = run_op(
        &t,
        &token,
        "mutation($m: ID!) { removeStandby(memberId: $m) { id } }",
        "removeStandby",
        json!({"m": old_primary}),
    )
    .await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}\n{}", t.log_text());
    let last = t.instance(&token, &id, MEMBERS).await;
    assert_eq!(last["members"].as_array().unwrap().len(), 1, "{last}");
    assert_eq!(last["highAvailability"]["standbys"], 0, "{last}");
    assert_eq!(
        psql(&url, "SELECT count(*) FROM pg_replication_slots").unwrap(),
        "0"
    );
    // With no standby left, commits wait for none.
    assert_eq!(psql(&url, "SHOW synchronous_standby_names").unwrap(), "");
    psql(&url, "INSERT INTO ledger VALUES (-1)").unwrap();

    let (_, body) = t
        .gql(
            Some(&token),
            "mutation($id: ID!) { deleteInstance(id: $id) { id } }",
            json!({"id": id}),
        )
        .await;
    let op = body["data"]["deleteInstance"]["id"].as_str().unwrap();
    assert_eq!(t.wait_operation(&token, op).await["status"], "SUCCEEDED");
    let left: Vec<_> = std::fs::read_dir(dir.path().join("data/instances"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "nothing left behind: {left:?}");
}

/// `addStandby` gives a running instance a standby that streams, counted by the quota; a
/// third standby, a switchover with none, removing the primary, and standbys on Kubernetes
/// are refused with their codes, and leave nothing behind.
#[tokio::test]
async fn standbys_are_added_to_running_instances_within_their_limits() {
    let dir = scratch();
    let t = serve(dir.path(), "serve", &[FAST_HEALTH]).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (id, op) = t.create_instance(&token, "solo").await;
    assert_eq!(t.wait_operation(&token, &op).await["status"], "SUCCEEDED");
    let code = |body: &Value| body["errors"][0]["extensions"]["code"].clone();

    let (_, body) = t
        .gql(
            Some(&token),
            "mutation($id: ID!) { switchover(instanceId: $id) { id } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(code(&body), "INVALID_INPUT", "{body}");
    let primary = t.instance(&token, &id, MEMBERS).await["members"][0]["id"].clone();
    assert_eq!(
        primary,
        json!(id),
        "a primary that never switched is named by the instance's id"
    );
    let (_, body) = t
        .gql(
            Some(&token),
            "mutation($m: ID!) { removeStandby(memberId: $m) { id } }",
            json!({"m": primary}),
        )
        .await;
    assert_eq!(code(&body), "INVALID_INPUT", "{body}");

    for _ in 0..2 {
        let done = run_op(
            &t,
            &token,
            "mutation($id: ID!) { addStandby(instanceId: $id) { id } }",
            "addStandby",
            json!({"id": id}),
        )
        .await;
        assert_eq!(done["status"], "SUCCEEDED", "{done}\n{}", t.log_text());
    }
    let (_, body) = t
        .gql(
            Some(&token),
            "mutation($id: ID!) { addStandby(instanceId: $id) { id } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(code(&body), "INVALID_INPUT", "a third: {body}");
    let inst = t.instance(&token, &id, MEMBERS).await;
    let members = inst["members"].as_array().unwrap();
    assert_eq!(members.len(), 3, "{inst}");
    assert!(
        members[1..].iter().all(|m| m["state"] == "STREAMING"),
        "{inst}"
    );
    let url = t.connection_string(&token, &id).await;
    assert_eq!(
        in_recovery(&url, &inst["members"]),
        [Ok("f".to_owned()), Ok("t".to_owned()), Ok("t".to_owned())]
    );
    // Reads go to a standby where one answers.
    let (_, body) = t
        .gql(
            Some(&token),
            "query($id: ID!) { instance(id: $id) { readOnlyConnectionString } certificateAuthority { pem } }",
            json!({"id": id}),
        )
        .await;
    let ro = body["data"]["instance"]["readOnlyConnectionString"]
        .as_str()
        .unwrap();
    assert!(ro.contains("target_session_attrs=prefer-standby"), "{ro}");
    let ca_at = url.find("sslrootcert=").unwrap();
    let ro = format!(
        "{}{}",
        &ro[..ro.find("sslrootcert=").unwrap()],
        &url[ca_at..]
    );
    assert_eq!(psql(&ro, "SELECT pg_is_in_recovery()").unwrap(), "t");

    let (_, body) = t
        .gql(
            Some(&token),
            "{ project(id: \"00000000-0000-0000-0000-000000000001\") { usage { standbys } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["project"]["usage"]["standbys"], 2, "{body}");

    let (_, body) = t
        .gql(
            Some(&token),
            "mutation { createInstance(input: {name: \"many\", standbys: 3}) { instance { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&body), "INVALID_INPUT", "{body}");
    let (_, body) = t
        .gql(
            Some(&token),
            "mutation { createInstance(input: {name: \"lonely\", synchronous: true}) { instance { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&body), "INVALID_INPUT", "{body}");
    let (_, body) = t
        .gql(
            Some(&token),
            "{ instances { edges { node { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["instances"]["edges"].as_array().unwrap().len(),
        1,
        "bad input made nothing: {body}"
    );

    // Deleting the instance removes its standbys with it.
    let (_, body) = t
        .gql(
            Some(&token),
            "mutation($id: ID!) { deleteInstance(id: $id) { id } }",
            json!({"id": id}),
        )
        .await;
    let op = body["data"]["deleteInstance"]["id"].as_str().unwrap();
    assert_eq!(t.wait_operation(&token, op).await["status"], "SUCCEEDED");
    let left: Vec<_> = std::fs::read_dir(dir.path().join("data/instances"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "no standby left behind: {left:?}");
    let (_, body) = t
        .gql(
            Some(&token),
            "{ project(id: \"00000000-0000-0000-0000-000000000001\") { usage { standbys } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["project"]["usage"]["standbys"], 0, "{body}");
}

/// Check that every row `acked` (acknowledged to the writer) is in the ledger at `url`.
fn assert_none_lost(url: &str, acked: &[i64]) {
    let stored: Vec<i64> = psql(url, "SELECT i FROM ledger ORDER BY i")
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    let missing: Vec<&i64> = acked.iter().filter(|i| !stored.contains(i)).collect();
    assert!(missing.is_empty(), "acknowledged rows lost: {missing:?}");
}

/// The id of the newest operation of `kind` on instance `id`.
async fn newest_operation(t: &Toygres, token: &str, id: &str, kind: &str) -> String {
    let (_, body) = t
        .gql(
            Some(token),
            "query($id: ID!) { instance(id: $id) { operations(first: 5) { id kind } } }",
            json!({"id": id}),
        )
        .await;
    body["data"]["instance"]["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == kind)
        .and_then(|o| o["id"].as_str())
        .unwrap_or_else(|| panic!("no {kind} operation: {body}"))
        .to_owned()
}

/// Wait until the instance's standby streams (its members, then), `what` saying which.
async fn wait_standby_streaming(t: &Toygres, token: &str, id: &str, what: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let now = t.instance(token, id, MEMBERS).await;
        if now["members"][1]["state"] == "STREAMING" {
            return now;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: the standby never streamed: {now}\n{}",
            t.log_text()
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// The pid of the postmaster serving data directory `name` in `instances` (a host's
/// directory of instances).
fn postmaster_of(instances: &std::path::Path, name: &str) -> i32 {
    let pidfile = instances.join(name).join("postmaster.pid");
    std::fs::read_to_string(&pidfile)
        .unwrap_or_else(|e| panic!("{}: {e}", pidfile.display()))
        .lines()
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// The data directory name of member `id` (an instance's or a standby's id).
fn resource_name(id: &str) -> String {
    format!("tg-{}", &id.replace('-', "")[20..])
}

/// A primary killed with -9 under a writing client is failed over by the watcher with no
/// one asking: its synchronous standby is promoted, the client resumes through the same
/// connection string, no acknowledged row is missing, the failover is recorded with its
/// write pause, and the old primary comes back as a standby copied afresh.
#[tokio::test]
async fn a_killed_primary_fails_over_to_its_standby_without_losing_an_acknowledged_row() {
    let dir = scratch();
    let t = serve(
        dir.path(),
        "serve",
        &[
            FAST_HEALTH,
            ("TOYGRES_HA_CHECK_SECS", "1"),
            ("TOYGRES_FAILOVER_AFTER_CHECKS", "2"),
        ],
    )
    .await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let id = create_with_standbys(&t, &token, "fo", 1, true).await;
    let before = t.instance(&token, &id, MEMBERS).await;
    let standby = before["members"][1]["id"].as_str().unwrap().to_owned();
    let url = t.connection_string(&token, &id).await;
    psql(&url, "CREATE TABLE ledger (i bigint PRIMARY KEY)").unwrap();

    let writer = Writer::start(&url);
    writer.wait_more(20).await;
    let primary = postmaster_of(&dir.path().join("data/instances"), &resource_name(&id));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(primary),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    writer.wait_more(20).await;
    let acked = writer.finish();

    assert_none_lost(&url, &acked);

    // The old primary rejoins, copied afresh from the new one.
    let after = wait_standby_streaming(&t, &token, &id, "the old primary").await;
    assert_eq!(after["members"][0]["id"], standby, "{after}");
    assert_eq!(after["members"][1]["id"], json!(id), "{after}");
    assert_eq!(
        in_recovery(&url, &after["members"]),
        [Ok("f".to_owned()), Ok("t".to_owned())],
        "exactly one member takes writes"
    );
    let handover = &after["highAvailability"]["handovers"][0];
    assert_eq!(handover["planned"], false, "{after}");
    assert_eq!(handover["toMemberId"], standby, "{after}");
    assert!(handover["unavailableMs"].as_f64().unwrap() > 0.0, "{after}");
    let (_, body) = t
        .gql(
            Some(&token),
            "query($id: ID!) { instance(id: $id) { events(first: 20) { edges { node { kind } } } } }",
            json!({"id": id}),
        )
        .await;
    assert!(
        body.to_string().contains("instance_failed_over"),
        "the failover is among the instance's events: {body}"
    );
}

/// How many members (`host:port` in `members`) take writes now: never more than one.
fn primaries(url: &str, members: &Value) -> usize {
    in_recovery(url, members)
        .iter()
        .filter(|r| r.as_deref() == Ok("f"))
        .count()
}

/// A control plane killed with -9 at each step of a switchover, then of a failover, resumes
/// the operation when it starts again and finishes it once: at no point do two members take
/// writes, and afterwards exactly one does, with the other streaming from it.
#[tokio::test]
async fn a_control_plane_killed_mid_switchover_or_failover_resumes_it_with_one_primary() {
    let dir = scratch();
    let base = [
        FAST_HEALTH,
        ("TOYGRES_HA_CHECK_SECS", "1"),
        ("TOYGRES_FAILOVER_AFTER_CHECKS", "2"),
        ("TOYGRES_WORKER_HEARTBEAT_SECS", "1"),
        ("TOYGRES_WORKER_MISSED_HEARTBEATS", "1"),
    ];
    let t = serve(dir.path(), "setup", &base).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let id = create_with_standbys(&t, &token, "crashy", 1, true).await;
    let url = t.connection_string(&token, &id).await;
    psql(&url, "CREATE TABLE ledger (i bigint PRIMARY KEY)").unwrap();
    drop(t);

    let steps = ["stop_primary", "promote", "switch", "follow"]
        .map(|s| ("switchover", s))
        .into_iter()
        .chain(["promote", "switch", "follow"].map(|s| ("failover", s)));
    for (round, (kind, step)) in steps.enumerate() {
        let failpoint = format!("{kind}:{step}");
        let mut crashing: Vec<(&str, &str)> = base.to_vec();
        crashing.push(("TOYGRES_FAILPOINT", &failpoint));
        let mut t = serve(dir.path(), "crashing", &crashing).await;
        let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let members = t.instance(&token, &id, MEMBERS).await["members"].clone();
        psql(&url, &format!("INSERT INTO ledger VALUES ({round})")).unwrap();
        if kind == "switchover" {
            let (_, body) = t
                .gql(
                    Some(&token),
                    "mutation($id: ID!) { switchover(instanceId: $id) { id } }",
                    json!({"id": id}),
                )
                .await;
            assert!(body["errors"].is_null(), "{failpoint}: {body}");
        } else {
            let primary = members[0]["id"].as_str().unwrap();
            let pid = postmaster_of(&dir.path().join("data/instances"), &resource_name(primary));
            nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            )
            .unwrap();
        }
        assert!(
            !t.wait_exit().await.success(),
            "{failpoint}: the failpoint crashed it"
        );
        drop(t);
        assert!(
            primaries(&url, &members) <= 1,
            "{failpoint}: two members take writes while the control plane is down"
        );

        let t = serve(dir.path(), "restarted", &base).await;
        let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let op = newest_operation(&t, &token, &id, kind).await;
        let done = t.wait_operation(&token, &op).await;
        assert_eq!(
            done["status"],
            "SUCCEEDED",
            "{failpoint}: {done}\n{}",
            t.log_text()
        );
        let after = wait_standby_streaming(&t, &token, &id, &failpoint).await;
        assert_ne!(
            after["members"][0]["id"], members[0]["id"],
            "{failpoint}: the primary changed once"
        );
        assert_eq!(
            in_recovery(&url, &after["members"]),
            [Ok("f".to_owned()), Ok("t".to_owned())],
            "{failpoint}"
        );
        let rows = psql(&url, "SELECT count(*) FROM ledger").unwrap();
        assert_eq!(rows, (round + 1).to_string(), "{failpoint}: rows kept");
        drop(t);
    }
}

/// Standbys of SERVER instances, over real sshd hosts: the standby is placed on the other
/// server; a primary whose postmaster is killed is failed over by itself with no
/// acknowledged row lost, and the old primary rejoins on its server. A primary whose host
/// is gone altogether (sshd and postmaster stopped) cannot be fenced: nothing fails over by
/// itself, an event asks an operator, and `failover(force: true)` promotes the standby.
#[tokio::test]
async fn server_standbys_fail_over_by_themselves_unless_the_old_host_cannot_be_fenced() {
    use common::fleet::{env, register, server_dir, server_root};
    use testkit::sshd::{ClientKey, Sshd};

    let key = ClientKey::generate();
    let a = Sshd::start_on(
        std::net::Ipv4Addr::new(127, 0, 41, 1),
        Some(&key.public),
        None,
    )
    .await;
    let b = Sshd::start_on(
        std::net::Ipv4Addr::new(127, 0, 41, 2),
        Some(&key.public),
        None,
    )
    .await;
    let root = server_root();
    let dir = scratch();
    let mut base = env(&key, root.path());
    base.push(("TOYGRES_HA_CHECK_SECS", "1".to_owned()));
    base.push(("TOYGRES_FAILOVER_AFTER_CHECKS", "2".to_owned()));
    let t = serve(dir.path(), "serve", &common::borrowed(&base)).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let alpha = register(&t, &token, "alpha", &a, 4.0).await;
    let beta = register(&t, &token, "beta", &b, 4.0).await;

    let (id, standby) = create_across(&t, &token, "far", &alpha, &beta).await;

    let url = t.connection_string(&token, &id).await;
    psql(&url, "CREATE TABLE ledger (i bigint PRIMARY KEY)").unwrap();
    let writer = Writer::start(&url);
    writer.wait_more(20).await;
    let primary = postmaster_of(
        &server_dir(root.path(), &alpha).join("instances"),
        &resource_name(&id),
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(primary),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    writer.wait_more(20).await;
    let acked = writer.finish();
    assert_none_lost(&url, &acked);
    let after = wait_standby_streaming(&t, &token, &id, "alpha's old primary").await;
    let failover = newest_operation(&t, &token, &id, "failover").await;
    let done = t.wait_operation(&token, &failover).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}\n{}", t.log_text());
    assert_eq!(after["members"][0]["id"], standby, "{after}");
    assert_eq!(
        in_recovery(&url, &after["members"]),
        [Ok("f".to_owned()), Ok("t".to_owned())]
    );

    // Now beta's host goes altogether: its sshd and its postmaster.
    let primary = postmaster_of(
        &server_dir(root.path(), &beta).join("instances"),
        &resource_name(&standby),
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(primary),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    b.vanish();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let (_, body) = t
            .gql(
                Some(&token),
                "query($id: ID!) { instance(id: $id) { events(first: 20) { edges { node { kind } } } } }",
                json!({"id": id}),
            )
            .await;
        if body.to_string().contains("failover_needs_operator") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no event asks an operator: {body}\n{}",
            t.log_text()
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let held = t.instance(&token, &id, MEMBERS).await;
    assert_eq!(
        held["members"][0]["id"], standby,
        "nothing failed over: {held}"
    );

    let done = run_op(
        &t,
        &token,
        "mutation($id: ID!) { failover(instanceId: $id, force: true) { id } }",
        "failover",
        json!({"id": id}),
    )
    .await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}\n{}", t.log_text());
    let forced = t.instance(&token, &id, MEMBERS).await;
    assert_eq!(
        forced["members"][0]["id"],
        json!(id),
        "alpha's member leads again: {forced}"
    );
    assert_eq!(
        psql(&url, "SELECT count(*) >= 40 FROM ledger").unwrap(),
        "t",
        "the rows are all there"
    );
    psql(&url, "INSERT INTO ledger VALUES (-1)").unwrap();
    assert_eq!(
        forced["members"][1]["state"], "DOWN",
        "beta is gone: {forced}"
    );
    drop(a);
}

/// Create SERVER instance `name` with one synchronous standby, its primary on server
/// `primary`, and wait until it runs with its standby on server `standby`: its id and the
/// standby's member id.
async fn create_across(
    t: &Toygres,
    token: &str,
    name: &str,
    primary: &str,
    standby: &str,
) -> (String, String) {
    let (_, body) = t
        .gql(
            Some(token),
            "mutation($n: String!, $s: ID!) { createInstance(input: {name: $n, provider: SERVER, \
               serverId: $s, storageGb: 1, standbys: 1, synchronous: true}) { instance { id } operation { id } } }",
            json!({"n": name, "s": primary}),
        )
        .await;
    let id = body["data"]["createInstance"]["instance"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    let op = body["data"]["createInstance"]["operation"]["id"]
        .as_str()
        .unwrap();
    let done = t.wait_operation(token, op).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}\n{}", t.log_text());
    let placed = t
        .instance(token, &id, "members { id role server { id } state }")
        .await;
    assert_eq!(placed["members"][0]["server"]["id"], primary, "{placed}");
    assert_eq!(placed["members"][1]["server"]["id"], standby, "{placed}");
    let member = placed["members"][1]["id"].as_str().unwrap().to_owned();
    (id, member)
}

/// A primary on a cloud VM whose host is gone altogether (sshd and postmaster) is fenced by
/// powering the VM off through the cloud's API, then failed over by itself with no
/// acknowledged row lost; the server is marked failed, so nothing is placed on it again.
#[tokio::test]
async fn a_cloud_vm_primary_that_cannot_be_reached_is_powered_off_then_failed_over() {
    use common::fleet::{env, register, server_dir, server_root};
    use providers::cloud::{Cloud, CloudKind, Hetzner, NewVm, Token};
    use testkit::cloud::FakeCloud;
    use testkit::sshd::{ClientKey, Sshd};

    let fake = FakeCloud::start(CloudKind::Hetzner).await;
    let key = ClientKey::generate();
    let a = Sshd::start_on(
        std::net::Ipv4Addr::new(127, 0, 43, 1),
        Some(&key.public),
        None,
    )
    .await;
    let b = Sshd::start_on(
        std::net::Ipv4Addr::new(127, 0, 43, 2),
        Some(&key.public),
        None,
    )
    .await;
    let root = server_root();
    let dir = scratch();
    let url = common::fresh_database().await;
    let mut base = env(&key, root.path());
    base.push(("TOYGRES_HA_CHECK_SECS", "1".to_owned()));
    base.push(("TOYGRES_FAILOVER_AFTER_CHECKS", "2".to_owned()));
    base.push(("TOYGRES_HETZNER_TOKEN", fake.token().to_owned()));
    base.push(("TOYGRES_HETZNER_API_URL", fake.base_url()));
    base.push(("TOYGRES_FLEET_POLL_MS", "50".to_owned()));
    base.push(("DATABASE_URL", url.clone()));
    let t = serve(dir.path(), "serve", &common::borrowed(&base)).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let alpha = register(&t, &token, "alpha", &a, 4.0).await;
    let beta = register(&t, &token, "beta", &b, 4.0).await;

    // Alpha stands for a Hetzner VM: the fake cloud holds a running VM for it, and its row
    // names that VM as a provisioned server's does (a provisioned VM's SSH user is not root,
    // which these sshd hosts need).
    let cloud = Hetzner::new(&fake.base_url(), Token::new(fake.token())).unwrap();
    let vm = cloud
        .create(&NewVm {
            name: format!("tg-{}", alpha.replace('-', "")),
            server_id: alpha.clone(),
            plan: "cx22".to_owned(),
            region: "fsn1".to_owned(),
            image: "debian-12".to_owned(),
            ssh_keys: vec![],
            user_data: String::new(),
            labels: Default::default(),
        })
        .await
        .unwrap()
        .vm;
    let vm_id: u64 = vm.provider_id.parse().unwrap();
    assert!(fake.set_status(vm_id, "running"));
    psql(
        &url,
        &format!(
            "UPDATE servers SET provider = 'hetzner', provider_id = '{}' WHERE id = '{alpha}'",
            vm.provider_id
        ),
    )
    .unwrap();

    let (id, standby) = create_across(&t, &token, "vm", &alpha, &beta).await;
    // A third server, for the old primary's copy once alpha is lost.
    let c = Sshd::start_on(
        std::net::Ipv4Addr::new(127, 0, 43, 3),
        Some(&key.public),
        None,
    )
    .await;
    let gamma = register(&t, &token, "gamma", &c, 4.0).await;

    let url_app = t.connection_string(&token, &id).await;
    psql(&url_app, "CREATE TABLE ledger (i bigint PRIMARY KEY)").unwrap();
    let writer = Writer::start(&url_app);
    writer.wait_more(20).await;
    let primary = postmaster_of(
        &server_dir(root.path(), &alpha).join("instances"),
        &resource_name(&id),
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(primary),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    a.vanish();
    writer.wait_more(20).await;
    let acked = writer.finish();
    assert_none_lost(&url_app, &acked);

    let failover = newest_operation(&t, &token, &id, "failover").await;
    let done = t.wait_operation(&token, &failover).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}\n{}", t.log_text());
    let after = t.instance(&token, &id, MEMBERS).await;
    assert_eq!(after["members"][0]["id"], standby, "{after}");
    assert_eq!(fake.power_offs(), 1);
    assert_eq!(
        fake.vms()
            .iter()
            .find(|v| v.id == vm_id)
            .map(|v| v.status.clone()),
        Some("off".to_owned())
    );
    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
    let (_, body) = t
        .gql(
            Some(&token),
            "query($id: ID!) { server(id: $id) { state failureReason events(first: 50) { edges { node { kind } } } } }",
            json!({"id": alpha}),
        )
        .await;
    let server = &body["data"]["server"];
    assert_eq!(server["state"], "FAILED", "{body}");
    assert!(
        server["failureReason"]
            .as_str()
            .is_some_and(|r| r.contains("powered off to fence")),
        "{body}"
    );
    assert!(body.to_string().contains("vm_powered_off"), "{body}");
    // The old primary's member cannot come back on alpha: it is copied afresh on gamma.
    let healed = wait_standby_streaming(&t, &token, &id, "the relocated old primary").await;
    let placed = t
        .instance(&token, &id, "members { id role server { id } state }")
        .await;
    assert_eq!(placed["members"][1]["id"], json!(id), "{placed}");
    assert_eq!(
        placed["members"][1]["server"]["id"],
        json!(gamma),
        "{placed}"
    );
    let relocation = newest_operation(&t, &token, &id, "relocate_standby").await;
    assert_eq!(
        t.wait_operation(&token, &relocation).await["status"],
        "SUCCEEDED"
    );
    assert_eq!(
        in_recovery(&url_app, &healed["members"]),
        [Ok("f".to_owned()), Ok("t".to_owned())]
    );
    assert_eq!(fake.power_offs(), 1, "powered off once");
    assert!(
        !t.log_text().contains(fake.token()),
        "the cloud token leaked into the log"
    );
}

/// Draining a server that holds the primary of an instance with a synchronous standby, over
/// real sshd hosts, while a client writes through the multi-host connection string: the
/// preview says the primary switches over to the standby's server, then its old copy is
/// relocated to the third server; the drain does just that, so the primary is on the
/// standby's old server and a fresh standby streams on the third, nothing of the instance is
/// left on the drained server, and no acknowledged row is lost. `relocateStandby` refuses the
/// primary and a server that holds a member already.
#[tokio::test]
async fn draining_a_server_switches_its_primary_over_and_relocates_its_standby() {
    use common::fleet::{env, gql_ok, register, server_dir, server_root};
    use testkit::sshd::{ClientKey, Sshd};

    let key = ClientKey::generate();
    let at = |host| {
        Sshd::start_on(
            std::net::Ipv4Addr::new(127, 0, 47, host),
            Some(&key.public),
            None,
        )
    };
    let (a, b, c) = (at(1).await, at(2).await, at(3).await);
    let root = server_root();
    let dir = scratch();
    let base = env(&key, root.path());
    let t = serve(dir.path(), "serve", &common::borrowed(&base)).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let alpha = register(&t, &token, "alpha", &a, 4.0).await;
    let beta = register(&t, &token, "beta", &b, 4.0).await;

    let data = gql_ok(
        &t,
        &token,
        "mutation($s: ID!) { createInstance(input: {name: \"drained\", provider: SERVER, serverId: $s, \
           storageGb: 1, standbys: 1, synchronous: true}) { instance { id } operation { id } } }",
        json!({"s": alpha}),
    )
    .await;
    let id = data["createInstance"]["instance"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let op = data["createInstance"]["operation"]["id"].as_str().unwrap();
    let done = t.wait_operation(&token, op).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}\n{}", t.log_text());
    // Only now a third server: the standby went to beta, the one other server then.
    let gamma = register(&t, &token, "gamma", &c, 4.0).await;
    const PLACED: &str = "members { id role host port state server { id } }";
    let placed = t.instance(&token, &id, PLACED).await;
    assert_eq!(
        placed["members"][0]["server"]["id"],
        json!(alpha),
        "{placed}"
    );
    assert_eq!(
        placed["members"][1]["server"]["id"],
        json!(beta),
        "{placed}"
    );
    assert_eq!(placed["members"][1]["state"], "STREAMING", "{placed}");
    let standby = placed["members"][1]["id"].as_str().unwrap().to_owned();

    let url = t.connection_string(&token, &id).await;
    psql(&url, "CREATE TABLE ledger (i bigint PRIMARY KEY)").unwrap();
    let writer = Writer::start(&url);
    writer.wait_more(20).await;

    let preview = gql_ok(
        &t,
        &token,
        "mutation($id: ID!) { drainServer(id: $id, dryRun: true) { operation { id } plan { blocked \
           moves { position action instanceName memberId targetServerId targetServerName } } } }",
        json!({"id": alpha}),
    )
    .await;
    let plan = &preview["drainServer"]["plan"];
    assert!(plan["blocked"].is_null(), "{preview}");
    assert!(preview["drainServer"]["operation"].is_null(), "{preview}");
    assert_eq!(
        plan["moves"],
        json!([
            {"position": 1, "action": "SWITCHOVER", "instanceName": "drained", "memberId": standby,
             "targetServerId": beta, "targetServerName": "beta"},
            {"position": 2, "action": "RELOCATE_STANDBY", "instanceName": "drained", "memberId": id,
             "targetServerId": gamma, "targetServerName": "gamma"},
        ]),
        "{preview}"
    );

    let drain = gql_ok(
        &t,
        &token,
        "mutation($id: ID!) { drainServer(id: $id) { operation { id } } }",
        json!({"id": alpha}),
    )
    .await["drainServer"]["operation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let done = t.wait_operation(&token, &drain).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}\n{}", t.log_text());
    writer.wait_more(20).await;
    let acked = writer.finish();

    let after = t.instance(&token, &id, PLACED).await;
    let members = after["members"].as_array().unwrap();
    assert_eq!(members.len(), 2, "{after}");
    assert_eq!(
        members[0]["id"],
        json!(standby),
        "the standby leads: {after}"
    );
    assert_eq!(members[0]["server"]["id"], json!(beta), "{after}");
    assert_eq!(
        members[1]["id"],
        json!(id),
        "the old primary follows: {after}"
    );
    assert_eq!(members[1]["server"]["id"], json!(gamma), "{after}");
    assert_eq!(members[1]["state"], "STREAMING", "{after}");
    assert_eq!(
        in_recovery(&url, &after["members"]),
        [Ok("f".to_owned()), Ok("t".to_owned())],
        "exactly one member takes writes"
    );
    assert_none_lost(&url, &acked);
    assert!(acked.len() >= 40);
    // The primary waits for the relocated standby, and keeps a slot for it alone.
    let primary = at_member(
        &url,
        members[0]["host"].as_str().unwrap(),
        members[0]["port"].as_i64().unwrap(),
    );
    let slot = resource_name(&id).replace('-', "_");
    assert_eq!(
        psql(&primary, "SHOW synchronous_standby_names").unwrap(),
        format!("ANY 1 (\"{slot}\")")
    );
    psql(&primary, "INSERT INTO ledger VALUES (-1)").unwrap();
    let kinds = t
        .instance(&token, &id, "operations(first: 10) { kind status }")
        .await;
    for kind in ["switchover", "relocate_standby"] {
        assert!(
            kinds["operations"]
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o["kind"] == kind && o["status"] == "SUCCEEDED"),
            "a {kind} ran: {kinds}"
        );
    }
    // Alpha holds nothing of the instance any more.
    let on_alpha = server_dir(root.path(), &alpha).join("instances");
    for member in [&id, &standby] {
        assert!(
            !on_alpha.join(resource_name(member)).exists(),
            "{member} left on alpha"
        );
    }
    let draining = gql_ok(
        &t,
        &token,
        "query($id: ID!) { server(id: $id) { state } }",
        json!({"id": alpha}),
    )
    .await;
    assert_eq!(draining["server"]["state"], "DRAINING", "{draining}");

    // The primary is not relocated, and a standby never goes next to another member.
    for (member, server, code) in [
        (standby.as_str(), None, "INVALID_INPUT"),
        (id.as_str(), Some(beta.as_str()), "INVALID_INPUT"),
        ("00000000-0000-7000-8000-000000000000", None, "NOT_FOUND"),
    ] {
        let (_, body) = t
            .gql(
                Some(&token),
                "mutation($m: ID!, $s: ID) { relocateStandby(memberId: $m, serverId: $s) { id } }",
                json!({"m": member, "s": server}),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], code,
            "{member} {server:?}: {body}"
        );
    }
    drop((a, b, c));
}

/// A control plane killed while its drain relocates a standby (right after the old copy was
/// removed) resumes both when it starts again: the relocation makes the fresh copy, and the
/// drain waits for that child instead of starting another, then succeeds. One switchover and
/// one relocation ran, and the rows written before are all there.
#[tokio::test]
async fn a_drain_killed_mid_relocation_resumes_it_without_starting_another() {
    use common::fleet::{env, gql_ok, register, server_root};
    use testkit::sshd::{ClientKey, Sshd};

    let key = ClientKey::generate();
    let at = |host| {
        Sshd::start_on(
            std::net::Ipv4Addr::new(127, 0, 48, host),
            Some(&key.public),
            None,
        )
    };
    let (a, b, c) = (at(1).await, at(2).await, at(3).await);
    let root = server_root();
    let dir = scratch();
    let mut base = env(&key, root.path());
    base.push(("TOYGRES_WORKER_HEARTBEAT_SECS", "1".to_owned()));
    base.push(("TOYGRES_WORKER_MISSED_HEARTBEATS", "1".to_owned()));
    let mut crashing = base.clone();
    crashing.push((
        "TOYGRES_FAILPOINT",
        "relocate_standby:start_standbys".to_owned(),
    ));
    let mut t = serve(dir.path(), "crashing", &common::borrowed(&crashing)).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let alpha = register(&t, &token, "alpha", &a, 4.0).await;
    register(&t, &token, "beta", &b, 4.0).await;
    let data = gql_ok(
        &t,
        &token,
        "mutation($s: ID!) { createInstance(input: {name: \"crashy\", provider: SERVER, serverId: $s, \
           storageGb: 1, standbys: 1, synchronous: true}) { instance { id } operation { id } } }",
        json!({"s": alpha}),
    )
    .await;
    let id = data["createInstance"]["instance"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let op = data["createInstance"]["operation"]["id"].as_str().unwrap();
    let done = t.wait_operation(&token, op).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}\n{}", t.log_text());
    let gamma = register(&t, &token, "gamma", &c, 4.0).await;
    let url = t.connection_string(&token, &id).await;
    psql(&url, "CREATE TABLE ledger (i bigint PRIMARY KEY)").unwrap();
    psql(&url, "INSERT INTO ledger SELECT generate_series(1, 100)").unwrap();

    let drain = gql_ok(
        &t,
        &token,
        "mutation($id: ID!) { drainServer(id: $id) { operation { id } } }",
        json!({"id": alpha}),
    )
    .await["drainServer"]["operation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        !t.wait_exit().await.success(),
        "the failpoint crashed it:\n{}",
        t.log_text()
    );
    drop(t);

    let t = serve(dir.path(), "restarted", &common::borrowed(&base)).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let done = t.wait_operation(&token, &drain).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}\n{}", t.log_text());
    let after = t
        .instance(
            &token,
            &id,
            "members { id state server { id } } operations(first: 20) { kind status }",
        )
        .await;
    assert_eq!(after["members"][1]["id"], json!(id), "{after}");
    assert_eq!(after["members"][1]["server"]["id"], json!(gamma), "{after}");
    assert_eq!(after["members"][1]["state"], "STREAMING", "{after}");
    let ops = after["operations"].as_array().unwrap();
    for kind in ["switchover", "relocate_standby"] {
        let ran: Vec<_> = ops.iter().filter(|o| o["kind"] == kind).collect();
        assert_eq!(ran.len(), 1, "one {kind}: {after}");
        assert_eq!(ran[0]["status"], "SUCCEEDED", "{after}");
    }
    assert_eq!(psql(&url, "SELECT count(*) FROM ledger").unwrap(), "100");
    drop((a, b, c));
}
