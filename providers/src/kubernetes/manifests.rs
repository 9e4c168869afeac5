//! What the Kubernetes provider applies for one instance, rendered from plain settings. The
//! provider and `toygres kubernetes manifests` both call [`render`], so what an operator
//! reviews is what is applied.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetSpec};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EmptyDirVolumeSource, EnvVar, EnvVarSource, ExecAction,
    PersistentVolumeClaim, PersistentVolumeClaimSpec, PodSecurityContext, PodSpec, PodTemplateSpec,
    Probe, ResourceRequirements, Secret, SecretKeySelector, SecretVolumeSource, Service,
    ServicePort, ServiceSpec, Volume, VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;

/// The label every object carries with the instance's id: how we find what we made.
pub const INSTANCE_ID_LABEL: &str = "toygres.io/instance-id";
/// The port Postgres listens on in the pod and on both Services.
pub const POSTGRES_PORT: u16 = 5432;
/// The superuser the official image creates; the control plane alone knows its password.
pub const SUPERUSER: &str = "postgres";
/// The Secret key holding the application role's password.
pub const PASSWORD_KEY: &str = "password";
/// The Secret key holding the superuser's password.
pub const SUPERUSER_PASSWORD_KEY: &str = "superuser-password";
/// Where the volume is mounted; PGDATA is a subdirectory, since a fresh volume's root holds
/// `lost+found` and `initdb` wants an empty directory.
pub const DATA_MOUNT: &str = "/var/lib/postgresql/data";
/// PGDATA inside the mount.
pub const PGDATA: &str = "/var/lib/postgresql/data/pgdata";
/// The official image's `postgres` user and group.
pub const POSTGRES_UID: i64 = 999;
/// Where the TLS Secret is mounted in the pod.
pub const TLS_MOUNT: &str = "/etc/toygres/tls";
/// The TLS Secret's keys (a `kubernetes.io/tls` Secret's two, and the CA as cert-manager
/// names it).
pub const TLS_CERT_KEY: &str = "tls.crt";
/// The server's private key, PEM.
pub const TLS_KEY_KEY: &str = "tls.key";
/// The CA's certificate, PEM, for clients in the cluster that mount the Secret.
pub const TLS_CA_KEY: &str = "ca.crt";
/// The mode of the mounted TLS files: read-only to their owner (root, the kubelet) and to
/// the pod's `fsGroup` ([`POSTGRES_UID`]), nothing to others. PostgreSQL takes a key owned
/// by root that its group may read (and refuses one that others may); the kubelet would add
/// the group's read bit for `fsGroup` anyway.
pub const TLS_FILE_MODE: i32 = 0o440;

/// How clients outside the StatefulSet reach the instance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ServiceType {
    /// Reachable inside the cluster only, at `NAME.NAMESPACE.svc`.
    #[default]
    ClusterIp,
    /// A cloud load balancer in front of it.
    LoadBalancer,
}

impl ServiceType {
    /// The Kubernetes spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceType::ClusterIp => "ClusterIP",
            ServiceType::LoadBalancer => "LoadBalancer",
        }
    }
}

impl std::str::FromStr for ServiceType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "clusterip" | "cluster_ip" | "cluster-ip" => Ok(ServiceType::ClusterIp),
            "loadbalancer" | "load_balancer" | "load-balancer" => Ok(ServiceType::LoadBalancer),
            _ => Err(format!(
                "unknown service type {s:?}: use ClusterIP or LoadBalancer"
            )),
        }
    }
}

/// CPU and memory of a pod, from the instance's plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resources {
    /// CPU requested, in millicores.
    pub cpu_request_millis: u32,
    /// CPU limit, in millicores.
    pub cpu_limit_millis: u32,
    /// Memory requested and limited (the same: Postgres under memory pressure is killed, not
    /// throttled), in MiB.
    pub memory_mib: u32,
}

