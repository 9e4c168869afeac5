//! Backup policies, backups, WAL archiving status and where restored instances came from.
//! A change to an instance's backups touches the instance row, so that subscribers to the
//! instance hear of it.

use chrono::{DateTime, Utc};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::{Db, Page};
use crate::Result;
use crate::backup::{Archiving, Backup, BackupKind, BackupPolicy};
use crate::instance::{Instance, InstanceId};
use crate::operation::{Operation, OperationId};

/// Bump the instance's `updated_at`, which announces it.
const TOUCH_INSTANCE: &str = "UPDATE instances SET updated_at = now() WHERE id = $1";

impl Db {
    /// Instance `id`'s backup policy (the defaults when none was set).
    pub async fn backup_policy(&self, id: InstanceId) -> Result<BackupPolicy> {
        let policy: Option<BackupPolicy> = sqlx::query_as(
            "SELECT schedule, retention_days FROM backup_policies WHERE instance_id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(policy.unwrap_or_default())
    }

    /// Set instance `id`'s backup policy.
    pub async fn set_backup_policy(&self, id: InstanceId, policy: &BackupPolicy) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO backup_policies (instance_id, schedule, retention_days) VALUES ($1, $2, $3) \
             ON CONFLICT (instance_id) DO UPDATE \
             SET schedule = EXCLUDED.schedule, retention_days = EXCLUDED.retention_days, updated_at = now()",
        )
        .bind(id)
        .bind(&policy.schedule)
        .bind(policy.retention_days)
        .execute(&mut *tx)
        .await?;
        sqlx::query(TOUCH_INSTANCE)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The backup that operation `op` takes: recorded (`running`) by its first try, found
    /// again by the later ones.
    pub async fn begin_backup(
        &self,
        op: &Operation,
        instance: InstanceId,
        kind: BackupKind,
    ) -> Result<Backup> {
        let mut tx = self.pool.begin().await?;
        let row: Backup = sqlx::query_as(
            "INSERT INTO backups (id, instance_id, operation_id, kind) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (operation_id) DO UPDATE SET operation_id = EXCLUDED.operation_id \
             RETURNING *",
        )
        .bind(Uuid::now_v7())
        .bind(instance)
        .bind(op.id.0)
        .bind(kind)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(TOUCH_INSTANCE)
            .bind(instance)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Record that backup `id` is in the repository as `taken`, and that of the instance's
    /// backups only those `labels` are left (the retention expired the others).
    pub async fn finish_backup(
        &self,
        id: Uuid,
        taken: &providers::host::backup::BackupInfo,
        labels: &[String],
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let instance: InstanceId = sqlx::query_scalar(
            "UPDATE backups SET label = $2, kind = $3, status = 'succeeded', started_at = $4, \
                 finished_at = $5, size_bytes = $6, stored_bytes = $7, error = NULL \
             WHERE id = $1 RETURNING instance_id",
        )
        .bind(id)
        .bind(&taken.label)
        .bind(BackupKind::from(taken.kind))
        .bind(taken.started_at)
        .bind(taken.finished_at)
        .bind(taken.size_bytes)
        .bind(taken.stored_bytes)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE backups SET status = 'expired' \
             WHERE instance_id = $1 AND status = 'succeeded' AND label <> ALL($2)",
        )
        .bind(instance)
        .bind(labels)
        .execute(&mut *tx)
        .await?;
        sqlx::query(TOUCH_INSTANCE)
            .bind(instance)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The backup of operation `op` failed with `message` (in the transaction that marks the
    /// operation failed).
    pub(crate) async fn fail_backup(
        tx: &mut Transaction<'_, Postgres>,
        op: OperationId,
        message: &str,
    ) -> Result<()> {
        let instance: Option<InstanceId> = sqlx::query_scalar(
            "UPDATE backups SET status = 'failed', error = $2, finished_at = now() \
             WHERE operation_id = $1 AND status = 'running' RETURNING instance_id",
        )
        .bind(op.0)
        .bind(message)
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(instance) = instance {
            sqlx::query(TOUCH_INSTANCE)
                .bind(instance)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Instance `id`'s backups, newest first, `first` after backup `after`.
    pub async fn backups(
        &self,
        id: InstanceId,
        after: Option<Uuid>,
        first: i64,
    ) -> Result<Page<Backup>> {
        let items = sqlx::query_as(
            "SELECT * FROM backups WHERE instance_id = $1 AND ($2::uuid IS NULL OR id < $2) \
             ORDER BY id DESC LIMIT $3",
        )
        .bind(id)
        .bind(after)
        .bind(first + 1)
        .fetch_all(&self.pool)
        .await?;
        Ok(Page::of(items, first))
    }

    /// The end of instance `id`'s oldest and of its newest backup still kept, if it has one.
    pub async fn backup_span(
        &self,
        id: InstanceId,
    ) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>> {
        // pgBackRest keeps a backup's stop time in whole seconds and restores to a time only
        // from a backup that stopped before that time's whole second: the window opens one
        // second after the oldest backup's recorded stop.
        let span: (Option<DateTime<Utc>>, Option<DateTime<Utc>>) = sqlx::query_as(
            "SELECT min(finished_at) + interval '1 second', max(finished_at) FROM backups \
             WHERE instance_id = $1 AND status = 'succeeded'",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        Ok(span.0.zip(span.1))
    }

    /// What the health sweep last saw of instance `id`'s archiving.
    pub async fn archiving(&self, id: InstanceId) -> Result<Option<Archiving>> {
        Ok(sqlx::query_as(
            "SELECT last_archived_at, last_failed_at, last_error, restorable_until \
             FROM instance_archiving WHERE instance_id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Record what a check saw of instance `id`'s archiving; `restorable_until` only moves
    /// forward. Whether archiving has just started failing.
    pub async fn record_archiving(&self, id: InstanceId, seen: &Archiving) -> Result<bool> {
        let was_failing: Option<bool> = sqlx::query_scalar(
            "WITH old AS (SELECT last_error IS NOT NULL AS failing FROM instance_archiving WHERE instance_id = $1) \
             INSERT INTO instance_archiving AS a \
                 (instance_id, last_archived_at, last_failed_at, last_error, restorable_until, checked_at) \
             VALUES ($1, $2, $3, $4, $5, now()) \
             ON CONFLICT (instance_id) DO UPDATE SET \
                 last_archived_at = EXCLUDED.last_archived_at, \
                 last_failed_at = EXCLUDED.last_failed_at, \
                 last_error = EXCLUDED.last_error, \
                 restorable_until = GREATEST(a.restorable_until, EXCLUDED.restorable_until), \
                 checked_at = now() \
             RETURNING (SELECT failing FROM old)",
        )
        .bind(id)
        .bind(seen.last_archived_at)
        .bind(seen.last_failed_at)
        .bind(&seen.last_error)
        .bind(seen.restorable_until)
        .fetch_one(&self.pool)
        .await?;
        let newly = seen.last_error.is_some() && !was_failing.unwrap_or(false);
        if newly {
            sqlx::query(TOUCH_INSTANCE)
                .bind(id)
                .execute(&self.pool)
                .await?;
        }
        Ok(newly)
    }

    /// Every running local or server instance, with its backup policy and when its last
    /// backup began: what the scheduler looks at.
    pub async fn backup_schedule(
        &self,
    ) -> Result<Vec<(Instance, BackupPolicy, Option<DateTime<Utc>>)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            instance: Instance,
            policy_schedule: Option<String>,
            policy_retention_days: Option<i32>,
            last_backup_at: Option<DateTime<Utc>>,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT i.*, p.schedule AS policy_schedule, p.retention_days AS policy_retention_days, \
                 (SELECT max(started_at) FROM backups b WHERE b.instance_id = i.id) AS last_backup_at \
             FROM instances i LEFT JOIN backup_policies p ON p.instance_id = i.id \
             WHERE i.state = 'running' AND i.provider IN ('local', 'server') AND i.drill_of IS NULL \
             ORDER BY i.id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let policy = match (row.policy_schedule, row.policy_retention_days) {
                    (Some(schedule), Some(retention_days)) => BackupPolicy {
                        schedule,
                        retention_days,
                    },
                    _ => BackupPolicy::default(),
                };
                (row.instance, policy, row.last_backup_at)
            })
            .collect())
    }

    /// Where instance `id` was restored from, and to when, if it was.
    pub async fn restore_source(
        &self,
        id: InstanceId,
    ) -> Result<Option<(InstanceId, Option<DateTime<Utc>>)>> {
        let row: (Option<InstanceId>, Option<DateTime<Utc>>) =
            sqlx::query_as("SELECT restored_from, restore_target FROM instances WHERE id = $1")
                .bind(id)
                .fetch_one(&self.pool)
                .await?;
        Ok(row.0.map(|from| (from, row.1)))
    }

    /// Record in `tx` that new instance `id` is restored from `source` up to `target`.
    pub(crate) async fn set_restore_source(
        tx: &mut Transaction<'_, Postgres>,
        id: InstanceId,
        source: InstanceId,
        target: Option<DateTime<Utc>>,
    ) -> Result<()> {
        sqlx::query("UPDATE instances SET restored_from = $2, restore_target = $3 WHERE id = $1")
            .bind(id)
            .bind(source)
            .bind(target)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Instance `id`'s backups were deleted from the repository for good.
    pub async fn mark_backups_purged(&self, id: InstanceId) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE backups SET status = 'expired' WHERE instance_id = $1 AND status <> 'failed'",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE instances SET backups_purged_at = now(), updated_at = now() WHERE id = $1",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM retained_stanzas WHERE instance_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Keep deleted instance `id`'s stanza for `days`, then purge it. Done once: a retried
    /// delete keeps the first deadline.
    pub async fn retain_stanza(&self, id: InstanceId, stanza: &str, days: i32) -> Result<()> {
        sqlx::query(
            "INSERT INTO retained_stanzas (stanza, instance_id, expires_at) \
             VALUES ($1, $2, now() + make_interval(days => $3)) ON CONFLICT (stanza) DO NOTHING",
        )
        .bind(stanza)
        .bind(id)
        .bind(days)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Until when deleted instance `id`'s backups are kept, if they are.
    pub async fn backups_retained_until(&self, id: InstanceId) -> Result<Option<DateTime<Utc>>> {
        Ok(
            sqlx::query_scalar("SELECT expires_at FROM retained_stanzas WHERE instance_id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Retained stanzas whose time is up, with their instances: at most `limit`, the
    /// longest due first.
    pub async fn expired_stanzas(&self, limit: i64) -> Result<Vec<(String, InstanceId)>> {
        Ok(sqlx::query_as(
            "SELECT stanza, instance_id FROM retained_stanzas WHERE expires_at <= now() \
             ORDER BY expires_at LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Purging `stanza` failed with `error`; the next tick tries again.
    pub async fn stanza_purge_failed(&self, stanza: &str, error: &str) -> Result<()> {
        sqlx::query("UPDATE retained_stanzas SET last_error = $2 WHERE stanza = $1")
            .bind(stanza)
            .bind(error)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Whether instance `id`'s backups were purged.
    pub async fn backups_purged(&self, id: InstanceId) -> Result<bool> {
        Ok(
            sqlx::query_scalar("SELECT backups_purged_at IS NOT NULL FROM instances WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .unwrap_or(false),
        )
    }

    /// The installation secret `name` (sealed), stored as `sealed` if there is none yet:
    /// processes that start together agree on the first one stored.
    pub async fn installation_secret(&self, name: &str, sealed: &[u8]) -> Result<Vec<u8>> {
        sqlx::query(
            "INSERT INTO installation_secrets (name, sealed) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(sealed)
        .execute(&self.pool)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT sealed FROM installation_secrets WHERE name = $1")
                .bind(name)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// What `/metrics` shows of each live instance's backups, archiving and drills.
    pub async fn backup_telemetry(&self) -> Result<Vec<BackupTelemetry>> {
        Ok(sqlx::query_as(
            "SELECT i.id AS instance_id, i.name, \
                 b.finished_at AS last_backup_at, \
                 extract(epoch FROM b.finished_at - b.started_at)::float8 AS last_backup_seconds, \
                 b.size_bytes AS last_backup_bytes, \
                 greatest(a.restorable_until, b.finished_at) AS restorable_until, \
                 a.last_error IS NOT NULL AS archive_failing, \
                 (SELECT rto_ms FROM restore_drills d WHERE d.instance_id = i.id AND d.status = 'succeeded' \
                  ORDER BY started_at DESC LIMIT 1) AS drill_rto_ms, \
                 (SELECT status = 'succeeded' FROM restore_drills d WHERE d.instance_id = i.id \
                  AND d.status <> 'running' ORDER BY started_at DESC LIMIT 1) AS drill_passed \
             FROM instances i \
             LEFT JOIN LATERAL (SELECT * FROM backups WHERE instance_id = i.id AND status = 'succeeded' \
                 ORDER BY finished_at DESC LIMIT 1) b ON true \
             LEFT JOIN instance_archiving a ON a.instance_id = i.id \
             WHERE i.state NOT IN ('deleted') AND i.drill_of IS NULL \
               AND (b.id IS NOT NULL OR a.instance_id IS NOT NULL) \
             ORDER BY i.id",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}

/// One instance's row of backup metrics.
#[derive(Debug, sqlx::FromRow)]
pub struct BackupTelemetry {
    /// The instance.
    pub instance_id: InstanceId,
    /// Its name.
    pub name: String,
    /// When its newest good backup finished.
    pub last_backup_at: Option<DateTime<Utc>>,
    /// How long that backup took.
    pub last_backup_seconds: Option<f64>,
    /// What it copied.
    pub last_backup_bytes: Option<i64>,
    /// Its latest restorable point.
    pub restorable_until: Option<DateTime<Utc>>,
    /// Whether its archiving fails now.
    pub archive_failing: Option<bool>,
    /// Its newest passed drill's RTO.
    pub drill_rto_ms: Option<i64>,
    /// Whether its newest finished drill passed.
    pub drill_passed: Option<bool>,
}
