//! The fake kubelet: the controllers' work (StatefulSets to pods, load balancers) and, with
//! [`Kubelet::Postgres`], each pod run as a real PostgreSQL server through `PgHost`.
//!
//! A pod's Secret volumes are written as the kubelet's atomic writer writes them, under
//! `<root>/.pods/<namespace>/<pod>/<volume>/` (no namespace can be named `.pods`): the files
//! in a timestamped directory, `..data` linking to it and each key linking through `..data`,
//! with the volume's modes, owned by root and the pod's `fsGroup` (on this machine, the group
//! of the user that runs the servers); they are written again, by swapping `..data`, when the
//! Secret changes. The server's `-c name=value` arguments are passed on, with paths inside
//! the container's mounts turned into the paths of those directories here.

use anyhow::Context as _;
use base64::Engine as _;
use providers::host::{PgHost, Serve};
use providers::local::PgBinaries;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::*;

/// The StatefulSet controller: make the pods and claims the StatefulSets ask for and remove
/// pods nobody asks for, now; the kubelet starts and stops their servers in the background.
pub(super) async fn reconcile(shared: &Arc<Shared>) {
    let plan = {
        let mut store = shared.store.lock().unwrap();
        plan(shared, &mut store)
    };
    if !(plan.0.is_empty() && plan.1.is_empty() && plan.2.is_empty()) {
        let _ = shared.node.send(plan);
    }
    refresh_secret_volumes(shared);
}

/// The kubelet's periodic sync of mounted Secrets, done at once: every pod whose volumes are
/// written gets the Secrets' current contents.
fn refresh_secret_volumes(shared: &Shared) {
    let Kubelet::Postgres { root } = &shared.kubelet else {
        return;
    };
    let pods: Vec<Value> = {
        let store = shared.store.lock().unwrap();
        store
            .objects
            .iter()
            .filter(|((p, _, _), _)| p == "pods")
            .map(|(_, v)| v.clone())
            .collect()
    };
    // Under the writers' lock, so that a pod whose volumes are being written for its start
    // is seen with them, or writes after the Secret changed.
    let _writing = shared.volume_writes.lock().unwrap();
    for pod in pods {
        let ns = pod["metadata"]["namespace"].as_str().unwrap_or_default();
        let name = pod["metadata"]["name"].as_str().unwrap_or_default();
        if pod_volumes(root, ns, name).is_dir()
            && let Err((_, message)) = write_volumes_locked(shared, root, &pod)
        {
            tracing::warn!(
                pod = name,
                "fake kubelet: refresh a Secret volume: {message}"
            );
        }
    }
}

/// Where the volumes of pod `pod` other than claims live.
fn pod_volumes(root: &Path, ns: &str, pod: &str) -> PathBuf {
    root.join(".pods").join(ns).join(pod)
}

/// Write `pod`'s Secret volumes from the Secrets as they are now (unchanged files are left
/// alone), as the kubelet's atomic writer does. Returns each volume's name and directory.
/// `Err((reason, message))` when a Secret the pod needs is missing.
fn write_secret_volumes(
    shared: &Shared,
    root: &Path,
    pod: &Value,
) -> Result<Vec<(String, PathBuf)>, (String, String)> {
    // One writer at a time, reading the Secret inside: the last write has the last contents.
    let _writing = shared.volume_writes.lock().unwrap();
    write_volumes_locked(shared, root, pod)
}