/// Where images come from: `<registry>:<tag>`, the tag made from a pattern in which
/// `{version}` stands for the major version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageSource {
    /// The repository, `docker.io/library/postgres` by default.
    pub registry: String,
    /// The tag pattern, `{version}` by default (`{version}-alpine`, `{version}-bookworm` …).
    pub tag_pattern: String,
}

impl Default for ImageSource {
    fn default() -> Self {
        Self {
            registry: "docker.io/library/postgres".into(),
            tag_pattern: "{version}".into(),
        }
    }
}

impl ImageSource {
    /// The image of a major version.
    pub fn image(&self, major: u32) -> String {
        let tag = self.tag_pattern.replace("{version}", &major.to_string());
        format!("{}:{tag}", self.registry.trim_end_matches(':'))
    }
}

/// Everything that decides an instance's objects.
#[derive(Clone, Debug)]
pub struct InstanceSpec {
    /// The objects' name (`tg-…`, a DNS-1123 label derived from the id).
    pub name: String,
    /// The instance's name as the user gave it (an annotation, for people reading the cluster).
    pub display_name: String,
    /// The instance's id, in [`INSTANCE_ID_LABEL`].
    pub instance_id: String,
    /// The namespace.
    pub namespace: String,
    /// PostgreSQL major version.
    pub major: u32,
    /// The volume's size, in GB (GiB on the claim).
    pub storage_gb: u32,
    /// The volume's storage class; the cluster's default when `None`.
    pub storage_class: Option<String>,
    /// The client Service's type.
    pub service_type: ServiceType,
    /// Requests and limits.
    pub resources: Resources,
    /// The image.
    pub image: ImageSource,
    /// One replica, or none (stopped, data kept).
    pub running: bool,
    /// The application role's password.
    pub password: String,
    /// The superuser's password.
    pub superuser_password: String,
    /// The server's certificate, its key and the CA's certificate.
    pub tls: TlsFiles,
}

/// What the TLS Secret holds, PEM each.
#[derive(Clone)]
pub struct TlsFiles {
    /// The instance's certificate.
    pub certificate: String,
    /// Its private key.
    pub key: String,
    /// The certificate of the CA that issued it.
    pub ca: String,
}

impl std::fmt::Debug for TlsFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsFiles").finish_non_exhaustive()
    }
}

/// An instance's objects, in the order they are applied.
#[derive(Clone, Debug, PartialEq)]
pub struct Manifests {
    /// The passwords.
    pub secret: Secret,
    /// The server's certificate and key, and the CA (`kubernetes.io/tls`).
    pub tls: Secret,
    /// The headless Service that gives the pod its stable DNS name.
    pub headless: Service,
    /// The Service clients connect to.
    pub client: Service,
    /// The one-replica StatefulSet.
    pub statefulset: StatefulSet,
}

impl Manifests {
    /// The objects as YAML documents, `---` between them.
    pub fn to_yaml(&self) -> Result<String, serde_norway::Error> {
        fn doc<T: Serialize>(out: &mut String, value: &T) -> Result<(), serde_norway::Error> {
            out.push_str("---\n");
            out.push_str(&serde_norway::to_string(value)?);
            Ok(())
        }
        let mut out = String::new();
        doc(&mut out, &self.secret)?;
        doc(&mut out, &self.tls)?;
        doc(&mut out, &self.headless)?;
        doc(&mut out, &self.client)?;
        doc(&mut out, &self.statefulset)?;
        Ok(out)
    }

    /// The same without the Secrets, for GitOps repositories that keep secrets elsewhere.
    pub fn to_yaml_without_secret(&self) -> Result<String, serde_norway::Error> {
        let mut out = String::new();
        for value in [
            serde_norway::to_string(&self.headless)?,
            serde_norway::to_string(&self.client)?,
            serde_norway::to_string(&self.statefulset)?,
        ] {
            out.push_str("---\n");
            out.push_str(&value);
        }
        Ok(out)
    }
}

