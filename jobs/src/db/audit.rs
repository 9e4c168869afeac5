//! The audit log: one row per mutation.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Db, Page};
use crate::Result;
use crate::user::{ProjectId, UserId};

/// What a mutation was and how it ended, as recorded.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AuditEntry {
    /// Its id (time-ordered).
    pub id: Uuid,
    /// When.
    pub at: DateTime<Utc>,
    /// The user, or the maker of the API token.
    pub actor_user_id: Option<UserId>,
    /// Who, in words: an email, or `API token <name>`.
    pub actor: String,
    /// The API token, when one was used.
    pub token_id: Option<Uuid>,
    /// The project it concerned, when known.
    pub project_id: Option<ProjectId>,
    /// The mutation.
    pub action: String,
    /// What it acted on, when known.
    pub target_id: Option<Uuid>,
    /// Its arguments, secrets removed.
    pub arguments: serde_json::Value,
    /// The client's address.
    pub source_ip: Option<String>,
    /// The client's `User-Agent`.
    pub user_agent: Option<String>,
    /// `succeeded` or `failed`.
    pub outcome: String,
    /// The error's `extensions.code`, when it failed.
    pub error_code: Option<String>,
    /// The error's message, when it failed.
    pub error_message: Option<String>,
}

/// An entry to record; the project is found from the target when not given.
#[derive(Clone, Debug)]
pub struct NewAuditEntry {
    /// See [`AuditEntry`].
    pub actor_user_id: Option<UserId>,
    /// See [`AuditEntry`].
    pub actor: String,
    /// See [`AuditEntry`].
    pub token_id: Option<Uuid>,
    /// The project named in the arguments, if any.
    pub project_id: Option<ProjectId>,
    /// See [`AuditEntry`].
    pub action: String,
    /// See [`AuditEntry`].
    pub target_id: Option<Uuid>,
    /// See [`AuditEntry`].
    pub arguments: serde_json::Value,
    /// See [`AuditEntry`].
    pub source_ip: Option<String>,
    /// See [`AuditEntry`].
    pub user_agent: Option<String>,
    /// The error's code and message, when it failed.
    pub error: Option<(String, String)>,
}

impl Db {
    /// Record one mutation. Its project is the one named, or the target's (an instance, a
    /// server, an operation, an API token, or a project itself).
    /// Delete audit entries older than `keep`, at most 10,000 at a time (the next sweep
    /// takes the rest); how many went.
    pub async fn prune_audit(&self, keep: std::time::Duration) -> Result<u64> {
        let keep = chrono::Duration::from_std(keep).unwrap_or(chrono::Duration::MAX);
        let before = Utc::now()
            .checked_sub_signed(keep)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        Ok(sqlx::query(
            "DELETE FROM audit_log WHERE id IN \
                 (SELECT id FROM audit_log WHERE at < $1 ORDER BY at LIMIT 10000)",
        )
        .bind(before)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    pub async fn record_audit(&self, e: &NewAuditEntry) -> Result<()> {
        let (code, message) = match &e.error {
            Some((c, m)) => (Some(c.as_str()), Some(m.as_str())),
            None => (None, None),
        };
        sqlx::query(
            "INSERT INTO audit_log (id, actor_user_id, actor, token_id, project_id, action, target_id, \
                 arguments, source_ip, user_agent, outcome, error_code, error_message) \
             VALUES ($1, $2, $3, $4, COALESCE($5, \
                 (SELECT project_id FROM instances WHERE id = $7 OR primary_member_id = $7 LIMIT 1), \
                 (SELECT i.project_id FROM instance_members m JOIN instances i ON i.id = m.instance_id \
                   WHERE m.id = $7), \
                 (SELECT project_id FROM servers WHERE id = $7), \
                 (SELECT project_id FROM operations WHERE id = $7), \
                 (SELECT project_id FROM api_tokens WHERE id = $7), \
                 (SELECT id FROM projects WHERE id = $7)), \
                 $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(Uuid::now_v7())
        .bind(e.actor_user_id)
        .bind(&e.actor)
        .bind(e.token_id)
        .bind(e.project_id)
        .bind(&e.action)
        .bind(e.target_id)
        .bind(&e.arguments)
        .bind(&e.source_ip)
        .bind(&e.user_agent)
        .bind(if e.error.is_some() { "failed" } else { "succeeded" })
        .bind(code)
        .bind(message)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Entries of `projects` (and, with `everything`, of no project too), newest first.
    pub async fn audit_log(
        &self,
        projects: &[ProjectId],
        everything: bool,
        after: Option<Uuid>,
        first: i64,
    ) -> Result<Page<AuditEntry>> {
        let projects: Vec<Uuid> = projects.iter().map(|p| p.0).collect();
        let items = sqlx::query_as(
            "SELECT * FROM audit_log \
             WHERE ($1 OR project_id = ANY($2)) AND ($3::uuid IS NULL OR id < $3) \
             ORDER BY id DESC LIMIT $4",
        )
        .bind(everything)
        .bind(&projects)
        .bind(after)
        .bind(first + 1)
        .fetch_all(&self.pool)
        .await?;
        Ok(Page::of(items, first))
    }
}
