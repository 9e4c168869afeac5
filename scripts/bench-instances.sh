#!/usr/bin/env bash
# Benchmark local instances: builds release binaries, starts Toygres on a scratch embedded
# database, and runs examples/instances_bench.rs against it. Figures go to BENCHMARKS.md.
#   BENCH_COUNT (20) instances for latency, BENCH_FLEET (200) for the sweep,
#   BENCH_SWEEP_SECS (60) measuring window, HEALTH_SECS (10) sweep interval.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cargo build --release --locked --bin toygres --example instances_bench

dir=$(mktemp -d /tmp/toygres-bench.XXXXXX)
chmod 755 "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export TOYGRES_DATA_DIR="$dir/data" TOYGRES_LISTEN="127.0.0.1:$port"
export TOYGRES_BOOTSTRAP_ADMIN_EMAIL=bench@example.com TOYGRES_BOOTSTRAP_ADMIN_PASSWORD=bench-password-1234
export TOYGRES_HEALTH_INTERVAL_SECS="${HEALTH_SECS:-10}" TOYGRES_WORKER_POLL_MS=100
env -u DATABASE_URL target/release/toygres serve >"$dir/toygres.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid; wait $pid || true; rm -rf "$dir"' EXIT
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.1; done

BENCH_URL="http://127.0.0.1:$port/graphql" BENCH_DATA_DIR="$dir/data" BENCH_PID=$pid \
BENCH_EMAIL=$TOYGRES_BOOTSTRAP_ADMIN_EMAIL BENCH_PASSWORD=$TOYGRES_BOOTSTRAP_ADMIN_PASSWORD \
    target/release/examples/instances_bench
