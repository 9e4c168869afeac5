//! The fake's DigitalOcean operations: Droplets, actions and sizes, over a small catalogue.
//! Requests reach here already checked against the description.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{
    ActionRecord, FakeVm, Reply, State, VmRecord, error, id_param, now_rfc3339, query_values,
};
use providers::cloud::CloudKind;

/// The most entries a page holds when `per_page` is not given (the description's default).
const DEFAULT_PER_PAGE: u32 = 20;

/// The longest tag DigitalOcean takes.
const MAX_TAG_LEN: usize = 255;

struct Size {
    slug: &'static str,
    /// MiB.
    memory: u32,
    vcpus: u32,
    disk: u32,
    price_monthly: f64,
    regions: &'static [&'static str],
    available: bool,
    description: &'static str,
}

struct Region {
    slug: &'static str,
    name: &'static str,
}

struct Image {
    id: u64,
    slug: &'static str,
    name: &'static str,
    distribution: &'static str,
}

const MOST: &[&str] = &[
    "nyc1", "nyc3", "sfo3", "ams3", "sgp1", "lon1", "fra1", "tor1", "blr1", "syd1", "atl1",
];

/// The catalogue: a few Basic sizes, one CPU-optimised, one no longer sold.
const SIZES: &[Size] = &[
    Size {
        slug: "s-1vcpu-512mb-10gb",
        memory: 512,
        vcpus: 1,
        disk: 10,
        price_monthly: 4.0,
        regions: &["nyc1", "fra1", "sfo3", "ams3"],
        available: true,
        description: "Basic",
    },
    Size {
        slug: "s-1vcpu-1gb",
        memory: 1024,
        vcpus: 1,
        disk: 25,
        price_monthly: 6.0,
        regions: MOST,
        available: true,
        description: "Basic",
    },
    Size {
        slug: "s-1vcpu-3gb",
        memory: 3072,
        vcpus: 1,
        disk: 60,
        price_monthly: 15.0,
        regions: &[],
        available: false,
        description: "Basic",
    },
    Size {
        slug: "s-2vcpu-4gb",
        memory: 4096,
        vcpus: 2,
        disk: 80,
        price_monthly: 24.0,
        regions: MOST,
        available: true,
        description: "Basic",
    },
    Size {
        slug: "c-2",
        memory: 4096,
        vcpus: 2,
        disk: 25,
        price_monthly: 42.0,
        regions: MOST,
        available: true,
        description: "CPU-Optimized",
    },
];

const REGIONS: &[Region] = &[
    Region {
        slug: "nyc1",
        name: "New York 1",
    },
    Region {
        slug: "nyc3",
        name: "New York 3",
    },
    Region {
        slug: "sfo3",
        name: "San Francisco 3",
    },
    Region {
        slug: "ams3",
        name: "Amsterdam 3",
    },
    Region {
        slug: "sgp1",
        name: "Singapore 1",
    },
    Region {
        slug: "lon1",
        name: "London 1",
    },
    Region {
        slug: "fra1",
        name: "Frankfurt 1",
    },
    Region {
        slug: "tor1",
        name: "Toronto 1",
    },
    Region {
        slug: "blr1",
        name: "Bangalore 1",
    },
    Region {
        slug: "syd1",
        name: "Sydney 1",
    },
    Region {
        slug: "atl1",
        name: "Atlanta 1",
    },
];

const IMAGES: &[Image] = &[
    Image {
        id: 148_000_001,
        slug: "debian-12-x64",
        name: "12 x64",
        distribution: "Debian",
    },
    Image {
        id: 190_000_001,
        slug: "debian-13-x64",
        name: "13 x64",
        distribution: "Debian",
    },
    Image {
        id: 161_000_001,
        slug: "ubuntu-24-04-x64",
        name: "24.04 (LTS) x64",
        distribution: "Ubuntu",
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
        "droplets_list" => list_droplets(state, query),
        "droplets_create" => create_droplets(state, body.unwrap_or(&Value::Null)),
        "droplets_get" => get_droplet(state, id_param(params, "droplet_id")),
        "droplets_destroy" => destroy_droplet(state, id_param(params, "droplet_id")),
        "dropletActions_post" => droplet_action(
            state,
            id_param(params, "droplet_id"),
            body.unwrap_or(&Value::Null),
        ),
        "actions_get" => get_action(state, id_param(params, "action_id")),
        "sizes_list" => list_sizes(state, query),
        other => error(
            CloudKind::DigitalOcean,
            501,
            "not_implemented",
            &format!("the fake does not implement {other}"),
        ),
    }
}

