// meshgate.wasm's decision cache: single-flight auth calls per worker VM, one cache for all workers through
// proxy-wasm shared data, and cache keys equal to the core's (the wasm SHA-256 against the portable one).
import { createHash } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { globalSharedData } from "../../dev/hosts/envoy/shared-data.js";
import { authFingerprint, decisionCacheKey } from "../../shared/src/cache-key";
import { Header } from "../../shared/src/headers";
import { parsePolicy } from "../../shared/src/policy-parse";
import { bearer, header, policyFor, startBackends, startPlane, type Backends, type Plane } from "./support.js";

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

async function plane(policy: Record<string, unknown>): Promise<Plane> {
  const p = await startPlane("envoy", backends, policy);
  planes.push(p);
  return p;
}

describe("single flight on one worker VM", () => {
  it("50 concurrent misses for one token on one worker make exactly one auth call, and every request is answered from it", async () => {
    // A deadline no busy machine reaches: this is about one call for many waiters, not about the default 200 ms.
    const p = await plane(policyFor(backends, { auth: { timeoutMs: 10_000 } }));
    const token = await backends.token("uma", ["staff"]);
    backends.auth.setFaults({ delayMs: 100 }); // the call is surely still out when the last request arrives
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => p.request({ path: `/u/${i}`, headers: bearer(token), worker: 0 })));
    expect(results.map((r) => r.status)).toEqual(Array.from({ length: 50 }, () => 200));
    expect(results.every((r) => r.upstreamHeaders?.["x-auth-subject"] === "uma" && r.upstreamHeaders["x-auth-groups"] === "staff")).toBe(true);
    expect(backends.auth.stats().introspect).toBe(1);
    // The root counts the call once, not once per waiting stream; each decision counts once.
    expect(p.envoy?.metric("meshgate_auth_calls_2xx_total")).toBe(1);
    expect(p.envoy?.metric("meshgate_auth_call_duration_ms")).toBe(1);
    expect(p.envoy?.metric("meshgate_decisions_allow_total")).toBe(50);
    expect(p.envoy?.metric("meshgate_cache_miss_total")).toBe(50);
  });

  it("a failed call answers every waiter by the fail mode, and the next request asks again", async () => {
    const p = await plane(policyFor(backends));
    const token = await backends.token("victor");
    backends.auth.setFaults({ status: 500, delayMs: 50 });
    const results = await Promise.all(Array.from({ length: 10 }, () => p.request({ path: "/", headers: bearer(token), worker: 0 })));
    expect(results.map((r) => r.status)).toEqual(Array.from({ length: 10 }, () => 503));
    expect(backends.auth.stats().introspect).toBe(1);
    backends.auth.clearFaults();
    expect((await p.request({ path: "/", headers: bearer(token), worker: 0 })).status).toBe(200);
    expect(backends.auth.stats().introspect).toBe(2);
  });

  it("different tokens do not wait on each other", async () => {
    const p = await plane(policyFor(backends));
    const tokens = await Promise.all(["w1", "w2", "w3"].map((sub) => backends.token(sub)));
    const results = await Promise.all(tokens.map((t) => p.request({ path: "/", headers: bearer(t), worker: 0 })));
    expect(results.map((r) => r.upstreamHeaders?.["x-auth-subject"])).toEqual(["w1", "w2", "w3"]);
    expect(backends.auth.stats().introspect).toBe(3);
  });
});

describe("one cache for all worker VMs (proxy-wasm shared data)", () => {
  it("a token verified on worker 0 is a hit on worker 1: no new auth call, the same identity", async () => {
    const p = await plane(policyFor(backends));
    const token = await backends.token("wendy", ["testers"]);
    expect((await p.request({ path: "/", headers: bearer(token), worker: 0 })).status).toBe(200);
    expect(backends.auth.stats().introspect).toBe(1);
    const other = await p.request({ path: "/", headers: bearer(token), worker: 1 });
    expect(other.status).toBe(200);
    expect(other.upstreamHeaders?.["x-auth-subject"]).toBe("wendy");
    expect(other.upstreamHeaders?.["x-auth-groups"]).toBe("testers");
    expect(backends.auth.stats().introspect).toBe(1);
  });

  it("a denial cached on worker 0 is served on worker 1 without a call", async () => {
    const p = await plane(policyFor(backends));
    expect((await p.request({ path: "/", headers: bearer("not-a-token"), worker: 0 })).status).toBe(401);
    const other = await p.request({ path: "/", headers: bearer("not-a-token"), worker: 1 });
    expect(other.status).toBe(401);
    expect(backends.auth.stats().introspect).toBe(1);
  });

  it("two policies on one proxy never read each other's decisions (keys carry a tag of the policy)", async () => {
    const first = await plane(policyFor(backends));
    const second = await plane(policyFor(backends, { auth: { realm: "other" } }));
    const token = await backends.token("xena");
    expect((await first.request({ path: "/", headers: bearer(token), worker: 0 })).status).toBe(200);
    expect((await second.request({ path: "/", headers: bearer(token), worker: 0 })).status).toBe(200);
    expect(backends.auth.stats().introspect).toBe(2);
  });
});

