// Hostile input through each plane's host: random header maps (up to 1024 pairs / 1 MiB, empty names, CR/LF/NUL,
// bytes that are not UTF-8, repeated Authorization) never crash the plugin server or trap the wasm, never get a
// request through without a decision, and get the RFC 6750 400/401 where the request itself is malformed.
// Spoofing: client-sent identity and degraded headers never reach the upstream, the canary override from a
// non-permitted identity never forces, and a decision made under one auth setting is never served under another.
// Seeded and bounded (HARDENING_RUNS, HARDENING_SEED); `npm run fuzz` runs more.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { KongHost } from "../../dev/hosts/kong/gateway.js";
import { tooManyHeadersResponse, tooManyRequestHeaders } from "../../shared/src/engine";
import { PLANES, bearer, policyFor, startBackends, startPlane, type Backends, type Plane, type PlaneName, type PlaneResponse } from "../planes/support.js";
import {
  OWNED_HEADERS, PROPERTY_TIMEOUT_MS, RUNS, SEED, hostileRequest, toHeaderRecord, type HostileRequest, type Limits,
} from "./hostile-generators.js";
import { capturedLogs, tokenPieces } from "./support.js";

/** Kong refuses more than 100 header lines itself (431); the Envoy filter refuses ≥ 1000 map entries (its write-back
 *  guard; Envoy's codec refuses more than 100 lines before the filter). The Envoy plane is held below 1000 entries and 1 MiB here (the size limit is the test
 *  below) and below the echo upstream's own limit (Node keeps the first 1000 headers: the identity would vanish). */
const LIMITS: Record<PlaneName, Limits> = {
  kong: { maxPairs: 1_024, maxBytes: 1024 * 1024 },
  envoy: { maxPairs: 990, maxBytes: 900 * 1024 },
};

/** nginx's unique headers (ngx_http_process_unique_header_line), which the core refuses twice on both planes. */
const UNIQUE_HEADERS = new Set(["host", "if-modified-since", "if-unmodified-since", "if-match", "if-none-match", "content-length",
  "content-range", "if-range", "transfer-encoding", "expect"]);

function repeatsUnique(pairs: Array<[string, string]>): boolean {
  const seen = new Set<string>();
  for (const [name] of pairs) {
    const lower = name.toLowerCase();
    if (!UNIQUE_HEADERS.has(lower) && lower !== "authorization") continue;
    if (seen.has(lower)) return true;
    seen.add(lower);
  }
  return false;
}

const HOSTILE_POLICY_SECTIONS = {
  auth: {
    anonymousPaths: ["/public/*"],
    headerMappings: [{ from: "tenant", to: "x-tenant" }],
    failure: { openPaths: ["/open/*"] },
  },
  canary: { overrideGroups: ["testers"], percentage: 0 },
  log: { decisions: "all" },
};

/** Makes the Kong host send the marker as bytes that are not UTF-8 (FF FE FD), as Kong passes a Lua string. */
function sendMarkerAsInvalidUtf8(kong: KongHost): void {
  const rpc = (kong as unknown as { rpc: { encoder: { encode(value: unknown): Uint8Array } } }).rpc;
  const encode = rpc.encoder.encode.bind(rpc.encoder);
  rpc.encoder.encode = (value: unknown): Uint8Array => {
    const frame = encode(value);
    for (let i = 0; i + 2 < frame.length; i++) {
      if (frame[i] === 0xee && frame[i + 1] === 0x80 && frame[i + 2] === 0x80) frame.set([0xff, 0xfe, 0xfd], i);
    }
    return frame;
  };
}

/**
 * Both dev hosts proxy with undici, which refuses a header name or value it cannot send and then keeps that
 * connection slot (undici 7.30): after 128 (Kong host) or 256 (Envoy host) such requests the upstream pool serves
 * nobody. Real Kong and Envoy have no such limit, so long runs start a fresh host before that. (meshgate's own
 * Kong auth client no longer hands undici such values: auth-client.test.ts.)
 */
function devHostForwardLeaks(pairs: Array<[string, string]>): boolean {
  return pairs.some(([name, value]) => !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name) || /[^\t\x20-\x7e\x80-\xff]/.test(value));
}

