// The same behaviours, through each plane's dev host: the Kong plugin in the real kong-js-pluginserver
// and meshgate.wasm on the proxy-wasm host, both in front of the reference auth service.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { canaryBucket } from "./oracle.js";
import { PLANES, bearer, header, policyFor, startBackends, startPlane, type Backends, type Plane } from "./support.js";

describe.each(PLANES)("meshgate on the %s plane", (planeName) => {
  let backends: Backends;
  const planes: Plane[] = [];

  async function plane(sections: Parameters<typeof policyFor>[1] = {}): Promise<Plane> {
    const started = await startPlane(planeName, backends, policyFor(backends, sections));
    planes.push(started);
    return started;
  }

  beforeAll(async () => {
    backends = await startBackends();
  });
  afterEach(async () => {
    await Promise.all(planes.splice(0).map((p) => p.close()));
    backends.auth.clearFaults();
    backends.auth.resetStats();
  });
  afterAll(async () => {
    await backends?.close();
  });

  describe("tokens (RFC 6750)", () => {
    it("no token → 401 with a bare Bearer challenge and no error code", async () => {
      const p = await plane();
      const r = await p.request({ path: "/orders" });
      expect(r.status).toBe(401);
      expect(header(r, "www-authenticate")).toBe('Bearer realm="meshgate"');
      expect(r.variant).toBeNull();
    });

    it("a token the auth service calls inactive → 401 error=\"invalid_token\", never the token in the reply", async () => {
      const p = await plane();
      const r = await p.request({ path: "/orders", headers: bearer("not.a.valid-token") });
      expect(r.status).toBe(401);
      expect(header(r, "www-authenticate")).toBe('Bearer realm="meshgate", error="invalid_token"');
      expect(r.body).not.toContain("not.a.valid-token");
    });

    it("a token with characters outside b64token → 401 invalid_token without asking the auth service", async () => {
      const p = await plane();
      const r = await p.request({ path: "/", headers: { authorization: "Bearer abc{def}" } });
      expect(r.status).toBe(401);
      expect(header(r, "www-authenticate")).toContain('error="invalid_token"');
      expect(backends.auth.stats().introspect).toBe(0);
    });

    it("a good token → forwarded to stable with identity headers", async () => {
      const p = await plane();
      const token = await backends.token("alice", ["testers", "ops"]);
      const r = await p.request({ path: "/orders?id=1", headers: bearer(token) });
      expect(r.status).toBe(200);
      expect(r.variant).toBe("stable");
      expect(r.upstreamHeaders?.["x-auth-subject"]).toBe("alice");
      expect(r.upstreamHeaders?.["x-auth-groups"]).toBe("testers,ops");
    });

    it("client-sent identity and degraded headers never reach the upstream", async () => {
      const p = await plane({ auth: { anonymousPaths: ["/public/*"] } });
      const token = await backends.token("alice");
      const spoof = { "x-auth-subject": "admin", "x-auth-groups": "admins", "x-auth-degraded": "1" };
      const authed = await p.request({ path: "/", headers: { ...bearer(token), ...spoof } });
      expect(authed.upstreamHeaders?.["x-auth-subject"]).toBe("alice");
      expect(authed.upstreamHeaders?.["x-auth-groups"]).toBeUndefined();
      expect(authed.upstreamHeaders?.["x-auth-degraded"]).toBeUndefined();
      const anonymous = await p.request({ path: "/public/page", headers: spoof });
      expect(anonymous.status).toBe(200);
      expect(anonymous.upstreamHeaders?.["x-auth-subject"]).toBeUndefined();
      expect(anonymous.upstreamHeaders?.["x-auth-groups"]).toBeUndefined();
      expect(anonymous.upstreamHeaders?.["x-auth-degraded"]).toBeUndefined();
    });

    it("anonymous paths are served without a token; a dot-segment spelling is not anonymous", async () => {
      const p = await plane({ auth: { anonymousPaths: ["/healthz", "/public/*"] } });
      expect((await p.request({ path: "/healthz" })).status).toBe(200);
      expect((await p.request({ path: "/public/../admin" })).status).toBe(401);
    });
  });

  describe("decision cache", () => {
    it("a repeated token makes no second auth call", async () => {
      const p = await plane();
      const token = await backends.token("bob");
      for (let i = 0; i < 5; i++) expect((await p.request({ path: "/", headers: bearer(token) })).status).toBe(200);
      expect(backends.auth.stats().introspect).toBe(1);
    });

    it("200 concurrent requests with one new token make one auth call (per worker VM on Envoy)", async () => {
      // A deadline no busy machine reaches: the point is one call for 200 waiters, not the default 200 ms.
      const p = await plane({ auth: { timeoutMs: 10_000 } });
      const token = await backends.token("carol");
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) =>
        p.request({ path: `/c/${i}`, headers: bearer(token), worker: i % 2 })));
      expect(results.every((r) => r.status === 200)).toBe(true);
      const calls = backends.auth.stats().introspect;
      if (planeName === "kong") expect(calls).toBe(1);
      else expect(calls).toBeLessThanOrEqual(2);
    });

    it("a denied token is cached for the negative TTL", async () => {
      const p = await plane();
      for (let i = 0; i < 3; i++) expect((await p.request({ path: "/", headers: bearer("bad-token-1") })).status).toBe(401);
      expect(backends.auth.stats().introspect).toBe(1);
    });
  });

  describe("auth service failures", () => {
    it("down: fail closed with 503, no request reaches the upstream", async () => {
      const p = await plane({ auth: { timeoutMs: 300 } });
      backends.auth.setFaults({ down: true });
      const r = await p.request({ path: "/", headers: bearer(await backends.token("dave")) });
      expect(r.status).toBe(503);
      expect(r.variant).toBeNull();
      expect(JSON.parse(r.body)).toEqual({ error: "auth_unavailable", message: "authentication service unavailable" });
    });

    it("slow beyond the timeout: fail closed 503", async () => {
      const p = await plane({ auth: { timeoutMs: 200 } });
      backends.auth.setFaults({ delayMs: 1500 });
      const r = await p.request({ path: "/", headers: bearer(await backends.token("erin")) });
      expect(r.status).toBe(503);
    });

    it("5xx and garbage answers fail closed", async () => {
      const p = await plane();
      backends.auth.setFaults({ status: 500 });
      expect((await p.request({ path: "/", headers: bearer(await backends.token("frank")) })).status).toBe(503);
      backends.auth.setFaults({ garbage: true });
      expect((await p.request({ path: "/", headers: bearer(await backends.token("grace")) })).status).toBe(503);
    });

    it("a cached allow is served while the auth service is down and its TTL has not passed", async () => {
      const p = await plane();
      const token = await backends.token("heidi");
      expect((await p.request({ path: "/", headers: bearer(token), worker: 0 })).status).toBe(200);
      backends.auth.setFaults({ down: true });
      const r = await p.request({ path: "/", headers: bearer(token), worker: 0 });
      expect(r.status).toBe(200);
      expect(r.upstreamHeaders?.["x-auth-subject"]).toBe("heidi");
    });

    it("fail open marks the upstream request as degraded and sets no identity", async () => {
      const p = await plane({ auth: { failure: { mode: "open" } } });
      backends.auth.setFaults({ status: 503 });
      const r = await p.request({ path: "/", headers: bearer(await backends.token("ivan")) });
      expect(r.status).toBe(200);
      expect(r.upstreamHeaders?.["x-auth-degraded"]).toBe("auth_status_503");
      expect(r.upstreamHeaders?.["x-auth-subject"]).toBeUndefined();
    });
  });

  describe("rate limit", () => {
    it("a burst of 12 for a capacity of 5 allows exactly 5 (across both Envoy workers), then 429 with Retry-After", async () => {
      const p = await plane({ rateLimit: { key: "subject", rate: 5, periodSeconds: 3600, burst: 4 } });
      const token = await backends.token("judy");
      await p.request({ path: "/warm", headers: bearer(token) }); // fills the decision cache; uses 1 of 5
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) =>
        p.request({ path: "/", headers: bearer(token), worker: i % 2 })));
      expect(results.filter((r) => r.status === 200)).toHaveLength(4);
      const rejected = results.filter((r) => r.status === 429);
      expect(rejected).toHaveLength(8);
      for (const r of rejected) {
        expect(Number(header(r, "retry-after"))).toBeGreaterThanOrEqual(1);
        expect(header(r, "ratelimit")).toMatch(/^"default";r=0;t=\d+$/);
        expect(header(r, "content-type")).toBe("application/problem+json");
      }
    });

    it("allowed responses carry the IETF RateLimit headers", async () => {
      const p = await plane({ rateLimit: { rate: 10, periodSeconds: 60, burst: 9 } });
      const r = await p.request({ path: "/", headers: bearer(await backends.token("ken")) });
      expect(r.status).toBe(200);
      expect(header(r, "ratelimit-policy")).toBe('"default";q=10;w=60');
      expect(header(r, "ratelimit")).toMatch(/^"default";r=9;t=\d+$/);
    });
  });

  describe("canary", () => {
    const canary = { overrideGroups: ["testers"], percentage: 0 };

    it("a tester with x-canary: always lands on the canary, tagged upstream", async () => {
      const p = await plane({ canary });
      const r = await p.request({ path: "/", headers: { ...bearer(await backends.token("tina", ["testers"])), "x-canary": "always" } });
      expect(r.variant).toBe("canary");
      expect(r.upstreamHeaders?.["x-canary"]).toBe("true");
    });

    it("a non-tester sending x-canary: always is not forced", async () => {
      const p = await plane({ canary });
      const r = await p.request({ path: "/", headers: { ...bearer(await backends.token("nora", ["staff"])), "x-canary": "always" } });
      expect(r.variant).toBe("stable");
      expect(r.upstreamHeaders?.["x-canary"]).toBe("false");
    });

    it("the percentage split is sticky per subject and follows the FNV-1a bucket", async () => {
      const p = await plane({ canary: { percentage: 50 } });
      for (const subject of ["u1", "u2", "u3", "u4", "u5", "u6"]) {
        const token = await backends.token(subject);
        const expected = canaryBucket("", subject) < 5000 ? "canary" : "stable";
        for (let i = 0; i < 2; i++) expect((await p.request({ path: "/", headers: bearer(token) })).variant).toBe(expected);
      }
    });
  });

  it("an invalid policy refuses to start, naming the field", async () => {
    await expect(startPlane(planeName, backends, policyFor(backends, { rateLimit: { rate: 10, burst: -1 } })))
      .rejects.toThrow(/rateLimit\.burst/);
  });
});
