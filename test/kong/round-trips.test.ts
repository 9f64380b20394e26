// PDK round trips per request, per path, through the real plugin server: every RPC Kong makes for the access
// phase counts (HandleEvent and each Step). The goal is ≤ 4 on a cache-hit allow; each path's extra calls
// are named in its test. One host serves every policy: a config change starts a new instance (not counted).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KongHost } from "../../dev/hosts/kong/gateway.js";
import { bearer, policyFor, startBackends, type Backends } from "../planes/support.js";
import { KongHosts, byHostname, pdkCalls, type Doc } from "./support.js";

const hosts = new KongHosts();
let backends: Backends;
let host: KongHost;
const CANARY_UPSTREAM = "shop-canary";

beforeAll(async () => {
  backends = await startBackends();
  // By hostname: Kong routes set_upstream only from a Service whose host is not an IP address.
  host = await hosts.start(policyFor(backends), byHostname(backends.stableUrl), {
    traceRpc: true,
    upstreams: { [CANARY_UPSTREAM]: [backends.canaryUrl] },
  });
});

afterAll(async () => {
  await hosts.stopAll();
  await backends?.close();
});

interface Measured {
  status: number;
  variant: string | null;
  roundTrips: number;
  calls: string[];
}

async function measure(path: string, headers: Record<string, string> = {}): Promise<Measured> {
  host.clearRpcTrace();
  const r = await host.request({ path, headers });
  const echoed = r.proxied ? (JSON.parse(r.body) as { variant?: string }).variant ?? null : null;
  return { status: r.status, variant: echoed, roundTrips: r.roundTrips, calls: pdkCalls(host.rpcTrace()) };
}

/** Decision logs are off here so each path shows its own calls; their cost is pinned in the last test. */
function usePolicy(sections: Parameters<typeof policyFor>[1], extra: Doc = {}): void {
  host.setConfig({ ...policyFor(backends, sections), log: { decisions: "off" }, ...extra });
}

const GET_HEADERS = "kong.request.get_headers";
/** Read on every request: the core's request-target rule needs it (shared/DECISIONS.md §1.2). */
const GET_PATH = "kong.request.get_path_with_query";
const SET_UPSTREAM_HEADERS = "kong.service.request.set_headers";
const SET_RESPONSE_HEADERS = "kong.response.set_headers";
const EXIT = "kong.response.exit";

