//! What tests of the control plane build over and over: a local host to run instances on, a
//! recorded server, and the wait for an operation to finish.

use std::sync::Arc;
use std::time::Duration;

use jobs::db::Db;
use jobs::operation::{Operation, OperationId};
use providers::host::PgHost;

/// A local provider rooted in a fresh private scratch directory (leaked for the test's life),
/// running Postgres as the `postgres` user when tests run as root.
pub fn local_host() -> Arc<PgHost> {
    use std::os::unix::fs::PermissionsExt as _;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let dir = std::env::temp_dir().join(format!("tg-test-{}", &id[..12]));
    std::fs::create_dir_all(&dir).expect("create scratch directory");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))
        .expect("chmod scratch directory");
    let run_as =
        providers::local::RunAs::resolve("postgres").expect("the postgres system user exists");
    Arc::new(PgHost::local(
        dir,
        run_as,
        std::net::IpAddr::from([127, 0, 0, 1]),
        20000..30000,
        Vec::new(),
    ))
}

/// Wait until operation `op` is final (succeeded, failed or cancelled), at most `patience`;
/// panics when it is not.
pub async fn wait_final(db: &Db, op: OperationId, patience: Duration) -> Operation {
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        let now = db.operation(op).await.expect("read the operation");
        if now.status.is_final() {
            return now;
        }
        assert!(tokio::time::Instant::now() < deadline, "stuck: {now:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A server row recorded as a provision records it ([`Db::insert_server`], no operation
/// started): a Hetzner `cx22` in `fsn1` named `name`, in `project`, still `provisioning`. For
/// tests that need a server to exist, not to run.
pub async fn record_server(
    db: &Db,
    project: jobs::user::ProjectId,
    name: &str,
) -> jobs::Result<jobs::server::Server> {
    use jobs::server::{CloudProvider, ServerId};
    let provider = CloudProvider::Hetzner;
    let mut tx = db.begin().await?;
    let server = Db::insert_server(
        &mut tx,
        &jobs::db::NewServer {
            id: ServerId(uuid::Uuid::now_v7()),
            project_id: project,
            name: name.to_owned(),
            provider,
            plan: "cx22".to_owned(),
            region: "fsn1".to_owned(),
            template: "postgres-host".to_owned(),
            image: jobs::server::default_image(provider),
            labels: Default::default(),
            created_by: None,
            scaling_operation_id: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(server)
}

/// The master key of every test's metadata database (a real one: AES-256-GCM).
pub const MASTER_KEY: [u8; 32] = [7; 32];

/// [`MASTER_KEY`] as the sealer a `Db` seals instance passwords with:
/// `Db::from_pool(pool).sealed_with(testkit::master_key())`.
pub fn master_key() -> std::sync::Arc<dyn jobs::Sealer> {
    std::sync::Arc::new(jobs::MasterKey::from_bytes(&MASTER_KEY).expect("a master key is 32 bytes"))
}
