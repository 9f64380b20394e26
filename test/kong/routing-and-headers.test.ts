// Kong-only parts of the policy: canary traffic sent with kong.service.setUpstream (a Kong Upstream entity)
// or kong.service.setTarget on the Service shapes Kong supports, the `legacy` rate-limit headers, which include
// Kong's own per-period names, and rate-limit headers that reach the client once.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../dev/hosts/kong/repo-paths.js";
import { startEcho } from "../hosts/kong/helpers.js";
import { bearer, policyFor as basePolicyFor, startBackends, type Backends } from "../planes/support.js";
import { KongHosts, byHostname, headerValue } from "./support.js";

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

/** No test here is about the auth deadline: the default 200 ms of wall clock for a round trip between the plugin
 *  server and the auth mock in this process was missed on a busy 2-core machine (a 503, a different test each run). */
const AUTH_TIMEOUT_MS = 5000;
const policyFor: typeof basePolicyFor = (backends, sections = {}) =>
  basePolicyFor(backends, { ...sections, auth: { timeoutMs: AUTH_TIMEOUT_MS, ...sections.auth } });

function variantOf(body: string): string | undefined {
  return (JSON.parse(body) as { variant?: string }).variant;
}

// Each test starts a plugin server; on a busy 2-core machine that alone can take seconds.
describe("canary routing on Kong", { timeout: 60_000 }, () => {
  it("kong.upstream on a Service named by hostname: testers who ask go to the Upstream entity; everyone else stays on the Service", async () => {
    const host = await hosts.start(
      policyFor(backends, { canary: { overrideGroups: ["testers"], kong: { upstream: "shop-canary" } } }),
      byHostname(backends.stableUrl),
      { upstreams: { "shop-canary": [backends.canaryUrl] } },
    );
    const tester = await backends.token("tess", ["testers"]);
    const canary = await host.request({ path: "/", headers: { ...bearer(tester), "x-canary": "always" } });
    expect(canary.status).toBe(200);
    expect(canary.upstream).toBe("shop-canary");
    expect(variantOf(canary.body)).toBe("canary");
    // Kong sends the target's host:port (no host_header on the Upstream), not the Upstream's name.
    expect((JSON.parse(canary.body) as { headers: Record<string, string> }).headers.host).toBe(new URL(backends.canaryUrl).host);
    const stable = await host.request({ path: "/", headers: { ...bearer(tester), "x-canary": "never" } });
    expect(variantOf(stable.body)).toBe("stable");
    const user = await host.request({ path: "/", headers: { ...bearer(await backends.token("uma")), "x-canary": "always" } });
    expect(variantOf(user.body)).toBe("stable");
  });

  it("kong.upstream on a Service whose host is an IP: Kong keeps the ipv4 balancer, the Upstream name is no IP → 500", async () => {
    const host = await hosts.start(
      policyFor(backends, { canary: { overrideGroups: ["testers"], kong: { upstream: "shop-canary" } } }),
      backends.stableUrl,
      { upstreams: { "shop-canary": [backends.canaryUrl] } },
    );
    const tester = await backends.token("tess", ["testers"]);
    const canary = await host.request({ path: "/", headers: { ...bearer(tester), "x-canary": "always" } });
    expect(canary).toMatchObject({ status: 500, proxied: false });
    expect(host.logs().some((l) => l.level === "err" && l.message.startsWith("failed to set the current peer (address: shop-canary "))).toBe(true);
    // Everyone the canary does not pick is unaffected: this is why `meshgate render kong` refuses the shape.
    expect((await host.request({ path: "/", headers: bearer(tester) })).status).toBe(200);
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

describe("legacy rate-limit headers", { timeout: 60_000 }, () => {
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

describe("rate-limit headers on a proxied response", { timeout: 60_000 }, () => {
  /** The names kong-plugins/examples/meshgate-location.conf hands nginx's proxy_hide_header. */
  function shippedHiddenNames(): string[] {
    const conf = readFileSync(join(repoRoot(), "kong-plugins/examples/meshgate-location.conf"), "utf8");
    return [...conf.matchAll(/^proxy_hide_header\s+([^;\s]+);/gm)].map((m) => m[1]!);
  }

  async function limitedResponse(hideUpstreamHeaders: string[]): Promise<Record<string, string | string[]>> {
    const upstream = await startEcho("own-limits", { "RateLimit-Remaining": "999", "X-RateLimit-Remaining": "999", "RateLimit-Policy": "\"up\";q=1000;w=60" });
    try {
      const host = await hosts.start(policyFor(backends, { rateLimit: { rate: 10, periodSeconds: 60, headers: "legacy" } }), upstream.url, { hideUpstreamHeaders });
      const r = await host.request({ path: "/", headers: bearer(await backends.token("dup")) });
      expect(r.status).toBe(200);
      return r.headers;
    } finally {
      await upstream.close();
    }
  }

  it("nginx adds the upstream's own RateLimit headers next to meshgate's (the plugin sets them in access)", async () => {
    const headers = await limitedResponse([]);
    const remaining = headers["ratelimit-remaining"];
    expect(Array.isArray(remaining) ? remaining : [remaining]).toHaveLength(2);
    expect(remaining).toContain("999");
  });

  it("with the shipped nginx_location_include the client gets each RateLimit header once, meshgate's", async () => {
    const names = shippedHiddenNames();
    expect(names).toEqual(expect.arrayContaining(["RateLimit", "RateLimit-Policy", "RateLimit-Remaining", "X-RateLimit-Remaining", "X-RateLimit-Remaining-Minute"]));
    const headers = await limitedResponse(names);
    for (const name of ["ratelimit-remaining", "x-ratelimit-remaining", "x-ratelimit-remaining-minute", "ratelimit-limit"]) {
      expect(typeof headers[name], name).toBe("string");
      expect(headers[name], name).not.toBe("999");
    }
    expect(headers["ratelimit-policy"]).toBeUndefined(); // the upstream's; legacy headers have no policy field
  });
});
