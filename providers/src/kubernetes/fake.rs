//! An in-process Kubernetes API server for tests: the core/v1 and apps/v1 resources the
//! provider uses (Secrets, Services, Pods, PersistentVolumeClaims, StatefulSets), served over
//! real HTTP at a loopback address, with a StatefulSet controller and a kubelet.
//!
//! The kubelet either simulates pods ([`Kubelet::Simulated`]: a pod turns ready after a few
//! reads) or runs each pod as a real PostgreSQL server from the installed binaries
//! ([`Kubelet::Postgres`]), initialized as the official image does (`POSTGRES_USER`,
//! `POSTGRES_PASSWORD` from the Secret the pod names), its data on the pod's claim, listening
//! on a loopback address of its own at port 5432. A LoadBalancer Service's address is its
//! pod's address, so clients reach the server through the Service, as in a cluster.
//!
//! Requests are checked as a real API server would (path, kind, apiVersion, name, namespace,
//! server-side apply's content type, field manager and force); what fails is answered with a
//! `Status` and recorded in [`FakeKube::violations`]. Faults are injected with
//! [`FakeKube::fail_next`] and [`FakeKube::fail_image`]; objects are changed behind the
//! provider's back with [`FakeKube::remove`] and [`FakeKube::edit`].

use std::collections::{BTreeMap, HashMap};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Value, json};

use crate::host::{PgHost, Serve};
use crate::local::{PgBinaries, RunAs};

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

fn now() -> String {
    // Kubernetes stamps objects to the second, truncated.
    let now = k8s_openapi::jiff::Timestamp::now().as_second();
    k8s_openapi::jiff::Timestamp::from_second(now)
        .map_or_else(|_| "1970-01-01T00:00:00Z".into(), |t| t.to_string())
}

fn status(code: u16, reason: &str, message: &str) -> Response {
    let body = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    });
    (
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        axum::Json(body),
    )
        .into_response()
}

fn reason_of(code: u16) -> &'static str {
    match code {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        409 => "Conflict",
        415 => "UnsupportedMediaType",
        422 => "Invalid",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        _ => "InternalError",
    }
}

/// Where a request points.
struct Target {
    plural: String,
    api_version: &'static str,
    kind: &'static str,
    namespace: String,
    name: Option<String>,
}

fn parse_path(path: &str) -> Option<Target> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group_version, rest) = match parts.as_slice() {
        ["api", "v1", rest @ ..] => ("v1", rest),
        ["apis", "apps", "v1", rest @ ..] => ("apps/v1", rest),
        _ => return None,
    };
    let (namespace, plural, name) = match rest {
        ["namespaces", ns, plural] => (*ns, *plural, None),
        ["namespaces", ns, plural, name] => (*ns, *plural, Some((*name).to_owned())),
        _ => return None,
    };
    let (_, api_version, kind) = RESOURCES
        .iter()
        .find(|(p, v, _)| *p == plural && *v == group_version)?;
    Some(Target {
        plural: plural.into(),
        api_version,
        kind,
        namespace: namespace.into(),
        name,
    })
}

