-- Park a job for a later try: settle this entry, remember the deliveries so far, and put the
-- job id in the delayed set at its due time (Redis' clock, shared by every process). The single
-- flight goes on, so requests keep attaching to the job while it waits.
-- It counts the hand-out in ARGV[7]: "failures" for a failed try, "deferrals" for answers
-- Telegram did not take. At the first failed try it also records how many requests had
-- attached: those after it never saw every try fail, and a dead letter hands them to a new job.
-- KEYS: 1 job stream, 2 delayed set, 3 job hash, 4 inflight marker, 5 request list
-- ARGV: 1 group, 2 entry id, 3 job id, 4 deliveries, 5 delay ms, 6 inflight TTL ms,
--       7 counter ("failures" or "deferrals")
-- Returns 0 when the entry was already settled (a repeated call does nothing).
if redis.call("XACK", KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return 0
end
redis.call("XDEL", KEYS[1], ARGV[2])
if redis.call("EXISTS", KEYS[3]) == 0 then
  return 0
end
-- An empty entry means "waiting in the delayed set" to a submit checking the job is alive.
redis.call("HSET", KEYS[3], "deliveries", ARGV[4], "entry", "")
redis.call("HINCRBY", KEYS[3], ARGV[7], 1)
if ARGV[7] == "failures" then
  redis.call("HSETNX", KEYS[3], "late_from", redis.call("LLEN", KEYS[5]))
end
local now = redis.call("TIME")
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call("ZADD", KEYS[2], now_ms + tonumber(ARGV[5]), ARGV[3])
if redis.call("GET", KEYS[4]) == ARGV[3] then
  redis.call("PEXPIRE", KEYS[4], ARGV[6])
end
return 1
