-- End every follow of a thread at once (expired, or the thread is gone).
-- KEYS: followers hash, thread state hash, due zset, follow count
-- ARGV: thread key, chat set name prefix
-- Returns the removed follower records.
local all = redis.call('HGETALL', KEYS[1])
local records = {}
for i = 1, #all, 2 do
  redis.call('SREM', ARGV[2] .. all[i], ARGV[1])
  records[#records + 1] = all[i + 1]
end
if #records > 0 then
  redis.call('DECRBY', KEYS[4], #records)
end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
return records
