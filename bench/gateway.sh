#!/usr/bin/env bash
# Gateway throughput and latency with 1,000,000 orders in the database (docs/BENCHMARKS.md,
# "Gateway"). Usage: bench/gateway.sh sqlite|postgres
#
# 1. A fresh database: `server seed-demo` creates the demo ISV and app, then one bulk
#    INSERT … SELECT per table adds BENCH_ORDERS paid orders, each with one delivered
#    notification (order n: out_trade_no S<n>; notify_id 8 hex digits of n * 2654435761 mod 2^32,
#    n in 24 digits, then the order id in 10 digits: 42 characters shaped like the server's,
#    whose first ones vary like random ones; ids after seed-demo's).
# 2. bench/gateway-paths (the SDK signs them) writes the request paths: random order
#    queries (by out_trade_no and by transaction_id alternately), random notify
#    queries, and unique pay.htm requests.
# 3. The release server runs with no per-app rate limit; wrk (bench/gateway.lua) runs
#    /healthz, order query, notify query and pay.htm in turn, each at BENCH_CONNECTIONS
#    connections for BENCH_DURATION, and the CPU each process used is read from /proc.
# 4. Unless BENCH_CONSOLE=0, the demo user logs in and wrk loads the portal's
#    server-rendered /transactions (first page, a page half-way down the million, random
#    detail pages) and /dashboard at BENCH_CONSOLE_CONNECTIONS (8) connections.
#
# wrk runs under the SCHED_BATCH policy unless BENCH_WRK_SCHED=other. On a 2-core
# machine wrk shares the cores with the server; under the default policy each response
# wakes a wrk thread that preempts the server in the middle of its next request, which
# costs the server a context switch per two requests on the queries (against one per 25
# on /healthz). A batch-scheduled process is not allowed to preempt on wakeup, so the
# server runs as it would with its clients on other machines. The policy is printed
# with each table; docs/BENCHMARKS.md gives results under both.
#
# PostgreSQL: a throwaway cluster of its own (BENCH_PG_DIR, port BENCH_PG_PORT) with
# fsync, synchronous_commit and full_page_writes off, unless BENCH_PG_DURABLE=1.
# Everything it writes is under target/bench (and BENCH_PG_DIR).
#
# Settings (environment): SERVER_BIN (target/release/server), BENCH_ORDERS (1000000),
# BENCH_DURATION (15s), BENCH_CONNECTIONS (64), BENCH_THREADS (2), BENCH_ROUNDS (1),
# BENCH_PATHS (paths per file and round, 1500000), BENCH_PORT (3300), BENCH_REUSE=1
# (keep the seeded database of an earlier run), BENCH_PG_DIR (/tmp/benchpg),
# BENCH_PG_PORT (55439), PG_BIN (the newest /usr/lib/postgresql/*/bin), BENCH_WRK_SCHED (batch).
set -euo pipefail
cd "$(dirname "$0")/.."

backend="${1:-}"
case "$backend" in
  sqlite | postgres) ;;
  *) echo "usage: bench/gateway.sh sqlite|postgres" >&2; exit 2 ;;
esac
bin="${SERVER_BIN:-target/release/server}"
orders="${BENCH_ORDERS:-1000000}"
duration="${BENCH_DURATION:-15s}"
conns="${BENCH_CONNECTIONS:-64}"
threads="${BENCH_THREADS:-2}"
rounds="${BENCH_ROUNDS:-1}"
count="${BENCH_PATHS:-1500000}"
port="${BENCH_PORT:-3300}"
reuse="${BENCH_REUSE:-0}"
wrk_sched="${BENCH_WRK_SCHED:-batch}"
case "$wrk_sched" in
  batch) wrk_prefix=(chrt --batch 0) ;;
  other) wrk_prefix=() ;;
  *) echo "BENCH_WRK_SCHED is batch or other" >&2; exit 2 ;;
esac
pg_bin="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
pg_dir="${BENCH_PG_DIR:-/tmp/benchpg}"
pg_port="${BENCH_PG_PORT:-55439}"
work="target/bench/gateway-$backend"
base="http://127.0.0.1:$port"
# Benchmark-only master key: the app key seed-demo prints stays valid when BENCH_REUSE=1.
master_key=5be7c4a0e3f1d2b6a9c8e7f60123456789abcdef0123456789abcdef01234567

