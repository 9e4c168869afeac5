//! Subscription behaviour below the transport: a subscriber that falls behind is told.

use std::sync::Arc;
use std::time::Duration;

use api::{ApiContext, Caller, Keys};
use futures::StreamExt as _;
use jobs::db::Db;
use jobs::events::{Event, EventBus};
use jobs::user::UserId;
use sqlx::PgPool;

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_subscriber_that_falls_behind_gets_a_lagged_error_not_silence(pool: PgPool) {
    let bus = EventBus::detached();
    let schema = api::schema(ApiContext {
        db: Db::from_pool(pool).sealed_with(testkit::master_key()),
        bus: bus.clone(),
        keys: Arc::new(Keys::from_secret(&[7; 32], Duration::from_secs(60)).unwrap()),
        offer: Default::default(),
        fleet: Default::default(),
        backup: None,
    });
    let caller = Caller {
        user_id: UserId(uuid::Uuid::now_v7()),
        email: "admin@example.com".into(),
        is_site_admin: true,
        memberships: vec![],
        expires_at: chrono::Utc::now() + chrono::Duration::hours(1),
        token_id: None,
    };
    let mut stream = schema.execute_stream(
        async_graphql::Request::new("subscription { operationUpdated { id } }").data(caller),
    );
    // The first poll runs the resolver, which subscribes to the bus; nothing is there yet.
    assert!(
        tokio::time::timeout(Duration::from_millis(50), stream.next())
            .await
            .is_err()
    );
    for _ in 0..10_000 {
        bus.publish(Event::Resync);
    }
    let first = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .unwrap()
        .unwrap();
    let error = &first.errors[0];
    assert!(error.message.contains("fell behind"), "{}", error.message);
    let code = error
        .extensions
        .as_ref()
        .and_then(|e| e.get("code"))
        .cloned();
    assert_eq!(code, Some(async_graphql::Value::from("LAGGED")));
}
