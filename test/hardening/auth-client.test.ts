// The Kong plane's auth-service client against hostile header values and a stuck connection pool. undici 7.30
// rejects a request with a header value it cannot send but keeps that request's connection slot: after as many
// such requests as the pool has connections, every later call waits forever and ignores its abort signal. A
// client could then stop all token verification on a node with 64 requests carrying a control character in a
// forwarded header. These tests drive the client directly against a loopback server.
import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callAuthService, closeAuthPools, wireHeaders } from "../../kong-plugins/src/auth-client";
import { AuthRequest } from "../../shared/src/auth";
import { Header } from "../../shared/src/headers";

let server: Server;
let origin: string;
const received: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    received.push(req);
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end('{"active":true,"sub":"s"}'));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});
afterAll(async () => {
  await closeAuthPools();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function request(headers: Array<[string, string]>, method = "POST"): AuthRequest {
  const r = new AuthRequest();
  r.method = method;
  r.url = `${origin}/introspect`;
  r.headers = headers.map(([n, v]) => new Header(n, v));
  r.body = "token=t";
  r.timeoutMs = 300;
  return r;
}

describe("the Kong auth client", () => {
  it("never hands undici a value it cannot send: 200 such calls fail at once, and the pool still serves the next", async () => {
    for (let i = 0; i < 200; i++) {
      const answer = await callAuthService(request([["x-tenant", `a${String.fromCharCode(i % 32 === 9 ? 7 : i % 32)}b`]]));
      expect(answer).toMatchObject({ kind: "failure", failure: "invalid_header" });
    }
    // A pool wedged by those calls would end this one with its 300 ms deadline ("timeout"), not an answer.
    const after = await callAuthService(request([["x-tenant", "ok"]]));
    expect(after).toMatchObject({ kind: "response", status: 200 });
  });

  it("sends a value byte for byte as the client sent it: the core's auth-request values are byte strings", async () => {
    received.length = 0;
    // "café €" as it arrives from Kong: its UTF-8 bytes, one character per byte; and a byte that is not UTF-8.
    const bytes = Buffer.from("café €", "utf8").toString("latin1") + "\u00ff";
    const answer = await callAuthService(request([["x-tenant", bytes]]));
    expect(answer).toMatchObject({ kind: "response", status: 200 });
    const raw = received[0]!.rawHeaders;
    const value = raw[raw.findIndex((h) => h.toLowerCase() === "x-tenant") + 1]!;
    expect(Buffer.from(value, "latin1")).toEqual(Buffer.concat([Buffer.from("café €", "utf8"), Buffer.from([0xff])]));
  });

  it("refuses a value that is not a byte string (a character above U+00FF) instead of handing it to undici", () => {
    expect(wireHeaders([new Header("x-a", "€")])).toBeNull();
  });

  it("keeps its deadline even when the pool stops dispatching, and replaces that pool", async () => {
    // An invalid method is the one input the client still passes to undici unchecked (the core only ever
    // builds GET and POST), so it is how this test wedges the pool the way a bad header value used to.
    for (let i = 0; i < 64; i++) await callAuthService(request([], "BAD METHOD"));
    // Without its own deadline the call would wait on the wedged pool past the test's timeout.
    const wedged = await callAuthService(request([]));
    expect(wedged).toMatchObject({ kind: "failure", failure: "timeout" });
    const next = await callAuthService(request([]));
    expect(next).toMatchObject({ kind: "response", status: 200 });
  });

  it("wireHeaders refuses names that are not tokens and values with control characters, allows tab", () => {
    expect(wireHeaders([new Header("x-a", "v\tw")])).toEqual({ "x-a": "v\tw" });
    expect(wireHeaders([new Header("bad name", "v")])).toBeNull();
    expect(wireHeaders([new Header("x-a", "v\r\nx-injected: 1")])).toBeNull();
    expect(wireHeaders([new Header("x-a", "\u007f")])).toBeNull();
  });
});
