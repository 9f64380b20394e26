// The ABI wrappers in envoy-wasm/assembly/abi, driven through a probe module on the minimal host, and the
// pairs codec checked against an independent TypeScript implementation.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildModule, type BuiltModule } from "./support/build-module";
import { MiniHost } from "./support/mini-host";
import { wasm } from "./support/wasm-api";
import { decodePairs, encodePairs, type HeaderPair } from "./support/pairs-codec";

let probe: BuiltModule;

beforeAll(async () => {
  probe = await buildModule("envoy-wasm/probe/bindings-probe.ts", "probe.wasm");
}, 60_000);

afterAll(async () => {
  await probe?.dispose();
});

function startedProbe(options: { pluginConfig?: string; properties?: Record<string, string>; nowMs?: () => number } = {}): MiniHost {
  const host = MiniHost.create(probe.bytes, { rootId: "probe", pluginConfig: "{}", ...options });
  expect(host.start()).toEqual({ vmStart: true, configure: true });
  return host;
}

/** Hands `bytes` to the guest decoder, then reads back every decoded pair and the guest's re-encoding. */
function throughGuest(host: MiniHost, bytes: Uint8Array): { pairs: Array<[string, string]>; reencoded: Uint8Array } {
  const ptr = host.malloc(Math.max(bytes.length, 1));
  host.writeBytes(ptr, bytes);
  const count = host.invoke("probe_decode", ptr, bytes.length)!;
  const pairs: Array<[string, string]> = [];
  for (let index = 0; index < count; index++) {
    pairs.push([host.managedString(host.invoke("probe_key", index)!), host.managedString(host.invoke("probe_value", index)!)]);
  }
  return { pairs, reencoded: host.managedBytes(host.invoke("probe_encode")!) };
}

describe("header pairs codec", () => {
  const cases: Array<[string, HeaderPair[]]> = [
    ["one pair", [[":path", "/"]]],
    ["unicode keys and values", [["x-größe", "naïve ☕ 𝄞 日本語"], ["emoji-🙂", "🙃"]]],
    ["zero-length values and keys", [["x-empty", ""], ["", "no key"], ["", ""]]],
    ["duplicate keys keep their order", [["set-cookie", "a=1"], ["set-cookie", "b=2"], ["Set-Cookie", "c=3"]]],
  ];

  it.each(cases)("%s: guest decodes the TS encoding and re-encodes it byte for byte", (_, pairs) => {
    const host = startedProbe();
    const bytes = encodePairs(pairs);
    const { pairs: decoded, reencoded } = throughGuest(host, bytes);
    expect(decoded).toEqual(pairs);
    expect(reencoded).toEqual(bytes);
    expect(decodePairs(reencoded)).toEqual(pairs);
  });

  it("empty map: 0 bytes or a zero count decode to nothing, and encode as a zero count", () => {
    const host = startedProbe();
    expect(throughGuest(host, new Uint8Array(0)).pairs).toEqual([]);
    const { pairs, reencoded } = throughGuest(host, encodePairs([]));
    expect(pairs).toEqual([]);
    expect(reencoded).toEqual(new Uint8Array([0, 0, 0, 0]));
  });

  it("malformed input (count or lengths past the end) decodes to no pairs instead of trapping", () => {
    const host = startedProbe();
    const valid = encodePairs([["key", "value"]]);
    const countTooBig = valid.slice();
    new DataView(countTooBig.buffer).setUint32(0, 1000, true);
    const lengthTooBig = valid.slice();
    new DataView(lengthTooBig.buffer).setUint32(8, 0xffff_fff0, true);
    for (const bytes of [countTooBig, lengthTooBig, valid.subarray(0, valid.length - 3), new Uint8Array([1, 0])]) {
      expect(throughGuest(host, bytes).pairs).toEqual([]);
    }
  });

  it("round-trips arbitrary maps (property)", () => {
    const host = startedProbe();
    const text = fc.string({ unit: "binary", maxLength: 40 });
    fc.assert(fc.property(fc.array(fc.tuple(text, text), { maxLength: 12 }), (pairs) => {
      const bytes = encodePairs(pairs);
      const { pairs: decoded, reencoded } = throughGuest(host, bytes);
      expect(decoded).toEqual(pairs);
      expect(reencoded).toEqual(bytes);
    }), { numRuns: 200 });
  });
});

