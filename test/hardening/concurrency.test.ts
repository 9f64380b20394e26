// Single flight under load, through both planes' hosts: 1000 concurrent requests carrying 10 tokens the plane has
// never seen make one auth call per token (per worker VM at most on Envoy, whose workers do not share in-flight
// calls), and every request gets the answer for its own token. Limiter exactness under bursts is covered by
// test/planes/behaviour.test.ts, test/planes/envoy-limiter.test.ts (2 worker VMs) and test/kong/redis.test.ts
// (3 gateways sharing one Redis).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLANES, bearer, policyFor, startBackends, startPlane, type Backends, type Plane } from "../planes/support.js";

const REQUESTS = 1000;
const TOKENS = 10;
const WORKERS = 2;

describe.each(PLANES)("single flight on the %s plane", (planeName) => {
  let backends: Backends;
  let plane: Plane;

  beforeAll(async () => {
    backends = await startBackends();
    plane = await startPlane(planeName, backends, policyFor(backends, { auth: { timeoutMs: 5_000 } }), { workers: WORKERS });
  });
  afterAll(async () => {
    await plane?.close();
    await backends?.close();
  });

  it(`${REQUESTS} concurrent requests with ${TOKENS} new tokens: ${TOKENS} auth calls (per worker VM at most)`, async () => {
    const tokens = await Promise.all(Array.from({ length: TOKENS }, (_, i) => backends.token(`user-${i}`)));
    // Slow answers keep every call in flight while all requests arrive.
    backends.auth.setFaults({ delayMs: 300 });
    let results;
    try {
      results = await Promise.all(Array.from({ length: REQUESTS }, (_, i) =>
        plane.request({ path: `/r/${i}`, headers: bearer(tokens[i % TOKENS]!), worker: Math.floor(i / TOKENS) % WORKERS })));
    } finally {
      backends.auth.clearFaults();
    }
    for (const [i, r] of results.entries()) {
      expect(r.status).toBe(200);
      expect(r.upstreamHeaders?.["x-auth-subject"]).toBe(`user-${i % TOKENS}`);
    }
    const calls = backends.auth.stats().introspect;
    if (planeName === "kong") expect(calls).toBe(TOKENS);
    else {
      expect(calls).toBeGreaterThanOrEqual(TOKENS);
      expect(calls).toBeLessThanOrEqual(TOKENS * WORKERS);
    }
  }, 120_000); // 1000 requests of several plugin-server round trips each: 16 s on a 2-core machine at load 11
});
