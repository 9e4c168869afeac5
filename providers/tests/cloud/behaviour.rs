//! What both clouds' clients must do, each test run against each fake (see `main.rs`).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use providers::Error;
use providers::cloud::{ActionStatus, CloudKind, HttpConfig, Token, VmStatus};
use testkit::cloud::Fault;

use crate::common::{
    assert_no_violations, client, client_with, fake, fast, new_vm, quick_fake, server_id,
};

/// The list path of a kind, after the base URL.
fn list_path(kind: CloudKind) -> &'static str {
    match kind {
        CloudKind::Hetzner => "/servers",
        CloudKind::DigitalOcean => "/v2/droplets",
    }
}

fn pages_asked(fake: &testkit::cloud::FakeCloud, path: &str) -> Vec<String> {
    fake.recorded_to("GET", path)
        .iter()
        .filter_map(|r| {
            r.query
                .iter()
                .find(|(k, _)| k == "page")
                .map(|(_, v)| v.clone())
        })
        .collect()
}

pub(crate) async fn get_returns_the_vm_and_none_for_an_unknown_id(kind: CloudKind) {
    let fake = fake(kind).await;
    let cloud = client(&fake);
    let created = cloud.create(&new_vm(kind, &server_id())).await.unwrap();
    let vm = cloud
        .get(&created.vm.provider_id)
        .await
        .unwrap()
        .expect("the new VM");
    assert_eq!(vm.name, created.vm.name);
    assert_eq!(vm.ipv4, Some("127.0.0.1".parse().unwrap()));
    assert_eq!(vm.ipv6, Some("::1".parse().unwrap()));
    assert_eq!(cloud.get("987654").await.unwrap(), None);
    assert_no_violations(&fake);
}

pub(crate) async fn a_new_vm_starts_then_runs(kind: CloudKind) {
    let fake = fake(kind).await;
    let cloud = client(&fake);
    let created = cloud.create(&new_vm(kind, &server_id())).await.unwrap();
    assert_eq!(created.vm.status, VmStatus::Starting);
    let id = &created.vm.provider_id;
    // The fake shows a new VM starting for one get (FakeOptions::boot_polls).
    assert_eq!(
        cloud.get(id).await.unwrap().unwrap().status,
        VmStatus::Starting
    );
    assert_eq!(
        cloud.get(id).await.unwrap().unwrap().status,
        VmStatus::Running
    );
    assert_no_violations(&fake);
}

pub(crate) async fn a_list_follows_next_page_until_the_last_page(kind: CloudKind) {
    let fake = fake(kind).await;
    let cloud = client(&fake);
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(
            cloud
                .create(&new_vm(kind, &server_id()))
                .await
                .unwrap()
                .vm
                .provider_id,
        );
    }
    let mut listed: Vec<String> = cloud
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.provider_id)
        .collect();
    listed.sort();
    ids.sort();
    assert_eq!(listed, ids);
    // Pages of two (FakeOptions::max_per_page): three pages for five VMs.
    assert_eq!(pages_asked(&fake, list_path(kind)), ["1", "2", "3"]);
    assert_no_violations(&fake);
}

pub(crate) async fn find_by_server_id_finds_only_that_servers_vm(kind: CloudKind) {
    let fake = fake(kind).await;
    let cloud = client(&fake);
    let wanted = server_id();
    for _ in 0..3 {
        cloud.create(&new_vm(kind, &server_id())).await.unwrap();
    }
    let made = cloud.create(&new_vm(kind, &wanted)).await.unwrap();
    let found = cloud.find_by_server_id(&wanted).await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].provider_id, made.vm.provider_id);
    assert_eq!(found[0].server_id(), Some(wanted.as_str()));
    assert_eq!(found[0].labels.get("role").map(String::as_str), Some("db"));
    assert!(
        cloud
            .find_by_server_id(&server_id())
            .await
            .unwrap()
            .is_empty()
    );
    assert_no_violations(&fake);
}

pub(crate) async fn a_create_action_is_polled_until_it_succeeds(kind: CloudKind) {
    let fake = fake(kind).await;
    let cloud = client(&fake);
    let created = cloud.create(&new_vm(kind, &server_id())).await.unwrap();
    let action = created.action.expect("creates come with an action");
    // The fake runs an action for one poll (FakeOptions::action_polls).
    assert_eq!(cloud.action(&action).await.unwrap(), ActionStatus::Running);
    assert_eq!(
        cloud.action(&action).await.unwrap(),
        ActionStatus::Succeeded
    );
    assert_eq!(
        cloud.action(&action).await.unwrap(),
        ActionStatus::Succeeded
    );
    assert_no_violations(&fake);
}

