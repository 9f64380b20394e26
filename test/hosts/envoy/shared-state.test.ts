// Checklist points 3 (shared data, queues) and 9 (metrics), through the filter and on the stores.

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EnvoyHost, type EnvoyHostOptions } from "../../../dev/hosts/envoy/host.js";
import { MetricStore, prometheusName } from "../../../dev/hosts/envoy/metrics.js";
import { parsePairs, serializePairs, type Pair } from "../../../dev/hosts/envoy/pairs.js";
import { SharedDataStore } from "../../../dev/hosts/envoy/shared-data.js";
import { compileFixture } from "./compile-fixture.js";
import { startUpstream, waitForWasm, wasmLines, type Upstream } from "./helpers.js";

let wasm: Uint8Array;
let stable: Upstream;
const hosts: EnvoyHost[] = [];

async function startHost(extra: Partial<EnvoyHostOptions> = {}): Promise<EnvoyHost> {
  const host = await EnvoyHost.start({
    wasm, pluginConfig: "", workers: 2, clusters: { stable: stable.url }, routes: [{ cluster: "stable" }], ...extra,
  });
  hosts.push(host);
  return host;
}

async function run(host: EnvoyHost, worker: number, commands: string): Promise<string[]> {
  host.clearLogs();
  await host.request({ path: "/", worker, headers: { "x-do": commands } });
  return wasmLines(host, worker).filter((l) => !/^(create|request_headers|response_headers|response_body|log|done|delete) /.test(l));
}

function cas(line: string | undefined): number { return Number(/cas=(\d+)/.exec(line ?? "")?.[1]); }

beforeAll(async () => {
  wasm = await compileFixture("test-filter");
  stable = await startUpstream("stable");
}, 60_000);

afterEach(async () => { await Promise.all(hosts.splice(0).map((h) => h.close())); });
afterAll(async () => { await stable.close(); });

describe("shared data", () => {
  it("is one store per vm_id shared by every worker VM", async () => {
    const host = await startHost({ vmId: "shared-1" });
    expect(await run(host, 0, "shared-set|k1|v1|0")).toEqual(["shared-set k1 result=0"]);
    const [got] = await run(host, 1, "shared-get|k1");
    expect(got).toMatch(/^shared-get k1 result=0 value=v1 cas=\d+$/);
    expect(host.sharedDataKeys()).toBe(1);
  });

  it("has CAS semantics of cpp-host: mismatch → 8, cas 0 overwrites, absent key accepts any cas", async () => {
    const host = await startHost({ vmId: "shared-2" });
    await run(host, 0, "shared-set|k|a|0");
    const current = cas((await run(host, 1, "shared-get|k"))[0]);
    expect(await run(host, 1, `shared-set|k|b|${current + 1000}`)).toEqual(["shared-set k result=8"]);
    expect(await run(host, 1, `shared-set|k|b|${current}`)).toEqual(["shared-set k result=0"]);
    expect(await run(host, 0, `shared-set|k|c|${current}`)).toEqual(["shared-set k result=8"]);
    expect(await run(host, 0, "shared-set|k|d|0")).toEqual(["shared-set k result=0"]);
    expect(await run(host, 0, "shared-set|absent|x|12345")).toEqual(["shared-set absent result=0"]);
    expect(await run(host, 0, "shared-get|nothing")).toEqual(["shared-get nothing result=1"]);
  });

  it("draws every CAS from one global counter across keys", async () => {
    const host = await startHost({ vmId: "shared-3" });
    const [a, b] = await run(host, 0, "shared-set|x|1|0;shared-get|x;shared-set|y|1|0;shared-get|y").then((l) => [cas(l[1]), cas(l[3])]);
    expect(b).toBe((a ?? 0) + 1);
  });

  it("keeps vm_ids apart and drops a namespace when the last VM holding it is gone", async () => {
    const a = await startHost({ vmId: "ns-a" });
    const b = await startHost({ vmId: "ns-b" });
    await run(a, 0, "shared-set|k|v|0");
    expect(await run(b, 0, "shared-get|k")).toEqual(["shared-get k result=1"]);
    const a2 = await startHost({ vmId: "ns-a" });
    expect((await run(a2, 1, "shared-get|k"))[0]).toMatch(/^shared-get k result=0 value=v/);
    await a.close();
    await a2.close();
    const a3 = await startHost({ vmId: "ns-a" });
    expect(await run(a3, 0, "shared-get|k")).toEqual(["shared-get k result=1"]);
  });

  it("starts the CAS counter at 1 and skips 0 when it wraps", () => {
    const store = new SharedDataStore();
    store.set("", "a", Buffer.from("1"), 0);
    expect(store.get("", "a")?.cas).toBe(1);
    const wrapping = new SharedDataStore(0xffffffff);
    wrapping.set("", "a", Buffer.from("1"), 0);
    wrapping.set("", "b", Buffer.from("1"), 0);
    expect([wrapping.get("", "a")?.cas, wrapping.get("", "b")?.cas]).toEqual([0xffffffff, 1]);
  });
});

