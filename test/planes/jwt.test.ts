// `auth.mode: jwt` through the dev hosts (shared/DECISIONS.md §11.5, §11.6): tokens verify on the plane against the
// reference auth service's published keys, with no auth-service call; every refusal is 401 invalid_token; a
// rotated key is picked up with exactly one JWKS fetch; an outage of the key set is ridden out for staleSeconds;
// a flood of made-up kids costs at most one fetch per cooldown. Clocks are the plugins' manual clocks; the auth
// service's clock stays real, so tokens live an hour.
import { createHmac, createPublicKey, generateKeyPairSync, randomUUID, sign, type JsonWebKey as NodeJsonWebKey, type KeyObject } from "node:crypto";
import { createServer, type Server } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../support/redis.js";
import { PLANES, TEST_AUTH_TIMEOUT_MS, bearer, header, startBackends, startPlane, type Backends, type Plane } from "./support.js";


const REFRESH_SECONDS = 300;
const MIN_REFETCH_SECONDS = 30;
const STALE_SECONDS = 600;
const TOKEN_TTL_SECONDS = 3600;
const SKEW_SECONDS = 60;

type Doc = Record<string, unknown>;
const b64 = (data: string | Buffer): string => Buffer.from(data).toString("base64url");

/** `cluster`: the Envoy host's cluster that serves `jwksUrl` (startPlane maps "auth-service" to the auth service). */
function jwtPolicy(jwksUrl: string, jwt: Doc, cluster = "auth-service"): Doc {
  const { origin, pathname } = new URL(jwksUrl);
  return {
    auth: {
      mode: "jwt",
      jwt: {
        // Both planes' addresses: Envoy reaches the key set through a cluster of its host.
        jwks: { url: jwksUrl, cluster, authority: new URL(origin).host, path: pathname, timeoutMs: TEST_AUTH_TIMEOUT_MS },
        refreshSeconds: REFRESH_SECONDS,
        minRefetchSeconds: MIN_REFETCH_SECONDS,
        staleSeconds: STALE_SECONDS,
        clockSkewSeconds: SKEW_SECONDS,
        ...jwt,
      },
    },
  };
}

function expectInvalidToken(r: { status: number; headers: Record<string, string | string[]> }): void {
  expect(r.status).toBe(401);
  expect(header(r as never, "www-authenticate")).toMatch(/^Bearer realm="meshgate", error="invalid_token"$/);
}

/** `reason` → count of the auth denials in `meshgate_decisions_total`, as both planes render it. */
function decisionCounts(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match = /^meshgate_decisions_total\{route="default",section="auth",outcome="deny",reason="([a-z_]+)"\} (\d+)$/.exec(line);
    if (match) out.set(match[1]!, Number(match[2]));
  }
  return out;
}

/** A well-formed token whose header names a kid no key set has. */
function withKid(model: string, kid: string): string {
  const [, payload, signature] = model.split(".") as [string, string, string];
  return `${b64(JSON.stringify({ alg: "ES256", typ: "JWT", kid }))}.${payload}.${signature}`;
}

