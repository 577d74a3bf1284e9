-- Single-flight submit, atomic: the cached result, else attach to the job already running for
-- the thread key, else create a job and queue it. A marker whose job is gone (its data lost
-- with Redis, or its stream entry trimmed away, so nobody will ever run it) is taken over at
-- once: the request starts a fresh job instead of waiting for the marker to expire.
-- KEYS: 1 result, 2 inflight marker, 3 job stream, 4 new job hash, 5 new job request list,
--       6 delayed set
-- ARGV: 1 request, 2 fresh ("1" skips the cache), 3 new job id, 4 thread key,
--       5 job key prefix, 6 request-list suffix, 7 inflight TTL ms, 8 job TTL ms, 9 stream MAXLEN
if ARGV[2] ~= "1" then
  local cached = redis.call("GET", KEYS[1])
  if cached then
    return {"cached", "", cached}
  end
end

-- Whether the job can still run: its hash exists, and it waits in the delayed set (entry "")
-- or its entry is still in the stream (waiting, or pending with a consumer that renews it or
-- will lose it to XAUTOCLAIM). A hash without `entry` predates the field: trusted as alive.
local function is_alive(job_id)
  local entry = redis.call("HGET", ARGV[5] .. job_id, "entry")
  if entry == false then
    return redis.call("EXISTS", ARGV[5] .. job_id) == 1
  end
  if entry == "" then
    return redis.call("ZSCORE", KEYS[6], job_id) ~= false
  end
  return #redis.call("XRANGE", KEYS[3], entry, entry) > 0
end

local running = redis.call("GET", KEYS[2])
if running and is_alive(running) then
  -- The running job is only known here, so its key names are built from the prefix (keys.py).
  local requests = ARGV[5] .. running .. ARGV[6]
  redis.call("RPUSH", requests, ARGV[1])
  redis.call("PEXPIRE", requests, ARGV[8])
  return {"attached", running}
end

local entry = redis.call("XADD", KEYS[3], "MAXLEN", "~", ARGV[9], "*", "job", ARGV[3],
  "key", ARGV[4], "base", 0, "failures", 0)
redis.call("HSET", KEYS[4], "key", ARGV[4], "deliveries", 0, "failures", 0, "entry", entry)
redis.call("PEXPIRE", KEYS[4], ARGV[8])
redis.call("RPUSH", KEYS[5], ARGV[1])
redis.call("PEXPIRE", KEYS[5], ARGV[8])
redis.call("SET", KEYS[2], ARGV[3], "PX", ARGV[7])
return {"queued", ARGV[3]}
