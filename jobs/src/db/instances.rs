//! Instances, their secrets and their health history.

use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::sealing::Secret;
use super::{Db, Page, violated_constraint};
use crate::instance::{
    DesiredState, Health, HealthCheck, Instance, InstanceId, InstanceState, Provider,
};
use crate::user::{ProjectId, UserId};
use crate::{Error, Result};

/// Health checks kept per instance; older ones are pruned as new ones arrive.
const HEALTH_HISTORY: i64 = 100;

/// A new instance's row and secret.
#[derive(Clone)]
pub struct NewInstance {
    /// The project.
    pub project_id: ProjectId,
    /// DNS-1123 label.
    pub name: String,
    /// Where it runs.
    pub provider: Provider,
    /// Major version.
    pub pg_version: i32,
    /// Storage in GB.
    pub storage_gb: i32,
    /// Login role.
    pub username: String,
    /// Database.
    pub database_name: String,
    /// The role's password.
    pub password: String,
    /// The superuser's password, for providers that reach it over the network.
    pub superuser_password: Option<String>,
    /// The plan that sizes it.
    pub plan: String,
    /// The client Service's type (`ClusterIP`, `LoadBalancer`), on Kubernetes.
    pub service_type: Option<String>,
    /// Who asked.
    pub created_by: Option<UserId>,
    /// The fleet server it is placed on (the `server` provider).
    pub server_id: Option<crate::server::ServerId>,
    /// Whether each commit waits until a standby has it.
    pub synchronous: bool,
}

/// Which instances to list.
#[derive(Clone, Debug, Default)]
pub struct InstanceFilter {
    /// Only these projects (the ones the caller may see).
    pub projects: Vec<ProjectId>,
    /// Only this state; without it, deleted instances are left out.
    pub state: Option<InstanceState>,
    /// Only this health.
    pub health: Option<Health>,
    /// Only this provider.
    pub provider: Option<Provider>,
    /// Only names containing this.
    pub name_contains: Option<String>,
}

/// An instance's row with its role's password columns (sealed, or in the clear from before
/// sealing), as the queries that read both return them. The password stays sealed until
/// [`Db::unseal_password`]: this is what may be kept in memory between requests.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SealedInstance {
    /// The instance.
    #[sqlx(flatten)]
    pub instance: Instance,
    password_sealed: Option<Vec<u8>>,
    password: Option<String>,
}

