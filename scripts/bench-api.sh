#!/usr/bin/env bash
# Benchmark the GraphQL API against PostGraphile 4.14 on one PostgreSQL: the same `instances`
# table with the same 1,000 rows, the same fields asked, wrk with 32 connections and 2 threads,
# runs alternated (Toygres, PostGraphile, Toygres, ...), medians of BENCH_REPS printed as a
# Markdown table. Figures go to BENCHMARKS.md.
#   scripts/bench-api.sh [--quick]     BENCH_SECS (10) per run, BENCH_REPS (3),
#   BENCH_POOL (10) database connections per server; TOYGRES_BIN, BENCH_PG: see
#   scripts/bench/peers.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench/peers.sh
need_wrk
install_peers
bin=$(toygres_bin)
secs=${BENCH_SECS:-10}
reps=${BENCH_REPS:-3}
$quick && secs=2 reps=1

dir=$(mktemp -d /tmp/toygres-bench-api.XXXXXX)
chmod 755 "$dir"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
    psql_on postgres -c 'DROP DATABASE IF EXISTS toygres_bench WITH (FORCE)' -c 'DROP DATABASE IF EXISTS peer_bench WITH (FORCE)' || true
    rm -rf "$dir"
}
trap cleanup EXIT

# Both databases: Toygres's schema from its migrations, 1,000 RUNNING instances in the default
# project as rows (the servers behind them don't matter here), and an exact copy for the peer.
psql_on postgres -c 'DROP DATABASE IF EXISTS toygres_bench WITH (FORCE)' -c 'DROP DATABASE IF EXISTS peer_bench WITH (FORCE)' \
    -c 'CREATE DATABASE toygres_bench'
DATABASE_URL="$bench_pg/toygres_bench" "$bin" migrate >"$dir/migrate.log" 2>&1 || { cat "$dir/migrate.log" >&2; exit 1; }
psql_on toygres_bench <<'SQL'
INSERT INTO instances (id, project_id, name, provider, pg_version, storage_gb, state, health,
                       host, port, username, database_name, created_at, updated_at)
SELECT md5('bench-' || i)::uuid, '00000000-0000-0000-0000-000000000001', format('bench-%s', i),
       'local', 15, 10, 'running', 'healthy', '127.0.0.1', 20000 + i, 'app', 'app',
       timestamptz '2026-12-01' + i * interval '1 minute', timestamptz '2026-12-01' + i * interval '1 minute'
FROM generate_series(1, 1000) i;
INSERT INTO instance_secrets (instance_id, password)
SELECT md5('bench-' || i)::uuid, md5('password-' || i) FROM generate_series(1, 1000) i;
SQL
psql_on toygres_bench -c 'SELECT id FROM instances ORDER BY id' >"$dir/ids"
psql_on postgres -c 'CREATE DATABASE peer_bench TEMPLATE toygres_bench'
# PostGraphile's equivalent of `connectionString`: a computed column that reads the secret.
psql_on peer_bench <<'SQL'
CREATE FUNCTION instances_connection_string(i instances) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format('postgresql://%s:%s@%s:%s/%s', i.username, s.password, i.host, i.port, i.database_name)
    FROM instance_secrets s WHERE s.instance_id = i.id
$$;
SQL
# Statistics for both, as autovacuum would gather them on a live installation: the machine's
# PostgreSQL may run without autovacuum (this one does), and without statistics the planner
# guesses (it read and sorted all 1,000 instances for each of Toygres's pages).
psql_on toygres_bench -c 'ANALYZE'
psql_on peer_bench -c 'ANALYZE'

# Both servers get the same number of database connections (PostGraphile's default, 10): the
# shared PostgreSQL has 100 slots in all. Both talk to it in plain TCP: node-postgres uses TLS
# only when asked, while sqlx takes it whenever the server offers it (Debian's does).
pool=${BENCH_POOL:-10}
# The API alone (no workers or health sweeps), on its own database.
toygres_port=$(free_port)
start_toygres() {
    TOYGRES_DATA_DIR="$dir/data" TOYGRES_LISTEN="127.0.0.1:$toygres_port" TOYGRES_ROLE=api TOYGRES_DB_POOL_SIZE=$pool \
        TOYGRES_BOOTSTRAP_ADMIN_EMAIL=bench@example.com TOYGRES_BOOTSTRAP_ADMIN_PASSWORD=bench-password-1234 \
        DATABASE_URL="$bench_pg/toygres_bench?sslmode=disable" "$bin" serve >>"$dir/toygres.log" 2>&1 &
    toygres_pid=$!
    pids+=("$toygres_pid")
    until curl -sf "http://127.0.0.1:$toygres_port/readyz" >/dev/null; do
        kill -0 "$toygres_pid" 2>/dev/null || { cat "$dir/toygres.log" >&2; exit 1; }
        sleep 0.1
    done
}
peer_port=$(free_port)
start_peer() {
    postgraphile -c "$bench_pg/peer_bench" -s public -n 127.0.0.1 -p "$peer_port" --max-pool-size "$pool" \
        --disable-query-log \
        >>"$dir/postgraphile.log" 2>&1 &
    peer_pid=$!
    pids+=("$peer_pid")
    until curl -sf -H 'Content-Type: application/json' -d '{"query":"{__typename}"}' \
        "http://127.0.0.1:$peer_port/graphql" >/dev/null; do
        kill -0 "$peer_pid" 2>/dev/null || { cat "$dir/postgraphile.log" >&2; exit 1; }
        sleep 0.1
    done
}
stop() {
    kill -TERM "$1"
    wait "$1" || true
}
start_toygres
start_peer
token=$(curl -sf -H 'Content-Type: application/json' "http://127.0.0.1:$toygres_port/graphql" \
    -d '{"query":"mutation { login(email: \"bench@example.com\", password: \"bench-password-1234\") { token } }"}' |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["login"]["token"])')

