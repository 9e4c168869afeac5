//! Continuous backup of the instances on a host, with pgBackRest: WAL archived as it is
//! written (`archive-push`, asynchronous), full and differential backups, time-targeted
//! restores, all into one encrypted repository, a directory or an S3-compatible bucket.
//!
//! Each instance is a pgBackRest *stanza* whose configuration Toygres writes beside the
//! instance, and rewrites at every start, so that a move, a changed key or a new port take
//! effect with nothing left over:
//!
//! ```text
//! <root>/pgbackrest/<name>/pgbackrest.conf   repository, key, stanza (0600, the Postgres user's)
//! <root>/pgbackrest/<name>/spool/            asynchronous archiving's queue
//! <root>/pgbackrest/<name>/log/              pgBackRest's own logs
//! ```
//!
//! Every command runs as the user that runs Postgres, with the configuration file named on
//! its command line; the repository's secrets are only ever in that file, never in an
//! argument, the environment or a message.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::anyhow;
use chrono::{DateTime, TimeZone as _, Utc};
use serde::Deserialize;

use super::{Budget, PgHost, SUPERUSER, shell};
use crate::{Error, Result};

/// The `pgbackrest` program, found on the `PATH` of the host.
const PGBACKREST: &str = "pgbackrest";

/// Where the repository is.
#[derive(Clone, PartialEq, Eq)]
pub enum Store {
    /// A directory on the host that runs the command (this host, for local instances).
    Directory(PathBuf),
    /// An S3-compatible bucket.
    S3(S3),
}

/// An S3-compatible object store.
#[derive(Clone, PartialEq, Eq)]
pub struct S3 {
    /// `host` or `host:port`, without a scheme (pgBackRest always speaks HTTPS).
    pub endpoint: String,
    /// The bucket.
    pub bucket: String,
    /// The region (`us-east-1` for most non-AWS stores).
    pub region: String,
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// `path` (`https://endpoint/bucket`) or `host` (`https://bucket.endpoint`) addressing.
    pub uri_style: UriStyle,
    /// Whether the store's certificate is checked.
    pub verify_tls: bool,
    /// A CA bundle to check it with, instead of the system's.
    pub ca_file: Option<PathBuf>,
}

/// How bucket addresses are formed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UriStyle {
    /// `https://bucket.endpoint/key`.
    Host,
    /// `https://endpoint/bucket/key`.
    Path,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Store::Directory(p) => f.debug_tuple("Directory").field(p).finish(),
            Store::S3(s) => f
                .debug_struct("S3")
                .field("endpoint", &s.endpoint)
                .field("bucket", &s.bucket)
                .field("region", &s.region)
                .field("uri_style", &s.uri_style)
                .field("verify_tls", &s.verify_tls)
                .finish_non_exhaustive(),
        }
    }
}

/// The installation's backup repository: where, and the key that encrypts everything in it.
#[derive(Clone)]
pub struct Repository {
    /// Where.
    pub store: Store,
    /// The cipher passphrase (AES-256-CBC, pgBackRest's `repo1-cipher-pass`).
    pub cipher_pass: String,
    /// WAL is archived at least this often, even on a quiet instance (`archive_timeout`).
    pub archive_timeout_secs: u32,
}

impl fmt::Debug for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Repository")
            .field("store", &self.store)
            .field("archive_timeout_secs", &self.archive_timeout_secs)
            .finish_non_exhaustive()
    }
}

/// What an instance's backups need to know: the repository, the stanza, and how long
/// point-in-time recovery reaches back.
#[derive(Clone, Debug)]
pub struct Backups {
    /// The repository.
    pub repository: Arc<Repository>,
    /// The instance's stanza: stable for its whole life, moves included.
    pub stanza: String,
    /// Full backups (and the WAL to replay from them) are kept this many days.
    pub retention_days: u32,
}

/// A backup's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BackupType {
    /// Every file.
    Full,
    /// What changed since the last full backup.
    Differential,
    /// What changed since the last backup (pgBackRest makes none for us, but may list one).
    Incremental,
}

impl BackupType {
    fn as_pgbackrest(self) -> &'static str {
        match self {
            BackupType::Full => "full",
            BackupType::Differential => "diff",
            BackupType::Incremental => "incr",
        }
    }
}

