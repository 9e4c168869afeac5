//! Postgres instances on Kubernetes: the `kubernetes` provider.
//!
//! Per instance, in one namespace, applied with server-side apply under one field manager
//! ([`FIELD_MANAGER`]) and labelled with the instance's id ([`INSTANCE_ID_LABEL`]):
//!
//! ```text
//! Secret       <name>        password, superuser-password
//! Secret       <name>-tls    kubernetes.io/tls: tls.crt, tls.key (the server's), ca.crt
//! Service      <name>-hl     headless, gives the pod its DNS name
//! Service      <name>        what clients connect to (ClusterIP or LoadBalancer)
//! StatefulSet  <name>        one replica (none when stopped) of the official postgres image,
//!                            a PVC `data-<name>-0` from its claim template, the TLS Secret
//!                            mounted at /etc/toygres/tls and `ssl=on`
//! ```
//!
//! Every call here is idempotent (apply, delete of what may be gone, reads), so callers retry
//! freely; calls that fail on a 429, a 5xx or a connection error are retried here first, a few
//! times with backoff. What [`render`](manifests::render) returns is what is applied, which is
//! also what `toygres kubernetes manifests` prints.

pub mod manifests;

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use anyhow::anyhow;
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod, Secret, Service};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use manifests::{
    INSTANCE_ID_LABEL, ImageSource, InstanceSpec, Manifests, POSTGRES_PORT, Resources, ServiceType,
    TlsFiles, render,
};

use crate::{Error, Result};

/// The field manager of every apply: one owner for every field we set.
pub const FIELD_MANAGER: &str = "toygres";

/// How many times a call that failed transiently is tried in all, here, before the caller sees
/// the error (and its workflow retries later).
const ATTEMPTS: u32 = 4;
/// The first backoff between tries; doubled each time.
const BACKOFF: Duration = Duration::from_millis(250);

/// Where the provider puts instances and how it shapes them.
#[derive(Clone, Debug)]
pub struct KubeSettings {
    /// The namespace of every instance's objects (`toygres`).
    pub namespace: String,
    /// The volumes' storage class; the cluster's default when `None`.
    pub storage_class: Option<String>,
    /// The client Service's type, unless an instance asks otherwise.
    pub service_type: ServiceType,
    /// Where images come from.
    pub image: ImageSource,
    /// Keep the PVC when an instance is deleted, unless the delete says otherwise.
    pub retain_pvc: bool,
    /// How long a pod may take to become ready before the operation gives up.
    pub ready_timeout: Duration,
}

impl Default for KubeSettings {
    fn default() -> Self {
        Self {
            namespace: "toygres".into(),
            storage_class: None,
            service_type: ServiceType::ClusterIp,
            image: ImageSource::default(),
            retain_pvc: false,
            ready_timeout: Duration::from_secs(600),
        }
    }
}

/// Where an instance's pod is in its life, as Kubernetes reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PodState {
    /// No pod: not made yet, or scaled to zero.
    Absent,
    /// Being deleted.
    Terminating,
    /// Not scheduled yet; `reason` is Kubernetes's (`Unschedulable` …) when it gave one.
    Pending {
        /// Kubernetes's reason.
        reason: Option<String>,
        /// Kubernetes's message.
        message: Option<String>,
    },
    /// Scheduled, the container not running: `ContainerCreating`, `ImagePullBackOff`,
    /// `CrashLoopBackOff` …
    Waiting {
        /// Kubernetes's reason.
        reason: String,
        /// Kubernetes's message.
        message: Option<String>,
    },
    /// The container runs; `ready` when its readiness probe passes.
    Running {
        /// The pod's `Ready` condition.
        ready: bool,
        /// How often the container restarted.
        restarts: i32,
    },
    /// The pod ended (`Failed` or `Succeeded`), which a StatefulSet replaces.
    Ended {
        /// Kubernetes's reason.
        reason: Option<String>,
    },
}

