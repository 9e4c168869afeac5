//! Live events: every committed change to a watched row, fanned out to this process's
//! subscribers.
//!
//! The database announces each change with `pg_notify('toygres_events', …)` from a trigger in
//! the changing transaction (see the `notify_changes` migration). Each process LISTENs on one
//! connection, parses each payload once into an [`Event`], and broadcasts an `Arc` of it, so a
//! thousand subscribers cost one parse, not a thousand.

use std::sync::Arc;
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
    /// The listener lost its connection, or a worker died with changes it had not announced
    /// yet: events may have been missed, so subscribers should refetch what they show.
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

/// How many access changes a connection may fall behind before it re-checks its caller.
const ACCESS_CAPACITY: usize = 256;

/// This process's fan-out of database events.
#[derive(Clone, Debug)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<Event>>,
    /// Only [`Event::AccessChanged`] and [`Event::Resync`]: what every open WebSocket
    /// watches, so that the other events wake only the subscriptions that want them.
    access: broadcast::Sender<Arc<Event>>,
}

impl EventBus {
    /// LISTEN on the events channel and fan out until `shutdown`. Returns once the LISTEN is in
    /// place, so that every change committed afterwards is seen.
    pub async fn start(db: &Db, shutdown: CancellationToken) -> Result<Self> {
        let mut listener = PgListener::connect_with(db.pool()).await?;
        listener.listen(CHANNEL).await?;
        let bus = Self::detached();
        let fanout = bus.clone();
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
                    // The connection dropped; sqlx reconnects and re-LISTENs on the next call,
                    // but anything sent in between is lost.
                    Ok(None) => {
                        tracing::warn!("event listener reconnecting; subscribers will resync");
                        fanout.publish(Event::Resync);
                    }
                    Err(e) => {
                        tracing::warn!("event listener failed: {e:#}");
                        fanout.publish(Event::Resync);
                        tokio::select! {
                            () = shutdown.cancelled() => return,
                            () = tokio::time::sleep(RELISTEN_DELAY) => {}
                        }
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
        }
    }

    /// Hand an event to this process's subscribers directly. No receivers is fine: nobody
    /// is subscribed right now.
    pub fn publish(&self, event: Event) {
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
