//! The Kubernetes provider against the fake API server (real HTTP, kube's real client): create
//! by server-side apply, readiness polling, connection strings, delete, missing objects,
//! conflicts, server errors, drift, and pod problems; and, with `KUBECONFIG`, the whole life
//! of an instance on a real cluster.

use std::time::{Duration, Instant};

use providers::Error;
use providers::kubernetes::{
    Endpoint, ImageSource, InstanceSpec, KubeSettings, KubeSource, Kubernetes, PodState, Resources,
    ServiceType, render,
};
use reqwest::Method;
use testkit::kube::{FakeKube, Kubelet};

const NS: &str = "toygres";

fn spec(id: &str) -> InstanceSpec {
    let hex = id.replace('-', "");
    InstanceSpec {
        name: format!("tg-{}", &hex[hex.len() - 12..]),
        display_name: "orders".into(),
        instance_id: id.into(),
        namespace: NS.into(),
        major: 17,
        storage_gb: 5,
        storage_class: Some("standard".into()),
        service_type: ServiceType::ClusterIp,
        resources: Resources {
            cpu_request_millis: 250,
            cpu_limit_millis: 1000,
            memory_mib: 512,
        },
        image: ImageSource::default(),
        running: true,
        password: "app-password".into(),
        superuser_password: "superuser-password".into(),
        tls: testkit::kube::tls_files(&[format!("tg-{}", &hex[hex.len() - 12..])]),
    }
}

const ID: &str = "0190a1b2-c3d4-7e5f-8a9b-0123456789ab";
const OTHER: &str = "0190a1b2-c3d4-7e5f-8a9b-ba9876543210";

async fn fake(ready_after: u32) -> (FakeKube, Kubernetes) {
    let fake = FakeKube::start(Kubelet::Simulated { ready_after })
        .await
        .expect("start the fake API server");
    let k8s = Kubernetes::with_client(fake.client(), KubeSettings::default());
    (fake, k8s)
}

fn count(fake: &FakeKube, method: &str, path_contains: &str) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.method == method && r.uri.contains(path_contains))
        .count()
}

