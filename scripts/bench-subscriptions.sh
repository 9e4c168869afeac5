#!/usr/bin/env bash
# Benchmark live updates: builds release binaries, starts Toygres on a scratch embedded
# database, and runs examples/subscriptions_bench.rs against it: one change pushed to 1,000,
# 10,000 and 20,000 WebSocket subscribers, the server's memory with them and after they leave.
#   BENCH_SUBSCRIBERS (1000,10000,20000) the counts to run.
#   BENCH_DISTINCT=1 gives every subscriber a document of its own, so that none share answers.
#   TOYGRES_BIN (target/release/toygres) the server to measure, BENCH_BIN the client.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if [ -z "${TOYGRES_BIN:-}" ]; then
    cargo build --release --locked --bin toygres --example subscriptions_bench
    TOYGRES_BIN=target/release/toygres
    BENCH_BIN=target/release/examples/subscriptions_bench
fi
: "${BENCH_BIN:?set BENCH_BIN to the subscriptions_bench example with TOYGRES_BIN}"
# Two sockets per subscriber (client and server) on this machine.
ulimit -n "$(ulimit -Hn)"

dir=$(mktemp -d /tmp/toygres-bench.XXXXXX)
chmod 755 "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export TOYGRES_DATA_DIR="$dir/data" TOYGRES_LISTEN="127.0.0.1:$port"
export TOYGRES_BOOTSTRAP_ADMIN_EMAIL=bench@example.com TOYGRES_BOOTSTRAP_ADMIN_PASSWORD=bench-password-1234
# Every subscriber is the same user: lift the per-user cap on open connections for the run.
export TOYGRES_WS_MAX_CONNECTIONS_PER_USER=100000
env -u DATABASE_URL "$TOYGRES_BIN" serve >"$dir/toygres.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid; wait $pid || true; rm -rf "$dir"' EXIT
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.1; done

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
BENCH_URL="http://127.0.0.1:$port/graphql" BENCH_PID=$pid \
BENCH_EMAIL=$TOYGRES_BOOTSTRAP_ADMIN_EMAIL BENCH_PASSWORD=$TOYGRES_BOOTSTRAP_ADMIN_PASSWORD \
    "$BENCH_BIN"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