impl PodState {
    /// A problem a person should see (an image that cannot be pulled, a crash loop, no node
    /// to run on), as `Reason: message`; `None` while all is well or merely in progress.
    pub fn problem(&self) -> Option<String> {
        const PROBLEMS: &[&str] = &[
            "CrashLoopBackOff",
            "ImagePullBackOff",
            "ErrImagePull",
            "InvalidImageName",
            "CreateContainerConfigError",
            "CreateContainerError",
            "RunContainerError",
        ];
        let with_message = |reason: &str, message: &Option<String>| match message {
            Some(m) if !m.is_empty() => format!("{reason}: {m}"),
            _ => reason.to_owned(),
        };
        match self {
            PodState::Waiting { reason, message } if PROBLEMS.contains(&reason.as_str()) => {
                Some(with_message(reason, message))
            }
            PodState::Pending {
                reason: Some(reason),
                message,
            } => Some(with_message(reason, message)),
            PodState::Ended { reason } => Some(format!(
                "the pod ended ({})",
                reason.as_deref().unwrap_or("no reason given")
            )),
            _ => None,
        }
    }

    /// Running and ready.
    pub fn is_ready(&self) -> bool {
        matches!(self, PodState::Running { ready: true, .. })
    }

    /// Read a pod's state from its status.
    pub fn of(pod: &Pod) -> Self {
        if pod.metadata.deletion_timestamp.is_some() {
            return PodState::Terminating;
        }
        let Some(status) = &pod.status else {
            return PodState::Pending {
                reason: None,
                message: None,
            };
        };
        let condition = |kind: &str| status.conditions.iter().flatten().find(|c| c.type_ == kind);
        let container = status
            .container_statuses
            .iter()
            .flatten()
            .find(|c| c.name == "postgres");
        if let Some(waiting) = container
            .and_then(|c| c.state.as_ref())
            .and_then(|s| s.waiting.as_ref())
        {
            return PodState::Waiting {
                reason: waiting.reason.clone().unwrap_or_else(|| "Waiting".into()),
                message: waiting.message.clone(),
            };
        }
        match status.phase.as_deref() {
            Some("Running") => PodState::Running {
                ready: condition("Ready").is_some_and(|c| c.status == "True"),
                restarts: container.map_or(0, |c| c.restart_count),
            },
            Some("Failed" | "Succeeded") => PodState::Ended {
                reason: status.reason.clone(),
            },
            _ => match condition("PodScheduled") {
                Some(c) if c.status == "False" => PodState::Pending {
                    reason: c.reason.clone(),
                    message: c.message.clone(),
                },
                _ => PodState::Pending {
                    reason: None,
                    message: None,
                },
            },
        }
    }
}

/// Where clients connect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// A load balancer's address, or the Service's cluster DNS name: what the instance
    /// row's `host` records.
    pub address: String,
    /// The Service's port.
    pub port: u16,
}

/// The Kubernetes provider: a client of one cluster, and its settings.
#[derive(Clone)]
pub struct Kubernetes {
    client: kube::Client,
    settings: KubeSettings,
}

impl std::fmt::Debug for Kubernetes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kubernetes")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// How to find the cluster's credentials.
#[derive(Clone, Debug, Default)]
pub struct KubeSource<'a> {
    /// A kubeconfig file; otherwise `$KUBECONFIG`, `~/.kube/config`, then in-cluster.
    pub kubeconfig: Option<&'a Path>,
    /// A context of the kubeconfig; its current one otherwise.
    pub context: Option<&'a str>,
}

