//! Backups and point-in-time restore, end to end through the public API, with real
//! PostgreSQL instances and real pgBackRest: continuous archiving, scheduled and asked-for
//! backups, restores to a time and to the latest point, restores of deleted instances, purges,
//! and archiving failures reported.

mod common;

use std::time::{Duration, Instant};

use common::{ADMIN_EMAIL, ADMIN_PASSWORD, PATIENCE, Toygres, scratch, serve};
use serde_json::{Value, json};
use sqlx::Connection as _;

/// Checks every second and archives a quiet instance's WAL every second, so that the restore
/// window keeps up within a test's patience.
const FAST: &[(&str, &str)] = &[
    ("TOYGRES_HEALTH_INTERVAL_SECS", "1"),
    ("TOYGRES_ARCHIVE_TIMEOUT_SECS", "1"),
];

const WINDOW: &str = "earliestRestoreTime latestRestoreTime \
    archiving { lastArchivedAt lastFailedAt lastError } \
    backups(first: 10) { edges { node { id kind status startedAt finishedAt sizeBytes storedBytes } } }";

/// Poll the instance's `fields` until `done` holds; the last answer.
async fn wait_instance(
    t: &Toygres,
    token: &str,
    id: &str,
    fields: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    // Backups and archiving run beside every other test: give them twice the patience.
    let deadline = Instant::now() + 2 * PATIENCE;
    loop {
        let now = t.instance(token, id, fields).await;
        if done(&now) {
            return now;
        }
        assert!(Instant::now() < deadline, "waited for {what}: {now}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn time(v: &Value) -> Option<chrono::DateTime<chrono::Utc>> {
    v.as_str().and_then(|s| s.parse().ok())
}

fn succeeded_backups(inst: &Value) -> Vec<Value> {
    inst["backups"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["node"].clone())
        .filter(|n| n["status"] == "SUCCEEDED")
        .collect()
}

async fn connection_string(t: &Toygres, token: &str, id: &str) -> String {
    t.connection_string(token, id).await
}

/// Send `mutation`, whose field `field` answers an operation; the operation's id.
async fn start_operation(
    t: &Toygres,
    token: &str,
    mutation: &str,
    variables: Value,
    field: &str,
) -> String {
    let (_, body) = t.gql(Some(token), mutation, variables).await;
    body["data"][field]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

/// `restoreInstance` with `input`; the new instance's id and operation id, or the errors.
async fn restore(t: &Toygres, token: &str, input: Value) -> Result<(String, String), Value> {
    let (_, body) = t
        .gql(
            Some(token),
            "mutation($in: RestoreInstanceInput!) { restoreInstance(input: $in) { instance { id state } operation { id } } }",
            json!({"in": input}),
        )
        .await;
    let payload = &body["data"]["restoreInstance"];
    if payload.is_null() {
        return Err(body["errors"].clone());
    }
    assert_eq!(payload["instance"]["state"], "CREATING", "{body}");
    Ok((
        payload["instance"]["id"].as_str().unwrap().to_owned(),
        payload["operation"]["id"].as_str().unwrap().to_owned(),
    ))
}

/// `restoreInstance` with `input`, waited for until it succeeds; the new instance's id and a
/// connection to it.
async fn restore_and_connect(
    t: &Toygres,
    token: &str,
    input: Value,
) -> (String, sqlx::PgConnection) {
    let (id, op) = restore(t, token, input).await.unwrap();
    let done = t.wait_operation(token, &op).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}\n{}", t.log_text());
    let conn = connect(t, token, &id).await;
    (id, conn)
}

/// A connection to instance `id` with its connection string.
async fn connect(t: &Toygres, token: &str, id: &str) -> sqlx::PgConnection {
    sqlx::PgConnection::connect(&connection_string(t, token, id).await)
        .await
        .unwrap()
}

async fn count(conn: &mut sqlx::PgConnection, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(conn)
        .await
        .unwrap()
}

async fn table_exists(conn: &mut sqlx::PgConnection, name: &str) -> bool {
    sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(name)
        .fetch_one(conn)
        .await
        .unwrap()
}

/// The story of the issue: rows written, a time T noted, then a table dropped and rows
/// deleted. A restore to T brings back the table and the rows and nothing written after T;
/// the source is untouched. Deleted, the source can still be restored (to its latest point,
/// which has the damage); purged, it cannot.
#[tokio::test]
async fn a_restore_to_a_time_brings_back_what_was_there_and_nothing_after() {
    let dir = scratch();
    let t = serve(dir.path(), "serve", FAST).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (source, op) = t.create_instance(&token, "ledger").await;
    assert_eq!(t.wait_operation(&token, &op).await["status"], "SUCCEEDED");

    // The policy's first backup is taken as soon as the instance runs.
    let first = wait_instance(&t, &token, &source, WINDOW, "a first backup", |i| {
        !succeeded_backups(i).is_empty()
    })
    .await;
    let full = &succeeded_backups(&first)[0];
    assert_eq!(full["kind"], "FULL", "{first}");
    assert!(full["sizeBytes"].as_f64().unwrap() > 1e6, "{full}");
    assert!(full["storedBytes"].as_f64().unwrap() > 0.0, "{full}");

    let mut conn = connect(&t, &token, &source).await;
    // A time can be restored to from a second after the backup's stop (pgBackRest keeps
    // whole seconds): the writes and T come after that.
    let opens = time(&full["finishedAt"]).unwrap() + chrono::Duration::seconds(1);
    loop {
        let now: chrono::DateTime<chrono::Utc> = sqlx::query_scalar("SELECT clock_timestamp()")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        if now > opens {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sqlx::raw_sql(
        "CREATE TABLE accounts (id int PRIMARY KEY, owner text); \
         INSERT INTO accounts SELECT i, 'owner ' || i FROM generate_series(1, 100) i; \
         CREATE TABLE audit (line text); INSERT INTO audit VALUES ('kept');",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let at_t: chrono::DateTime<chrono::Utc> = sqlx::query_scalar("SELECT clock_timestamp()")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    // Commits after T: the damage.
    tokio::time::sleep(Duration::from_millis(50)).await;
    sqlx::raw_sql(
        "DELETE FROM accounts WHERE id > 50; DROP TABLE audit; \
         INSERT INTO accounts VALUES (1000, 'after T');",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let after: chrono::DateTime<chrono::Utc> = sqlx::query_scalar("SELECT clock_timestamp()")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();

    // The window reaches past the damage once its WAL is archived.
    let window = wait_instance(&t, &token, &source, WINDOW, "the window past T", |i| {
        time(&i["latestRestoreTime"]).is_some_and(|l| l > after)
    })
    .await;
    let earliest = time(&window["earliestRestoreTime"]).unwrap();
    assert!(earliest < at_t, "{window}");
    assert!(
        window["archiving"]["lastArchivedAt"].is_string(),
        "{window}"
    );
    assert!(window["archiving"]["lastError"].is_null(), "{window}");

    // Outside the window: refused, with the window in the message, and nothing made.
    let early = (earliest - chrono::Duration::hours(1)).to_rfc3339();
    let refused = restore(
        &t,
        &token,
        json!({"sourceInstanceId": source, "name": "too-early", "targetTime": early}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        refused[0]["extensions"]["code"], "INVALID_INPUT",
        "{refused}"
    );
    let message = refused[0]["message"].as_str().unwrap();
    assert!(
        message.contains("restore window") && message.contains(" to "),
        "{message}"
    );
    let (_, listed) = t
        .gql(
            Some(&token),
            "{ instances { edges { node { name } } } }",
            json!({}),
        )
        .await;
    assert!(!listed.to_string().contains("too-early"), "{listed}");

    // To T: the table and the rows are back, and nothing after T is.
    let (restored, op) = restore(
        &t,
        &token,
        json!({"sourceInstanceId": source, "name": "ledger-at-t", "targetTime": at_t.to_rfc3339()}),
    )
    .await
    .unwrap();
    let done = t.wait_operation(&token, &op).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}\n{}", t.log_text());
    let now = t
        .instance(&token, &restored, "state health version restoredFrom")
        .await;
    assert_eq!(now["state"], "RUNNING", "{now}");
    assert_eq!(now["restoredFrom"], source.as_str(), "{now}");
    let mut back = connect(&t, &token, &restored).await;
    assert_eq!(count(&mut back, "SELECT count(*) FROM accounts").await, 100);
    assert_eq!(
        count(&mut back, "SELECT count(*) FROM accounts WHERE id = 1000").await,
        0
    );
    assert!(table_exists(&mut back, "audit").await);
    // It takes writes: promoted, not a standby.
    sqlx::query("INSERT INTO accounts VALUES (2000, 'new life')")
        .execute(&mut back)
        .await
        .unwrap();
    back.close().await.unwrap();

    // The source was never touched.
    let mut source_conn = connect(&t, &token, &source).await;
    assert_eq!(
        count(&mut source_conn, "SELECT count(*) FROM accounts").await,
        51
    );
    assert!(!table_exists(&mut source_conn, "audit").await);
    source_conn.close().await.unwrap();

    // Deleted, its backups stay: the latest point has the damage.
    let op = t.instance_op(&token, "deleteInstance", &source).await;
    assert_eq!(t.wait_operation(&token, &op).await["status"], "SUCCEEDED");
    let (latest, mut last) = restore_and_connect(
        &t,
        &token,
        json!({"sourceInstanceId": source, "name": "ledger-latest"}),
    )
    .await;
    assert_eq!(count(&mut last, "SELECT count(*) FROM accounts").await, 51);
    assert!(!table_exists(&mut last, "audit").await);
    last.close().await.unwrap();

    // Purged with its delete, an instance's backups are gone for good.
    wait_instance(
        &t,
        &token,
        &latest,
        WINDOW,
        "the restored instance's backup",
        |i| !succeeded_backups(i).is_empty(),
    )
    .await;
    let op = start_operation(
        &t,
        &token,
        "mutation($id: ID!) { deleteInstance(id: $id, purgeBackups: true) { id } }",
        json!({"id": latest}),
        "deleteInstance",
    )
    .await;
    assert_eq!(t.wait_operation(&token, &op).await["status"], "SUCCEEDED");
    let gone = t.instance(&token, &latest, WINDOW).await;
    assert!(succeeded_backups(&gone).is_empty(), "{gone}");
    let refused = restore(
        &t,
        &token,
        json!({"sourceInstanceId": latest, "name": "never"}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        refused[0]["extensions"]["code"], "INVALID_INPUT",
        "{refused}"
    );
    let repo = dir.path().join("data/backups/backup");
    let stanzas: Vec<String> = std::fs::read_dir(&repo)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let latest_stanza = format!("tg-{}", latest.replace('-', ""));
    assert!(!stanzas.contains(&latest_stanza), "{stanzas:?}");
    assert!(
        stanzas.contains(&format!("tg-{}", source.replace('-', ""))),
        "{stanzas:?}"
    );
}

/// Whether the directory repository under `dir` holds anything of `stanza` (its backups or
/// its archived WAL).
fn stanza_in_repository(dir: &std::path::Path, stanza: &str) -> bool {
    ["backup", "archive"]
        .iter()
        .any(|kind| dir.join("data/backups").join(kind).join(stanza).exists())
}

/// Wait until the directory repository under `dir` holds nothing of `stanza`.
async fn wait_stanza_gone(dir: &std::path::Path, stanza: &str) {
    let deadline = Instant::now() + PATIENCE;
    while stanza_in_repository(dir, stanza) {
        assert!(
            Instant::now() < deadline,
            "{stanza} is still in the repository"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A deleted instance's backups are kept for its retention, which the API shows, and then
/// purged from the repository by the control plane; a deleted project's kept backups have
/// nobody left to restore them and are purged at once.
#[tokio::test]
async fn kept_backups_are_purged_when_their_retention_ends_or_their_project_goes() {
    let dir = scratch();
    let url = common::fresh_database().await;
    let env: Vec<(&str, &str)> = FAST
        .iter()
        .copied()
        .chain([("DATABASE_URL", url.as_str())])
        .collect();
    let t = serve(dir.path(), "serve", &env).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (_, body) = t
        .gql(
            Some(&token),
            "mutation { createProject(name: \"short-lived\") { id } }",
            json!({}),
        )
        .await;
    let project = body["data"]["createProject"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    let (kept, kept_op) = t.create_instance(&token, "kept").await;
    let (_, body) = t
        .gql(
            Some(&token),
            "mutation($p: ID!) { createInstance(input: {name: \"orphan\", projectId: $p}) { instance { id } operation { id } } }",
            json!({"p": project}),
        )
        .await;
    let orphan = body["data"]["createInstance"]["instance"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    let orphan_op = body["data"]["createInstance"]["operation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (id, op) in [(&kept, &kept_op), (&orphan, &orphan_op)] {
        assert_eq!(t.wait_operation(&token, op).await["status"], "SUCCEEDED");
        // Each takes its first backup by itself.
        wait_instance(&t, &token, id, WINDOW, "a first backup", |i| {
            !succeeded_backups(i).is_empty()
        })
        .await;
    }
    let stanza = |id: &str| format!("tg-{}", id.replace('-', ""));
    for id in [&kept, &orphan] {
        assert!(stanza_in_repository(dir.path(), &stanza(id)));
        let op = t.instance_op(&token, "deleteInstance", id).await;
        assert_eq!(t.wait_operation(&token, &op).await["status"], "SUCCEEDED");
    }

    // Kept for the default seven days, and said so.
    let deleted = t
        .instance(&token, &kept, "state backupsRetainedUntil")
        .await;
    let until = time(&deleted["backupsRetainedUntil"]).unwrap_or_else(|| panic!("{deleted}"));
    let left = until - chrono::Utc::now();
    assert!(
        left > chrono::Duration::days(7) - chrono::Duration::minutes(5)
            && left <= chrono::Duration::days(7),
        "{deleted}"
    );

    // The project goes: its instance's backups go with it, without waiting seven days.
    let (_, body) = t
        .gql(
            Some(&token),
            "mutation($p: ID!) { deleteProject(id: $p) }",
            json!({"p": project}),
        )
        .await;
    assert_eq!(body["data"]["deleteProject"], project, "{body}");
    wait_stanza_gone(dir.path(), &stanza(&orphan)).await;
    assert!(stanza_in_repository(dir.path(), &stanza(&kept)));

    // Seven days pass for the other.
    let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query("UPDATE retained_stanzas SET expires_at = now() WHERE instance_id = $1::uuid")
        .bind(&kept)
        .execute(&mut db)
        .await
        .unwrap();
    wait_stanza_gone(dir.path(), &stanza(&kept)).await;
    let purged = t.instance(&token, &kept, "backupsRetainedUntil").await;
    assert!(purged["backupsRetainedUntil"].is_null(), "{purged}");
    let refused = restore(
        &t,
        &token,
        json!({"sourceInstanceId": kept, "name": "too-late"}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        refused[0]["extensions"]["code"], "INVALID_INPUT",
        "{refused}"
    );
}

/// `createBackup` takes a differential backup on request; a policy is validated and kept; an
/// archiving failure shows on the instance and as a cluster event, and clears when archiving
/// works again.
#[tokio::test]
async fn backups_on_request_a_policy_and_a_failing_archive_are_visible() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = scratch();
    let t = serve(dir.path(), "serve", FAST).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (id, op) = t.create_instance(&token, "diffs").await;
    assert_eq!(t.wait_operation(&token, &op).await["status"], "SUCCEEDED");

    let (_, body) = t
        .gql(
            Some(&token),
            "mutation($id: ID!) { setBackupPolicy(instanceId: $id, schedule: \"every day\", retentionDays: 3) { schedule } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "INVALID_INPUT",
        "{body}"
    );
    let (_, body) = t
        .gql(
            Some(&token),
            "mutation($id: ID!) { setBackupPolicy(instanceId: $id, schedule: \"30 2 * * 0\", retentionDays: 3) { schedule retentionDays } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        body["data"]["setBackupPolicy"],
        json!({"schedule": "30 2 * * 0", "retentionDays": 3}),
        "{body}"
    );
    let policy = t
        .instance(&token, &id, "backupPolicy { schedule retentionDays }")
        .await;
    assert_eq!(policy["backupPolicy"]["retentionDays"], 3, "{policy}");

    // The first backup (a full one) comes by itself; then one on request.
    wait_instance(&t, &token, &id, WINDOW, "a first backup", |i| {
        !succeeded_backups(i).is_empty()
    })
    .await;
    let (_, body) = t
        .gql(
            Some(&token),
            "mutation($id: ID!) { createBackup(instanceId: $id, kind: DIFFERENTIAL) { id kind } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        body["data"]["createBackup"]["kind"], "backup_instance",
        "{body}"
    );
    let op = body["data"]["createBackup"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let done = t.wait_operation(&token, &op).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    let listed = t.instance(&token, &id, WINDOW).await;
    let kinds: Vec<String> = succeeded_backups(&listed)
        .iter()
        .map(|b| b["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds.len(), 2, "{listed}");
    assert!(
        kinds.iter().any(|k| k == "DIFFERENTIAL") && kinds.iter().any(|k| k == "FULL"),
        "{listed}"
    );

    // The repository refuses new WAL: the instance shows it, and so do the cluster's events.
    let archive = dir.path().join("data/backups/archive");
    let mode = std::fs::metadata(&archive).unwrap().permissions().mode();
    std::fs::set_permissions(&archive, std::fs::Permissions::from_mode(0o000)).unwrap();
    let failing = wait_instance(&t, &token, &id, WINDOW, "an archiving failure", |i| {
        i["archiving"]["lastError"].is_string()
    })
    .await;
    assert!(
        failing["archiving"]["lastError"]
            .as_str()
            .unwrap()
            .contains("WAL file"),
        "{failing}"
    );
    let (_, events) = t
        .gql(
            Some(&token),
            "{ clusterEvents(first: 50) { edges { node { kind severity message } } } }",
            json!({}),
        )
        .await;
    assert!(events.to_string().contains("archiving_failed"), "{events}");
    let scraped = metrics(&t).await;
    let failing = format!("toygres_archive_failing{{instance=\"{id}\",name=\"diffs\"}} 1");
    assert!(scraped.contains(&failing), "{scraped}");
    assert!(
        scraped.contains(&format!(
            "toygres_backup_last_success_age_seconds{{instance=\"{id}\",name=\"diffs\"}}"
        )),
        "{scraped}"
    );
    std::fs::set_permissions(&archive, std::fs::Permissions::from_mode(mode)).unwrap();
    wait_instance(&t, &token, &id, WINDOW, "archiving to work again", |i| {
        i["archiving"]["lastError"].is_null()
    })
    .await;
    let scraped = metrics(&t).await;
    assert!(
        scraped.contains(&failing.replace("} 1", "} 0")),
        "{scraped}"
    );
}

/// `GET /metrics`.
async fn metrics(t: &Toygres) -> String {
    reqwest::get(format!("http://{}/metrics", t.addr))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// With `TOYGRES_BACKUP_S3_*`, backups and WAL go to an S3-compatible store over TLS,
/// encrypted, and a restore reads them back from there.
#[tokio::test]
async fn backups_go_to_object_storage_encrypted_and_restore_from_it() {
    let dir = scratch();
    let s3 = common::s3::S3::start(dir.path(), "toygres-backups").await;
    let mut env: Vec<(&str, &str)> = FAST.to_vec();
    let s3_env = s3.env();
    env.extend(common::borrowed(&s3_env));
    let t = serve(dir.path(), "serve", &env).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (id, op) = t.create_instance(&token, "bucketed").await;
    assert_eq!(t.wait_operation(&token, &op).await["status"], "SUCCEEDED");
    let mut conn = connect(&t, &token, &id).await;
    sqlx::raw_sql("CREATE TABLE notes (n int); INSERT INTO notes SELECT generate_series(1, 42);")
        .execute(&mut conn)
        .await
        .unwrap();
    let written: chrono::DateTime<chrono::Utc> = sqlx::query_scalar("SELECT clock_timestamp()")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    wait_instance(
        &t,
        &token,
        &id,
        WINDOW,
        "a backup and the window past the rows",
        |i| {
            !succeeded_backups(i).is_empty()
                && time(&i["latestRestoreTime"]).is_some_and(|l| l > written)
        },
    )
    .await;

    // In the bucket, and unreadable without the key.
    let stanza = format!("tg-{}", id.replace('-', ""));
    let backup_keys = s3.keys(&format!("toygres/backup/{stanza}/")).await;
    let archive_keys = s3.keys(&format!("toygres/archive/{stanza}/")).await;
    assert!(
        !backup_keys.is_empty() && !archive_keys.is_empty(),
        "{backup_keys:?} {archive_keys:?}"
    );
    let info_key = format!("toygres/backup/{stanza}/backup.info");
    assert!(backup_keys.contains(&info_key), "{backup_keys:?}");
    let info = s3.object(&info_key).await;
    assert!(
        info.starts_with(b"Salted__"),
        "backup.info is not encrypted: {:?}",
        String::from_utf8_lossy(&info[..info.len().min(200)])
    );
    assert!(
        !dir.path().join("data/backups/backup").exists(),
        "nothing in the directory repository"
    );

    let (_, mut back) = restore_and_connect(
        &t,
        &token,
        json!({"sourceInstanceId": id, "name": "from-the-bucket"}),
    )
    .await;
    assert_eq!(count(&mut back, "SELECT count(*) FROM notes").await, 42);
    back.close().await.unwrap();
}

/// Whether a `pgbackrest <command>` process runs with a configuration under `dir`.
fn pgbackrest_running(dir: &std::path::Path, command: &str) -> bool {
    std::fs::read_dir("/proc").unwrap().flatten().any(|entry| {
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            return false;
        };
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        args.first().is_some_and(|a| a.ends_with("pgbackrest"))
            && args.iter().any(|a| a == command)
            && args.iter().any(|a| a.contains(&dir.display().to_string()))
    })
}

/// Wait until a `pgbackrest <command>` runs under `dir`.
async fn wait_pgbackrest(dir: &std::path::Path, command: &str) {
    let deadline = Instant::now() + PATIENCE;
    while !pgbackrest_running(dir, command) {
        assert!(Instant::now() < deadline, "no pgbackrest {command} ran");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The backups pgBackRest holds for `stanza` in the directory repository under `dir`.
fn repository_backups(dir: &std::path::Path, stanza: &str) -> Vec<String> {
    let mut labels: Vec<String> = std::fs::read_dir(dir.join("data/backups/backup").join(stanza))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.len() > 15 && n.as_bytes()[8] == b'-')
        .collect();
    labels.sort();
    labels
}

const QUICK_RESTART: &[(&str, &str)] = &[
    ("TOYGRES_WORKER_HEARTBEAT_SECS", "1"),
    ("TOYGRES_WORKER_MISSED_HEARTBEATS", "1"),
    ("TOYGRES_RETRY_BASE_MS", "200"),
];

/// Killed with -9 while pgBackRest copies, the control plane finishes the backup after a
/// restart, and there is one backup for the operation in the API and in the repository.
/// Killed while a restore copies, it finishes the restore: one new instance, one data
/// directory, the data there, and the source untouched.
#[tokio::test]
async fn a_control_plane_killed_during_a_backup_or_a_restore_finishes_it_once() {
    let dir = scratch();
    let env: Vec<(&str, &str)> = FAST.iter().chain(QUICK_RESTART).copied().collect();
    let t = serve(dir.path(), "first", &env).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (id, op) = t.create_instance(&token, "crashy").await;
    assert_eq!(t.wait_operation(&token, &op).await["status"], "SUCCEEDED");
    let mut conn = connect(&t, &token, &id).await;
    // Enough data that a backup and a restore take a moment.
    sqlx::raw_sql(
        "CREATE TABLE filler AS SELECT i, md5(i::text) AS m FROM generate_series(1, 300000) i",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    wait_instance(&t, &token, &id, WINDOW, "the first backup", |i| {
        !succeeded_backups(i).is_empty()
    })
    .await;

    let op = start_operation(
        &t,
        &token,
        "mutation($id: ID!) { createBackup(instanceId: $id) { id } }",
        json!({"id": id}),
        "createBackup",
    )
    .await;
    wait_pgbackrest(dir.path(), "backup").await;
    t.signal(nix::sys::signal::Signal::SIGKILL);
    drop(t);

    let t = serve(dir.path(), "second", &env).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let done = t.wait_operation(&token, &op).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}\n{}", t.log_text());
    let listed = t.instance(&token, &id, WINDOW).await;
    let stanza = format!("tg-{}", id.replace('-', ""));
    let in_repository = repository_backups(dir.path(), &stanza);
    assert_eq!(succeeded_backups(&listed).len(), 2, "{listed}");
    assert_eq!(in_repository.len(), 2, "{in_repository:?}");

    let (restored, op) = restore(
        &t,
        &token,
        json!({"sourceInstanceId": id, "name": "crashy-copy"}),
    )
    .await
    .unwrap();
    wait_pgbackrest(dir.path(), "restore").await;
    t.signal(nix::sys::signal::Signal::SIGKILL);
    drop(t);

    let t = serve(dir.path(), "third", &env).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let done = t.wait_operation(&token, &op).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}\n{}", t.log_text());
    let mut back = connect(&t, &token, &restored).await;
    assert_eq!(
        count(&mut back, "SELECT count(*) FROM filler").await,
        300_000
    );
    back.close().await.unwrap();
    let (_, listed) = t
        .gql(
            Some(&token),
            "{ instances { edges { node { name state } } } }",
            json!({}),
        )
        .await;
    let names: Vec<&str> = listed["data"]["instances"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names.iter().filter(|n| **n == "crashy-copy").count(),
        1,
        "{listed}"
    );
    let dirs: Vec<String> = std::fs::read_dir(dir.path().join("data/instances"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        dirs.len(),
        2,
        "the source and the copy, nothing half-made: {dirs:?}"
    );
    assert!(!pgbackrest_running(dir.path(), "restore"));
}

/// Every file under `dir`, recursively.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// A drill restores the newest backup into a scratch instance, finds the canary and a sound
/// catalog, records its RTO and RPO and removes the scratch instance. A drill whose backup was
/// damaged in the repository fails loudly: failed with its reason, a critical cluster event,
/// and no scratch instance left behind.
#[tokio::test]
async fn a_drill_proves_a_backup_and_fails_loudly_on_a_damaged_one() {
    let dir = scratch();
    let env: Vec<(&str, &str)> = FAST
        .iter()
        .chain(&[("TOYGRES_RETRY_BASE_MS", "200")])
        .copied()
        .collect();
    let t = serve(dir.path(), "serve", &env).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    let (_, body) = t
        .gql(
            Some(&token),
            "mutation { setRestoreDrillPolicy(schedule: \"weekly\") { schedule } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "INVALID_INPUT",
        "{body}"
    );
    let (_, body) = t
        .gql(
            Some(&token),
            "mutation { setRestoreDrillPolicy(schedule: \"0 5 * * 1\") { schedule } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["setRestoreDrillPolicy"]["schedule"], "0 5 * * 1",
        "{body}"
    );
    let (_, body) = t
        .gql(
            Some(&token),
            "{ restoreDrillPolicy { schedule } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["restoreDrillPolicy"]["schedule"], "0 5 * * 1",
        "{body}"
    );

    let (id, op) = t.create_instance(&token, "drilled").await;
    assert_eq!(t.wait_operation(&token, &op).await["status"], "SUCCEEDED");
    wait_instance(&t, &token, &id, WINDOW, "the first backup", |i| {
        !succeeded_backups(i).is_empty()
    })
    .await;

    let drill = "mutation($id: ID!) { runRestoreDrill(instanceId: $id) { id kind } }";
    let (_, body) = t.gql(Some(&token), drill, json!({"id": id})).await;
    assert_eq!(
        body["data"]["runRestoreDrill"]["kind"], "restore_drill",
        "{body}"
    );
    let op = body["data"]["runRestoreDrill"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let done = t.wait_operation(&token, &op).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}\n{}", t.log_text());
    let drills = "restoreDrills { at status rtoMs rpoMs error scratchInstanceId }";
    let now = t.instance(&token, &id, drills).await;
    let passed = &now["restoreDrills"][0];
    assert_eq!(passed["status"], "SUCCEEDED", "{now}");
    assert!(passed["rtoMs"].as_f64().unwrap() > 0.0, "{now}");
    assert!(passed["rpoMs"].as_f64().unwrap() >= 0.0, "{now}");
    assert!(passed["error"].is_null(), "{now}");
    let scraped = metrics(&t).await;
    assert!(
        scraped.contains(&format!(
            "toygres_restore_drill_last_passed{{instance=\"{id}\",name=\"drilled\"}} 1"
        )),
        "{scraped}"
    );
    assert!(
        scraped.contains("toygres_restore_drill_rto_seconds{"),
        "{scraped}"
    );
    let scratch_id = passed["scratchInstanceId"].as_str().unwrap().to_owned();
    let scratch = t.instance(&token, &scratch_id, "state").await;
    assert_eq!(scratch["state"], "DELETED", "{scratch}");
    let dirs = std::fs::read_dir(dir.path().join("data/instances"))
        .unwrap()
        .count();
    assert_eq!(
        dirs, 1,
        "only the drilled instance's data directory is left"
    );

    // Damage every file of the newest backup in the repository.
    let stanza = format!("tg-{}", id.replace('-', ""));
    let newest = repository_backups(dir.path(), &stanza).pop().unwrap();
    let backup_dir = dir
        .path()
        .join("data/backups/backup")
        .join(&stanza)
        .join(&newest);
    for file in files_under(&backup_dir) {
        if file
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("backup.manifest"))
        {
            continue;
        }
        let mut bytes = std::fs::read(&file).unwrap();
        let middle = bytes.len() / 2;
        for b in bytes.iter_mut().skip(middle.saturating_sub(8)).take(16) {
            *b ^= 0xFF;
        }
        std::fs::write(&file, bytes).unwrap();
    }
    let op = start_operation(&t, &token, drill, json!({"id": id}), "runRestoreDrill").await;
    let done = t.wait_operation(&token, &op).await;
    assert_eq!(done["status"], "FAILED", "{done}");
    let now = t.instance(&token, &id, drills).await;
    let failed = &now["restoreDrills"][0];
    assert_eq!(failed["status"], "FAILED", "{now}");
    assert!(
        failed["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{now}"
    );
    let scratch_id = failed["scratchInstanceId"].as_str().unwrap().to_owned();
    let scratch = t.instance(&token, &scratch_id, "state").await;
    assert_eq!(scratch["state"], "DELETED", "{scratch}");
    let (_, events) = t
        .gql(
            Some(&token),
            "query($id: ID!) { clusterEvents(first: 50, instanceId: $id) { edges { node { kind severity } } } }",
            json!({"id": id}),
        )
        .await;
    let raised = events["data"]["clusterEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| {
            e["node"]["kind"] == "restore_drill_failed" && e["node"]["severity"] == "critical"
        });
    assert!(raised, "{events}");
}

/// The data directory under `dir` whose postmaster listens on `port`.
fn data_dir_on_port(dir: &std::path::Path, port: i64) -> std::path::PathBuf {
    std::fs::read_dir(dir.join("data/instances"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            std::fs::read_to_string(p.join("postmaster.pid"))
                .is_ok_and(|pid| pid.lines().nth(3) == Some(port.to_string().as_str()))
        })
        .unwrap_or_else(|| panic!("no postmaster on port {port} under {}", dir.display()))
}

/// Run `argv` as the OS user `postgres`; panics unless it succeeds.
fn as_postgres(argv: &[&str]) {
    let out = std::process::Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .args(argv)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{argv:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Backup and restore of an instance holding 1 GB through the API (pgBackRest: compressed,
/// encrypted, into the directory repository), and a restore drill; in the same run, the peer:
/// plain `pg_basebackup` of the same instance, and starting the copy (which replays the WAL
/// streamed with it) until it answers.
#[tokio::test]
#[ignore = "a benchmark: cargo test --test backups -- --ignored --nocapture benchmark"]
async fn benchmark_backing_up_and_restoring_one_gigabyte() {
    let dir = scratch();
    let t = serve(dir.path(), "bench", FAST).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (id, op) = t.create_instance(&token, "big").await;
    assert_eq!(t.wait_operation(&token, &op).await["status"], "SUCCEEDED");
    // The automatic first backup, of an empty instance, out of the way.
    wait_instance(&t, &token, &id, WINDOW, "the first backup", |i| {
        !succeeded_backups(i).is_empty()
    })
    .await;
    let mut conn = connect(&t, &token, &id).await;
    let load = Instant::now();
    // Random text: a compressor gains little on it, as on most real data.
    sqlx::raw_sql(
        "CREATE TABLE filler AS SELECT g AS id, \
             md5(random()::text) || md5(random()::text) || md5(random()::text) || \
             md5(random()::text) || md5(random()::text) || md5(random()::text) AS pad \
         FROM generate_series(1, 4500000) g",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let size: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let mb = size as f64 / 1e6;
    eprintln!("loaded {mb:.0} MB in {:.1} s", load.elapsed().as_secs_f64());

    // Toygres: a full backup on request.
    let op = start_operation(
        &t,
        &token,
        "mutation($id: ID!) { createBackup(instanceId: $id, kind: FULL) { id } }",
        json!({"id": id}),
        "createBackup",
    )
    .await;
    let started = Instant::now();
    assert_eq!(t.wait_operation(&token, &op).await["status"], "SUCCEEDED");
    let backup_wall = started.elapsed().as_secs_f64();
    let inst = t.instance(&token, &id, WINDOW).await;
    let newest = &succeeded_backups(&inst)[0];
    let took = (time(&newest["finishedAt"]).unwrap() - time(&newest["startedAt"]).unwrap())
        .as_seconds_f64();
    let stored = newest["storedBytes"].as_f64().unwrap() / 1e6;
    eprintln!(
        "toygres backup: {backup_wall:.1} s from the mutation ({took:.1} s of pgBackRest), \
         {:.0} MB/s, {stored:.0} MB stored",
        mb / took
    );

    // Toygres: a restore to the latest point, mutation sent → connectable.
    let started = Instant::now();
    let (restored, mut back) =
        restore_and_connect(&t, &token, json!({"sourceInstanceId": id, "name": "back"})).await;
    let restore_wall = started.elapsed().as_secs_f64();
    assert_eq!(
        count(&mut back, "SELECT count(*) FROM filler").await,
        4_500_000
    );
    back.close().await.unwrap();
    eprintln!(
        "toygres restore: {restore_wall:.1} s to connectable, {:.0} MB/s",
        mb / restore_wall
    );
    let op = t.instance_op(&token, "deleteInstance", &restored).await;
    assert_eq!(t.wait_operation(&token, &op).await["status"], "SUCCEEDED");

    // A drill of the newest backup.
    let op = start_operation(
        &t,
        &token,
        "mutation($id: ID!) { runRestoreDrill(instanceId: $id) { id } }",
        json!({"id": id}),
        "runRestoreDrill",
    )
    .await;
    assert_eq!(t.wait_operation(&token, &op).await["status"], "SUCCEEDED");
    let drills = t
        .instance(&token, &id, "restoreDrills { status rtoMs rpoMs }")
        .await;
    eprintln!("toygres drill: {}", drills["restoreDrills"][0]);

    // The peer: pg_basebackup of the same instance over its socket, then the copy started.
    let port = t.instance(&token, &id, "port").await["port"]
        .as_i64()
        .unwrap();
    let data = data_dir_on_port(dir.path(), port);
    let bin = providers::local::PgBinaries::installed()
        .last()
        .unwrap()
        .bin_dir()
        .to_owned();
    let copy = dir.path().join("basebackup");
    let copy_text = copy.display().to_string();
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::create_dir(&copy).unwrap();
        std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o700)).unwrap();
        let owned = std::process::Command::new("chown")
            .args(["postgres:postgres", &copy_text])
            .status()
            .unwrap();
        assert!(owned.success());
    }
    let tool = |name: &str| bin.join(name).display().to_string();
    let socket = data.display().to_string();
    let port_text = port.to_string();
    // Toygres lets nobody replicate over the socket: let the peer in, as its operator would.
    let mut hba = std::fs::read_to_string(data.join("pg_hba.conf")).unwrap();
    hba.push_str("local replication postgres peer map=toygres\n");
    std::fs::write(data.join("pg_hba.conf"), hba).unwrap();
    as_postgres(&[&tool("pg_ctl"), "reload", "-D", &socket]);
    let started = Instant::now();
    as_postgres(&[
        &tool("pg_basebackup"),
        "-h",
        &socket,
        "-p",
        &port_text,
        "-U",
        "postgres",
        "-D",
        &copy_text,
        "-X",
        "stream",
        "-c",
        "fast",
    ]);
    let basebackup = started.elapsed().as_secs_f64();
    let peer_port = common::free_addr().port().to_string();
    let started = Instant::now();
    as_postgres(&[
        &tool("pg_ctl"),
        "start",
        "-w",
        "-D",
        &copy_text,
        "-l",
        &format!("{copy_text}/peer.log"),
        "-o",
        &format!("-p {peer_port} -k {copy_text} -c archive_mode=off"),
    ]);
    let start = started.elapsed().as_secs_f64();
    as_postgres(&[&tool("pg_ctl"), "stop", "-m", "fast", "-D", &copy_text]);
    eprintln!(
        "peer pg_basebackup: {basebackup:.1} s, {:.0} MB/s; start with WAL replay: {start:.1} s; \
         total {:.1} s",
        mb / basebackup,
        basebackup + start
    );
}
