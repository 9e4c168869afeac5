# Sourced by scripts/bench-api.sh and scripts/bench-queue.sh: what both need before measuring.
#   BENCH_PG (postgres://postgres@127.0.0.1:5432): the PostgreSQL both sides share; the
#   scripts create their own databases on it and drop them after.
#   TOYGRES_BIN: a toygres binary to measure instead of building a release one.
#   --quick: 2 s runs, one repetition, to check the mechanics (figures not worth keeping).
set -euo pipefail
# A function failing inside $(...) fails the script too.
shopt -s inherit_errexit

bench_pg=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
quick=false
[ "${1:-}" = "--quick" ] && quick=true

# The peers, pinned by scripts/bench/package-lock.json: PostGraphile, graphile-worker, and the
# Node.js 22 graphile-worker needs (npm's `node` package), so the machine's node can be older.
install_peers() {
    if [ ! -x scripts/bench/node_modules/.bin/node ] || [ scripts/bench/package-lock.json -nt scripts/bench/node_modules/.package-lock.json ]; then
        command -v npm >/dev/null 2>&1 || { echo "npm is needed to install the peers: install Node.js 20 or newer" >&2; exit 1; }
        (cd scripts/bench && npm ci --no-audit --no-fund --loglevel=error)
    fi
    PATH="$PWD/scripts/bench/node_modules/.bin:$PATH"
}

# wrk sends the HTTP load; Debian's package, installed as root like scripts/install-deps.sh does.
need_wrk() {
    command -v wrk >/dev/null 2>&1 && return
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "wrk is missing: install it, for example: sudo apt-get install -y wrk" >&2
        exit 1
    fi
    echo "installing wrk (Debian package wrk)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
}

# The toygres binary to measure: TOYGRES_BIN, or a release build of this checkout.
toygres_bin() {
    if [ -n "${TOYGRES_BIN:-}" ]; then
        echo "$TOYGRES_BIN"
    else
        cargo build --release --locked --bin toygres >&2
        echo target/release/toygres
    fi
}

psql_on() {
    local db=$1
    shift
    PGOPTIONS='-c client_min_messages=warning' psql "$bench_pg/$db" -v ON_ERROR_STOP=1 -qAt "$@"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

median() {
    sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
