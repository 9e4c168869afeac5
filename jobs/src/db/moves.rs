//! Moves of instances between servers.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::sealing::Secret;
use super::{Db, violated_constraint};
use crate::instance::InstanceId;
use crate::operation::OperationId;
use crate::server::ServerId;
use crate::{Error, Result};

/// How far a move has come.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, sqlx::Type)]
#[sqlx(type_name = "move_phase", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum MovePhase {
    /// Planned by a drain; not started.
    Planned,
    /// The new copy is being made from a base backup.
    Copying,
    /// The new copy streams the primary's WAL and is catching up.
    CatchingUp,
    /// The old primary is shutting down; writes are unavailable.
    CuttingOver,
    /// The new copy is being promoted: from here on the move only goes forward.
    Promoting,
    /// The connection string names the new primary.
    Switched,
    /// The old copy is removed.
    Done,
    /// Undone: the old primary serves again and the new copy is gone.
    RolledBack,
    /// Never started (its drain failed first).
    Cancelled,
}

impl MovePhase {
    /// Whether the move is over.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            MovePhase::Done | MovePhase::RolledBack | MovePhase::Cancelled
        )
    }
}

/// One move, as stored.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct InstanceMove {
    /// Its id.
    pub id: Uuid,
    /// The instance.
    pub instance_id: InstanceId,
    /// Where it was.
    pub source_server_id: ServerId,
    /// Where it goes.
    pub target_server_id: ServerId,
    /// The drain that planned it.
    pub drain_operation_id: Option<OperationId>,
    /// Its place in the drain's order, from 1.
    pub position: i32,
    /// The `move_instance` operation carrying it out.
    pub operation_id: Option<OperationId>,
    /// How far it has come.
    pub phase: MovePhase,
    /// The old copy's port.
    pub source_port: Option<i32>,
    /// The new copy's port.
    pub target_port: Option<i32>,
    /// The old primary's shutdown checkpoint (an LSN), once it stopped cleanly.
    pub source_checkpoint: Option<i64>,
    /// How far the new copy trailed, in bytes, when last measured.
    pub lag_bytes: Option<i64>,
    /// When the old primary began to shut down.
    pub writes_stopped_at: Option<DateTime<Utc>>,
    /// When the connection string named the promoted copy.
    pub writes_resumed_at: Option<DateTime<Utc>>,
    /// The write-unavailability window, in milliseconds.
    pub unavailable_ms: Option<f64>,
    /// Why it was rolled back.
    pub error: Option<String>,
    /// When it was planned.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
}

/// A move to record.
#[derive(Clone, Debug)]
pub struct NewMove {
    /// The instance.
    pub instance_id: InstanceId,
    /// Where it is.
    pub source_server_id: ServerId,
    /// Where it goes.
    pub target_server_id: ServerId,
    /// The drain planning it.
    pub drain_operation_id: Option<OperationId>,
    /// Its place in the drain.
    pub position: i32,
}

