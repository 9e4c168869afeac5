//! The `system_check` operation: prove that the database and the job queue work, step by
//! step, through the same engine every other workflow uses.
//!
//! ```text
//! check_database → check_queue → done
//! ```

use crate::Result;
use crate::db::{Db, NewOperation};
use crate::engine;
use crate::operation::{Operation, TargetKind};
use crate::queue::{self, Queue};
use crate::registry::{GiveUp, Table};
use crate::user::{ProjectId, UserId};
use crate::workflow::{Context, Kind, Next, steps};

steps! {
    /// The steps of `system_check`.
    pub(crate) enum SystemStep {
        CheckDatabase => "check_database",
        CheckQueue => "check_queue",
    }
}

/// `system_check`: its steps, its step function; nothing to undo when it fails.
pub(crate) static TABLE: Table<SystemStep> = Table {
    steps: &[SystemStep::CheckDatabase, SystemStep::CheckQueue],
    run: |s, op, cx| Box::pin(step(s, op, cx)),
    give_up: GiveUp::NOTHING,
};

/// Queue a system check in `project`.
pub async fn start(db: &Db, project: ProjectId, requested_by: Option<UserId>) -> Result<Operation> {
    engine::start(
        db,
        NewOperation {
            project_id: project,
            kind: Kind::SystemCheck,
            target_kind: TargetKind::System,
            target_id: None,
            provider: None,
            input: serde_json::json!({}),
            requested_by,
        },
    )
    .await
}

/// Run one step.
async fn step(step: SystemStep, _op: &Operation, cx: &Context) -> Result<Next<SystemStep>> {
    match step {
        // The database answers and every migration is applied.
        SystemStep::CheckDatabase => {
            if !cx.db.is_ready().await {
                return Err(anyhow::anyhow!(
                    "the database is unreachable or has pending migrations"
                )
                .into());
            }
        }
        // The queue's tables answer (this very job came through them).
        SystemStep::CheckQueue => {
            let waiting = queue::depth(&cx.db, Queue::System).await?;
            tracing::info!(waiting, "system queue depth");
        }
    }
    Ok(Next::Continue)
}
