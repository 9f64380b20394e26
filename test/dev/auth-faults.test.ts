import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAuthService } from "../../dev/auth-service/index.js";
import type { AuthService, ListeningServer } from "../../dev/auth-service/index.js";
import { failureOf, http, jsonOf, postForm, postJson } from "./http-client.js";

let auth: AuthService;
let server: ListeningServer;
let token: string;

beforeAll(async () => {
  auth = await createAuthService();
  server = await auth.listen(0);
  token = (await auth.issueToken({ sub: "alice", groups: ["testers"] })).access_token;
});
afterAll(() => server.close());
beforeEach(() => {
  auth.clearFaults();
  auth.resetStats();
});

const introspect = (value = token) => postForm(`${server.url}/introspect`, { token: value });
const verify = (value = token) => http(`${server.url}/verify`, { headers: { authorization: `Bearer ${value}` } });
const setFaults = (faults: unknown) => postJson(`${server.url}/faults`, faults);

/** Polls a condition that has no event, with a bounded deadline. */
async function waitUntil(condition: () => boolean, deadlineMs = 5_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met before the deadline");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("fault control", () => {
  it("is off by default, shows what POST set, and DELETE clears it", async () => {
    expect(jsonOf(await http(`${server.url}/faults`))).toEqual({});
    const set = await setFaults({ status: 503, errorRate: 0.5, down: false });
    expect(set.status).toBe(200);
    expect(jsonOf(await http(`${server.url}/faults`))).toEqual({ status: 503, errorRate: 0.5 });
    expect(auth.getFaults()).toEqual({ status: 503, errorRate: 0.5 });
    expect(jsonOf(await http(`${server.url}/faults`, { method: "DELETE" }))).toEqual({});
    expect((await introspect()).status).toBe(200);
  });

  it.each([
    [{ delayMs: -1 }, "delayMs"],
    [{ status: 99 }, "status"],
    [{ status: "500" }, "status"],
    [{ errorRate: 1.5 }, "errorRate"],
    [{ down: "yes" }, "down"],
    [{ slow: true }, "slow"],
    [[], "body"],
  ])("rejects %j with 400 naming %s, leaving the faults unchanged", async (faults, field) => {
    const response = await setFaults(faults);
    expect(response.status).toBe(400);
    expect(jsonOf(response).field).toBe(field);
    expect(auth.getFaults()).toEqual({});
  });

  it("setFaults throws a TypeError naming the field", () => {
    expect(() => auth.setFaults({ errorRate: 2 })).toThrow(/faults\.errorRate/);
  });
});