pub(crate) async fn a_powered_off_vm_is_off_once_its_action_succeeds(kind: CloudKind) {
    let fake = fake(kind).await;
    let cloud = client(&fake);
    let created = cloud.create(&new_vm(kind, &server_id())).await.unwrap();
    let id = created.vm.provider_id;
    cloud.get(&id).await.unwrap();
    assert_eq!(
        cloud.get(&id).await.unwrap().unwrap().status,
        VmStatus::Running
    );
    let action = cloud
        .power_off(&id)
        .await
        .unwrap()
        .expect("a power-off comes with an action");
    assert_eq!(cloud.action(&action).await.unwrap(), ActionStatus::Running);
    assert_eq!(
        cloud.action(&action).await.unwrap(),
        ActionStatus::Succeeded
    );
    assert_eq!(cloud.get(&id).await.unwrap().unwrap().status, VmStatus::Off);
    assert_eq!(fake.power_offs(), 1);
    // A VM that is gone is as fenced as one that is off.
    assert!(fake.remove_vm(id.parse().unwrap()));
    assert_eq!(cloud.power_off(&id).await.unwrap(), None);
    assert_no_violations(&fake);
}

pub(crate) async fn a_failed_create_action_is_reported_failed(kind: CloudKind) {
    let fake = quick_fake(kind).await;
    let cloud = client(&fake);
    fake.fail_next_create_action("no capacity left in this location");
    let created = cloud.create(&new_vm(kind, &server_id())).await.unwrap();
    let status = cloud.action(&created.action.unwrap()).await.unwrap();
    let ActionStatus::Failed(reason) = status else {
        panic!("expected a failed action, got {status:?}");
    };
    if kind == CloudKind::Hetzner {
        // DigitalOcean gives no reason for an errored action; Hetzner does.
        assert!(reason.contains("no capacity left"), "{reason}");
    }
    let vm = cloud.get(&created.vm.provider_id).await.unwrap().unwrap();
    assert_eq!(vm.status, VmStatus::Off);
    assert_no_violations(&fake);
}

pub(crate) async fn a_429_is_waited_out_until_the_reset_then_succeeds(kind: CloudKind) {
    let fake = fake(kind).await;
    let cloud = client(&fake);
    let reset_in = Duration::from_millis(1200);
    fake.fail_next(1, Fault::RateLimited { reset_in });
    let started = Instant::now();
    // The fake's reset header is in whole unix seconds, rounded up.
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let reset_at = Duration::from_secs((now + reset_in).as_secs_f64().ceil() as u64);
    let expected = reset_at - now;
    let vms = cloud.list().await.unwrap();
    let elapsed = started.elapsed();
    assert!(vms.is_empty());
    assert!(
        elapsed + Duration::from_millis(50) >= expected,
        "waited {elapsed:?}, the reset was {expected:?} away"
    );
    assert!(
        elapsed < expected + Duration::from_millis(900),
        "waited {elapsed:?}, the reset was only {expected:?} away"
    );
    let statuses: Vec<u16> = fake.recorded().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 200]);
    assert_no_violations(&fake);
}

pub(crate) async fn a_request_after_the_last_one_allowed_waits_for_the_reset(kind: CloudKind) {
    let fake = fake(kind).await;
    let cloud = client(&fake);
    fake.exhaust_rate_limit(Duration::from_millis(1200));
    assert!(cloud.list().await.unwrap().is_empty());
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let reset_at =
        Duration::from_secs((now + Duration::from_millis(1200)).as_secs_f64().ceil() as u64);
    let started = Instant::now();
    assert!(cloud.list().await.unwrap().is_empty());
    let elapsed = started.elapsed();
    // The reset is at least 1.2 s after the first answer, which came just before `now`.
    assert!(
        elapsed >= Duration::from_millis(1100),
        "waited only {elapsed:?}"
    );
    assert!(
        elapsed < reset_at - now + Duration::from_millis(900),
        "waited {elapsed:?}"
    );
    // It waited instead of drawing a 429.
    let statuses: Vec<u16> = fake.recorded().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200]);
    assert_no_violations(&fake);
}

