#!/usr/bin/env bash
# Benchmark failover, switchover and restart in place: builds release binaries (unless
# TOYGRES_BIN and FAILOVER_BENCH_BIN name built ones), starts Toygres on a scratch embedded
# database, and runs examples/failover_bench.rs against it. Figures go to BENCHMARKS.md.
#   BENCH_ROUNDS (3) per scenario; HA_SECS (2) both the failover watcher's check interval and
#   the health sweep's (which restarts a lone instance in place), so both detect alike;
#   FAILOVER_CHECKS (3) failed checks before a failover.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if [ -z "${TOYGRES_BIN:-}" ] || [ -z "${FAILOVER_BENCH_BIN:-}" ]; then
    cargo build --release --locked --bin toygres --example failover_bench
fi
bin=${TOYGRES_BIN:-target/release/toygres}
bench=${FAILOVER_BENCH_BIN:-target/release/examples/failover_bench}

dir=$(mktemp -d /tmp/toygres-bench.XXXXXX)
chmod 755 "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export TOYGRES_DATA_DIR="$dir/data" TOYGRES_LISTEN="127.0.0.1:$port"
export TOYGRES_BOOTSTRAP_ADMIN_EMAIL=bench@example.com TOYGRES_BOOTSTRAP_ADMIN_PASSWORD=bench-password-1234
export TOYGRES_HA_CHECK_SECS="${HA_SECS:-2}" TOYGRES_HEALTH_INTERVAL_SECS="${HA_SECS:-2}"
export TOYGRES_FAILOVER_AFTER_CHECKS="${FAILOVER_CHECKS:-3}"
env -u DATABASE_URL "$bin" serve >"$dir/toygres.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid; wait $pid || true; rm -rf "$dir"' EXIT
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.1; done

echo "machine load before: $(cut -d' ' -f1-3 /proc/loadavg)"
BENCH_URL="http://127.0.0.1:$port/graphql" BENCH_DATA_DIR="$dir/data" \
BENCH_EMAIL=$TOYGRES_BOOTSTRAP_ADMIN_EMAIL BENCH_PASSWORD=$TOYGRES_BOOTSTRAP_ADMIN_PASSWORD \
    "$bench"
echo "machine load after: $(cut -d' ' -f1-3 /proc/loadavg)"
