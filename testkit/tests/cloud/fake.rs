//! The fakes themselves: they refuse what the API descriptions forbid, and say so in
//! `violations()`, so that a green client test means the real API would take the request.

use providers::cloud::CloudKind;
use reqwest::Method;
use serde_json::{Value, json};
use testkit::cloud::FakeCloud;

use crate::common::fake;

/// Send a request to the fake as a client would, with its token; the status and JSON body.
async fn send(fake: &FakeCloud, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    providers::install_crypto_provider();
    let mut req = reqwest::Client::new()
        .request(method, format!("{}{path}", fake.base_url()))
        .bearer_auth(fake.token());
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.expect("the fake answers");
    let status = resp.status().as_u16();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, body)
}

#[track_caller]
fn assert_violation(fake: &FakeCloud, needle: &str) {
    let violations = fake.violations();
    assert!(
        violations.iter().any(|v| v.contains(needle)),
        "no violation mentions {needle:?}: {violations:#?}"
    );
}

#[tokio::test]
async fn the_hetzner_fake_refuses_an_undeclared_field_and_a_number_for_a_name() {
    let fake = fake(CloudKind::Hetzner).await;
    let body = json!({
        "name": "tg-1",
        "server_type": 104,
        "image": "debian-12",
        "colour": "red",
    });
    let (status, answer) = send(&fake, Method::POST, "/servers", Some(body)).await;
    assert_eq!(status, 400);
    assert_eq!(answer["error"]["code"], "invalid_input");
    assert_violation(&fake, "colour");
    assert_violation(&fake, "/server_type");
    assert!(fake.vms().is_empty());
}

#[tokio::test]
async fn the_digitalocean_fake_refuses_an_undeclared_field_and_a_bad_name() {
    let fake = fake(CloudKind::DigitalOcean).await;
    let body = json!({
        "name": "not a hostname!",
        "size": "s-1vcpu-1gb",
        "image": "debian-12-x64",
        "labels": {"a": "b"},
    });
    let (status, answer) = send(&fake, Method::POST, "/v2/droplets", Some(body)).await;
    assert_eq!(status, 422);
    assert_eq!(answer["id"], "unprocessable_entity");
    assert_violation(&fake, "labels");
    assert!(fake.vms().is_empty());
}

#[tokio::test]
async fn the_fakes_refuse_query_parameters_and_ids_the_description_lacks() {
    let fake = fake(CloudKind::Hetzner).await;
    let (status, _) = send(&fake, Method::GET, "/servers?tag_name=toygres", None).await;
    assert_eq!(status, 400);
    assert_violation(&fake, "\"tag_name\" is not in the description");
    let (status, _) = send(&fake, Method::GET, "/servers/abc", None).await;
    assert_eq!(status, 400);
    assert_violation(&fake, "path parameter \"id\"");

    let fake = self::fake(CloudKind::DigitalOcean).await;
    let (status, _) = send(&fake, Method::GET, "/v2/droplets?per_page=500", None).await;
    assert_eq!(status, 422);
    assert_violation(&fake, "per_page");
}

#[tokio::test]
async fn the_fakes_answer_unknown_paths_and_methods_with_404_and_record_them() {
    let fake = fake(CloudKind::Hetzner).await;
    let (status, answer) = send(&fake, Method::GET, "/droplets", None).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    assert_violation(&fake, "GET /droplets: no such path");
    let (status, _) = send(&fake, Method::PATCH, "/servers/1", Some(json!({}))).await;
    assert_eq!(status, 404);
    assert_violation(&fake, "no PATCH for /servers/{id}");

    let fake = self::fake(CloudKind::DigitalOcean).await;
    let (status, answer) = send(&fake, Method::GET, "/v2/servers", None).await;
    assert_eq!((status, answer["id"].as_str()), (404, Some("not_found")));
    assert_violation(&fake, "GET /v2/servers: no such path");
}

#[tokio::test]
async fn the_fakes_flag_operations_they_do_not_implement() {
    let fake = fake(CloudKind::Hetzner).await;
    let (status, _) = send(&fake, Method::GET, "/datacenters", None).await;
    assert_eq!(status, 501);
    assert_violation(&fake, "does not implement list_data_centers");
}

#[tokio::test]
async fn the_fakes_want_the_bearer_token() {
    for kind in [CloudKind::Hetzner, CloudKind::DigitalOcean] {
        let fake = fake(kind).await;
        let path = match kind {
            CloudKind::Hetzner => "/servers",
            CloudKind::DigitalOcean => "/v2/droplets",
        };
        providers::install_crypto_provider();
        let http = reqwest::Client::new();
        let url = format!("{}{path}", fake.base_url());
        let wrong = http.get(&url).bearer_auth("wrong").send().await.unwrap();
        assert_eq!(wrong.status().as_u16(), 401);
        // A wrong token is a client's mistake the API allows for; no token at all is not.
        assert!(fake.violations().is_empty(), "{:?}", fake.violations());
        let none = http.get(&url).send().await.unwrap();
        assert_eq!(none.status().as_u16(), 401);
        assert_violation(&fake, "no bearer token");
    }
}

#[tokio::test]
async fn the_fakes_send_rate_limit_headers_as_the_real_apis_do() {
    for (kind, path) in [
        (CloudKind::Hetzner, "/servers"),
        (CloudKind::DigitalOcean, "/v2/droplets"),
    ] {
        let fake = fake(kind).await;
        providers::install_crypto_provider();
        let resp = reqwest::Client::new()
            .get(format!("{}{path}", fake.base_url()))
            .bearer_auth(fake.token())
            .send()
            .await
            .unwrap();
        for name in ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"] {
            let value = resp.headers().get(name).and_then(|v| v.to_str().ok());
            assert!(
                value.is_some_and(|v| v.parse::<u64>().is_ok()),
                "{kind:?} {name}: {value:?}"
            );
        }
    }
}

/// Loading is once per process; the 3 MB DigitalOcean description must not make every test
/// binary that uses a fake slow to start.
#[tokio::test]
async fn loading_a_description_takes_well_under_five_seconds() {
    for kind in [CloudKind::Hetzner, CloudKind::DigitalOcean] {
        let fake = fake(kind).await;
        let took = fake.spec_load_time();
        eprintln!("{kind:?}: the API description loaded in {took:?}");
        assert!(took.as_secs_f64() < 5.0, "{kind:?}: {took:?}");
    }
}
