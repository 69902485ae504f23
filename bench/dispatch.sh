#!/usr/bin/env bash
# Notification dispatcher throughput, memory and lateness (docs/BENCHMARKS.md,
# "Dispatcher"). Usage: bench/dispatch.sh sqlite|postgres
#
# 1. drain: a fresh database (`server seed-demo`, server not running), then one bulk
#    INSERT … SELECT queues BENCH_DRAIN pending notifications, due now, aimed at
#    bench/receiver (params copied from a seeded notification, each with its own
#    notify_id). The server starts and delivers them; deliveries/s = count /
#    (last attempt end − first attempt start). The server's VmRSS is sampled every 100 ms.
# 2. lateness: the server idle, BENCH_LATE notifications all due at the same moment T
#    (now + 3 s, also stored in created_at); lateness = attempt start − T.
# 3. end to end: the demo user logs in, then wrk POSTs /api/create_test_payment
#    (notify_url = the receiver) for BENCH_DURATION at BENCH_CONNECTIONS connections;
#    payments accepted/s, deliveries/s in the same window, and how long after wrk
#    ends the last of them is delivered.
# The CPU time of server, receiver, PostgreSQL and wrk is read from /proc before and after
# each phase.
#
# PostgreSQL: a throwaway cluster of its own (BENCH_PG_DIR, port BENCH_PG_PORT) with
# fsync, synchronous_commit and full_page_writes off, unless BENCH_PG_DURABLE=1.
# Everything else it writes is under target/bench/dispatch-<backend>.
#
# Settings (environment): SERVER_BIN (target/release/server), BENCH_DRAIN (100000),
# BENCH_LATE (10000), BENCH_DURATION (20s), BENCH_CONNECTIONS (64), BENCH_THREADS (2),
# BENCH_HOSTS (1: distinct receiver ports the notifications are spread over),
# BENCH_RECEIVER_THREADS (1), BENCH_PHASES ("drain lateness e2e"), BENCH_PERF=1 (perf
# record the server during the drain; its numbers then include perf's overhead),
# BENCH_PORT (3400), BENCH_RECEIVER_PORT (3401), BENCH_PG_DIR (/tmp/benchpg-dispatch),
# BENCH_PG_PORT (55440), PG_BIN (the newest /usr/lib/postgresql/*/bin).
set -euo pipefail
cd "$(dirname "$0")/.."

backend="${1:-}"
case "$backend" in
  sqlite | postgres) ;;
  *) echo "usage: bench/dispatch.sh sqlite|postgres" >&2; exit 2 ;;
esac
bin="${SERVER_BIN:-target/release/server}"
drain_count="${BENCH_DRAIN:-100000}"
late_count="${BENCH_LATE:-10000}"
duration="${BENCH_DURATION:-20s}"
conns="${BENCH_CONNECTIONS:-64}"
threads="${BENCH_THREADS:-2}"
hosts="${BENCH_HOSTS:-1}"
receiver_threads="${BENCH_RECEIVER_THREADS:-1}"
phases="${BENCH_PHASES:-drain lateness e2e}"
perf="${BENCH_PERF:-0}"
port="${BENCH_PORT:-3400}"
receiver_port="${BENCH_RECEIVER_PORT:-3401}"
pg_bin="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
pg_dir="${BENCH_PG_DIR:-/tmp/benchpg-dispatch}"
pg_port="${BENCH_PG_PORT:-55440}"
work="target/bench/dispatch-$backend"
base="http://127.0.0.1:$port"
master_key=5be7c4a0e3f1d2b6a9c8e7f60123456789abcdef0123456789abcdef01234567

[ -x "$bin" ] || { echo "build first: cargo leptos build --release (or set SERVER_BIN)" >&2; exit 1; }
for tool in wrk sqlite3 psql jq curl /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install wrk sqlite3 postgresql-client jq curl time)" >&2; exit 1; }
done
[ "$perf" = 1 ] && { command -v perf >/dev/null || { echo "missing perf" >&2; exit 1; }; }
rm -rf "$work"
mkdir -p "$work"

say() { printf '%s  %s\n' "$(date +%T)" "$*" >&2; }
now_ms() { local t=${EPOCHREALTIME/./}; echo $(( t / 1000 )); }

# --- the receiver ------------------------------------------------------------------
say "building bench/receiver"
CARGO_TARGET_DIR=target/bench/cargo nice cargo build --quiet --release --offline \
  --manifest-path bench/receiver/Cargo.toml

