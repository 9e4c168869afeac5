//! Cluster health: CPU and memory of the cluster and its servers, instance counts, live.

use async_graphql::{Context, ID, Object, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt as _};

use super::{api, caller, parse_id};
use crate::error::{OrGql as _, invalid};
use jobs::events::Event;

/// The most points one `serverMetrics` request returns.
const MAX_POINTS: i64 = 2000;

/// How loaded the cluster is, as of its newest sample.
#[derive(SimpleObject)]
pub(crate) struct ClusterHealth {
    /// Busy CPU of the cluster, 0 to 100; null when there is no current figure.
    cpu_percent: Option<f64>,
    /// Memory in use, 0 to 100; null when there is no current figure.
    memory_percent: Option<f64>,
    /// When the newest sample was taken.
    sampled_at: Option<DateTime<Utc>>,
    /// Where the figures come from: `host`, or the metrics source's URL without
    /// credentials. Site admins only: null for everyone else.
    source: Option<String>,
    /// Whether the newest sample has figures.
    available: bool,
    /// Since when the source has been failing, when it is.
    unavailable_since: Option<DateTime<Utc>>,
    /// Why there are no figures, when there are none.
    message: Option<String>,
    /// Each server's newest figures.
    servers: Vec<ServerHealth>,
    /// Live instances the caller may see, by state and health.
    instances: Vec<InstanceCount>,
}

/// One server's newest figures.
#[derive(SimpleObject)]
pub(crate) struct ServerHealth {
    /// The server.
    pub(crate) server_id: ID,
    /// Busy CPU, 0 to 100.
    pub(crate) cpu_percent: Option<f64>,
    /// Memory in use, 0 to 100.
    pub(crate) memory_percent: Option<f64>,
    /// When the sample was taken.
    pub(crate) sampled_at: DateTime<Utc>,
}

/// How many instances are in one state with one health.
#[derive(SimpleObject)]
pub(crate) struct InstanceCount {
    /// The state, as in `InstanceState`.
    state: String,
    /// The health, as in `Health`.
    health: String,
    /// How many.
    count: i64,
}

/// One point of a CPU and memory time series.
#[derive(SimpleObject)]
pub(crate) struct MetricPoint {
    /// The start of the step.
    at: DateTime<Utc>,
    /// Average busy CPU over the step.
    cpu_percent: Option<f64>,
    /// Average memory in use over the step.
    memory_percent: Option<f64>,
}

async fn cluster_health(
    db: &jobs::db::Db,
    me: &crate::auth::Caller,
) -> async_graphql::Result<ClusterHealth> {
    let latest = db.latest_cluster_sample().await.or_gql()?;
    let unavailable_since = db.metrics_unavailable_since().await.or_gql()?;
    let since =
        latest.as_ref().map_or_else(Utc::now, |s| s.sampled_at) - chrono::Duration::minutes(5);
    // Site admins see every server; others, their projects' servers.
    let projects = (!me.is_site_admin).then(|| me.visible_projects());
    let servers = db
        .latest_server_samples(since, projects.as_deref())
        .await
        .or_gql()?
        .into_iter()
        .filter_map(|s| {
            Some(ServerHealth {
                server_id: ID(s.server_id?.to_string()),
                cpu_percent: s.cpu_percent,
                memory_percent: s.memory_percent,
                sampled_at: s.sampled_at,
            })
        })
        .collect();
    let instances = db
        .instance_counts(&me.visible_projects())
        .await
        .or_gql()?
        .into_iter()
        .map(|(state, health, count)| InstanceCount {
            state: state.to_uppercase(),
            health: health.to_uppercase(),
            count,
        })
        .collect();
    Ok(ClusterHealth {
        cpu_percent: latest.as_ref().and_then(|s| s.cpu_percent),
        memory_percent: latest.as_ref().and_then(|s| s.memory_percent),
        sampled_at: latest.as_ref().map(|s| s.sampled_at),
        // Where the operator keeps their metrics is theirs to know.
        source: latest
            .as_ref()
            .filter(|_| me.is_site_admin)
            .map(|s| s.source.clone()),
        available: latest.as_ref().is_some_and(|s| s.error.is_none()),
        unavailable_since,
        message: match &latest {
            None => Some("no sample yet".to_owned()),
            Some(s) => s.error.as_ref().map(|e| match unavailable_since {
                Some(since) => format!("{e} (since {})", since.to_rfc3339()),
                None => e.clone(),
            }),
        },
        servers,
        instances,
    })
}

#[derive(Default)]
pub(crate) struct ClusterQuery;

#[Object]
impl ClusterQuery {
    /// CPU and memory of the cluster and its servers as of the newest sample, and instance
    /// counts. When the metrics source is unreachable the figures are null and `message`
    /// says since when: never zeros, never stale figures shown as current.
    async fn cluster_health(&self, ctx: &Context<'_>) -> async_graphql::Result<ClusterHealth> {
        cluster_health(&api(ctx)?.db, caller(ctx)?).await
    }

    /// CPU and memory of one server (or, without `serverId`, of the cluster) from `from` to
    /// `to`, averaged per `step` seconds. A server the caller may not see is `NOT_FOUND`.
    #[graphql(complexity = "crate::graphql::page::series_cost(from, to, step, child_complexity)")]
    async fn server_metrics(
        &self,
        ctx: &Context<'_>,
        server_id: Option<ID>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        #[graphql(default = 60)] step: i32,
    ) -> async_graphql::Result<Vec<MetricPoint>> {
        let me = caller(ctx)?;
        let server = server_id.map(|id| parse_id(&id, "server")).transpose()?;
        if let Some(id) = server {
            let found = api(ctx)?.db.server(jobs::server::ServerId(id)).await;
            if super::visible(me, found, |s| s.project_id)?.is_none() {
                return Err(crate::error::coded(
                    crate::error::code::NOT_FOUND,
                    "server not found",
                ));
            }
        }
        if step < 1 {
            return Err(invalid("`step` must be at least 1 second"));
        }
        if to < from || (to - from).num_seconds() / i64::from(step) > MAX_POINTS {
            return Err(invalid(format!(
                "`from` must precede `to`, with at most {MAX_POINTS} steps between them"
            )));
        }
        Ok(api(ctx)?
            .db
            .metric_series(server, from, to, i64::from(step))
            .await
            .or_gql()?
            .into_iter()
            .map(|p| MetricPoint {
                at: p.at,
                cpu_percent: p.cpu_percent,
                memory_percent: p.memory_percent,
            })
            .collect())
    }
}

#[derive(Default)]
pub(crate) struct ClusterSubscription;

#[Subscription]
impl ClusterSubscription {
    /// The cluster's health after each new sample.
    async fn cluster_health_updated(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<ClusterHealth>> + use<>>
    {
        let me = caller(ctx)?.clone();
        let db = api(ctx)?.db.clone();
        let samples = super::watch(&api(ctx)?.bus, |event| match event {
            Event::MetricSample(s) if s.server_id.is_none() => Some(()),
            _ => None,
        });
        Ok(samples.then(move |sample| {
            let (db, me) = (db.clone(), me.clone());
            async move {
                sample?;
                cluster_health(&db, &me).await
            }
        }))
    }
}
