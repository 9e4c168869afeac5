//! What the cloud tests share: clients pointed at a fake, new VMs, and the check that the
//! fake saw nothing the API description forbids.

use std::collections::BTreeMap;
use std::time::Duration;

use providers::cloud::{Cloud, CloudKind, DigitalOcean, Hetzner, HttpConfig, NewVm, Token};
use testkit::cloud::{FakeCloud, FakeOptions};

/// Retries a few milliseconds apart, and rate-limit waits of up to 5 s.
pub(crate) fn fast() -> HttpConfig {
    HttpConfig {
        retry_base: Duration::from_millis(5),
        max_rate_limit_wait: Duration::from_secs(5),
        ..HttpConfig::default()
    }
}

/// A fake of `kind` with the default options.
pub(crate) async fn fake(kind: CloudKind) -> FakeCloud {
    FakeCloud::start(kind).await
}

/// A fake of `kind` whose actions and VMs finish at the first poll.
pub(crate) async fn quick_fake(kind: CloudKind) -> FakeCloud {
    let options = FakeOptions {
        action_polls: 0,
        boot_polls: 0,
        ..FakeOptions::default()
    };
    FakeCloud::start_with(kind, options)
        .await
        .expect("start the fake")
}

/// A client of the fake, with `config`.
pub(crate) fn client_with(fake: &FakeCloud, token: Token, config: HttpConfig) -> Box<dyn Cloud> {
    providers::install_crypto_provider();
    match fake.kind() {
        CloudKind::Hetzner => Box::new(
            Hetzner::with_config(&fake.base_url(), token, config).expect("build the client"),
        ),
        CloudKind::DigitalOcean => Box::new(
            DigitalOcean::with_config(&fake.base_url(), token, config).expect("build the client"),
        ),
    }
}

/// A client of the fake with its token and [`fast`] retries.
pub(crate) fn client(fake: &FakeCloud) -> Box<dyn Cloud> {
    client_with(fake, Token::new(fake.token()), fast())
}

/// A server id as ours are: 32 hex digits.
pub(crate) fn server_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// A VM on the fake's catalogue: `cx22` in `fsn1`, or `s-1vcpu-1gb` in `fra1`.
pub(crate) fn new_vm(kind: CloudKind, server_id: &str) -> NewVm {
    let (plan, region) = match kind {
        CloudKind::Hetzner => ("cx22", "fsn1"),
        CloudKind::DigitalOcean => ("s-1vcpu-1gb", "fra1"),
    };
    NewVm {
        name: format!("tg-{server_id}"),
        server_id: server_id.to_owned(),
        plan: plan.to_owned(),
        region: region.to_owned(),
        image: providers::cloud::plans::default_image(kind).to_owned(),
        ssh_keys: vec!["deploy".to_owned()],
        user_data: "#cloud-config\npackages: [postgresql]\n".to_owned(),
        labels: BTreeMap::from([("role".to_owned(), "db".to_owned())]),
    }
}

/// Fail if the fake saw a request, or gave an answer, that the description does not allow.
#[track_caller]
pub(crate) fn assert_no_violations(fake: &FakeCloud) {
    let violations = fake.violations();
    assert!(
        violations.is_empty(),
        "the API description was violated:\n{}",
        violations.join("\n")
    );
}