/// One backup in the repository, as `pgbackrest info` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupInfo {
    /// Its label (`20261205-101500F`), unique in the stanza.
    pub label: String,
    /// Its type.
    pub kind: BackupType,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it finished: the earliest point it can be restored to.
    pub finished_at: DateTime<Utc>,
    /// The database's size.
    pub size_bytes: i64,
    /// What it takes in the repository (compressed, and only changes for a differential).
    pub stored_bytes: i64,
    /// Whether pgBackRest found a page checksum error while copying.
    pub error: bool,
}

/// Where a restore stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestoreTarget {
    /// The end of the archived WAL.
    Latest,
    /// The last commit at or before this time.
    Time(DateTime<Utc>),
}

impl PgHost {
    /// pgBackRest's directory for instance `name`.
    fn backup_dir(&self, name: &str) -> PathBuf {
        self.root.join("pgbackrest").join(name)
    }

    /// The configuration file of instance `name`'s stanza.
    fn backup_config(&self, name: &str) -> PathBuf {
        self.backup_dir(name).join("pgbackrest.conf")
    }

    /// Write instance `name`'s pgBackRest configuration (its data directory served on `port`,
    /// backed up as `backups` say), and make its spool and log directories. Run before
    /// every start.
    pub(super) async fn write_backup_config(
        &self,
        name: &str,
        port: u16,
        backups: &Backups,
    ) -> Result<()> {
        let dir = self.backup_dir(name);
        self.shell.make_dir(&self.root.join("pgbackrest")).await?;
        self.shell.make_private_dir(&dir.join("spool")).await?;
        self.shell.make_private_dir(&dir.join("log")).await?;
        if let Store::Directory(path) = &backups.repository.store {
            self.shell.make_private_dir(path).await?;
        }
        let text = config_text(&dir, &self.instance_dir(name), port, backups)?;
        self.shell
            .write_private(&self.backup_config(name), text.as_bytes())
            .await
    }

    /// The settings that make instance `name` archive its WAL into its stanza.
    pub(super) fn archive_settings(&self, name: &str, backups: &Backups) -> Vec<(String, String)> {
        let command = format!(
            "{PGBACKREST} --config={} --stanza={} archive-push %p",
            self.backup_config(name).display(),
            backups.stanza
        );
        vec![
            ("archive_mode".into(), "on".into()),
            ("archive_command".into(), command),
            (
                "archive_timeout".into(),
                format!("{}s", backups.repository.archive_timeout_secs.max(1)),
            ),
        ]
    }

    /// Run `pgbackrest` for instance `name` with `args`, as the Postgres user; what it
    /// printed, or why it failed.
    async fn pgbackrest(&self, name: &str, stanza: &str, args: &[String]) -> Result<String> {
        let mut argv = vec![
            PGBACKREST.to_owned(),
            format!("--config={}", self.backup_config(name).display()),
            format!("--stanza={stanza}"),
        ];
        argv.extend(args.iter().cloned());
        // Copying a whole instance takes time that grows with it; the rest is quick.
        let budget = match args.last().map(String::as_str) {
            Some("backup" | "restore" | "verify" | "stanza-delete") => Budget::Long,
            _ => Budget::Quick,
        };
        let out = self.shell.run_within(&argv, None, budget).await?;
        if out.success() {
            return Ok(out.text());
        }
        let why = shell::last_lines(&out.stderr);
        let why = if why.trim().is_empty() {
            shell::last_lines(&out.text())
        } else {
            why
        };
        let message = anyhow!(
            "pgbackrest {} for {name} on {} failed: {why}",
            args.iter()
                .find(|a| !a.starts_with('-'))
                .map_or("", String::as_str),
            self.shell.describe()
        );
        // A missing program or an unusable repository is not cured by trying again soon,
        // but a lock held by an earlier run (still finishing) is.
        if out.code == Some(127) {
            return Err(Error::Permanent(anyhow!(
                "pgBackRest is not installed on {} (Debian: apt-get install pgbackrest)",
                self.shell.describe()
            )));
        }
        // Damaged or undecryptable files stay damaged: say so at once, not after retries.
        const DAMAGED: &[&str] = &[
            "FormatError",
            "ChecksumError",
            "CryptoError",
            "decompression",
            "checksum",
        ];
        if DAMAGED.iter().any(|d| why.contains(d)) {
            return Err(Error::Permanent(message));
        }
        Err(Error::Transient(message))
    }

