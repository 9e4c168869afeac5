//! The command line and its configuration, parsed once in `main`. Every setting has a flag
//! and a `TOYGRES_*` variable (also read from a `.env` file).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Toygres: a control plane that hosts PostgreSQL as a service.
#[derive(Debug, Parser)]
#[command(name = "toygres", version, about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
    #[command(flatten)]
    pub(crate) db: DbConfig,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Serve the GraphQL API and run the workers.
    Serve(Box<ServeConfig>),
    /// Apply the database migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Kubernetes tools.
    #[command(subcommand)]
    Kubernetes(KubernetesCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum KubernetesCommand {
    /// Print, as YAML documents, exactly what the Kubernetes provider would apply for a new
    /// instance (for review and GitOps). The passwords in its Secret are freshly generated,
    /// as for a new instance, and so is its TLS Secret's certificate, signed by a throwaway CA
    /// (the provider's comes from the installation's CA); `--without-secret` leaves both
    /// Secrets out.
    Manifests(Box<ManifestsArgs>),
}

#[derive(Debug, Args)]
pub(crate) struct ManifestsArgs {
    /// The instance's name (a DNS-1123 label).
    #[arg(long)]
    pub(crate) name: String,
    /// PostgreSQL major version.
    #[arg(long)]
    pub(crate) version: i32,
    /// Storage in GB.
    #[arg(long)]
    pub(crate) storage_gb: i32,
    /// The plan: small, medium or large.
    #[arg(long, default_value = "small")]
    pub(crate) plan: String,
    /// Leave the Secrets (passwords, and the TLS key) out.
    #[arg(long)]
    pub(crate) without_secret: bool,
    #[command(flatten)]
    pub(crate) kube: KubeArgs,
}

/// How instances are shaped on Kubernetes.
#[derive(Clone, Debug, Args)]
pub(crate) struct KubeArgs {
    /// The namespace of every instance's objects.
    #[arg(
        long = "k8s-namespace",
        alias = "namespace",
        env = "TOYGRES_K8S_NAMESPACE",
        default_value = "toygres"
    )]
    pub(crate) namespace: String,
    /// The volumes' storage class; the cluster's default if unset.
    #[arg(
        long = "k8s-storage-class",
        alias = "storage-class",
        env = "TOYGRES_K8S_STORAGE_CLASS"
    )]
    pub(crate) storage_class: Option<String>,
    /// The client Service's type: ClusterIP or LoadBalancer.
    #[arg(
        long = "k8s-service-type",
        alias = "service-type",
        env = "TOYGRES_K8S_SERVICE_TYPE",
        default_value = "ClusterIP"
    )]
    pub(crate) service_type: providers::kubernetes::ServiceType,
    /// The image repository.
    #[arg(
        long = "k8s-image-registry",
        env = "TOYGRES_K8S_IMAGE_REGISTRY",
        default_value = "docker.io/library/postgres"
    )]
    pub(crate) image_registry: String,
    /// The image tag, `{version}` standing for the major version.
    #[arg(
        long = "k8s-image-tag",
        env = "TOYGRES_K8S_IMAGE_TAG",
        default_value = "{version}"
    )]
    pub(crate) image_tag: String,
    /// Keep an instance's PVC when it is deleted (`true` or `false`).
    #[arg(long = "k8s-retain-pvc", env = "TOYGRES_K8S_RETAIN_PVC", default_value_t = false, action = clap::ArgAction::Set)]
    pub(crate) retain_pvc: bool,
    /// Seconds a pod may take to become ready.
    #[arg(
        long = "k8s-ready-timeout-secs",
        env = "TOYGRES_K8S_READY_TIMEOUT_SECS",
        default_value_t = 600
    )]
    pub(crate) ready_timeout_secs: u64,
}

impl KubeArgs {
    pub(crate) fn settings(&self) -> providers::kubernetes::KubeSettings {
        providers::kubernetes::KubeSettings {
            namespace: self.namespace.clone(),
            storage_class: self.storage_class.clone().filter(|c| !c.is_empty()),
            service_type: self.service_type,
            image: providers::kubernetes::ImageSource {
                registry: self.image_registry.clone(),
                tag_pattern: self.image_tag.clone(),
            },
            retain_pvc: self.retain_pvc,
            ready_timeout: Duration::from_secs(self.ready_timeout_secs.max(1)),
        }
    }
}

/// Whether to run instances on Kubernetes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum KubeMode {
    /// When credentials are found (a kubeconfig, or in a pod).
    Auto,
    /// Always; failing to start without credentials.
    On,
    /// Never.
    Off,
}

#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Create a user. The password is read from standard input, or generated and printed once
    /// when standard input is a terminal or empty.
    Create {
        /// The user's email address.
        #[arg(long)]
        email: String,
        /// Make the user a site admin (and admin of the default project).
        #[arg(long)]
        admin: bool,
    },
}

