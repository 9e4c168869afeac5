//! The fake's Hetzner Cloud operations: servers, actions and server types, over a small
//! catalogue. Requests reach here already checked against the description.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{FakeVm, Reply, State, VmRecord, error, id_param, now_rfc3339, query_values};
use providers::cloud::CloudKind;

/// The most entries a page holds when `per_page` is not given (the description's default).
const DEFAULT_PER_PAGE: u32 = 25;

/// Traffic included each month: 20 TiB, as Hetzner's EU types have.
const INCLUDED_TRAFFIC: u64 = 21_990_232_555_520;

struct ServerType {
    id: u64,
    name: &'static str,
    cores: u32,
    memory: f64,
    disk: u32,
    architecture: &'static str,
    locations: &'static [&'static str],
    deprecated: bool,
    /// A made-up monthly price, net of VAT, in EUR.
    monthly_net: f64,
}

struct Location {
    id: u64,
    name: &'static str,
    city: &'static str,
    country: &'static str,
    latitude: f64,
    longitude: f64,
    network_zone: &'static str,
}

struct Image {
    id: u64,
    name: &'static str,
    description: &'static str,
    flavor: &'static str,
    version: &'static str,
}

const EU: &[&str] = &["fsn1", "nbg1", "hel1"];
const EVERYWHERE: &[&str] = &["fsn1", "nbg1", "hel1", "ash", "hil", "sin"];

/// The catalogue: one type of each line, one deprecated.
const SERVER_TYPES: &[ServerType] = &[
    ServerType {
        id: 1,
        name: "cx11",
        cores: 1,
        memory: 2.0,
        disk: 20,
        architecture: "x86",
        locations: EU,
        deprecated: true,
        monthly_net: 3.29,
    },
    ServerType {
        id: 22,
        name: "cpx11",
        cores: 2,
        memory: 2.0,
        disk: 40,
        architecture: "x86",
        locations: EVERYWHERE,
        deprecated: false,
        monthly_net: 4.35,
    },
    ServerType {
        id: 45,
        name: "cax11",
        cores: 2,
        memory: 4.0,
        disk: 40,
        architecture: "arm",
        locations: EU,
        deprecated: false,
        monthly_net: 3.79,
    },
    ServerType {
        id: 104,
        name: "cx22",
        cores: 2,
        memory: 4.0,
        disk: 40,
        architecture: "x86",
        locations: EU,
        deprecated: false,
        monthly_net: 3.79,
    },
];

const LOCATIONS: &[Location] = &[
    Location {
        id: 1,
        name: "fsn1",
        city: "Falkenstein",
        country: "DE",
        latitude: 50.47612,
        longitude: 12.370071,
        network_zone: "eu-central",
    },
    Location {
        id: 2,
        name: "nbg1",
        city: "Nuremberg",
        country: "DE",
        latitude: 49.452102,
        longitude: 11.076665,
        network_zone: "eu-central",
    },
    Location {
        id: 3,
        name: "hel1",
        city: "Helsinki",
        country: "FI",
        latitude: 60.169855,
        longitude: 24.938379,
        network_zone: "eu-central",
    },
    Location {
        id: 4,
        name: "ash",
        city: "Ashburn, VA",
        country: "US",
        latitude: 39.045821,
        longitude: -77.487073,
        network_zone: "us-east",
    },
    Location {
        id: 5,
        name: "hil",
        city: "Hillsboro, OR",
        country: "US",
        latitude: 45.54222,
        longitude: -122.951924,
        network_zone: "us-west",
    },
    Location {
        id: 6,
        name: "sin",
        city: "Singapore",
        country: "SG",
        latitude: 1.283333,
        longitude: 103.833333,
        network_zone: "ap-southeast",
    },
];

const IMAGES: &[Image] = &[
    Image {
        id: 114_690_387,
        name: "debian-12",
        description: "Debian 12",
        flavor: "debian",
        version: "12",
    },
    Image {
        id: 240_000_001,
        name: "debian-13",
        description: "Debian 13",
        flavor: "debian",
        version: "13",
    },
    Image {
        id: 161_547_269,
        name: "ubuntu-24.04",
        description: "Ubuntu 24.04",
        flavor: "ubuntu",
        version: "24.04",
    },
];

