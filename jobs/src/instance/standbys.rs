//! Standbys: hot copies of an instance's primary that stream its WAL, each a PostgreSQL
//! server of its own, on another fleet server than the primary's and the other standbys'
//! (SERVER instances) or another server process on this host (LOCAL instances).
//!
//! The primary is the instance row (its server, port, host and data directory); each standby
//! is a row of `instance_members`. Every standby streams over TLS as the instance's
//! replication role through a physical replication slot of its own on the primary (named
//! after its data directory), so the primary keeps every WAL record a standby still needs.
//! A synchronous instance's primary waits at each commit until one standby has it
//! (`synchronous_standby_names = 'ANY 1 (…)'`).
//!
//! The standbys follow the instance's life, as steps of its workflows:
//!
//! ```text
//! start_standbys   each standby: a port, a slot on the primary, a base backup (once), its
//!                  connection to the current primary, a certificate, started, streaming
//!                  (create, start, restart, recover, add_standby; after a switchover the old
//!                  primary rejoins this way)
//! stop_standbys    each standby stopped (stop, delete)
//! remove_standbys  each standby's data removed and its row forgotten (delete)
//! drop_standby     one standby stopped, its data and slot removed (remove_standby)
//! drop_old_copy    one standby stopped, its data and slot removed where it was, and pointed
//!                  at its new server, to be copied afresh there by start_standbys
//!                  (relocate_standby, which drains use for the standbys on their server)
//! ```
//!
//! Kubernetes instances have none for now (`UNSUPPORTED`).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use providers::host::{PgHost, Upstream};
use serde::{Deserialize, Serialize};
use sqlx::{Postgres, Transaction};
use tokio::time::Instant;
use uuid::Uuid;

use super::{Instance, InstanceId, InstanceState, Kind, Provider};
use crate::db::Db;
use crate::operation::Operation;
use crate::server::ServerId;
use crate::workflow::Context;
use crate::{Error, Result};

/// The most standbys an instance may have.
pub const MAX_STANDBYS: i32 = 2;
/// How long a step watches a started standby until its primary sees it stream.
const WATCH: Duration = Duration::from_secs(10);
/// How often it looks meanwhile.
const LOOK: Duration = Duration::from_millis(50);
/// A standby further behind than this is `lagging`.
pub const LAGGING_BYTES: u64 = 16 * 1024 * 1024;

/// Where a standby is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "member_state", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum StandbyState {
    /// Being made, or rejoining after a switchover.
    Creating,
    /// Streaming from the primary, close behind.
    Streaming,
    /// Streaming, but more than [`LAGGING_BYTES`] behind.
    Lagging,
    /// Not streaming: its primary does not see it.
    Down,
}

/// One standby, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct Standby {
    /// Its member id: it names one data directory for its whole life.
    pub id: Uuid,
    /// The instance it is a standby of.
    pub instance_id: InstanceId,
    /// The fleet server it runs on (SERVER instances).
    pub server_id: Option<ServerId>,
    /// Its data directory's name on its host.
    pub resource_name: String,
    /// Its port, once allocated.
    pub port: Option<i32>,
    /// The address it serves at, once started.
    pub host: Option<String>,
    /// Where it is.
    pub state: StandbyState,
    /// Whether its data must be copied afresh before it serves (a failed primary).
    pub rebuild: bool,
    /// How many bytes of WAL it has not replayed, when last measured.
    pub lag_bytes: Option<i64>,
    /// How far its replay trails the primary's commits, in milliseconds, when known.
    pub replay_lag_ms: Option<f64>,
    /// When the primary last reported on it.
    pub checked_at: Option<DateTime<Utc>>,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Standby {
    /// Its replication slot on the primary, and the name it streams under.
    pub fn slot(&self) -> String {
        self.resource_name.replace('-', "_")
    }

    fn port(&self) -> Option<u16> {
        self.port.and_then(|p| u16::try_from(p).ok())
    }
}

