//! Where an instance goes on the fleet.
//!
//! # The placement rule
//! A server can take an instance when it is **active** (never draining or anything else), has
//! been reached over SSH (its host key is recorded), is in the **project** of the instance
//! (and the **region** asked, if one was), has the instance's **PostgreSQL major**, and has
//! room: its memory minus the plan memory of the instances on it (and of the copies being moved
//! to it) covers the instance's plan, and likewise its disk covers the instance's storage.
//! Among those, it goes to the server with the **most free memory**, then the most free disk,
//! then the fewest instances, then the first name.
//!
//! A drain places its server's instances one after the other, smallest storage first, each on
//! the servers as the earlier placements left them; if one fits nowhere (or is not running:
//! a move streams from a running primary), nothing moves.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::{Server, ServerId, ServerState};
use crate::instance::{Instance, InstanceId, find_plan};
use crate::user::ProjectId;
use crate::{Error, Result};

/// What an instance needs of a server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Need {
    /// Its plan's memory, in MB.
    pub memory_mb: u32,
    /// Its storage, in GB.
    pub disk_gb: i32,
    /// Its major version.
    pub pg_version: i32,
}

impl Need {
    /// What `instance` needs.
    pub fn of(instance: &Instance) -> Self {
        Self {
            memory_mb: find_plan(&instance.plan).map_or(512, |p| p.memory_mib),
            disk_gb: instance.storage_gb,
            pg_version: instance.pg_version,
        }
    }
}

/// A server as placement sees it: what it has and what is used.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// The server.
    pub server: Server,
    /// Memory taken by the instances on it (and copies coming to it), in MB.
    pub used_memory_mb: i64,
    /// Disk taken likewise, in GB.
    pub used_disk_gb: i64,
    /// How many instances it has.
    pub instances: i64,
}

impl Candidate {
    fn free_memory(&self) -> i64 {
        i64::from(self.server.memory_mb.unwrap_or(0)) - self.used_memory_mb
    }

    fn free_disk(&self) -> i64 {
        i64::from(self.server.disk_gb.unwrap_or(0)) - self.used_disk_gb
    }

    /// Why it cannot take `need`, or `None` if it can.
    fn refusal(&self, need: &Need, region: Option<&str>) -> Option<String> {
        let s = &self.server;
        if s.state != ServerState::Active {
            return Some(format!("{} is {:?}", s.name, s.state).to_lowercase());
        }
        if s.ssh_host_key.is_none() {
            return Some(format!("{} has not been reached over SSH", s.name));
        }
        if region.is_some_and(|r| r != s.region) {
            return Some(format!("{} is in {}", s.name, s.region));
        }
        if !s.pg_versions.contains(&need.pg_version) {
            return Some(format!(
                "{} has no PostgreSQL {} (it has {:?})",
                s.name, need.pg_version, s.pg_versions
            ));
        }
        if self.free_memory() < i64::from(need.memory_mb) {
            return Some(format!(
                "{} has {} MB memory free",
                s.name,
                self.free_memory().max(0)
            ));
        }
        if self.free_disk() < i64::from(need.disk_gb) {
            return Some(format!(
                "{} has {} GB disk free",
                s.name,
                self.free_disk().max(0)
            ));
        }
        None
    }

    fn take(&mut self, need: &Need) {
        self.used_memory_mb += i64::from(need.memory_mb);
        self.used_disk_gb += i64::from(need.disk_gb);
        self.instances += 1;
    }
}

/// The best of `candidates` for `need` (see the module's rule), or why none will do.
pub fn choose(
    candidates: &[Candidate],
    need: &Need,
    region: Option<&str>,
    exclude: Option<ServerId>,
) -> std::result::Result<usize, String> {
    let mut reasons = Vec::new();
    let mut best: Option<usize> = None;
    for (i, c) in candidates.iter().enumerate() {
        if Some(c.server.id) == exclude {
            continue;
        }
        if let Some(why) = c.refusal(need, region) {
            reasons.push(why);
            continue;
        }
        let better = best.is_none_or(|b| {
            let b = &candidates[b];
            (
                c.free_memory(),
                c.free_disk(),
                -c.instances,
                std::cmp::Reverse(&c.server.name),
            ) > (
                b.free_memory(),
                b.free_disk(),
                -b.instances,
                std::cmp::Reverse(&b.server.name),
            )
        });
        if better {
            best = Some(i);
        }
    }
    best.ok_or_else(|| {
        let what = format!(
            "{} MB memory, {} GB disk, PostgreSQL {}",
            need.memory_mb, need.disk_gb, need.pg_version
        );
        if reasons.is_empty() {
            format!("no other server to place it on ({what}): register or provision one")
        } else {
            format!("no server has room for it ({what}): {}", reasons.join("; "))
        }
    })
}