/// The headless Service's name.
pub fn headless_name(name: &str) -> String {
    format!("{name}-hl")
}

/// The TLS Secret's name.
pub fn tls_name(name: &str) -> String {
    format!("{name}-tls")
}

/// The one pod's name.
pub fn pod_name(name: &str) -> String {
    format!("{name}-0")
}

/// The labels of every object of an instance.
pub fn labels(spec: &InstanceSpec) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".into(), "postgres".into()),
        ("app.kubernetes.io/instance".into(), spec.name.clone()),
        ("app.kubernetes.io/managed-by".into(), "toygres".into()),
        (INSTANCE_ID_LABEL.into(), spec.instance_id.clone()),
    ])
}

/// The labels that select the instance's pod (immutable on a StatefulSet, so few).
fn selector(spec: &InstanceSpec) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".into(), "postgres".into()),
        (INSTANCE_ID_LABEL.into(), spec.instance_id.clone()),
    ])
}

fn meta(spec: &InstanceSpec, name: String) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: Some(spec.namespace.clone()),
        labels: Some(labels(spec)),
        annotations: Some(BTreeMap::from([(
            "toygres.io/instance-name".into(),
            spec.display_name.clone(),
        )])),
        ..ObjectMeta::default()
    }
}

/// Render an instance's objects.
pub fn render(spec: &InstanceSpec) -> Manifests {
    Manifests {
        secret: secret(spec),
        tls: tls_secret(spec),
        headless: headless_service(spec),
        client: client_service(spec),
        statefulset: statefulset(spec),
    }
}

fn secret(spec: &InstanceSpec) -> Secret {
    Secret {
        metadata: meta(spec, spec.name.clone()),
        type_: Some("Opaque".into()),
        string_data: Some(BTreeMap::from([
            (PASSWORD_KEY.into(), spec.password.clone()),
            (
                SUPERUSER_PASSWORD_KEY.into(),
                spec.superuser_password.clone(),
            ),
        ])),
        ..Secret::default()
    }
}

fn tls_secret(spec: &InstanceSpec) -> Secret {
    Secret {
        metadata: meta(spec, tls_name(&spec.name)),
        type_: Some("kubernetes.io/tls".into()),
        string_data: Some(BTreeMap::from([
            (TLS_CERT_KEY.into(), spec.tls.certificate.clone()),
            (TLS_KEY_KEY.into(), spec.tls.key.clone()),
            (TLS_CA_KEY.into(), spec.tls.ca.clone()),
        ])),
        ..Secret::default()
    }
}

/// The server's arguments: the image's `postgres` command with TLS on, from the mounted
/// Secret. The entrypoint passes them to the server it initializes the cluster with, too.
fn postgres_args() -> Vec<String> {
    vec![
        "postgres".into(),
        "-c".into(),
        "ssl=on".into(),
        "-c".into(),
        format!("ssl_cert_file={TLS_MOUNT}/{TLS_CERT_KEY}"),
        "-c".into(),
        format!("ssl_key_file={TLS_MOUNT}/{TLS_KEY_KEY}"),
    ]
}

fn service_port() -> ServicePort {
    ServicePort {
        name: Some("postgres".into()),
        port: i32::from(POSTGRES_PORT),
        target_port: Some(IntOrString::String("postgres".into())),
        protocol: Some("TCP".into()),
        ..ServicePort::default()
    }
}

