-- Record a check's outcome and set the thread's next check, if it is still followed.
-- KEYS: thread state hash, due zset
-- ARGV: thread key, snapshot, interval ms, next check in ms, changed ('1' or '0')
-- Returns 1, or 0 when nobody follows the thread any more.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], 'snapshot', ARGV[2], 'interval_ms', ARGV[3])
if ARGV[5] == '1' then
  redis.call('HSET', KEYS[1], 'changed_ms', now)
end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[1])
return 1
