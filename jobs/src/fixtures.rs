//! Fixtures for this crate's unit tests: a server row and a worker context.
//!
//! They stay here rather than in `testkit` because they build this crate's own types: a unit
//! test is compiled as a separate copy of `jobs`, and `testkit` (which depends on the ordinary
//! `jobs`) would hand back a `jobs::server::Server` that is not this copy's `Server`.
//! Integration tests use `testkit`.

use std::time::Duration;

use crate::db::Db;
use crate::server::{CloudProvider, Server, ServerId, ServerState};
use crate::user::DEFAULT_PROJECT_ID;
use crate::workflow::Context;

/// A server row for unit tests: an active registered host named `name`, reached over SSH,
/// with 4 GB of memory, 100 GB of disk and PostgreSQL 15. A test changes what it is about
/// with struct update syntax: `Server { state, ..fixtures::server("a") }`.
pub(crate) fn server(name: &str) -> Server {
    let now = chrono::Utc::now();
    Server {
        id: ServerId(uuid::Uuid::now_v7()),
        project_id: DEFAULT_PROJECT_ID,
        name: name.to_owned(),
        provider: CloudProvider::Existing,
        plan: "existing".to_owned(),
        region: "home".to_owned(),
        provider_id: Some(name.to_owned()),
        ipv4: Some(std::net::Ipv4Addr::new(127, 0, 0, 2).into()),
        ipv6: None,
        labels: serde_json::json!({}),
        state: ServerState::Active,
        failure_reason: None,
        created_by: None,
        created_at: now,
        updated_at: now,
        template: "postgres-host".to_owned(),
        image: String::new(),
        pending_action: None,
        state_changed_at: now,
        removed_at: None,
        scaling_operation_id: None,
        ssh_port: 22,
        ssh_user: "root".to_owned(),
        ssh_host_key: Some("ssh-ed25519 AAAA".to_owned()),
        ssh_public_key: None,
        memory_mb: Some(4096),
        disk_gb: Some(100),
        pg_versions: vec![15],
    }
}

/// A worker context over `db` for unit tests: the local provider of `testkit::local_host`,
/// no fleet, no Kubernetes, short retries, and no failpoint.
pub(crate) fn context(db: &Db) -> Context {
    Context {
        db: db.clone(),
        shutdown: tokio_util::sync::CancellationToken::new(),
        retry: crate::RetryPolicy {
            base: Duration::from_millis(20),
            cap: Duration::from_millis(100),
        },
        local: testkit::local_host(),
        fleet: Default::default(),
        backup: None,
        kubernetes: None,
        failpoint: None,
        tls: std::sync::Arc::new(crate::tls::Authority::ephemeral().expect("a CA in memory")),
    }
}
