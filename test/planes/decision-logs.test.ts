// Decision logs on both planes: the documented JSON line (shared/DECISIONS.md §8) for every decision that
// is not a plain cache-hit allow, and no token material anywhere in what the plane logged. On Kong they are the
// plugin server's output, which Kong logs at info (so the host runs at log_level info here), and every line a
// request writes through kong.log ends with nginx's request context — query string included — so the scan
// covers that too.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLANES, bearer, policyFor, startBackends, startPlane, type Backends, type Plane } from "./support.js";

const FIELDS = ["time", "plane", "request_id", "route", "section", "shadow", "outcome", "reason", "status", "cache", "auth_status",
  "auth_latency_ms", "limiter", "degraded", "canary", "canary_reason"];

function capturedLines(plane: Plane): string[] {
  if (plane.kong) return plane.kong.logs().map((entry) => entry.message);
  return plane.envoy!.logs().map((entry) => entry.message);
}

function decisionLines(plane: Plane): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of capturedLines(plane)) {
    const start = line.indexOf("{\"time\":");
    if (start < 0) continue;
    out.push(JSON.parse(line.slice(start, line.lastIndexOf("}") + 1)) as Record<string, unknown>);
  }
  return out;
}

describe.each(PLANES)("decision logs on the %s plane", (planeName) => {
  let backends: Backends;
  let plane: Plane;
  let token: string;

  beforeAll(async () => {
    backends = await startBackends();
    plane = await startPlane(planeName, backends, policyFor(backends, { rateLimit: { rate: 2, periodSeconds: 3600, burst: 1 } }), { kongLogLevel: "info" });
    token = await backends.token("lena", ["staff"]);
    await plane.request({ path: "/a", headers: { ...bearer(token), "x-request-id": "req-miss" }, worker: 0 });
    await plane.request({ path: "/a", headers: { ...bearer(token), "x-request-id": "req-hit" }, worker: 0 });
    await plane.request({ path: "/a", headers: { ...bearer(token), "x-request-id": "req-limited" }, worker: 0 });
    await plane.request({ path: "/a", headers: { "x-request-id": "req-missing" }, worker: 0 });
    await plane.request({ path: "/a?access_token=" + token, headers: { ...bearer("forged.token-value"), "x-request-id": "req-bad" }, worker: 0 });
    await (plane.kong?.idle() ?? Promise.resolve());
    // Kong reads the plugin server's output on its own schedule; the lines come in order, so the last one is enough.
    await plane.kong?.waitForLog((entry) => entry.message.includes('"request_id":"req-bad"'));
  });
  afterAll(async () => {
    await plane?.close();
    await backends?.close();
  });

  it("writes one line per logged decision with the documented fields, in order", () => {
    const lines = decisionLines(plane);
    const byId = new Map(lines.map((line) => [line.request_id, line]));
    expect([...byId.keys()].sort()).toEqual(["req-bad", "req-limited", "req-miss", "req-missing"]);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(FIELDS);
      expect(line.plane).toBe(planeName);
    }
    expect(byId.get("req-miss")).toMatchObject({ outcome: "allow", reason: "active", cache: "miss", auth_status: 200, limiter: "allowed", status: 0 });
    expect(typeof byId.get("req-miss")?.auth_latency_ms).toBe("number");
    expect(byId.get("req-limited")).toMatchObject({ outcome: "deny", reason: "rate_limited", status: 429, limiter: "rejected", cache: "hit" });
    expect(byId.get("req-missing")).toMatchObject({ outcome: "deny", reason: "token_missing", status: 401, cache: "none" });
  });

  it("never logs a token or a part of one, nor the subject by default", () => {
    const everything = capturedLines(plane).join("\n");
    for (const secret of [token, token.slice(0, 24), token.slice(-24), "forged.token-value"]) expect(everything).not.toContain(secret);
    expect(everything).not.toContain("lena");
  });

  // Declared for Kong only: the Envoy host has no nginx request context to keep out.
  if (planeName === "kong") {
    it("on Kong: written on the plugin server's output, so nginx appends no request line, Host or Referer", () => {
      const lines = plane.kong!.logs().filter((entry) => entry.message.includes("{\"time\":"));
      expect(lines.length).toBeGreaterThanOrEqual(4);
      for (const line of lines) {
        expect(line).toMatchObject({ source: "server", level: "info" });
        expect(line.message).toMatch(/^\[meshgate:\d+\] \{"time":/);
        expect(line.message).not.toMatch(/request: "|host: "|referrer: "/);
      }
    });
  }
});

describe("the same decision gives the same line on both planes", () => {
  let backends: Backends;
  let planes: Plane[] = [];

  beforeAll(async () => {
    backends = await startBackends();
    const policy = policyFor(backends, {
      auth: { shadow: true },
      rateLimit: { key: "ip", rate: 1, periodSeconds: 3600, burst: 1 }, // s3 is the third request: refused
      canary: { percentage: 50, shadow: true },
    });
    planes = await Promise.all(PLANES.map((name) => startPlane(name, backends, policy, { kongLogLevel: "info", manualClock: true })));
  });
  afterAll(async () => {
    await Promise.all(planes.map((p) => p.close()));
    await backends?.close();
  });

  it("equal but for the plane, the time and the auth latency, shadow lines included", async () => {
    const token = await backends.token("sam");
    const script = [
      { headers: { "x-request-id": "s1" } },
      { headers: { ...bearer(token), "x-request-id": "s2" } },
      { headers: { ...bearer("not-a-known-token"), "x-request-id": "s3" } },
    ];
    const byPlane: Record<string, unknown>[][] = [];
    for (const plane of planes) {
      for (const r of script) await plane.request({ path: "/same", clientIp: "10.3.3.3", worker: 0, ...r });
      await (plane.kong?.idle() ?? Promise.resolve());
      await plane.kong?.waitForLog((entry) => entry.message.includes('"request_id":"s3"'));
      byPlane.push(decisionLines(plane).map(({ time: _t, plane: _p, auth_latency_ms: _l, ...rest }) => rest));
    }
    // s1: its line, auth's shadow refusal and the canary's choice; s2: the same with auth's allow; s3: the 429.
    expect(byPlane[0]!.map((l) => `${l.request_id as string} ${l.section as string} ${String(l.shadow)}`)).toEqual([
      "s1 auth false", "s1 auth true", "s1 canary true", "s2 auth false", "s2 auth true", "s2 canary true", "s3 rateLimit false",
    ]);
    expect(byPlane[0]).toEqual(byPlane[1]);
  });
});
