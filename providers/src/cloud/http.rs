//! The JSON-over-HTTPS client both clouds share: a bearer token, timeouts, retries, rate
//! limits, and the providers' error bodies sorted into `Transient` and `Permanent`.
//!
//! # Policy
//! * Rate limits: both clouds send `RateLimit-Limit`, `-Remaining` and `-Reset` (Hetzner
//!   capitalised, DigitalOcean lower case; `Reset` is a unix time in seconds on both). A 429
//!   waits until the reset and tries again, as does a request made while `Remaining` is 0;
//!   all such waits of one call add up to at most [`HttpConfig::max_rate_limit_wait`], and a
//!   reset further away than that fails the call as `Transient` without waiting.
//! * 5xx, timeouts and connection failures are tried [`HttpConfig::tries`] times in all,
//!   [`HttpConfig::retry_base`] apart and doubling, each delay ±50% jitter; then `Transient`.
//!   A `POST` is sent again only when it cannot have been acted on (the connection failed,
//!   or a 429): after a 5xx or a timeout the VM may exist, and a second create would make a
//!   duplicate (DigitalOcean) or fail on the taken name (Hetzner). The caller's next step
//!   looks the VM up by its server id instead.
//! * Error bodies: Hetzner `{"error": {"code", "message", "details"}}`, DigitalOcean
//!   `{"id", "message", "request_id"}`. The message names the provider, its code and its
//!   message, as in `hetzner rejected the request (invalid_input): invalid input in field
//!   'server_type'`; users see it as the reason their operation failed.
//! * The token goes in the `Authorization` header only: never in a URL, a log or an error.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::anyhow;
use rand::Rng as _;
use reqwest::header::{AUTHORIZATION, HeaderMap};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tracing::{info, warn};

use super::{CloudKind, Token};
use crate::{Error, Result};

/// How many 429 answers one call waits out before it gives up, even within the time budget:
/// a reset already in the past (clock skew) must not make it loop.
const MAX_RATE_LIMIT_WAITS: u32 = 5;

/// The longest stretch of a provider's error body quoted when it is not the provider's error
/// format (a proxy's HTML page, say).
const MAX_QUOTED_BODY: usize = 200;

/// How a cloud client talks HTTP. [`HttpConfig::default`] suits production; tests shorten
/// the retry delays.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// How long connecting may take.
    pub connect_timeout: Duration,
    /// How long one request may take, connecting and reading the answer included.
    pub request_timeout: Duration,
    /// How often a request is sent at most after 5xx answers, timeouts or connection
    /// failures (1 = no retry).
    pub tries: u32,
    /// The delay before the first retry; it doubles for each further one, ±50% jitter.
    pub retry_base: Duration,
    /// The longest time one call waits for rate limits to reset, all waits added up.
    pub max_rate_limit_wait: Duration,
}

impl Default for HttpConfig {
    /// 10 s to connect, 30 s per request, 3 tries 200 ms and 400 ms apart (±50%), and up to
    /// 60 s waiting for a rate limit.
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            tries: 3,
            retry_base: Duration::from_millis(200),
            max_rate_limit_wait: Duration::from_secs(60),
        }
    }
}

/// One cloud's API endpoint, with the token and the last rate-limit figures it sent.
#[derive(Debug)]
pub(crate) struct ApiClient {
    kind: CloudKind,
    /// The base URL without a trailing slash; paths start with `/`.
    base: String,
    token: Token,
    http: reqwest::Client,
    config: HttpConfig,
    /// What the last answer said of the rate limit. A std mutex: it is never held across an
    /// await.
    limit: Mutex<RateLimit>,
}

/// The rate-limit figures of the last answer.
#[derive(Clone, Copy, Debug, Default)]
struct RateLimit {
    remaining: Option<u64>,
    /// Unix seconds.
    reset: Option<u64>,
}

/// A call's answer: the body of a 2xx, or a 404.
enum Reply {
    Body(Vec<u8>),
    NotFound,
}

/// What one attempt came to, before the retry policy decides.
enum Attempt {
    Done(Reply),
    /// A failure that no retry of ours should repeat.
    Fail(Error),
    /// Worth another try after a backoff delay.
    Retry(Error),
    /// A 429: wait until `reset` (unix seconds) if the budget allows.
    RateLimited {
        reset: Option<u64>,
        err: Error,
    },
}

/// Hetzner's error envelope.
#[derive(Deserialize)]
struct HetznerErrorBody {
    error: ProviderError,
}

/// The code and message both clouds send (DigitalOcean calls the code `id`).
#[derive(Deserialize)]
struct ProviderError {
    #[serde(alias = "id")]
    code: String,
    message: String,
}

