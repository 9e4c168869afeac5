//! An in-process Kubernetes API server for tests: the core/v1 and apps/v1 resources the
//! provider uses (Secrets, Services, Pods, PersistentVolumeClaims, StatefulSets), served over
//! real HTTP at a loopback address, with a StatefulSet controller and a kubelet.
//!
//! The kubelet either simulates pods ([`Kubelet::Simulated`]: a pod turns ready after a few
//! reads) or runs each pod as a real PostgreSQL server from the installed binaries
//! ([`Kubelet::Postgres`]), initialized as the official image does (`POSTGRES_USER`,
//! `POSTGRES_PASSWORD` from the Secret the pod names), its data on the pod's claim, its Secret
//! volumes written as the kubelet writes them (and refreshed when the Secrets change), run
//! with the container's `-c` arguments, listening on a loopback address of its own at port
//! 5432. A LoadBalancer Service's address is its
//! pod's address, so clients reach the server through the Service, as in a cluster.
//!
//! Requests are checked as a real API server would (path, kind, apiVersion, name, namespace,
//! server-side apply's content type, field manager and force); what fails is answered with a
//! `Status` and recorded in [`FakeKube::violations`]. Faults are injected with
//! [`FakeKube::fail_next`] and [`FakeKube::fail_image`]; objects are changed behind the
//! provider's back with [`FakeKube::remove`] and [`FakeKube::edit`].
//!
//! # Layout
//! * here: the server's state ([`FakeKube`], the store) and what tests ask of it.
//! * `api`: the answers to requests: routing, lists, gets, server-side apply, deletes.
//! * `kubelet`: the controllers and the kubelet, which runs pods through `PgHost`.

use std::collections::{BTreeMap, HashMap};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use axum::http::Method;
use providers::local::RunAs;
use serde_json::{Value, json};

/// The resources served: (plural, apiVersion, kind).
const RESOURCES: &[(&str, &str, &str)] = &[
    ("secrets", "v1", "Secret"),
    ("services", "v1", "Service"),
    ("pods", "v1", "Pod"),
    ("persistentvolumeclaims", "v1", "PersistentVolumeClaim"),
    ("statefulsets", "apps/v1", "StatefulSet"),
];

/// The bearer token the fake's kubeconfig carries and the fake requires.
pub const TOKEN: &str = "fake-kube-token";

/// How pods run.
#[derive(Clone, Debug)]
pub enum Kubelet {
    /// Nothing runs: a new pod is `ContainerCreating` for its first `ready_after` reads, then
    /// running and ready.
    Simulated {
        /// Reads of a new pod before it is ready.
        ready_after: u32,
    },
    /// Each pod is a real PostgreSQL server, its claims' data under `root`.
    Postgres {
        /// Where claims keep their data.
        root: PathBuf,
    },
}

/// What one request was.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// The method.
    pub method: String,
    /// Path and query.
    pub uri: String,
    /// The status answered.
    pub status: u16,
}

#[derive(Debug)]
struct Fault {
    method: Method,
    path_contains: String,
    remaining: u32,
    code: u16,
}

#[derive(Default)]
struct Store {
    /// (plural, namespace, name) → object.
    objects: BTreeMap<(String, String, String), Value>,
    resource_version: u64,
    uid: u64,
    /// Reads of each simulated pod so far.
    pod_reads: HashMap<String, u32>,
    /// Instance id → its loopback address.
    addresses: HashMap<String, Ipv4Addr>,
    /// Image substring → (reason, message).
    image_failures: Vec<(String, String, String)>,
}

struct Shared {
    store: Mutex<Store>,
    requests: Mutex<Vec<Recorded>>,
    violations: Mutex<Vec<String>>,
    faults: Mutex<Vec<Fault>>,
    kubelet: Kubelet,
    /// Pod key → the server running it.
    servers: tokio::sync::Mutex<HashMap<String, PodServer>>,
    /// The kubelet's queue of work, done in order, as one node would.
    node: tokio::sync::mpsc::UnboundedSender<Plan>,
    run_as: Option<RunAs>,
    /// Held while pods' Secret volumes are written, one writer at a time.
    volume_writes: Mutex<()>,
}

