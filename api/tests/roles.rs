//! The role matrix, over the whole schema: every mutation the schema has (read by
//! introspection, so a new one cannot be left out) is tried by an anonymous caller, a viewer,
//! an operator, a project admin and a site admin. Below the mutation's role it is refused
//! (`UNAUTHENTICATED`, `FORBIDDEN` or `NOT_FOUND`) and nothing changes; at or above it, the
//! role is not what stops it. A viewer over the WebSocket is refused too.

mod common;

use std::collections::BTreeMap;

use common::{Options, PASSWORD, error_code, recv, send, start};
use jobs::user::{DEFAULT_PROJECT_ID, Role};
use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// Who may call a mutation, least first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Need {
    Anyone,
    User,
    Operator,
    ProjectAdmin,
    SiteAdmin,
}

/// Every mutation and the least role that may call it. The test fails when the schema has a
/// mutation this table does not name, or names one the schema lacks.
fn matrix() -> BTreeMap<&'static str, Need> {
    use Need::*;
    BTreeMap::from([
        ("login", Anyone),
        ("changePassword", User),
        ("createProject", User),
        ("createInstance", Operator),
        ("deleteInstance", Operator),
        ("stopInstance", Operator),
        ("startInstance", Operator),
        ("restartInstance", Operator),
        ("runReadOnlyQuery", Operator),
        ("runSystemCheck", Operator),
        ("createBackup", Operator),
        ("setBackupPolicy", Operator),
        ("restoreInstance", Operator),
        ("runRestoreDrill", Operator),
        ("setRestoreDrillPolicy", Operator),
        ("provisionServer", Operator),
        ("registerServer", Operator),
        ("moveInstance", Operator),
        ("addStandby", Operator),
        ("removeStandby", Operator),
        ("relocateStandby", Operator),
        ("switchover", Operator),
        ("failover", Operator),
        ("drainServer", Operator),
        ("removeServer", Operator),
        ("scaleCluster", Operator),
        ("renameProject", ProjectAdmin),
        ("deleteProject", ProjectAdmin),
        ("setMemberRole", ProjectAdmin),
        ("removeMember", ProjectAdmin),
        ("createApiToken", ProjectAdmin),
        ("revokeApiToken", ProjectAdmin),
        ("refreshPlans", SiteAdmin),
        ("setProjectQuota", SiteAdmin),
        ("createUser", SiteAdmin),
        ("disableUser", SiteAdmin),
        ("enableUser", SiteAdmin),
        ("deleteUser", SiteAdmin),
        ("resetPassword", SiteAdmin),
        ("rotateSigningKey", SiteAdmin),
        ("revokeSigningKey", SiteAdmin),
        // Anyone may end their own sessions; the matrix calls it on another user.
        ("revokeSessions", SiteAdmin),
    ])
}

const INTROSPECT: &str =
    "{ __schema { mutationType { fields { name args { name type { ...T } } } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";
const INPUT_TYPE: &str = "query($n: String!) { __type(name: $n) { kind enumValues { name } inputFields { name type { ...T } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";

/// The ids of things the calls act on, all in the default project.
struct Fixtures {
    instance: String,
    server: String,
    token: String,
    victim: String,
    project: String,
}

/// A value for an argument of `mutation`, from its name and type.
async fn value(
    s: &common::Server,
    token: &str,
    f: &Fixtures,
    mutation: &str,
    name: &str,
    ty: &Value,
    n: usize,
) -> Value {
    // Unwrap NON_NULL and LIST.
    let mut t = ty;
    let mut list = false;
    while t["kind"] == "NON_NULL" || t["kind"] == "LIST" {
        list |= t["kind"] == "LIST";
        t = &t["ofType"];
    }
    let named = t["name"].as_str().unwrap();
    let v = match (t["kind"].as_str().unwrap(), named, name) {
        ("SCALAR", "ID", "id") => json!(match mutation {
            m if m.ends_with("Server") => &f.server,
            m if m.ends_with("Project") => &f.project,
            m if m.ends_with("User") => &f.victim,
            "revokeApiToken" => &f.token,
            _ => &f.instance,
        }),
        ("SCALAR", "ID", "instanceId" | "sourceInstanceId") => json!(f.instance),
        ("SCALAR", "ID", "serverId") => json!(f.server),
        // The instance's primary, whose member id is the instance's until it hands over.
        ("SCALAR", "ID", "memberId" | "toMemberId") => json!(f.instance),
        ("SCALAR", "ID", "projectId") => json!(f.project),
        ("SCALAR", "ID", "userId") => json!(f.victim),
        ("SCALAR", "String", "email") if mutation == "login" => json!("victim@example.com"),
        ("SCALAR", "String", "email") => json!(format!("user{n}@example.com")),
        ("SCALAR", "String", p) if p.to_lowercase().contains("password") => json!(PASSWORD),
        ("SCALAR", "String", "sql") => json!("SELECT 1"),
        ("SCALAR", "String", "plan") => json!("cx22"),
        ("SCALAR", "String", "region") => json!("fsn1"),
        ("SCALAR", "String", _) => json!(format!("x{n}")),
        ("SCALAR", "Int", _) => json!(1),
        ("SCALAR", "Boolean", _) => json!(false),
        ("ENUM", _, _) => {
            let (_, body) = s.gql(Some(token), INPUT_TYPE, json!({"n": named})).await;
            body["data"]["__type"]["enumValues"][0]["name"].clone()
        }
        ("INPUT_OBJECT", _, _) => {
            let (_, body) = s.gql(Some(token), INPUT_TYPE, json!({"n": named})).await;
            let mut obj = serde_json::Map::new();
            for field in body["data"]["__type"]["inputFields"].as_array().unwrap() {
                if field["type"]["kind"] == "NON_NULL" {
                    let fname = field["name"].as_str().unwrap();
                    let v = Box::pin(value(s, token, f, mutation, fname, &field["type"], n)).await;
                    obj.insert(fname.to_owned(), v);
                }
            }
            Value::Object(obj)
        }
        other => panic!("no value for {mutation}({name}: {other:?})"),
    };
    if list { json!([v]) } else { v }
}

