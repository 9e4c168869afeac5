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

# Where cargo puts what it builds (CARGO_TARGET_DIR when set).
bin=$(realpath "${CARGO_TARGET_DIR:-target}")/debug

# Kubernetes manifests, offline, against the real schemas in strict mode: what the provider
# applies for an instance (two shapes), and the manifests that deploy Toygres itself.
cargo build --locked
"$bin/toygres" kubernetes manifests --name ci-check --version 17 --storage-gb 10 \
    | scripts/validate-kubernetes.sh -
"$bin/toygres" kubernetes manifests --name ci-check-lb --version 13 --storage-gb 500 \
    --plan large --service-type LoadBalancer --storage-class fast-ssd --namespace databases \
    | scripts/validate-kubernetes.sh -
scripts/validate-kubernetes.sh

# The dashboard in Debian's chromium against the binary just built, which serves it itself,
# with the fake clouds and the fake Kubernetes API (the testkit crate's examples) standing in
# for Hetzner, DigitalOcean and a cluster.
cargo build --locked -p testkit --example fake_cloud --example fake_kube
(cd ui && env -u DATABASE_URL E2E_UI=embedded TOYGRES_BIN="$bin/toygres" \
    FAKE_CLOUD_BIN="$bin/examples/fake_cloud" FAKE_KUBE_BIN="$bin/examples/fake_kube" \
    node e2e/run.mjs)
