//! Operations: the user-visible record of one durable job.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::user::{ProjectId, UserId};

/// An operation's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(transparent)]
#[serde(transparent)]
pub struct OperationId(pub Uuid);

impl std::fmt::Display for OperationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Where an operation is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "operation_status", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum OperationStatus {
    /// Waiting for a worker (first run, or a retry after a failure).
    Queued,
    /// A worker is on it, or it is waiting on something outside between steps.
    Running,
    /// Finished as asked.
    Succeeded,
    /// Gave up; `error` says why.
    Failed,
    /// Stopped on request before finishing.
    Cancelled,
}

impl OperationStatus {
    /// Whether nothing more will happen to the operation.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }
}

/// What an operation acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "operation_target", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    /// A Postgres instance.
    Instance,
    /// A fleet server.
    Server,
    /// The fleet as a whole (scaling).
    Cluster,
    /// Toygres itself (diagnostics, housekeeping).
    System,
}

/// One operation, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Operation {
    /// Its id, also the root of its jobs' ids.
    pub id: OperationId,
    /// The project it belongs to.
    pub project_id: ProjectId,
    /// The workflow, such as `system_check`.
    pub kind: String,
    /// What it acts on.
    pub target_kind: TargetKind,
    /// The id of what it acts on, unless global.
    pub target_id: Option<Uuid>,
    /// Where it is in its life.
    pub status: OperationStatus,
    /// The workflow's current step.
    pub step: String,
    /// Tries of the current run so far.
    pub attempts: i32,
    /// Tries allowed before it fails.
    pub max_attempts: i32,
    /// The last failure, user-facing and free of secrets.
    pub error: Option<String>,
    /// The workflow's parameters.
    pub input: serde_json::Value,
    /// Who asked for it.
    pub requested_by: Option<UserId>,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When a worker first picked it up.
    pub started_at: Option<DateTime<Utc>>,
    /// When it reached a final status.
    pub finished_at: Option<DateTime<Utc>>,
}

/// A step an operation entered, for its timeline.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct OperationStep {
    /// 1 for the first step.
    pub seq: i32,
    /// The step's name.
    pub step: String,
    /// When it was entered.
    pub entered_at: DateTime<Utc>,
}
