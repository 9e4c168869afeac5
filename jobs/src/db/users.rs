//! Users and memberships.

use crate::user::{Membership, ProjectId, Role, User, UserId};
use crate::{Error, Result};

use super::{Db, violated_constraint};

impl Db {
    /// Create a user with an already-hashed password, and make them a member of `project`
    /// with `role` when given, in one transaction.
    pub async fn create_user(
        &self,
        email: &str,
        password_hash: &str,
        is_site_admin: bool,
        membership: Option<(ProjectId, Role)>,
    ) -> Result<User> {
        let mut tx = self.pool.begin().await?;
        let user: User = sqlx::query_as(
            "INSERT INTO users (id, email, password_hash, is_site_admin) VALUES ($1, $2, $3, $4) \
             RETURNING id, email, is_site_admin, disabled_at, created_at, session_epoch",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(email)
        .bind(password_hash)
        .bind(is_site_admin)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match violated_constraint(&e) {
            Some("users_email_key") => {
                Error::Conflict(format!("a user with email {email} already exists"))
            }
            Some("users_email_shape" | "users_email_lowercase") => {
                Error::InvalidInput("email must look like name@example.com".to_owned())
            }
            _ => e.into(),
        })?;
        if let Some((project, role)) = membership {
            sqlx::query("INSERT INTO memberships (project_id, user_id, role) VALUES ($1, $2, $3)")
                .bind(project)
                .bind(user.id)
                .bind(role)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(user)
    }

    /// How many users exist.
    pub async fn count_users(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM users")
            .fetch_one(&self.pool)
            .await?)
    }

    /// A user and their password hash, by email, for login.
    pub async fn user_for_login(&self, email: &str) -> Result<Option<(User, String)>> {
        let row: Option<LoginRow> = sqlx::query_as(
            "SELECT id, email, is_site_admin, disabled_at, created_at, session_epoch, password_hash FROM users WHERE email = $1",
        )
        .bind(email)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| (r.user, r.password_hash)))
    }

    /// A user by id.
    pub async fn user(&self, id: UserId) -> Result<User> {
        sqlx::query_as(
            "SELECT id, email, is_site_admin, disabled_at, created_at, session_epoch FROM users WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(Error::NotFound { kind: "user" })
    }

    /// A user's roles, one per project they belong to.
    pub async fn memberships(&self, user: UserId) -> Result<Vec<Membership>> {
        Ok(sqlx::query_as(
            "SELECT m.project_id, p.name AS project_name, m.role \
             FROM memberships m JOIN projects p ON p.id = m.project_id \
             WHERE m.user_id = $1 ORDER BY p.name",
        )
        .bind(user)
        .fetch_all(&self.pool)
        .await?)
    }
}

#[derive(sqlx::FromRow)]
struct LoginRow {
    #[sqlx(flatten)]
    user: User,
    password_hash: String,
}
