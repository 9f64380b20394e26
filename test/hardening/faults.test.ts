// Auth-service faults through both planes' dev hosts: every fault the reference auth service can inject, and
// refused connections. For each: the documented outcome (fail closed 503 unless the answer itself is valid,
// a stale allow served within its grace), a slow service is cut off by the plane's timeout (it would answer only
// after ten minutes, and with an allow: a 503 within the test's deadline proves nobody waited for it), nothing
// reaches the upstream without a valid decision, and the next request after the fault is cleared succeeds.
// The Kong circuit breaker is off here (it has its own tests), so each failing call is seen on its own.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_DELAY_MS } from "../../dev/auth-service/faults.js";
import type { AuthFaults } from "../../dev/auth-service/index.js";
import { PLANES, bearer, header, policyFor, startBackends, type Backends, type Plane } from "../planes/support.js";
import { BREAKER_OFF, startPlaneWith } from "./support.js";

const TIMEOUT_MS = 300;

interface FaultCase {
  name: string;
  apply(backends: Backends): Promise<void> | void;
  /** What a fresh token gets while the fault lasts. */
  fresh: "fail_closed" | "allowed";
}

const injected = (faults: AuthFaults): FaultCase["apply"] => (backends) => backends.auth.setFaults(faults);

const CASES: FaultCase[] = [
  { name: "down (connection reset at the request head)", apply: injected({ down: true }), fresh: "fail_closed" },
  { name: "refusing connections (not listening)", apply: (b) => b.auth.stopListening(), fresh: "fail_closed" },
  { name: "slow beyond the timeout (answers after ten minutes)", apply: injected({ delayMs: MAX_DELAY_MS }), fresh: "fail_closed" },
  { name: "500", apply: injected({ status: 500 }), fresh: "fail_closed" },
  { name: "503", apply: injected({ status: 503 }), fresh: "fail_closed" },
  { name: "429", apply: injected({ status: 429 }), fresh: "fail_closed" },
  { name: "200 with a body that is not JSON", apply: injected({ garbage: true }), fresh: "fail_closed" },
  { name: "200 with a 10 MiB body", apply: injected({ hugeBody: true }), fresh: "fail_closed" },
  { name: "closing the connection mid-body", apply: injected({ closeMidBody: true }), fresh: "fail_closed" },
  // DECISIONS.md §3.3 reads the body, not the media type: a valid RFC 7662 answer under text/html still decides.
  { name: "a valid answer under the wrong content type", apply: injected({ wrongContentType: true }), fresh: "allowed" },
];

async function clearFaults(backends: Backends): Promise<void> {
  backends.auth.clearFaults();
  await backends.auth.startListening().catch(() => undefined); // already listening unless a case stopped it
}

describe.each(PLANES)("auth-service faults on the %s plane", (planeName) => {
  let backends: Backends;
  let plane: Plane;
  let cachedToken: string;
  let subjects = 0;

  beforeAll(async () => {
    backends = await startBackends();
    // A fresh TTL of 1 ms: every later request for a verified token asks again, and on a failure the
    // stale allow (grace 60 s) is what the policy serves.
    plane = await startPlaneWith(planeName, backends, policyFor(backends, {
      auth: { timeoutMs: TIMEOUT_MS, cache: { ttlSeconds: 0.001, staleIfErrorSeconds: 60 } },
    }), { serverEnv: BREAKER_OFF, workers: 1 });
    cachedToken = await backends.token("stale-sam");
    expect((await plane.request({ headers: bearer(cachedToken) })).status).toBe(200);
  });

  afterAll(async () => {
    await clearFaults(backends);
    await plane?.close();
    await backends?.close();
  });

  it.each(CASES)("$name", async (fault) => {
    const freshToken = await backends.token(`fresh-${planeName}-${subjects++}`);
    const recoveryToken = await backends.token(`after-${planeName}-${subjects++}`);
    await fault.apply(backends);
    try {
      const fresh = await plane.request({ path: "/orders", headers: bearer(freshToken) });
      if (fault.fresh === "fail_closed") {
        expect(fresh.status).toBe(503);
        expect(fresh.variant).toBeNull(); // never reached the upstream
        expect(JSON.parse(fresh.body)).toEqual({ error: "auth_unavailable", message: "authentication service unavailable" });
        expect(header(fresh, "www-authenticate")).toBeUndefined();
      } else {
        expect(fresh.status).toBe(200);
        expect(fresh.upstreamHeaders?.["x-auth-subject"]).toMatch(/^fresh-/);
      }

      const stale = await plane.request({ path: "/orders", headers: bearer(cachedToken) });
      expect(stale.status).toBe(200);
      expect(stale.upstreamHeaders?.["x-auth-subject"]).toBe("stale-sam");
    } finally {
      await clearFaults(backends);
    }
    const recovered = await plane.request({ path: "/orders", headers: bearer(recoveryToken) });
    expect(recovered.status).toBe(200);
    expect(recovered.upstreamHeaders?.["x-auth-subject"]).toMatch(/^after-/);
  });
});