describe.each(PLANES)("hostile input on the %s plane", (planeName) => {
  let backends: Backends;
  let plane: Plane;
  let alice: string;
  const tokensUsed: string[] = [];

  beforeAll(async () => {
    backends = await startBackends();
    const policy = { ...policyFor(backends, HOSTILE_POLICY_SECTIONS), log: HOSTILE_POLICY_SECTIONS.log };
    plane = await startPlane(planeName, backends, policy, { workers: 2 });
    if (plane.kong) sendMarkerAsInvalidUtf8(plane.kong);
    alice = await backends.token("alice", [], 3600);
    tokensUsed.push(alice);
  });
  afterAll(async () => {
    await plane?.close();
    await backends?.close();
  });

  function assertHostAlive(r: PlaneResponse & { details?: string }): void {
    if (plane.envoy) {
      expect(plane.envoy.workerFailed(0) || plane.envoy.workerFailed(1)).toBe(false);
      expect(r.body).not.toContain("wasm_fail_stream");
    }
    if (plane.kong) expect(plane.kong.serverRestarts).toBe(0);
  }

  function assertNoSpoofedHeaders(r: PlaneResponse): void {
    const seen = r.upstreamHeaders!;
    expect(seen["x-auth-subject"]).toBe("alice");
    for (const owned of OWNED_HEADERS.filter((h) => h !== "x-auth-subject")) expect(seen[owned]).toBeUndefined();
  }

  /** Requests the dev host proxied with a header undici refuses (see devHostForwardLeaks). */
  let leakedForwards = 0;

  async function send(request: HostileRequest, path: string): Promise<PlaneResponse> {
    if (request.credentials === "valid" && devHostForwardLeaks(request.pairs) && ++leakedForwards >= 100) {
      leakedForwards = 0;
      await plane.close();
      plane = await startPlane(planeName, backends, { ...policyFor(backends, HOSTILE_POLICY_SECTIONS), log: HOSTILE_POLICY_SECTIONS.log }, { workers: 2 });
      if (plane.kong) sendMarkerAsInvalidUtf8(plane.kong);
    }
    return plane.request({ path, headers: toHeaderRecord(request.pairs), worker: request.pairs.length % 2 });
  }

  it("random header maps: no crash or trap, no allow without a decision, 400/401 for malformed credentials", async () => {
    const statuses = new Map<string, number>();
    await fc.assert(fc.asyncProperty(hostileRequest(alice, LIMITS[planeName]), async (request) => {
      const r = await send(request, "/orders");
      statuses.set(`${request.credentials}:${r.status}`, (statuses.get(`${request.credentials}:${r.status}`) ?? 0) + 1);
      assertHostAlive(r);
      // More than 100 header lines, Host included (DECISIONS.md §1.2): the Kong plugin refuses them; on Envoy the
      // codec does (max_headers_count), which the in-process host does not model.
      if (planeName === "kong" && tooManyRequestHeaders(request.pairs.length + 1)) {
        // A repeated unique header (nginx refuses it before any plugin) comes first: 400.
        expect(r.status).toBe(repeatsUnique(request.pairs) ? 400 : 431);
        expect(r.variant).toBeNull();
        return;
      }
      if (request.credentials === "valid") {
        // The only 400 a valid token may get: a framing or unique header the proxy's codec refuses (an empty
        // content-length), or one sent twice, which the core refuses on both planes (DECISIONS.md §1.2).
        if (r.status === 400 && request.pairs.some(([n]) => UNIQUE_HEADERS.has(n.toLowerCase()))) {
          expect(r.variant).toBeNull();
          return;
        }
        expect([400, 401, 403]).not.toContain(r.status);
        // When the upstream could take the request (it may refuse CR/LF or 1 MiB of headers), the identity is ours.
        if (r.variant !== null) assertNoSpoofedHeaders(r);
        return;
      }
      expect(r.variant).toBeNull();
      if (request.credentials === "duplicate") expect(r.status).toBe(400);
      else if (request.credentials === "none") expect(r.status).toBe(401);
      else expect([400, 401]).toContain(r.status);
    }), { numRuns: RUNS, seed: SEED });
    // The generator reached every kind of request (a property that never sees an allow proves little).
    expect([...statuses.keys()].some((k) => k.startsWith("valid:200"))).toBe(true);
    expect([...statuses.keys()].some((k) => k.startsWith("none:"))).toBe(true);
  }, PROPERTY_TIMEOUT_MS);

  it("client-sent identity and degraded headers are stripped on allowed, anonymous and fail-open requests", async () => {
    const spoof = fc.array(fc.tuple(fc.constantFrom(...OWNED_HEADERS, "X-Auth-Subject", "X-AUTH-GROUPS", "X-Tenant", "X-Auth-Degraded"),
      fc.constantFrom("admin", "admins", "", "none", "alice,admins", "tenant-1")), { minLength: 1, maxLength: 8 });
    await fc.assert(fc.asyncProperty(spoof, async (pairs) => {
      const headers = toHeaderRecord(pairs);
      const allowed = await plane.request({ path: "/orders", headers: { ...headers, ...bearer(alice) } });
      expect(allowed.status).toBe(200);
      assertNoSpoofedHeaders(allowed);
      const anonymous = await plane.request({ path: "/public/page", headers });
      expect(anonymous.status).toBe(200);
      for (const owned of OWNED_HEADERS) expect(anonymous.upstreamHeaders?.[owned]).toBeUndefined();
    }), { numRuns: Math.max(4, Math.floor(RUNS / 4)), seed: SEED });

    backends.auth.setFaults({ status: 503 });
    try {
      const degraded = await plane.request({ path: "/open/x", headers: { ...bearer(await backends.token("dora")), "x-auth-degraded": "none", "x-auth-subject": "admin" } });
      expect(degraded.status).toBe(200);
      expect(degraded.upstreamHeaders?.["x-auth-degraded"]).toBe("auth_status_503");
      expect(degraded.upstreamHeaders?.["x-auth-subject"]).toBeUndefined();
    } finally {
      backends.auth.clearFaults();
    }
  }, PROPERTY_TIMEOUT_MS);

  it("the override header never forces a variant for a non-permitted, anonymous or degraded identity", async () => {
    const nora = await backends.token("nora", ["staff"], 3600);
    const tina = await backends.token("tina", ["testers"], 3600);
    tokensUsed.push(nora, tina);
    const override = fc.array(fc.constantFrom("always", "ALWAYS", " always ", "true", "canary", "never", "always,never"), { minLength: 1, maxLength: 3 });
    await fc.assert(fc.asyncProperty(override, async (values) => {
      const forced = { "x-canary": values.length === 1 ? values[0]! : values };
      const staff = await plane.request({ path: "/orders", headers: { ...bearer(nora), ...forced } });
      expect(staff.variant).toBe("stable");
      expect(staff.upstreamHeaders?.["x-canary"]).toBe("false");
      const anonymous = await plane.request({ path: "/public/x", headers: forced });
      expect(anonymous.variant).toBe("stable");
    }), { numRuns: Math.max(4, Math.floor(RUNS / 4)), seed: SEED });
    // The header does work for a permitted identity, so the property above could have failed.
    expect((await plane.request({ path: "/orders", headers: { ...bearer(tina), "x-canary": "always" } })).variant).toBe("canary");
  }, PROPERTY_TIMEOUT_MS);

  it("no token, nor a piece of one, in any captured log line or metric", () => {
    const text = capturedLogs(plane).join("\n") + (plane.envoy?.prometheusText() ?? "");
    expect(text.length).toBeGreaterThan(0);
    for (const token of tokensUsed) for (const piece of tokenPieces(token)) expect(text).not.toContain(piece);
  });
});

