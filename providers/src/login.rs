//! An instance's login role and its database, made by one SQL script whichever provider runs
//! the instance: `psql` over the private socket on a Postgres host
//! ([`crate::host::PgHost::ensure_login`]), or a superuser connection to a Kubernetes instance
//! (the `create_role` step in `jobs`).
//!
//! Postgres does the quoting, not us. Each value travels hex-encoded ([`text`]: only `0-9a-f`,
//! so nothing in it can end a literal), Postgres decodes it, and `format('%I', '%L')` writes
//! the statements. The script's query returns them as rows, in order, and the runner executes
//! each one (`\gexec` in psql, one by one over a connection): rows rather than a `DO` block,
//! because `CREATE DATABASE` cannot run inside a function.
//!
//! The script starts with [`SEARCH_PATH`] and names every function with its schema, so that
//! no object in a schema a user can write to stands in for the catalog's (`pg_roles`,
//! `format`, …) while it runs as the superuser. It also takes `CREATE` on schema `public`
//! from `PUBLIC` in the database it runs in (PostgreSQL 15 and later do that already; older
//! versions grant it), so that no tenant can put an object where the superuser's default
//! `search_path` would find it.

/// The first statement of every script run as the superuser: only the catalog, then the
/// session's own temporary objects, are searched.
pub const SEARCH_PATH: &str = "SET search_path = pg_catalog, pg_temp;";

/// The `search_path` every session the control plane opens inside an instance starts with,
/// as a connection option: `-c search_path=…` in libpq's `options` (or `PGOPTIONS`). A
/// startup option outranks `ALTER DATABASE … SET` and `ALTER ROLE … SET`, which an
/// instance's owner may use to put a schema of theirs before the catalog.
pub const PINNED_SEARCH_PATH: (&str, &str) = ("search_path", "pg_catalog,pg_temp");

/// [`PINNED_SEARCH_PATH`] as an environment assignment for `env`, for `psql` and the other
/// client programs.
pub const PGOPTIONS: &str = "PGOPTIONS=-c search_path=pg_catalog,pg_temp";

/// A login role and its database.
#[derive(Clone, Copy, Debug)]
pub struct Login<'a> {
    /// The role.
    pub username: &'a str,
    /// Its password.
    pub password: &'a str,
    /// The database it owns.
    pub database: &'a str,
}

impl Login<'_> {
    /// The script that takes `CREATE` on schema `public` from `PUBLIC`, creates (or updates)
    /// the role, with `LOGIN` and the password, and creates its database owned by it unless
    /// that exists: [`SEARCH_PATH`], then one query whose rows are the statements to run, in
    /// order. It ends without `;`, so psql can end
    /// it with `\gexec`. Idempotent: run again, it sets the same password and keeps the
    /// database.
    pub fn script(&self) -> String {
        format!(
            "{SEARCH_PATH}\n\
             WITH login (username, password, database) AS (VALUES ({}, {}, {}))\n\
             SELECT statement FROM login, LATERAL (VALUES\n  \
               (0, CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = 'public')\n    \
                 THEN 'REVOKE CREATE ON SCHEMA public FROM PUBLIC' END),\n  \
               (1, pg_catalog.format('%s ROLE %I LOGIN PASSWORD %L',\n    \
                 CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = login.username) THEN 'ALTER' ELSE 'CREATE' END,\n    \
                 login.username, login.password)),\n  \
               (2, CASE WHEN NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = login.database)\n    \
                 THEN pg_catalog.format('CREATE DATABASE %I OWNER %I', login.database, login.username) END)\n\
             ) AS step (n, statement)\n\
             WHERE statement IS NOT NULL ORDER BY n\n",
            text(self.username),
            text(self.password),
            text(self.database),
        )
    }
}

/// `value` as an SQL expression of type `text` that holds nothing to quote: its UTF-8 bytes in
/// hex, decoded by Postgres.
pub fn text(value: &str) -> String {
    format!(
        "pg_catalog.convert_from(pg_catalog.decode('{}', 'hex'), 'UTF8')",
        hex(value)
    )
}

/// The bytes of `value` in lower-case hex.
pub(crate) fn hex(value: &str) -> String {
    use std::fmt::Write as _;
    value.bytes().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_reach_the_script_only_as_hex() {
        let login = Login {
            username: "o'brien\"$$",
            password: "it's \\ $$ $tg$ ;--",
            database: "db'\"",
        };
        let script = login.script();
        assert!(script.starts_with(SEARCH_PATH), "{script}");
        for value in [login.username, login.password, login.database] {
            assert!(!script.contains(value), "{value} is in the script");
            assert!(script.contains(&hex(value)));
        }
        assert_eq!(hex("a'\\"), "61275c");
        assert_eq!(
            text("é"),
            "pg_catalog.convert_from(pg_catalog.decode('c3a9', 'hex'), 'UTF8')"
        );
        assert!(script.contains("REVOKE CREATE ON SCHEMA public FROM PUBLIC"));
        assert!(
            !script.trim_end().ends_with(';'),
            "psql ends it with \\gexec"
        );
    }
}
