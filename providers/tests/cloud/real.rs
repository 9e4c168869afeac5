//! The clients against the real APIs, run by hand: `HETZNER_API_TOKEN=… cargo test -p
//! providers --test cloud -- --ignored real_hetzner` (or `DO_API_TOKEN` and
//! `real_digitalocean`). Each makes the cheapest VM the token's project may have, waits for
//! it to run, deletes it and waits until it is gone. They are never run without
//! `--ignored`, and run without the token they fail, saying which variable is missing: a
//! real-cloud test never passes having asserted nothing.

use std::time::{Duration, Instant};

use providers::cloud::{
    ActionStatus, Cloud, CloudKind, DigitalOcean, Hetzner, NewVm, Plan, Token, VmStatus, plans,
};

use crate::common::server_id;

/// How long the real cloud may take for each step.
const STEP_TIMEOUT: Duration = Duration::from_secs(600);
const POLL: Duration = Duration::from_secs(3);

#[tokio::test]
#[ignore = "creates a real Hetzner server; needs HETZNER_API_TOKEN"]
async fn real_hetzner_creates_waits_for_and_deletes_the_cheapest_server() {
    let token = token("HETZNER_API_TOKEN");
    let cloud = Hetzner::new(CloudKind::Hetzner.default_base_url(), Token::new(token)).unwrap();
    round_trip(&cloud, "fsn1").await;
}

#[tokio::test]
#[ignore = "creates a real DigitalOcean Droplet; needs DO_API_TOKEN"]
async fn real_digitalocean_creates_waits_for_and_deletes_the_cheapest_droplet() {
    let token = token("DO_API_TOKEN");
    let cloud = DigitalOcean::new(
        CloudKind::DigitalOcean.default_base_url(),
        Token::new(token),
    )
    .unwrap();
    round_trip(&cloud, "fra1").await;
}

/// The token in `variable`; without it the test cannot do what it says, so it fails.
fn token(variable: &str) -> String {
    std::env::var(variable)
        .ok()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| panic!("{variable} is not set: this test needs a real API token"))
}

/// The cheapest plan sold in `region` (x86, not deprecated).
fn cheapest<'a>(plans: &'a [Plan], region: &str) -> &'a Plan {
    plans
        .iter()
        .filter(|p| !p.deprecated && p.architecture == "x86")
        .filter(|p| p.regions.is_empty() || p.regions.iter().any(|r| r == region))
        .filter(|p| p.monthly_price.is_some())
        .min_by(|a, b| {
            a.monthly_price
                .partial_cmp(&b.monthly_price)
                .expect("prices are numbers")
        })
        .expect("some plan is sold there")
}

async fn round_trip(cloud: &dyn Cloud, region: &str) {
    let kind = cloud.kind();
    let listed = cloud.plans().await.expect("list plans");
    let plan = cheapest(&listed, region);
    eprintln!("{kind:?}: creating a {} in {region}", plan.name);
    let id = server_id();
    let vm = NewVm {
        name: format!("tg-{id}"),
        server_id: id.clone(),
        plan: plan.name.clone(),
        region: region.to_owned(),
        image: plans::default_image(kind).to_owned(),
        ssh_keys: Vec::new(),
        user_data: String::new(),
        labels: Default::default(),
    };
    let created = cloud.create(&vm).await.expect("create");
    let provider_id = created.vm.provider_id.clone();
    // Whatever happens next, try to delete what we made.
    let outcome = wait_until_running(cloud, &created.action, &provider_id, &id).await;
    let deleted = delete_and_wait(cloud, &provider_id).await;
    outcome.unwrap();
    deleted.unwrap();
}

async fn wait_until_running(
    cloud: &dyn Cloud,
    action: &Option<providers::cloud::ActionId>,
    provider_id: &str,
    server_id: &str,
) -> Result<(), String> {
    let started = Instant::now();
    if let Some(action) = action {
        loop {
            match cloud.action(action).await.map_err(|e| e.to_string())? {
                ActionStatus::Succeeded => break,
                ActionStatus::Failed(why) => return Err(format!("the create failed: {why}")),
                ActionStatus::Running => {}
            }
            if started.elapsed() > STEP_TIMEOUT {
                return Err("the create action did not finish".to_owned());
            }
            tokio::time::sleep(POLL).await;
        }
    }
    loop {
        let vm = cloud.get(provider_id).await.map_err(|e| e.to_string())?;
        let vm = vm.ok_or("the new VM vanished")?;
        if vm.status == VmStatus::Running {
            eprintln!("running at {:?} / {:?}", vm.ipv4, vm.ipv6);
            let found = cloud
                .find_by_server_id(server_id)
                .await
                .map_err(|e| e.to_string())?;
            if found.len() != 1 {
                return Err(format!("found {} VMs by the server id", found.len()));
            }
            return Ok(());
        }
        if started.elapsed() > STEP_TIMEOUT {
            return Err(format!("still {:?}", vm.status));
        }
        tokio::time::sleep(POLL).await;
    }
}

async fn delete_and_wait(cloud: &dyn Cloud, provider_id: &str) -> Result<(), String> {
    let started = Instant::now();
    let action = cloud.delete(provider_id).await.map_err(|e| e.to_string())?;
    eprintln!("deleting (action {action:?})");
    loop {
        if cloud
            .get(provider_id)
            .await
            .map_err(|e| e.to_string())?
            .is_none()
        {
            return Ok(());
        }
        if started.elapsed() > STEP_TIMEOUT {
            return Err("the VM is not gone".to_owned());
        }
        tokio::time::sleep(POLL).await;
    }
}
