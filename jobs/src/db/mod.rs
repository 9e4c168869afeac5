//! Every SQL query Toygres runs, and `MIGRATOR`.
//!
//! # What we store and why
//! * `projects`, `users`, `memberships`: who may do what where. A user's role is per project;
//!   site admins manage the installation.
//! * `api_tokens`: hashes of long-lived program credentials.
//! * `signing_keys`: JWT keys with a `kid`, when they were not given in the configuration.
//! * `instances`, `servers`: intent plus the phase a workflow has reached. What can be derived
//!   (connection strings, counts) is derived, not stored.
//! * `operations`, `operation_steps`: the user-visible record of every job and its timeline.
//! * `queue_jobs`, `queue_workers`: the deliveries that move operations on, and the worker
//!   processes holding them (a lease renewed by heartbeats). A job carries only its
//!   operation's id; acknowledged jobs are deleted, since operations keep the history.
//! * `scaling_operations`, `cluster_events`, `server_metrics`: the fleet's history.
//! * `instance_secrets`, `instance_moves.replicator_password_sealed`: tenant database
//!   passwords, sealed with the master key (the [`Sealer`] this handle holds), apart from the
//!   announced rows.
//! * `project_quotas`: a project's own limits; without a row, the installation's defaults.
//! * `instance_members`, `instance_failovers`: each instance's standbys (the primary is the
//!   instance row) and the switchovers between them, with their write pauses.
//! * `instance_moves`, `drain_handovers`: moves of instances between servers, and what a
//!   drain does first with the members of instances with standbys on its server
//!   (switchovers, relocations), each tied to the child operation carrying it out.
//! * `certificate_authority`, `instance_certificates`: the CA that issues instances' TLS
//!   certificates (its key sealed), and when each instance's certificate expires; for
//!   Kubernetes instances also the certificate and its key (sealed), which every apply writes
//!   into the instance's TLS Secret.
//!
//! Every change a client watches fires `toygres_notify_change()` in the same transaction, so
//! events reach `LISTEN`ers exactly when the change commits.

mod audit;
mod backups;
mod certificates;
mod drills;
mod instances;
mod metrics;
mod moves;
mod operations;
mod projects;
mod queue;
mod quotas;
mod sealing;
mod servers;
mod signing_keys;
mod standbys;
mod users;

use sqlx::PgPool;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::sync::Arc;
use std::time::Duration;

use crate::Sealer;
use crate::quota::Quota;

pub use audit::{AuditEntry, NewAuditEntry};
pub use backups::BackupTelemetry;
pub use instances::{InstanceFilter, NewInstance, SealedInstance};
pub use metrics::{MetricPoint, MetricSample};
pub use moves::{DrainHandover, HandOverAction, InstanceMove, MovePhase, NewMove};
pub use operations::{NewOperation, OperationFilter};
pub use projects::{ApiToken, Member, Project};
pub use queue::WAKE_CHANNEL;
pub(crate) use queue::{Ack, Announcements, Fetched, Finish};
pub use servers::{NewServer, Reach, ScalingChildren, ServerFilter};
pub use signing_keys::{KeyInfo, StoredKey};

/// The metadata schema's migrations, embedded in the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// How long a caller waits for a pooled connection before the request fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// A pooled connection idle for longer is checked (a round trip) before it is handed out; one
/// in steady use is not, since its last statement just proved it alive.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// The database handle every part of Toygres shares.
#[derive(Clone, Debug)]
pub struct Db {
    pool: PgPool,
    /// Seals and opens tenant database passwords. Without one, storing or opening a password
    /// fails: they are never stored in the clear.
    sealer: Option<Arc<dyn Sealer>>,
    /// The quota of projects that have none of their own.
    default_quota: Quota,
}

impl Db {
    /// Connect a pool of at most `max_connections`.
    pub async fn connect(opts: PgConnectOptions, max_connections: u32) -> sqlx::Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // sqlx's own test pings on every acquire: a second round trip for every request.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for > PING_AFTER_IDLE {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(opts)
            .await?;
        Ok(Self::from_pool(pool))
    }

    /// Wrap an existing pool (tests get one from `#[sqlx::test]`).
    pub fn from_pool(pool: PgPool) -> Self {
        Self {
            pool,
            sealer: None,
            default_quota: Quota::default(),
        }
    }

    /// This handle, sealing and opening passwords with `sealer` (the master key).
    pub fn sealed_with(self, sealer: Arc<dyn Sealer>) -> Self {
        Self {
            sealer: Some(sealer),
            ..self
        }
    }

    /// This handle, giving projects without a quota of their own `quota`.
    pub fn with_default_quota(self, quota: Quota) -> Self {
        Self {
            default_quota: quota,
            ..self
        }
    }

    /// The quota of projects that have none of their own.
    pub fn default_quota(&self) -> Quota {
        self.default_quota
    }

    /// The underlying pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Apply every pending migration.
    pub async fn migrate(&self) -> crate::Result<()> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| anyhow::anyhow!(e).context("apply migrations"))?;
        Ok(())
    }

    /// Whether the database answers and every embedded migration has been applied.
    pub async fn is_ready(&self) -> bool {
        let applied: sqlx::Result<Vec<i64>> = sqlx::query_scalar(
            "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
        )
        .fetch_all(&self.pool)
        .await;
        match applied {
            Ok(applied) => MIGRATOR
                .iter()
                .filter(|m| m.migration_type.is_up_migration())
                .all(|m| applied.binary_search(&m.version).is_ok()),
            Err(_) => false,
        }
    }
}