    /// Make instance `name`'s stanza in the repository (it must be running). Idempotent.
    pub async fn create_stanza(&self, name: &str, backups: &Backups) -> Result<()> {
        self.pgbackrest(name, &backups.stanza, &["stanza-create".into()])
            .await
            .map(drop)
    }

    /// Take a backup of running instance `name`. pgBackRest then expires what the
    /// retention no longer needs.
    pub async fn backup(&self, name: &str, backups: &Backups, kind: BackupType) -> Result<()> {
        self.pgbackrest(
            name,
            &backups.stanza,
            &[format!("--type={}", kind.as_pgbackrest()), "backup".into()],
        )
        .await
        .map(drop)
    }

    /// Wait until no `pgbackrest backup` of `stanza` runs with instance `name`'s
    /// configuration. One an earlier try started outlives a control plane killed meanwhile
    /// and goes on writing; it holds the stanza's backup lock (an `flock` in the lock path)
    /// until it has finished and listed its backup.
    pub async fn await_running_backup(&self, name: &str, stanza: &str) -> Result<()> {
        let lock = self
            .backup_dir(name)
            .join("spool")
            .join(format!("{stanza}-backup.lock"));
        let argv = ["flock".into(), lock.display().to_string(), "true".into()];
        let out = self.shell.run_within(&argv, None, Budget::Long).await?;
        if out.success() {
            return Ok(());
        }
        Err(Error::Transient(anyhow!(
            "waiting for a running backup of {name} on {} failed: {}",
            self.shell.describe(),
            shell::last_lines(&out.stderr)
        )))
    }

    /// The backups of `stanza`, oldest first, read with instance `name`'s configuration.
    /// A stanza not made yet has none.
    pub async fn backups(&self, name: &str, stanza: &str) -> Result<Vec<BackupInfo>> {
        let out = self
            .pgbackrest(name, stanza, &["--output=json".into(), "info".into()])
            .await?;
        parse_info(&out)
    }

    /// Check that every file of every backup in `stanza` reads back as it was written.
    pub async fn verify_backups(&self, name: &str, stanza: &str) -> Result<()> {
        self.pgbackrest(name, stanza, &["verify".into()])
            .await
            .map(drop)
    }

    /// Make instance `name`'s data directory by restoring `stanza` (another instance's, or
    /// its own) to `target`, unless it exists: into a scratch directory, renamed into place
    /// when complete. `backups` is the new instance's own configuration (for the repository
    /// and key); started, it replays WAL up to the target, then promotes.
    pub async fn restore(
        &self,
        name: &str,
        port: u16,
        backups: &Backups,
        stanza: &str,
        target: RestoreTarget,
    ) -> Result<()> {
        let dir = self.instance_dir(name);
        if self.is_initialized(&dir).await? {
            return Ok(());
        }
        self.shell.make_dir(&self.root.join("instances")).await?;
        let scratch = dir.with_extension("copy");
        // A restore that an earlier try started may still be writing there (its control
        // plane was killed, not it): stop it before starting afresh.
        self.shell
            .run(
                &[
                    "pkill".into(),
                    "-KILL".into(),
                    "-f".into(),
                    "--".into(),
                    // `[-]` matches `-` but not itself: never the shell that runs this.
                    format!("[-]-pg1-path={} ", scratch.display()),
                ],
                None,
            )
            .await?;
        self.shell.remove_tree(&scratch).await?;
        self.shell.remove_tree(&dir).await?;
        self.shell.make_private_dir(&scratch).await?;
        self.write_backup_config(name, port, backups).await?;
        // Never the last argument, so that `pkill` above can match it whole.
        let mut args = vec![format!("--pg1-path={}", scratch.display())];
        match target {
            RestoreTarget::Latest => args.push("--type=default".into()),
            RestoreTarget::Time(at) => {
                args.push("--type=time".into());
                args.push(format!(
                    "--target={}",
                    at.format("%Y-%m-%d %H:%M:%S%.6f+00")
                ));
                args.push("--target-action=promote".into());
            }
        }
        // The restored files' configuration must point at the new home, not the source's.
        args.push("--delta".into());
        args.push("restore".into());
        self.pgbackrest(name, stanza, &args).await?;
        // The source's server log and access files came along; the new instance gets fresh
        // ones (its superuser is reached by peer here, whatever the source's host was).
        for stale in ["server.log", "postmaster.pid", "postmaster.opts"] {
            self.shell.remove_tree(&scratch.join(stale)).await?;
        }
        self.write_access_files(&scratch).await?;
        // pgBackRest wrote restore_command (and the target) with the scratch path and the
        // source's stanza: keep the target, and fetch WAL through the final path.
        self.shell
            .check(
                &shell::args(
                    [
                        "sed",
                        "-i",
                        &format!(
                            "s#--pg1-path={}#--pg1-path={}#g",
                            scratch.display(),
                            dir.display()
                        ),
                    ],
                    [&scratch.join("postgresql.auto.conf")],
                ),
                None,
            )
            .await?;
        self.shell.rename(&scratch, &dir).await
    }

