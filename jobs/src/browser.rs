//! The database browser: an instance's schemas, tables, columns and indexes, a page of a
//! table's rows, and read-only SQL, all through the instance's own role.
//!
//! Nothing the user types reaches SQL unquoted: schema and table names are looked up in the
//! catalog with bound parameters and quoted by Postgres (`format('%I.%I')`, `quote_ident`);
//! cursors carry key values that are bound as parameters. User SQL runs as one statement
//! (the extended protocol refuses several), inside a `READ ONLY` transaction with a statement
//! timeout that is always rolled back, wrapped so that at most [`MAX_ROWS`] rows and
//! [`MAX_BYTES`] bytes come back.
//!
//! The instance's owner may set `search_path` for its database or role, so the browser's own
//! reads (the catalog, a table's page) run with it pinned to the catalog for their
//! transaction and name every function with its schema; only user SQL runs with the owner's
//! `search_path`, and is wrapped in schema-qualified calls.

use std::time::Duration;

use base64::Engine as _;
use futures::TryStreamExt as _;
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions as _, Connection as _, Executor as _, PgConnection};

use crate::instance::Instance;
use crate::{Error, Result};

/// The most rows one page or query returns.
pub const MAX_ROWS: usize = 500;
/// The most bytes of values one page or query returns.
pub const MAX_BYTES: usize = 1024 * 1024;
/// How long one statement may run.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);

/// A table, view or materialized view.
#[derive(Clone, Debug, Serialize)]
pub struct Table {
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// `table`, `partitioned table`, `view` or `materialized view`.
    pub kind: String,
    /// The planner's estimate of its rows (-1 when never analyzed).
    pub estimated_rows: i64,
    /// Its size with indexes and TOAST, in bytes.
    pub size_bytes: i64,
    /// Its columns, in order.
    pub columns: Vec<Column>,
    /// Its indexes.
    pub indexes: Vec<Index>,
}

/// A column of a table.
#[derive(Clone, Debug, Serialize)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// Its type, as Postgres writes it.
    pub data_type: String,
    /// Whether it may be null.
    pub nullable: bool,
    /// Its default expression.
    pub default: Option<String>,
    /// Whether it is part of the primary key.
    pub primary_key: bool,
}

/// An index of a table.
#[derive(Clone, Debug, Serialize)]
pub struct Index {
    /// Its name.
    pub name: String,
    /// Its definition (`CREATE INDEX …`).
    pub definition: String,
    /// Whether it is unique.
    pub unique: bool,
    /// Whether it is the primary key.
    pub primary: bool,
}

/// A column of a result.
#[derive(Clone, Debug, Serialize)]
pub struct ResultColumn {
    /// Its name.
    pub name: String,
    /// Its type, as Postgres names it.
    pub data_type: String,
}

/// Rows with typed columns; values in Postgres's JSON rendering.
#[derive(Clone, Debug, Serialize)]
pub struct RowSet {
    /// The columns.
    pub columns: Vec<ResultColumn>,
    /// The rows, each a value per column.
    pub rows: Vec<Vec<serde_json::Value>>,
    /// Whether more rows were left out (by the page size, the row limit or the byte limit).
    pub truncated: bool,
    /// Where the next page starts, for table pages.
    pub next_cursor: Option<String>,
}

/// A connection to one instance, as its own role.
#[derive(Debug)]
pub struct Browser(PgConnection);

impl Browser {
    /// Connect to `inst` as its own role, checking its certificate against the CA `ca`
    /// (PEM; see [`crate::tls::client_options`]).
    pub async fn connect(inst: &Instance, password: &str, ca: &str) -> Result<Self> {
        connect(inst, password, ca).await.map(Self)
    }

    /// See [`tables`].
    pub async fn tables(&mut self) -> Result<Vec<Table>> {
        tables(&mut self.0).await
    }

    /// See [`rows`].
    pub async fn rows(
        &mut self,
        schema: &str,
        table: &str,
        first: usize,
        after: Option<&str>,
    ) -> Result<RowSet> {
        rows(&mut self.0, schema, table, first, after).await
    }

