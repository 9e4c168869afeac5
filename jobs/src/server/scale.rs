//! Scaling a group of servers (one provider, plan and region in a project) to a count: the
//! plan (pure, so it can be shown before acting), and the operation that carries it out.

use chrono::{DateTime, Utc};
use providers::cloud::Plan;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{CloudProvider, Fleet, Server, ServerId, ServerState, generated_name};
use crate::db::{Db, NewOperation, NewServer};
use crate::engine;
use crate::operation::{Operation, TargetKind};
use crate::user::{ProjectId, UserId};
use crate::workflow::Kind;
use crate::{Error, Result};

/// The most servers one group may be scaled to.
pub const MAX_GROUP_SIZE: i32 = 100;

/// What a user asks for.
#[derive(Clone, Debug)]
pub struct ScaleCluster {
    /// The cloud.
    pub provider: CloudProvider,
    /// The plan of the group.
    pub plan: String,
    /// The region of the group.
    pub region: String,
    /// How many servers the group should have.
    pub count: i32,
    /// Only compute the plan.
    pub dry_run: bool,
}

/// One step of a scaling plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScaleAction {
    /// Its place in the order the steps are taken (from 1).
    pub order: i32,
    /// `add` or `remove`.
    pub action: String,
    /// The server added (a new id) or removed.
    pub server_id: Uuid,
    /// Its name.
    pub server_name: String,
    /// What the server costs per month, when the plan's price is known.
    pub monthly_cost: Option<f64>,
}

/// The steps that bring a group from its size to the target.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalingPlan {
    /// Servers counted now (provisioning, bootstrapping or active).
    pub current: i32,
    /// The steps, in order.
    pub actions: Vec<ScaleAction>,
    /// The change of the group's monthly cost, when the price is known.
    pub monthly_cost_delta: Option<f64>,
}

/// A scaling decision, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ScalingOperation {
    /// Its id.
    pub id: Uuid,
    /// The project.
    pub project_id: ProjectId,
    /// The cloud.
    pub provider: CloudProvider,
    /// The group's plan.
    pub plan: String,
    /// The group's region.
    pub region: String,
    /// The count asked for.
    pub target_count: i32,
    /// The count when asked.
    pub current_count: i32,
    /// Whether it was only a plan.
    pub dry_run: bool,
    /// The steps (`[ScaleAction]`).
    pub actions: serde_json::Value,
    /// The operation carrying it out (none for a dry run).
    pub operation_id: Option<Uuid>,
    /// Who asked.
    pub requested_by: Option<UserId>,
    /// When.
    pub created_at: DateTime<Utc>,
    /// The change of the monthly cost, when known.
    pub monthly_cost_delta: Option<f64>,
    /// Currency of the costs.
    pub currency: Option<String>,
}

impl ScalingOperation {
    /// The steps, parsed.
    pub fn steps(&self) -> Vec<ScaleAction> {
        serde_json::from_value(self.actions.clone()).unwrap_or_default()
    }
}

/// The steps that bring `group` (the group's servers that are not removed, with the number of
/// instances each hosts) to `target` servers.
///
/// Adding makes new servers. Removing takes active servers only (one still provisioning has an
/// operation running), those hosting the fewest instances first, newest first among equals:
/// the cheapest to empty, and the least proven. Failed servers do not count.
pub fn plan_scaling(
    group: &[(Server, i64)],
    target: i32,
    plan: &Plan,
    region: &str,
) -> Result<ScalingPlan> {
    if !(0..=MAX_GROUP_SIZE).contains(&target) {
        return Err(Error::InvalidInput(format!(
            "count must be between 0 and {MAX_GROUP_SIZE} (got {target})"
        )));
    }
    let counted: Vec<&(Server, i64)> = group
        .iter()
        .filter(|(s, _)| s.state.counts_in_fleet())
        .collect();
    let current = i32::try_from(counted.len()).unwrap_or(i32::MAX);
    let price = plan.monthly_price;
    let mut actions = Vec::new();
    if target > current {
        for n in 0..(target - current) {
            actions.push(ScaleAction {
                order: n + 1,
                action: "add".to_owned(),
                server_id: Uuid::now_v7(),
                server_name: generated_name(region, &plan.name),
                monthly_cost: price,
            });
        }
    } else if target < current {
        let needed = usize::try_from(current - target).unwrap_or(0);
        let mut removable: Vec<&(Server, i64)> = counted
            .iter()
            .copied()
            .filter(|(s, _)| s.state == ServerState::Active)
            .collect();
        if removable.len() < needed {
            return Err(Error::Conflict(format!(
                "scaling to {target} means removing {needed} servers, but only {} are active; \
                 the others are still being provisioned: try again when they are",
                removable.len()
            )));
        }
        removable.sort_by(|(a, ai), (b, bi)| ai.cmp(bi).then(b.created_at.cmp(&a.created_at)));
        for (n, (server, _)) in removable.into_iter().take(needed).enumerate() {
            actions.push(ScaleAction {
                order: i32::try_from(n).unwrap_or(i32::MAX) + 1,
                action: "remove".to_owned(),
                server_id: server.id.0,
                server_name: server.name.clone(),
                monthly_cost: price,
            });
        }
    }
    let delta = price.map(|p| p * f64::from(target - current));
    Ok(ScalingPlan {
        current,
        actions,
        monthly_cost_delta: delta,
    })
}

