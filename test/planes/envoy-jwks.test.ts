// jwt mode on the Envoy plane: how the worker VMs of one proxy fetch and share the key set. The behaviour both
// planes share (what verifies, what is refused, stale keys) is in jwt.test.ts; this file is about fetches:
// single flight per worker, the set shared through shared data, the unknown-kid cooldown across workers, ticks.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { bearer, startBackends, startPlane, TEST_AUTH_TIMEOUT_MS, type Backends, type Plane } from "./support.js";

const REFRESH_SECONDS = 300;
const MIN_REFETCH_SECONDS = 30;
const STALE_SECONDS = 600;
/** Long-lived tokens: the tests move the proxy's clock by minutes, the auth service's clock stays real. */
const TOKEN_TTL_SECONDS = 3600;

let backends: Backends;
const started: Plane[] = [];

beforeAll(async () => {
  backends = await startBackends();
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((plane) => plane.close()));
  backends.auth.clearFaults();
  backends.auth.resetStats();
});
afterAll(async () => {
  await backends?.close();
});

function jwtPolicy(): Record<string, unknown> {
  return {
    auth: {
      mode: "jwt",
      jwt: {
        jwks: { cluster: "auth-service", authority: "auth.local", path: "/.well-known/jwks.json", timeoutMs: TEST_AUTH_TIMEOUT_MS },
        issuers: [backends.auth.issuer],
        audiences: [backends.auth.audience],
        refreshSeconds: REFRESH_SECONDS,
        minRefetchSeconds: MIN_REFETCH_SECONDS,
        staleSeconds: STALE_SECONDS,
      },
    },
  };
}

async function startEnvoy(workers = 2): Promise<Plane> {
  const plane = await startPlane("envoy", backends, jwtPolicy(), { workers, manualClock: true });
  started.push(plane);
  return plane;
}

async function token(alg: "ES256" | "RS256" = "ES256", sub = "alice"): Promise<string> {
  return (await backends.auth.issueToken({ sub, alg, ttlSeconds: TOKEN_TTL_SECONDS })).access_token;
}

/** A well-formed token whose header names a kid no key set has (its signature is never reached). */
function randomKidToken(model: string): string {
  const [, payload, signature] = model.split(".") as [string, string, string];
  const header = Buffer.from(JSON.stringify({ alg: "ES256", typ: "JWT", kid: randomUUID() })).toString("base64url");
  return `${header}.${payload}.${signature}`;
}

const jwksFetches = (): number => backends.auth.stats().jwks;

