#!/usr/bin/env bash
# Make sure this machine has what Toygres needs beyond the Rust toolchain: the PostgreSQL
# server binaries (for the embedded database, local instances and tests), pgBackRest (for
# instance backups), the unprivileged `postgres` user that runs instances and the `toygres`
# user that runs the embedded metadata database when Toygres runs as root, and VictoriaMetrics (for the metrics tests). Installs them on Debian/Ubuntu as
# root; otherwise names the exact command to run.
set -euo pipefail

have_server_binaries() {
    ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || command -v postgres >/dev/null 2>&1
}

if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo not found: install the Rust toolchain (https://rustup.rs) first" >&2
    exit 1
fi

# `--test`: also what the test suite needs.
for_tests=false
[ "${1:-}" = "--test" ] && for_tests=true

have_pgbackrest() {
    command -v pgbackrest >/dev/null 2>&1
}

have_victoria() {
    ! $for_tests || command -v victoria-metrics >/dev/null 2>&1
}

# The telemetry tests read /metrics with the reference parser, Python's prometheus_client.
if $for_tests && ! python3 -c 'import prometheus_client' >/dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check prometheus-client \
        || { echo "install prometheus-client for python3 (pip install prometheus-client)" >&2; exit 1; }
fi

# The Kubernetes manifests are checked offline against the real schemas by kubernetes-validate.
if $for_tests && ! python3 -c 'import kubernetes_validate' >/dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check kubernetes-validate \
        || { echo "install kubernetes-validate for python3 (pip install kubernetes-validate)" >&2; exit 1; }
fi

# The backup tests run a real S3-compatible store: moto's server mode, behind stunnel for TLS.
if $for_tests && ! { command -v moto_server >/dev/null 2>&1 && python3 -c 'import boto3' >/dev/null 2>&1; }; then
    python3 -m pip install --quiet --disable-pip-version-check 'moto[server]' \
        || { echo "install moto's server for python3 (pip install 'moto[server]')" >&2; exit 1; }
fi

have_stunnel() {
    ! $for_tests || { command -v stunnel4 >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1; }
}

have_browser() {
    ! $for_tests || command -v chromium >/dev/null 2>&1
}

# The fleet tests run real sshd processes on loopback ports as stand-in servers; the commands
# Toygres runs on servers need `ss` (iproute2) and `runuser`/`setsid` (util-linux) there.
have_sshd() {
    ! $for_tests || { [ -x /usr/sbin/sshd ] && command -v ss >/dev/null 2>&1 && command -v runuser >/dev/null 2>&1; }
}

if $for_tests && ! command -v npm >/dev/null 2>&1; then
    echo "node and npm are needed for the dashboard's tests: install Node.js 20 or newer" >&2
    exit 1
fi

# As root, the embedded metadata database runs as a system user of its own (TOYGRES_METADATA_USER),
# never as `postgres`, which runs tenants' instances.
if [ "$(id -u)" -eq 0 ] && ! id toygres >/dev/null 2>&1; then
    useradd --system --user-group --no-create-home --shell /usr/sbin/nologin toygres
fi

if have_server_binaries && have_pgbackrest && id postgres >/dev/null 2>&1 && have_victoria && have_browser && have_sshd && have_stunnel; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "PostgreSQL server binaries or pgBackRest (or, for the tests, VictoriaMetrics, Chromium and sshd) are missing." >&2
    echo "Install them, for example:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y postgresql pgbackrest victoria-metrics chromium openssh-server" >&2
    exit 1
fi

echo "installing PostgreSQL server binaries, pgBackRest and VictoriaMetrics (Debian packages postgresql, pgbackrest, victoria-metrics)" >&2
# Toygres runs its own clusters: don't let the package create and start a system-wide one.
mkdir -p /etc/postgresql-common
if ! grep -qs '^create_main_cluster' /etc/postgresql-common/createcluster.conf; then
    echo 'create_main_cluster = false' >> /etc/postgresql-common/createcluster.conf
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# victoria-metrics and chromium are for the tests; the packaged service is not started here.
packages=(postgresql pgbackrest)
$for_tests && packages+=(victoria-metrics chromium openssh-server iproute2 util-linux stunnel4 openssl)
# Packages must not start their services (sshd on port 22, say): the tests start their own.
no_services=false
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    no_services=true
fi
apt-get install -y -qq "${packages[@]}" >/dev/null
$no_services && rm -f /usr/sbin/policy-rc.d
have_server_binaries
have_pgbackrest
have_victoria
have_browser
have_sshd
have_stunnel
id postgres >/dev/null
