//! DigitalOcean, API v2 (<https://docs.digitalocean.com/reference/api/>): Droplets, actions
//! and sizes.
//!
//! Quirks handled here:
//! * Droplets have tags, not labels. A label `key=value` becomes the tag `key:value` (`key`
//!   alone for an empty value), and every Droplet we make also gets the tag `toygres`, which
//!   is how [`Cloud::list`] finds ours with one `tag_name` filter. Tags may hold only letters,
//!   digits, `_`, `-` and `:` (at most 255), so other labels are refused before the request.
//! * Names need not be unique, so a create that may have reached the API is never sent again
//!   (see `http`); the caller looks the Droplet up by its server id tag instead.
//! * Lists are paged by `links.pages.next`, an absolute URL. We take only its `page` number
//!   and ask our own base URL, so an answer cannot send our token to another host.
//! * `DELETE /v2/droplets/{id}` answers 204 with no action; the Droplet is gone when a get
//!   answers 404.
//! * Memory is in MiB; plans want GB.

use std::collections::BTreeMap;

use anyhow::anyhow;
use serde::Deserialize;
use serde_json::json;

use super::http::{ApiClient, HttpConfig, context, numeric_id};
use super::{
    ActionId, ActionStatus, Cloud, CloudKind, Created, NewVm, Plan, SERVER_ID_LABEL, Token, Vm,
    VmStatus,
};
use crate::{Error, Result};

/// The tag every Droplet we make carries.
pub(crate) const OWNER_TAG: &str = "toygres";

/// The most entries a page holds (the API's maximum).
const PER_PAGE: u32 = 200;

/// The most pages a listing reads: a guard against a `next` link that never ends.
const MAX_PAGES: u32 = 1000;

/// The longest tag DigitalOcean takes.
const MAX_TAG_LEN: usize = 255;

/// A client of the DigitalOcean API of one team (the token's).
#[derive(Debug)]
pub struct DigitalOcean {
    api: ApiClient,
}

impl DigitalOcean {
    /// A client of the API at `base_url` (normally [`CloudKind::default_base_url`],
    /// `https://api.digitalocean.com`), with the default [`HttpConfig`]. Installs the TLS
    /// crypto provider ([`crate::install_crypto_provider`]).
    pub fn new(base_url: &str, token: Token) -> Result<Self> {
        Self::with_config(base_url, token, HttpConfig::default())
    }

    /// As [`DigitalOcean::new`], with its own timeouts, retries and rate-limit wait.
    pub fn with_config(base_url: &str, token: Token, config: HttpConfig) -> Result<Self> {
        Ok(Self {
            api: ApiClient::new(CloudKind::DigitalOcean, base_url, token, config)?,
        })
    }

    /// Every Droplet with this tag, all pages.
    async fn droplets(&self, tag: &str) -> Result<Vec<Vm>> {
        let mut vms = Vec::new();
        let mut page = 1;
        loop {
            let query = [
                ("tag_name", tag.to_owned()),
                ("page", page.to_string()),
                ("per_page", PER_PAGE.to_string()),
            ];
            let list: DropletList = self
                .api
                .get("/v2/droplets", &query)
                .await?
                .ok_or_else(|| missing("/v2/droplets"))?;
            vms.extend(list.droplets.into_iter().map(Droplet::into_vm));
            match next_page(page, &list.links)? {
                Some(next) => page = next,
                None => return Ok(vms),
            }
        }
    }
}

#[async_trait::async_trait]
impl Cloud for DigitalOcean {
    fn kind(&self) -> CloudKind {
        CloudKind::DigitalOcean
    }

    async fn create(&self, vm: &NewVm) -> Result<Created> {
        let mut tags = vec![OWNER_TAG.to_owned(), server_tag(&vm.server_id)];
        for (key, value) in &vm.labels {
            if key != SERVER_ID_LABEL {
                tags.push(if value.is_empty() {
                    key.clone()
                } else {
                    format!("{key}:{value}")
                });
            }
        }
        for tag in &tags {
            check_tag(tag)?;
        }
        let mut body = json!({
            "name": vm.name,
            "region": vm.region.to_ascii_lowercase(),
            "size": vm.plan.to_ascii_lowercase(),
            "image": vm.image,
            "ssh_keys": vm.ssh_keys,
            "tags": tags,
            // Hetzner servers have IPv6 from the start; ask for the same here.
            "ipv6": true,
        });
        if !vm.user_data.is_empty() {
            body["user_data"] = json!(vm.user_data);
        }
        let created: CreateResponse = self
            .api
            .post("/v2/droplets", &body)
            .await
            .map_err(|e| context(e, "create digitalocean droplet"))?;
        let action = created
            .links
            .actions
            .iter()
            .find(|a| a.rel.as_deref() == Some("create"))
            .or_else(|| created.links.actions.first())
            .and_then(|a| a.id)
            .map(|id| ActionId(id.to_string()));
        Ok(Created {
            vm: created.droplet.into_vm(),
            action,
        })
    }

