//! Hetzner Cloud, API v1 (<https://docs.hetzner.cloud/>): servers, their actions and the
//! server types.
//!
//! Quirks handled here:
//! * `POST /servers` takes names or ids for `server_type`, `image`, `location` and
//!   `ssh_keys`; we send names, so a request reads the same as our configuration.
//! * A server's IPv6 is a /64 network (`2001:db8::/64`); the server itself answers on the
//!   network's `::1`, which is the address we report.
//! * Lists are paged (`meta.pagination.next_page`, at most 50 a page).
//! * Actions are read at `GET /actions/{id}`, which covers every resource's actions.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv6Addr};

use anyhow::anyhow;
use serde::Deserialize;
use serde_json::json;

use super::http::{ApiClient, HttpConfig, context, numeric_id};
use super::{
    ActionId, ActionStatus, Cloud, CloudKind, Created, NewVm, Plan, SERVER_ID_LABEL, Token, Vm,
    VmStatus,
};
use crate::{Error, Result};

/// The most entries a page of a Hetzner list holds.
const PER_PAGE: u32 = 50;

/// The most pages a listing reads: a guard against a `next_page` that never ends.
const MAX_PAGES: u32 = 1000;

/// The longest label value (and label name) Hetzner takes.
const MAX_LABEL_LEN: usize = 63;

/// A client of the Hetzner Cloud API of one project (the token's).
#[derive(Debug)]
pub struct Hetzner {
    api: ApiClient,
}

impl Hetzner {
    /// A client of the API at `base_url` (normally [`CloudKind::default_base_url`],
    /// `https://api.hetzner.cloud/v1`), with the default [`HttpConfig`]. Installs the TLS
    /// crypto provider ([`crate::install_crypto_provider`]).
    pub fn new(base_url: &str, token: Token) -> Result<Self> {
        Self::with_config(base_url, token, HttpConfig::default())
    }

    /// As [`Hetzner::new`], with its own timeouts, retries and rate-limit wait.
    pub fn with_config(base_url: &str, token: Token, config: HttpConfig) -> Result<Self> {
        Ok(Self {
            api: ApiClient::new(CloudKind::Hetzner, base_url, token, config)?,
        })
    }

    /// Every server matching a label selector, all pages.
    async fn servers(&self, label_selector: &str) -> Result<Vec<Vm>> {
        let mut vms = Vec::new();
        let mut page = 1;
        loop {
            let query = [
                ("label_selector", label_selector.to_owned()),
                ("page", page.to_string()),
                ("per_page", PER_PAGE.to_string()),
            ];
            let list: ServerList = self
                .api
                .get("/servers", &query)
                .await?
                .ok_or_else(|| missing("/servers"))?;
            vms.extend(list.servers.into_iter().map(Server::into_vm));
            match next_page(page, list.meta.pagination.next_page)? {
                Some(next) => page = next,
                None => return Ok(vms),
            }
        }
    }
}

#[async_trait::async_trait]
impl Cloud for Hetzner {
    fn kind(&self) -> CloudKind {
        CloudKind::Hetzner
    }

    async fn create(&self, vm: &NewVm) -> Result<Created> {
        let mut labels = vm.labels.clone();
        labels.insert(SERVER_ID_LABEL.to_owned(), vm.server_id.clone());
        for (key, value) in &labels {
            check_label(key, value)?;
        }
        let mut body = json!({
            "name": vm.name,
            "server_type": vm.plan.to_ascii_lowercase(),
            "image": vm.image,
            "location": vm.region.to_ascii_lowercase(),
            "ssh_keys": vm.ssh_keys,
            "labels": labels,
            "start_after_create": true,
        });
        if !vm.user_data.is_empty() {
            body["user_data"] = json!(vm.user_data);
        }
        let created: CreateServerResponse = self
            .api
            .post("/servers", &body)
            .await
            .map_err(|e| context(e, "create hetzner server"))?;
        Ok(Created {
            vm: created.server.into_vm(),
            action: Some(ActionId(created.action.id.to_string())),
        })
    }

    async fn get(&self, provider_id: &str) -> Result<Option<Vm>> {
        let id = server_id(provider_id)?;
        let found: Option<ServerResponse> = self
            .api
            .get(&format!("/servers/{id}"), &[])
            .await
            .map_err(|e| context(e, "get hetzner server"))?;
        Ok(found.map(|r| r.server.into_vm()))
    }

    async fn find_by_server_id(&self, server_id: &str) -> Result<Vec<Vm>> {
        check_label(SERVER_ID_LABEL, server_id)?;
        let mut vms = self
            .servers(&format!("{SERVER_ID_LABEL}={server_id}"))
            .await
            .map_err(|e| context(e, "find hetzner servers by label"))?;
        // The filter is the cloud's; ours is only a server that carries the label itself.
        vms.retain(|vm| vm.server_id() == Some(server_id));
        Ok(vms)
    }

    async fn list(&self) -> Result<Vec<Vm>> {
        let mut vms = self
            .servers(SERVER_ID_LABEL)
            .await
            .map_err(|e| context(e, "list hetzner servers"))?;
        vms.retain(|vm| vm.server_id().is_some());
        Ok(vms)
    }