    /// Check the system catalogs of every database of running instance `name` with
    /// `pg_amcheck` (heap and B-tree structure), installing `amcheck` where missing.
    pub async fn check_catalogs(&self, name: &str, major: u32, port: u16) -> Result<()> {
        // pg_amcheck visits every database, the tenant's too: pinned to the catalog.
        let argv = vec![
            "env".into(),
            crate::login::PGOPTIONS.into(),
            self.bin(major, "pg_amcheck")?,
            "-h".into(),
            self.instance_dir(name).display().to_string(),
            "-p".into(),
            port.to_string(),
            "-U".into(),
            SUPERUSER.into(),
            "--all".into(),
            "--install-missing".into(),
            "--schema=pg_catalog".into(),
        ];
        let out = self.shell.run_within(&argv, None, Budget::Long).await?;
        if out.success() {
            return Ok(());
        }
        Err(Error::Permanent(anyhow!(
            "pg_amcheck found damage in instance {name}'s catalogs: {}",
            shell::last_lines(&format!("{}\n{}", out.text(), out.stderr))
        )))
    }

    /// Remove instance `name`'s pgBackRest configuration, spool and logs (its backups stay
    /// in the repository).
    pub async fn remove_backup_config(&self, name: &str) -> Result<()> {
        self.shell.remove_tree(&self.backup_dir(name)).await
    }

    /// Delete `stanza` and every backup and WAL file in it, for good. The instance must be
    /// gone; instance `name`'s configuration is used, written afresh for the purpose.
    pub async fn purge_stanza(&self, name: &str, port: u16, backups: &Backups) -> Result<()> {
        self.write_backup_config(name, port, backups).await?;
        // stanza-delete insists on a stop file first, so that no archive-push races it.
        let stopped = self
            .pgbackrest(name, &backups.stanza, &["stop".into()])
            .await;
        let deleted = match stopped {
            Ok(_) => {
                self.pgbackrest(
                    name,
                    &backups.stanza,
                    &["--force".into(), "stanza-delete".into()],
                )
                .await
            }
            Err(e) => Err(e),
        };
        match deleted {
            Ok(_) => self.remove_backup_config(name).await,
            // Deleted already (a retry after a crash): nothing left to remove.
            Err(Error::Transient(e)) if format!("{e:#}").contains("does not exist") => {
                self.remove_backup_config(name).await
            }
            Err(e) => Err(e),
        }
    }
}