impl ApiClient {
    /// A client of the API at `base` (everything before the description's paths).
    pub(crate) fn new(
        kind: CloudKind,
        base: &str,
        token: Token,
        config: HttpConfig,
    ) -> Result<Self> {
        crate::install_crypto_provider();
        let base = base.trim_end_matches('/');
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(Error::Permanent(anyhow!(
                "the {} API URL {base:?} is not an http(s) URL",
                kind.as_str()
            )));
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("toygres/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            // The APIs do not redirect; following one could carry the token elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                Error::Permanent(anyhow::Error::from(e).context("build the cloud HTTP client"))
            })?;
        Ok(Self {
            kind,
            base: base.to_owned(),
            token,
            http,
            config,
            limit: Mutex::new(RateLimit::default()),
        })
    }

    /// `GET path?query` as JSON, or `None` on a 404.
    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Option<T>> {
        match self.call(Method::GET, path, query, None).await? {
            Reply::Body(body) => self.decode(path, &body).map(Some),
            Reply::NotFound => Ok(None),
        }
    }

    /// `POST path` with a JSON body; the answer as JSON.
    pub(crate) async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<T> {
        match self.call(Method::POST, path, &[], Some(body)).await? {
            Reply::Body(answer) => self.decode(path, &answer),
            Reply::NotFound => Err(self.not_found_error(path)),
        }
    }

    /// `POST path` asking a resource to act (a body only when given): the answer as JSON, or
    /// `None` on a 404 (the resource is gone).
    pub(crate) async fn act<T: DeserializeOwned>(
        &self,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Option<T>> {
        match self.call(Method::POST, path, &[], body).await? {
            Reply::Body(answer) => self.decode(path, &answer).map(Some),
            Reply::NotFound => Ok(None),
        }
    }

    /// `DELETE path`: the answer's body (empty for a 204), or `None` on a 404.
    pub(crate) async fn delete(&self, path: &str) -> Result<Option<Vec<u8>>> {
        match self.call(Method::DELETE, path, &[], None).await? {
            Reply::Body(body) => Ok(Some(body)),
            Reply::NotFound => Ok(None),
        }
    }

    /// Parse an answer's body, or say which call answered what.
    pub(crate) fn decode<T: DeserializeOwned>(&self, path: &str, body: &[u8]) -> Result<T> {
        serde_json::from_slice(body).map_err(|e| {
            Error::Permanent(anyhow!(
                "{} answered {path} with JSON we do not understand: {e}",
                self.kind.as_str()
            ))
        })
    }

    /// A 404 where the resource must exist (a create, a listing).
    fn not_found_error(&self, path: &str) -> Error {
        Error::Permanent(anyhow!(
            "{} has no {path} (404): is the API URL right?",
            self.kind.as_str()
        ))
    }

    /// Send one request under the retry and rate-limit policy of the module doc.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
    ) -> Result<Reply> {
        let provider = self.kind.as_str();
        // Failed tries (5xx, timeouts, connection failures); 429s are counted apart.
        let mut failures = 0;
        let mut rate_limit_waits = 0;
        let mut waited = Duration::ZERO;
        loop {
            if let Some(wait) = self.exhausted_wait() {
                self.wait_for_reset(wait, &mut waited, None).await?;
            }
            match self.attempt(&method, path, query, body).await {
                Attempt::Done(reply) => return Ok(reply),
                Attempt::Fail(err) => return Err(err),
                Attempt::Retry(err) => {
                    failures += 1;
                    if failures >= self.config.tries.max(1) {
                        return Err(match err {
                            Error::Transient(e) if failures > 1 => Error::Transient(
                                e.context(format!("{provider}: gave up after {failures} tries")),
                            ),
                            other => other,
                        });
                    }
                    let delay = backoff(self.config.retry_base, failures);
                    warn!(
                        provider,
                        %method,
                        path,
                        failures,
                        delay_ms = delay.as_millis() as u64,
                        "cloud request failed; trying again: {err}"
                    );
                    tokio::time::sleep(delay).await;
                }
                Attempt::RateLimited { reset, err } => {
                    rate_limit_waits += 1;
                    if rate_limit_waits > MAX_RATE_LIMIT_WAITS {
                        return Err(err);
                    }
                    // A reset already past (clock skew) still waits a little; without a
                    // reset to go by, back off as after a 5xx.
                    let wait = match reset {
                        Some(reset) => until(reset).max(self.config.retry_base),
                        None => backoff(self.config.retry_base, rate_limit_waits),
                    };
                    self.wait_for_reset(wait, &mut waited, Some(err)).await?;
                }
            }
        }
    }

    /// One request and what its answer means.
    async fn attempt(
        &self,
        method: &Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
    ) -> Attempt {
        let provider = self.kind.as_str();
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .header(AUTHORIZATION, format!("Bearer {}", self.token.expose()));
        if !query.is_empty() {
            req = req.query(query);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = match req.send().await {
            Ok(resp) => resp,
            Err(e) => {
                // A request that never connected cannot have been acted on; anything else
                // (a timeout, a dropped answer) may have been, so a POST is not sent again.
                let retry = e.is_connect() || *method != Method::POST;
                let err = Error::Transient(
                    anyhow::Error::from(e).context(format!("reach {provider} ({method} {path})")),
                );
                return if retry {
                    Attempt::Retry(err)
                } else {
                    Attempt::Fail(err)
                };
            }
        };
        let status = resp.status();
        let reset = self.note_rate_limit(resp.headers());
        let bytes = match resp.bytes().await {
            Ok(bytes) => bytes.to_vec(),
            Err(e) => {
                let err = Error::Transient(
                    anyhow::Error::from(e)
                        .context(format!("read {provider}'s answer to {method} {path}")),
                );
                return if *method == Method::POST {
                    Attempt::Fail(err)
                } else {
                    Attempt::Retry(err)
                };
            }
        };
        if status.is_success() {
            return Attempt::Done(Reply::Body(bytes));
        }
        if status == StatusCode::NOT_FOUND {
            return Attempt::Done(Reply::NotFound);
        }
        let err = self.status_error(status, &bytes);
        if status == StatusCode::TOO_MANY_REQUESTS {
            Attempt::RateLimited { reset, err }
        } else if status.is_server_error() && *method != Method::POST {
            Attempt::Retry(err)
        } else {
            Attempt::Fail(err)
        }
    }

    /// Remember what an answer said of the rate limit; the reset, if it gave one.
    fn note_rate_limit(&self, headers: &HeaderMap) -> Option<u64> {
        // Header names are case-insensitive: Hetzner's `RateLimit-Reset` and DigitalOcean's
        // `ratelimit-reset` are the same header.
        let number = |name: &str| -> Option<u64> {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok())
        };
        let remaining = number("ratelimit-remaining");
        let reset = number("ratelimit-reset");
        if remaining.is_some() || reset.is_some() {
            let mut limit = self.limit.lock().expect("rate-limit mutex poisoned");
            *limit = RateLimit { remaining, reset };
        }
        reset
    }

    /// How long to wait before sending, when the last answer left no requests until a reset
    /// still ahead.
    fn exhausted_wait(&self) -> Option<Duration> {
        let limit = *self.limit.lock().expect("rate-limit mutex poisoned");
        match limit {
            RateLimit {
                remaining: Some(0),
                reset: Some(reset),
            } => {
                let wait = until(reset);
                (!wait.is_zero()).then_some(wait)
            }
            _ => None,
        }
    }

    /// Sleep `wait` for a rate limit to reset, if the call's budget allows; else fail with
    /// `cause` (the 429) or a rate-limit error of our own.
    async fn wait_for_reset(
        &self,
        wait: Duration,
        waited: &mut Duration,
        cause: Option<Error>,
    ) -> Result<()> {
        let provider = self.kind.as_str();
        let budget = self.config.max_rate_limit_wait;
        if *waited + wait > budget {
            let why = anyhow!(
                "{provider}'s rate limit resets in {:.1} s, longer than we wait ({:.1} s)",
                wait.as_secs_f64(),
                budget.saturating_sub(*waited).as_secs_f64()
            );
            return Err(match cause {
                Some(Error::Transient(e) | Error::Permanent(e)) => Error::Transient(e.context(why)),
                _ => Error::Transient(why),
            });
        }
        info!(
            provider,
            wait_ms = wait.as_millis() as u64,
            "rate limited; waiting until the limit resets"
        );
        tokio::time::sleep(wait).await;
        *waited += wait;
        // The reset has passed: the figures describe a window that is over.
        *self.limit.lock().expect("rate-limit mutex poisoned") = RateLimit::default();
        Ok(())
    }

    /// The error a non-2xx answer stands for.
    fn status_error(&self, status: StatusCode, body: &[u8]) -> Error {
        let provider = self.kind.as_str();
        let parsed = match self.kind {
            CloudKind::Hetzner => serde_json::from_slice::<HetznerErrorBody>(body)
                .ok()
                .map(|b| b.error),
            CloudKind::DigitalOcean => serde_json::from_slice::<ProviderError>(body).ok(),
        };
        let (code, message) = match parsed {
            Some(e) => (e.code, e.message),
            None => (
                format!("http_{}", status.as_u16()),
                quote_body(body, status),
            ),
        };
        let err = if status.is_server_error() {
            anyhow!("{provider} failed ({} {code}): {message}", status.as_u16())
        } else {
            anyhow!("{provider} rejected the request ({code}): {message}")
        };
        if is_transient(self.kind, status, &code) {
            Error::Transient(err)
        } else {
            Error::Permanent(err)
        }
    }
}

