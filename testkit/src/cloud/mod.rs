//! Hetzner Cloud and DigitalOcean, in process, for tests: a [`FakeCloud`] serves one API on
//! `127.0.0.1` and answers only what the official API description allows.
//!
//! Every request is matched to a path and method of the description and checked against it:
//! path and query parameters (no undeclared ones), and the JSON body, strictly (no property
//! the schema does not declare). What strays is answered as the provider answers bad input
//! (Hetzner 400 `invalid_input`, DigitalOcean 422 `unprocessable_entity`; an unknown path
//! 404) and recorded in [`FakeCloud::violations`], which tests assert is empty. The fake's
//! own answers are checked against the description's response schemas too, and recorded
//! there if they stray, so the fake stays honest.
//!
//! ```no_run
//! # async fn demo() {
//! use providers::cloud::{CloudKind, Hetzner, Token};
//! use testkit::cloud::FakeCloud;
//!
//! let fake = FakeCloud::start(CloudKind::Hetzner).await;
//! let cloud = Hetzner::new(&fake.base_url(), Token::new(fake.token())).unwrap();
//! // … drive `cloud` …
//! assert_eq!(fake.violations(), Vec::<String>::new());
//! # }
//! ```
//!
//! # What it does
//! * Servers (Droplets): create, get, list (with `label_selector` / `tag_name`, paged by
//!   `page` and `per_page`, at most [`FakeOptions::max_per_page`] a page), delete.
//! * A new VM shows as starting for [`FakeOptions::boot_polls`] gets, then running. It has
//!   the addresses `127.0.0.1` and `::1`, so nothing ever reaches out of this host.
//! * Actions run for [`FakeOptions::action_polls`] polls, then succeed (or fail, see
//!   [`FakeCloud::fail_next_create_action`]). A Hetzner server being deleted is gone once its
//!   delete action has finished (polling the server moves the action on too); a Droplet is
//!   gone at once (204).
//! * Server types (sizes): a small catalogue, paged.
//! * Faults ([`FakeCloud::fail_next`]): 429 with rate-limit headers as the real APIs send
//!   them, 5xx, or a provider error code with its usual status.
//!
//! # Layout
//! * `compact`: the compact API descriptions in `testkit/api/`, and how they are made from
//!   the official ones.
//! * `spec`: loading the descriptions (once per process) and checking requests and answers.
//! * `schema`: OpenAPI 3.0 schemas as JSON Schema 2020-12.
//! * `hetzner`, `digitalocean`: each API's operations over the shared `State`.