fn query_map(uri: &Uri) -> HashMap<String, String> {
    uri.query()
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k.to_owned(), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match u8::from_str_radix(&s[i + 1..i + 3], 16) {
                Ok(b) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                Err(_) => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let response = answer(&shared, &method, &uri, &headers, &body).await;
    shared.requests.lock().unwrap().push(Recorded {
        method: method.to_string(),
        uri: uri.to_string(),
        status: response.status().as_u16(),
    });
    response
}

fn violation(shared: &Shared, code: u16, message: String) -> Response {
    let response = status(code, reason_of(code), &message);
    shared.violations.lock().unwrap().push(message);
    response
}

async fn answer(
    shared: &Arc<Shared>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if auth != format!("Bearer {TOKEN}") {
        return violation(
            shared,
            401,
            "Unauthorized: no or a wrong bearer token".into(),
        );
    }
    {
        let mut faults = shared.faults.lock().unwrap();
        if let Some(f) = faults.iter_mut().find(|f| {
            f.remaining > 0 && f.method == *method && uri.path().contains(&f.path_contains)
        }) {
            f.remaining -= 1;
            let code = f.code;
            return status(
                code,
                reason_of(code),
                &format!("injected failure {code} for {method} {}", uri.path()),
            );
        }
    }
    let Some(target) = parse_path(uri.path()) else {
        return violation(
            shared,
            404,
            format!(
                "the server could not find the requested resource: {}",
                uri.path()
            ),
        );
    };
    let query = query_map(uri);
    match (method.clone(), target.name.clone()) {
        (Method::GET, None) => list(shared, &target, &query),
        (Method::GET, Some(name)) => get(shared, &target, &name),
        (Method::PATCH, Some(name)) => {
            let response = apply(shared, &target, &name, headers, &query, body);
            reconcile(shared).await;
            response
        }
        (Method::DELETE, Some(name)) => {
            let response = delete(shared, &target, &name);
            reconcile(shared).await;
            response
        }
        _ => violation(
            shared,
            405,
            format!(
                "{method} {} is not supported by the fake (the provider must not need it)",
                uri.path()
            ),
        ),
    }
}

fn not_found(target: &Target, name: &str) -> Response {
    status(
        404,
        "NotFound",
        &format!("{} \"{name}\" not found", target.plural),
    )
}

fn key(target: &Target, name: &str) -> (String, String, String) {
    (target.plural.clone(), target.namespace.clone(), name.into())
}

fn matches_selector(obj: &Value, selector: Option<&String>) -> bool {
    let Some(selector) = selector.filter(|s| !s.is_empty()) else {
        return true;
    };
    selector.split(',').all(|term| {
        let (k, v) = term.split_once('=').unwrap_or((term, ""));
        obj["metadata"]["labels"][k].as_str() == Some(v)
    })
}

fn list(shared: &Shared, target: &Target, query: &HashMap<String, String>) -> Response {
    let mut store = shared.store.lock().unwrap();
    let items: Vec<Value> = store
        .objects
        .iter()
        .filter(|((p, ns, _), obj)| {
            *p == target.plural
                && *ns == target.namespace
                && matches_selector(obj, query.get("labelSelector"))
        })
        .map(|(_, v)| v.clone())
        .collect();
    let rv = store.next_rv();
    axum::Json(json!({
        "apiVersion": target.api_version,
        "kind": format!("{}List", target.kind),
        "metadata": {"resourceVersion": rv},
        "items": items,
    }))
    .into_response()
}

fn get(shared: &Shared, target: &Target, name: &str) -> Response {
    let mut store = shared.store.lock().unwrap();
    if target.plural == "pods" {
        *store.pod_reads.entry(name.into()).or_default() += 1;
    }
    let ready_after = match shared.kubelet {
        Kubelet::Simulated { ready_after } => Some(ready_after),
        Kubelet::Postgres { .. } => None,
    };
    let reads = store.pod_reads.get(name).copied().unwrap_or(0);
    let Some(obj) = store.objects.get_mut(&key(target, name)) else {
        return not_found(target, name);
    };
    // The simulated kubelet: a pod becomes ready after enough reads, unless its image fails.
    if let Some(ready_after) = ready_after
        && target.plural == "pods"
        && reads > ready_after
        && obj["status"]["containerStatuses"][0]["state"]["waiting"]["reason"]
            == "ContainerCreating"
    {
        let ip = obj["status"]["podIP"].clone();
        obj["status"] = running_status(ip.as_str().unwrap_or("127.0.0.1"), &obj["spec"]);
    }
    axum::Json(obj.clone()).into_response()
}

fn apply(
    shared: &Shared,
    target: &Target,
    name: &str,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
    body: &Bytes,
) -> Response {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type != "application/apply-patch+yaml" {
        return violation(
            shared,
            415,
            format!(
                "PATCH {name}: only server-side apply is expected, got content type {content_type:?}"
            ),
        );
    }
    if query.get("fieldManager").map(String::as_str) != Some(super::FIELD_MANAGER) {
        return violation(
            shared,
            422,
            format!(
                "PATCH {name}: fieldManager must be {}",
                super::FIELD_MANAGER
            ),
        );
    }
    if query.get("force").map(String::as_str) != Some("true") {
        return violation(shared, 422, format!("PATCH {name}: apply without force"));
    }
    let mut obj: Value = match serde_norway::from_slice(body) {
        Ok(v) => v,
        Err(e) => return violation(shared, 400, format!("PATCH {name}: body is not YAML: {e}")),
    };
    if obj["apiVersion"] != target.api_version || obj["kind"] != target.kind {
        return violation(
            shared,
            400,
            format!(
                "PATCH {name}: body is {} {}, the path {} {}",
                obj["apiVersion"], obj["kind"], target.api_version, target.kind
            ),
        );
    }
    if obj["metadata"]["name"] != name {
        return violation(
            shared,
            400,
            format!("PATCH {name}: the body names {}", obj["metadata"]["name"]),
        );
    }
    if let Some(ns) = obj["metadata"]["namespace"].as_str()
        && ns != target.namespace
    {
        return violation(
            shared,
            400,
            format!(
                "PATCH {name}: the body's namespace {ns} is not the path's {}",
                target.namespace
            ),
        );
    }
    if let Err(problem) = validate(target, &obj) {
        return violation(
            shared,
            422,
            format!("{} {name} is invalid: {problem}", target.kind),
        );
    }
    let mut store = shared.store.lock().unwrap();
    let rv = store.next_rv();
    let k = key(target, name);
    let previous = store.objects.get(&k).cloned();
    let (uid, created, status) = match &previous {
        Some(p) => (
            p["metadata"]["uid"].clone(),
            p["metadata"]["creationTimestamp"].clone(),
            p["status"].clone(),
        ),
        None => (json!(store.next_uid()), json!(now()), Value::Null),
    };
    obj["metadata"]["namespace"] = json!(target.namespace);
    obj["metadata"]["uid"] = uid;
    obj["metadata"]["creationTimestamp"] = created;
    obj["metadata"]["resourceVersion"] = json!(rv);
    if !status.is_null() {
        obj["status"] = status;
    }
    match target.plural.as_str() {
        "secrets" => {
            // stringData is write-only: the server folds it into data.
            if let Some(Value::Object(strings)) =
                obj.as_object_mut().and_then(|o| o.remove("stringData"))
            {
                let data = obj["data"].as_object().cloned().unwrap_or_default();
                let mut data = data;
                for (k, v) in strings {
                    let encoded = base64::engine::general_purpose::STANDARD
                        .encode(v.as_str().unwrap_or_default());
                    data.insert(k, json!(encoded));
                }
                obj["data"] = Value::Object(data);
            }
        }
        "services" => {
            let instance = obj["spec"]["selector"][super::INSTANCE_ID_LABEL]
                .as_str()
                .unwrap_or(name)
                .to_owned();
            if obj["spec"]["clusterIP"] != "None" {
                let ip = previous
                    .as_ref()
                    .map(|p| p["spec"]["clusterIP"].clone())
                    .filter(|v| v.is_string())
                    .unwrap_or_else(|| {
                        let [a, b]: [u8; 2] = rand::random();
                        json!(format!("127.0.{a}.{}", b.clamp(2, 250)))
                    });
                obj["spec"]["clusterIP"] = ip;
            }
            if obj["spec"]["type"] == "LoadBalancer" {
                let ip = store.address(&instance);
                obj["status"] =
                    json!({"loadBalancer": {"ingress": [{"ip": ip.to_string(), "ipMode": "VIP"}]}});
            } else {
                obj["status"] = json!({"loadBalancer": {}});
            }
        }
        "statefulsets" => {
            let generation = previous
                .as_ref()
                .and_then(|p| p["metadata"]["generation"].as_i64())
                .unwrap_or(0);
            let changed = previous.as_ref().map(|p| &p["spec"]) != Some(&obj["spec"]);
            obj["metadata"]["generation"] = json!(generation + i64::from(changed));
        }
        _ => {}
    }
    store.objects.insert(k, obj.clone());
    axum::Json(obj).into_response()
}

/// The checks a real API server's validation would make of what the provider sends.
fn validate(target: &Target, obj: &Value) -> Result<(), String> {
    let name = obj["metadata"]["name"].as_str().unwrap_or("");
    let dns_label = |s: &str| {
        !s.is_empty()
            && s.len() <= 63
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
    };
    if !dns_label(name) {
        return Err(format!("metadata.name {name:?} is not a DNS-1123 label"));
    }
    match target.plural.as_str() {
        "statefulsets" => {
            let spec = &obj["spec"];
            let selector = spec["selector"]["matchLabels"]
                .as_object()
                .ok_or("spec.selector.matchLabels is required")?;
            let template_labels = &spec["template"]["metadata"]["labels"];
            for (k, v) in selector {
                if template_labels[k] != *v {
                    return Err(format!(
                        "spec.template.metadata.labels does not match the selector at {k}"
                    ));
                }
            }
            if spec["template"]["spec"]["containers"]
                .as_array()
                .is_none_or(Vec::is_empty)
            {
                return Err("spec.template.spec.containers is required".into());
            }
        }
        "services" if spec_ports(obj).is_empty() => {
            return Err("spec.ports is required".into());
        }
        _ => {}
    }
    Ok(())
}

fn spec_ports(obj: &Value) -> Vec<Value> {
    obj["spec"]["ports"].as_array().cloned().unwrap_or_default()
}

fn delete(shared: &Shared, target: &Target, name: &str) -> Response {
    let removed = shared
        .store
        .lock()
        .unwrap()
        .objects
        .remove(&key(target, name));
    match removed {
        Some(obj) => {
            if target.plural == "pods" {
                // The kubelet stops a deleted pod's container before its replacement starts.
                let pod = format!("{}/{name}", target.namespace);
                let _ = shared.node.send((Vec::new(), vec![pod], Vec::new()));
            }
            axum::Json(obj).into_response()
        }
        None => not_found(target, name),
    }
}

/// The StatefulSet controller: make the pods and claims the StatefulSets ask for and remove
/// pods nobody asks for, now; the kubelet starts and stops their servers in the background.
async fn reconcile(shared: &Arc<Shared>) {
    let plan = {
        let mut store = shared.store.lock().unwrap();
        plan(shared, &mut store)
    };
    if !(plan.0.is_empty() && plan.1.is_empty() && plan.2.is_empty()) {
        let _ = shared.node.send(plan);
    }
}

/// The kubelet: stop, wipe and start, in the order the controller asked.
async fn run_kubelet(
    shared: std::sync::Weak<Shared>,
    mut work: tokio::sync::mpsc::UnboundedReceiver<Plan>,
) {
    while let Some((to_start, to_stop, to_wipe)) = work.recv().await {
        let Some(shared) = shared.upgrade() else {
            return;
        };
        for pod_key in to_stop {
            let server = shared.servers.lock().await.remove(&pod_key);
            if let Some(server) = server {
                server.stop().await;
            }
        }
        for dir in to_wipe {
            let _ = std::fs::remove_dir_all(dir);
        }
        for (pod_key, pod) in to_start {
            let result = run_pod(&shared, &pod).await;
            let (ns, name) = pod_key.split_once('/').unwrap_or(("", &pod_key));
            let k = ("pods".to_owned(), ns.to_owned(), name.to_owned());
            let server = {
                let mut store = shared.store.lock().unwrap();
                let rv = store.next_rv();
                // The pod may have gone while its server started.
                match store
                    .objects
                    .get_mut(&k)
                    .filter(|o| o["metadata"]["uid"] == pod["metadata"]["uid"])
                {
                    None => result.ok().flatten().map(|pm| (pm, false)),
                    Some(obj) => {
                        obj["metadata"]["resourceVersion"] = json!(rv);
                        match result {
                            Ok(Some(pm)) => {
                                let ip = obj["status"]["podIP"].clone();
                                obj["status"] =
                                    running_status(ip.as_str().unwrap_or_default(), &obj["spec"]);
                                Some((pm, true))
                            }
                            Ok(None) => None,
                            Err((reason, message)) => {
                                obj["status"]["containerStatuses"][0]["state"] =
                                    json!({"waiting": {"reason": reason, "message": message}});
                                None
                            }
                        }
                    }
                }
            };
            match server {
                Some((pm, true)) => {
                    shared.servers.lock().await.insert(pod_key.clone(), pm);
                }
                Some((pm, false)) => pm.stop().await,
                None => {}
            }
        }
    }
}

type Plan = (Vec<(String, Value)>, Vec<String>, Vec<PathBuf>);

fn plan(shared: &Shared, store: &mut Store) -> Plan {
    let mut to_start = Vec::new();
    let mut to_stop = Vec::new();
    let mut to_wipe = Vec::new();
    let sets: Vec<Value> = store
        .objects
        .iter()
        .filter(|((p, _, _), _)| p == "statefulsets")
        .map(|(_, v)| v.clone())
        .collect();
    let mut wanted_pods = Vec::new();
    for sts in &sets {
        let ns = sts["metadata"]["namespace"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let name = sts["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let replicas = sts["spec"]["replicas"].as_i64().unwrap_or(1);
        let template = &sts["spec"]["template"];
        let revision = format!("{:x}", fxhash(&template.to_string()));
        let pod_name = format!("{name}-0");
        if replicas < 1 {
            continue;
        }
        wanted_pods.push((ns.clone(), pod_name.clone()));
        // Claims from the templates, kept when the StatefulSet goes (as Kubernetes does).
        for claim in sts["spec"]["volumeClaimTemplates"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let claim_name = format!(
                "{}-{pod_name}",
                claim["metadata"]["name"].as_str().unwrap_or("data")
            );
            let k = (
                "persistentvolumeclaims".to_owned(),
                ns.clone(),
                claim_name.clone(),
            );
            if !store.objects.contains_key(&k) {
                let uid = store.next_uid();
                let rv = store.next_rv();
                let mut labels = claim["metadata"]["labels"].clone();
                if labels.is_null() {
                    labels = json!({});
                }
                store.objects.insert(k, json!({
                    "apiVersion": "v1",
                    "kind": "PersistentVolumeClaim",
                    "metadata": {"name": claim_name, "namespace": ns, "uid": uid, "resourceVersion": rv, "creationTimestamp": now(), "labels": labels},
                    "spec": claim["spec"],
                    "status": {"phase": "Bound", "accessModes": claim["spec"]["accessModes"], "capacity": claim["spec"]["resources"]["requests"]},
                }));
            }
        }
        let k = ("pods".to_owned(), ns.clone(), pod_name.clone());
        let current = store.objects.get(&k);
        let up_to_date = current.is_some_and(|p| {
            p["metadata"]["labels"]["controller-revision-hash"] == revision.as_str()
        });
        if up_to_date {
            continue;
        }
        if current.is_some() {
            // A rolling update of one replica: the old pod goes, the new one comes.
            store.objects.remove(&k);
            to_stop.push(format!("{ns}/{pod_name}"));
        }
        let instance = template["metadata"]["labels"][super::INSTANCE_ID_LABEL]
            .as_str()
            .unwrap_or(&name)
            .to_owned();
        let ip = store.address(&instance);
        let uid = store.next_uid();
        let rv = store.next_rv();
        let mut labels = template["metadata"]["labels"].clone();
        labels["controller-revision-hash"] = json!(revision);
        labels["statefulset.kubernetes.io/pod-name"] = json!(pod_name);
        let image = template["spec"]["containers"][0]["image"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let waiting = store
            .image_failures
            .iter()
            .find(|(pattern, _, _)| image.contains(pattern.as_str()))
            .map(|(_, reason, message)| json!({"reason": reason, "message": message}))
            .unwrap_or_else(|| json!({"reason": "ContainerCreating"}));
        let failing = waiting["reason"] != "ContainerCreating";
        let pod = json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": pod_name, "namespace": ns, "uid": uid, "resourceVersion": rv,
                "creationTimestamp": now(), "labels": labels,
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": name, "uid": sts["metadata"]["uid"], "controller": true}],
            },
            "spec": template["spec"],
            "status": {
                "phase": "Pending",
                "podIP": ip.to_string(),
                "conditions": [{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "False"}],
                "containerStatuses": [{"name": "postgres", "ready": false, "restartCount": 0, "image": image, "imageID": "", "state": {"waiting": waiting}}],
            },
        });
        store.pod_reads.remove(&pod_name);
        store.objects.insert(k, pod.clone());
        if !failing && matches!(shared.kubelet, Kubelet::Postgres { .. }) {
            to_start.push((format!("{ns}/{pod_name}"), pod));
        }
    }
    // Pods nobody asks for any more (their StatefulSet is gone or scaled to zero).
    let orphans: Vec<(String, String, String)> = store
        .objects
        .keys()
        .filter(|(p, ns, n)| p == "pods" && !wanted_pods.contains(&(ns.clone(), n.clone())))
        .cloned()
        .collect();
    for k in orphans {
        store.objects.remove(&k);
        to_stop.push(format!("{}/{}", k.1, k.2));
    }
    // Data of claims that were deleted.
    if let Kubelet::Postgres { root } = &shared.kubelet
        && let Ok(namespaces) = std::fs::read_dir(root)
    {
        for ns in namespaces.flatten() {
            let Ok(claims) = std::fs::read_dir(ns.path()) else {
                continue;
            };
            for claim in claims.flatten() {
                let k = (
                    "persistentvolumeclaims".to_owned(),
                    ns.file_name().to_string_lossy().into_owned(),
                    claim.file_name().to_string_lossy().into_owned(),
                );
                if !store.objects.contains_key(&k) {
                    to_wipe.push(claim.path());
                }
            }
        }
    }
    (to_start, to_stop, to_wipe)
}

fn fxhash(s: &str) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

fn running_status(ip: &str, spec: &Value) -> Value {
    let image = spec["containers"][0]["image"].clone();
    let started = now();
    json!({
        "phase": "Running",
        "podIP": ip,
        "startTime": started,
        "conditions": [
            {"type": "PodScheduled", "status": "True"},
            {"type": "Initialized", "status": "True"},
            {"type": "ContainersReady", "status": "True"},
            {"type": "Ready", "status": "True"},
        ],
        "containerStatuses": [{
            "name": "postgres", "ready": true, "started": true, "restartCount": 0,
            "image": image, "imageID": "",
            "state": {"running": {"startedAt": started}},
        }],
    })
}

/// The kubelet with real servers: start the pod's PostgreSQL as the official image would.
/// `Ok(None)` when there is nothing to run; `Err((reason, message))` when the container
/// cannot start.
async fn run_pod(shared: &Shared, pod: &Value) -> Result<Option<PodServer>, (String, String)> {
    let Kubelet::Postgres { root } = &shared.kubelet else {
        return Ok(None);
    };
    let ns = pod["metadata"]["namespace"].as_str().unwrap_or_default();
    let pod_name = pod["metadata"]["name"].as_str().unwrap_or_default();
    let container = &pod["spec"]["containers"][0];
    let image = container["image"].as_str().unwrap_or_default();
    let tag = image.rsplit_once(':').map_or("", |(_, t)| t);
    let major: u32 = tag
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| {
            (
                "InvalidImageName".to_owned(),
                format!("no major version in the image tag of {image}"),
            )
        })?;
    let bins = PgBinaries::installed()
        .into_iter()
        .find(|b| b.major() == major)
        .ok_or_else(|| {
            (
                "ErrImagePull".to_owned(),
                format!("fake kubelet: no PostgreSQL {major} binaries on this machine for {image}"),
            )
        })?;
    // Environment, with secretKeyRefs resolved as the kubelet does.
    let mut env = HashMap::new();
    for var in container["env"].as_array().cloned().unwrap_or_default() {
        let name = var["name"].as_str().unwrap_or_default().to_owned();
        if let Some(v) = var["value"].as_str() {
            env.insert(name, v.to_owned());
        } else if let Some(r) = var["valueFrom"]["secretKeyRef"].as_object() {
            let secret = r.get("name").and_then(Value::as_str).unwrap_or_default();
            let key = r.get("key").and_then(Value::as_str).unwrap_or_default();
            let store = shared.store.lock().unwrap();
            let value = store
                .objects
                .get(&("secrets".into(), ns.into(), secret.into()))
                .and_then(|s| s["data"][key].as_str().map(str::to_owned))
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    (
                        "CreateContainerConfigError".to_owned(),
                        format!("secret \"{secret}\" not found or has no key {key}"),
                    )
                })?;
            env.insert(name, value);
        }
    }
    let claim = format!("data-{pod_name}");
    let mount = root.join(ns).join(&claim);
    std::fs::create_dir_all(&mount)
        .map_err(|e| ("CreateContainerError".to_owned(), e.to_string()))?;
    open_up(&root.join(ns)).map_err(|e| ("CreateContainerError".to_owned(), format!("{e:#}")))?;
    open_up(&mount).map_err(|e| ("CreateContainerError".to_owned(), format!("{e:#}")))?;
    let host = PgHost::local(
        mount.clone(),
        shared.run_as.clone(),
        std::net::Ipv4Addr::LOCALHOST.into(),
        0..0,
        vec![bins],
    );
    let dir = mount.join("pgdata");
    if !dir.join("PG_VERSION").is_file() {
        let user = env.get("POSTGRES_USER").map_or("postgres", String::as_str);
        let password = env.get("POSTGRES_PASSWORD").ok_or_else(|| {
            (
                "CrashLoopBackOff".to_owned(),
                "Error: Database is uninitialized and superuser password is not specified."
                    .to_owned(),
            )
        })?;
        host.ensure_cluster(&dir, major, user, Some(password))
            .await
            .map_err(|e| ("CrashLoopBackOff".to_owned(), format!("{e:#}")))?;
        // The official image lets clients in from anywhere, with passwords.
        let hba = dir.join("pg_hba.conf");
        let mut text = std::fs::read_to_string(&hba).unwrap_or_default();
        text.push_str("host all all all scram-sha-256\n");
        std::fs::write(&hba, text).map_err(|e| ("CrashLoopBackOff".to_owned(), e.to_string()))?;
    }
    let ip: std::net::IpAddr = pod["status"]["podIP"]
        .as_str()
        .and_then(|ip| ip.parse().ok())
        .unwrap_or(std::net::Ipv4Addr::LOCALHOST.into());
    let serve = Serve {
        port: super::POSTGRES_PORT,
        listen: Some(ip),
        settings: &[("max_connections", "30"), ("shared_buffers", "16MB")],
    };
    match host.start_cluster(&dir, major, &serve).await {
        Ok(pid) => Ok(Some(PodServer { host, dir, pid })),
        Err(e) => Err(("CrashLoopBackOff".to_owned(), format!("{e:#}"))),
    }
}

/// A pod's PostgreSQL server, as the fake kubelet runs it.
struct PodServer {
    host: PgHost,
    dir: PathBuf,
    pid: i32,
}

impl PodServer {
    /// Stop it as a pod's termination does: fast, then immediate.
    async fn stop(self) {
        if let Err(e) = self.host.stop_cluster(&self.dir).await {
            tracing::warn!(dir = %self.dir.display(), "fake kubelet: stop: {e:#}");
        }
    }
}

/// Let the user that runs Postgres through a directory.
fn open_up(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("chmod {}", dir.display()))
}
