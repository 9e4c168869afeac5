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
//! A drain first hands over the members of instances with standbys that its server holds,
//! one instance at a time: a primary switches over to its standby streaming closest behind on
//! another active server (the old primary is then a standby on the draining server), and each
//! standby there is relocated, a fresh copy made on the server the rule picks among those
//! holding no member of the instance. Then it places the other instances one after the
//! other, smallest storage first, each on the servers as the earlier placements left them. If
//! anything fits nowhere (or is not running: a move and a copy stream from a running primary,
//! and a switchover needs a standby that streams), nothing happens.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::{Server, ServerId, ServerState};
use crate::instance::standbys::StandbyState;
use crate::instance::{Instance, InstanceId, InstanceState, Standby, find_plan};
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

/// What a drain does with one member of an instance on its server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DrainAction {
    /// The instance (without standbys) moves to the target: a copy catches up, then takes
    /// over (`move_instance`).
    Move,
    /// The primary hands over to its standby on the target (`switchover`); it stays behind as
    /// a standby, relocated next.
    Switchover,
    /// The standby gets a fresh copy on the target and its old one is removed
    /// (`relocate_standby`).
    RelocateStandby,
}

/// One action of a drain.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlannedMove {
    /// Its order in the drain, from 1.
    pub position: i32,
    /// What is done.
    pub action: DrainAction,
    /// The instance.
    pub instance_id: InstanceId,
    /// Its name.
    pub instance_name: String,
    /// The member concerned: the standby that takes over (a switchover) or that is
    /// relocated; `None` for a move.
    pub member_id: Option<Uuid>,
    /// Where it goes (a move, a relocation), or where the standby taking over is (a
    /// switchover).
    pub target_id: ServerId,
    /// That server's name.
    pub target_name: String,
}

/// What draining a server would do.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DrainPlan {
    /// The server.
    pub server_id: ServerId,
    /// The actions, in order: switchovers and relocations first, then the moves.
    pub moves: Vec<PlannedMove>,
    /// Why it cannot be done, when it cannot: nothing happens then.
    pub blocked: Option<String>,
}

/// One action of a drain, before it is numbered: what, the member, and the index of its
/// target among the candidates.
type Act = (DrainAction, Option<Uuid>, usize);

/// How a drain of `drained` hands over `inst`, which has a member there and `standbys` (all
/// of them), using up room on `all`: a switchover if its primary is there, to the standby
/// streaming closest behind on another active server (a lagging one too: it catches up
/// first), then the relocation of the member that is (or, after the switchover, will be) a
/// standby there; or why it cannot be done.
fn hand_over(
    drained: &Server,
    inst: &Instance,
    standbys: &[Standby],
    all: &mut [Candidate],
) -> std::result::Result<Vec<Act>, String> {
    let at = |id: Option<ServerId>| all.iter().position(|c| Some(c.server.id) == id);
    let mut steps = Vec::new();
    let leaving = if inst.server_id == Some(drained.id) {
        let to = standbys
            .iter()
            .filter(|s| matches!(s.state, StandbyState::Streaming | StandbyState::Lagging))
            .filter_map(|s| {
                let i = at(s.server_id)?;
                (all[i].server.state == ServerState::Active).then_some((s, i))
            })
            .min_by_key(|(s, _)| s.lag_bytes.unwrap_or(i64::MAX));
        let Some((to, i)) = to else {
            return Err(format!(
                "instance {} has its primary on {} and no standby streaming on another active \
                 server to switch over to: add one elsewhere (or wait until one streams) first",
                inst.name, drained.name
            ));
        };
        steps.push((DrainAction::Switchover, Some(to.id), i));
        inst.primary_member_id()
    } else {
        match standbys.iter().find(|s| s.server_id == Some(drained.id)) {
            Some(s) => s.id,
            None => return Ok(steps),
        }
    };
    // A member's new server holds no other member of the instance.
    let taken: Vec<Option<ServerId>> = standbys
        .iter()
        .map(|s| s.server_id)
        .chain([inst.server_id, Some(drained.id)])
        .collect();
    let open: Vec<usize> = (0..all.len())
        .filter(|&i| !taken.contains(&Some(all[i].server.id)))
        .collect();
    let pool: Vec<Candidate> = open.iter().map(|&i| all[i].clone()).collect();
    let need = Need::of(inst);
    let chosen = choose(&pool, &need, None, None).map_err(|why| {
        let what = if steps.is_empty() {
            "its standby"
        } else {
            "its old primary (a standby after the switchover)"
        };
        format!(
            "instance {} cannot relocate {what} off {}: each member needs a server of its own; {why}",
            inst.name, drained.name
        )
    })?;
    all[open[chosen]].take(&need);
    steps.push((DrainAction::RelocateStandby, Some(leaving), open[chosen]));
    Ok(steps)
}