describe("round trips per request (HandleEvent + Steps)", () => {
  it("auth only: cache-hit allow 4, auth miss 4 (the auth call is not a round trip), 401 3, cached deny 3", async () => {
    usePolicy({});
    const token = await backends.token("alice");
    const miss = await measure("/a", bearer(token));
    expect(miss).toMatchObject({ status: 200, roundTrips: 4, calls: [GET_HEADERS, GET_PATH, SET_UPSTREAM_HEADERS] });
    const hit = await measure("/a", bearer(token));
    expect(hit).toMatchObject({ status: 200, roundTrips: 4, calls: [GET_HEADERS, GET_PATH, SET_UPSTREAM_HEADERS] });
    expect(await measure("/a")).toMatchObject({ status: 401, roundTrips: 3, calls: [GET_HEADERS, GET_PATH, EXIT] });
    await measure("/a", bearer("revoked-token-1"));
    expect(await measure("/a", bearer("revoked-token-1"))).toMatchObject({ status: 401, roundTrips: 3, calls: [GET_HEADERS, GET_PATH, EXIT] });
  });

  it("with a subject rate limit: cache-hit allow 5 (+ RateLimit response headers), 429 3", async () => {
    usePolicy({ rateLimit: { rate: 2, periodSeconds: 3600, burst: 1 } });
    const token = await backends.token("bob");
    await measure("/", bearer(token));
    const hit = await measure("/", bearer(token));
    expect(hit).toMatchObject({ status: 200, roundTrips: 5, calls: [GET_HEADERS, GET_PATH, SET_UPSTREAM_HEADERS, SET_RESPONSE_HEADERS] });
    expect(await measure("/", bearer(token))).toMatchObject({ status: 429, roundTrips: 3, calls: [GET_HEADERS, GET_PATH, EXIT] });
  });

  it("path rules cost nothing more (the path is always read): cache-hit allow 4, anonymous path 3", async () => {
    usePolicy({ auth: { anonymousPaths: ["/health"] } });
    const token = await backends.token("carol");
    await measure("/orders", bearer(token));
    const hit = await measure("/orders", bearer(token));
    expect(hit).toMatchObject({ status: 200, roundTrips: 4, calls: [GET_HEADERS, GET_PATH, SET_UPSTREAM_HEADERS] });
    const anonymous = await measure("/health");
    expect(anonymous).toMatchObject({ status: 200, roundTrips: 3, calls: [GET_HEADERS, GET_PATH] });
  });

  it("an IP-keyed limit asks for the client IP: allow 6, 429 4", async () => {
    usePolicy({ rateLimit: { key: "ip", rate: 1, periodSeconds: 3600 } });
    const token = await backends.token("dan");
    const first = await measure("/", bearer(token));
    expect(first).toMatchObject({
      status: 200, roundTrips: 6,
      calls: [GET_HEADERS, GET_PATH, "kong.client.get_forwarded_ip", SET_UPSTREAM_HEADERS, SET_RESPONSE_HEADERS],
    });
    expect(await measure("/", bearer(token))).toMatchObject({ status: 429, roundTrips: 4, calls: [GET_HEADERS, GET_PATH, "kong.client.get_forwarded_ip", EXIT] });
  });

  it("canary with kong.target: tester override 5 (+ set_target); stable 4", async () => {
    usePolicy({ canary: { overrideGroups: ["testers"] } });
    const token = await backends.token("tina", ["testers"]);
    await measure("/", bearer(token));
    const canary = await measure("/", { ...bearer(token), "x-canary": "always" });
    expect(canary).toMatchObject({ variant: "canary", roundTrips: 5, calls: [GET_HEADERS, GET_PATH, SET_UPSTREAM_HEADERS, "kong.service.set_target"] });
    const stable = await measure("/", bearer(token));
    expect(stable).toMatchObject({ variant: "stable", roundTrips: 4, calls: [GET_HEADERS, GET_PATH, SET_UPSTREAM_HEADERS] });
  });

  it("canary with kong.upstream: tester override 5 (+ set_upstream)", async () => {
    usePolicy({ canary: { overrideGroups: ["testers"], kong: { upstream: CANARY_UPSTREAM } } });
    const token = await backends.token("tom", ["testers"]);
    await measure("/", bearer(token));
    const canary = await measure("/", { ...bearer(token), "x-canary": "always" });
    expect(canary).toMatchObject({ variant: "canary", roundTrips: 5, calls: [GET_HEADERS, GET_PATH, SET_UPSTREAM_HEADERS, "kong.service.set_upstream"] });
  });

  it("a client spoofing an identity header costs one clear_header per header it sent", async () => {
    usePolicy({});
    const token = await backends.token("erin");
    await measure("/", bearer(token));
    const spoofed = await measure("/", { ...bearer(token), "x-auth-groups": "admins" });
    expect(spoofed).toMatchObject({ status: 200, roundTrips: 5, calls: [GET_HEADERS, GET_PATH, "kong.service.request.clear_header", SET_UPSTREAM_HEADERS] });
  });

  it("decision logs cost no PDK call: they go to the plugin server's output, not through kong.log", async () => {
    host.setConfig(policyFor(backends, {}));
    const token = await backends.token("logan");
    expect(await measure("/l", bearer(token))).toMatchObject({ status: 200, roundTrips: 4, calls: [GET_HEADERS, GET_PATH, SET_UPSTREAM_HEADERS] });
    expect(await measure("/l", bearer(token))).toMatchObject({ status: 200, roundTrips: 4, calls: [GET_HEADERS, GET_PATH, SET_UPSTREAM_HEADERS] });
    expect(await measure("/l")).toMatchObject({ status: 401, roundTrips: 3, calls: [GET_HEADERS, GET_PATH, EXIT] });
  });
});
