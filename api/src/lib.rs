//! The GraphQL API: schema, HTTP and WebSocket transport, and authentication.
//!
//! # Layout
//! * `graphql`: the schema, one file per domain, merged into the query, mutation and
//!   subscription roots. Resolvers authorize, call `jobs`, and map errors; nothing else.
//! * `http`: GraphQL over HTTP (`POST /graphql`), `/healthz` and `/readyz`.
//! * `ws`: the `graphql-transport-ws` protocol on `GET /graphql`, close codes included.
//! * `ui`: the dashboard's static files, embedded at build time, on every other path.
//! * `auth`: JWT keys, token issue and verification, and the [`Caller`] a request acts for.
//! * `cache`: rows kept between requests, dropped as the database announces their changes
//!   (callers' identities, instances read by id).
//! * `error`: GraphQL errors with a stable `extensions.code`.

pub mod auth;
pub mod cache;
pub mod error;
mod graphql;
mod http;
mod ui;
mod ws;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;

pub use auth::{Caller, Identities, Keys, LoginLimits, LoginThrottle, MasterKey, Quota};
pub use graphql::{
    ApiSchema, MAX_ALIASES, MAX_COMPLEXITY, MAX_DEPTH, MAX_LOGINS, MAX_PAGE_SIZE, MAX_ROOT_FIELDS,
};
use jobs::db::Db;
use jobs::events::EventBus;

/// What resolvers need: the database, the event bus and the token keys.
#[derive(Clone, Debug)]
pub struct ApiContext {
    /// Metadata and queue database.
    pub db: Db,
    /// This process's fan-out of committed changes.
    pub bus: EventBus,
    /// Token signing and verification keys.
    pub keys: Arc<Keys>,
    /// What instances can be made here: providers and their versions.
    pub offer: jobs::instance::Offer,
    /// The server fleet's clouds and settings.
    pub fleet: Arc<jobs::server::Fleet>,
    /// The backup repository, unless pgBackRest is missing here.
    pub backup: Option<Arc<jobs::backup::Repository>>,
}

/// Transport limits.
#[derive(Clone, Debug)]
pub struct Limits {
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How long a WebSocket client has to send `connection_init`.
    pub ws_init_timeout: Duration,
    /// The largest WebSocket message accepted before `connection_ack`, in bytes.
    pub ws_max_init_message_bytes: usize,
    /// The largest WebSocket message accepted after it, in bytes.
    pub ws_max_message_bytes: usize,
    /// Subscriptions one WebSocket connection may have open at once.
    pub ws_max_subscriptions: usize,
    /// WebSocket connections one user may have open at once, in this process.
    pub ws_max_connections_per_user: usize,
    /// The bearer token `GET /metrics` (our telemetry) requires; open when `None`.
    pub telemetry_token: Option<String>,
    /// Failed logins allowed per account and per client address.
    pub login: LoginLimits,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            ws_init_timeout: Duration::from_secs(10),
            ws_max_init_message_bytes: 4 * 1024,
            ws_max_message_bytes: 256 * 1024,
            ws_max_subscriptions: 100,
            ws_max_connections_per_user: 32,
            telemetry_token: None,
            login: LoginLimits::default(),
        }
    }
}

/// Everything a request handler needs. Cloned for every request (axum's `State`), so it is
/// one `Arc`.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] shares.
pub struct Shared {
    /// The schema queries and subscriptions run on.
    schema: ApiSchema,
    /// The same schema with the audit log's extension, for mutations.
    mutations: ApiSchema,
    /// The same schema without the depth and complexity limits, for introspection alone.
    introspection: ApiSchema,
    cx: ApiContext,
    limits: Limits,
    /// Callers' users and memberships, kept between requests.
    identities: Arc<Identities>,
    /// Parsed documents, kept by their text.
    documents: Arc<graphql::documents::Documents>,
    /// Open WebSocket connections, per user.
    sockets: Arc<ws::Sockets>,
    /// Subscriptions sharing one stream and one answer, by request and viewer.
    groups: Arc<ws::Groups>,
}

impl Shared {
    /// The schema an operation on `root` runs on: mutations on the one that audits them.
    fn schema_for(&self, root: Option<async_graphql::parser::types::OperationType>) -> &ApiSchema {
        match root {
            Some(async_graphql::parser::types::OperationType::Mutation) => &self.mutations,
            _ => &self.schema,
        }
    }
}

impl AppState {
    /// Build the schema over `cx`.
    pub fn new(cx: ApiContext, limits: Limits) -> Self {
        // One throttle for every schema, so that every login of this process counts.
        let throttle = Arc::new(LoginThrottle::new(limits.login));
        let identities = Identities::following(&cx.bus);
        let instances = graphql::InstanceCache::following(&cx.bus);
        Self(Arc::new(Shared {
            schema: graphql::builder()
                .data(cx.clone())
                .data(throttle.clone())
                .data(identities.clone())
                .data(instances.clone())
                .finish(),
            mutations: graphql::mutation_builder()
                .data(cx.clone())
                .data(throttle.clone())
                .data(identities.clone())
                .data(instances)
                .finish(),
            introspection: graphql::introspection_builder()
                .data(cx.clone())
                .data(throttle)
                .finish(),
            sockets: Arc::new(ws::Sockets::new(limits.ws_max_connections_per_user)),
            groups: Arc::default(),
            cx,
            limits,
            identities,
            documents: Arc::default(),
        }))
    }
}

/// The schema mutations run on (every one recorded in the audit log), with `cx` as its data
/// and logins limited by [`LoginLimits::default`].
pub fn schema(cx: ApiContext) -> ApiSchema {
    let throttle = Arc::new(LoginThrottle::new(LoginLimits::default()));
    graphql::mutation_builder().data(cx).data(throttle).finish()
}

/// The schema's SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    graphql::builder().finish().sdl()
}

/// The HTTP router: `/graphql` (POST, and WebSocket on GET), `/healthz`, `/readyz`, `/metrics`,
/// and the dashboard on every other `GET`.
pub fn app(state: AppState) -> Router {
    let body_limit = state.limits.max_body_bytes;
    let db = state.cx.db.clone();
    Router::new()
        .route("/graphql", get(http::graphql_get).post(http::graphql_post))
        .route("/metrics", get(http::telemetry))
        .route("/playground", get(ui::playground))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
        .merge(probes(db))
        .fallback(get(ui::serve))
        .layer(axum::middleware::from_fn(http::measure))
        .layer(axum::middleware::from_fn(http::origin))
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// `/healthz` (alive) and `/readyz` (database reachable, migrations applied), for every role:
/// worker-only processes serve these and nothing else.
pub fn probes(db: Db) -> Router {
    Router::new()
        .route("/healthz", get(http::healthz))
        .route("/readyz", get(http::readyz))
        .with_state(db)
}