    /// See [`run_read_only`].
    pub async fn run_read_only(&mut self, sql: &str) -> Result<RowSet> {
        run_read_only(&mut self.0, sql).await
    }

    /// Close the connection.
    pub async fn close(self) {
        let _ = self.0.close().await;
    }
}

/// Connect to `inst` as its own role, checking its certificate against the CA `ca` (PEM).
pub async fn connect(inst: &Instance, password: &str, ca: &str) -> Result<PgConnection> {
    let (Some(host), Some(port)) = (
        inst.host.as_deref(),
        inst.port.and_then(|p| u16::try_from(p).ok()),
    ) else {
        return Err(Error::Conflict(format!(
            "instance {} has no address yet",
            inst.name
        )));
    };
    let opts = PgConnectOptions::new()
        .host(host)
        .port(port)
        .username(&inst.username)
        .password(password)
        .database(&inst.database_name)
        .application_name("toygres-browser")
        .disable_statement_logging();
    let opts = crate::tls::client_options(opts, inst, ca);
    tokio::time::timeout(Duration::from_secs(5), PgConnection::connect_with(&opts))
        .await
        .map_err(|_| Error::Conflict(format!("instance {} did not answer", inst.name)))?
        .map_err(|e| Error::Conflict(format!("cannot connect to instance {}: {e}", inst.name)))
}

/// Whose `search_path` a read-only transaction runs with.
#[derive(Clone, Copy)]
enum SearchPath {
    /// The catalog's alone: the browser's own reads.
    Pinned,
    /// The role's and database's own: user SQL.
    Owners,
}

/// Start the read-only transaction everything here runs in.
async fn read_only(conn: &mut PgConnection, path: SearchPath) -> Result<()> {
    conn.execute("BEGIN TRANSACTION READ ONLY").await?;
    if let SearchPath::Pinned = path {
        conn.execute("SET LOCAL search_path = pg_catalog, pg_temp")
            .await?;
    }
    sqlx::query("SELECT pg_catalog.set_config('statement_timeout', $1, true)")
        .bind(format!("{}ms", STATEMENT_TIMEOUT.as_millis()))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn rollback(conn: &mut PgConnection) {
    let _ = conn.execute("ROLLBACK").await;
}

/// Every table, view and materialized view outside the system schemas, with columns and
/// indexes.
pub async fn tables(conn: &mut PgConnection) -> Result<Vec<Table>> {
    read_only(conn, SearchPath::Pinned).await?;
    let result = tables_in(conn).await;
    rollback(conn).await;
    result
}

async fn tables_in(conn: &mut PgConnection) -> Result<Vec<Table>> {
    let rows: Vec<(i64, String, String, String, i64, i64)> = sqlx::query_as(
        "SELECT c.oid::bigint, n.nspname::text, c.relname::text, \
                CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' \
                     WHEN 'v' THEN 'view' ELSE 'materialized view' END, \
                c.reltuples::bigint, pg_catalog.pg_total_relation_size(c.oid) \
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p', 'v', 'm') \
           AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
           AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' \
         ORDER BY 2, 3 LIMIT 1000",
    )
    .fetch_all(&mut *conn)
    .await?;
    let oids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let columns: Vec<(i64, String, String, bool, Option<String>, bool)> = sqlx::query_as(
        "SELECT a.attrelid::bigint, a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod), \
                NOT a.attnotnull, pg_catalog.pg_get_expr(d.adbin, d.adrelid), \
                EXISTS (SELECT FROM pg_catalog.pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary \
                        AND a.attnum = ANY(i.indkey)) \
         FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE a.attrelid = ANY($1::bigint[]::oid[]) AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY a.attrelid, a.attnum",
    )
    .bind(&oids)
    .fetch_all(&mut *conn)
    .await?;
    let indexes: Vec<(i64, String, String, bool, bool)> = sqlx::query_as(
        "SELECT i.indrelid::bigint, c.relname::text, pg_catalog.pg_get_indexdef(i.indexrelid), \
                i.indisunique, i.indisprimary \
         FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid \
         WHERE i.indrelid = ANY($1::bigint[]::oid[]) ORDER BY 1, 2",
    )
    .bind(&oids)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(oid, schema, name, kind, estimated_rows, size_bytes)| Table {
                schema,
                name,
                kind,
                estimated_rows,
                size_bytes,
                columns: columns
                    .iter()
                    .filter(|c| c.0 == oid)
                    .map(|c| Column {
                        name: c.1.clone(),
                        data_type: c.2.clone(),
                        nullable: c.3,
                        default: c.4.clone(),
                        primary_key: c.5,
                    })
                    .collect(),
                indexes: indexes
                    .iter()
                    .filter(|i| i.0 == oid)
                    .map(|i| Index {
                        name: i.1.clone(),
                        definition: i.2.clone(),
                        unique: i.3,
                        primary: i.4,
                    })
                    .collect(),
            },
        )
        .collect())
}

