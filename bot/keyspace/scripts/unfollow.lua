-- Remove one chat's follow of a thread; the thread's state goes with its last follower.
-- KEYS: followers hash, chat set, thread state hash, due zset, follow count
-- ARGV: thread key, chat scope
-- Returns the removed follower record, or false when the chat did not follow the thread.
local record = redis.call('HGET', KEYS[1], ARGV[2])
if not record then
  return false
end
redis.call('HDEL', KEYS[1], ARGV[2])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('DECR', KEYS[5])
if redis.call('HLEN', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[3])
  redis.call('ZREM', KEYS[4], ARGV[1])
end
return record
