-- Hand out up to `count` jobs in one step. First, delayed jobs whose due time has passed go
-- back into the stream; then entries whose consumer stopped renewing them (crashed or
-- SIGKILLed) are taken over, with the number of times each was delivered; then new entries
-- fill what is left (never blocking: the caller waits with XREADGROUP BLOCK only when this
-- found nothing). With `count` 0 it only moves the due jobs back.
-- Safe to run from every process at once: each due id is removed from the set before it is
-- queued, in one atomic step.
-- KEYS: 1 delayed set, 2 job stream
-- ARGV: 1 job key prefix, 2 most ids moved per call, 3 stream MAXLEN,
--       4 group, 5 consumer, 6 min idle ms, 7 count
-- Returns {moved, taken over, new}: how many due jobs went back; {entry id, job id, thread
-- key, deliveries, failed tries, deferrals} per entry taken over; XREADGROUP's entries
-- ({entry id, {field, value, ...}}) for the new ones.
local now = redis.call("TIME")
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local due = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", now_ms, "LIMIT", 0, ARGV[2])
local moved = 0
for _, id in ipairs(due) do
  redis.call("ZREM", KEYS[1], id)
  -- The job's hash is found by id, so its name is built from the prefix (keys.py).
  local job = redis.call("HMGET", ARGV[1] .. id, "key", "deliveries", "failures", "deferrals")
  if job[1] then
    local entry = redis.call("XADD", KEYS[2], "MAXLEN", "~", ARGV[3], "*", "job", id,
      "key", job[1], "base", job[2], "failures", job[3] or 0, "deferrals", job[4] or 0)
    -- The entry is recorded, so a submit can tell the job is still in the stream.
    redis.call("HSET", ARGV[1] .. id, "entry", entry)
    moved = moved + 1
  end
end

local count = tonumber(ARGV[7])
local jobs = {}
if count > 0 then
  local claimed = redis.call("XAUTOCLAIM", KEYS[2], ARGV[4], ARGV[5], ARGV[6], "0-0",
    "COUNT", count)
  for _, entry in ipairs(claimed[2]) do
    local id, fields = entry[1], {}
    for i = 1, #entry[2], 2 do
      fields[entry[2][i]] = entry[2][i + 1]
    end
    -- XAUTOCLAIM has just added one to the entry's delivery counter; the entry's `base`
    -- carries the deliveries of the job's earlier entries (before a retry).
    local pending = redis.call("XPENDING", KEYS[2], ARGV[4], id, id, 1)
    local deliveries = tonumber(fields["base"]) + pending[1][4]
    table.insert(jobs, {id, fields["job"], fields["key"], deliveries, fields["failures"] or 0,
      fields["deferrals"] or 0})
  end
end
local new = {}
if count > #jobs then
  local read = redis.call("XREADGROUP", "GROUP", ARGV[4], ARGV[5], "COUNT", count - #jobs,
    "STREAMS", KEYS[2], ">")
  if read then
    new = read[1][2]
  end
end
return {moved, jobs, new}
