-- Read a job's state in one command (cheaper for the client than a MULTI of the reads).
-- KEYS: 1 job's answered indexes, 2 job's requests, 3 (optional) job hash, for its result
-- Returns {answered indexes, requests, result or nil (also when KEYS[3] is not given)}.
local result = false
if KEYS[3] then
  result = redis.call("HGET", KEYS[3], "result")
end
return {redis.call("SMEMBERS", KEYS[1]), redis.call("LRANGE", KEYS[2], 0, -1), result}
