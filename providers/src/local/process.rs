//! The installed PostgreSQL server binaries, and the unprivileged user that runs them. Starting,
//! waiting for and stopping servers is [`crate::host::PgHost`]'s.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow};
use nix::unistd::{User, geteuid};
use tokio::process::Command;

use crate::{Error, Result};

/// Where Debian (and so Ubuntu) installs each major version's server binaries.
const DEBIAN_LIB_DIR: &str = "/usr/lib/postgresql";
/// What to tell a user who has no server binaries.
const INSTALL_HINT: &str = "install the PostgreSQL server binaries (Debian/Ubuntu: `apt-get install postgresql`) \
     or point TOYGRES_PG_BIN_DIR at the directory that holds `postgres` and `initdb`";

/// One installed PostgreSQL version's server binaries.
#[derive(Clone, Debug)]
pub struct PgBinaries {
    bin_dir: PathBuf,
    major: u32,
}

impl PgBinaries {
    /// The binaries in `explicit` if given, else the newest version under Debian's
    /// `/usr/lib/postgresql/<major>/bin`, else whatever `postgres` is on `PATH`.
    pub fn discover(explicit: Option<&Path>) -> Result<Self> {
        if let Some(dir) = explicit {
            return Self::at(dir);
        }
        if let Some(newest) = Self::installed().into_iter().last() {
            return Ok(newest);
        }
        let on_path = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .find(|dir| dir.join("postgres").is_file() && dir.join("initdb").is_file());
        match on_path {
            Some(dir) => Self::at(&dir),
            None => Err(Error::Permanent(anyhow!(
                "PostgreSQL server binaries not found in {DEBIAN_LIB_DIR}/*/bin or on PATH: {INSTALL_HINT}"
            ))),
        }
    }

    /// Every version installed under Debian's layout, oldest first.
    pub fn installed() -> Vec<Self> {
        let Ok(entries) = std::fs::read_dir(DEBIAN_LIB_DIR) else {
            return Vec::new();
        };
        let mut found: Vec<Self> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| Self::at(&e.path().join("bin")).ok())
            .collect();
        found.sort_by_key(|b| b.major);
        found
    }

    /// The binaries in `dir`, which must hold `postgres` and `initdb`.
    pub fn at(dir: &Path) -> Result<Self> {
        for name in ["postgres", "initdb"] {
            if !dir.join(name).is_file() {
                return Err(Error::Permanent(anyhow!(
                    "no `{name}` in {}: {INSTALL_HINT}",
                    dir.display()
                )));
            }
        }
        let out = std::process::Command::new(dir.join("postgres"))
            .arg("--version")
            .output()
            .with_context(|| format!("run {}/postgres --version", dir.display()))
            .map_err(Error::Permanent)?;
        let text = String::from_utf8_lossy(&out.stdout);
        // "postgres (PostgreSQL) 15.19 (Debian 15.19-0+deb12u1)"
        let major = text
            .split_whitespace()
            .nth(2)
            .and_then(|v| v.split('.').next())
            .and_then(|m| m.parse().ok())
            .ok_or_else(|| {
                Error::Permanent(anyhow!("unexpected `postgres --version` output: {text:?}"))
            })?;
        Ok(Self {
            bin_dir: dir.to_path_buf(),
            major,
        })
    }

    /// The major version, such as 15.
    pub fn major(&self) -> u32 {
        self.major
    }

    /// The directory holding the binaries.
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }
}

/// The unprivileged system user that runs Postgres when we are root.
#[derive(Clone, Debug)]
pub struct RunAs {
    name: String,
    uid: u32,
    gid: u32,
}

impl RunAs {
    /// `None` when we are not root (Postgres runs as us); otherwise the system user `name`,
    /// which must exist.
    pub fn resolve(name: &str) -> Result<Option<Self>> {
        if !geteuid().is_root() {
            return Ok(None);
        }
        let user = User::from_name(name)
            .with_context(|| format!("look up system user {name}"))
            .map_err(Error::Permanent)?
            .ok_or_else(|| {
                Error::Permanent(anyhow!(
                    "Postgres refuses to run as root and the system user `{name}` does not exist: \
                     create it (`useradd --system --user-group --no-create-home {name}`, or install \
                     the `postgresql` package which creates `postgres`) or name another with TOYGRES_PG_USER"
                ))
            })?;
        Ok(Some(Self {
            name: user.name,
            uid: user.uid.as_raw(),
            gid: user.gid.as_raw(),
        }))
    }

    /// The system user whose id is `uid` (the owner of a file, say).
    pub fn of_uid(uid: u32) -> Result<Self> {
        let user = User::from_uid(nix::unistd::Uid::from_raw(uid))
            .with_context(|| format!("look up system user {uid}"))
            .map_err(Error::Permanent)?
            .ok_or_else(|| Error::Permanent(anyhow!("no system user has the id {uid}")))?;
        Ok(Self {
            name: user.name,
            uid: user.uid.as_raw(),
            gid: user.gid.as_raw(),
        })
    }

    /// The user's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The user's id.
    pub fn uid(&self) -> u32 {
        self.uid
    }

    /// The user's primary group's id.
    pub fn gid(&self) -> u32 {
        self.gid
    }

    /// Give `root` and everything under it to the user, never following a symbolic link: a
    /// link is changed itself, and a linked directory is not entered.
    pub fn chown_tree(&self, root: &Path) -> Result<()> {
        self.chown(root)?;
        let meta = std::fs::symlink_metadata(root)
            .with_context(|| format!("inspect {}", root.display()))
            .map_err(Error::Permanent)?;
        if meta.is_dir() {
            let entries = std::fs::read_dir(root)
                .with_context(|| format!("list {}", root.display()))
                .map_err(Error::Permanent)?;
            for entry in entries {
                let entry = entry
                    .with_context(|| format!("list {}", root.display()))
                    .map_err(Error::Permanent)?;
                self.chown_tree(&entry.path())?;
            }
        }
        Ok(())
    }

    pub(crate) fn apply(&self, cmd: &mut Command) {
        cmd.uid(self.uid).gid(self.gid);
    }

    /// Give `path` itself to the user; a symbolic link is changed, never what it points to
    /// (a tenant's server may have planted it).
    pub(crate) fn chown(&self, path: &Path) -> Result<()> {
        std::os::unix::fs::lchown(path, Some(self.uid), Some(self.gid))
            .with_context(|| format!("chown {} to {}", path.display(), self.name))
            .map_err(Error::Permanent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_without_binaries_names_the_package_to_install() {
        let dir = tempfile::tempdir().unwrap();
        let err = PgBinaries::discover(Some(dir.path())).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("apt-get install postgresql"), "{msg}");
        assert!(matches!(err, Error::Permanent(_)));
    }

    #[test]
    fn installed_binaries_report_their_major_version() {
        let Some(bins) = PgBinaries::installed().into_iter().last() else {
            panic!("these tests need PostgreSQL server binaries under {DEBIAN_LIB_DIR}");
        };
        assert!(bins.major() >= 12, "major {}", bins.major());
        assert!(bins.bin_dir().ends_with("bin"));
    }
}
