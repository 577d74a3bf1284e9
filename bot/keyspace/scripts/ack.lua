-- Settle a job for good: acknowledge and delete its entry (the stream then holds only the
-- backlog), delete its data, and end its single flight if finish or dead_letter did not. A
-- short-lived mark says the job was settled, so a late `finish` can tell it from a lost one.
-- KEYS: 1 job stream, 2 delayed set, 3 inflight marker, 4 job hash, 5 request list,
--       6 delivered set, 7 settled mark
-- ARGV: 1 group, 2 entry id, 3 job id, 4 settled mark TTL ms
if ARGV[2] ~= "" then
  redis.call("XACK", KEYS[1], ARGV[1], ARGV[2])
  redis.call("XDEL", KEYS[1], ARGV[2])
end
redis.call("ZREM", KEYS[2], ARGV[3])
if redis.call("GET", KEYS[3]) == ARGV[3] then
  redis.call("DEL", KEYS[3])
end
redis.call("DEL", KEYS[4], KEYS[5], KEYS[6])
redis.call("SET", KEYS[7], "1", "PX", ARGV[4])
return 1
