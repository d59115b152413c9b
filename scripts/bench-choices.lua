-- wrk script for scripts/bench-choices.sh: answers pre-created choice
-- sessions at a fixed overall rate. Each wrk thread has exactly one
-- connection, so its request() and response() alternate and the thread can
-- follow its own sessions round by round: a pick is always an option of the
-- session's current round (the first option of the last response), and a
-- session that answers done is replaced by the next pre-created one.
--
-- Arguments (after --): sessions file ("SESSION_ID ROUND ITEM_ID" lines,
-- round 1 of each pre-created session), total target rate in requests/s,
-- and the number of wrk threads (run with -c equal to -t).
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk, bench_timespec *ts);
]]
local ts = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  nthreads = tonumber(args[3])
  rate = tonumber(args[2]) / nthreads
  interval = 1000 / rate
  sessions = {}
  local i = 0
  for line in io.lines(args[1]) do
    if i % nthreads == id then
      local sid, round, item = line:match("^(%S+) (%d+) (%S+)$")
      table.insert(sessions, {sid, tonumber(round), item})
    end
    i = i + 1
  end
  cur = 0
  non2xx = 0
  exhausted = 0
  sessions_used = 0
  next_session()
  -- Spread the threads' first requests over one interval.
  due = now_ms() + interval * id / nthreads
end

function next_session()
  cur = cur + 1
  local s = sessions[cur]
  if s == nil then
    -- Out of sessions: wrap around; those picks answer 409 and count as
    -- failures, so the shell script's session count must cover the run.
    exhausted = exhausted + 1
    cur = 1
    s = sessions[cur]
  end
  sessions_used = sessions_used + 1
  sid, round, item = s[1], s[2], s[3]
end

function delay()
  local wait = due - now_ms()
  due = math.max(due, now_ms() - interval) + interval
  if wait < 0 then return 0 end
  return math.floor(wait)
end

function request()
  return wrk.format("POST", "/api/v1/choice-sessions/" .. sid .. "/choices",
    {["Content-Type"] = "application/json"},
    '{"round":' .. round .. ',"item_id":"' .. item .. '"}')
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if non2xx <= 3 then io.stderr:write("bench: HTTP " .. status .. ": " .. body .. "\n") end
    next_session()
    return
  end
  if body:find('"done":true', 1, true) then
    next_session()
    return
  end
  local r = body:match('"round":(%d+)')
  local it = body:match('"item_id":"([^"]+)"')
  if r == nil or it == nil then
    non2xx = non2xx + 1
    io.stderr:write("bench: unexpected body: " .. body .. "\n")
    next_session()
    return
  end
  round, item = tonumber(r), it
end

function done(summary, latency, requests)
  local bad, used, wrapped = 0, 0, 0
  for _, t in ipairs(threads) do
    bad = bad + t:get("non2xx")
    used = used + t:get("sessions_used")
    wrapped = wrapped + t:get("exhausted")
  end
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT requests=%d seconds=%.1f rate=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f non2xx=%d socket_errors=%d sessions=%d wrapped=%d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, bad,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    used, wrapped))
end
