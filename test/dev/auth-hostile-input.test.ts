import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { createAuthService } from "../../dev/auth-service/index.js";
import type { AuthService, ListeningServer } from "../../dev/auth-service/index.js";
import { http, jsonOf, postForm } from "./http-client.js";

let auth: AuthService;
let server: ListeningServer;

beforeAll(async () => {
  auth = await createAuthService();
  server = await auth.listen(0);
});
afterAll(() => server.close());

// Seeded and small: this checks that odd input gets a clear answer, it is not a long fuzzing run.
const runs = { numRuns: 60, seed: 7 };

describe("hostile input to the auth service", () => {
  it("POST /token answers any JSON value with 200 or a 400 that names a field", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const response = await http(`${server.url}/token`, { method: "POST", body: JSON.stringify(value) });
        expect([200, 400]).toContain(response.status);
        if (response.status === 400) expect(typeof jsonOf(response).field).toBe("string");
      }),
      runs,
    );
  });

  it("POST /faults answers any JSON value with 200 or a 400 that names a field, and a 400 changes nothing", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        auth.clearFaults();
        const response = await http(`${server.url}/faults`, { method: "POST", body: JSON.stringify(value) });
        expect([200, 400]).toContain(response.status);
        if (response.status === 400) {
          expect(typeof jsonOf(response).field).toBe("string");
          expect(auth.getFaults()).toEqual({});
        }
      }),
      runs,
    );
    auth.clearFaults();
  });

  it("any token string introspects as inactive and any Authorization value verifies as 401", async () => {
    const headerValue = fc.string({ unit: fc.constantFrom(..."Bearer abcXYZ019-._~+/= \t,\"".split("")), maxLength: 200 });
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "grapheme", maxLength: 300 }), headerValue, async (token, authorization) => {
        if (token !== "") expect(jsonOf(await postForm(`${server.url}/introspect`, { token }))).toEqual({ active: false });
        const verified = await http(`${server.url}/verify`, { headers: { authorization } });
        expect(verified.status).toBe(401);
      }),
      runs,
    );
  });
});