impl Db {
    /// Record a planned move in `tx`. `Conflict` if the instance is being moved already.
    pub async fn insert_move(
        tx: &mut Transaction<'_, Postgres>,
        new: &NewMove,
    ) -> Result<InstanceMove> {
        sqlx::query_as(
            "INSERT INTO instance_moves \
                 (id, instance_id, source_server_id, target_server_id, drain_operation_id, position) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
        )
        .bind(Uuid::now_v7())
        .bind(new.instance_id)
        .bind(new.source_server_id)
        .bind(new.target_server_id)
        .bind(new.drain_operation_id)
        .bind(new.position)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| match violated_constraint(&e) {
            Some("instance_moves_one_active") => {
                Error::Conflict("the instance is being moved already".to_owned())
            }
            _ => e.into(),
        })
    }

    /// A move.
    pub async fn instance_move(&self, id: Uuid) -> Result<InstanceMove> {
        sqlx::query_as("SELECT * FROM instance_moves WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(Error::NotFound { kind: "move" })
    }

    /// The move an operation carries out, if it is a move.
    pub async fn move_of_operation(&self, op: OperationId) -> Result<Option<InstanceMove>> {
        Ok(
            sqlx::query_as("SELECT * FROM instance_moves WHERE operation_id = $1")
                .bind(op)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The moves a drain planned, in order.
    pub async fn drain_moves(&self, drain: OperationId) -> Result<Vec<InstanceMove>> {
        Ok(sqlx::query_as(
            "SELECT * FROM instance_moves WHERE drain_operation_id = $1 ORDER BY position",
        )
        .bind(drain)
        .fetch_all(&self.pool)
        .await?)
    }

    /// An instance's moves, newest first.
    pub async fn instance_moves(&self, id: InstanceId, limit: i64) -> Result<Vec<InstanceMove>> {
        Ok(sqlx::query_as(
            "SELECT * FROM instance_moves WHERE instance_id = $1 ORDER BY created_at DESC LIMIT $2",
        )
        .bind(id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Tie a move to the operation carrying it out, in `tx`.
    pub async fn attach_move(
        tx: &mut Transaction<'_, Postgres>,
        id: Uuid,
        op: OperationId,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE instance_moves SET operation_id = $2, updated_at = now() WHERE id = $1",
        )
        .bind(id)
        .bind(op)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Give a move its target port, its source port and a replication password, unless it has
    /// them: `Conflict` when another copy holds the port on the target.
    pub async fn prepare_move(
        &self,
        id: Uuid,
        source_port: i32,
        target_port: u16,
        password: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE instance_moves SET target_port = coalesce(target_port, $2), \
                 source_port = coalesce(source_port, $3), \
                 replicator_password_sealed = coalesce(replicator_password_sealed, $4), \
                 phase = CASE WHEN phase = 'planned' THEN 'copying' ELSE phase END, updated_at = now() \
             WHERE id = $1",
        )
        .bind(id)
        .bind(i32::from(target_port))
        .bind(source_port)
        .bind(self.seal(Secret::Replicator(id), password)?)
        .execute(&self.pool)
        .await
        .map_err(|e| match violated_constraint(&e) {
            Some("instance_moves_target_port_key") => {
                Error::Conflict(format!("port {target_port} is taken on the target"))
            }
            _ => e.into(),
        })?;
        Ok(())
    }

    /// The replication role's password of a move, once [`Db::prepare_move`] gave it one.
    pub async fn move_replicator_password(&self, id: Uuid) -> Result<Option<String>> {
        let (sealed, plain): (Option<Vec<u8>>, Option<String>) = sqlx::query_as(
            "SELECT replicator_password_sealed, replicator_password FROM instance_moves WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(Error::NotFound { kind: "move" })?;
        self.open(Secret::Replicator(id), sealed.as_deref(), plain)
    }

    /// Forget a move's target port, so that the next try picks another.
    pub async fn release_move_port(&self, id: Uuid) -> Result<()> {
        sqlx::query(
            "UPDATE instance_moves SET target_port = NULL, updated_at = now() WHERE id = $1",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Move a move to `phase` (never backwards past `promoting`), with the copy's lag if
    /// measured.
    pub async fn set_move_phase(
        &self,
        id: Uuid,
        phase: MovePhase,
        lag_bytes: Option<i64>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE instance_moves SET phase = $2, lag_bytes = coalesce($3, lag_bytes), updated_at = now() \
             WHERE id = $1 AND phase NOT IN ('promoting', 'switched', 'done', 'rolled_back', 'cancelled')",
        )
        .bind(id)
        .bind(phase)
        .bind(lag_bytes)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Writes stop now (unless an earlier try recorded when): the old primary shuts down.
    pub async fn mark_writes_stopped(&self, id: Uuid) -> Result<()> {
        sqlx::query(
            "UPDATE instance_moves SET phase = 'cutting_over', \
                 writes_stopped_at = coalesce(writes_stopped_at, clock_timestamp()), updated_at = now() \
             WHERE id = $1 AND phase IN ('copying', 'catching_up', 'cutting_over')",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The old primary stopped cleanly at `checkpoint`.
    pub async fn record_source_checkpoint(&self, id: Uuid, checkpoint: u64) -> Result<()> {
        sqlx::query(
            "UPDATE instance_moves SET source_checkpoint = $2, updated_at = now() WHERE id = $1",
        )
        .bind(id)
        .bind(i64::try_from(checkpoint).map_err(anyhow::Error::from)?)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The old primary did not shut down cleanly and serves again: the cutover starts over.
    pub async fn restart_cutover(&self, id: Uuid) -> Result<()> {
        sqlx::query(
            "UPDATE instance_moves SET phase = 'catching_up', writes_stopped_at = NULL, \
                 source_checkpoint = NULL, updated_at = now() \
             WHERE id = $1 AND phase = 'cutting_over'",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The point of no return: the copy is about to be promoted.
    pub async fn mark_promoting(&self, id: Uuid) -> Result<()> {
        sqlx::query(
            "UPDATE instance_moves SET phase = 'promoting', updated_at = now() \
             WHERE id = $1 AND phase = 'cutting_over'",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Point the instance at its promoted copy, reached at `address`, and close the
    /// write-unavailability window, in one transaction. Does nothing if an earlier try did it.
    pub async fn switch_move(&self, m: &InstanceMove, address: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        let switched = sqlx::query(
            "UPDATE instance_moves SET phase = 'switched', writes_resumed_at = clock_timestamp(), \
                 unavailable_ms = extract(epoch FROM clock_timestamp() - writes_stopped_at) * 1000, \
                 updated_at = now() \
             WHERE id = $1 AND phase = 'promoting'",
        )
        .bind(m.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if switched == 1 {
            sqlx::query(
                "UPDATE instances SET server_id = $2, port = $3, host = $4, updated_at = now() \
                 WHERE id = $1",
            )
            .bind(m.instance_id)
            .bind(m.target_server_id)
            .bind(m.target_port)
            .bind(address)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// End a move in `phase` (`done`, `rolled_back`, `cancelled`), with why when it did not
    /// finish.
    pub async fn finish_move(&self, id: Uuid, phase: MovePhase, error: Option<&str>) -> Result<()> {
        sqlx::query(
            "UPDATE instance_moves SET phase = $2, error = coalesce($3, error), \
                 finished_at = coalesce(finished_at, now()), updated_at = now() \
             WHERE id = $1",
        )
        .bind(id)
        .bind(phase)
        .bind(error)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Cancel the moves of a drain that never started, in `tx`.
    pub async fn cancel_planned_moves(
        tx: &mut Transaction<'_, Postgres>,
        drain: OperationId,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE instance_moves SET phase = 'cancelled', finished_at = now(), updated_at = now() \
             WHERE drain_operation_id = $1 AND phase = 'planned'",
        )
        .bind(drain)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

/// What a drain does with a member of an instance with standbys, before its moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, sqlx::Type)]
#[sqlx(type_name = "drain_action", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum HandOverAction {
    /// The primary switches over to a standby elsewhere.
    Switchover,
    /// A standby is copied afresh elsewhere and its old copy removed.
    RelocateStandby,
}

/// One hand-over a drain planned, as stored.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct DrainHandover {
    /// Its id.
    pub id: Uuid,
    /// The drain that planned it.
    pub drain_operation_id: OperationId,
    /// Its place in the drain's order, from 1.
    pub position: i32,
    /// The instance.
    pub instance_id: InstanceId,
    /// What is done.
    pub action: HandOverAction,
    /// The standby that takes over (a switchover) or that is relocated.
    pub member_id: Uuid,
    /// Where that standby is (a switchover) or goes (a relocation).
    pub target_server_id: ServerId,
    /// The child operation carrying it out, once started.
    pub operation_id: Option<OperationId>,
    /// When it was planned.
    pub created_at: DateTime<Utc>,
    /// When it was done, or found to be needed no more.
    pub finished_at: Option<DateTime<Utc>>,
}

impl Db {
    /// Record a hand-over drain `drain` planned, in `tx`.
    pub(crate) async fn insert_drain_handover(
        tx: &mut Transaction<'_, Postgres>,
        drain: OperationId,
        position: i32,
        instance: InstanceId,
        action: HandOverAction,
        member: Uuid,
        target: ServerId,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO drain_handovers \
                 (id, drain_operation_id, position, instance_id, action, member_id, target_server_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(Uuid::now_v7())
        .bind(drain)
        .bind(position)
        .bind(instance)
        .bind(action)
        .bind(member)
        .bind(target)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The hand-overs drain `drain` planned, in order.
    pub async fn drain_handovers(&self, drain: OperationId) -> Result<Vec<DrainHandover>> {
        Ok(sqlx::query_as(
            "SELECT * FROM drain_handovers WHERE drain_operation_id = $1 ORDER BY position",
        )
        .bind(drain)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Tie hand-over `id` to the child operation carrying it out, in the transaction that
    /// starts it.
    pub(crate) async fn attach_drain_handover(
        tx: &mut Transaction<'_, Postgres>,
        id: Uuid,
        op: OperationId,
    ) -> Result<()> {
        sqlx::query("UPDATE drain_handovers SET operation_id = $2 WHERE id = $1")
            .bind(id)
            .bind(op)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Hand-over `id` is done (or needed no more).
    pub async fn finish_drain_handover(&self, id: Uuid) -> Result<()> {
        sqlx::query(
            "UPDATE drain_handovers SET finished_at = coalesce(finished_at, now()) WHERE id = $1",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
