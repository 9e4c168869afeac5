//! CPU and memory samples of the cluster and its servers.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Db;
use crate::Result;
use crate::user::ProjectId;

/// A sample: figures, or the reason there are none.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, sqlx::FromRow)]
pub struct MetricSample {
    /// The server, or `None` for the cluster as a whole (this host, without a fleet).
    pub server_id: Option<Uuid>,
    /// When it was taken.
    pub sampled_at: DateTime<Utc>,
    /// Where the figures came from: `host`, or the metrics source's URL.
    pub source: String,
    /// Busy CPU, 0 to 100.
    pub cpu_percent: Option<f64>,
    /// Memory in use, 0 to 100.
    pub memory_percent: Option<f64>,
    /// Why there are no figures.
    pub error: Option<String>,
}

/// One point of a time series.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MetricPoint {
    /// The start of the step.
    pub at: DateTime<Utc>,
    /// Average CPU over the step.
    pub cpu_percent: Option<f64>,
    /// Average memory over the step.
    pub memory_percent: Option<f64>,
}

impl Db {
    /// Record samples taken together, and forget those older than `keep_after`.
    pub async fn record_samples(
        &self,
        samples: &[MetricSample],
        keep_after: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for s in samples {
            sqlx::query(
                "INSERT INTO server_metrics (server_id, sampled_at, source, cpu_percent, memory_percent, error) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(s.server_id)
            .bind(s.sampled_at)
            .bind(&s.source)
            .bind(s.cpu_percent)
            .bind(s.memory_percent)
            .bind(&s.error)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("DELETE FROM server_metrics WHERE sampled_at < $1")
            .bind(keep_after)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The newest sample of the cluster as a whole.
    pub async fn latest_cluster_sample(&self) -> Result<Option<MetricSample>> {
        Ok(sqlx::query_as(
            "SELECT server_id, sampled_at, source, cpu_percent, memory_percent, error FROM server_metrics \
             WHERE server_id IS NULL ORDER BY sampled_at DESC, id DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The newest sample of each server taken at or after `since`: of the servers of
    /// `projects` when given, of every server otherwise.
    pub async fn latest_server_samples(
        &self,
        since: DateTime<Utc>,
        projects: Option<&[ProjectId]>,
    ) -> Result<Vec<MetricSample>> {
        Ok(sqlx::query_as(
            "SELECT DISTINCT ON (m.server_id) m.server_id, m.sampled_at, m.source, m.cpu_percent, \
                 m.memory_percent, m.error \
             FROM server_metrics m JOIN servers s ON s.id = m.server_id \
             WHERE m.sampled_at >= $1 AND ($2::uuid[] IS NULL OR s.project_id = ANY($2)) \
             ORDER BY m.server_id, m.sampled_at DESC",
        )
        .bind(since)
        .bind(projects.map(|p| p.iter().map(|p| p.0).collect::<Vec<Uuid>>()))
        .fetch_all(&self.pool)
        .await?)
    }

    /// One server's newest sample taken since `since`.
    pub async fn latest_server_sample(
        &self,
        server: Uuid,
        since: DateTime<Utc>,
    ) -> Result<Option<MetricSample>> {
        Ok(sqlx::query_as(
            "SELECT server_id, sampled_at, source, cpu_percent, memory_percent, error \
             FROM server_metrics WHERE server_id = $1 AND sampled_at >= $2 \
             ORDER BY sampled_at DESC LIMIT 1",
        )
        .bind(server)
        .bind(since)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Since when the cluster's samples have been failing, if the newest one failed: the first
    /// failed sample after the last good one.
    pub async fn metrics_unavailable_since(&self) -> Result<Option<DateTime<Utc>>> {
        Ok(sqlx::query_scalar(
            "SELECT min(sampled_at) FROM server_metrics WHERE server_id IS NULL AND error IS NOT NULL \
               AND sampled_at > coalesce((SELECT max(sampled_at) FROM server_metrics \
                                          WHERE server_id IS NULL AND error IS NULL), '-infinity')",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// Averages per `step_secs` of one server's (or, with `None`, the cluster's) samples.
    pub async fn metric_series(
        &self,
        server: Option<Uuid>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        step_secs: i64,
    ) -> Result<Vec<MetricPoint>> {
        Ok(sqlx::query_as(
            "SELECT date_bin(make_interval(secs => $4), sampled_at, $2) AS at, \
                    avg(cpu_percent) AS cpu_percent, avg(memory_percent) AS memory_percent \
             FROM server_metrics \
             WHERE server_id IS NOT DISTINCT FROM $1 AND sampled_at >= $2 AND sampled_at <= $3 \
             GROUP BY 1 ORDER BY 1",
        )
        .bind(server)
        .bind(from)
        .bind(to)
        .bind(step_secs as f64)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Ids of the servers among `ids` that exist.
    pub async fn existing_servers(&self, ids: &[Uuid]) -> Result<Vec<Uuid>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM servers WHERE id = ANY($1)")
                .bind(ids)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Rows of `table` (`instances` or `servers`) by state, for the metrics endpoint.
    pub async fn count_by_state(&self, table: &'static str) -> Result<Vec<(String, i64)>> {
        let sql = match table {
            "instances" => {
                "SELECT state::text, count(*) FROM instances WHERE state <> 'deleted' GROUP BY 1"
            }
            _ => "SELECT state::text, count(*) FROM servers WHERE state <> 'removed' GROUP BY 1",
        };
        Ok(sqlx::query_as(sql).fetch_all(&self.pool).await?)
    }

    /// How many live instances the caller's projects hold, by state and health.
    pub async fn instance_counts(
        &self,
        projects: &[crate::user::ProjectId],
    ) -> Result<Vec<(String, String, i64)>> {
        let projects: Vec<Uuid> = projects.iter().map(|p| p.0).collect();
        Ok(sqlx::query_as(
            "SELECT state::text, health::text, count(*) FROM instances \
             WHERE project_id = ANY($1) AND state <> 'deleted' GROUP BY 1, 2 ORDER BY 1, 2",
        )
        .bind(&projects)
        .fetch_all(&self.pool)
        .await?)
    }
}
