//! One process at a time: periodic housekeeping (the health sweep, metrics sampling) runs in
//! whichever worker process holds a session advisory lock; the others wait to take over if
//! its connection drops.

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::Result;
use crate::db::Db;

/// Periodic work that one process at a time does.
pub(crate) trait Duty: Send {
    /// Once, on taking the lead.
    fn on_lead(&mut self) -> impl Future<Output = Result<()>> + Send;
    /// Every interval while leading.
    fn tick(&mut self) -> impl Future<Output = Result<()>> + Send;
}

/// While `shutdown` is not cancelled: take the advisory lock `key` when it is free, and while
/// holding it run `duty`'s `on_lead` once, then its `tick` every `interval`.
pub(crate) async fn run(
    db: &Db,
    key: i64,
    interval: Duration,
    shutdown: &CancellationToken,
    what: &str,
    duty: &mut impl Duty,
) {
    while !shutdown.is_cancelled() {
        let led: Result<()> = async {
            let mut lock = db.pool().acquire().await?.detach();
            let leader: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                .bind(key)
                .fetch_one(&mut lock)
                .await?;
            if !leader {
                return Ok(());
            }
            tracing::info!("leading the {what}");
            duty.on_lead().await?;
            loop {
                let started = Instant::now();
                duty.tick().await?;
                tokio::select! {
                    () = shutdown.cancelled() => return Ok(()),
                    () = tokio::time::sleep(interval.saturating_sub(started.elapsed())) => {}
                }
                // Still leading? A dropped lock connection means another process may lead.
                sqlx::query("SELECT 1").execute(&mut lock).await?;
            }
        }
        .await;
        if let Err(e) = led {
            tracing::warn!("{what} interrupted: {e:#}");
        }
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(interval.min(Duration::from_secs(5))) => {}
        }
    }
}
