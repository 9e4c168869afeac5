//! The `toygres` binary end to end: embedded database, login, operations followed by query and
//! subscription, shutdown, restarts, and processes sharing one database.

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::time::Duration;

use common::{
    ADMIN_EMAIL, ADMIN_PASSWORD, follow_to_the_end, scratch, serve, spawn, subscribe_operations,
};
use nix::sys::signal::Signal;
use serde_json::json;

const CHECK: &str = "mutation { runSystemCheck { id status } }";

/// The brief's "done means": start on the embedded default, log in, be refused without a
/// token, follow an operation to success by subscription and by query, shut down cleanly.
#[tokio::test]
async fn the_binary_serves_its_embedded_database_from_login_to_a_finished_operation() {
    let dir = scratch();
    let mut t = serve(dir.path(), "serve", &[]).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    let (status, body) = t
        .gql(Some(&token), "{ me { email roles { role } } }", json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["me"]["email"], ADMIN_EMAIL);
    let (status, body) = t.gql(None, "{ me { email } }", json!({})).await;
    assert_eq!(status, 401);
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");

    let mut ws = t.ws_as(&token).await;
    subscribe_operations(&mut ws).await;
    let (_, body) = t.gql(Some(&token), CHECK, json!({})).await;
    let id = body["data"]["runSystemCheck"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(follow_to_the_end(&mut ws, &id).await, "SUCCEEDED");
    let (_, body) = t
        .gql(
            Some(&token),
            "query($id: ID!) { operation(id: $id) { status } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(body["data"]["operation"]["status"], "SUCCEEDED");

    t.signal(Signal::SIGTERM);
    assert!(t.wait_exit().await.success(), "{}", t.log_text());
    assert!(
        !dir.path().join("data/postgres/postmaster.pid").exists(),
        "the embedded Postgres stopped with it"
    );
    assert!(
        !t.log_text().contains(ADMIN_PASSWORD),
        "no secret reaches the log"
    );
}

#[tokio::test]
async fn a_second_serve_on_the_same_data_directory_is_refused() {
    let dir = scratch();
    let _first = serve(dir.path(), "first", &[]).await;
    let mut second = spawn(dir.path(), "second", &["serve"], &[]);
    assert!(!second.wait_exit().await.success());
    let log = second.log_text();
    assert!(
        log.contains("another toygres is already serving the data directory"),
        "{log}"
    );
}

#[tokio::test]
async fn missing_postgres_binaries_are_a_clear_error_not_a_panic() {
    let dir = scratch();
    let empty = dir.path().join("no-binaries-here");
    std::fs::create_dir(&empty).unwrap();
    let mut t = spawn(
        dir.path(),
        "nobins",
        &["serve"],
        &[("TOYGRES_PG_BIN_DIR", empty.to_str().unwrap())],
    );
    assert!(!t.wait_exit().await.success());
    let log = t.log_text();
    assert!(log.contains("apt-get install postgresql"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
}

#[tokio::test]
async fn a_short_jwt_secret_is_refused_at_startup() {
    let dir = scratch();
    let mut t = spawn(
        dir.path(),
        "short",
        &["serve"],
        &[("TOYGRES_JWT_SECRET", "too-short")],
    );
    assert!(!t.wait_exit().await.success());
    let log = t.log_text();
    assert!(log.contains("at least 32 bytes"), "{log}");
    assert!(
        !log.contains("too-short"),
        "the secret itself is not echoed: {log}"
    );
}

/// With no users and no bootstrap variables, the generated admin password goes to a private
/// file (stderr is not a terminal here), never to the log.
#[tokio::test]
async fn a_first_start_without_credentials_generates_an_admin_password_kept_out_of_the_log() {
    let dir = scratch();
    let mut t = spawn(dir.path(), "generated", &["serve"], &[]);
    t.wait_ready().await;
    let file = dir.path().join("data/initial-admin-password");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines = text.lines();
    let (email, password) = (lines.next().unwrap(), lines.next().unwrap());
    assert!(password.len() >= 20);
    t.login(email, password).await;
    assert!(!t.log_text().contains(password));
}

/// Standard error is a file here, so the log has no colour codes; its first lines say where
/// the dashboard, the API, the playground and the first admin's password are.
#[tokio::test]
async fn the_first_log_lines_say_where_everything_is_without_colour_codes() {
    let dir = scratch();
    let mut t = spawn(dir.path(), "plain", &["serve"], &[]);
    t.wait_ready().await;
    let log = t.log_text();
    assert!(!log.contains('\u{1b}'), "colour codes in a file: {log}");
    let first: Vec<&str> = log.lines().take(6).collect();
    let url = t.url().trim_end_matches("/graphql").to_owned();
    for wanted in [
        format!("dashboard: {url}/"),
        format!("GraphQL API: {url}/graphql"),
        format!("playground: {url}/playground"),
    ] {
        assert!(
            first.iter().any(|l| l.contains(&wanted)),
            "{wanted:?} not in the first lines:\n{}",
            first.join("\n")
        );
    }
    let file = dir.path().join("data/initial-admin-password");
    let admin_line = log
        .lines()
        .position(|l| l.contains(&file.display().to_string()))
        .unwrap_or_else(|| panic!("the password file is not named:\n{log}"));
    assert!(admin_line < 12, "named late, at line {admin_line}:\n{log}");
}

/// `TOYGRES_LOG_FORMAT=json`: every line is one JSON object with a level and a message.
#[tokio::test]
async fn json_logs_are_one_object_a_line() {
    let dir = scratch();
    let mut t = spawn(
        dir.path(),
        "json",
        &["serve"],
        &[("TOYGRES_LOG_FORMAT", "json")],
    );
    t.wait_ready().await;
    let log = t.log_text();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(lines.len() >= 3, "{log}");
    assert!(lines.iter().all(|l| l["level"].is_string()), "{log}");
    assert!(
        lines.iter().any(|l| l["fields"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("dashboard: http://"))),
        "{log}"
    );
    let mut bad = spawn(
        dir.path(),
        "bad",
        &["serve"],
        &[("TOYGRES_LOG_FORMAT", "xml")],
    );
    assert!(!bad.wait_exit().await.success());
    assert!(
        bad.log_text().contains("use text or json"),
        "{}",
        bad.log_text()
    );
}

/// The telemetry token under its old name, `TOYGRES_METRICS_TOKEN`, still guards `/metrics`,
/// and the log says once, at start, that the name is deprecated (never the token).
#[tokio::test]
async fn the_old_name_of_the_telemetry_token_still_guards_it_with_one_warning() {
    let dir = scratch();
    let t = serve(
        dir.path(),
        "old-token",
        &[("TOYGRES_METRICS_TOKEN", "scrape-me-please")],
    )
    .await;
    let url = format!("http://{}/metrics", t.addr);
    let http = reqwest::Client::new();
    assert_eq!(http.get(&url).send().await.unwrap().status(), 401);
    let scraped = http
        .get(&url)
        .bearer_auth("scrape-me-please")
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
    let log = t.log_text();
    assert_eq!(
        log.matches("TOYGRES_METRICS_TOKEN is deprecated").count(),
        1,
        "{log}"
    );
    assert!(!log.contains("scrape-me-please"), "{log}");
}

/// SIGKILL leaves the embedded Postgres running with nobody to stop it; the next start
/// takes over the data directory and carries on with the same data.
#[tokio::test]
async fn a_killed_toygres_restarts_on_its_data_directory_with_its_data() {
    let dir = scratch();
    let t = serve(dir.path(), "before", &[]).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (_, body) = t.gql(Some(&token), CHECK, json!({})).await;
    let id = body["data"]["runSystemCheck"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    t.signal(Signal::SIGKILL);
    drop(t);

    let t = serve(dir.path(), "after", &[]).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let q = "query($id: ID!) { operation(id: $id) { status } }";
    let deadline = tokio::time::Instant::now() + common::PATIENCE;
    loop {
        let (_, body) = t.gql(Some(&token), q, json!({"id": id})).await;
        if body["data"]["operation"]["status"] == "SUCCEEDED" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A tenant who gets a shell as the user that runs instances (`postgres`) can neither connect
/// to the metadata database nor read its files: it runs as a user of its own, and a cluster
/// left by an older Toygres under the instances' user, even still running, is handed over.
#[tokio::test]
async fn the_metadata_database_keeps_the_instances_user_out() {
    use std::os::unix::fs::MetadataExt as _;
    let uid_of = |name: &str| {
        nix::unistd::User::from_name(name)
            .unwrap()
            .unwrap_or_else(|| panic!("system user {name}"))
            .uid
            .as_raw()
    };
    let dir = scratch();
    let cluster = dir.path().join("data/postgres");
    // As an older Toygres left it: the cluster owned by the instances' user and still running.
    let t = serve(
        dir.path(),
        "old",
        &[
            ("TOYGRES_METADATA_USER", "postgres"),
            ("TOYGRES_PG_USER", "toygres"),
        ],
    )
    .await;
    assert_eq!(
        std::fs::metadata(&cluster).unwrap().uid(),
        uid_of("postgres")
    );
    t.signal(Signal::SIGKILL);
    drop(t);

    let mut t = serve(dir.path(), "new", &[]).await;
    t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let metadata = uid_of("toygres");
    for entry in walk(&cluster) {
        if let Ok(meta) = std::fs::symlink_metadata(&entry) {
            assert_eq!(
                meta.uid(),
                metadata,
                "{} is the metadata user's",
                entry.display()
            );
        }
    }
    let as_postgres = |args: &[&str]| {
        std::process::Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .args(args)
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .output()
            .unwrap()
    };
    let socket = cluster.to_str().unwrap();
    let psql = as_postgres(&[
        "psql", "-h", socket, "-p", "5432", "-U", "postgres", "-d", "toygres", "-Atc", "SELECT 1",
    ]);
    assert!(!psql.status.success(), "the instances' user connected");
    let stderr = String::from_utf8_lossy(&psql.stderr);
    assert!(stderr.contains("Permission denied"), "{stderr}");
    let read = as_postgres(&["cat", &format!("{socket}/PG_VERSION")]);
    assert!(
        !read.status.success(),
        "the instances' user read the cluster's files"
    );

    // The rule holds however the users are named.
    t.signal(Signal::SIGTERM);
    assert!(t.wait_exit().await.success(), "{}", t.log_text());
    let mut t = spawn(
        dir.path(),
        "same",
        &["serve"],
        &[("TOYGRES_METADATA_USER", "postgres")],
    );
    assert!(!t.wait_exit().await.success());
    assert!(
        t.log_text()
            .contains("set TOYGRES_METADATA_USER to a user of its own"),
        "{}",
        t.log_text()
    );
}

/// `root` and what is under it, without following links; what a running server removes
/// meanwhile is left out.
fn walk(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut all = vec![root.to_path_buf()];
    if let Ok(entries) = std::fs::read_dir(root) {
        for entry in entries.flatten() {
            let path = entry.path();
            match std::fs::symlink_metadata(&path) {
                Ok(meta) if meta.is_dir() => all.extend(walk(&path)),
                Ok(_) => all.push(path),
                Err(_) => {}
            }
        }
    }
    all
}

/// One API process and one worker process share a database: the API has no workers of its
/// own, the worker finishes the job, and the API's subscriber sees it.
#[tokio::test]
async fn a_job_finished_by_a_worker_process_reaches_a_subscriber_of_an_api_process() {
    let dir = scratch();
    let url = common::fresh_database().await;
    let db = [("DATABASE_URL", url.as_str())];
    // Every process that shares a database shares the master key (it opens the backup
    // repository's key, which the first process stored).
    let master = ("TOYGRES_MASTER_KEY", "11".repeat(32));
    let master = (master.0, master.1.as_str());
    let api = serve(
        dir.path(),
        "api",
        &[
            db[0],
            master,
            ("TOYGRES_ROLE", "api"),
            ("TOYGRES_JWT_SECRET", "shared-secret-shared-secret-shared!"),
        ],
    )
    .await;
    let token = api.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut ws = api.ws_as(&token).await;
    subscribe_operations(&mut ws).await;
    let (_, body) = api.gql(Some(&token), CHECK, json!({})).await;
    let id = body["data"]["runSystemCheck"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    use sqlx::Connection as _;
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    let workers: i64 = sqlx::query_scalar("SELECT count(*) FROM queue_workers")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(workers, 0, "the API process runs no workers");

    let _worker = serve(
        dir.path(),
        "worker",
        &[
            db[0],
            master,
            ("TOYGRES_ROLE", "worker"),
            ("TOYGRES_DATA_DIR", dir.path().join("w").to_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(follow_to_the_end(&mut ws, &id).await, "SUCCEEDED");
}

#[tokio::test]
async fn user_create_takes_the_password_on_stdin_and_the_user_can_log_in() {
    use std::io::Write as _;
    let dir = scratch();
    let url = common::fresh_database().await;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_toygres"))
        .args(["user", "create", "--email", "ops@example.com"])
        .env("DATABASE_URL", &url)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a-password-from-stdin\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("a-password-from-stdin"));

    let t = serve(dir.path(), "serve", &[("DATABASE_URL", url.as_str())]).await;
    let token = t.login("ops@example.com", "a-password-from-stdin").await;
    let (_, body) = t
        .gql(
            Some(&token),
            "{ me { isSiteAdmin roles { role } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["me"],
        json!({"isSiteAdmin": false, "roles": [{"role": "VIEWER"}]})
    );
}
