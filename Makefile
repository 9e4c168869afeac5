# The commands the README gives. Each installs what is missing first.
.PHONY: run test lint schema release

# Toygres on its embedded database, at http://127.0.0.1:8080/graphql.
run:
	scripts/install-deps.sh
	cargo run --locked -- serve

# Every test (unit, API, end to end), against a throwaway PostgreSQL unless DATABASE_URL is set.
test:
	scripts/test.sh

# Formatting and lints, as CI runs them.
lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

# Regenerate schema.graphql from the code.
schema:
	cargo run --locked -q -- schema > schema.graphql

# An optimized binary in target/release/toygres.
release:
	scripts/install-deps.sh
	cargo build --release --locked
