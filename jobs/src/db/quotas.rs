//! Project quotas and what counts toward them.

use sqlx::{PgConnection, Postgres, Transaction};

use super::Db;
use crate::quota::{ProjectQuota, Quota, Usage};
use crate::user::{ProjectId, UserId};
use crate::{Error, Result};

/// What a project holds, as its quota counts it: instances not deleted (restore drills'
/// scratch instances left out) and their storage, servers not removed, standbys of live instances.
const USAGE: &str = "SELECT \
        (SELECT count(*) FROM instances \
          WHERE project_id = $1 AND state <> 'deleted' AND drill_of IS NULL) AS instances, \
        (SELECT coalesce(sum(storage_gb), 0)::bigint FROM instances \
          WHERE project_id = $1 AND state <> 'deleted' AND drill_of IS NULL) AS storage_gb, \
        (SELECT count(*) FROM servers WHERE project_id = $1 AND state <> 'removed') AS servers, \
        (SELECT count(*) FROM instance_members m JOIN instances i ON i.id = m.instance_id \
          WHERE i.project_id = $1 AND i.state <> 'deleted') AS standbys";

impl Db {
    /// Lock `project`'s row for the rest of `tx` (`FOR NO KEY UPDATE`: rows that reference
    /// it may still be inserted) and read its own quota, if it has one.
    pub(crate) async fn lock_project_quota(
        tx: &mut Transaction<'_, Postgres>,
        project: ProjectId,
    ) -> Result<Option<Quota>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            own: bool,
            #[sqlx(flatten)]
            quota: Quota,
        }
        let row: Row = sqlx::query_as(
            "SELECT q.project_id IS NOT NULL AS own, q.instances, q.storage_gb, q.servers, q.standbys \
             FROM projects p LEFT JOIN project_quotas q ON q.project_id = p.id \
             WHERE p.id = $1 FOR NO KEY UPDATE OF p",
        )
        .bind(project)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(Error::NotFound { kind: "project" })?;
        Ok(row.own.then_some(row.quota))
    }

    /// What `project` holds, as `conn` sees it.
    pub(crate) async fn project_usage_in(
        conn: &mut PgConnection,
        project: ProjectId,
    ) -> Result<Usage> {
        Ok(sqlx::query_as(USAGE).bind(project).fetch_one(conn).await?)
    }

    /// What `project` holds.
    pub async fn project_usage(&self, project: ProjectId) -> Result<Usage> {
        let mut conn = self.pool.acquire().await?;
        Self::project_usage_in(&mut conn, project).await
    }

    /// The quota in force for `project`: its own, or the installation's default.
    pub async fn project_quota(&self, project: ProjectId) -> Result<ProjectQuota> {
        let own: Option<Quota> = sqlx::query_as(
            "SELECT instances, storage_gb, servers, standbys FROM project_quotas WHERE project_id = $1",
        )
        .bind(project)
        .fetch_optional(&self.pool)
        .await?;
        Ok(ProjectQuota {
            quota: own.unwrap_or(self.default_quota),
            custom: own.is_some(),
        })
    }

    /// Give `project` a quota of its own, or, with `None`, the installation's default again.
    /// What it holds already is kept, even above the new limits; only new things are refused.
    pub async fn set_project_quota(
        &self,
        project: ProjectId,
        quota: Option<Quota>,
        by: Option<UserId>,
    ) -> Result<ProjectQuota> {
        let mut tx = self.pool.begin().await?;
        Self::lock_project_quota(&mut tx, project).await?;
        match quota {
            Some(q) => {
                if [q.instances, q.storage_gb, q.servers, q.standbys]
                    .iter()
                    .flatten()
                    .any(|v| *v < 0)
                {
                    return Err(Error::InvalidInput(
                        "a quota's limits must not be negative".to_owned(),
                    ));
                }
                sqlx::query(
                    "INSERT INTO project_quotas \
                         (project_id, instances, storage_gb, servers, standbys, updated_by) \
                     VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (project_id) DO UPDATE SET instances = $2, storage_gb = $3, \
                         servers = $4, standbys = $5, updated_by = $6, updated_at = now()",
                )
                .bind(project)
                .bind(q.instances)
                .bind(q.storage_gb)
                .bind(q.servers)
                .bind(q.standbys)
                .bind(by)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM project_quotas WHERE project_id = $1")
                    .bind(project)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(ProjectQuota {
            quota: quota.unwrap_or(self.default_quota),
            custom: quota.is_some(),
        })
    }
}
