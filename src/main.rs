//! The `toygres` binary: parse the configuration once, wire the parts together, serve.

mod config;
mod embedded;

/// jemalloc with its background threads, which give memory back to the system some seconds
/// after it is freed: with glibc's allocator the memory of thousands of WebSocket subscribers
/// stayed with the process after they left.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::io::{IsTerminal as _, Read as _};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::serve::ListenerExt as _;
use clap::Parser as _;
use jobs::db::Db;
use jobs::events::EventBus;
use jobs::user::{self, DEFAULT_PROJECT_ID, Role};
use tokio_util::sync::CancellationToken;

use crate::config::{
    Cli, Command, DbConfig, KubernetesCommand, ManifestsArgs, ServeConfig, UserCommand,
};
use crate::embedded::{Access, Embedded};

/// The email of the admin created on first start when none is configured.
const DEFAULT_ADMIN_EMAIL: &str = "admin@toygres.local";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // A missing .env is fine; a malformed one is not silently half-read.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        return Err(e).context("read .env");
    }
    let cli = Cli::parse();
    // TLS for the cloud clients: reqwest is built with rustls and no provider of its own.
    providers::install_crypto_provider();
    init_logging()?;
    match cli.command {
        Command::Schema => {
            print!("{}", api::sdl());
            Ok(())
        }
        Command::Migrate => {
            let (embedded, db) = connect(&cli.db, Access::Shared).await?;
            let result = migrate(&db).await;
            embedded_stop(embedded).await;
            result?;
            println!("migrations applied");
            Ok(())
        }
        Command::User(UserCommand::Create { email, admin }) => {
            let (embedded, db) = connect(&cli.db, Access::Shared).await?;
            let result = create_user(&db, &email, admin).await;
            embedded_stop(embedded).await;
            result
        }
        Command::Serve(serve_config) => serve(&cli.db, &serve_config).await,
        Command::Kubernetes(KubernetesCommand::Manifests(args)) => manifests(&args),
    }
}

/// Logs go to standard error: plain text, coloured only on a terminal, or one JSON object a
/// line with `TOYGRES_LOG_FORMAT=json` for log collectors.
fn init_logging() -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into());
    let format = std::env::var("TOYGRES_LOG_FORMAT").unwrap_or_default();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format.as_str() {
        "" | "text" => logs.with_ansi(std::io::stderr().is_terminal()).init(),
        "json" => logs.json().with_ansi(false).init(),
        other => anyhow::bail!("TOYGRES_LOG_FORMAT is {other:?}; use text or json"),
    }
    Ok(())
}

/// Connect to `DATABASE_URL`, or to the embedded server (started if needed).
async fn connect(cfg: &DbConfig, access: Access) -> anyhow::Result<(Option<Embedded>, Db)> {
    let (embedded, opts) = match &cfg.database_url {
        Some(url) => (None, url.parse().context("parse DATABASE_URL")?),
        None => {
            let (embedded, opts) = embedded::open(
                &cfg.data_dir,
                cfg.pg_bin_dir.as_deref(),
                embedded::Users {
                    metadata: &cfg.metadata_user,
                    instances: &cfg.pg_user,
                },
                access,
            )
            .await?;
            (Some(embedded), opts)
        }
    };
    match Db::connect(opts, cfg.pool_size).await {
        Ok(db) => Ok((embedded, db)),
        Err(e) => {
            embedded_stop(embedded).await;
            Err(anyhow::Error::from(e).context("connect to the database"))
        }
    }
}

async fn embedded_stop(embedded: Option<Embedded>) {
    if let Some(embedded) = embedded
        && let Err(e) = embedded.stop().await
    {
        tracing::error!("failed to stop embedded PostgreSQL: {e:#}");
    }
}

async fn migrate(db: &Db) -> anyhow::Result<()> {
    db.migrate().await?;
    Ok(())
}

async fn create_user(db: &Db, email: &str, admin: bool) -> anyhow::Result<()> {
    migrate(db).await?;
    let email = user::normalize_email(email)?;
    let mut input = String::new();
    if !std::io::stdin().is_terminal() {
        std::io::stdin()
            .read_to_string(&mut input)
            .context("read the password from standard input")?;
    }
    let given = input.trim_end_matches(['\n', '\r']);
    let (password, generated) = if given.is_empty() {
        (user::generate_password(), true)
    } else {
        (given.to_owned(), false)
    };
    user::check_password_strength(&password)?;
    let hash = user::hash_password(&password).await?;
    let role = if admin { Role::Admin } else { Role::Viewer };
    let created = db
        .create_user(&email, &hash, admin, Some((DEFAULT_PROJECT_ID, role)))
        .await?;
    println!("created user {} ({})", created.email, created.id);
    if generated {
        println!("password (shown once): {password}");
    }
    Ok(())
}

