//! PostgreSQL on this host: the installed server binaries ([`PgBinaries`]), the unprivileged
//! user that runs them ([`RunAs`]), and [`PgHost::local`](crate::host::PgHost::local), the
//! host that the `local` provider and the embedded metadata database start, wait for and stop
//! their servers through.
//!
//! A cluster is a data directory that one `postgres` process serves. Its layout:
//!
//! ```text
//! <data_dir>/                 owned by the unprivileged user that runs postgres, mode 0700
//!   PG_VERSION                written by initdb; its presence means "initialized"
//!   postgresql.auto.conf      settings we pass are given on the command line instead
//!   postmaster.pid            written by postgres: pid, data dir, start time, port,
//!                             socket dir, listen address, shmem key, status ("ready")
//!   .s.PGSQL.<port>           the Unix socket, when the data dir is the socket dir
//!   server.log                the server's stderr, appended across starts
//! ```
//!
//! Postgres refuses to run as root, so when we are root every command runs as an unprivileged
//! system user ([`RunAs`]), `postgres` by default.

mod host;
mod process;

pub use process::{PgBinaries, RunAs};