/// One switchover (`planned`) or failover, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct Handover {
    /// Its id.
    pub id: Uuid,
    /// The instance.
    pub instance_id: InstanceId,
    /// The operation carrying it out.
    pub operation_id: Uuid,
    /// A switchover asked for, rather than a failover.
    pub planned: bool,
    /// The member that was primary.
    pub from_member_id: Uuid,
    /// The member promoted.
    pub to_member_id: Uuid,
    /// The old primary's shutdown checkpoint, once it stopped cleanly.
    pub source_checkpoint: Option<i64>,
    /// When writes stopped.
    pub writes_stopped_at: Option<DateTime<Utc>>,
    /// When the connection string named the new primary.
    pub writes_resumed_at: Option<DateTime<Utc>>,
    /// The write pause between the two, in milliseconds.
    pub unavailable_ms: Option<f64>,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
}

/// Standbys run on hosts Toygres reaches itself: not on Kubernetes, for now.
pub(crate) fn check_supported(provider: Provider) -> Result<()> {
    match provider {
        Provider::Local | Provider::Server => Ok(()),
        Provider::Kubernetes => Err(Error::Unsupported(
            "Kubernetes instances have no standbys yet".to_owned(),
        )),
    }
}

/// Record a new standby of `inst` in `tx`: on `server` if named, else (SERVER instances)
/// on the server the placement rule picks among those that hold no member of the instance.
pub(crate) async fn insert_in(
    tx: &mut Transaction<'_, Postgres>,
    inst: &Instance,
    server: Option<ServerId>,
) -> Result<Standby> {
    check_supported(inst.provider)?;
    let server = match inst.provider {
        Provider::Server => Some(place_apart(tx, inst, server).await?),
        _ if server.is_some() => {
            return Err(Error::InvalidInput(
                "serverId applies to SERVER instances only".to_owned(),
            ));
        }
        _ => None,
    };
    Db::insert_standby(tx, inst, server).await
}

/// Where a new or relocated standby of SERVER instance `inst` goes: `server` if named (which
/// must be able to take it), else the server the placement rule picks, in either case among
/// those that hold no member of the instance (read in `tx`).
async fn place_apart(
    tx: &mut Transaction<'_, Postgres>,
    inst: &Instance,
    server: Option<ServerId>,
) -> Result<ServerId> {
    use crate::server::placement;
    let mut taken: Vec<Option<ServerId>> =
        sqlx::query_scalar("SELECT server_id FROM instance_members WHERE instance_id = $1")
            .bind(inst.id)
            .fetch_all(&mut **tx)
            .await?;
    taken.push(inst.server_id);
    if server.is_some() && taken.contains(&server) {
        return Err(Error::InvalidInput(format!(
            "a member of instance {} runs on that server already: a standby must be on another",
            inst.name
        )));
    }
    let all = placement::candidates(tx, inst.project_id).await?;
    let pool: Vec<_> = placement::named_or_all(all, server)?
        .into_iter()
        .filter(|c| !taken.contains(&Some(c.server.id)))
        .collect();
    let at = placement::choose(&pool, &placement::Need::of(inst), None, None).map_err(|why| {
        Error::InvalidInput(format!(
            "no server can take a standby of {}: each must be on a server of its own ({})",
            inst.name,
            if why.is_empty() {
                "no other active server".to_owned()
            } else {
                why
            }
        ))
    })?;
    Ok(pool[at].server.id)
}