/// Plan the drain of `server`: first the members of instances with standbys there, one
/// instance at a time (see [`hand_over`]), then every other live instance on it, smallest
/// storage first, each onto the best other server as the earlier placements left it.
pub async fn plan_drain(tx: &mut Transaction<'_, Postgres>, server: &Server) -> Result<DrainPlan> {
    let mut all = candidates(tx, server.project_id).await?;
    // Every live instance with a member here: its primary, or a standby.
    let instances: Vec<Instance> = sqlx::query_as(
        "SELECT * FROM instances i WHERE i.state <> 'deleted' AND (i.server_id = $1 \
            OR EXISTS (SELECT FROM instance_members m WHERE m.instance_id = i.id AND m.server_id = $1)) \
         ORDER BY i.storage_gb, i.created_at, i.id",
    )
    .bind(server.id)
    .fetch_all(&mut **tx)
    .await?;
    let ids: Vec<Uuid> = instances.iter().map(|i| i.id.0).collect();
    let members: Vec<Standby> = sqlx::query_as(
        "SELECT * FROM instance_members WHERE instance_id = ANY($1) ORDER BY created_at, id",
    )
    .bind(&ids)
    .fetch_all(&mut **tx)
    .await?;
    let standbys_of = |inst: &Instance| -> Vec<Standby> {
        members
            .iter()
            .filter(|m| m.instance_id == inst.id)
            .cloned()
            .collect()
    };
    let mut plan = DrainPlan {
        server_id: server.id,
        moves: Vec::new(),
        blocked: None,
    };
    // Those with standbys hand over first; the others move after them.
    let (with_standbys, alone): (Vec<&Instance>, Vec<&Instance>) = instances
        .iter()
        .partition(|i| members.iter().any(|m| m.instance_id == i.id));
    let mut steps: Vec<(&Instance, Act)> = Vec::new();
    for inst in with_standbys.into_iter().chain(alone) {
        // A move, a copy and a switchover each stream from a running primary.
        if inst.state != InstanceState::Running {
            plan.blocked = Some(
                format!(
                    "instance {} is {:?}: start it (or delete it) before draining {}",
                    inst.name, inst.state, server.name
                )
                .to_lowercase(),
            );
            return Ok(plan);
        }
        let standbys = standbys_of(inst);
        if !standbys.is_empty() {
            match hand_over(server, inst, &standbys, &mut all) {
                Ok(s) => steps.extend(s.into_iter().map(|s| (inst, s))),
                Err(why) => {
                    plan.blocked = Some(why);
                    return Ok(plan);
                }
            }
            continue;
        }
        let need = Need::of(inst);
        match choose(&all, &need, None, Some(server.id)) {
            Ok(at) => {
                all[at].take(&need);
                steps.push((inst, (DrainAction::Move, None, at)));
            }
            Err(why) => {
                plan.blocked = Some(format!(
                    "instance {} cannot move off {}: {why}",
                    inst.name, server.name
                ));
                return Ok(plan);
            }
        }
    }
    plan.moves = steps
        .into_iter()
        .enumerate()
        .map(|(i, (inst, (action, member_id, at)))| PlannedMove {
            position: i32::try_from(i + 1).unwrap_or(i32::MAX),
            action,
            instance_id: inst.id,
            instance_name: inst.name.clone(),
            member_id,
            target_id: all[at].server.id,
            target_name: all[at].server.name.clone(),
        })
        .collect();
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

    /// A SERVER instance with one member on each of `servers`, the primary on the first:
    /// the instance and its standbys, in `states`.
    fn ha(servers: &[&Candidate], states: &[StandbyState]) -> (Instance, Vec<Standby>) {
        let offer = crate::instance::Offer {
            local_versions: vec![15],
            ..Default::default()
        };
        let input = crate::instance::CreateInstance {
            name: "ha".to_owned(),
            ..Default::default()
        };
        let inst = Instance {
            provider: crate::instance::Provider::Server,
            server_id: Some(servers[0].server.id),
            state: InstanceState::Running,
            standbys: i32::try_from(servers.len() - 1).unwrap(),
            ..Instance::draft(&input, &offer).unwrap()
        };
        let now = chrono::Utc::now();
        let standbys = servers[1..]
            .iter()
            .zip(states)
            .enumerate()
            .map(|(i, (c, state))| Standby {
                id: Uuid::now_v7(),
                instance_id: inst.id,
                server_id: Some(c.server.id),
                resource_name: format!("tg-00000000000{i}"),
                port: Some(5433),
                host: Some("127.0.0.2".to_owned()),
                state: *state,
                rebuild: false,
                lag_bytes: Some(i64::try_from(i).unwrap()),
                replay_lag_ms: None,
                checked_at: None,
                created_at: now,
                updated_at: now,
            })
            .collect();
        (inst, standbys)
    }

    #[test]
    fn a_primary_switches_over_to_a_standby_elsewhere_then_its_old_copy_is_relocated() {
        let mut c = vec![
            server("a", 4096, 100),
            server("b", 4096, 100),
            server("c", 2048, 100),
            server("d", 8192, 100),
        ];
        let (inst, standbys) = ha(&[&c[0], &c[1]], &[StandbyState::Streaming]);
        let drained = c[0].server.clone();
        let steps = hand_over(&drained, &inst, &standbys, &mut c).unwrap();
        assert_eq!(
            steps,
            vec![
                (DrainAction::Switchover, Some(standbys[0].id), 1),
                (
                    DrainAction::RelocateStandby,
                    Some(inst.primary_member_id()),
                    3
                ),
            ],
            "to the standby's server, then the old primary to the roomiest server left"
        );
        assert_eq!(c[3].used_memory_mb, 512, "the relocation uses up room");

        // A standby on the drained server is relocated alone, never next to another member.
        let mut c = vec![
            server("a", 4096, 100),
            server("b", 8192, 100),
            server("c", 2048, 100),
        ];
        let (inst, standbys) = ha(&[&c[0], &c[1]], &[StandbyState::Down]);
        let drained = c[1].server.clone();
        let steps = hand_over(&drained, &inst, &standbys, &mut c).unwrap();
        assert_eq!(
            steps,
            vec![(DrainAction::RelocateStandby, Some(standbys[0].id), 2)]
        );
    }

    #[test]
    fn a_drain_without_a_streaming_standby_elsewhere_or_a_server_to_relocate_to_is_blocked() {
        let mut c = vec![
            server("a", 4096, 100),
            server("b", 4096, 100),
            server("c", 4096, 100),
        ];
        let drained = c[0].server.clone();
        let (inst, down) = ha(&[&c[0], &c[1]], &[StandbyState::Down]);
        let why = hand_over(&drained, &inst, &down, &mut c).unwrap_err();
        assert!(
            why.contains("no standby streaming on another active server"),
            "{why}"
        );

        c[1].server.state = ServerState::Draining;
        let (inst, streaming) = ha(&[&c[0], &c[1]], &[StandbyState::Streaming]);
        let why = hand_over(&drained, &inst, &streaming, &mut c).unwrap_err();
        assert!(
            why.contains("no standby streaming on another active server"),
            "{why}"
        );

        // Two servers: the old primary would have nowhere to go but next to the new one.
        let mut two = vec![server("a", 4096, 100), server("b", 4096, 100)];
        let drained = two[0].server.clone();
        let (inst, streaming) = ha(&[&two[0], &two[1]], &[StandbyState::Streaming]);
        let why = hand_over(&drained, &inst, &streaming, &mut two).unwrap_err();
        assert!(why.contains("cannot relocate its old primary"), "{why}");
        assert!(why.contains("no other server to place it on"), "{why}");

        // Two standbys on three servers: the one on the drained server has nowhere to go.
        let mut three = vec![
            server("a", 4096, 100),
            server("b", 4096, 100),
            server("c", 4096, 100),
        ];
        let (inst, standbys) = ha(
            &[&three[0], &three[1], &three[2]],
            &[StandbyState::Streaming, StandbyState::Streaming],
        );
        let drained = three[2].server.clone();
        let why = hand_over(&drained, &inst, &standbys, &mut three).unwrap_err();
        assert!(why.contains("cannot relocate its standby off c"), "{why}");
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