/// Where the metadata database is.
#[derive(Debug, Args)]
pub(crate) struct DbConfig {
    /// A PostgreSQL server to use. Without it, Toygres runs its own in the data directory.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    pub(crate) database_url: Option<String>,
    /// Where Toygres keeps its embedded database and instance data.
    #[arg(
        long,
        global = true,
        env = "TOYGRES_DATA_DIR",
        default_value = "./.toygres"
    )]
    pub(crate) data_dir: PathBuf,
    /// The directory holding the PostgreSQL server binaries (`postgres`, `initdb`); found
    /// automatically when unset.
    #[arg(long, global = true, env = "TOYGRES_PG_BIN_DIR")]
    pub(crate) pg_bin_dir: Option<PathBuf>,
    /// The unprivileged system user that runs PostgreSQL when Toygres runs as root.
    #[arg(
        long,
        global = true,
        env = "TOYGRES_PG_USER",
        default_value = "postgres"
    )]
    pub(crate) pg_user: String,
    /// The unprivileged system user that runs the embedded metadata database when Toygres runs
    /// as root; it must not be `TOYGRES_PG_USER`, which runs tenants' instances.
    #[arg(
        long,
        global = true,
        env = "TOYGRES_METADATA_USER",
        default_value = "toygres"
    )]
    pub(crate) metadata_user: String,
    /// Most connections to the metadata database from this process.
    #[arg(
        long,
        global = true,
        env = "TOYGRES_DB_POOL_SIZE",
        default_value_t = 40
    )]
    pub(crate) pool_size: u32,
}

/// Which parts of Toygres this process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Role {
    /// The GraphQL API only.
    Api,
    /// The job workers only.
    Worker,
    /// Both.
    All,
}

impl Role {
    pub(crate) fn runs_api(self) -> bool {
        matches!(self, Role::Api | Role::All)
    }

    pub(crate) fn runs_workers(self) -> bool {
        matches!(self, Role::Worker | Role::All)
    }
}

