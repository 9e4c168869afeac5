//! An instance's standbys, its replication password, and the switchovers between them.

use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::Db;
use super::sealing::Secret;
use crate::instance::standbys::{Handover, Standby, StandbyState};
use crate::instance::{Instance, InstanceId};
use crate::server::ServerId;
use crate::{Error, Result};

/// Bump the instance's `updated_at`, which announces it (and its standbys) to subscribers.
const TOUCH_INSTANCE: &str = "UPDATE instances SET updated_at = now() WHERE id = $1";
/// Record how many standbys instance `$1` has now, which announces it.
const COUNT_STANDBYS: &str = "UPDATE instances SET \
     standbys = (SELECT count(*) FROM instance_members WHERE instance_id = $1), \
     updated_at = now() WHERE id = $1";

impl Db {
    /// Instance `id`'s standbys, oldest first.
    pub async fn standbys(&self, id: InstanceId) -> Result<Vec<Standby>> {
        Ok(sqlx::query_as(
            "SELECT * FROM instance_members WHERE instance_id = $1 ORDER BY created_at, id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Standby `id`.
    pub async fn standby(&self, id: Uuid) -> Result<Standby> {
        sqlx::query_as("SELECT * FROM instance_members WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(Error::NotFound { kind: "member" })
    }

    /// The instance whose member (its primary or a standby) `member` is.
    pub async fn instance_of_member(&self, member: Uuid) -> Result<InstanceId> {
        sqlx::query_scalar(
            "SELECT instance_id FROM instance_members WHERE id = $1 \
             UNION ALL \
             SELECT id FROM instances WHERE coalesce(primary_member_id, id) = $1 AND state <> 'deleted' \
             LIMIT 1",
        )
        .bind(member)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(Error::NotFound { kind: "member" })
    }

    /// Whether standby `id` runs on `server`, read in `tx`.
    pub(crate) async fn standby_is_on(
        tx: &mut Transaction<'_, Postgres>,
        id: Uuid,
        server: ServerId,
    ) -> Result<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT FROM instance_members WHERE id = $1 AND server_id = $2)",
        )
        .bind(id)
        .bind(server)
        .fetch_one(&mut **tx)
        .await?)
    }