/// Where a page of a table starts: the last row's key.
#[derive(Serialize, Deserialize)]
enum Cursor {
    /// Primary-key values, as text, in key order.
    Key(Vec<String>),
    /// The row's `ctid`, for tables without a primary key.
    Ctid(String),
}

fn encode_cursor(c: &Cursor) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(c).unwrap_or_default())
}

fn decode_cursor(s: &str) -> Result<Cursor> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| Error::InvalidInput("`after` is not a cursor this browser gave".to_owned()))
}

/// A page of `schema.table`'s rows in key order (primary key, else physical order), at most
/// `first` (capped at [`MAX_ROWS`]) and [`MAX_BYTES`], after `after`.
pub async fn rows(
    conn: &mut PgConnection,
    schema: &str,
    table: &str,
    first: usize,
    after: Option<&str>,
) -> Result<RowSet> {
    let after = after.map(decode_cursor).transpose()?;
    read_only(conn, SearchPath::Pinned).await?;
    let result = rows_in(conn, schema, table, first.min(MAX_ROWS), after).await;
    rollback(conn).await;
    result
}

async fn rows_in(
    conn: &mut PgConnection,
    schema: &str,
    table: &str,
    first: usize,
    after: Option<Cursor>,
) -> Result<RowSet> {
    // The names are looked up with bound parameters and quoted by Postgres.
    let found: Option<(i64, String)> = sqlx::query_as(
        "SELECT c.oid::bigint, pg_catalog.format('%I.%I', n.nspname, c.relname) \
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm')",
    )
    .bind(schema)
    .bind(table)
    .fetch_optional(&mut *conn)
    .await?;
    let (oid, quoted) = found.ok_or(Error::NotFound { kind: "table" })?;
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod) \
         FROM pg_catalog.pg_attribute a \
         WHERE a.attrelid = $1::bigint::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
    )
    .bind(oid)
    .fetch_all(&mut *conn)
    .await?;
    let key: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT pg_catalog.quote_ident(a.attname), pg_catalog.format_type(a.atttypid, a.atttypmod), \
                a.attname::text \
         FROM pg_catalog.pg_index i JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
         WHERE i.indrelid = $1::bigint::oid AND i.indisprimary \
         ORDER BY pg_catalog.array_position(i.indkey::pg_catalog.int2[], a.attnum)",
    )
    .bind(oid)
    .fetch_all(&mut *conn)
    .await?;
    let limit = first + 1;
    let (order, filter, binds): (String, String, Vec<String>) = if key.is_empty() {
        let filter = match &after {
            None => String::new(),
            Some(Cursor::Ctid(_)) => "WHERE ctid > $1::tid".to_owned(),
            Some(Cursor::Key(_)) => {
                return Err(Error::InvalidInput(
                    "`after` does not fit this table".to_owned(),
                ));
            }
        };
        let binds = match after {
            Some(Cursor::Ctid(c)) => vec![c],
            _ => Vec::new(),
        };
        ("ctid".to_owned(), filter, binds)
    } else {
        let cols: Vec<&str> = key.iter().map(|k| k.0.as_str()).collect();
        let order = cols.join(", ");
        match after {
            None => (order, String::new(), Vec::new()),
            Some(Cursor::Key(values)) if values.len() == key.len() => {
                let params: Vec<String> = key
                    .iter()
                    .enumerate()
                    .map(|(i, k)| format!("${}::{}", i + 1, k.1))
                    .collect();
                (
                    order.clone(),
                    format!("WHERE ({order}) > ({})", params.join(", ")),
                    values,
                )
            }
            Some(_) => {
                return Err(Error::InvalidInput(
                    "`after` does not fit this table".to_owned(),
                ));
            }
        }
    };
    let select_key = if key.is_empty() {
        "t.ctid::text".to_owned()
    } else {
        let names: Vec<String> = key.iter().map(|k| format!("t.{}::text", k.0)).collect();
        format!("ARRAY[{}]", names.join(", "))
    };
    // Every piece here is quoted by Postgres or a number of ours; values are bound. A row
    // larger than the byte limit comes without its value (see `capped`).
    let sql = capped(
        &format!(
            "SELECT pg_catalog.row_to_json(t)::pg_catalog.text AS j, {select_key} AS k FROM \
         (SELECT *, ctid FROM {quoted} {filter} ORDER BY {order} LIMIT {limit}) t",
        ),
        ", r.k",
    );
    let mut query = sqlx::query_as::<_, (Option<String>, i64, KeyText)>(sqlx::AssertSqlSafe(sql));
    for b in &binds {
        query = query.bind(b);
    }
    let names: Vec<&str> = columns.iter().map(|c| c.0.as_str()).collect();
    let mut set = Collector::new(
        columns
            .iter()
            .map(|(name, data_type)| ResultColumn {
                name: name.clone(),
                data_type: data_type.clone(),
            })
            .collect(),
        &names,
        first,
    );
    let mut keys = Vec::new();
    let mut stream = query.fetch(&mut *conn);
    while let Some((json, size, key)) = stream.try_next().await.map_err(query_error)? {
        if !set.push(json.as_deref(), size)? {
            break;
        }
        keys.push(key);
    }
    drop(stream);
    let mut set = set.finish();
    if set.truncated && set.rows.len() == first && first > 0 {
        set.next_cursor = Some(encode_cursor(&match &keys[first - 1] {
            KeyText::One(ctid) => Cursor::Ctid(ctid.clone()),
            KeyText::Many(values) => Cursor::Key(values.clone()),
        }));
    }
    Ok(set)
}