#[derive(Debug, Args)]
pub(crate) struct ServeConfig {
    /// Address to serve HTTP on.
    #[arg(long, env = "TOYGRES_LISTEN", default_value = "127.0.0.1:8080")]
    pub(crate) listen: SocketAddr,
    /// Which parts to run; several processes may share one database.
    #[arg(long, env = "TOYGRES_ROLE", value_enum, default_value_t = Role::All)]
    pub(crate) role: Role,
    /// HMAC key for signing tokens, used as its bytes (at least 32). Generated and stored in
    /// the database when unset.
    #[arg(long, env = "TOYGRES_JWT_SECRET", hide_env_values = true)]
    pub(crate) jwt_secret: Option<String>,
    /// The key that encrypts stored signing keys, servers' SSH keys and tenant database
    /// passwords: 32 bytes, base64 or hex. Every process
    /// sharing a database needs the same one; without it, one is generated in the data
    /// directory (`master.key`).
    #[arg(long, env = "TOYGRES_MASTER_KEY", hide_env_values = true)]
    pub(crate) master_key: Option<String>,
    /// How long a login token lasts, in seconds.
    #[arg(long, env = "TOYGRES_TOKEN_TTL_SECS", default_value_t = 3600)]
    pub(crate) token_ttl_secs: u64,
    /// Email of the admin created at startup when no user exists.
    #[arg(long, env = "TOYGRES_BOOTSTRAP_ADMIN_EMAIL")]
    pub(crate) bootstrap_admin_email: Option<String>,
    /// Password of that admin.
    #[arg(long, env = "TOYGRES_BOOTSTRAP_ADMIN_PASSWORD", hide_env_values = true)]
    pub(crate) bootstrap_admin_password: Option<String>,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "TOYGRES_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub(crate) max_body_bytes: usize,
    /// Seconds a WebSocket client has to send `connection_init`.
    #[arg(long, env = "TOYGRES_WS_INIT_TIMEOUT_SECS", default_value_t = 10)]
    pub(crate) ws_init_timeout_secs: u64,
    /// Seconds a command on a host (this one, or a server over SSH) may run before it is
    /// killed and its step fails: probes, file operations, SQL, starting and stopping a
    /// server.
    #[arg(long, env = "TOYGRES_COMMAND_TIMEOUT_SECS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) command_timeout_secs: u64,
    /// Seconds a command whose time grows with an instance may run: copying a data
    /// directory, a base backup, a backup, a restore, verifying backups, checking catalogs,
    /// removing a data directory.
    #[arg(long, env = "TOYGRES_LONG_COMMAND_TIMEOUT_SECS", default_value_t = 6 * 3600, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) long_command_timeout_secs: u64,
    /// Bytes a command on a host may write to standard output (and, apart, to standard
    /// error) before it is killed and its step fails.
    #[arg(long, env = "TOYGRES_COMMAND_MAX_OUTPUT_BYTES", default_value_t = 16 * 1024 * 1024, value_parser = clap::value_parser!(u64).range(4096..))]
    pub(crate) command_max_output_bytes: u64,
    /// Largest WebSocket message accepted before `connection_ack`, in bytes (a bigger one
    /// closes the connection with 1009).
    #[arg(long, env = "TOYGRES_WS_MAX_INIT_MESSAGE_BYTES", default_value_t = 4 * 1024, value_parser = clap::value_parser!(u32).range(256..))]
    pub(crate) ws_max_init_message_bytes: u32,
    /// Largest WebSocket message accepted after `connection_ack`, in bytes (1009).
    #[arg(long, env = "TOYGRES_WS_MAX_MESSAGE_BYTES", default_value_t = 256 * 1024, value_parser = clap::value_parser!(u32).range(1024..))]
    pub(crate) ws_max_message_bytes: u32,
    /// Subscriptions one WebSocket connection may have open at once (one more closes it
    /// with 1008).
    #[arg(long, env = "TOYGRES_WS_MAX_SUBSCRIPTIONS", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) ws_max_subscriptions: u32,
    /// WebSocket connections one user may have open to one API process at once (one more
    /// is closed with 1013 at `connection_init`).
    #[arg(long, env = "TOYGRES_WS_MAX_CONNECTIONS_PER_USER", default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) ws_max_connections_per_user: u32,
    /// Failed logins one account (email) may have in a window before `login` answers
    /// `RATE_LIMITED` for it, whatever the password, until the window ends. Each API
    /// process counts on its own.
    #[arg(long, env = "TOYGRES_LOGIN_ACCOUNT_ATTEMPTS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) login_account_attempts: u32,
    /// Length of an account's login window, in seconds, from its first failure.
    #[arg(long, env = "TOYGRES_LOGIN_ACCOUNT_WINDOW_SECS", default_value_t = 900, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) login_account_window_secs: u64,
    /// Failed logins one client address (an IPv6 client's /64) may have in a window, over
    /// every account, before its logins answer `RATE_LIMITED`.
    #[arg(long, env = "TOYGRES_LOGIN_ADDRESS_ATTEMPTS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) login_address_attempts: u32,
    /// Length of an address's login window, in seconds, from its first failure.
    #[arg(long, env = "TOYGRES_LOGIN_ADDRESS_WINDOW_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) login_address_window_secs: u64,
    /// Instances (not deleted) a project may hold unless a site admin set its own quota: a
    /// number, or `unlimited`.
    #[arg(long, env = "TOYGRES_DEFAULT_QUOTA_INSTANCES", default_value = "10", value_parser = parse_limit)]
    pub(crate) default_quota_instances: Limit,
    /// GB of instance storage a project may hold by default: a number, or `unlimited`.
    #[arg(long, env = "TOYGRES_DEFAULT_QUOTA_STORAGE_GB", default_value = "250", value_parser = parse_limit)]
    pub(crate) default_quota_storage_gb: Limit,
    /// Servers (not removed, provisioned or registered) a project may hold by default: a
    /// number, or `unlimited`.
    #[arg(long, env = "TOYGRES_DEFAULT_QUOTA_SERVERS", default_value = "5", value_parser = parse_limit)]
    pub(crate) default_quota_servers: Limit,
    /// Standbys a project may hold by default: a number, or `unlimited`.
    #[arg(long, env = "TOYGRES_DEFAULT_QUOTA_STANDBYS", default_value = "10", value_parser = parse_limit)]
    pub(crate) default_quota_standbys: Limit,
    /// Fetching workers per queue in this process.
    #[arg(long, env = "TOYGRES_WORKERS_PER_QUEUE", default_value_t = 1)]
    pub(crate) workers_per_queue: usize,
    /// Jobs each worker runs at once.
    #[arg(long, env = "TOYGRES_WORKER_CONCURRENCY", default_value_t = 8)]
    pub(crate) worker_concurrency: usize,
    /// Seconds between worker heartbeats.
    #[arg(long, env = "TOYGRES_WORKER_HEARTBEAT_SECS", default_value_t = 10)]
    pub(crate) worker_heartbeat_secs: u64,
    /// Heartbeats a worker may miss before its jobs are handed to another worker.
    #[arg(long, env = "TOYGRES_WORKER_MISSED_HEARTBEATS", default_value_t = 3)]
    pub(crate) worker_missed_heartbeats: usize,
    /// Milliseconds between polls for delayed jobs that came due.
    #[arg(long, env = "TOYGRES_WORKER_POLL_MS", default_value_t = 1000)]
    pub(crate) worker_poll_ms: u64,
    /// Seconds running jobs get to finish on shutdown.
    #[arg(long, env = "TOYGRES_SHUTDOWN_TIMEOUT_SECS", default_value_t = 30)]
    pub(crate) shutdown_timeout_secs: u64,
    /// Address local instances listen on.
    #[arg(long, env = "TOYGRES_INSTANCE_LISTEN", default_value = "127.0.0.1")]
    pub(crate) instance_listen: std::net::IpAddr,
    /// The first of the ports local instances listen on.
    #[arg(long, env = "TOYGRES_INSTANCE_PORT_MIN", default_value_t = 15432)]
    pub(crate) instance_port_min: u16,
    /// How many ports, from the first, local instances may use.
    #[arg(long, env = "TOYGRES_INSTANCE_PORT_COUNT", default_value_t = 10000)]
    pub(crate) instance_port_count: u16,
    /// Seconds between health checks of each running instance.
    #[arg(long, env = "TOYGRES_HEALTH_INTERVAL_SECS", default_value_t = 30)]
    pub(crate) health_interval_secs: u64,
    /// Health checks in flight at once.
    #[arg(long, env = "TOYGRES_HEALTH_CONCURRENCY", default_value_t = 16)]
    pub(crate) health_concurrency: usize,
    /// Seconds the health sweep waits for an unhealthy instance's host to say whether its
    /// server process is alive; a host that does not answer counts as unreachable.
    #[arg(long, env = "TOYGRES_HEALTH_HOST_TIMEOUT_SECS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) health_host_timeout_secs: u64,
    /// Days audit entries are kept; the health sweep prunes older ones.
    #[arg(long, env = "TOYGRES_AUDIT_RETENTION_DAYS", default_value_t = 365)]
    pub(crate) audit_retention_days: u64,
    /// Start instances whose server process died (`true` or `false`).
    #[arg(long, env = "TOYGRES_AUTO_RESTART", default_value_t = true, action = clap::ArgAction::Set)]
    pub(crate) auto_restart: bool,
    /// Seconds between checks of the primaries of instances with standbys.
    #[arg(long, env = "TOYGRES_HA_CHECK_SECS", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) ha_check_secs: u64,
    /// Failed checks in a row after which a primary with a streaming standby is failed over.
    #[arg(long, env = "TOYGRES_FAILOVER_AFTER_CHECKS", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) failover_after_checks: u32,
    /// Fail primaries over by themselves (`true` or `false`); without it, only the
    /// `failover` mutation does.
    #[arg(long, env = "TOYGRES_AUTO_FAILOVER", default_value_t = true, action = clap::ArgAction::Set)]
    pub(crate) auto_failover: bool,
    /// A Prometheus query API (VictoriaMetrics or Prometheus) for server CPU and memory;
    /// without it, the cluster is this host.
    #[arg(long, env = "TOYGRES_METRICS_URL")]
    pub(crate) metrics_url: Option<String>,
    /// Seconds between CPU and memory samples.
    #[arg(long, env = "TOYGRES_METRICS_INTERVAL_SECS", default_value_t = 30)]
    pub(crate) metrics_interval_secs: u64,
    /// Hours samples are kept.
    #[arg(long, env = "TOYGRES_METRICS_RETENTION_HOURS", default_value_t = 168)]
    pub(crate) metrics_retention_hours: u64,
    /// Cluster CPU percentage above which a `cpu_high` event is raised.
    #[arg(long, env = "TOYGRES_CPU_ALERT_PERCENT", default_value_t = 90.0)]
    pub(crate) cpu_alert_percent: f64,
    /// Cluster memory percentage above which a `memory_high` event is raised.
    #[arg(long, env = "TOYGRES_MEMORY_ALERT_PERCENT", default_value_t = 90.0)]
    pub(crate) memory_alert_percent: f64,
    /// Bearer token `GET /metrics` (Toygres's own telemetry) requires; open on the main
    /// listener when unset.
    #[arg(long, env = "TOYGRES_TELEMETRY_TOKEN", hide_env_values = true)]
    pub(crate) telemetry_token: Option<String>,
    /// The telemetry token's old name, read when the new one is not set; see
    /// [`ServeConfig::telemetry_token`].
    #[arg(
        long = "metrics-token",
        env = "TOYGRES_METRICS_TOKEN",
        hide = true,
        hide_env_values = true
    )]
    pub(crate) deprecated_metrics_token: Option<String>,
    /// Seconds after which a quiet instance's WAL is archived anyway (`archive_timeout`):
    /// the most a restore can miss of it.
    #[arg(long, env = "TOYGRES_ARCHIVE_TIMEOUT_SECS", default_value_t = 60)]
    pub(crate) archive_timeout_secs: u32,
    /// An S3-compatible object store for backups (`host` or `host:port`; HTTPS). Without it,
    /// backups go to `backups/` in the data directory.
    #[arg(long, env = "TOYGRES_BACKUP_S3_ENDPOINT")]
    pub(crate) backup_s3_endpoint: Option<String>,
    /// The backup bucket.
    #[arg(long, env = "TOYGRES_BACKUP_S3_BUCKET")]
    pub(crate) backup_s3_bucket: Option<String>,
    /// The bucket's region.
    #[arg(long, env = "TOYGRES_BACKUP_S3_REGION", default_value = "us-east-1")]
    pub(crate) backup_s3_region: String,
    /// The access key id for the bucket.
    #[arg(long, env = "TOYGRES_BACKUP_S3_ACCESS_KEY_ID", hide_env_values = true)]
    pub(crate) backup_s3_access_key_id: Option<String>,
    /// The secret access key for the bucket.
    #[arg(
        long,
        env = "TOYGRES_BACKUP_S3_SECRET_ACCESS_KEY",
        hide_env_values = true
    )]
    pub(crate) backup_s3_secret_access_key: Option<String>,
    /// `host` (bucket.endpoint) or `path` (endpoint/bucket) addressing.
    #[arg(long, env = "TOYGRES_BACKUP_S3_URI_STYLE", default_value = "host", value_parser = ["host", "path"])]
    pub(crate) backup_s3_uri_style: String,
    /// Check the store's TLS certificate (`true` or `false`).
    #[arg(long, env = "TOYGRES_BACKUP_S3_VERIFY_TLS", default_value_t = true, action = clap::ArgAction::Set)]
    pub(crate) backup_s3_verify_tls: bool,
    /// A CA bundle that signs the store's certificate, instead of the system's.
    #[arg(long, env = "TOYGRES_BACKUP_S3_CA_FILE")]
    pub(crate) backup_s3_ca_file: Option<std::path::PathBuf>,
    /// For crash tests only: abort right after an operation of KIND records entering STEP.
    /// Refused unless the build has the `failpoints` feature (test builds only).
    #[arg(long, env = "TOYGRES_FAILPOINT", value_name = "KIND:STEP", hide = true)]
    pub(crate) failpoint: Option<String>,
    /// Milliseconds before the first retry of a failed step (doubling after each failure).
    #[arg(long, env = "TOYGRES_RETRY_BASE_MS", default_value_t = 2000)]
    pub(crate) retry_base_ms: u64,
    /// Hetzner Cloud API token; Hetzner servers are offered only with one.
    #[arg(long, env = "TOYGRES_HETZNER_TOKEN", hide_env_values = true)]
    pub(crate) hetzner_token: Option<String>,
    /// Hetzner Cloud API base URL (everything before `/servers`).
    #[arg(
        long,
        env = "TOYGRES_HETZNER_API_URL",
        default_value = "https://api.hetzner.cloud/v1"
    )]
    pub(crate) hetzner_api_url: String,
    /// DigitalOcean API token; DigitalOcean servers are offered only with one.
    #[arg(long, env = "TOYGRES_DIGITALOCEAN_TOKEN", hide_env_values = true)]
    pub(crate) digitalocean_token: Option<String>,
    /// DigitalOcean API base URL (everything before `/v2/droplets`).
    #[arg(
        long,
        env = "TOYGRES_DIGITALOCEAN_API_URL",
        default_value = "https://api.digitalocean.com"
    )]
    pub(crate) digitalocean_api_url: String,
    /// Wait for SSH on new servers (`on` or `off`).
    #[arg(long, env = "TOYGRES_SSH_CHECK", default_value = "on", value_parser = ["on", "off"])]
    pub(crate) ssh_check: String,
    /// The port new servers' sshd listens on.
    #[arg(long, env = "TOYGRES_SSH_PORT", default_value_t = 22)]
    pub(crate) ssh_port: u16,
    /// Seconds a new server may take from first boot until SSH answers.
    #[arg(long, env = "TOYGRES_SSH_TIMEOUT_SECS", default_value_t = 600)]
    pub(crate) ssh_timeout_secs: u64,
    /// SSH keys put on new VMs, comma-separated: names (Hetzner) or fingerprints (DigitalOcean).
    #[arg(long, env = "TOYGRES_SSH_KEYS", value_delimiter = ',')]
    pub(crate) ssh_keys: Vec<String>,
    /// A public key the server templates authorise for the `toygres` user.
    #[arg(long, env = "TOYGRES_SSH_AUTHORIZED_KEY")]
    pub(crate) ssh_authorized_key: Option<String>,
    /// The installation's private key (a file readable only by us): without one (or
    /// TOYGRES_SSH_PRIVATE_KEY), servers host no instances. Every server gets a key of its own
    /// and is logged in to with that alone; this key reaches only servers recorded before keys
    /// were per server.
    #[arg(long, env = "TOYGRES_SSH_PRIVATE_KEY_FILE")]
    pub(crate) ssh_private_key_file: Option<PathBuf>,
    /// The private key itself (PEM/OpenSSH text), for platforms that pass secrets in the
    /// environment; written to `<data dir>/ssh/id_toygres` (mode 0600).
    #[arg(long, env = "TOYGRES_SSH_PRIVATE_KEY", hide_env_values = true)]
    pub(crate) ssh_private_key: Option<String>,
    /// Accept loopback, link-local and cloud metadata-service addresses in `registerServer`
    /// (`true` or `false`): they name this machine or its cloud, so only for tests and
    /// single-host setups.
    #[arg(long, env = "TOYGRES_ALLOW_PRIVATE_SERVER_ADDRESSES", default_value_t = false, action = clap::ArgAction::Set)]
    pub(crate) allow_private_server_addresses: bool,
    /// Seconds a registered server's first login may be refused (its owner has not yet
    /// authorised the key it was given) before its registration gives up.
    #[arg(long, env = "TOYGRES_SERVER_KEY_WAIT_SECS", default_value_t = 3600)]
    pub(crate) server_key_wait_secs: u64,
    /// Where instances live on servers (the templates make it and give it to `postgres`).
    #[arg(long, env = "TOYGRES_SERVER_ROOT", default_value = "/var/lib/toygres")]
    pub(crate) server_root: PathBuf,
    /// The first of the ports instances on a server listen on.
    #[arg(long, env = "TOYGRES_SERVER_PORT_MIN", default_value_t = 5433)]
    pub(crate) server_port_min: u16,
    /// How many ports, from the first, instances on a server may use.
    #[arg(long, env = "TOYGRES_SERVER_PORT_COUNT", default_value_t = 1000)]
    pub(crate) server_port_count: u16,
    /// Keep the VM of a server that failed to provision, for inspection (`true` or `false`).
    #[arg(long, env = "TOYGRES_KEEP_FAILED_SERVERS", default_value_t = false, action = clap::ArgAction::Set)]
    pub(crate) keep_failed_servers: bool,
    /// Milliseconds between polls of a cloud action or a booting VM.
    #[arg(long, env = "TOYGRES_FLEET_POLL_MS", default_value_t = 2000)]
    pub(crate) fleet_poll_ms: u64,
    /// Seconds a cloud action, a boot or a VM deletion may take.
    #[arg(long, env = "TOYGRES_VM_TIMEOUT_SECS", default_value_t = 900)]
    pub(crate) vm_timeout_secs: u64,
    /// Run instances on Kubernetes: auto (when credentials are found), on, off.
    #[arg(long, env = "TOYGRES_KUBERNETES", value_enum, default_value_t = KubeMode::Auto)]
    pub(crate) kubernetes: KubeMode,
    /// The kubeconfig; otherwise $KUBECONFIG, ~/.kube/config, then in-cluster credentials.
    #[arg(long, env = "TOYGRES_K8S_KUBECONFIG")]
    pub(crate) k8s_kubeconfig: Option<PathBuf>,
    /// The kubeconfig context; its current one otherwise.
    #[arg(long, env = "TOYGRES_K8S_CONTEXT")]
    pub(crate) k8s_context: Option<String>,
    #[command(flatten)]
    pub(crate) kube: KubeArgs,
}

