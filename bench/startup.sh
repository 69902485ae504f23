#!/usr/bin/env bash
# Start-up time to the first 200 of a real page, idle RSS, and the release wasm size.
# Needs the release build (`make build`). Usage: bench/startup.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${1:-5}"
port="${BENCH_PORT:-3200}"
bin=target/release/server
[ -x "$bin" ] || { echo "build first: make build" >&2; exit 1; }

now_ns() { date +%s%N; }

measure() { # $1 = data dir; prints "<ms to first 200 of /login> <idle RSS KiB>"
  local dir="$1" start pid ms rss
  start=$(now_ns)
  LEPTOS_SITE_ADDR="127.0.0.1:$port" PORTAL_DATA_DIR="$dir" RUST_LOG=warn "$bin" serve &
  pid=$!
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/login" || true)" = 200 ]; do
    sleep 0.005
  done
  ms=$(( ($(now_ns) - start) / 1000000 ))
  sleep 2
  rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  echo "$ms $rss"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "run  fresh-db-ms  existing-db-ms  idle-rss-KiB"
for i in $(seq 1 "$runs"); do
  rm -rf "$tmp/data"
  read -r fresh _ < <(measure "$tmp/data")       # creates the database and migrates
  read -r existing rss < <(measure "$tmp/data")  # migrations already applied
  echo "$i    $fresh          $existing             $rss"
done

wasm=target/site/pkg/portal.wasm
raw=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
echo "wasm: $raw bytes raw, $gz bytes gzip -9"