pub(crate) async fn a_rate_limit_reset_beyond_the_longest_wait_is_transient_at_once(
    kind: CloudKind,
) {
    let fake = fake(kind).await;
    let config = HttpConfig {
        max_rate_limit_wait: Duration::from_secs(2),
        ..fast()
    };
    let cloud = client_with(&fake, Token::new(fake.token()), config);
    fake.fail_next(
        1,
        Fault::RateLimited {
            reset_in: Duration::from_secs(600),
        },
    );
    let started = Instant::now();
    let err = cloud.list().await.unwrap_err();
    assert!(matches!(err, Error::Transient(_)), "{err}");
    assert!(err.to_string().contains("rate limit resets in"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(fake.requests(), 1);
}

pub(crate) async fn server_errors_are_retried_then_succeed(kind: CloudKind) {
    let fake = fake(kind).await;
    let cloud = client(&fake);
    fake.fail_next(2, Fault::ServerError { status: 503 });
    assert!(cloud.list().await.unwrap().is_empty());
    let statuses: Vec<u16> = fake.recorded().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 503, 200]);
    assert_no_violations(&fake);
}

pub(crate) async fn persistent_server_errors_are_transient_after_three_tries(kind: CloudKind) {
    let fake = fake(kind).await;
    let cloud = client(&fake);
    fake.fail_next(10, Fault::ServerError { status: 500 });
    let err = cloud.get("42").await.unwrap_err();
    assert!(matches!(err, Error::Transient(_)), "{err}");
    assert!(
        err.to_string().contains("failed (500 server_error)"),
        "{err}"
    );
    assert_eq!(fake.requests(), 3);
    assert_no_violations(&fake);
}

pub(crate) async fn a_create_is_not_sent_again_after_a_server_error(kind: CloudKind) {
    let fake = fake(kind).await;
    let cloud = client(&fake);
    fake.fail_next(10, Fault::ServerError { status: 502 });
    let err = cloud.create(&new_vm(kind, &server_id())).await.unwrap_err();
    assert!(matches!(err, Error::Transient(_)), "{err}");
    // The VM may exist after a 5xx: the caller looks it up instead of creating again.
    assert_eq!(fake.requests(), 1);
}

pub(crate) async fn a_bad_token_is_permanent_and_never_shown(kind: CloudKind) {
    let fake = fake(kind).await;
    let secret = "sekrit-7d1f0e9c-do-not-print";
    let cloud = client_with(&fake, Token::new(secret), fast());
    for err in [
        cloud.list().await.unwrap_err(),
        cloud.get("1").await.unwrap_err(),
        cloud.create(&new_vm(kind, &server_id())).await.unwrap_err(),
    ] {
        assert!(matches!(err, Error::Permanent(_)), "{err}");
        assert!(err.to_string().contains("(unauthorized)"), "{err}");
        for shown in [err.to_string(), format!("{err:?}"), format!("{err:#}")] {
            assert!(!shown.contains(secret), "the token leaked: {shown}");
        }
    }
    assert!(!format!("{cloud:?}").contains(secret));
    assert_eq!(fake.creates(), 0);
    assert_no_violations(&fake);
}

pub(crate) async fn provider_codes_are_permanent_or_transient_with_the_code_shown(kind: CloudKind) {
    let fake = fake(kind).await;
    let cloud = client(&fake);
    let (permanent, transient): (&[&str], &[&str]) = match kind {
        CloudKind::Hetzner => (
            &[
                "invalid_input",
                "resource_limit_exceeded",
                "unauthorized",
                "forbidden",
                "uniqueness_error",
                "token_readonly",
            ],
            &["locked", "conflict", "resource_unavailable", "maintenance"],
        ),
        CloudKind::DigitalOcean => (
            &["unprocessable_entity", "unauthorized", "forbidden"],
            &["service_unavailable"],
        ),
    };
    let provider = kind.as_str();
    for code in permanent {
        fake.fail_next_on("POST", list_path(kind), 1, Fault::code(code));
        let err = cloud.create(&new_vm(kind, &server_id())).await.unwrap_err();
        assert!(matches!(err, Error::Permanent(_)), "{code}: {err}");
        let shown = err.to_string();
        assert!(
            shown.contains(&format!(
                "{provider} rejected the request ({code}): the fake was told"
            )),
            "{shown}"
        );
    }
    for code in transient {
        fake.fail_next_on("POST", list_path(kind), 1, Fault::code(code));
        let err = cloud.create(&new_vm(kind, &server_id())).await.unwrap_err();
        assert!(matches!(err, Error::Transient(_)), "{code}: {err}");
        // `(locked)` for a 4xx, `(503 maintenance)` for a 5xx.
        assert!(
            err.to_string()
                .contains(&format!("{code}): the fake was told")),
            "{err}"
        );
    }
    assert_eq!(fake.creates(), 0);
    assert_no_violations(&fake);
}