/// The servers of `project` as placement sees them, locked for the rest of `tx` so that two
/// placements never both take the last room on a server.
pub async fn candidates(
    tx: &mut Transaction<'_, Postgres>,
    project: ProjectId,
) -> Result<Vec<Candidate>> {
    let servers: Vec<Server> = sqlx::query_as(
        "SELECT * FROM servers WHERE project_id = $1 AND state IN ('active', 'draining') \
         ORDER BY name FOR UPDATE",
    )
    .bind(project)
    .fetch_all(&mut **tx)
    .await?;
    let ids: Vec<Uuid> = servers.iter().map(|s| s.id.0).collect();
    // What lives on each server (primaries and standbys), and what is on its way there.
    let usage: Vec<(Uuid, String, i32)> = sqlx::query_as(
        "SELECT server_id, plan, storage_gb FROM instances \
         WHERE server_id = ANY($1) AND state <> 'deleted' \
         UNION ALL \
         SELECT m.target_server_id, i.plan, i.storage_gb FROM instance_moves m \
         JOIN instances i ON i.id = m.instance_id \
         WHERE m.target_server_id = ANY($1) AND m.phase NOT IN ('done', 'rolled_back', 'cancelled') \
         UNION ALL \
         SELECT s.server_id, i.plan, i.storage_gb FROM instance_members s \
         JOIN instances i ON i.id = s.instance_id \
         WHERE s.server_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(&mut **tx)
    .await?;
    let mut used: HashMap<Uuid, (i64, i64, i64)> = HashMap::new();
    for (server, plan, storage) in usage {
        let e = used.entry(server).or_default();
        e.0 += i64::from(find_plan(&plan).map_or(512, |p| p.memory_mib));
        e.1 += i64::from(storage);
        e.2 += 1;
    }
    Ok(servers
        .into_iter()
        .map(|server| {
            let (m, d, n) = used.get(&server.id.0).copied().unwrap_or_default();
            Candidate {
                server,
                used_memory_mb: m,
                used_disk_gb: d,
                instances: n,
            }
        })
        .collect())
}

/// Only the server named, if one is (`NotFound` when it is not among `all`), else `all`.
pub fn named_or_all(all: Vec<Candidate>, server: Option<ServerId>) -> Result<Vec<Candidate>> {
    let Some(id) = server else {
        return Ok(all);
    };
    let named: Vec<Candidate> = all.into_iter().filter(|c| c.server.id == id).collect();
    if named.is_empty() {
        return Err(Error::NotFound { kind: "server" });
    }
    Ok(named)
}

/// Place a new instance of `project` that needs `need`: on `server` if named (which must be
/// able to take it), else by the rule, in `region` if given. Refused with `InvalidInput`
/// naming why when nothing fits.
pub async fn place_new(
    tx: &mut Transaction<'_, Postgres>,
    project: ProjectId,
    need: &Need,
    server: Option<ServerId>,
    region: Option<&str>,
) -> Result<ServerId> {
    let all = candidates(tx, project).await?;
    let pool = named_or_all(all, server)?;
    let at = choose(&pool, need, region, None).map_err(Error::InvalidInput)?;
    Ok(pool[at].server.id)
}

/// One instance's place in a drain.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlannedMove {
    /// Its order in the drain, from 1.
    pub position: i32,
    /// The instance.
    pub instance_id: InstanceId,
    /// Its name.
    pub instance_name: String,
    /// Where it goes.
    pub target_id: ServerId,
    /// That server's name.
    pub target_name: String,
}

/// What draining a server would do.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DrainPlan {
    /// The server.
    pub server_id: ServerId,
    /// The moves, in order.
    pub moves: Vec<PlannedMove>,
    /// Why it cannot be done, when it cannot: nothing moves then.
    pub blocked: Option<String>,
}

