// meshgate GCRA, step for step the definition in shared/src/gcra.ts (keep them in lockstep; the
// `gcra.sequence` vectors of shared/vectors/limits.json run through this script in test/kong).
// KEYS[1] limiter key. ARGV[1] emission interval µs, ARGV[2] tolerance µs,
// ARGV[3] now µs, or "" to use the Redis server clock (one clock for every gateway).
// Returns {allowed 0|1, tat µs, remaining, reset µs, retryAfter µs}. On the server clock the key expires once the
// bucket is full again (no state = full bucket); with an explicit now (tests, replays) it does not expire, since
// Redis expires keys on its own clock.
export const GCRA_SCRIPT = `
local emission = tonumber(ARGV[1])
if emission <= 1 then emission = 1 end
local tolerance = tonumber(ARGV[2])
if tolerance <= 0 then tolerance = 0 end
local now
local serverClock = ARGV[3] == nil or ARGV[3] == ""
if serverClock then
  local t = redis.call("TIME")
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = math.floor(tonumber(ARGV[3]))
end
local tat = tonumber(redis.call("GET", KEYS[1]) or "0") or 0
if tat > 0 then tat = math.floor(tat) else tat = 0 end
local start = tat
if now > start then start = now end
if start - now > tolerance then
  return {0, tat, 0, start - now, start - now - tolerance}
end
local newTat = start + emission
if serverClock then
  redis.call("SET", KEYS[1], string.format("%.0f", newTat), "PX", math.ceil((newTat - now) / 1000) + 1)
else
  redis.call("SET", KEYS[1], string.format("%.0f", newTat))
end
local slack = tolerance - (newTat - now)
local remaining = 0
if slack >= 0 then
  local q = math.floor(slack / emission)
  if q * emission > slack then q = q - 1 elseif (q + 1) * emission <= slack then q = q + 1 end
  remaining = q + 1
end
if remaining > 2147483647 then remaining = 2147483647 end
return {1, newTat, remaining, newTat - now, 0}
`;
