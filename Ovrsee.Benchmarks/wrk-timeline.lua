-- wrk-signed-requests.lua plus a timeline: responses completed per 250 ms, printed at the end
-- (compare --timeline). A separate script because defining response() makes wrk parse every
-- response's headers and body, which the plain runs should not pay for.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "wrk-signed-requests.lua")

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_usec; } ovrsee_timeval;
  int gettimeofday(ovrsee_timeval *tv, void *tz);
]]
local now = ffi.new("ovrsee_timeval")
local function quarter()
  ffi.C.gettimeofday(now, nil)
  return tonumber(now.tv_sec) * 4 + math.floor(tonumber(now.tv_usec) / 250000)
end

local timeline_threads = {}
local base_setup, base_done = setup, done

function setup(thread)
  table.insert(timeline_threads, thread)
  base_setup(thread)
end

timeline = {}

function response(status, headers, body)
  local q = quarter()
  timeline[q] = (timeline[q] or 0) + 1
end

function done(summary, latency, requests)
  base_done(summary, latency, requests)
  local merged, first, last = {}, nil, nil
  for _, thread in ipairs(timeline_threads) do
    for q, n in pairs(thread:get("timeline") or {}) do
      merged[q] = (merged[q] or 0) + n
      first = (first == nil or q < first) and q or first
      last = (last == nil or q > last) and q or last
    end
  end
  local counts = {}
  if first then
    for q = first, last do table.insert(counts, tostring(merged[q] or 0)) end
  end
  io.write("OVRSEE_TIMELINE " .. table.concat(counts, " ") .. "\n")
end