impl Kubernetes {
    /// Connect with credentials from `source`. Fails when none are found or they are invalid;
    /// contacts the cluster only on the first call.
    pub async fn connect(source: KubeSource<'_>, settings: KubeSettings) -> Result<Self> {
        crate::install_crypto_provider();
        let options = KubeConfigOptions {
            context: source.context.map(str::to_owned),
            ..KubeConfigOptions::default()
        };
        let config = match source.kubeconfig {
            Some(path) => {
                let kubeconfig = Kubeconfig::read_from(path).map_err(|e| {
                    Error::Permanent(anyhow!("read kubeconfig {}: {e}", path.display()))
                })?;
                kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                    .await
                    .map_err(|e| {
                        Error::Permanent(anyhow!("use kubeconfig {}: {e}", path.display()))
                    })?
            }
            None if source.context.is_some() => kube::Config::from_kubeconfig(&options)
                .await
                .map_err(|e| Error::Permanent(anyhow!("use kubeconfig: {e}")))?,
            None => kube::Config::infer()
                .await
                .map_err(|e| Error::Permanent(anyhow!("find Kubernetes credentials: {e}")))?,
        };
        let client = kube::Client::try_from(config)
            .map_err(|e| Error::Permanent(anyhow!("make a Kubernetes client: {e}")))?;
        Ok(Self::with_client(client, settings))
    }

    /// A provider on an existing client.
    pub fn with_client(client: kube::Client, settings: KubeSettings) -> Self {
        Self { client, settings }
    }

    /// The settings.
    pub fn settings(&self) -> &KubeSettings {
        &self.settings
    }

    fn api<K>(&self) -> Api<K>
    where
        K: kube::Resource<Scope = NamespaceResourceScope, DynamicType = ()>,
    {
        Api::namespaced(self.client.clone(), &self.settings.namespace)
    }

    /// Apply an instance's objects with server-side apply: creates what is missing, brings
    /// what differs back to the spec. Refuses to take over an object of the same name that
    /// is not the instance's (another instance's, or someone's own).
    pub async fn apply(&self, m: &Manifests) -> Result<()> {
        let id = instance_id(&m.statefulset.metadata)?;
        self.apply_one::<Secret>(&m.secret, &id).await?;
        self.apply_one::<Secret>(&m.tls, &id).await?;
        self.apply_one::<Service>(&m.headless, &id).await?;
        self.apply_one::<Service>(&m.client, &id).await?;
        self.apply_one::<StatefulSet>(&m.statefulset, &id).await?;
        Ok(())
    }

    /// Apply the Services of `m` alone: made first, a load balancer that gets its address at
    /// once has it before the certificate the pod starts with is issued.
    pub async fn apply_services(&self, m: &Manifests) -> Result<()> {
        let id = instance_id(&m.statefulset.metadata)?;
        self.apply_one::<Service>(&m.headless, &id).await?;
        self.apply_one::<Service>(&m.client, &id).await
    }

    /// Apply the TLS Secret of `m` alone (a renewed certificate): a running pod's kubelet
    /// refreshes the mounted files, and nothing else changes.
    pub async fn apply_tls(&self, m: &Manifests) -> Result<()> {
        let id = instance_id(&m.statefulset.metadata)?;
        self.apply_one::<Secret>(&m.tls, &id).await
    }

    async fn apply_one<K>(&self, object: &K, id: &str) -> Result<()>
    where
        K: kube::Resource<Scope = NamespaceResourceScope, DynamicType = ()>
            + Clone
            + std::fmt::Debug
            + Serialize
            + DeserializeOwned,
    {
        let api = self.api::<K>();
        let name = object.meta().name.clone().unwrap_or_default();
        let kind = K::kind(&());
        if let Some(live) = retry(|| api.get_opt(&name))
            .await
            .map_err(|e| classify(&e, &kind, &name))?
        {
            let owner = live
                .meta()
                .labels
                .as_ref()
                .and_then(|l| l.get(INSTANCE_ID_LABEL));
            if owner.map(String::as_str) != Some(id) {
                return Err(Error::Permanent(anyhow!(
                    "{kind} {name} already exists in namespace {} and does not belong to this instance; Toygres will not take it over",
                    self.settings.namespace
                )));
            }
        }
        let params = PatchParams::apply(FIELD_MANAGER).force();
        let patch = Patch::Apply(object);
        retry(|| api.patch(&name, &params, &patch))
            .await
            .map_err(|e| classify(&e, &kind, &name))?;
        Ok(())
    }

