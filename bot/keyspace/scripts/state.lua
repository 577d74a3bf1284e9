-- Read a job's state in one command (cheaper for the client than a MULTI of three reads).
-- KEYS: 1 job hash, 2 job's answered indexes, 3 job's requests
-- Returns {result or nil, answered indexes, requests}.
return {
  redis.call("HGET", KEYS[1], "result"),
  redis.call("SMEMBERS", KEYS[2]),
  redis.call("LRANGE", KEYS[3], 0, -1),
}
