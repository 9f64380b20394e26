// The RateLimit field a plan hands out again while its numbers repeat (ratelimit-headers.ts): the values are the
// vectors' (shared/vectors/limits.json, both builds); this checks that reuse never shows a stale number.
import { describe, expect, it } from "vitest";
import { GcraResult } from "../../shared/src/gcra";
import { Header } from "../../shared/src/headers";
import type { RateLimitPolicy } from "../../shared/src/policy";
import { parsePolicy } from "../../shared/src/policy-parse";
import { appendRateLimitHeaders, compileRateLimitHeaders } from "../../shared/src/ratelimit-headers";

function allowed(remaining: number, resetUs: number): GcraResult {
  const r = new GcraResult();
  r.allowed = true;
  r.remaining = remaining;
  r.resetUs = resetUs;
  return r;
}

function rejected(retryAfterUs: number): GcraResult {
  const r = new GcraResult();
  r.retryAfterUs = retryAfterUs;
  r.resetUs = retryAfterUs;
  return r;
}

function rateLimitField(headers: Header[]): Header {
  const field = headers.find((h) => h.name === "ratelimit");
  if (field === undefined) throw new Error("no ratelimit field");
  return field;
}

describe("RateLimit field reuse", () => {
  const parsed = parsePolicy(JSON.stringify({ auth: { enabled: false }, rateLimit: { key: "ip", rate: 10, periodSeconds: 60, burst: 4, name: "api" } }));
  const limit = (): RateLimitPolicy => {
    expect(parsed.errors).toEqual([]);
    return parsed.policy!.rateLimit;
  };

  it("builds a new field whenever remaining or reset changes, and hands the same one out while they repeat", () => {
    const plan = compileRateLimitHeaders(limit(), true);
    const fields: Header[] = [];
    for (const result of [allowed(4, 6_000_000), allowed(4, 6_000_000), allowed(3, 6_000_000), allowed(3, 12_000_001), rejected(500_000), allowed(4, 6_000_000)]) {
      const out: Header[] = [];
      appendRateLimitHeaders(plan, result, out);
      fields.push(rateLimitField(out));
    }
    expect(fields.map((f) => f.value)).toEqual(['"api";r=4;t=6', '"api";r=4;t=6', '"api";r=3;t=6', '"api";r=3;t=13', '"api";r=0;t=1', '"api";r=4;t=6']);
    expect(fields[1]).toBe(fields[0]);
    expect(fields[2]).not.toBe(fields[1]);
  });

  it("writes resets past the kept suffixes in full", () => {
    const plan = compileRateLimitHeaders(limit(), true);
    const out: Header[] = [];
    appendRateLimitHeaders(plan, allowed(2, 86_400_000_000), out);
    appendRateLimitHeaders(plan, allowed(2, 63_000_000), out);
    expect(out.filter((h) => h.name === "ratelimit").map((h) => h.value)).toEqual(['"api";r=2;t=86400', '"api";r=2;t=63']);
  });
});
