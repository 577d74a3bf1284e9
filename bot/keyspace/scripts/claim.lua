-- Hand out up to `count` jobs in one step: first take over entries whose consumer stopped
-- renewing them (crashed or SIGKILLed), with the number of times each was delivered, then
-- fill what is left with new entries (never blocking: the caller waits with XREADGROUP
-- BLOCK only when this found nothing).
-- KEYS: 1 job stream
-- ARGV: 1 group, 2 consumer, 3 min idle ms, 4 count
-- Returns {taken over, new}: {entry id, job id, thread key, deliveries, failed tries} per entry
-- taken over, and XREADGROUP's entries ({entry id, {field, value, ...}}) for the new ones.
local claimed = redis.call("XAUTOCLAIM", KEYS[1], ARGV[1], ARGV[2], ARGV[3], "0-0", "COUNT", ARGV[4])
local jobs = {}
for _, entry in ipairs(claimed[2]) do
  local id, fields = entry[1], {}
  for i = 1, #entry[2], 2 do
    fields[entry[2][i]] = entry[2][i + 1]
  end
  -- XAUTOCLAIM has just added one to the entry's delivery counter; the entry's `base` carries
  -- the deliveries of the job's earlier entries (before a retry).
  local pending = redis.call("XPENDING", KEYS[1], ARGV[1], id, id, 1)
  local deliveries = tonumber(fields["base"]) + pending[1][4]
  table.insert(jobs, {id, fields["job"], fields["key"], deliveries, fields["failures"] or 0})
end
local new = {}
local wanted = tonumber(ARGV[4]) - #jobs
if wanted > 0 then
  local read = redis.call("XREADGROUP", "GROUP", ARGV[1], ARGV[2], "COUNT", wanted,
    "STREAMS", KEYS[1], ">")
  if read then
    new = read[1][2]
  end
end
return {jobs, new}