describe.each(PLANES)("a decision is never served under another auth setting (%s plane, one process)", (planeName) => {
  let backends: Backends;
  let otherAuth: Backends;
  const planes: Plane[] = [];

  beforeAll(async () => {
    [backends, otherAuth] = await Promise.all([startBackends(), startBackends()]);
  });
  afterAll(async () => {
    await Promise.all(planes.map((p) => p.close()));
    await Promise.all([backends?.close(), otherAuth?.close()]);
  });

  it("policies differing only in forwardHeaders or service.url each ask their own auth service", async () => {
    const token = await backends.token("ursula");
    const base = policyFor(backends);
    const baseAuth = base.auth as Record<string, unknown>;
    const baseService = baseAuth.service as Record<string, unknown>;
    const variants = {
      base,
      forwardHeaders: { auth: { ...baseAuth, forwardHeaders: ["x-tenant"] } },
      // Another auth service that never issued the token; on Envoy the cluster is what routes the call.
      serviceUrl: { auth: { ...baseAuth, service: { ...baseService, url: `${otherAuth.authUrl}/introspect`, cluster: "other-auth" } } },
    };
    const run = await samePlaneProcess(planeName, backends, otherAuth, planes);
    expect((await run(variants.base, token)).status).toBe(200);
    expect(backends.auth.stats().introspect).toBe(1);
    expect((await run(variants.base, token)).status).toBe(200); // a hit under the same setting
    expect(backends.auth.stats().introspect).toBe(1);

    const forwarded = await run(variants.forwardHeaders, token);
    expect(forwarded.status).toBe(200);
    expect(backends.auth.stats().introspect).toBe(2); // asked again, not served from the other setting's entry

    const elsewhere = await run(variants.serviceUrl, token);
    expect(elsewhere.status).toBe(401);
    expect(otherAuth.auth.stats().introspect).toBe(1);
  });
});

