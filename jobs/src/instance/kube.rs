//! The Kubernetes provider's instance workflows, one function per step, and what the health
//! sweep does for Kubernetes instances (pod problems, drift). Every step is idempotent: apply
//! is, deletes of what is gone are fine, and waits look before they wait.
//!
//! ```text
//! create_instance:  apply_objects → wait_ready → create_role → mark_running
//! delete_instance:  delete_objects → wait_deleted → mark_deleted
//! stop_instance:    scale_down → wait_stopped → mark_stopped
//! start_instance:   apply_objects → wait_ready → mark_running
//! restart_instance: restart_pod → wait_ready → mark_running
//! recover_instance: apply_objects → wait_ready → mark_running   (drift repaired by the sweep)
//! ```
//!
//! TLS: `apply_objects` first makes sure the instance has a certificate of the installation's
//! CA for its Service's names (and its load balancer's address once it has one), kept in the
//! metadata database, which every apply writes into the instance's TLS Secret unchanged; the
//! pod mounts it and serves it. The health sweep renews it ([`renew_certificates`]) before it
//! expires or when the balancer's address appears or changes, and has the server reload it.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use providers::kubernetes::{
    InstanceSpec, KubeSettings, Kubernetes, PodState, ServiceType, TlsFiles, render,
};
use providers::login::Login;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions as _, Connection as _, Row as _};

use super::{DeleteOptions, Instance, InstanceState, find_plan};
use crate::operation::Operation;
use crate::tls::{self, Kept};
use crate::workflow::{Context, Kind, Next, steps};
use crate::{Error, Result};

/// How often a waiting step looks again.
const POLL: Duration = Duration::from_secs(2);
/// How long a connection attempt to a new instance may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long after a renewed certificate is applied the sweep goes on reloading the server:
/// the kubelet refreshes a mounted Secret within its sync period and cache's lifetime (a
/// minute each by default), and a reload before that keeps the old files.
const RELOAD_WINDOW: Duration = Duration::from_secs(5 * 60);

steps! {
    /// The steps of the instance workflows on Kubernetes.
    pub(crate) enum KubeStep {
        ApplyObjects => "apply_objects",
        WaitReady => "wait_ready",
        CreateRole => "create_role",
        MarkRunning => "mark_running",
        RestartPod => "restart_pod",
        ScaleDown => "scale_down",
        WaitStopped => "wait_stopped",
        MarkStopped => "mark_stopped",
        DeleteObjects => "delete_objects",
        WaitDeleted => "wait_deleted",
        MarkDeleted => "mark_deleted",
    }
}

fn provider(cx: &Context) -> Result<&Arc<Kubernetes>> {
    cx.kubernetes.as_ref().ok_or_else(|| {
        Error::Provider(providers::Error::Permanent(anyhow::anyhow!(
            "the Kubernetes provider is not configured on this worker (TOYGRES_KUBERNETES)"
        )))
    })
}

/// The passwords an instance's Secret holds.
#[derive(Clone)]
pub struct Passwords {
    /// The application role's.
    pub password: String,
    /// The superuser's.
    pub superuser: String,
}

/// What the provider applies for `inst` with `settings`, running or not. Pure: the worker and
/// `toygres kubernetes manifests` both render through it.
pub fn kubernetes_spec(
    inst: &Instance,
    settings: &KubeSettings,
    running: bool,
    passwords: Passwords,
    tls: TlsFiles,
) -> Result<InstanceSpec> {
    let plan = find_plan(&inst.plan).ok_or_else(|| {
        Error::InvalidInput(format!(
            "instance {} has an unknown plan {}",
            inst.name, inst.plan
        ))
    })?;
    let service_type = match inst.service_type.as_deref() {
        Some(t) => t.parse::<ServiceType>().map_err(Error::InvalidInput)?,
        None => settings.service_type,
    };
    Ok(InstanceSpec {
        name: inst.resource_name(),
        display_name: inst.name.clone(),
        instance_id: inst.id.to_string(),
        namespace: settings.namespace.clone(),
        major: u32::try_from(inst.pg_version).map_err(anyhow::Error::from)?,
        storage_gb: u32::try_from(inst.storage_gb).map_err(anyhow::Error::from)?,
        storage_class: settings.storage_class.clone(),
        service_type,
        resources: plan.resources(),
        image: settings.image.clone(),
        running,
        password: passwords.password,
        superuser_password: passwords.superuser,
        tls,
    })
}