/// [`write_secret_volumes`], the writers' lock held.
fn write_volumes_locked(
    shared: &Shared,
    root: &Path,
    pod: &Value,
) -> Result<Vec<(String, PathBuf)>, (String, String)> {
    use std::os::unix::fs::PermissionsExt as _;
    let fail = |e: String| ("ContainerCreating".to_owned(), e);
    let ns = pod["metadata"]["namespace"].as_str().unwrap_or_default();
    let pod_name = pod["metadata"]["name"].as_str().unwrap_or_default();
    let fs_group = pod["spec"]["securityContext"]["fsGroup"].as_i64();
    let mut written = Vec::new();
    for volume in pod["spec"]["volumes"].as_array().into_iter().flatten() {
        let Some(source) = volume["secret"].as_object() else {
            continue;
        };
        let volume_name = volume["name"].as_str().unwrap_or_default();
        let secret = source
            .get("secretName")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let optional = source.get("optional").and_then(Value::as_bool) == Some(true);
        let data = {
            let store = shared.store.lock().unwrap();
            store
                .objects
                .get(&("secrets".into(), ns.into(), secret.into()))
                .map(|s| s["data"].as_object().cloned().unwrap_or_default())
        };
        let data = match data {
            Some(data) => data,
            None if optional => Default::default(),
            None => {
                return Err(fail(format!(
                    "MountVolume.SetUp failed for volume \"{volume_name}\" : secret \"{secret}\" not found"
                )));
            }
        };
        let default_mode = source
            .get("defaultMode")
            .and_then(Value::as_u64)
            .unwrap_or(0o644) as u32;
        // (path in the volume, contents, mode): the listed items, or every key.
        let mut files = Vec::new();
        match source.get("items").and_then(Value::as_array) {
            Some(items) => {
                for item in items {
                    let key = item["key"].as_str().unwrap_or_default();
                    let value = data
                        .get(key)
                        .ok_or_else(|| fail(format!("secret \"{secret}\" has no key {key}")))?;
                    let mode = item["mode"].as_u64().map_or(default_mode, |m| m as u32);
                    files.push((
                        item["path"].as_str().unwrap_or(key).to_owned(),
                        value.clone(),
                        mode,
                    ));
                }
            }
            None => {
                for (key, value) in &data {
                    files.push((key.clone(), value.clone(), default_mode));
                }
            }
        }
        let dir = pod_volumes(root, ns, pod_name).join(volume_name);
        let mut files: Vec<(String, Vec<u8>, u32)> = files
            .into_iter()
            .map(|(path, value, mode)| {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(value.as_str().unwrap_or_default())
                    .unwrap_or_default();
                (path, bytes, mode)
            })
            .collect();
        files.sort();
        let unchanged = files.iter().all(|(path, bytes, _)| {
            std::fs::read(dir.join("..data").join(path)).is_ok_and(|b| b == *bytes)
        });
        if unchanged && dir.join("..data").exists() {
            written.push((volume_name.to_owned(), dir));
            continue;
        }
        let io = |e: std::io::Error| fail(format!("write volume {volume_name}: {e}"));
        std::fs::create_dir_all(&dir).map_err(io)?;
        for d in [
            root.join(".pods"),
            root.join(".pods").join(ns),
            pod_volumes(root, ns, pod_name),
            dir.clone(),
        ] {
            open_up(&d).map_err(|e| fail(format!("{e:#}")))?;
        }
        let stamp = format!(
            "..{}",
            k8s_openapi::jiff::Timestamp::now().strftime("%Y_%m_%d_%H_%M_%S.%f")
        );
        let fresh = dir.join(&stamp);
        std::fs::create_dir(&fresh).map_err(io)?;
        open_up(&fresh).map_err(|e| fail(format!("{e:#}")))?;
        for (path, bytes, mode) in &files {
            let mode = *mode;
            let file = fresh.join(path);
            std::fs::write(&file, bytes).map_err(io)?;
            // Read-only with an fsGroup: the kubelet gives the files to root and that group
            // and lets the group read. Without root, the server's user (us) owns them, and
            // only it may read them.
            let mode = match (&shared.run_as, fs_group) {
                (Some(run_as), Some(_)) => {
                    std::os::unix::fs::chown(&file, Some(0), Some(run_as.gid())).map_err(io)?;
                    mode | 0o440
                }
                (Some(_), None) => mode,
                (None, _) => mode & 0o700,
            };
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).map_err(io)?;
        }
        let old = std::fs::read_link(dir.join("..data")).ok();
        let link = dir.join("..data_tmp");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&stamp, &link).map_err(io)?;
        std::fs::rename(&link, dir.join("..data")).map_err(io)?;
        for (path, _, _) in &files {
            let visible = dir.join(path);
            if std::fs::symlink_metadata(&visible).is_err() {
                std::os::unix::fs::symlink(Path::new("..data").join(path), &visible).map_err(io)?;
            }
        }
        if let Some(old) = old.filter(|o| *o != Path::new(&stamp)) {
            let _ = std::fs::remove_dir_all(dir.join(old));
        }
        written.push((volume_name.to_owned(), dir));
    }
    Ok(written)
}