/// The name of the constraint a database error violated, if any.
pub(crate) fn violated_constraint(err: &sqlx::Error) -> Option<&str> {
    err.as_database_error().and_then(|e| e.constraint())
}

/// One page of rows, newest first.
#[derive(Clone, Debug)]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Whether more follow.
    pub has_next_page: bool,
}

impl<T> Page<T> {
    /// The page of `items`, which were fetched with a limit of `first + 1`: the extra row,
    /// dropped, says that more follow.
    pub(crate) fn of(mut items: Vec<T>, first: i64) -> Self {
        let has_next_page = items.len() as i64 > first;
        items.truncate(usize::try_from(first).unwrap_or(0));
        Self {
            items,
            has_next_page,
        }
    }
}

/// Where column `name` is in `row`, once its type is known to decode as the field `_field`
/// selects (the check sqlx's `try_get` makes): for decoding every row of a result with
/// [`decode_rows!`].
pub(crate) fn column_of<S, T: sqlx::Type<sqlx::Postgres>>(
    row: &sqlx::postgres::PgRow,
    name: &str,
    _field: fn(&S) -> &T,
) -> sqlx::Result<usize> {
    use sqlx::{Column as _, Row as _, TypeInfo as _};
    let column = row.try_column(name)?;
    let ty = column.type_info();
    if !ty.is_null() && !T::compatible(ty) {
        return Err(sqlx::Error::ColumnDecode {
            index: name.to_owned(),
            source: format!(
                "{} cannot decode a column of type {}",
                std::any::type_name::<T>(),
                ty.name()
            )
            .into(),
        });
    }
    Ok(column.ordinal())
}

/// Decode every row of a result (`&[PgRow]`) into a struct, naming all its fields: each
/// column is found by name and its type checked once, on the first row, and every row is
/// decoded by position. (A derived `FromRow` looks every column up by name and checks its
/// type on every row: over a quarter of the server's CPU for a page of 100 instances of 30
/// columns.) All rows of one result share their columns, so the one check holds for all.
macro_rules! decode_rows {
    ($rows:expr, $ty:ident { $($field:ident),* $(,)? }) => {{
        let rows: &[sqlx::postgres::PgRow] = $rows;
        match rows.first() {
            None => Ok(Vec::new()),
            Some(first) => (|| {
                #[allow(non_snake_case)]
                struct Columns { $($field: usize),* }
                let at = Columns {
                    $($field: $crate::db::column_of(first, stringify!($field), |s: &$ty| &s.$field)?),*
                };
                rows.iter()
                    .map(|row| {
                        Ok($ty { $($field: sqlx::Row::try_get_unchecked(row, at.$field)?),* })
                    })
                    .collect::<sqlx::Result<Vec<$ty>>>()
            })(),
        }
    }};
}
pub(crate) use decode_rows;

#[cfg(test)]
mod tests {
    use sqlx::{FromRow as _, PgPool};

    #[derive(Debug, PartialEq, sqlx::FromRow)]
    struct Pair {
        n: i32,
        label: Option<String>,
    }

    #[sqlx::test(migrations = false)]
    async fn decoding_rows_by_position_gives_what_the_derived_decoder_gives(pool: PgPool) {
        // Columns in another order than the fields: they are found by name.
        let rows = sqlx::query(
            "SELECT CASE WHEN n % 2 = 0 THEN 'even' END AS label, n FROM generate_series(1, 3) n",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let decoded = decode_rows!(&rows, Pair { n, label }).unwrap();
        let derived = rows
            .iter()
            .map(Pair::from_row)
            .collect::<sqlx::Result<Vec<_>>>()
            .unwrap();
        assert_eq!(decoded.len(), 3);
        assert_eq!(decoded, derived);
        let none: &[sqlx::postgres::PgRow] = &[];
        assert_eq!(decode_rows!(none, Pair { n, label }).unwrap(), []);
    }

    #[sqlx::test(migrations = false)]
    async fn decoding_rows_refuses_a_column_of_the_wrong_type_or_a_missing_one(pool: PgPool) {
        let rows = sqlx::query("SELECT 'one'::text AS n, NULL::text AS label")
            .fetch_all(&pool)
            .await
            .unwrap();
        let wrong = decode_rows!(&rows, Pair { n, label }).unwrap_err();
        assert!(
            matches!(&wrong, sqlx::Error::ColumnDecode { index, .. } if index == "n"),
            "{wrong:?}"
        );
        let rows = sqlx::query("SELECT 1::int4 AS n")
            .fetch_all(&pool)
            .await
            .unwrap();
        let missing = decode_rows!(&rows, Pair { n, label }).unwrap_err();
        assert!(
            matches!(&missing, sqlx::Error::ColumnNotFound(name) if name == "label"),
            "{missing:?}"
        );
    }
}