/// Answer one of the implemented operations.
pub(super) fn handle(
    state: &mut State,
    operation: &str,
    params: &BTreeMap<String, String>,
    query: &[(String, String)],
    body: Option<&Value>,
) -> Reply {
    match operation {
        "list_servers" => list_servers(state, query),
        "create_server" => create_server(state, body.unwrap_or(&Value::Null)),
        "get_server" => get_server(state, id_param(params, "id")),
        "delete_server" => delete_server(state, id_param(params, "id")),
        "power_off_server" => power_off_server(state, id_param(params, "id")),
        "get_action" | "get_server_action" => get_action(state, id_param(params, "id")),
        "list_server_types" => list_server_types(state, query),
        other => error(
            CloudKind::Hetzner,
            501,
            "not_implemented",
            &format!("the fake does not implement {other}"),
        ),
    }
}

fn list_servers(state: &State, query: &[(String, String)]) -> Reply {
    let selectors = query_values(query, "label_selector");
    let mut requirements = Vec::new();
    for s in selectors {
        match parse_selector(s) {
            Some(r) => requirements.extend(r),
            None => {
                return error(
                    CloudKind::Hetzner,
                    400,
                    "invalid_input",
                    &format!("invalid label_selector {s:?}"),
                );
            }
        }
    }
    if state.options.ignore_filters {
        requirements.clear();
    }
    let names = query_values(query, "name");
    let statuses = query_values(query, "status");
    let servers: Vec<Value> = state
        .vms
        .values()
        .filter(|r| requirements.iter().all(|req| req.matches(&r.vm.labels)))
        .filter(|r| names.is_empty() || names.contains(&r.vm.name.as_str()))
        .filter(|r| statuses.is_empty() || statuses.contains(&r.vm.status.as_str()))
        .map(server_json)
        .collect();
    let mut page = state.page(&servers, query, DEFAULT_PER_PAGE);
    page.total = servers.len();
    Reply::json(
        200,
        json!({"servers": page.items, "meta": meta(page.page, page.per_page, page.last, page.total)}),
    )
}

