// Checklist points 2 (VMs, canary, context ids) and 8 (on_log → on_done → on_delete, ticks).

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../../dev/hosts/envoy/clock.js";
import { EnvoyHost } from "../../../dev/hosts/envoy/host.js";
import { compileFixture } from "./compile-fixture.js";
import { linesFrom, startUpstream, waitForWasm, wasmLines, type Upstream } from "./helpers.js";
import { ABI_MARKER, buildModule, i32, MALLOC } from "./wasm-builder.js";

let wasm: Uint8Array;
let upstream: Upstream;
const hosts: EnvoyHost[] = [];

async function startHost(pluginConfig: string, extra: { vmConfig?: string; clock?: ManualClock } = {}): Promise<EnvoyHost> {
  const host = await EnvoyHost.start({
    wasm, pluginConfig, vmConfig: extra.vmConfig, clock: extra.clock, workers: 2,
    clusters: { stable: upstream.url }, routes: [{ cluster: "stable" }],
  });
  hosts.push(host);
  return host;
}

beforeAll(async () => {
  wasm = await compileFixture("test-filter");
  upstream = await startUpstream("stable");
}, 60_000);

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

afterAll(async () => { await upstream.close(); });

describe("VMs: canary and workers", () => {
  it("the canary runs _initialize, context_create(1,0), vm_start(1,n), configure(1,n) and is dropped without on_done/on_delete", async () => {
    const host = await startHost("log|configured", { vmConfig: "vmcfg" });
    await host.request({ path: "/" });
    await host.close();
    expect(wasmLines(host, -1)).toEqual(["create 1 0", "vm_start 1 5", "configure 1 14", "configured"]);
  });

  it("every worker VM runs the same start sequence in its own instance", async () => {
    const host = await startHost("log|configured");
    for (const worker of [0, 1]) {
      expect(wasmLines(host, worker).slice(0, 4)).toEqual(["create 1 0", "vm_start 1 0", "configure 1 14", "configured"]);
    }
  });

  it("context ids come from a per-VM counter: root 1, streams 2, 3, … on each worker", async () => {
    const host = await startHost("");
    await host.request({ path: "/a", worker: 0 });
    await host.request({ path: "/b", worker: 0 });
    await host.request({ path: "/c", worker: 1 });
    expect(wasmLines(host, 0).filter((l) => l.startsWith("create"))).toEqual(["create 1 0", "create 2 1", "create 3 1"]);
    expect(wasmLines(host, 1).filter((l) => l.startsWith("create"))).toEqual(["create 1 0", "create 2 1"]);
  });

  it("creates the stream context lazily, right before proxy_on_request_headers", async () => {
    const host = await startHost("");
    expect(wasmLines(host, 0).some((l) => l.startsWith("create 2"))).toBe(false);
    await host.request({ path: "/", worker: 0 });
    expect(linesFrom(host, 0, "create 2").slice(0, 2)).toEqual(["create 2 1", "request_headers 2 n=6 eos=1"]);
  });

  it("refuses to start when the canary's configure returns false, with the filter's reason in the error", async () => {
    await expect(startHost("fail|rateLimit.burst")).rejects.toThrow(
      /Failed to configure base Wasm plugin[\s\S]*invalid config: field rateLimit\.burst/);
  });

  it("refuses to start when on_configure traps, naming the trap", async () => {
    await expect(startHost("trap")).rejects.toThrow(
      /Failed to configure base Wasm plugin[\s\S]*Function: proxy_on_configure failed: Uncaught RuntimeError: unreachable/);
  });

  it("refuses to start when on_vm_start returns false", async () => {
    await expect(startHost("", { vmConfig: "fail-start" })).rejects.toThrow("Failed to start base Wasm");
  });

  it("traps a host call _initialize may not make (cpp-host restricted callbacks)", async () => {
    const module = buildModule({
      importFuncs: [{ module: "env", name: "proxy_set_tick_period_milliseconds", sig: { params: [i32], results: [i32] } }],
      exports: [ABI_MARKER, MALLOC, { name: "_initialize", sig: { params: [], results: [] }, callImport: 0 }],
    });
    await expect(EnvoyHost.start({ wasm: module, pluginConfig: "", clusters: {} }))
      .rejects.toThrow(/Failed to initialize Wasm code[\s\S]*restricted_callback/);
  });
});

describe("stream end and ticks", () => {
  it("calls on_log → on_done → on_delete after the response; on_log sees read-only request and response headers", async () => {
    const host = await startHost("");
    const res = await host.request({
      path: "/", worker: 0,
      headers: { "x-probe": "yes", "x-on-log": "get|req|x-probe;get|resp|:status;set|req|x-late|1;size|req;remove|resp|x-upstream" },
    });
    expect(res.status).toBe(200);
    expect(linesFrom(host, 0, "create 2")).toEqual([
      "create 2 1",
      "request_headers 2 n=8 eos=1",
      "response_headers 2 status=200",
      expect.stringMatching(/^response_body 2 size=\d+ eos=1$/),
      "log 2",
      "get x-probe=yes",
      "get :status=200",
      "set x-late result=2",
      "size result=2",
      "remove x-upstream result=2",
      "done 2",
      "delete 2",
    ]);
  });

  it("gives each worker VM its own tick timer and none to the dropped canary", async () => {
    const host = await startHost("tick|20");
    await Promise.all([waitForWasm(host, 0, "tick 1"), waitForWasm(host, 1, "tick 1")]);
    expect(wasmLines(host, -1)).not.toContain("tick 1");
  });

  it("ticks follow the host clock: one per period of clock time, none before", async () => {
    const clock = new ManualClock();
    const host = await startHost("tick|20", { clock });
    // The test filter logs "tick <root context id>" on every tick.
    const ticks = (worker: number): number => wasmLines(host, worker).filter((l) => l === "tick 1").length;
    clock.advance(19);
    expect([ticks(0), ticks(1)]).toEqual([0, 0]);
    clock.advance(1);
    expect([ticks(0), ticks(1)]).toEqual([1, 1]);
    clock.advance(40);
    expect([ticks(0), ticks(1), ticks(-1)]).toEqual([3, 3, 0]);
  });
});