[ -x "$bin" ] || { echo "build first: cargo leptos build --release (or set SERVER_BIN)" >&2; exit 1; }
for tool in wrk sqlite3 psql jq curl chrt /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install wrk sqlite3 postgresql-client jq curl time util-linux)" >&2; exit 1; }
done
mkdir -p "$work"

say() { printf '%s  %s\n' "$(date +%T)" "$*" >&2; }

# --- the database -----------------------------------------------------------------
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_started=0
start_pg() {
  local fresh=0
  if [ "$reuse" != 1 ] || [ ! -f "$pg_dir/PG_VERSION" ]; then
    fresh=1
    [ -f "$pg_dir/postmaster.pid" ] && as_pg "$pg_bin/pg_ctl" -D "$pg_dir" -m fast stop >/dev/null
    rm -rf "$pg_dir"
    mkdir -p "$pg_dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$pg_dir"
    as_pg "$pg_bin/initdb" -D "$pg_dir" -U postgres -A trust -E UTF8 --no-sync >/dev/null
  fi
  local opts="-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=1GB"
  if [ "${BENCH_PG_DURABLE:-0}" != 1 ]; then
    opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  fi
  as_pg "$pg_bin/pg_ctl" -D "$pg_dir" -l "$pg_dir/log" -w -o "$opts" start >/dev/null
  pg_started=1
  if [ "$fresh" = 1 ]; then
    psql -X -q -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -c 'CREATE DATABASE bench'
    rm -f "$work/credentials.json"
  fi
}

if [ "$backend" = sqlite ]; then
  db_file="$PWD/$work/data/portal.db"
  database_url="sqlite://$db_file?mode=rwc"
  sql() { sqlite3 -batch "$db_file" "$@"; }
else
  database_url="postgres://postgres@127.0.0.1:$pg_port/bench"
  sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$database_url" -c "$@"; }
fi

server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "$pg_started" = 1 ]; then
    as_pg "$pg_bin/pg_ctl" -D "$pg_dir" -m fast stop >/dev/null || true
  fi
}
trap cleanup EXIT

server_env=(
  env PORTAL_DATA_DIR="$work/data" DATABASE_URL="$database_url" LEPTOS_SITE_ADDR="127.0.0.1:$port"
  PORTAL_MASTER_KEY="$master_key" PORTAL_GATEWAY_RATE_LIMIT=0 RUST_LOG=warn
)

[ "$backend" = postgres ] && start_pg
if [ "$reuse" = 1 ] && [ -f "$work/credentials.json" ]; then
  say "reusing the database seeded earlier"
else
  rm -rf "$work/data"
  mkdir -p "$work/data"
  "${server_env[@]}" "$bin" seed-demo > "$work/credentials.json"
  rm -f "$work/seeded"
fi
appid=$(jq -r .appid "$work/credentials.json")
key=$(jq -r .key "$work/credentials.json")
read -r app_id isv_id < <(sql "SELECT id || ' ' || isv_id FROM apps WHERE appid = '$appid'")

if [ ! -f "$work/seeded" ]; then
  # Every order was created an hour ago and paid a minute later; its notification was delivered.
  created=$(( ($(date +%s) - 3600) * 1000 ))
  # seed-demo made a few test payments: the seeded ids follow theirs.
  order_base=$(sql "SELECT COALESCE(MAX(id), 0) FROM orders")
  notification_base=$(sql "SELECT COALESCE(MAX(id), 0) FROM notifications")
  date8=$(TZ=Asia/Shanghai date -d "@$(( created / 1000 ))" +%Y%m%d)
  time_end=$(TZ=Asia/Shanghai date -d "@$(( created / 1000 + 60 ))" +%Y%m%d%H%M%S)
  if [ "$backend" = sqlite ]; then
    series="WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < $orders)"
    from="FROM c"
    pad10="printf('%010d', n)"
    serial10="printf('%010d', $order_base + n)"
    notify_id="(printf('%08x', (n * 2654435761) % 4294967296) || printf('%024d', n) || $serial10)"
    token="printf('%032x', n * 2654435761)"
  else
    series=""
    from="FROM generate_series(1, $orders) AS c(n)"
    pad10="lpad(n::text, 10, '0')"
    serial10="lpad(($order_base + n)::text, 10, '0')"
    notify_id="(lpad(to_hex((n * 2654435761::bigint) % 4294967296), 8, '0') || lpad(n::text, 24, '0') || $serial10)"
    token="md5(n::text)"
  fi
  order_rows="$series
