// Policy v2 through each plane's dev host: one multi-route document, authorization requirements (from
// introspection answers and, in forward mode, from auth-response headers) and several rate windows.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PLANES, bearer, header, policyFor, startBackends, startPlane, type Backends, type Plane } from "./support.js";

type Doc = Record<string, unknown>;

describe.each(PLANES)("policy v2 on the %s plane", (planeName) => {
  let backends: Backends;
  const planes: Plane[] = [];

  async function plane(policy: Doc): Promise<Plane> {
    const started = await startPlane(planeName, backends, policy);
    planes.push(started);
    return started;
  }

  async function token(sub: string, scope?: string, groups: string[] = []): Promise<string> {
    return (await backends.auth.issueToken({ sub, groups, ttlSeconds: 300, ...(scope !== undefined ? { scope } : {}) })).access_token;
  }

  beforeAll(async () => {
    backends = await startBackends();
  });
  afterEach(async () => {
    await Promise.all(planes.splice(0).map((p) => p.close()));
    backends.auth.resetStats();
  });
  afterAll(async () => {
    await backends?.close();
  });

  /** The documented multi-route policy (README "Routes"), with this test's auth service. */
  function multiRoute(): Doc {
    return {
      ...policyFor(backends, { rateLimit: { key: "subject", limits: [{ rate: 100, periodSeconds: 1, burst: 99 }, { rate: 1000, periodSeconds: 3600, burst: 999 }] } }),
      require: { audiences: ["meshgate"] },
      routes: [
        { name: "docs", match: { paths: ["/docs/*"], methods: ["GET"] }, anonymous: true, rateLimit: { key: "ip", rate: 2, periodSeconds: 3600, burst: 1 } },
        { name: "admin", match: { paths: ["/admin/*"] }, require: { scopes: ["admin", "write"] } },
        { name: "reports", match: { paths: ["/reports*"], headers: [{ name: "x-tenant", value: "acme" }] }, require: { anyScopes: ["reports:read", "reports:admin"] } },
      ],
    };
  }

  it("routes: first match wins, anonymous route without a token, requirements per route, default sections elsewhere", async () => {
    const p = await plane(multiRoute());
    const reader = await token("rita", "read write");
    const admin = await token("ada", "admin write");

    const docs = await p.request({ path: "/docs/intro" });
    expect(docs.status).toBe(200);
    expect(header(docs, "ratelimit-policy")).toBe('"default";q=2;w=3600');
    // The docs route serves GET only: another method falls through to the default sections, which need a token.
    expect((await p.request({ method: "POST", path: "/docs/intro" })).status).toBe(401);

    const refused = await p.request({ path: "/admin/users", headers: bearer(reader) });
    expect(refused.status).toBe(403);
    expect(header(refused, "www-authenticate")).toBe('Bearer realm="meshgate", error="insufficient_scope", scope="admin write"');
    expect(refused.variant).toBeNull();

    const allowed = await p.request({ path: "/admin/users", headers: bearer(admin) });
    expect(allowed.status).toBe(200);
    expect(allowed.upstreamHeaders?.["x-auth-subject"]).toBe("ada");

    // The reports route needs the tenant header too; without it the default route applies.
    expect((await p.request({ path: "/reports/q1", headers: bearer(reader) })).status).toBe(200);
    const reports = await p.request({ path: "/reports/q1", headers: { ...bearer(reader), "x-tenant": "acme" } });
    expect(reports.status).toBe(403);
    expect(header(reports, "www-authenticate")).toBe('Bearer realm="meshgate", error="insufficient_scope", scope="reports:read reports:admin"');

    // Several windows on the default route: RateLimit-Policy lists both, RateLimit shows the binding one.
    const orders = await p.request({ path: "/orders", headers: bearer(admin) });
    expect(orders.status).toBe(200);
    expect(header(orders, "ratelimit-policy")).toBe('"default-second";q=100;w=1, "default-hour";q=1000;w=3600');
    expect(header(orders, "ratelimit")).toMatch(/^"default-(second|hour)";r=\d+;t=\d+$/);
  });

  it("an ambiguous path is refused when routes match on paths (no route could be picked safely)", async () => {
    const p = await plane(multiRoute());
    const r = await p.request({ path: "/docs/..;/admin/users" });
    expect(r.status).toBe(400);
    expect(r.variant).toBeNull();
    expect(backends.auth.stats().introspect).toBe(0);
  });

  it("the decision cache keeps what requirements need: other routes for the same token never cost a second auth call", async () => {
    const p = await plane(multiRoute());
    const admin = await token("ada", "admin write");
    expect((await p.request({ path: "/orders", headers: bearer(admin) })).status).toBe(200);
    expect((await p.request({ path: "/admin/x", headers: bearer(admin) })).status).toBe(200);
    expect((await p.request({ path: "/reports", headers: { ...bearer(admin), "x-tenant": "acme" } })).status).toBe(403);
    expect((await p.request({ path: "/admin/y", headers: bearer(admin) })).status).toBe(200);
    expect(backends.auth.stats().introspect).toBe(1);
  });

  it("requirements on audiences and claims read the introspection answer", async () => {
    const p = await plane({
      ...policyFor(backends),
      routes: [
        { name: "other-audience", match: { paths: ["/other/*"] }, require: { audiences: ["billing"] } },
        // Claim values as lists: Kong's schema types them so (the core also takes a single value).
        { name: "web-client", match: { paths: ["/web/*"] }, require: { claims: { client_id: ["web", "mobile"], iss: ["meshgate-dev-auth"] } } },
      ],
    });
    const plain = await token("pat");
    const web = (await backends.auth.issueToken({ sub: "wes", groups: [], ttlSeconds: 300, client_id: "web" })).access_token;
    const other = await p.request({ path: "/other/a", headers: bearer(plain) });
    expect(other.status).toBe(403);
    expect(header(other, "www-authenticate")).toBe('Bearer realm="meshgate", error="insufficient_scope"');
    expect((await p.request({ path: "/web/a", headers: bearer(plain) })).status).toBe(403);
    expect((await p.request({ path: "/web/a", headers: bearer(web) })).status).toBe(200);
  });

  it("forward mode: scopes come from the configured auth-response header", async () => {
    const forward = policyFor(backends, {
      auth: {
        mode: "forward",
        service: { url: `${backends.authUrl}/verify`, cluster: "auth-service", authority: "auth.local", path: "/verify" },
        claimHeaders: { scope: "x-auth-scope" },
      },
    });
    const p = await plane({ ...forward, require: { scopes: ["orders:read"] } });
    const r = await p.request({ path: "/orders", headers: bearer(await token("fay", "orders:write")) });
    expect(r.status).toBe(403);
    expect(header(r, "www-authenticate")).toBe('Bearer realm="meshgate", error="insufficient_scope", scope="orders:read"');
    expect((await p.request({ path: "/orders", headers: bearer(await token("fay", "orders:read")) })).status).toBe(200);
  });

  it("several windows: the tighter window refuses, names itself, and the refused requests consume from no window", async () => {
    const p = await plane({ auth: { enabled: false }, rateLimit: { key: "header:x-client", limits: [{ rate: 50, periodSeconds: 1, burst: 49 }, { rate: 3, periodSeconds: 3600, burst: 2 }] } });
    const client = { "x-client": "c1" };
    for (let i = 0; i < 3; i++) expect((await p.request({ path: `/w/${i}`, headers: client })).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const refused = await p.request({ path: `/w/refused-${i}`, headers: client });
      expect(refused.status).toBe(429);
      expect(header(refused, "ratelimit")).toMatch(/^"default-hour";r=0;t=\d+$/);
      expect(JSON.parse(refused.body)["violated-policies"]).toEqual(["default-hour"]);
    }
    // Another key has its own windows.
    expect((await p.request({ path: "/w/other", headers: { "x-client": "c2" } })).status).toBe(200);
  });

  it("a route's own limit lives in its own key namespace: using it up leaves the default limit alone", async () => {
    const p = await plane({
      auth: { enabled: false },
      rateLimit: { key: "header:x-client", rate: 5, periodSeconds: 3600, burst: 4 },
      routes: [{ name: "search", match: { paths: ["/search"] }, rateLimit: { rate: 1, periodSeconds: 3600 } }],
    });
    const client = { "x-client": "c1" };
    expect((await p.request({ path: "/search", headers: client })).status).toBe(200);
    expect((await p.request({ path: "/search", headers: client })).status).toBe(429);
    for (let i = 0; i < 5; i++) expect((await p.request({ path: `/list/${i}`, headers: client })).status).toBe(200);
    expect((await p.request({ path: "/list/6", headers: client })).status).toBe(429);
  });
});