    /// The pod's state.
    pub async fn pod(&self, name: &str) -> Result<PodState> {
        let pod_name = manifests::pod_name(name);
        let api = self.api::<Pod>();
        let pod = retry(|| api.get_opt(&pod_name))
            .await
            .map_err(|e| classify(&e, "Pod", &pod_name))?;
        Ok(pod.as_ref().map_or(PodState::Absent, PodState::of))
    }

    /// Delete the pod so that its StatefulSet starts a new one (a restart), unless the pod
    /// was made at or after `not_before` (seconds since the epoch): a retried restart does
    /// not restart twice. Returns whether it deleted.
    pub async fn restart_pod(&self, name: &str, not_before: i64) -> Result<bool> {
        let pod_name = manifests::pod_name(name);
        let api = self.api::<Pod>();
        let Some(pod) = retry(|| api.get_opt(&pod_name))
            .await
            .map_err(|e| classify(&e, "Pod", &pod_name))?
        else {
            return Ok(false);
        };
        let created = pod
            .metadata
            .creation_timestamp
            .as_ref()
            .map_or(i64::MIN, |t| t.0.as_second());
        if created >= not_before || pod.metadata.deletion_timestamp.is_some() {
            return Ok(false);
        }
        let dp = DeleteParams::default();
        ignore_missing(retry(|| api.delete(&pod_name, &dp)).await)
            .map_err(|e| classify(&e, "Pod", &pod_name))?;
        Ok(true)
    }

    /// Where clients connect: the load balancer's address once it has one, or the Service's
    /// cluster DNS name. `None` while a load balancer is being made.
    pub async fn endpoint(&self, name: &str) -> Result<Option<Endpoint>> {
        let api = self.api::<Service>();
        let service = retry(|| api.get(name))
            .await
            .map_err(|e| classify(&e, "Service", name))?;
        let is_lb = service
            .spec
            .as_ref()
            .and_then(|s| s.type_.as_deref())
            .is_some_and(|t| t == "LoadBalancer");
        let port = service
            .spec
            .as_ref()
            .and_then(|s| s.ports.as_ref())
            .and_then(|p| p.first())
            .and_then(|p| u16::try_from(p.port).ok())
            .unwrap_or(POSTGRES_PORT);
        if !is_lb {
            return Ok(Some(Endpoint {
                address: format!("{name}.{}.svc", self.settings.namespace),
                port,
            }));
        }
        let ingress = service
            .status
            .as_ref()
            .and_then(|s| s.load_balancer.as_ref())
            .and_then(|lb| lb.ingress.as_ref())
            .and_then(|i| i.first());
        Ok(ingress
            .and_then(|i| i.ip.clone().or_else(|| i.hostname.clone()))
            .map(|address| Endpoint { address, port }))
    }

    /// Delete an instance's objects, and its PVC unless `retain_pvc`. What is already gone is
    /// fine. Deletion finishes in the background: [`remaining`](Self::remaining) says when.
    pub async fn delete(&self, name: &str, instance_id: &str, retain_pvc: bool) -> Result<()> {
        let dp = DeleteParams::background();
        let sts = self.api::<StatefulSet>();
        ignore_missing(retry(|| sts.delete(name, &dp)).await)
            .map_err(|e| classify(&e, "StatefulSet", name))?;
        let services = self.api::<Service>();
        for svc in [name.to_owned(), manifests::headless_name(name)] {
            ignore_missing(retry(|| services.delete(&svc, &dp)).await)
                .map_err(|e| classify(&e, "Service", &svc))?;
        }
        let secrets = self.api::<Secret>();
        for secret in [name.to_owned(), manifests::tls_name(name)] {
            ignore_missing(retry(|| secrets.delete(&secret, &dp)).await)
                .map_err(|e| classify(&e, "Secret", &secret))?;
        }
        if !retain_pvc {
            let pvcs = self.api::<PersistentVolumeClaim>();
            for claim in self.claims(instance_id).await? {
                ignore_missing(retry(|| pvcs.delete(&claim, &dp)).await)
                    .map_err(|e| classify(&e, "PersistentVolumeClaim", &claim))?;
            }
        }
        Ok(())
    }

