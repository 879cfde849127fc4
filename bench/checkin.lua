-- wrk script for bench/checkin_load.py: POST a JSON body with a unique Idempotency-Key
-- per request, count the answers by status, and print the figures as one JSON line.
--
-- Environment: BENCH_PATHS (the paths to POST to, separated by spaces, taken in turn),
-- BENCH_TOKEN (a Bearer token, optional), BENCH_RUN (a prefix that makes the keys of
-- this run unique).

local paths = {}
for path in string.gmatch(os.getenv("BENCH_PATHS") or "/", "%S+") do
  table.insert(paths, path)
end
local token = os.getenv("BENCH_TOKEN") or ""
local run = os.getenv("BENCH_RUN") or tostring(os.time())
local threads = {}
local next_id = 1

function setup(thread)
  thread:set("tid", next_id)
  table.insert(threads, thread)
  next_id = next_id + 1
end

function init(args)
  sent = 0
  statuses = {}
  body = '{"value": 1}'
  headers = { ["Content-Type"] = "application/json" }
  if token ~= "" then
    headers["Authorization"] = "Bearer " .. token
  end
end

function request()
  sent = sent + 1
  headers["Idempotency-Key"] = run .. "-" .. tid .. "-" .. sent
  return wrk.format("POST", paths[(sent + tid) % #paths + 1], headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for code, count in pairs(thread:get("statuses")) do
      counts[code] = (counts[code] or 0) + count
    end
  end
  local parts = {}
  for code, count in pairs(counts) do
    table.insert(parts, string.format('"%d": %d', code, count))
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, '
      .. '"p99_us": %d, "max_us": %d, "mean_us": %.1f, "statuses": {%s}, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, table.concat(parts, ", "),
    errors.connect, errors.read, errors.write, errors.status, errors.timeout
  ))
end
