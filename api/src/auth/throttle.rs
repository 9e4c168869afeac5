//! Login rate limits: failed logins are counted per account (the normalised email) and per
//! client address, each in a fixed window; past the limit, `login` answers `RATE_LIMITED`
//! with the seconds left in the window, before any password is verified.
//!
//! An attempt is counted before its password is verified, so that concurrent attempts
//! cannot all slip in under the limit; a successful login forgives it (and clears the
//! account's count). Unknown emails are counted like known ones, so the limit says nothing
//! about which accounts exist.
//!
//! The counts live in this process's memory: each API process limits on its own, so `n`
//! processes behind a load balancer allow up to `n` times the limit. Each table holds at most
//! [`MAX_TRACKED`] keys; when full, expired windows are dropped, then the oldest.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The most accounts, and separately the most addresses, tracked at once (about 100 bytes
/// each).
pub const MAX_TRACKED: usize = 65_536;

/// How many failed logins a window allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    /// Failed logins allowed in one window; the next attempt is refused until it ends.
    pub attempts: u32,
    /// How long a window lasts, from the first failure in it.
    pub window: Duration,
}

/// The login limits of one process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginLimits {
    /// Per account (normalised email): default 10 failures per 15 minutes.
    pub per_account: Quota,
    /// Per client address (an IPv6 client's /64): default 30 failures per minute.
    pub per_address: Quota,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            per_account: Quota {
                attempts: 10,
                window: Duration::from_secs(15 * 60),
            },
            per_address: Quota {
                attempts: 30,
                window: Duration::from_secs(60),
            },
        }
    }
}

/// The failed-login counts of one process, shared by every request it serves.
#[derive(Debug)]
pub struct LoginThrottle {
    limits: LoginLimits,
    accounts: Mutex<Table<String>>,
    addresses: Mutex<Table<IpAddr>>,
}

/// A login attempt let through and counted: [`LoginThrottle::succeeded`] forgives it.
#[derive(Debug)]
pub struct Attempt {
    account: String,
    address: Option<IpAddr>,
}

impl LoginThrottle {
    /// Empty tables under `limits`.
    pub fn new(limits: LoginLimits) -> Self {
        Self {
            limits,
            accounts: Mutex::new(Table::default()),
            addresses: Mutex::new(Table::default()),
        }
    }

    /// Count an attempt to log in to `account` (a normalised email) from `address`, or, when
    /// either is over its limit, refuse it with how long until it may try again. A refused
    /// attempt is not counted.
    pub fn begin(&self, account: &str, address: Option<IpAddr>) -> Result<Attempt, Duration> {
        let now = Instant::now();
        let address = address.map(subnet);
        // Locks are taken in one order (accounts, then addresses) and never across an await.
        let mut accounts = self.accounts.lock().expect("throttle lock poisoned");
        let mut addresses = self.addresses.lock().expect("throttle lock poisoned");
        let wait_account = accounts.wait(account, self.limits.per_account, now);
        let wait_address = address.and_then(|a| addresses.wait(&a, self.limits.per_address, now));
        if let Some(wait) = wait_account.into_iter().chain(wait_address).max() {
            return Err(wait);
        }
        accounts.count(account.to_owned(), self.limits.per_account, now);
        if let Some(a) = address {
            addresses.count(a, self.limits.per_address, now);
        }
        Ok(Attempt {
            account: account.to_owned(),
            address,
        })
    }

    /// The attempt logged in: clear its account's failures and forgive it at its address.
    pub fn succeeded(&self, attempt: Attempt) {
        // Taken by value: an attempt is forgiven once.
        let Attempt { account, address } = attempt;
        self.accounts
            .lock()
            .expect("throttle lock poisoned")
            .forget(&account);
        if let Some(a) = address {
            self.addresses
                .lock()
                .expect("throttle lock poisoned")
                .forgive(&a);
        }
    }
}

/// The key an address is limited by: IPv4 as is (IPv4-mapped IPv6 included), IPv6 by its
/// /64, which one client usually holds whole.
fn subnet(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
        },
    }
}

/// Counts per key, each in its own window.
#[derive(Debug)]
struct Table<K> {
    entries: HashMap<K, Window>,
}

