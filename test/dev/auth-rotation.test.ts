// Key rotation, RS256 and JWKS faults of the reference auth service: what a JWT-mode relying party sees.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type JSONWebKeySet, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { createAuthService } from "../../dev/auth-service/index.js";
import type { AuthService, ListeningServer } from "../../dev/auth-service/index.js";
import { failureOf, http, jsonOf, postForm, postJson } from "./http-client.js";

const START = Date.parse("2030-01-01T00:00:00Z");
const GRACE_SECONDS = 120;
let clock = START;
let auth: AuthService;
let server: ListeningServer;

// A fresh service per test: rotations change its key set for good.
beforeEach(async () => {
  clock = START;
  auth = await createAuthService({ now: () => clock, keyGraceSeconds: GRACE_SECONDS });
  server = await auth.listen(0);
});
afterEach(() => server.close());

async function tokenFor(body: Record<string, unknown>): Promise<string> {
  const response = await postJson(`${server.url}/token`, body);
  expect(response.status).toBe(200);
  return String(jsonOf(response).access_token);
}

async function jwks(): Promise<JSONWebKeySet> {
  const response = await http(`${server.url}/.well-known/jwks.json`);
  expect(response.status).toBe(200);
  return jsonOf(response) as unknown as JSONWebKeySet;
}

async function isActive(token: string): Promise<boolean> {
  return jsonOf(await postForm(`${server.url}/introspect`, { token })).active === true;
}

async function rotate(): Promise<Record<string, unknown>> {
  const response = await http(`${server.url}/rotate`, { method: "POST" });
  expect(response.status).toBe(200);
  expect(response.headers["cache-control"]).toBe("no-store");
  return jsonOf(response);
}

describe("algorithms", () => {
  it("publishes one ES256 and one RS256 key, each with its alg, use and thumbprint kid", async () => {
    const { keys } = await jwks();
    expect(keys.map((key) => [key.alg, key.kty, key.use])).toEqual([
      ["ES256", "EC", "sig"],
      ["RS256", "RSA", "sig"],
    ]);
    expect(keys[0]).toMatchObject({ crv: "P-256", kid: auth.kid });
    expect(keys[1]?.kid).not.toBe(auth.kid);
    for (const key of keys) expect(key).not.toHaveProperty("d");
  });

  it("signs ES256 by default and RS256 when the token request asks; both verify against the JWKS and introspect", async () => {
    const set = createLocalJWKSet(await jwks());
    for (const [request, alg] of [[{ sub: "alice" }, "ES256"], [{ sub: "alice", alg: "RS256" }, "RS256"], [{ sub: "alice", alg: "ES256" }, "ES256"]] as const) {
      const token = await tokenFor(request);
      expect(decodeProtectedHeader(token)).toMatchObject({ alg, typ: "JWT" });
      const { payload } = await jwtVerify(token, set, { algorithms: [alg], currentDate: new Date(clock) });
      expect(payload.sub).toBe("alice");
      expect(await isActive(token)).toBe(true);
    }
  });

  it("rejects another alg in /token with 400 naming the field", async () => {
    for (const alg of ["HS256", "none", "es256", 7]) {
      const response = await postJson(`${server.url}/token`, { sub: "a", alg });
      expect(response.status).toBe(400);
      expect(jsonOf(response)).toMatchObject({ error: "invalid_request", field: "alg" });
    }
  });

  it("refuses a token whose header names the other key's algorithm (no alg confusion in the service itself)", async () => {
    const rs = await tokenFor({ sub: "alice", alg: "RS256" });
    const es = await tokenFor({ sub: "alice" });
    const [, payload, signature] = rs.split(".") as [string, string, string];
    const esKid = decodeProtectedHeader(es).kid;
    const swapped = Buffer.from(JSON.stringify({ alg: "ES256", kid: esKid, typ: "JWT" })).toString("base64url");
    expect(await isActive(`${swapped}.${payload}.${signature}`)).toBe(false);
  });

  it("the algorithm option (AUTH_ALG) makes RS256 the default; bad options are refused", async () => {
    const rsa = await createAuthService({ algorithm: "RS256" });
    expect(rsa.algorithm).toBe("RS256");
    expect(decodeProtectedHeader((await rsa.issueToken({ sub: "a" })).access_token).alg).toBe("RS256");
    await expect(createAuthService({ algorithm: "HS256" as "RS256" })).rejects.toThrow(/algorithm must be one of ES256, RS256/);
    await expect(createAuthService({ keyGraceSeconds: -1 })).rejects.toThrow(/keyGraceSeconds/);
  });
});