/// Scale a group: compute the plan and record it; unless it is a dry run, also record the
/// provisions and removals and a `scale_cluster` operation that follows them, all in one
/// transaction (a lock per group keeps two concurrent scalings from both adding). A plan that
/// would take the project past its server quota is refused (`QuotaExceeded`), dry run or not,
/// before any server is recorded.
pub async fn scale(
    db: &Db,
    fleet: &Fleet,
    input: &ScaleCluster,
    project: ProjectId,
    requested_by: Option<UserId>,
) -> Result<(ScalingOperation, Option<Operation>)> {
    if !input.dry_run {
        fleet.cloud(input.provider)?;
    }
    let plan =
        super::check_plan(db, input.provider, input.plan.trim(), input.region.trim()).await?;
    let region = input.region.trim().to_owned();
    let mut tx = db.begin().await?;
    // The project before the group, as every counted create takes it first.
    let reservation = crate::quota::lock(&mut tx, db, project).await?;
    let group =
        Db::lock_server_group(&mut tx, project, input.provider, &plan.name, &region).await?;
    let planned = plan_scaling(&group, input.count, &plan, &region)?;
    let adds = planned.actions.iter().filter(|a| a.action == "add").count();
    let asked = crate::quota::Usage {
        servers: i64::try_from(adds).map_err(anyhow::Error::from)?,
        ..Default::default()
    };
    // Checked before anything is recorded, so that a dry run answers as the real one would;
    // nothing of this scaling is counted yet, so all it adds is pending.
    reservation.check(&mut tx, asked, asked).await?;
    let scaling = Db::insert_scaling_operation(
        &mut tx,
        &ScalingOperation {
            id: Uuid::now_v7(),
            project_id: project,
            provider: input.provider,
            plan: plan.name.clone(),
            region: region.clone(),
            target_count: input.count,
            current_count: planned.current,
            dry_run: input.dry_run,
            actions: serde_json::to_value(&planned.actions).map_err(anyhow::Error::from)?,
            operation_id: None,
            requested_by,
            created_at: Utc::now(),
            monthly_cost_delta: planned.monthly_cost_delta,
            currency: Some(plan.currency.to_owned()),
        },
    )
    .await?;
    if input.dry_run {
        tx.commit().await?;
        return Ok((scaling, None));
    }
    let child_input = serde_json::json!({ "scaling_operation_id": scaling.id });
    let op = engine::start_in(
        &mut tx,
        NewOperation {
            project_id: project,
            kind: Kind::ScaleCluster,
            target_kind: TargetKind::Cluster,
            target_id: Some(scaling.id),
            provider: None,
            input: serde_json::json!({
                "provider": input.provider,
                "plan": plan.name,
                "region": region,
                "count": input.count,
            }),
            requested_by,
        },
    )
    .await?;
    for action in &planned.actions {
        if action.action == "add" {
            let new = NewServer {
                id: ServerId(action.server_id),
                project_id: project,
                name: action.server_name.clone(),
                provider: input.provider,
                plan: plan.name.clone(),
                region: region.clone(),
                template: super::templates::DEFAULT.to_owned(),
                image: super::default_image(input.provider),
                labels: Default::default(),
                created_by: requested_by,
                scaling_operation_id: Some(scaling.id),
            };
            super::insert_and_provision(&mut tx, &new, Some(child_input.clone())).await?;
        } else {
            let (server, _) = group
                .iter()
                .find(|(s, _)| s.id.0 == action.server_id)
                .ok_or(Error::NotFound { kind: "server" })?;
            engine::start_in(
                &mut tx,
                super::new_operation(
                    server,
                    Kind::RemoveServer,
                    Some(child_input.clone()),
                    requested_by,
                ),
            )
            .await?;
        }
    }
    let scaling = Db::attach_scaling_operation(&mut tx, scaling.id, op.id).await?;
    tx.commit().await?;
    tracing::info!(scaling = %scaling.id, actions = planned.actions.len(), "scaling");
    Ok((scaling, Some(op)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use providers::cloud::CloudKind;
    use providers::cloud::plans::{builtin_plans, find_plan};

    fn server(name: &str, state: ServerState, age_minutes: i64) -> Server {
        let created = Utc::now() - chrono::Duration::minutes(age_minutes);
        Server {
            provider: CloudProvider::Hetzner,
            plan: "cx22".to_owned(),
            region: "fsn1".to_owned(),
            provider_id: Some("1".to_owned()),
            ipv4: None,
            state,
            created_at: created,
            updated_at: created,
            state_changed_at: created,
            image: "debian-12".to_owned(),
            ..crate::fixtures::server(name)
        }
    }

    fn cx22() -> Plan {
        Plan {
            monthly_price: Some(3.79),
            ..find_plan(&builtin_plans(CloudKind::Hetzner), "cx22")
                .unwrap()
                .clone()
        }
    }

    #[test]
    fn scaling_up_adds_the_difference_and_prices_it() {
        let group = vec![(server("a", ServerState::Active, 10), 0)];
        let plan = plan_scaling(&group, 3, &cx22(), "fsn1").unwrap();
        assert_eq!(plan.current, 1);
        assert_eq!(plan.actions.len(), 2);
        assert!(plan.actions.iter().all(|a| a.action == "add"));
        assert_eq!(
            plan.actions.iter().map(|a| a.order).collect::<Vec<_>>(),
            [1, 2]
        );
        assert!(plan.actions[0].server_name.starts_with("fsn1-cx22-"));
        assert_eq!(plan.monthly_cost_delta, Some(2.0 * 3.79));
    }

    #[test]
    fn scaling_down_removes_the_emptiest_then_newest_active_servers() {
        let group = vec![
            (server("old-empty", ServerState::Active, 60), 0),
            (server("new-empty", ServerState::Active, 5), 0),
            (server("busy", ServerState::Active, 1), 3),
            (server("broken", ServerState::Failed, 1), 0),
        ];
        let plan = plan_scaling(&group, 1, &cx22(), "fsn1").unwrap();
        assert_eq!(plan.current, 3, "failed servers do not count");
        let removed: Vec<&str> = plan
            .actions
            .iter()
            .map(|a| a.server_name.as_str())
            .collect();
        assert_eq!(removed, ["new-empty", "old-empty"]);
        assert!(plan.monthly_cost_delta.unwrap() < 0.0);
    }

    #[test]
    fn scaling_down_past_servers_still_provisioning_is_refused() {
        let group = vec![
            (server("a", ServerState::Active, 10), 0),
            (server("b", ServerState::Provisioning, 1), 0),
        ];
        let err = plan_scaling(&group, 0, &cx22(), "fsn1").unwrap_err();
        assert!(matches!(err, Error::Conflict(_)), "{err}");
    }

    #[test]
    fn the_same_count_plans_nothing_and_bad_counts_are_refused() {
        let group = vec![(server("a", ServerState::Active, 10), 0)];
        let plan = plan_scaling(&group, 1, &cx22(), "fsn1").unwrap();
        assert!(plan.actions.is_empty());
        assert_eq!(plan.monthly_cost_delta, Some(0.0));
        for bad in [-1, MAX_GROUP_SIZE + 1] {
            assert!(matches!(
                plan_scaling(&group, bad, &cx22(), "fsn1"),
                Err(Error::InvalidInput(_))
            ));
        }
    }
}
