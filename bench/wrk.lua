-- wrk.lua - bench.py's wrk script: POST bodies or a mix of the three routes, and a JSON summary.
--   BENCH_BODY_FILE=path  every request is a POST of that file (application/json)
--   BENCH_MIX=path        requests cycle GET /skus, GET /healthz, POST /estimate (body from path)
local body_file = os.getenv("BENCH_BODY_FILE")
local mix_file = os.getenv("BENCH_MIX")

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end

local mix = nil
local turn = 0

if body_file and body_file ~= "" then
  wrk.method = "POST"
  wrk.body = slurp(body_file)
  wrk.headers["Content-Type"] = "application/json"
end

function init(args)
  if mix_file and mix_file ~= "" then
    local body = slurp(mix_file)
    mix = {
      wrk.format("GET", "/skus"),
      wrk.format("GET", "/healthz"),
      wrk.format("POST", "/estimate", {["Content-Type"] = "application/json"}, body),
    }
  end
end

-- Defined only for the mix: with no request() wrk sends its one pre-built request without calling
-- into Lua, which is what lets it drive a fast server (with request() defined, nginx measured
-- ~3x slower here because wrk itself became the bottleneck).
if mix_file and mix_file ~= "" then
  function request()
    turn = turn % #mix + 1
    return mix[turn]
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"errors_connect":%d,' ..
    '"errors_read":%d,"errors_write":%d,"errors_status":%d,"errors_timeout":%d,' ..
    '"p50_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean))
end
