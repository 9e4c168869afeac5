#!/usr/bin/env bash
# Benchmark the job engine against graphile-worker 0.18 on one PostgreSQL: no-op jobs, a
# backlog processed, jobs enqueued one by one (16 clients) while processed, and the idle
# enqueue-to-start latency over 100 jobs; concurrency 32 on both sides. Runs alternated
# (Toygres, graphile-worker, Toygres, ...), each on a fresh database, medians of BENCH_REPS
# printed as a Markdown table. Figures go to BENCHMARKS.md.
#   scripts/bench-queue.sh [--quick]   BENCH_JOBS (5000), BENCH_REPS (3),
#   QUEUE_BENCH_BIN: a built jobs/examples/queue_bench to run instead of a release build;
#   BENCH_PG: see scripts/bench/peers.sh. --quick: 500 jobs, one repetition.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench/peers.sh
install_peers
if [ -n "${QUEUE_BENCH_BIN:-}" ]; then
    queue_bench=$QUEUE_BENCH_BIN
else
    cargo build --release --locked -p jobs --features script-workflow --example queue_bench
    queue_bench=target/release/examples/queue_bench
fi
jobs=${BENCH_JOBS:-5000}
reps=${BENCH_REPS:-3}
$quick && jobs=500 reps=1

dir=$(mktemp -d /tmp/toygres-bench-queue.XXXXXX)
trap 'psql_on postgres -c "DROP DATABASE IF EXISTS peer_bench_queue WITH (FORCE)" || true; rm -rf "$dir"' EXIT

# Each prints "backlog_jobs/s one_by_one_jobs/s idle_median_ms load1".
toygres() {
    # queue_bench makes and drops a database of its own on DATABASE_URL's server.
    # Plain TCP, as graphile-worker's node-postgres: sqlx would take TLS when offered.
    DATABASE_URL="$bench_pg/postgres?sslmode=disable" "$queue_bench" "$jobs" 32 1 >"$dir/toygres.out"
    awk -v la="$(cut -d' ' -f1 /proc/loadavg)" '
        /^process/ { b = $2 }
        /^end-to-end/ { e = $2 }
        /median/ { for (i = 1; i < NF; i++) if ($i == "median") m = $(i + 1) }
        END { print b, e, m, la }' "$dir/toygres.out"
}
peer() {
    psql_on postgres -c 'DROP DATABASE IF EXISTS peer_bench_queue WITH (FORCE)' -c 'CREATE DATABASE peer_bench_queue'
    local figures
    figures=$(DATABASE_URL="$bench_pg/peer_bench_queue" node scripts/bench/queue.mjs "$jobs" 32)
    echo "$figures $(cut -d' ' -f1 /proc/loadavg)"
    psql_on postgres -c 'DROP DATABASE peer_bench_queue WITH (FORCE)'
}

for rep in $(seq "$reps"); do
    line=$(toygres)
    echo "toygres $line" >>"$dir/results"
    line=$(peer)
    echo "peer $line" >>"$dir/results"
    echo "run $rep done" >&2
done

python3 - "$dir/results" "$jobs" "$reps" "$(nproc)" <<'PY'
import statistics, sys
path, jobs, reps, cores = sys.argv[1:]
rows = {}
for line in open(path):
    side, *figures = line.split()
    rows.setdefault(side, []).append([float(f) for f in figures])
med = lambda side, i: statistics.median(r[i] for r in rows[side])
print(f"No-op jobs, concurrency 32, {int(jobs):,} per phase, medians of {reps}, runs alternated.")
print()
print("| | Toygres | graphile-worker 0.18 |")
print("| --- | ---: | ---: |")
print(f"| no-op operations, {int(jobs):,} queued, processed | {med('toygres', 0):,.0f} jobs/s | {med('peer', 0):,.0f} jobs/s |")
print(f"| operations enqueued one by one while processed | {med('toygres', 1):,.0f} jobs/s | {med('peer', 1):,.0f} jobs/s |")
print(f"| idle enqueue → start | median {med('toygres', 2):.1f} ms | median {med('peer', 2):.1f} ms |")
loads = [r[3] for rs in rows.values() for r in rs]
print()
print(f"Machine: {cores} cores; 1-minute load average after each run: {min(loads):.2f} to {max(loads):.2f}.")
PY