/// The server's settings from the container's arguments (the image's `postgres` command and
/// its `-c name=value` or `--name=value` options), with paths under a mount turned into the
/// mount's directory here.
fn server_settings(
    container: &Value,
    mounts: &[(String, PathBuf)],
) -> Result<Vec<(String, String)>, (String, String)> {
    let args: Vec<&str> = container["args"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut args = args.as_slice();
    if args.first() == Some(&"postgres") {
        args = &args[1..];
    }
    let mut settings = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let setting = match args[i] {
            "-c" => {
                i += 1;
                args.get(i).copied()
            }
            a => a.strip_prefix("--").or_else(|| a.strip_prefix("-c")),
        };
        let Some((name, value)) = setting.and_then(|s| s.split_once('=')) else {
            return Err((
                "CrashLoopBackOff".to_owned(),
                format!("fake kubelet: postgres cannot take the arguments {args:?}"),
            ));
        };
        let value = mounts
            .iter()
            .find_map(|(at, here)| {
                value
                    .strip_prefix(at.as_str())
                    .and_then(|rest| rest.strip_prefix('/'))
                    .map(|rest| here.join(rest).display().to_string())
            })
            .unwrap_or_else(|| value.to_owned());
        settings.push((name.replace('-', "_"), value));
        i += 1;
    }
    Ok(settings)
}

/// The kubelet: stop, wipe and start, in the order the controller asked.
pub(super) async fn run_kubelet(
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
            if let Kubelet::Postgres { root } = &shared.kubelet
                && let Some((ns, pod)) = pod_key.split_once('/')
            {
                let _ = std::fs::remove_dir_all(pod_volumes(root, ns, pod));
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

pub(super) type Plan = (Vec<(String, Value)>, Vec<String>, Vec<PathBuf>);

pub(super) fn plan(shared: &Shared, store: &mut Store) -> Plan {
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
        let instance = template["metadata"]["labels"][providers::kubernetes::INSTANCE_ID_LABEL]
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
            // Pods' own volumes, not claims.
            if ns.file_name() == ".pods" {
                continue;
            }
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

pub(super) fn fxhash(s: &str) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

pub(super) fn running_status(ip: &str, spec: &Value) -> Value {
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
pub(super) async fn run_pod(
    shared: &Shared,
    pod: &Value,
) -> Result<Option<PodServer>, (String, String)> {
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
    // The container's mounts: its claim, and the Secret volumes written for it.
    let secrets = write_secret_volumes(shared, root, pod)?;
    let mut mounts = Vec::new();
    for m in container["volumeMounts"].as_array().into_iter().flatten() {
        let name = m["name"].as_str().unwrap_or_default();
        let at = m["mountPath"].as_str().unwrap_or_default().to_owned();
        if name == "data" {
            mounts.push((at, mount.clone()));
        } else if let Some((_, dir)) = secrets.iter().find(|(v, _)| v == name) {
            mounts.push((at, dir.clone()));
        }
    }
    let mut settings = vec![
        ("max_connections".to_owned(), "30".to_owned()),
        ("shared_buffers".to_owned(), "16MB".to_owned()),
    ];
    settings.extend(server_settings(container, &mounts)?);
    let settings: Vec<(&str, &str)> = settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let serve = Serve {
        port: providers::kubernetes::POSTGRES_PORT,
        listen: Some(ip),
        settings: &settings,
    };
    match host.start_cluster(&dir, major, &serve).await {
        Ok(pid) => Ok(Some(PodServer { host, dir, pid })),
        Err(e) => Err(("CrashLoopBackOff".to_owned(), format!("{e:#}"))),
    }
}

/// A pod's PostgreSQL server, as the fake kubelet runs it.
pub(super) struct PodServer {
    host: PgHost,
    dir: PathBuf,
    pub(super) pid: i32,
}

impl PodServer {
    /// Stop it as a pod's termination does: fast, then immediate.
    pub(super) async fn stop(self) {
        if let Err(e) = self.host.stop_cluster(&self.dir).await {
            tracing::warn!(dir = %self.dir.display(), "fake kubelet: stop: {e:#}");
        }
    }
}

/// Let the user that runs Postgres through a directory.
pub(super) fn open_up(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("chmod {}", dir.display()))
}
