//! Requests only DigitalOcean makes: the create body with tags, deletes without actions,
//! sizes.

use std::collections::BTreeMap;

use providers::Error;
use providers::cloud::{CloudKind, plans};
use serde_json::json;

use crate::common::{assert_no_violations, client, fake, new_vm, server_id};

const KIND: CloudKind = CloudKind::DigitalOcean;

#[tokio::test]
async fn a_create_sends_slugs_tags_and_user_data() {
    let fake = fake(KIND).await;
    let cloud = client(&fake);
    let id = server_id();
    let created = cloud.create(&new_vm(KIND, &id)).await.unwrap();
    let sent = fake.recorded_to("POST", "/v2/droplets");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].body,
        Some(json!({
            "name": format!("tg-{id}"),
            "region": "fra1",
            "size": "s-1vcpu-1gb",
            "image": "debian-12-x64",
            "ssh_keys": ["deploy"],
            "user_data": "#cloud-config\npackages: [postgresql]\n",
            "tags": ["toygres", format!("toygres_server_id:{id}"), "role:db"],
            "ipv6": true,
        }))
    );
    assert_eq!(created.vm.server_id(), Some(id.as_str()));
    assert!(created.action.is_some());
    assert_eq!(fake.vms()[0].labels["role"], "db");
    assert_no_violations(&fake);
}

#[tokio::test]
async fn a_delete_answers_no_action_and_the_droplet_is_gone_at_once() {
    let fake = fake(KIND).await;
    let cloud = client(&fake);
    let created = cloud.create(&new_vm(KIND, &server_id())).await.unwrap();
    let id = created.vm.provider_id;
    assert_eq!(cloud.delete(&id).await.unwrap(), None);
    let deletes = fake.recorded_to("DELETE", &format!("/v2/droplets/{id}"));
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0].status, 204);
    assert_eq!(cloud.get(&id).await.unwrap(), None);
    assert_eq!(cloud.delete(&id).await.unwrap(), None, "already gone");
    assert_eq!(fake.deletes(), 1);
    assert_no_violations(&fake);
}

#[tokio::test]
async fn plans_come_from_the_size_listing_over_all_pages() {
    let fake = fake(KIND).await;
    let cloud = client(&fake);
    let listed = cloud.plans().await.unwrap();
    assert_eq!(listed.len(), 5);
    let small = plans::find_plan(&listed, "s-1vcpu-512mb-10gb").unwrap();
    assert_eq!((small.cores, small.memory_gb, small.disk_gb), (1, 0.5, 10));
    assert_eq!((small.monthly_price, small.currency), (Some(4.0), "USD"));
    assert_eq!(small.regions, ["nyc1", "fra1", "sfo3", "ams3"]);
    // A size no longer sold reads as deprecated.
    assert!(plans::find_plan(&listed, "s-1vcpu-3gb").unwrap().deprecated);
    assert_eq!(fake.recorded_to("GET", "/v2/sizes").len(), 3);
    assert_no_violations(&fake);
}

#[tokio::test]
async fn labels_that_make_no_valid_tag_are_refused_before_the_request() {
    let fake = fake(KIND).await;
    let cloud = client(&fake);
    let mut vm = new_vm(KIND, &server_id());
    vm.labels = BTreeMap::from([("version".to_owned(), "1.2".to_owned())]);
    let err = cloud.create(&vm).await.unwrap_err();
    assert!(matches!(err, Error::Permanent(_)), "{err}");
    assert!(err.to_string().contains("\"version:1.2\""), "{err}");
    assert_eq!(fake.requests(), 0);
}

#[tokio::test]
async fn a_size_the_region_lacks_is_refused_with_digitaloceans_message() {
    let fake = fake(KIND).await;
    let cloud = client(&fake);
    let mut vm = new_vm(KIND, &server_id());
    vm.plan = "s-1vcpu-512mb-10gb".to_owned();
    vm.region = "syd1".to_owned();
    let err = cloud.create(&vm).await.unwrap_err();
    assert!(matches!(err, Error::Permanent(_)), "{err}");
    assert!(
        err.to_string().contains(
            "digitalocean rejected the request (unprocessable_entity): Size is not available in this region."
        ),
        "{err}"
    );
    assert_no_violations(&fake);
}
