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
import { GcraResult, ceilDiv } from "./gcra";
import { Header } from "./headers";
import { formatNumber, quoteJson } from "./json";
import { LimitHeaders, RateLimitPolicy } from "./policy";

export const RATE_LIMITED_CONTENT_TYPE: string = "application/problem+json";

export function rateLimitHeaders(p: RateLimitPolicy, r: GcraResult): Array<Header> {
  const out = new Array<Header>();
  const remaining = r.allowed && r.remaining > 0 ? r.remaining : 0;
  const retryAfter = retryAfterSeconds(r);
  const reset = r.allowed ? microsToSeconds(r.resetUs) : retryAfter;
  const rate = formatNumber(f64(p.rate));
  const remainingText = remaining.toString();
  const resetText = formatNumber(reset);
  if (p.headers == LimitHeaders.Ietf) {
    const name = sfString(p.name);
    out.push(new Header("RateLimit-Policy", name + ";q=" + rate + ";w=" + formatNumber(f64(p.periodSeconds))));
    out.push(new Header("RateLimit", name + ";r=" + remainingText + ";t=" + resetText));
  } else if (p.headers == LimitHeaders.Legacy) {
    out.push(new Header("X-RateLimit-Limit", rate));
    out.push(new Header("X-RateLimit-Remaining", remainingText));
    out.push(new Header("X-RateLimit-Reset", resetText));
    out.push(new Header("RateLimit-Limit", rate));
    out.push(new Header("RateLimit-Remaining", remainingText));
    out.push(new Header("RateLimit-Reset", resetText));
    const period = kongPeriodName(p.periodSeconds);
    if (period.length > 0) {
      out.push(new Header("X-RateLimit-Limit-" + period, rate));
      out.push(new Header("X-RateLimit-Remaining-" + period, remainingText));
    }
  }
  if (!r.allowed) out.push(new Header("Retry-After", formatNumber(retryAfter)));
  return out;
}

/**
 * The rejection body: an RFC 9457 problem document of the draft's `quota-exceeded` type, served as
 * `application/problem+json` (RATE_LIMITED_CONTENT_TYPE). `detail` carries Kong's default message.
 */
export function rateLimitedBody(p: RateLimitPolicy): string {
  return "{\"type\":\"https://iana.org/assignments/http-problem-types#quota-exceeded\"," +
    "\"title\":\"Request cannot be satisfied as assigned quota has been exceeded\"," +
    "\"status\":" + p.status.toString() + "," +
    "\"detail\":\"API rate limit exceeded\"," +
    "\"violated-policies\":[" + quoteJson(p.name) + "]}";
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