INSERT INTO orders (id, isv_id, app_id, appid, out_trade_no, total_fee, fee_type, body, attach, bank_type,
  notify_url, return_url, spbill_create_ip, input_charset, product_fee, transport_fee, goods_tag, buyer_id,
  time_start, expires_at, trade_state, pay_info, scenario, cashier_token, time_end, created_at, updated_at,
  notify_id, notified_at)
SELECT $order_base + n, $isv_id, $app_id, '$appid', 'S' || $pad10, 1 + n % 99999, '1', 'Seeded order', '', 'DEFAULT',
  'http://127.0.0.1:9/notify', 'http://127.0.0.1:9/return', '127.0.0.1', 'UTF-8', NULL, NULL, '',
  'sandbox_buyer_10001', '', $created + 7200000, 0, '', 'normal', $token, $created + 60000, $created,
  $created + 60000, $notify_id, $created + 60000
$from"
  notification_rows="$series
INSERT INTO notifications (id, notify_id, isv_id, app_id, order_id, url, method, params, status, attempts,
  next_attempt_at, lease_owner, lease_expires_at, scenario, created_at, updated_at, delivered_at)
SELECT $notification_base + n, $notify_id, $isv_id, $app_id, $order_base + n,
  'http://127.0.0.1:9/notify', 'GET',
  '{\"appid\":\"$appid\",\"notify_id\":\"' || $notify_id || '\",\"out_trade_no\":\"S' || $pad10 ||
  '\",\"transaction_id\":\"$appid$date8' || $serial10 || '\",\"total_fee\":\"' || (1 + n % 99999) ||
  '\",\"fee_type\":\"1\",\"trade_state\":\"0\",\"trade_mode\":\"1\",\"pay_info\":\"\",\"bank_type\":\"DEFAULT\",' ||
  '\"time_end\":\"$time_end\",\"attach\":\"\",\"buyer_id\":\"sandbox_buyer_10001\",\"input_charset\":\"UTF-8\"}',
  'delivered', 1, NULL, NULL, NULL, 'normal', $created + 60000, $created + 61000, $created + 61000
$from"
  say "seeding $orders orders and $orders notifications ($backend)"
  start=$(date +%s)
  if [ "$backend" = sqlite ]; then
    sql "PRAGMA journal_mode = DELETE; PRAGMA synchronous = OFF;
BEGIN; $order_rows; $notification_rows; COMMIT;
ANALYZE; PRAGMA journal_mode = WAL;" >/dev/null
  else
    sql "BEGIN; $order_rows; $notification_rows;
SELECT setval(pg_get_serial_sequence('orders', 'id'), (SELECT MAX(id) FROM orders));
SELECT setval(pg_get_serial_sequence('notifications', 'id'), (SELECT MAX(id) FROM notifications)); COMMIT;" >/dev/null
    sql "VACUUM ANALYZE orders" && sql "VACUUM ANALYZE notifications"
  fi
  echo "$created $order_base" > "$work/seeded"
  say "seeded in $(( $(date +%s) - start )) s"
fi
read -r created order_base < "$work/seeded"
if [ "$backend" = sqlite ]; then
  db_size="$(du -m "$db_file" | cut -f1) MB"
else
  db_size="$(( $(sql "SELECT pg_database_size('bench')") / 1048576 )) MB"
fi
say "database: $(sql 'SELECT count(*) FROM orders') orders, $(sql 'SELECT count(*) FROM notifications') notifications, $db_size"

# --- the request paths --------------------------------------------------------------
say "building bench/gateway-paths and writing $count paths per file"
CARGO_TARGET_DIR=target/bench/cargo nice cargo build --quiet --release --offline \
  --manifest-path bench/gateway-paths/Cargo.toml
tag="P$(date +%s)"
target/bench/cargo/release/gateway-paths "$work" "$appid" "$key" "$orders" "$order_base" "$created" "$tag" \
  "$(( count * rounds ))"
awk 'BEGIN { for (i = 0; i < 1000; i++) print "/healthz" }' > "$work/healthz.txt"

# --- the server -------------------------------------------------------------------
"${server_env[@]}" "$bin" serve > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 600); do
  curl -sf -o /dev/null "$base/healthz" && break
  sleep 0.1
done
curl -sf -o /dev/null "$base/healthz" || { echo "server did not start; see $work/server.log" >&2; exit 1; }