# The documents: by id, 6 fields with the secret-bearing connection string; a page of 100, 5 fields.
toygres_byid='{"query":"query($id: ID!) { instance(id: $id) { id name state host port connectionString } }","variables":{"id":"%s"}}'
toygres_list='{"query":"{ instances(first: 100) { nodes { id name state host port } } }"}'
peer_byid='{"query":"query($id: UUID!) { instanceById(id: $id) { id name state host port connectionString } }","variables":{"id":"%s"}}'
peer_list='{"query":"{ allInstances(first: 100) { nodes { id name state host port } } }"}'

# side query -> "url auth body ids"
target() {
    local side=$1 query=$2
    case $side in
        toygres) url="http://127.0.0.1:$toygres_port/graphql" auth="Bearer $token" ;;
        peer) url="http://127.0.0.1:$peer_port/graphql" auth="" ;;
    esac
    local var="${side}_${query}"
    body=${!var}
    ids=""
    if [ "$query" = byid ]; then ids="$dir/ids"; fi
}

# Every document answers with data and no errors before anything is measured.
for side in toygres peer; do
    for query in byid list; do
        target "$side" "$query"
        one=$(printf "$body" "$(head -1 "$dir/ids")")
        curl -sf -H 'Content-Type: application/json' ${auth:+-H "Authorization: $auth"} -d "$one" "$url" |
            python3 -c '
import json, re, sys
r = json.load(sys.stdin)
d = r.get("data") or {}
v = d.get("instance") or d.get("instanceById") or (d.get("instances") or d.get("allInstances") or {}).get("nodes")
if r.get("errors") or not v or ("connectionString" in str(r) and not re.search("://app:[0-9a-f]{32}@", str(r))):
    sys.exit(f"'"$side $query"': {r}")'
    done
done

ticks() { # utime + stime of each pid given, summed, in clock ticks
    local sum=0 pid
    for pid in "$@"; do
        [ -r "/proc/$pid/stat" ] || continue
        sum=$((sum + $(sed 's/^.*) //' "/proc/$pid/stat" | awk '{ print $12 + $13 }')))
    done
    echo "$sum"
}
# The database's backends; the shared server may be out of connection slots for a moment.
backends() {
    local i
    for i in $(seq 50); do
        psql_on postgres -c "SELECT pid FROM pg_stat_activity WHERE datname = '$1'" 2>/dev/null && return
        sleep 0.1
    done
    echo "cannot list the backends of $1" >&2
    return 1
}

# One wrk run; prints "req/s p99_ms requests server_ticks postgres_ticks load1".
measure() {
    local side=$1 query=$2 db=$3 server=$4
    target "$side" "$query"
    BENCH_BODY=$body BENCH_AUTH=$auth BENCH_IDS=$ids wrk -c 32 -t 2 -d 2s -s scripts/bench/request.lua "$url" >/dev/null
    local before_server pid list
    local -A before_pg=()
    before_server=$(ticks "$server")
    list=$(backends "$db")
    for pid in $list; do before_pg[$pid]=$(ticks "$pid"); done
    BENCH_BODY=$body BENCH_AUTH=$auth BENCH_IDS=$ids wrk -c 32 -t 2 -d "${secs}s" --latency \
        -s scripts/bench/request.lua "$url" >"$dir/wrk.out"
    local server_ticks=$(($(ticks "$server") - before_server))
    # Backends there before count from then; ones opened during the run count whole (pools
    # are warm by then); one that closed during the run is missed.
    local pg_ticks=0
    list=$(backends "$db")
    for pid in $list; do
        pg_ticks=$((pg_ticks + $(ticks "$pid") - ${before_pg[$pid]:-0}))
    done
    if grep -q 'Non-2xx' "$dir/wrk.out"; then
        echo "$side $query: wrk saw error responses:" >&2
        cat "$dir/wrk.out" >&2
        exit 1
    fi
    awk -v st="$server_ticks" -v pt="$pg_ticks" -v la="$(cut -d' ' -f1 /proc/loadavg)" '
        / 99% / { p = $2; if (p ~ /us$/) p = p / 1000; else if (p ~ /ms$/) p = p + 0; else if (p ~ /s$/) p = p * 1000 }
        /requests in/ { n = $1 }
        /Requests\/sec/ { r = $2 }
        END { print r, p, n, st, pt, la }' "$dir/wrk.out"
}

