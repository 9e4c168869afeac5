#!/usr/bin/env bash
# The whole test suite. Uses DATABASE_URL (a PostgreSQL superuser) if set; otherwise starts a
# throwaway PostgreSQL for the run and removes it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --test

if [ -z "${DATABASE_URL:-}" ]; then
    dir=$(mktemp -d /tmp/toygres-testdb.XXXXXX)
    trap 'scripts/test-postgres.sh stop "$dir"' EXIT
    DATABASE_URL=$(scripts/test-postgres.sh start "$dir")
    export DATABASE_URL
fi

cargo test --workspace --all-targets --locked --no-fail-fast