/// Wrap `sql`, whose column `j` is a row as JSON text, so that each row comes with
/// its size in bytes (then the columns `also` lists) and, when that alone passes
/// [`MAX_BYTES`], without its text: such a row is never sent, however large the instance
/// made it.
fn capped(sql: &str, also: &str) -> String {
    format!(
        "SELECT CASE WHEN pg_catalog.octet_length(r.j) <= {MAX_BYTES} THEN r.j END, \
                pg_catalog.octet_length(r.j)::pg_catalog.int8{also} \
         FROM ({sql}\n) AS r"
    )
}

/// A row's key as text: its ctid, or its primary-key values.
#[derive(Debug)]
enum KeyText {
    One(String),
    Many(Vec<String>),
}

impl<'r> sqlx::Decode<'r, sqlx::Postgres> for KeyText {
    fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        use sqlx::{TypeInfo as _, ValueRef as _};
        if value.type_info().name() == "TEXT[]" {
            Ok(KeyText::Many(<Vec<String> as sqlx::Decode<
                sqlx::Postgres,
            >>::decode(value)?))
        } else {
            Ok(KeyText::One(
                <String as sqlx::Decode<sqlx::Postgres>>::decode(value)?,
            ))
        }
    }
}

impl sqlx::Type<sqlx::Postgres> for KeyText {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        <String as sqlx::Type<sqlx::Postgres>>::type_info()
    }

    fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
        <String as sqlx::Type<sqlx::Postgres>>::compatible(ty)
            || <Vec<String> as sqlx::Type<sqlx::Postgres>>::compatible(ty)
    }
}

