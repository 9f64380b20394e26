// meshgate GCRA, step for step the definition in shared/src/gcra.ts (gcraStep per window, gcraStepAll over
// several; keep them in lockstep; the `gcra.sequence` and `gcra.windows` vectors of shared/vectors/limits.json
// run through this script in test/kong).
// KEYS[1] limiter key. ARGV[1] emission interval µs, ARGV[2] tolerance µs of the first window,
// ARGV[3] now µs, or "" to use the Redis server clock (one clock for every gateway),
// ARGV[4], ARGV[5], … emission and tolerance of further windows.
// The key holds every window's TAT, comma-separated ("tat1,tat2"; one window: "tat1", as before windows existed).
// A request is allowed only when every window allows it, and then every window consumes — in one script, so
// atomically. Returns five values per window: {allowed 0|1 (the window's own verdict), tat µs (stored),
// remaining, reset µs, retryAfter µs}. On the server clock the key expires once every window is full again
// (no state = full bucket); with an explicit now (tests, replays) it does not expire, since Redis expires keys
// on its own clock.
export const GCRA_SCRIPT = `
local serverClock = ARGV[3] == nil or ARGV[3] == ""
local now
if serverClock then
  local t = redis.call("TIME")
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = math.floor(tonumber(ARGV[3]))
end
local params = {{tonumber(ARGV[1]), tonumber(ARGV[2])}}
local i = 4
while ARGV[i] ~= nil and ARGV[i + 1] ~= nil do
  params[#params + 1] = {tonumber(ARGV[i]), tonumber(ARGV[i + 1])}
  i = i + 2
end
local stored = {}
local text = redis.call("GET", KEYS[1]) or ""
for part in string.gmatch(text, "[^,]+") do stored[#stored + 1] = tonumber(part) or 0 end
local out = {}
local tats = {}
local allAllowed = true
local idleUntil = now
for w = 1, #params do
  local emission = params[w][1]
  if emission <= 1 then emission = 1 end
  local tolerance = params[w][2]
  if tolerance <= 0 then tolerance = 0 end
  local tat = stored[w] or 0
  if tat > 0 then tat = math.floor(tat) else tat = 0 end
  tats[w] = tat
  local start = tat
  if now > start then start = now end
  local base = (w - 1) * 5
  if start - now > tolerance then
    allAllowed = false
    out[base + 1] = 0; out[base + 2] = tat; out[base + 3] = 0; out[base + 4] = start - now; out[base + 5] = start - now - tolerance
  else
    local newTat = start + emission
    local slack = tolerance - (newTat - now)
    local remaining = 0
    if slack >= 0 then
      local q = math.floor(slack / emission)
      if q * emission > slack then q = q - 1 elseif (q + 1) * emission <= slack then q = q + 1 end
      remaining = q + 1
    end
    if remaining > 2147483647 then remaining = 2147483647 end
    out[base + 1] = 1; out[base + 2] = newTat; out[base + 3] = remaining; out[base + 4] = newTat - now; out[base + 5] = 0
    if newTat > idleUntil then idleUntil = newTat end
  end
end
if not allAllowed then
  -- Nothing is consumed: a window that would have allowed keeps its TAT and one more request at this instant.
  for w = 1, #params do
    local base = (w - 1) * 5
    if out[base + 1] == 1 then
      out[base + 2] = tats[w]
      if out[base + 3] < 2147483647 then out[base + 3] = out[base + 3] + 1 end
    end
  end
  return out
end
local parts = {}
for w = 1, #params do parts[w] = string.format("%.0f", out[(w - 1) * 5 + 2]) end
local value = table.concat(parts, ",")
if serverClock then
  redis.call("SET", KEYS[1], value, "PX", math.ceil((idleUntil - now) / 1000) + 1)
else
  redis.call("SET", KEYS[1], value)
end
return out
`;
