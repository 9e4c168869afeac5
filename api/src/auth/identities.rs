//! Who each user is and what they may do, kept between requests so that a request costs no
//! query for its caller.
//!
//! An entry is dropped when the database announces a change of that user's access (the
//! `access` notifications: a user disabled, deleted, renamed or given a new password or session
//! epoch, a membership made, changed or removed, a project renamed), and everything is dropped
//! when events may have been missed (the listener reconnected, or this process lagged) and
//! after any mutation this process ran, so that its own caller's next request never sees the
//! state from before it. Another process's change reaches this one with its notification, a
//! few milliseconds after the commit.
//!
//! A load that raced a drop is not kept: every drop moves a generation on, and a load made in
//! an older generation is used for its request alone.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use jobs::db::Db;
use jobs::events::{AccessChange, Event, EventBus};
use jobs::user::{Membership, User, UserId};
use tokio::sync::broadcast::error::RecvError;

/// The most users kept; past it the cache starts again empty.
const CAPACITY: usize = 10_000;

/// A user and their memberships, as loaded from the database.
#[derive(Debug)]
pub struct Identity {
    /// The user.
    pub user: User,
    /// Their role in each project they belong to.
    pub memberships: Vec<Membership>,
}

/// This process's cache of identities.
#[derive(Debug, Default)]
pub struct Identities {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    users: HashMap<UserId, Arc<Identity>>,
    generation: u64,
}

impl Identities {
    /// An empty cache that drops entries on the access events of `bus`, for as long as it is
    /// alive.
    pub fn following(bus: &EventBus) -> Arc<Self> {
        let identities = Arc::new(Self::default());
        let weak = Arc::downgrade(&identities);
        let mut events = bus.subscribe();
        tokio::spawn(async move {
            loop {
                let event = events.recv().await;
                let Some(identities) = Weak::upgrade(&weak) else {
                    return;
                };
                match event {
                    Ok(event) => match &*event {
                        Event::AccessChanged(change) => identities.forget(change),
                        Event::Resync => identities.forget_all(),
                        _ => {}
                    },
                    Err(RecvError::Lagged(_)) => identities.forget_all(),
                    Err(RecvError::Closed) => return,
                }
            }
        });
        identities
    }

    /// The user `id` and their memberships: from the cache, or loaded and kept.
    pub async fn get(&self, db: &Db, id: UserId) -> jobs::Result<Arc<Identity>> {
        let generation = {
            let inner = self.lock();
            if let Some(identity) = inner.users.get(&id) {
                return Ok(identity.clone());
            }
            inner.generation
        };
        let identity = Arc::new(Identity {
            user: db.user(id).await?,
            memberships: db.memberships(id).await?,
        });
        let mut inner = self.lock();
        if inner.generation == generation {
            if inner.users.len() >= CAPACITY {
                inner.users.clear();
            }
            inner.users.insert(id, identity.clone());
        }
        Ok(identity)
    }

    /// Drop what `change` concerns: its user, or everyone when it names no user.
    pub fn forget(&self, change: &AccessChange) {
        let mut inner = self.lock();
        inner.generation += 1;
        match change.user_id {
            Some(user) => drop(inner.users.remove(&user)),
            // A token's change is checked on every request; a change without a user (a project
            // renamed) may concern anyone.
            None if change.token_id.is_some() => {}
            None => inner.users.clear(),
        }
    }

