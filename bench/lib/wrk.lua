-- wrk script for the pay bench (bench/lib/wrk.ts): each connection sends the next of the requests
-- the bench wrote to PAYRELAY_WRK_REQUESTS (one per line, CR LF written as \1), never one twice,
-- and counts every answer that is not a 200 holding PAYRELAY_WRK_SUCCESS as failed.
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local count = tonumber(os.getenv("PAYRELAY_WRK_THREADS"))
  success = os.getenv("PAYRELAY_WRK_SUCCESS")
  requests, sent, failed, exhausted = {}, 0, 0, 0
  local index = 0
  -- Thread k of n takes lines k, k + n, k + 2n...: no two threads send the same request.
  for line in io.lines(os.getenv("PAYRELAY_WRK_REQUESTS")) do
    if index % count == id then requests[#requests + 1] = (line:gsub("\1", "\r\n")) end
    index = index + 1
  end
end

function request()
  sent = sent + 1
  if sent > #requests then exhausted = 1 end
  return requests[(sent - 1) % #requests + 1]
end

function response(status, headers, body)
  if status ~= 200 or not body:find(success, 1, true) then failed = failed + 1 end
end

function done(summary, latency, requests)
  local failed, exhausted = 0, 0
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("failed")
    exhausted = exhausted + thread:get("exhausted")
  end
  io.write(string.format("payrelay-wrk %d %d %d %d %d %d %d\n", summary.requests, summary.duration, failed,
    exhausted, latency:percentile(50), latency:percentile(99), latency.max))
end