# --- the database -----------------------------------------------------------------
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_started=0
start_pg() {
  [ -f "$pg_dir/postmaster.pid" ] && as_pg "$pg_bin/pg_ctl" -D "$pg_dir" -m fast stop >/dev/null
  rm -rf "$pg_dir"
  mkdir -p "$pg_dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$pg_dir"
  as_pg "$pg_bin/initdb" -D "$pg_dir" -U postgres -A trust -E UTF8 --no-sync >/dev/null
  local opts="-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=256MB"
  if [ "${BENCH_PG_DURABLE:-0}" != 1 ]; then
    opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  fi
  as_pg "$pg_bin/pg_ctl" -D "$pg_dir" -l "$pg_dir/log" -w -o "$opts" start >/dev/null
  pg_started=1
  psql -X -q -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -c 'CREATE DATABASE bench'
}

if [ "$backend" = sqlite ]; then
  db_file="$PWD/$work/data/portal.db"
  database_url="sqlite://$db_file?mode=rwc"
  sql() { sqlite3 -batch -cmd '.timeout 5000' "$db_file" "$@"; }
else
  database_url="postgres://postgres@127.0.0.1:$pg_port/bench"
  sql() { psql -X -q -At -F '|' -v ON_ERROR_STOP=1 "$database_url" -c "$@"; }
fi

server_pid= receiver_pid= sampler_pid= perf_pid= noise_pid=
stop_pid() {
  if [ -n "$1" ]; then kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; fi
}
cleanup() {
  if [ -n "$perf_pid" ]; then kill -INT "$perf_pid" 2>/dev/null || true; wait "$perf_pid" 2>/dev/null || true; fi
  stop_pid "$sampler_pid"
  stop_pid "$noise_pid"
  stop_pid "$server_pid"
  stop_pid "$receiver_pid"
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
mkdir -p "$work/data"
"${server_env[@]}" "$bin" seed-demo > "$work/credentials.json"
appid=$(jq -r .appid "$work/credentials.json")
seed_id=$(sql "SELECT min(id) FROM notifications")

# Queues `count` pending notifications due at `due` (created at `created`), copies of the
# first seeded one, notify_id <prefix><n>, spread over the receiver's ports. Prints the
# id range "lo hi".
queue() { # prefix count due created
  local prefix="$1" count="$2" due="$3" created="$4" lo hi
  lo=$(( $(sql "SELECT max(id) FROM notifications") + 1 ))
  local url="'http://127.0.0.1:' || ($receiver_port + n % $hosts) || '/notify'"
  if [ "$backend" = sqlite ]; then
    local nid="'$prefix' || printf('%08d', n)"
    sql "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < $count)
INSERT INTO notifications (notify_id, isv_id, app_id, order_id, url, method, params, status, attempts,
  next_attempt_at, lease_owner, lease_expires_at, scenario, created_at, updated_at, delivered_at, schedule_step)
SELECT $nid, s.isv_id, s.app_id, s.order_id, $url, s.method, json_set(s.params, '\$.notify_id', $nid),
  'pending', 0, $due, NULL, NULL, 'normal', $created, $created, NULL, 0
FROM c, (SELECT * FROM notifications WHERE id = $seed_id) AS s ORDER BY n;" >/dev/null
  else
    local nid="'$prefix' || lpad(n::text, 8, '0')"
    sql "INSERT INTO notifications (notify_id, isv_id, app_id, order_id, url, method, params, status, attempts,
  next_attempt_at, lease_owner, lease_expires_at, scenario, created_at, updated_at, delivered_at, schedule_step)
SELECT $nid, s.isv_id, s.app_id, s.order_id, $url, s.method,
  (s.params::jsonb || jsonb_build_object('notify_id', $nid))::text,
  'pending', 0, $due, NULL, NULL, 'normal', $created, $created, NULL, 0
FROM generate_series(1, $count) AS c(n), (SELECT * FROM notifications WHERE id = $seed_id) AS s ORDER BY n" >/dev/null
    sql "ANALYZE notifications" >/dev/null
  fi
  hi=$(sql "SELECT max(id) FROM notifications")
  echo "$lo $hi"
}

