//! Project quotas: how many instances, GB of instance storage, servers and standbys a project
//! may hold.
//!
//! A project's own quota (set by a site admin) or, without one, the installation's default
//! (`TOYGRES_DEFAULT_QUOTA_*`) applies; a missing limit is unlimited. What counts is what
//! exists and is not deleted or removed: instances not `deleted` and their `storage_gb`,
//! servers not `removed`. Scratch instances of restore drills are the installation's and do
//! not count. Standbys do not exist yet and count 0.
//!
//! Every path that records a counted thing takes [`lock`] first in its transaction (a lock on
//! the project row), records, and then calls [`Reservation::check`]: two concurrent creates
//! queue on the lock, and the second counts the first's rows, so they cannot both take the
//! last slot. A refusal rolls the transaction back, so nothing is recorded and no VM is made.

use serde::{Deserialize, Serialize};
use sqlx::{Postgres, Transaction};

use crate::db::Db;
use crate::user::ProjectId;
use crate::{Error, Result};

/// Limits on what a project holds; `None` is unlimited.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Quota {
    /// Instances not deleted.
    pub instances: Option<i32>,
    /// Storage of those instances, in GB.
    pub storage_gb: Option<i32>,
    /// Servers not removed.
    pub servers: Option<i32>,
    /// Standbys of instances not deleted.
    pub standbys: Option<i32>,
}

/// What a project holds, counted as its quota counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Usage {
    /// Instances not deleted (restore drills' scratch instances left out).
    pub instances: i64,
    /// Their storage, in GB.
    pub storage_gb: i64,
    /// Servers not removed.
    pub servers: i64,
    /// Standbys of instances not deleted.
    pub standbys: i64,
}

/// A project's quota and whether it is its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProjectQuota {
    /// The limits in force.
    pub quota: Quota,
    /// Whether a site admin set them for this project (otherwise they are the default).
    pub custom: bool,
}

/// The project row locked in a transaction, and the quota that applies to it.
#[derive(Debug)]
pub(crate) struct Reservation {
    project: ProjectId,
    quota: Quota,
}

/// Lock `project` for the rest of `tx` (the lock every counted create takes first) and read
/// its quota. `NotFound` if there is no such project.
pub(crate) async fn lock(
    tx: &mut Transaction<'_, Postgres>,
    db: &Db,
    project: ProjectId,
) -> Result<Reservation> {
    let own = Db::lock_project_quota(tx, project).await?;
    Ok(Reservation {
        project,
        quota: own.unwrap_or_else(|| db.default_quota()),
    })
}

impl Reservation {
    /// Check that the project's rows, as `tx` sees them (those just recorded included),
    /// plus `pending` (what is asked for but not recorded, as in a dry run), fit the quota.
    /// `asked` is what this request adds, for the message.
    pub(crate) async fn check(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        asked: Usage,
        pending: Usage,
    ) -> Result<()> {
        let usage = Db::project_usage_in(tx, self.project).await?;
        admits(&self.quota, &usage, asked, pending)
    }
}

/// `QuotaExceeded` for the first limit that `usage + pending` passes.
fn admits(quota: &Quota, usage: &Usage, asked: Usage, pending: Usage) -> Result<()> {
    let limits = [
        (
            "instances",
            quota.instances,
            usage.instances,
            asked.instances,
            pending.instances,
        ),
        (
            "storage_gb",
            quota.storage_gb,
            usage.storage_gb,
            asked.storage_gb,
            pending.storage_gb,
        ),
        (
            "servers",
            quota.servers,
            usage.servers,
            asked.servers,
            pending.servers,
        ),
        (
            "standbys",
            quota.standbys,
            usage.standbys,
            asked.standbys,
            pending.standbys,
        ),
    ];
    for (limit, max, counted, asked, pending) in limits {
        if asked == 0 {
            continue;
        }
        if let Some(max) = max
            && counted + pending > i64::from(max)
        {
            let used = counted + pending - asked;
            return Err(Error::QuotaExceeded {
                limit,
                quota: i64::from(max),
                used,
                requested: asked,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(instances: i64, storage_gb: i64) -> Usage {
        Usage {
            instances,
            storage_gb,
            ..Usage::default()
        }
    }

    #[test]
    fn a_quota_admits_up_to_its_limit_and_names_the_first_limit_passed() {
        let quota = Quota {
            instances: Some(2),
            storage_gb: Some(20),
            ..Quota::default()
        };
        let one = usage(1, 10);
        // Recorded: the new instance is in the count.
        assert!(admits(&quota, &usage(2, 20), one, Usage::default()).is_ok());
        let err = admits(&quota, &usage(3, 30), one, Usage::default()).unwrap_err();
        assert!(
            matches!(
                err,
                Error::QuotaExceeded {
                    limit: "instances",
                    quota: 2,
                    used: 2,
                    requested: 1
                }
            ),
            "{err:?}"
        );
        let err = admits(&quota, &usage(2, 25), one, Usage::default()).unwrap_err();
        assert!(
            matches!(
                err,
                Error::QuotaExceeded {
                    limit: "storage_gb",
                    quota: 20,
                    used: 15,
                    requested: 10
                }
            ),
            "{err:?}"
        );
        // Not recorded (a dry run): what is asked comes on top.
        assert!(admits(&quota, &usage(2, 10), one, one).is_err());
        // Unlimited, and a zero quota.
        assert!(admits(&Quota::default(), &usage(1000, 1000), one, one).is_ok());
        let none = Quota {
            servers: Some(0),
            ..Quota::default()
        };
        let server = Usage {
            servers: 1,
            ..Usage::default()
        };
        assert!(admits(&none, &server, server, Usage::default()).is_err());
    }

    #[test]
    fn what_a_request_does_not_add_is_not_held_against_it() {
        // A project already over its storage (the quota was lowered) may still add a server.
        let quota = Quota {
            storage_gb: Some(10),
            servers: Some(5),
            ..Quota::default()
        };
        let server = Usage {
            servers: 1,
            ..Usage::default()
        };
        let held = Usage {
            storage_gb: 100,
            servers: 1,
            ..Usage::default()
        };
        assert!(admits(&quota, &held, server, Usage::default()).is_ok());
    }
}