describe("shared queues", () => {
  it("delivers on_queue_ready to the last registrant only; dequeue gives Ok then Empty; unknown tokens are NotFound", async () => {
    const host = await startHost({ vmId: "queues-1", pluginConfig: "queue|q1" });
    const token = /token=(\d+)/.exec(wasmLines(host, 1).find((l) => l.startsWith("queue registered")) ?? "")?.[1];
    expect(await run(host, 0, "enqueue|q1|hello")).toEqual(["enqueue resolve=0 result=0"]);
    await waitForWasm(host, 1, "dequeue result=7");
    expect(wasmLines(host, 1)).toEqual([`queue_ready root=1 token=${token}`, "dequeue result=0 value=hello", "dequeue result=7"]);
    expect(wasmLines(host, 0).some((l) => l.startsWith("queue_ready"))).toBe(false);
    expect(await run(host, 0, "dequeue|999999;enqueue|nosuch|x|999999")).toEqual(["dequeue-cmd result=1", "enqueue resolve=1 result=1"]);
  });
});

describe("metrics", () => {
  const defines = "define|0|fixture_requests;define|1|fixture_inflight;define|2|fixture_latency;define|0|fixture.weird-name";

  it("numbers ids per VM from the type value in steps of 4 (counter 4, gauge 5, histogram 6, next counter 8)", async () => {
    const host = await startHost({ pluginConfig: defines });
    for (const worker of [0, 1]) {
      expect(wasmLines(host, worker).filter((l) => l.startsWith("define"))).toEqual([
        "define fixture_requests result=0 id=4", "define fixture_inflight result=0 id=5",
        "define fixture_latency result=0 id=6", "define fixture.weird-name result=0 id=8",
      ]);
    }
  });

  it("applies Envoy's rules to increment, record and get", async () => {
    const host = await startHost({ pluginConfig: defines });
    expect(await run(host, 0,
      "metric-inc|4|1;metric-inc|4|0;metric-inc|4|-1;metric-inc|5|5;metric-inc|5|-3;metric-get|5;metric-inc|6|1;metric-rec|6|42;metric-get|6;metric-get|404;metric-inc|404|1;metric-rec|8|2;metric-get|4",
    )).toEqual([
      "metric-inc 4 result=0", "metric-inc 4 result=2", "metric-inc 4 result=2", "metric-inc 5 result=0", "metric-inc 5 result=0",
      "metric-get 5 result=0 value=2", "metric-inc 6 result=2", "metric-rec 6 result=0", "metric-get 6 result=2", "metric-get 404 result=1",
      "metric-inc 404 result=1", "metric-rec 8 result=0", "metric-get 4 result=0 value=1",
    ]);
  });

  it("aggregates the same-name metric of every worker into one stat and renders Prometheus text", async () => {
    const host = await startHost({ pluginConfig: defines });
    await run(host, 0, "metric-inc|4|1;metric-rec|5|7;metric-rec|6|42;metric-rec|8|3");
    await run(host, 1, "metric-inc|4|2;metric-rec|6|7000");
    expect(host.metric("fixture_requests")).toBe(3);
    const text = host.prometheusText();
    expect(text).toContain("# TYPE fixture_requests counter\nfixture_requests{} 3\n");
    expect(text).toContain("# TYPE fixture_weird_name counter\nfixture_weird_name{} 3\n");
    expect(text).toContain("# TYPE fixture_inflight gauge\nfixture_inflight{} 7\n");
    expect(text).toContain('fixture_latency_bucket{le="25"} 0\nfixture_latency_bucket{le="50"} 1\n');
    expect(text).toContain('fixture_latency_bucket{le="10000"} 2\n');
    expect(text).toContain('fixture_latency_bucket{le="+Inf"} 2\nfixture_latency_sum{} 7042\nfixture_latency_count{} 2\n');
  });

  it("sanitises names like Envoy and leaves out names starting with a digit", () => {
    expect(prometheusName("a.b-c/d")).toBe("a_b_c_d");
    expect(prometheusName("9lives")).toBeNull();
    const store = new MetricStore();
    store.define("counter", "9lives").value = 1;
    expect(store.prometheusText()).toBe("");
  });
});

describe("pairs encoding", () => {
  const sample: Pair[] = [[":path", "/"], ["x-a", "1"], ["empty", ""]];

  it("round-trips and uses the documented byte layout", () => {
    const bytes = serializePairs([["1", "22"]]);
    expect([...bytes]).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0x31, 0, 0x32, 0x32, 0]);
    expect(parsePairs(serializePairs(sample))).toEqual(sample);
  });

  it("parses strictly: any malformed input is an empty list", () => {
    const good = Buffer.from(serializePairs(sample));
    expect(parsePairs(good.subarray(0, good.length - 1))).toEqual([]);
    expect(parsePairs(Buffer.concat([good, Buffer.from([0])]))).toEqual([]);
    const noNul = Buffer.from(good);
    noNul[good.length - 1] = 0x41;
    expect(parsePairs(noNul)).toEqual([]);
    expect(parsePairs(new Uint8Array(0))).toEqual([]);
    expect(parsePairs(serializePairs(Array.from({ length: 1025 }, (_, i) => [`k${i}`, "v"] as const)))).toEqual([]);
    expect(parsePairs(serializePairs(Array.from({ length: 1024 }, (_, i) => [`k${i}`, "v"] as const)))).toHaveLength(1024);
    expect(parsePairs(serializePairs([["big", "x".repeat(1024 * 1024)]]))).toEqual([]);
  });
});