/// Add what we were doing to an error, keeping its kind.
pub(super) fn context(err: Error, what: &'static str) -> Error {
    match err {
        Error::Transient(e) => Error::Transient(e.context(what)),
        Error::Permanent(e) => Error::Permanent(e.context(what)),
        other => other,
    }
}

/// An id as both APIs have them: a positive number. Checked so an id never changes a path.
pub(super) fn numeric_id(id: &str, what: &str) -> Result<u64> {
    id.parse::<u64>()
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| Error::Permanent(anyhow!("{id:?} is not a {what} id (a positive number)")))
}

/// The delay before retry number `tries` (1-based): `base`, doubling, ±50% jitter.
fn backoff(base: Duration, tries: u32) -> Duration {
    let doubled = base.saturating_mul(1 << tries.saturating_sub(1).min(16));
    doubled.mul_f64(rand::rng().random_range(0.5..1.5))
}

/// How long until the unix time `reset` (seconds); zero once it has passed.
fn until(reset: u64) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    Duration::from_secs(reset).saturating_sub(now)
}

/// A short, printable quote of a body that is not the provider's error format.
fn quote_body(body: &[u8], status: StatusCode) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return status
            .canonical_reason()
            .unwrap_or("no reason given")
            .to_owned();
    }
    let mut quoted: String = text
        .chars()
        .take(MAX_QUOTED_BODY)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > MAX_QUOTED_BODY {
        quoted.push('…');
    }
    quoted
}