    async fn delete(&self, provider_id: &str) -> Result<Option<ActionId>> {
        let id = server_id(provider_id)?;
        let path = format!("/servers/{id}");
        let Some(body) = self
            .api
            .delete(&path)
            .await
            .map_err(|e| context(e, "delete hetzner server"))?
        else {
            return Ok(None);
        };
        // The description makes the answer's `action` optional; without one there is
        // nothing to wait for, and the caller polls `get` until the server is gone.
        if body.is_empty() {
            return Ok(None);
        }
        let deleted: DeleteServerResponse = self.api.decode(&path, &body)?;
        Ok(deleted.action.map(|a| ActionId(a.id.to_string())))
    }

    async fn power_off(&self, provider_id: &str) -> Result<Option<ActionId>> {
        let id = server_id(provider_id)?;
        let answer: Option<ActionResponse> = self
            .api
            .act(&format!("/servers/{id}/actions/poweroff"), None)
            .await
            .map_err(|e| context(e, "power off hetzner server"))?;
        Ok(answer.map(|r| ActionId(r.action.id.to_string())))
    }

    async fn action(&self, id: &ActionId) -> Result<ActionStatus> {
        let action_id = numeric_id(&id.0, "action")?;
        let path = format!("/actions/{action_id}");
        let found: ActionResponse =
            self.api
                .get(&path, &[])
                .await?
                .ok_or_else(|| Error::NotFound {
                    kind: "hetzner action",
                    name: id.0.clone(),
                })?;
        let action = found.action;
        Ok(match action.status.as_str() {
            "running" => ActionStatus::Running,
            "success" => ActionStatus::Succeeded,
            _ => ActionStatus::Failed(match action.error {
                Some(e) => format!("{} ({}): {}", action.command, e.code, e.message),
                None => format!("{} ended {}", action.command, action.status),
            }),
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
            let list: ServerTypeList = self
                .api
                .get("/server_types", &query)
                .await?
                .ok_or_else(|| missing("/server_types"))?;
            plans.extend(list.server_types.into_iter().map(ServerType::into_plan));
            match next_page(page, list.meta.pagination.next_page)? {
                Some(next) => page = next,
                None => return Ok(plans),
            }
        }
    }
}

/// The page after `page`, refusing a listing that goes backwards or never ends.
fn next_page(page: u32, next: Option<u64>) -> Result<Option<u32>> {
    match next {
        None => Ok(None),
        Some(next) if next > u64::from(page) && next <= u64::from(MAX_PAGES) => {
            Ok(Some(next as u32))
        }
        Some(next) => Err(Error::Permanent(anyhow!(
            "hetzner sent page {page} with next_page {next}: not a listing we can follow"
        ))),
    }
}

fn missing(path: &str) -> Error {
    Error::Permanent(anyhow!(
        "hetzner has no {path} (404): is the API URL right?"
    ))
}

/// A server id as the API has it: a positive number. Checked so an id never changes the path.
fn server_id(provider_id: &str) -> Result<u64> {
    numeric_id(provider_id, "server")
}

/// Hetzner's label rules: a name of at most 63 letters, digits, `-`, `_` and `.`, starting
/// and ending alphanumeric, optionally after a DNS-name prefix and `/`; a value by the same
/// rule, or empty.
fn check_label(key: &str, value: &str) -> Result<()> {
    let name = key.rsplit_once('/').map_or(key, |(_, name)| name);
    if name.is_empty() || !label_word(name) || !(value.is_empty() || label_word(value)) {
        return Err(Error::Permanent(anyhow!(
            "hetzner does not take the label {key}={value}: names and values are at most \
             {MAX_LABEL_LEN} letters, digits, '-', '_' or '.', starting and ending with a \
             letter or digit"
        )));
    }
    Ok(())
}

fn label_word(s: &str) -> bool {
    let bytes = s.as_bytes();
    let edge = |b: &u8| b.is_ascii_alphanumeric();
    s.len() <= MAX_LABEL_LEN
        && bytes.first().is_some_and(edge)
        && bytes.last().is_some_and(edge)
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[derive(Deserialize)]
struct ServerResponse {
    server: Server,
}

#[derive(Deserialize)]
struct CreateServerResponse {
    server: Server,
    action: Action,
}

#[derive(Deserialize)]
struct DeleteServerResponse {
    #[serde(default)]
    action: Option<Action>,
}

#[derive(Deserialize)]
struct ServerList {
    servers: Vec<Server>,
    meta: Meta,
}

#[derive(Deserialize)]
struct Meta {
    pagination: Pagination,
}

#[derive(Deserialize)]
struct Pagination {
    next_page: Option<u64>,
}

#[derive(Deserialize)]
struct Server {
    id: u64,
    name: String,
    status: String,
    public_net: PublicNet,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct PublicNet {
    ipv4: Option<IpEntry>,
    ipv6: Option<IpEntry>,
}

#[derive(Deserialize)]
struct IpEntry {
    ip: String,
}

impl Server {
    fn into_vm(self) -> Vm {
        Vm {
            provider_id: self.id.to_string(),
            status: match self.status.as_str() {
                "initializing" | "starting" => VmStatus::Starting,
                "running" => VmStatus::Running,
                "off" => VmStatus::Off,
                "deleting" => VmStatus::Deleting,
                _ => VmStatus::Other(self.status),
            },
            name: self.name,
            ipv4: self.public_net.ipv4.and_then(|e| e.ip.parse().ok()),
            ipv6: self.public_net.ipv6.and_then(|e| server_ipv6(&e.ip)),
            labels: self.labels,
        }
    }
}

/// The server's address in its IPv6 network: `2001:db8::/64` → `2001:db8::1`. An address
/// that already has host bits is taken as it is.
fn server_ipv6(network: &str) -> Option<IpAddr> {
    let (addr, prefix) = network.split_once('/').unwrap_or((network, "128"));
    let addr: Ipv6Addr = addr.parse().ok()?;
    let prefix: u32 = prefix.parse().ok().filter(|&p| p <= 128)?;
    let host_mask = u128::MAX.checked_shr(prefix).unwrap_or(0);
    let bits = u128::from(addr);
    Some(IpAddr::V6(if bits & host_mask == 0 && prefix < 128 {
        Ipv6Addr::from(bits | 1)
    } else {
        addr
    }))
}

#[derive(Deserialize)]
struct ActionResponse {
    action: Action,
}

#[derive(Deserialize)]
struct Action {
    id: u64,
    #[serde(default)]
    command: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    error: Option<ActionError>,
}

#[derive(Deserialize)]
struct ActionError {
    code: String,
    message: String,
}

#[derive(Deserialize)]
struct ServerTypeList {
    server_types: Vec<ServerType>,
    meta: Meta,
}

#[derive(Deserialize)]
struct ServerType {
    name: String,
    cores: u32,
    memory: f64,
    disk: f64,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    deprecated: Option<bool>,
    #[serde(default)]
    deprecation: Option<serde_json::Value>,
    #[serde(default)]
    prices: Vec<Price>,
    #[serde(default)]
    locations: Vec<Location>,
}

#[derive(Deserialize)]
struct Price {
    location: String,
    price_monthly: Amount,
}

/// A price as Hetzner writes it: decimal strings, net and gross (with VAT).
#[derive(Deserialize)]
struct Amount {
    gross: String,
}

#[derive(Deserialize)]
struct Location {
    name: String,
}

impl ServerType {
    fn into_plan(self) -> Plan {
        // Prices differ by location; a plan shows the lowest monthly gross price.
        let monthly_price = self
            .prices
            .iter()
            .filter_map(|p| p.price_monthly.gross.trim().parse::<f64>().ok())
            .reduce(f64::min);
        let mut regions: Vec<String> = if self.locations.is_empty() {
            self.prices.into_iter().map(|p| p.location).collect()
        } else {
            self.locations.into_iter().map(|l| l.name).collect()
        };
        regions.sort();
        regions.dedup();
        Plan {
            name: self.name,
            cores: self.cores,
            memory_gb: self.memory,
            disk_gb: self.disk.round() as u32,
            monthly_price,
            currency: "EUR",
            architecture: if self.architecture == "arm" {
                "arm"
            } else {
                "x86"
            },
            regions,
            deprecated: self.deprecated.unwrap_or(false) || self.deprecation.is_some(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_servers_ipv6_is_the_first_address_of_its_network() {
        assert_eq!(
            server_ipv6("2001:db8:1::/64"),
            Some("2001:db8:1::1".parse().unwrap())
        );
        assert_eq!(server_ipv6("::/64"), Some("::1".parse().unwrap()));
        assert_eq!(
            server_ipv6("2001:db8::5/64"),
            Some("2001:db8::5".parse().unwrap())
        );
        assert_eq!(server_ipv6("not an address"), None);
    }

    #[test]
    fn labels_follow_hetzners_rules() {
        assert!(check_label(SERVER_ID_LABEL, "0123456789abcdef0123456789abcdef").is_ok());
        assert!(check_label("example.com/role", "db.primary").is_ok());
        assert!(check_label("empty", "").is_ok());
        assert!(check_label("role", "-db").is_err());
        assert!(check_label("role", "a b").is_err());
        assert!(check_label("", "x").is_err());
        assert!(check_label("k", &"x".repeat(64)).is_err());
    }

    #[test]
    fn ids_that_are_not_numbers_never_reach_a_path() {
        assert_eq!(server_id("42").unwrap(), 42);
        for bad in ["", "0", "-1", "1/../2", "abc"] {
            assert!(matches!(server_id(bad), Err(Error::Permanent(_))), "{bad}");
        }
    }

    #[test]
    fn a_listing_that_does_not_move_forward_is_refused() {
        assert_eq!(next_page(1, Some(2)).unwrap(), Some(2));
        assert_eq!(next_page(3, None).unwrap(), None);
        assert!(next_page(2, Some(2)).is_err());
    }
}