describe.each(PLANES)("jwt mode on the %s plane", (planeName) => {
  let backends: Backends;
  let plane: Plane | null = null;

  beforeAll(async () => {
    backends = await startBackends();
  });
  afterEach(async () => {
    await plane?.close();
    plane = null;
    backends.auth.clearFaults();
    backends.auth.resetStats();
  });
  afterAll(async () => {
    await backends?.close();
  });

  const jwksUrl = (): string => `${backends.authUrl}/.well-known/jwks.json`;
  const fetches = (): number => backends.auth.stats().jwks;
  let metered: { metrics(): Promise<string> } | null = null;
  async function start(jwt: Doc = {}): Promise<Plane> {
    const policy = jwtPolicy(jwksUrl(), { issuers: [backends.auth.issuer], audiences: [backends.auth.audience], ...jwt });
    if (planeName === "kong") {
      const port = await freePort();
      plane = await startPlane(planeName, backends, policy, { manualClock: true, serverEnv: { MESHGATE_METRICS_PORT: String(port) } });
      metered = { metrics: async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text() };
    } else {
      const started = await startPlane(planeName, backends, policy, { manualClock: true });
      plane = started;
      // The filter writes its counts to the host in batches, at the latest on its next tick.
      metered = { metrics: async () => { started.advanceClock(1_000); return started.envoy!.prometheusText(); } };
    }
    return plane;
  }
  async function token(alg: "ES256" | "RS256" = "ES256", sub = "alice", ttlSeconds = TOKEN_TTL_SECONDS): Promise<string> {
    return (await backends.auth.issueToken({ sub, alg, groups: ["dev"], ttlSeconds })).access_token;
  }

  it("good ES256 and RS256 tokens pass with identity from their claims and no auth-service call", async () => {
    const p = await start();
    const es = await p.request({ headers: bearer(await token("ES256", "alice")) });
    expect(es.status).toBe(200);
    expect(es.upstreamHeaders?.["x-auth-subject"]).toBe("alice");
    expect(es.upstreamHeaders?.["x-auth-groups"]).toBe("dev");
    const rs = await p.request({ headers: bearer(await token("RS256", "bob")) });
    expect(rs.status).toBe(200);
    expect(rs.upstreamHeaders?.["x-auth-subject"]).toBe("bob");
    expect(backends.auth.stats()).toMatchObject({ introspect: 0, verify: 0, jwks: 1 });
  });

  it("refuses tampered, unsigned, HMAC-confused, unknown-kid and expired tokens with 401 invalid_token", async () => {
    const p = await start();
    const good = await token("ES256", "alice", 120);
    expect((await p.request({ headers: bearer(good) })).status).toBe(200);
    const [h, payload, signature] = good.split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as Doc;

    const tamperedPayload = `${h}.${b64(JSON.stringify({ ...claims, sub: "mallory" }))}.${signature}`;
    const sig = Buffer.from(signature, "base64url");
    sig[10]! ^= 0x01;
    const tamperedSignature = `${h}.${payload}.${b64(sig)}`;
    const algNone = `${b64(JSON.stringify({ alg: "none", typ: "JWT" }))}.${payload}.`;
    const algNoneSigned = `${b64(JSON.stringify({ alg: "none", kid: backends.auth.kid }))}.${payload}.${signature}`;
    // The classic confusion: HS256 with the published public key (its PEM, from the JWKS) as the HMAC secret.
    const published = (await (await fetch(jwksUrl())).json()) as { keys: Array<NodeJsonWebKey & { kid: string }> };
    const jwk = published.keys.find((k) => k.kid === backends.auth.kid)!;
    const pem = createPublicKey({ key: jwk, format: "jwk" }).export({ type: "spki", format: "pem" });
    const hsInput = `${b64(JSON.stringify({ alg: "HS256", typ: "JWT", kid: backends.auth.kid }))}.${payload}`;
    const hs256 = `${hsInput}.${b64(createHmac("sha256", pem).update(hsInput).digest())}`;
    const unknownKid = withKid(good, "no-such-kid");
    const refusals: Record<string, [string, string]> = {
      tamperedPayload: [tamperedPayload, "bad_signature"],
      tamperedSignature: [tamperedSignature, "bad_signature"],
      algNone: [algNone, "malformed"], // an empty signature part is not compact JWS syntax
      algNoneSigned: [algNoneSigned, "alg_not_allowed"],
      hs256: [hs256, "alg_not_allowed"],
      unknownKid: [unknownKid, "unknown_kid"],
    };
    for (const [what, [bad]] of Object.entries(refusals)) {
      const r = await p.request({ headers: bearer(bad) });
      expect(r.status, what).toBe(401);
      expectInvalidToken(r);
      expect(r.variant, what).toBeNull();
    }
    // Expired: past exp + skew on the plane's clock (a new request: the good one's decision is cached until exp).
    // The plane's clock started when the plane did, before the token was issued: the margin covers that gap.
    const shortLived = await token("ES256", "carol", 120);
    p.advanceClock((120 + SKEW_SECONDS + 600) * 1000);
    expectInvalidToken(await p.request({ headers: bearer(shortLived) }));
    expect(backends.auth.stats()).toMatchObject({ introspect: 0, verify: 0 });
    // Each refusal is counted under its check's reason.
    const counts = decisionCounts(await metered!.metrics());
    for (const reason of ["bad_signature", "malformed", "alg_not_allowed", "unknown_kid", "expired"]) {
      const expected = Object.values(refusals).filter(([, r]) => r === reason).length + (reason === "expired" ? 1 : 0);
      expect(counts.get(reason), reason).toBe(expected);
    }
  });

  it("after /rotate a token signed with the new key is accepted after exactly one more JWKS fetch", async () => {
    const p = await start();
    expect((await p.request({ headers: bearer(await token()) })).status).toBe(200);
    expect(fetches()).toBe(1);
    const rotated = await fetch(`${backends.authUrl}/rotate`, { method: "POST" });
    expect(rotated.status).toBe(200);
    const fresh = await token("ES256", "dave");
    // Inside the cooldown the unknown kid cannot refetch: refused, no fetch.
    expectInvalidToken(await p.request({ headers: bearer(fresh) }));
    expect(fetches()).toBe(1);
    p.advanceClock(MIN_REFETCH_SECONDS * 1000);
    const after = await p.request({ headers: bearer(await token("ES256", "erin")) });
    expect(after.status).toBe(200);
    expect(after.upstreamHeaders?.["x-auth-subject"]).toBe("erin");
    expect(fetches()).toBe(2);
    // The retired key is still published during its grace period: its tokens keep verifying, with no fetch.
    expect((await p.request({ headers: bearer(await token("RS256", "frank")) })).status).toBe(200);
    expect(fetches()).toBe(2);
  });

  it("with the key set endpoint down, the last good set verifies until refreshSeconds + staleSeconds, then the failure mode", async () => {
    const p = await start();
    expect((await p.request({ headers: bearer(await token()) })).status).toBe(200);
    backends.auth.setFaults({ targets: ["jwks"], status: 503 });
    // Past the refresh period: requests start a refresh that fails, and keep verifying with the last good set.
    p.advanceClock((REFRESH_SECONDS + 1) * 1000);
    const during = await p.request({ headers: bearer(await token("RS256", "grace")) });
    expect(during.status).toBe(200);
    p.advanceClock((STALE_SECONDS - 2) * 1000);
    expect((await p.request({ headers: bearer(await token("ES256", "heidi")) })).status).toBe(200);
    expect(fetches()).toBeGreaterThanOrEqual(2);
    // Refresh + stale after the good fetch: no usable key set, the failure mode (closed: 503).
    p.advanceClock(2_000);
    const after = await p.request({ headers: bearer(await token("ES256", "ivan")) });
    expect(after.status).toBe(503);
    expect(JSON.parse(after.body)).toMatchObject({ error: "auth_unavailable" });
    // The endpoint is back: the next fetch (due at once: the cooldown has passed) restores verification.
    backends.auth.clearFaults();
    p.advanceClock(MIN_REFETCH_SECONDS * 1000);
    expect((await p.request({ headers: bearer(await token("ES256", "judy")) })).status).toBe(200);
  });

  it("200 tokens with random kids in a burst cost at most one JWKS fetch per cooldown window", async () => {
    const p = await start();
    const model = await token();
    expect((await p.request({ headers: bearer(model) })).status).toBe(200);
    expect(fetches()).toBe(1);
    p.advanceClock(MIN_REFETCH_SECONDS * 1000);
    const burst = await Promise.all(Array.from({ length: 200 }, () => p.request({ headers: bearer(withKid(model, randomUUID())) })));
    for (const r of burst) expect(r.status).toBe(401);
    expect(fetches()).toBe(2);
    // Still inside the new window: another flood costs nothing.
    const more = await Promise.all(Array.from({ length: 50 }, () => p.request({ headers: bearer(withKid(model, randomUUID())) })));
    for (const r of more) expect(r.status).toBe(401);
    expect(fetches()).toBe(2);
    expect(backends.auth.stats()).toMatchObject({ introspect: 0, verify: 0 });
  });

  describe("claims checked against the policy, with a test issuer that signs what the test asks", () => {
    let issuer: TestIssuer;
    beforeAll(async () => {
      issuer = await startTestIssuer();
    });
    afterAll(async () => {
      await issuer?.close();
    });

    it("refuses a wrong iss, a wrong aud and an nbf in the future; accepts the same claims when right", async () => {
      const policy = jwtPolicy(issuer.jwksUrl, { issuers: ["https://issuer.test"], audiences: ["meshgate"] }, "test-issuer");
      plane = await startPlane(planeName, backends, policy, { manualClock: true, clusters: { "test-issuer": new URL(issuer.jwksUrl).origin } });
      const now = Math.floor(Date.now() / 1000);
      const claims = { sub: "kim", iss: "https://issuer.test", aud: "meshgate", iat: now, exp: now + TOKEN_TTL_SECONDS };
      const ok = await plane.request({ headers: bearer(issuer.sign(claims)) });
      expect(ok.status).toBe(200);
      expect(ok.upstreamHeaders?.["x-auth-subject"]).toBe("kim");
      expectInvalidToken(await plane.request({ headers: bearer(issuer.sign({ ...claims, iss: "https://evil.test" })) }));
      expectInvalidToken(await plane.request({ headers: bearer(issuer.sign({ ...claims, aud: ["other", "api"] })) }));
      expectInvalidToken(await plane.request({ headers: bearer(issuer.sign({ ...claims, nbf: now + 3 * SKEW_SECONDS })) }));
      expect(issuer.fetches()).toBe(1);
    });
  });
});

interface TestIssuer {
  jwksUrl: string;
  sign(claims: Doc): string;
  fetches(): number;
  close(): Promise<void>;
}

/** An issuer on 127.0.0.1 with one ES256 key: it publishes the key set and signs any claims the test gives. */
async function startTestIssuer(): Promise<TestIssuer> {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = { ...publicKey.export({ format: "jwk" }), kid: "test-1", alg: "ES256", use: "sig" };
  let count = 0;
  const server: Server = createServer((req, res) => {
    count++;
    req.resume();
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    jwksUrl: `http://127.0.0.1:${port}/jwks.json`,
    sign: (claims) => signEs256(privateKey, claims),
    fetches: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function signEs256(key: KeyObject, claims: Doc): string {
  const input = `${b64(JSON.stringify({ alg: "ES256", typ: "JWT", kid: "test-1" }))}.${b64(JSON.stringify(claims))}`;
  return `${input}.${b64(sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" }))}`;
}
