#!/usr/bin/env bash
# The whole test suite: formatting, lints (ssr and hydrate), unit and integration
# tests on SQLite and PostgreSQL, then the end-to-end tests in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export LEPTOS_OUTPUT_NAME=portal

step() { printf '\n==> %s\n' "$*" >&2; }

# A clean run needs about 8 GB for target/ (measured in docs/BENCHMARKS.md); warn below 12 GB.
free_kb="$(df -Pk . | awk 'NR==2 {print $4}')"
printf 'disk: %s GB free here\n' "$((free_kb / 1024 / 1024))" >&2
if [ "$free_kb" -lt $((12 * 1024 * 1024)) ]; then
  echo "warning: less than 12 GB free; the build may run out of disk" >&2
fi

step "setup"
scripts/setup.sh test

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy (ssr)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "clippy (hydrate)"
cargo clippy -p app --lib --locked --no-default-features --features hydrate --target wasm32-unknown-unknown -- -D warnings

step "PostgreSQL for the tests"
TEST_POSTGRES_URL="$(scripts/pg.sh start)"
export TEST_POSTGRES_URL
trap 'scripts/pg.sh stop' EXIT

step "cargo test (SQLite and PostgreSQL)"
cargo test --workspace --locked

# The debug artifacts are not needed any more; on a small disk, make room for the release build.
free_kb="$(df -Pk . | awk 'NR==2 {print $4}')"
if [ "$free_kb" -lt $((8 * 1024 * 1024)) ]; then
  printf 'disk: %s GB free; removing target/debug before the release build\n' "$((free_kb / 1024 / 1024))" >&2
  rm -rf target/debug
fi

step "release build (cargo leptos build --release)"
cargo leptos build --release

step "end-to-end tests (Playwright, Debian Chromium)"
(cd end2end && npx playwright test)

printf 'disk: target/ uses %s\n' "$(du -sh target | cut -f1)" >&2
step "all tests passed"
