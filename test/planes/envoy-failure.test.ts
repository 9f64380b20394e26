// How meshgate.wasm fails: a VM that traps, and an auth service that goes away after a token was verified.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EnvoyHost } from "../../dev/hosts/envoy/host.js";
import { globalSharedData } from "../../dev/hosts/envoy/shared-data.js";
import { MESHGATE_WASM, bearer, header, policyFor, startBackends, startPlane, type Backends, type Plane } from "./support.js";

let backends: Backends;
const started: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  backends = await startBackends();
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
  backends.auth.clearFaults();
  backends.auth.resetStats();
});
afterAll(async () => {
  await backends?.close();
});

/**
 * Makes the next read of a decision-cache slot return a value larger than any wasm allocation (1 GiB):
 * the host then asks the guest's malloc for it, AssemblyScript aborts ("Allocation too large") and the VM
 * traps — memory exhaustion, as a proxy whose shared data holds an oversized value would cause. The
 * buffer is never written, so it costs no real memory. Returns the restore function.
 */
function oversizeNextDecisionRead(): () => void {
  const original = globalSharedData.get;
  let armed = true;
  const huge = new Uint8Array(2 ** 30 + 1);
  globalSharedData.get = (vmId: string, key: string) => {
    if (armed && key.includes(":c:")) {
      armed = false;
      return { value: huge, cas: 1 };
    }
    return original.call(globalSharedData, vmId, key);
  };
  return () => { globalSharedData.get = original; };
}

async function startHost(failOpen: boolean): Promise<EnvoyHost> {
  const host = await EnvoyHost.start({
    wasm: MESHGATE_WASM, pluginConfig: JSON.stringify(policyFor(backends)), failOpen,
    clusters: { "auth-service": backends.authUrl, stable: backends.stableUrl }, routes: [{ cluster: "stable" }],
  });
  started.push(host);
  return host;
}

describe("a trap in meshgate.wasm", () => {
  it("fails the VM: its streams get 503 wasm_fail_stream from then on; the other worker still decides", async () => {
    const host = await startHost(false);
    const token = await backends.token("trudy");
    const restore = oversizeNextDecisionRead();
    let first;
    try {
      first = await host.request({ path: "/", headers: bearer(token), worker: 0 });
    } finally {
      restore();
    }
    expect(first).toMatchObject({ status: 503, details: "wasm_fail_stream", local: true, body: "" });
    const logs = host.logs().map((e) => e.message);
    expect(logs.some((m) => m.startsWith("wasm abort: Allocation too large"))).toBe(true);
    expect(logs.some((m) => m.startsWith("Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable"))).toBe(true);
    expect(host.workerFailed(0)).toBe(true);

    // The failed VM is never called again: even a request meshgate would have answered itself gets 503.
    expect(await host.request({ path: "/", worker: 0 })).toMatchObject({ status: 503, details: "wasm_fail_stream" });
    expect(await host.request({ path: "/", headers: bearer(token), worker: 0 })).toMatchObject({ status: 503, details: "wasm_fail_stream" });
    // Worker 1 has its own VM: it still answers 401 without a token and forwards a good one.
    expect((await host.request({ path: "/", worker: 1 })).status).toBe(401);
    const good = await host.request({ path: "/", headers: bearer(token), worker: 1 });
    expect(good.status).toBe(200);
    expect(host.workerFailed(1)).toBe(false);
  });

  it("with fail_open (Istio failStrategy: FAIL_OPEN) the failed VM is bypassed: requests pass without any check", async () => {
    const host = await startHost(true);
    const token = await backends.token("trent");
    const restore = oversizeNextDecisionRead();
    let first;
    try {
      first = await host.request({ path: "/", headers: bearer(token), worker: 0 });
    } finally {
      restore();
    }
    expect(host.workerFailed(0)).toBe(true);
    expect(first.status).toBe(200);
    const unauthenticated = await host.request({ path: "/", worker: 0, headers: { "x-auth-subject": "admin" } });
    expect(unauthenticated.status).toBe(200);
    expect(JSON.parse(unauthenticated.body).headers["x-auth-subject"]).toBe("admin");
  });
});

describe("stale-if-error over time (the plugin's clock moved by the test)", () => {
  const TTL_MS = 300;
  const STALE_MS = 600;

  async function plane(): Promise<Plane> {
    const p = await startPlane("envoy", backends, policyFor(backends, {
      auth: { cache: { ttlSeconds: TTL_MS / 1000, staleIfErrorSeconds: STALE_MS / 1000 }, timeoutMs: 500 },
    }), { manualClock: true });
    started.push(p);
    return p;
  }

  it("an allow past its TTL is served while the auth service is down, and refused once the grace is over", async () => {
    const p = await plane();
    const token = await backends.token("sybil");
    const fresh = await p.request({ path: "/", headers: bearer(token), worker: 0 });
    expect(fresh.status).toBe(200);
    expect(backends.auth.stats().introspect).toBe(1);

    backends.auth.setFaults({ down: true });
    p.advanceClock(TTL_MS - 1); // still fresh: served from the cache, no call
    expect((await p.request({ path: "/", headers: bearer(token), worker: 0 })).status).toBe(200);
    expect(backends.auth.stats().introspect).toBe(1);

    p.advanceClock(2); // past the TTL, inside the grace
    const stale = await p.request({ path: "/", headers: bearer(token), worker: 0 });
    expect(stale.status).toBe(200);
    expect(stale.upstreamHeaders?.["x-auth-subject"]).toBe("sybil");
    expect(backends.auth.stats().introspect).toBe(2); // the stale answer is served only because the call failed
    expect(p.envoy?.metric("meshgate_cache_stale_total")).toBe(1);

    p.advanceClock(STALE_MS); // past TTL + grace
    const expired = await p.request({ path: "/", headers: bearer(token), worker: 0 });
    expect(expired.status).toBe(503);
    expect(JSON.parse(expired.body)).toEqual({ error: "auth_unavailable", message: "authentication service unavailable" });
    expect(header(expired, "www-authenticate")).toBeUndefined();
  });

  it("the stale entry is used on the worker that holds it in any cache layer: worker 1 reads it from shared data", async () => {
    const p = await plane();
    const token = await backends.token("oscar");
    const fresh = await p.request({ path: "/", headers: bearer(token), worker: 0 });
    expect(fresh.status).toBe(200);
    backends.auth.setFaults({ down: true });
    p.advanceClock(TTL_MS + 1);
    const stale = await p.request({ path: "/", headers: bearer(token), worker: 1 });
    expect(stale.status).toBe(200);
    expect(stale.upstreamHeaders?.["x-auth-subject"]).toBe("oscar");
    expect(backends.auth.stats().introspect).toBe(2);
  });
});
