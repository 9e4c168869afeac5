//! Postgres instances as server processes on this host: the `local` provider. The steps are
//! [`PgHost`]'s, run through [`Shell::Local`]; see [`crate::host`] for the layout under the root.

use std::net::IpAddr;
use std::path::PathBuf;

use super::process::{PgBinaries, RunAs};
use crate::host::{PgHost, Shell};

pub use crate::host::SUPERUSER;

/// The local provider: the installed PostgreSQL versions, and where instances live.
#[derive(Debug)]
pub struct LocalHost {
    host: PgHost,
}

impl LocalHost {
    /// Instances under `root`, run as `run_as`, listening on `listen` at a port in `ports`,
    /// with the versions in `versions` (the installed ones when empty).
    pub fn new(
        root: PathBuf,
        run_as: Option<RunAs>,
        listen: IpAddr,
        ports: std::ops::Range<u16>,
        versions: Vec<PgBinaries>,
    ) -> Self {
        let versions = if versions.is_empty() {
            PgBinaries::installed()
        } else {
            versions
        };
        let versions = versions
            .iter()
            .map(|b| (b.major(), b.bin_dir().to_path_buf()))
            .collect();
        Self {
            host: PgHost::new(Shell::Local(run_as), root, listen, ports, versions),
        }
    }
}

impl std::ops::Deref for LocalHost {
    type Target = PgHost;

    fn deref(&self) -> &PgHost {
        &self.host
    }
}