    async fn get(&self, provider_id: &str) -> Result<Option<Vm>> {
        let id = numeric_id(provider_id, "droplet")?;
        let found: Option<DropletResponse> = self
            .api
            .get(&format!("/v2/droplets/{id}"), &[])
            .await
            .map_err(|e| context(e, "get digitalocean droplet"))?;
        Ok(found.map(|r| r.droplet.into_vm()))
    }

    async fn find_by_server_id(&self, server_id: &str) -> Result<Vec<Vm>> {
        let tag = server_tag(server_id);
        check_tag(&tag)?;
        let mut vms = self
            .droplets(&tag)
            .await
            .map_err(|e| context(e, "find digitalocean droplets by tag"))?;
        // The filter is the cloud's; ours is only a Droplet that carries the tag itself.
        vms.retain(|vm| vm.server_id() == Some(server_id));
        Ok(vms)
    }

    async fn list(&self) -> Result<Vec<Vm>> {
        let mut vms = self
            .droplets(OWNER_TAG)
            .await
            .map_err(|e| context(e, "list digitalocean droplets"))?;
        vms.retain(|vm| vm.server_id().is_some());
        Ok(vms)
    }

    async fn delete(&self, provider_id: &str) -> Result<Option<ActionId>> {
        let id = numeric_id(provider_id, "droplet")?;
        // 204 and 404 both leave nothing to wait for: the caller polls `get` for the 404.
        self.api
            .delete(&format!("/v2/droplets/{id}"))
            .await
            .map_err(|e| context(e, "delete digitalocean droplet"))?;
        Ok(None)
    }

    async fn power_off(&self, provider_id: &str) -> Result<Option<ActionId>> {
        let id = numeric_id(provider_id, "droplet")?;
        let answer: Option<ActionResponse> = self
            .api
            .act(
                &format!("/v2/droplets/{id}/actions"),
                Some(&json!({"type": "power_off"})),
            )
            .await
            .map_err(|e| context(e, "power off digitalocean droplet"))?;
        let Some(answer) = answer else {
            return Ok(None);
        };
        let action = answer.action.id.ok_or_else(|| {
            Error::Permanent(anyhow!(
                "digitalocean answered a power_off with an action without an id"
            ))
        })?;
        Ok(Some(ActionId(action.to_string())))
    }

    async fn action(&self, id: &ActionId) -> Result<ActionStatus> {
        let action_id = numeric_id(&id.0, "action")?;
        let found: ActionResponse = self
            .api
            .get(&format!("/v2/actions/{action_id}"), &[])
            .await?
            .ok_or_else(|| Error::NotFound {
                kind: "digitalocean action",
                name: id.0.clone(),
            })?;
        let action = found.action;
        Ok(match action.status.as_str() {
            "in-progress" => ActionStatus::Running,
            "completed" => ActionStatus::Succeeded,
            // DigitalOcean gives no reason for an errored action.
            other => ActionStatus::Failed(format!(
                "{} {other}",
                action.kind.as_deref().unwrap_or("action")
            )),
        })
    }

    async fn plans(&self) -> Result<Vec<Plan>> {
        let mut plans = Vec::new();
        let mut page = 1;
        loop {
            let query = [
                ("page", page.to_string()),
                ("per_page", PER_PAGE.to_string()),
            ];
            let list: SizeList = self
                .api
                .get("/v2/sizes", &query)
                .await?
                .ok_or_else(|| missing("/v2/sizes"))?;
            plans.extend(list.sizes.into_iter().map(Size::into_plan));
            match next_page(page, &list.links)? {
                Some(next) => page = next,
                None => return Ok(plans),
            }
        }
    }
}

/// The tag naming our server id.
fn server_tag(server_id: &str) -> String {
    format!("{SERVER_ID_LABEL}:{server_id}")
}

/// DigitalOcean's tag rule, `^[a-zA-Z0-9_\-\:]+$` and at most 255 characters.
fn check_tag(tag: &str) -> Result<()> {
    let ok = !tag.is_empty()
        && tag.len() <= MAX_TAG_LEN
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b':'));
    if ok {
        Ok(())
    } else {
        Err(Error::Permanent(anyhow!(
            "digitalocean does not take the tag {tag:?}: tags are at most {MAX_TAG_LEN} \
             letters, digits, '_', '-' or ':'"
        )))
    }
}

fn missing(path: &str) -> Error {
    Error::Permanent(anyhow!(
        "digitalocean has no {path} (404): is the API URL right?"
    ))
}

/// The page after `page`, from the `page` parameter of the `next` link, if there is one.
fn next_page(page: u32, links: &Links) -> Result<Option<u32>> {
    let Some(next) = links.pages.as_ref().and_then(|p| p.next.as_deref()) else {
        return Ok(None);
    };
    let number = next
        .split_once('?')
        .map(|(_, query)| query)
        .unwrap_or_default()
        .split('&')
        .find_map(|pair| pair.strip_prefix("page="))
        .and_then(|n| n.parse::<u32>().ok());
    match number {
        Some(n) if n > page && n <= MAX_PAGES => Ok(Some(n)),
        _ => Err(Error::Permanent(anyhow!(
            "digitalocean sent page {page} with the next link {next:?}: not a listing we can follow"
        ))),
    }
}

