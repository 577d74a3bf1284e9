-- Finish a job, atomically: cache the result, record it for the job, end the single flight.
-- From here on submits for the key get the cached result, so the request list is frozen: it
-- is returned with the indexes already answered, for the worker to answer the rest.
-- KEYS: 1 result, 2 inflight marker, 3 job hash, 4 job's requests, 5 job's answered indexes,
--       6 job's settled mark
-- ARGV: 1 result, 2 cache TTL s (0: record without caching), 3 job id
-- Returns {requests, answered indexes, 0 if Redis lost the job else 1}: a job with neither its
-- hash (a day's TTL) nor the mark `ack` leaves was lost with Redis's data; one with the mark
-- was settled by a worker that took it over, and has nobody left to answer.
if tonumber(ARGV[2]) > 0 then
  redis.call("SET", KEYS[1], ARGV[1], "EX", ARGV[2])
end
-- Only an existing hash gets the result: a new one would have no TTL.
local known = redis.call("EXISTS", KEYS[3])
if known == 1 then
  redis.call("HSET", KEYS[3], "result", ARGV[1])
else
  known = redis.call("EXISTS", KEYS[6])
end
if redis.call("GET", KEYS[2]) == ARGV[3] then
  redis.call("DEL", KEYS[2])
end
return {redis.call("LRANGE", KEYS[4], 0, -1), redis.call("SMEMBERS", KEYS[5]), known}