/// Whether an error is worth retrying later, by the provider's code first, then the status.
///
/// Hetzner's codes are listed in its API documentation ("Errors"); DigitalOcean's `id`s are
/// the lower-case status names (`unauthorized`, `not_found`, `unprocessable_entity`,
/// `too_many_requests`, `server_error`, …).
fn is_transient(kind: CloudKind, status: StatusCode, code: &str) -> bool {
    if status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
    {
        return true;
    }
    match kind {
        CloudKind::Hetzner => matches!(
            code,
            // The resource is busy with another action, or the platform is.
            "locked"
                | "conflict"
                | "rate_limit_exceeded"
                | "service_error"
                | "server_error"
                | "maintenance"
                | "unavailable"
                | "timeout"
                | "robot_unavailable"
                // No capacity for this type here right now; may come back.
                | "resource_unavailable"
                | "placement_error"
                | "no_space_left_in_location"
        ),
        CloudKind::DigitalOcean => matches!(
            code,
            "too_many_requests" | "server_error" | "service_unavailable" | "gateway_timeout"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_and_capacity_codes_are_transient_and_the_rest_permanent() {
        let h = CloudKind::Hetzner;
        for code in ["locked", "conflict", "resource_unavailable", "maintenance"] {
            assert!(is_transient(h, StatusCode::CONFLICT, code), "{code}");
        }
        for code in [
            "invalid_input",
            "json_error",
            "unauthorized",
            "forbidden",
            "resource_limit_exceeded",
            "uniqueness_error",
            "token_readonly",
            "unsupported_error",
        ] {
            assert!(!is_transient(h, StatusCode::BAD_REQUEST, code), "{code}");
        }
        let d = CloudKind::DigitalOcean;
        assert!(!is_transient(
            d,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable_entity"
        ));
        assert!(!is_transient(d, StatusCode::UNAUTHORIZED, "unauthorized"));
        assert!(is_transient(
            d,
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests"
        ));
        assert!(is_transient(d, StatusCode::BAD_GATEWAY, "http_502"));
    }

    #[test]
    fn retry_delays_double_within_their_jitter() {
        let base = Duration::from_millis(200);
        for tries in 1..=4 {
            let nominal = base * (1 << (tries - 1));
            let d = backoff(base, tries);
            assert!(d >= nominal / 2 && d <= nominal * 3 / 2, "{tries}: {d:?}");
        }
    }

    #[test]
    fn a_foreign_error_body_is_quoted_short_and_on_one_line() {
        let body = format!("<html>\n{}</html>", "x".repeat(500));
        let quoted = quote_body(body.as_bytes(), StatusCode::BAD_GATEWAY);
        assert!(!quoted.contains('\n'));
        assert_eq!(quoted.chars().count(), MAX_QUOTED_BODY + 1);
        assert_eq!(quote_body(b"", StatusCode::BAD_GATEWAY), "Bad Gateway");
    }
}
