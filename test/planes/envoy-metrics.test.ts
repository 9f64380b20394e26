// meshgate.wasm's metrics as Envoy exports them to Prometheus (custom stats without the wasmcustom_ prefix):
// after a scripted sequence of requests every counter holds exactly the value the sequence implies.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { counterNames } from "../../shared/src/metrics";
import { bearer, policyFor, startBackends, startPlane, type Backends, type Plane } from "./support.js";

let backends: Backends;
const planes: Plane[] = [];

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

/** `name{} value` lines of the Prometheus text, by name. */
function samples(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match?.[1] !== undefined && match[3] !== undefined && (match[2] === undefined || match[2] === "{}")) values.set(match[1], Number(match[3]));
  }
  return values;
}

describe("metrics of meshgate.wasm", () => {
  it("a scripted sequence yields exactly the implied counters, one auth-call count and duration per call, and the cache gauge", async () => {
    const p = await startPlane("envoy", backends, policyFor(backends, {
      auth: { timeoutMs: 200 },
      canary: { overrideGroups: ["testers"], percentage: 0 },
      rateLimit: { key: "subject", rate: 1, periodSeconds: 3600, burst: 2 },
    }), { manualClock: true });
    planes.push(p);
    const alice = await backends.token("alice", ["testers"]);
    const bob = await backends.token("bob");
    const carol = await backends.token("carol");
    const on0 = (headers: Record<string, string>): Promise<number> => p.request({ path: "/", headers, worker: 0 }).then((r) => r.status);

    expect(await on0(bearer(alice))).toBe(200); // miss: one auth call (2xx), allow, canary stable/default
    expect(await on0(bearer(alice))).toBe(200); // hit: allow, canary stable/default
    expect(await on0({ ...bearer(alice), "x-canary": "always" })).toBe(200); // hit: allow, canary/override
    expect(await on0(bearer(alice))).toBe(429); // hit, then over the subject's capacity of 3
    expect(await on0(bearer("not-a-real-token"))).toBe(401); // miss: auth call (2xx, inactive), deny
    backends.auth.setFaults({ down: true });
    expect(await on0(bearer(bob))).toBe(503); // miss: the connection is reset, error, fail closed
    // miss: the answer never comes; once 200 ms of Envoy's clock pass, the call times out (504): error, fail closed.
    backends.auth.setFaults({ delayMs: 60_000 });
    const callsBefore = backends.auth.stats().introspect;
    const timedOut = on0(bearer(carol));
    await vi.waitFor(() => expect(backends.auth.stats().introspect).toBe(callsBefore + 1), { timeout: 10_000, interval: 10 });
    p.advanceClock(200);
    expect(await timedOut).toBe(503);

    const expected: Record<string, number> = Object.fromEntries(counterNames().map((name) => [name, 0]));
    Object.assign(expected, {
      meshgate_decisions_allow_total: 3,
      meshgate_decisions_deny_total: 2,
      meshgate_decisions_error_total: 2,
      meshgate_cache_hit_total: 3,
      meshgate_cache_miss_total: 4,
      meshgate_auth_calls_2xx_total: 2,
      meshgate_auth_calls_connect_error_total: 1,
      meshgate_auth_calls_timeout_total: 1,
      meshgate_ratelimit_rejected_total: 1,
      meshgate_canary_stable_default_total: 2,
      meshgate_canary_canary_override_total: 1,
    });
    const text = p.envoy?.prometheusText() ?? "";
    const values = samples(text);
    expect(Object.fromEntries(counterNames().map((name) => [name, values.get(name)]))).toEqual(expected);
    expect(text).toContain("# TYPE meshgate_decisions_allow_total counter");
    expect(text).not.toContain("wasmcustom");
    expect(values.get("meshgate_auth_call_duration_ms_count")).toBe(4);
    expect(text).toContain("# TYPE meshgate_auth_call_duration_ms histogram");
    // Durations come from Envoy's clock: the three answered calls took no clock time, the timed-out one its 200 ms.
    expect(values.get("meshgate_auth_call_duration_ms_sum")).toBe(200);
    // alice's allow and the cached denial are held by worker 0.
    expect(values.get("meshgate_cache_entries")).toBe(2);
    expect(text).toContain("# TYPE meshgate_cache_entries gauge");
  });

  it("counts of requests that made no auth call reach Envoy with the next tick, summed over the workers", async () => {
    const p = await startPlane("envoy", backends, policyFor(backends, { auth: { anonymousPaths: ["/public/*"] } }));
    planes.push(p);
    for (let i = 0; i < 6; i++) expect((await p.request({ path: "/public/x", worker: i % 2 })).status).toBe(200);
    expect((await p.request({ path: "/private", worker: 1 })).status).toBe(401);
    await vi.waitFor(() => {
      const values = samples(p.envoy?.prometheusText() ?? "");
      expect(values.get("meshgate_decisions_anonymous_total")).toBe(6);
      expect(values.get("meshgate_decisions_deny_total")).toBe(1);
    }, { timeout: 3000, interval: 50 });
  });
});