impl<K> Default for Table<K> {
    fn default() -> Self {
        Self {
            entries: HashMap::new(),
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Window {
    /// When the first failure of the window was counted.
    started: Instant,
    /// Failures counted in it.
    failures: u32,
}

impl<K: std::hash::Hash + Eq + Clone> Table<K> {
    /// How long `key` must wait, if it is over `quota`.
    fn wait<Q>(&self, key: &Q, quota: Quota, now: Instant) -> Option<Duration>
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        let window = self.entries.get(key)?;
        let ends = window.started + quota.window;
        (now < ends && window.failures >= quota.attempts).then(|| ends - now)
    }

    /// Count one failure for `key`, starting a fresh window when its last one ended.
    fn count(&mut self, key: K, quota: Quota, now: Instant) {
        if !self.entries.contains_key(&key) && self.entries.len() >= MAX_TRACKED {
            self.make_room(quota, now);
        }
        let window = self.entries.entry(key).or_insert(Window {
            started: now,
            failures: 0,
        });
        if now >= window.started + quota.window {
            *window = Window {
                started: now,
                failures: 0,
            };
        }
        window.failures = window.failures.saturating_add(1);
    }

    /// Take one failure back from `key`.
    fn forgive<Q>(&mut self, key: &Q)
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        if let Some(window) = self.entries.get_mut(key) {
            window.failures = window.failures.saturating_sub(1);
        }
    }

    fn forget<Q>(&mut self, key: &Q)
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        self.entries.remove(key);
    }

    /// Drop every ended window; if none had ended, drop the oldest one.
    fn make_room(&mut self, quota: Quota, now: Instant) {
        self.entries
            .retain(|_, w| now < w.started + quota.window && w.failures > 0);
        if self.entries.len() >= MAX_TRACKED
            && let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, w)| w.started)
                .map(|(k, _)| k.clone())
        {
            self.entries.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const AWAY: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 7));

    fn limits(account: u32, address: u32) -> LoginLimits {
        LoginLimits {
            per_account: Quota {
                attempts: account,
                window: Duration::from_secs(900),
            },
            per_address: Quota {
                attempts: address,
                window: Duration::from_secs(60),
            },
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_account_over_its_limit_waits_until_its_window_ends() {
        let throttle = LoginThrottle::new(limits(3, 100));
        for _ in 0..3 {
            throttle.begin("a@example.com", Some(HOME)).unwrap();
        }
        let wait = throttle.begin("a@example.com", Some(AWAY)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(900));
        tokio::time::advance(Duration::from_secs(600)).await;
        assert_eq!(
            throttle.begin("a@example.com", None).unwrap_err(),
            Duration::from_secs(300)
        );
        // Another account is not affected.
        throttle.begin("b@example.com", Some(HOME)).unwrap();
        tokio::time::advance(Duration::from_secs(300)).await;
        let attempt = throttle.begin("a@example.com", Some(HOME)).unwrap();
        throttle.succeeded(attempt);
    }

    #[tokio::test(start_paused = true)]
    async fn an_address_over_its_limit_is_refused_for_every_account() {
        let throttle = LoginThrottle::new(limits(100, 2));
        throttle.begin("a@example.com", Some(HOME)).unwrap();
        throttle.begin("b@example.com", Some(HOME)).unwrap();
        assert_eq!(
            throttle.begin("c@example.com", Some(HOME)).unwrap_err(),
            Duration::from_secs(60)
        );
        throttle.begin("c@example.com", Some(AWAY)).unwrap();
        tokio::time::advance(Duration::from_secs(60)).await;
        throttle.begin("c@example.com", Some(HOME)).unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_successful_login_clears_its_accounts_failures() {
        let throttle = LoginThrottle::new(limits(3, 100));
        for _ in 0..2 {
            throttle.begin("a@example.com", Some(HOME)).unwrap();
        }
        let ok = throttle.begin("a@example.com", Some(HOME)).unwrap();
        throttle.succeeded(ok);
        for _ in 0..3 {
            throttle.begin("a@example.com", Some(HOME)).unwrap();
        }
        assert!(throttle.begin("a@example.com", Some(HOME)).is_err());
    }

    #[test]
    fn an_ipv6_client_is_limited_by_its_64_and_a_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(subnet(a), subnet(b));
        assert_ne!(subnet(a), subnet(c));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(subnet(mapped), HOME);
    }

    #[tokio::test(start_paused = true)]
    async fn the_tables_stay_bounded_dropping_ended_windows_then_the_oldest() {
        let throttle = LoginThrottle::new(limits(1, u32::MAX));
        for i in 0..MAX_TRACKED {
            throttle.begin(&format!("{i}@example.com"), None).unwrap();
        }
        tokio::time::advance(Duration::from_secs(1)).await;
        // Full, nothing ended: the oldest makes room.
        throttle.begin("new@example.com", None).unwrap();
        let accounts = throttle.accounts.lock().unwrap().entries.len();
        assert_eq!(accounts, MAX_TRACKED);
        // The first windows end; the one begun a second later has not.
        tokio::time::advance(Duration::from_secs(899)).await;
        throttle.begin("newer@example.com", None).unwrap();
        let accounts = throttle.accounts.lock().unwrap().entries.len();
        assert_eq!(accounts, 2);
    }
}