pending_in() { sql "SELECT count(*) FROM notifications WHERE status = 'pending' AND id BETWEEN $1 AND $2"; }
wait_drained() { # lo hi timeout_s: polls every 0.5 s until none of them is pending
  local deadline=$(( $(date +%s) + $3 ))
  while [ "$(pending_in "$1" "$2")" != 0 ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "not drained within $3 s; see $work/server.log" >&2; exit 1; }
    sleep 0.5
  done
}
percentiles() { # file of numbers → "p50 p99 max"
  sort -n "$1" | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "- - -"; exit }
    i50 = int(NR * 0.50 + 0.999999); i99 = int(NR * 0.99 + 0.999999)
    print v[i50], v[i99], v[NR] }'
}

# --- CPU accounting -----------------------------------------------------------------
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
  local postmaster reaped
  postmaster=$(head -n 1 "$pg_dir/postmaster.pid")
  # Backends and autovacuum workers that exited are in the postmaster's cutime + cstime.
  reaped=$(awk '{ print $16 + $17 }' "/proc/$postmaster/stat")
  # shellcheck disable=SC2046
  echo $(( reaped + $(ticks_of "$postmaster" $(pgrep -P "$postmaster")) ))
}
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; } # user nice system irq softirq
irq_ticks() { awk '/^cpu / { print $7 + $8 }' /proc/stat; }
steal_ticks() { awk '/^cpu / { print $9 }' /proc/stat; }
cpu_mark() {
  echo "$(ticks_of "$server_pid") $(ticks_of "$receiver_pid") $(db_ticks) $(busy_ticks) $(steal_ticks) $(now_ms) $(irq_ticks)"
}
# mark0 mark1 [wrk cpu seconds] → "server / receiver / database / wrk / irq+softirq / other / steal" in % of
# one core. irq+softirq is kernel time charged to no process (loopback TCP is mostly softirq);
# other is every other process on the machine; steal the hypervisor's.
cpu_split() {
  local wrk_s="${3:-0}"
  awk -v a="$1" -v b="$2" -v wrk="$wrk_s" -v clk="$clk" 'BEGIN {
    split(a, x, " "); split(b, y, " "); secs = (y[6] - x[6]) / 1000
    s = 100 * (y[1] - x[1]) / clk / secs; r = 100 * (y[2] - x[2]) / clk / secs; d = 100 * (y[3] - x[3]) / clk / secs
    w = 100 * wrk / secs; q = 100 * (y[7] - x[7]) / clk / secs
    o = 100 * (y[4] - x[4]) / clk / secs - s - r - d - w - q; if (o < 0) o = 0
    printf "%.0f / %.0f / %.0f / %.0f / %.0f / %.0f / %.0f", s, r, d, w, q, o, 100 * (y[5] - x[5]) / clk / secs }'
}
server_cpu_us_per() { # mark0 mark1 count → server (+ database) CPU µs per item
  awk -v a="$1" -v b="$2" -v n="$3" -v clk="$clk" 'BEGIN {
    split(a, x, " "); split(b, y, " ")
    printf "%.0f", 1e6 * ((y[1] - x[1]) + (y[3] - x[3])) / clk / n }'
}
rss_max() { # from_ms to_ms → max VmRSS in MiB sampled in that window
  awk -v a="$1" -v b="$2" '$1 >= a && $1 <= b && $2 > m { m = $2 } END { printf "%.1f", m / 1024 }' "$work/rss.txt"
}

# --- processes ----------------------------------------------------------------------
# Other work on the machine spoils the numbers: note what else ran.
# Every 5 s, a 1 s `top` sample: any process not part of this benchmark above 10 % of a core.
( while sleep 4; do
    top -b -d 1 -n 2 -w 200 | awk -v t="$(date +%T)" '/^top/ { frame++ } frame == 2 && $1 ~ /^[0-9]+$/ && $9 + 0 > 10 &&
      $12 !~ /^(server|receiver|postgres|wrk|sqlite3|psql|perf|top|bash|sleep|awk|date|time)$/ { print t, $12, $9 "%" }'
  done ) > "$work/noise.txt" 2>/dev/null &
noise_pid=$!
target/bench/cargo/release/receiver --port "$receiver_port" --ports "$hosts" --threads "$receiver_threads" \
  > "$work/receiver.out" 2> "$work/receiver.log" &
receiver_pid=$!

start_server() {
  "${server_env[@]}" "$bin" serve > "$work/server.log" 2>&1 &
  server_pid=$!
  ( while [ -r "/proc/$server_pid/status" ]; do
      while read -r key value _; do
        [ "$key" = VmRSS: ] && { t=${EPOCHREALTIME/./}; echo "$(( t / 1000 )) $value"; break; }
      done < "/proc/$server_pid/status"
      sleep 0.1
    done ) > "$work/rss.txt" 2>/dev/null &
  sampler_pid=$!
}

