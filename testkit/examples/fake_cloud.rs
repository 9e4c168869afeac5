//! Fake Hetzner and DigitalOcean APIs on fixed ports, for the dashboard's browser tests and
//! for trying Toygres without a cloud account:
//!
//! ```text
//! cargo run -p testkit --example fake_cloud -- \
//!     --hetzner-port 18081 --digitalocean-port 18082 --token fake-token
//! ```
//!
//! Prints one line per cloud, `hetzner http://127.0.0.1:18081/v1` and `digitalocean
//! http://127.0.0.1:18082`, then serves until interrupted. Point Toygres at them with
//! `TOYGRES_HETZNER_API_URL` / `TOYGRES_DIGITALOCEAN_API_URL` and the token. Port 0 (the
//! default) picks a free port.

use std::io::Write as _;

use anyhow::{Context as _, bail};
use providers::cloud::CloudKind;
use testkit::cloud::{DEFAULT_TOKEN, FakeCloud, FakeOptions};

const USAGE: &str = "usage: fake_cloud [--hetzner-port N] [--digitalocean-port N] [--token T] \
                     [--action-polls N] [--boot-polls N]";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut ports = [0_u16, 0];
    let mut options = FakeOptions {
        token: DEFAULT_TOKEN.to_owned(),
        ..FakeOptions::default()
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .with_context(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--hetzner-port" => ports[0] = value()?.parse().context("--hetzner-port")?,
            "--digitalocean-port" => ports[1] = value()?.parse().context("--digitalocean-port")?,
            "--token" => options.token = value()?,
            "--action-polls" => {
                options.action_polls = value()?.parse().context("--action-polls")?
            }
            "--boot-polls" => options.boot_polls = value()?.parse().context("--boot-polls")?,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    let mut fakes = Vec::new();
    for (kind, port) in [CloudKind::Hetzner, CloudKind::DigitalOcean]
        .into_iter()
        .zip(ports)
    {
        let fake = FakeCloud::start_with(
            kind,
            FakeOptions {
                port,
                ..options.clone()
            },
        )
        .await
        .with_context(|| format!("start the fake {} API", kind.as_str()))?;
        println!("{} {}", kind.as_str(), fake.base_url());
        fakes.push(fake);
    }
    std::io::stdout().flush()?;
    tokio::signal::ctrl_c().await.context("wait for ctrl-c")?;
    for fake in &fakes {
        let violations = fake.violations();
        if !violations.is_empty() {
            eprintln!("{} API description violations:", fake.kind().as_str());
            for v in violations {
                eprintln!("  {v}");
            }
        }
    }
    Ok(())
}