pub mod compact;
mod digitalocean;
mod hetzner;
mod schema;
mod spec;

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use axum::body::Bytes;
use axum::extract::{Query, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use self::spec::{Match, Spec};
use providers::cloud::{CloudKind, SERVER_ID_LABEL};

/// The token a fake wants unless told otherwise.
pub const DEFAULT_TOKEN: &str = "fake-token";

/// How a fake behaves. [`FakeOptions::default`]: token [`DEFAULT_TOKEN`], a free port, one
/// poll of running actions, one get of starting VMs, pages of at most 2.
#[derive(Clone, Debug)]
pub struct FakeOptions {
    /// The bearer token requests must carry.
    pub token: String,
    /// The port to listen on at 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// How many polls show an action running before it finishes.
    pub action_polls: u32,
    /// How many gets show a new VM starting before it runs.
    pub boot_polls: u32,
    /// The most entries a page holds, whatever `per_page` asks: small, so that lists of a
    /// few VMs take several pages.
    pub max_per_page: u32,
    /// Answer lists with every VM, whatever `label_selector` or `tag_name` asked: a cloud
    /// whose filter is broken, to prove that callers trust only the label or tag itself.
    pub ignore_filters: bool,
}

impl Default for FakeOptions {
    fn default() -> Self {
        Self {
            token: DEFAULT_TOKEN.to_owned(),
            port: 0,
            action_polls: 1,
            boot_polls: 1,
            max_per_page: 2,
            ignore_filters: false,
        }
    }
}

/// A failure to answer with instead of doing what was asked.
#[derive(Clone, Debug)]
pub enum Fault {
    /// 429, with `RateLimit-Remaining: 0` and a `RateLimit-Reset` this far ahead (rounded up
    /// to the second, as the header is in unix seconds).
    RateLimited {
        /// How far ahead the limit resets.
        reset_in: Duration,
    },
    /// A 5xx (`status`), with the provider's error body.
    ServerError {
        /// The HTTP status, 500 to 599.
        status: u16,
    },
    /// The provider's error `code` (Hetzner `invalid_input`, DigitalOcean
    /// `unprocessable_entity`, …) with the status the provider gives it.
    Code {
        /// The provider's error code.
        code: String,
        /// The message to send with it.
        message: String,
    },
}

impl Fault {
    /// The provider's error `code` with a made-up message naming it.
    pub fn code(code: &str) -> Self {
        Fault::Code {
            code: code.to_owned(),
            message: format!("the fake was told to answer {code}"),
        }
    }
}

/// A live VM, as the fake keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeVm {
    /// The provider id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// Server type or size slug.
    pub plan: String,
    /// Location or region slug.
    pub region: String,
    /// The image, as the create named it.
    pub image: String,
    /// The provider's word for its state (`initializing`, `running`, `new`, `active`, …).
    pub status: String,
    /// Hetzner labels; DigitalOcean tags split at the first `:`.
    pub labels: BTreeMap<String, String>,
    /// DigitalOcean tags as sent (empty on Hetzner).
    pub tags: Vec<String>,
    /// SSH keys as the create named them.
    pub ssh_keys: Vec<String>,
    /// cloud-init user data, if any.
    pub user_data: Option<String>,
}

impl FakeVm {
    /// Our server id, from its `toygres_server_id` label or tag.
    pub fn server_id(&self) -> Option<&str> {
        self.labels.get(SERVER_ID_LABEL).map(String::as_str)
    }
}

/// A request as the fake received it.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path after the base URL (`/servers/42`, `/v2/droplets`).
    pub path: String,
    /// The query, decoded, in order.
    pub query: Vec<(String, String)>,
    /// The body, if it was JSON.
    pub body: Option<Value>,
    /// The status the fake answered.
    pub status: u16,
}

/// One fake cloud API, serving until dropped.
pub struct FakeCloud {
    kind: CloudKind,
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

/// What the request handler needs.
struct Shared {
    kind: CloudKind,
    spec: &'static Spec,
    token: String,
    /// Everything that changes. A std mutex: handlers never await while holding it.
    state: Mutex<State>,
}

/// The actions that cut a VM's power: Hetzner's `poweroff` (its command `stop_server`) and
/// DigitalOcean's `power_off`.
const POWER_OFF_COMMANDS: &[&str] = &["stop_server", "power_off"];

/// The fake's world.
pub(crate) struct State {
    /// Where the fake is reached, for links in answers.
    pub(crate) base_url: String,
    pub(crate) options: FakeOptions,
    next_id: u64,
    pub(crate) vms: BTreeMap<u64, VmRecord>,
    pub(crate) actions: BTreeMap<u64, ActionRecord>,
    faults: VecDeque<FaultRule>,
    /// Reasons the next creates' actions will fail with.
    pub(crate) failing_creates: VecDeque<String>,
    /// The next answer says no requests remain until this far ahead.
    exhausted_for: Option<Duration>,
    violations: Vec<String>,
    log: Vec<RecordedRequest>,
    requests: usize,
    pub(crate) creates: usize,
    pub(crate) deletes: usize,
    pub(crate) power_offs: usize,
}

/// A VM and what drives its state.
pub(crate) struct VmRecord {
    pub(crate) vm: FakeVm,
    /// Gets left that show it starting.
    pub(crate) boot_polls: u32,
    /// The action deleting it (Hetzner).
    pub(crate) deleting: Option<u64>,
    /// Whether it asked for IPv6 (DigitalOcean).
    pub(crate) ipv6: bool,
    pub(crate) created: String,
}

/// An action and what drives it.
pub(crate) struct ActionRecord {
    pub(crate) id: u64,
    /// Hetzner `command` / DigitalOcean `type`: `create_server`, `delete_server`,
    /// `stop_server` (a power-off), `create`, `power_off`.
    pub(crate) command: String,
    pub(crate) resource: u64,
    pub(crate) region: String,
    /// Polls left that show it running.
    pub(crate) polls: u32,
    /// Why it will fail, if it will.
    pub(crate) failure: Option<String>,
    pub(crate) started: String,
    /// `None` while running; `Some(Ok(()))` succeeded; `Some(Err(reason))` failed.
    pub(crate) outcome: Option<Result<(), String>>,
    pub(crate) finished: Option<String>,
}

struct FaultRule {
    fault: Fault,
    times: u32,
    method: Option<String>,
    path_prefix: Option<String>,
}

/// What a handler answers.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Option<Value>,
}