# Alternated: Toygres, peer, Toygres, ... each query in turn.
for rep in $(seq "$reps"); do
    for query in byid list; do
        line=$(measure toygres "$query" toygres_bench "$toygres_pid")
        echo "$query toygres $line" >>"$dir/results"
        line=$(measure peer "$query" peer_bench "$peer_pid")
        echo "$query peer $line" >>"$dir/results"
        echo "run $rep $query done" >&2
    done
done

# SQL statements per by-id request: both databases log every statement for a while, both
# servers restart so their connections take the setting, and 100 requests are counted in the
# PostgreSQL server's log (found through the postmaster's stderr) by database name: each of
# 100 ids read for the first time since the start, then the same 100 again (the steady state,
# which the throughput runs measure). Prints "first/again".
postmaster=$(head -1 "$(psql_on postgres -c 'SHOW data_directory')/postmaster.pid" 2>/dev/null || true)
log=$(readlink "/proc/${postmaster:-0}/fd/2" 2>/dev/null || true)
statements() {
    local side=$1 db=$2 pass offset count out=""
    target "$side" byid
    for pass in first again; do
        offset=$(stat -c %s "$log")
        for i in $(seq 100); do
            curl -sf -H 'Content-Type: application/json' ${auth:+-H "Authorization: $auth"} -d "$(printf "$body" "$(sed -n "${i}p" "$dir/ids")")" "$url" >/dev/null
        done
        # PostgreSQL writes its log line before answering, so every statement is in by now.
        count=$(tail -c +"$((offset + 1))" "$log" | grep -cE "@$db LOG:  (statement|execute [^:]*):" || true)
        out="$out${out:+/}$(awk -v c="$count" 'BEGIN { printf "%.1f", c / 100 }')"
    done
    echo "$out"
}
if [ -n "$log" ] && [ -f "$log" ] && [ -r "$log" ]; then
    psql_on postgres -c "ALTER DATABASE toygres_bench SET log_statement = 'all'" -c "ALTER DATABASE peer_bench SET log_statement = 'all'"
    stop "$toygres_pid"
    stop "$peer_pid"
    start_toygres
    start_peer
    toygres_statements=$(statements toygres toygres_bench)
    peer_statements=$(statements peer peer_bench)
    psql_on postgres -c 'ALTER DATABASE toygres_bench RESET log_statement' -c 'ALTER DATABASE peer_bench RESET log_statement'
else
    toygres_statements="not counted (PostgreSQL's log is not a readable file here)"
    peer_statements=""
fi

python3 - "$dir/results" "$secs" "$reps" "$toygres_statements" "$peer_statements" "$(nproc)" "$pool" <<'PY'
import os, statistics, sys
path, secs, reps, ts, ps, cores, pool = sys.argv[1:]
rows = {}
for line in open(path):
    query, side, rps, p99, n, st, pt, load = line.split()
    rows.setdefault((query, side), []).append((float(rps), float(p99), int(n), int(st), int(pt), float(load)))
tck = os.sysconf("SC_CLK_TCK")
def speed(query, side):
    r = rows[(query, side)]
    return f"{statistics.median(x[0] for x in r):,.0f} req/s, p99 {statistics.median(x[1] for x in r):.1f} ms"
def cpu(query, side):
    r = rows[(query, side)]
    per = lambda t, n: t / tck / n * 1e6
    return (f"{statistics.median(per(x[3], x[2]) for x in r):.0f} µs / "
            f"{statistics.median(per(x[4], x[2]) for x in r):.0f} µs")
loads = [x[5] for r in rows.values() for x in r]
print(f"wrk, 32 connections, 2 threads, {secs} s runs after a 2 s warm-up, medians of {reps}, runs alternated;")
print(f"{pool} database connections per server.")
print()
print("| | Toygres | PostGraphile 4.14 (one Node thread) |")
print("| --- | ---: | ---: |")
print(f"| one instance by id (`instance(id)`, 6 fields) | {speed('byid', 'toygres')} | {speed('byid', 'peer')} |")
print(f"| list of 100 instances, 5 fields | {speed('list', 'toygres')} | {speed('list', 'peer')} |")
print(f"| CPU per by-id request, server / PostgreSQL | {cpu('byid', 'toygres')} | {cpu('byid', 'peer')} |")
print(f"| CPU per list request, server / PostgreSQL | {cpu('list', 'toygres')} | {cpu('list', 'peer')} |")
print(f"| SQL statements per by-id request, first read of an id / again | {ts} | {ps} |")
print()
print(f"Machine: {cores} cores; 1-minute load average after each run: {min(loads):.2f} to {max(loads):.2f}.")
PY