# Every kind of request must succeed before it is timed.
check() { # file, expected text: the first 5 paths
  local path
  while read -r path; do
    curl -sf -o "$work/answer" "$base$path" && grep -q "$2" "$work/answer" ||
      { echo "unexpected answer to $base$path (in $work/answer)" >&2; exit 1; }
  done < <(head -n 5 "$1")
}
check "$work/order_query.txt" '<retcode>0</retcode>'
check "$work/notify_query.txt" '<retcode>0</retcode>'
tail -n 5 "$work/pay.txt" > "$work/pay_check.txt"
check "$work/pay_check.txt" 'Sandbox cashier'

# --- measuring --------------------------------------------------------------------
clk=$(getconf CLK_TCK)
ticks_of() { # utime + stime of these processes, in clock ticks
  local pid total=0
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] && total=$(( total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat") ))
  done
  echo "$total"
}
db_ticks() {
  [ "$backend" = postgres ] || { echo 0; return; }
  local postmaster
  postmaster=$(head -n 1 "$pg_dir/postmaster.pid")
  # shellcheck disable=SC2046
  ticks_of "$postmaster" $(pgrep -P "$postmaster")
}
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; } # without steal
steal_ticks() { awk '/^cpu / { print $9 }' /proc/stat; }

rows=()
declare -A rps
bench() { # label, paths file, duration; appends a table row, sets rps[label]
  local label="$1" file="$2" length="${3:-$duration}" out="$work/wrk.out"
  local s0 d0 b0 t0 s1 d1 b1 t1 wrk_cpu secs
  # One file per wrk thread: lines t, t+T, t+2T, ... (bench/gateway.lua says why).
  rm -f "$file".[0-9]*
  awk -v t="$threads" '{ print > (FILENAME "." ((NR - 1) % t + 1)) }' "$file"
  s0=$(ticks_of "$server_pid"); d0=$(db_ticks); b0=$(busy_ticks); t0=$(steal_ticks)
  /usr/bin/time -f '%U %S' -o "$work/wrk.time" "${wrk_prefix[@]}" \
    wrk -t"$threads" -c"$conns" -d"$length" --timeout 10s --latency -s bench/gateway.lua "$base" \
    -- "$file" "$threads" "${cookie:-}" > "$out"
  s1=$(ticks_of "$server_pid"); d1=$(db_ticks); b1=$(busy_ticks); t1=$(steal_ticks)
  wrk_cpu=$(awk '{ print $1 + $2 }' "$work/wrk.time")
  local line requests duration_us p50 p99 errors wraps
  line=$(grep '^RESULT' "$out")
  field() { sed -E "s/.* $1=([0-9]+).*/\1/" <<< " ${line#RESULT}"; }
  requests=$(field requests); duration_us=$(field duration_us)
  p50=$(field p50_us); p99=$(field p99_us); wraps=$(field wraps)
  errors=$(( $(field connect) + $(field read) + $(field write) + $(field status) + $(field timeout) ))
  secs=$(awk -v d="$duration_us" 'BEGIN { print d / 1e6 }')
  rps[$label]=$(awk -v r="$requests" -v s="$secs" 'BEGIN { printf "%.0f", r / s }')
  # The healthz and /transactions list files repeat one path on purpose.
  [ "$wraps" = 0 ] || [[ "$file" == "$work/healthz.txt" || "$file" == "$work"/tx_[fd]*.txt ]] || say "warning: $label ran out of paths ($wraps wraps); raise BENCH_PATHS"
  # CPU in % of one core over the run; "other" is every other process on the machine,
  # "steal" the time the hypervisor gave to other machines.
  rows+=("$(awk -v label="$label" -v rps="${rps[$label]}" -v p50="$p50" -v p99="$p99" -v err="$errors" \
    -v srv=$(( s1 - s0 )) -v db=$(( d1 - d0 )) -v busy=$(( b1 - b0 )) -v steal=$(( t1 - t0 )) -v wrk="$wrk_cpu" \
    -v secs="$secs" -v clk="$clk" -v requests="$requests" 'BEGIN {
      s = 100 * srv / clk / secs; d = 100 * db / clk / secs; w = 100 * wrk / secs
      o = 100 * busy / clk / secs - s - d - w; if (o < 0) o = 0
      printf "| %s | %s | %.2f | %.2f | %s | %.0f / %.0f / %.0f / %.0f / %.0f | %.0f |", label, rps,
        p50 / 1000, p99 / 1000, err, s, d, w, o, 100 * steal / clk / secs, 1e6 * (srv + db) / clk / requests }')")
  say "$label: ${rps[$label]} requests/s, p99 $(( p99 / 1000 )) ms, $errors errors"
}

