// The demo filter (envoy-wasm/probe/demo-filter.ts, root id "meshgate") on the minimal host: root
// registration, and http-call answers routed to the stream that asked with the effective context switched.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildModule, type BuiltModule } from "./support/build-module";
import { MiniHost } from "./support/mini-host";

let built: BuiltModule;

beforeAll(async () => {
  built = await buildModule("envoy-wasm/probe/demo-filter.ts", "demo-filter.wasm");
}, 60_000);

afterAll(async () => {
  await built?.dispose();
});

describe("demo filter on a minimal host", () => {
  it("starts for root id meshgate and adds x-meshgate-demo: 1 on request headers", () => {
    const host = MiniHost.create(built.bytes, { rootId: "meshgate" });
    expect(host.start()).toEqual({ vmStart: true, configure: true });
    const { id, action } = host.requestHeadersPhase([[":path", "/x"], ["authorization", "Bearer token-123"]]);
    expect(action).toBe(0);
    expect(host.header(id, "x-meshgate-demo")).toBe("1");
    expect(host.header(id, "x-meshgate-demo-authorization-length")).toBe(String("Bearer token-123".length));
    host.endStream(id);
  });

  it("refuses to start when plugin_root_id matches no registered root, naming both ids", () => {
    const host = MiniHost.create(built.bytes, { rootId: "other" });
    expect(host.start()).toEqual({ vmStart: false, configure: false });
    const errors = host.logs.filter((entry) => entry.level === 4).map((entry) => entry.message);
    expect(errors.join("\n")).toMatch(/plugin_root_id 'other'.*registered: 'meshgate'/);
  });

  it("routes each http-call answer to the stream that asked, switching the effective context first", () => {
    const host = MiniHost.create(built.bytes, { rootId: "meshgate" });
    host.start();
    const first = host.requestHeadersPhase([[":path", "/a"], ["x-meshgate-demo-call", "auth"]]);
    const second = host.requestHeadersPhase([[":path", "/b"], ["x-meshgate-demo-call", "auth"]]);
    expect([first.action, second.action]).toEqual([1, 1]);
    const [callA, callB] = host.httpCalls;
    expect(callA!.token).toBe(4);
    expect(callB!.token).toBe(8);
    expect(callA!.headers).toEqual([[":method", "GET"], [":path", "/a"], [":authority", "auth"]]);

    host.events.length = 0;
    host.respond(callB!.token, [[":status", "204"]]);
    host.respond(callA!.token, [[":status", "200"]]);
    expect(host.events).toEqual([
      `effective ${second.id}`, `add-header ${second.id} x-meshgate-demo-call-status`, `continue ${second.id} 0`,
      `effective ${first.id}`, `add-header ${first.id} x-meshgate-demo-call-status`, `continue ${first.id} 0`,
    ]);
    expect(host.header(first.id, "x-meshgate-demo-call-status")).toBe("200");
    expect(host.header(second.id, "x-meshgate-demo-call-status")).toBe("204");
  });

  it("answers a failed call (0 headers) with a local 503 on the issuing stream", () => {
    const host = MiniHost.create(built.bytes, { rootId: "meshgate" });
    host.start();
    const stream = host.requestHeadersPhase([[":path", "/a"], ["x-meshgate-demo-call", "auth"]]);
    host.respond(host.httpCalls[0]!.token, null);
    expect(host.localResponses).toEqual([{
      context: stream.id, status: 503, details: "meshgate_demo_call_failed", body: "demo call failed\n",
      headers: [["content-type", "text/plain"]], grpcStatus: -1,
    }]);
  });

  it("drops the answer quietly when the stream ended before it arrived", () => {
    const host = MiniHost.create(built.bytes, { rootId: "meshgate" });
    host.start();
    const stream = host.requestHeadersPhase([[":path", "/a"], ["x-meshgate-demo-call", "auth"]]);
    host.endStream(stream.id);
    host.events.length = 0;
    const logsBefore = host.logs.length;
    host.respond(host.httpCalls[0]!.token, [[":status", "200"]]);
    expect(host.events).toEqual([]);
    expect(host.logs.length).toBe(logsBefore);
  });
});