impl Reply {
    pub(crate) fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
        }
    }

    pub(crate) fn empty(status: u16) -> Self {
        Self { status, body: None }
    }
}

impl FakeCloud {
    /// A fake of `kind` with [`FakeOptions::default`], serving in the current tokio runtime.
    ///
    /// # Panics
    /// When the API description cannot be compiled or no port is free;
    /// [`FakeCloud::start_with`] returns those instead.
    pub async fn start(kind: CloudKind) -> FakeCloud {
        match Self::start_with(kind, FakeOptions::default()).await {
            Ok(fake) => fake,
            Err(e) => panic!("start the fake {} API: {e:#}", kind.as_str()),
        }
    }

    /// A fake of `kind` with its own options, serving in the current tokio runtime.
    pub async fn start_with(kind: CloudKind, options: FakeOptions) -> anyhow::Result<FakeCloud> {
        let spec = tokio::task::spawn_blocking(move || Spec::get(kind))
            .await
            .context("load the API description")??;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port))
            .await
            .with_context(|| format!("listen on 127.0.0.1:{}", options.port))?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}{}", spec.prefix);
        let shared = Arc::new(Shared {
            kind,
            spec,
            token: options.token.clone(),
            state: Mutex::new(State {
                base_url,
                options,
                next_id: 1,
                vms: BTreeMap::new(),
                actions: BTreeMap::new(),
                faults: VecDeque::new(),
                failing_creates: VecDeque::new(),
                exhausted_for: None,
                violations: Vec::new(),
                log: Vec::new(),
                requests: 0,
                creates: 0,
                deletes: 0,
                power_offs: 0,
            }),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!("the fake cloud API stopped: {e}");
            }
        });
        Ok(FakeCloud {
            kind,
            addr,
            shared,
            server,
        })
    }

    /// Which cloud it fakes.
    pub fn kind(&self) -> CloudKind {
        self.kind
    }

    /// The base URL a client is given: `http://127.0.0.1:<port>/v1` (Hetzner) or
    /// `http://127.0.0.1:<port>` (DigitalOcean).
    pub fn base_url(&self) -> String {
        format!("http://{}{}", self.addr, self.shared.spec.prefix)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The token it wants (`Token::new(fake.token())` for a client).
    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// How long loading and compiling the API description took (once per process).
    pub fn spec_load_time(&self) -> Duration {
        self.shared.spec.load_time
    }

    /// Every way requests (and the fake's own answers) strayed from the description.
    pub fn violations(&self) -> Vec<String> {
        self.state().violations.clone()
    }

    /// How many requests it received, good or bad.
    pub fn requests(&self) -> usize {
        self.state().requests
    }

    /// How many VMs it created.
    pub fn creates(&self) -> usize {
        self.state().creates
    }

    /// How many VMs it was asked to delete (and agreed).
    pub fn deletes(&self) -> usize {
        self.state().deletes
    }

    /// How many times it was asked to power a VM off (and agreed).
    pub fn power_offs(&self) -> usize {
        self.state().power_offs
    }

    /// The live VMs, by id.
    pub fn vms(&self) -> Vec<FakeVm> {
        self.state().vms.values().map(|r| r.vm.clone()).collect()
    }

    /// Every request received, in order.
    pub fn recorded(&self) -> Vec<RecordedRequest> {
        self.state().log.clone()
    }

    /// The requests of one method to one path (after the base URL), in order.
    pub fn recorded_to(&self, method: &str, path: &str) -> Vec<RecordedRequest> {
        self.state()
            .log
            .iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method) && r.path == path)
            .cloned()
            .collect()
    }

    /// Answer the next `times` requests with `fault`.
    pub fn fail_next(&self, times: u32, fault: Fault) {
        self.push_fault(FaultRule {
            fault,
            times,
            method: None,
            path_prefix: None,
        });
    }

    /// Answer the next `times` requests of `method` to a path starting with `path_prefix`
    /// (after the base URL, such as `/servers`) with `fault`.
    pub fn fail_next_on(&self, method: &str, path_prefix: &str, times: u32, fault: Fault) {
        self.push_fault(FaultRule {
            fault,
            times,
            method: Some(method.to_ascii_uppercase()),
            path_prefix: Some(path_prefix.to_owned()),
        });
    }

    /// Let the next answer (whatever it is) say that no requests remain until `reset_in`
    /// from now (`RateLimit-Remaining: 0`), as the last answer before a 429 does.
    pub fn exhaust_rate_limit(&self, reset_in: Duration) {
        self.state().exhausted_for = Some(reset_in);
    }

    /// Make the next create's action end in error with `reason`; its VM is left off.
    pub fn fail_next_create_action(&self, reason: &str) {
        self.state().failing_creates.push_back(reason.to_owned());
    }

    /// Set a VM's status to the provider's word for it (`off`, `running`, `archive`, …).
    /// False when there is no such VM.
    pub fn set_status(&self, id: u64, status: &str) -> bool {
        let mut state = self.state();
        let Some(record) = state.vms.get_mut(&id) else {
            return false;
        };
        record.vm.status = status.to_owned();
        record.boot_polls = 0;
        true
    }

    /// Remove a VM behind the client's back, as someone in the provider's console would.
    /// False when there is no such VM.
    pub fn remove_vm(&self, id: u64) -> bool {
        self.state().vms.remove(&id).is_some()
    }

    /// How many polls show actions started from now on running ([`FakeOptions::action_polls`]).
    pub fn set_action_polls(&self, polls: u32) {
        self.state().options.action_polls = polls;
    }

    /// How many gets show VMs created from now on starting ([`FakeOptions::boot_polls`]).
    pub fn set_boot_polls(&self, polls: u32) {
        self.state().options.boot_polls = polls;
    }

    fn push_fault(&self, rule: FaultRule) {
        if rule.times > 0 {
            self.state().faults.push_back(rule);
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.state.lock().expect("fake cloud state poisoned")
    }
}

