//! Requests only Hetzner makes: the create body, deletes with actions, server types.

use std::collections::BTreeMap;

use providers::Error;
use providers::cloud::{ActionStatus, CloudKind, VmStatus, plans};
use serde_json::json;

use crate::common::{assert_no_violations, client, fake, new_vm, server_id};

const KIND: CloudKind = CloudKind::Hetzner;

#[tokio::test]
async fn a_create_sends_names_labels_and_user_data() {
    let fake = fake(KIND).await;
    let cloud = client(&fake);
    let id = server_id();
    let mut vm = new_vm(KIND, &id);
    vm.plan = "CX22".to_owned();
    let created = cloud.create(&vm).await.unwrap();
    let sent = fake.recorded_to("POST", "/servers");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].body,
        Some(json!({
            "name": format!("tg-{id}"),
            "server_type": "cx22",
            "image": "debian-12",
            "location": "fsn1",
            "ssh_keys": ["deploy"],
            "user_data": "#cloud-config\npackages: [postgresql]\n",
            "labels": {"role": "db", "toygres_server_id": id},
            "start_after_create": true,
        }))
    );
    assert_eq!(created.vm.server_id(), Some(id.as_str()));
    let kept = &fake.vms()[0];
    assert_eq!(kept.ssh_keys, ["deploy"]);
    assert_eq!((kept.plan.as_str(), kept.region.as_str()), ("cx22", "fsn1"));
    assert_no_violations(&fake);
}

#[tokio::test]
async fn a_delete_answers_an_action_and_the_server_goes_when_it_finishes() {
    let fake = fake(KIND).await;
    let cloud = client(&fake);
    let created = cloud.create(&new_vm(KIND, &server_id())).await.unwrap();
    let id = created.vm.provider_id;
    let action = cloud.delete(&id).await.unwrap().expect("a delete action");
    assert_eq!(
        fake.recorded_to("DELETE", &format!("/servers/{id}")).len(),
        1
    );
    assert_eq!(fake.deletes(), 1);
    let deleting = cloud
        .get(&id)
        .await
        .unwrap()
        .expect("still there while deleting");
    assert_eq!(deleting.status, VmStatus::Deleting);
    assert_eq!(
        cloud.action(&action).await.unwrap(),
        ActionStatus::Succeeded
    );
    assert_eq!(cloud.get(&id).await.unwrap(), None);
    assert_eq!(cloud.delete(&id).await.unwrap(), None, "already gone");
    assert!(fake.vms().is_empty());
    assert_no_violations(&fake);
}

#[tokio::test]
async fn plans_come_from_the_server_type_listing_over_all_pages() {
    let fake = fake(KIND).await;
    let cloud = client(&fake);
    let listed = cloud.plans().await.unwrap();
    let names: Vec<&str> = listed.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["cx11", "cpx11", "cax11", "cx22"]);
    let cax11 = plans::find_plan(&listed, "cax11").unwrap();
    assert_eq!((cax11.cores, cax11.memory_gb, cax11.disk_gb), (2, 4.0, 40));
    assert_eq!((cax11.architecture, cax11.currency), ("arm", "EUR"));
    assert_eq!(cax11.regions, ["fsn1", "hel1", "nbg1"]);
    // The fake's made-up 3.79 net is 4.51 gross.
    assert!((cax11.monthly_price.unwrap() - 3.79 * 1.19).abs() < 1e-6);
    assert!(plans::find_plan(&listed, "cx11").unwrap().deprecated);
    assert!(!plans::find_plan(&listed, "cx22").unwrap().deprecated);
    assert_eq!(plans::find_plan(&listed, "cpx11").unwrap().regions.len(), 6);
    let pages: Vec<String> = fake
        .recorded_to("GET", "/server_types")
        .iter()
        .map(|r| r.query.iter().find(|(k, _)| k == "page").unwrap().1.clone())
        .collect();
    assert_eq!(pages, ["1", "2"]);
    assert_no_violations(&fake);
}

#[tokio::test]
async fn an_unknown_server_type_is_refused_with_hetzners_message() {
    let fake = fake(KIND).await;
    let cloud = client(&fake);
    let mut vm = new_vm(KIND, &server_id());
    vm.plan = "cx99".to_owned();
    let err = cloud.create(&vm).await.unwrap_err();
    assert!(matches!(err, Error::Permanent(_)), "{err}");
    assert!(
        err.to_string().contains(
            "hetzner rejected the request (invalid_input): invalid input in field 'server_type'"
        ),
        "{err}"
    );
    assert_eq!(fake.creates(), 0);
    // A well-formed request for a plan that does not exist is no violation.
    assert_no_violations(&fake);
}

#[tokio::test]
async fn a_taken_name_is_a_permanent_uniqueness_error() {
    let fake = fake(KIND).await;
    let cloud = client(&fake);
    let vm = new_vm(KIND, &server_id());
    cloud.create(&vm).await.unwrap();
    let err = cloud.create(&vm).await.unwrap_err();
    assert!(matches!(err, Error::Permanent(_)), "{err}");
    assert!(err.to_string().contains("(uniqueness_error)"), "{err}");
    assert_eq!(fake.vms().len(), 1);
}

#[tokio::test]
async fn labels_hetzner_would_refuse_are_refused_before_the_request() {
    let fake = fake(KIND).await;
    let cloud = client(&fake);
    let mut vm = new_vm(KIND, &server_id());
    vm.labels = BTreeMap::from([("note".to_owned(), "has spaces".to_owned())]);
    let err = cloud.create(&vm).await.unwrap_err();
    assert!(matches!(err, Error::Permanent(_)), "{err}");
    assert!(err.to_string().contains("note=has spaces"), "{err}");
    assert_eq!(fake.requests(), 0);
}
