-- Move delayed jobs whose due time has passed back into the stream. Safe to run from every
-- process at once: each id is removed from the set before it is queued, in one atomic step.
-- KEYS: 1 delayed set, 2 job stream
-- ARGV: 1 job key prefix, 2 most ids moved per call, 3 stream MAXLEN
local now = redis.call("TIME")
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local due = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", now_ms, "LIMIT", 0, ARGV[2])
local moved = 0
for _, id in ipairs(due) do
  redis.call("ZREM", KEYS[1], id)
  -- The job's hash is found by id, so its name is built from the prefix (keys.py).
  local job = redis.call("HMGET", ARGV[1] .. id, "key", "deliveries", "failures")
  if job[1] then
    local entry = redis.call("XADD", KEYS[2], "MAXLEN", "~", ARGV[3], "*", "job", id,
      "key", job[1], "base", job[2], "failures", job[3] or 0)
    -- The entry is recorded, so a submit can tell the job is still in the stream.
    redis.call("HSET", ARGV[1] .. id, "entry", entry)
    moved = moved + 1
  end
end
return moved
