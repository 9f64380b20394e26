// Response headers and the rejection body for a GCRA verdict.
//
// ietf (draft-ietf-httpapi-ratelimit-headers, -08 and later):
//   RateLimit-Policy: "<name>";q=<rate>;w=<periodSeconds>
//   RateLimit:        "<name>";r=<remaining>;t=<seconds>
// q is the configured rate: q per w seconds is the long-run quota GCRA enforces. The burst only adds
// short-term tolerance on top of it, so it is not part of the advertised quota (r can exceed q when
// burst > rate: r counts what would be accepted right now).
// legacy: X-RateLimit-Limit/-Remaining/-Reset, the draft ≤06 trio RateLimit-Limit/-Remaining/-Reset,
// and Kong's X-RateLimit-Limit-<Period>/X-RateLimit-Remaining-<Period> when the period is exactly one
// second, minute, hour or day.
// none: nothing, except Retry-After on a rejection.
//
// Seconds: on an allowed request the reset value is ceil(resetUs / 1e6), the time until the key is
// idle again. On a rejection every reset value equals Retry-After = max(1, ceil(retryAfterUs / 1e6)),
// because the drafts ask that reset and Retry-After reference the same point in time.
import { GcraResult, GcraVerdict, ceilDiv } from "./gcra";
import { Header } from "./headers";
import { formatNumber, quoteJson } from "./json";
import { LimitHeaders, RateLimitPolicy } from "./policy";

export const RATE_LIMITED_CONTENT_TYPE: string = "application/problem+json";

/** What the headers of a policy's verdicts share, computed once per policy (names lower-cased on request). */
export class RateLimitHeaderPlan {
  kind: i32 = LimitHeaders.None;
  /** ietf: the whole RateLimit-Policy field; legacy: the fields carrying the rate. */
  fixed: Array<Header> = new Array<Header>();
  /** ietf: `"<name>";r=` */
  remainingPrefix: string = "";
  rateLimitName: string = "";
  remainingNames: Array<string> = new Array<string>();
  resetNames: Array<string> = new Array<string>();
  retryAfterName: string = "";
  /** Several windows: per window its name, ietf `"<name>";r=`, rate, and Kong per-period pair. */
  windowNames: Array<string> = new Array<string>();
  windowPrefixes: Array<string> = new Array<string>();
  windowRates: Array<string> = new Array<string>();
  windowPeriodLimits: Array<Header | null> = new Array<Header | null>();
  windowPeriodRemaining: Array<string> = new Array<string>();

  // ietf: the last RateLimit field built, handed out again while its numbers repeat. A key well under its limit
  // gets the same remaining and reset on every request, so most requests build no string at all. Shared like
  // `fixed` (hosts only read a verdict's headers).
  private lastPrefix: string = "";
  private lastRemaining: i32 = -1;
  private lastReset: f64 = -1;
  private lastField: Header | null = null;

  /** ietf: `RateLimit: <prefix><remaining>;t=<reset>` (`prefix`: remainingPrefix or a window's prefix). */
  rateLimitField(prefix: string, remaining: i32, reset: f64): Header {
    const last = this.lastField;
    if (last != null && remaining == this.lastRemaining && reset == this.lastReset && prefix == this.lastPrefix) return last;
    const field = new Header(this.rateLimitName, prefix + remaining.toString() + this.resetSuffix(reset));
    this.lastPrefix = prefix;
    this.lastRemaining = remaining;
    this.lastReset = reset;
    this.lastField = field;
    return field;
  }

  /** `;t=<reset>`: built once per value below RESET_SUFFIXES (resets are mostly a few seconds), then reused. */
  private resetSuffixes: Array<string> = new Array<string>();

  private resetSuffix(reset: f64): string {
    if (!(reset >= 0 && reset < RESET_SUFFIXES && reset == Math.floor(reset))) return ";t=" + integerText(reset);
    const at = i32(reset);
    const suffixes = this.resetSuffixes;
    while (suffixes.length <= at) suffixes.push(";t=" + suffixes.length.toString());
    return suffixes[at];
  }
}

/** Reset values whose `;t=` suffix a plan keeps (bounds what a plan holds). */
const RESET_SUFFIXES: f64 = 64;