    /// Drop everything.
    pub fn forget_all(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.users.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database with one user in no project.
    async fn one_user(c: sqlx::postgres::PgConnectOptions) -> (sqlx::PgPool, Db, UserId) {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .connect_with(c)
            .await
            .unwrap();
        let db = Db::from_pool(pool.clone());
        let user = db
            .create_user("a@example.com", "hash", false, None)
            .await
            .unwrap()
            .id;
        (pool, db, user)
    }

    #[sqlx::test(migrator = "jobs::db::MIGRATOR")]
    async fn a_cached_identity_is_dropped_when_its_access_changes_and_a_racing_load_is_not_kept(
        _p: sqlx::postgres::PgPoolOptions,
        c: sqlx::postgres::PgConnectOptions,
    ) {
        let (pool, db, user) = one_user(c).await;
        let identities = Identities::default();
        let first = identities.get(&db, user).await.unwrap();
        let again = identities.get(&db, user).await.unwrap();
        assert!(Arc::ptr_eq(&first, &again), "the second get is cached");

        sqlx::query("UPDATE users SET email = 'b@example.com' WHERE id = $1")
            .bind(user)
            .execute(&pool)
            .await
            .unwrap();
        assert_eq!(
            identities.get(&db, user).await.unwrap().user.email,
            "a@example.com"
        );
        identities.forget(&AccessChange {
            user_id: Some(user),
            token_id: None,
        });
        assert_eq!(
            identities.get(&db, user).await.unwrap().user.email,
            "b@example.com"
        );

        // A token's change leaves users cached; a change naming nobody drops everyone.
        let cached = identities.get(&db, user).await.unwrap();
        identities.forget(&AccessChange {
            user_id: None,
            token_id: Some(uuid::Uuid::new_v4()),
        });
        assert!(Arc::ptr_eq(
            &cached,
            &identities.get(&db, user).await.unwrap()
        ));
        identities.forget(&AccessChange::default());
        assert!(!Arc::ptr_eq(
            &cached,
            &identities.get(&db, user).await.unwrap()
        ));

        // A load that began before a drop serves its request but is not kept. The table is
        // locked so that the load is surely still waiting when the drop comes.
        identities.forget_all();
        let mut lock = pool.begin().await.unwrap();
        sqlx::query("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
            .execute(&mut *lock)
            .await
            .unwrap();
        let generation = identities.lock().generation;
        let load = identities.get(&db, user);
        tokio::pin!(load);
        let started = futures::poll!(load.as_mut());
        assert!(started.is_pending(), "the load waits for the locked table");
        identities.forget_all();
        assert!(identities.lock().generation > generation);
        lock.commit().await.unwrap();
        load.await.unwrap();
        assert!(
            identities.lock().users.is_empty(),
            "the raced load was kept"
        );
    }

    /// Another process's change reaches this one as a notification: a membership removed, a
    /// user disabled, a project renamed.
    #[sqlx::test(migrator = "jobs::db::MIGRATOR")]
    async fn a_change_committed_anywhere_drops_the_cached_identity_it_concerns(
        _p: sqlx::postgres::PgPoolOptions,
        c: sqlx::postgres::PgConnectOptions,
    ) {
        let (pool, db, user) = one_user(c).await;
        let shutdown = tokio_util::sync::CancellationToken::new();
        let bus = EventBus::start(&db, shutdown.clone()).await.unwrap();
        let mut setup = bus.subscribe();
        let project = db.create_project("mine", user).await.unwrap().id;
        // The cache starts once the setup's own announcements are through.
        while !matches!(&*setup.recv().await.unwrap(), Event::AccessChanged(c) if c.user_id == Some(user))
        {
        }
        let identities = Identities::following(&bus);
        let first = identities.get(&db, user).await.unwrap();
        assert!(Arc::ptr_eq(
            &first,
            &identities.get(&db, user).await.unwrap()
        ));
        let until = |check: fn(&Identity) -> bool| {
            let (identities, db) = (identities.clone(), db.clone());
            async move {
                let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
                loop {
                    if check(&identities.get(&db, user).await.unwrap()) {
                        return;
                    }
                    assert!(
                        tokio::time::Instant::now() < deadline,
                        "the cache kept a stale identity"
                    );
                    tokio::task::yield_now().await;
                }
            }
        };
        sqlx::query("UPDATE projects SET name = 'renamed' WHERE id = $1")
            .bind(project)
            .execute(&pool)
            .await
            .unwrap();
        until(|i| i.memberships[0].project_name == "renamed").await;
        sqlx::query("DELETE FROM memberships WHERE user_id = $1")
            .bind(user)
            .execute(&pool)
            .await
            .unwrap();
        until(|i| i.memberships.is_empty()).await;
        sqlx::query("UPDATE users SET disabled_at = now() WHERE id = $1")
            .bind(user)
            .execute(&pool)
            .await
            .unwrap();
        until(|i| i.user.disabled_at.is_some()).await;
        shutdown.cancel();
    }
}
