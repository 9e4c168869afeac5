//! Logging in, and who the caller is.

use std::net::IpAddr;
use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{Origin, api, caller};
use crate::auth::LoginThrottle;
use crate::error::{OrGql as _, code, coded, internal, rate_limited};
use jobs::user::{self, Membership, Role};

/// A role in a project.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(name = "Role")]
pub(crate) enum RoleValue {
    /// Everything an operator may, plus managing members.
    Admin,
    /// Create, change and delete resources.
    Operator,
    /// Read only.
    Viewer,
}

impl From<RoleValue> for Role {
    fn from(role: RoleValue) -> Self {
        match role {
            RoleValue::Admin => Self::Admin,
            RoleValue::Operator => Self::Operator,
            RoleValue::Viewer => Self::Viewer,
        }
    }
}

impl From<Role> for RoleValue {
    fn from(role: Role) -> Self {
        match role {
            Role::Admin => Self::Admin,
            Role::Operator => Self::Operator,
            Role::Viewer => Self::Viewer,
        }
    }
}

/// A user's role in one project.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct ProjectRole {
    /// The project's id.
    pub project_id: ID,
    /// The project's name.
    pub project_name: String,
    /// The role there.
    pub role: RoleValue,
}

impl From<&Membership> for ProjectRole {
    fn from(m: &Membership) -> Self {
        Self {
            project_id: ID(m.project_id.0.to_string()),
            project_name: m.project_name.clone(),
            role: m.role.into(),
        }
    }
}

/// Someone who logs in.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "User")]
pub(crate) struct UserNode {
    /// The user's id.
    pub id: ID,
    /// Their email address.
    pub email: String,
    /// Whether they manage the whole installation.
    pub is_site_admin: bool,
    /// Whether they are disabled (and may not log in).
    pub disabled: bool,
    /// Their role in each project they belong to.
    pub roles: Vec<ProjectRole>,
}

/// What `login` returns.
#[derive(SimpleObject)]
pub(crate) struct LoginPayload {
    /// A bearer token for `Authorization: Bearer <token>` and for `connection_init`.
    pub token: String,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
    /// Who logged in.
    pub user: UserNode,
}

#[derive(Default)]
pub(crate) struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The caller.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<UserNode> {
        let me = caller(ctx)?;
        Ok(UserNode {
            id: ID(me.user_id.to_string()),
            email: me.email.clone(),
            is_site_admin: me.is_site_admin,
            disabled: false,
            roles: me.memberships.iter().map(ProjectRole::from).collect(),
        })
    }
}

#[derive(Default)]
pub(crate) struct AccountMutation;

/// A hash to verify against when the email is unknown, so that a wrong email and a wrong
/// password take the same time.
const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$1oWeYR1ma1l3sl2pNzRpiDnmYFMjs3zsQWHz3U9ZFw8";

#[Object]
impl AccountMutation {
    /// Exchange an email and password for a token. Needs no token. At most one `login` per
    /// request; failed logins are limited per account and per client address
    /// (`RATE_LIMITED`, with `extensions.retryAfterSeconds`).
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> async_graphql::Result<LoginPayload> {
        let api = api(ctx)?;
        let throttle = ctx.data::<Arc<LoginThrottle>>()?;
        let refused = || coded(code::UNAUTHENTICATED, "invalid email or password");
        let Ok(email) = user::normalize_email(&email) else {
            return Err(refused());
        };
        let address = ctx
            .data_opt::<Origin>()
            .and_then(|o| o.ip.as_deref())
            .and_then(|ip| ip.parse::<IpAddr>().ok());
        let attempt = throttle
            .begin(&email, address)
            .map_err(|wait| rate_limited("too many failed logins", wait))?;
        let found = api.db.user_for_login(&email).await.or_gql()?;
        let (user, hash) = match found {
            Some((user, hash)) => (Some(user), hash),
            None => (None, DECOY_HASH.to_owned()),
        };
        let ok = user::verify_password(&password, &hash).await;
        let user = match user {
            Some(user) if ok && user.disabled_at.is_none() => user,
            _ => return Err(refused()),
        };
        throttle.succeeded(attempt);
        let memberships = api.db.memberships(user.id).await.or_gql()?;
        let (token, expires_at) = api
            .keys
            .issue(user.id, user.session_epoch)
            .map_err(|e| internal(&e))?;
        tracing::info!(user = %user.id, "user logged in");
        Ok(LoginPayload {
            token,
            expires_at,
            user: UserNode {
                id: ID(user.id.to_string()),
                email: user.email,
                is_site_admin: user.is_site_admin,
                disabled: false,
                roles: memberships.iter().map(ProjectRole::from).collect(),
            },
        })
    }
}
