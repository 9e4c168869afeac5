//! The server fleet end to end: the real binary, driven through GraphQL over HTTP and
//! WebSocket, against a fake Hetzner answering as the official API description says and a
//! real sshd on loopback standing in for the new server's SSH; crashes mid-provision.

mod common;

use common::{ADMIN_EMAIL, ADMIN_PASSWORD, Toygres, recv, scratch, send, serve, wait_pong};
use providers::cloud::CloudKind;
use serde_json::{Value, json};
use testkit::cloud::FakeCloud;

const PROVISION: &str = "mutation($i: ProvisionServerInput!) { provisionServer(input: $i) { server { id state } operation { id } } }";

fn fleet_env(fake: &FakeCloud) -> Vec<(&'static str, String)> {
    vec![
        ("TOYGRES_HETZNER_TOKEN", fake.token().to_owned()),
        ("TOYGRES_HETZNER_API_URL", fake.base_url()),
        ("TOYGRES_FLEET_POLL_MS", "50".to_owned()),
    ]
}

async fn server(t: &Toygres, token: &str, id: &str) -> Value {
    let (_, body) = t
        .gql(
            Some(token),
            "query($id: ID!) { server(id: $id) { state ipv4 sshPort providerId failureReason events(first: 50) { edges { node { kind message } } } operations { kind status attempts } } }",
            json!({"id": id}),
        )
        .await;
    body["data"]["server"].clone()
}