say "warming up (5 s of each query, not recorded)"
bench warm-order "$work/order_query.txt" 5s
bench warm-notify "$work/notify_query.txt" 5s
rows=()

table() {
  echo
  echo "| request | requests/s | p50 ms | p99 ms | errors | CPU % of a core: server / database / wrk / other / steal | server + database CPU µs per request |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
}
for round in $(seq 1 "$rounds"); do
  rows=()
  sed -n "$(( (round - 1) * count + 1 )),$(( round * count ))p" "$work/pay.txt" > "$work/pay_round.txt"
  before=$(sql "SELECT count(*) FROM orders")
  bench /healthz "$work/healthz.txt"
  bench "order query" "$work/order_query.txt"
  bench "notify query" "$work/notify_query.txt"
  bench "pay.htm (creates an order)" "$work/pay_round.txt"
  stored=$(( $(sql "SELECT count(*) FROM orders") - before ))
  echo
  echo "## $backend, round $round of $rounds ($(sql 'SELECT count(*) FROM orders') orders now, wrk scheduled as $wrk_sched)"
  table
  awk -v h="${rps[/healthz]}" -v o="${rps[order query]}" -v n="${rps[notify query]}" 'BEGIN {
    printf "\nratio to /healthz: order query %.2f, notify query %.2f\n", o / h, n / h }'
  echo "orders stored by the pay.htm run: $stored"
done

# --- the console: /transactions with a million rows -------------------------------------
if [ "${BENCH_CONSOLE:-1}" != 0 ]; then
  email=$(jq -r .email "$work/credentials.json")
  password=$(jq -r .password "$work/credentials.json")
  code=$(curl -s -o /dev/null -w '%{http_code}' -c "$work/cookies.txt" -H "Origin: $base" \
    --data-urlencode "email=$email" --data-urlencode "password=$password" "$base/login")
  [ "$code" = 303 ] || { echo "login answered $code, not 303" >&2; exit 1; }
  cookie="portal_session=$(awk '$6 == "portal_session" { print $7 }' "$work/cookies.txt")"
  deep=$(( order_base + orders / 2 ))
  date8=$(TZ=Asia/Shanghai date -d "@$(( created / 1000 ))" +%Y%m%d)
  awk 'BEGIN { for (i = 0; i < 1000; i++) print "/transactions" }' > "$work/tx_first.txt"
  awk -v d="$deep" 'BEGIN { for (i = 0; i < 1000; i++) print "/transactions?before=" d }' > "$work/tx_deep.txt"
  awk 'BEGIN { for (i = 0; i < 1000; i++) print "/dashboard" }' > "$work/tx_dashboard.txt"
  awk -v n="$orders" -v base="$order_base" -v appid="$appid" -v date8="$date8" 'BEGIN { srand(7)
    for (i = 0; i < 100000; i++) printf "/transactions/%s%s%010d\n", appid, date8, base + 1 + int(rand() * n) }' \
    > "$work/tx_detail.txt"
  page_check() { # path, expected text
    curl -sf -o "$work/answer" -b "$work/cookies.txt" "$base$1" && grep -q "$2" "$work/answer" ||
      { echo "unexpected answer to $base$1 (in $work/answer)" >&2; exit 1; }
  }
  page_check /transactions "before="
  page_check "/transactions?before=$deep" "S$(printf '%010d' $(( deep - order_base - 1 )))"
  page_check "$(head -n 1 "$work/tx_detail.txt")" 'Seeded order'
  page_check /dashboard "$appid"
  saved_conns=$conns
  conns="${BENCH_CONSOLE_CONNECTIONS:-8}"
  rows=()
  bench "/transactions, first page" "$work/tx_first.txt" 10s
  bench "/transactions, page at row $(( orders / 2 ))" "$work/tx_deep.txt" 10s
  bench "/transactions/{transaction_id}" "$work/tx_detail.txt" 10s
  bench "/dashboard" "$work/tx_dashboard.txt" 10s
  conns=$saved_conns
  echo
  echo "## $backend, console at ${BENCH_CONSOLE_CONNECTIONS:-8} connections (wrk scheduled as $wrk_sched)"
  table
fi