/// What the provider applies for `inst`, with its stored passwords and its kept certificate
/// (issued first if it has none: an instance made before Kubernetes instances served TLS).
async fn spec(
    inst: &Instance,
    running: bool,
    k8s: &Kubernetes,
    cx: &Context,
) -> Result<InstanceSpec> {
    let kept = match cx.db.kept_certificate(inst.id).await? {
        Some(kept) => kept,
        None => ensure_certificate(inst, k8s, cx).await?,
    };
    spec_with(inst, running, k8s, cx, &kept).await
}

async fn spec_with(
    inst: &Instance,
    running: bool,
    k8s: &Kubernetes,
    cx: &Context,
    kept: &Kept,
) -> Result<InstanceSpec> {
    let passwords = Passwords {
        password: cx.db.instance_password(inst.id).await?,
        superuser: cx.db.instance_superuser_password(inst.id).await?,
    };
    let tls = TlsFiles {
        certificate: kept.certificate.clone(),
        key: kept.key.to_string(),
        ca: cx.tls.pem().to_owned(),
    };
    kubernetes_spec(inst, k8s.settings(), running, passwords, tls)
}

/// The names `inst`'s certificate should carry now: its client Service's, and its load
/// balancer's address once the Service has one.
async fn wanted_names(inst: &Instance, k8s: &Kubernetes) -> Result<Vec<String>> {
    let name = inst.resource_name();
    let namespace = &k8s.settings().namespace;
    let in_cluster = format!("{name}.{namespace}.svc");
    let balancer = match k8s.endpoint(&name).await {
        Ok(endpoint) => endpoint.map(|e| e.address).filter(|a| *a != in_cluster),
        // No Service yet: the first apply makes it.
        Err(providers::Error::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    Ok(tls::service_names(&name, namespace, balancer.as_deref()))
}

/// `inst`'s kept certificate if it fits the names it is reached at now and is not due for
/// renewal; otherwise a new one, kept (to be reloaded, when it replaces one a server may be
/// serving).
async fn ensure_certificate(inst: &Instance, k8s: &Kubernetes, cx: &Context) -> Result<Kept> {
    let names = wanted_names(inst, k8s).await?;
    let previous = cx.db.kept_certificate(inst.id).await?;
    if let Some(kept) = previous.as_ref().filter(|k| k.fits(&names)) {
        return Ok(kept.clone());
    }
    let issued = cx.tls.issue(&names)?;
    let reload_pending = previous.is_some();
    cx.db
        .keep_certificate(inst.id, &names, &issued, reload_pending)
        .await?;
    tracing::info!(instance = %inst.id, ?names, "instance certificate issued");
    Ok(Kept {
        names,
        not_after: issued.not_after,
        certificate: issued.certificate,
        key: issued.key,
        reload_pending,
    })
}

/// Run one step on the operation's Kubernetes instance.
pub(crate) async fn step(step: KubeStep, op: &Operation, cx: &Context) -> Result<Next<KubeStep>> {
    let inst = &super::target(op, cx).await?;
    let id = inst.id;
    // The last steps only record the outcome: no cluster needed.
    if step == KubeStep::MarkStopped {
        super::mark_stopped(id, cx).await?;
        return Ok(Next::Continue);
    }
    if step == KubeStep::MarkDeleted {
        cx.db.mark_instance_deleted(id).await?;
        return Ok(Next::Continue);
    }
    let k8s = provider(cx)?;
    let name = inst.resource_name();
    match step {
        KubeStep::ApplyObjects => {
            if inst.state == InstanceState::Stopping {
                cx.db
                    .set_instance_state_if(id, InstanceState::Stopping, InstanceState::Starting)
                    .await?;
            }
            // The Services first, so that a load balancer given its address at once is named
            // in the certificate the pod starts with (the Services do not carry the
            // certificate: a new instance has none to render yet).
            let files = match cx.db.kept_certificate(id).await? {
                Some(kept) => kept,
                None => Kept {
                    names: Vec::new(),
                    not_after: Utc::now(),
                    certificate: String::new(),
                    key: Default::default(),
                    reload_pending: false,
                },
            };
            k8s.apply_services(&render(&spec_with(inst, true, k8s, cx, &files).await?))
                .await?;
            let kept = ensure_certificate(inst, k8s, cx).await?;
            k8s.apply(&render(&spec_with(inst, true, k8s, cx, &kept).await?))
                .await?;
        }
        KubeStep::WaitReady => {
            if let Some(wait) = wait_ready(inst, op, k8s, cx).await? {
                return Ok(Next::Nap(wait));
            }
        }
        KubeStep::CreateRole => {
            let endpoint = k8s.endpoint(&name).await?.ok_or_else(|| {
                Error::Other(anyhow::anyhow!("the load balancer has no address yet"))
            })?;
            let opts = PgConnectOptions::new()
                .host(&endpoint.address)
                .port(endpoint.port)
                .username(providers::kubernetes::manifests::SUPERUSER)
                .password(&cx.db.instance_superuser_password(id).await?);
            let opts = tls::client_options(opts, inst, cx.tls.pem());
            let password = cx.db.instance_password(id).await?;
            let login = Login {
                username: &inst.username,
                password: &password,
                database: &inst.database_name,
            };
            create_login(opts, &login).await?;
        }
        KubeStep::MarkRunning => {
            let endpoint = k8s.endpoint(&name).await?.ok_or_else(|| {
                Error::Other(anyhow::anyhow!("the load balancer has no address yet"))
            })?;
            let password = cx.db.instance_password(id).await?;
            let check = crate::health::check_at(
                inst,
                &endpoint.address,
                endpoint.port,
                &password,
                cx.tls.pem(),
            )
            .await;
            cx.db
                .mark_instance_running(id, &endpoint.address, Some(endpoint.port), &check)
                .await?;
        }
        KubeStep::RestartPod => {
            if inst.state == InstanceState::Stopping {
                cx.db
                    .set_instance_state_if(id, InstanceState::Stopping, InstanceState::Starting)
                    .await?;
            }
            // Only a pod older than the request is replaced: a retried step restarts once.
            if k8s.restart_pod(&name, op.created_at.timestamp()).await? {
                event(
                    cx,
                    inst,
                    "pod_restarted",
                    "info",
                    &format!("pod {name}-0 deleted; its StatefulSet starts a new one"),
                )
                .await?;
            }
        }
        KubeStep::ScaleDown => scale_to_zero(inst, cx).await?,
        KubeStep::WaitStopped => match k8s.pod(&name).await? {
            PodState::Absent => {}
            _ => return Ok(Next::Nap(POLL)),
        },
        KubeStep::DeleteObjects => {
            let options: DeleteOptions =
                serde_json::from_value(op.input.clone()).unwrap_or_default();
            let retain = options.retain_storage.unwrap_or(k8s.settings().retain_pvc);
            k8s.delete(&name, &id.to_string(), retain).await?;
        }
        KubeStep::WaitDeleted => {
            let options: DeleteOptions =
                serde_json::from_value(op.input.clone()).unwrap_or_default();
            let retain = options.retain_storage.unwrap_or(k8s.settings().retain_pvc);
            let left = k8s.remaining(&name, &id.to_string(), retain).await?;
            if !left.is_empty() {
                tracing::debug!(instance = %id, ?left, "waiting for Kubernetes to delete");
                return Ok(Next::Nap(POLL));
            }
            let kept = if retain {
                let claims = k8s.claims(&id.to_string()).await?;
                format!("; kept {}", claims.join(", "))
            } else {
                String::new()
            };
            event(
                cx,
                inst,
                "objects_deleted",
                "info",
                &format!("Kubernetes objects of {name} deleted{kept}"),
            )
            .await?;
        }
        KubeStep::MarkStopped | KubeStep::MarkDeleted => {}
    }
    Ok(Next::Continue)
}

/// Scale the StatefulSet to zero, keeping everything else.
pub(crate) async fn scale_to_zero(inst: &Instance, cx: &Context) -> Result<()> {
    let k8s = provider(cx)?;
    k8s.apply(&render(&spec(inst, false, k8s, cx).await?))
        .await?;
    Ok(())
}

/// Record an event about an instance.
async fn event(
    cx: &Context,
    inst: &Instance,
    kind: &str,
    severity: &str,
    message: &str,
) -> Result<()> {
    cx.db
        .cluster_event(
            kind,
            severity,
            message,
            Some(inst.id),
            serde_json::json!({"provider": "kubernetes"}),
        )
        .await
}

/// Report a pod's problem once: on the instance (`statusMessage`) and as an event when it
/// changes; clear it when the pod is fine again.
async fn report_pod(inst: &Instance, state: &PodState, cx: &Context) -> Result<()> {
    let problem = state.problem();
    if cx
        .db
        .set_instance_status_message(inst.id, problem.as_deref())
        .await?
    {
        match &problem {
            Some(p) => {
                tracing::warn!(instance = %inst.id, "pod problem: {p}");
                event(
                    cx,
                    inst,
                    "pod_problem",
                    "warning",
                    &format!("pod {}-0: {p}", inst.resource_name()),
                )
                .await?;
            }
            None => {
                event(
                    cx,
                    inst,
                    "pod_recovered",
                    "info",
                    &format!("pod {}-0 has no problem any more", inst.resource_name()),
                )
                .await?;
            }
        }
    }
    Ok(())
}

/// `None` when the pod is ready and a real connection succeeds; a delay to look again
/// otherwise. Gives up after the configured ready timeout, with the pod's last problem.
async fn wait_ready(
    inst: &Instance,
    op: &Operation,
    k8s: &Kubernetes,
    cx: &Context,
) -> Result<Option<Duration>> {
    let name = inst.resource_name();
    let state = k8s.pod(&name).await?;
    report_pod(inst, &state, cx).await?;
    let why = if state.is_ready() {
        match connect(inst, k8s, cx).await {
            Ok(()) => return Ok(None),
            Err(e) => format!("the pod is ready but a connection failed: {e}"),
        }
    } else {
        state
            .problem()
            .unwrap_or_else(|| format!("the pod is not ready yet ({state:?})"))
    };
    let entered = cx
        .db
        .step_entered_at(op.id, &op.step)
        .await?
        .unwrap_or(op.created_at);
    let waited = (Utc::now() - entered).to_std().unwrap_or_default();
    let timeout = k8s.settings().ready_timeout;
    if waited > timeout {
        return Err(Error::Provider(providers::Error::Permanent(
            anyhow::anyhow!("{name} was not ready within {}s: {why}", timeout.as_secs()),
        )));
    }
    tracing::debug!(instance = %inst.id, "{why}");
    Ok(Some(POLL))
}

/// Connect to the instance through its Service as the superuser and ask something.
async fn connect(
    inst: &Instance,
    k8s: &Kubernetes,
    cx: &Context,
) -> std::result::Result<(), String> {
    let endpoint = k8s
        .endpoint(&inst.resource_name())
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the load balancer has no address yet")?;
    let password = cx
        .db
        .instance_superuser_password(inst.id)
        .await
        .map_err(|e| e.to_string())?;
    let opts = PgConnectOptions::new()
        .host(&endpoint.address)
        .port(endpoint.port)
        .username(providers::kubernetes::manifests::SUPERUSER)
        .password(&password)
        .database("postgres")
        .application_name("toygres-ready")
        .options([providers::login::PINNED_SEARCH_PATH])
        .disable_statement_logging();
    let opts = tls::client_options(opts, inst, cx.tls.pem());
    let mut conn = tokio::time::timeout(CONNECT_TIMEOUT, sqlx::PgConnection::connect_with(&opts))
        .await
        .map_err(|_| {
            format!(
                "no answer from {}:{} within {CONNECT_TIMEOUT:?}",
                endpoint.address, endpoint.port
            )
        })?
        .map_err(|e| format!("connect to {}:{}: {e}", endpoint.address, endpoint.port))?;
    sqlx::query("SELECT 1")
        .execute(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    let _ = conn.close().await;
    Ok(())
}

/// Create (or update) the login role with its password, and its database, on a Kubernetes
/// instance, connected as the superuser with `opts`: the statements of [`Login::script`]
/// (the very script psql runs on a Postgres host), which Postgres writes with its own quoting,
/// run one by one. The connection logs no statements (they carry the password).
pub(crate) async fn create_login(opts: PgConnectOptions, login: &Login<'_>) -> Result<()> {
    let opts = opts
        .database("postgres")
        .options([providers::login::PINNED_SEARCH_PATH])
        .disable_statement_logging();
    let mut conn = sqlx::PgConnection::connect_with(&opts)
        .await
        .map_err(|e| anyhow::anyhow!("connect to the new instance as superuser: {e}"))?;
    let statements = sqlx::raw_sql(sqlx::AssertSqlSafe(login.script()))
        .fetch_all(&mut conn)
        .await?;
    for row in statements {
        let statement: String = row.try_get(0)?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
            .execute(&mut conn)
            .await?;
    }
    conn.close().await?;
    Ok(())
}

/// The health sweep's look at Kubernetes instances: report each pod's problem (or its
/// recovery) on the instance and as an event.
pub(crate) async fn observe_pods(cx: &Context) -> Result<()> {
    let Some(k8s) = cx.kubernetes.as_ref() else {
        return Ok(());
    };
    for inst in cx.db.kubernetes_instances_to_reconcile().await? {
        match k8s.pod(&inst.resource_name()).await {
            Ok(state) => report_pod(&inst, &state, cx).await?,
            Err(e) => tracing::warn!(instance = %inst.id, "read the pod: {e:#}"),
        }
    }
    Ok(())
}

/// The health sweep's renewal of Kubernetes instances' certificates (before its checks): a
/// running instance's certificate that expires within [`tls::RENEW_BEFORE`], or that does not
/// name its load balancer's address (which a cloud gives after the Service is made, and may
/// change), is issued again and its TLS Secret applied; for [`RELOAD_WINDOW`] after that the
/// server is reloaded at every sweep, which picks up the files once the kubelet has
/// refreshed them. Instances without a certificate (made before Kubernetes instances served
/// TLS) are left to the drift check, whose repair issues one and mounts it. One failure is
/// logged and the rest go on; the next sweep tries again.
pub async fn renew_certificates(cx: &Context) -> Result<()> {
    let Some(k8s) = cx.kubernetes.as_ref() else {
        return Ok(());
    };
    for inst in cx.db.kubernetes_instances_to_reconcile().await? {
        let renewed = async {
            let Some(kept) = cx.db.kept_certificate(inst.id).await? else {
                return Ok(());
            };
            let kept = if kept.fits(&wanted_names(&inst, k8s).await?) {
                kept
            } else {
                let kept = ensure_certificate(&inst, k8s, cx).await?;
                k8s.apply_tls(&render(&spec_with(&inst, true, k8s, cx, &kept).await?))
                    .await?;
                kept
            };
            if kept.reload_pending {
                reload(&inst, k8s, cx).await?;
            }
            Ok::<_, Error>(())
        };
        if let Err(e) = renewed.await {
            tracing::warn!(instance = %inst.id, "failed to renew a certificate: {e:#}");
        }
    }
    Ok(())
}

/// Have `inst`'s server reload its configuration (and so its TLS files), while its renewed
/// certificate is within [`RELOAD_WINDOW`]; after it, stop.
async fn reload(inst: &Instance, k8s: &Kubernetes, cx: &Context) -> Result<()> {
    let issued = cx.db.certificate_issued_at(inst.id).await?;
    let window = chrono::Duration::from_std(RELOAD_WINDOW).map_err(anyhow::Error::from)?;
    if issued.is_none_or(|at| Utc::now() - at > window) {
        return cx.db.certificate_reloaded(inst.id).await;
    }
    let endpoint = k8s
        .endpoint(&inst.resource_name())
        .await?
        .ok_or_else(|| Error::Other(anyhow::anyhow!("the load balancer has no address")))?;
    let opts = PgConnectOptions::new()
        .host(&endpoint.address)
        .port(endpoint.port)
        .username(providers::kubernetes::manifests::SUPERUSER)
        .password(&cx.db.instance_superuser_password(inst.id).await?)
        .database("postgres")
        .application_name("toygres-reload")
        .options([providers::login::PINNED_SEARCH_PATH])
        .disable_statement_logging();
    let opts = tls::client_options(opts, inst, cx.tls.pem());
    let mut conn = tokio::time::timeout(CONNECT_TIMEOUT, sqlx::PgConnection::connect_with(&opts))
        .await
        .map_err(|_| anyhow::anyhow!("no answer within {CONNECT_TIMEOUT:?}"))?
        .map_err(|e| anyhow::anyhow!("connect as the superuser: {e}"))?;
    sqlx::query("SELECT pg_catalog.pg_reload_conf()")
        .execute(&mut conn)
        .await?;
    let _ = conn.close().await;
    Ok(())
}

/// The health sweep's drift check: an object of a running instance deleted or changed behind
/// our back is reported as an event, and a `recover_instance` operation applies it again.
pub async fn check_drift(cx: &Context) -> Result<()> {
    let Some(k8s) = cx.kubernetes.as_ref() else {
        return Ok(());
    };
    for inst in cx.db.kubernetes_instances_to_reconcile().await? {
        let desired = render(&spec(&inst, true, k8s, cx).await?);
        let drift = match k8s.drift(&desired).await {
            Ok(drift) => drift,
            Err(e) => {
                tracing::warn!(instance = %inst.id, "check drift: {e:#}");
                continue;
            }
        };
        if drift.is_empty() {
            continue;
        }
        match super::change(&cx.db, inst.id, Kind::RecoverInstance, None).await {
            Ok(op) => {
                let message = format!(
                    "changed outside Toygres, applying again: {}",
                    drift.join("; ")
                );
                tracing::warn!(instance = %inst.id, operation = %op.id, "{message}");
                event(cx, &inst, "drift_detected", "warning", &message).await?;
            }
            // Another operation is on it already (perhaps the repair), or it changed state.
            Err(Error::Conflict(_) | Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Kubernetes path runs the script psql runs on a host, over a connection: names and
    /// a password with quotes, backslashes and `$$` make a role that logs in with that
    /// password, into the database it owns; run again, the password changes.
    #[tokio::test]
    async fn a_login_with_quotes_backslashes_and_dollars_is_made_over_a_connection() {
        let host = testkit::local_host();
        let major = *host.versions().last().expect("a PostgreSQL version");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let name = "tg-kubelogin";
        host.ensure_data_dir(name, major).await.unwrap();
        host.ensure_running(name, major, port, None).await.unwrap();
        let superuser = PgConnectOptions::new()
            .socket(host.instance_dir(name))
            .port(port)
            .username(providers::host::SUPERUSER);
        let first = Login {
            username: "o'brien \"the\" \\ $$user$$",
            password: "it's a 'quoted' pass\\word $$ $tg$ ;--",
            database: "db $$ 'x' \"y\" \\",
        };
        create_login(superuser.clone(), &first).await.unwrap();
        let second = Login {
            password: "$$'\\'$$ another",
            ..first
        };
        create_login(superuser, &second).await.unwrap();

        let as_user = |password: &str| {
            PgConnectOptions::new()
                .host("127.0.0.1")
                .port(port)
                .username(first.username)
                .password(password)
                .database(first.database)
        };
        let mut conn = sqlx::PgConnection::connect_with(&as_user(second.password))
            .await
            .unwrap();
        let (user, database, owner): (String, String, String) = sqlx::query_as(
            "SELECT current_user::text, current_database()::text, \
             (SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = current_database())",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert_eq!(
            (user.as_str(), database.as_str(), owner.as_str()),
            (first.username, first.database, first.username)
        );
        conn.close().await.unwrap();
        assert!(
            sqlx::PgConnection::connect_with(&as_user(first.password))
                .await
                .is_err(),
            "the old password is gone"
        );
        host.remove(name).await.unwrap();
    }
}