describe("POST /rotate", () => {
  it("makes new keys current, keeps the old ones published and verifying for the grace period, then drops them", async () => {
    const before = await jwks();
    const oldEs = await tokenFor({ sub: "alice" });
    const oldRs = await tokenFor({ sub: "alice", alg: "RS256", ttlSeconds: 3600 });
    const oldKid = auth.kid;

    const rotated = await rotate();
    const newKid = auth.kid;
    expect(newKid).not.toBe(oldKid);
    expect((rotated.current as Record<string, string>).ES256).toBe(newKid);
    expect(rotated.retired).toEqual(
      before.keys.map((key) => ({ kid: key.kid, alg: key.alg, leavesAt: Math.floor(START / 1000) + GRACE_SECONDS })),
    );

    const newToken = await tokenFor({ sub: "alice" });
    expect(decodeProtectedHeader(newToken).kid).toBe(newKid);
    const during = await jwks();
    expect(during.keys).toHaveLength(4);
    expect(during.keys.map((key) => key.kid)).toEqual(expect.arrayContaining([...before.keys.map((key) => key.kid), newKid]));
    expect(await isActive(oldEs)).toBe(true);
    expect(await isActive(oldRs)).toBe(true);

    clock = START + GRACE_SECONDS * 1000 - 1;
    expect((await jwks()).keys).toHaveLength(4);

    clock = START + GRACE_SECONDS * 1000;
    const after = await jwks();
    expect(after.keys.map((key) => key.kid)).not.toContain(oldKid);
    expect(after.keys).toHaveLength(2);
    expect(await isActive(oldRs)).toBe(false);
    expect(await isActive(newToken)).toBe(true);
  });

  it("a second rotation within the grace period keeps every key still in its grace", async () => {
    const first = (await jwks()).keys.map((key) => key.kid);
    await auth.rotateKeys();
    clock = START + 60_000;
    await rotate();
    const kids = (await jwks()).keys.map((key) => key.kid);
    expect(kids).toHaveLength(6);
    expect(kids).toEqual(expect.arrayContaining(first));
    clock = START + GRACE_SECONDS * 1000;
    expect((await jwks()).keys).toHaveLength(4); // the first generation left, the second is still in its grace
  });

  it("keeps at most 16 retired keys however often it rotates, the newest ones", async () => {
    let lastRetired: string[] = [];
    for (let i = 0; i < 10; i += 1) lastRetired = (await auth.rotateKeys()).retired.map((key) => key.kid);
    const kids = (await jwks()).keys.map((key) => key.kid);
    expect(kids).toHaveLength(2 + 16);
    expect(kids).toEqual(expect.arrayContaining(lastRetired));
  });

  it("accepts only POST and is counted in /stats but not in total", async () => {
    expect((await http(`${server.url}/rotate`)).status).toBe(405);
    await rotate();
    expect(auth.stats()).toMatchObject({ rotate: 1, total: 0 });
  });
});

describe("JWKS faults and counting", () => {
  it("counts every JWKS fetch, outside total", async () => {
    await jwks();
    await jwks();
    await jwks();
    expect(jsonOf(await http(`${server.url}/stats`))).toMatchObject({ jwks: 3, total: 0 });
  });

  it("targets: ['jwks'] faults the JWKS endpoint only; introspection keeps working", async () => {
    const token = await tokenFor({ sub: "alice" });
    const set = await postJson(`${server.url}/faults`, { targets: ["jwks"], status: 503 });
    expect(jsonOf(set)).toEqual({ targets: ["jwks"], status: 503 });
    expect((await http(`${server.url}/.well-known/jwks.json`)).status).toBe(503);
    expect(await isActive(token)).toBe(true);

    auth.setFaults({ targets: ["jwks"], down: true });
    expect((await failureOf(http(`${server.url}/.well-known/jwks.json`))).code).toBe("ECONNRESET");
    expect(auth.stats().jwks).toBe(2);

    auth.setFaults({ targets: ["jwks"], garbage: true });
    const garbage = await http(`${server.url}/.well-known/jwks.json`);
    expect(garbage.status).toBe(200);
    expect(() => JSON.parse(garbage.text)).toThrow();

    auth.clearFaults();
    expect((await jwks()).keys).toHaveLength(2);
  });

  it("default targets leave the JWKS alone; errorRate counts only targeted calls", async () => {
    auth.setFaults({ status: 500 });
    expect((await http(`${server.url}/.well-known/jwks.json`)).status).toBe(200);
    auth.setFaults({ targets: ["jwks", "introspect"], errorRate: 0.5 });
    await http(`${server.url}/healthz`);
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await http(`${server.url}/.well-known/jwks.json`)).status);
    expect(statuses).toEqual([200, 500, 200, 500]);
  });

  it("rejects bad targets with 400 naming the field", async () => {
    for (const targets of [[], ["token"], "jwks", ["jwks", "jwks"]]) {
      const response = await postJson(`${server.url}/faults`, { targets, status: 503 });
      expect(response.status).toBe(400);
      expect(jsonOf(response).field).toBe("targets");
    }
    expect(() => auth.setFaults({ targets: ["revoke" as "jwks"] })).toThrow(/faults\.targets/);
  });
});
