// Shadow mode through both dev hosts (shared/DECISIONS.md §10): a shadowed section decides in full and records
// what it would have done — a decision-log line with `shadow: true` and meshgate_shadow_decisions_total — but never
// changes the request or the response. Clocks are the plugins' manual clocks, so limits count exactly.
import { afterEach, beforeAll, afterAll, describe, expect, it } from "vitest";
import { freePort } from "../support/redis.js";
import { canaryBucket } from "./oracle.js";
import { PLANES, bearer, header, policyFor, startBackends, startPlane, type Backends, type Plane, type PlaneName } from "./support.js";

type Line = Record<string, unknown>;

const RATELIMIT_HEADERS = ["ratelimit", "ratelimit-policy", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "retry-after", "x-meshgate-limiter"];

/** The decision-log lines a plane wrote, parsed, in order (Kong: the plugin server's output at INFO). */
function decisionLines(plane: Plane): Line[] {
  const messages = plane.kong ? plane.kong.logs().map((e) => e.message) : plane.envoy!.logs().map((e) => e.message);
  const out: Line[] = [];
  for (const message of messages) {
    const start = message.indexOf('{"time":');
    if (start >= 0) out.push(JSON.parse(message.slice(start)) as Line);
  }
  return out;
}

/** Kong writes decision lines asynchronously (the plugin server's output): wait for the count the script implies. */
async function linesAfter(plane: Plane, count: number): Promise<Line[]> {
  if (plane.kong) {
    await plane.kong.idle();
    // On a timeout the lines that did arrive are returned: the caller's assertion then shows what is missing.
    await plane.kong.waitForLog(() => decisionLines(plane).length >= count, 20_000).catch(() => undefined);
  }
  return decisionLines(plane);
}

/** Shadow lines without the fields a run cannot fix (time, request id). */
function shadowView(lines: Line[]): Line[] {
  return lines.filter((l) => l.shadow === true).map(({ time: _t, request_id: _r, ...rest }) => rest);
}

/** `name{labels} value` samples of the labeled decision counters, as both planes render them. */
function labeledSamples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match = /^(meshgate_(?:shadow_)?decisions_total\{[^}]*\}) (\S+)$/.exec(line);
    if (match) out.set(match[1]!, Number(match[2]));
  }
  return out;
}

function series(name: string, route: string, section: string, outcome: string, reason: string): string {
  return `${name}{route="${route}",section="${section}",outcome="${outcome}",reason="${reason}"}`;
}
const shadowSeries = (section: string, outcome: string, reason: string): string =>
  series("meshgate_shadow_decisions_total", "default", section, outcome, reason);
const decisionSeries = (section: string, outcome: string, reason: string): string =>
  series("meshgate_decisions_total", "default", section, outcome, reason);

interface MeteredPlane {
  plane: Plane;
  metrics(): Promise<string>;
}

async function startMetered(name: PlaneName, backends: Backends, policy: Record<string, unknown>): Promise<MeteredPlane> {
  if (name === "kong") {
    const port = await freePort();
    const plane = await startPlane(name, backends, policy, { manualClock: true, kongLogLevel: "info", serverEnv: { MESHGATE_METRICS_PORT: String(port) } });
    return { plane, metrics: async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text() };
  }
  const plane = await startPlane(name, backends, policy, { manualClock: true });
  return {
    plane,
    // The filter writes its counts to the host in batches, at the latest on its next tick.
    metrics: async () => {
      plane.advanceClock(1_000);
      return plane.envoy!.prometheusText();
    },
  };
}

