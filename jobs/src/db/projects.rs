//! Projects, their members, the users site admins manage, and API tokens.

use chrono::{DateTime, Utc};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::{Db, violated_constraint};
use crate::user::{DEFAULT_PROJECT_ID, ProjectId, Role, User, UserId};
use crate::{Error, Result};

/// A project.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Project {
    /// Its id.
    pub id: ProjectId,
    /// Its name, unique.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A member of a project.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Member {
    /// The user.
    pub user_id: UserId,
    /// Their email.
    pub email: String,
    /// Their role in the project.
    pub role: Role,
    /// Whether they are disabled.
    pub disabled_at: Option<DateTime<Utc>>,
    /// Since when they are a member.
    pub created_at: DateTime<Utc>,
}

/// An API token, without its secret.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ApiToken {
    /// Its id.
    pub id: Uuid,
    /// The project it acts in.
    pub project_id: ProjectId,
    /// Its name, unique in the project.
    pub name: String,
    /// What it may do there.
    pub role: Role,
    /// Who made it.
    pub created_by: Option<UserId>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it last authenticated a request.
    pub last_used_at: Option<DateTime<Utc>>,
}

fn project_name_conflict(e: sqlx::Error, name: &str) -> Error {
    match violated_constraint(&e) {
        Some("projects_name_key") => {
            Error::Conflict(format!("a project named {name:?} already exists"))
        }
        Some("projects_name_not_blank") => {
            Error::InvalidInput("a project name must not be blank".to_owned())
        }
        _ => e.into(),
    }
}