    /// The names of an instance's PVCs, found by its label.
    pub async fn claims(&self, instance_id: &str) -> Result<Vec<String>> {
        let pvcs = self.api::<PersistentVolumeClaim>();
        let lp = ListParams::default().labels(&format!("{INSTANCE_ID_LABEL}={instance_id}"));
        let list = retry(|| pvcs.list(&lp))
            .await
            .map_err(|e| classify(&e, "PersistentVolumeClaim", instance_id))?;
        Ok(list
            .items
            .into_iter()
            .filter_map(|c| c.metadata.name)
            .collect())
    }

    /// What of an instance is still there after [`delete`](Self::delete), as `Kind/name`.
    pub async fn remaining(
        &self,
        name: &str,
        instance_id: &str,
        retain_pvc: bool,
    ) -> Result<Vec<String>> {
        let mut left = Vec::new();
        if self.exists::<StatefulSet>(name).await? {
            left.push(format!("StatefulSet/{name}"));
        }
        let pod = manifests::pod_name(name);
        if self.exists::<Pod>(&pod).await? {
            left.push(format!("Pod/{pod}"));
        }
        for svc in [name.to_owned(), manifests::headless_name(name)] {
            if self.exists::<Service>(&svc).await? {
                left.push(format!("Service/{svc}"));
            }
        }
        for secret in [name.to_owned(), manifests::tls_name(name)] {
            if self.exists::<Secret>(&secret).await? {
                left.push(format!("Secret/{secret}"));
            }
        }
        if !retain_pvc {
            left.extend(
                self.claims(instance_id)
                    .await?
                    .into_iter()
                    .map(|c| format!("PersistentVolumeClaim/{c}")),
            );
        }
        Ok(left)
    }

    async fn exists<K>(&self, name: &str) -> Result<bool>
    where
        K: kube::Resource<Scope = NamespaceResourceScope, DynamicType = ()>
            + Clone
            + std::fmt::Debug
            + DeserializeOwned,
    {
        let api = self.api::<K>();
        let kind = K::kind(&());
        Ok(retry(|| api.get_metadata_opt(name))
            .await
            .map_err(|e| classify(&e, &kind, name))?
            .is_some())
    }

