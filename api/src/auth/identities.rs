//! Who each user is and what they may do, kept between requests so that a request costs no
//! query for its caller.
//!
//! An entry is dropped when the database announces a change of that user's access (the
//! `access` notifications: a user disabled, deleted, renamed or given a new password or session
//! epoch, a membership made, changed or removed, a project renamed), and everything is dropped
//! when events may have been missed and after any mutation this process ran, so that its own
//! caller's next request never sees the state from before it. Another process's change reaches
//! this one with its notification, a few milliseconds after the commit. See [`crate::cache`].

use std::sync::Arc;

use jobs::db::Db;
use jobs::events::{AccessChange, Event, EventBus, Follower};
use jobs::user::{Membership, User, UserId};

use crate::cache::Cache;

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
#[derive(Debug)]
pub struct Identities(Cache<UserId, Identity>);

impl Identities {
    /// An empty cache that drops entries on the access events of `bus`, for as long as it is
    /// alive.
    pub fn following(bus: &EventBus) -> Arc<Self> {
        let identities = Arc::new(Self(Cache::new(CAPACITY, bus)));
        bus.follow(&identities);
        identities
    }

    /// The user `id` and their memberships: from the cache, or loaded and kept.
    pub async fn get(&self, db: &Db, id: UserId) -> jobs::Result<Arc<Identity>> {
        self.0
            .get(id, async {
                Ok(Identity {
                    user: db.user(id).await?,
                    memberships: db.memberships(id).await?,
                })
            })
            .await
    }

    /// Drop what `change` concerns: its user, or everyone when it names no user.
    pub fn forget(&self, change: &AccessChange) {
        match change.user_id {
            Some(user) => self.0.forget(&user),
            // A token's change is checked on every request; a change without a user (a project
            // renamed) may concern anyone.
            None if change.token_id.is_some() => {}
            None => self.0.forget_all(),
        }
    }

    /// Drop everything.
    pub fn forget_all(&self) {
        self.0.forget_all();
    }
}

impl Follower for Identities {
    fn hear(&self, event: &Event) {
        match event {
            Event::AccessChanged(change) => self.forget(change),
            Event::Resync => self.forget_all(),
            _ => {}
        }
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
    async fn a_cached_identity_is_dropped_when_its_access_changes(
        _p: sqlx::postgres::PgPoolOptions,
        c: sqlx::postgres::PgConnectOptions,
    ) {
        let (pool, db, user) = one_user(c).await;
        let identities = Identities::following(&EventBus::detached());
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
