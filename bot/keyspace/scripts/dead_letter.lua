-- Give up on a job: record it in the dead-letter stream (once, however often it is given up)
-- and take it out of the delayed set. Its entry stays pending until ack: the apology that
-- follows may fail in transit, and the job must then be handed out again to try it again.
-- Requests that attached after the job's first failed try (from `late_from` on) did not see
-- every try fail: they move to a new job with tries of its own, which takes over the single
-- flight, and count as answered here. Otherwise the flight ends, so a new request may try
-- again. The remaining requests stay until ack, for the apology.
-- KEYS: 1 job stream, 2 dead-letter stream, 3 delayed set, 4 inflight marker, 5 job hash,
--       6 request list, 7 delivered set, 8 new job hash, 9 new job request list
-- ARGV: 1 job id, 2 thread key, 3 reason, 4 deliveries, 5 dead MAXLEN, 6 new job id,
--       7 inflight TTL ms, 8 job TTL ms, 9 stream MAXLEN
-- Returns the new job's id, or nil when no request was late (always nil when repeated).
-- A job whose data is gone cannot remember being recorded (a new hash would have no TTL).
if redis.call("EXISTS", KEYS[5]) == 0 or redis.call("HSETNX", KEYS[5], "dead", 1) == 1 then
  redis.call("XADD", KEYS[2], "MAXLEN", "~", ARGV[5], "*", "job", ARGV[1], "key", ARGV[2],
    "reason", ARGV[3], "deliveries", ARGV[4])
end
redis.call("ZREM", KEYS[3], ARGV[1])

local marker = redis.call("GET", KEYS[4])
local late_from = tonumber(redis.call("HGET", KEYS[5], "late_from"))
local moved = {}
if late_from then
  for i, request in ipairs(redis.call("LRANGE", KEYS[6], late_from, -1)) do
    -- SADD is 0 for a request already answered (or moved): it is not moved again.
    if redis.call("SADD", KEYS[7], late_from + i - 1) == 1 then
      table.insert(moved, request)
    end
  end
  redis.call("PEXPIRE", KEYS[7], ARGV[8])
end
if #moved == 0 then
  if marker == ARGV[1] then
    redis.call("DEL", KEYS[4])
  end
  return false
end

local entry = redis.call("XADD", KEYS[1], "MAXLEN", "~", ARGV[9], "*", "job", ARGV[6],
  "key", ARGV[2], "base", 0, "failures", 0)
redis.call("HSET", KEYS[8], "key", ARGV[2], "deliveries", 0, "failures", 0, "entry", entry)
redis.call("PEXPIRE", KEYS[8], ARGV[8])
for _, request in ipairs(moved) do
  redis.call("RPUSH", KEYS[9], request)
end
redis.call("PEXPIRE", KEYS[9], ARGV[8])
-- A marker held by another job (this one's lease lapsed) is left to that job.
if marker == false or marker == ARGV[1] then
  redis.call("SET", KEYS[4], ARGV[6], "PX", ARGV[7])
end
return ARGV[6]