    /// How the live objects differ from `m` in what we set: missing objects, and changed
    /// replicas, image, arguments, TLS mount, resources, service type, ports, passwords or
    /// certificate. Empty when in step.
    pub async fn drift(&self, m: &Manifests) -> Result<Vec<String>> {
        let mut drift = Vec::new();
        let name = m.statefulset.metadata.name.clone().unwrap_or_default();

        let secrets = self.api::<Secret>();
        for want in [&m.secret, &m.tls] {
            let secret = want.metadata.name.clone().unwrap_or_default();
            match retry(|| secrets.get_opt(&secret))
                .await
                .map_err(|e| classify(&e, "Secret", &secret))?
            {
                None => drift.push(format!("Secret/{secret} is missing")),
                Some(live) => {
                    let have = live.data.unwrap_or_default();
                    for (key, value) in want.string_data.iter().flatten() {
                        if have.get(key).map(|b| b.0.as_slice()) != Some(value.as_bytes()) {
                            drift.push(format!("Secret/{secret} key {key} was changed"));
                        }
                    }
                }
            }
        }

        let services = self.api::<Service>();
        for want in [&m.headless, &m.client] {
            let svc = want.metadata.name.clone().unwrap_or_default();
            match retry(|| services.get_opt(&svc))
                .await
                .map_err(|e| classify(&e, "Service", &svc))?
            {
                None => drift.push(format!("Service/{svc} is missing")),
                Some(live) => {
                    let (want, have) = (
                        want.spec.clone().unwrap_or_default(),
                        live.spec.unwrap_or_default(),
                    );
                    if want.type_.is_some() && want.type_ != have.type_ {
                        drift.push(format!(
                            "Service/{svc} type is {}, not {}",
                            have.type_.as_deref().unwrap_or("unset"),
                            want.type_.as_deref().unwrap_or("unset")
                        ));
                    }
                    if want.selector != have.selector {
                        drift.push(format!("Service/{svc} selector was changed"));
                    }
                    let ports = |s: &k8s_openapi::api::core::v1::ServiceSpec| {
                        s.ports.iter().flatten().map(|p| p.port).collect::<Vec<_>>()
                    };
                    if ports(&want) != ports(&have) {
                        drift.push(format!("Service/{svc} ports were changed"));
                    }
                }
            }
        }

        let sets = self.api::<StatefulSet>();
        match retry(|| sets.get_opt(&name))
            .await
            .map_err(|e| classify(&e, "StatefulSet", &name))?
        {
            None => drift.push(format!("StatefulSet/{name} is missing")),
            Some(live) => {
                let want = m.statefulset.spec.clone().unwrap_or_default();
                let have = live.spec.unwrap_or_default();
                if want.replicas != have.replicas {
                    drift.push(format!(
                        "StatefulSet/{name} has {} replicas, not {}",
                        have.replicas.unwrap_or(1),
                        want.replicas.unwrap_or(1)
                    ));
                }
                let container = |s: &k8s_openapi::api::apps::v1::StatefulSetSpec| {
                    s.template
                        .spec
                        .as_ref()
                        .and_then(|p| p.containers.iter().find(|c| c.name == "postgres"))
                        .cloned()
                };
                match (container(&want), container(&have)) {
                    (Some(w), Some(h)) => {
                        if w.image != h.image {
                            drift.push(format!(
                                "StatefulSet/{name} image is {}, not {}",
                                h.image.as_deref().unwrap_or("unset"),
                                w.image.as_deref().unwrap_or("unset")
                            ));
                        }
                        if w.resources != h.resources {
                            drift.push(format!("StatefulSet/{name} resources were changed"));
                        }
                        if w.args != h.args {
                            drift.push(format!("StatefulSet/{name} arguments were changed"));
                        }
                        let mount = |c: &k8s_openapi::api::core::v1::Container| {
                            c.volume_mounts
                                .iter()
                                .flatten()
                                .find(|v| v.name == "tls")
                                .map(|v| v.mount_path.clone())
                        };
                        let secret = |s: &k8s_openapi::api::apps::v1::StatefulSetSpec| {
                            s.template
                                .spec
                                .as_ref()
                                .and_then(|p| p.volumes.iter().flatten().find(|v| v.name == "tls"))
                                .and_then(|v| v.secret.as_ref())
                                .and_then(|s| s.secret_name.clone())
                        };
                        if mount(&w) != mount(&h) || secret(&want) != secret(&have) {
                            drift.push(format!(
                                "StatefulSet/{name} does not mount Secret/{}",
                                manifests::tls_name(&name)
                            ));
                        }
                    }
                    _ => drift.push(format!("StatefulSet/{name} has no postgres container")),
                }
            }
        }
        Ok(drift)
    }
}

/// The instance id label of an object we render.
fn instance_id(
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
) -> Result<String> {
    meta.labels
        .as_ref()
        .and_then(|l| l.get(INSTANCE_ID_LABEL))
        .cloned()
        .ok_or_else(|| {
            Error::Permanent(anyhow!("rendered object has no {INSTANCE_ID_LABEL} label"))
        })
}