/**
 * One process, several policies: on Kong one plugin server whose config changes (a new instance per config,
 * as Kong does on a config change); on Envoy one proxy (shared data is per process) with one plugin per policy.
 */
async function samePlaneProcess(planeName: PlaneName, backends: Backends, otherAuth: Backends, planes: Plane[]):
  Promise<(policy: Record<string, unknown>, token: string) => Promise<PlaneResponse>> {
  if (planeName === "kong") {
    let kong: Plane | null = null;
    return async (policy, token) => {
      if (!kong) {
        kong = await startPlane("kong", backends, policy);
        planes.push(kong);
      } else {
        kong.kong!.setConfig(policy);
      }
      return kong.request({ path: "/", headers: bearer(token) });
    };
  }
  const byPolicy = new Map<string, Plane>();
  return async (policy, token) => {
    const text = JSON.stringify(policy);
    let envoy = byPolicy.get(text);
    if (!envoy) {
      const { EnvoyHost } = await import("../../dev/hosts/envoy/host.js");
      const { MESHGATE_WASM, noManualClock } = await import("../planes/support.js");
      const host = await EnvoyHost.start({
        wasm: MESHGATE_WASM, pluginConfig: text, workers: 1,
        clusters: { "auth-service": backends.authUrl, "other-auth": otherAuth.authUrl, stable: backends.stableUrl },
        routes: [{ cluster: "stable" }],
      });
      envoy = {
        name: "envoy", envoy: host, close: () => host.close(), advanceClock: noManualClock,
        request: async (r = {}) => {
          const res = await host.request({ path: r.path ?? "/", headers: r.headers });
          return { status: res.status, headers: res.headers, body: res.body, variant: res.local ? null : "stable", upstreamHeaders: null };
        },
      };
      byPolicy.set(text, envoy);
      planes.push(envoy);
    }
    return envoy.request({ path: "/", headers: bearer(token) });
  };
}

/** Headers that differ from an owned name only by `_` for `-` (CGI/WSGI-style upstreams read both as one). */
describe.each(PLANES)("underscore spellings of owned headers (%s plane)", (planeName) => {
  let backends: Backends;
  let plane: Plane;
  beforeAll(async () => {
    backends = await startBackends();
    plane = await startPlane(planeName, backends, policyFor(backends, { auth: { anonymousPaths: ["/public/*"] } }));
  });
  afterAll(async () => {
    await plane?.close();
    await backends?.close();
  });

  it("x_auth_subject / X_Auth_Groups / x_auth_degraded from the client never reach the upstream", async () => {
    const spoof = { x_auth_subject: "admin", X_Auth_Groups: "admins", x_auth_degraded: "none", x_other_header: "kept" };
    const allowed = await plane.request({ path: "/", headers: { ...bearer(await backends.token("alice")), ...spoof } });
    expect(allowed.status).toBe(200);
    expect(allowed.upstreamHeaders?.["x-auth-subject"]).toBe("alice");
    for (const name of ["x_auth_subject", "x_auth_groups", "x_auth_degraded"]) expect(allowed.upstreamHeaders?.[name]).toBeUndefined();
    expect(allowed.upstreamHeaders?.["x_other_header"]).toBe("kept"); // only spellings of owned names go
    const anonymous = await plane.request({ path: "/public/a", headers: spoof });
    expect(anonymous.status).toBe(200);
    for (const name of ["x_auth_subject", "x_auth_groups", "x_auth_degraded"]) expect(anonymous.upstreamHeaders?.[name]).toBeUndefined();
  });
});