async fn serve(db_cfg: &DbConfig, cfg: &ServeConfig) -> anyhow::Result<()> {
    if cfg.failpoint.is_some() && !jobs::FAILPOINTS {
        anyhow::bail!("TOYGRES_FAILPOINT needs a build with the failpoints feature (tests only)");
    }
    let shutdown = CancellationToken::new();
    tokio::spawn(shutdown_on_signal(shutdown.clone()));

    // Bound first, so that the first lines say where everything is.
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .with_context(|| format!("listen on {}", cfg.listen))?;
    let addr = listener.local_addr()?;
    if cfg.role.runs_api() {
        tracing::info!("dashboard: http://{addr}/");
        tracing::info!("GraphQL API: http://{addr}/graphql");
        tracing::info!("playground: http://{addr}/playground");
    } else {
        tracing::info!("serving /healthz and /readyz on http://{addr}");
    }
    let (embedded, db) = connect(db_cfg, Access::Exclusive).await?;
    let result = run(db_cfg, cfg, db, listener, shutdown).await;
    embedded_stop(embedded).await;
    tracing::info!("stopped");
    result
}

async fn run(
    db_cfg: &DbConfig,
    cfg: &ServeConfig,
    db: Db,
    listener: tokio::net::TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    // Read (and any deprecated name warned about) once, whatever the role.
    let telemetry_token = cfg.telemetry_token();
    migrate(&db).await?;
    bootstrap_admin(&db, db_cfg, cfg).await?;
    let local = Arc::new(local_host(db_cfg, cfg)?.with_limits(cfg.command_limits()));
    let master = match &cfg.master_key {
        Some(text) => api::MasterKey::from_text(text)?,
        None => api::MasterKey::load_or_create(&db_cfg.data_dir.join("master.key"))?,
    };
    let db = db
        .sealed_with(Arc::new(master.clone()))
        .with_default_quota(cfg.default_quota());
    // Rows from before passwords were sealed, or written by an older process meanwhile.
    let sealed = db.seal_plaintext_secrets().await?;
    if sealed > 0 {
        tracing::info!(sealed, "sealed instance passwords stored in the clear");
    }
    let fleet = Arc::new(cfg.fleet(&db_cfg.data_dir, Arc::new(master.clone()))?);
    let kubernetes = cfg.kubernetes().await?;
    let backup = backup_repository(&db, &master, db_cfg, cfg).await?;
    // Made here, by whichever process starts first, so that the API can hand the CA out
    // before any worker has run.
    let tls = Arc::new(jobs::tls::Authority::ensure(&db, &master).await?);

    let mut tasks = tokio::task::JoinSet::new();
    if cfg.role.runs_api() {
        let ttl = Duration::from_secs(cfg.token_ttl_secs);
        let keys = match &cfg.jwt_secret {
            Some(secret) => api::Keys::from_secret(secret.as_bytes(), ttl)?,
            None => api::Keys::load_or_generate(&db, master.clone(), ttl).await?,
        };
        let bus = EventBus::start(&db, shutdown.clone()).await?;
        let keys = Arc::new(keys);
        keys.follow(db.clone(), &bus);
        let state = api::AppState::new(
            api::ApiContext {
                db: db.clone(),
                bus,
                keys,
                offer: jobs::instance::Offer {
                    local_versions: local.versions(),
                    kubernetes: kubernetes.as_ref().map(|k| k.settings().service_type),
                    server_versions: fleet.hosts.configured().then(Vec::new),
                },
                fleet: fleet.clone(),
                backup: backup.clone(),
            },
            api::Limits {
                max_body_bytes: cfg.max_body_bytes,
                ws_init_timeout: Duration::from_secs(cfg.ws_init_timeout_secs),
                ws_max_init_message_bytes: cfg.ws_max_init_message_bytes as usize,
                ws_max_message_bytes: cfg.ws_max_message_bytes as usize,
                ws_max_subscriptions: cfg.ws_max_subscriptions as usize,
                ws_max_connections_per_user: cfg.ws_max_connections_per_user as usize,
                telemetry_token,
                login: cfg.login_limits(),
            },
        );
        let shutdown = shutdown.clone();
        // Answers, and above all the messages pushed to subscribers, are small writes: each
        // goes out at once instead of waiting, under Nagle's algorithm, for the client to
        // acknowledge the one before.
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::warn!("failed to set TCP_NODELAY on a connection: {e}");
            }
        });
        tasks.spawn(async move {
            axum::serve(
                listener,
                api::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
            .context("serve HTTP")
        });
    } else {
        let (probes, shutdown) = (api::probes(db.clone()), shutdown.clone());
        tasks.spawn(async move {
            axum::serve(listener, probes)
                .with_graceful_shutdown(shutdown.cancelled_owned())
                .await
                .context("serve probes")
        });
    }
    if cfg.role.runs_workers() {
        let cx = jobs::Context {
            db: db.clone(),
            shutdown: shutdown.clone(),
            retry: cfg.retry_policy(),
            local: local.clone(),
            fleet: fleet.clone(),
            backup: backup.clone(),
            kubernetes: kubernetes.clone(),
            tls: tls.clone(),
            failpoint: cfg.failpoint.clone(),
        };
        tokio::spawn(jobs::health::run(
            cx.clone(),
            cfg.health_config(),
            shutdown.clone(),
        ));
        tokio::spawn(jobs::instance::failover::watch(
            cx.clone(),
            cfg.ha_config(),
            shutdown.clone(),
        ));
        tokio::spawn(jobs::metrics::run(
            cx.clone(),
            cfg.metrics_config()?,
            shutdown.clone(),
        ));
        let workers = cfg.worker_config();
        let shutdown = shutdown.clone();
        tracing::info!(concurrency = workers.concurrency, "running workers");
        tasks.spawn(async move {
            jobs::engine::run_workers(cx, workers, shutdown)
                .await
                .map_err(anyhow::Error::from)
        });
    }
    let mut result = Ok(());
    while let Some(done) = tasks.join_next().await {
        let outcome = done.context("a server task panicked").and_then(|r| r);
        if let Err(e) = outcome {
            tracing::error!("failed to {e:#}");
            shutdown.cancel();
            result = Err(e);
        } else if !shutdown.is_cancelled() {
            shutdown.cancel();
        }
    }
    result
}

