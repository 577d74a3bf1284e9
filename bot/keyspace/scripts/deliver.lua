-- Record a request of a job as answered (one command, cheaper for the client than a MULTI).
-- KEYS: 1 job's answered indexes
-- ARGV: 1 request index, 2 TTL ms of the job's data
-- Returns 1 the first time the index is recorded, else 0.
local added = redis.call("SADD", KEYS[1], ARGV[1])
redis.call("PEXPIRE", KEYS[1], ARGV[2])
return added