/// A quota's limit: a number, or none (`unlimited`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limit(Option<i32>);

fn parse_limit(text: &str) -> Result<Limit, String> {
    match text.trim() {
        "unlimited" => Ok(Limit(None)),
        n => n
            .parse::<i32>()
            .ok()
            .filter(|n| *n >= 0)
            .map(|n| Limit(Some(n)))
            .ok_or_else(|| {
                format!("{n:?} is not a limit: give a whole number from 0, or unlimited")
            }),
    }
}

impl ServeConfig {
    pub(crate) fn worker_config(&self) -> jobs::queue::WorkerConfig {
        jobs::queue::WorkerConfig {
            workers_per_queue: self.workers_per_queue.max(1),
            concurrency: self.worker_concurrency.max(1),
            batch_size: self.worker_concurrency.max(1),
            heartbeat: Duration::from_secs(self.worker_heartbeat_secs.max(1)),
            missed_heartbeats: self.worker_missed_heartbeats.max(1),
            poll_interval: Duration::from_millis(self.worker_poll_ms.max(10)),
            shutdown_timeout: Duration::from_secs(self.shutdown_timeout_secs),
        }
    }

    /// The fleet's clouds (those with a token) and settings; `data_dir` keeps the SSH
    /// client's files, and `sealer` seals servers' own SSH keys.
    pub(crate) fn fleet(
        &self,
        data_dir: &std::path::Path,
        sealer: Arc<dyn jobs::Sealer>,
    ) -> anyhow::Result<jobs::server::Fleet> {
        use providers::cloud::{DigitalOcean, Hetzner, Token};
        use providers::host::SshClient;
        let ssh_dir = data_dir.join("ssh");
        let client = match (&self.ssh_private_key_file, &self.ssh_private_key) {
            (Some(file), _) => Some(SshClient::new(file.clone(), ssh_dir)?),
            (None, Some(pem)) if !pem.trim().is_empty() => {
                Some(SshClient::with_key_text(pem, ssh_dir)?)
            }
            _ => None,
        };
        let hosts = match client {
            Some(client) => jobs::server::hosts::ServerHosts::new(
                client,
                sealer,
                self.server_root.clone(),
                self.server_port_min..self.server_port_min.saturating_add(self.server_port_count),
            ),
            None => jobs::server::hosts::ServerHosts::default(),
        }
        .with_limits(self.command_limits());
        let mut fleet = jobs::server::Fleet {
            ssh: jobs::server::SshCheck {
                enabled: self.ssh_check == "on",
                port: self.ssh_port,
                timeout: Duration::from_secs(self.ssh_timeout_secs),
                ..jobs::server::SshCheck::default()
            },
            ssh_keys: self
                .ssh_keys
                .iter()
                .filter(|k| !k.is_empty())
                .cloned()
                .collect(),
            ssh_authorized_key: self.ssh_authorized_key.clone(),
            allow_private_addresses: self.allow_private_server_addresses,
            key_wait: Duration::from_secs(self.server_key_wait_secs.max(1)),
            keep_failed: self.keep_failed_servers,
            poll: Duration::from_millis(self.fleet_poll_ms.max(10)),
            vm_timeout: Duration::from_secs(self.vm_timeout_secs.max(1)),
            hosts: Arc::new(hosts),
            ..jobs::server::Fleet::default()
        };
        if let Some(token) = self.hetzner_token.as_deref().filter(|t| !t.is_empty()) {
            let cloud = Hetzner::new(&self.hetzner_api_url, Token::new(token))?;
            fleet = fleet.with_cloud(Arc::new(cloud));
        }
        if let Some(token) = self.digitalocean_token.as_deref().filter(|t| !t.is_empty()) {
            let cloud = DigitalOcean::new(&self.digitalocean_api_url, Token::new(token))?;
            fleet = fleet.with_cloud(Arc::new(cloud));
        }
        Ok(fleet)
    }

