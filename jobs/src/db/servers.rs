//! Servers, cluster events, scaling operations and the plan table.

use std::collections::BTreeMap;

use providers::cloud::{Plan, Vm};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::{Db, Page, violated_constraint};
use crate::server::{CloudProvider, ClusterEvent, ScalingOperation, Server, ServerId, ServerState};
use crate::user::{ProjectId, UserId};
use crate::{Error, Result};

/// A server to record.
#[derive(Clone, Debug)]
pub struct NewServer {
    /// Its id, chosen by the caller (a scaling plan shows it before it exists).
    pub id: ServerId,
    /// The project.
    pub project_id: ProjectId,
    /// Its name.
    pub name: String,
    /// The cloud.
    pub provider: CloudProvider,
    /// The plan.
    pub plan: String,
    /// The region.
    pub region: String,
    /// The template it boots from.
    pub template: String,
    /// The image it boots.
    pub image: String,
    /// Extra labels for its VM.
    pub labels: BTreeMap<String, String>,
    /// Who asked.
    pub created_by: Option<UserId>,
    /// The scaling operation that asked for it.
    pub scaling_operation_id: Option<Uuid>,
}

/// How to reach a registered server, and what it has room for.
#[derive(Clone, Debug)]
pub struct Reach {
    /// Its address.
    pub address: std::net::IpAddr,
    /// Its SSH port.
    pub ssh_port: u16,
    /// The user we log in as.
    pub ssh_user: String,
    /// Memory for instances, in MB, if given.
    pub memory_mb: Option<i32>,
    /// Disk for instances, in GB, if given.
    pub disk_gb: Option<i32>,
}

/// Which servers to list.
#[derive(Clone, Debug, Default)]
pub struct ServerFilter {
    /// Only these projects (the ones the caller may see).
    pub projects: Vec<ProjectId>,
    /// Only this state; without it, removed servers are left out.
    pub state: Option<ServerState>,
    /// Only this cloud.
    pub provider: Option<CloudProvider>,
    /// Only this region.
    pub region: Option<String>,
    /// Only names containing this.
    pub name_contains: Option<String>,
}

/// How the operations a scaling started are going.
#[derive(Clone, Debug, Default)]
pub struct ScalingChildren {
    /// Still queued or running.
    pub active: i64,
    /// Failed.
    pub failed: i64,
    /// All of them.
    pub total: i64,
    /// The first failure's message.
    pub first_error: Option<String>,
}