fn create_server(state: &mut State, body: &Value) -> Reply {
    let text = |field: &str| body.get(field).and_then(Value::as_str).unwrap_or_default();
    let name = text("name");
    let bad = |message: String| error(CloudKind::Hetzner, 400, "invalid_input", &message);
    if !is_hostname(name) {
        return bad("invalid input in field 'name'".to_owned());
    }
    if state.vms.values().any(|r| r.vm.name == name) {
        return error(
            CloudKind::Hetzner,
            409,
            "uniqueness_error",
            "server name is already used",
        );
    }
    let Some(server_type) = find_type(text("server_type")) else {
        return bad("invalid input in field 'server_type'".to_owned());
    };
    if server_type.deprecated {
        return bad(format!(
            "server type {} is deprecated and can no longer be ordered",
            server_type.name
        ));
    }
    // Hetzner picks a location when none is given; so do we.
    let location = match body.get("location").and_then(Value::as_str) {
        Some(l) => l,
        None => server_type.locations[0],
    };
    if find_location(location).is_none() {
        return bad("invalid input in field 'location'".to_owned());
    }
    if !server_type.locations.contains(&location) {
        return bad(format!(
            "server type {} is not available in location {location}",
            server_type.name
        ));
    }
    let Some(image) = find_image(text("image")) else {
        return bad("invalid input in field 'image'".to_owned());
    };
    let labels: BTreeMap<String, String> = body
        .get("labels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect();
    let ssh_keys: Vec<String> = body
        .get("ssh_keys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|k| k.as_str().map(str::to_owned))
        .collect();
    let start = body
        .get("start_after_create")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    // Without SSH keys Hetzner makes a root password and shows it once.
    let root_password = if ssh_keys.is_empty() {
        json!("fake-root-password")
    } else {
        Value::Null
    };
    let id = state.next_id();
    let failure = state.failing_creates.pop_front();
    let action = state.start_action("create_server", id, location, failure);
    let boot_polls = state.options.boot_polls;
    let record = VmRecord {
        vm: FakeVm {
            id,
            name: name.to_owned(),
            plan: server_type.name.to_owned(),
            region: location.to_owned(),
            image: image.name.to_owned(),
            status: if start { "initializing" } else { "off" }.to_owned(),
            labels,
            tags: Vec::new(),
            ssh_keys,
            user_data: body
                .get("user_data")
                .and_then(Value::as_str)
                .map(str::to_owned),
        },
        boot_polls: if start { boot_polls } else { 0 },
        deleting: None,
        ipv6: true,
        created: now_rfc3339(),
    };
    let server = server_json(&record);
    state.vms.insert(id, record);
    state.creates += 1;
    Reply::json(
        201,
        json!({
            "server": server,
            "action": action_json(state, action),
            "next_actions": [],
            "root_password": root_password,
        }),
    )
}

fn get_server(state: &mut State, id: Option<u64>) -> Reply {
    let Some(id) = id.filter(|id| state.vms.contains_key(id)) else {
        return not_found("server", id);
    };
    // Watching a server being deleted moves its delete action on, so a client that polls
    // only the server still sees it go.
    if let Some(action) = state.vms[&id].deleting {
        state.poll_action(action);
        if !state.vms.contains_key(&id) {
            return not_found("server", Some(id));
        }
    }
    let record = state.vms.get_mut(&id).expect("checked above");
    if matches!(record.vm.status.as_str(), "initializing" | "starting") {
        if record.boot_polls == 0 {
            record.vm.status = "running".to_owned();
        } else {
            record.boot_polls -= 1;
            record.vm.status = "starting".to_owned();
        }
    }
    Reply::json(200, json!({"server": server_json(record)}))
}

fn delete_server(state: &mut State, id: Option<u64>) -> Reply {
    let Some(id) = id.filter(|id| state.vms.contains_key(id)) else {
        return not_found("server", id);
    };
    let action = match state.vms[&id].deleting {
        Some(action) => action,
        None => {
            let region = state.vms[&id].vm.region.clone();
            let action = state.start_action("delete_server", id, &region, None);
            let record = state.vms.get_mut(&id).expect("checked above");
            record.deleting = Some(action);
            record.vm.status = "deleting".to_owned();
            state.deletes += 1;
            action
        }
    };
    Reply::json(200, json!({"action": action_json(state, action)}))
}

fn power_off_server(state: &mut State, id: Option<u64>) -> Reply {
    let Some(id) = id.filter(|id| state.vms.contains_key(id)) else {
        return not_found("server", id);
    };
    let region = state.vms[&id].vm.region.clone();
    let action = state.start_action("stop_server", id, &region, None);
    state.power_offs += 1;
    Reply::json(201, json!({"action": action_json(state, action)}))
}

fn get_action(state: &mut State, id: Option<u64>) -> Reply {
    let Some(id) = id.filter(|id| state.actions.contains_key(id)) else {
        return not_found("action", id);
    };
    state.poll_action(id);
    Reply::json(200, json!({"action": action_json(state, id)}))
}

fn list_server_types(state: &State, query: &[(String, String)]) -> Reply {
    let names = query_values(query, "name");
    let types: Vec<Value> = SERVER_TYPES
        .iter()
        .filter(|t| names.is_empty() || names.contains(&t.name))
        .map(server_type_json)
        .collect();
    let mut page = state.page(&types, query, DEFAULT_PER_PAGE);
    page.total = types.len();
    Reply::json(
        200,
        json!({"server_types": page.items, "meta": meta(page.page, page.per_page, page.last, page.total)}),
    )
}

fn not_found(what: &str, id: Option<u64>) -> Reply {
    let id = id.map_or_else(|| "?".to_owned(), |id| id.to_string());
    error(
        CloudKind::Hetzner,
        404,
        "not_found",
        &format!("{what} with ID '{id}' not found"),
    )
}

fn meta(page: u32, per_page: u32, last: u32, total: usize) -> Value {
    json!({"pagination": {
        "page": page,
        "per_page": per_page,
        "previous_page": if page > 1 { json!(page - 1) } else { Value::Null },
        "next_page": if page < last { json!(page + 1) } else { Value::Null },
        "last_page": last,
        "total_entries": total,
    }})
}

fn find_type(name: &str) -> Option<&'static ServerType> {
    SERVER_TYPES
        .iter()
        .find(|t| t.name == name || t.id.to_string() == name)
}

fn find_location(name: &str) -> Option<&'static Location> {
    LOCATIONS.iter().find(|l| l.name == name)
}