describe.each(PLANES)("shadow mode on the %s plane", (planeName) => {
  let backends: Backends;
  let current: MeteredPlane | null = null;

  beforeAll(async () => {
    backends = await startBackends();
  });
  afterEach(async () => {
    await current?.plane.close();
    current = null;
  });
  afterAll(async () => {
    await backends?.close();
  });

  async function start(policy: Record<string, unknown>): Promise<MeteredPlane> {
    current = await startMetered(planeName, backends, policy);
    return current;
  }

  it("shadowed auth forwards a request without a token untouched and records would_status 401", async () => {
    const { plane, metrics } = await start(policyFor(backends, { auth: { shadow: true } }));
    // A client-sent identity header reaches the upstream as sent: a shadowed section strips nothing (SECURITY.md).
    const r = await plane.request({ path: "/orders", headers: { "x-auth-subject": "mallory", "x-request-id": "no-token" }, worker: 0 });
    expect(r.status).toBe(200);
    expect(r.variant).toBe("stable");
    expect(r.upstreamHeaders?.["x-auth-subject"]).toBe("mallory");
    expect(r.upstreamHeaders?.["x-auth-groups"]).toBeUndefined();
    expect(header(r, "www-authenticate")).toBeUndefined();

    const lines = await linesAfter(plane, 2);
    expect(shadowView(lines)).toEqual([
      { plane: planeName, route: "default", section: "auth", shadow: true, outcome: "deny", reason: "token_missing", would_status: 401 },
    ]);
    expect(lines.find((l) => l.shadow === false)).toMatchObject({ section: "auth", outcome: "anonymous", reason: "auth_shadow", status: 0 });
    const samples = labeledSamples(await metrics());
    expect(samples.get(shadowSeries("auth", "deny", "token_missing"))).toBe(1);
    expect(samples.get(decisionSeries("auth", "anonymous", "auth_shadow"))).toBe(1);
  });

  it("shadowed auth during an outage records what the fail mode would have done", async () => {
    const { plane, metrics } = await start(policyFor(backends, { auth: { shadow: true, failure: { mode: "closed", status: 503 } } }));
    const token = await backends.token("olga");
    backends.auth.setFaults({ status: 500 });
    try {
      const r = await plane.request({ path: "/x", headers: bearer(token), worker: 0 });
      expect(r.status).toBe(200);
      expect(r.upstreamHeaders?.["x-auth-degraded"]).toBeUndefined();
    } finally {
      backends.auth.clearFaults();
    }
    expect(shadowView(await linesAfter(plane, 2))).toEqual([
      { plane: planeName, route: "default", section: "auth", shadow: true, outcome: "error", reason: "auth_status_500", would_status: 503 },
    ]);
    expect(labeledSamples(await metrics()).get(shadowSeries("auth", "error", "auth_status_500"))).toBe(1);
  });

  it("shadowed limits forward every request of a burst and record exactly the number an enforcing limit refuses", async () => {
    // Capacity 5 (burst 4 + 1) per client IP, no refill within the test: an enforcing limit refuses 7 of 12.
    const limit = { key: "ip", rate: 1, periodSeconds: 3600, burst: 4 };
    const { plane, metrics } = await start(policyFor(backends, { auth: { enabled: false }, rateLimit: { ...limit, shadow: true } }));
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await plane.request({ path: `/burst?n=${i}`, clientIp: "10.9.8.7", worker: i % 2 });
      statuses.push(r.status);
      for (const name of RATELIMIT_HEADERS) expect(header(r, name)).toBeUndefined();
    }
    expect(statuses).toEqual(new Array(12).fill(200));
    const samples = labeledSamples(await metrics());
    expect(samples.get(shadowSeries("rateLimit", "deny", "rate_limited"))).toBe(7);
    expect(samples.get(shadowSeries("rateLimit", "allow", "within_limit"))).toBe(5);
    // In errors mode every refusal a shadowed limit would have made gets its line.
    const refusals = shadowView(await linesAfter(plane, 12 + 7)).filter((l) => l.reason === "rate_limited");
    expect(refusals).toHaveLength(7);
    expect(refusals[0]).toEqual({ plane: planeName, route: "default", section: "rateLimit", shadow: true, outcome: "deny", reason: "rate_limited", would_status: 429 });

    // The same burst against the enforcing limit refuses exactly that many.
    await plane.close();
    current = await startMetered(planeName, backends, policyFor(backends, { auth: { enabled: false }, rateLimit: limit }));
    let refused = 0;
    for (let i = 0; i < 12; i++) if ((await current.plane.request({ path: "/burst", clientIp: "10.9.8.7", worker: i % 2 })).status === 429) refused++;
    expect(refused).toBe(7);
  });

  it("a route with rateLimit {shadow: true} records but never refuses, while the default route enforces", async () => {
    // Capacity 2 (burst 1 + 1) per client IP on both routes; the route's limit keeps its own keys (r:reports:).
    const { plane, metrics } = await start({
      ...policyFor(backends, { auth: { enabled: false }, rateLimit: { key: "ip", rate: 1, periodSeconds: 3600, burst: 1 } }),
      routes: [{ name: "reports", match: { paths: ["/reports/*"] }, rateLimit: { shadow: true } }],
    });
    const send = (path: string, i: number) => plane.request({ path, clientIp: "10.4.4.4", worker: i % 2 });
    const shadowed: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await send("/reports/q", i);
      shadowed.push(r.status);
      for (const name of RATELIMIT_HEADERS) expect(header(r, name)).toBeUndefined();
    }
    const enforced: number[] = [];
    for (let i = 0; i < 4; i++) enforced.push((await send("/api", i)).status);
    expect(shadowed).toEqual([200, 200, 200, 200]);
    expect(enforced).toEqual([200, 200, 429, 429]);

    // errors mode: every request here is anonymous, so each has its line, followed by its shadow line if any.
    expect(shadowView(await linesAfter(plane, 8 + 4))).toEqual([
      ...["allow", "allow", "deny", "deny"].map((outcome) => ({
        plane: planeName, route: "reports", section: "rateLimit", shadow: true, outcome,
        reason: outcome === "allow" ? "within_limit" : "rate_limited", would_status: outcome === "allow" ? 0 : 429,
      })),
    ]);
    const samples = labeledSamples(await metrics());
    expect(Object.fromEntries(samples)).toEqual({
      [series("meshgate_decisions_total", "reports", "auth", "anonymous", "auth_disabled")]: 4,
      [series("meshgate_shadow_decisions_total", "reports", "rateLimit", "allow", "within_limit")]: 2,
      [series("meshgate_shadow_decisions_total", "reports", "rateLimit", "deny", "rate_limited")]: 2,
      [decisionSeries("auth", "anonymous", "auth_disabled")]: 2,
      [decisionSeries("rateLimit", "deny", "rate_limited")]: 2,
    });
  });

  it("a route with auth {shadow: true} forwards a tokenless request, while the default route still answers 401", async () => {
    const { plane, metrics } = await start({
      ...policyFor(backends, {}),
      routes: [{ name: "legacy", match: { paths: ["/legacy/*"] }, auth: { shadow: true } }],
    });
    const headers = { "x-auth-subject": "mallory" };
    const shadowed = await plane.request({ path: "/legacy/report", headers: { ...headers, "x-request-id": "l1" }, worker: 0 });
    expect(shadowed.status).toBe(200);
    expect(header(shadowed, "www-authenticate")).toBeUndefined();
    // The default route enforces auth, so the identity header is owned on every request: stripped here too.
    expect(shadowed.upstreamHeaders?.["x-auth-subject"]).toBeUndefined();
    const enforced = await plane.request({ path: "/api", headers: { ...headers, "x-request-id": "d1" }, worker: 1 });
    expect(enforced.status).toBe(401);
    expect(header(enforced, "www-authenticate")).toMatch(/^Bearer realm="/);

    const lines = await linesAfter(plane, 3);
    expect(shadowView(lines)).toEqual([
      { plane: planeName, route: "legacy", section: "auth", shadow: true, outcome: "deny", reason: "token_missing", would_status: 401 },
    ]);
    expect(lines.filter((l) => l.shadow === false).map((l) => [l.request_id, l.route, l.outcome, l.reason, l.status])).toEqual([
      ["l1", "legacy", "anonymous", "auth_shadow", 0],
      ["d1", "default", "deny", "token_missing", 401],
    ]);
    expect(Object.fromEntries(labeledSamples(await metrics()))).toEqual({
      [series("meshgate_decisions_total", "legacy", "auth", "anonymous", "auth_shadow")]: 1,
      [series("meshgate_shadow_decisions_total", "legacy", "auth", "deny", "token_missing")]: 1,
      [decisionSeries("auth", "deny", "token_missing")]: 1,
    });
  });

  it("shadowed canary never re-routes and records the would-be variants in the hash's exact proportion", async () => {
    const salt = "shadow-2026";
    const { plane, metrics } = await start(policyFor(backends, { auth: { enabled: false }, canary: { percentage: 30, salt, shadow: true } }));
    const ips = Array.from({ length: 40 }, (_, i) => `10.20.${i >> 4}.${(i * 7) % 256}`);
    const expectedCanary = ips.filter((ip) => canaryBucket(salt, ip) < 3000).length;
    expect(expectedCanary).toBeGreaterThan(0); // the sample has both variants, so the count says something
    expect(expectedCanary).toBeLessThan(ips.length);
    for (const [i, ip] of ips.entries()) {
      const r = await plane.request({ path: "/c", clientIp: ip, worker: i % 2 });
      expect(r.variant).toBe("stable");
      expect(r.upstreamHeaders?.["x-canary"]).toBeUndefined(); // no tag, no baggage: the request is as sent
    }
    const samples = labeledSamples(await metrics());
    expect(samples.get(shadowSeries("canary", "canary", "percentage"))).toBe(expectedCanary);
    expect(samples.get(shadowSeries("canary", "stable", "percentage"))).toBe(ips.length - expectedCanary);
  });

  it("mixes shadowed and enforced sections: exact metrics and log lines after a scripted sequence", async () => {
    // Auth enforced; the IP limit (capacity 2) and the canary shadowed.
    const policy = policyFor(backends, {
      rateLimit: { key: "ip", rate: 1, periodSeconds: 3600, burst: 1, shadow: true },
      canary: { overrideGroups: ["testers"], shadow: true },
    });
    const { plane, metrics } = await start(policy);
    const alice = await backends.token("alice", ["testers"]);
    const send = (headers: Record<string, string>) => plane.request({ path: "/m", clientIp: "10.7.7.7", headers, worker: 0 });

    const first = await send({ "x-request-id": "m1" }); // limit ok (1/2), auth refuses: 401
    const second = await send({ ...bearer(alice), "x-canary": "always", "x-request-id": "m2" }); // limit ok (2/2), allow, canary override
    const third = await send({ ...bearer(alice), "x-request-id": "m3" }); // limit would refuse, allow from cache, stable default
    expect([first.status, second.status, third.status]).toEqual([401, 200, 200]);
    expect(header(first, "www-authenticate")).toMatch(/^Bearer/);
    expect([second.variant, third.variant]).toEqual(["stable", "stable"]);
    expect(second.upstreamHeaders?.["x-auth-subject"]).toBe("alice");
    expect(second.upstreamHeaders?.["x-canary"]).toBe("always");
    for (const r of [second, third]) for (const name of RATELIMIT_HEADERS) expect(header(r, name)).toBeUndefined();

    const lines = (await linesAfter(plane, 6)).map(({ time: _t, auth_latency_ms: _l, ...rest }) => rest);
    const common = { plane: planeName, route: "default" };
    expect(lines).toEqual([
      { ...common, request_id: "m1", section: "auth", shadow: false, outcome: "deny", reason: "token_missing", status: 401, cache: "none", auth_status: 0, limiter: "shadow", degraded: false, canary: null, canary_reason: null },
      { ...common, request_id: "m1", section: "rateLimit", shadow: true, outcome: "allow", reason: "within_limit", would_status: 0 },
      { ...common, request_id: "m2", section: "auth", shadow: false, outcome: "allow", reason: "active", status: 0, cache: "miss", auth_status: 200, limiter: "shadow", degraded: false, canary: null, canary_reason: null },
      { ...common, request_id: "m2", section: "rateLimit", shadow: true, outcome: "allow", reason: "within_limit", would_status: 0 },
      { ...common, request_id: "m2", section: "canary", shadow: true, outcome: "canary", reason: "override", would_status: 0 },
      // A plain cache-hit allow has no line of its own in errors mode; the refusal its shadowed limit would make does.
      { ...common, request_id: "m3", section: "rateLimit", shadow: true, outcome: "deny", reason: "rate_limited", would_status: 429 },
    ]);

    const samples = labeledSamples(await metrics());
    expect(Object.fromEntries(samples)).toEqual({
      [decisionSeries("auth", "deny", "token_missing")]: 1,
      [decisionSeries("auth", "allow", "active")]: 2,
      [shadowSeries("rateLimit", "allow", "within_limit")]: 2,
      [shadowSeries("rateLimit", "deny", "rate_limited")]: 1,
      [shadowSeries("canary", "canary", "override")]: 1,
      [shadowSeries("canary", "stable", "default")]: 1,
    });
  });
});
