//! Projects, members, users and API tokens: who may manage them, that their rules hold, and
//! that taking access away (a disabled user, a revoked token) ends it at once, open
//! subscriptions included.

mod common;

use common::{Options, PASSWORD, close_code, error_code, send, start};
use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

const CREATE_PROJECT: &str =
    "mutation($n: String!) { createProject(name: $n) { id name myRole members { email role } } }";
const SET_ROLE: &str = "mutation($p: ID!, $u: ID!, $r: Role!) { setMemberRole(projectId: $p, userId: $u, role: $r) { email role } }";
const CREATE_TOKEN: &str = "mutation($p: ID!, $n: String!, $r: Role!, $e: DateTime) { createApiToken(projectId: $p, name: $n, role: $r, expiresAt: $e) { secret token { id name role active } } }";
const CREATE_INSTANCE: &str =
    "mutation($p: ID) { createInstance(input: {name: \"db\", projectId: $p}) { instance { id } } }";

fn data<'a>(body: &'a Value, field: &str) -> &'a Value {
    assert!(body["errors"].is_null(), "{body}");
    &body["data"][field]
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_user_creates_renames_and_deletes_a_project_of_their_own(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let viewer = s.token(s.users.viewer);
    let (_, body) = s
        .gql(Some(&viewer), CREATE_PROJECT, json!({"n": "analytics"}))
        .await;
    let project = data(&body, "createProject").clone();
    assert_eq!(project["myRole"], "ADMIN", "the creator administers it");
    assert_eq!(
        project["members"],
        json!([{"email": "viewer@example.com", "role": "ADMIN"}])
    );
    let id = project["id"].as_str().unwrap().to_owned();

    let (_, body) = s
        .gql(Some(&viewer), "{ projects { name myRole } }", json!({}))
        .await;
    assert_eq!(
        data(&body, "projects"),
        &json!([{"name": "analytics", "myRole": "ADMIN"}, {"name": "default", "myRole": "VIEWER"}])
    );
    for (name, code) in [
        ("analytics", "CONFLICT"),
        ("default", "CONFLICT"),
        ("  ", "INVALID_INPUT"),
    ] {
        let (_, body) = s
            .gql(Some(&viewer), CREATE_PROJECT, json!({"n": name}))
            .await;
        assert_eq!(error_code(&body), code, "{name:?}: {body}");
    }

    let rename = "mutation($id: ID!, $n: String!) { renameProject(id: $id, name: $n) { name } }";
    let (_, body) = s
        .gql(Some(&viewer), rename, json!({"id": id, "n": "bi"}))
        .await;
    assert_eq!(data(&body, "renameProject")["name"], "bi");
    // Outsiders cannot see it, so cannot rename it either.
    let outsider = s.token(s.users.outsider);
    let (_, body) = s
        .gql(Some(&outsider), rename, json!({"id": id, "n": "mine"}))
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body}");

    // Refused while it holds an instance, with a message that says so; fine once it is gone.
    let (_, body) = s
        .gql(Some(&viewer), CREATE_INSTANCE, json!({"p": id}))
        .await;
    let instance = data(&body, "createInstance")["instance"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let delete = "mutation($id: ID!) { deleteProject(id: $id) }";
    let (_, body) = s.gql(Some(&viewer), delete, json!({"id": id})).await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("1 instance(s)"),
        "{body}"
    );
    sqlx::query("UPDATE instances SET state = 'deleted', deleted_at = now() WHERE id = $1::uuid")
        .bind(&instance)
        .execute(s.db.pool())
        .await
        .unwrap();
    let (_, body) = s.gql(Some(&viewer), delete, json!({"id": id})).await;
    assert_eq!(data(&body, "deleteProject"), &json!(id));
    let (_, body) = s
        .gql(Some(&viewer), "{ projects { name } }", json!({}))
        .await;
    assert_eq!(data(&body, "projects"), &json!([{"name": "default"}]));

    let admin = s.token(s.users.admin);
    let default = jobs::user::DEFAULT_PROJECT_ID.0.to_string();
    let (_, body) = s.gql(Some(&admin), delete, json!({"id": default})).await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn project_admins_manage_members_and_a_project_always_keeps_an_admin(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let admin = s.token(s.users.admin);
    let default = jobs::user::DEFAULT_PROJECT_ID.0.to_string();
    let outsider = s.users.outsider.to_string();

    let (_, body) = s
        .gql(
            Some(&admin),
            SET_ROLE,
            json!({"p": default, "u": outsider, "r": "VIEWER"}),
        )
        .await;
    let members = data(&body, "setMemberRole").as_array().unwrap().clone();
    assert!(members.contains(&json!({"email": "outsider@example.com", "role": "VIEWER"})));
    // The new member sees the project, as a viewer: read, not change.
    let token = s.token(s.users.outsider);
    let (_, body) = s
        .gql(Some(&token), CREATE_INSTANCE, json!({"p": default}))
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");

    // Operators and viewers may not manage members.
    for user in [s.users.operator, s.users.viewer] {
        let (_, body) = s
            .gql(
                Some(&s.token(user)),
                SET_ROLE,
                json!({"p": default, "u": outsider, "r": "ADMIN"}),
            )
            .await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    }

    // The outsider administers their own project alone: they may not step down or leave.
    let other = s.users.other_project.0.to_string();
    let (_, body) = s
        .gql(
            Some(&token),
            SET_ROLE,
            json!({"p": other, "u": outsider, "r": "VIEWER"}),
        )
        .await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
    let remove = "mutation($p: ID!, $u: ID!) { removeMember(projectId: $p, userId: $u) { email } }";
    let (_, body) = s
        .gql(Some(&token), remove, json!({"p": other, "u": outsider}))
        .await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");

    let (_, body) = s
        .gql(Some(&admin), remove, json!({"p": default, "u": outsider}))
        .await;
    let left = data(&body, "removeMember").as_array().unwrap();
    assert!(!left.iter().any(|m| m["email"] == "outsider@example.com"));
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn site_admins_manage_users_and_a_disabled_user_is_cut_off_at_once(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let admin = s.token(s.users.admin);
    let create = "mutation($e: String!, $p: String!) { createUser(email: $e, password: $p) { id email disabled roles { role } } }";
    let (_, body) = s
        .gql(
            Some(&admin),
            create,
            json!({"e": "New@Example.com", "p": PASSWORD}),
        )
        .await;
    let user = data(&body, "createUser").clone();
    assert_eq!(user["email"], "new@example.com");
    assert_eq!(
        user["roles"],
        json!([]),
        "in no project until an admin adds them"
    );
    let (_, body) = s
        .gql(
            Some(&admin),
            create,
            json!({"e": "x@example.com", "p": "short"}),
        )
        .await;
    assert_eq!(error_code(&body), "INVALID_INPUT", "{body}");
    let operator = s.token(s.users.operator);
    let (_, body) = s
        .gql(
            Some(&operator),
            create,
            json!({"e": "y@example.com", "p": PASSWORD}),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");

    // The operator has an open subscription and a token; disabling them ends both.
    let mut ws = s.ws_as(&operator).await;
    send(&mut ws, json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { operationUpdated { id } }"}})).await;
    let id = s.users.operator.to_string();
    let (_, body) = s
        .gql(
            Some(&admin),
            "mutation($id: ID!) { disableUser(id: $id) { disabled } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(data(&body, "disableUser")["disabled"], true);
    assert_eq!(
        close_code(&mut ws).await,
        4403,
        "the open subscription is closed"
    );
    let (status, body) = s.gql(Some(&operator), "{ me { email } }", json!({})).await;
    assert_eq!(
        (status, error_code(&body)),
        (401, "UNAUTHENTICATED"),
        "{body}"
    );
    let login = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";
    let (_, body) = s
        .gql(
            None,
            login,
            json!({"e": "operator@example.com", "p": PASSWORD}),
        )
        .await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");

    // Enabled again, with a password reset by the admin, then changed by the user.
    let (_, body) = s
        .gql(
            Some(&admin),
            "mutation($id: ID!) { enableUser(id: $id) { disabled } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(data(&body, "enableUser")["disabled"], false);
    let reset = "mutation($u: ID!, $p: String!) { resetPassword(userId: $u, password: $p) }";
    let (_, body) = s
        .gql(
            Some(&admin),
            reset,
            json!({"u": id, "p": "another-long-password"}),
        )
        .await;
    assert_eq!(data(&body, "resetPassword"), true);
    let (_, body) = s
        .gql(
            None,
            login,
            json!({"e": "operator@example.com", "p": "another-long-password"}),
        )
        .await;
    let token = data(&body, "login")["token"].as_str().unwrap().to_owned();
    let change = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";
    let (_, body) = s
        .gql(
            Some(&token),
            change,
            json!({"c": "wrong-password-here", "n": "a-third-long-password"}),
        )
        .await;
    assert_eq!(error_code(&body), "INVALID_INPUT", "{body}");
    let (_, body) = s
        .gql(
            Some(&token),
            change,
            json!({"c": "another-long-password", "n": "a-third-long-password"}),
        )
        .await;
    assert_eq!(data(&body, "changePassword"), true);
    let (_, body) = s
        .gql(
            None,
            login,
            json!({"e": "operator@example.com", "p": "a-third-long-password"}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");

    let (_, body) = s
        .gql(
            Some(&admin),
            "mutation($id: ID!) { disableUser(id: $id) { id } }",
            json!({"id": s.users.admin.to_string()}),
        )
        .await;
    assert_eq!(
        error_code(&body),
        "INVALID_INPUT",
        "site admins cannot lock themselves out: {body}"
    );
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn api_tokens_act_in_their_project_with_their_role_and_revocation_ends_them_at_once(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let admin = s.token(s.users.admin);
    let default = jobs::user::DEFAULT_PROJECT_ID.0.to_string();
    let (_, body) = s
        .gql(
            Some(&admin),
            CREATE_TOKEN,
            json!({"p": default, "n": "ci", "r": "OPERATOR"}),
        )
        .await;
    let created = data(&body, "createApiToken").clone();
    let secret = created["secret"].as_str().unwrap().to_owned();
    let token_id = created["token"]["id"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("tgt_") && secret.len() > 40, "{secret}");
    assert_eq!(created["token"]["active"], true);

    // Stored hashed: the secret is nowhere in the database, and the listing has no secret.
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM api_tokens WHERE token_hash = sha256(convert_to($1, 'UTF8')) \
         AND position(convert_to($1, 'UTF8') in token_hash) = 0",
    )
    .bind(&secret)
    .fetch_one(s.db.pool())
    .await
    .unwrap();
    assert_eq!(stored, 1);
    let (_, body) = s
        .gql(
            Some(&admin),
            "query($p: ID!) { project(id: $p) { apiTokens { name role lastUsedAt } } }",
            json!({"p": default}),
        )
        .await;
    assert_eq!(
        data(&body, "project")["apiTokens"],
        json!([{"name": "ci", "role": "OPERATOR", "lastUsedAt": null}])
    );

    // It works as a bearer token, in its project, with its role.
    let (_, body) = s
        .gql(Some(&secret), CREATE_INSTANCE, json!({"p": default}))
        .await;
    assert!(
        body["errors"].is_null(),
        "an operator token creates: {body}"
    );
    let other = s.users.other_project.0.to_string();
    let (_, body) = s
        .gql(Some(&secret), CREATE_INSTANCE, json!({"p": other}))
        .await;
    assert_eq!(
        error_code(&body),
        "NOT_FOUND",
        "other projects do not exist for it: {body}"
    );
    let (_, body) = s
        .gql(
            Some(&secret),
            CREATE_TOKEN,
            json!({"p": default, "n": "x", "r": "VIEWER"}),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    let (_, body) = s.gql(Some(&secret), "{ users { id } }", json!({})).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");

    // Revoked while a subscription is open: the subscription closes, requests are refused.
    let mut ws = s.ws_as(&secret).await;
    send(&mut ws, json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { instanceUpdated { id } }"}})).await;
    let (_, body) = s
        .gql(
            Some(&admin),
            "mutation($id: ID!) { revokeApiToken(id: $id) { active revokedAt } }",
            json!({"id": token_id}),
        )
        .await;
    assert_eq!(data(&body, "revokeApiToken")["active"], false);
    assert_eq!(close_code(&mut ws).await, 4403);
    let (status, body) = s.gql(Some(&secret), "{ me { email } }", json!({})).await;
    assert_eq!(
        (status, error_code(&body)),
        (401, "UNAUTHENTICATED"),
        "{body}"
    );

    // A viewer token reads and does not change; an expired one does nothing.
    let (_, body) = s
        .gql(
            Some(&admin),
            CREATE_TOKEN,
            json!({"p": default, "n": "dash", "r": "VIEWER"}),
        )
        .await;
    let viewer = data(&body, "createApiToken")["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, body) = s
        .gql(
            Some(&viewer),
            "{ instances { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&body, "instances")["edges"].as_array().unwrap().len(),
        1
    );
    let (_, body) = s
        .gql(Some(&viewer), CREATE_INSTANCE, json!({"p": default}))
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let (_, body) = s
        .gql(
            Some(&admin),
            CREATE_TOKEN,
            json!({"p": default, "n": "brief", "r": "VIEWER", "e": soon}),
        )
        .await;
    let brief = data(&body, "createApiToken")["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    sqlx::query(
        "UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE name = 'brief'",
    )
    .execute(s.db.pool())
    .await
    .unwrap();
    let (status, _) = s.gql(Some(&brief), "{ me { email } }", json!({})).await;
    assert_eq!(status, 401);

    // Only project admins create tokens, and names are unique in a project.
    let operator = s.token(s.users.operator);
    let (_, body) = s
        .gql(
            Some(&operator),
            CREATE_TOKEN,
            json!({"p": default, "n": "mine", "r": "VIEWER"}),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    let (_, body) = s
        .gql(
            Some(&admin),
            CREATE_TOKEN,
            json!({"p": default, "n": "ci", "r": "VIEWER"}),
        )
        .await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn site_admins_see_each_users_role_in_each_project(_p: PgPoolOptions, c: PgConnectOptions) {
    let s = start(c, Options::default()).await;
    let (_, body) = s
        .gql(
            Some(&s.token(s.users.admin)),
            "{ users { email roles { projectName role } } }",
            json!({}),
        )
        .await;
    let users = body["data"]["users"].as_array().unwrap();
    let roles_of = |email: &str| -> Value {
        users
            .iter()
            .find(|u| u["email"] == email)
            .unwrap_or_else(|| panic!("{email} listed: {body}"))["roles"]
            .clone()
    };
    assert_eq!(
        roles_of("operator@example.com"),
        json!([{"projectName": "default", "role": "OPERATOR"}])
    );
    assert_eq!(
        roles_of("outsider@example.com"),
        json!([{"projectName": "other", "role": "ADMIN"}])
    );
}

const LOGIN: &str =
    "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";

async fn login(s: &common::Server, email: &str, password: &str) -> String {
    let (_, body) = s.gql(None, LOGIN, json!({"e": email, "p": password})).await;
    data(&body, "login")["token"].as_str().unwrap().to_owned()
}

async fn me_status(s: &common::Server, token: &str) -> u16 {
    s.gql(Some(token), "{ me { email } }", json!({})).await.0
}

/// A new password (set by the user or reset by an admin) and `revokeSessions` end the user's
/// tokens and open subscriptions at once; a new login works.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_new_password_or_revoked_sessions_end_every_token_and_subscription_at_once(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let admin = s.token(s.users.admin);
    let viewer_id = s.users.viewer.to_string();

    // Reset by an admin: the open subscription closes, the token is refused.
    let before = s.token(s.users.viewer);
    let mut ws = s.ws_as(&before).await;
    send(&mut ws, json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { operationUpdated { id } }"}})).await;
    let reset = "mutation($u: ID!, $p: String!) { resetPassword(userId: $u, password: $p) }";
    let new_password = "another-long-password-1";
    let (_, body) = s
        .gql(
            Some(&admin),
            reset,
            json!({"u": viewer_id, "p": new_password}),
        )
        .await;
    assert_eq!(data(&body, "resetPassword"), true);
    assert_eq!(close_code(&mut ws).await, 4403);
    assert_eq!(me_status(&s, &before).await, 401);

    // Changed by the user: the token that changed it ends too.
    let second = login(&s, "viewer@example.com", new_password).await;
    assert_eq!(me_status(&s, &second).await, 200);
    let change = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";
    let (_, body) = s
        .gql(
            Some(&second),
            change,
            json!({"c": new_password, "n": PASSWORD}),
        )
        .await;
    assert_eq!(data(&body, "changePassword"), true);
    assert_eq!(me_status(&s, &second).await, 401);

    // revokeSessions: site admins for anyone, others for themselves only.
    let third = login(&s, "viewer@example.com", PASSWORD).await;
    let revoke = "mutation($u: ID!) { revokeSessions(userId: $u) }";
    let operator = s.token(s.users.operator);
    let (_, body) = s
        .gql(Some(&operator), revoke, json!({"u": viewer_id}))
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    assert_eq!(me_status(&s, &third).await, 200);
    let mut ws = s.ws_as(&third).await;
    send(&mut ws, json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { operationUpdated { id } }"}})).await;
    let (_, body) = s.gql(Some(&admin), revoke, json!({"u": viewer_id})).await;
    assert_eq!(data(&body, "revokeSessions"), true);
    assert_eq!(close_code(&mut ws).await, 4403);
    assert_eq!(me_status(&s, &third).await, 401);
    let fourth = login(&s, "viewer@example.com", PASSWORD).await;
    let (_, body) = s.gql(Some(&fourth), revoke, json!({"u": viewer_id})).await;
    assert_eq!(data(&body, "revokeSessions"), true, "their own");
    assert_eq!(me_status(&s, &fourth).await, 401);
}

/// An API token grants no more than its maker still holds: it stops working when the maker
/// falls below the token's role or leaves the project, its open subscription included.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn an_api_token_stops_when_its_maker_falls_below_its_role_or_leaves(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let admin = s.token(s.users.admin);
    let project = jobs::user::DEFAULT_PROJECT_ID.0.to_string();
    let operator_id = s.users.operator.to_string();
    let set_role = |role: &'static str| json!({"p": project, "u": operator_id, "r": role});
    let (_, body) = s.gql(Some(&admin), SET_ROLE, set_role("ADMIN")).await;
    assert!(body["errors"].is_null(), "{body}");
    let operator = s.token(s.users.operator);
    let (_, body) = s
        .gql(
            Some(&operator),
            CREATE_TOKEN,
            json!({"p": project, "n": "ci", "r": "ADMIN", "e": null}),
        )
        .await;
    let secret = data(&body, "createApiToken")["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(me_status(&s, &secret).await, 200);
    let mut ws = s.ws_as(&secret).await;
    send(&mut ws, json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { operationUpdated { id } }"}})).await;

    // Back to operator: the admin token outranks its maker now.
    let (_, body) = s.gql(Some(&admin), SET_ROLE, set_role("OPERATOR")).await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(close_code(&mut ws).await, 4403);
    assert_eq!(me_status(&s, &secret).await, 401);
    // Admin again, it works again; removed from the project, it stops.
    let (_, body) = s.gql(Some(&admin), SET_ROLE, set_role("ADMIN")).await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(me_status(&s, &secret).await, 200);
    let (_, body) = s
        .gql(
            Some(&admin),
            "mutation($p: ID!, $u: ID!) { removeMember(projectId: $p, userId: $u) { email } }",
            json!({"p": project, "u": operator_id}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(me_status(&s, &secret).await, 401);
}

/// Connections sharing one subscription's answers are each closed when their caller's access
/// shrinks; a subscriber of another user with the same document keeps its subscription.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_reduced_caller_sharing_a_subscription_is_closed_and_others_keep_theirs(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let admin = s.token(s.users.admin);
    let follow = json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { operationUpdated { id } }"}});
    let mut sockets = Vec::new();
    for token in [
        s.token(s.users.operator),
        s.token(s.users.operator),
        admin.clone(),
    ] {
        let mut ws = s.ws_as(&token).await;
        send(&mut ws, follow.clone()).await;
        send(&mut ws, json!({"type": "ping"})).await;
        assert_eq!(common::recv(&mut ws).await["type"], "pong");
        sockets.push(ws);
    }
    let mut admins = sockets.pop().unwrap();

    let project = jobs::user::DEFAULT_PROJECT_ID.0.to_string();
    let vars = json!({"p": project, "u": s.users.operator.to_string(), "r": "VIEWER"});
    let (_, body) = s.gql(Some(&admin), SET_ROLE, vars).await;
    assert!(body["errors"].is_null(), "{body}");
    for ws in &mut sockets {
        assert_eq!(close_code(ws).await, 4403);
    }

    let (_, body) = s
        .gql(
            Some(&admin),
            "mutation { runSystemCheck { id } }",
            json!({}),
        )
        .await;
    let id = data(&body, "runSystemCheck")["id"].clone();
    let msg = common::recv(&mut admins).await;
    assert_eq!(
        msg["payload"]["data"]["operationUpdated"]["id"], id,
        "{msg}"
    );
}
