//! A real API server on loopback over a fresh test database, and clients for it.

#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use api::{ApiContext, AppState, Keys, Limits};
use futures::{SinkExt as _, StreamExt as _};
use jobs::db::Db;
use jobs::events::EventBus;
use jobs::user::{DEFAULT_PROJECT_ID, ProjectId, Role, UserId};
use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

pub const SECRET: &[u8] = b"test-secret-test-secret-test-secret!";
pub const PASSWORD: &str = "a-long-enough-password";
/// How long a test waits for something that should happen.
pub const PATIENCE: Duration = Duration::from_secs(20);

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub struct Options {
    pub token_ttl: Duration,
    pub ws_init_timeout: Duration,
    pub workers: bool,
    pub max_body_bytes: usize,
    pub telemetry_token: Option<String>,
    pub fleet: Arc<jobs::server::Fleet>,
    pub kubernetes: Option<Arc<providers::kubernetes::Kubernetes>>,
    /// Keys stored in the database, sealed with this master key (and rotatable), instead of
    /// the configured [`SECRET`].
    pub master_key: Option<[u8; 32]>,
    /// Failed logins allowed per account and per client address.
    pub login: api::LoginLimits,
    /// The quota of projects without one of their own (unlimited by default).
    pub default_quota: jobs::quota::Quota,
    /// Subscriptions one WebSocket may have open.
    pub ws_max_subscriptions: usize,
    /// WebSockets one user may have open.
    pub ws_max_connections_per_user: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            token_ttl: Duration::from_secs(600),
            ws_init_timeout: Duration::from_secs(10),
            workers: false,
            max_body_bytes: 64 * 1024,
            telemetry_token: None,
            fleet: Default::default(),
            kubernetes: None,
            master_key: None,
            login: api::LoginLimits::default(),
            default_quota: jobs::quota::Quota::default(),
            ws_max_subscriptions: Limits::default().ws_max_subscriptions,
            ws_max_connections_per_user: Limits::default().ws_max_connections_per_user,
        }
    }
}

/// The users every test server has.
pub struct Users {
    /// Site admin, admin of the default project.
    pub admin: UserId,
    pub operator: UserId,
    pub viewer: UserId,
    /// Admin of another project only.
    pub outsider: UserId,
    pub other_project: ProjectId,
}

pub struct Server {
    pub addr: SocketAddr,
    pub db: Db,
    pub keys: Arc<Keys>,
    pub users: Users,
    pub http: reqwest::Client,
    shutdown: CancellationToken,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn start(connect: PgConnectOptions, options: Options) -> Server {
    providers::install_crypto_provider();
    let pool = PgPoolOptions::new()
        .max_connections(30)
        .connect_with(connect)
        .await
        .expect("connect to the test database");
    let db = Db::from_pool(pool)
        .sealed_with(testkit::master_key())
        .with_default_quota(options.default_quota);
    let hash = jobs::user::hash_password(PASSWORD).await.unwrap();
    let mk = |email: &'static str, admin: bool, project: ProjectId, role: Role| {
        let db = db.clone();
        let hash = hash.clone();
        async move {
            db.create_user(email, &hash, admin, Some((project, role)))
                .await
                .unwrap()
                .id
        }
    };
    // The outsider is the admin of a project of its own, made as createProject makes one.
    let outsider = db
        .create_user("outsider@example.com", &hash, false, None)
        .await
        .unwrap()
        .id;
    let other_project = db.create_project("other", outsider).await.unwrap().id;
    let users = Users {
        admin: mk("admin@example.com", true, DEFAULT_PROJECT_ID, Role::Admin).await,
        operator: mk(
            "operator@example.com",
            false,
            DEFAULT_PROJECT_ID,
            Role::Operator,
        )
        .await,
        viewer: mk(
            "viewer@example.com",
            false,
            DEFAULT_PROJECT_ID,
            Role::Viewer,
        )
        .await,
        outsider,
        other_project,
    };
    let shutdown = CancellationToken::new();
    let local = testkit::local_host();
    let bus = EventBus::start(&db, shutdown.clone()).await.unwrap();
    let keys = Arc::new(match options.master_key {
        Some(master) => {
            let master = api::MasterKey::from_bytes(&master).unwrap();
            Keys::load_or_generate(&db, master, options.token_ttl)
                .await
                .unwrap()
        }
        None => Keys::from_secret(SECRET, options.token_ttl).unwrap(),
    });
    keys.follow(db.clone(), &bus);
    // The installation's CA, as the binary makes it at start, sealed with a throwaway key.
    let tls = Arc::new(
        jobs::tls::Authority::ensure(&db, &api::MasterKey::from_bytes(&[7; 32]).unwrap())
            .await
            .unwrap(),
    );
    let state = AppState::new(
        ApiContext {
            db: db.clone(),
            bus,
            keys: keys.clone(),
            offer: jobs::instance::Offer {
                local_versions: local.versions(),
                kubernetes: options
                    .kubernetes
                    .as_ref()
                    .map(|k| k.settings().service_type),
                server_versions: None,
            },
            fleet: options.fleet.clone(),
            backup: None,
        },
        Limits {
            max_body_bytes: options.max_body_bytes,
            ws_init_timeout: options.ws_init_timeout,
            telemetry_token: options.telemetry_token.clone(),
            login: options.login,
            ws_max_subscriptions: options.ws_max_subscriptions,
            ws_max_connections_per_user: options.ws_max_connections_per_user,
            ..Limits::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        axum::serve(
            listener,
            api::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(stop.cancelled_owned())
        .await
        .unwrap();
    });
    if options.workers {
        let cx = jobs::Context {
            db: db.clone(),
            shutdown: shutdown.clone(),
            retry: jobs::RetryPolicy::default(),
            local: local.clone(),
            fleet: options.fleet.clone(),
            backup: None,
            kubernetes: options.kubernetes.clone(),
            failpoint: None,
            tls: tls.clone(),
        };
        let config = jobs::queue::WorkerConfig {
            poll_interval: Duration::from_millis(50),
            ..Default::default()
        };
        tokio::spawn(jobs::engine::run_workers(cx, config, shutdown.clone()));
    }
    Server {
        addr,
        db,
        keys,
        users,
        http: reqwest::Client::builder()
            .user_agent("toygres-api-tests")
            .build()
            .unwrap(),
        shutdown,
    }
}

impl Server {
    pub fn url(&self) -> String {
        format!("http://{}/graphql", self.addr)
    }