export function compileRateLimitHeaders(p: RateLimitPolicy, lowercase: bool): RateLimitHeaderPlan {
  const plan = new RateLimitHeaderPlan();
  plan.kind = p.headers;
  plan.retryAfterName = caseOf("Retry-After", lowercase);
  const windows = p.limits.length;
  if (windows > 1) {
    compileWindows(plan, p, lowercase);
    return plan;
  }
  const rate = formatNumber(f64(p.rate));
  if (p.headers == LimitHeaders.Ietf) {
    const name = sfString(windowName(p, 0));
    plan.fixed.push(new Header(caseOf("RateLimit-Policy", lowercase), name + ";q=" + rate + ";w=" + formatNumber(f64(p.periodSeconds))));
    plan.rateLimitName = caseOf("RateLimit", lowercase);
    plan.remainingPrefix = name + ";r=";
  } else if (p.headers == LimitHeaders.Legacy) {
    const prefixes = ["X-RateLimit-", "RateLimit-"];
    for (let i = 0; i < prefixes.length; i++) {
      plan.fixed.push(new Header(caseOf(prefixes[i] + "Limit", lowercase), rate));
      plan.remainingNames.push(caseOf(prefixes[i] + "Remaining", lowercase));
      plan.resetNames.push(caseOf(prefixes[i] + "Reset", lowercase));
    }
    const period = kongPeriodName(p.periodSeconds);
    if (period.length > 0) {
      plan.fixed.push(new Header(caseOf("X-RateLimit-Limit-" + period, lowercase), rate));
      plan.remainingNames.push(caseOf("X-RateLimit-Remaining-" + period, lowercase));
    }
  }
  return plan;
}

/** Several windows: RateLimit-Policy lists every one (draft-ietf-httpapi-ratelimit-headers §4: a List of
 *  policies); legacy style shows the binding window in the unsuffixed fields and Kong's per-period pair for
 *  every window whose period is a second, minute, hour or day. */
function compileWindows(plan: RateLimitHeaderPlan, p: RateLimitPolicy, lowercase: bool): void {
  let policyField = "";
  for (let i = 0; i < p.limits.length; i++) {
    const w = p.limits[i];
    const name = windowName(p, i);
    const rate = formatNumber(f64(w.rate));
    plan.windowNames.push(name);
    plan.windowPrefixes.push(sfString(name) + ";r=");
    plan.windowRates.push(rate);
    if (i > 0) policyField += ", ";
    policyField += sfString(name) + ";q=" + rate + ";w=" + formatNumber(f64(w.periodSeconds));
    const period = kongPeriodName(w.periodSeconds);
    plan.windowPeriodLimits.push(period.length > 0 ? new Header(caseOf("X-RateLimit-Limit-" + period, lowercase), rate) : null);
    plan.windowPeriodRemaining.push(period.length > 0 ? caseOf("X-RateLimit-Remaining-" + period, lowercase) : "");
  }
  if (p.headers == LimitHeaders.Ietf) {
    plan.fixed.push(new Header(caseOf("RateLimit-Policy", lowercase), policyField));
    plan.rateLimitName = caseOf("RateLimit", lowercase);
  } else if (p.headers == LimitHeaders.Legacy) {
    const prefixes = ["X-RateLimit-", "RateLimit-"];
    for (let i = 0; i < prefixes.length; i++) {
      plan.fixed.push(new Header(caseOf(prefixes[i] + "Limit", lowercase), ""));
      plan.remainingNames.push(caseOf(prefixes[i] + "Remaining", lowercase));
      plan.resetNames.push(caseOf(prefixes[i] + "Reset", lowercase));
    }
  }
}

/** A window's name in the fields and the problem body: its own `name`, else the policy's name (one window) or
 *  the policy's name with the period (`default-second`, `default-hour`, `default-90s`). */
export function windowName(p: RateLimitPolicy, index: i32): string {
  if (p.limits.length == 0) return p.name;
  const w = p.limits[index];
  if (w.name.length > 0) return w.name;
  if (p.limits.length == 1) return p.name;
  const period = kongPeriodName(w.periodSeconds);
  return p.name + "-" + (period.length > 0 ? period.toLowerCase() : w.periodSeconds.toString() + "s");
}

export function rateLimitHeaders(p: RateLimitPolicy, r: GcraResult): Array<Header> {
  const out = new Array<Header>();
  appendRateLimitHeaders(compileRateLimitHeaders(p, false), r, out);
  return out;
}