/// Plan the drain of `server`: every live instance on it, smallest storage first, each onto
/// the best other server as the earlier placements left it.
pub async fn plan_drain(tx: &mut Transaction<'_, Postgres>, server: &Server) -> Result<DrainPlan> {
    let mut all = candidates(tx, server.project_id).await?;
    let instances: Vec<Instance> = sqlx::query_as(
        "SELECT * FROM instances WHERE server_id = $1 AND state <> 'deleted' \
         ORDER BY storage_gb, created_at, id",
    )
    .bind(server.id)
    .fetch_all(&mut **tx)
    .await?;
    let mut plan = DrainPlan {
        server_id: server.id,
        moves: Vec::new(),
        blocked: None,
    };
    // Members of instances with standbys are not moved yet: switching over (for a primary)
    // or removing and re-adding (for a standby) is the operator's, for now.
    let member: Option<String> = sqlx::query_scalar(
        "SELECT i.name FROM instances i \
         WHERE i.state <> 'deleted' AND ((i.server_id = $1 AND i.standbys > 0) \
            OR EXISTS (SELECT FROM instance_members m WHERE m.instance_id = i.id AND m.server_id = $1)) \
         ORDER BY i.name LIMIT 1",
    )
    .bind(server.id)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(name) = member {
        plan.blocked = Some(format!(
            "instance {name} has a primary or a standby on {} and standbys are not moved by \
             drains yet: switch it over, or remove the standby, first",
            server.name
        ));
        return Ok(plan);
    }
    for (i, inst) in instances.iter().enumerate() {
        // A move streams from a running primary; a stopped or failed one is not moved.
        if inst.state != crate::instance::InstanceState::Running {
            plan.blocked = Some(
                format!(
                    "instance {} is {:?}: start it (or delete it) before draining {}",
                    inst.name, inst.state, server.name
                )
                .to_lowercase(),
            );
            plan.moves.clear();
            break;
        }
        let need = Need::of(inst);
        match choose(&all, &need, None, Some(server.id)) {
            Ok(at) => {
                all[at].take(&need);
                plan.moves.push(PlannedMove {
                    position: i32::try_from(i + 1).unwrap_or(i32::MAX),
                    instance_id: inst.id,
                    instance_name: inst.name.clone(),
                    target_id: all[at].server.id,
                    target_name: all[at].server.name.clone(),
                });
            }
            Err(why) => {
                plan.blocked = Some(format!(
                    "instance {} cannot move off {}: {why}",
                    inst.name, server.name
                ));
                plan.moves.clear();
                break;
            }
        }
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(name: &str, memory_mb: i32, disk_gb: i32) -> Candidate {
        Candidate {
            server: Server {
                memory_mb: Some(memory_mb),
                disk_gb: Some(disk_gb),
                ..crate::fixtures::server(name)
            },
            used_memory_mb: 0,
            used_disk_gb: 0,
            instances: 0,
        }
    }

    const SMALL: Need = Need {
        memory_mb: 512,
        disk_gb: 10,
        pg_version: 15,
    };

    #[test]
    fn the_server_with_the_most_free_memory_wins_then_disk_then_fewest_instances() {
        let mut c = vec![
            server("a", 2048, 100),
            server("b", 4096, 100),
            server("c", 4096, 200),
        ];
        assert_eq!(c[choose(&c, &SMALL, None, None).unwrap()].server.name, "c");
        c[2].used_memory_mb = 1024;
        assert_eq!(c[choose(&c, &SMALL, None, None).unwrap()].server.name, "b");
        // Equal free memory and disk: the fewer instances win.
        c[1].used_memory_mb = 1024;
        c[1].used_disk_gb = 50;
        c[2].used_disk_gb = 150;
        c[2].instances = 3;
        assert_eq!(c[choose(&c, &SMALL, None, None).unwrap()].server.name, "b");
    }

    #[test]
    fn draining_full_wrong_version_wrong_region_and_unreached_servers_are_never_chosen() {
        let mut c = vec![
            server("draining", 8192, 100),
            server("full", 8192, 5),
            server("old", 8192, 100),
            server("away", 8192, 100),
            server("unreached", 8192, 100),
            server("ok", 1024, 20),
        ];
        c[0].server.state = ServerState::Draining;
        c[2].server.pg_versions = vec![14];
        c[3].server.region = "elsewhere".to_owned();
        c[4].server.ssh_host_key = None;
        assert_eq!(
            c[choose(&c, &SMALL, Some("home"), None).unwrap()]
                .server
                .name,
            "ok"
        );
        let ok = c[5].server.id;
        let why = choose(&c, &SMALL, Some("home"), Some(ok)).unwrap_err();
        for part in [
            "draining is draining",
            "full has 5 GB disk free",
            "old has no PostgreSQL 15",
            "away is in elsewhere",
            "unreached has not been reached",
        ] {
            assert!(why.contains(part), "{why}");
        }
    }

    #[test]
    fn placements_use_up_room_so_the_next_goes_elsewhere() {
        let mut c = vec![server("a", 1000, 100), server("b", 900, 100)];
        let first = choose(&c, &SMALL, None, None).unwrap();
        c[first].take(&SMALL);
        let second = choose(&c, &SMALL, None, None).unwrap();
        assert_ne!(first, second);
        c[second].take(&SMALL);
        assert!(
            choose(&c, &SMALL, None, None)
                .unwrap_err()
                .contains("memory free")
        );
    }
}
