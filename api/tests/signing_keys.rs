//! Signing-key rotation: new tokens are signed by the new key, old ones verify until they
//! would have expired, every process follows without a restart, and key material is stored
//! encrypted with the master key.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Options, error_code, start};
use jobs::events::EventBus;
use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio_util::sync::CancellationToken;

const MASTER: [u8; 32] = [9; 32];
const KEYS: &str = "{ signingKeys { kid state retireAfter configured } }";
const ROTATE: &str = "mutation { rotateSigningKey { kid state } }";

fn stored() -> Options {
    Options {
        master_key: Some(MASTER),
        ..Options::default()
    }
}

fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

/// A second API process on the same database: its own keys and its own LISTEN connection,
/// until the token is cancelled.
async fn second_process(s: &common::Server) -> (Arc<api::Keys>, CancellationToken) {
    let stop = CancellationToken::new();
    let bus = EventBus::start(&s.db, stop.clone()).await.unwrap();
    let master = api::MasterKey::from_bytes(&MASTER).unwrap();
    let other = Arc::new(
        api::Keys::load_or_generate(&s.db, master, Duration::from_secs(600))
            .await
            .unwrap(),
    );
    other.follow(s.db.clone(), &bus);
    (other, stop)
}

async fn me(s: &common::Server, token: &str) -> (u16, Value) {
    s.gql(Some(token), "{ me { email } }", json!({})).await
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_rotation_signs_new_tokens_with_a_new_key_while_old_tokens_verify_until_it_retires(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, stored()).await;
    let old = s.token(s.users.admin);
    let (_, body) = s.gql(Some(&old), KEYS, json!({})).await;
    let keys = body["data"]["signingKeys"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 1, "{body}");
    assert_eq!(
        (keys[0]["state"].as_str(), keys[0]["configured"].as_bool()),
        (Some("active"), Some(false))
    );
    assert_eq!(keys[0]["kid"].as_str().unwrap(), kid_of(&old));

    let (_, body) = s.gql(Some(&old), ROTATE, json!({})).await;
    let new_kid = body["data"]["rotateSigningKey"]["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_kid, kid_of(&old));
    let new = s.token(s.users.admin);
    assert_eq!(
        kid_of(&new),
        new_kid,
        "new tokens are signed by the new key"
    );
    assert_eq!(me(&s, &old).await.0, 200, "the old key still verifies");
    assert_eq!(me(&s, &new).await.0, 200);
    let (_, body) = s.gql(Some(&new), KEYS, json!({})).await;
    let states: Vec<_> = body["data"]["signingKeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["state"].as_str().unwrap().to_owned(),
                k["retireAfter"].is_string(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [("active".to_owned(), false), ("retiring".to_owned(), true)]
    );

    // Once every token it signed has expired, the old key retires and verifies nothing more.
    sqlx::query("UPDATE signing_keys SET retire_after = now() - interval '1 second' WHERE state = 'retiring'")
        .execute(s.db.pool())
        .await
        .unwrap();
    let (_, body) = s.gql(Some(&new), ROTATE, json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    let (status, body) = me(&s, &old).await;
    assert_eq!((status, error_code(&body)), (401, "UNAUTHENTICATED"));
    assert_eq!(
        me(&s, &new).await.0,
        200,
        "the second key is retiring, not retired"
    );
    let retired: i64 =
        sqlx::query_scalar("SELECT count(*) FROM signing_keys WHERE state = 'retired'")
            .fetch_one(s.db.pool())
            .await
            .unwrap();
    assert_eq!(retired, 1);

    // Only site admins rotate and list keys.
    let operator = s.token(s.users.operator);
    for query in [KEYS, ROTATE] {
        let (_, body) = s.gql(Some(&operator), query, json!({})).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{query}: {body}");
    }
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn another_api_process_follows_a_rotation_without_a_restart(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, stored()).await;
    let (other, stop) = second_process(&s).await;
    assert_eq!(other.signing_kid(), s.keys.signing_kid());

    let admin = s.token(s.users.admin);
    let (_, body) = s.gql(Some(&admin), ROTATE, json!({})).await;
    let new_kid = body["data"]["rotateSigningKey"]["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let deadline = tokio::time::Instant::now() + common::PATIENCE;
    while other.signing_kid() != new_kid {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the other process never loaded the new key"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Each verifies what the other signs.
    let (theirs, _) = other.issue(s.users.viewer, 0).unwrap();
    assert_eq!(me(&s, &theirs).await.0, 200);
    let ours = s.token(s.users.viewer);
    other.verify(&ours).unwrap();
    stop.cancel();
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn key_material_is_stored_sealed_and_opens_only_with_the_master_key(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, stored()).await;
    // A key stored in the clear by an earlier version is sealed at the next load.
    let legacy = [7u8; 32];
    sqlx::query(
        "INSERT INTO signing_keys (kid, secret, state, retire_after) \
         VALUES ('legacy', $1, 'retiring', now() + interval '1 hour')",
    )
    .bind(legacy.as_slice())
    .execute(s.db.pool())
    .await
    .unwrap();
    s.keys.reload(&s.db).await.unwrap();
    let rows: Vec<(String, Vec<u8>, bool)> =
        sqlx::query_as("SELECT kid, secret, encrypted FROM signing_keys ORDER BY kid")
            .fetch_all(s.db.pool())
            .await
            .unwrap();
    assert_eq!(rows.len(), 2);
    for (kid, secret, encrypted) in &rows {
        assert!(encrypted, "{kid} is sealed");
        assert_eq!(secret.len(), 12 + 32 + 16, "{kid}: nonce, ciphertext, tag");
        assert!(!secret.windows(legacy.len()).any(|w| w == legacy), "{kid}");
    }

    let wrong = api::MasterKey::from_bytes(&[1; 32]).unwrap();
    let err = api::Keys::load_or_generate(&s.db, wrong, Duration::from_secs(60))
        .await
        .unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains("does not open the stored secret") && text.contains("TOYGRES_MASTER_KEY"),
        "{text}"
    );
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_configured_secret_is_listed_and_cannot_be_rotated_here(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let admin = s.token(s.users.admin);
    let (_, body) = s.gql(Some(&admin), KEYS, json!({})).await;
    assert_eq!(body["data"]["signingKeys"][0]["configured"], true, "{body}");
    let (_, body) = s.gql(Some(&admin), ROTATE, json!({})).await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("TOYGRES_JWT_SECRET")
    );
}

/// A leaked key is revoked: a second process that only hears of it refuses its tokens
/// within a second, the first at once; the active key must be rotated away first.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_revoked_key_signs_nothing_anyone_accepts_within_a_second(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, stored()).await;
    let (other, stop) = second_process(&s).await;
    let leaked = s.token(s.users.viewer);
    let revoke = "mutation($k: String!) { revokeSigningKey(kid: $k) { kid state } }";
    let admin = s.token(s.users.admin);
    let (_, body) = s
        .gql(Some(&admin), revoke, json!({"k": kid_of(&leaked)}))
        .await;
    assert_eq!(error_code(&body), "CONFLICT", "the active key: {body}");
    let operator = s.token(s.users.operator);
    let (_, body) = s
        .gql(Some(&operator), revoke, json!({"k": kid_of(&leaked)}))
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");

    let (_, body) = s.gql(Some(&admin), ROTATE, json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(me(&s, &leaked).await.0, 200, "retiring, it still verifies");
    other.verify(&leaked).unwrap();
    let admin = s.token(s.users.admin);
    let (_, body) = s
        .gql(Some(&admin), revoke, json!({"k": kid_of(&leaked)}))
        .await;
    assert_eq!(
        body["data"]["revokeSigningKey"]["state"], "retired",
        "{body}"
    );
    assert_eq!(me(&s, &leaked).await.0, 401);
    let heard = tokio::time::Instant::now();
    while other.verify(&leaked).is_ok() {
        assert!(
            heard.elapsed() < Duration::from_secs(1),
            "the other process still accepts the revoked key's tokens"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(me(&s, &admin).await.0, 200, "the new key's tokens work");
    let (_, body) = s
        .gql(Some(&admin), revoke, json!({"k": "no-such-key"}))
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
    stop.cancel();
}
