-- Give up on a job: record it in the dead-letter stream, settle its entry and take it out of
-- the delayed set. Requests that attached after the job's first failed try (from `late_from`
-- on) did not see every try fail: they move to a new job with tries of its own, which takes
-- over the single flight, and count as answered here. Otherwise the flight ends, so a new
-- request may try again. The remaining requests stay until ack, for the apology.
-- KEYS: 1 job stream, 2 dead-letter stream, 3 delayed set, 4 inflight marker, 5 job hash,
--       6 request list, 7 delivered set, 8 new job hash, 9 new job request list
-- ARGV: 1 group, 2 entry id, 3 job id, 4 thread key, 5 reason, 6 deliveries, 7 dead MAXLEN,
--       8 new job id, 9 inflight TTL ms, 10 job TTL ms, 11 stream MAXLEN
-- Returns the new job's id, or nil when no request was late.
redis.call("XADD", KEYS[2], "MAXLEN", "~", ARGV[7], "*", "job", ARGV[3], "key", ARGV[4],
  "reason", ARGV[5], "deliveries", ARGV[6])
if ARGV[2] ~= "" then
  redis.call("XACK", KEYS[1], ARGV[1], ARGV[2])
  redis.call("XDEL", KEYS[1], ARGV[2])
end
redis.call("ZREM", KEYS[3], ARGV[3])

local marker = redis.call("GET", KEYS[4])
local late_from = tonumber(redis.call("HGET", KEYS[5], "late_from"))
local moved = {}
if late_from then
  for i, request in ipairs(redis.call("LRANGE", KEYS[6], late_from, -1)) do
    -- SADD is 0 for a request already answered: it stays answered, and is not moved.
    if redis.call("SADD", KEYS[7], late_from + i - 1) == 1 then
      table.insert(moved, request)
    end
  end
  redis.call("PEXPIRE", KEYS[7], ARGV[10])
end
if #moved == 0 then
  if marker == ARGV[3] then
    redis.call("DEL", KEYS[4])
  end
  return false
end

local entry = redis.call("XADD", KEYS[1], "MAXLEN", "~", ARGV[11], "*", "job", ARGV[8],
  "key", ARGV[4], "base", 0, "failures", 0)
redis.call("HSET", KEYS[8], "key", ARGV[4], "deliveries", 0, "failures", 0, "entry", entry)
redis.call("PEXPIRE", KEYS[8], ARGV[10])
for _, request in ipairs(moved) do
  redis.call("RPUSH", KEYS[9], request)
end
redis.call("PEXPIRE", KEYS[9], ARGV[10])
-- A marker held by another job (this one's lease lapsed) is left to that job.
if marker == false or marker == ARGV[3] then
  redis.call("SET", KEYS[4], ARGV[8], "PX", ARGV[9])
end
return ARGV[8]
