-- wrk script: one intake visit per request, each with a fresh visit_id and NIK serial.
-- The token and the facility come from the environment (set by bench/run.py).
local token = os.getenv("JEJARING_BENCH_TOKEN")
local facility = os.getenv("JEJARING_BENCH_FACILITY") or "PSY1801062001A"
local occurred = os.getenv("JEJARING_BENCH_OCCURRED_AT")
local counter = 0
local thread_id = 0

function setup(thread)
  thread:set("thread_id", thread_id)
  thread_id = thread_id + 1
end

local function uuid()
  local template = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"
  return (string.gsub(template, "[xy]", function (c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end

function init(args)
  math.randomseed(os.time() + (thread_id or 0) * 7919)
end

function request()
  counter = counter + 1
  local serial = (counter % 9999) + 1
  local day = math.random(1, 28)
  local month = math.random(1, 12)
  local year = math.random(50, 99)
  local nik = string.format("180106%02d%02d%02d%04d", day + 40, month, year, serial)
  local systolic = math.random(100, 175)
  local body = string.format(
    '{"visit_id":"%s","facility_id":"%s","occurred_at":"%s","service_point":"posyandu",' ..
    '"person":{"nik":"%s","sex":"F","birth_date":"19%02d-%02d-%02d","village_code":"18.01.06.2001"},' ..
    '"measurements":{"weight_kg":%d,"height_cm":%d,"systolic_mmhg":%d,"diastolic_mmhg":%d}}',
    uuid(), facility, occurred, nik, year, month, day, math.random(45, 80), math.random(145, 170),
    systolic, systolic - math.random(25, 50))
  return wrk.format("POST", "/v1/visits", {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token}, body)
end

function done(summary, latency, requests)
  io.write(string.format('{"requests": %d, "duration_us": %d, "non_2xx": %d, "p50_us": %d, "p99_us": %d, "errors": %d}\n',
    summary.requests, summary.duration, summary.errors.status, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
