-- Take over entries whose consumer stopped renewing them (crashed or SIGKILLed), with the
-- number of times each was delivered, in one step.
-- KEYS: 1 job stream
-- ARGV: 1 group, 2 consumer, 3 min idle ms, 4 count
-- Returns {entry id, job id, thread key, deliveries, failed tries} per entry.
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
return jobs
