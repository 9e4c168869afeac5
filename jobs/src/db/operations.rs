//! Operations and their steps.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Postgres, Transaction};
use uuid::Uuid;

use super::{Db, Page, violated_constraint};
use crate::instance::Provider;
use crate::operation::{Operation, OperationId, OperationStatus, OperationStep, TargetKind};
use crate::user::{ProjectId, UserId};
use crate::workflow::Kind;
use crate::{Error, Result};

/// The longest error text we store (NOTIFY payloads are capped at 8,000 bytes).
const MAX_ERROR_LEN: usize = 2000;

/// What a new operation is.
#[derive(Clone, Debug)]
pub struct NewOperation {
    /// The project it belongs to.
    pub project_id: ProjectId,
    /// The workflow.
    pub kind: Kind,
    /// What it acts on.
    pub target_kind: TargetKind,
    /// The id of what it acts on, unless global.
    pub target_id: Option<Uuid>,
    /// The provider of the instance it acts on: instance workflows' steps differ by provider.
    pub provider: Option<Provider>,
    /// The workflow's parameters.
    pub input: serde_json::Value,
    /// Who asked.
    pub requested_by: Option<UserId>,
}

/// Which operations to list.
#[derive(Clone, Debug, Default)]
pub struct OperationFilter {
    /// Only these projects (the ones the caller may see). Empty means none.
    pub projects: Vec<ProjectId>,
    /// Only this status.
    pub status: Option<OperationStatus>,
    /// Only this kind.
    pub kind: Option<String>,
    /// Only operations on this target.
    pub target_id: Option<Uuid>,
}

pub(super) fn truncate_error(msg: &str) -> String {
    if msg.len() <= MAX_ERROR_LEN {
        return msg.to_owned();
    }
    let mut end = MAX_ERROR_LEN;
    while !msg.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &msg[..end])
}

impl Db {
    /// Record a new operation at `first_step`, its timeline's first entry and its first
    /// delivery on `queue`, in one statement on `conn` (the caller's transaction, when the
    /// operation comes with other changes): all three commit together. A second active
    /// operation on the same target is a `Conflict`.
    pub async fn insert_operation(
        conn: &mut PgConnection,
        new: &NewOperation,
        first_step: &str,
        queue: &str,
    ) -> Result<Operation> {
        sqlx::query_as(
            "WITH op AS ( \
                 INSERT INTO operations \
                     (id, project_id, kind, target_kind, target_id, step, max_attempts, input, requested_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING * \
             ), timeline AS ( \
                 INSERT INTO operation_steps (operation_id, seq, step) SELECT id, 1, step FROM op \
             ), job AS ( \
                 INSERT INTO queue_jobs (queue, operation_id) SELECT $10, id FROM op \
             ) \
             SELECT * FROM op",
        )
        .bind(Uuid::now_v7())
        .bind(new.project_id)
        .bind(new.kind.as_str())
        .bind(new.target_kind)
        .bind(new.target_id)
        .bind(first_step)
        .bind(new.kind.max_attempts())
        .bind(&new.input)
        .bind(new.requested_by)
        .bind(queue)
        .fetch_one(conn)
        .await
        .map_err(|e| match violated_constraint(&e) {
            Some("operations_one_active_per_target") => Error::Conflict(
                "another operation is already queued or running on this target; wait for it to finish".to_owned(),
            ),
            _ => e.into(),
        })
    }

