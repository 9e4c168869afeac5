//! Live events: every committed change to a watched row, fanned out to this process's
//! subscribers.
//!
//! The database announces each change with `pg_notify('toygres_events', …)` from a trigger in
//! the changing transaction (see the `notify_changes` migration). Each process LISTENs on one
//! connection, parses each payload once into an [`Event`], and broadcasts an `Arc` of it, so a
//! thousand subscribers cost one parse, not a thousand.
//!
//! What a process keeps from the database between requests (its caches) follows the events
//! too, as a [`Follower`]: it hears each event before any subscriber does, so that a client
//! told of a change never reads the state from before it here. While the listener is down
//! ([`EventBus::is_listening`] is false) nothing may be served from such a cache: changes go
//! unheard. Once the LISTEN is back, [`Event::Resync`] tells everyone to start again.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::time::Duration;

use serde::Deserialize;
use sqlx::postgres::PgListener;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::Result;
use crate::db::Db;
use crate::instance::Instance;
use crate::operation::Operation;

/// The one channel every change is announced on.
pub const CHANNEL: &str = "toygres_events";
/// How many events a subscriber may fall behind before it is told it lagged.
const BROADCAST_CAPACITY: usize = 4096;
/// How long to wait before listening again after the listener connection failed.
const RELISTEN_DELAY: Duration = Duration::from_secs(1);

/// A change a client may want to see.
#[derive(Clone, Debug)]
pub enum Event {
    /// An operation was created or changed.
    Operation(Operation),
    /// An instance was created or changed.
    Instance(Instance),
    /// A server was created or changed.
    Server(crate::server::Server),
    /// A CPU and memory sample was recorded.
    MetricSample(crate::db::MetricSample),
    /// A cluster event was recorded.
    ClusterEvent(crate::server::ClusterEvent),
    /// Who may do what changed: a user disabled, deleted or given a new password, a
    /// membership changed, or an API token revoked. Connections acting for them re-check.
    AccessChanged(AccessChange),
    /// A JWT signing key was added, or changed state: processes load the key set again.
    SigningKeysChanged,
    /// The listener lost its connection and listens again, or a worker died with changes it
    /// had not announced yet: events may have been missed, so subscribers should refetch what
    /// they show.
    Resync,
}

/// Whose access changed.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AccessChange {
    /// The user's.
    pub user_id: Option<crate::user::UserId>,
    /// The API token's.
    pub token_id: Option<uuid::Uuid>,
}

/// The payload that announces [`Event::Resync`] to every process: sent when changes may have
/// been committed without being announced (a worker died between the two).
pub const RESYNC_PAYLOAD: &str = r#"{"table":"resync"}"#;

#[derive(Deserialize)]
struct Notification {
    table: String,
    #[serde(default)]
    row: serde_json::Value,
}

impl Event {
    /// Parse a notification payload.
    pub fn parse(payload: &str) -> anyhow::Result<Self> {
        let n: Notification = serde_json::from_str(payload)?;
        Ok(match n.table.as_str() {
            "operations" => Event::Operation(serde_json::from_value(n.row)?),
            "instances" => Event::Instance(serde_json::from_value(n.row)?),
            "servers" => Event::Server(serde_json::from_value(n.row)?),
            "cluster_events" => Event::ClusterEvent(serde_json::from_value(n.row)?),
            "server_metrics" => Event::MetricSample(serde_json::from_value(n.row)?),
            "access" => Event::AccessChanged(serde_json::from_value(n.row)?),
            "signing_keys" => Event::SigningKeysChanged,
            "resync" => Event::Resync,
            other => anyhow::bail!("notification from unexpected table {other}"),
        })
    }
}

/// A connection LISTENing on [`CHANNEL`].
async fn listen(db: &Db) -> Result<PgListener> {
    let mut listener = PgListener::connect_with(db.pool()).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// How many access changes a connection may fall behind before it re-checks its caller.
const ACCESS_CAPACITY: usize = 256;

/// State kept from the database that must hear of each change before any subscriber does.
pub trait Follower: Send + Sync {
    /// Take `event` into account. Called on the listener's task, in commit order: it must be
    /// quick and must not wait.
    fn hear(&self, event: &Event);
}

/// This process's fan-out of database events.
#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<Event>>,
    /// Only [`Event::AccessChanged`] and [`Event::Resync`]: what every open WebSocket
    /// watches, so that the other events wake only the subscriptions that want them.
    access: broadcast::Sender<Arc<Event>>,
    /// Who hears every event before the subscribers; a follower that is gone is skipped.
    followers: Arc<RwLock<Vec<Weak<dyn Follower>>>>,
    /// Whether every change committed now will be heard.
    listening: Arc<AtomicBool>,
}

impl std::fmt::Debug for EventBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventBus")
            .field("listening", &self.is_listening())
            .finish_non_exhaustive()
    }
}

