-- GCRA over several buckets at once, on Redis' clock: admit only when every bucket allows it
-- and no pause is in force, and then charge every bucket; otherwise charge nothing and return
-- how long to wait. Each bucket key holds its theoretical arrival time (TAT) in microseconds.
-- KEYS: the buckets, then the pause keys
-- ARGV: 1 number of buckets, then per bucket: emission interval in microseconds, burst
-- Returns 0 when admitted, else the wait in microseconds.
local now = redis.call("TIME")
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local buckets = tonumber(ARGV[1])
local wait, tats = 0, {}
for i = 1, buckets do
  local interval, burst = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local tat = math.max(tonumber(redis.call("GET", KEYS[i]) or 0), now_us)
  tats[i] = tat + interval
  -- A send is allowed while the TAT is at most (burst - 1) intervals ahead of now.
  wait = math.max(wait, tat - interval * (burst - 1) - now_us)
end
for i = buckets + 1, #KEYS do
  wait = math.max(wait, redis.call("PTTL", KEYS[i]) * 1000)
end
if wait > 0 then
  return math.ceil(wait)
end
for i = 1, buckets do
  -- "%.0f": Lua's default number format would round a microsecond timestamp.
  local ttl_ms = math.ceil((tats[i] - now_us) / 1000)
  redis.call("SET", KEYS[i], string.format("%.0f", tats[i]), "PX", math.max(ttl_ms, 1))
end
return 0