/// A running fake API server. Dropping it stops the server and every pod's process.
pub struct FakeKube {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
    kubelet: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for FakeKube {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeKube")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl FakeKube {
    /// Serve on an ephemeral loopback port.
    pub async fn start(kubelet: Kubelet) -> anyhow::Result<FakeKube> {
        Self::start_on(kubelet, 0).await
    }

    /// Serve on `port` of 127.0.0.1 (0: any).
    pub async fn start_on(kubelet: Kubelet, port: u16) -> anyhow::Result<FakeKube> {
        let run_as = match &kubelet {
            Kubelet::Postgres { root } => {
                std::fs::create_dir_all(root)
                    .with_context(|| format!("create {}", root.display()))?;
                open_up(root)?;
                RunAs::resolve("postgres")?
            }
            Kubelet::Simulated { .. } => None,
        };
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .with_context(|| format!("listen on 127.0.0.1:{port}"))?;
        let addr = listener.local_addr()?;
        let (node, work) = tokio::sync::mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            store: Mutex::new(Store::default()),
            requests: Mutex::default(),
            violations: Mutex::default(),
            faults: Mutex::default(),
            kubelet,
            servers: tokio::sync::Mutex::default(),
            node,
            run_as,
            volume_writes: Mutex::default(),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!("the fake Kubernetes API stopped: {e}");
            }
        });
        let kubelet = tokio::spawn(run_kubelet(Arc::downgrade(&shared), work));
        Ok(FakeKube {
            addr,
            shared,
            server,
            kubelet,
        })
    }

    /// The API server's URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A client of the fake.
    pub fn client(&self) -> kube::Client {
        let mut config = kube::Config::new(self.url().parse().expect("a valid URL"));
        config.auth_info.token = Some(TOKEN.to_owned().into());
        kube::Client::try_from(config).expect("a client of the fake API")
    }

    /// Write a kubeconfig for the fake into `dir`, with one context `fake`, and return its path.
    pub fn write_kubeconfig(&self, dir: &Path) -> anyhow::Result<PathBuf> {
        let path = dir.join("kubeconfig");
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\ncurrent-context: fake\nusers:\n- name: fake\n  user:\n    token: {TOKEN}\n",
            self.url()
        );
        std::fs::write(&path, text).with_context(|| format!("write {}", path.display()))?;
        Ok(path)
    }

    /// Every object of a resource (`secrets`, `statefulsets` …) in every namespace.
    pub fn objects(&self, plural: &str) -> Vec<Value> {
        let store = self.shared.store.lock().unwrap();
        store
            .objects
            .iter()
            .filter(|((p, _, _), _)| p == plural)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// One object.
    pub fn object(&self, plural: &str, namespace: &str, name: &str) -> Option<Value> {
        let store = self.shared.store.lock().unwrap();
        store
            .objects
            .get(&(plural.into(), namespace.into(), name.into()))
            .cloned()
    }

    /// Delete an object behind the provider's back (a StatefulSet takes its pod with it).
    pub async fn remove(&self, plural: &str, namespace: &str, name: &str) -> bool {
        let removed = self
            .shared
            .store
            .lock()
            .unwrap()
            .objects
            .remove(&(plural.into(), namespace.into(), name.into()))
            .is_some();
        reconcile(&self.shared).await;
        removed
    }

    /// Change an object behind the provider's back.
    pub async fn edit(
        &self,
        plural: &str,
        namespace: &str,
        name: &str,
        f: impl FnOnce(&mut Value),
    ) {
        {
            let mut store = self.shared.store.lock().unwrap();
            let rv = store.next_rv();
            if let Some(obj) =
                store
                    .objects
                    .get_mut(&(plural.into(), namespace.into(), name.into()))
            {
                f(obj);
                obj["metadata"]["resourceVersion"] = json!(rv);
            }
        }
        reconcile(&self.shared).await;
    }

    /// Answer the next `n` requests whose method is `method` and whose path contains
    /// `path_contains` with `code` (409, 429, 500, 503 …) and a Status saying so.
    pub fn fail_next(&self, method: Method, path_contains: &str, n: u32, code: u16) {
        self.shared.faults.lock().unwrap().push(Fault {
            method,
            path_contains: path_contains.into(),
            remaining: n,
            code,
        });
    }

    /// Pods whose image contains `image` do not start: their container waits with `reason`
    /// (`ImagePullBackOff`, `CrashLoopBackOff` …) and `message`.
    pub fn fail_image(&self, image: &str, reason: &str, message: &str) {
        self.shared.store.lock().unwrap().image_failures.push((
            image.into(),
            reason.into(),
            message.into(),
        ));
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// Requests that a real API server would have refused, and why.
    pub fn violations(&self) -> Vec<String> {
        self.shared.violations.lock().unwrap().clone()
    }

    /// Stop every pod's server now (also done on drop, less gently).
    pub async fn shutdown(&self) {
        let servers: Vec<_> = self.shared.servers.lock().await.drain().collect();
        for (_, server) in servers {
            server.stop().await;
        }
    }
}

/// TLS files for an instance's Secret reached at `names`: a certificate of a CA made for them
/// alone, as the control plane's CA would issue.
pub fn tls_files(names: &[String]) -> providers::kubernetes::TlsFiles {
    let ca = jobs::tls::Authority::ephemeral().expect("a CA in memory");
    let issued = ca.issue(names).expect("a certificate");
    providers::kubernetes::TlsFiles {
        certificate: issued.certificate,
        key: issued.key.to_string(),
        ca: ca.pem().to_owned(),
    }
}

impl Drop for FakeKube {
    fn drop(&mut self) {
        self.server.abort();
        self.kubelet.abort();
        if let Ok(mut servers) = self.shared.servers.try_lock() {
            for (_, server) in servers.drain() {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(server.pid),
                    nix::sys::signal::Signal::SIGQUIT,
                );
            }
        }
    }
}

impl Store {
    fn next_rv(&mut self) -> String {
        self.resource_version += 1;
        self.resource_version.to_string()
    }

    fn next_uid(&mut self) -> String {
        self.uid += 1;
        format!("00000000-0000-4000-8000-{:012x}", self.uid)
    }

    /// The loopback address of an instance's pod (and of its load balancer): a random one in
    /// 127.0.0.0/8 whose port 5432 is free, so that fakes in parallel test processes differ.
    fn address(&mut self, instance: &str) -> Ipv4Addr {
        if let Some(ip) = self.addresses.get(instance) {
            return *ip;
        }
        let ip = loop {
            let [a, b, c]: [u8; 3] = rand::random();
            let ip = Ipv4Addr::new(127, a.clamp(16, 250), b, c.clamp(2, 250));
            if self.addresses.values().all(|v| *v != ip)
                && std::net::TcpListener::bind((ip, 5432)).is_ok()
            {
                break ip;
            }
        };
        self.addresses.insert(instance.into(), ip);
        ip
    }
}

mod api;
mod kubelet;

use api::*;
use kubelet::*;
