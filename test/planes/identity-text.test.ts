// Text the auth service sends, through both planes' hosts: identity header values (forward mode) and the
// introspection body arrive as bytes, and the core reads them by one rule (shared/DECISIONS.md §3.3) — UTF-8 is
// that text and goes upstream as the same bytes; anything not well-formed UTF-8, or a control character, refuses
// the answer (fail closed). The auth service here answers raw bytes, so nothing between it and the plane decodes.
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLANES, bearer, policyFor, startBackends, startPlane, type Backends, type Plane } from "./support.js";

/** The auth service's answer per token: header lines and body, as bytes (latin1 strings hold one byte per char). */
const ANSWERS: Record<string, { headers: string[]; body: string }> = {
  "fwd-utf8": { headers: ["x-auth-subject: jos\xc3\xa9", "x-auth-groups: \xc3\xa9quipe, ops", "x-user-name: Jos\xc3\xa9 \xf0\x9f\x98\x80"], body: "" },
  "fwd-latin1": { headers: ["x-auth-subject: jos\xe9"], body: "" },
  "fwd-overlong": { headers: ["x-auth-subject: bob", "x-auth-groups: dev,\xc1\xb3"], body: "" },
  "fwd-c1": { headers: ["x-auth-subject: bob\xc2\x85"], body: "" },
  "intro-utf8": { headers: ["content-type: application/json"], body: '{"active":true,"sub":"jos\xc3\xa9","name":"Jos\xc3\xa9 \xf0\x9f\x98\x80"}' },
  "intro-latin1": { headers: ["content-type: application/json"], body: '{"active":true,"sub":"jos\xe9"}' },
  "intro-surrogate": { headers: ["content-type: application/json"], body: '{"active":true,"sub":"a\\ud800"}' },
};

/** A raw HTTP/1.1 auth service: finds the token in the request bytes and answers the table's bytes, then closes. */
function startRawAuthService(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((socket) => {
    let received = "";
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
      const head = received.indexOf("\r\n\r\n");
      if (head < 0) return;
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(received.slice(0, head))?.[1] ?? 0);
      if (received.length < head + 4 + length) return;
      const token = Object.keys(ANSWERS).find((t) => received.includes(t));
      const answer = token ? ANSWERS[token]! : { headers: [], body: '{"active":false}' };
      const status = token || received.includes("/introspect") ? "200 OK" : "401 Unauthorized";
      const lines = [`HTTP/1.1 ${status}`, ...answer.headers, `content-length: ${Buffer.byteLength(answer.body, "latin1")}`, "connection: close"];
      socket.end(Buffer.from(`${lines.join("\r\n")}\r\n\r\n${answer.body}`, "latin1"));
    });
    socket.on("error", () => socket.destroy());
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as { port: number };
    resolve({ url: `http://127.0.0.1:${port}`, close: () => new Promise((done) => server.close(() => done())) });
  }));
}

/** A header as the echo upstream shows it: its bytes as latin1 text. */
const bytesOf = (text: string): string => Buffer.from(text, "utf8").toString("latin1");

describe.each(PLANES)("text from the auth service on the %s plane", (planeName) => {
  let backends: Backends;
  let rawAuth: { url: string; close(): Promise<void> };
  let forward: Plane;
  let introspection: Plane;

  beforeAll(async () => {
    backends = await startBackends();
    rawAuth = await startRawAuthService();
    const viaRaw: Backends = { ...backends, authUrl: rawAuth.url };
    forward = await startPlane(planeName, viaRaw, policyFor(viaRaw, {
      auth: {
        mode: "forward",
        service: { url: `${rawAuth.url}/check`, cluster: "auth-service", authority: "auth.local", path: "/check" },
        headerMappings: [{ from: "x-user-name", to: "x-name" }],
      },
    }));
    introspection = await startPlane(planeName, viaRaw, policyFor(viaRaw, { auth: { headerMappings: [{ from: "name", to: "x-name" }] } }));
  });
  afterAll(async () => {
    await Promise.all([forward?.close(), introspection?.close()]);
    await rawAuth?.close();
    await backends?.close();
  });

  it("forward mode: identity headers in UTF-8 reach the upstream as the same bytes", async () => {
    const r = await forward.request({ path: "/", headers: bearer("fwd-utf8") });
    expect(r.status).toBe(200);
    expect(r.upstreamHeaders?.["x-auth-subject"]).toBe(bytesOf("josé"));
    expect(r.upstreamHeaders?.["x-auth-groups"]).toBe(bytesOf("équipe,ops"));
    expect(r.upstreamHeaders?.["x-name"]).toBe(bytesOf("José 😀"));
  });

  it.each([
    ["fwd-latin1", "a latin1 byte (E9)"],
    ["fwd-overlong", "an overlong C1 B3 in the groups"],
    ["fwd-c1", "a C1 control character (C2 85)"],
  ])("forward mode: %s (%s) refuses the answer — fail closed, nothing proxied", async (token) => {
    const r = await forward.request({ path: "/", headers: bearer(token) });
    expect(r.status).toBe(503);
    expect(r.variant).toBeNull();
  });

  it("introspection: string claims in a UTF-8 body reach the upstream as the same bytes", async () => {
    const r = await introspection.request({ path: "/", headers: bearer("intro-utf8") });
    expect(r.status).toBe(200);
    expect(r.upstreamHeaders?.["x-auth-subject"]).toBe(bytesOf("josé"));
    expect(r.upstreamHeaders?.["x-name"]).toBe(bytesOf("José 😀"));
  });

  it.each([
    ["intro-latin1", "a body that is not UTF-8"],
    ["intro-surrogate", "a sub with an escaped lone surrogate"],
  ])("introspection: %s (%s) refuses the answer — fail closed, nothing proxied", async (token) => {
    const r = await introspection.request({ path: "/", headers: bearer(token) });
    expect(r.status).toBe(503);
    expect(r.variant).toBeNull();
  });
});
