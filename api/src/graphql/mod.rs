//! The GraphQL schema: one file per domain, merged into the three roots.

/// `From` both ways between a GraphQL enum and the domain enum it mirrors (jobs must not
/// depend on async-graphql).
macro_rules! mirror {
    ($ours:ident, $theirs:ident, $($v:ident),+) => {
        impl From<$theirs> for $ours {
            fn from(x: $theirs) -> Self {
                match x { $($theirs::$v => Self::$v),+ }
            }
        }
        impl From<$ours> for $theirs {
            fn from(x: $ours) -> Self {
                match x { $($ours::$v => Self::$v),+ }
            }
        }
    };
}
mod access;
mod account;
mod audit;
mod backup;
pub(crate) use audit::Origin;
mod cluster;
mod cost;
pub(crate) mod documents;
pub(crate) use cost::too_complex;
pub use cost::{MAX_ALIASES, MAX_LOGINS, MAX_ROOT_FIELDS};
pub(crate) use instance::InstanceCache;
mod instance;
pub(crate) mod introspection;
pub(crate) mod measure;
mod moves;
mod operation;
mod page;
pub use page::MAX_PAGE_SIZE;
mod quota;
mod server;
mod standbys;
mod tls;

use async_graphql::{Context, MergedObject, MergedSubscription, Schema, SchemaBuilder};
use futures::{Stream, StreamExt as _};
use jobs::events::{Event, EventBus};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use crate::ApiContext;
use crate::auth::Caller;
use crate::error::{code, coded, unauthenticated};

/// The schema type served at `/graphql`.
pub type ApiSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Every query.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    access::AccessQuery,
    account::AccountQuery,
    audit::AuditQuery,
    backup::BackupQuery,
    cluster::ClusterQuery,
    instance::InstanceQuery,
    operation::OperationQuery,
    server::ServerQuery,
    tls::TlsQuery,
);

/// Every mutation.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    access::AccessMutation,
    account::AccountMutation,
    backup::BackupMutation,
    instance::InstanceMutation,
    instance::BrowserMutation,
    operation::OperationMutation,
    quota::QuotaMutation,
    server::ServerMutation,
    standbys::StandbyMutation,
);

/// Every subscription.
#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(
    cluster::ClusterSubscription,
    instance::InstanceSubscription,
    operation::OperationSubscription,
    server::ServerSubscription,
);

/// Deepest query accepted.
pub const MAX_DEPTH: usize = 12;
/// Most complex query accepted. Each field costs 1; a list field with a page size (`first`,
/// `last`, a series' points) costs that size times what is selected below it, plus 1. The
/// dashboard's largest document costs about 2,900 at 100 items a page, the longest metrics
/// series (2,000 points of 3 fields) about 6,000; a list of 100 inside a list of 100 costs
/// at least 20,000.
pub const MAX_COMPLEXITY: usize = 10_000;

/// The schema with its limits and no data, for queries and subscriptions; `schema` adds the
/// context. No extensions: with one, async-graphql sends every field of every answer through
/// the extensions' chain. What extensions would do for every request is done before the
/// schema runs ([`documents`]).
pub(crate) fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    introspection_builder()
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
}

/// The schema mutations run on: [`builder`]'s, and every mutation recorded in the audit log.
pub(crate) fn mutation_builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    builder().extension(audit::Audit)
}

/// The schema without the depth and complexity limits, for documents that
/// [`introspection::classify`] found bounded.
pub(crate) fn introspection_builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .limit_recursive_depth(32)
    .limit_directives(10)
    .disable_suggestions()
}

/// The caller, or `UNAUTHENTICATED`.
pub(crate) fn caller<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Caller> {
    ctx.data_opt::<Caller>().ok_or_else(unauthenticated)
}

/// The shared dependencies.
pub(crate) fn api<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a ApiContext> {
    ctx.data::<ApiContext>()
}

