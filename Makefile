# The commands the README gives. Each installs what is missing first.
.PHONY: run test lint schema release ui

# Toygres on its embedded database: the dashboard at http://127.0.0.1:8080/ and the API at
# http://127.0.0.1:8080/graphql. The dashboard is built first when node and npm are there.
run:
	scripts/install-deps.sh
	if command -v npm >/dev/null; then $(MAKE) ui; else echo "npm not found: serving without the dashboard"; fi
	cargo run --locked -- serve

# The dashboard (ui/dist), embedded into the binary by the next cargo build.
ui:
	cd ui && npm ci --no-audit --no-fund && npm run build

# Every test (unit, API, end to end, dashboard in a real browser), against a throwaway
# PostgreSQL unless DATABASE_URL is set.
test:
	scripts/test.sh

# Formatting and lints, as CI runs them.
lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

# Regenerate schema.graphql from the code, and the dashboard's types from it.
schema:
	cargo run --locked -q -- schema > schema.graphql
	cd ui && npm run codegen

# An optimized binary in target/release/toygres.
release:
	scripts/install-deps.sh
	$(MAKE) ui
	cargo build --release --locked
