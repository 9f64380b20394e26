// The demo filter (envoy-wasm/probe/demo-filter.ts) on the Envoy dev host: header mutation reaches the upstream,
// and http-call answers find their own stream across workers even when they arrive in reverse order.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvoyHost } from "../../dev/hosts/envoy/host.js";
import { buildModule, type BuiltModule } from "./support/build-module";
import { startEchoUpstream, startHoldingServer, type HoldingServer, type Loopback } from "./support/loopback";

let built: BuiltModule;
let upstream: Loopback;
let auth: HoldingServer;
let host: EnvoyHost;

beforeAll(async () => {
  built = await buildModule("envoy-wasm/probe/demo-filter.ts", "demo-filter.wasm");
  upstream = await startEchoUpstream();
  auth = await startHoldingServer();
  host = await EnvoyHost.start({
    wasm: built.bytes,
    pluginConfig: "{}",
    workers: 2,
    clusters: { upstream: upstream.origin, auth: auth.origin, nohost: "" },
    routes: [{ cluster: "upstream" }],
  });
}, 60_000);

afterAll(async () => {
  await host?.close();
  await auth?.close();
  await upstream?.close();
  await built?.dispose();
});

interface Echo { path: string; headers: Record<string, string> }

describe("demo filter on the Envoy dev host", () => {
  it("adds x-meshgate-demo: 1 on the way to the upstream", async () => {
    const response = await host.request({ path: "/hello", headers: { authorization: "Bearer abc" } });
    expect(response.status).toBe(200);
    const echo = JSON.parse(response.body) as Echo;
    expect(echo.headers["x-meshgate-demo"]).toBe("1");
    expect(echo.headers["x-meshgate-demo-authorization-length"]).toBe("10");
  });

  it("maps every http-call answer back to its own stream on both workers, answers released in reverse order", async () => {
    const statuses = [201, 202, 203, 204, 205, 206];
    const responses = Promise.all(statuses.map((status, index) => host.request({
      path: `/status/${status}`, headers: { "x-meshgate-demo-call": "auth" }, worker: index % 2,
    })));
    const held = await auth.waitForHeld(statuses.length);
    expect(held.map((request) => request.authority)).toEqual(statuses.map(() => "auth"));
    for (const request of [...held].reverse()) request.answer(Number(request.path.slice("/status/".length)));
    const results = await responses;
    results.forEach((response, index) => {
      expect(response.status).toBe(200);
      const echo = JSON.parse(response.body) as Echo;
      expect(echo.path).toBe(`/status/${statuses[index]}`);
      expect(echo.headers["x-meshgate-demo-call-status"]).toBe(String(statuses[index]));
    });
  });

  it("continues with the router's 503 when the cluster has no healthy host", async () => {
    const response = await host.request({ path: "/x", headers: { "x-meshgate-demo-call": "nohost" } });
    expect(response.status).toBe(200);
    expect((JSON.parse(response.body) as Echo).headers["x-meshgate-demo-call-status"]).toBe("503");
  });

  it("answers 500 locally when the host refuses the call (unknown cluster)", async () => {
    const response = await host.request({ path: "/x", headers: { "x-meshgate-demo-call": "no-such-cluster" } });
    expect(response).toMatchObject({ status: 500, local: true, details: "meshgate_demo_call_refused" });
  });

  it("logged nothing at error or critical level", () => {
    const bad = host.logs().filter((entry) => entry.level === "error" || entry.level === "critical");
    expect(bad).toEqual([]);
  });

  it("refuses to start for a root id nobody registered, naming it", async () => {
    const start = EnvoyHost.start({ wasm: built.bytes, pluginConfig: "{}", rootId: "other", clusters: {} });
    await expect(start).rejects.toThrow(/plugin_root_id 'other'/);
  });
});