/// Give running instance `id` one more standby (on `server`, for SERVER instances, else where
/// the placement rule says): record it and the `add_standby` operation that makes it, in one
/// transaction. Refused over the project's quota or past [`MAX_STANDBYS`].
pub async fn add(
    db: &Db,
    id: InstanceId,
    server: Option<ServerId>,
    requested_by: Option<crate::user::UserId>,
) -> Result<(Standby, Operation)> {
    let mut tx = db.begin().await?;
    let inst = Db::lock_instance(&mut tx, id).await?;
    check_supported(inst.provider)?;
    let reservation = crate::quota::lock(&mut tx, db, inst.project_id).await?;
    running(&inst)?;
    if Db::count_standbys(&mut tx, id).await? >= i64::from(MAX_STANDBYS) {
        return Err(Error::InvalidInput(format!(
            "instance {} has {MAX_STANDBYS} standbys already, the most it may have",
            inst.name
        )));
    }
    let standby = insert_in(&mut tx, &inst, server).await?;
    let asked = crate::quota::Usage {
        standbys: 1,
        ..Default::default()
    };
    reservation
        .check(&mut tx, asked, Default::default())
        .await?;
    let op = crate::engine::start_in(
        &mut tx,
        super::new_operation(
            &inst,
            Kind::AddStandby,
            requested_by,
            serde_json::json!({ "member_id": standby.id }),
        ),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(instance = %id, member = %standby.id, "standby added");
    Ok((standby, op))
}

/// Remove standby `member` of its instance: the `remove_standby` operation stops it and
/// removes its data and its slot on the primary. The primary itself is not a standby:
/// switch over first.
pub async fn remove(
    db: &Db,
    member: Uuid,
    requested_by: Option<crate::user::UserId>,
) -> Result<(Instance, Operation)> {
    let mut tx = db.begin().await?;
    let instance: Option<InstanceId> =
        sqlx::query_scalar("SELECT instance_id FROM instance_members WHERE id = $1")
            .bind(member)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(instance) = instance else {
        let primary: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT FROM instances WHERE coalesce(primary_member_id, id) = $1 \
             AND state <> 'deleted')",
        )
        .bind(member)
        .fetch_one(&mut *tx)
        .await?;
        if primary {
            return Err(Error::InvalidInput(
                "that member is the primary: switch over to a standby first, then remove it"
                    .to_owned(),
            ));
        }
        return Err(Error::NotFound { kind: "member" });
    };
    let inst = Db::lock_instance(&mut tx, instance).await?;
    running(&inst)?;
    let op = crate::engine::start_in(
        &mut tx,
        super::new_operation(
            &inst,
            Kind::RemoveStandby,
            requested_by,
            serde_json::json!({ "member_id": member }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok((inst, op))
}

/// Relocate standby `member` of its instance onto `server` (or, when `None`, the server the
/// placement rule picks among those holding no member of the instance): record the
/// `relocate_standby` operation that makes a fresh copy there and removes the old one, and
/// enqueue it, in one transaction. The primary is not a standby: switch over first.
pub async fn relocate(
    db: &Db,
    member: Uuid,
    server: Option<ServerId>,
    requested_by: Option<crate::user::UserId>,
) -> Result<(Instance, Operation)> {
    let mut tx = db.begin().await?;
    let instance: Option<InstanceId> =
        sqlx::query_scalar("SELECT instance_id FROM instance_members WHERE id = $1")
            .bind(member)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(instance) = instance else {
        let primary_of: Option<Provider> = sqlx::query_scalar(
            "SELECT provider FROM instances WHERE coalesce(primary_member_id, id) = $1 \
             AND state <> 'deleted'",
        )
        .bind(member)
        .fetch_optional(&mut *tx)
        .await?;
        return Err(match primary_of {
            Some(provider) => {
                check_supported(provider)?;
                Error::InvalidInput(
                    "that member is the primary: switch over to a standby first, then relocate it"
                        .to_owned(),
                )
            }
            None => Error::NotFound { kind: "member" },
        });
    };
    let inst = Db::lock_instance(&mut tx, instance).await?;
    let op = relocate_in(&mut tx, &inst, member, server, requested_by).await?;
    tx.commit().await?;
    tracing::info!(instance = %inst.id, member = %member, operation = %op.id, "standby relocation queued");
    Ok((inst, op))
}

/// [`relocate`] standby `member` of `inst` (locked in `tx`), in `tx`.
pub(crate) async fn relocate_in(
    tx: &mut Transaction<'_, Postgres>,
    inst: &Instance,
    member: Uuid,
    server: Option<ServerId>,
    requested_by: Option<crate::user::UserId>,
) -> Result<Operation> {
    check_supported(inst.provider)?;
    if inst.provider != Provider::Server {
        return Err(Error::InvalidInput(format!(
            "the standbys of {} run on this host, not on fleet servers: there is no server to \
             relocate one to",
            inst.name
        )));
    }
    running(inst)?;
    let found: Option<Uuid> = sqlx::query_scalar(
        "SELECT id FROM instance_members WHERE id = $1 AND instance_id = $2 FOR UPDATE",
    )
    .bind(member)
    .bind(inst.id)
    .fetch_optional(&mut **tx)
    .await?;
    if found.is_none() {
        return Err(Error::NotFound { kind: "member" });
    }
    // Its new server holds no member of the instance, itself included.
    let target = place_apart(tx, inst, server).await?;
    crate::engine::start_in(
        tx,
        super::new_operation(
            inst,
            Kind::RelocateStandby,
            requested_by,
            serde_json::json!({ "member_id": member, "server_id": target }),
        ),
    )
    .await
}

fn running(inst: &Instance) -> Result<()> {
    if inst.state == InstanceState::Running {
        return Ok(());
    }
    Err(Error::Conflict(
        format!(
            "instance {} is {:?}; standbys change only while it runs",
            inst.name, inst.state
        )
        .to_lowercase(),
    ))
}

/// The host standby `s` of `inst` runs on: its server's, or this one.
pub(crate) async fn host_of(inst: &Instance, s: &Standby, cx: &Context) -> Result<Arc<PgHost>> {
    match (inst.provider, s.server_id) {
        (Provider::Server, Some(server)) => {
            let server = cx.db.server(server).await?;
            cx.fleet.hosts.host(&cx.db, &server).await
        }
        (Provider::Local, None) => Ok(cx.local.clone()),
        _ => Err(Error::Other(anyhow::anyhow!(
            "standby {} of {} runs on no host",
            s.id,
            inst.name
        ))),
    }
}

fn major(inst: &Instance) -> Result<u32> {
    Ok(u32::try_from(inst.pg_version).map_err(anyhow::Error::from)?)
}

fn primary_port(inst: &Instance) -> Result<u16> {
    inst.port
        .and_then(|p| u16::try_from(p).ok())
        .ok_or_else(|| Error::Other(anyhow::anyhow!("instance {} has no port", inst.name)))
}

/// How standby `s` reaches `inst`'s primary (on `primary`), as the replication role.
pub(crate) async fn upstream(
    inst: &Instance,
    primary: &PgHost,
    s: &Standby,
    cx: &Context,
) -> Result<Upstream> {
    Ok(Upstream {
        address: primary.listen().to_string(),
        port: primary_port(inst)?,
        password: cx.db.replicator_password(inst.id).await?,
        ca: cx.tls.pem().to_owned(),
        slot: Some(s.slot()),
        application_name: s.slot(),
    })
}

/// What `start_standbys` did: all stream, or one needs another try.
pub(crate) enum Started {
    /// Every standby streams.
    All,
    /// A standby's port was taken meanwhile: run the step again (it picks another).
    PortTaken,
    /// A standby has not caught up yet: look again later.
    NotYet,
}

/// Make every standby of `inst` (whose primary runs on `primary`) exist, follow the current
/// primary, run and stream; then tell a synchronous primary which standbys to wait for.
///
/// `strict` where standbys are what the operation is for (a create, `add_standby`): any
/// failure fails the step, which waits until every standby streams. Otherwise (a start, a
/// restart) the primary comes first: a standby that cannot start is reported (a cluster
/// event, state `down`) and the rest go on, with no waiting.
pub(crate) async fn start_all(
    inst: &Instance,
    primary: &PgHost,
    cx: &Context,
    strict: bool,
) -> Result<Started> {
    let standbys = cx.db.standbys(inst.id).await?;
    if standbys.is_empty() && !inst.synchronous {
        return Ok(Started::All);
    }
    let name = inst.resource_name();
    let major = major(inst)?;
    let port = primary_port(inst)?;
    if !standbys.is_empty() {
        let password = cx.db.replicator_password(inst.id).await?;
        primary
            .allow_replication(&name, major, port, &password)
            .await?;
    }
    let mut started = Vec::new();
    for s in &standbys {
        match start_one(inst, primary, s, cx).await {
            Ok(true) => started.push(s.clone()),
            Ok(false) => return Ok(Started::PortTaken),
            Err(e) if strict => return Err(e),
            Err(e) => {
                tracing::warn!(instance = %inst.id, member = %s.id, "standby did not start: {e:#}");
                cx.db
                    .set_standby_state(s.id, None, StandbyState::Down)
                    .await?;
                cx.db
                    .cluster_event(
                        "standby_down",
                        "warning",
                        &format!("a standby of {} did not start: {e}", inst.name),
                        Some(inst.id),
                        serde_json::json!({ "member_id": s.id }),
                    )
                    .await?;
            }
        }
    }
    if !strict {
        // Commits wait only for standbys that run: one that is down would hold every
        // commit until it is back.
        synchronize(inst, primary, &started, None).await?;
        return Ok(Started::All);
    }
    let until = Instant::now() + WATCH;
    loop {
        let seen = primary.replication(&name, major, port).await?;
        let streaming = |s: &Standby| {
            seen.iter()
                .any(|r| r.application_name == s.slot() && r.state == "streaming")
        };
        if standbys.iter().all(streaming) {
            break;
        }
        if Instant::now() > until {
            return Ok(Started::NotYet);
        }
        tokio::time::sleep(LOOK).await;
    }
    for s in &standbys {
        cx.db
            .set_standby_state(s.id, None, StandbyState::Streaming)
            .await?;
    }
    synchronize(inst, primary, &standbys, None).await?;
    Ok(Started::All)
}

/// Tell `inst`'s primary which standbys its commits wait for (all of `standbys` but
/// `leaving`, when synchronous; none otherwise).
pub(crate) async fn synchronize(
    inst: &Instance,
    primary: &PgHost,
    standbys: &[Standby],
    leaving: Option<Uuid>,
) -> Result<()> {
    let names: Vec<String> = if inst.synchronous {
        standbys
            .iter()
            .filter(|s| Some(s.id) != leaving)
            .map(Standby::slot)
            .collect()
    } else {
        Vec::new()
    };
    primary
        .set_synchronous(
            &inst.resource_name(),
            major(inst)?,
            primary_port(inst)?,
            &names,
        )
        .await?;
    Ok(())
}

/// Make standby `s` exist, follow the current primary and run; `false` when its port was
/// taken by another process meanwhile (released: the next try picks another).
async fn start_one(inst: &Instance, primary: &PgHost, s: &Standby, cx: &Context) -> Result<bool> {
    let host = host_of(inst, s, cx).await?;
    let major = major(inst)?;
    let port = match s.port() {
        Some(p) => p,
        None => allocate_port(s, &host, cx).await?,
    };
    if s.rebuild {
        // A failed primary may hold writes the new primary never saw: never serve them.
        host.remove(&s.resource_name).await?;
    }
    primary
        .ensure_slot(&inst.resource_name(), major, primary_port(inst)?, &s.slot())
        .await?;
    let upstream = upstream(inst, primary, s, cx).await?;
    host.ensure_standby(&s.resource_name, major, &upstream)
        .await?;
    if s.rebuild {
        cx.db.standby_rebuilt(s.id).await?;
    }
    // A standby made before a switchover (or the old primary) follows the primary of now.
    host.follow(&s.resource_name, major, port, &upstream)
        .await?;
    crate::tls::install_member(inst, &s.resource_name, &host, cx).await?;
    let archiving = super::steps::archiving_of(inst, cx).await?;
    match host
        .ensure_running(&s.resource_name, major, port, archiving.as_ref())
        .await
    {
        Err(providers::Error::AddressInUse { port }) => {
            tracing::warn!(instance = %inst.id, member = %s.id, port, "standby port taken; allocating another");
            cx.db.release_standby_port(s.id).await?;
            return Ok(false);
        }
        other => other?,
    }
    host.drop_inactive_slots(&s.resource_name, major, port)
        .await?;
    cx.db
        .set_standby_state(s.id, Some(&host.listen().to_string()), s.state)
        .await?;
    Ok(true)
}

/// The lowest port on standby `s`'s host that no instance or standby holds and nothing
/// listens on, claimed for it.
async fn allocate_port(s: &Standby, host: &PgHost, cx: &Context) -> Result<u16> {
    let taken = match s.server_id {
        Some(server) => cx.db.server_ports_in_use(server).await?,
        None => cx.db.local_ports_in_use().await?,
    };
    for port in host.ports() {
        if taken.contains(&i32::from(port)) || !host.port_is_free(port).await? {
            continue;
        }
        cx.db.claim_standby_port(s.id, port).await?;
        return cx
            .db
            .standby(s.id)
            .await?
            .port()
            .ok_or_else(|| Error::Other(anyhow::anyhow!("standby {} lost its port", s.id)));
    }
    let ports = host.ports();
    Err(Error::Other(anyhow::anyhow!(
        "no free port in {}..{} for a standby",
        ports.start,
        ports.end
    )))
}

/// Stop every standby of `inst`. One whose host does not answer fails the step.
pub(crate) async fn stop_all(inst: &Instance, cx: &Context) -> Result<()> {
    for s in cx.db.standbys(inst.id).await? {
        let host = host_of(inst, &s, cx).await?;
        host.ensure_stopped(&s.resource_name).await?;
        cx.db
            .set_standby_state(s.id, None, StandbyState::Down)
            .await?;
    }
    Ok(())
}

/// Remove every standby of `inst` (being deleted): its data, its pgBackRest configuration
/// and its row.
pub(crate) async fn remove_all(inst: &Instance, cx: &Context) -> Result<()> {
    for s in cx.db.standbys(inst.id).await? {
        let host = host_of(inst, &s, cx).await?;
        host.remove(&s.resource_name).await?;
        host.remove_backup_config(&s.resource_name).await?;
        cx.db.delete_standby(s.id).await?;
    }
    Ok(())
}

/// `remove_standby`'s step: stop the standby named in the operation, stop waiting for it,
/// remove its data (unless its server is lost for good) and drop its slot on the primary,
/// then forget it.
pub(crate) async fn drop_one(
    inst: &Instance,
    primary: &PgHost,
    op: &Operation,
    cx: &Context,
) -> Result<()> {
    let Some(member) = member_of(op) else {
        return Err(Error::InvalidInput(
            "a remove_standby operation names no member".to_owned(),
        ));
    };
    let standbys = cx.db.standbys(inst.id).await?;
    let Some(s) = standbys.iter().find(|s| s.id == member) else {
        return Ok(()); // gone already
    };
    // The primary stops waiting for it before it goes, so no commit hangs on it.
    synchronize(inst, primary, &standbys, Some(member)).await?;
    remove_copy(inst, s, cx).await?;
    primary
        .drop_slot(
            &inst.resource_name(),
            major(inst)?,
            primary_port(inst)?,
            &s.slot(),
        )
        .await?;
    cx.db.delete_standby(member).await?;
    tracing::info!(instance = %inst.id, member = %member, "standby removed");
    Ok(())
}

/// `relocate_standby`'s first step: stop the standby named in the operation, have the
/// primary stop waiting for it, remove its data and its pgBackRest configuration where it
/// was and drop its slot on the primary, then point it at the operation's server, without a
/// port and to be copied afresh (`start_standbys` makes it there next). Each part finds what
/// an earlier try did, so a try cut short is run again whole; once the member points at its
/// new server the old copy is gone already. `false` when the standby is gone altogether
/// (nothing left to relocate).
pub(crate) async fn drop_old_copy(
    inst: &Instance,
    primary: &PgHost,
    op: &Operation,
    cx: &Context,
) -> Result<bool> {
    let (Some(member), Some(target)) = (member_of(op), server_of(op)) else {
        return Err(Error::InvalidInput(
            "a relocate_standby operation names no member or no server".to_owned(),
        ));
    };
    let standbys = cx.db.standbys(inst.id).await?;
    let Some(s) = standbys.iter().find(|s| s.id == member) else {
        tracing::warn!(instance = %inst.id, member = %member, "the standby to relocate is gone");
        return Ok(false);
    };
    if s.server_id == Some(target) {
        return Ok(true);
    }
    // The primary stops waiting for it before it goes, so no commit hangs on it.
    synchronize(inst, primary, &standbys, Some(member)).await?;
    remove_copy(inst, s, cx).await?;
    // Its walsender on the primary lets go of the slot as the standby stops.
    let until = Instant::now() + WATCH;
    loop {
        match primary
            .drop_slot(
                &inst.resource_name(),
                major(inst)?,
                primary_port(inst)?,
                &s.slot(),
            )
            .await
        {
            Ok(()) => break,
            Err(providers::Error::Transient(e)) if Instant::now() < until => {
                tracing::debug!(instance = %inst.id, member = %member, "slot not released yet: {e:#}");
                tokio::time::sleep(LOOK).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    cx.db.repoint_standby(member, target).await?;
    tracing::info!(instance = %inst.id, member = %member, server = %target, "old copy of a standby removed");
    Ok(true)
}

/// Remove standby `s`'s data and pgBackRest configuration from its host. On a server lost
/// for good (powered off to fence it, or gone) the copy cannot be reached, never runs again by
/// itself, and goes with the server: it is left there.
async fn remove_copy(inst: &Instance, s: &Standby, cx: &Context) -> Result<()> {
    if on_lost_server(s, cx).await? {
        tracing::info!(instance = %inst.id, member = %s.id, "the standby's server is lost; its old copy stays there");
        return Ok(());
    }
    let host = host_of(inst, s, cx).await?;
    host.remove(&s.resource_name).await?;
    host.remove_backup_config(&s.resource_name).await?;
    Ok(())
}

/// Whether standby `s` is on a server that is lost for good: failed (its VM powered off to
/// fence it, or never made) or removed.
pub(crate) async fn on_lost_server(s: &Standby, cx: &Context) -> Result<bool> {
    use crate::server::ServerState;
    let Some(server) = s.server_id else {
        return Ok(false);
    };
    Ok(matches!(
        cx.db.server(server).await?.state,
        ServerState::Failed | ServerState::Removed
    ))
}

/// `add_standby` gave up: the standby it was making goes (best effort: its data, then its
/// row), and the instance, whose primary never stopped, stays as it is.
pub(crate) async fn forget_new(op: &Operation, cx: &Context) -> bool {
    let forget = async {
        let inst = super::target(op, cx).await?;
        let Some(member) = member_of(op) else {
            return Ok(());
        };
        let Some(s) = cx
            .db
            .standbys(inst.id)
            .await?
            .into_iter()
            .find(|s| s.id == member)
        else {
            return Ok(());
        };
        let host = host_of(&inst, &s, cx).await?;
        host.remove(&s.resource_name).await?;
        host.remove_backup_config(&s.resource_name).await?;
        cx.db.delete_standby(member).await
    };
    if let Err(e) = forget.await {
        tracing::warn!(operation = %op.id, "failed to remove a standby that was not made: {e:#}");
    }
    true
}

/// Handover `id` of `inst` is over: record it, and say so in the instance's events with the
/// write pause it measured.
pub(crate) async fn announce_handover(inst: &Instance, id: Uuid, cx: &Context) -> Result<()> {
    let h = cx.db.finish_handover(id).await?;
    let (kind, severity, what) = if h.planned {
        (
            "instance_switched_over",
            "info",
            "switched over to a standby",
        )
    } else {
        (
            "instance_failed_over",
            "warning",
            "lost its primary; a standby took over",
        )
    };
    cx.db
        .cluster_event(
            kind,
            severity,
            &format!(
                "{} {what}; writes were unavailable for {:.0} ms",
                inst.name,
                h.unavailable_ms.unwrap_or_default()
            ),
            Some(inst.id),
            serde_json::json!({
                "from_member_id": h.from_member_id,
                "to_member_id": h.to_member_id,
                "unavailable_ms": h.unavailable_ms,
            }),
        )
        .await
}

/// The member an operation names in its input.
pub(crate) fn member_of(op: &Operation) -> Option<Uuid> {
    op.input
        .get("member_id")
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse().ok())
}

/// The server an operation names in its input.
fn server_of(op: &Operation) -> Option<ServerId> {
    op.input
        .get("server_id")
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse().ok())
        .map(ServerId)
}

/// Read from `inst`'s primary how each standby streams, and record it. Run by the health
/// sweep for running instances with standbys.
pub(crate) async fn observe(inst: &Instance, cx: &Context) -> Result<()> {
    let standbys = cx.db.standbys(inst.id).await?;
    if standbys.is_empty() {
        return Ok(());
    }
    let primary = super::host_of(inst, cx).await?;
    let seen = primary
        .replication(&inst.resource_name(), major(inst)?, primary_port(inst)?)
        .await?;
    for s in &standbys {
        let reading = seen.iter().find(|r| r.application_name == s.slot());
        let state = match reading {
            Some(r) if r.state == "streaming" && r.lag_bytes > LAGGING_BYTES => {
                StandbyState::Lagging
            }
            Some(r) if r.state == "streaming" => StandbyState::Streaming,
            _ => StandbyState::Down,
        };
        cx.db
            .record_replication(
                s.id,
                state,
                reading.map(|r| i64::try_from(r.lag_bytes).unwrap_or(i64::MAX)),
                reading.and_then(|r| r.replay_lag_ms),
            )
            .await?;
    }
    Ok(())
}
