//! The script workflow (`Kind::TestScript`, stored as `test_script`): a workflow whose
//! operations do what their input says, for the engine's own tests and the queue benchmark.
//! Only in builds with the `script-workflow` feature (tests reach it through
//! `testkit::script`); it lives in this crate because the registry maps every [`Kind`] to its
//! workflow exhaustively.
//!
//! A `test_script` operation's input says how each step behaves:
//! `{"noop": true}` finishes at once (for benchmarks), `{"fail_transient": n}` fails its first `n` tries transiently, `{"fail_permanent": true}`
//! fails at once, `{"nap_ms": m}` naps until `m` ms after entering step `nap`, `{"hold": "name"}` waits on its first try until
//! [`release`] is called with that name, and steps `one → two → done` are walked otherwise.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use crate::db::{Db, NewOperation};
use crate::engine;
use crate::operation::{Operation, TargetKind};
use crate::registry::{GiveUp, Table};
use crate::user::{DEFAULT_PROJECT_ID, ProjectId};
use crate::workflow::{Context, Kind, Next, steps};
use crate::{Error, Result};

static HOLDS: LazyLock<Mutex<HashMap<String, std::sync::Arc<Notify>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn hold(name: &str) -> std::sync::Arc<Notify> {
    HOLDS
        .lock()
        .expect("holds lock is never poisoned")
        .entry(name.to_owned())
        .or_default()
        .clone()
}

/// Let the step holding on `name` go on, even if it has not started waiting yet.
pub fn release(name: &str) {
    hold(name).notify_one();
}

/// Queue a `test_script` operation with `input` in the default project.
pub async fn start_script(db: &Db, input: serde_json::Value) -> Result<Operation> {
    start_script_in(db, DEFAULT_PROJECT_ID, input).await
}

/// Queue a `test_script` operation with `input` in `project`.
pub async fn start_script_in(
    db: &Db,
    project: ProjectId,
    input: serde_json::Value,
) -> Result<Operation> {
    engine::start(
        db,
        NewOperation {
            project_id: project,
            kind: Kind::TestScript,
            target_kind: TargetKind::System,
            target_id: None,
            provider: None,
            input,
            requested_by: None,
        },
    )
    .await
}

steps! {
    /// The steps of `test_script`.
    pub(crate) enum ScriptStep {
        One => "one",
        Two => "two",
        Nap => "nap",
    }
}

/// `test_script`: `one → two`, then `nap` when the input asks for one.
pub(crate) static TABLE: Table<ScriptStep> = Table {
    steps: &[ScriptStep::One, ScriptStep::Two, ScriptStep::Nap],
    run: |s, op, cx| Box::pin(script_step(s, op, cx)),
    give_up: GiveUp::NOTHING,
};

/// Do what the input says: hold, fail, finish early, or nap.
async fn script_step(step: ScriptStep, op: &Operation, cx: &Context) -> Result<Next<ScriptStep>> {
    let input = &op.input;
    if let Some(name) = input.get("hold").and_then(|h| h.as_str())
        && step == ScriptStep::One
        && op.attempts == 1
    {
        hold(name).notified().await;
    }
    if input.get("fail_permanent").and_then(|f| f.as_bool()) == Some(true) {
        return Err(Error::InvalidInput("scripted permanent failure".to_owned()));
    }
    let transient = input
        .get("fail_transient")
        .and_then(|f| f.as_i64())
        .unwrap_or(0);
    if i64::from(op.attempts) <= transient {
        return Err(anyhow::anyhow!("scripted transient failure {}", op.attempts).into());
    }
    match step {
        ScriptStep::One if input.get("noop").is_some() => Ok(Next::Done),
        ScriptStep::One => Ok(Next::Continue),
        ScriptStep::Two if input.get("nap_ms").is_some() => Ok(Next::Continue),
        ScriptStep::Two => Ok(Next::Done),
        // Naps until `nap_ms` after entering the step, then finishes.
        ScriptStep::Nap => {
            let nap =
                Duration::from_millis(input.get("nap_ms").and_then(|n| n.as_u64()).unwrap_or(0));
            let steps = cx.db.operation_steps(op.id).await?;
            let entered = steps.last().map_or(op.created_at, |s| s.entered_at);
            let elapsed = (chrono::Utc::now() - entered).to_std().unwrap_or_default();
            Ok(if elapsed < nap {
                Next::Nap(nap - elapsed)
            } else {
                Next::Continue
            })
        }
    }
}
