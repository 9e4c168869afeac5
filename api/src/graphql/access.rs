//! Projects, their members and roles, the users site admins manage, passwords, and API tokens.
//!
//! Who may do what:
//!
//! | action | who |
//! |---|---|
//! | list projects | anyone: their own (site admins: all) |
//! | create a project | any user (not an API token); they become its admin |
//! | rename or delete a project, set or remove members, create or revoke API tokens | the project's admins |
//! | list, create, disable, enable, delete users, reset passwords | site admins |
//! | see a project's quota and usage | its members |
//! | set a project's quota (`quota.rs`) | site admins |
//! | change one's own password | the user (not an API token) |

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::account::{RoleValue, UserNode};
use super::{api, caller, parse_id};
use crate::auth::Caller;
use crate::error::{OrGql as _, code, coded, forbidden, invalid};
use jobs::db::{ApiToken, Member, Project};
use jobs::user::{self, ProjectId, Role, User, UserId};

/// The longest project or token name accepted.
const MAX_NAME_LEN: usize = 100;

/// A project: a team's instances, servers and operations, and who may touch them.
pub(crate) struct ProjectNode(pub(crate) Project);

#[Object(name = "Project")]
impl ProjectNode {
    /// Its id.
    async fn id(&self) -> ID {
        ID(self.0.id.0.to_string())
    }
    /// Its name, unique.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The caller's role here (site admins: `ADMIN` everywhere).
    async fn my_role(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<RoleValue>> {
        let me = caller(ctx)?;
        if let Some(role) = me.role_in(self.0.id) {
            return Ok(Some(role.into()));
        }
        // A membership made by this very request (a project just created).
        if me.token_id.is_some() {
            return Ok(None);
        }
        let members = api(ctx)?.db.members(self.0.id).await.or_gql()?;
        Ok(members
            .into_iter()
            .find(|m| m.user_id == me.user_id)
            .map(|m| m.role.into()))
    }
    /// The limits on what it may hold: its own, set by a site admin, or the installation's.
    async fn quota(&self, ctx: &Context<'_>) -> async_graphql::Result<super::quota::QuotaNode> {
        let quota = api(ctx)?.db.project_quota(self.0.id).await.or_gql()?;
        Ok(quota.into())
    }
    /// What it holds, as its quota counts it.
    async fn usage(&self, ctx: &Context<'_>) -> async_graphql::Result<super::quota::UsageNode> {
        let usage = api(ctx)?.db.project_usage(self.0.id).await.or_gql()?;
        Ok(usage.into())
    }
    /// Its members and their roles.
    async fn members(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<MemberNode>> {
        caller(ctx)?;
        Ok(api(ctx)?
            .db
            .members(self.0.id)
            .await
            .or_gql()?
            .into_iter()
            .map(MemberNode::from)
            .collect())
    }
    /// Its API tokens, newest first, revoked ones included; never their secrets. Admins only.
    async fn api_tokens(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ApiTokenNode>> {
        admin_of(caller(ctx)?, self.0.id, "list API tokens")?;
        Ok(api(ctx)?
            .db
            .api_tokens(self.0.id)
            .await
            .or_gql()?
            .into_iter()
            .map(ApiTokenNode)
            .collect())
    }
}

/// A member of a project.
#[derive(SimpleObject)]
#[graphql(name = "Member")]
pub(crate) struct MemberNode {
    /// The user's id.
    user_id: ID,
    /// Their email.
    email: String,
    /// Their role in the project.
    role: RoleValue,
    /// Whether they are disabled.
    disabled: bool,
    /// Since when they are a member.
    since: DateTime<Utc>,
}

impl From<Member> for MemberNode {
    fn from(m: Member) -> Self {
        Self {
            user_id: ID(m.user_id.to_string()),
            email: m.email,
            role: m.role.into(),
            disabled: m.disabled_at.is_some(),
            since: m.created_at,
        }
    }
}

/// A named, project-scoped credential for programs, sent as `Authorization: Bearer <secret>`.
pub(crate) struct ApiTokenNode(ApiToken);

#[Object(name = "ApiToken")]
impl ApiTokenNode {
    /// Its id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The project it acts in.
    async fn project_id(&self) -> ID {
        ID(self.0.project_id.0.to_string())
    }
    /// Its name, unique in the project.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What it may do in the project.
    async fn role(&self) -> RoleValue {
        self.0.role.into()
    }
    /// When it was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it stops working, if ever.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }
    /// When it was revoked.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
    /// When it last authenticated a request.
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }
    /// Whether it works now: not revoked and not expired.
    async fn active(&self) -> bool {
        self.0.revoked_at.is_none() && self.0.expires_at.is_none_or(|at| at > Utc::now())
    }
}

/// A key that signs or verifies access tokens, without its material.
#[derive(SimpleObject)]
#[graphql(name = "SigningKey")]
pub(crate) struct SigningKeyNode {
    /// The key id, in each token's header (`kid`).
    kid: String,
    /// The JWT algorithm.
    algorithm: String,
    /// `active` signs and verifies; `retiring` verifies the tokens it signed until
    /// `retireAfter`; `retired` does neither.
    state: String,
    /// When it was made.
    created_at: Option<DateTime<Utc>>,
    /// When a retiring key stops verifying.
    retire_after: Option<DateTime<Utc>>,
    /// Whether it comes from the configuration (`TOYGRES_JWT_SECRET`) rather than the database.
    configured: bool,
}

impl From<jobs::db::KeyInfo> for SigningKeyNode {
    fn from(k: jobs::db::KeyInfo) -> Self {
        Self {
            kid: k.kid,
            algorithm: k.algorithm,
            state: k.state,
            created_at: Some(k.created_at),
            retire_after: k.retire_after,
            configured: false,
        }
    }
}

/// What `createApiToken` returns: the token, and its secret, shown this once.
#[derive(SimpleObject)]
pub(crate) struct CreateApiTokenPayload {
    /// The token.
    token: ApiTokenNode,
    /// The secret to send as `Authorization: Bearer <secret>`. Only a hash is kept: it
    /// cannot be shown again.
    secret: String,
}

/// A user as the API shows them, with their role in each project.
async fn user_node(db: &jobs::db::Db, u: User) -> async_graphql::Result<UserNode> {
    let roles = db
        .memberships(u.id)
        .await
        .or_gql()?
        .iter()
        .map(super::account::ProjectRole::from)
        .collect();
    Ok(UserNode {
        id: ID(u.id.to_string()),
        email: u.email,
        is_site_admin: u.is_site_admin,
        disabled: u.disabled_at.is_some(),
        roles,
    })
}

/// `FORBIDDEN` unless the caller is an admin of `project`; `NOT_FOUND` if they are not in it.
fn admin_of(me: &Caller, project: ProjectId, what: &str) -> async_graphql::Result<()> {
    match me.role_in(project) {
        Some(Role::Admin) => Ok(()),
        Some(_) => Err(forbidden(what)),
        None => Err(coded(code::NOT_FOUND, "project not found")),
    }
}

/// `FORBIDDEN` unless the caller is a site admin.
pub(crate) fn site_admin(me: &Caller, what: &str) -> async_graphql::Result<()> {
    if me.is_site_admin && me.token_id.is_none() {
        Ok(())
    } else {
        Err(coded(
            code::FORBIDDEN,
            format!("only site admins may {what}"),
        ))
    }
}

/// `FORBIDDEN` for API tokens: what only a person may do.
fn person(me: &Caller, what: &str) -> async_graphql::Result<()> {
    match me.token_id {
        None => Ok(()),
        Some(_) => Err(coded(code::FORBIDDEN, format!("API tokens may not {what}"))),
    }
}

/// The project whose members the caller manages: its admins, in person.
fn member_manager(ctx: &Context<'_>, project_id: &ID) -> async_graphql::Result<ProjectId> {
    let project = self::project_id(project_id)?;
    let me = caller(ctx)?;
    admin_of(me, project, "manage members")?;
    person(me, "manage members")?;
    Ok(project)
}

async fn members_of(
    db: &jobs::db::Db,
    project: ProjectId,
) -> async_graphql::Result<Vec<MemberNode>> {
    Ok(db
        .members(project)
        .await
        .or_gql()?
        .into_iter()
        .map(MemberNode::from)
        .collect())
}

pub(crate) fn project_id(id: &ID) -> async_graphql::Result<ProjectId> {
    Ok(ProjectId(parse_id(id, "project")?))
}

fn user_id(id: &ID) -> async_graphql::Result<UserId> {
    Ok(UserId(parse_id(id, "user")?))
}

fn check_name(what: &str, name: &str) -> async_graphql::Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN || name.chars().any(char::is_control)
    {
        return Err(invalid(format!(
            "{what} must be 1 to {MAX_NAME_LEN} printable characters"
        )));
    }
    Ok(name.to_owned())
}

#[derive(Default)]
pub(crate) struct AccessQuery;

#[Object]
impl AccessQuery {
    /// The caller's projects (site admins: every project), by name.
    async fn projects(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ProjectNode>> {
        let me = caller(ctx)?;
        let all = api(ctx)?.db.all_projects().await.or_gql()?;
        Ok(all
            .into_iter()
            .filter(|p| me.can_see(p.id))
            .map(ProjectNode)
            .collect())
    }

    /// One project, if the caller is in it.
    async fn project(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<ProjectNode>> {
        let me = caller(ctx)?;
        let id = project_id(&id)?;
        if !me.can_see(id) {
            return Ok(None);
        }
        match api(ctx)?.db.project(id).await {
            Ok(p) => Ok(Some(ProjectNode(p))),
            Err(jobs::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(crate::error::from_jobs(e)),
        }
    }

    /// The keys that sign and verify access tokens, newest first, without their material
    /// (site admins).
    async fn signing_keys(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<SigningKeyNode>> {
        site_admin(caller(ctx)?, "list signing keys")?;
        let api = api(ctx)?;
        if !api.keys.rotates() {
            return Ok(vec![SigningKeyNode {
                kid: api.keys.signing_kid(),
                algorithm: "HS256".into(),
                state: "active".into(),
                created_at: None,
                retire_after: None,
                configured: true,
            }]);
        }
        Ok(api
            .db
            .signing_keys()
            .await
            .or_gql()?
            .into_iter()
            .map(SigningKeyNode::from)
            .collect())
    }

    /// Every user, by email (site admins).
    async fn users(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<UserNode>> {
        site_admin(caller(ctx)?, "list users")?;
        let db = &api(ctx)?.db;
        let mut out = Vec::new();
        for u in db.users().await.or_gql()? {
            out.push(user_node(db, u).await?);
        }
        Ok(out)
    }
}

#[derive(Default)]
pub(crate) struct AccessMutation;

#[Object]
impl AccessMutation {
    /// Create a project; the caller becomes its admin.
    async fn create_project(
        &self,
        ctx: &Context<'_>,
        name: String,
    ) -> async_graphql::Result<ProjectNode> {
        let me = caller(ctx)?;
        person(me, "create projects")?;
        let name = check_name("a project name", &name)?;
        let project = api(ctx)?
            .db
            .create_project(&name, me.user_id)
            .await
            .or_gql()?;
        Ok(ProjectNode(project))
    }

    /// Rename a project (its admins).
    async fn rename_project(
        &self,
        ctx: &Context<'_>,
        id: ID,
        name: String,
    ) -> async_graphql::Result<ProjectNode> {
        let id = project_id(&id)?;
        admin_of(caller(ctx)?, id, "rename this project")?;
        let name = check_name("a project name", &name)?;
        Ok(ProjectNode(
            api(ctx)?.db.rename_project(id, &name).await.or_gql()?,
        ))
    }

    /// Delete a project (its admins). Refused, with `CONFLICT`, while it still holds
    /// instances or servers; its history goes with it.
    async fn delete_project(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ID> {
        let project = project_id(&id)?;
        admin_of(caller(ctx)?, project, "delete this project")?;
        api(ctx)?.db.delete_project(project).await.or_gql()?;
        Ok(id)
    }

    /// Add a user to a project with a role, or change their role (the project's admins). A
    /// project keeps at least one admin.
    async fn set_member_role(
        &self,
        ctx: &Context<'_>,
        project_id: ID,
        user_id: ID,
        role: RoleValue,
    ) -> async_graphql::Result<Vec<MemberNode>> {
        let project = member_manager(ctx, &project_id)?;
        let db = &api(ctx)?.db;
        db.set_member_role(project, self::user_id(&user_id)?, Role::from(role))
            .await
            .or_gql()?;
        members_of(db, project).await
    }

    /// Remove a user from a project (the project's admins). A project keeps at least one admin.
    async fn remove_member(
        &self,
        ctx: &Context<'_>,
        project_id: ID,
        user_id: ID,
    ) -> async_graphql::Result<Vec<MemberNode>> {
        let project = member_manager(ctx, &project_id)?;
        let db = &api(ctx)?.db;
        db.remove_member(project, self::user_id(&user_id)?)
            .await
            .or_gql()?;
        members_of(db, project).await
    }

    /// Create a user (site admins). They belong to no project until a project admin adds them.
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
        #[graphql(default = false)] site_admin: bool,
    ) -> async_graphql::Result<UserNode> {
        self::site_admin(caller(ctx)?, "create users")?;
        let email = user::normalize_email(&email).or_gql()?;
        user::check_password_strength(&password).or_gql()?;
        let hash = user::hash_password(&password).await.or_gql()?;
        let created = api(ctx)?
            .db
            .create_user(&email, &hash, site_admin, None)
            .await
            .or_gql()?;
        user_node(&api(ctx)?.db, created).await
    }

    /// Disable a user (site admins): their tokens, API tokens they made and open
    /// subscriptions stop working at once.
    async fn disable_user(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<UserNode> {
        let me = caller(ctx)?;
        site_admin(me, "disable users")?;
        let id = user_id(&id)?;
        if id == me.user_id {
            return Err(invalid("you cannot disable yourself"));
        }
        let db = &api(ctx)?.db;
        user_node(db, db.set_user_disabled(id, true).await.or_gql()?).await
    }

    /// End every session of a user (site admins; anyone for themselves): their access tokens
    /// are refused from now on and their open subscriptions close. They log in again.
    async fn revoke_sessions(&self, ctx: &Context<'_>, user_id: ID) -> async_graphql::Result<bool> {
        let me = caller(ctx)?;
        person(me, "end sessions")?;
        let id = self::user_id(&user_id)?;
        if id != me.user_id {
            site_admin(me, "end other users' sessions")?;
        }
        api(ctx)?.db.revoke_sessions(id).await.or_gql()?;
        Ok(true)
    }

    /// Enable a disabled user again (site admins).
    async fn enable_user(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<UserNode> {
        site_admin(caller(ctx)?, "enable users")?;
        let db = &api(ctx)?.db;
        user_node(
            db,
            db.set_user_disabled(user_id(&id)?, false).await.or_gql()?,
        )
        .await
    }

    /// Delete a user (site admins). What they made stays.
    async fn delete_user(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ID> {
        let me = caller(ctx)?;
        site_admin(me, "delete users")?;
        let uid = user_id(&id)?;
        if uid == me.user_id {
            return Err(invalid("you cannot delete yourself"));
        }
        api(ctx)?.db.delete_user(uid).await.or_gql()?;
        Ok(id)
    }

    /// Set a user's password (site admins).
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        password: String,
    ) -> async_graphql::Result<bool> {
        site_admin(caller(ctx)?, "reset passwords")?;
        user::check_password_strength(&password).or_gql()?;
        let hash = user::hash_password(&password).await.or_gql()?;
        api(ctx)?
            .db
            .set_password_hash(self::user_id(&user_id)?, &hash)
            .await
            .or_gql()?;
        Ok(true)
    }

    /// Change the caller's own password, given the current one.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> async_graphql::Result<bool> {
        let me = caller(ctx)?;
        person(me, "change passwords")?;
        let db = &api(ctx)?.db;
        let hash = db.password_hash(me.user_id).await.or_gql()?;
        if !user::verify_password(&current_password, &hash).await {
            return Err(invalid("the current password is wrong"));
        }
        user::check_password_strength(&new_password).or_gql()?;
        let hash = user::hash_password(&new_password).await.or_gql()?;
        db.set_password_hash(me.user_id, &hash).await.or_gql()?;
        Ok(true)
    }

    /// Add a new signing key and sign new tokens with it, in every API process at once (site
    /// admins). Tokens signed by the previous key keep working until they expire; then it
    /// retires. Returns the new key.
    async fn rotate_signing_key(&self, ctx: &Context<'_>) -> async_graphql::Result<SigningKeyNode> {
        site_admin(caller(ctx)?, "rotate signing keys")?;
        let api = api(ctx)?;
        let kid = match api.keys.rotate(&api.db).await {
            Ok(kid) => kid,
            Err(e @ crate::auth::RotateError::Configured) => {
                return Err(coded(code::CONFLICT, e.to_string()));
            }
            Err(crate::auth::RotateError::Db(e)) => return Err(crate::error::from_jobs(e)),
            Err(crate::auth::RotateError::Other(e)) => return Err(crate::error::internal(&e)),
        };
        let keys = api.db.signing_keys().await.or_gql()?;
        let key = keys
            .into_iter()
            .find(|k| k.kid == kid)
            .ok_or_else(|| crate::error::internal(&"the new key is not stored"))?;
        Ok(key.into())
    }

    /// Stop accepting the tokens a retiring signing key signed, in every API process within
    /// a second (site admins): for a key that leaked. The active key must be rotated first.
    async fn revoke_signing_key(
        &self,
        ctx: &Context<'_>,
        kid: String,
    ) -> async_graphql::Result<SigningKeyNode> {
        site_admin(caller(ctx)?, "revoke signing keys")?;
        let api = api(ctx)?;
        api.db.revoke_signing_key(&kid).await.or_gql()?;
        api.keys
            .reload(&api.db)
            .await
            .map_err(|e| crate::error::internal(&e))?;
        tracing::warn!(kid, "signing key revoked");
        let keys = api.db.signing_keys().await.or_gql()?;
        let key = keys
            .into_iter()
            .find(|k| k.kid == kid)
            .ok_or_else(|| crate::error::internal(&"the revoked key is not stored"))?;
        Ok(key.into())
    }

    /// Create an API token for a project (its admins), with a role no higher than ADMIN and an
    /// optional expiry. Its secret is returned this once.
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        project_id: ID,
        name: String,
        role: RoleValue,
        expires_at: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<CreateApiTokenPayload> {
        let project = self::project_id(&project_id)?;
        let me = caller(ctx)?;
        admin_of(me, project, "create API tokens")?;
        person(me, "create API tokens")?;
        let name = check_name("a token name", &name)?;
        if expires_at.is_some_and(|at| at <= Utc::now()) {
            return Err(invalid("expiresAt must be in the future"));
        }
        let (secret, hash) = crate::auth::new_api_token();
        let token = api(ctx)?
            .db
            .create_api_token(
                project,
                &name,
                Role::from(role),
                expires_at,
                &hash,
                me.user_id,
            )
            .await
            .or_gql()?;
        Ok(CreateApiTokenPayload {
            token: ApiTokenNode(token),
            secret,
        })
    }

    /// Revoke an API token (its project's admins). It stops working at once, open
    /// subscriptions included.
    async fn revoke_api_token(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<ApiTokenNode> {
        let me = caller(ctx)?;
        let id = parse_id(&id, "API token")?;
        let db = &api(ctx)?.db;
        let token = match db.api_token(id).await {
            Ok(t) if me.can_see(t.project_id) => t,
            Ok(_) | Err(jobs::Error::NotFound { .. }) => {
                return Err(coded(code::NOT_FOUND, "API token not found"));
            }
            Err(e) => return Err(crate::error::from_jobs(e)),
        };
        admin_of(me, token.project_id, "revoke API tokens")?;
        Ok(ApiTokenNode(db.revoke_api_token(token.id).await.or_gql()?))
    }
}
