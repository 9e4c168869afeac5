//! The `system_check` operation: prove that the database and the job queue work, step by
//! step, through the same engine every other workflow uses.
//!
//! ```text
//! check_database → check_queue → done
//! ```

use crate::db::{Db, NewOperation};
use crate::operation::{Operation, TargetKind};
use crate::queue::{self, Queue};
use crate::user::{ProjectId, UserId};
use crate::workflow::{self, Context, Kind, Next};
use crate::{Error, Result};

/// Queue a system check in `project`.
pub async fn start(db: &Db, project: ProjectId, requested_by: Option<UserId>) -> Result<Operation> {
    workflow::start(
        db,
        NewOperation {
            project_id: project,
            kind: Kind::SystemCheck.as_str().to_owned(),
            target_kind: TargetKind::System,
            target_id: None,
            first_step: "check_database".to_owned(),
            max_attempts: Kind::SystemCheck.max_attempts(),
            input: serde_json::json!({}),
            requested_by,
        },
    )
    .await
}

/// Run the operation's current step.
pub(crate) async fn step(op: &Operation, cx: &Context) -> Result<Next> {
    match op.step.as_str() {
        "check_database" => check_database(cx).await,
        "check_queue" => check_queue(cx).await,
        other => Err(Error::InvalidInput(format!(
            "system_check has no step {other}"
        ))),
    }
}

/// The database answers and every migration is applied.
async fn check_database(cx: &Context) -> Result<Next> {
    if !cx.db.is_ready().await {
        return Err(
            anyhow::anyhow!("the database is unreachable or has pending migrations").into(),
        );
    }
    Ok(Next::Hop("check_queue"))
}

/// The queue's tables answer (this very job came through them).
async fn check_queue(cx: &Context) -> Result<Next> {
    let waiting = queue::depth(&cx.db, Queue::System).await?;
    tracing::info!(waiting, "system queue depth");
    Ok(Next::Done)
}