/// Whether a failed call may succeed if tried again: throttling, a server error, a conflict
/// (another writer got there first), or no answer at all.
fn is_transient(e: &kube::Error) -> bool {
    match e {
        kube::Error::Api(status) => status.code == 409 || status.code == 429 || status.code >= 500,
        kube::Error::HyperError(_) | kube::Error::Service(_) => true,
        _ => false,
    }
}

/// Run `call` until it succeeds, fails for good, or has failed transiently [`ATTEMPTS`] times.
async fn retry<T, F, Fut>(mut call: F) -> Result<T, kube::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, kube::Error>>,
{
    let mut delay = BACKOFF;
    let mut attempt = 1;
    loop {
        match call().await {
            Err(e) if attempt < ATTEMPTS && is_transient(&e) => {
                tracing::debug!(attempt, "Kubernetes call failed, retrying: {e}");
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            other => return other,
        }
    }
}

fn ignore_missing<T>(r: Result<T, kube::Error>) -> Result<(), kube::Error> {
    match r {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(e),
    }
}

/// Sort a client error by what the caller should do, keeping Kubernetes's own reason and
/// message (which say, for a 403, which permission is missing).
fn classify(e: &kube::Error, kind: &str, name: &str) -> Error {
    match e {
        kube::Error::Api(s) if s.code == 404 => Error::NotFound {
            kind: "Kubernetes object",
            name: format!("{kind}/{name}"),
        },
        kube::Error::Api(s) => {
            let what = anyhow!(
                "Kubernetes answered {} {} for {kind}/{name}: {}",
                s.code,
                s.reason,
                s.message
            );
            if is_transient(e) {
                Error::Transient(what)
            } else {
                Error::Permanent(what)
            }
        }
        _ if is_transient(e) => {
            Error::Transient(anyhow!("reach Kubernetes for {kind}/{name}: {e}"))
        }
        _ => Error::Permanent(anyhow!("Kubernetes call for {kind}/{name} failed: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use tokio::time::Instant;

    use super::*;

    fn failure(code: u16) -> kube::Error {
        kube::Error::Api(
            kube::core::Status::failure("refused", "Testing")
                .with_code(code)
                .boxed(),
        )
    }

    /// When `retry` tried a call, after `start`, until the call's `n`th try answers `Ok`
    /// (never, for `None`); each try fails with `code`.
    async fn tries(
        code: u16,
        succeed_at: Option<usize>,
    ) -> (Result<usize, kube::Error>, Vec<Duration>) {
        let start = Instant::now();
        let at = Mutex::new(Vec::new());
        let at_ref = &at;
        let outcome = retry(move || async move {
            let mut at = at_ref.lock().unwrap();
            at.push(start.elapsed());
            match succeed_at {
                Some(n) if at.len() == n => Ok(n),
                _ => Err(failure(code)),
            }
        })
        .await;
        (outcome, at.into_inner().unwrap())
    }

    /// The waits between tries are timers alone, so the clock is paused and the test reads
    /// them exactly: 250 ms, then double each time; at most `ATTEMPTS` tries; a failure that
    /// retrying cannot help is not retried.
    #[tokio::test(start_paused = true)]
    async fn transient_failures_are_tried_again_after_doubling_waits_and_others_are_not() {
        let ms = Duration::from_millis;
        let (outcome, at) = tries(503, Some(3)).await;
        assert_eq!(outcome.unwrap(), 3);
        assert_eq!(at, [ms(0), ms(250), ms(750)]);

        let (outcome, at) = tries(429, None).await;
        assert!(matches!(outcome, Err(kube::Error::Api(s)) if s.code == 429));
        assert_eq!(at.len(), ATTEMPTS as usize);
        assert_eq!(at, [ms(0), ms(250), ms(750), ms(1750)]);

        let (outcome, at) = tries(403, None).await;
        assert!(matches!(outcome, Err(kube::Error::Api(s)) if s.code == 403));
        assert_eq!(at, [ms(0)]);
    }
}