/// The text of a stanza's `pgbackrest.conf`.
fn config_text(dir: &Path, data_dir: &Path, port: u16, backups: &Backups) -> Result<String> {
    let repo = &backups.repository;
    let mut lines = vec!["# Written by Toygres; rewritten at every start.".to_owned()];
    lines.push("[global]".into());
    match &repo.store {
        Store::Directory(path) => {
            lines.push("repo1-type=posix".into());
            lines.push(format!("repo1-path={}", path.display()));
        }
        Store::S3(s3) => {
            lines.push("repo1-type=s3".into());
            lines.push("repo1-path=/toygres".into());
            let (host, port) = match s3.endpoint.rsplit_once(':') {
                Some((h, p)) if p.parse::<u16>().is_ok() => (h, Some(p)),
                _ => (s3.endpoint.as_str(), None),
            };
            lines.push(format!("repo1-s3-endpoint={host}"));
            if let Some(port) = port {
                lines.push(format!("repo1-storage-port={port}"));
            }
            lines.push(format!("repo1-s3-bucket={}", s3.bucket));
            lines.push(format!("repo1-s3-region={}", s3.region));
            lines.push(format!("repo1-s3-key={}", s3.access_key_id));
            lines.push(format!("repo1-s3-key-secret={}", s3.secret_access_key));
            lines.push(format!(
                "repo1-s3-uri-style={}",
                match s3.uri_style {
                    UriStyle::Host => "host",
                    UriStyle::Path => "path",
                }
            ));
            lines.push(format!(
                "repo1-storage-verify-tls={}",
                if s3.verify_tls { "y" } else { "n" }
            ));
            if let Some(ca) = &s3.ca_file {
                lines.push(format!("repo1-storage-ca-file={}", ca.display()));
            }
        }
    }
    lines.push("repo1-cipher-type=aes-256-cbc".into());
    lines.push(format!("repo1-cipher-pass={}", repo.cipher_pass));
    lines.push("repo1-retention-full-type=time".into());
    lines.push(format!(
        "repo1-retention-full={}",
        backups.retention_days.max(1)
    ));
    // Small files (most of a young cluster) go into bundles: one object instead of
    // hundreds, which object stores charge and answer slowly for.
    lines.push("repo1-bundle=y".into());
    lines.push("compress-type=lz4".into());
    lines.push("process-max=2".into());
    lines.push("start-fast=y".into());
    lines.push("archive-async=y".into());
    lines.push(format!("spool-path={}", dir.join("spool").display()));
    lines.push(format!("lock-path={}", dir.join("spool").display()));
    lines.push(format!("log-path={}", dir.join("log").display()));
    lines.push("log-level-console=off".into());
    lines.push("log-level-stderr=error".into());
    lines.push("log-level-file=info".into());
    lines.push(String::new());
    lines.push(format!("[{}]", backups.stanza));
    lines.push(format!("pg1-path={}", data_dir.display()));
    lines.push(format!("pg1-port={port}"));
    lines.push(format!("pg1-socket-path={}", data_dir.display()));
    lines.push(format!("pg1-user={SUPERUSER}"));
    let text = lines.join("\n") + "\n";
    // A value with a line break would add settings of its own.
    if [&repo.cipher_pass, &backups.stanza]
        .iter()
        .any(|v| v.contains(['\n', '\r']))
    {
        return Err(Error::Permanent(anyhow!(
            "a backup setting contains a line break"
        )));
    }
    Ok(text)
}

#[derive(Deserialize)]
struct InfoStanza {
    #[serde(default)]
    backup: Vec<InfoBackup>,
    status: InfoStatus,
}

#[derive(Deserialize)]
struct InfoStatus {
    code: i64,
    message: String,
}

#[derive(Deserialize)]
struct InfoBackup {
    label: String,
    #[serde(rename = "type")]
    kind: String,
    timestamp: InfoTimestamp,
    info: InfoSizes,
    #[serde(default)]
    error: bool,
}

#[derive(Deserialize)]
struct InfoTimestamp {
    start: i64,
    stop: i64,
}

#[derive(Deserialize)]
struct InfoSizes {
    size: i64,
    repository: InfoRepoSize,
}

#[derive(Deserialize)]
struct InfoRepoSize {
    delta: i64,
}