impl EventBus {
    /// LISTEN on the events channel and fan out until `shutdown`. Returns once the LISTEN is in
    /// place, so that every change committed afterwards is seen.
    pub async fn start(db: &Db, shutdown: CancellationToken) -> Result<Self> {
        let mut listener = listen(db).await?;
        let bus = Self::detached();
        let fanout = bus.clone();
        let db = db.clone();
        tokio::spawn(async move {
            loop {
                let received = tokio::select! {
                    () = shutdown.cancelled() => return,
                    r = listener.try_recv() => r,
                };
                match received {
                    Ok(Some(n)) => match Event::parse(n.payload()) {
                        Ok(event) => fanout.publish(event),
                        Err(e) => tracing::warn!("failed to parse event: {e:#}"),
                    },
                    // The connection dropped or failed: what is committed until the LISTEN is
                    // back goes unheard.
                    lost => {
                        if let Err(e) = lost {
                            tracing::warn!("event listener failed: {e:#}");
                        }
                        tracing::warn!("event listener reconnecting; subscribers will resync");
                        fanout.listening.store(false, Ordering::SeqCst);
                        listener = loop {
                            let attempt = tokio::select! {
                                () = shutdown.cancelled() => return,
                                r = listen(&db) => r,
                            };
                            match attempt {
                                Ok(listener) => break listener,
                                Err(e) => tracing::warn!("event listener failed: {e:#}"),
                            }
                            tokio::select! {
                                () = shutdown.cancelled() => return,
                                () = tokio::time::sleep(RELISTEN_DELAY) => {}
                            }
                        };
                        // Only now may a refetch see everything: a change committed from here
                        // on is heard.
                        fanout.listening.store(true, Ordering::SeqCst);
                        fanout.publish(Event::Resync);
                    }
                }
            }
        });
        Ok(bus)
    }

    /// A bus fed by nothing but [`EventBus::publish`]: for tests of subscribers, and what
    /// [`EventBus::start`] feeds from the database.
    pub fn detached() -> Self {
        Self {
            tx: broadcast::channel(BROADCAST_CAPACITY).0,
            access: broadcast::channel(ACCESS_CAPACITY).0,
            followers: Arc::default(),
            listening: Arc::new(AtomicBool::new(true)),
        }
    }

    /// Whether every change committed now will be heard: false while the listener is
    /// reconnecting.
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    /// Let `follower` hear every event from now on, before any subscriber, for as long as it is
    /// alive.
    pub fn follow<F: Follower + 'static>(&self, follower: &Arc<F>) {
        let weak: Weak<dyn Follower> = Arc::downgrade(follower) as Weak<dyn Follower>;
        let mut followers = self
            .followers
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        followers.retain(|f| f.strong_count() > 0);
        followers.push(weak);
    }

    /// Hand an event to this process's followers, then to its subscribers. No receivers is
    /// fine: nobody is subscribed right now.
    pub fn publish(&self, event: Event) {
        for follower in self
            .followers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            if let Some(follower) = follower.upgrade() {
                follower.hear(&event);
            }
        }
        let event = Arc::new(event);
        if matches!(*event, Event::AccessChanged(_) | Event::Resync) {
            drop(self.access.send(event.clone()));
        }
        drop(self.tx.send(event));
    }

    /// A receiver of every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }

    /// A receiver of the changes of who may do what ([`Event::AccessChanged`]) and of
    /// [`Event::Resync`] from now on.
    pub fn subscribe_access(&self) -> broadcast::Receiver<Arc<Event>> {
        self.access.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Records every event it hears, with whether the bus listened as it heard it.
    #[derive(Default)]
    struct Recorder {
        bus: Mutex<Option<EventBus>>,
        heard: Mutex<Vec<(bool, bool)>>,
    }

    impl Follower for Recorder {
        fn hear(&self, event: &Event) {
            let listening = self.bus.lock().unwrap().as_ref().unwrap().is_listening();
            let resync = matches!(event, Event::Resync);
            self.heard.lock().unwrap().push((resync, listening));
        }
    }

    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn a_lost_listener_announces_the_resync_once_it_listens_again(
        _p: sqlx::postgres::PgPoolOptions,
        c: sqlx::postgres::PgConnectOptions,
    ) {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .connect_with(c)
            .await
            .unwrap();
        let db = Db::from_pool(pool.clone());
        let shutdown = CancellationToken::new();
        let bus = EventBus::start(&db, shutdown.clone()).await.unwrap();
        let recorder = Arc::new(Recorder::default());
        *recorder.bus.lock().unwrap() = Some(bus.clone());
        bus.follow(&recorder);
        let mut events = bus.subscribe();

        let killed: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE query LIKE 'LISTEN %toygres_events%' AND pid <> pg_backend_pid()",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(killed, [true], "one listener was terminated");
        assert!(matches!(*events.recv().await.unwrap(), Event::Resync));
        // Told to resync, a subscriber refetches: a change committed from now on is heard.
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(r#"{"table":"signing_keys"}"#)
            .execute(&pool)
            .await
            .unwrap();
        assert!(matches!(
            *events.recv().await.unwrap(),
            Event::SigningKeysChanged
        ));
        assert_eq!(
            *recorder.heard.lock().unwrap(),
            [(true, true), (false, true)],
            "the follower heard the resync, then the change, each while the bus listened"
        );
        shutdown.cancel();
    }
}