fn find_image(name: &str) -> Option<&'static Image> {
    IMAGES
        .iter()
        .find(|i| i.name == name || i.id.to_string() == name)
}

/// RFC 1123 host names: dot-separated labels of letters, digits and inner `-`.
fn is_hostname(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// One requirement of a label selector.
enum Requirement {
    Has(String),
    HasNot(String),
    Is(String, String),
    IsNot(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

impl Requirement {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Requirement::Has(k) => labels.contains_key(k),
            Requirement::HasNot(k) => !labels.contains_key(k),
            Requirement::Is(k, v) => labels.get(k) == Some(v),
            Requirement::IsNot(k, v) => labels.get(k) != Some(v),
            Requirement::In(k, vs) => labels.get(k).is_some_and(|v| vs.contains(v)),
            Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|v| !vs.contains(v)),
        }
    }
}

/// Hetzner's label selector: requirements joined by `,`, each `k`, `!k`, `k=v`, `k==v`,
/// `k!=v`, `k in (a,b)` or `k notin (a,b)`. `None` when it does not parse.
fn parse_selector(selector: &str) -> Option<Vec<Requirement>> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in selector.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&selector[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&selector[start..]);
    parts
        .into_iter()
        .map(|part| {
            let part = part.trim();
            if part.is_empty() {
                return None;
            }
            let set = |rest: &str| -> Option<Vec<String>> {
                let inner = rest.trim().strip_prefix('(')?.strip_suffix(')')?;
                Some(inner.split(',').map(|v| v.trim().to_owned()).collect())
            };
            if let Some((k, rest)) = part.split_once(" notin ") {
                return Some(Requirement::NotIn(k.trim().to_owned(), set(rest)?));
            }
            if let Some((k, rest)) = part.split_once(" in ") {
                return Some(Requirement::In(k.trim().to_owned(), set(rest)?));
            }
            if let Some((k, v)) = part.split_once("!=") {
                return Some(Requirement::IsNot(k.to_owned(), v.to_owned()));
            }
            if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
                return Some(Requirement::Is(k.to_owned(), v.to_owned()));
            }
            if let Some(k) = part.strip_prefix('!') {
                return Some(Requirement::HasNot(k.to_owned()));
            }
            Some(Requirement::Has(part.to_owned()))
        })
        .collect()
}

fn decimal(value: f64) -> String {
    format!("{value:.10}")
}

fn price(net: f64) -> Value {
    json!({"net": decimal(net), "gross": decimal(net * 1.19)})
}

fn location_json(l: &Location) -> Value {
    json!({
        "id": l.id,
        "name": l.name,
        "description": format!("{} DC Park 1", l.city),
        "city": l.city,
        "country": l.country,
        "latitude": l.latitude,
        "longitude": l.longitude,
        "network_zone": l.network_zone,
    })
}

fn server_type_json(t: &ServerType) -> Value {
    let deprecation = if t.deprecated {
        json!({"announced": "2024-06-06T08:00:00Z", "unavailable_after": "2024-09-06T08:00:00Z"})
    } else {
        Value::Null
    };
    json!({
        "id": t.id,
        "name": t.name,
        "description": t.name.to_uppercase(),
        "category": "shared_vcpu",
        "cores": t.cores,
        "memory": t.memory,
        "disk": t.disk,
        "deprecated": t.deprecated,
        "deprecation": deprecation,
        "prices": t.locations.iter().map(|l| json!({
            "location": l,
            "price_hourly": price(t.monthly_net / 730.0),
            "price_monthly": price(t.monthly_net),
            "included_traffic": INCLUDED_TRAFFIC,
            "price_per_tb_traffic": price(1.0),
        })).collect::<Vec<_>>(),
        "storage_type": "local",
        "cpu_type": "shared",
        "architecture": t.architecture,
        "locations": t.locations.iter().filter_map(|l| find_location(l)).map(|l| json!({
            "id": l.id,
            "name": l.name,
            "deprecation": deprecation,
        })).collect::<Vec<_>>(),
    })
}

