// GCRA (generic cell rate algorithm) in exact integer microseconds. The only state per key is the
// theoretical arrival time (TAT). The Redis Lua script of the Kong plane replicates this definition
// step for step, so keep the two in lockstep:
//
//   T   = ceil(periodSeconds * 1_000_000 / rate)   emission interval in µs; ceil, so the effective
//                                                  rate never exceeds the configured one
//   tau = burst * T                                tolerance; a fresh key accepts burst + 1 at once
//   now = floor(nowMs * 1000)                      (IEEE double product, then floor)
//   tat = stored TAT, 0 when the key has no state
//   start = max(tat, now)
//   start - now >  tau → REJECT: retryAfter = start - now - tau, reset = start - now, state unchanged
//   start - now <= tau → ALLOW:  newTat = start + T, reset = newTat - now,
//                                remaining = floor((tau - (newTat - now)) / T) + 1, or 0 when negative
//
// `remaining` is how many further requests would be accepted at this same instant; `reset` is the
// time until the key is idle (bucket full) again. Out-of-range parameters are clamped (rate and
// period to at least 1, burst to at least 0); the policy validator rejects them before this point.
// Every value is an integer-valued f64: exact while (burst + 1) * T + now stays below 2^53.
import { RateLimitPolicy } from "./policy";

export class GcraParams {
  emissionUs: f64 = 0;
  toleranceUs: f64 = 0;
}

export class GcraResult {
  allowed: bool = false;
  /** TAT to store: the new TAT when allowed, the unchanged one when rejected. */
  newTatUs: f64 = 0;
  remaining: i32 = 0;
  resetUs: f64 = 0;
  retryAfterUs: f64 = 0;
}

export function gcraParams(p: RateLimitPolicy): GcraParams {
  const rate = f64(max(p.rate, 1));
  const periodUs = f64(max(p.periodSeconds, 1)) * 1000000;
  const params = new GcraParams();
  params.emissionUs = ceilDiv(periodUs, rate);
  params.toleranceUs = f64(max(p.burst, 0)) * params.emissionUs;
  return params;
}

export function gcraStep(params: GcraParams, tatUs: f64, nowMs: f64): GcraResult {
  const emission = params.emissionUs > 1 ? params.emissionUs : 1;
  const tolerance = params.toleranceUs > 0 ? params.toleranceUs : 0;
  const now = Math.floor(nowMs * 1000);
  const tat = tatUs > 0 ? Math.floor(tatUs) : 0;
  const start = tat > now ? tat : now;
  const result = new GcraResult();
  if (start - now > tolerance) {
    result.allowed = false;
    result.newTatUs = tat;
    result.remaining = 0;
    result.resetUs = start - now;
    result.retryAfterUs = start - now - tolerance;
    return result;
  }
  const newTat = start + emission;
  const slack = tolerance - (newTat - now);
  let remaining: f64 = 0;
  if (slack >= 0) remaining = floorDiv(slack, emission) + 1;
  result.allowed = true;
  result.newTatUs = newTat;
  result.remaining = i32(remaining < 2147483647 ? remaining : 2147483647);
  result.resetUs = newTat - now;
  result.retryAfterUs = 0;
  return result;
}

/** floor(a / b) for non-negative integer-valued a and positive integer-valued b, exact below 2^53. */
export function floorDiv(a: f64, b: f64): f64 {
  let q = Math.floor(a / b);
  // The double quotient can land one off when a / b is within half an ulp of an integer.
  if (q * b > a) q -= 1;
  else if ((q + 1) * b <= a) q += 1;
  return q;
}

/** ceil(a / b) for non-negative integer-valued a and positive integer-valued b, exact below 2^53. */
export function ceilDiv(a: f64, b: f64): f64 {
  const q = floorDiv(a, b);
  return q * b < a ? q + 1 : q;
}
