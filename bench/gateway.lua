-- wrk script of bench/gateway.sh: GET each path of a file (one per line) in turn.
-- Usage: wrk -s bench/gateway.lua ... -- <paths file> <wrk threads> [cookie]
-- Thread t (1-based) takes lines t, t+T, t+2T, ... so no two threads send the same
-- path (pay.htm paths then create distinct orders). A thread that runs out starts
-- again and counts a wrap; done() reports wraps, requests and latency percentiles.

local threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local file, count = args[1], tonumber(args[2])
  if args[3] and args[3] ~= "" then
    wrk.headers["Cookie"] = args[3]
  end
  requests = {}
  local i = 0
  for line in io.lines(file) do
    if i % count == id - 1 then
      -- Formatted once here, so request() costs wrk next to nothing.
      requests[#requests + 1] = wrk.format("GET", line)
    end
    i = i + 1
  end
  index = 0
  wraps = 0
end

function request()
  index = index + 1
  if index > #requests then
    index = 1
    wraps = wraps + 1
  end
  return requests[index]
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
