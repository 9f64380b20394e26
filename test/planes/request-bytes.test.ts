// Issue #11's cases, each through both gateways' HTTP fronts as raw bytes: path tricks against anonymous and
// fail-open rules, request bytes that are not UTF-8, owned headers in other spellings, header counts, and a
// client-chosen limit key. DECISIONS.md §1.1–1.3 and §6 are the rules.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFront, type Front } from "./fronts.js";
import { rawHeader, rawRequest } from "../support/raw-http.js";
import { echoed, sendRaw, type RawResponse } from "./raw-request.js";
import { PLANES, policyFor, startBackends, type Backends } from "./support.js";

const ANSWER_TIMEOUT_MS = 20_000;
const TEST_TIMEOUT_MS = 60_000;

const AUTH = {
  anonymousPaths: ["/public/*", "/static*", "/healthz"],
  failure: { openPaths: ["/catalog/*"] },
  headerMappings: [{ from: "scope", to: "x-auth-scope" }],
  timeoutMs: 2000,
};

describe.each(PLANES)("request bytes on the %s plane (issue #11)", (planeName) => {
  let backends: Backends;
  const fronts: Front[] = [];

  async function front(sections: Parameters<typeof policyFor>[1] = {}): Promise<Front> {
    const started = await startFront(planeName, backends, policyFor(backends, { auth: AUTH, ...sections }));
    fronts.push(started);
    return started;
  }

  function send(f: Front, target: string, headers: Array<[string, string]> = []): Promise<RawResponse> {
    return sendRaw(f.port, target, [["host", "localhost"], ...headers], ANSWER_TIMEOUT_MS);
  }

  async function token(sub: string, groups: string[] = []): Promise<string> {
    return (await backends.auth.issueToken({ sub, groups, scope: "read", ttlSeconds: 300 })).access_token;
  }

  beforeAll(async () => {
    backends = await startBackends();
  });
  afterEach(async () => {
    await Promise.all(fronts.splice(0).map((f) => f.close()));
    backends.auth.clearFaults();
  });
  afterAll(async () => {
    await backends?.close();
  });

  it("`..;` and `.;` segments never reach a route through an anonymous prefix rule", async () => {
    const f = await front();
    for (const target of ["/public/..;/admin", "/public/.;/admin", "/public/x/..;/..;/admin", "/static/..;/admin", "/public/..;x=1/admin"]) {
      const r = await send(f, target);
      expect({ target, status: r.status, forwarded: echoed(r) !== null }).toEqual({ target, status: 401, forwarded: false });
    }
    const control = await send(f, "/public/page;v=1");
    expect(control.status).toBe(200);
    expect(echoed(control)?.headers["x-auth-subject"]).toBeUndefined();
  }, TEST_TIMEOUT_MS);

  it("`/catalog/..;/admin` is not failed open while the auth service fails; `/catalog/a` is", async () => {
    const f = await front();
    const bearer = `Bearer ${await token("alice")}`;
    backends.auth.setFaults({ status: 500 });
    const trick = await send(f, "/catalog/..;/admin", [["authorization", bearer]]);
    expect(trick.status).toBe(503);
    expect(echoed(trick)).toBeNull();
    const open = await send(f, "/catalog/a", [["authorization", bearer]]);
    expect(open.status).toBe(200);
    expect(echoed(open)?.headers["x-auth-degraded"]).toBe("auth_status_500");
  }, TEST_TIMEOUT_MS);

  it("raw non-ASCII bytes in the target (`/static\\xe0/../admin`, `/healthz\\xf0ab`) are refused with 400, even with a valid token", async () => {
    // Envoy's codec refuses them before any filter; the Kong plugin applies the same rule (DECISIONS.md §1.1).
    const f = await front();
    const bearer = `Bearer ${await token("alice")}`;
    for (const target of ["/static\u00e0/../admin", "/healthz\u00f0ab", "/orders/caf\u00e9"]) {
      for (const headers of [[], [["authorization", bearer]]] as Array<Array<[string, string]>>) {
        const r = await send(f, target, headers);
        expect({ target, status: r.status, forwarded: echoed(r) !== null }).toEqual({ target, status: 400, forwarded: false });
      }
    }
  }, TEST_TIMEOUT_MS);

  it("owned headers in `.` and `_` spellings never reach the upstream, on anonymous and authenticated requests", async () => {
    const f = await front({ canary: { overrideGroups: ["testers"], percentage: 0 } });
    const spoof: Array<[string, string]> = [
      ["x.auth.groups", "admins"], ["x.auth.subject", "root"], ["x.auth.scope", "admin"], ["x.auth.degraded", "no"],
      ["x.canary", "true"], ["x_canary", "true"], ["X_Auth_Groups", "admins"],
    ];
    const anonymous = await send(f, "/public/page", spoof);
    const authed = await send(f, "/orders", [["authorization", `Bearer ${await token("bob")}`], ...spoof]);
    for (const r of [anonymous, authed]) {
      const upstream = echoed(r);
      expect(upstream).not.toBeNull();
      const owned = Object.keys(upstream!.headers).filter((n) => /^x[-_.]auth[-_.]|^x[-_.]canary$/i.test(n));
      const leaked = owned.filter((n) => !["x-auth-subject", "x-auth-scope", "x-canary"].includes(n));
      expect(leaked).toEqual([]);
      expect(Object.values(upstream!.headers)).not.toContain("admins");
      expect(Object.values(upstream!.headers)).not.toContain("root");
    }
    expect(echoed(anonymous)!.headers["x-canary"]).toBe("false");
    expect(echoed(authed)!.headers["x-auth-subject"]).toBe("bob");
    expect(echoed(authed)!.headers["x-auth-scope"]).toBe("read");
  }, TEST_TIMEOUT_MS);

  it("a valid token followed by a stray byte (\\xe9, \\xff) is malformed: 401 invalid_token, no auth call", async () => {
    const f = await front();
    const valid = await token("alice");
    backends.auth.resetStats();
    for (const stray of ["\u00e9", "\u00ff"]) {
      const r = await send(f, "/orders", [["authorization", `Bearer ${valid}${stray}`]]);
      expect(r.status).toBe(401);
      expect(rawHeader(r, "www-authenticate")).toContain('error="invalid_token"');
    }
    expect(backends.auth.stats().introspect).toBe(0);
  }, TEST_TIMEOUT_MS);

  it("a tester's `x-canary: alway\\xc1\\xb3` is no override: stable", async () => {
    const f = await front({ canary: { overrideGroups: ["testers"], percentage: 0 } });
    const bearer = `Bearer ${await token("tess", ["testers"])}`;
    const odd = await send(f, "/orders", [["authorization", bearer], ["x-canary", "alway\u00c1\u00b3"]]);
    expect(echoed(odd)?.variant).toBe("stable");
    const real = await send(f, "/orders", [["authorization", bearer], ["x-canary", "always"]]);
    expect(echoed(real)?.variant).toBe("canary");
  }, TEST_TIMEOUT_MS);

  it("100 header lines pass, 101 are refused with 431 (Host included, pseudo-headers and proxy additions not)", async () => {
    const f = await front();
    const bearer: [string, string] = ["authorization", `Bearer ${await token("alice")}`];
    // host + connection + authorization + fillers.
    const fill = (n: number): Array<[string, string]> => Array.from({ length: n }, (_, i) => [`x-fill-${i}`, "v"]);
    const atLimit = await rawRequest(f.port, { target: "/orders", headers: [["host", "localhost"], ["connection", "close"], bearer, ...fill(97)] }, { timeoutMs: ANSWER_TIMEOUT_MS });
    expect(atLimit.status).toBe(200);
    const over = await rawRequest(f.port, { target: "/orders", headers: [["host", "localhost"], ["connection", "close"], bearer, ...fill(98)] }, { timeoutMs: ANSWER_TIMEOUT_MS });
    expect(over.status).toBe(431);
    expect(echoed(over)).toBeNull();
  }, TEST_TIMEOUT_MS);

  it("rotating a `header:` limit key with bad tokens is bounded by rateLimit.preAuthIp: auth calls stop at its budget", async () => {
    const f = await front({ rateLimit: { key: "header:x-api-key", rate: 1000, burst: 1000, preAuthIp: { rate: 1, periodSeconds: 3600, burst: 4 } } });
    backends.auth.resetStats();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await send(f, "/orders", [["authorization", `Bearer bad-token-${i}`], ["x-api-key", `key-${i}`]]);
      statuses.push(r.status);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual(Array(7).fill(429));
    expect(backends.auth.stats().introspect).toBe(5);
  }, TEST_TIMEOUT_MS);
});
