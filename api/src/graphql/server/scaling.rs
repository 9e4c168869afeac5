//! Scaling decisions in the schema: what a scale would add or remove, and the scaling
//! operations that carried them out.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::nodes::CloudProviderValue;
use crate::error::OrGql as _;
use crate::graphql::api;
use crate::graphql::operation::OperationNode;
use jobs::server::ScalingOperation;

/// Add a server, or remove one.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
pub(crate) enum ScaleActionKind {
    /// Provision a new server.
    Add,
    /// Remove an active server.
    Remove,
}

/// One step of a scaling plan.
#[derive(SimpleObject)]
pub(crate) struct ScaleAction {
    /// Its place in the order (from 1).
    order: i32,
    /// Add or remove.
    action: ScaleActionKind,
    /// The server added (its id to be) or removed.
    server_id: ID,
    /// Its name.
    server_name: String,
    /// What it costs per month, when known.
    monthly_cost: Option<f64>,
}

/// A scaling decision: the plan, and (unless a dry run) the operation carrying it out.
pub(crate) struct ScalingOperationNode(pub(crate) ScalingOperation);

#[Object(name = "ScalingOperation")]
impl ScalingOperationNode {
    /// Its id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The cloud.
    async fn provider(&self) -> CloudProviderValue {
        self.0.provider.into()
    }
    /// The group's plan.
    async fn plan(&self) -> &str {
        &self.0.plan
    }
    /// The group's region.
    async fn region(&self) -> &str {
        &self.0.region
    }
    /// Servers in the group when asked (provisioning, bootstrapping or active).
    async fn current_count(&self) -> i32 {
        self.0.current_count
    }
    /// Servers asked for.
    async fn target_count(&self) -> i32 {
        self.0.target_count
    }
    /// Whether it only planned.
    async fn dry_run(&self) -> bool {
        self.0.dry_run
    }
    /// The steps, in order.
    async fn actions(&self) -> Vec<ScaleAction> {
        self.0
            .steps()
            .into_iter()
            .map(|a| ScaleAction {
                order: a.order,
                action: if a.action == "add" {
                    ScaleActionKind::Add
                } else {
                    ScaleActionKind::Remove
                },
                server_id: ID(a.server_id.to_string()),
                server_name: a.server_name,
                monthly_cost: a.monthly_cost,
            })
            .collect()
    }
    /// The change of the group's monthly cost, when the price is known.
    async fn monthly_cost_delta(&self) -> Option<f64> {
        self.0.monthly_cost_delta
    }
    /// The currency of the costs.
    async fn currency(&self) -> Option<&str> {
        self.0.currency.as_deref()
    }
    /// The operation carrying it out; none for a dry run.
    async fn operation(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<OperationNode>> {
        let Some(id) = self.0.operation_id else {
            return Ok(None);
        };
        let op = api(ctx)?
            .db
            .operation(jobs::operation::OperationId(id))
            .await
            .or_gql()?;
        Ok(Some(OperationNode(op)))
    }
    /// When it was asked for.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
