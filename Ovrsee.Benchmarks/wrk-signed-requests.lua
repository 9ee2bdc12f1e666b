-- wrk script for SignedRequestLoad (#15): replays requests the benchmark signed beforehand, each
-- once, so the load generator does no signing and almost no work of its own during the run.
-- Arguments (after --): the requests file (one "signature<TAB>body" per line) and wrk's thread count.
-- Each thread takes every n-th line, so no two threads send the same CallSid.
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local file, thread_count = args[1], tonumber(args[2])
  requests, count, next_index, exhausted = {}, 0, 0, 0
  local line_number = 0
  for line in io.lines(file) do
    if line_number % thread_count == id then
      local signature, body = line:match("^([^\t]*)\t(.*)$")
      count = count + 1
      requests[count] = wrk.format("POST", nil, {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["X-Twilio-Signature"] = signature,
      }, body)
    end
    line_number = line_number + 1
  end
end

function request()
  next_index = next_index + 1
  if next_index > count then
    -- Out of prepared requests: repeats from here (reported, so the run can be made longer).
    exhausted, next_index = 1, 1
  end
  return requests[next_index]
end

function done(summary, latency, requests)
  local e = summary.errors
  local exhausted = 0
  for _, thread in ipairs(threads) do
    exhausted = exhausted + (thread:get("exhausted") or 0)
  end
  io.write(string.format("OVRSEE requests=%d errors=%d non2xx=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d exhausted=%d\n",
    summary.requests, e.connect + e.read + e.write + e.timeout, e.status, summary.duration,
    latency:percentile(50), latency:percentile(99), latency.max, exhausted))
end