/// The backups in `pgbackrest --output=json info` output.
fn parse_info(text: &str) -> Result<Vec<BackupInfo>> {
    let stanzas: Vec<InfoStanza> = serde_json::from_str(text)
        .map_err(|e| Error::Transient(anyhow!("unreadable pgbackrest info: {e}")))?;
    let Some(stanza) = stanzas.into_iter().next() else {
        return Ok(Vec::new());
    };
    // 1: the stanza does not exist (yet); 2: it has no backups; 3: a backup is missing.
    if stanza.status.code == 1 {
        return Ok(Vec::new());
    }
    if ![0, 2, 3].contains(&stanza.status.code) {
        return Err(Error::Transient(anyhow!(
            "pgbackrest info: {}",
            stanza.status.message
        )));
    }
    let time = |secs: i64| {
        Utc.timestamp_opt(secs, 0)
            .single()
            .ok_or_else(|| Error::Transient(anyhow!("pgbackrest info: bad time {secs}")))
    };
    stanza
        .backup
        .into_iter()
        .map(|b| {
            Ok(BackupInfo {
                kind: match b.kind.as_str() {
                    "full" => BackupType::Full,
                    "diff" => BackupType::Differential,
                    _ => BackupType::Incremental,
                },
                started_at: time(b.timestamp.start)?,
                finished_at: time(b.timestamp.stop)?,
                size_bytes: b.info.size,
                stored_bytes: b.info.repository.delta,
                error: b.error,
                label: b.label,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backups(store: Store) -> Backups {
        Backups {
            repository: Arc::new(Repository {
                store,
                cipher_pass: "sekrit-pass".into(),
                archive_timeout_secs: 60,
            }),
            stanza: "tg-0123456789ab".into(),
            retention_days: 7,
        }
    }

    #[test]
    fn an_s3_configuration_names_the_store_and_keeps_the_port_apart() {
        let text = config_text(
            Path::new("/r/pgbackrest/tg-1"),
            Path::new("/r/instances/tg-1"),
            20001,
            &backups(Store::S3(S3 {
                endpoint: "127.0.0.1:9443".into(),
                bucket: "b".into(),
                region: "us-east-1".into(),
                access_key_id: "AK".into(),
                secret_access_key: "SK".into(),
                uri_style: UriStyle::Path,
                verify_tls: false,
                ca_file: None,
            })),
        )
        .unwrap();
        for line in [
            "repo1-type=s3",
            "repo1-s3-endpoint=127.0.0.1",
            "repo1-storage-port=9443",
            "repo1-s3-uri-style=path",
            "repo1-storage-verify-tls=n",
            "repo1-cipher-type=aes-256-cbc",
            "repo1-retention-full=7",
            "[tg-0123456789ab]",
            "pg1-port=20001",
            "pg1-path=/r/instances/tg-1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    }

    #[test]
    fn a_store_never_shows_its_secrets_in_debug_output() {
        let b = backups(Store::S3(S3 {
            endpoint: "e".into(),
            bucket: "b".into(),
            region: "r".into(),
            access_key_id: "AKID".into(),
            secret_access_key: "TOPSECRET".into(),
            uri_style: UriStyle::Host,
            verify_tls: true,
            ca_file: None,
        }));
        let shown = format!("{b:?}");
        assert!(
            !shown.contains("TOPSECRET") && !shown.contains("sekrit-pass"),
            "{shown}"
        );
    }

    #[test]
    fn a_line_break_in_a_setting_is_refused() {
        let mut b = backups(Store::Directory("/repo".into()));
        b.stanza = "x\n[global]".into();
        assert!(config_text(Path::new("/d"), Path::new("/p"), 1, &b).is_err());
    }

    #[test]
    fn info_lists_backups_and_a_missing_stanza_has_none() {
        let text = r#"[{"archive":[],"backup":[{"label":"20261205-101500F","type":"full",
            "timestamp":{"start":1780000000,"stop":1780000005},
            "info":{"size":30000000,"delta":30000000,"repository":{"size":4000000,"delta":4000000}},
            "error":false}],"status":{"code":0,"message":"ok"},"name":"s"}]"#;
        let list = parse_info(text).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].kind, BackupType::Full);
        assert_eq!(list[0].stored_bytes, 4_000_000);
        assert_eq!((list[0].finished_at - list[0].started_at).num_seconds(), 5);
        let missing = r#"[{"archive":[],"backup":[],"status":{"code":1,"message":"missing stanza path"},"name":"s"}]"#;
        assert!(parse_info(missing).unwrap().is_empty());
    }
}