/// An operator provisions a server and watches it become active live, drains it and removes
/// it; the cloud saw exactly one create and one delete, each as its API description allows.
#[tokio::test]
async fn a_server_is_provisioned_watched_live_drained_and_removed() {
    let fake = FakeCloud::start(CloudKind::Hetzner).await;
    let sshd = testkit::sshd::Sshd::start().await;
    let dir = scratch();
    let mut env = fleet_env(&fake);
    env.push(("TOYGRES_SSH_PORT", sshd.addr.port().to_string()));
    let t = serve(dir.path(), "serve", &common::borrowed(&env)).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    let mut ws = t.ws_as(&token).await;
    send(&mut ws, json!({"id": "s", "type": "subscribe", "payload": {"query": "subscription { serverUpdated { id state } }"}})).await;
    send(&mut ws, json!({"id": "e", "type": "subscribe", "payload": {"query": "subscription { clusterEvents { kind serverId } }"}})).await;
    wait_pong(&mut ws).await;

    let (_, body) = t
        .gql(
            Some(&token),
            PROVISION,
            json!({"i": {"provider": "HETZNER", "plan": "cx22", "region": "fsn1", "name": "pg-host-1"}}),
        )
        .await;
    let id = body["data"]["provisionServer"]["server"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut states = vec![];
    let mut events = vec![];
    while states.last().map(String::as_str) != Some("ACTIVE")
        || !events.contains(&"server_active".to_owned())
    {
        let msg = recv(&mut ws).await;
        if let Some(s) = msg["payload"]["data"]["serverUpdated"].as_object()
            && s["id"] == id.as_str()
        {
            let state = s["state"].as_str().unwrap().to_owned();
            if states.last() != Some(&state) {
                states.push(state);
            }
        }
        if let Some(e) = msg["payload"]["data"]["clusterEvents"].as_object() {
            events.push(e["kind"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(
        states,
        ["PROVISIONING", "BOOTSTRAPPING", "ACTIVE"],
        "{states:?}"
    );
    assert_eq!(
        events,
        [
            "server_provisioning",
            "vm_created",
            "vm_running",
            "ssh_ready",
            "server_active"
        ]
    );
    let srv = server(&t, &token, &id).await;
    assert_eq!(srv["ipv4"], "127.0.0.1");
    assert_eq!(
        srv["sshPort"],
        sshd.addr.port(),
        "later logins go where SSH answered"
    );
    assert_eq!(srv["events"]["edges"].as_array().unwrap().len(), 5);

    let (_, body) = t
        .gql(
            Some(&token),
            "mutation($id: ID!) { drainServer(id: $id) { operation { id } } }",
            json!({"id": id}),
        )
        .await;
    let drain = body["data"]["drainServer"]["operation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        t.wait_operation(&token, &drain).await["status"],
        "SUCCEEDED"
    );
    assert_eq!(server(&t, &token, &id).await["state"], "DRAINING");
    let (_, body) = t
        .gql(
            Some(&token),
            "mutation($id: ID!) { removeServer(id: $id) { id } }",
            json!({"id": id}),
        )
        .await;
    let remove = body["data"]["removeServer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        t.wait_operation(&token, &remove).await["status"],
        "SUCCEEDED"
    );
    assert_eq!(server(&t, &token, &id).await["state"], "REMOVED");
    assert_eq!((fake.creates(), fake.deletes()), (1, 1));
    assert!(fake.vms().is_empty());
    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
    let log = t.log_text();
    assert!(
        !log.contains(fake.token()),
        "the cloud token leaked into the log"
    );
}

/// Kill the control plane right after each provisioning step is recorded; the restarted one
/// finishes the provision, and the cloud holds exactly one VM for the server.
#[tokio::test]
async fn a_control_plane_killed_at_any_step_of_a_provision_leaves_exactly_one_vm() {
    for step in ["wait_action", "wait_running", "wait_ssh", "mark_active"] {
        let fake = FakeCloud::start(CloudKind::Hetzner).await;
        let dir = scratch();
        let mut env = fleet_env(&fake);
        env.push(("TOYGRES_SSH_CHECK", "off".to_owned()));
        env.push(("TOYGRES_WORKER_HEARTBEAT_SECS", "1".to_owned()));
        env.push(("TOYGRES_WORKER_MISSED_HEARTBEATS", "1".to_owned()));
        let mut crashing = env.clone();
        crashing.push(("TOYGRES_FAILPOINT", format!("provision_server:{step}")));
        let mut t = serve(dir.path(), "crashing", &common::borrowed(&crashing)).await;
        let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let (_, body) = t
            .gql(
                Some(&token),
                PROVISION,
                json!({"i": {"provider": "HETZNER", "plan": "cx22", "region": "fsn1"}}),
            )
            .await;
        let id = body["data"]["provisionServer"]["server"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let op = body["data"]["provisionServer"]["operation"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let status = t.wait_exit().await;
        assert!(
            !status.success(),
            "the failpoint at {step} crashed the process"
        );
        drop(t);

        let t = serve(dir.path(), "restarted", &common::borrowed(&env)).await;
        let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let done = t.wait_operation(&token, &op).await;
        assert_eq!(done["status"], "SUCCEEDED", "{step}: {done}");
        assert_eq!(done["attempts"], 2, "{step}: the crashed try counted");
        assert_eq!(server(&t, &token, &id).await["state"], "ACTIVE", "{step}");
        assert_eq!(fake.creates(), 1, "{step}: exactly one VM was ever created");
        assert_eq!(fake.vms().len(), 1, "{step}");
    }
}

/// A plain SIGKILL while the cloud is still working on the create (its action runs for many
/// polls): the restarted control plane waits it out and never creates a second VM.
#[tokio::test]
async fn a_control_plane_killed_while_the_cloud_creates_the_vm_never_makes_a_second_one() {
    let fake = FakeCloud::start(CloudKind::Hetzner).await;
    fake.set_action_polls(40);
    let dir = scratch();
    let mut env = fleet_env(&fake);
    env.push(("TOYGRES_SSH_CHECK", "off".to_owned()));
    env.push(("TOYGRES_WORKER_HEARTBEAT_SECS", "1".to_owned()));
    env.push(("TOYGRES_WORKER_MISSED_HEARTBEATS", "1".to_owned()));
    let t = serve(dir.path(), "killed", &common::borrowed(&env)).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (_, body) = t
        .gql(
            Some(&token),
            PROVISION,
            json!({"i": {"provider": "HETZNER", "plan": "cx22", "region": "fsn1"}}),
        )
        .await;
    let op = body["data"]["provisionServer"]["operation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let deadline = std::time::Instant::now() + common::PATIENCE;
    while fake.creates() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the VM was never created"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    t.signal(nix::sys::signal::Signal::SIGKILL);
    drop(t);
    let t = serve(dir.path(), "restarted", &common::borrowed(&env)).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(t.wait_operation(&token, &op).await["status"], "SUCCEEDED");
    assert_eq!(fake.creates(), 1);
    assert_eq!(fake.vms().len(), 1);
}

/// A provisioned VM gets a key of its own through cloud-init, beside the operator's
/// `TOYGRES_SSH_AUTHORIZED_KEY`; the server shows its public half, and nothing private is in
/// the user data.
#[tokio::test]
async fn a_provisioned_vm_is_given_its_own_key_through_cloud_init() {
    let fake = FakeCloud::start(CloudKind::Hetzner).await;
    let installation = testkit::sshd::ClientKey::generate();
    let operator = testkit::sshd::ClientKey::generate();
    let dir = scratch();
    let mut env = fleet_env(&fake);
    env.push(("TOYGRES_SSH_CHECK", "off".to_owned()));
    env.push((
        "TOYGRES_SSH_PRIVATE_KEY_FILE",
        installation.private.display().to_string(),
    ));
    env.push(("TOYGRES_SSH_AUTHORIZED_KEY", operator.public.clone()));
    let t = serve(dir.path(), "own-key", &common::borrowed(&env)).await;
    let token = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut ids = vec![];
    for name in ["pg-a", "pg-b"] {
        let (_, body) = t
            .gql(
                Some(&token),
                PROVISION,
                json!({"i": {"provider": "HETZNER", "plan": "cx22", "region": "fsn1", "name": name}}),
            )
            .await;
        let op = body["data"]["provisionServer"]["operation"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(t.wait_operation(&token, &op).await["status"], "SUCCEEDED");
        ids.push(
            body["data"]["provisionServer"]["server"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let mut keys = vec![];
    for (id, name) in ids.iter().zip(["pg-a", "pg-b"]) {
        let (_, body) = t
            .gql(
                Some(&token),
                "query($id: ID!) { server(id: $id) { sshPublicKey } }",
                json!({"id": id}),
            )
            .await;
        let own = body["data"]["server"]["sshPublicKey"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_owned();
        let vm = fake
            .vms()
            .into_iter()
            .find(|vm| vm.name == format!("tg-{}", id.replace('-', "")))
            .unwrap();
        let user_data = vm.user_data.unwrap();
        assert!(
            user_data.contains(&format!(
                "ssh_authorized_keys: [\"{own}\", \"{}\"]",
                operator.public
            )),
            "{name}: {user_data}"
        );
        assert!(!user_data.contains("PRIVATE"), "{user_data}");
        assert!(!user_data.contains(&installation.public));
        keys.push(own);
    }
    assert_ne!(keys[0], keys[1], "every VM has a key of its own");
}
