// b64token syntax (RFC 6750 §2.1) decided identically by both planes — the Envoy plane checks it with its own
// wasm character scan, the Kong plane with the portable one. A malformed token never reaches the auth service.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLANES, header, policyFor, startBackends, startPlane, type Backends, type Plane } from "./support.js";

const WELL_FORMED = ["abc", "abc==", "a.b-c_d~e+f/g", "Z9", "x".repeat(4096), "AAAA" + "=".repeat(20)];
const MALFORMED = ["ab=c", "=abc", "abcé", "ab c", "ab\tc", "tok,en", "a\"b", "x".repeat(4097), "ab=c=", "😀"];

describe.each(PLANES)("token syntax on the %s plane", (planeName) => {
  let backends: Backends;
  let plane: Plane;
  beforeAll(async () => {
    backends = await startBackends();
    plane = await startPlane(planeName, backends, policyFor(backends));
  });
  afterAll(async () => {
    await plane?.close();
    await backends?.close();
  });

  it.each(WELL_FORMED.map((t) => [t.length > 40 ? `${t.slice(0, 8)}…(${t.length})` : t, t]))("%s is asked of the auth service", async (_name, token) => {
    backends.auth.resetStats();
    const r = await plane.request({ path: "/", headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(401); // the auth service does not know it
    expect(header(r, "www-authenticate")).toContain('error="invalid_token"');
    expect(backends.auth.stats().introspect).toBe(1);
  });

  it.each(MALFORMED.map((t) => [t.length > 40 ? `${t.slice(0, 8)}…(${t.length})` : JSON.stringify(t), t]))("%s is refused without an auth call", async (_name, token) => {
    backends.auth.resetStats();
    const r = await plane.request({ path: "/", headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(401);
    expect(header(r, "www-authenticate")).toBe('Bearer realm="meshgate", error="invalid_token"');
    expect(backends.auth.stats().introspect).toBe(0);
  });
});