describe("a header map beyond cpp-host's write-back limits (envoy plane)", () => {
  let backends: Backends;
  let plane: Plane;
  let token: string;
  beforeAll(async () => {
    backends = await startBackends();
    plane = await startPlane("envoy", backends, policyFor(backends), { workers: 1 });
    token = await backends.token("alice");
  });
  afterAll(async () => {
    await plane?.close();
    await backends?.close();
  });

  // The filter writes the request map back with one proxy_set_header_map_pairs; past 1024 pairs or 1 MiB
  // (pseudo-headers and meshgate's own headers included) cpp-host parses that write as an EMPTY list and the
  // request would go on with no headers at all (no :authority, no identity).
  it("1020 client headers with a valid token are refused with 431, as on Kong", async () => {
    const headers: Record<string, string> = { ...bearer(token) };
    for (let i = 0; i < 1020; i++) headers[`x-h${i}`] = "v";
    const r = await plane.request({ path: "/", headers });
    expect(r.status).toBe(431);
    expect(r.variant).toBeNull();
    // The core's answer to too many headers, on both planes.
    expect(r.body).toBe(tooManyHeadersResponse().body);
  });

  // Past 1 MiB the write-back would be read as an empty map too: the filter refuses by size as well as by count.
  it("1 MiB of headers in 990 entries with a valid token: refused, or forwarded with its headers", async () => {
    const headers: Record<string, string> = { ...bearer(token) };
    for (let i = 0; i < 990; i++) headers[`x-h${i}`] = "v".repeat(1060);
    const r = await plane.request({ path: "/", headers });
    if (r.variant === null) expect([431, 494]).toContain(r.status);
    else expect(r.upstreamHeaders?.host).toBe("localhost");
  });
});

describe.each(PLANES)("forwarded header values the auth call cannot carry (%s plane)", (planeName) => {
  let backends: Backends;
  let plane: Plane;
  beforeAll(async () => {
    backends = await startBackends();
    // Kong at log_level info: decision logs are the plugin server's output, which Kong logs at INFO.
    plane = await startPlane(planeName, backends, policyFor(backends, { auth: { forwardHeaders: ["x-tenant"], timeoutMs: 300 } }), { kongLogLevel: "info" });
  });
  afterAll(async () => {
    await plane?.close();
    await backends?.close();
  });

  // Kong: undici used to keep a connection slot per refused value, and after 64 of them no auth call was ever made
  // again (see auth-client.test.ts). Now such a value fails the call at once (auth_invalid_header, the failure mode).
  it("100 requests with control characters in a forwarded header: none allowed, none waits for the auth timeout, then a good request passes", async () => {
    for (let i = 0; i < 100; i++) {
      const r = await plane.request({ path: "/", headers: { ...bearer(`unknown-token-${i}`), "x-tenant": `t${String.fromCharCode(1 + (i % 8))}x` } });
      expect(r.variant).toBeNull();
    }
    // Each is refused at once, never by the 300 ms deadline (auth_timeout) a wedged client would hit: Kong's client
    // refuses the value itself, Envoy's host resets the call (cpp-host refuses such a header map).
    // Decision logs reach the Kong host asynchronously (the plugin server's output): wait for all hundred.
    // One captured entry may hold several lines (Kong logs the plugin server's output by the chunk it read).
    const reasons = () => capturedLogs(plane).flatMap((l) => [...l.matchAll(/"reason":"([a-z_]+)"/g)].map((m) => m[1]!));
    await vi.waitFor(() => expect(reasons()).toHaveLength(100), { timeout: 20_000 });
    expect(reasons()).toEqual(Array(100).fill(planeName === "kong" ? "auth_invalid_header" : "auth_reset"));
    const good = await plane.request({ path: "/", headers: { ...bearer(await backends.token("wendy")), "x-tenant": "acme" } });
    expect(good.status).toBe(200);
    expect(good.upstreamHeaders?.["x-auth-subject"]).toBe("wendy");
  });
});
