//! Project quotas: what a project may hold (`Project.quota`), what it holds
//! (`Project.usage`), and `setProjectQuota` for site admins. Creates past a quota answer
//! `QUOTA_EXCEEDED` (`crate::error::code`); `jobs::quota` checks them.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::access::{ProjectNode, project_id, site_admin};
use super::{api, caller};
use crate::error::{OrGql as _, invalid};
use jobs::quota::{ProjectQuota, Quota, Usage};

/// Limits on what a project holds; a null limit is unlimited.
#[derive(SimpleObject)]
#[graphql(name = "ProjectQuota")]
pub(crate) struct QuotaNode {
    /// Instances not deleted.
    instances: Option<i32>,
    /// Storage of those instances, in GB.
    storage_gb: Option<i32>,
    /// Servers not removed.
    servers: Option<i32>,
    /// Standbys.
    standbys: Option<i32>,
    /// Whether these are the installation's defaults rather than the project's own.
    is_default: bool,
}

impl From<ProjectQuota> for QuotaNode {
    fn from(q: ProjectQuota) -> Self {
        Self {
            instances: q.quota.instances,
            storage_gb: q.quota.storage_gb,
            servers: q.quota.servers,
            standbys: q.quota.standbys,
            is_default: !q.custom,
        }
    }
}

/// What a project holds, as its quota counts it. Restore drills' scratch instances are the
/// installation's and do not count.
#[derive(SimpleObject)]
#[graphql(name = "ProjectUsage")]
pub(crate) struct UsageNode {
    /// Instances not deleted.
    instances: i32,
    /// Storage of those instances, in GB.
    storage_gb: i32,
    /// Servers not removed.
    servers: i32,
    /// Standbys (always 0 until instances can have standbys).
    standbys: i32,
}

impl From<Usage> for UsageNode {
    fn from(u: Usage) -> Self {
        let int = |n: i64| i32::try_from(n).unwrap_or(i32::MAX);
        Self {
            instances: int(u.instances),
            storage_gb: int(u.storage_gb),
            servers: int(u.servers),
            standbys: int(u.standbys),
        }
    }
}

/// A project's own quota. A null (or missing) limit is unlimited.
#[derive(InputObject)]
pub(crate) struct ProjectQuotaInput {
    /// Instances not deleted.
    instances: Option<i32>,
    /// Storage of those instances, in GB.
    storage_gb: Option<i32>,
    /// Servers not removed.
    servers: Option<i32>,
    /// Standbys.
    standbys: Option<i32>,
    /// Drop the project's own quota: the installation's defaults apply again, and the limits
    /// above must be left out.
    use_default: Option<bool>,
}

#[derive(Default)]
pub(crate) struct QuotaMutation;

#[Object]
impl QuotaMutation {
    /// Set a project's quota (site admins). What the project holds already is kept, even
    /// above the new limits; only new instances, storage, servers and standbys are refused.
    async fn set_project_quota(
        &self,
        ctx: &Context<'_>,
        project_id: ID,
        input: ProjectQuotaInput,
    ) -> async_graphql::Result<ProjectNode> {
        let me = caller(ctx)?;
        site_admin(me, "set quotas")?;
        let project = self::project_id(&project_id)?;
        let limits = [
            input.instances,
            input.storage_gb,
            input.servers,
            input.standbys,
        ];
        let quota = if input.use_default.unwrap_or(false) {
            if limits.iter().any(Option::is_some) {
                return Err(invalid(
                    "useDefault takes no limits: leave instances, storageGb, servers and standbys out",
                ));
            }
            None
        } else {
            if limits.iter().flatten().any(|l| *l < 0) {
                return Err(invalid("a quota's limits must not be negative"));
            }
            Some(Quota {
                instances: input.instances,
                storage_gb: input.storage_gb,
                servers: input.servers,
                standbys: input.standbys,
            })
        };
        let db = &api(ctx)?.db;
        db.set_project_quota(project, quota, Some(me.user_id))
            .await
            .or_gql()?;
        Ok(ProjectNode(db.project(project).await.or_gql()?))
    }
}
