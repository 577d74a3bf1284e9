-- Add (or move) a chat's follow of a thread, unless the chat is at its cap.
-- KEYS: followers hash, chat set, thread state hash, due zset, follow count
-- ARGV: thread key, chat scope, follower record, max per chat, first check ms, snapshot ('' none)
-- Returns 'followed', 'moved' (the chat already followed it: the record is replaced) or 'full'.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local already = redis.call('HEXISTS', KEYS[1], ARGV[2]) == 1
if not already and redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[4]) then
  return 'full'
end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[1])
if redis.call('EXISTS', KEYS[3]) == 0 then
  redis.call('HSET', KEYS[3], 'interval_ms', ARGV[5], 'changed_ms', now, 'snapshot', ARGV[6])
  -- Without a snapshot the first check is due at once, to take one from the answer's fetch.
  local first = ARGV[6] == '' and 0 or tonumber(ARGV[5])
  redis.call('ZADD', KEYS[4], now + first, ARGV[1])
end
if already then
  return 'moved'
end
redis.call('INCR', KEYS[5])
return 'followed'