    /// How many standbys instance `id` has in `tx`.
    pub(crate) async fn count_standbys(
        tx: &mut Transaction<'_, Postgres>,
        id: InstanceId,
    ) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT count(*) FROM instance_members WHERE instance_id = $1")
                .bind(id)
                .fetch_one(&mut **tx)
                .await?,
        )
    }

    /// Record a new standby of `inst` (on `server`, for server instances), still to be made,
    /// and what the instance should now have, in `tx`.
    pub(crate) async fn insert_standby(
        tx: &mut Transaction<'_, Postgres>,
        inst: &Instance,
        server: Option<ServerId>,
    ) -> Result<Standby> {
        let id = Uuid::now_v7();
        let standby: Standby = sqlx::query_as(
            "INSERT INTO instance_members (id, instance_id, server_id, resource_name) \
             VALUES ($1, $2, $3, $4) RETURNING *",
        )
        .bind(id)
        .bind(inst.id)
        .bind(server)
        .bind(crate::instance::resource_name_of(id))
        .fetch_one(&mut **tx)
        .await?;
        sqlx::query(COUNT_STANDBYS)
            .bind(inst.id)
            .execute(&mut **tx)
            .await?;
        Ok(standby)
    }

    /// Forget standby `id` (its server is stopped and its data removed), and that the
    /// instance should have it.
    pub async fn delete_standby(&self, id: Uuid) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let instance: Option<InstanceId> =
            sqlx::query_scalar("DELETE FROM instance_members WHERE id = $1 RETURNING instance_id")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(instance) = instance {
            sqlx::query(COUNT_STANDBYS)
                .bind(instance)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Standby `id` goes to `server`: its old copy is removed, and a fresh one is to be made
    /// there (no port or address yet, `rebuild` set, `creating`); announced.
    pub async fn repoint_standby(&self, id: Uuid, server: ServerId) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let instance: Option<InstanceId> = sqlx::query_scalar(
            "UPDATE instance_members SET server_id = $2, port = NULL, host = NULL, \
                 state = 'creating', rebuild = true, lag_bytes = NULL, replay_lag_ms = NULL, \
                 checked_at = NULL, updated_at = now() \
             WHERE id = $1 RETURNING instance_id",
        )
        .bind(id)
        .bind(server)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(instance) = instance {
            sqlx::query(TOUCH_INSTANCE)
                .bind(instance)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Give standby `id` `port` unless it has one: `false` if it had one.
    pub async fn claim_standby_port(&self, id: Uuid, port: u16) -> Result<bool> {
        let claimed = sqlx::query(
            "UPDATE instance_members SET port = $2, updated_at = now() WHERE id = $1 AND port IS NULL",
        )
        .bind(id)
        .bind(i32::from(port))
        .execute(&self.pool)
        .await?;
        Ok(claimed.rows_affected() == 1)
    }

    /// Standby `id` was copied afresh from the primary.
    pub async fn standby_rebuilt(&self, id: Uuid) -> Result<()> {
        sqlx::query(
            "UPDATE instance_members SET rebuild = false, updated_at = now() WHERE id = $1",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forget standby `id`'s port, so that the next try picks another.
    pub async fn release_standby_port(&self, id: Uuid) -> Result<()> {
        sqlx::query("UPDATE instance_members SET port = NULL, updated_at = now() WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Standby `id` serves at `host` and is in `state`; announced.
    pub async fn set_standby_state(
        &self,
        id: Uuid,
        host: Option<&str>,
        state: StandbyState,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let instance: Option<InstanceId> = sqlx::query_scalar(
            "UPDATE instance_members SET host = coalesce($2, host), state = $3, updated_at = now() \
             WHERE id = $1 AND (host IS DISTINCT FROM coalesce($2, host) OR state <> $3) \
             RETURNING instance_id",
        )
        .bind(id)
        .bind(host)
        .bind(state)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(instance) = instance {
            sqlx::query(TOUCH_INSTANCE)
                .bind(instance)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// What the primary says of standby `id` now: its state, lag and replay lag. The
    /// instance is announced when the state changes (lag alone changes too often).
    pub async fn record_replication(
        &self,
        id: Uuid,
        state: StandbyState,
        lag_bytes: Option<i64>,
        replay_lag_ms: Option<f64>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let changed: Option<(InstanceId, bool)> = sqlx::query_as(
            "UPDATE instance_members m SET state = $2, lag_bytes = $3, replay_lag_ms = $4, \
                 checked_at = now(), updated_at = now() \
             FROM (SELECT id, state AS old_state FROM instance_members WHERE id = $1 FOR UPDATE) o \
             WHERE m.id = o.id \
             RETURNING m.instance_id, o.old_state <> $2",
        )
        .bind(id)
        .bind(state)
        .bind(lag_bytes)
        .bind(replay_lag_ms)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((instance, true)) = changed {
            sqlx::query(TOUCH_INSTANCE)
                .bind(instance)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Instance `id`'s replication password, made and sealed the first time it is asked for.
    pub async fn replicator_password(&self, id: InstanceId) -> Result<String> {
        let sealed: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT replicator_password_sealed FROM instances WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .ok_or(Error::NotFound { kind: "instance" })?;
        if let Some(password) =
            self.open(Secret::InstanceReplicator(id), sealed.as_deref(), None)?
        {
            return Ok(password);
        }
        let password = crate::user::generate_password();
        let sealed = self.seal(Secret::InstanceReplicator(id), &password)?;
        // Two tries at once keep the first one's.
        let stored: Vec<u8> = sqlx::query_scalar(
            "UPDATE instances SET replicator_password_sealed = coalesce(replicator_password_sealed, $2) \
             WHERE id = $1 RETURNING replicator_password_sealed",
        )
        .bind(id)
        .bind(sealed)
        .fetch_one(&self.pool)
        .await?;
        self.open(Secret::InstanceReplicator(id), Some(&stored), None)?
            .ok_or_else(|| Error::Other(anyhow::anyhow!("a sealed password opened to nothing")))
    }

    /// Record that a switchover (`planned`) or a failover of `inst` by operation `op` hands
    /// the primary over to standby `to`, in `tx`.
    pub(crate) async fn insert_handover(
        tx: &mut Transaction<'_, Postgres>,
        inst: &Instance,
        op: crate::operation::OperationId,
        to: Uuid,
        planned: bool,
        writes_stopped_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Handover> {
        Ok(sqlx::query_as(
            "INSERT INTO instance_failovers (id, instance_id, operation_id, planned, from_member_id, \
                 to_member_id, writes_stopped_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (operation_id) DO UPDATE SET operation_id = EXCLUDED.operation_id \
             RETURNING *",
        )
        .bind(Uuid::now_v7())
        .bind(inst.id)
        .bind(op.0)
        .bind(planned)
        .bind(inst.primary_member_id())
        .bind(to)
        .bind(writes_stopped_at)
        .fetch_one(&mut **tx)
        .await?)
    }

    /// The handover operation `op` carries out, if it has chosen its standby yet.
    pub async fn find_handover(
        &self,
        op: crate::operation::OperationId,
    ) -> Result<Option<Handover>> {
        Ok(
            sqlx::query_as("SELECT * FROM instance_failovers WHERE operation_id = $1")
                .bind(op.0)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Record handover `h` in a transaction of its own (see [`Db::insert_handover`]); the
    /// one recorded first when a retry records it again.
    pub async fn record_handover(
        &self,
        inst: &Instance,
        op: crate::operation::OperationId,
        to: Uuid,
        writes_stopped_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Handover> {
        let mut tx = self.pool.begin().await?;
        let h = Db::insert_handover(&mut tx, inst, op, to, false, writes_stopped_at).await?;
        tx.commit().await?;
        Ok(h)
    }

    /// The handover operation `op` carries out.
    pub async fn handover_of(&self, op: crate::operation::OperationId) -> Result<Handover> {
        sqlx::query_as("SELECT * FROM instance_failovers WHERE operation_id = $1")
            .bind(op.0)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(Error::NotFound { kind: "switchover" })
    }

    /// Instance `id`'s handovers, newest first.
    pub async fn handovers(&self, id: InstanceId, limit: i64) -> Result<Vec<Handover>> {
        Ok(sqlx::query_as(
            "SELECT * FROM instance_failovers WHERE instance_id = $1 ORDER BY created_at DESC LIMIT $2",
        )
        .bind(id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Writes stopped for handover `id` (the old primary began its shutdown), unless they
    /// already had; and where its shutdown checkpoint is, once known.
    pub async fn handover_writes_stopped(&self, id: Uuid, checkpoint: Option<u64>) -> Result<()> {
        let checkpoint = checkpoint
            .map(i64::try_from)
            .transpose()
            .map_err(anyhow::Error::from)?;
        sqlx::query(
            "UPDATE instance_failovers SET writes_stopped_at = coalesce(writes_stopped_at, clock_timestamp()), \
                 source_checkpoint = coalesce($2, source_checkpoint) WHERE id = $1",
        )
        .bind(id)
        .bind(checkpoint)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The old primary did not hand everything over and serves again: the cutover starts
    /// over, writes flowing meanwhile.
    pub async fn restart_handover(&self, id: Uuid) -> Result<()> {
        sqlx::query(
            "UPDATE instance_failovers SET writes_stopped_at = NULL, source_checkpoint = NULL WHERE id = $1",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The promoted standby of handover `h` becomes the instance's primary and the old
    /// primary its standby, each keeping its member id, data directory, server and port;
    /// writes resume (recorded). One transaction: the connection string names the new
    /// primary first from its commit on. Done already counts as done.
    pub async fn switch_primary(&self, h: &Handover) -> Result<()> {
        // A failover's old primary failed: it is copied afresh before it serves again.
        let rebuild = !h.planned;
        let mut tx = self.pool.begin().await?;
        let inst = Db::lock_instance(&mut tx, h.instance_id).await?;
        if inst.primary_member_id() == h.to_member_id {
            return Ok(());
        }
        let to: Standby = sqlx::query_as("SELECT * FROM instance_members WHERE id = $1 FOR UPDATE")
            .bind(h.to_member_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(Error::NotFound { kind: "member" })?;
        sqlx::query(
            "UPDATE instance_members SET id = $2, server_id = $3, resource_name = $4, port = $5, \
                 host = $6, state = 'creating', rebuild = $7, lag_bytes = NULL, replay_lag_ms = NULL, \
                 checked_at = NULL, updated_at = now() \
             WHERE id = $1",
        )
        .bind(to.id)
        .bind(inst.primary_member_id())
        .bind(inst.server_id)
        .bind(inst.resource_name())
        .bind(inst.port)
        .bind(&inst.host)
        .bind(rebuild)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE instances SET primary_member_id = $2, data_name = $3, server_id = $4, \
                 port = $5, host = $6, last_failover_at = clock_timestamp(), updated_at = now() \
             WHERE id = $1",
        )
        .bind(inst.id)
        .bind(to.id)
        .bind(&to.resource_name)
        .bind(to.server_id)
        .bind(to.port)
        .bind(&to.host)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE instance_failovers SET writes_resumed_at = clock_timestamp(), \
                 unavailable_ms = EXTRACT(epoch FROM clock_timestamp() - writes_stopped_at) * 1000 \
             WHERE id = $1",
        )
        .bind(h.id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Handover `id` is over; as recorded.
    pub async fn finish_handover(&self, id: Uuid) -> Result<Handover> {
        Ok(sqlx::query_as(
            "UPDATE instance_failovers SET finished_at = coalesce(finished_at, now()) \
             WHERE id = $1 RETURNING *",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?)
    }
}
