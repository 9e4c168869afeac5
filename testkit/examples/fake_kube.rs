//! A fake Kubernetes API server whose kubelet runs each pod as a real PostgreSQL server from
//! the installed binaries, for the dashboard's browser tests and for trying the Kubernetes
//! provider without a cluster:
//!
//! ```text
//! cargo run -p testkit --example fake_kube -- \
//!     --kubeconfig /tmp/fake-kubeconfig --data /tmp/fake-kube-volumes
//! ```
//!
//! Writes a kubeconfig for it, prints `kubernetes http://127.0.0.1:PORT`, then serves until
//! interrupted or terminated, stopping its pods' servers on the way out. Point Toygres at it with
//! `TOYGRES_KUBERNETES=on TOYGRES_K8S_KUBECONFIG=… TOYGRES_K8S_SERVICE_TYPE=LoadBalancer`
//! (load balancers get loopback addresses that reach the pods).

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use testkit::kube::{FakeKube, Kubelet};

const USAGE: &str = "usage: fake_kube --kubeconfig PATH --data DIR [--port N]";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (mut kubeconfig, mut data, mut port) = (None::<PathBuf>, None::<PathBuf>, 0_u16);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .with_context(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--kubeconfig" => kubeconfig = Some(value()?.into()),
            "--data" => data = Some(value()?.into()),
            "--port" => port = value()?.parse().context("--port")?,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    let (Some(kubeconfig), Some(root)) = (kubeconfig, data) else {
        bail!("{USAGE}");
    };
    let fake = FakeKube::start_on(Kubelet::Postgres { root }, port).await?;
    let dir = tempfile::tempdir()?;
    let written = fake.write_kubeconfig(dir.path())?;
    std::fs::copy(&written, &kubeconfig)
        .with_context(|| format!("write {}", kubeconfig.display()))?;
    println!("kubernetes {}", fake.url());
    std::io::stdout().flush()?;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    fake.shutdown().await;
    Ok(())
}