describe("host wrappers", () => {
  it("getHeaderPairs / setHeaderPairs replace the whole map", () => {
    const host = startedProbe();
    const { id } = host.requestHeadersPhase([[":path", "/p"], ["x-probe", "pairs"], ["x-unicode", "ü"]]);
    expect(host.headersOf(id)).toEqual([["x-unicode", "ü"], ["x-probe", "pairs"], [":path", "/p"], ["x-probe-count", "3"]]);
  });

  it("getHeader tells a missing header (null) from an empty value", () => {
    const host = startedProbe();
    const { id } = host.requestHeadersPhase([["x-probe", "missing-header"], ["x-empty", ""]]);
    expect(host.header(id, "x-probe-missing")).toBe("(null)");
    expect(host.header(id, "x-probe-empty")).toBe("");
  });

  it("shared data: NotFound first, set with CAS, stale CAS rejected with CasMismatch", () => {
    const host = startedProbe();
    const long = "v".repeat(5000);
    const { id } = host.requestHeadersPhase([["x-probe", "shared-data"], ["x-probe-key", "k1"], ["x-probe-value", long]]);
    expect(host.header(id, "x-probe-get-status")).toBe("1");
    expect(host.header(id, "x-probe-get-value")).toBe("(null)");
    expect(host.header(id, "x-probe-get-cas")).toBe("0");
    expect(host.header(id, "x-probe-set-status")).toBe("0");
    expect(host.header(id, "x-probe-after-value")).toBe(long);
    expect(host.header(id, "x-probe-stale-status")).toBe("8");

    const again = host.requestHeadersPhase([["x-probe", "shared-data"], ["x-probe-key", "k1"], ["x-probe-value", "second"]]);
    expect(host.header(again.id, "x-probe-get-status")).toBe("0");
    expect(host.header(again.id, "x-probe-get-value")).toBe(long);
    expect(host.header(again.id, "x-probe-set-status")).toBe("0");
    expect(host.header(again.id, "x-probe-stale-status")).toBe("8");
    expect(new TextDecoder().decode(host.sharedData.get("k1")!.value)).toBe("second");
  });

  it("metrics: ids from the host, i64 deltas beyond 32 bits, negative gauge values", () => {
    const host = startedProbe();
    const { id } = host.requestHeadersPhase([["x-probe", "metrics"]]);
    expect(host.header(id, "x-probe-counter-id")).toBe("4");
    expect(host.header(id, "x-probe-gauge-id")).toBe("5");
    expect(host.header(id, "x-probe-increment-status")).toBe("0");
    expect(host.header(id, "x-probe-record-status")).toBe("0");
    expect(host.header(id, "x-probe-counter-value")).toBe("5000000000");
    expect(host.header(id, "x-probe-gauge-value")).toBe("-7");
    expect(host.header(id, "x-probe-unknown-metric")).toBe("-1");
    expect(host.metrics.get(4)).toEqual({ type: 0, name: "probe_requests", value: 5_000_000_000n });
  });

  it("properties: NUL-joined paths, raw values, null when unknown", () => {
    const host = startedProbe({ properties: { "request\0path": "/where?q=1" } });
    const { id } = host.requestHeadersPhase([["x-probe", "property"]]);
    expect(host.header(id, "x-probe-root-id")).toBe("probe");
    expect(host.header(id, "x-probe-path")).toBe("/where?q=1");
    expect(host.header(id, "x-probe-missing")).toBe("(null)");
  });

  it("nowMs keeps microseconds of the host clock; getLogLevel reads the host level", () => {
    const host = startedProbe({ nowMs: () => 1_767_225_600_042 });
    const { id } = host.requestHeadersPhase([["x-probe", "clock"]]);
    const now = Number(host.header(id, "x-probe-now-ms"));
    expect(Math.floor(now)).toBe(1_767_225_600_042);
    expect(Math.round((now % 1) * 1000)).toBe(123);
    expect(host.header(id, "x-probe-log-level")).toBe("2");
  });

  it("sendLocalResponse passes status, details, body, headers (empty values included) and no grpc status", () => {
    const host = startedProbe();
    const { id } = host.requestHeadersPhase([["x-probe", "local-response"]]);
    expect(host.localResponses).toEqual([{
      context: id, status: 418, details: "probe_teapot", body: "short and stout",
      headers: [["x-probe", "1"], ["x-empty", ""]], grpcStatus: -1,
    }]);
  });

  it("getBufferBytes reads the request body in onRequestBody", () => {
    const host = startedProbe();
    const { id } = host.requestHeadersPhase([[":path", "/"]], false);
    host.requestBodyPhase(id, "hello ☕");
    expect(host.logs.map((entry) => entry.message)).toContain("body(9): hello ☕");
  });

  it("root-issued calls (httpCall from onTick) answer on the root context", () => {
    const host = startedProbe();
    expect(host.tickPeriodMs).toBe(1000);
    host.tick();
    host.tick();
    expect(host.httpCalls.map((call) => [call.token, call.cluster, call.timeoutMs])).toEqual([[4, "tick-cluster", 100], [8, "tick-cluster", 100]]);
    host.respond(8, [[":status", "200"]]);
    host.respond(4, null);
    const messages = host.logs.map((entry) => entry.message);
    expect(messages).toContain("root call 8 answered: 200");
    expect(messages).toContain("root call 4 answered: reset");
    expect(host.events.filter((event) => event.startsWith("effective"))).toEqual([]);
  });

  it("onConfigure returning false fails configuration", () => {
    const host = MiniHost.create(probe.bytes, { rootId: "probe", pluginConfig: "reject" });
    expect(host.start()).toEqual({ vmStart: true, configure: false });
    expect(host.logs.map((entry) => entry.message)).toContain("configured: reject");
  });

  it("an AssemblyScript abort logs at critical through proxy_log, then traps", () => {
    const host = startedProbe();
    expect(() => host.requestHeadersPhase([["x-probe", "abort"]])).toThrow(wasm.RuntimeError);
    const critical = host.logs.filter((entry) => entry.level === 5).map((entry) => entry.message);
    expect(critical).toHaveLength(1);
    expect(critical[0]).toMatch(/^wasm abort: probe boom at envoy-wasm\/probe\/bindings-probe\.ts:\d+:\d+$/);
  });
});
