-- wrk's script for bench/load_serving.py --client wrk: POST /v1/ask with the questions of a file, in turn.
--
--   wrk -t1 -c16 -d60s -s bench/wrk_ask.lua URL -- BODIES_FILE SESSIONS [new]
--
-- BODIES_FILE holds one question per line, already a JSON string (with its quotes); SESSIONS is how many
-- follow-up sessions the requests are spread over (the concurrency: one per client, as bench/load_ask.py does).
-- "new": every request a question never asked before (its text with " #<number>" added), so no cache answers it.
-- At the end it prints one JSON line: requests, errors by kind, duration and latency percentiles in microseconds.

local questions = {}
local sessions = 1
local sent = 0
local new = false

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then questions[#questions + 1] = line end
  end
  sessions = tonumber(args[2]) or 1
  new = args[3] == "new"
  -- threads start at different places, so two threads do not ask the same question at the same moment
  sent = (id or 0) * 7919
end

function setup(thread)
  thread:set("id", (counter or 0))
  counter = (counter or 0) + 1
end

function request()
  sent = sent + 1
  local question = questions[(sent % #questions) + 1]
  if new then question = question:sub(1, -2) .. " #" .. sent .. '"' end
  local body = '{"question": ' .. question .. ', "session_id": "load-' .. (sent % sessions) .. '"}'
  return wrk.format("POST", "/v1/ask", {["Content-Type"] = "application/json"}, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, ' ..
    '"timeout": %d}, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