describe("cache keys", () => {
  /** The shared-data record of a decision: `meshgate:<policy tag>:c:<slot>` holds `<cache key>\n<entry>`. */
  function sharedRecord(policyText: string, cacheKey: string, slots: number): string | null {
    const tag = createHash("sha256").update(policyText).digest("hex").slice(0, 12);
    const slot = Number.parseInt(cacheKey.slice(0, 8), 16) % slots;
    const stored = globalSharedData.get("", `meshgate:${tag}:c:${slot}`);
    return stored ? Buffer.from(stored.value).toString("utf8") : null;
  }

  function coreKey(policyText: string, token: string, headers: Array<[string, string]> = []): string {
    const parsed = parsePolicy(policyText);
    const policy = parsed.policy;
    if (policy === null) throw new Error(parsed.errors.join("; "));
    const list = headers.map(([n, v]) => new Header(n, v));
    return decisionCacheKey(authFingerprint(policy.auth), policy.auth, token, list, "GET", "/");
  }

  it("equal the core's SHA-256 key for tokens on every padding boundary, and the token never reaches shared data", async () => {
    const policyText = JSON.stringify(policyFor(backends, { auth: { cache: { maxEntries: 100000 } } }));
    const p = await plane(JSON.parse(policyText) as Record<string, unknown>);
    // The material is fingerprint + "\n" + token: token lengths that put the material's length on both sides
    // of the padding edges (55/56 bytes into the last block, and whole blocks), short and 1 KB+ long.
    const fingerprint = authFingerprint(parsePolicy(policyText).policy!.auth);
    const firstBlock = Math.ceil((fingerprint.length + 2) / 64);
    const lengths: number[] = [1, 1000, 4096];
    for (const blocks of [firstBlock, firstBlock + 16]) {
      for (const offset of [54, 55, 56, 57, 63, 64, 65]) lengths.push(64 * blocks + offset - fingerprint.length - 1);
    }
    for (const length of lengths) {
      const token = "t".repeat(length - 1) + "A";
      const r = await p.request({ path: "/", headers: bearer(token), worker: 0 });
      expect(r.status).toBe(401); // the reference service does not know it: a cached denial
      const key = coreKey(policyText, token);
      expect(key).toBe(createHash("sha256").update(`${fingerprint}\n${token}`).digest("hex"));
      const record = sharedRecord(policyText, key, 100000);
      expect(record?.startsWith(`${key}\n{"v":1,"verdict":1,`)).toBe(true);
      expect(record).not.toContain(token);
    }
  });

  it("non-ASCII material (a forwarded header value) is keyed like the core keys it", async () => {
    const policyText = JSON.stringify(policyFor(backends, { auth: { forwardHeaders: ["x-tenant"] } }));
    const p = await plane(JSON.parse(policyText) as Record<string, unknown>);
    const tenant = "café ünïcode ✓";
    // The host passes header bytes as latin1 characters; the filter hands the core the same byte string (never a
    // UTF-8 decoding: DECISIONS.md §1.1), so the core keys the bytes as received.
    const onTheWire = Buffer.from(tenant, "utf8").toString("latin1");
    const r = await p.request({ path: "/", headers: { ...bearer("tenant-token"), "x-tenant": onTheWire }, worker: 0 });
    expect(r.status).toBe(401);
    const key = coreKey(policyText, "tenant-token", [["x-tenant", onTheWire]]);
    expect(sharedRecord(policyText, key, 10000)?.startsWith(`${key}\n`)).toBe(true);
  });
});

describe("a worker VM that reuses what a repeated request sent (request-headers.ts, key-digest.ts, char-scan.ts)", () => {
  it("a token that differs from the previous one at its end only is judged on its own bytes", async () => {
    const p = await plane(policyFor(backends));
    const token = await backends.token("yara", ["staff"]);
    // The next-to-last character: the last one of a base64url signature may carry only padding bits, which a
    // decoder ignores (the token would still verify).
    const flipped = token.at(-2) === "A" ? "B" : "A";
    const unknown = token.slice(0, -2) + flipped + token.slice(-1); // same length, valid characters, not issued
    const malformed = token.slice(0, -1) + "!"; // same length, not a b64token
    const sequence = [token, unknown, token, malformed, token, token];
    const results: Array<Awaited<ReturnType<Plane["request"]>>> = [];
    for (const t of sequence) results.push(await p.request({ path: "/", headers: bearer(t), worker: 0 }));
    expect(results.map((r) => r.status)).toEqual([200, 401, 200, 401, 200, 200]);
    expect([0, 2, 4, 5].map((i) => results[i]?.upstreamHeaders?.["x-auth-subject"])).toEqual(["yara", "yara", "yara", "yara"]);
    expect(header(results[1]!, "www-authenticate")).toContain('error="invalid_token"');
    expect(header(results[3]!, "www-authenticate")).toContain('error="invalid_token"');
    // The unknown token was asked about (a denial); the malformed one never left the proxy; the repeats were cache hits.
    expect(backends.auth.stats().introspect).toBe(2);
  });
});