impl Db {
    /// Record a new server (state `provisioning`) in `tx`.
    pub async fn insert_server(
        tx: &mut Transaction<'_, Postgres>,
        new: &NewServer,
    ) -> Result<Server> {
        sqlx::query_as(
            "INSERT INTO servers \
                 (id, project_id, name, provider, plan, region, template, image, labels, created_by, scaling_operation_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *",
        )
        .bind(new.id)
        .bind(new.project_id)
        .bind(&new.name)
        .bind(new.provider)
        .bind(&new.plan)
        .bind(&new.region)
        .bind(&new.template)
        .bind(&new.image)
        .bind(serde_json::to_value(&new.labels).map_err(anyhow::Error::from)?)
        .bind(new.created_by)
        .bind(new.scaling_operation_id)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| match violated_constraint(&e) {
            Some("servers_project_name_key") => Error::Conflict(format!(
                "a server named {} already exists in this project",
                new.name
            )),
            _ => e.into(),
        })
    }

    /// Record a registered server (state `bootstrapping`) in `tx`, with how to reach it.
    pub async fn insert_registered_server(
        tx: &mut Transaction<'_, Postgres>,
        new: &NewServer,
        reach: &Reach,
    ) -> Result<Server> {
        let (v4, v6) = match reach.address {
            std::net::IpAddr::V4(_) => (Some(reach.address), None),
            std::net::IpAddr::V6(_) => (None, Some(reach.address)),
        };
        sqlx::query_as(
            "INSERT INTO servers \
                 (id, project_id, name, provider, plan, region, template, image, labels, created_by, \
                  state, provider_id, ipv4, ipv6, ssh_port, ssh_user, memory_mb, disk_gb) \
             VALUES ($1, $2, $3, 'existing', $4, $5, $6, $7, '{}', $8, 'bootstrapping', $9, $10, $11, $12, $13, $14, $15) \
             RETURNING *",
        )
        .bind(new.id)
        .bind(new.project_id)
        .bind(&new.name)
        .bind(&new.plan)
        .bind(&new.region)
        .bind(&new.template)
        .bind(&new.image)
        .bind(new.created_by)
        .bind(new.id.0.to_string())
        .bind(v4)
        .bind(v6)
        .bind(i32::from(reach.ssh_port))
        .bind(&reach.ssh_user)
        .bind(reach.memory_mb)
        .bind(reach.disk_gb)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| match violated_constraint(&e) {
            Some("servers_project_name_key") => Error::Conflict(format!(
                "a server named {} already exists in this project",
                new.name
            )),
            _ => e.into(),
        })
    }

    /// A server that is not removed, in any project, at `address` (its IPv4 or IPv6, on any
    /// SSH port), if any, in `tx`. `address` should be normalised (an IPv4-mapped IPv6 as its
    /// IPv4); rows stored in the mapped form are found too. Registrations take a transaction
    /// lock first, so two of them cannot both find nothing for one address.
    pub async fn server_at_address(
        tx: &mut Transaction<'_, Postgres>,
        address: std::net::IpAddr,
    ) -> Result<Option<Server>> {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('toygres:server-addresses'))")
            .execute(&mut **tx)
            .await?;
        let mapped: std::net::IpAddr = match address {
            std::net::IpAddr::V4(v4) => v4.to_ipv6_mapped().into(),
            std::net::IpAddr::V6(_) => address,
        };
        Ok(sqlx::query_as(
            "SELECT * FROM servers WHERE (ipv4 IN ($1, $2) OR ipv6 IN ($1, $2)) \
                 AND state <> 'removed' ORDER BY created_at LIMIT 1",
        )
        .bind(address)
        .bind(mapped)
        .fetch_optional(&mut **tx)
        .await?)
    }

    /// Give `id` its SSH key pair, unless it has one: the public half on the row, the private
    /// half (sealed) in `server_ssh_keys`. Returns the public key in effect, so a retried
    /// step keeps the key an earlier try made.
    pub async fn set_server_key(
        tx: &mut Transaction<'_, Postgres>,
        id: ServerId,
        public: &str,
        sealed: &[u8],
    ) -> Result<String> {
        let set: Option<String> = sqlx::query_scalar(
            "UPDATE servers SET ssh_public_key = $2, updated_at = now() \
             WHERE id = $1 AND ssh_public_key IS NULL RETURNING ssh_public_key",
        )
        .bind(id)
        .bind(public)
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(public) = set {
            sqlx::query("INSERT INTO server_ssh_keys (server_id, sealed) VALUES ($1, $2)")
                .bind(id)
                .bind(sealed)
                .execute(&mut **tx)
                .await?;
            return Ok(public);
        }
        sqlx::query_scalar("SELECT ssh_public_key FROM servers WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .flatten()
            .ok_or(Error::NotFound { kind: "server" })
    }

    /// The sealed private half of `id`'s own SSH key, if it has one.
    pub async fn server_sealed_key(&self, id: ServerId) -> Result<Option<Vec<u8>>> {
        Ok(
            sqlx::query_scalar("SELECT sealed FROM server_ssh_keys WHERE server_id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Record what a server told us when first reached: its host key (kept if one is
    /// recorded), its versions, and its memory and disk where none were given.
    pub async fn record_contact(
        &self,
        id: ServerId,
        contact: &crate::server::hosts::Contact,
    ) -> Result<Server> {
        sqlx::query_as(
            "UPDATE servers SET ssh_host_key = coalesce(ssh_host_key, $2), pg_versions = $3, \
                 memory_mb = coalesce(memory_mb, $4), disk_gb = coalesce(disk_gb, $5), updated_at = now() \
             WHERE id = $1 RETURNING *",
        )
        .bind(id)
        .bind(&contact.host_key)
        .bind(&contact.versions)
        .bind(contact.memory_mb)
        .bind(contact.disk_gb)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(Error::NotFound { kind: "server" })
    }

    /// The PostgreSQL majors that the active servers of `project` have between them.
    pub async fn server_versions(&self, project: ProjectId) -> Result<Vec<u32>> {
        let v: Vec<i32> = sqlx::query_scalar(
            "SELECT DISTINCT unnest(pg_versions) AS v FROM servers \
             WHERE project_id = $1 AND state = 'active' AND ssh_host_key IS NOT NULL ORDER BY v",
        )
        .bind(project)
        .fetch_all(&self.pool)
        .await?;
        Ok(v.into_iter()
            .filter_map(|v| u32::try_from(v).ok())
            .collect())
    }

    /// The live instances on a server.
    pub async fn instances_on_server(
        &self,
        id: ServerId,
    ) -> Result<Vec<crate::instance::Instance>> {
        Ok(sqlx::query_as(
            "SELECT * FROM instances WHERE server_id = $1 AND state <> 'deleted' ORDER BY name",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// A server, removed ones included.
    pub async fn server(&self, id: ServerId) -> Result<Server> {
        sqlx::query_as("SELECT * FROM servers WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(Error::NotFound { kind: "server" })
    }

    /// A server, locked until `tx` ends.
    pub async fn lock_server(tx: &mut Transaction<'_, Postgres>, id: ServerId) -> Result<Server> {
        sqlx::query_as("SELECT * FROM servers WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(Error::NotFound { kind: "server" })
    }

    /// A page of servers, newest first.
    pub async fn servers(
        &self,
        filter: &ServerFilter,
        after: Option<ServerId>,
        first: i64,
    ) -> Result<Page<Server>> {
        let projects: Vec<Uuid> = filter.projects.iter().map(|p| p.0).collect();
        let items = sqlx::query_as(
            "SELECT * FROM servers \
             WHERE project_id = ANY($1) \
               AND (CASE WHEN $2::server_state IS NULL THEN state <> 'removed' ELSE state = $2 END) \
               AND ($3::server_provider IS NULL OR provider = $3) \
               AND ($4::text IS NULL OR region = $4) \
               AND ($5::text IS NULL OR strpos(name, $5) > 0) \
               AND ($6::uuid IS NULL OR id < $6) \
             ORDER BY id DESC LIMIT $7",
        )
        .bind(&projects)
        .bind(filter.state)
        .bind(filter.provider)
        .bind(filter.region.as_deref())
        .bind(filter.name_contains.as_deref())
        .bind(after.map(|a| a.0))
        .bind(first + 1)
        .fetch_all(&self.pool)
        .await?;
        Ok(Page::of(items, first))
    }

    /// Record the VM a server runs on: its provider id, its addresses (those it has), and the
    /// action to wait for when one is given (`None` keeps the recorded one; clearing is
    /// `set_pending_action`'s).
    pub async fn record_vm(
        &self,
        id: ServerId,
        vm: &Vm,
        pending_action: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE servers SET provider_id = $2, ipv4 = coalesce($3, ipv4), ipv6 = coalesce($4, ipv6), \
                 pending_action = coalesce($5, pending_action), updated_at = now() \
             WHERE id = $1",
        )
        .bind(id)
        .bind(&vm.provider_id)
        .bind(vm.ipv4)
        .bind(vm.ipv6)
        .bind(pending_action)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Record the port a provisioned server's SSH answered on (`TOYGRES_SSH_PORT`), so later
    /// logins go there.
    pub async fn set_server_ssh_port(&self, id: ServerId, port: u16) -> Result<()> {
        sqlx::query(
            "UPDATE servers SET ssh_port = $2, updated_at = now() WHERE id = $1 AND ssh_port <> $2",
        )
        .bind(id)
        .bind(i32::from(port))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Set (or clear) the provider action being waited for.
    pub async fn set_pending_action(&self, id: ServerId, action: Option<&str>) -> Result<()> {
        sqlx::query("UPDATE servers SET pending_action = $2, updated_at = now() WHERE id = $1")
            .bind(id)
            .bind(action)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Set a server's state to `to` if it is one of `from` (a compare-and-set). `false` when it
    /// was in none of them (an earlier try changed it already).
    pub async fn set_server_state_if(
        &self,
        id: ServerId,
        from: &[ServerState],
        to: ServerState,
    ) -> Result<bool> {
        let moved = sqlx::query(
            "UPDATE servers SET state = $3, state_changed_at = now(), updated_at = now() \
             WHERE id = $1 AND state = ANY($2)",
        )
        .bind(id)
        .bind(from)
        .bind(to)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(moved == 1)
    }

    /// Mark a server failed with `reason`, in `tx`.
    pub async fn mark_server_failed(
        tx: &mut Transaction<'_, Postgres>,
        id: ServerId,
        reason: &str,
    ) -> Result<Server> {
        sqlx::query_as(
            "UPDATE servers SET state = 'failed', failure_reason = $2, pending_action = NULL, \
                 state_changed_at = now(), updated_at = now() \
             WHERE id = $1 RETURNING *",
        )
        .bind(id)
        .bind(reason)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(Error::NotFound { kind: "server" })
    }

    /// Mark a server removed. `false` when it was already.
    pub async fn mark_server_removed(&self, id: ServerId) -> Result<bool> {
        let mut tx = self.begin().await?;
        let moved = sqlx::query(
            "UPDATE servers SET state = 'removed', removed_at = now(), pending_action = NULL, \
                 state_changed_at = now(), updated_at = now() \
             WHERE id = $1 AND state <> 'removed'",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        // A removed server is never logged in to again: its private key goes.
        sqlx::query("DELETE FROM server_ssh_keys WHERE server_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(moved == 1)
    }

    /// Record a cluster event about `server`.
    pub async fn server_event(
        &self,
        server: &Server,
        kind: &str,
        severity: &str,
        message: &str,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        Self::server_event_in(&mut tx, server, kind, severity, message).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Record a cluster event about `server` in `tx`.
    pub async fn server_event_in(
        tx: &mut Transaction<'_, Postgres>,
        server: &Server,
        kind: &str,
        severity: &str,
        message: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO cluster_events (id, project_id, server_id, kind, severity, message, details) \
             VALUES ($1, $2, $3, $4, $5::event_severity, $6, $7)",
        )
        .bind(Uuid::now_v7())
        .bind(server.project_id)
        .bind(server.id)
        .bind(kind)
        .bind(severity)
        .bind(message)
        .bind(serde_json::json!({
            "server_name": server.name,
            "provider": server.provider,
            "provider_id": server.provider_id,
        }))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// A page of cluster events, newest first: those of `projects`, and those of no project
    /// (the cluster's own); only one server's with `server`.
    pub async fn cluster_events(
        &self,
        projects: &[ProjectId],
        server: Option<ServerId>,
        instance: Option<Uuid>,
        after: Option<Uuid>,
        first: i64,
    ) -> Result<Page<ClusterEvent>> {
        let projects: Vec<Uuid> = projects.iter().map(|p| p.0).collect();
        let items = sqlx::query_as(
            "SELECT id, project_id, server_id, instance_id, kind, severity::text AS severity, \
                    message, details, created_at \
             FROM cluster_events \
             WHERE (project_id IS NULL OR project_id = ANY($1)) \
               AND ($2::uuid IS NULL OR server_id = $2) \
               AND ($3::uuid IS NULL OR instance_id = $3) \
               AND ($4::uuid IS NULL OR id < $4) \
             ORDER BY id DESC LIMIT $5",
        )
        .bind(&projects)
        .bind(server)
        .bind(instance)
        .bind(after)
        .bind(first + 1)
        .fetch_all(&self.pool)
        .await?;
        Ok(Page::of(items, first))
    }

    /// How many operations are queued or running on the instances that have a member (the
    /// primary or a standby) on a server.
    pub async fn active_operations_on_server_instances(&self, id: ServerId) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT count(*) FROM operations o JOIN instances i ON o.target_id = i.id \
             WHERE (i.server_id = $1 OR EXISTS (SELECT FROM instance_members m \
                    WHERE m.instance_id = i.id AND m.server_id = $1)) \
               AND o.status IN ('queued', 'running')",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Whether an operation that holds instance `id` (one not beside the others, as backups
    /// are) is queued or running.
    pub async fn instance_busy(&self, id: crate::instance::InstanceId) -> Result<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT FROM operations WHERE target_id = $1 \
                 AND status IN ('queued', 'running') AND kind <> 'backup_instance')",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?)
    }

    /// How many live instances each of `ids` hosts.
    pub async fn instance_counts_by_server(
        &self,
        ids: &[ServerId],
    ) -> Result<BTreeMap<ServerId, i64>> {
        let rows: Vec<(ServerId, i64)> = sqlx::query_as(
            "SELECT server_id, count(*) FROM instances \
             WHERE server_id = ANY($1) AND state <> 'deleted' GROUP BY server_id",
        )
        .bind(ids)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().collect())
    }

    /// The plans last listed by `provider`; empty when never refreshed.
    pub async fn stored_plans(&self, provider: CloudProvider) -> Result<Vec<Plan>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            name: String,
            cores: i32,
            memory_gb: f64,
            disk_gb: i32,
            monthly_price: Option<f64>,
            architecture: String,
            regions: Vec<String>,
            deprecated: bool,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT name, cores, memory_gb, disk_gb, monthly_price, architecture, regions, deprecated \
             FROM server_plans WHERE provider = $1 ORDER BY memory_gb, cores, name",
        )
        .bind(provider)
        .fetch_all(&self.pool)
        .await?;
        let currency = match provider {
            CloudProvider::Hetzner => "EUR",
            CloudProvider::Digitalocean | CloudProvider::Existing => "USD",
        };
        Ok(rows
            .into_iter()
            .map(|r| Plan {
                name: r.name,
                cores: u32::try_from(r.cores).unwrap_or(0),
                memory_gb: r.memory_gb,
                disk_gb: u32::try_from(r.disk_gb).unwrap_or(0),
                monthly_price: r.monthly_price,
                currency,
                architecture: if r.architecture == "arm" {
                    "arm"
                } else {
                    "x86"
                },
                regions: r.regions,
                deprecated: r.deprecated,
            })
            .collect())
    }

    /// Replace `provider`'s stored plans with `plans`, in one transaction.
    pub async fn store_plans(&self, provider: CloudProvider, plans: &[Plan]) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM server_plans WHERE provider = $1")
            .bind(provider)
            .execute(&mut *tx)
            .await?;
        for p in plans.iter().filter(|p| p.cores > 0 && p.memory_gb > 0.0) {
            sqlx::query(
                "INSERT INTO server_plans \
                     (provider, name, cores, memory_gb, disk_gb, monthly_price, currency, architecture, regions, deprecated) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (provider, name) DO NOTHING",
            )
            .bind(provider)
            .bind(&p.name)
            .bind(i32::try_from(p.cores).unwrap_or(i32::MAX))
            .bind(p.memory_gb)
            .bind(i32::try_from(p.disk_gb).unwrap_or(i32::MAX))
            .bind(p.monthly_price)
            .bind(p.currency)
            .bind(p.architecture)
            .bind(&p.regions)
            .bind(p.deprecated)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The servers of one group that are not removed, with the live instances each hosts,
    /// locked (with the group itself, by an advisory lock) until `tx` ends.
    pub async fn lock_server_group(
        tx: &mut Transaction<'_, Postgres>,
        project: ProjectId,
        provider: CloudProvider,
        plan: &str,
        region: &str,
    ) -> Result<Vec<(Server, i64)>> {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(format!(
                "scale:{}:{}:{plan}:{region}",
                project.0,
                provider.as_str()
            ))
            .execute(&mut **tx)
            .await?;
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            server: Server,
            instances: i64,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT s.*, (SELECT count(*) FROM instances i WHERE i.server_id = s.id AND i.state <> 'deleted') AS instances \
             FROM servers s \
             WHERE s.project_id = $1 AND s.provider = $2 AND s.plan = $3 AND s.region = $4 AND s.state <> 'removed' \
             ORDER BY s.id FOR UPDATE OF s",
        )
        .bind(project)
        .bind(provider)
        .bind(plan)
        .bind(region)
        .fetch_all(&mut **tx)
        .await?;
        Ok(rows.into_iter().map(|r| (r.server, r.instances)).collect())
    }

    /// Record a scaling decision in `tx`.
    pub async fn insert_scaling_operation(
        tx: &mut Transaction<'_, Postgres>,
        s: &ScalingOperation,
    ) -> Result<ScalingOperation> {
        Ok(sqlx::query_as(
            "INSERT INTO scaling_operations \
                 (id, project_id, provider, plan, region, target_count, current_count, dry_run, actions, \
                  requested_by, monthly_cost_delta, currency) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *",
        )
        .bind(s.id)
        .bind(s.project_id)
        .bind(s.provider)
        .bind(&s.plan)
        .bind(&s.region)
        .bind(s.target_count)
        .bind(s.current_count)
        .bind(s.dry_run)
        .bind(&s.actions)
        .bind(s.requested_by)
        .bind(s.monthly_cost_delta)
        .bind(&s.currency)
        .fetch_one(&mut **tx)
        .await?)
    }

    /// Tie a scaling decision to the operation carrying it out.
    pub async fn attach_scaling_operation(
        tx: &mut Transaction<'_, Postgres>,
        id: Uuid,
        operation: crate::operation::OperationId,
    ) -> Result<ScalingOperation> {
        Ok(sqlx::query_as(
            "UPDATE scaling_operations SET operation_id = $2 WHERE id = $1 RETURNING *",
        )
        .bind(id)
        .bind(operation)
        .fetch_one(&mut **tx)
        .await?)
    }

    /// A scaling decision.
    pub async fn scaling_operation(&self, id: Uuid) -> Result<ScalingOperation> {
        sqlx::query_as("SELECT * FROM scaling_operations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(Error::NotFound {
                kind: "scaling operation",
            })
    }

    /// A page of scaling decisions of `projects`, newest first.
    pub async fn scaling_operations(
        &self,
        projects: &[ProjectId],
        after: Option<Uuid>,
        first: i64,
    ) -> Result<Page<ScalingOperation>> {
        let projects: Vec<Uuid> = projects.iter().map(|p| p.0).collect();
        let items = sqlx::query_as(
            "SELECT * FROM scaling_operations WHERE project_id = ANY($1) AND ($2::uuid IS NULL OR id < $2) \
             ORDER BY id DESC LIMIT $3",
        )
        .bind(&projects)
        .bind(after)
        .bind(first + 1)
        .fetch_all(&self.pool)
        .await?;
        Ok(Page::of(items, first))
    }

    /// How the operations started by a scaling decision are going.
    pub async fn scaling_children(&self, scaling: Uuid) -> Result<ScalingChildren> {
        let (active, failed, total, first_error): (i64, i64, i64, Option<String>) = sqlx::query_as(
            "SELECT count(*) FILTER (WHERE status IN ('queued', 'running')), \
                    count(*) FILTER (WHERE status = 'failed'), \
                    count(*), \
                    (array_agg(error ORDER BY finished_at) FILTER (WHERE status = 'failed'))[1] \
             FROM operations \
             WHERE input ? 'scaling_operation_id' AND input->>'scaling_operation_id' = $1::text",
        )
        .bind(scaling)
        .fetch_one(&self.pool)
        .await?;
        Ok(ScalingChildren {
            active,
            failed,
            total,
            first_error,
        })
    }
}
