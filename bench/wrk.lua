-- wrk script of the fm-core benchmark (bench/loadgen.py writes the request list).
-- BENCH_REQUESTS names a file of "path<TAB>token<TAB>json body" lines; each call
-- sends one of them at random. Errors: a status other than 200, or a body with
-- top-level GraphQL "errors". done() prints one JSON line for loadgen.py.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  errors = 0
  requests = {}
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  local file = assert(io.open(os.getenv("BENCH_REQUESTS"), "r"))
  for line in file:lines() do
    local path, token, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    local headers = { ["Content-Type"] = "application/json" }
    if token ~= "" then
      headers["Authorization"] = "JWT " .. token
    end
    table.insert(requests, wrk.format("POST", path, headers, body))
  end
  file:close()
end

function request()
  return requests[math.random(#requests)]
end

function response(status, headers, body)
  if status ~= 200 or body:find('"errors"', 1, true) then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("errors")
  end
  local e = summary.errors
  failed = failed + e.connect + e.read + e.write + e.timeout
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,"errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), failed))
end