/// The backup repository, with the installation's cipher key (made on first start, kept in
/// the database sealed with the master key); `None`, with a warning, where pgBackRest is
/// missing.
async fn backup_repository(
    db: &Db,
    master: &api::MasterKey,
    db_cfg: &DbConfig,
    cfg: &ServeConfig,
) -> anyhow::Result<Option<Arc<providers::host::backup::Repository>>> {
    const KEY: &str = "backup-cipher";
    let store = cfg.backup_store(&db_cfg.data_dir.canonicalize()?)?;
    let found = tokio::process::Command::new("pgbackrest")
        .arg("version")
        .output()
        .await;
    if !found.is_ok_and(|out| out.status.success()) {
        tracing::warn!(
            "pgBackRest is not installed: instances are created without backups \
             (Debian: apt-get install pgbackrest)"
        );
        return Ok(None);
    }
    let fresh: [u8; 32] = rand::random();
    let fresh = hex_string(&fresh);
    let sealed = db
        .installation_secret(KEY, &master.seal(KEY, fresh.as_bytes()))
        .await?;
    let cipher_pass = String::from_utf8(master.open(KEY, &sealed)?)?;
    tracing::info!(store = ?store, "backups on");
    Ok(Some(Arc::new(providers::host::backup::Repository {
        store,
        cipher_pass,
        archive_timeout_secs: cfg.archive_timeout_secs,
    })))
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The local provider: instances under the data directory, run as the Postgres user.
fn local_host(db_cfg: &DbConfig, cfg: &ServeConfig) -> anyhow::Result<providers::host::PgHost> {
    let versions = match &db_cfg.pg_bin_dir {
        Some(dir) => vec![providers::local::PgBinaries::at(dir)?],
        None => providers::local::PgBinaries::installed(),
    };
    let run_as = providers::local::RunAs::resolve(&db_cfg.pg_user)?;
    std::fs::create_dir_all(&db_cfg.data_dir)
        .with_context(|| format!("create data directory {}", db_cfg.data_dir.display()))?;
    let root = db_cfg.data_dir.canonicalize()?;
    let ports = cfg.instance_port_min
        ..cfg
            .instance_port_min
            .saturating_add(cfg.instance_port_count);
    Ok(providers::host::PgHost::local(
        root,
        run_as,
        cfg.instance_listen,
        ports,
        versions,
    ))
}

/// Make sure someone can log in: with no users, create the configured admin, or one with a
/// generated password that is shown once on the terminal and never logged.
async fn bootstrap_admin(db: &Db, db_cfg: &DbConfig, cfg: &ServeConfig) -> anyhow::Result<()> {
    let file = db_cfg.data_dir.join("initial-admin-password");
    if db.count_users().await? > 0 {
        if file.exists() {
            tracing::info!(path = %file.display(), "the first admin's generated password is in this file (0600); delete it once the password is changed");
        }
        return Ok(());
    }
    let email = user::normalize_email(
        cfg.bootstrap_admin_email
            .as_deref()
            .unwrap_or(DEFAULT_ADMIN_EMAIL),
    )?;
    let (password, generated) = match &cfg.bootstrap_admin_password {
        Some(p) => {
            user::check_password_strength(p).context("TOYGRES_BOOTSTRAP_ADMIN_PASSWORD")?;
            (p.clone(), false)
        }
        None => (user::generate_password(), true),
    };
    let hash = user::hash_password(&password).await?;
    match db
        .create_user(&email, &hash, true, Some((DEFAULT_PROJECT_ID, Role::Admin)))
        .await
    {
        Ok(_) => {}
        // Another process bootstrapped at the same moment.
        Err(jobs::Error::Conflict(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(%email, "created the first admin");
    if !generated {
        tracing::info!(%email, "the first admin's password is TOYGRES_BOOTSTRAP_ADMIN_PASSWORD");
    } else if std::io::stderr().is_terminal() {
        eprintln!("\n  First admin: {email}\n  Password (shown once): {password}\n");
    } else {
        std::fs::create_dir_all(&db_cfg.data_dir)?;
        write_private(&file, &format!("{email}\n{password}\n"))?;
        tracing::info!(path = %file.display(), "the first admin's generated password is in this file (0600); delete it once the password is changed");
    }
    Ok(())
}

fn write_private(path: &std::path::Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("create {}", path.display()))?;
    f.write_all(contents.as_bytes())?;
    Ok(())
}

/// Cancel `shutdown` on SIGINT or SIGTERM.
async fn shutdown_on_signal(shutdown: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        tracing::error!("failed to install signal handlers");
        return;
    };
    tokio::select! {
        _ = int.recv() => tracing::info!("SIGINT: shutting down"),
        _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
    }
    shutdown.cancel();
}

/// `toygres kubernetes manifests`: render a new instance's objects as the provider would.
fn manifests(args: &ManifestsArgs) -> anyhow::Result<()> {
    use jobs::instance::{self as inst, CreateInstance, Instance, Offer, Passwords, Provider};
    let settings = args.kube.settings();
    let offer = Offer {
        local_versions: Vec::new(),
        kubernetes: Some(settings.service_type),
        server_versions: None,
    };
    let draft = Instance::draft(
        &CreateInstance {
            name: args.name.clone(),
            version: Some(args.version),
            storage_gb: Some(args.storage_gb),
            provider: Some(Provider::Kubernetes),
            plan: Some(args.plan.clone()),
            ..CreateInstance::default()
        },
        &offer,
    )?;
    let passwords = Passwords {
        password: jobs::user::generate_password(),
        superuser: jobs::user::generate_password(),
    };
    // Named as the provider names a new instance before its Service has an address.
    let ca = jobs::tls::Authority::ephemeral()?;
    let issued = ca.issue(&jobs::tls::service_names(
        &draft.resource_name(),
        &settings.namespace,
        None,
    ))?;
    let tls = providers::kubernetes::TlsFiles {
        certificate: issued.certificate,
        key: issued.key.to_string(),
        ca: ca.pem().to_owned(),
    };
    let spec = inst::kubernetes_spec(&draft, &settings, true, passwords, tls)?;
    let manifests = providers::kubernetes::render(&spec);
    let yaml = if args.without_secret {
        manifests.to_yaml_without_secret()?
    } else {
        manifests.to_yaml()?
    };
    print!("{yaml}");
    Ok(())
}