fn list_droplets(state: &State, query: &[(String, String)]) -> Reply {
    let tags = if state.options.ignore_filters {
        Vec::new()
    } else {
        query_values(query, "tag_name")
    };
    let names = query_values(query, "name");
    let droplets: Vec<Value> = state
        .vms
        .values()
        .filter(|r| tags.iter().all(|t| r.vm.tags.iter().any(|have| have == t)))
        .filter(|r| names.iter().all(|n| r.vm.name == *n))
        .map(droplet_json)
        .collect();
    let page = state.page(&droplets, query, DEFAULT_PER_PAGE);
    Reply::json(
        200,
        json!({
            "droplets": page.items,
            "links": links(state, "/v2/droplets", query, page.page, page.last),
            "meta": {"total": droplets.len()},
        }),
    )
}

fn create_droplets(state: &mut State, body: &Value) -> Reply {
    let unprocessable = |message: &str| {
        error(
            CloudKind::DigitalOcean,
            422,
            "unprocessable_entity",
            message,
        )
    };
    let names: Vec<String> = match (body.get("name"), body.get("names")) {
        (Some(Value::String(name)), _) => vec![name.clone()],
        (_, Some(Value::Array(names))) => names
            .iter()
            .filter_map(|n| n.as_str().map(str::to_owned))
            .collect(),
        _ => return unprocessable("name is required"),
    };
    let size_slug = body.get("size").and_then(Value::as_str).unwrap_or_default();
    let Some(size) = SIZES.iter().find(|s| s.slug == size_slug && s.available) else {
        return unprocessable("You specified an invalid size for Droplet creation.");
    };
    // DigitalOcean picks a region when none is given; so do we.
    let region = match body.get("region").and_then(Value::as_str) {
        Some(r) => r,
        None => size.regions[0],
    };
    if !REGIONS.iter().any(|r| r.slug == region) {
        return unprocessable("You specified an invalid region for Droplet creation.");
    }
    if !size.regions.contains(&region) {
        return unprocessable("Size is not available in this region.");
    }
    let image = match body.get("image") {
        Some(Value::String(slug)) => IMAGES.iter().find(|i| i.slug == slug),
        Some(Value::Number(id)) => IMAGES.iter().find(|i| Some(i.id) == id.as_u64()),
        _ => None,
    };
    let Some(image) = image else {
        return unprocessable("You specified an invalid image for Droplet creation.");
    };
    let tags: Vec<String> = body
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str().map(str::to_owned))
        .collect();
    // The tag rule of the description's `tags` schema: `^[a-zA-Z0-9_\-\:]+$`, ≤ 255.
    if let Some(bad) = tags.iter().find(|t| !valid_tag(t)) {
        return unprocessable(&format!(
            "tag {bad:?} may contain only letters, numbers, colons, dashes and underscores"
        ));
    }
    let ssh_keys: Vec<String> = body
        .get("ssh_keys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|k| match k {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    let ipv6 = body.get("ipv6").and_then(Value::as_bool).unwrap_or(false);
    let user_data = body
        .get("user_data")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let labels: BTreeMap<String, String> = tags
        .iter()
        .map(|t| match t.split_once(':') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (t.clone(), String::new()),
        })
        .collect();
    let mut droplets = Vec::new();
    let mut action_links = Vec::new();
    for name in &names {
        let id = state.next_id();
        let failure = state.failing_creates.pop_front();
        let action = state.start_action("create", id, region, failure);
        let record = VmRecord {
            vm: FakeVm {
                id,
                name: name.clone(),
                plan: size.slug.to_owned(),
                region: region.to_owned(),
                image: image.slug.to_owned(),
                status: "new".to_owned(),
                labels: labels.clone(),
                tags: tags.clone(),
                ssh_keys: ssh_keys.clone(),
                user_data: user_data.clone(),
            },
            boot_polls: state.options.boot_polls,
            deleting: None,
            ipv6,
            created: now_rfc3339(),
        };
        droplets.push(droplet_json(&record));
        action_links.push(json!({
            "id": action,
            "rel": "create",
            "href": format!("{}/v2/actions/{action}", state.base_url),
        }));
        state.vms.insert(id, record);
        state.creates += 1;
    }
    let body = if body.get("name").is_some() {
        json!({"droplet": droplets[0], "links": {"actions": action_links}})
    } else {
        json!({"droplets": droplets, "links": {"actions": action_links}})
    };
    Reply::json(202, body)
}