    /// The Kubernetes provider, when it is to run: `None` when off, or when auto and no
    /// credentials are found.
    pub(crate) async fn kubernetes(
        &self,
    ) -> anyhow::Result<Option<Arc<providers::kubernetes::Kubernetes>>> {
        use providers::kubernetes::{KubeSource, Kubernetes};
        if self.kubernetes == KubeMode::Off {
            return Ok(None);
        }
        let source = KubeSource {
            kubeconfig: self.k8s_kubeconfig.as_deref(),
            context: self.k8s_context.as_deref().filter(|c| !c.is_empty()),
        };
        match Kubernetes::connect(source, self.kube.settings()).await {
            Ok(k8s) => {
                tracing::info!(namespace = %self.kube.namespace, "Kubernetes provider on");
                Ok(Some(Arc::new(k8s)))
            }
            Err(e) if self.kubernetes == KubeMode::Auto && self.k8s_kubeconfig.is_none() => {
                tracing::info!("Kubernetes provider off: {e:#}");
                Ok(None)
            }
            Err(e) => Err(anyhow::anyhow!("TOYGRES_KUBERNETES: {e:#}")),
        }
    }

    /// The deadlines and output cap of commands on hosts.
    pub(crate) fn command_limits(&self) -> providers::host::CommandLimits {
        providers::host::CommandLimits {
            quick: Duration::from_secs(self.command_timeout_secs),
            long: Duration::from_secs(self.long_command_timeout_secs),
            max_output: usize::try_from(self.command_max_output_bytes).unwrap_or(usize::MAX),
        }
    }

