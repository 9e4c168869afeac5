//! The caller a request acts for, API tokens, and bearer values.

use chrono::{DateTime, TimeZone as _, Utc};
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use jobs::db::Db;
use jobs::user::{Membership, ProjectId, Role, UserId};

use super::identities::{Identities, Identity};
use super::{AuthError, Keys};

/// Who a request acts for: a verified token's user, as [`Identities`] knows them.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The user.
    pub user_id: UserId,
    /// Their email.
    pub email: String,
    /// Whether they manage the whole installation.
    pub is_site_admin: bool,
    /// Their role in each project they belong to.
    pub memberships: Vec<Membership>,
    /// When their token expires; a subscription ends then.
    pub expires_at: DateTime<Utc>,
    /// The API token the request came with, when it was one (the user is its maker, the
    /// memberships its one project and role).
    pub token_id: Option<Uuid>,
}

impl Caller {
    /// Verify `token` (a JWT, or an API token `tgt_…`) and load who it acts for. Disabled and
    /// deleted users are refused, and so are revoked and expired API tokens.
    /// The user and their memberships come from `identities`.
    pub async fn from_token(
        keys: &Keys,
        db: &Db,
        identities: &Identities,
        token: &str,
    ) -> Result<Self, AuthError> {
        if token.starts_with(API_TOKEN_PREFIX) {
            return Self::from_api_token(db, identities, token).await;
        }
        let claims = keys.verify_fresh(db, token).await?;
        let identity = identity(db, identities, UserId(claims.sub)).await?;
        let user = &identity.user;
        if claims.sep != user.session_epoch {
            return Err(AuthError::Revoked);
        }
        Ok(Self {
            user_id: user.id,
            email: user.email.clone(),
            is_site_admin: user.is_site_admin,
            memberships: identity.memberships.clone(),
            expires_at: Utc
                .timestamp_opt(claims.exp, 0)
                .single()
                .unwrap_or_else(Utc::now),
            token_id: None,
        })
    }

    async fn from_api_token(
        db: &Db,
        identities: &Identities,
        secret: &str,
    ) -> Result<Self, AuthError> {
        let hash: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        let token = db
            .use_api_token(&hash)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        let maker = token.created_by.ok_or(AuthError::UserGone)?;
        // A token grants no more than its maker still has in its project.
        let identity = identity(db, identities, maker).await?;
        let membership = identity
            .memberships
            .iter()
            .find(|m| m.project_id == token.project_id)
            .cloned();
        let held = if identity.user.is_site_admin {
            Some(Role::Admin)
        } else {
            membership.as_ref().map(|m| m.role)
        };
        if held.is_none_or(|role| role < token.role) {
            return Err(AuthError::Revoked);
        }
        // The membership names the project; a site admin's token may be for a project they
        // are not a member of.
        let project_name = match membership {
            Some(m) => m.project_name,
            None => db.project(token.project_id).await?.name,
        };
        Ok(Self {
            user_id: maker,
            email: format!("API token {}", token.name),
            is_site_admin: false,
            memberships: vec![Membership {
                project_id: token.project_id,
                project_name,
                role: token.role,
            }],
            // A token without expiry still ends subscriptions after a day; clients reconnect.
            expires_at: token
                .expires_at
                .unwrap_or_else(|| Utc::now() + chrono::Duration::days(1)),
            token_id: Some(token.id),
        })
    }

    /// Whether a change of access (a user's or a token's) concerns this caller.
    pub fn is_affected_by(&self, change: &jobs::events::AccessChange) -> bool {
        change.user_id == Some(self.user_id)
            || (change.token_id.is_some() && change.token_id == self.token_id)
    }

    /// The caller's role in `project`; site admins act as admins everywhere.
    pub fn role_in(&self, project: ProjectId) -> Option<Role> {
        if self.is_site_admin {
            return Some(Role::Admin);
        }
        self.memberships
            .iter()
            .find(|m| m.project_id == project)
            .map(|m| m.role)
    }

    /// The projects whose resources the caller may see.
    pub fn visible_projects(&self) -> Vec<ProjectId> {
        self.memberships.iter().map(|m| m.project_id).collect()
    }

    /// Whether the caller may see resources of `project`.
    pub fn can_see(&self, project: ProjectId) -> bool {
        self.role_in(project).is_some()
    }
}

/// A user who may act: neither deleted nor disabled.
async fn identity(
    db: &Db,
    identities: &Identities,
    id: UserId,
) -> Result<std::sync::Arc<Identity>, AuthError> {
    match identities.get(db, id).await {
        Ok(identity) if identity.user.disabled_at.is_none() => Ok(identity),
        Ok(_) | Err(jobs::Error::NotFound { .. }) => Err(AuthError::UserGone),
        Err(e) => Err(e.into()),
    }
}

/// How API tokens begin, which tells them from JWTs.
pub const API_TOKEN_PREFIX: &str = "tgt_";

/// A new API token's secret: the prefix and 32 random bytes, base64url; and its SHA-256,
/// which alone is stored.
pub fn new_api_token() -> (String, [u8; 32]) {
    use base64::Engine as _;
    let bytes: [u8; 32] = rand::random();
    let secret = format!(
        "{API_TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let hash = Sha256::digest(secret.as_bytes()).into();
    (secret, hash)
}

/// The token in an `Authorization: Bearer <token>` value.
pub fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}
