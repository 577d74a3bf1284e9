-- Give up on a job: record it in the dead-letter stream, settle its entry, take it out of the
-- delayed set and end its single flight so a new request may try again. Its requests stay
-- until ack, so the worker can still apologise to them.
-- KEYS: 1 job stream, 2 dead-letter stream, 3 delayed set, 4 inflight marker
-- ARGV: 1 group, 2 entry id, 3 job id, 4 thread key, 5 reason, 6 deliveries, 7 dead MAXLEN
redis.call("XADD", KEYS[2], "MAXLEN", "~", ARGV[7], "*", "job", ARGV[3], "key", ARGV[4],
  "reason", ARGV[5], "deliveries", ARGV[6])
if ARGV[2] ~= "" then
  redis.call("XACK", KEYS[1], ARGV[1], ARGV[2])
  redis.call("XDEL", KEYS[1], ARGV[2])
end
redis.call("ZREM", KEYS[3], ARGV[3])
if redis.call("GET", KEYS[4]) == ARGV[3] then
  redis.call("DEL", KEYS[4])
end
return 1
