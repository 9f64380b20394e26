// meshgate GCRA, step for step the definition in shared/src/gcra.ts (keep them in lockstep).
// KEYS[1] limiter key. ARGV[1] emission interval µs, ARGV[2] tolerance µs,
// ARGV[3] now µs, or "" to use the Redis server clock (one clock for every gateway).
// Returns {allowed 0|1, tat µs, remaining, reset µs, retryAfter µs}.
export const GCRA_SCRIPT = `
local emission = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local now
if ARGV[3] ~= nil and ARGV[3] ~= "" then
  now = math.floor(tonumber(ARGV[3]))
else
  local t = redis.call("TIME")
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local tat = math.floor(tonumber(redis.call("GET", KEYS[1]) or "0") or 0)
local start = tat
if now > start then start = now end
if start - now > tolerance then
  return {0, tat, 0, start - now, start - now - tolerance}
end
local newTat = start + emission
redis.call("SET", KEYS[1], string.format("%.0f", newTat), "PX", math.ceil((newTat - now) / 1000) + 1)
local slack = tolerance - (newTat - now)
local remaining = 0
if slack >= 0 then
  local q = math.floor(slack / emission)
  if q * emission > slack then q = q - 1 elseif (q + 1) * emission <= slack then q = q + 1 end
  remaining = q + 1
end
return {1, newTat, remaining, newTat - now, 0}
`;
