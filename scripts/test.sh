#!/usr/bin/env bash
# The whole test suite: the dashboard's checks, every cargo test, and the dashboard in a real
# browser. Uses DATABASE_URL (a PostgreSQL superuser) if set; otherwise starts a
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

# The dashboard first: its types must match schema.graphql, its component tests pass, and its
# build is what the binary embeds for the browser tests below.
(cd ui && npm ci --no-audit --no-fund && npm run codegen:check && npm test && npm run build)

cargo test --workspace --all-targets --locked --no-fail-fast

# The dashboard in Debian's chromium against the binary just built, which serves it itself,
# with the fake clouds (the providers crate's example) standing in for Hetzner and DigitalOcean.
cargo build --locked
cargo build --locked -p providers --features fake-cloud --example fake_cloud
(cd ui && env -u DATABASE_URL E2E_UI=embedded TOYGRES_BIN=../target/debug/toygres node e2e/run.mjs)
