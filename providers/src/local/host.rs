//! Postgres instances as server processes on this host: the `local` provider, and the embedded
//! metadata database. Both are [`PgHost`] over [`Shell::local`]; see [`crate::host`] for the
//! layout under the root.

use std::net::IpAddr;
use std::path::PathBuf;

use super::process::{PgBinaries, RunAs};
use crate::host::{PgHost, Shell};

impl PgHost {
    /// Postgres on this host: instances under `root`, run as `run_as`, listening on `listen`
    /// at a port in `ports`, with the versions in `versions` (the installed ones when empty).
    pub fn local(
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
        PgHost::new(Shell::local(run_as), root, listen, ports, versions)
    }
}