    /// The login rate limits.
    pub(crate) fn login_limits(&self) -> api::LoginLimits {
        api::LoginLimits {
            per_account: api::Quota {
                attempts: self.login_account_attempts,
                window: Duration::from_secs(self.login_account_window_secs),
            },
            per_address: api::Quota {
                attempts: self.login_address_attempts,
                window: Duration::from_secs(self.login_address_window_secs),
            },
        }
    }

    pub(crate) fn ha_config(&self) -> jobs::instance::failover::HaConfig {
        jobs::instance::failover::HaConfig {
            interval: Duration::from_secs(self.ha_check_secs),
            after_checks: self.failover_after_checks,
            automatic: self.auto_failover,
        }
    }

    pub(crate) fn health_config(&self) -> jobs::health::HealthConfig {
        jobs::health::HealthConfig {
            interval: Duration::from_secs(self.health_interval_secs.max(1)),
            concurrency: self.health_concurrency.max(1),
            host_timeout: Duration::from_secs(self.health_host_timeout_secs),
            auto_restart: self.auto_restart,
            audit_retention: Duration::from_secs(self.audit_retention_days.max(1) * 24 * 3600),
            ..jobs::health::HealthConfig::default()
        }
    }

    /// The token that guards our telemetry (`GET /metrics`): `TOYGRES_TELEMETRY_TOKEN`, or
    /// its old name `TOYGRES_METRICS_TOKEN` (`--metrics-token`), which still works so that
    /// deployments keep their guard, with a warning. Read once, at start.
    pub(crate) fn telemetry_token(&self) -> Option<String> {
        match (&self.telemetry_token, &self.deprecated_metrics_token) {
            (Some(token), old) => {
                if old.is_some() {
                    tracing::warn!(
                        "TOYGRES_METRICS_TOKEN is ignored: TOYGRES_TELEMETRY_TOKEN is set; remove the old name"
                    );
                }
                Some(token.clone())
            }
            (None, Some(old)) => {
                tracing::warn!(
                    "TOYGRES_METRICS_TOKEN is deprecated: name the telemetry token TOYGRES_TELEMETRY_TOKEN"
                );
                Some(old.clone())
            }
            (None, None) => None,
        }
    }