impl Drop for FakeCloud {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl std::fmt::Debug for FakeCloud {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeCloud")
            .field("kind", &self.kind)
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl State {
    /// A fresh id for a VM or an action (one sequence for both, as ids are never compared
    /// across kinds).
    pub(crate) fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Start an action.
    pub(crate) fn start_action(
        &mut self,
        command: &str,
        resource: u64,
        region: &str,
        failure: Option<String>,
    ) -> u64 {
        let id = self.next_id();
        let polls = self.options.action_polls;
        self.actions.insert(
            id,
            ActionRecord {
                id,
                command: command.to_owned(),
                resource,
                region: region.to_owned(),
                polls,
                failure,
                started: now_rfc3339(),
                outcome: None,
                finished: None,
            },
        );
        id
    }

    /// Poll an action: one poll less to run, or finish it, with its effects (a failed create
    /// leaves its VM off; a finished delete removes it; a finished power-off leaves it off).
    pub(crate) fn poll_action(&mut self, id: u64) {
        let Some(action) = self.actions.get_mut(&id) else {
            return;
        };
        if action.outcome.is_some() {
            return;
        }
        if action.polls > 0 {
            action.polls -= 1;
            return;
        }
        action.outcome = Some(match action.failure.take() {
            Some(reason) => Err(reason),
            None => Ok(()),
        });
        action.finished = Some(now_rfc3339());
        let (resource, failed, command) = (
            action.resource,
            matches!(action.outcome, Some(Err(_))),
            action.command.clone(),
        );
        if command.starts_with("delete") && !failed {
            self.vms.remove(&resource);
        } else if POWER_OFF_COMMANDS.contains(&command.as_str())
            && !failed
            && let Some(record) = self.vms.get_mut(&resource)
        {
            record.vm.status = "off".to_owned();
        } else if failed
            && command.starts_with("create")
            && let Some(record) = self.vms.get_mut(&resource)
        {
            record.vm.status = "off".to_owned();
            record.boot_polls = 0;
        }
    }

    /// A page of `items` by the request's `page` and `per_page` (capped at
    /// [`FakeOptions::max_per_page`]): the page's items, the page number, the page size and
    /// the last page.
    pub(crate) fn page<T: Clone>(
        &self,
        items: &[T],
        query: &[(String, String)],
        default_per_page: u32,
    ) -> Page<T> {
        let number = |name: &str, default: u32| -> u32 {
            query
                .iter()
                .find(|(n, _)| n == name)
                .and_then(|(_, v)| v.parse().ok())
                .filter(|&n| n > 0)
                .unwrap_or(default)
        };
        let page = number("page", 1);
        let per_page = number("per_page", default_per_page).min(self.options.max_per_page.max(1));
        let last = items.len().div_ceil(per_page as usize).max(1) as u32;
        let start = (page as usize - 1).saturating_mul(per_page as usize);
        let items = items
            .iter()
            .skip(start)
            .take(per_page as usize)
            .cloned()
            .collect();
        Page {
            items,
            page,
            per_page,
            last,
            total: 0,
        }
    }
}

/// One page of a listing.
pub(crate) struct Page<T> {
    pub(crate) items: Vec<T>,
    pub(crate) page: u32,
    pub(crate) per_page: u32,
    pub(crate) last: u32,
    /// Filled in by the caller.
    pub(crate) total: usize,
}

/// Now as RFC 3339 (`2026-01-02T03:04:05Z`).
pub(crate) fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil-from-days, for days since 1970-01-01.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Unix seconds, rounded up.
fn unix_secs_after(delay: Duration) -> u64 {
    let at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        + delay;
    at.as_secs() + u64::from(at.subsec_nanos() > 0)
}

/// Every request: match it to the description, check it, then fault or answer it.
async fn handle(
    AxumState(shared): AxumState<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let query: Vec<(String, String)> = Query::<Vec<(String, String)>>::try_from_uri(&uri)
        .map(|q| q.0)
        .unwrap_or_default();
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let authorization = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let mut state = shared.state.lock().expect("fake cloud state poisoned");
    state.requests += 1;
    // Recorded after the base URL; a path outside it is recorded whole.
    let path = uri.path();
    let relative = path.strip_prefix(shared.spec.prefix);
    let (reply, mut limited_for) = answer(
        &shared,
        &mut state,
        &method,
        relative.unwrap_or(path),
        relative.is_some(),
        &query,
        content_type,
        authorization,
        &body,
    );
    state.log.push(RecordedRequest {
        method: method.to_string(),
        path: relative.unwrap_or(path).to_owned(),
        query,
        body: serde_json::from_slice(&body).ok(),
        status: reply.status,
    });
    if limited_for.is_none() {
        limited_for = state.exhausted_for.take();
    }
    drop(state);
    respond(shared.kind, reply, limited_for)
}

#[allow(clippy::too_many_arguments)]
fn answer(
    shared: &Shared,
    state: &mut State,
    method: &Method,
    path: &str,
    under_base: bool,
    query: &[(String, String)],
    content_type: Option<&str>,
    authorization: Option<&str>,
    body: &[u8],
) -> (Reply, Option<Duration>) {
    let kind = shared.kind;
    let what = format!("{method} {path}");
    if !under_base {
        state.violations.push(format!(
            "{what}: not under the base path {}",
            shared.spec.prefix
        ));
        return (error(kind, 404, "not_found", "not found"), None);
    }
    let (op, params) = match shared.spec.find(method.as_str(), path) {
        Match::UnknownPath => {
            state
                .violations
                .push(format!("{what}: no such path in the description"));
            return (error(kind, 404, "not_found", "not found"), None);
        }
        Match::UnknownMethod { template } => {
            state.violations.push(format!(
                "{what}: the description has no {method} for {template}"
            ));
            return (error(kind, 404, "not_found", "not found"), None);
        }
        Match::Operation { op, params } => (op, params),
    };
    let reply_and_reset = (|| {
        if op.deprecated {
            state.violations.push(format!(
                "{what}: {} is deprecated in the description",
                op.id
            ));
        }
        match authorization.and_then(|a| a.strip_prefix("Bearer ")) {
            Some(token) if token == shared.token => {}
            Some(_) => return (unauthorized(kind), None),
            None => {
                state.violations.push(format!(
                    "{what}: no bearer token, which every operation needs"
                ));
                return (unauthorized(kind), None);
            }
        }
        let checked = match op.check_request(&params, query, content_type, body) {
            Ok(checked) => checked,
            Err(problems) => {
                let message = problems.join("; ");
                for p in problems {
                    state.violations.push(format!("{what}: {p}"));
                }
                return (invalid(kind, &message), None);
            }
        };
        if !op.implemented() {
            state.violations.push(format!(
                "{what}: the fake does not implement {} ({})",
                op.id, op.template
            ));
            return (
                error(
                    kind,
                    501,
                    "not_implemented",
                    "the fake does not implement this",
                ),
                None,
            );
        }
        if let Some(fault) = take_fault(state, method.as_str(), path) {
            return fault_reply(kind, fault);
        }
        let reply = match kind {
            CloudKind::Hetzner => {
                hetzner::handle(state, &op.id, &params, query, checked.body.as_ref())
            }
            CloudKind::DigitalOcean => {
                digitalocean::handle(state, &op.id, &params, query, checked.body.as_ref())
            }
        };
        (reply, None)
    })();
    let (reply, reset) = reply_and_reset;
    for problem in op.check_response(reply.status, reply.body.as_ref()) {
        state
            .violations
            .push(format!("{what}: the fake's own answer strays: {problem}"));
    }
    (reply, reset)
}

fn take_fault(state: &mut State, method: &str, path: &str) -> Option<Fault> {
    let index = state.faults.iter().position(|rule| {
        rule.method.as_deref().is_none_or(|m| m == method)
            && rule
                .path_prefix
                .as_deref()
                .is_none_or(|p| path.starts_with(p))
    })?;
    let rule = &mut state.faults[index];
    rule.times -= 1;
    let fault = rule.fault.clone();
    if rule.times == 0 {
        state.faults.remove(index);
    }
    Some(fault)
}

fn fault_reply(kind: CloudKind, fault: Fault) -> (Reply, Option<Duration>) {
    match fault {
        Fault::RateLimited { reset_in } => {
            let (code, message) = match kind {
                CloudKind::Hetzner => (
                    "rate_limit_exceeded",
                    "limit of 3600 requests per hour reached",
                ),
                CloudKind::DigitalOcean => ("too_many_requests", "API Rate limit exceeded."),
            };
            (error(kind, 429, code, message), Some(reset_in))
        }
        Fault::ServerError { status } => {
            let code = match kind {
                CloudKind::Hetzner if status == 503 => "unavailable",
                CloudKind::Hetzner => "server_error",
                CloudKind::DigitalOcean => "server_error",
            };
            let status = if (500..600).contains(&status) {
                status
            } else {
                500
            };
            (error(kind, status, code, "the fake was told to fail"), None)
        }
        Fault::Code { code, message } => {
            let status = status_of(kind, &code);
            (error(kind, status, &code, &message), None)
        }
    }
}

/// The HTTP status a provider sends with an error code.
fn status_of(kind: CloudKind, code: &str) -> u16 {
    match kind {
        // From Hetzner's API documentation, "Errors".
        CloudKind::Hetzner => match code {
            "invalid_input" | "json_error" | "unsupported_error" => 400,
            "unauthorized" => 401,
            "forbidden"
            | "resource_limit_exceeded"
            | "resource_unavailable"
            | "protected"
            | "token_readonly" => 403,
            "not_found" => 404,
            "uniqueness_error" | "conflict" => 409,
            "deprecated_api_endpoint" => 410,
            "placement_error" | "server_not_stopped" => 422,
            "locked" => 423,
            "rate_limit_exceeded" => 429,
            "server_error" => 500,
            "timeout" => 504,
            "service_error" | "maintenance" | "unavailable" | "robot_unavailable" => 503,
            _ => 400,
        },
        CloudKind::DigitalOcean => match code {
            "bad_request" => 400,
            "unauthorized" => 401,
            "forbidden" => 403,
            "not_found" => 404,
            "conflict" => 409,
            "unprocessable_entity" => 422,
            "too_many_requests" => 429,
            "server_error" => 500,
            "service_unavailable" => 503,
            _ => 422,
        },
    }
}

/// An error answer in the provider's format.
pub(crate) fn error(kind: CloudKind, status: u16, code: &str, message: &str) -> Reply {
    let body = match kind {
        CloudKind::Hetzner => serde_json::json!({
            "error": {"code": code, "message": message, "details": null}
        }),
        CloudKind::DigitalOcean => serde_json::json!({
            "id": code,
            "message": message,
            "request_id": format!("fake-{:x}", rand::random::<u64>()),
        }),
    };
    Reply::json(status, body)
}

fn unauthorized(kind: CloudKind) -> Reply {
    match kind {
        CloudKind::Hetzner => error(kind, 401, "unauthorized", "unable to authenticate"),
        CloudKind::DigitalOcean => error(kind, 401, "unauthorized", "Unable to authenticate you"),
    }
}

/// The answer to a request the description does not allow.
fn invalid(kind: CloudKind, message: &str) -> Reply {
    match kind {
        CloudKind::Hetzner => error(
            kind,
            400,
            "invalid_input",
            &format!("invalid input: {message}"),
        ),
        CloudKind::DigitalOcean => error(kind, 422, "unprocessable_entity", message),
    }
}

/// The HTTP answer, with rate-limit headers as the provider sends them on every answer.
fn respond(kind: CloudKind, reply: Reply, limited_for: Option<Duration>) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = match reply.body {
        Some(body) => (status, axum::Json(body)).into_response(),
        None => status.into_response(),
    };
    let (limit, names): (u64, [&str; 3]) = match kind {
        CloudKind::Hetzner => (
            3600,
            ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"],
        ),
        CloudKind::DigitalOcean => (
            5000,
            ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"],
        ),
    };
    let (remaining, reset) = match limited_for {
        Some(delay) => (0, unix_secs_after(delay)),
        None => (limit - 1, unix_secs_after(Duration::from_secs(1))),
    };
    let headers = response.headers_mut();
    for (name, value) in names.iter().zip([limit, remaining, reset]) {
        if let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::try_from(*name),
            HeaderValue::from_str(&value.to_string()),
        ) {
            headers.insert(name, value);
        }
    }
    response
}

/// A path parameter as a number; `None` when it is not one (the description's check has
/// already refused that).
pub(crate) fn id_param(params: &BTreeMap<String, String>, name: &str) -> Option<u64> {
    params.get(name).and_then(|v| v.parse().ok())
}

/// A query parameter's values.
pub(crate) fn query_values<'q>(query: &'q [(String, String)], name: &str) -> Vec<&'q str> {
    query
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .collect()
}