/// What was found, if the caller may see it. Something missing and something in another
/// project both come back as `None`, so ids of other projects cannot be probed.
pub(crate) fn visible<T>(
    me: &Caller,
    found: jobs::Result<T>,
    project: impl Fn(&T) -> jobs::user::ProjectId,
) -> async_graphql::Result<Option<T>> {
    match found {
        Ok(t) if me.can_see(project(&t)) => Ok(Some(t)),
        Ok(_) | Err(jobs::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(crate::error::from_jobs(e)),
    }
}

/// What was found, if the caller may change it: `NOT_FOUND` if they may not see it (or it is
/// missing), `FORBIDDEN` if they only read. `what` names it in messages (`"server"`).
pub(crate) fn writable<T>(
    me: &Caller,
    found: jobs::Result<T>,
    project: impl Fn(&T) -> jobs::user::ProjectId,
    what: &str,
) -> async_graphql::Result<T> {
    let item = visible(me, found, &project)?
        .ok_or_else(|| coded(code::NOT_FOUND, format!("{what} not found")))?;
    match me.role_in(project(&item)) {
        Some(role) if role.can_write() => Ok(item),
        _ => Err(crate::error::forbidden(&format!(
            "change {what}s in this project"
        ))),
    }
}

/// The project (the default one when `id` is absent) a mutation makes something in, if the
/// caller may change things there: `NOT_FOUND` for a project they are not in, `FORBIDDEN`
/// for a viewer.
pub(crate) fn writable_project(
    me: &Caller,
    id: Option<&async_graphql::ID>,
    what: &str,
) -> async_graphql::Result<jobs::user::ProjectId> {
    let project = match id {
        Some(id) => jobs::user::ProjectId(parse_id(id, "project")?),
        None => jobs::user::DEFAULT_PROJECT_ID,
    };
    match me.role_in(project) {
        Some(role) if role.can_write() => Ok(project),
        Some(_) => Err(crate::error::forbidden(what)),
        None => Err(coded(code::NOT_FOUND, "project not found")),
    }
}

/// The projects a list may show: the caller's, or only `project` when given (nothing when the
/// caller is not in it).
pub(crate) fn only_project(
    me: &Caller,
    project: Option<&async_graphql::ID>,
) -> async_graphql::Result<Vec<jobs::user::ProjectId>> {
    let visible = me.visible_projects();
    Ok(match project {
        Some(id) => {
            let id = jobs::user::ProjectId(parse_id(id, "project")?);
            visible.into_iter().filter(|p| *p == id).collect()
        }
        None => visible,
    })
}

/// Parse an `ID` argument holding a UUID.
pub(crate) fn parse_id(id: &async_graphql::ID, what: &str) -> async_graphql::Result<uuid::Uuid> {
    id.parse().map_err(|_| {
        crate::error::invalid(format!("{what} id {:?} is not a valid id", id.as_str()))
    })
}

/// The events of `bus` that `pick` keeps, as a subscription stream. A subscriber that falls
/// behind, or whose process lost its LISTEN connection for a moment, gets a `LAGGED` error
/// (and should refetch) instead of silently missing events.
pub(crate) fn watch<T, F>(
    bus: &EventBus,
    pick: F,
) -> impl Stream<Item = async_graphql::Result<T>> + use<T, F>
where
    T: Send + 'static,
    F: Fn(&Event) -> Option<T> + Send + 'static,
{
    BroadcastStream::new(bus.subscribe()).filter_map(move |event| {
        let item = match event {
            Ok(event) => match &*event {
                Event::Resync => Some(Err(coded(
                    code::LAGGED,
                    "events may have been missed while reconnecting; refetch",
                ))),
                other => pick(other).map(Ok),
            },
            Err(BroadcastStreamRecvError::Lagged(missed)) => Some(Err(coded(
                code::LAGGED,
                format!("this subscription fell behind and missed {missed} events; refetch"),
            ))),
        };
        futures::future::ready(item)
    })
}
