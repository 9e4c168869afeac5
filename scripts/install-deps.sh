#!/usr/bin/env bash
# Make sure this machine has what Toygres needs beyond the Rust toolchain: the PostgreSQL
# server binaries (for the embedded database, local instances and tests) and the unprivileged
# `postgres` user that runs them when Toygres runs as root. Installs them on Debian/Ubuntu as
# root; otherwise names the exact command to run.
set -euo pipefail

have_server_binaries() {
    ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || command -v postgres >/dev/null 2>&1
}

if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo not found: install the Rust toolchain (https://rustup.rs) first" >&2
    exit 1
fi

if have_server_binaries && id postgres >/dev/null 2>&1; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "PostgreSQL server binaries are missing. Install them, for example:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y postgresql" >&2
    exit 1
fi

echo "installing the PostgreSQL server binaries (Debian package postgresql)" >&2
# Toygres runs its own clusters: don't let the package create and start a system-wide one.
mkdir -p /etc/postgresql-common
if ! grep -qs '^create_main_cluster' /etc/postgresql-common/createcluster.conf; then
    echo 'create_main_cluster = false' >> /etc/postgresql-common/createcluster.conf
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq postgresql >/dev/null
have_server_binaries
id postgres >/dev/null