async fn wait_ready(k8s: &Kubernetes, name: &str) -> PodState {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let state = k8s.pod(name).await.expect("read the pod");
        if state.is_ready() || Instant::now() > deadline {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn create_applies_every_object_labelled_and_the_pod_turns_ready_after_polling() {
    let (fake, k8s) = fake(3).await;
    let spec = spec(ID);
    k8s.apply(&render(&spec)).await.unwrap();

    for (plural, name) in [
        ("secrets", spec.name.clone()),
        ("secrets", format!("{}-tls", spec.name)),
        ("services", spec.name.clone()),
        ("services", format!("{}-hl", spec.name)),
        ("statefulsets", spec.name.clone()),
        ("pods", format!("{}-0", spec.name)),
        ("persistentvolumeclaims", format!("data-{}-0", spec.name)),
    ] {
        let obj = fake
            .object(plural, NS, &name)
            .unwrap_or_else(|| panic!("{plural}/{name} was not made"));
        assert_eq!(obj["metadata"]["labels"]["toygres.io/instance-id"], ID);
    }
    // Every write was a server-side apply with our field manager, forced.
    let patches: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .collect();
    assert_eq!(patches.len(), 5);
    assert!(
        patches
            .iter()
            .all(|r| r.uri.contains("fieldManager=toygres") && r.uri.contains("force=true"))
    );
    // The Secret reached the server as data the pod reads, never in a status or log.
    let secret = fake.object("secrets", NS, &spec.name).unwrap();
    assert!(secret["data"]["password"].is_string());
    assert!(secret.get("stringData").is_none());
    let tls = fake
        .object("secrets", NS, &format!("{}-tls", spec.name))
        .unwrap();
    assert_eq!(tls["type"], "kubernetes.io/tls");
    for key in ["tls.crt", "tls.key", "ca.crt"] {
        assert!(tls["data"][key].is_string(), "{key}");
    }

    let first = k8s.pod(&spec.name).await.unwrap();
    assert_eq!(
        first,
        PodState::Waiting {
            reason: "ContainerCreating".into(),
            message: None
        }
    );
    assert_eq!(first.problem(), None, "creating is not a problem");
    let state = wait_ready(&k8s, &spec.name).await;
    assert!(state.is_ready(), "{state:?}");
    assert!(count(&fake, "GET", "/pods/") >= 4, "readiness was polled");
    assert_eq!(fake.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn applying_again_updates_in_place_and_duplicates_nothing() {
    let (fake, k8s) = fake(0).await;
    let mut spec = spec(ID);
    k8s.apply(&render(&spec)).await.unwrap();
    let uid = fake.object("statefulsets", NS, &spec.name).unwrap()["metadata"]["uid"].clone();
    k8s.apply(&render(&spec)).await.unwrap();
    spec.running = false;
    k8s.apply(&render(&spec)).await.unwrap();

    let sts = fake.object("statefulsets", NS, &spec.name).unwrap();
    assert_eq!(
        sts["metadata"]["uid"], uid,
        "the same object, not a new one"
    );
    assert_eq!(sts["spec"]["replicas"], 0);
    assert_eq!(fake.objects("statefulsets").len(), 1);
    assert_eq!(fake.objects("services").len(), 2);
    assert_eq!(fake.objects("secrets").len(), 2);
    assert_eq!(
        k8s.pod(&spec.name).await.unwrap(),
        PodState::Absent,
        "scaled to zero"
    );
    assert_eq!(
        fake.objects("persistentvolumeclaims").len(),
        1,
        "the data stays"
    );
}

#[tokio::test]
async fn the_connection_string_is_the_cluster_dns_name_or_the_load_balancers_address() {
    let (_fake, k8s) = fake(0).await;
    let mut spec = spec(ID);
    k8s.apply(&render(&spec)).await.unwrap();
    assert_eq!(
        k8s.endpoint(&spec.name).await.unwrap(),
        Some(Endpoint {
            address: format!("{}.toygres.svc", spec.name),
            port: 5432
        })
    );

    spec.service_type = ServiceType::LoadBalancer;
    k8s.apply(&render(&spec)).await.unwrap();
    let endpoint = k8s.endpoint(&spec.name).await.unwrap().expect("an address");
    let ip: std::net::Ipv4Addr = endpoint.address.parse().expect("an IP address");
    assert!(
        ip.is_loopback(),
        "the fake hands out loopback addresses only: {ip}"
    );
    assert_eq!(endpoint.port, 5432);
}

#[tokio::test]
async fn delete_removes_every_object_and_the_claim_unless_it_is_retained() {
    let (fake, k8s) = fake(0).await;
    let a = spec(ID);
    let b = spec(OTHER);
    k8s.apply(&render(&a)).await.unwrap();
    k8s.apply(&render(&b)).await.unwrap();

    k8s.delete(&a.name, ID, false).await.unwrap();
    assert_eq!(
        k8s.remaining(&a.name, ID, false).await.unwrap(),
        Vec::<String>::new()
    );
    k8s.delete(&b.name, OTHER, true).await.unwrap();
    assert_eq!(
        k8s.remaining(&b.name, OTHER, true).await.unwrap(),
        Vec::<String>::new()
    );

    let claims: Vec<_> = fake
        .objects("persistentvolumeclaims")
        .into_iter()
        .map(|c| c["metadata"]["labels"]["toygres.io/instance-id"].clone())
        .collect();
    assert_eq!(
        claims,
        vec![serde_json::json!(OTHER)],
        "only the retained claim is left"
    );
    assert!(fake.objects("pods").is_empty());

    // Deleting again (a retried step) finds nothing and is fine.
    k8s.delete(&a.name, ID, false).await.unwrap();
    assert_eq!(fake.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn a_missing_object_is_reported_as_not_found_or_as_absent() {
    let (_fake, k8s) = fake(0).await;
    match k8s.endpoint("tg-000000000000").await {
        Err(Error::NotFound { name, .. }) => assert_eq!(name, "Service/tg-000000000000"),
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert_eq!(k8s.pod("tg-000000000000").await.unwrap(), PodState::Absent);
    assert!(k8s.claims(ID).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_conflict_is_retried_and_one_that_persists_is_transient_with_kubernetess_reason() {
    let (fake, k8s) = fake(0).await;
    let spec = spec(ID);
    fake.fail_next(Method::PATCH, "/statefulsets/", 2, 409);
    k8s.apply(&render(&spec)).await.unwrap();
    assert_eq!(
        count(&fake, "PATCH", "/statefulsets/"),
        3,
        "two conflicts, then success"
    );

    fake.fail_next(Method::PATCH, "/secrets/", 10, 409);
    match k8s.apply(&render(&spec)).await {
        Err(Error::Transient(e)) => {
            let text = format!("{e:#}");
            assert!(text.contains("409") && text.contains("Conflict"), "{text}");
        }
        other => panic!("expected a transient error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_server_error_is_retried_with_backoff_and_a_forbidden_call_fails_for_good() {
    let (fake, k8s) = fake(0).await;
    let spec = spec(ID);
    fake.fail_next(Method::GET, "/services/", 1, 503);
    fake.fail_next(Method::PATCH, "/services/", 2, 500);
    k8s.apply(&render(&spec)).await.unwrap();
    let services: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.uri.contains("/services/"))
        .map(|r| (r.method, r.status))
        .collect();
    let expected = [
        ("GET", 503),
        ("GET", 404),
        ("PATCH", 500),
        ("PATCH", 500),
        ("PATCH", 200),
        ("GET", 404),
        ("PATCH", 200),
    ];
    assert_eq!(services, expected.map(|(m, s)| (m.to_owned(), s)).to_vec());

    fake.fail_next(Method::DELETE, "/statefulsets/", 1, 403);
    match k8s.delete(&spec.name, ID, false).await {
        Err(Error::Permanent(e)) => assert!(format!("{e:#}").contains("403 Forbidden"), "{e:#}"),
        other => panic!("expected a permanent error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_object_of_the_same_name_that_is_not_the_instances_is_never_taken_over() {
    let (fake, k8s) = fake(0).await;
    let spec = spec(ID);
    k8s.apply(&render(&spec)).await.unwrap();
    fake.edit("services", NS, &spec.name, |svc| {
        svc["metadata"]["labels"]["toygres.io/instance-id"] = serde_json::json!(OTHER);
    })
    .await;
    match k8s.apply(&render(&spec)).await {
        Err(Error::Permanent(e)) => {
            assert!(
                format!("{e:#}").contains("does not belong to this instance"),
                "{e:#}"
            )
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn drift_names_what_was_deleted_or_changed_and_applying_repairs_it() {
    let (fake, k8s) = fake(0).await;
    let spec = spec(ID);
    let manifests = render(&spec);
    k8s.apply(&manifests).await.unwrap();
    assert_eq!(k8s.drift(&manifests).await.unwrap(), Vec::<String>::new());

    fake.remove("services", NS, &format!("{}-hl", spec.name))
        .await;
    fake.edit("statefulsets", NS, &spec.name, |sts| {
        sts["spec"]["template"]["spec"]["containers"][0]["image"] =
            serde_json::json!("postgres:9.6");
        sts["spec"]["replicas"] = serde_json::json!(3);
    })
    .await;
    fake.edit("secrets", NS, &spec.name, |s| {
        s["data"]["password"] = serde_json::json!("aGFja2Vk");
    })
    .await;
    fake.edit("secrets", NS, &format!("{}-tls", spec.name), |s| {
        s["data"]["tls.crt"] = serde_json::json!("aGFja2Vk");
    })
    .await;
    fake.edit("statefulsets", NS, &spec.name, |sts| {
        let pod = &mut sts["spec"]["template"]["spec"];
        pod["containers"][0]["args"] = serde_json::json!(["postgres"]);
        pod["volumes"] = serde_json::json!([]);
    })
    .await;
    let drift = k8s.drift(&manifests).await.unwrap();
    assert_eq!(
        drift,
        vec![
            "Secret/tg-0123456789ab key password was changed".to_owned(),
            "Secret/tg-0123456789ab-tls key tls.crt was changed".to_owned(),
            "Service/tg-0123456789ab-hl is missing".to_owned(),
            "StatefulSet/tg-0123456789ab has 3 replicas, not 1".to_owned(),
            "StatefulSet/tg-0123456789ab image is postgres:9.6, not docker.io/library/postgres:17"
                .to_owned(),
            "StatefulSet/tg-0123456789ab arguments were changed".to_owned(),
            "StatefulSet/tg-0123456789ab does not mount Secret/tg-0123456789ab-tls".to_owned(),
        ]
    );

    k8s.apply(&manifests).await.unwrap();
    assert_eq!(k8s.drift(&manifests).await.unwrap(), Vec::<String>::new());
}

#[tokio::test]
async fn an_image_that_cannot_be_pulled_shows_kubernetess_reason_and_message() {
    let (fake, k8s) = fake(0).await;
    let mut spec = spec(ID);
    spec.image.tag_pattern = "{version}-nonexistent".into();
    fake.fail_image(
        "nonexistent",
        "ImagePullBackOff",
        "Back-off pulling image \"docker.io/library/postgres:17-nonexistent\"",
    );
    k8s.apply(&render(&spec)).await.unwrap();
    let state = k8s.pod(&spec.name).await.unwrap();
    assert_eq!(
        state.problem().as_deref(),
        Some(
            "ImagePullBackOff: Back-off pulling image \"docker.io/library/postgres:17-nonexistent\""
        )
    );
    assert!(!wait_ready(&k8s, &spec.name).await.is_ready());
}

#[tokio::test]
async fn a_restart_replaces_the_pod_once_however_often_it_is_retried() {
    let (fake, k8s) = fake(0).await;
    let spec = spec(ID);
    k8s.apply(&render(&spec)).await.unwrap();
    let pod = format!("{}-0", spec.name);
    let uid = fake.object("pods", NS, &pod).unwrap()["metadata"]["uid"].clone();
    // Pods are stamped to the second: ask for a restart strictly after this one was made.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let asked = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(k8s.restart_pod(&spec.name, asked).await.unwrap());
    let replaced = fake
        .object("pods", NS, &pod)
        .expect("the StatefulSet made a new pod");
    assert_ne!(replaced["metadata"]["uid"], uid);
    assert!(
        !k8s.restart_pod(&spec.name, asked).await.unwrap(),
        "the new pod is kept"
    );
}

#[tokio::test]
async fn the_provider_connects_through_a_kubeconfig_file_and_context() {
    let (fake, _) = fake(0).await;
    let dir = tempfile::tempdir().unwrap();
    let path = fake.write_kubeconfig(dir.path()).unwrap();
    let k8s = Kubernetes::connect(
        KubeSource {
            kubeconfig: Some(&path),
            context: Some("fake"),
        },
        KubeSettings::default(),
    )
    .await
    .unwrap();
    k8s.apply(&render(&spec(ID))).await.unwrap();
    assert_eq!(
        fake.violations(),
        Vec::<String>::new(),
        "the token from the kubeconfig was sent"
    );

    let missing = dir.path().join("nope");
    let err = Kubernetes::connect(
        KubeSource {
            kubeconfig: Some(&missing),
            context: None,
        },
        KubeSettings::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Permanent(_)), "{err:?}");
}

/// The fake kubelet writes a Secret volume with the mode the pod asks for, and PostgreSQL
/// itself judges the key: one that others may read keeps the server from starting.
#[tokio::test]
async fn a_tls_key_that_others_may_read_keeps_the_pod_from_starting() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeKube::start(Kubelet::Postgres {
        root: dir.path().join("volumes"),
    })
    .await
    .unwrap();
    let k8s = Kubernetes::with_client(fake.client(), KubeSettings::default());
    let mut spec = spec(ID);
    spec.major = 15;
    let mut m = render(&spec);
    let pod = m
        .statefulset
        .spec
        .as_mut()
        .and_then(|s| s.template.spec.as_mut())
        .unwrap();
    for volume in pod.volumes.iter_mut().flatten() {
        if let Some(secret) = volume.secret.as_mut() {
            secret.default_mode = Some(0o444);
        }
    }
    k8s.apply(&m).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let state = loop {
        let state = k8s.pod(&spec.name).await.unwrap();
        if matches!(&state, PodState::Waiting { reason, .. } if reason != "ContainerCreating")
            || state.is_ready()
        {
            break state;
        }
        assert!(Instant::now() < deadline, "still {state:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let problem = state.problem().unwrap_or_else(|| panic!("{state:?}"));
    assert!(problem.starts_with("CrashLoopBackOff"), "{problem}");
    assert!(problem.contains("private key file"), "{problem}");
    fake.shutdown().await;
}

/// The whole life of an instance's objects on a real cluster: `KUBECONFIG` names it, and the
/// namespace `TOYGRES_K8S_NAMESPACE` (default `toygres`) must exist.
#[tokio::test]
#[ignore = "needs a Kubernetes cluster: set KUBECONFIG"]
async fn a_real_cluster_runs_an_instance_from_apply_to_delete() {
    assert!(std::env::var_os("KUBECONFIG").is_some(), "set KUBECONFIG");
    let namespace = std::env::var("TOYGRES_K8S_NAMESPACE").unwrap_or_else(|_| NS.into());
    let settings = KubeSettings {
        namespace: namespace.clone(),
        ..KubeSettings::default()
    };
    let k8s = Kubernetes::connect(KubeSource::default(), settings)
        .await
        .unwrap();
    let id = uuid_like();
    let mut spec = spec(&id);
    spec.namespace = namespace;
    spec.storage_class = std::env::var("TOYGRES_K8S_STORAGE_CLASS").ok();
    k8s.apply(&render(&spec)).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let state = k8s.pod(&spec.name).await.unwrap();
        if state.is_ready() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not ready within 10 minutes: {state:?}"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    assert!(k8s.endpoint(&spec.name).await.unwrap().is_some());
    assert_eq!(
        k8s.drift(&render(&spec)).await.unwrap(),
        Vec::<String>::new()
    );
    k8s.delete(&spec.name, &id, false).await.unwrap();
    loop {
        let left = k8s.remaining(&spec.name, &id, false).await.unwrap();
        if left.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "still there: {left:?}");
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

fn uuid_like() -> String {
    let n: u128 = rand::random();
    let hex = format!("{n:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}