fn get_droplet(state: &mut State, id: Option<u64>) -> Reply {
    let Some(record) = id.and_then(|id| state.vms.get_mut(&id)) else {
        return not_found();
    };
    if record.vm.status == "new" {
        if record.boot_polls == 0 {
            record.vm.status = "active".to_owned();
        } else {
            record.boot_polls -= 1;
        }
    }
    Reply::json(200, json!({"droplet": droplet_json(record)}))
}

fn destroy_droplet(state: &mut State, id: Option<u64>) -> Reply {
    match id.and_then(|id| state.vms.remove(&id)) {
        Some(_) => {
            state.deletes += 1;
            Reply::empty(204)
        }
        None => not_found(),
    }
}

/// Start an action on a Droplet: only `power_off` is implemented.
fn droplet_action(state: &mut State, id: Option<u64>, body: &Value) -> Reply {
    let Some(id) = id.filter(|id| state.vms.contains_key(id)) else {
        return not_found();
    };
    match body["type"].as_str() {
        Some("power_off") => {}
        other => {
            return error(
                CloudKind::DigitalOcean,
                501,
                "not_implemented",
                &format!("the fake does not implement the droplet action {other:?}"),
            );
        }
    }
    let region = state.vms[&id].vm.region.clone();
    let action = state.start_action("power_off", id, &region, None);
    state.power_offs += 1;
    Reply::json(201, json!({"action": action_json(&state.actions[&action])}))
}

fn get_action(state: &mut State, id: Option<u64>) -> Reply {
    let Some(id) = id.filter(|id| state.actions.contains_key(id)) else {
        return not_found();
    };
    state.poll_action(id);
    Reply::json(200, json!({"action": action_json(&state.actions[&id])}))
}

fn action_json(a: &ActionRecord) -> Value {
    let status = match &a.outcome {
        None => "in-progress",
        Some(Ok(())) => "completed",
        Some(Err(_)) => "errored",
    };
    json!({
        "id": a.id,
        "status": status,
        "type": a.command,
        "started_at": a.started,
        "completed_at": a.finished,
        "resource_id": a.resource,
        "resource_type": "droplet",
        "region": region_json(&a.region),
        "region_slug": a.region,
    })
}

fn list_sizes(state: &State, query: &[(String, String)]) -> Reply {
    let sizes: Vec<Value> = SIZES.iter().map(size_json).collect();
    let page = state.page(&sizes, query, DEFAULT_PER_PAGE);
    Reply::json(
        200,
        json!({
            "sizes": page.items,
            "links": links(state, "/v2/sizes", query, page.page, page.last),
            "meta": {"total": sizes.len()},
        }),
    )
}

fn not_found() -> Reply {
    error(
        CloudKind::DigitalOcean,
        404,
        "not_found",
        "The resource you were accessing could not be found.",
    )
}

fn valid_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.len() <= MAX_TAG_LEN
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b':'))
}

