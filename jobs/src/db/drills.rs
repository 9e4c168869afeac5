//! Restore drills and their schedules. A drill's changes touch the drilled instance's row,
//! so that its subscribers hear of them.

use chrono::{DateTime, Utc};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::Db;
use crate::Result;
use crate::drill::{DEFAULT_SCHEDULE, Drill};
use crate::instance::{Instance, InstanceId};
use crate::operation::OperationId;
use crate::user::ProjectId;

impl Db {
    /// Record a new drill of `instance` into `scratch`, in `tx`.
    pub(crate) async fn begin_drill(
        tx: &mut Transaction<'_, Postgres>,
        id: Uuid,
        instance: InstanceId,
        scratch: InstanceId,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO restore_drills (id, instance_id, scratch_instance_id) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(instance)
        .bind(scratch)
        .execute(&mut **tx)
        .await?;
        sqlx::query("UPDATE instances SET drill_of = $2 WHERE id = $1")
            .bind(scratch)
            .bind(instance)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Record drill `id`'s operation, in `tx`.
    pub(crate) async fn set_drill_operation(
        tx: &mut Transaction<'_, Postgres>,
        id: Uuid,
        op: OperationId,
    ) -> Result<()> {
        sqlx::query("UPDATE restore_drills SET operation_id = $2 WHERE id = $1")
            .bind(id)
            .bind(op.0)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Drill `id`.
    pub async fn drill(&self, id: Uuid) -> Result<Drill> {
        sqlx::query_as("SELECT * FROM restore_drills WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(crate::Error::NotFound { kind: "drill" })
    }

    /// Instance `id`'s drills, newest first.
    pub async fn drills(&self, id: InstanceId, first: i64) -> Result<Vec<Drill>> {
        Ok(sqlx::query_as(
            "SELECT * FROM restore_drills WHERE instance_id = $1 ORDER BY started_at DESC LIMIT $2",
        )
        .bind(id)
        .bind(first)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Whether instance `id` is a drill's scratch instance.
    pub async fn is_drill_scratch(&self, id: InstanceId) -> Result<bool> {
        Ok(
            sqlx::query_scalar("SELECT drill_of IS NOT NULL FROM instances WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .unwrap_or(false),
        )
    }

    /// `UPDATE restore_drills SET <set>` for drill `id` (`$2` is `message`, which `set` may
    /// leave unused), touching the drilled instance.
    async fn update_drill(&self, id: Uuid, set: &'static str, message: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let instance: InstanceId = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "UPDATE restore_drills SET {set}, error = CASE WHEN $2 = '' THEN error ELSE $2 END \
             WHERE id = $1 RETURNING instance_id"
        )))
        .bind(id)
        .bind(message)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("UPDATE instances SET updated_at = now() WHERE id = $1")
            .bind(instance)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The canary of drill `id` was written at `at` (the first time counts).
    pub(crate) async fn drill_canary(&self, id: Uuid, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE restore_drills SET canary_at = coalesce(canary_at, $2) WHERE id = $1")
            .bind(id)
            .bind(at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Drill `id`'s restore begins now (the first try counts).
    pub(crate) async fn drill_restore_started(&self, id: Uuid) -> Result<()> {
        self.update_drill(
            id,
            "restore_started_at = coalesce(restore_started_at, clock_timestamp())",
            "",
        )
        .await
    }

    /// Drill `id`'s scratch instance takes connections now.
    pub(crate) async fn drill_connectable(&self, id: Uuid) -> Result<()> {
        self.update_drill(
            id,
            "connectable_at = coalesce(connectable_at, clock_timestamp())",
            "",
        )
        .await
    }

    /// Drill `id` passed: its RTO and RPO from its recorded times.
    pub(crate) async fn finish_drill(&self, id: Uuid) -> Result<()> {
        self.update_drill(
            id,
            "status = 'succeeded', finished_at = clock_timestamp(), \
             rto_ms = (extract(epoch FROM connectable_at - restore_started_at) * 1000)::bigint, \
             rpo_ms = (extract(epoch FROM restore_started_at - canary_at) * 1000)::bigint",
            "",
        )
        .await
    }

    /// Drill `id` failed with `message`.
    pub(crate) async fn fail_drill(&self, id: Uuid, message: &str) -> Result<()> {
        self.update_drill(
            id,
            "status = 'failed', finished_at = clock_timestamp()",
            message,
        )
        .await
    }

    /// Set project `project`'s drill schedule.
    pub async fn set_drill_policy(&self, project: ProjectId, schedule: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO restore_drill_policies (project_id, schedule) VALUES ($1, $2) \
             ON CONFLICT (project_id) DO UPDATE SET schedule = EXCLUDED.schedule, updated_at = now()",
        )
        .bind(project)
        .bind(schedule)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Project `project`'s drill schedule (the default when none was set).
    pub async fn drill_policy(&self, project: ProjectId) -> Result<String> {
        Ok(
            sqlx::query_scalar("SELECT schedule FROM restore_drill_policies WHERE project_id = $1")
                .bind(project)
                .fetch_optional(&self.pool)
                .await?
                .unwrap_or_else(|| DEFAULT_SCHEDULE.to_owned()),
        )
    }

    /// Every running local or server instance with a backup, not itself a drill's scratch,
    /// with its project's drill schedule and since when a drill is due: its last drill's
    /// start, or its first backup's end.
    pub async fn drill_schedule(&self) -> Result<Vec<(Instance, String, DateTime<Utc>)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            instance: Instance,
            drill_schedule: Option<String>,
            drill_since: DateTime<Utc>,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT i.*, p.schedule AS drill_schedule, \
                 coalesce((SELECT max(started_at) FROM restore_drills d WHERE d.instance_id = i.id), \
                          b.first_backup) AS drill_since \
             FROM instances i \
             JOIN (SELECT instance_id, min(finished_at) AS first_backup FROM backups \
                   WHERE status = 'succeeded' GROUP BY instance_id) b ON b.instance_id = i.id \
             LEFT JOIN restore_drill_policies p ON p.project_id = i.project_id \
             WHERE i.state = 'running' AND i.provider IN ('local', 'server') AND i.drill_of IS NULL \
             ORDER BY i.id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                (
                    r.instance,
                    r.drill_schedule
                        .unwrap_or_else(|| DEFAULT_SCHEDULE.to_owned()),
                    r.drill_since,
                )
            })
            .collect())
    }
}
