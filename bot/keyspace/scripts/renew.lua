-- Keep a running job's claim fresh: reset its idle time (XCLAIM JUSTID does not count a
-- delivery), renew its single-flight marker's lease and extend its data. Only while this
-- consumer still holds the entry: a claim taken over by another consumer is not stolen back,
-- and a stream lost with Redis' data (NOGROUP) renews nothing instead of failing the worker.
-- KEYS: 1 job stream, 2 inflight marker, 3 job hash, 4 request list, 5 delivered set
-- ARGV: 1 group, 2 consumer, 3 entry id, 4 job id, 5 marker lease ms, 6 job TTL ms
local mine = redis.pcall("XPENDING", KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1, ARGV[2])
if mine["err"] or #mine == 0 then
  return 0
end
redis.call("XCLAIM", KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], "JUSTID")
if redis.call("GET", KEYS[2]) == ARGV[4] then
  redis.call("PEXPIRE", KEYS[2], ARGV[5])
end
for i = 3, 5 do
  redis.call("PEXPIRE", KEYS[i], ARGV[6])
end
return 1
