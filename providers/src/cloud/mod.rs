//! Cloud providers that rent us VMs for the fleet: Hetzner Cloud (API v1) and DigitalOcean
//! (API v2), behind one [`Cloud`] trait so the fleet workflows never branch on the provider.
//!
//! # Contract
//! * Every VM we make is named `tg-<server id>` and labelled (Hetzner labels, DigitalOcean
//!   tags) with `toygres_server_id=<server id>`, so a retried create finds what an earlier try
//!   made instead of making a second VM ([`Cloud::find_by_server_id`]).
//! * Lists read every page.
//! * Rate limits are honoured: a 429 waits until the advertised reset, then goes on.
//! * Failures come back as [`crate::Error`]: `Transient` (5xx, timeouts, a 429 that outlasts
//!   the wait, `locked`, …) or `Permanent` (bad token, invalid plan or region, quota), with
//!   the provider's own error code and message. Tokens never appear in errors or logs.
//!
//! # Layout
//! * `http`: the JSON client both share: token, timeouts, retries, rate limits, error codes.
//! * `hetzner`, `digitalocean`: one [`Cloud`] each.
//! * `plans`: the plans and regions known without asking a provider.
//!
//! Tests drive these clients against `testkit::cloud`: both APIs in-process, answering only
//! what the official API descriptions allow.

mod digitalocean;
mod hetzner;
mod http;
pub mod plans;

pub use digitalocean::DigitalOcean;
pub use hetzner::Hetzner;
pub use http::HttpConfig;

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

/// Which cloud.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CloudKind {
    /// Hetzner Cloud, API v1.
    Hetzner,
    /// DigitalOcean, API v2.
    DigitalOcean,
}

impl CloudKind {
    /// The stored name (the `server_provider` enum in the database).
    pub fn as_str(self) -> &'static str {
        match self {
            CloudKind::Hetzner => "hetzner",
            CloudKind::DigitalOcean => "digitalocean",
        }
    }

    /// The default API base URL: everything before the paths of the API description.
    pub fn default_base_url(self) -> &'static str {
        match self {
            CloudKind::Hetzner => "https://api.hetzner.cloud/v1",
            CloudKind::DigitalOcean => "https://api.digitalocean.com",
        }
    }
}

/// An API token. Its `Debug` and `Display` never show the secret.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// Wrap a token read from configuration.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// The label (Hetzner) or tag prefix (DigitalOcean) that ties a VM to our server id.
pub const SERVER_ID_LABEL: &str = "toygres_server_id";

/// What to create.
#[derive(Clone, Debug)]
pub struct NewVm {
    /// The VM's name: `tg-<server id, 32 hex digits>`.
    pub name: String,
    /// Our server id, written as the [`SERVER_ID_LABEL`] label or tag.
    pub server_id: String,
    /// A plan (Hetzner server type, DigitalOcean size slug), by name.
    pub plan: String,
    /// A region (Hetzner location, DigitalOcean region slug), by name.
    pub region: String,
    /// An image, by name (`debian-12`, `debian-12-x64`).
    pub image: String,
    /// SSH keys, by name (Hetzner) or fingerprint (DigitalOcean).
    pub ssh_keys: Vec<String>,
    /// cloud-init user data.
    pub user_data: String,
    /// More labels (Hetzner) or tags `key:value` (DigitalOcean).
    pub labels: BTreeMap<String, String>,
}

/// What the provider says a VM is doing, reduced to what the workflows need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VmStatus {
    /// Being created or booted (Hetzner `initializing`/`starting`, DigitalOcean `new`).
    Starting,
    /// Up.
    Running,
    /// Powered off.
    Off,
    /// Being deleted.
    Deleting,
    /// Anything else, with the provider's word for it.
    Other(String),
}

