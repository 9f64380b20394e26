import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import { createAuthService } from "../../dev/auth-service/index.js";
import type { AuthService, ListeningServer } from "../../dev/auth-service/index.js";
import { http, jsonOf, postForm, postJson } from "./http-client.js";

const START = Date.parse("2030-01-01T00:00:00Z");
let clock = START;
let auth: AuthService;
let server: ListeningServer;
const logLines: string[] = [];

beforeAll(async () => {
  auth = await createAuthService({ now: () => clock, log: (line) => logLines.push(line) });
  server = await auth.listen(0);
});
afterAll(() => server.close());
beforeEach(() => {
  clock = START;
  auth.resetStats();
});

async function tokenFor(body: Record<string, unknown>): Promise<string> {
  const response = await postJson(`${server.url}/token`, body);
  expect(response.status).toBe(200);
  return String(jsonOf(response).access_token);
}

async function introspect(token: string): Promise<Record<string, unknown>> {
  const response = await postForm(`${server.url}/introspect`, { token });
  expect(response.status).toBe(200);
  return jsonOf(response);
}

describe("POST /token", () => {
  it("returns a Bearer JWT with expires_in that verifies against the published JWKS", async () => {
    const response = await postJson(`${server.url}/token`, { sub: "alice", groups: ["testers"], ttlSeconds: 300, scope: "read write" });
    expect(response.status).toBe(200);
    const body = jsonOf(response);
    expect(body.token_type).toBe("Bearer");
    expect(body.expires_in).toBe(300);

    const jwks = jsonOf(await http(`${server.url}/.well-known/jwks.json`)) as unknown as JSONWebKeySet;
    expect(jwks.keys.map((key) => key.kid)).toContain(auth.kid);
    const { payload, protectedHeader } = await jwtVerify(String(body.access_token), createLocalJWKSet(jwks), {
      currentDate: new Date(clock),
    });
    expect(protectedHeader.kid).toBe(auth.kid);
    expect(payload).toMatchObject({ sub: "alice", groups: ["testers"], scope: "read write", iss: auth.issuer, aud: auth.audience });
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(typeof payload.jti).toBe("string");
  });

  it("uses defaultTtlSeconds when ttlSeconds is absent and gives each token its own jti", async () => {
    const first = await introspect(await tokenFor({ sub: "bob" }));
    const second = await introspect(await tokenFor({ sub: "bob" }));
    expect(Number(first.exp) - Number(first.iat)).toBe(300);
    expect(first.jti).not.toBe(second.jti);
  });

  const badBodies: [string, unknown, string][] = [
    ["missing sub", { groups: [] }, "sub"],
    ["empty sub", { sub: "" }, "sub"],
    ["sub too long", { sub: "x".repeat(257) }, "sub"],
    ["sub with a newline", { sub: "a\r\nx-auth-subject: evil" }, "sub"],
    ["groups not an array", { sub: "a", groups: "testers" }, "groups"],
    ["a group that is not a string", { sub: "a", groups: ["ok", 7] }, "groups[1]"],
    ["a group with a comma", { sub: "a", groups: ["a,b"] }, "groups[0]"],
    ["ttlSeconds zero", { sub: "a", ttlSeconds: 0 }, "ttlSeconds"],
    ["ttlSeconds above a day", { sub: "a", ttlSeconds: 86401 }, "ttlSeconds"],
    ["ttlSeconds fractional", { sub: "a", ttlSeconds: 1.5 }, "ttlSeconds"],
    ["ttlSeconds as a string", { sub: "a", ttlSeconds: "300" }, "ttlSeconds"],
    ["scope with a quote", { sub: "a", scope: 'read "write"' }, "scope"],
    ["an unknown field", { sub: "a", role: "admin" }, "role"],
    ["an array body", ["alice"], "body"],
  ];
  it.each(badBodies)("rejects %s with 400 naming the field", async (_name, body, field) => {
    const response = await postJson(`${server.url}/token`, body);
    expect(response.status).toBe(400);
    expect(jsonOf(response)).toMatchObject({ error: "invalid_request", field });
    expect(String(jsonOf(response).error_description)).toContain(field);
  });

  it("rejects a body that is not JSON and one over 64 KiB", async () => {
    const notJson = await http(`${server.url}/token`, { method: "POST", body: "sub=alice" });
    expect(notJson.status).toBe(400);
    expect(jsonOf(notJson).field).toBe("body");
    const huge = await http(`${server.url}/token`, { method: "POST", body: JSON.stringify({ sub: "a", pad: "x".repeat(70_000) }) });
    expect(huge.status).toBe(413);
  });

  it("issueToken validates the same way without HTTP", async () => {
    await expect(auth.issueToken({ sub: "" })).rejects.toThrow(/^sub: /);
    const issued = await auth.issueToken({ sub: "carol", groups: ["ops"] });
    expect((await introspect(issued.access_token)).sub).toBe("carol");
  });
});

