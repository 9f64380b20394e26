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
  return windowParams(p.rate, p.periodSeconds, p.burst);
}

function windowParams(rate: i32, periodSeconds: i32, burst: i32): GcraParams {
  const params = new GcraParams();
  params.emissionUs = ceilDiv(f64(max(periodSeconds, 1)) * 1000000, f64(max(rate, 1)));
  params.toleranceUs = f64(max(burst, 0)) * params.emissionUs;
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

// ---- several windows (rateLimit.limits) ----
// Every window keeps its own TAT. A request is allowed only when every window allows it; then every window
// consumes (each TAT becomes its newTat). When any window rejects, no TAT changes. The verdict the headers show
// is the most restrictive window's: on a rejection the one whose retryAfter is longest (the request cannot pass
// earlier), on an allow the one with the fewest remaining (ties: the longest reset, then the first listed).

export class GcraVerdict {
  allowed: bool = false;
  /** Index of the most restrictive window. */
  binding: i32 = 0;
  /** Per window, in `limits` order: each window's own step (its newTatUs is what to store when allowed). */
  windows: Array<GcraResult> = new Array<GcraResult>();

  /** The result the response headers describe. */
  get result(): GcraResult { return this.windows[this.binding]; }

  /** What each window stores: the new TATs when allowed, the unchanged ones otherwise. */
  tatsToStore(stored: Array<f64>): Array<f64> {
    const out = new Array<f64>(this.windows.length);
    for (let i = 0; i < this.windows.length; i++) out[i] = this.allowed ? this.windows[i].newTatUs : (i < stored.length ? stored[i] : 0);
    return out;
  }
}

export function gcraWindows(p: RateLimitPolicy): Array<GcraParams> {
  const out = new Array<GcraParams>();
  if (p.limits.length == 0) {
    out.push(gcraParams(p));
    return out;
  }
  for (let i = 0; i < p.limits.length; i++) out.push(windowParams(p.limits[i].rate, p.limits[i].periodSeconds, p.limits[i].burst));
  return out;
}

/** `tats[i]`: window i's stored TAT (missing = 0, no state). */
export function gcraStepAll(windows: Array<GcraParams>, tats: Array<f64>, nowMs: f64): GcraVerdict {
  const verdict = new GcraVerdict();
  verdict.allowed = true;
  for (let i = 0; i < windows.length; i++) {
    const step = gcraStep(windows[i], i < tats.length ? tats[i] : 0, nowMs);
    verdict.windows.push(step);
    if (!step.allowed) verdict.allowed = false;
  }
  verdict.binding = bindingWindow(verdict.windows, verdict.allowed);
  if (!verdict.allowed) {
    // Nothing is consumed: a window that would have allowed reports its unchanged state.
    for (let i = 0; i < verdict.windows.length; i++) {
      const w = verdict.windows[i];
      if (!w.allowed) continue;
      w.newTatUs = i < tats.length && tats[i] > 0 ? Math.floor(tats[i]) : 0;
      // Not consumed: this instant still accepts one more than the step counted after consuming.
      if (w.remaining < 2147483647) w.remaining += 1;
    }
  }
  return verdict;
}

/** The verdict of windows stepped elsewhere (the Redis script): allowed when every window allowed. */
export function gcraVerdictOf(windows: Array<GcraResult>): GcraVerdict {
  const verdict = new GcraVerdict();
  verdict.windows = windows;
  verdict.allowed = true;
  for (let i = 0; i < windows.length; i++) if (!windows[i].allowed) verdict.allowed = false;
  verdict.binding = bindingWindow(windows, verdict.allowed);
  return verdict;
}

/** The most restrictive of the windows' results (see above); also used on the results a Redis script returns. */
export function bindingWindow(results: Array<GcraResult>, allowed: bool): i32 {
  let best: i32 = 0;
  for (let i = 1; i < results.length; i++) {
    const r = results[i];
    const b = results[best];
    if (!allowed) {
      if (!r.allowed && (b.allowed || r.retryAfterUs > b.retryAfterUs)) best = i;
    } else if (r.remaining < b.remaining || (r.remaining == b.remaining && r.resetUs > b.resetUs)) {
      best = i;
    }
  }
  return best;
}