    /// One operation.
    pub async fn operation(&self, id: OperationId) -> Result<Operation> {
        sqlx::query_as("SELECT * FROM operations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(Error::NotFound { kind: "operation" })
    }

    /// A page of operations, newest first, after the operation `after` (ids are UUIDv7, so
    /// they sort by creation time).
    pub async fn operations(
        &self,
        filter: &OperationFilter,
        after: Option<OperationId>,
        first: i64,
    ) -> Result<Page<Operation>> {
        let projects: Vec<Uuid> = filter.projects.iter().map(|p| p.0).collect();
        let items: Vec<Operation> = sqlx::query_as(
            "SELECT * FROM operations \
             WHERE project_id = ANY($1) \
               AND ($2::operation_status IS NULL OR status = $2) \
               AND ($3::text IS NULL OR kind = $3) \
               AND ($4::uuid IS NULL OR target_id = $4) \
               AND ($5::uuid IS NULL OR id < $5) \
             ORDER BY id DESC LIMIT $6",
        )
        .bind(&projects)
        .bind(filter.status)
        .bind(filter.kind.as_deref())
        .bind(filter.target_id)
        .bind(after.map(|a| a.0))
        .bind(first + 1)
        .fetch_all(&self.pool)
        .await?;
        Ok(Page::of(items, first))
    }

    /// The steps an operation has entered, in order.
    pub async fn operation_steps(&self, id: OperationId) -> Result<Vec<OperationStep>> {
        Ok(sqlx::query_as(
            "SELECT seq, step, entered_at FROM operation_steps WHERE operation_id = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Say why a live operation is waiting (shown as its `error` until it moves on: a
    /// success clears it, a failure replaces it).
    pub async fn note_waiting(&self, id: OperationId, message: &str) -> Result<()> {
        sqlx::query(
            "UPDATE operations SET error = $2, updated_at = now() \
             WHERE id = $1 AND status IN ('queued', 'running') AND error IS DISTINCT FROM $2",
        )
        .bind(id)
        .bind(message)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Move the operation to `step`, recording it in the timeline.
    pub async fn hop(&self, id: OperationId, step: &str) -> Result<Operation> {
        let mut tx = self.worker_tx().await?;
        let op: Operation = sqlx::query_as(
            "UPDATE operations SET step = $2, updated_at = now() \
             WHERE id = $1 AND status = 'running' RETURNING *",
        )
        .bind(id)
        .bind(step)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Error::Conflict("operation is no longer running".to_owned()))?;
        sqlx::query(
            "INSERT INTO operation_steps (operation_id, seq, step) \
             SELECT $1, coalesce(max(seq), 0) + 1, $2 FROM operation_steps WHERE operation_id = $1",
        )
        .bind(id)
        .bind(step)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(op)
    }

    /// The operation gave up, with a reason a user can act on, in `tx`.
    pub async fn fail(
        tx: &mut Transaction<'_, Postgres>,
        id: OperationId,
        error: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE operations SET status = 'failed', error = $2, finished_at = now(), updated_at = now() \
             WHERE id = $1 AND status IN ('queued', 'running')",
        )
        .bind(id)
        .bind(truncate_error(error))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// A transaction for a worker's bookkeeping inside a job, committed without waiting for
    /// the WAL flush. Safe because the queue acknowledges the job afterwards with an ordinary
    /// (flushed) commit, which flushes everything before it; if the database crashes first,
    /// both are lost together and the job is delivered again, and its steps are idempotent.
    pub(super) async fn worker_tx(&self) -> Result<Transaction<'static, Postgres>> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT set_config('synchronous_commit', 'off', true)")
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    /// Start a transaction.
    pub async fn begin(&self) -> Result<Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }

    /// The database's clock, so that schedules do not depend on this host's.
    pub async fn now(&self) -> Result<DateTime<Utc>> {
        Ok(sqlx::query_scalar("SELECT now()")
            .fetch_one(&self.pool)
            .await?)
    }

    /// When the operation last entered `step`.
    pub async fn step_entered_at(
        &self,
        id: OperationId,
        step: &str,
    ) -> Result<Option<DateTime<Utc>>> {
        Ok(sqlx::query_scalar(
            "SELECT max(entered_at) FROM operation_steps WHERE operation_id = $1 AND step = $2",
        )
        .bind(id)
        .bind(step)
        .fetch_one(&self.pool)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_errors_are_cut_at_a_character_boundary() {
        let long = "é".repeat(MAX_ERROR_LEN);
        let cut = truncate_error(&long);
        assert!(cut.len() <= MAX_ERROR_LEN + '…'.len_utf8());
        assert!(cut.ends_with('…'));
        assert_eq!(truncate_error("short"), "short");
    }
}