fn image_json(i: &Image, architecture: &str) -> Value {
    json!({
        "id": i.id,
        "type": "system",
        "status": "available",
        "name": i.name,
        "description": i.description,
        "image_size": null,
        "disk_size": 5,
        "created": "2023-06-13T06:00:02Z",
        "created_from": null,
        "bound_to": null,
        "os_flavor": i.flavor,
        "os_version": i.version,
        "rapid_deploy": true,
        "protection": {"delete": false},
        "deprecated": null,
        "deleted": null,
        "labels": {},
        "architecture": architecture,
    })
}

fn server_json(record: &VmRecord) -> Value {
    let vm = &record.vm;
    let server_type = find_type(&vm.plan).expect("created from the catalogue");
    let location = find_location(&vm.region).expect("created in a known location");
    let image =
        find_image(&vm.image).map_or(Value::Null, |i| image_json(i, server_type.architecture));
    let ids: Vec<u64> = SERVER_TYPES
        .iter()
        .filter(|t| t.locations.contains(&location.name))
        .map(|t| t.id)
        .collect();
    json!({
        "id": vm.id,
        "name": vm.name,
        "status": vm.status,
        "created": record.created,
        "public_net": {
            "ipv4": {"id": vm.id, "ip": "127.0.0.1", "blocked": false, "dns_ptr": "localhost"},
            "ipv6": if record.ipv6 {
                json!({"id": vm.id, "ip": "::/64", "blocked": false, "dns_ptr": []})
            } else {
                Value::Null
            },
            "floating_ips": [],
            "firewalls": [],
        },
        "private_net": [],
        "server_type": server_type_json(server_type),
        "datacenter": {
            "id": location.id,
            "name": format!("{}-dc1", location.name),
            "description": format!("{} virtual DC 1", location.city),
            "location": location_json(location),
            "server_types": {"supported": ids, "available": ids, "available_for_migration": ids},
        },
        "location": location_json(location),
        "image": image,
        "iso": null,
        "rescue_enabled": false,
        "locked": record.deleting.is_some(),
        "backup_window": null,
        "outgoing_traffic": 0,
        "ingoing_traffic": 0,
        "included_traffic": INCLUDED_TRAFFIC,
        "protection": {"delete": false, "rebuild": false},
        "labels": vm.labels,
        "volumes": [],
        "load_balancers": [],
        "primary_disk_size": server_type.disk,
        "placement_group": null,
    })
}

fn action_json(state: &State, id: u64) -> Value {
    let Some(a) = state.actions.get(&id) else {
        return Value::Null;
    };
    let (status, progress, error) = match &a.outcome {
        None => ("running", 50, Value::Null),
        Some(Ok(())) => ("success", 100, Value::Null),
        Some(Err(reason)) => (
            "error",
            100,
            json!({"code": "action_failed", "message": reason}),
        ),
    };
    json!({
        "id": a.id,
        "command": a.command,
        "status": status,
        "progress": progress,
        "started": a.started,
        "finished": a.finished,
        "resources": [{"id": a.resource, "type": "server"}],
        "error": error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn label_selectors_select_as_hetzner_documents() {
        let ours = labels(&[("toygres_server_id", "abc"), ("env", "prod")]);
        let theirs = labels(&[("env", "dev")]);
        let select = |s: &str, l: &BTreeMap<String, String>| {
            parse_selector(s).expect(s).iter().all(|r| r.matches(l))
        };
        assert!(select("toygres_server_id", &ours));
        assert!(!select("toygres_server_id", &theirs));
        assert!(select("toygres_server_id=abc", &ours));
        assert!(select("toygres_server_id==abc,env=prod", &ours));
        assert!(!select("toygres_server_id=abd", &ours));
        assert!(select("!toygres_server_id", &theirs));
        assert!(select("env!=prod", &theirs));
        assert!(select("env in (dev,prod)", &theirs));
        assert!(!select("env notin (dev, prod)", &theirs));
        assert!(parse_selector("a,,b").is_none());
    }

    #[test]
    fn server_names_must_be_host_names() {
        assert!(is_hostname("tg-0123456789abcdef"));
        assert!(is_hostname("db1.example.com"));
        assert!(!is_hostname("-tg"));
        assert!(!is_hostname("tg_1"));
        assert!(!is_hostname(""));
    }
}
