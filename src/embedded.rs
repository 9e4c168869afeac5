//! The embedded metadata database: a PostgreSQL server of our own in the data directory, for
//! when no `DATABASE_URL` is given.
//!
//! ```text
//! <TOYGRES_DATA_DIR>/
//!   toygres.lock        held (flock) by the one `serve` using this directory
//!   postgres/           the cluster: private (0700), owned by the metadata user; its Unix
//!                       socket lives inside it, so only that user and root can connect
//!   postgres.init/      a cluster being initialized; renamed to postgres/ when complete
//!
//! The server is started, waited for and stopped by [`PgHost`], like every instance.
//! ```
//!
//! The cluster trusts local connections: its socket is in a directory nobody else can enter.
//! When we are root, the cluster runs as its own system user (`TOYGRES_METADATA_USER`), never
//! as the user that runs tenants' instances (`TOYGRES_PG_USER`): a tenant who got a shell as
//! that user (through `COPY … TO PROGRAM`, say) can neither connect nor read its files. A
//! cluster made before that rule, owned by the instances' user, is stopped as its owner and
//! handed over at the next start.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use providers::host::{PgHost, Serve};
use providers::local::{PgBinaries, RunAs};
use sqlx::postgres::PgConnectOptions;

/// The port number only names the socket file: the server listens on no TCP address.
const SOCKET_PORT: u16 = 5432;
/// The bootstrap superuser of the embedded cluster.
const SUPERUSER: &str = "postgres";
/// The database holding Toygres's metadata and job queue.
const DATABASE: &str = "toygres";

/// Settings of the embedded server: its socket for its user alone, and room for the pools of
/// a few processes.
const SETTINGS: &[(&str, &str)] = &[
    ("unix_socket_permissions", "0700"),
    ("max_connections", "200"),
];

/// The embedded server, while this process owns it.
pub(crate) struct Embedded {
    /// The host that runs it and its data directory, when we started it.
    started: Option<(PgHost, PathBuf)>,
    _lock: Option<File>,
}

impl Embedded {
    /// Stop the server if we started it.
    pub(crate) async fn stop(mut self) -> anyhow::Result<()> {
        if let Some((host, dir)) = self.started.take() {
            tracing::info!("stopping embedded PostgreSQL");
            host.stop_cluster(&dir).await?;
        }
        Ok(())
    }
}

/// How a command uses the data directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// `serve`: own the directory; refuse if another process does.
    Exclusive,
    /// One-off commands: use the server a running `serve` owns, or run one for the duration.
    Shared,
}

/// Start (or, with `Access::Shared`, reuse) the embedded server, and return how to connect.
pub(crate) async fn open(
    data_dir: &Path,
    bin_dir: Option<&Path>,
    users: Users<'_>,
    access: Access,
) -> anyhow::Result<(Embedded, PgConnectOptions)> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("create data directory {}", data_dir.display()))?;
    let data_dir = data_dir
        .canonicalize()
        .with_context(|| format!("resolve {}", data_dir.display()))?;
    let lock_path = data_dir.join("toygres.lock");
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("open {}", lock_path.display()))?;
    let owned = match lock.try_lock() {
        Ok(()) => true,
        Err(std::fs::TryLockError::WouldBlock) => false,
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("lock {}", lock_path.display()));
        }
    };
    let cluster_dir = data_dir.join("postgres");
    if !owned {
        if access == Access::Exclusive {
            bail!(
                "another toygres is already serving the data directory {}: stop it first, or \
                 give this one its own TOYGRES_DATA_DIR",
                data_dir.display()
            );
        }
        // A running `serve` owns the server; connect to it through its socket.
        return Ok((
            Embedded {
                started: None,
                _lock: None,
            },
            connect_options(&cluster_dir),
        ));
    }

    let bins = PgBinaries::discover(bin_dir)?;
    let run_as = RunAs::resolve(users.metadata)?;
    if let Some(user) = &run_as {
        if RunAs::resolve(users.instances)
            .ok()
            .flatten()
            .is_some_and(|tenants| tenants.uid() == user.uid())
        {
            bail!(
                "the metadata database would run as `{}`, the system user that runs tenants' \
                 instances: set TOYGRES_METADATA_USER to a user of its own",
                users.metadata
            );
        }
        check_reachable(&data_dir, user.name())?;
        hand_over(&data_dir, &cluster_dir, &bins, user).await?;
    }
    // Only its data directory is used: no instances, no TCP address.
    let host = PgHost::local(
        data_dir.clone(),
        run_as,
        std::net::Ipv4Addr::LOCALHOST.into(),
        0..0,
        vec![bins.clone()],
    );
    if !cluster_dir.join("PG_VERSION").is_file() {
        tracing::info!(data_dir = %data_dir.display(), "initializing embedded PostgreSQL (first start)");
        host.ensure_cluster(&cluster_dir, bins.major(), SUPERUSER, None)
            .await?;
    }
    // A server left behind by a killed toygres: stop it cleanly and start our own.
    host.stop_cluster(&cluster_dir).await?;
    tracing::info!(data_dir = %cluster_dir.display(), version = bins.major(), "starting embedded PostgreSQL");
    let serve = Serve {
        port: SOCKET_PORT,
        listen: None,
        settings: SETTINGS,
    };
    host.start_cluster(&cluster_dir, bins.major(), &serve)
        .await?;
    let embedded = Embedded {
        started: Some((host, cluster_dir.clone())),
        _lock: Some(lock),
    };
    let opts = connect_options(&cluster_dir);
    if let Err(e) = create_database(&opts).await {
        embedded.stop().await?;
        return Err(e);
    }
    Ok((embedded, opts.database(DATABASE)))
}