    pub(crate) fn metrics_config(&self) -> anyhow::Result<jobs::metrics::MetricsConfig> {
        let source = self
            .metrics_url
            .as_deref()
            .map(providers::metrics::PromClient::new)
            .transpose()?;
        Ok(jobs::metrics::MetricsConfig {
            interval: Duration::from_secs(self.metrics_interval_secs.max(1)),
            retention: Duration::from_secs(self.metrics_retention_hours.max(1) * 3600),
            cpu_alert_percent: self.cpu_alert_percent,
            memory_alert_percent: self.memory_alert_percent,
            source,
            source_name: self.metrics_url.as_deref().map_or_else(
                || "host".to_owned(),
                providers::metrics::PromClient::redacted,
            ),
        })
    }

    /// The quota of projects without one of their own.
    pub(crate) fn default_quota(&self) -> jobs::quota::Quota {
        jobs::quota::Quota {
            instances: self.default_quota_instances.0,
            storage_gb: self.default_quota_storage_gb.0,
            servers: self.default_quota_servers.0,
            standbys: self.default_quota_standbys.0,
        }
    }

    pub(crate) fn retry_policy(&self) -> jobs::RetryPolicy {
        jobs::RetryPolicy {
            base: Duration::from_millis(self.retry_base_ms.max(1)),
            ..jobs::RetryPolicy::default()
        }
    }
}

