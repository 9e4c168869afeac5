//! The database browser against a real running instance: tables with columns and indexes,
//! keyset pages of rows, read-only SQL with its limits, and injection attempted through every
//! parameter, after which every table and row is still there.

mod common;

use common::{Options, error_code, start};
use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions as _, Connection as _};

const ROWS: &str = "query($id: ID!, $t: String!, $s: String!, $n: Int!, $a: String) { instance(id: $id) { rows(table: $t, schema: $s, first: $n, after: $a) { columns { name dataType } rows truncated nextCursor } } }";
const RUN: &str = "mutation($id: ID!, $sql: String!) { runReadOnlyQuery(instanceId: $id, sql: $sql) { columns { name dataType } rows truncated } }";

/// A running local instance with a few tables; its id.
async fn instance(s: &common::Server, token: &str) -> String {
    let (_, body) = s
        .gql(Some(token), "mutation { createInstance(input: {name: \"shop\"}) { instance { id } operation { id } } }", json!({}))
        .await;
    let id = body["data"]["createInstance"]["instance"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let op = body["data"]["createInstance"]["operation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        s.wait_operation_final(token, &op, "error").await["status"],
        "SUCCEEDED"
    );
    let (_, body) = s
        .gql(
            Some(token),
            "query($id: ID!) { instance(id: $id) { connectionString } certificateAuthority { pem } }",
            json!({"id": id}),
        )
        .await;
    let url = body["data"]["instance"]["connectionString"]
        .as_str()
        .unwrap();
    // The connection string names the CA's file; a client holding it in memory gives it so.
    let ca = body["data"]["certificateAuthority"]["pem"]
        .as_str()
        .unwrap();
    let opts: PgConnectOptions = url.parse().unwrap();
    let opts = opts.ssl_root_cert_from_pem(ca.as_bytes().to_vec());
    let mut conn = sqlx::PgConnection::connect_with(&opts.disable_statement_logging())
        .await
        .unwrap();
    sqlx::raw_sql(
        "CREATE TABLE orders (region text, id int, total numeric NOT NULL DEFAULT 0, PRIMARY KEY (region, id)); \
         CREATE INDEX orders_total_idx ON orders (total); \
         INSERT INTO orders SELECT r, i, i * 1.5 FROM unnest(ARRAY['eu', 'us']) r, generate_series(1, 3) i; \
         CREATE TABLE log (line text); INSERT INTO log VALUES ('a'), ('b'), ('c'); \
         CREATE TABLE \"weird \"\"name\"\"\" (x int PRIMARY KEY); INSERT INTO \"weird \"\"name\"\"\" VALUES (7); \
         CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 3; ANALYZE;",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    id
}

async fn page(
    s: &common::Server,
    token: &str,
    id: &str,
    table: &str,
    first: i32,
    after: Option<&str>,
) -> Value {
    let (_, body) = s
        .gql(
            Some(token),
            ROWS,
            json!({"id": id, "t": table, "s": "public", "n": first, "a": after}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["instance"]["rows"].clone()
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn the_browser_lists_tables_pages_rows_by_key_and_runs_read_only_sql(
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
    let id = instance(&s, &token).await;

    let (_, body) = s
        .gql(Some(&token), "query($id: ID!) { instance(id: $id) { tables { schema name kind estimatedRows sizeBytes columns { name dataType nullable default primaryKey } indexes { name unique primary } } } }", json!({"id": id}))
        .await;
    let tables = body["data"]["instance"]["tables"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .clone();
    let names: Vec<_> = tables.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["big_orders", "log", "orders", "weird \"name\""]);
    let orders = &tables[2];
    assert_eq!(orders["kind"], "table");
    assert_eq!(orders["estimatedRows"], 6);
    assert!(orders["sizeBytes"].as_i64().unwrap() > 0);
    assert_eq!(
        orders["columns"][2],
        json!({"name": "total", "dataType": "numeric", "nullable": false, "default": "0", "primaryKey": false})
    );
    assert_eq!(orders["columns"][0]["primaryKey"], true);
    let indexes: Vec<_> = orders["indexes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["name"].as_str().unwrap(), i["primary"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        indexes,
        [("orders_pkey", true), ("orders_total_idx", false)]
    );
    assert_eq!(tables[0]["kind"], "view");

    // Pages of two, in key order, until the end.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let p = page(&s, &token, &id, "orders", 2, after.as_deref()).await;
        assert_eq!(
            p["columns"][1],
            json!({"name": "id", "dataType": "integer"})
        );
        for row in p["rows"].as_array().unwrap() {
            seen.push(format!("{}-{}", row[0].as_str().unwrap(), row[1]));
        }
        match p["nextCursor"].as_str() {
            Some(c) => after = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ["eu-1", "eu-2", "eu-3", "us-1", "us-2", "us-3"]);
    // A table without a primary key pages in physical order.
    let first = page(&s, &token, &id, "log", 2, None).await;
    let rest = page(&s, &token, &id, "log", 2, first["nextCursor"].as_str()).await;
    assert_eq!(
        (first["rows"].clone(), rest["rows"].clone()),
        (json!([["a"], ["b"]]), json!([["c"]]))
    );
    // Names that need quoting are quoted by Postgres.
    assert_eq!(
        page(&s, &token, &id, "weird \"name\"", 10, None).await["rows"],
        json!([[7]])
    );

    // Read-only SQL: typed columns, and the limits.
    let (_, body) = s
        .gql(Some(&token), RUN, json!({"id": id, "sql": "SELECT region, sum(total) AS total, now() > '2000-01-01' AS recent FROM orders GROUP BY region ORDER BY region;"}))
        .await;
    let result = &body["data"]["runReadOnlyQuery"];
    assert_eq!(
        result["columns"],
        json!([{"name": "region", "dataType": "TEXT"}, {"name": "total", "dataType": "NUMERIC"}, {"name": "recent", "dataType": "BOOL"}]),
        "{body}"
    );
    assert_eq!(
        result["rows"],
        json!([["eu", 9.0, true], ["us", 9.0, true]])
    );
    let (_, body) = s
        .gql(
            Some(&token),
            RUN,
            json!({"id": id, "sql": "SELECT i FROM generate_series(1, 1000) i"}),
        )
        .await;
    let r = &body["data"]["runReadOnlyQuery"];
    assert_eq!(
        (
            r["rows"].as_array().unwrap().len(),
            r["truncated"].as_bool()
        ),
        (500, Some(true))
    );
    let (_, body) = s.gql(Some(&token), RUN, json!({"id": id, "sql": "SELECT repeat('x', 200000) AS big FROM generate_series(1, 20)"})).await;
    let r = &body["data"]["runReadOnlyQuery"];
    assert_eq!(
        (
            r["rows"].as_array().unwrap().len(),
            r["truncated"].as_bool()
        ),
        (5, Some(true)),
        "cut at 1 MiB"
    );
    let (_, body) = s
        .gql(
            Some(&token),
            RUN,
            json!({"id": id, "sql": "SELECT pg_sleep(10)"}),
        )
        .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("statement timeout"),
        "{body}"
    );

    // Viewers may not browse.
    let viewer = s.token(s.users.viewer);
    let (_, body) = s
        .gql(Some(&viewer), RUN, json!({"id": id, "sql": "SELECT 1"}))
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    let (_, body) = s
        .gql(
            Some(&viewer),
            ROWS,
            json!({"id": id, "t": "orders", "s": "public", "n": 1}),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    // Other projects' admins do not even see it.
    let outsider = s.token(s.users.outsider);
    let (_, body) = s
        .gql(Some(&outsider), RUN, json!({"id": id, "sql": "SELECT 1"}))
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
}

#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn injection_through_every_parameter_changes_nothing(_p: PgPoolOptions, c: PgConnectOptions) {
    use base64::Engine as _;
    let s = start(
        c,
        Options {
            workers: true,
            ..Options::default()
        },
    )
    .await;
    let token = s.token(s.users.operator);
    let id = instance(&s, &token).await;

    // Table and schema names are looked up, never spliced: every attempt is simply not found.
    for (schema, table) in [
        ("public", "orders; DROP TABLE orders; --"),
        ("public", "orders\"; DROP TABLE orders; --"),
        ("public", "orders' OR '1'='1"),
        ("public; DROP TABLE log; --", "orders"),
        ("public' OR '1'='1", "orders"),
    ] {
        let (_, body) = s
            .gql(
                Some(&token),
                ROWS,
                json!({"id": id, "t": table, "s": schema, "n": 10}),
            )
            .await;
        assert_eq!(error_code(&body), "NOT_FOUND", "{schema}.{table}: {body}");
    }
    // What the instance's own role may not read stays unread.
    let (_, body) = s
        .gql(
            Some(&token),
            ROWS,
            json!({"id": id, "t": "pg_authid", "s": "pg_catalog", "n": 10}),
        )
        .await;
    assert_eq!(error_code(&body), "INVALID_INPUT", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("permission denied")
    );
    // Cursors carry values that are bound, or are refused.
    let forged = |c: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(c.to_string());
    for cursor in [
        forged(json!({"Key": ["eu", "1) OR true; DROP TABLE orders; --"]})),
        forged(json!({"Key": ["eu'; DROP TABLE orders; --", "1"]})),
        forged(json!({"Ctid": "(0,1)'; DROP TABLE log; --"})),
        forged(json!({"Key": ["only one"]})),
        "not a cursor".to_owned(),
    ] {
        let (_, body) = s
            .gql(
                Some(&token),
                ROWS,
                json!({"id": id, "t": "orders", "s": "public", "n": 10, "a": cursor}),
            )
            .await;
        let code = error_code(&body);
        let rows_back = body["data"]["instance"]["rows"]["rows"]
            .as_array()
            .map(Vec::len);
        // A bound text value compares as text: at most it pages; it never runs.
        assert!(
            code == "INVALID_INPUT" || rows_back.is_some(),
            "{cursor}: {body}"
        );
    }
    // SQL that writes, escapes the transaction, or stacks statements is refused.
    for sql in [
        "DELETE FROM orders",
        "DROP TABLE log",
        "SELECT 1; DROP TABLE log",
        "COMMIT; DROP TABLE log",
        "UPDATE orders SET total = 0 RETURNING *",
        "WITH gone AS (DELETE FROM orders RETURNING *) SELECT * FROM gone",
        "SELECT set_config('default_transaction_read_only', 'off', false); DELETE FROM orders",
        "SELECT * FROM orders) t; DROP TABLE log; SELECT * FROM (SELECT 1",
        "",
    ] {
        let (_, body) = s
            .gql(Some(&token), RUN, json!({"id": id, "sql": sql}))
            .await;
        assert_eq!(error_code(&body), "INVALID_INPUT", "{sql}: {body}");
    }
    // Everything is still there.
    let (_, body) = s
        .gql(Some(&token), RUN, json!({"id": id, "sql": "SELECT (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM log) AS log, (SELECT sum(total) FROM orders) AS total"}))
        .await;
    assert_eq!(
        body["data"]["runReadOnlyQuery"]["rows"],
        json!([[6, 3, 18.0]]),
        "{body}"
    );
}

/// The limits stop the read as rows arrive: a row the query would make after the byte limit
/// is never asked for, so here its error never surfaces, and no row larger than the limit is
/// ever sent.
#[sqlx::test(migrator = "jobs::db::MIGRATOR")]
async fn reading_stops_at_the_byte_limit_before_later_rows_are_made(
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
    let id = instance(&s, &token).await;

    // Two rows of 700 kB pass 1 MiB; the third would fail.
    let sql = "SELECT g, CASE WHEN g <= 2 THEN repeat('x', 700000) ELSE (1 / (g - g))::text END AS big \
               FROM generate_series(1, 5) g";
    let (_, body) = s
        .gql(Some(&token), RUN, json!({"id": id, "sql": sql}))
        .await;
    let r = &body["data"]["runReadOnlyQuery"];
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(
        (
            r["rows"].as_array().map(|rows| rows.len()),
            r["truncated"].as_bool(),
            r["rows"][0][0].clone()
        ),
        (Some(1), Some(true), json!(1))
    );
    // A single row past the limit comes back as none, truncated.
    let (_, body) = s
        .gql(
            Some(&token),
            RUN,
            json!({"id": id, "sql": "SELECT repeat('x', 2000000) AS huge"}),
        )
        .await;
    let r = &body["data"]["runReadOnlyQuery"];
    assert_eq!(
        (r["rows"].clone(), r["truncated"].as_bool()),
        (json!([]), Some(true)),
        "{body}"
    );
    // The connection was left clean: the next read works.
    let (_, body) = s
        .gql(
            Some(&token),
            RUN,
            json!({"id": id, "sql": "SELECT 1 AS one"}),
        )
        .await;
    assert_eq!(
        body["data"]["runReadOnlyQuery"]["rows"],
        json!([[1]]),
        "{body}"
    );
}