/// Rows read as they stream in, turned from JSON into value lists in column order, until
/// the row or byte limit is reached: the read stops there, whatever the query would still
/// send, so no more than [`MAX_BYTES`] of values are ever held.
struct Collector<'a> {
    columns: Vec<ResultColumn>,
    names: &'a [&'a str],
    limit: usize,
    rows: Vec<Vec<serde_json::Value>>,
    bytes: usize,
    truncated: bool,
}

impl<'a> Collector<'a> {
    fn new(columns: Vec<ResultColumn>, names: &'a [&'a str], limit: usize) -> Self {
        Self {
            columns,
            names,
            limit,
            rows: Vec::new(),
            bytes: 0,
            truncated: false,
        }
    }

    /// Take one row (its JSON, absent when it alone is too large, and its size); `false`
    /// once the limits are reached, when the caller must stop reading.
    fn push(&mut self, json: Option<&str>, size: i64) -> Result<bool> {
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        let json = match json {
            Some(json) if self.rows.len() < self.limit && self.bytes + size <= MAX_BYTES => json,
            _ => {
                self.truncated = true;
                return Ok(false);
            }
        };
        self.bytes += size;
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(json).map_err(anyhow::Error::from)?;
        self.rows.push(
            self.names
                .iter()
                .map(|n| object.get(*n).cloned().unwrap_or(serde_json::Value::Null))
                .collect(),
        );
        Ok(true)
    }

    fn finish(self) -> RowSet {
        RowSet {
            columns: self.columns,
            rows: self.rows,
            truncated: self.truncated,
            next_cursor: None,
        }
    }
}

/// Run one read-only statement that returns rows (a `SELECT`, `VALUES`, `TABLE` or `WITH …
/// SELECT`): in a `READ ONLY` transaction, rolled back, with a statement timeout, at most
/// [`MAX_ROWS`] rows and [`MAX_BYTES`] bytes.
pub async fn run_read_only(conn: &mut PgConnection, sql: &str) -> Result<RowSet> {
    let sql = sql.trim().trim_end_matches(';').trim();
    if sql.is_empty() {
        return Err(Error::InvalidInput("the query is empty".to_owned()));
    }
    read_only(conn, SearchPath::Owners).await?;
    let result = run_in(conn, sql).await;
    rollback(conn).await;
    result
}

async fn run_in(conn: &mut PgConnection, sql: &str) -> Result<RowSet> {
    use sqlx::{Column as _, TypeInfo as _};
    // One statement: the extended protocol refuses several.
    let described = conn
        .describe(sqlx::SqlSafeStr::into_sql_str(sqlx::AssertSqlSafe(
            sql.to_owned(),
        )))
        .await
        .map_err(query_error)?;
    let columns: Vec<ResultColumn> = described
        .columns()
        .iter()
        .map(|c| ResultColumn {
            name: c.name().to_owned(),
            data_type: c.type_info().name().to_owned(),
        })
        .collect();
    if columns.is_empty() {
        return Err(Error::InvalidInput(
            "only statements that return rows can be run here (SELECT, VALUES, TABLE, WITH … SELECT)"
                .to_owned(),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(dup) = columns.iter().find(|c| !seen.insert(c.name.as_str())) {
        return Err(Error::InvalidInput(format!(
            "two result columns are named {:?}: name them apart with AS",
            dup.name
        )));
    }
    let wrapped = capped(
        &format!(
            "SELECT pg_catalog.row_to_json(t)::pg_catalog.text AS j FROM ({sql}\n) AS t LIMIT {}",
            MAX_ROWS + 1
        ),
        "",
    );
    let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut set = Collector::new(columns, &names, MAX_ROWS);
    let mut stream =
        sqlx::query_as::<_, (Option<String>, i64)>(sqlx::AssertSqlSafe(wrapped)).fetch(&mut *conn);
    while let Some((json, size)) = stream.try_next().await.map_err(query_error)? {
        if !set.push(json.as_deref(), size)? {
            break;
        }
    }
    Ok(set.finish())
}

/// A failed user query is the user's to fix: its Postgres message, as invalid input.
fn query_error(e: sqlx::Error) -> Error {
    match e {
        sqlx::Error::Database(db) => {
            Error::InvalidInput(format!("the query failed: {}", db.message()))
        }
        other => other.into(),
    }
}