describe("jwt mode on Envoy: key set fetches", () => {
  it("one fetch serves every worker: the second worker takes the set from shared data; no auth-service call", async () => {
    const plane = await startEnvoy();
    const first = await plane.request({ headers: bearer(await token("ES256")), worker: 0 });
    expect(first.status).toBe(200);
    expect(first.upstreamHeaders?.["x-auth-subject"]).toBe("alice");
    expect(jwksFetches()).toBe(1);
    const second = await plane.request({ headers: bearer(await token("RS256", "bob")), worker: 1 });
    expect(second.status).toBe(200);
    expect(second.upstreamHeaders?.["x-auth-subject"]).toBe("bob");
    expect(backends.auth.stats()).toMatchObject({ jwks: 1, introspect: 0, verify: 0 });
  });

  it("concurrent first requests on one worker wait for one fetch, then all pass", async () => {
    const plane = await startEnvoy(1);
    // The key set answers late, so every request arrives while the fetch is in flight.
    backends.auth.setFaults({ targets: ["jwks"], delayMs: 300 });
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => token(i % 2 === 0 ? "ES256" : "RS256", `user-${i}`)));
    const answers = await Promise.all(tokens.map((t) => plane.request({ headers: bearer(t) })));
    expect(answers.map((a) => a.status)).toEqual(tokens.map(() => 200));
    expect(answers.map((a) => a.upstreamHeaders?.["x-auth-subject"])).toEqual(tokens.map((_, i) => `user-${i}`));
    expect(jwksFetches()).toBe(1);
  });

  it("200 tokens with random kids across two workers: at most one fetch per cooldown for the whole proxy", async () => {
    const plane = await startEnvoy();
    const good = await token();
    expect((await plane.request({ headers: bearer(good), worker: 0 })).status).toBe(200);
    expect((await plane.request({ headers: bearer(good), worker: 1 })).status).toBe(200);
    plane.advanceClock((MIN_REFETCH_SECONDS + 1) * 1000);
    backends.auth.resetStats();

    const burst = (n: number) => Promise.all(Array.from({ length: n }, (_, i) => plane.request({ headers: bearer(randomKidToken(good)), worker: i % 2 })));
    const answers = await burst(200);
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 401));
    expect(String(answers[0]!.headers["www-authenticate"])).toContain('error="invalid_token"');
    expect(jwksFetches()).toBe(1);
    // Still inside the cooldown: no fetch at all, and good tokens keep passing on both workers.
    await burst(50);
    expect(jwksFetches()).toBe(1);
    expect((await plane.request({ headers: bearer(await token("RS256")), worker: 1 })).status).toBe(200);
    // The next window allows one more.
    plane.advanceClock((MIN_REFETCH_SECONDS + 1) * 1000);
    await burst(50);
    expect(jwksFetches()).toBe(2);
    expect(backends.auth.stats()).toMatchObject({ introspect: 0, verify: 0 });
  });

  it("after /rotate a new token costs exactly one fetch; the other worker then verifies it from shared data", async () => {
    const plane = await startEnvoy();
    expect((await plane.request({ headers: bearer(await token()), worker: 0 })).status).toBe(200);
    plane.advanceClock((MIN_REFETCH_SECONDS + 1) * 1000);
    await backends.auth.rotateKeys();
    backends.auth.resetStats();

    const rotated = await token();
    expect((await plane.request({ headers: bearer(rotated), worker: 0 })).status).toBe(200);
    expect(jwksFetches()).toBe(1);
    expect((await plane.request({ headers: bearer(rotated), worker: 1 })).status).toBe(200);
    expect((await plane.request({ headers: bearer(await token("RS256")), worker: 1 })).status).toBe(200);
    expect(jwksFetches()).toBe(1);
  });

  it("periodic refresh on the tick: one fetch per refreshSeconds for the whole proxy, none before", async () => {
    const plane = await startEnvoy();
    expect((await plane.request({ headers: bearer(await token()), worker: 0 })).status).toBe(200);
    backends.auth.resetStats();
    plane.advanceClock((REFRESH_SECONDS - 1) * 1000);
    expect(jwksFetches()).toBe(0);
    plane.advanceClock(2000);
    await expect.poll(jwksFetches, { timeout: 10_000 }).toBe(1);
    // The other worker's ticks take the new set from shared data instead of fetching it again.
    plane.advanceClock(5000);
    expect((await plane.request({ headers: bearer(await token()), worker: 1 })).status).toBe(200);
    expect(jwksFetches()).toBe(1);
  });

  it("a refreshed key set that does not validate is not adopted: the last good one keeps verifying", async () => {
    const plane = await startEnvoy();
    const good = await token();
    expect((await plane.request({ headers: bearer(good), worker: 0 })).status).toBe(200);
    backends.auth.setFaults({ targets: ["jwks"], garbage: true });
    plane.advanceClock((REFRESH_SECONDS + 1) * 1000);
    await expect.poll(jwksFetches, { timeout: 10_000 }).toBe(2);
    for (const worker of [0, 1]) expect((await plane.request({ headers: bearer(good), worker })).status).toBe(200);
    const logs = plane.envoy!.logs().map((entry) => entry.message);
    expect(logs.some((message) => message.startsWith("meshgate: key set from cluster 'auth-service' refused: "))).toBe(true);
    for (const message of logs) expect(message).not.toContain(good.split(".")[2]!.slice(0, 16));
  });

  it("key set endpoint down: the last good set verifies new tokens until refreshSeconds + staleSeconds, then the failure mode", async () => {
    const plane = await startEnvoy();
    expect((await plane.request({ headers: bearer(await token()), worker: 0 })).status).toBe(200);
    backends.auth.setFaults({ targets: ["jwks"], status: 503 });
    plane.advanceClock((REFRESH_SECONDS + 1) * 1000);
    await expect.poll(jwksFetches, { timeout: 10_000 }).toBe(2);
    // Fresh tokens (no cached decision): verified with the stale set on both workers.
    for (const worker of [0, 1]) expect((await plane.request({ headers: bearer(await token("RS256", `w${worker}`)), worker })).status).toBe(200);
    plane.advanceClock((STALE_SECONDS - 3) * 1000);
    expect((await plane.request({ headers: bearer(await token()), worker: 1 })).status).toBe(200);
    plane.advanceClock(3000);
    for (const worker of [0, 1]) {
      const answer = await plane.envoy!.request({ path: "/", headers: bearer(await token()), worker });
      expect(answer.status).toBe(503);
      expect(answer.details).toBe("meshgate_jwks_unavailable");
    }
    // The endpoint is back: the next fetch (after the cooldown) restores verification.
    backends.auth.clearFaults();
    plane.advanceClock((MIN_REFETCH_SECONDS + 1) * 1000);
    expect((await plane.request({ headers: bearer(await token()), worker: 0 })).status).toBe(200);
    expect(backends.auth.stats()).toMatchObject({ introspect: 0, verify: 0 });
  });

  it("no key set yet and the key set endpoint failing: the failure mode answers, nothing hangs", async () => {
    const plane = await startEnvoy();
    backends.auth.setFaults({ targets: ["jwks"], status: 503 });
    const answer = await plane.envoy!.request({ path: "/", headers: bearer(await token()), worker: 0 });
    expect(answer.status).toBe(503);
    expect(answer.details).toBe("meshgate_jwks_unavailable");
    expect(jwksFetches()).toBe(1);
    // Within the cooldown the next request does not fetch again.
    expect((await plane.envoy!.request({ path: "/", headers: bearer(await token()), worker: 0 })).status).toBe(503);
    expect(jwksFetches()).toBe(1);
  });
});
