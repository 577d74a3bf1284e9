-- Hand a job back unfinished (its worker is shutting down): settle this entry and queue the job
-- again at once, as if this hand-out never happened (its delivery does not count). The marker
-- gets the waiting TTL back, since no worker renews its lease until the job is claimed again.
-- KEYS: 1 job stream, 2 job hash, 3 inflight marker
-- ARGV: 1 group, 2 entry id, 3 job id, 4 deliveries before this hand-out, 5 stream MAXLEN,
--       6 inflight TTL ms
-- Returns 0 when the entry was already settled or the job's data is gone.
if redis.call("XACK", KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return 0
end
redis.call("XDEL", KEYS[1], ARGV[2])
local job = redis.call("HMGET", KEYS[2], "key", "failures", "deferrals")
if not job[1] then
  return 0
end
local entry = redis.call("XADD", KEYS[1], "MAXLEN", "~", ARGV[5], "*", "job", ARGV[3],
  "key", job[1], "base", ARGV[4], "failures", job[2] or 0, "deferrals", job[3] or 0)
redis.call("HSET", KEYS[2], "deliveries", ARGV[4], "entry", entry)
if redis.call("GET", KEYS[3]) == ARGV[3] then
  redis.call("PEXPIRE", KEYS[3], ARGV[6])
end
return 1
