// Kong-only parts of the policy: canary traffic sent with kong.service.setUpstream (a Kong Upstream entity)
// or kong.service.setTarget, and the `legacy` rate-limit headers, which include Kong's own per-period names.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { bearer, policyFor, startBackends, type Backends } from "../planes/support.js";
import { KongHosts, headerValue } from "./support.js";

const hosts = new KongHosts();
let backends: Backends;

beforeAll(async () => {
  backends = await startBackends();
});
afterEach(async () => {
  await hosts.stopAll();
});
afterAll(async () => {
  await backends?.close();
});

function variantOf(body: string): string | undefined {
  return (JSON.parse(body) as { variant?: string }).variant;
}

describe("canary routing on Kong", () => {
  it("kong.upstream: testers who ask go to the Upstream entity; everyone else stays on the Service", async () => {
    const host = await hosts.start(
      policyFor(backends, { canary: { overrideGroups: ["testers"], kong: { upstream: "shop-canary" } } }),
      backends.stableUrl,
      { upstreams: { "shop-canary": [backends.canaryUrl] } },
    );
    const tester = await backends.token("tess", ["testers"]);
    const canary = await host.request({ path: "/", headers: { ...bearer(tester), "x-canary": "always" } });
    expect(canary.status).toBe(200);
    expect(canary.upstream).toBe("shop-canary");
    expect(variantOf(canary.body)).toBe("canary");
    const stable = await host.request({ path: "/", headers: { ...bearer(tester), "x-canary": "never" } });
    expect(variantOf(stable.body)).toBe("stable");
    const user = await host.request({ path: "/", headers: { ...bearer(await backends.token("uma")), "x-canary": "always" } });
    expect(variantOf(user.body)).toBe("stable");
  });

  it("kong.upstream naming no Upstream entity keeps the request on the Service and logs it", async () => {
    const host = await hosts.start(
      policyFor(backends, { canary: { overrideGroups: ["testers"], kong: { upstream: "missing-upstream" } } }),
      backends.stableUrl,
    );
    const r = await host.request({ path: "/", headers: { ...bearer(await backends.token("tess", ["testers"])), "x-canary": "always" } });
    expect(r.status).toBe(200);
    expect(variantOf(r.body)).toBe("stable");
    const logged = await host.waitForLog((l) => l.message.includes("'missing-upstream' is not a Kong Upstream entity"));
    expect(logged.level).toBe("err");
  });

  it("kong.target: the sticky percentage sends the same subjects to host:port every time, with the tag header", async () => {
    const host = await hosts.start(policyFor(backends, { canary: { percentage: 50, salt: "kong" } }), backends.stableUrl);
    const seen = new Map<string, Set<string>>();
    for (const subject of ["s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8"]) {
      const token = await backends.token(subject);
      for (let i = 0; i < 2; i++) {
        const r = await host.request({ path: "/", headers: bearer(token) });
        const echoed = JSON.parse(r.body) as { variant: string; headers: Record<string, string> };
        expect(echoed.headers["x-canary"]).toBe(echoed.variant === "canary" ? "true" : "false");
        seen.set(subject, (seen.get(subject) ?? new Set()).add(echoed.variant));
      }
    }
    expect([...seen.values()].every((variants) => variants.size === 1)).toBe(true);
    const variants = new Set([...seen.values()].flatMap((v) => [...v]));
    expect(variants).toEqual(new Set(["canary", "stable"]));
  });
});

describe("legacy rate-limit headers", () => {
  it("add Kong's X-RateLimit-Limit-<Period> / X-RateLimit-Remaining-<Period> next to the X- and draft-06 names", async () => {
    const host = await hosts.start(policyFor(backends, { rateLimit: { rate: 10, periodSeconds: 60, burst: 1, headers: "legacy" } }), backends.stableUrl);
    const token = await backends.token("lee");
    const first = await host.request({ path: "/", headers: bearer(token) });
    expect(first.status).toBe(200);
    const pick = (r: typeof first, names: string[]): Record<string, string | undefined> =>
      Object.fromEntries(names.map((n) => [n, headerValue(r.headers, n)]));
    const names = ["x-ratelimit-limit-minute", "x-ratelimit-remaining-minute", "x-ratelimit-limit", "x-ratelimit-remaining",
      "x-ratelimit-reset", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"];
    // T = 6 s, burst 1: after the first request one more fits now, and the bucket is full again in 6 s.
    expect(pick(first, names)).toEqual({
      "x-ratelimit-limit-minute": "10", "x-ratelimit-remaining-minute": "1", "x-ratelimit-limit": "10", "x-ratelimit-remaining": "1",
      "x-ratelimit-reset": "6", "ratelimit-limit": "10", "ratelimit-remaining": "1", "ratelimit-reset": "6",
    });
    expect(headerValue(first.headers, "ratelimit-policy")).toBeUndefined();
    await host.request({ path: "/", headers: bearer(token) });
    const rejected = await host.request({ path: "/", headers: bearer(token) });
    expect(rejected.status).toBe(429);
    expect(headerValue(rejected.headers, "x-ratelimit-remaining-minute")).toBe("0");
    expect(headerValue(rejected.headers, "retry-after")).toBe(headerValue(rejected.headers, "x-ratelimit-reset"));
  });

  it("a period that is not a Kong period (45 s) has no per-period names", async () => {
    const host = await hosts.start(policyFor(backends, { rateLimit: { rate: 10, periodSeconds: 45, headers: "legacy" } }), backends.stableUrl);
    const r = await host.request({ path: "/", headers: bearer(await backends.token("lou")) });
    expect(headerValue(r.headers, "x-ratelimit-limit")).toBe("10");
    expect(Object.keys(r.headers).filter((n) => /^x-ratelimit-(limit|remaining)-/.test(n))).toEqual([]);
  });
});