async fn counts(s: &common::Server) -> Value {
    sqlx::query_scalar(
        "SELECT json_build_object( \
            'instances', (SELECT count(*) FROM instances), \
            'instance_states', (SELECT string_agg(state::text, ',' ORDER BY id) FROM instances), \
            'operations', (SELECT count(*) FROM operations), \
            'servers', (SELECT string_agg(state::text, ',' ORDER BY id) FROM servers), \
            'projects', (SELECT string_agg(name, ',' ORDER BY id) FROM projects), \
            'members', (SELECT string_agg(user_id::text || role::text, ',' ORDER BY user_id, project_id) FROM memberships), \
            'users', (SELECT string_agg(email || coalesce(disabled_at::text, '') || password_hash, ',' ORDER BY id) FROM users), \
            'tokens', (SELECT string_agg(name || coalesce(revoked_at::text, ''), ',' ORDER BY id) FROM api_tokens), \
            'keys', (SELECT count(*) FROM signing_keys), \
            'quotas', (SELECT count(*) FROM project_quotas))",
    )
    .fetch_one(s.db.pool())
    .await
    .unwrap()
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn every_mutation_is_refused_below_its_role_and_allowed_at_it(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let site_admin = s.token(s.users.admin);
    let hash = jobs::user::hash_password(PASSWORD).await.unwrap();
    let padmin =
        s.db.create_user(
            "padmin@example.com",
            &hash,
            false,
            Some((DEFAULT_PROJECT_ID, Role::Admin)),
        )
        .await
        .unwrap()
        .id;
    let victim =
        s.db.create_user(
            "victim@example.com",
            &hash,
            false,
            Some((DEFAULT_PROJECT_ID, Role::Viewer)),
        )
        .await
        .unwrap()
        .id;

    // Something of each kind to act on.
    let (_, body) = s
        .gql(
            Some(&site_admin),
            "mutation { createInstance(input: {name: \"target\"}) { instance { id } } }",
            json!({}),
        )
        .await;
    let instance = body["data"]["createInstance"]["instance"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for sql in [
        "UPDATE operations SET status = 'succeeded', finished_at = now()",
        "UPDATE instances SET state = 'running', host = '127.0.0.1', port = 1",
    ] {
        sqlx::query(sql).execute(s.db.pool()).await.unwrap();
    }
    let server = testkit::record_server(&s.db, DEFAULT_PROJECT_ID, "target")
        .await
        .unwrap()
        .id
        .0
        .to_string();
    let default = DEFAULT_PROJECT_ID.0.to_string();
    let (_, body) = s
        .gql(Some(&site_admin), "mutation($p: ID!) { createApiToken(projectId: $p, name: \"target\", role: VIEWER) { token { id } } }", json!({"p": default}))
        .await;
    let token = body["data"]["createApiToken"]["token"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let fixtures = Fixtures {
        instance,
        server,
        token,
        victim: victim.to_string(),
        project: default,
    };

    let (_, body) = s.gql(Some(&site_admin), INTROSPECT, json!({})).await;
    let fields = body["data"]["__schema"]["mutationType"]["fields"]
        .as_array()
        .unwrap()
        .clone();
    let names: Vec<&str> = fields.iter().map(|f| f["name"].as_str().unwrap()).collect();
    let matrix = matrix();
    assert_eq!(
        names
            .iter()
            .copied()
            .collect::<std::collections::BTreeSet<_>>(),
        matrix.keys().copied().collect(),
        "the matrix names every mutation"
    );

    let callers = [
        (Need::Anyone, None),
        (Need::User, Some(s.token(s.users.viewer))),
        (Need::Operator, Some(s.token(s.users.operator))),
        (Need::ProjectAdmin, Some(s.token(padmin))),
        (Need::SiteAdmin, Some(site_admin.clone())),
    ];
    // Each call as a document with its arguments inline as variables.
    let mut calls = Vec::new();
    for (n, field) in fields.iter().enumerate() {
        let name = field["name"].as_str().unwrap();
        let mut decls = Vec::new();
        let mut uses = Vec::new();
        let mut vars = serde_json::Map::new();
        for arg in field["args"].as_array().unwrap() {
            if arg["type"]["kind"] != "NON_NULL" {
                continue;
            }
            let aname = arg["name"].as_str().unwrap();
            decls.push(format!("${aname}: {}", type_ref(&arg["type"])));
            uses.push(format!("{aname}: ${aname}"));
            vars.insert(
                aname.to_owned(),
                value(&s, &site_admin, &fixtures, name, aname, &arg["type"], n).await,
            );
        }
        let decl = if decls.is_empty() {
            String::new()
        } else {
            format!("({})", decls.join(", "))
        };
        let args = if uses.is_empty() {
            String::new()
        } else {
            format!("({})", uses.join(", "))
        };
        let selection = if field_is_scalar(&s, &site_admin, name).await {
            ""
        } else {
            " { __typename }"
        };
        calls.push((
            name.to_owned(),
            format!("mutation{decl} {{ {name}{args}{selection} }}"),
            Value::Object(vars),
        ));
    }

    // Below the role: refused, and nothing changes.
    let before = counts(&s).await;
    for (name, doc, vars) in &calls {
        let need = matrix[name.as_str()];
        for (role, token) in callers.iter().filter(|(r, _)| *r < need) {
            let (_, body) = s.gql(token.as_deref(), doc, vars.clone()).await;
            let code = error_code(&body);
            let expected: &[&str] = if token.is_none() {
                &["UNAUTHENTICATED"]
            } else {
                &["FORBIDDEN", "NOT_FOUND"]
            };
            assert!(
                expected.contains(&code),
                "{name} as {role:?} was not refused: {body}"
            );
        }
    }
    assert_eq!(counts(&s).await, before, "refused calls changed nothing");

    // Over the WebSocket, a viewer's mutation is refused the same way.
    let viewer = s.token(s.users.viewer);
    let mut ws = s.ws_as(&viewer).await;
    send(&mut ws, json!({"id": "1", "type": "subscribe", "payload": {"query": "mutation { createInstance(input: {name: \"ws\"}) { instance { id } } }"}})).await;
    let reply = recv(&mut ws).await;
    assert_eq!(
        reply["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{reply}"
    );

    // At or above the role: the role is not what stops it. What takes a fixture away (the
    // user logging in, say) goes last, and what ends the callers' own sessions (a new
    // password) after everything else.
    calls.sort_by_key(|(name, _, _)| match name.as_str() {
        "disableUser" | "deleteUser" | "deleteProject" => 1,
        "revokeSessions" => 2,
        "changePassword" => 3,
        _ => 0,
    });
    for (name, doc, vars) in &calls {
        let need = matrix[name.as_str()];
        for (role, token) in callers.iter().filter(|(r, _)| *r >= need) {
            let (_, body) = s.gql(token.as_deref(), doc, vars.clone()).await;
            let code = body["errors"][0]["extensions"]["code"]
                .as_str()
                .unwrap_or("");
            assert!(
                !["FORBIDDEN", "UNAUTHENTICATED"].contains(&code),
                "{name} as {role:?} was refused: {body}"
            );
        }
    }
}

/// The GraphQL spelling of an introspected type reference.
fn type_ref(t: &Value) -> String {
    match t["kind"].as_str().unwrap() {
        "NON_NULL" => format!("{}!", type_ref(&t["ofType"])),
        "LIST" => format!("[{}]", type_ref(&t["ofType"])),
        _ => t["name"].as_str().unwrap().to_owned(),
    }
}

/// Whether mutation `name` returns a scalar (no selection set).
async fn field_is_scalar(s: &common::Server, token: &str, name: &str) -> bool {
    let (_, body) = s
        .gql(Some(token), "{ __schema { mutationType { fields { name type { kind ofType { kind ofType { kind ofType { kind } } } } } } } }", json!({}))
        .await;
    let field = body["data"]["__schema"]["mutationType"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap()
        .clone();
    let mut t = &field["type"];
    while t["kind"] == "NON_NULL" || t["kind"] == "LIST" {
        t = &t["ofType"];
    }
    ["SCALAR", "ENUM"].contains(&t["kind"].as_str().unwrap_or(""))
}