describe("POST /introspect", () => {
  it("answers an active token with its claims and a max-age hint", async () => {
    const token = await tokenFor({ sub: "alice", groups: ["testers", "beta"], ttlSeconds: 300, scope: "read", client_id: "web" });
    const response = await postForm(`${server.url}/introspect`, { token, token_type_hint: "access_token" });
    expect(response.headers["content-type"]).toBe("application/json");
    expect(response.headers["cache-control"]).toBe("max-age=60");
    const iat = Math.floor(START / 1000);
    expect(jsonOf(response)).toEqual({
      active: true,
      sub: "alice",
      groups: ["testers", "beta"],
      scope: "read",
      client_id: "web",
      token_type: "Bearer",
      iat,
      exp: iat + 300,
      iss: "meshgate-dev-auth",
      aud: "meshgate",
      jti: expect.any(String),
    });
  });

  it("caps the max-age hint at the time left and reports an expired token inactive with no-store", async () => {
    const token = await tokenFor({ sub: "alice", ttlSeconds: 30 });
    clock = START + 21_000;
    const nearEnd = await postForm(`${server.url}/introspect`, { token });
    expect(jsonOf(nearEnd).active).toBe(true);
    expect(nearEnd.headers["cache-control"]).toBe("max-age=9");

    clock = START + 30_000;
    const expired = await postForm(`${server.url}/introspect`, { token });
    expect(jsonOf(expired)).toEqual({ active: false });
    expect(expired.headers["cache-control"]).toBe("no-store");
  });

  it("reports a tampered signature, a tampered payload, a foreign key and garbage as inactive", async () => {
    const token = await tokenFor({ sub: "alice" });
    const [header, payload, signature] = token.split(".") as [string, string, string];
    const middle = Math.floor(signature.length / 2);
    const flipped = signature[middle] === "A" ? "B" : "A";
    const badSignature = `${header}.${payload}.${signature.slice(0, middle)}${flipped}${signature.slice(middle + 1)}`;
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims, groups: ["admins"] })).toString("base64url");
    const other = await createAuthService({ now: () => clock });
    const foreign = (await other.issueToken({ sub: "alice" })).access_token;
    const unsigned = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${payload}.`;

    for (const bad of [badSignature, `${header}.${forgedPayload}.${signature}`, foreign, unsigned, "not-a-jwt", "x".repeat(10_000)]) {
      expect(await introspect(bad)).toEqual({ active: false });
    }
    expect((await introspect(token)).active).toBe(true);
  });

  it("rejects a missing token with invalid_request and a wrong content type with 400", async () => {
    const missing = await postForm(`${server.url}/introspect`, { token_type_hint: "access_token" });
    expect(missing.status).toBe(400);
    expect(jsonOf(missing).error).toBe("invalid_request");
    const asJson = await postJson(`${server.url}/introspect`, { token: "x" });
    expect(asJson.status).toBe(400);
    expect(jsonOf(asJson)).toMatchObject({ error: "invalid_request", field: "content-type" });
    const get = await http(`${server.url}/introspect`);
    expect(get.status).toBe(405);
  });
});

describe("GET /verify (forward mode)", () => {
  it("allows a valid token with identity headers, a capped max-age and an empty body", async () => {
    const token = await tokenFor({ sub: "alice", groups: ["testers", "beta"], scope: "read write", ttlSeconds: 45 });
    clock = START + 5_000;
    const response = await http(`${server.url}/verify`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(response.headers["x-auth-subject"]).toBe("alice");
    expect(response.headers["x-auth-groups"]).toBe("testers,beta");
    expect(response.headers["x-auth-scope"]).toBe("read write");
    expect(response.headers["cache-control"]).toBe("max-age=40");
    expect(response.body.length).toBe(0);
  });

  it("accepts any method on /verify/* with the original path appended", async () => {
    const token = await tokenFor({ sub: "dave" });
    const response = await http(`${server.url}/verify/orders/42?x=1`, {
      method: "POST",
      headers: { authorization: `bearer ${token}`, "content-type": "text/plain" },
      body: "payload the auth service ignores",
    });
    expect(response.status).toBe(200);
    expect(response.headers["x-auth-subject"]).toBe("dave");
  });

  it("answers 401 with RFC 6750 challenges: invalid_token for a bad token, none without credentials", async () => {
    const token = await tokenFor({ sub: "alice" });
    for (const authorization of [`Bearer ${token}x`, `Basic ${token}`, "Bearer", `Bearer ${token} extra`]) {
      const response = await http(`${server.url}/verify`, { headers: { authorization } });
      expect(response.status).toBe(401);
      expect(response.headers["www-authenticate"]).toMatch(/^Bearer realm="[^"]+", error="invalid_token"$/);
      expect(response.headers["x-auth-subject"]).toBeUndefined();
    }
    const anonymous = await http(`${server.url}/verify/anything`, { method: "DELETE" });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers["www-authenticate"]).toMatch(/^Bearer realm="[^"]+"$/);
  });

  it("answers 401 for an expired token", async () => {
    const token = await tokenFor({ sub: "alice", ttlSeconds: 10 });
    clock = START + 10_000;
    expect((await http(`${server.url}/verify`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });
});

describe("POST /revoke", () => {
  it("makes the revoked token inactive everywhere and leaves others active", async () => {
    const revoked = await tokenFor({ sub: "mallory" });
    const kept = await tokenFor({ sub: "mallory" });
    const response = await postForm(`${server.url}/revoke`, { token: revoked, token_type_hint: "access_token" });
    expect(response.status).toBe(200);
    expect(await introspect(revoked)).toEqual({ active: false });
    expect((await http(`${server.url}/verify`, { headers: { authorization: `Bearer ${revoked}` } })).status).toBe(401);
    expect((await introspect(kept)).active).toBe(true);
  });

  it("answers 200 for a token it does not know and 400 without one", async () => {
    expect((await postForm(`${server.url}/revoke`, { token: "garbage" })).status).toBe(200);
    expect(await auth.revokeToken("garbage")).toBe(false);
    expect((await postForm(`${server.url}/revoke`, {})).status).toBe(400);
  });
});

describe("GET /stats", () => {
  it("counts calls per endpoint and resets", async () => {
    const token = await tokenFor({ sub: "alice" });
    await introspect(token);
    await introspect(token);
    await http(`${server.url}/verify/x`, { headers: { authorization: `Bearer ${token}` } });
    await postForm(`${server.url}/revoke`, { token });
    await http(`${server.url}/.well-known/jwks.json`);
    await http(`${server.url}/.well-known/jwks.json`);
    await http(`${server.url}/rotate`, { method: "POST" });
    expect(jsonOf(await http(`${server.url}/stats`))).toEqual({ introspect: 2, verify: 1, token: 1, revoke: 1, jwks: 2, rotate: 1, total: 5 });
    expect(auth.stats().total).toBe(5);

    const reset = await http(`${server.url}/stats/reset`, { method: "POST" });
    expect(jsonOf(reset)).toEqual({ introspect: 0, verify: 0, token: 0, revoke: 0, jwks: 0, rotate: 0, total: 0 });
    expect(auth.stats().total).toBe(0);
  });
});

describe("logging", () => {
  afterEach(() => {
    logLines.length = 0;
  });

  it("logs one line per request and never a token, even one in the query", async () => {
    const token = await tokenFor({ sub: "alice" });
    logLines.length = 0;
    await introspect(token);
    await http(`${server.url}/verify/path?access_token=${token}`, { headers: { authorization: `Bearer ${token}` } });
    await http(`${server.url}/stats`);
    expect(logLines).toHaveLength(3);
    expect(logLines[1]).toMatch(/^auth GET \/verify\/path 200 /);
    const signature = token.split(".")[2]!;
    for (const line of logLines) expect(line).not.toContain(signature.slice(0, 16));
  });
});

describe("options", () => {
  it("rejects a defaultTtlSeconds outside 1..86400", async () => {
    await expect(createAuthService({ defaultTtlSeconds: 0 })).rejects.toThrow(/defaultTtlSeconds/);
  });

  it("answers 404 for unknown paths", async () => {
    expect((await http(`${server.url}/nope`)).status).toBe(404);
  });
});