#[derive(Deserialize)]
struct DropletResponse {
    droplet: Droplet,
}

#[derive(Deserialize)]
struct CreateResponse {
    droplet: Droplet,
    #[serde(default)]
    links: CreateLinks,
}

#[derive(Default, Deserialize)]
struct CreateLinks {
    #[serde(default)]
    actions: Vec<ActionLink>,
}

#[derive(Deserialize)]
struct ActionLink {
    id: Option<u64>,
    rel: Option<String>,
}

#[derive(Deserialize)]
struct DropletList {
    droplets: Vec<Droplet>,
    #[serde(default)]
    links: Links,
}

#[derive(Default, Deserialize)]
struct Links {
    pages: Option<Pages>,
}

#[derive(Deserialize)]
struct Pages {
    next: Option<String>,
}

#[derive(Deserialize)]
struct Droplet {
    id: u64,
    name: String,
    status: String,
    #[serde(default)]
    networks: Networks,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Default, Deserialize)]
struct Networks {
    #[serde(default)]
    v4: Vec<Network>,
    #[serde(default)]
    v6: Vec<Network>,
}

#[derive(Deserialize)]
struct Network {
    ip_address: String,
    #[serde(rename = "type")]
    kind: String,
}

impl Droplet {
    fn into_vm(self) -> Vm {
        let public = |nets: &[Network]| {
            nets.iter()
                .filter(|n| n.kind == "public")
                .find_map(|n| n.ip_address.parse().ok())
        };
        let labels: BTreeMap<String, String> = self
            .tags
            .iter()
            .map(|tag| match tag.split_once(':') {
                Some((key, value)) => (key.to_owned(), value.to_owned()),
                None => (tag.clone(), String::new()),
            })
            .collect();
        Vm {
            provider_id: self.id.to_string(),
            status: match self.status.as_str() {
                "new" => VmStatus::Starting,
                "active" => VmStatus::Running,
                "off" => VmStatus::Off,
                _ => VmStatus::Other(self.status.clone()),
            },
            name: self.name,
            ipv4: public(&self.networks.v4),
            ipv6: public(&self.networks.v6),
            labels,
        }
    }
}

#[derive(Deserialize)]
struct ActionResponse {
    action: Action,
}

#[derive(Deserialize)]
struct Action {
    #[serde(default)]
    id: Option<u64>,
    #[serde(default)]
    status: String,
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct SizeList {
    sizes: Vec<Size>,
    #[serde(default)]
    links: Links,
}

#[derive(Deserialize)]
struct Size {
    slug: String,
    /// MiB.
    memory: u64,
    vcpus: u32,
    disk: u32,
    price_monthly: Option<f64>,
    #[serde(default)]
    regions: Vec<String>,
    #[serde(default = "yes")]
    available: bool,
}

fn yes() -> bool {
    true
}

impl Size {
    fn into_plan(self) -> Plan {
        Plan {
            memory_gb: self.memory as f64 / 1024.0,
            cores: self.vcpus,
            disk_gb: self.disk,
            monthly_price: self.price_monthly,
            currency: "USD",
            // Droplets are x86 only.
            architecture: "x86",
            regions: self.regions,
            // A size DigitalOcean no longer offers anywhere.
            deprecated: !self.available,
            name: self.slug,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(next: Option<&str>) -> Links {
        Links {
            pages: Some(Pages {
                next: next.map(str::to_owned),
            }),
        }
    }

    #[test]
    fn the_next_page_is_read_from_the_page_parameter_of_the_link() {
        let next = "https://api.digitalocean.com/v2/droplets?tag_name=toygres&page=3&per_page=200";
        assert_eq!(next_page(2, &links(Some(next))).unwrap(), Some(3));
        assert_eq!(next_page(2, &links(None)).unwrap(), None);
        assert_eq!(next_page(2, &Links::default()).unwrap(), None);
        assert!(next_page(3, &links(Some(next))).is_err());
        assert!(next_page(1, &links(Some("https://elsewhere/"))).is_err());
    }

    #[test]
    fn tags_follow_digitaloceans_rule() {
        assert!(check_tag("toygres_server_id:0123456789abcdef").is_ok());
        assert!(check_tag("role:db-primary").is_ok());
        assert!(check_tag("role:db.primary").is_err());
        assert!(check_tag("a b").is_err());
        assert!(check_tag("").is_err());
        assert!(check_tag(&"x".repeat(256)).is_err());
    }

    #[test]
    fn tags_read_back_as_labels() {
        let droplet = Droplet {
            id: 7,
            name: "tg-1".to_owned(),
            status: "new".to_owned(),
            networks: Networks::default(),
            tags: vec![
                "toygres".to_owned(),
                "toygres_server_id:abc".to_owned(),
                "url:a:b".to_owned(),
            ],
        };
        let vm = droplet.into_vm();
        assert_eq!(vm.server_id(), Some("abc"));
        assert_eq!(vm.labels["toygres"], "");
        assert_eq!(vm.labels["url"], "a:b");
        assert_eq!(vm.status, VmStatus::Starting);
    }
}