impl ServeConfig {
    /// Where backups go: the S3-compatible store when one is configured (all of endpoint,
    /// bucket and keys), else `backups/` in the data directory.
    pub(crate) fn backup_store(
        &self,
        data_dir: &std::path::Path,
    ) -> anyhow::Result<providers::host::backup::Store> {
        use providers::host::backup::{S3, Store, UriStyle};
        let Some(endpoint) = &self.backup_s3_endpoint else {
            return Ok(Store::Directory(data_dir.join("backups")));
        };
        let need = |v: &Option<String>, name: &str| {
            v.clone().ok_or_else(|| {
                anyhow::anyhow!("TOYGRES_BACKUP_S3_ENDPOINT is set, so {name} must be set too")
            })
        };
        let endpoint = endpoint
            .trim_start_matches("https://")
            .trim_end_matches('/')
            .to_owned();
        anyhow::ensure!(
            !endpoint.starts_with("http://"),
            "TOYGRES_BACKUP_S3_ENDPOINT must be reached over HTTPS (pgBackRest speaks only HTTPS)"
        );
        Ok(Store::S3(S3 {
            endpoint,
            bucket: need(&self.backup_s3_bucket, "TOYGRES_BACKUP_S3_BUCKET")?,
            region: self.backup_s3_region.clone(),
            access_key_id: need(
                &self.backup_s3_access_key_id,
                "TOYGRES_BACKUP_S3_ACCESS_KEY_ID",
            )?,
            secret_access_key: need(
                &self.backup_s3_secret_access_key,
                "TOYGRES_BACKUP_S3_SECRET_ACCESS_KEY",
            )?,
            uri_style: if self.backup_s3_uri_style == "path" {
                UriStyle::Path
            } else {
                UriStyle::Host
            },
            verify_tls: self.backup_s3_verify_tls,
            ca_file: self.backup_s3_ca_file.clone(),
        }))
    }
}