/// `links.pages` as DigitalOcean writes it: absolute URLs with the request's query and
/// another `page`; `first`/`prev` after the first page, `next`/`last` before the last.
fn links(state: &State, path: &str, query: &[(String, String)], page: u32, last: u32) -> Value {
    let url = |n: u32| {
        let mut pairs: Vec<String> = query
            .iter()
            .filter(|(k, _)| k != "page")
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        pairs.push(format!("page={n}"));
        format!("{}{path}?{}", state.base_url, pairs.join("&"))
    };
    let mut pages = serde_json::Map::new();
    if page > 1 {
        pages.insert("first".to_owned(), json!(url(1)));
        pages.insert("prev".to_owned(), json!(url(page - 1)));
    }
    if page < last {
        pages.insert("next".to_owned(), json!(url(page + 1)));
        pages.insert("last".to_owned(), json!(url(last)));
    }
    json!({"pages": pages})
}

/// Percent-encode everything but RFC 3986's unreserved characters (and `:`, as
/// DigitalOcean leaves it in tag names).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~:".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn region_json(slug: &str) -> Value {
    let name = REGIONS
        .iter()
        .find(|r| r.slug == slug)
        .map_or(slug, |r| r.name);
    let sizes: Vec<&str> = SIZES
        .iter()
        .filter(|s| s.regions.contains(&slug))
        .map(|s| s.slug)
        .collect();
    json!({
        "name": name,
        "slug": slug,
        "features": ["backups", "ipv6", "metadata", "install_agent", "storage", "image_transfer"],
        "available": true,
        "sizes": sizes,
    })
}

fn size_json(s: &Size) -> Value {
    json!({
        "slug": s.slug,
        "memory": s.memory,
        "vcpus": s.vcpus,
        "disk": s.disk,
        "transfer": 1.0,
        "price_monthly": s.price_monthly,
        "price_hourly": (s.price_monthly / 672.0 * 100_000.0).round() / 100_000.0,
        "regions": s.regions,
        "available": s.available,
        "description": s.description,
        "disk_info": [{"type": "local", "size": {"amount": s.disk, "unit": "gib"}}],
    })
}

fn droplet_json(record: &VmRecord) -> Value {
    let vm = &record.vm;
    let size = SIZES
        .iter()
        .find(|s| s.slug == vm.plan)
        .expect("created from the catalogue");
    let image = IMAGES
        .iter()
        .find(|i| i.slug == vm.image)
        .expect("created from the catalogue");
    let v6 = if record.ipv6 {
        json!([{"ip_address": "::1", "netmask": 128, "gateway": "::1", "type": "public"}])
    } else {
        json!([])
    };
    json!({
        "id": vm.id,
        "name": vm.name,
        "memory": size.memory,
        "vcpus": size.vcpus,
        "disk": size.disk,
        "disk_info": [{"type": "local", "size": {"amount": size.disk, "unit": "gib"}}],
        "locked": false,
        "status": vm.status,
        "kernel": null,
        "created_at": record.created,
        "features": if record.ipv6 { json!(["ipv6"]) } else { json!([]) },
        "backup_ids": [],
        "next_backup_window": null,
        "snapshot_ids": [],
        "image": {
            "id": image.id,
            "name": image.name,
            "distribution": image.distribution,
            "slug": image.slug,
            "public": true,
            // The description's region enum has no atl1; images list the older regions.
            "regions": ["nyc1", "nyc3", "sfo3", "ams3", "sgp1", "lon1", "fra1", "tor1", "blr1", "syd1"],
            "created_at": "2024-06-01T00:00:00Z",
            "type": "base",
            "min_disk_size": 10,
            "size_gigabytes": 2.36,
            "description": format!("{} {}", image.distribution, image.name),
            "tags": [],
            "status": "available",
        },
        "volume_ids": [],
        "size": size_json(size),
        "size_slug": size.slug,
        "networks": {
            "v4": [{"ip_address": "127.0.0.1", "netmask": "255.0.0.0", "gateway": "127.0.0.1", "type": "public"}],
            "v6": v6,
        },
        "region": region_json(&vm.region),
        "tags": vm.tags,
        "vpc_uuid": "00000000-0000-4000-8000-000000000000",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_links_keep_the_query_and_encode_it() {
        assert_eq!(encode("toygres_server_id:ab c"), "toygres_server_id:ab%20c");
        assert!(valid_tag("toygres_server_id:abc"));
        assert!(!valid_tag("a.b"));
    }
}