# BENCH_PERF=1: a system-wide sampling profile (software cpu-clock, 499 Hz per CPU): CPU by
# command (threads are named: tokio-runtime-w, sqlx-sqlite-wor, postgres, receiver, ...),
# then the server's own samples by DSO and by symbol (self time).
perf_start() {
  [ "$perf" = 1 ] || return 0
  perf record -a -F 499 -g -o "$work/perf-$1.data" > "$work/perf-$1.log" 2>&1 &
  perf_pid=$!
}
perf_stop() {
  [ "$perf" = 1 ] || return 0
  kill -INT "$perf_pid"; wait "$perf_pid" || true; perf_pid=
  local data="$work/perf-$1.data"
  perf report -i "$data" --stdio --no-children --sort comm 2>/dev/null | grep -E '^ +[0-9]' > "$work/perf-$1-comm.txt" || true
  perf report -i "$data" --stdio --no-children --pid "$server_pid" --sort dso 2>/dev/null \
    | grep -E '^ +[0-9]' > "$work/perf-$1-dso.txt" || true
  perf report -i "$data" --stdio --no-children --pid "$server_pid" --sort symbol --percent-limit 0.4 -g none 2>/dev/null \
    | grep -E '^ +[0-9]' | sed -E 's/[[:space:]]+-[[:space:]]+-[[:space:]]*$//; s/[[:space:]]+$//' | cut -c1-160 > "$work/perf-$1-top.txt" || true
  say "perf profile: $work/perf-$1-{comm,dso,top}.txt"
}

declare -A result
rows=()

