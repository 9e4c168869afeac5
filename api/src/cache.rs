//! Rows kept between requests, so that a request for them costs no query, and dropped as the
//! database announces their changes.
//!
//! A [`Cache`] is kept correct by its owner, a [`jobs::events::Follower`] that hears each
//! change before any subscriber does and drops what the change concerns. Everything is dropped
//! when events may have been missed ([`Event::Resync`](jobs::events::Event::Resync)), and
//! nothing is served or kept while the listener is down. A change committed by another
//! connection therefore reaches a cache a moment after its commit, with its notification: the
//! same moment it reaches this process's subscribers.
//!
//! A load that raced a drop is not kept: every drop moves a generation on, and a load made in
//! an older generation is used for its request alone.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use jobs::events::EventBus;

/// Values by key, kept while the database announces no change to them.
pub struct Cache<K, V> {
    inner: Mutex<Inner<K, V>>,
    /// The most entries kept; past it the cache starts again empty.
    capacity: usize,
    bus: EventBus,
}

struct Inner<K, V> {
    entries: HashMap<K, Arc<V>>,
    generation: u64,
}

impl<K, V> std::fmt::Debug for Cache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let entries = self
            .inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entries
            .len();
        f.debug_struct("Cache")
            .field("entries", &entries)
            .finish_non_exhaustive()
    }
}

impl<K: Eq + Hash + Copy, V> Cache<K, V> {
    /// An empty cache of at most `capacity` entries, serving them only while `bus` listens.
    pub fn new(capacity: usize, bus: &EventBus) -> Self {
        Self {
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                generation: 0,
            }),
            capacity,
            bus: bus.clone(),
        }
    }

    /// The value of `key`: kept, or made by `load` and kept.
    pub async fn get<E>(
        &self,
        key: K,
        load: impl Future<Output = Result<V, E>>,
    ) -> Result<Arc<V>, E> {
        let listening = self.bus.is_listening();
        let generation = {
            let inner = self.lock();
            if listening && let Some(value) = inner.entries.get(&key) {
                return Ok(value.clone());
            }
            inner.generation
        };
        let value = Arc::new(load.await?);
        let mut inner = self.lock();
        if listening && inner.generation == generation {
            if inner.entries.len() >= self.capacity {
                inner.entries.clear();
            }
            inner.entries.insert(key, value.clone());
        }
        Ok(value)
    }

    /// Drop `key`.
    pub fn forget(&self, key: &K) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.remove(key);
    }

    /// Drop everything.
    pub fn forget_all(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.clear();
    }

    /// How many entries are kept.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, Inner<K, V>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_kept_value_is_served_until_it_is_forgotten() {
        let cache = Cache::new(10, &EventBus::detached());
        let first = cache.get(1, async { Ok::<_, ()>("a") }).await.unwrap();
        let again = cache.get(1, async { Ok::<_, ()>("b") }).await.unwrap();
        assert!(Arc::ptr_eq(&first, &again), "the second get is kept");
        cache.forget(&2);
        assert_eq!(
            *cache.get(1, async { Ok::<_, ()>("c") }).await.unwrap(),
            "a"
        );
        cache.forget(&1);
        assert_eq!(
            *cache.get(1, async { Ok::<_, ()>("d") }).await.unwrap(),
            "d"
        );
        cache.forget_all();
        assert!(cache.is_empty());
        assert_eq!(
            *cache.get(1, async { Ok::<_, ()>("e") }).await.unwrap(),
            "e"
        );
    }

    #[tokio::test]
    async fn a_failed_load_keeps_nothing_and_a_full_cache_starts_again() {
        let cache = Cache::new(2, &EventBus::detached());
        assert_eq!(
            cache.get(1, async { Err::<&str, _>("down") }).await,
            Err("down")
        );
        assert!(cache.is_empty());
        for key in [1, 2] {
            cache.get(key, async { Ok::<_, ()>("v") }).await.unwrap();
        }
        assert_eq!(cache.len(), 2);
        cache.get(3, async { Ok::<_, ()>("v") }).await.unwrap();
        assert_eq!(cache.len(), 1, "past its capacity the cache starts again");
    }

    #[tokio::test]
    async fn a_load_that_raced_a_forget_serves_its_request_but_is_not_kept() {
        let cache = Cache::new(10, &EventBus::detached());
        let (release, wait) = tokio::sync::oneshot::channel::<()>();
        let load = cache.get(1, async {
            wait.await.unwrap();
            Ok::<_, ()>("old")
        });
        tokio::pin!(load);
        assert!(futures::poll!(load.as_mut()).is_pending());
        cache.forget(&1);
        release.send(()).unwrap();
        assert_eq!(*load.await.unwrap(), "old");
        assert!(cache.is_empty(), "the raced load was kept");
        assert_eq!(
            *cache.get(1, async { Ok::<_, ()>("new") }).await.unwrap(),
            "new"
        );
    }
}
