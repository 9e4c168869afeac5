//! GraphQL over HTTP against a real server: auth, media types, status codes, limits, roles.

mod common;

use std::time::Duration;

use common::{Options, PASSWORD, error_code, start};
use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

const LOGIN: &str = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token expiresAt user { id email isSiteAdmin roles { projectName role } } } }";

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn login_returns_a_token_that_me_accepts(_p: PgPoolOptions, c: PgConnectOptions) {
    let s = start(c, Options::default()).await;
    let (status, body) = s
        .gql(
            None,
            LOGIN,
            json!({"e": "Admin@Example.com", "p": PASSWORD}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let login = &body["data"]["login"];
    assert_eq!(login["user"]["email"], "admin@example.com");
    assert_eq!(
        login["user"]["roles"],
        json!([{"projectName": "default", "role": "ADMIN"}])
    );
    let token = login["token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::HS256);
    assert!(header.kid.is_some());

    let (status, body) = s
        .gql(Some(token), "{ me { id email isSiteAdmin } }", json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["me"]["email"], "admin@example.com");
    assert_eq!(body["data"]["me"]["isSiteAdmin"], true);
    assert_eq!(body["data"]["me"]["id"], login["user"]["id"]);
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_wrong_password_and_an_unknown_email_are_refused_alike(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let (s1, wrong_password) = s
        .gql(
            None,
            LOGIN,
            json!({"e": "admin@example.com", "p": "not-the-password"}),
        )
        .await;
    let (s2, unknown_email) = s
        .gql(
            None,
            LOGIN,
            json!({"e": "nobody@example.com", "p": PASSWORD}),
        )
        .await;
    assert_eq!((s1, s2), (401, 401));
    assert_eq!(
        wrong_password["errors"][0]["message"],
        unknown_email["errors"][0]["message"]
    );
    assert_eq!(error_code(&wrong_password), "UNAUTHENTICATED");
    assert!(
        !wrong_password.to_string().contains("not-the-password"),
        "the password is not echoed"
    );
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_request_without_a_token_is_refused_with_401(_p: PgPoolOptions, c: PgConnectOptions) {
    let s = start(c, Options::default()).await;
    let (status, body) = s.gql(None, "{ me { id } }", json!({})).await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    let (status, body) = s
        .gql(None, "mutation { runSystemCheck { id } }", json!({}))
        .await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_bad_token_is_refused_with_401(_p: PgPoolOptions, c: PgConnectOptions) {
    let s = start(c, Options::default()).await;
    let foreign = api::Keys::from_secret(
        b"some-other-secret-some-other-secret",
        Duration::from_secs(60),
    )
    .unwrap()
    .issue(s.users.admin, 0)
    .unwrap()
    .0;
    for token in ["garbage", "a.b.c", foreign.as_str()] {
        let (status, body) = s.gql(Some(token), "{ me { id } }", json!({})).await;
        assert_eq!(status, 401, "{token}");
        assert_eq!(error_code(&body), "UNAUTHENTICATED");
    }
    let resp = s
        .post_raw(
            &[
                ("content-type", "application/json"),
                ("authorization", "Basic Zm9vOmJhcg=="),
            ],
            r#"{"query":"{ me { id } }"}"#,
        )
        .await;
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
}

/// The user is disabled by another process (here, straight in the database): this one, which
/// keeps the user in memory, hears of it from the change's notification and refuses the token
/// within a second.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_token_stops_working_once_its_user_is_disabled_elsewhere(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let token = s.token(s.users.operator);
    assert_eq!(s.gql(Some(&token), "{ me { id } }", json!({})).await.0, 200);
    assert_eq!(s.gql(Some(&token), "{ me { id } }", json!({})).await.0, 200);
    sqlx::query("UPDATE users SET disabled_at = now() WHERE id = $1")
        .bind(s.users.operator)
        .execute(s.db.pool())
        .await
        .unwrap();
    let disabled = tokio::time::Instant::now();
    while s.gql(Some(&token), "{ me { id } }", json!({})).await.0 != 401 {
        assert!(
            disabled.elapsed() < std::time::Duration::from_secs(1),
            "a disabled user's token still works"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn json_clients_get_application_json_and_200_even_for_invalid_queries(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let token = s.token(s.users.admin);
    let auth = format!("Bearer {token}");
    for (accept, query) in [
        ("application/json", "{ me { id "),
        ("application/json", "{ me { noSuchField } }"),
        ("*/*", "{ me { noSuchField } }"),
    ] {
        let resp = s
            .post_raw(
                &[
                    ("content-type", "application/json"),
                    ("accept", accept),
                    ("authorization", &auth),
                ],
                json!({"query": query}).to_string(),
            )
            .await;
        assert_eq!(resp.status(), 200, "{accept} {query}");
        assert_eq!(resp.headers()["content-type"], "application/json");
        let body: Value = resp.json().await.unwrap();
        assert!(body["errors"].as_array().is_some_and(|e| !e.is_empty()));
    }
    // No Accept header at all: a legacy client, answered in application/json.
    let resp = s
        .post_raw(
            &[
                ("content-type", "application/json"),
                ("authorization", &auth),
            ],
            r#"{"query":"{ me { id } }"}"#,
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn graphql_response_clients_get_400_without_data_for_requests_that_cannot_run(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let auth = format!("Bearer {}", s.token(s.users.admin));
    let headers = [
        ("content-type", "application/json"),
        ("accept", "application/graphql-response+json"),
        ("authorization", auth.as_str()),
    ];
    for query in [
        "{ me { id ",
        "{ me { noSuchField } }",
        "query A { me { id } } query A { me { id } }",
    ] {
        let resp = s
            .post_raw(&headers, json!({"query": query}).to_string())
            .await;
        assert_eq!(resp.status(), 400, "{query}");
        assert_eq!(
            resp.headers()["content-type"],
            "application/graphql-response+json"
        );
        let body: Value = resp.json().await.unwrap();
        assert!(body.get("data").is_none(), "no data entry: {body}");
        assert!(!body["errors"].as_array().unwrap().is_empty());
    }
    let resp = s
        .post_raw(&headers, r#"{"query":"{ me { email } }"}"#)
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        "application/graphql-response+json"
    );
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn malformed_requests_get_the_matching_http_status(_p: PgPoolOptions, c: PgConnectOptions) {
    let s = start(c, Options::default()).await;
    let json_ct = ("content-type", "application/json");
    assert_eq!(
        s.post_raw(
            &[json_ct, ("accept", "text/html")],
            r#"{"query":"{ me { id } }"}"#
        )
        .await
        .status(),
        406
    );
    assert_eq!(
        s.post_raw(&[("content-type", "text/plain")], "{ me { id } }")
            .await
            .status(),
        415
    );
    assert_eq!(s.post_raw(&[json_ct], "{not json").await.status(), 400);
    assert_eq!(
        s.post_raw(&[json_ct], r#"{"no_query": true}"#)
            .await
            .status(),
        400
    );
    let huge =
        json!({"query": format!("{{ me {{ id }} }} #{}", "x".repeat(100 * 1024))}).to_string();
    assert_eq!(s.post_raw(&[json_ct], huge).await.status(), 413);
    let resp = s.http.get(s.url()).send().await.unwrap();
    assert_eq!(resp.status(), 405);
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn queries_past_the_depth_limit_are_refused(_p: PgPoolOptions, c: PgConnectOptions) {
    let s = start(c, Options::default()).await;
    let token = s.token(s.users.admin);
    // Depth built with introspection types, in an ordinary query (it selects `me` too), so
    // the ordinary limit applies.
    let mut deep = String::from("name");
    for _ in 0..api::MAX_DEPTH + 2 {
        deep = format!("ofType {{ {deep} }}");
    }
    let query = format!("{{ me {{ email }} __type(name: \"Operation\") {{ {deep} }} }}");
    let (_, body) = s.gql(Some(&token), &query, json!({})).await;
    let msg = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("nested too deep"), "{body}");
    assert_eq!(body["data"], Value::Null, "{body}");
    // Introspection alone has limits of its own: deeper still, or lists in lists in lists in
    // lists, is refused too.
    for _ in 0..20 {
        deep = format!("ofType {{ {deep} }}");
    }
    let too_deep = format!("{{ __type(name: \"Operation\") {{ {deep} }} }}");
    let multiplied = "{ __schema { types { fields { type { fields { args { name } } } } } } }";
    for query in [too_deep.as_str(), multiplied] {
        let (_, body) = s.gql(Some(&token), query, json!({})).await;
        let msg = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(msg.contains("nested too deep"), "{body}");
    }
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn introspection_nine_type_references_deep_answers_a_signed_in_caller(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    // The shape graphql-js's getIntrospectionQuery() writes (the dashboard's browser tests
    // send its exact text): nine `ofType`s, past the ordinary depth limit.
    let type_ref = (0..9).fold(String::from("kind name"), |inner, _| {
        format!("kind name ofType {{ {inner} }}")
    });
    let query = format!(
        "query IntrospectionQuery {{ __schema {{ queryType {{ name }} mutationType {{ name }} \
         subscriptionType {{ name }} types {{ ...FullType }} directives {{ name locations \
         args {{ ...InputValue }} }} }} }}
         fragment FullType on __Type {{ kind name fields(includeDeprecated: true) {{ name \
         args {{ ...InputValue }} type {{ ...TypeRef }} isDeprecated }} inputFields \
         {{ ...InputValue }} interfaces {{ ...TypeRef }} enumValues(includeDeprecated: true) \
         {{ name }} possibleTypes {{ ...TypeRef }} }}
         fragment InputValue on __InputValue {{ name type {{ ...TypeRef }} defaultValue }}
         fragment TypeRef on __Type {{ {type_ref} }}"
    );
    let token = s.token(s.users.viewer);
    let (status, body) = s.gql(Some(&token), &query, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    let types = body["data"]["__schema"]["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "Instance"), "{body}");
    let (_, anonymous) = s.gql(None, &query, json!({})).await;
    assert_eq!(anonymous["data"], Value::Null, "{anonymous}");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn pages_are_capped(_p: PgPoolOptions, c: PgConnectOptions) {
    let s = start(c, Options::default()).await;
    let token = s.token(s.users.admin);
    let (_, body) = s
        .gql(
            Some(&token),
            "{ operations(first: 1000) { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "INVALID_INPUT", "{body}");
    let (_, body) = s
        .gql(
            Some(&token),
            "{ operations(first: 100) { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn introspection_and_suggestions_are_withheld_from_strangers(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let (_, anonymous) = s
        .gql(None, "{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(anonymous["data"]["__schema"], Value::Null, "{anonymous}");
    let token = s.token(s.users.viewer);
    let (_, member) = s
        .gql(
            Some(&token),
            "{ __schema { queryType { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(member["data"]["__schema"]["queryType"]["name"], "QueryRoot");
    let (_, typo) = s.gql(Some(&token), "{ mee { id } }", json!({})).await;
    let msg = typo["errors"][0]["message"].as_str().unwrap();
    assert!(!msg.contains("Did you mean"), "{msg}");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_viewer_may_not_start_operations_and_an_operator_may(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let (_, body) = s
        .gql(
            Some(&s.token(s.users.viewer)),
            "mutation { runSystemCheck { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    let (_, body) = s
        .gql(
            Some(&s.token(s.users.operator)),
            "mutation { runSystemCheck { id status } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["runSystemCheck"]["status"], "QUEUED", "{body}");
    let (ops,): (i64,) = sqlx::query_as("SELECT count(*) FROM operations")
        .fetch_one(s.db.pool())
        .await
        .unwrap();
    assert_eq!(ops, 1, "the refused request recorded nothing");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn operations_are_visible_only_inside_the_callers_projects(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let (_, body) = s
        .gql(
            Some(&s.token(s.users.admin)),
            "mutation { runSystemCheck { id } }",
            json!({}),
        )
        .await;
    let id = body["data"]["runSystemCheck"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let outsider = s.token(s.users.outsider);
    let (_, body) = s
        .gql(
            Some(&outsider),
            "query($id: ID!) { operation(id: $id) { id } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(body["data"]["operation"], Value::Null);
    let (_, body) = s
        .gql(
            Some(&outsider),
            "{ operations { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["operations"]["edges"], json!([]));
    let (_, body) = s
        .gql(Some(&outsider), "mutation { runSystemCheck(projectId: \"00000000-0000-0000-0000-000000000001\") { id } }", json!({}))
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND");
    let (_, body) = s
        .gql(
            Some(&s.token(s.users.viewer)),
            "{ operations { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["operations"]["edges"][0]["node"]["id"],
        id.as_str()
    );
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn bad_ids_and_missing_operations_are_told_apart(_p: PgPoolOptions, c: PgConnectOptions) {
    let s = start(c, Options::default()).await;
    let token = s.token(s.users.admin);
    let q = "query($id: ID!) { operation(id: $id) { id } }";
    let (_, body) = s.gql(Some(&token), q, json!({"id": "not-a-uuid"})).await;
    assert_eq!(error_code(&body), "INVALID_INPUT");
    let (_, body) = s
        .gql(Some(&token), q, json!({"id": uuid::Uuid::now_v7()}))
        .await;
    assert_eq!(body["data"]["operation"], Value::Null);
    assert!(body.get("errors").is_none());
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_system_check_can_be_followed_to_success_by_query(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(
        c,
        Options {
            workers: true,
            ..Options::default()
        },
    )
    .await;
    let token = s.token(s.users.operator);
    let (_, body) = s
        .gql(
            Some(&token),
            "mutation { runSystemCheck { id status } }",
            json!({}),
        )
        .await;
    let id = body["data"]["runSystemCheck"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let op = s
        .wait_operation_final(&token, &id, "step attempts steps { seq step }")
        .await;
    assert_eq!(op["status"], "SUCCEEDED");
    assert_eq!(op["attempts"], 1);
    assert_eq!(
        op["steps"],
        json!([{"seq": 1, "step": "check_database"}, {"seq": 2, "step": "check_queue"}])
    );
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn health_probes_answer_without_a_token(_p: PgPoolOptions, c: PgConnectOptions) {
    let s = start(c, Options::default()).await;
    let healthz = s
        .http
        .get(format!("http://{}/healthz", s.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(healthz.status(), 200);
    let readyz = s
        .http
        .get(format!("http://{}/readyz", s.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(readyz.status(), 200);
    sqlx::query(
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT max(version) FROM _sqlx_migrations)",
    )
    .execute(s.db.pool())
    .await
    .unwrap();
    let readyz = s
        .http
        .get(format!("http://{}/readyz", s.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(readyz.status(), 503, "a pending migration means not ready");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn the_dashboard_is_served_with_client_routes_falling_back_to_index(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let get = |path: &str| s.http.get(format!("http://{}{path}", s.addr)).send();
    let root = get("/").await.unwrap();
    assert_eq!(root.status(), 200);
    assert_eq!(root.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(root.headers()["cache-control"], "no-cache");
    let index = root.text().await.unwrap();
    let route = get("/instances/some-id").await.unwrap();
    assert_eq!(
        route.status(),
        200,
        "a client-side route reloads into the app"
    );
    assert_eq!(route.text().await.unwrap(), index);
    assert_eq!(get("/no-such-file.js").await.unwrap().status(), 404);
}

/// The dashboard and the playground carry a Content-Security-Policy that allows scripts and
/// connections from their own origin only (the WebSocket included) and no framing, and
/// their pages hold no inline script that the policy would block.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn the_dashboard_is_served_with_a_content_security_policy_and_no_framing(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    for (path, accept) in [
        ("/", "text/html"),
        ("/instances/some-id", "text/html"),
        ("/playground", "text/html"),
        ("/graphql", "text/html"),
    ] {
        let resp = s
            .http
            .get(format!("http://{}{path}", s.addr))
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let headers = resp.headers().clone();
        let csp = headers["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
        for wanted in [
            "default-src 'self'",
            "script-src 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
        ] {
            assert!(
                directives.contains(&wanted),
                "{path}: {wanted} not in {csp}"
            );
        }
        let connect = directives
            .iter()
            .find(|d| d.starts_with("connect-src "))
            .unwrap();
        assert_eq!(
            *connect,
            format!("connect-src 'self' ws://{0} wss://{0}", s.addr),
            "{path}"
        );
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        let page = resp.text().await.unwrap();
        for tag in page.split("<script").skip(1) {
            let open = &tag[..tag.find('>').unwrap()];
            assert!(
                open.contains("src="),
                "{path} has an inline script: <script{open}>"
            );
        }
    }
    // A Host header that is not a plain host never reaches the policy.
    let resp = s
        .http
        .get(format!("http://{}/", s.addr))
        .header("host", "evil.example; script-src *")
        .send()
        .await
        .unwrap();
    let csp = resp.headers()["content-security-policy"].to_str().unwrap();
    assert!(!csp.contains("evil"), "{csp}");
    assert!(csp.contains("connect-src 'self';"), "{csp}");
}

/// Our telemetry at `/metrics`, in the Prometheus text format, read by the reference parser
/// (Python's `prometheus_client`).
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn telemetry_is_exposed_in_a_format_a_real_parser_reads(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(
        c,
        Options {
            workers: true,
            ..Options::default()
        },
    )
    .await;
    let token = s.token(s.users.operator);
    let (_, body) = s
        .gql(
            Some(&token),
            "mutation Check { runSystemCheck { id } }",
            json!({}),
        )
        .await;
    let id = body["data"]["runSystemCheck"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let op = s.wait_operation_final(&token, &id, "").await;
    assert_eq!(op["status"], "SUCCEEDED");
    let resp = s
        .http
        .get(format!("http://{}/metrics", s.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = resp.text().await.unwrap();
    let file = std::env::temp_dir().join(format!("toygres-telemetry-{}.txt", uuid::Uuid::new_v4()));
    std::fs::write(&file, &text).unwrap();
    let parsed = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import json, sys\n\
             from prometheus_client.parser import text_string_to_metric_families as parse\n\
             samples = [s for f in parse(open(sys.argv[1]).read()) for s in f.samples]\n\
             print(json.dumps([[s.name, s.labels, s.value] for s in samples]))",
        )
        .arg(&file)
        .output()
        .expect("python3 with prometheus_client (scripts/install-deps.sh --test installs it)");
    std::fs::remove_file(&file).unwrap();
    assert!(
        parsed.status.success(),
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    let samples: Vec<(String, std::collections::HashMap<String, String>, f64)> =
        serde_json::from_slice(&parsed.stdout).unwrap();
    let has = |name: &str, label: (&str, &str)| {
        samples
            .iter()
            .any(|(n, l, _)| n == name && l.get(label.0).map(String::as_str) == Some(label.1))
    };
    assert!(
        has("toygres_http_requests_total", ("route", "/graphql")),
        "{text}"
    );
    assert!(has(
        "toygres_http_request_duration_seconds_bucket",
        ("route", "/graphql")
    ));
    assert!(has(
        "toygres_graphql_operations_total",
        ("operation", "runSystemCheck")
    ));
    assert!(
        has("toygres_job_runs_total", ("kind", "system_check")),
        "{text}"
    );
    assert!(has("toygres_queue_depth", ("queue", "deploy")));
    assert!(has("toygres_db_pool_connections", ("state", "idle")));
    assert!(
        samples
            .iter()
            .any(|(n, _, _)| n == "toygres_graphql_active_subscriptions")
    );
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn telemetry_behind_a_token_refuses_everyone_else(_p: PgPoolOptions, c: PgConnectOptions) {
    let s = start(
        c,
        Options {
            telemetry_token: Some("scrape-me-please".into()),
            ..Options::default()
        },
    )
    .await;
    let url = format!("http://{}/metrics", s.addr);
    assert_eq!(s.http.get(&url).send().await.unwrap().status(), 401);
    assert_eq!(
        s.http
            .get(&url)
            .bearer_auth("wrong-token-here")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        s.http
            .get(&url)
            .bearer_auth("scrape-me-please")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn browsers_get_the_playground_at_its_path_and_on_get_graphql(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    for path in ["/playground", "/graphql"] {
        let resp = s
            .http
            .get(format!("http://{}{path}", s.addr))
            .header("accept", "text/html,application/xhtml+xml")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(
            resp.headers()["content-type"],
            "text/html; charset=utf-8",
            "{path}"
        );
    }
}

/// `/metrics` label values come from a closed set: what a client names its operations, the
/// aliases it picks and the methods it sends never become a label.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn metrics_labels_never_carry_operation_names_or_methods_a_client_chose(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let token = s.token(s.users.operator);
    let chosen: Vec<String> = (0..5)
        .map(|_| format!("Chosen{}", uuid::Uuid::new_v4().simple()))
        .collect();
    for name in &chosen {
        let (_, body) = s
            .gql(
                Some(&token),
                &format!("query {name} {{ {name}: me {{ email }} }}"),
                json!({}),
            )
            .await;
        assert!(body["errors"].is_null(), "{body}");
    }
    let (_, body) = s
        .gql(
            Some(&token),
            &format!("query {} {{ me {{ email }} projects {{ id }} }}", chosen[0]),
            json!({}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let (_, body) = s
        .gql(
            Some(&token),
            &format!(
                "query {} {{ ...{} }} fragment {} on QueryRoot {{ me {{ email }} }}",
                chosen[1], chosen[2], chosen[2]
            ),
            json!({}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let methods = ["EXFILTRATE", "PROPFIND", "CHOSENMETHOD"];
    for method in methods {
        for path in ["/graphql", "/", "/metrics"] {
            s.http
                .request(
                    reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                    format!("http://{}{path}", s.addr),
                )
                .send()
                .await
                .unwrap();
        }
    }
    let text = s
        .http
        .get(format!("http://{}/metrics", s.addr))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for chosen in chosen.iter().map(String::as_str).chain(methods) {
        assert!(!text.contains(chosen), "{chosen} is a label: {text}");
    }
    let has = |line: &str| text.lines().any(|l| l.starts_with(line));
    assert!(
        has("toygres_graphql_operations_total{operation=\"me\",outcome=\"ok\"}"),
        "{text}"
    );
    assert!(
        has("toygres_graphql_operations_total{operation=\"multiple\",outcome=\"ok\"}"),
        "{text}"
    );
    assert!(
        text.lines().any(
            |l| l.starts_with("toygres_http_requests_total{") && l.contains("method=\"other\"")
        ),
        "{text}"
    );
}
