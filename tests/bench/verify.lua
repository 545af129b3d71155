-- make bench: public verification by serial, driven by wrk.
--   wrk -s verify.lua URL -- <mode> <count> <centers> [html]
-- mode "random": each request asks one of the `count` bulk-loaded serials at random (as
-- pgbench's baseline does); mode "each": the threads share the serials out and each asks its
-- share once, in order, then stops (to fill the gateway's memory before measuring).
-- The serials are those nsk-bench-documents loads: centers 0101.., sequence 1.. .

local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
  for _, t in ipairs(threads) do t:set("of", #threads) end
end

local mode, count, centers, headers
local id, of, next_n, answered = 0, 1, 0, 0

function init(args)
  mode = args[1] or "random"
  count = tonumber(args[2] or "1000000")
  centers = tonumber(args[3] or "100")
  headers = {}
  if args[4] == "html" then headers["Accept"] = "text/html" end
  id = tonumber(wrk.thread:get("id")) or 0
  of = tonumber(wrk.thread:get("of")) or 1
  next_n = id
  math.randomseed(os.time() * 16 + id)
  -- Only the filling pass reads answers: the measured pass leaves wrk at full speed.
  if mode ~= "each" then response = nil end
end

local function serial(n)
  return string.format("/v1/verify/25110-72120011-4-150326-%04d-%08d",
    101 + n % centers, 1 + math.floor(n / centers))
end

function request()
  local n
  if mode == "each" then
    n = next_n
    next_n = next_n + of
    if n >= count then n = n % count end
  else
    n = math.random(0, count - 1)
  end
  return wrk.format("GET", serial(n), headers)
end

function response(status, headers, body)
  if mode == "each" then
    answered = answered + 1
    if answered * of >= count then wrk.thread:stop() end
  end
end