    /// An access token for `user`, of their first session epoch (ended by their first new
    /// password or `revokeSessions`).
    pub fn token(&self, user: UserId) -> String {
        self.keys.issue(user, 0).unwrap().0
    }

    /// POST a GraphQL request; returns the status and the JSON body.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
        let mut req = self
            .http
            .post(self.url())
            .header("accept", "application/json")
            .json(&json!({"query": query, "variables": variables}));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap())
    }

    /// Poll `operation(id) { status <fields> }` until the status is final; returns the
    /// operation.
    pub async fn wait_operation_final(&self, token: &str, id: &str, fields: &str) -> Value {
        let q = format!("query($id: ID!) {{ operation(id: $id) {{ status {fields} }} }}");
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let (_, body) = self.gql(Some(token), &q, json!({"id": id})).await;
            let op = body["data"]["operation"].clone();
            if ["SUCCEEDED", "FAILED", "CANCELLED"]
                .iter()
                .any(|s| op["status"] == *s)
            {
                return op;
            }
            assert!(tokio::time::Instant::now() < deadline, "stuck: {op}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A raw POST with the given headers and body.
    pub async fn post_raw(
        &self,
        headers: &[(&str, &str)],
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        let mut req = self.http.post(self.url()).body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.unwrap()
    }

    /// A WebSocket speaking graphql-transport-ws, not yet initialised.
    pub async fn ws(&self) -> Ws {
        let mut req = format!("ws://{}/graphql", self.addr)
            .into_client_request()
            .unwrap();
        req.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        let (ws, resp) = tokio_tungstenite::connect_async(req).await.unwrap();
        assert_eq!(
            resp.headers().get("sec-websocket-protocol").unwrap(),
            "graphql-transport-ws"
        );
        ws
    }

    /// A WebSocket after a successful `connection_init` with `token`.
    pub async fn ws_as(&self, token: &str) -> Ws {
        let mut ws = self.ws().await;
        send(&mut ws, json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}})).await;
        assert_eq!(recv(&mut ws).await["type"], "connection_ack");
        ws
    }
}

pub async fn send(ws: &mut Ws, message: Value) {
    ws.send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
}

/// The next JSON message; panics on close or after [`PATIENCE`].
pub async fn recv(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("a message in time")
            .expect("the socket is open")
            .unwrap();
        match msg {
            Message::Text(t) => return serde_json::from_str(&t).unwrap(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected a text message, got {other:?}"),
        }
    }
}

/// The close code the server ends the connection with.
pub async fn close_code(ws: &mut Ws) -> u16 {
    loop {
        let msg = tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("the server closes in time");
        match msg {
            Some(Ok(Message::Close(Some(frame)))) => return u16::from(frame.code),
            Some(Ok(Message::Close(None))) | None => panic!("closed without a code"),
            Some(Ok(_)) => continue,
            Some(Err(e)) => panic!("socket error before close: {e}"),
        }
    }
}

/// The `code` extension of the first error in a GraphQL response.
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
}