impl Db {
    /// Record a new instance (state `creating`) and its passwords, sealed, in `tx`.
    pub async fn insert_instance(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        new: &NewInstance,
    ) -> Result<Instance> {
        let instance: Instance = sqlx::query_as(
            "INSERT INTO instances \
                 (id, project_id, name, provider, pg_version, storage_gb, username, database_name, created_by, \
                  plan, service_type, server_id, synchronous) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING *",
        )
        .bind(Uuid::now_v7())
        .bind(new.project_id)
        .bind(&new.name)
        .bind(new.provider)
        .bind(new.pg_version)
        .bind(new.storage_gb)
        .bind(&new.username)
        .bind(&new.database_name)
        .bind(new.created_by)
        .bind(&new.plan)
        .bind(&new.service_type)
        .bind(new.server_id)
        .bind(new.synchronous)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| match violated_constraint(&e) {
            Some("instances_project_name_key") => Error::Conflict(format!(
                "an instance named {} already exists in this project",
                new.name
            )),
            _ => e.into(),
        })?;
        let password = self.seal(Secret::Password(instance.id), &new.password)?;
        let superuser = new
            .superuser_password
            .as_deref()
            .map(|p| self.seal(Secret::Superuser(instance.id), p))
            .transpose()?;
        sqlx::query(
            "INSERT INTO instance_secrets (instance_id, password_sealed, superuser_password_sealed) \
             VALUES ($1, $2, $3)",
        )
        .bind(instance.id)
        .bind(password)
        .bind(superuser)
        .execute(&mut **tx)
        .await?;
        Ok(instance)
    }

    /// An instance, deleted ones included.
    pub async fn instance(&self, id: InstanceId) -> Result<Instance> {
        sqlx::query_as("SELECT * FROM instances WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(Error::NotFound { kind: "instance" })
    }

    /// A live instance, locked for the rest of `tx`.
    pub async fn lock_instance(
        tx: &mut Transaction<'_, Postgres>,
        id: InstanceId,
    ) -> Result<Instance> {
        sqlx::query_as("SELECT * FROM instances WHERE id = $1 AND state <> 'deleted' FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(Error::NotFound { kind: "instance" })
    }

    /// Set an instance's state (and, if given, what the user wants it to be) in `tx`.
    pub async fn set_instance_state(
        tx: &mut Transaction<'_, Postgres>,
        id: InstanceId,
        state: InstanceState,
        desired: Option<DesiredState>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE instances SET state = $2, desired_state = coalesce($3, desired_state), \
                 failure_reason = CASE WHEN $2 = 'failed' THEN failure_reason END, updated_at = now() \
             WHERE id = $1",
        )
        .bind(id)
        .bind(state)
        .bind(desired)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Set an instance's state to `to` if it is `from` (a compare-and-set); nothing if it is
    /// not in `from`.
    pub async fn set_instance_state_if(
        &self,
        id: InstanceId,
        from: InstanceState,
        to: InstanceState,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE instances SET state = $3, health = CASE WHEN $3 = 'running' THEN health ELSE 'unknown' END, \
                 updated_at = now() WHERE id = $1 AND state = $2",
        )
        .bind(id)
        .bind(from)
        .bind(to)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The instance serves at `address` (and `port`, when given; the allocated one otherwise);
    /// its health is unknown until the next check, and it has no problem to report.
    pub async fn mark_instance_running(
        &self,
        id: InstanceId,
        address: &str,
        port: Option<u16>,
        check: &HealthCheck,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE instances SET state = 'running', host = $2, port = COALESCE($3, port), \
                 failure_reason = NULL, status_message = NULL, \
                 health = $4, last_checked_at = $5, latency_ms = $6, \
                 server_version = coalesce($7, server_version), updated_at = now() \
             WHERE id = $1 AND state <> 'deleted'",
        )
        .bind(id)
        .bind(address)
        .bind(port.map(i32::from))
        .bind(Health::of(check))
        .bind(check.checked_at)
        .bind(check.latency_ms)
        .bind(&check.server_version)
        .execute(&mut *tx)
        .await?;
        Self::insert_health_check(&mut tx, id, check).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The instance is gone.
    pub async fn mark_instance_deleted(&self, id: InstanceId) -> Result<()> {
        sqlx::query(
            "UPDATE instances SET state = 'deleted', health = 'unknown', deleted_at = now(), updated_at = now() \
             WHERE id = $1 AND state <> 'deleted'",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// An operation on the instance gave up, in `tx`.
    pub async fn mark_instance_failed(
        tx: &mut Transaction<'_, Postgres>,
        id: InstanceId,
        reason: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE instances SET state = 'failed', failure_reason = $2, health = 'unknown', updated_at = now() \
             WHERE id = $1 AND state <> 'deleted'",
        )
        .bind(id)
        .bind(reason)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Ports held by live local instances and their standbys.
    pub async fn local_ports_in_use(&self) -> Result<Vec<i32>> {
        Ok(sqlx::query_scalar(
            "SELECT port FROM instances WHERE provider = 'local' AND state <> 'deleted' AND port IS NOT NULL \
             UNION ALL \
             SELECT port FROM instance_members WHERE server_id IS NULL AND port IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// The ports that live instances, their standbys, and copies being moved there, hold on
    /// `server`.
    pub async fn server_ports_in_use(&self, server: crate::server::ServerId) -> Result<Vec<i32>> {
        Ok(sqlx::query_scalar(
            "SELECT port FROM instances \
             WHERE server_id = $1 AND provider = 'server' AND state <> 'deleted' AND port IS NOT NULL \
             UNION ALL \
             SELECT target_port FROM instance_moves \
             WHERE target_server_id = $1 AND target_port IS NOT NULL \
               AND phase NOT IN ('done', 'rolled_back', 'cancelled') \
             UNION ALL \
             SELECT port FROM instance_members WHERE server_id = $1 AND port IS NOT NULL",
        )
        .bind(server)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Give the instance `port` unless it has one: `true` if claimed now, `false` if it had
    /// one, `Conflict` if another live instance holds `port`.
    pub async fn claim_port(&self, id: InstanceId, port: u16) -> Result<bool> {
        let claimed = sqlx::query(
            "UPDATE instances SET port = $2, updated_at = now() WHERE id = $1 AND port IS NULL",
        )
        .bind(id)
        .bind(i32::from(port))
        .execute(&self.pool)
        .await
        .map_err(|e| match violated_constraint(&e) {
            Some("instances_local_port_key" | "instances_server_port_key") => {
                Error::Conflict(format!("port {port} is taken"))
            }
            _ => e.into(),
        })?;
        Ok(claimed.rows_affected() == 1)
    }

    /// Forget the instance's port, so that `allocate_port` picks another.
    pub async fn release_port(&self, id: InstanceId) -> Result<()> {
        sqlx::query("UPDATE instances SET port = NULL, updated_at = now() WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The instance role's password.
    pub async fn instance_password(&self, id: InstanceId) -> Result<String> {
        let (sealed, plain): (Option<Vec<u8>>, Option<String>) = sqlx::query_as(
            "SELECT password_sealed, password FROM instance_secrets WHERE instance_id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(Error::NotFound {
            kind: "instance secret",
        })?;
        self.open(Secret::Password(id), sealed.as_deref(), plain)?
            .ok_or(Error::NotFound {
                kind: "instance secret",
            })
    }

    /// An instance, deleted ones included, and its role's password still sealed, in one
    /// statement.
    pub async fn sealed_instance(&self, id: InstanceId) -> Result<SealedInstance> {
        sqlx::query_as(
            "SELECT i.*, s.password_sealed, s.password \
             FROM instances i LEFT JOIN instance_secrets s ON s.instance_id = i.id \
             WHERE i.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(Error::NotFound { kind: "instance" })
    }

    /// The role's password of `row` (`None` without a secret row).
    pub fn unseal_password(&self, row: &SealedInstance) -> Result<Option<String>> {
        self.open(
            Secret::Password(row.instance.id),
            row.password_sealed.as_deref(),
            row.password.clone(),
        )
    }

    /// A page of instances, newest first.
    pub async fn instances(
        &self,
        filter: &InstanceFilter,
        after: Option<InstanceId>,
        first: i64,
    ) -> Result<Page<Instance>> {
        let projects: Vec<Uuid> = filter.projects.iter().map(|p| p.0).collect();
        let rows = sqlx::query(
            "SELECT * FROM instances \
             WHERE project_id = ANY($1) \
               AND (CASE WHEN $2::instance_state IS NULL THEN state <> 'deleted' ELSE state = $2 END) \
               AND ($3::health_status IS NULL OR health = $3) \
               AND ($4::instance_provider IS NULL OR provider = $4) \
               AND ($5::text IS NULL OR strpos(name, $5) > 0) \
               AND ($6::uuid IS NULL OR id < $6) \
             ORDER BY id DESC LIMIT $7",
        )
        .bind(&projects)
        .bind(filter.state)
        .bind(filter.health)
        .bind(filter.provider)
        .bind(filter.name_contains.as_deref())
        .bind(after.map(|a| a.0))
        .bind(first + 1)
        .fetch_all(&self.pool)
        .await?;
        let items = super::decode_rows!(
            &rows,
            Instance {
                id,
                project_id,
                name,
                provider,
                pg_version,
                storage_gb,
                state,
                health,
                failure_reason,
                created_by,
                created_at,
                updated_at,
                desired_state,
                username,
                database_name,
                host,
                port,
                last_checked_at,
                latency_ms,
                server_version,
                deleted_at,
                plan,
                service_type,
                status_message,
                server_id,
                primary_member_id,
                data_name,
                standbys,
                synchronous,
                last_failover_at,
            }
        )?;
        Ok(Page::of(items, first))
    }

    /// Every instance that should be serving (only those with standbys, for the failover
    /// watcher), with its password, for the health sweep.
    pub async fn instances_to_check(&self, with_standbys: bool) -> Result<Vec<(Instance, String)>> {
        let rows: Vec<SealedInstance> = sqlx::query_as(
            "SELECT i.*, s.password_sealed, s.password \
             FROM instances i JOIN instance_secrets s ON s.instance_id = i.id \
             WHERE i.state = 'running' AND i.host IS NOT NULL AND i.port IS NOT NULL \
               AND (NOT $1 OR i.standbys > 0)",
        )
        .bind(with_standbys)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .filter_map(|r| {
                let id = r.instance.id;
                self.open(
                    Secret::Password(id),
                    r.password_sealed.as_deref(),
                    r.password,
                )
                .transpose()
                .map(|p| p.map(|p| (r.instance, p)))
            })
            .collect()
    }

    /// Local instances in any live state, for finding orphans.
    pub async fn live_local_instances(&self) -> Result<Vec<Instance>> {
        Ok(sqlx::query_as(
            "SELECT * FROM instances WHERE provider = 'local' AND state <> 'deleted'",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Record a health check, prune old ones, and update the instance's health when it changed
    /// or when `refresh` asks (the row's last check is due for renewal). Only a row update is
    /// an event. Returns whether the health changed.
    pub async fn record_health(
        &self,
        id: InstanceId,
        check: &HealthCheck,
        refresh: bool,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        Self::insert_health_check(&mut tx, id, check).await?;
        sqlx::query(
            "DELETE FROM instance_health_checks WHERE instance_id = $1 AND id < \
                 (SELECT min(id) FROM (SELECT id FROM instance_health_checks WHERE instance_id = $1 \
                  ORDER BY id DESC LIMIT $2) newest)",
        )
        .bind(id)
        .bind(HEALTH_HISTORY)
        .execute(&mut *tx)
        .await?;
        let health = Health::of(check);
        let changed = sqlx::query(
            "UPDATE instances SET health = $2, last_checked_at = $3, latency_ms = $4, \
                 server_version = coalesce($5, server_version), updated_at = now() \
             WHERE id = $1 AND state = 'running' AND (health <> $2 OR $6)",
        )
        .bind(id)
        .bind(health)
        .bind(check.checked_at)
        .bind(check.latency_ms)
        .bind(&check.server_version)
        .bind(refresh)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        tx.commit().await?;
        Ok(changed)
    }

    async fn insert_health_check(
        tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
        id: InstanceId,
        check: &HealthCheck,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO instance_health_checks (instance_id, checked_at, healthy, latency_ms, server_version, error) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(check.checked_at)
        .bind(check.healthy)
        .bind(check.latency_ms)
        .bind(&check.server_version)
        .bind(&check.error)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The newest `limit` health checks of an instance, newest first.
    pub async fn health_checks(&self, id: InstanceId, limit: i64) -> Result<Vec<HealthCheck>> {
        Ok(sqlx::query_as(
            "SELECT checked_at, healthy, latency_ms, server_version, error FROM instance_health_checks \
             WHERE instance_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The superuser's password of an instance whose provider reaches it over the network.
    pub async fn instance_superuser_password(&self, id: InstanceId) -> Result<String> {
        let (sealed, plain): (Option<Vec<u8>>, Option<String>) = sqlx::query_as(
            "SELECT superuser_password_sealed, superuser_password FROM instance_secrets \
             WHERE instance_id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .unwrap_or_default();
        self.open(Secret::Superuser(id), sealed.as_deref(), plain)?
            .ok_or(Error::NotFound {
                kind: "instance superuser password",
            })
    }

    /// Set (or, with `None`, clear) what the provider says is wrong with the instance. Returns
    /// whether it changed.
    pub async fn set_instance_status_message(
        &self,
        id: InstanceId,
        message: Option<&str>,
    ) -> Result<bool> {
        // Bounded: the row rides in change notifications, whose payload is limited.
        let message = message.map(|m| m.chars().take(500).collect::<String>());
        let done = sqlx::query(
            "UPDATE instances SET status_message = $2, updated_at = now() \
             WHERE id = $1 AND status_message IS DISTINCT FROM $2",
        )
        .bind(id)
        .bind(message)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Kubernetes instances that should be serving: the ones drift is checked for.
    pub async fn kubernetes_instances_to_reconcile(&self) -> Result<Vec<Instance>> {
        Ok(sqlx::query_as(
            "SELECT * FROM instances WHERE provider = 'kubernetes' AND state = 'running' \
                 AND desired_state = 'running'",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Record a cluster event.
    pub async fn cluster_event(
        &self,
        kind: &str,
        severity: &str,
        message: &str,
        instance: Option<InstanceId>,
        details: serde_json::Value,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO cluster_events (id, project_id, instance_id, kind, severity, message, details) \
             VALUES ($1, (SELECT project_id FROM instances WHERE id = $2), $2, $3, $4::event_severity, $5, $6)",
        )
        .bind(Uuid::now_v7())
        .bind(instance)
        .bind(kind)
        .bind(severity)
        .bind(message)
        .bind(details)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
