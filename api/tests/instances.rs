//! The instance API's contract: validation that leaves nothing behind, roles, visibility.
//! (Instances actually running are covered end to end in the workspace's `tests/`.)

mod common;

use common::{Options, error_code, start};
use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

const CREATE: &str = "mutation($i: CreateInstanceInput!) { createInstance(input: $i) { instance { id name state health version storageGb username database connectionString } operation { id kind status } } }";

async fn counts(s: &common::Server) -> (i64, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM instances), (SELECT count(*) FROM operations), (SELECT count(*) FROM queue_jobs)",
    )
    .fetch_one(s.db.pool())
    .await
    .unwrap()
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn create_returns_the_instance_and_its_queued_operation_at_once(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let token = s.token(s.users.operator);
    let (_, body) = s
        .gql(
            Some(&token),
            CREATE,
            json!({"i": {"name": "orders", "storageGb": 5}}),
        )
        .await;
    let payload = &body["data"]["createInstance"];
    assert_eq!(payload["instance"]["state"], "CREATING", "{body}");
    assert_eq!(payload["instance"]["health"], "UNKNOWN");
    assert_eq!(payload["instance"]["storageGb"], 5);
    assert_eq!(payload["instance"]["username"], "app");
    assert_eq!(payload["instance"]["database"], "app");
    assert_eq!(
        payload["instance"]["connectionString"],
        Value::Null,
        "no address until it runs"
    );
    assert_eq!(payload["operation"]["kind"], "create_instance");
    assert_eq!(payload["operation"]["status"], "QUEUED");
    assert_eq!(counts(&s).await, (1, 1, 1));
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn bad_input_gets_a_clear_error_and_creates_nothing(_p: PgPoolOptions, c: PgConnectOptions) {
    let s = start(c, Options::default()).await;
    let token = s.token(s.users.operator);
    let cases = [
        (json!({"name": "Not_A_Label"}), "DNS-1123"),
        (json!({"name": "-leading"}), "DNS-1123"),
        (json!({"name": "a".repeat(64)}), "DNS-1123"),
        (json!({"name": "db", "version": 9}), "not available"),
        (json!({"name": "db", "storageGb": 0}), "storageGb"),
        (json!({"name": "db", "storageGb": 100000}), "storageGb"),
        (json!({"name": "db", "password": "short"}), "at least 12"),
        (
            json!({"name": "db", "password": "aaaaaaaaaaaaaaaa"}),
            "too weak",
        ),
        (json!({"name": "db", "username": "postgres"}), "reserved"),
        (
            json!({"name": "db", "username": "x; DROP TABLE y"}),
            "username",
        ),
        (
            json!({"name": "db", "provider": "KUBERNETES"}),
            "not configured",
        ),
        (
            json!({"name": "db", "serviceType": "LOAD_BALANCER"}),
            "KUBERNETES instances only",
        ),
        (json!({"name": "db", "plan": "huge"}), "unknown plan"),
    ];
    for (input, says) in cases {
        let (_, body) = s.gql(Some(&token), CREATE, json!({"i": input})).await;
        assert_eq!(error_code(&body), "INVALID_INPUT", "{input}: {body}");
        let msg = body["errors"][0]["message"].as_str().unwrap();
        assert!(msg.contains(says), "{input}: {msg}");
    }
    assert_eq!(counts(&s).await, (0, 0, 0));
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn reserved_role_names_are_refused_as_usernames_and_create_nothing(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let token = s.token(s.users.operator);
    for username in [
        "postgres",
        "Postgres",
        "POSTGRES",
        "pg_monitor",
        "PG_read_all_data",
        "toygres_replicator",
        "Toygres_Anything",
        "toygres_",
    ] {
        for field in ["username", "database"] {
            let (_, body) = s
                .gql(
                    Some(&token),
                    CREATE,
                    json!({"i": {"name": "db", field: username}}),
                )
                .await;
            assert_eq!(error_code(&body), "INVALID_INPUT", "{username}: {body}");
            let msg = body["errors"][0]["message"].as_str().unwrap();
            assert!(msg.contains(field), "{username}: {msg}");
        }
    }
    assert_eq!(counts(&s).await, (0, 0, 0));
    // Names that only look alike are fine.
    let (_, body) = s
        .gql(
            Some(&token),
            CREATE,
            json!({"i": {"name": "db", "username": "toygresapp", "database": "postgres_copy"}}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_taken_name_is_a_conflict_and_creates_nothing_more(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let token = s.token(s.users.operator);
    s.gql(Some(&token), CREATE, json!({"i": {"name": "taken"}}))
        .await;
    let (_, body) = s
        .gql(Some(&token), CREATE, json!({"i": {"name": "taken"}}))
        .await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("already exists")
    );
    assert_eq!(counts(&s).await, (1, 1, 1));
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn a_second_operation_on_a_busy_instance_is_a_conflict(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let token = s.token(s.users.operator);
    let (_, body) = s
        .gql(Some(&token), CREATE, json!({"i": {"name": "busy"}}))
        .await;
    let id = body["data"]["createInstance"]["instance"]["id"].clone();
    let (_, body) = s
        .gql(
            Some(&token),
            "mutation($id: ID!) { deleteInstance(id: $id) { id } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        error_code(&body),
        "CONFLICT",
        "the create is still queued: {body}"
    );
    let (_, body) = s
        .gql(
            Some(&token),
            "mutation($id: ID!) { stopInstance(id: $id) { id } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        error_code(&body),
        "CONFLICT",
        "a creating instance cannot stop: {body}"
    );
    assert_eq!(counts(&s).await, (1, 1, 1));
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn ids_that_do_not_exist_are_not_found_and_malformed_ones_invalid(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let token = s.token(s.users.admin);
    for mutation in [
        "deleteInstance",
        "stopInstance",
        "startInstance",
        "restartInstance",
    ] {
        let q = format!("mutation($id: ID!) {{ {mutation}(id: $id) {{ id }} }}");
        let (_, body) = s
            .gql(Some(&token), &q, json!({"id": uuid::Uuid::now_v7()}))
            .await;
        assert_eq!(error_code(&body), "NOT_FOUND", "{mutation}: {body}");
        let (_, body) = s.gql(Some(&token), &q, json!({"id": "nope"})).await;
        assert_eq!(error_code(&body), "INVALID_INPUT", "{mutation}: {body}");
    }
    let (_, body) = s
        .gql(
            Some(&token),
            "query($id: ID!) { instance(id: $id) { id } }",
            json!({"id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(body["data"]["instance"], Value::Null);
}

/// The CA that instances' certificates chain to is given to every signed-in caller, a viewer
/// of another project too, and to no anonymous one.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn any_signed_in_caller_gets_the_certificate_authority_and_anonymous_ones_do_not(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let q = "{ certificateAuthority { pem } }";
    let (_, body) = s.gql(Some(&s.token(s.users.outsider)), q, json!({})).await;
    let pem = body["data"]["certificateAuthority"]["pem"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"));
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    assert!(!pem.contains("PRIVATE KEY"), "{pem}");
    let (_, body) = s.gql(None, q, json!({})).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn viewers_read_but_do_not_change_or_see_passwords(_p: PgPoolOptions, c: PgConnectOptions) {
    let s = start(c, Options::default()).await;
    let viewer = s.token(s.users.viewer);
    let (_, body) = s
        .gql(Some(&viewer), CREATE, json!({"i": {"name": "nope"}}))
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");

    let (_, body) = s
        .gql(
            Some(&s.token(s.users.operator)),
            CREATE,
            json!({"i": {"name": "shown", "password": "a-secret-password-1"}}),
        )
        .await;
    let id = body["data"]["createInstance"]["instance"]["id"].clone();
    sqlx::query("UPDATE instances SET host = '127.0.0.1', port = 15999 WHERE id = $1::uuid")
        .bind(id.as_str().unwrap())
        .execute(s.db.pool())
        .await
        .unwrap();
    let q = "query($id: ID!) { instance(id: $id) { connectionString } }";
    let (_, body) = s.gql(Some(&viewer), q, json!({"id": id})).await;
    assert_eq!(
        body["data"]["instance"]["connectionString"],
        "postgresql://app@127.0.0.1:15999/app?sslmode=verify-full&sslrootcert=toygres-ca.crt"
    );
    let (_, body) = s
        .gql(Some(&s.token(s.users.operator)), q, json!({"id": id}))
        .await;
    assert_eq!(
        body["data"]["instance"]["connectionString"],
        "postgresql://app:a-secret-password-1@127.0.0.1:15999/app?sslmode=verify-full&sslrootcert=toygres-ca.crt"
    );
    for mutation in ["deleteInstance", "stopInstance", "restartInstance"] {
        let (_, body) = s
            .gql(
                Some(&viewer),
                &format!("mutation($id: ID!) {{ {mutation}(id: $id) {{ id }} }}"),
                json!({"id": id}),
            )
            .await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{mutation}: {body}");
    }
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn other_projects_instances_are_invisible_and_untouchable(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let (_, body) = s
        .gql(
            Some(&s.token(s.users.admin)),
            CREATE,
            json!({"i": {"name": "private"}}),
        )
        .await;
    let id = body["data"]["createInstance"]["instance"]["id"].clone();
    let outsider = s.token(s.users.outsider);
    let (_, body) = s
        .gql(
            Some(&outsider),
            "query($id: ID!) { instance(id: $id) { id } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(body["data"]["instance"], Value::Null);
    let (_, body) = s
        .gql(
            Some(&outsider),
            "{ instances { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["instances"]["edges"], json!([]));
    // Asking for another project's list by its id shows nothing either; its own members
    // get only that project's.
    let by_project =
        "query($p: ID!) { instances(filter: {projectId: $p}) { edges { node { id } } } }";
    let default = jobs::user::DEFAULT_PROJECT_ID.0.to_string();
    let (_, body) = s
        .gql(Some(&outsider), by_project, json!({"p": default}))
        .await;
    assert_eq!(body["data"]["instances"]["edges"], json!([]), "{body}");
    let admin = s.token(s.users.admin);
    let (_, body) = s.gql(Some(&admin), by_project, json!({"p": default})).await;
    assert_eq!(
        body["data"]["instances"]["edges"][0]["node"]["id"], id,
        "{body}"
    );
    let other = s.users.other_project.0.to_string();
    let (_, body) = s
        .gql(Some(&outsider), by_project, json!({"p": other}))
        .await;
    assert_eq!(body["data"]["instances"]["edges"], json!([]), "{body}");
    let (_, body) = s
        .gql(
            Some(&outsider),
            "mutation($id: ID!) { deleteInstance(id: $id) { id } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        error_code(&body),
        "NOT_FOUND",
        "indistinguishable from a missing id: {body}"
    );
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn instances_are_listed_with_filters_and_pages(_p: PgPoolOptions, c: PgConnectOptions) {
    let s = start(c, Options::default()).await;
    let token = s.token(s.users.operator);
    for name in ["alpha", "beta", "alphabet"] {
        s.gql(Some(&token), CREATE, json!({"i": {"name": name}}))
            .await;
    }
    let q = "query($f: InstanceFilter, $after: String) { instances(first: 2, after: $after, filter: $f) { edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }";
    let (_, body) = s
        .gql(Some(&token), q, json!({"f": {"nameContains": "alpha"}}))
        .await;
    let names: Vec<&str> = body["data"]["instances"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alphabet", "alpha"]);
    let (_, page1) = s.gql(Some(&token), q, json!({})).await;
    assert_eq!(page1["data"]["instances"]["pageInfo"]["hasNextPage"], true);
    let after = page1["data"]["instances"]["pageInfo"]["endCursor"].clone();
    let (_, page2) = s.gql(Some(&token), q, json!({"after": after})).await;
    assert_eq!(
        page2["data"]["instances"]["edges"][0]["node"]["name"],
        "alpha"
    );
    assert_eq!(page2["data"]["instances"]["pageInfo"]["hasNextPage"], false);
    let (_, body) = s
        .gql(Some(&token), q, json!({"f": {"state": "RUNNING"}}))
        .await;
    assert_eq!(body["data"]["instances"]["edges"], json!([]));
    let (_, body) = s.gql(Some(&token), "{ versions }", json!({})).await;
    assert!(!body["data"]["versions"].as_array().unwrap().is_empty());
}

/// A caller in several projects sees one list, newest first across them, paged as one.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn instances_of_several_projects_are_listed_newest_first_as_one(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c, Options::default()).await;
    let token = s.token(s.users.operator);
    let (_, body) = s
        .gql(
            Some(&token),
            "mutation { createProject(name: \"second\") { id } }",
            json!({}),
        )
        .await;
    let second = body["data"]["createProject"]["id"].clone();
    assert!(second.is_string(), "{body}");
    // Made alternately in the default project and the second one.
    for (name, project) in [
        ("a1", Value::Null),
        ("b1", second.clone()),
        ("a2", Value::Null),
        ("b2", second.clone()),
        ("a3", Value::Null),
    ] {
        let (_, body) = s
            .gql(
                Some(&token),
                CREATE,
                json!({"i": {"name": name, "projectId": project}}),
            )
            .await;
        assert!(body["errors"].is_null(), "{name}: {body}");
    }
    let q = "query($after: String) { instances(first: 2, after: $after) { nodes { name } pageInfo { hasNextPage endCursor } } }";
    let mut pages = Vec::new();
    let mut after = Value::Null;
    loop {
        let (_, body) = s.gql(Some(&token), q, json!({"after": after})).await;
        let page = &body["data"]["instances"];
        let names: Vec<String> = page["nodes"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .iter()
            .map(|n| n["name"].as_str().unwrap().to_owned())
            .collect();
        pages.push(names);
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(pages, [vec!["a3", "b2"], vec!["a2", "b1"], vec!["a1"]]);
}

/// A read by id is kept in memory: it answers while the instances table is locked, still only
/// to those who may see it. A change committed by another connection (as another process
/// would) reaches it with its notification, and this process's own mutation at once.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn an_instance_read_by_id_is_kept_until_its_change_is_announced(
    _p: PgPoolOptions,
    c: PgConnectOptions,
) {
    let s = start(c.clone(), Options::default()).await;
    let operator = s.token(s.users.operator);
    let (_, body) = s
        .gql(
            Some(&operator),
            CREATE,
            json!({"i": {"name": "kept", "password": "a-secret-password-1"}}),
        )
        .await;
    let id = body["data"]["createInstance"]["instance"]["id"].clone();
    let q = "query($id: ID!) { instance(id: $id) { state connectionString } }";
    let read = |token: String| {
        let (s, id) = (&s, id.clone());
        async move { s.gql(Some(&token), q, json!({"id": id})).await.1 }
    };
    let first = read(operator.clone()).await;
    assert_eq!(first["data"]["instance"]["state"], "CREATING", "{first}");

    let other = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(c)
        .await
        .unwrap();
    let mut lock = other.begin().await.unwrap();
    sqlx::query("LOCK TABLE instances IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();
    let kept = tokio::time::timeout(common::PATIENCE, read(operator.clone()))
        .await
        .expect("the read waited for the locked table: it was not kept");
    assert_eq!(kept, first);
    let outsider = tokio::time::timeout(common::PATIENCE, read(s.token(s.users.outsider)))
        .await
        .unwrap();
    assert_eq!(outsider["data"]["instance"], Value::Null, "{outsider}");

    // What creating it would have done, had workers run.
    for sql in [
        "UPDATE instances SET state = 'running', host = '127.0.0.1', port = 15998 WHERE id = $1::uuid",
        "UPDATE operations SET status = 'succeeded', finished_at = now() WHERE target_id = $1::uuid",
        "DELETE FROM queue_jobs WHERE operation_id IN (SELECT id FROM operations WHERE target_id = $1::uuid)",
    ] {
        sqlx::query(sql)
            .bind(id.as_str().unwrap())
            .execute(&mut *lock)
            .await
            .unwrap();
    }
    lock.commit().await.unwrap();
    let deadline = std::time::Instant::now() + common::PATIENCE;
    loop {
        let now = read(operator.clone()).await;
        if now["data"]["instance"]["connectionString"]
            == "postgresql://app:a-secret-password-1@127.0.0.1:15998/app?sslmode=verify-full&sslrootcert=toygres-ca.crt"
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the change never reached the kept read: {now}"
        );
        tokio::task::yield_now().await;
    }

    let (_, body) = s
        .gql(
            Some(&operator),
            "mutation($id: ID!) { stopInstance(id: $id) { id } }",
            json!({"id": id}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let after = read(operator).await;
    assert_eq!(after["data"]["instance"]["state"], "STOPPING", "{after}");
}