/// A VM as the provider describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vm {
    /// The provider's id (a number on both clouds, kept as text).
    pub provider_id: String,
    /// Its name.
    pub name: String,
    /// Its state.
    pub status: VmStatus,
    /// Public IPv4, once assigned.
    pub ipv4: Option<IpAddr>,
    /// Public IPv6, once assigned.
    pub ipv6: Option<IpAddr>,
    /// Labels (Hetzner), or tags split at the first `:` (DigitalOcean; a tag without `:`
    /// maps to an empty value).
    pub labels: BTreeMap<String, String>,
}

impl Vm {
    /// Our server id, from the [`SERVER_ID_LABEL`] label, if it has one.
    pub fn server_id(&self) -> Option<&str> {
        self.labels.get(SERVER_ID_LABEL).map(String::as_str)
    }
}

/// A provider action to wait for (creating, deleting or powering off a VM).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionId(pub String);

/// How an action is going.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionStatus {
    /// Still going.
    Running,
    /// Finished well.
    Succeeded,
    /// Finished badly, with the provider's reason.
    Failed(String),
}

/// What a create returned: the VM and the action to wait for, if the provider gave one.
#[derive(Clone, Debug)]
pub struct Created {
    /// The new VM.
    pub vm: Vm,
    /// The action creating it.
    pub action: Option<ActionId>,
}

/// A plan (server type or size) with what is known of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The name the API takes (`cx22`, `s-2vcpu-4gb`).
    pub name: String,
    /// vCPUs.
    pub cores: u32,
    /// Memory in GB (GiB on both clouds).
    pub memory_gb: f64,
    /// Local disk in GB.
    pub disk_gb: u32,
    /// Monthly price in the provider's currency (EUR for Hetzner, USD for DigitalOcean), when known.
    pub monthly_price: Option<f64>,
    /// ISO currency of `monthly_price`.
    pub currency: &'static str,
    /// `x86` or `arm`.
    pub architecture: &'static str,
    /// Regions where it can be ordered; empty when unknown (any region).
    pub regions: Vec<String>,
    /// Whether the provider marks it deprecated (still accepted by the table).
    pub deprecated: bool,
}

/// One cloud's API.
#[async_trait::async_trait]
pub trait Cloud: Send + Sync + fmt::Debug {
    /// Which cloud this is.
    fn kind(&self) -> CloudKind;

    /// Create a VM. A name that is already taken is a `Permanent` error carrying the
    /// provider's code; callers look for an existing VM first with [`Cloud::find_by_server_id`].
    async fn create(&self, vm: &NewVm) -> crate::Result<Created>;

    /// The VM with this provider id, or `None` once it is gone (404).
    async fn get(&self, provider_id: &str) -> crate::Result<Option<Vm>>;

    /// Every VM labelled with this server id (all pages; normally zero or one). Only VMs whose
    /// label or tag carries exactly this id, whatever the cloud's filter returned.
    async fn find_by_server_id(&self, server_id: &str) -> crate::Result<Vec<Vm>>;

    /// Every VM we made (all pages): those carrying a [`SERVER_ID_LABEL`].
    async fn list(&self) -> crate::Result<Vec<Vm>>;

    /// Delete a VM. `Ok(None)` when it was already gone, else the action to wait for when the
    /// provider gives one (Hetzner does, DigitalOcean answers 204).
    async fn delete(&self, provider_id: &str) -> crate::Result<Option<ActionId>>;

    /// Cut a VM's power at once, as pulling its plug would (Hetzner `poweroff`, DigitalOcean
    /// `power_off`): for fencing a server that no longer answers. The action to wait for, or
    /// `None` when the VM is gone already.
    async fn power_off(&self, provider_id: &str) -> crate::Result<Option<ActionId>>;

    /// How an action is going.
    async fn action(&self, id: &ActionId) -> crate::Result<ActionStatus>;

    /// The provider's own listing of plans (all pages), for refreshing the table.
    async fn plans(&self) -> crate::Result<Vec<Plan>>;
}
