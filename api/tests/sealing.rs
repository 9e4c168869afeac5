//! Tenant database passwords at rest: sealed with the master key from the moment they are
//! stored, sealed at start when an older version stored them in the clear, and the instance
//! keeps working either way. (Moves, whose replication password is sealed too, are run end to
//! end in the workspace's `tests/servers.rs`.)

mod common;

use common::{Options, start};
use jobs::instance::InstanceId;
use jobs::user::DEFAULT_PROJECT_ID;
use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions as _, Connection as _};
use uuid::Uuid;

/// A running local instance: its id and its connection string.
async fn running_instance(s: &common::Server, token: &str) -> (String, String) {
    let (_, body) = s
        .gql(
            Some(token),
            "mutation { createInstance(input: {name: \"vault\"}) { instance { id } operation { id } } }",
            json!({}),
        )
        .await;
    let id = body["data"]["createInstance"]["instance"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    let op = body["data"]["createInstance"]["operation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let done = s.wait_operation_final(token, &op, "error").await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    (id.clone(), connection_string(s, token, &id).await)
}

async fn connection_string(s: &common::Server, token: &str, id: &str) -> String {
    let (_, body) = s
        .gql(
            Some(token),
            "query($id: ID!) { instance(id: $id) { connectionString health } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(body["data"]["instance"]["health"], "HEALTHY", "{body}");
    body["data"]["instance"]["connectionString"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The password a connection string carries.
fn password_of(url: &str) -> String {
    // Generated passwords are letters and digits: nothing in them is percent-encoded.
    let url = reqwest::Url::parse(url).unwrap();
    url.password()
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("a connection string with a password: {url}"))
}

/// Whether the instance accepts its connection string, with the installation's CA (which the
/// string names as a file) given from memory.
async fn serves(s: &common::Server, token: &str, url: &str) -> bool {
    let (_, body) = s
        .gql(Some(token), "{ certificateAuthority { pem } }", json!({}))
        .await;
    let ca = body["data"]["certificateAuthority"]["pem"]
        .as_str()
        .unwrap_or_else(|| panic!("the CA: {body}"));
    let opts: PgConnectOptions = url.parse().unwrap();
    let opts = opts.ssl_root_cert_from_pem(ca.as_bytes().to_vec());
    let mut conn = sqlx::PgConnection::connect_with(&opts.disable_statement_logging())
        .await
        .unwrap();
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    one == 1
}

/// Every stored form of the instance's passwords, as text, to search for plaintext.
async fn stored(s: &common::Server, id: &str) -> Value {
    sqlx::query_scalar(
        "SELECT json_build_object('password', password, 'superuser', superuser_password, \
             'sealed', encode(password_sealed, 'escape'), \
             'superuser_sealed', encode(superuser_password_sealed, 'escape')) \
         FROM instance_secrets WHERE instance_id = $1::uuid",
    )
    .bind(id)
    .fetch_one(s.db.pool())
    .await
    .unwrap()
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_new_instance_password_is_stored_sealed_and_the_instance_serves_with_it(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(
        c,
        Options {
            workers: true,
            ..Options::default()
        },
    )
    .await;
    let token = s.token(s.users.operator);
    let (id, url) = running_instance(&s, &token).await;
    let password = password_of(&url);
    assert!(serves(&s, &token, &url).await);

    let row = stored(&s, &id).await;
    assert_eq!(row["password"], Value::Null, "{row}");
    assert!(row["sealed"].is_string(), "{row}");
    assert!(
        !row.to_string().contains(&password),
        "the table holds the password in the clear: {row}"
    );
    // Sealed for this row: copied to another instance, it does not open.
    let other = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO instances (id, project_id, name, provider, pg_version, storage_gb, username, database_name, plan) \
         SELECT $2, project_id, 'copy', provider, pg_version, storage_gb, username, database_name, plan \
         FROM instances WHERE id = $1::uuid",
    )
    .bind(&id)
    .bind(other)
    .execute(s.db.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO instance_secrets (instance_id, password_sealed) \
         SELECT $2, password_sealed FROM instance_secrets WHERE instance_id = $1::uuid",
    )
    .bind(&id)
    .bind(other)
    .execute(s.db.pool())
    .await
    .unwrap();
    let err = s.db.instance_password(InstanceId(other)).await.unwrap_err();
    assert!(!err.to_string().contains(&password), "{err}");
}

/// A row from before passwords were sealed (plaintext, as an older version wrote it) still
/// opens, and sealing at start leaves no plaintext behind: instance, superuser and
/// replication passwords alike. Sealing again finds nothing to do.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn plaintext_passwords_from_before_sealing_are_sealed_at_start_and_still_work(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(
        c,
        Options {
            workers: true,
            ..Options::default()
        },
    )
    .await;
    let token = s.token(s.users.operator);
    let (id, url) = running_instance(&s, &token).await;
    let password = password_of(&url);

    // As the previous version stored it.
    sqlx::query(
        "UPDATE instance_secrets SET password = $2, password_sealed = NULL, \
             superuser_password = 'kube-superuser-secret' WHERE instance_id = $1::uuid",
    )
    .bind(&id)
    .bind(&password)
    .execute(s.db.pool())
    .await
    .unwrap();
    let a = testkit::record_server(&s.db, DEFAULT_PROJECT_ID, "a")
        .await
        .unwrap();
    let b = testkit::record_server(&s.db, DEFAULT_PROJECT_ID, "b")
        .await
        .unwrap();
    let move_id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO instance_moves (id, instance_id, source_server_id, target_server_id, position, replicator_password) \
         VALUES ($1, $2::uuid, $3, $4, 1, 'replicator-secret')",
    )
    .bind(move_id)
    .bind(&id)
    .bind(a.id.0)
    .bind(b.id.0)
    .execute(s.db.pool())
    .await
    .unwrap();
    let instance = InstanceId(id.parse().unwrap());
    assert_eq!(s.db.instance_password(instance).await.unwrap(), password);

    assert_eq!(s.db.seal_plaintext_secrets().await.unwrap(), 3);
    let row = stored(&s, &id).await;
    for plain in [password.as_str(), "kube-superuser-secret"] {
        assert!(!row.to_string().contains(plain), "{row}");
    }
    assert_eq!(
        (&row["password"], &row["superuser"]),
        (&Value::Null, &Value::Null)
    );
    let replicator: (Option<String>, Option<Vec<u8>>) = sqlx::query_as(
        "SELECT replicator_password, replicator_password_sealed FROM instance_moves WHERE id = $1",
    )
    .bind(move_id)
    .fetch_one(s.db.pool())
    .await
    .unwrap();
    assert_eq!(replicator.0, None);
    assert!(
        !String::from_utf8_lossy(&replicator.1.unwrap()).contains("replicator-secret"),
        "sealed"
    );

    assert_eq!(s.db.instance_password(instance).await.unwrap(), password);
    assert_eq!(
        s.db.instance_superuser_password(instance).await.unwrap(),
        "kube-superuser-secret"
    );
    assert_eq!(
        s.db.move_replicator_password(move_id).await.unwrap(),
        Some("replicator-secret".to_owned())
    );
    assert_eq!(connection_string(&s, &token, &id).await, url);
    assert!(serves(&s, &token, &url).await);
    assert_eq!(
        s.db.seal_plaintext_secrets().await.unwrap(),
        0,
        "idempotent"
    );
}
