-- Single-flight submit, atomic: the cached result, else attach to the job already running for
-- the thread key, else create a job and queue it.
-- KEYS: 1 result, 2 inflight marker, 3 job stream, 4 new job hash, 5 new job request list
-- ARGV: 1 request, 2 fresh ("1" skips the cache), 3 new job id, 4 thread key,
--       5 job key prefix, 6 request-list suffix, 7 inflight TTL ms, 8 job TTL ms, 9 stream MAXLEN
if ARGV[2] ~= "1" then
  local cached = redis.call("GET", KEYS[1])
  if cached then
    return {"cached", "", cached}
  end
end

local running = redis.call("GET", KEYS[2])
if running then
  -- The running job is only known here, so its list name is built from the prefix (keys.py).
  local requests = ARGV[5] .. running .. ARGV[6]
  redis.call("RPUSH", requests, ARGV[1])
  redis.call("PEXPIRE", requests, ARGV[8])
  return {"attached", running}
end

redis.call("HSET", KEYS[4], "key", ARGV[4], "deliveries", 0)
redis.call("PEXPIRE", KEYS[4], ARGV[8])
redis.call("RPUSH", KEYS[5], ARGV[1])
redis.call("PEXPIRE", KEYS[5], ARGV[8])
redis.call("SET", KEYS[2], ARGV[3], "PX", ARGV[7])
redis.call("XADD", KEYS[3], "MAXLEN", "~", ARGV[9], "*", "job", ARGV[3], "key", ARGV[4], "base", 0)
return {"queued", ARGV[3]}
