// Checklist point 7: proxy_http_call bound to the root context, tokens, validation, Envoy's
// router-generated replies, resets, non-re-entrant delivery, cancellation.

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EnvoyHost, type EnvoyHostOptions } from "../../../dev/hosts/envoy/host.js";
import { compileFixture } from "./compile-fixture.js";
import { closedPortUrl, linesFrom, startUpstream, waitForWasm, wasmLines, type Upstream } from "./helpers.js";

let wasm: Uint8Array;
let stable: Upstream;
let auth: Upstream;
let deadUrl: string;
const hosts: EnvoyHost[] = [];

async function startHost(extra: Partial<EnvoyHostOptions> = {}): Promise<EnvoyHost> {
  const host = await EnvoyHost.start({
    wasm, pluginConfig: "", workers: 2, streamTimeoutMs: 3_000,
    clusters: { stable: stable.url, auth: auth.url, dead: deadUrl, empty: "" },
    routes: [{ cluster: "stable" }],
    ...extra,
  });
  hosts.push(host);
  return host;
}

/** Makes one call from a paused request and resumes it from the callback after running `then`. */
function callAndResume(path: string, timeout: number, then = ""): Record<string, string> {
  return { "x-do": `call|auth|${path}|${timeout};pause`, "x-on-response": `${then};switch;continue|0` };
}

beforeAll(async () => {
  wasm = await compileFixture("test-filter");
  stable = await startUpstream("stable");
  auth = await startUpstream("auth");
  deadUrl = await closedPortUrl();
}, 60_000);

afterEach(async () => { await Promise.all(hosts.splice(0).map((h) => h.close())); });

afterAll(async () => {
  await stable.close();
  await auth.close();
});

describe("proxy_http_call", () => {
  it("binds calls to the ROOT context: the callback gets root id 1, tokens advance by 4 per VM", async () => {
    const host = await startHost();
    await host.request({ path: "/", worker: 0, headers: { "x-do": "call|auth|/a|1000;call|auth|/b|1000" } });
    await host.request({ path: "/", worker: 1, headers: { "x-do": "call|auth|/c|1000" } });
    await waitForWasm(host, 0, "http_response root=1 token=8");
    await waitForWasm(host, 1, "http_response root=1 token=4");
    await host.request({ path: "/", worker: 0, headers: { "x-do": "call|auth|/d|1000" } });
    await waitForWasm(host, 0, "http_response root=1 token=12");
    expect(wasmLines(host, 0).filter((l) => l.startsWith("call "))).toEqual(["call result=0 token=4", "call result=0 token=8", "call result=0 token=12"]);
    expect(wasmLines(host, 1).filter((l) => l.startsWith("call "))).toEqual(["call result=0 token=4"]);
    expect(auth.seen.find((s) => s.url === "/a")?.headers).toMatchObject({ host: "auth", "x-call-from": "2" });
  });

  it("validates like Envoy: timeout < 0, unknown cluster, missing :authority, invalid or oversized pairs → BadArgument", async () => {
    const host = await startHost();
    const before = auth.seen.length;
    await host.request({
      path: "/", worker: 0,
      headers: { "x-do": "call|auth|/|4294967295;call|nope|/|1000;call|auth|/|1000|noauthority;call|auth|/|1000|badpairs;call|auth|/|1000|toomany" },
    });
    expect(wasmLines(host, 0).filter((l) => l.startsWith("call "))).toEqual(Array(5).fill("call result=2 token=0"));
    expect(auth.seen.length).toBe(before);
  });

  it("answers a timed-out call with a router reply :status 504 \"upstream request timeout\"", async () => {
    const host = await startHost();
    await host.request({ path: "/", worker: 0, headers: callAndResume("/slow?ms=3000", 100) });
    expect(wasmLines(host, 0)).toContain("http_response status=504 body=upstream request timeout");
  });

  it("treats timeout 0 as no timeout", async () => {
    const host = await startHost();
    const res = await host.request({ path: "/", worker: 0, headers: callAndResume("/slow?ms=250", 0) });
    expect(res.status).toBe(200);
    expect(wasmLines(host, 0)).toContainEqual(expect.stringMatching(/^http_response status=200 body=\{"upstream":"auth"/));
  });

  it("answers a connect failure with :status 503 and Envoy's reset-reason body", async () => {
    const host = await startHost();
    await host.request({ path: "/", worker: 0, headers: { "x-do": "call|dead|/|1000;pause", "x-on-response": "switch;continue|0" } });
    expect(wasmLines(host, 0)).toContain(
      "http_response status=503 body=upstream connect error or disconnect/reset before headers. reset reason: connection failure");
  });

  it("delivers a reset after the response started as (root, token, 0, 0, 0) with proxy_get_status = 11 \"reset\"", async () => {
    const host = await startHost();
    await host.request({ path: "/", worker: 0, headers: callAndResume("/reset-mid-body", 1000, "status") });
    expect(linesFrom(host, 0, "http_response").slice(0, 2)).toEqual([
      "http_response root=1 token=4 headers=0 body=0 trailers=0", "status result=0 code=11 message=reset",
    ]);
  });

  it("makes the response headers (map 6) and body (buffer 4) readable only during the callback", async () => {
    const host = await startHost();
    await host.request({
      method: "POST", path: "/", body: "x", worker: 0,
      headers: { ...callAndResume("/", 1000, "get|callresp|x-upstream;bufstatus|4"), "x-on-body": "get|callresp|x-upstream;bufstatus|4" },
    });
    const lines = linesFrom(host, 0, "http_response root");
    expect(lines.slice(2, 4)).toEqual(["get x-upstream=auth", expect.stringMatching(/^bufstatus result=0 size=\d+$/)]);
    expect(linesFrom(host, 0, "request_body").slice(1, 3)).toEqual(["get x-upstream result=2", "bufstatus result=1"]);
  });

  it("never re-enters the VM: an inline failure (no healthy upstream) arrives after the issuing callback returned", async () => {
    const host = await startHost();
    const res = await host.request({ path: "/", worker: 0, headers: { "x-do": "call|empty|/|1000;log|after-call;pause", "x-on-response": "switch;continue|0" } });
    expect(res.status).toBe(200);
    expect(linesFrom(host, 0, "call result").slice(0, 6)).toEqual([
      "call result=0 token=4", "after-call",
      "http_response root=1 token=4 headers=3 body=19 trailers=0", "http_response status=503 body=no healthy upstream",
      "switch result=0", "continue result=0",
    ]);
  });

  it("works from on_configure; the canary's pending call is cancelled when it is dropped", async () => {
    const host = await startHost({ pluginConfig: "call|auth|/from-configure|1000" });
    await Promise.all([waitForWasm(host, 0, "http_response root=1 token=4"), waitForWasm(host, 1, "http_response root=1 token=4")]);
    expect(wasmLines(host, -1)).toContain("call result=0 token=4");
    expect(wasmLines(host, -1).some((l) => l.startsWith("http_response"))).toBe(false);
  });

  it("cancels pending calls when the root context is destroyed (host close)", async () => {
    const host = await startHost({ workers: 1 });
    const aborted = auth.nextAbort();
    await host.request({ path: "/", worker: 0, headers: { "x-do": "call|auth|/slow?ms=5000|0" } });
    await auth.received("/slow?ms=5000");
    await host.close();
    expect(await aborted).toBe("/slow?ms=5000");
    expect(wasmLines(host, 0).some((l) => l.startsWith("http_response"))).toBe(false);
  });
});