/// The system users of the metadata database and of tenants' instances.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Users<'a> {
    pub(crate) metadata: &'a str,
    pub(crate) instances: &'a str,
}

/// Give a cluster owned by someone else (the instances' user, before the metadata database had
/// a user of its own) to `user`: stop a server left running as its owner, then change the
/// owner of every file, following no link a tenant may have planted.
async fn hand_over(
    data_dir: &Path,
    cluster_dir: &Path,
    bins: &PgBinaries,
    user: &RunAs,
) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt as _;
    for dir in [
        cluster_dir.to_path_buf(),
        cluster_dir.with_extension("init"),
    ] {
        let Ok(meta) = std::fs::symlink_metadata(&dir) else {
            continue;
        };
        if meta.uid() == user.uid() {
            continue;
        }
        tracing::info!(dir = %dir.display(), to = user.name(), "giving the metadata database to its own user");
        if dir == cluster_dir && meta.is_dir() {
            let owner = RunAs::of_uid(meta.uid())?;
            let old = PgHost::local(
                data_dir.to_path_buf(),
                Some(owner),
                std::net::Ipv4Addr::LOCALHOST.into(),
                0..0,
                vec![bins.clone()],
            );
            old.stop_cluster(&dir).await?;
        }
        user.chown_tree(&dir)?;
    }
    Ok(())
}

fn connect_options(cluster_dir: &Path) -> PgConnectOptions {
    PgConnectOptions::new()
        .socket(cluster_dir)
        .port(SOCKET_PORT)
        .username(SUPERUSER)
        .database(DATABASE)
}

async fn create_database(opts: &PgConnectOptions) -> anyhow::Result<()> {
    use sqlx::Connection as _;
    let mut conn = sqlx::PgConnection::connect_with(&opts.clone().database("postgres"))
        .await
        .context("connect to embedded PostgreSQL")?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)")
            .bind(DATABASE)
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        sqlx::query("CREATE DATABASE toygres")
            .execute(&mut conn)
            .await?;
    }
    conn.close().await?;
    Ok(())
}

/// The Postgres user must be able to enter every directory above the data directory.
fn check_reachable(data_dir: &Path, user: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    for dir in data_dir.ancestors().skip(1) {
        let mode = std::fs::metadata(dir)
            .with_context(|| format!("inspect {}", dir.display()))?
            .permissions()
            .mode();
        if mode & 0o001 == 0 {
            bail!(
                "PostgreSQL runs as the system user `{user}`, which cannot enter {} (mode {:o}): \
                 choose a TOYGRES_DATA_DIR outside it, or allow traversal with `chmod o+x {}`",
                dir.display(),
                mode & 0o777,
                dir.display()
            );
        }
    }
    Ok(())
}