# --- 1. drain -------------------------------------------------------------------------
if [[ " $phases " == *" drain "* ]]; then
  now=$(now_ms)
  read -r drain_lo drain_hi < <(queue D "$drain_count" "$now" "$now")
  [ "$backend" = postgres ] && sql "VACUUM ANALYZE notifications" >/dev/null
  say "queued $(( drain_hi - drain_lo + 1 )) notifications; starting the server"
  start_server
  [ "$backend" = postgres ] && upd0=$(sql "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'notifications'")
  perf_start drain
  m0=$(cpu_mark) # the server's ticks start from 0
  start_ms=$(now_ms)
  wait_drained "$drain_lo" "$drain_hi" 900
  end_ms=$(now_ms)
  m1=$(cpu_mark)
  perf_stop drain
  IFS='|' read -r attempts delivered first last < <(sql "SELECT count(*),
    sum(CASE WHEN a.outcome = 'delivered' THEN 1 ELSE 0 END), min(a.started_at), max(a.started_at + a.duration_ms)
    FROM notification_attempts a WHERE a.notification_id BETWEEN $drain_lo AND $drain_hi")
  rate=$(awk -v n="$delivered" -v a="$first" -v b="$last" 'BEGIN { printf "%.0f", n * 1000 / (b - a) }')
  sql "SELECT a.duration_ms FROM notification_attempts a WHERE a.notification_id BETWEEN $drain_lo AND $drain_hi" \
    > "$work/drain-durations.txt"
  read -r d50 d99 dmax < <(percentiles "$work/drain-durations.txt")
  result[drain]=$rate
  result[drain_rss]=$(rss_max "$start_ms" "$end_ms")
  updates=""
  if [ "$backend" = postgres ]; then
    upd1=$(sql "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'notifications'")
    updates=$(awk -v u=$(( upd1 - upd0 )) -v n="$delivered" 'BEGIN { printf "; %.1f notification row updates per delivery", u / n }')
  fi
  say "drain: $delivered of $attempts attempts delivered, $rate deliveries/s, max RSS ${result[drain_rss]} MiB$updates"
  rows+=("| drain $drain_count queued notifications | $rate deliveries/s ($delivered delivered in $(( last - first )) ms; $(( end_ms - start_ms )) ms from server start until all recorded) | ${result[drain_rss]} MiB | attempt p50 / p99 / max $d50 / $d99 / $dmax ms | $(cpu_split "$m0" "$m1") | $(server_cpu_us_per "$m0" "$m1" "$delivered") |")
  [ "$delivered" = "$attempts" ] && [ "$attempts" = "$drain_count" ] ||
    say "warning: $attempts attempts for $drain_count notifications, $delivered delivered"
  echo "$updates" > "$work/updates.txt"
fi
if [ -z "$server_pid" ]; then
  start_server
fi
for _ in $(seq 1 600); do
  curl -sf -o /dev/null "$base/healthz" && break
  sleep 0.1
done
curl -sf -o /dev/null "$base/healthz" || { echo "server did not start; see $work/server.log" >&2; exit 1; }

# --- 2. lateness ------------------------------------------------------------------------
if [[ " $phases " == *" lateness "* ]]; then
  sleep 2 # idle
  due=$(( $(now_ms) + 3000 ))
  read -r late_lo late_hi < <(queue L "$late_count" "$due" "$due")
  [ "$(now_ms)" -lt "$due" ] || say "warning: queueing took longer than 3 s"
  say "queued $(( late_hi - late_lo + 1 )) notifications due at $due"
  sleep 2.5
  m0=$(cpu_mark)
  wait_drained "$late_lo" "$late_hi" 600
  end_ms=$(now_ms)
  m1=$(cpu_mark)
  sql "SELECT a.started_at - $due FROM notification_attempts a
    WHERE a.notification_id BETWEEN $late_lo AND $late_hi AND a.attempt_no = 1" > "$work/lateness.txt"
  read -r l50 l99 lmax < <(percentiles "$work/lateness.txt")
  lfirst=$(awk 'NR == 1 || $1 < m { m = $1 } END { print m }' "$work/lateness.txt")
  late_failed=$(sql "SELECT count(*) FROM notification_attempts a
    WHERE a.notification_id BETWEEN $late_lo AND $late_hi AND a.outcome <> 'delivered'")
  result[late_p99]=$l99
  say "lateness: first $lfirst ms, p50 $l50 ms, p99 $l99 ms, max $lmax ms ($late_failed failed attempts)"
  rows+=("| lateness, $late_count notifications due at the same moment | p50 $l50 ms, p99 $l99 ms, max $lmax ms (first attempt $lfirst ms after T) | $(rss_max "$due" "$end_ms") MiB | | $(cpu_split "$m0" "$m1") | |")
fi

# --- 3. end to end ----------------------------------------------------------------------
if [[ " $phases " == *" e2e "* ]]; then
  email=$(jq -r .email "$work/credentials.json")
  password=$(jq -r .password "$work/credentials.json")
  code=$(curl -s -o /dev/null -w '%{http_code}' -c "$work/cookies.txt" -H "Origin: $base" \
    --data-urlencode "email=$email" --data-urlencode "password=$password" "$base/login")
  [ "$code" = 303 ] || { echo "login answered $code, not 303" >&2; exit 1; }
  cookie=$(awk '$6 == "portal_session" { print $7 }' "$work/cookies.txt")
  [ -n "$cookie" ] || { echo "no portal_session cookie after login" >&2; exit 1; }
  cat > "$work/e2e.lua" <<EOF
-- Generated by bench/dispatch.sh: POST /api/create_test_payment, notify_url cycling
-- over the receiver's $hosts port(s).
local counter = 0
function setup(thread) end
function request()
  counter = counter + 1
  local port = $receiver_port + counter % $hosts
  local body = "appid=$appid&total_fee=1&body=bench&scenario=normal&notify_url=" ..
    "http%3A%2F%2F127.0.0.1%3A" .. port .. "%2Fnotify"
  return wrk.format("POST", "/api/create_test_payment", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Accept"] = "application/json",
    ["Origin"] = "$base",
    ["Cookie"] = "portal_session=$cookie",
  }, body)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d " ..
    "connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
EOF
  # One payment first: it must be accepted.
  curl -sf -o "$work/answer" -H "Origin: $base" -H 'Accept: application/json' -b "$work/cookies.txt" \
    --data "appid=$appid&total_fee=1&body=check&scenario=normal&notify_url=http%3A%2F%2F127.0.0.1%3A$receiver_port%2Fnotify" \
    "$base/api/create_test_payment" && grep -q notify_id "$work/answer" ||
    { echo "create_test_payment failed (answer in $work/answer)" >&2; exit 1; }
  sleep 1
  e2e_lo=$(( $(sql "SELECT max(id) FROM notifications") + 1 ))
  m0=$(cpu_mark)
  perf_start e2e
  t0=$(now_ms)
  /usr/bin/time -f '%U %S' -o "$work/wrk.time" \
    wrk -t"$threads" -c"$conns" -d"$duration" --timeout 10s -s "$work/e2e.lua" "$base" > "$work/wrk.out"
  t1=$(now_ms)
  m1=$(cpu_mark)
  perf_stop e2e
  wrk_cpu=$(awk '{ print $1 + $2 }' "$work/wrk.time")
  e2e_hi=$(sql "SELECT max(id) FROM notifications")
  wait_drained "$e2e_lo" "$e2e_hi" 900
  line=$(grep '^RESULT' "$work/wrk.out")
  field() { sed -E "s/.* $1=([0-9]+).*/\1/" <<< " ${line#RESULT}"; }
  requests=$(field requests); errors=$(( $(field connect) + $(field read) + $(field write) + $(field status) + $(field timeout) ))
  wrk_secs=$(awk -v d="$(field duration_us)" 'BEGIN { print d / 1e6 }')
  accepted=$(awk -v r="$requests" -v e="$errors" -v s="$wrk_secs" 'BEGIN { printf "%.0f", (r - e) / s }')
  created=$(( e2e_hi - e2e_lo + 1 ))
  IFS='|' read -r in_window last_done < <(sql "SELECT
    (SELECT count(*) FROM notification_attempts WHERE started_at BETWEEN $t0 AND $t1 AND outcome = 'delivered'),
    (SELECT max(delivered_at) FROM notifications WHERE id BETWEEN $e2e_lo AND $e2e_hi)")
  delivered_rate=$(awk -v n="$in_window" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n * 1000 / (b - a) }')
  behind=$(( last_done - t1 )); [ "$behind" -lt 0 ] && behind=0
  sql "SELECT a.started_at - n.created_at FROM notification_attempts a JOIN notifications n ON n.id = a.notification_id
    WHERE n.id BETWEEN $e2e_lo AND $e2e_hi AND a.attempt_no = 1" > "$work/e2e-delay.txt"
  read -r e50 e99 emax < <(percentiles "$work/e2e-delay.txt")
  e2e_failed=$(sql "SELECT count(*) FROM notifications WHERE id BETWEEN $e2e_lo AND $e2e_hi AND status <> 'delivered'")
  result[e2e]=$accepted
  result[e2e_delivered]=$delivered_rate
  say "end to end: $accepted payments/s accepted ($errors wrk errors, $created notifications), $delivered_rate deliveries/s in the window, last delivered $behind ms after wrk ended"
  rows+=("| end to end, $conns connections for $duration | $accepted payments/s accepted (wrk p50 $(( $(field p50_us) / 1000 )) ms, p99 $(( $(field p99_us) / 1000 )) ms, $errors errors); $delivered_rate deliveries/s in the same window; last delivered $behind ms after wrk ended; payment → attempt p50 / p99 / max $e50 / $e99 / $emax ms; $e2e_failed not delivered | $(rss_max "$t0" "$last_done") MiB | | $(cpu_split "$m0" "$m1" "$wrk_cpu") | $(server_cpu_us_per "$m0" "$m1" "$created") |")
fi

# --- summary ------------------------------------------------------------------------------
stop_pid "$server_pid"; server_pid=
kill "$receiver_pid" 2>/dev/null || true; wait "$receiver_pid" 2>/dev/null || true; receiver_pid=
echo
echo "## dispatcher, $backend ($hosts receiver port(s)$([ "$perf" = 1 ] && echo ', under perf record'))"
echo
echo "| measure | result | server max RSS | detail | CPU % of a core: server / receiver / database / wrk / irq+softirq / other / steal | server + database CPU µs per notification |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "receiver: $(cat "$work/receiver.out") requests answered$(cat "$work/updates.txt" 2>/dev/null || true)"
if [ -s "$work/noise.txt" ]; then
  echo "warning: other builds or benchmarks ran meanwhile ($(wc -l < "$work/noise.txt") samples in $work/noise.txt), e.g.:"
  awk '{ print $2 }' "$work/noise.txt" | sort | uniq -c | sort -rn | head -n 5
fi
for phase in drain e2e; do
  [ -s "$work/perf-$phase-top.txt" ] || continue
  echo
  echo "profile, $phase (perf, whole machine by command; then the server's samples by DSO and symbol):"
  head -n 10 "$work/perf-$phase-comm.txt"
  echo
  head -n 8 "$work/perf-$phase-dso.txt"
  echo
  head -n 40 "$work/perf-$phase-top.txt"
done