/** The headers of a verdict over all of the policy's windows (one window: exactly appendRateLimitHeaders). */
export function appendVerdictHeaders(plan: RateLimitHeaderPlan, v: GcraVerdict, out: Array<Header>): void {
  if (plan.windowNames.length == 0) {
    appendRateLimitHeaders(plan, v.result, out);
    return;
  }
  const r = v.result;
  const b = v.binding;
  const retryAfter = retryAfterSeconds(r);
  const resetSeconds = r.allowed ? microsToSeconds(r.resetUs) : retryAfter;
  if (plan.kind == LimitHeaders.Ietf) {
    out.push(plan.fixed[0]);
    out.push(plan.rateLimitField(plan.windowPrefixes[b], remainingOf(r), resetSeconds));
  } else if (plan.kind == LimitHeaders.Legacy) {
    const reset = integerText(resetSeconds);
    const limit = plan.windowRates[b];
    const remainingText = remainingOf(r).toString();
    for (let i = 0; i < 2; i++) {
      out.push(new Header(plan.fixed[i].name, limit));
      out.push(new Header(plan.remainingNames[i], remainingText));
      out.push(new Header(plan.resetNames[i], reset));
    }
    for (let i = 0; i < plan.windowNames.length; i++) {
      const periodLimit = plan.windowPeriodLimits[i];
      if (periodLimit == null) continue;
      out.push(periodLimit);
      out.push(new Header(plan.windowPeriodRemaining[i], remainingOf(v.windows[i]).toString()));
    }
  }
  if (!r.allowed) out.push(new Header(plan.retryAfterName, integerText(retryAfter)));
}

function remainingOf(r: GcraResult): i32 {
  return r.allowed && r.remaining > 0 ? r.remaining : 0;
}

/** Appends the headers of a verdict to `out`, in the order rateLimitHeaders lists them. */
export function appendRateLimitHeaders(plan: RateLimitHeaderPlan, r: GcraResult, out: Array<Header>): void {
  const remaining = r.allowed && r.remaining > 0 ? r.remaining : 0;
  const retryAfter = retryAfterSeconds(r);
  const reset = r.allowed ? microsToSeconds(r.resetUs) : retryAfter;
  if (plan.kind == LimitHeaders.Ietf) {
    out.push(plan.fixed[0]);
    out.push(plan.rateLimitField(plan.remainingPrefix, remaining, reset));
  } else if (plan.kind == LimitHeaders.Legacy) {
    const remainingText = remaining.toString();
    const resetText = integerText(reset);
    // X-RateLimit-Limit/-Remaining/-Reset, RateLimit-Limit/-Remaining/-Reset, then Kong's per-period pair.
    for (let i = 0; i < 2; i++) {
      out.push(plan.fixed[i]);
      out.push(new Header(plan.remainingNames[i], remainingText));
      out.push(new Header(plan.resetNames[i], resetText));
    }
    if (plan.fixed.length > 2) {
      out.push(plan.fixed[2]);
      out.push(new Header(plan.remainingNames[2], remainingText));
    }
  }
  if (!r.allowed) out.push(new Header(plan.retryAfterName, integerText(retryAfter)));
}

function caseOf(name: string, lowercase: bool): string {
  return lowercase ? name.toLowerCase() : name;
}

/** formatNumber for the whole seconds these headers carry, without a string per digit when they fit an i32. */
function integerText(n: f64): string {
  if (n >= 0 && n < 2147483648 && n == Math.floor(n)) return i32(n).toString();
  return formatNumber(n);
}

/**
 * The rejection body: an RFC 9457 problem document of the draft's `quota-exceeded` type, served as
 * `application/problem+json` (RATE_LIMITED_CONTENT_TYPE). `detail` carries Kong's default message.
 */
export function rateLimitedBody(p: RateLimitPolicy): string {
  return rateLimitedBodyNaming(p, p.name);
}

/** rateLimitedBody naming the window that refused (several windows). */
export function rateLimitedBodyNaming(p: RateLimitPolicy, violated: string): string {
  return "{\"type\":\"https://iana.org/assignments/http-problem-types#quota-exceeded\"," +
    "\"title\":\"Request cannot be satisfied as assigned quota has been exceeded\"," +
    "\"status\":" + p.status.toString() + "," +
    "\"detail\":\"API rate limit exceeded\"," +
    "\"violated-policies\":[" + quoteJson(violated) + "]}";
}

function retryAfterSeconds(r: GcraResult): f64 {
  const seconds = microsToSeconds(r.retryAfterUs);
  return seconds >= 1 ? seconds : 1;
}

function microsToSeconds(us: f64): f64 {
  if (!(us > 0)) return 0;
  return ceilDiv(Math.floor(us), 1000000);
}

function kongPeriodName(periodSeconds: i32): string {
  if (periodSeconds == 1) return "Second";
  if (periodSeconds == 60) return "Minute";
  if (periodSeconds == 3600) return "Hour";
  if (periodSeconds == 86400) return "Day";
  return "";
}

/** RFC 9651 sf-string: `"` and `\` escaped; characters outside printable ASCII are left out. */
function sfString(s: string): string {
  let out = "\"";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) continue;
    if (c == 0x22 || c == 0x5c) out += "\\";
    out += String.fromCharCode(c);
  }
  return out + "\"";
}