describe("faults on /introspect and /verify", () => {
  it("status: every call gets that status and an error body; /token and /stats are untouched", async () => {
    auth.setFaults({ status: 503 });
    const introspected = await introspect();
    expect(introspected.status).toBe(503);
    expect(jsonOf(introspected).error).toBe("fault_injected");
    expect((await verify()).status).toBe(503);
    expect((await postJson(`${server.url}/token`, { sub: "bob" })).status).toBe(200);
    expect(jsonOf(await http(`${server.url}/stats`))).toMatchObject({ introspect: 1, verify: 1, token: 1 });
  });

  it("errorRate: a deterministic, evenly spread sequence that restarts when faults are set", async () => {
    const statuses = async (count: number): Promise<number[]> => {
      const seen: number[] = [];
      for (let i = 0; i < count; i++) seen.push((await introspect()).status);
      return seen;
    };
    auth.setFaults({ errorRate: 0.5 });
    expect(await statuses(6)).toEqual([200, 500, 200, 500, 200, 500]);
    auth.setFaults({ errorRate: 0.25, status: 502 });
    expect(await statuses(8)).toEqual([200, 200, 200, 502, 200, 200, 200, 502]);
    auth.setFaults({ errorRate: 0.3 });
    const thirty = await statuses(20);
    expect(thirty.filter((s) => s === 500)).toHaveLength(6);
  });

  it("down: resets the connection of /introspect and /verify but still serves /token", async () => {
    auth.setFaults({ down: true });
    expect((await failureOf(introspect())).code).toBe("ECONNRESET");
    expect((await failureOf(verify())).code).toBe("ECONNRESET");
    expect((await postJson(`${server.url}/token`, { sub: "bob" })).status).toBe(200);
    expect(auth.stats()).toMatchObject({ introspect: 1, verify: 1 });
    auth.clearFaults();
    expect(jsonOf(await introspect()).active).toBe(true);
  });

  it("stopListening: connections are refused until startListening on the same port", async () => {
    await auth.stopListening();
    expect((await failureOf(introspect())).code).toBe("ECONNREFUSED");
    await auth.startListening();
    expect(jsonOf(await introspect()).active).toBe(true);
  });

  it("delayMs: delays the answer without blocking a parallel /token call", async () => {
    auth.setFaults({ delayMs: 1_000 });
    const order: string[] = [];
    const slow = introspect().then((response) => {
      order.push("introspect");
      return response;
    });
    await waitUntil(() => auth.stats().introspect === 1); // the delayed call has arrived before /token is sent
    const issued = await postJson(`${server.url}/token`, { sub: "bob" });
    order.push("token");
    expect(issued.status).toBe(200);
    const response = await slow;
    expect(order).toEqual(["token", "introspect"]);
    expect(jsonOf(response).active).toBe(true);
  });

  it("stopListening drops a request waiting in a delay instead of leaving it hanging", async () => {
    auth.setFaults({ delayMs: 60_000 });
    const pending = failureOf(introspect());
    await waitUntil(() => auth.stats().introspect === 1);
    await auth.stopListening();
    expect((await pending).code).toBe("ECONNRESET");
    await auth.startListening();
    auth.clearFaults();
    expect((await introspect()).status).toBe(200);
  });

  it("garbage: /introspect answers 200 with a body that is not JSON", async () => {
    auth.setFaults({ garbage: true });
    const response = await introspect("not-a-token");
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe("application/json");
    expect(() => JSON.parse(response.text)).toThrow();
  });

  it("garbage on /verify keeps the decision: a bad token still gets 401", async () => {
    auth.setFaults({ garbage: true });
    const denied = await verify("bad");
    expect(denied.status).toBe(401);
    expect(denied.body.length).toBeGreaterThan(0);
    const allowed = await verify();
    expect(allowed.status).toBe(200);
    expect(allowed.headers["x-auth-subject"]).toBe("alice");
  });

  it("hugeBody: answers 200 with a 10 MiB JSON body claiming an active token", async () => {
    auth.setFaults({ hugeBody: true });
    const response = await introspect("not-a-token");
    expect(response.status).toBe(200);
    expect(response.body.length).toBe(10 * 1024 * 1024);
    expect(jsonOf(response)).toMatchObject({ active: true, sub: "huge-body" });
  });

  it("closeMidBody: sends the head and part of the body, then drops the connection", async () => {
    auth.setFaults({ closeMidBody: true });
    for (const call of [() => introspect(), () => verify()]) {
      const failure = await failureOf(call());
      expect(failure.response).not.toBeNull();
      const declared = Number(failure.response!.headers["content-length"]);
      expect(failure.response!.receivedBytes).toBeLessThan(declared);
    }
  });

  it("wrongContentType: the real answer under a text/html media type", async () => {
    auth.setFaults({ wrongContentType: true });
    const response = await introspect();
    expect(response.headers["content-type"]).toMatch(/^text\/html/);
    expect(jsonOf(response).active).toBe(true);
  });

  it("stats count faulted calls on arrival", async () => {
    auth.setFaults({ status: 500, errorRate: 1 });
    await introspect();
    await verify();
    expect(auth.stats()).toEqual({ introspect: 1, verify: 1, token: 0, revoke: 0, jwks: 0, rotate: 0, total: 2 });
  });
});
