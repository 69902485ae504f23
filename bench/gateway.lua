-- wrk script of bench/gateway.sh: GET each path of a file (one per line) in turn.
-- Usage: wrk -s bench/gateway.lua ... -- <paths file> <wrk threads> [cookie]
-- Thread t (1-based) reads <paths file>.t, which bench/gateway.sh writes beforehand with
-- lines t, t+T, t+2T, ... of the paths file, so no two threads send the same path (pay.htm
-- paths then create distinct orders). A thread reads its file as it goes: wrk starts each
-- thread as soon as its init() returns and starts its clock after the last one, so an
-- init() that loaded the paths would let the first thread send requests that count but
-- are not timed. A thread that runs out starts again and counts a wrap; done() reports
-- wraps, requests and latency percentiles.

local threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  if args[3] and args[3] ~= "" then
    wrk.headers["Cookie"] = args[3]
  end
  paths = assert(io.open(args[1] .. "." .. id))
  wraps = 0
end

function request()
  local path = paths:read("*l")
  if not path then
    paths:seek("set", 0)
    wraps = wraps + 1
    path = paths:read("*l")
  end
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  local wraps = 0
  for _, thread in ipairs(threads) do
    wraps = wraps + thread:get("wraps")
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "connect=%d read=%d write=%d status=%d timeout=%d wraps=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout, wraps))
end
