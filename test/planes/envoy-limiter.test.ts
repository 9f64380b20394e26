// meshgate.wasm's rate limiter: GCRA state in proxy-wasm shared data, updated with compare-and-swap, exact
// when two worker VMs race on one key, bounded in keys, and decided by the policy when CAS keeps failing.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { WasmResult } from "../../dev/hosts/envoy/abi.js";
import { EnvoyHost, type HostResponse } from "../../dev/hosts/envoy/host.js";
import { globalSharedData } from "../../dev/hosts/envoy/shared-data.js";
import { MESHGATE_WASM } from "./support.js";

/** meshgate pre-creates this many limiter slots per policy (envoy-wasm/assembly/filter/limiter.ts). */
const LIMITER_SLOTS = 16384;
const hosts: EnvoyHost[] = [];
const restores: Array<() => void> = [];

afterEach(async () => {
  for (const restore of restores.splice(0)) restore();
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

/** A host whose routes end at a cluster without healthy hosts: the router answers 503 locally, no sockets. */
async function startHost(policy: Record<string, unknown>, clusters: Record<string, string> = {}): Promise<EnvoyHost> {
  const host = await EnvoyHost.start({
    wasm: MESHGATE_WASM, pluginConfig: JSON.stringify(policy), clusters: { ...clusters, nowhere: "" }, routes: [{ cluster: "nowhere" }],
  });
  hosts.push(host);
  return host;
}

/** Forwarded by meshgate (the router then finds no host), as opposed to a local reply of meshgate. */
function forwarded(r: HostResponse): boolean {
  return r.status === 503 && r.details === "no_healthy_upstream";
}

const ipLimit = (rate: number, burst: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  auth: { enabled: false },
  rateLimit: { key: "header:x-client", rate, periodSeconds: 3600, burst, ...extra },
});

function isLimiterKey(key: string): boolean {
  return key.startsWith("meshgate:") && key.includes(":rl:");
}

describe("limiter exactness across worker VMs", () => {
  it("a read-modify-write interleaved with another worker's commit is retried: capacity 5 allows exactly 5 of 20", async () => {
    const host = await startHost(ipLimit(1, 4));
    const store = globalSharedData;
    const originalGet = store.get;
    const originalSet = store.set;
    let mismatches = 0;
    let interleaving = false;
    const raced: Array<Promise<HostResponse>> = [];
    // Each time worker 0 reads its slot, worker 1 runs one whole request (read + CAS write) before worker 0
    // gets the value it read: exactly the window two worker threads can hit in Envoy.
    store.get = (vmId: string, key: string) => {
      const value = originalGet.call(store, vmId, key);
      if (!interleaving && isLimiterKey(key) && raced.length < 10) {
        interleaving = true;
        raced.push(host.request({ path: "/", headers: { "x-client": "c1" }, worker: 1 }));
        interleaving = false;
      }
      return value;
    };
    store.set = (vmId: string, key: string, value: Uint8Array, cas: number) => {
      const result = originalSet.call(store, vmId, key, value, cas);
      if (result === WasmResult.CasMismatch) mismatches++;
      return result;
    };
    restores.push(() => { store.get = originalGet; store.set = originalSet; });

    const first: HostResponse[] = [];
    for (let i = 0; i < 10; i++) first.push(await host.request({ path: "/", headers: { "x-client": "c1" }, worker: 0 }));
    const all = [...first, ...await Promise.all(raced)];
    expect(raced).toHaveLength(10);
    expect(mismatches).toBeGreaterThan(0);
    expect(all.filter(forwarded)).toHaveLength(5);
    expect(all.filter((r) => r.status === 429)).toHaveLength(15);
  });

  it("a burst of 40 concurrent requests over 2 workers and 4 clients allows exactly capacity per client", async () => {
    const host = await startHost(ipLimit(1, 2));
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) =>
      host.request({ path: "/", headers: { "x-client": `client-${i % 4}` }, worker: (i >> 2) % 2 })));
    for (let c = 0; c < 4; c++) {
      const mine = results.filter((_, i) => i % 4 === c);
      expect(mine.filter(forwarded)).toHaveLength(3);
    }
  });
});

describe("limiter when the store cannot be updated", () => {
  function failEveryLimiterWrite(): void {
    const store = globalSharedData;
    const originalSet = store.set;
    store.set = (vmId: string, key: string, value: Uint8Array, cas: number) =>
      isLimiterKey(key) && cas !== 0 ? WasmResult.CasMismatch : originalSet.call(store, vmId, key, value, cas);
    restores.push(() => { store.set = originalSet; });
  }

  it("faultTolerant (default): after 16 CAS conflicts the request goes on without RateLimit headers and is counted", async () => {
    const host = await startHost(ipLimit(10, 0));
    failEveryLimiterWrite();
    const r = await host.request({ path: "/", headers: { "x-client": "c2" }, worker: 0 });
    expect(forwarded(r)).toBe(true);
    expect(r.headers.ratelimit).toBeUndefined();
    expect(r.headers["ratelimit-policy"]).toBeUndefined();
    // Counts of requests that made no auth call reach the host with the next tick (metrics.ts batches them).
    await vi.waitFor(() => expect(host.metric("meshgate_limiter_fallback_total")).toBe(1), { timeout: 3000, interval: 50 });
  });

  it("faultTolerant: false: 503 limiter_unavailable, never a silent allow", async () => {
    const host = await startHost(ipLimit(10, 0, { faultTolerant: false }));
    failEveryLimiterWrite();
    const r = await host.request({ path: "/", headers: { "x-client": "c3" }, worker: 0 });
    expect(r.status).toBe(503);
    expect(r.details).toBe("meshgate_limiter_unavailable");
    expect(JSON.parse(r.body)).toEqual({ error: "limiter_unavailable", message: "rate limiter unavailable" });
  });
});

describe("shared-data key space", () => {
  let auth: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    // Introspection that calls every token active with sub = the token: 5000 subjects without 5000 signatures.
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => { body += c.toString(); });
      req.on("end", () => {
        const token = new URLSearchParams(body).get("token") ?? "";
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ active: true, sub: token }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    auth = {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
    };
  });
  afterAll(async () => {
    await auth?.close();
  });

  // The bound is what matters, not the volume: 80 subjects per decision slot (as 5000 over 64 slots did) fill
  // every slot, and no subject may add a key beyond the preallocated limiter slots and the decision slots.
  const decisionSlots = 8;
  const subjects = 80 * decisionSlots;
  it(`${subjects} distinct subjects leave the key count at exactly the limiter slots plus the ${decisionSlots} decision slots`, async () => {
    const host = await startHost({
      auth: { service: { cluster: "auth", authority: "auth.local", path: "/introspect" }, timeoutMs: 10000, cache: { maxEntries: decisionSlots } },
      rateLimit: { key: "subject", rate: 100, periodSeconds: 1 },
    }, { auth: auth.url });
    const atStart = host.sharedDataKeys();
    expect(atStart).toBe(LIMITER_SLOTS);
    for (let batch = 0; batch < subjects; batch += 80) {
      const results = await Promise.all(Array.from({ length: 80 }, (_, i) =>
        host.request({ path: "/", headers: { authorization: `Bearer subject-${batch + i}` }, worker: i % 2 })));
      expect(results.filter((r) => !forwarded(r)).map((r) => `${r.status} ${r.details} ${r.body}`)).toEqual([]);
    }
    // Every decision slot is taken (a slot left empty by 80 subjects each has a chance below 1e-36).
    expect(host.sharedDataKeys()).toBe(LIMITER_SLOTS + decisionSlots);
  });
});
