-- Take the followed threads whose check is due, pushing each one's due time a lease ahead, so
-- no other tick takes it again while its check runs (the check sets the real next time).
-- KEYS: due zset
-- ARGV: how many at most, lease ms
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, key in ipairs(due) do
  redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), key)
end
return due