impl Db {
    /// Every project (for site admins).
    pub async fn all_projects(&self) -> Result<Vec<Project>> {
        Ok(
            sqlx::query_as("SELECT id, name, created_at FROM projects ORDER BY name")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// One project.
    pub async fn project(&self, id: ProjectId) -> Result<Project> {
        sqlx::query_as("SELECT id, name, created_at FROM projects WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(Error::NotFound { kind: "project" })
    }

    /// Create a project with `admin` as its admin, in one transaction.
    pub async fn create_project(&self, name: &str, admin: UserId) -> Result<Project> {
        let mut tx = self.pool.begin().await?;
        let project: Project = sqlx::query_as(
            "INSERT INTO projects (id, name) VALUES ($1, $2) RETURNING id, name, created_at",
        )
        .bind(Uuid::now_v7())
        .bind(name)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| project_name_conflict(e, name))?;
        sqlx::query("INSERT INTO memberships (project_id, user_id, role) VALUES ($1, $2, 'admin')")
            .bind(project.id)
            .bind(admin)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(project)
    }

    /// Rename a project.
    pub async fn rename_project(&self, id: ProjectId, name: &str) -> Result<Project> {
        sqlx::query_as("UPDATE projects SET name = $2 WHERE id = $1 RETURNING id, name, created_at")
            .bind(id)
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| project_name_conflict(e, name))?
            .ok_or(Error::NotFound { kind: "project" })
    }

    /// Delete a project, refused while it holds live instances or servers. Its history
    /// (deleted instances, removed servers, operations, events) goes with it.
    pub async fn delete_project(&self, id: ProjectId) -> Result<()> {
        if id == DEFAULT_PROJECT_ID {
            return Err(Error::Conflict(
                "the default project cannot be deleted".to_owned(),
            ));
        }
        let mut tx = self.pool.begin().await?;
        // Locks the project against new instances and servers (their foreign keys need it).
        let found: Option<Uuid> =
            sqlx::query_scalar("SELECT id FROM projects WHERE id = $1 FOR UPDATE")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        if found.is_none() {
            return Err(Error::NotFound { kind: "project" });
        }
        let (instances, servers): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM instances WHERE project_id = $1 AND state <> 'deleted'), \
                    (SELECT count(*) FROM servers WHERE project_id = $1 AND state <> 'removed')",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        if instances > 0 || servers > 0 {
            return Err(Error::Conflict(format!(
                "the project still holds {instances} instance(s) and {servers} server(s): delete them first"
            )));
        }
        purge_project(&mut tx, id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The members of a project, by email.
    pub async fn members(&self, project: ProjectId) -> Result<Vec<Member>> {
        Ok(sqlx::query_as(
            "SELECT u.id AS user_id, u.email, m.role, u.disabled_at, m.created_at \
             FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.project_id = $1 ORDER BY u.email",
        )
        .bind(project)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Make `user` a member of `project` with `role`, or change their role. Refused when it
    /// would leave the project without an admin.
    pub async fn set_member_role(
        &self,
        project: ProjectId,
        user: UserId,
        role: Role,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        lock_members(&mut tx, project).await?;
        sqlx::query(
            "INSERT INTO memberships (project_id, user_id, role) VALUES ($1, $2, $3) \
             ON CONFLICT (project_id, user_id) DO UPDATE SET role = EXCLUDED.role",
        )
        .bind(project)
        .bind(user)
        .bind(role)
        .execute(&mut *tx)
        .await
        .map_err(|e| match violated_constraint(&e) {
            Some("memberships_user_fkey") => Error::NotFound { kind: "user" },
            Some("memberships_project_fkey") => Error::NotFound { kind: "project" },
            _ => e.into(),
        })?;
        keep_an_admin(&mut tx, project).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Remove `user` from `project`. Refused when it would leave the project without an admin.
    pub async fn remove_member(&self, project: ProjectId, user: UserId) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        lock_members(&mut tx, project).await?;
        let gone = sqlx::query("DELETE FROM memberships WHERE project_id = $1 AND user_id = $2")
            .bind(project)
            .bind(user)
            .execute(&mut *tx)
            .await?;
        if gone.rows_affected() == 0 {
            return Err(Error::NotFound { kind: "member" });
        }
        keep_an_admin(&mut tx, project).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every user (for site admins), by email.
    pub async fn users(&self) -> Result<Vec<User>> {
        Ok(sqlx::query_as(
            "SELECT id, email, is_site_admin, disabled_at, created_at, session_epoch FROM users ORDER BY email",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Disable (`true`) or enable a user. Their tokens stop working at once when disabled.
    pub async fn set_user_disabled(&self, id: UserId, disabled: bool) -> Result<User> {
        sqlx::query_as(
            "UPDATE users SET disabled_at = CASE WHEN $2 THEN COALESCE(disabled_at, now()) END \
             WHERE id = $1 RETURNING id, email, is_site_admin, disabled_at, created_at, session_epoch",
        )
        .bind(id)
        .bind(disabled)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(Error::NotFound { kind: "user" })
    }

    /// Delete a user. What they made stays, no longer naming them; projects they alone
    /// administered keep working for site admins.
    pub async fn delete_user(&self, id: UserId) -> Result<()> {
        let gone = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        if gone.rows_affected() == 0 {
            return Err(Error::NotFound { kind: "user" });
        }
        Ok(())
    }

    /// Replace a user's password hash, ending their sessions.
    pub async fn set_password_hash(&self, id: UserId, hash: &str) -> Result<()> {
        let done = sqlx::query(
            "UPDATE users SET password_hash = $2, session_epoch = session_epoch + 1 WHERE id = $1",
        )
        .bind(id)
        .bind(hash)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound { kind: "user" });
        }
        Ok(())
    }

    /// End every session of user `id`: their access tokens are refused from now on.
    pub async fn revoke_sessions(&self, id: UserId) -> Result<()> {
        let done = sqlx::query("UPDATE users SET session_epoch = session_epoch + 1 WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound { kind: "user" });
        }
        Ok(())
    }

    /// A user's password hash.
    pub async fn password_hash(&self, id: UserId) -> Result<String> {
        sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(Error::NotFound { kind: "user" })
    }

    /// Record an API token by the SHA-256 of its secret.
    pub async fn create_api_token(
        &self,
        project: ProjectId,
        name: &str,
        role: Role,
        expires_at: Option<DateTime<Utc>>,
        hash: &[u8; 32],
        created_by: UserId,
    ) -> Result<ApiToken> {
        sqlx::query_as(
            "INSERT INTO api_tokens (id, project_id, name, role, token_hash, created_by, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
        )
        .bind(Uuid::now_v7())
        .bind(project)
        .bind(name)
        .bind(role)
        .bind(hash.as_slice())
        .bind(created_by)
        .bind(expires_at)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match violated_constraint(&e) {
            Some("api_tokens_project_name_key") => Error::Conflict(format!(
                "a token named {name:?} already exists in this project"
            )),
            Some("api_tokens_project_fkey") => Error::NotFound { kind: "project" },
            _ => e.into(),
        })
    }

    /// A project's API tokens, newest first, revoked ones included.
    pub async fn api_tokens(&self, project: ProjectId) -> Result<Vec<ApiToken>> {
        Ok(sqlx::query_as(
            "SELECT * FROM api_tokens WHERE project_id = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(project)
        .fetch_all(&self.pool)
        .await?)
    }

    /// One API token.
    pub async fn api_token(&self, id: Uuid) -> Result<ApiToken> {
        sqlx::query_as("SELECT * FROM api_tokens WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(Error::NotFound { kind: "API token" })
    }

    /// Revoke an API token; it stops working at once. Revoking twice is fine.
    pub async fn revoke_api_token(&self, id: Uuid) -> Result<ApiToken> {
        sqlx::query_as(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING *",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(Error::NotFound { kind: "API token" })
    }

    /// The live token whose secret hashes to `hash` (not revoked, not expired, its maker not
    /// disabled), noting that it was used.
    pub async fn use_api_token(&self, hash: &[u8; 32]) -> Result<Option<ApiToken>> {
        Ok(sqlx::query_as(
            "UPDATE api_tokens t SET last_used_at = now() \
             WHERE token_hash = $1 AND revoked_at IS NULL \
               AND (expires_at IS NULL OR expires_at > now()) \
               AND NOT EXISTS (SELECT FROM users u WHERE u.id = t.created_by AND u.disabled_at IS NOT NULL) \
             RETURNING t.*",
        )
        .bind(hash.as_slice())
        .fetch_optional(&self.pool)
        .await?)
    }
}

/// Serialize membership changes of one project.
async fn lock_members(tx: &mut Transaction<'_, Postgres>, project: ProjectId) -> Result<()> {
    let found: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM projects WHERE id = $1 FOR UPDATE")
            .bind(project)
            .fetch_optional(&mut **tx)
            .await?;
    found.map(|_| ()).ok_or(Error::NotFound { kind: "project" })
}

async fn keep_an_admin(tx: &mut Transaction<'_, Postgres>, project: ProjectId) -> Result<()> {
    let admins: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM memberships WHERE project_id = $1 AND role = 'admin'",
    )
    .bind(project)
    .fetch_one(&mut **tx)
    .await?;
    if admins == 0 {
        return Err(Error::Conflict(
            "a project must keep at least one admin: make someone else admin first".to_owned(),
        ));
    }
    Ok(())
}

/// Remove an empty project and its history.
async fn purge_project(tx: &mut Transaction<'_, Postgres>, id: ProjectId) -> Result<()> {
    for sql in [
        "DELETE FROM cluster_events WHERE project_id = $1",
        // What the backups recorded of its (deleted) instances; the repository's copies are
        // purged by the health sweep (below, their retention ends now).
        "DELETE FROM restore_drills WHERE instance_id IN (SELECT id FROM instances WHERE project_id = $1)",
        "DELETE FROM backups WHERE instance_id IN (SELECT id FROM instances WHERE project_id = $1)",
        "DELETE FROM backup_policies WHERE instance_id IN (SELECT id FROM instances WHERE project_id = $1)",
        "DELETE FROM instance_archiving WHERE instance_id IN (SELECT id FROM instances WHERE project_id = $1)",
        "DELETE FROM restore_drill_policies WHERE project_id = $1",
        // Nobody is left to restore its deleted instances: their kept backups are due now.
        "UPDATE retained_stanzas SET expires_at = now() WHERE instance_id IN (SELECT id FROM instances WHERE project_id = $1)",
        // Its instances' standbys are removed with them; their moves and switchovers are
        // history.
        "DELETE FROM instance_moves WHERE instance_id IN (SELECT id FROM instances WHERE project_id = $1)",
        "DELETE FROM drain_handovers WHERE instance_id IN (SELECT id FROM instances WHERE project_id = $1) \
            OR drain_operation_id IN (SELECT id FROM operations WHERE project_id = $1)",
        "DELETE FROM instance_members WHERE instance_id IN (SELECT id FROM instances WHERE project_id = $1)",
        "DELETE FROM instance_failovers WHERE instance_id IN (SELECT id FROM instances WHERE project_id = $1)",
        "DELETE FROM instances WHERE project_id = $1",
        "UPDATE servers SET scaling_operation_id = NULL WHERE project_id = $1",
        "DELETE FROM scaling_operations WHERE project_id = $1",
        "DELETE FROM operations WHERE project_id = $1",
        "DELETE FROM server_metrics WHERE server_id IN (SELECT id FROM servers WHERE project_id = $1)",
        "DELETE FROM servers WHERE project_id = $1",
        "DELETE FROM projects WHERE id = $1",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