fn headless_service(spec: &InstanceSpec) -> Service {
    Service {
        metadata: meta(spec, headless_name(&spec.name)),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".into()),
            selector: Some(selector(spec)),
            ports: Some(vec![service_port()]),
            // The pod's DNS name resolves while it starts, so replicas and tools can find it.
            publish_not_ready_addresses: Some(true),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

fn client_service(spec: &InstanceSpec) -> Service {
    Service {
        metadata: meta(spec, spec.name.clone()),
        spec: Some(ServiceSpec {
            type_: Some(spec.service_type.as_str().into()),
            selector: Some(selector(spec)),
            ports: Some(vec![service_port()]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

fn secret_env(name: &str, secret: &str, key: &str) -> EnvVar {
    EnvVar {
        name: name.into(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: secret.into(),
                key: key.into(),
                optional: Some(false),
            }),
            ..EnvVarSource::default()
        }),
        ..EnvVar::default()
    }
}

fn env(name: &str, value: &str) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: Some(value.into()),
        ..EnvVar::default()
    }
}

/// `pg_isready` against the pod's own server, over TCP as clients reach it.
fn pg_isready(period: i32, failures: i32, initial_delay: Option<i32>) -> Probe {
    Probe {
        exec: Some(ExecAction {
            command: Some(
                [
                    "pg_isready",
                    "--host=127.0.0.1",
                    "--port=5432",
                    "--username=postgres",
                    "--dbname=postgres",
                ]
                .map(String::from)
                .to_vec(),
            ),
        }),
        initial_delay_seconds: initial_delay,
        period_seconds: Some(period),
        timeout_seconds: Some(5),
        failure_threshold: Some(failures),
        ..Probe::default()
    }
}

fn quantity(s: String) -> Quantity {
    Quantity(s)
}

fn resources(r: Resources) -> ResourceRequirements {
    let memory = quantity(format!("{}Mi", r.memory_mib));
    ResourceRequirements {
        requests: Some(BTreeMap::from([
            ("cpu".into(), quantity(format!("{}m", r.cpu_request_millis))),
            ("memory".into(), memory.clone()),
        ])),
        limits: Some(BTreeMap::from([
            ("cpu".into(), quantity(format!("{}m", r.cpu_limit_millis))),
            ("memory".into(), memory),
        ])),
        ..ResourceRequirements::default()
    }
}

fn statefulset(spec: &InstanceSpec) -> StatefulSet {
    let container = Container {
        name: "postgres".into(),
        image: Some(spec.image.image(spec.major)),
        image_pull_policy: Some("IfNotPresent".into()),
        args: Some(postgres_args()),
        ports: Some(vec![ContainerPort {
            name: Some("postgres".into()),
            container_port: i32::from(POSTGRES_PORT),
            protocol: Some("TCP".into()),
            ..ContainerPort::default()
        }]),
        env: Some(vec![
            env("POSTGRES_USER", SUPERUSER),
            secret_env("POSTGRES_PASSWORD", &spec.name, SUPERUSER_PASSWORD_KEY),
            env(
                "POSTGRES_INITDB_ARGS",
                "--auth-host=scram-sha-256 --auth-local=trust",
            ),
            env("PGDATA", PGDATA),
        ]),
        // The server answers within ten minutes of starting (crash recovery included) …
        startup_probe: Some(pg_isready(5, 120, None)),
        // … takes traffic while it answers …
        readiness_probe: Some(pg_isready(10, 3, None)),
        // … and is restarted when it stops answering for two minutes.
        liveness_probe: Some(pg_isready(20, 6, None)),
        resources: Some(resources(spec.resources)),
        volume_mounts: Some(vec![
            VolumeMount {
                name: "data".into(),
                mount_path: DATA_MOUNT.into(),
                ..VolumeMount::default()
            },
            VolumeMount {
                name: "dshm".into(),
                mount_path: "/dev/shm".into(),
                ..VolumeMount::default()
            },
            // Not a subPath: the kubelet refreshes the files when the Secret changes.
            VolumeMount {
                name: "tls".into(),
                mount_path: TLS_MOUNT.into(),
                read_only: Some(true),
                ..VolumeMount::default()
            },
        ]),
        ..Container::default()
    };
    let labels = labels(spec);
    StatefulSet {
        metadata: meta(spec, spec.name.clone()),
        spec: Some(StatefulSetSpec {
            replicas: Some(i32::from(spec.running)),
            service_name: Some(headless_name(&spec.name)),
            selector: LabelSelector {
                match_labels: Some(selector(spec)),
                ..LabelSelector::default()
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels.clone()),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    security_context: Some(PodSecurityContext {
                        run_as_user: Some(POSTGRES_UID),
                        run_as_group: Some(POSTGRES_UID),
                        fs_group: Some(POSTGRES_UID),
                        run_as_non_root: Some(true),
                        ..PodSecurityContext::default()
                    }),
                    // A fast shutdown checkpoints first; give it time before SIGKILL.
                    termination_grace_period_seconds: Some(60),
                    containers: vec![container],
                    volumes: Some(vec![
                        Volume {
                            name: "dshm".into(),
                            empty_dir: Some(EmptyDirVolumeSource {
                                medium: Some("Memory".into()),
                                // Parallel queries' shared memory, within the pod's memory limit.
                                size_limit: Some(quantity(format!(
                                    "{}Mi",
                                    (spec.resources.memory_mib / 4).max(64)
                                ))),
                            }),
                            ..Volume::default()
                        },
                        Volume {
                            name: "tls".into(),
                            secret: Some(SecretVolumeSource {
                                secret_name: Some(tls_name(&spec.name)),
                                default_mode: Some(TLS_FILE_MODE),
                                optional: Some(false),
                                ..SecretVolumeSource::default()
                            }),
                            ..Volume::default()
                        },
                    ]),
                    ..PodSpec::default()
                }),
            },
            volume_claim_templates: Some(vec![PersistentVolumeClaim {
                metadata: ObjectMeta {
                    name: Some("data".into()),
                    labels: Some(labels),
                    ..ObjectMeta::default()
                },
                spec: Some(PersistentVolumeClaimSpec {
                    access_modes: Some(vec!["ReadWriteOnce".into()]),
                    storage_class_name: spec.storage_class.clone(),
                    resources: Some(VolumeResourceRequirements {
                        requests: Some(BTreeMap::from([(
                            "storage".into(),
                            quantity(format!("{}Gi", spec.storage_gb)),
                        )])),
                        ..VolumeResourceRequirements::default()
                    }),
                    ..PersistentVolumeClaimSpec::default()
                }),
                ..PersistentVolumeClaim::default()
            }]),
            ..StatefulSetSpec::default()
        }),
        ..StatefulSet::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> InstanceSpec {
        InstanceSpec {
            name: "tg-0123456789ab".into(),
            display_name: "orders".into(),
            instance_id: "01234567-89ab-7def-8123-0123456789ab".into(),
            namespace: "toygres".into(),
            major: 17,
            storage_gb: 20,
            storage_class: Some("fast".into()),
            service_type: ServiceType::LoadBalancer,
            resources: Resources {
                cpu_request_millis: 250,
                cpu_limit_millis: 1000,
                memory_mib: 512,
            },
            image: ImageSource::default(),
            running: true,
            password: "app-secret".into(),
            superuser_password: "super-secret".into(),
            tls: TlsFiles {
                certificate: "-----BEGIN CERTIFICATE-----\ninstance\n".into(),
                key: "-----BEGIN PRIVATE KEY-----\nkey-secret\n".into(),
                ca: "-----BEGIN CERTIFICATE-----\nca\n".into(),
            },
        }
    }

    #[test]
    fn every_object_carries_the_instance_id_label_and_the_namespace() {
        let m = render(&spec());
        for meta in [
            &m.secret.metadata,
            &m.tls.metadata,
            &m.headless.metadata,
            &m.client.metadata,
            &m.statefulset.metadata,
        ] {
            let labels = meta.labels.as_ref().unwrap();
            assert_eq!(
                labels[INSTANCE_ID_LABEL],
                "01234567-89ab-7def-8123-0123456789ab"
            );
            assert_eq!(meta.namespace.as_deref(), Some("toygres"));
        }
    }

    #[test]
    fn the_statefulset_runs_the_requested_image_size_and_class_as_postgres() {
        let m = render(&spec());
        let sts = m.statefulset.spec.unwrap();
        assert_eq!(sts.replicas, Some(1));
        let pod = sts.template.spec.unwrap();
        let c = &pod.containers[0];
        assert_eq!(c.image.as_deref(), Some("docker.io/library/postgres:17"));
        assert_eq!(pod.security_context.as_ref().unwrap().fs_group, Some(999));
        let pgdata = c
            .env
            .as_ref()
            .unwrap()
            .iter()
            .find(|e| e.name == "PGDATA")
            .unwrap();
        assert!(pgdata.value.as_ref().unwrap().starts_with(DATA_MOUNT));
        let claim = &sts.volume_claim_templates.unwrap()[0];
        let claim = claim.spec.as_ref().unwrap();
        assert_eq!(claim.storage_class_name.as_deref(), Some("fast"));
        assert_eq!(
            claim.resources.as_ref().unwrap().requests.as_ref().unwrap()["storage"].0,
            "20Gi"
        );
        assert_eq!(
            c.resources.as_ref().unwrap().limits.as_ref().unwrap()["memory"].0,
            "512Mi"
        );
    }

    #[test]
    fn passwords_reach_the_pod_only_through_the_secret() {
        let m = render(&spec());
        let yaml = m.to_yaml_without_secret().unwrap();
        assert!(!yaml.contains("app-secret") && !yaml.contains("super-secret"));
        assert!(yaml.contains("secretKeyRef"));
        assert!(m.to_yaml().unwrap().contains("super-secret"));
        assert!(!yaml.contains("key-secret"));
    }

    #[test]
    fn the_server_serves_tls_from_the_mounted_secret_readable_by_its_group_alone() {
        let m = render(&spec());
        assert_eq!(m.tls.type_.as_deref(), Some("kubernetes.io/tls"));
        assert_eq!(m.tls.metadata.name.as_deref(), Some("tg-0123456789ab-tls"));
        let data = m.tls.string_data.as_ref().unwrap();
        assert_eq!(
            data.keys().map(String::as_str).collect::<Vec<_>>(),
            [TLS_CA_KEY, TLS_CERT_KEY, TLS_KEY_KEY]
        );
        let pod = m.statefulset.spec.unwrap().template.spec.unwrap();
        let volume = pod
            .volumes
            .unwrap()
            .into_iter()
            .find(|v| v.name == "tls")
            .unwrap();
        let source = volume.secret.unwrap();
        assert_eq!(source.secret_name.as_deref(), Some("tg-0123456789ab-tls"));
        assert_eq!(source.default_mode, Some(0o440));
        let c = &pod.containers[0];
        let mount = c
            .volume_mounts
            .as_ref()
            .unwrap()
            .iter()
            .find(|v| v.name == "tls")
            .unwrap();
        assert_eq!(
            (mount.mount_path.as_str(), mount.read_only),
            (TLS_MOUNT, Some(true))
        );
        assert!(
            mount.sub_path.is_none(),
            "a subPath mount is never refreshed"
        );
        let args = c.args.as_ref().unwrap().join(" ");
        assert_eq!(
            args,
            "postgres -c ssl=on -c ssl_cert_file=/etc/toygres/tls/tls.crt -c ssl_key_file=/etc/toygres/tls/tls.key"
        );
    }

    #[test]
    fn a_stopped_instance_has_no_replicas() {
        let mut s = spec();
        s.running = false;
        assert_eq!(render(&s).statefulset.spec.unwrap().replicas, Some(0));
    }

    #[test]
    fn the_tag_pattern_names_the_major_version() {
        let image = ImageSource {
            registry: "registry.example.com/pg".into(),
            tag_pattern: "{version}-alpine".into(),
        };
        assert_eq!(image.image(16), "registry.example.com/pg:16-alpine");
    }
}
