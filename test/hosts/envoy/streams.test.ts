// Checklist points 4 (header maps), 5 (Pause → StopAll, deferred continue, local reply, close),
// 6 (effective context), 10 (traps), 11 (logs, time, random) and 12 (properties).

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../../dev/hosts/envoy/clock.js";
import { EnvoyHost, type EnvoyHostOptions } from "../../../dev/hosts/envoy/host.js";
import { compileFixture } from "./compile-fixture.js";
import { linesFrom, startUpstream, wasmLines, type Upstream } from "./helpers.js";

let wasm: Uint8Array;
let stable: Upstream;
let auth: Upstream;
const hosts: EnvoyHost[] = [];

async function startHost(extra: Partial<EnvoyHostOptions> = {}): Promise<EnvoyHost> {
  const host = await EnvoyHost.start({
    wasm, pluginConfig: "", workers: 2, streamTimeoutMs: 2_000,
    clusters: { stable: stable.url, auth: auth.url }, routes: [{ cluster: "stable" }],
    ...extra,
  });
  hosts.push(host);
  return host;
}

beforeAll(async () => {
  wasm = await compileFixture("test-filter");
  stable = await startUpstream("stable");
  auth = await startUpstream("auth");
}, 60_000);

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
  stable.seen.length = 0;
});

afterAll(async () => {
  await stable.close();
  await auth.close();
});

describe("request header map", () => {
  it("has lower-cased keys and the pseudo-headers :method :path :authority :scheme; get returns the first value or NotFound", async () => {
    const host = await startHost();
    await host.request({
      method: "post", path: "/p?q=1", worker: 0,
      headers: { Host: "example.test", "X-Dup": ["a", "b"], "x-do": "get|req|:method;get|req|:path;get|req|:authority;get|req|:scheme;get|req|x-dup;get|req|X-DUP;get|req|x-missing" },
    });
    expect(wasmLines(host, 0).filter((l) => l.startsWith("get "))).toEqual([
      "get :method=POST", "get :path=/p?q=1", "get :authority=example.test", "get :scheme=http",
      "get x-dup=a", "get X-DUP=a", "get x-missing result=1",
    ]);
  });

  it("replace sets every value, add appends, remove is Ok when absent; the upstream sees the result", async () => {
    const host = await startHost();
    const res = await host.request({
      path: "/", worker: 0,
      headers: { "x-dup": ["a", "b"], "x-do": "set|req|x-dup|c;add|req|x-add|1;add|req|x-add|2;remove|req|x-nothing" },
    });
    expect(res.status).toBe(200);
    expect(wasmLines(host, 0)).toContain("remove x-nothing result=0");
    const seen = stable.seen.at(-1);
    expect(seen?.headers["x-dup"]).toBe("c");
    expect(seen?.headers["x-add"]).toBe("1, 2");
  });

  it("proxy_get_header_map_size returns the byte size and pairs serialize in map order", async () => {
    const host = await startHost();
    await host.request({ path: "/", worker: 0, headers: { "x-request-id": "rid", "x-do": "size|req;pairs|req" } });
    const pairs: Array<[string, string]> = [
      [":authority", "localhost"], [":path", "/"], [":method", "GET"], [":scheme", "http"],
      ["x-request-id", "rid"], ["x-do", "size|req;pairs|req"], ["x-forwarded-proto", "http"],
    ];
    const bytes = pairs.reduce((n, [k, v]) => n + k.length + v.length, 0);
    const lines = wasmLines(host, 0);
    expect(lines).toContain(`size result=0 value=${bytes}`);
    expect(lines).toContain(`pairs result=0 ${pairs.map(([k, v]) => `${k}=${v}`).join(",")}`);
  });

  it("set_header_map_pairs replaces the whole map (response headers, in on_response_headers)", async () => {
    const host = await startHost();
    const res = await host.request({ path: "/", worker: 0, headers: { "x-on-response-headers": "setpairs|resp|:status|201|x-new|1" } });
    expect(res.status).toBe(201);
    expect(res.headers["x-new"]).toBe("1");
    expect(res.headers["x-upstream"]).toBeUndefined();
  });

  it("request headers are not writable once the request continued (BadArgument), response headers are in on_response_headers", async () => {
    const host = await startHost();
    const res = await host.request({ path: "/", worker: 0, headers: { "x-on-response-headers": "set|req|x-late|1;set|resp|x-resp|1;size|req" } });
    expect(linesFrom(host, 0, "response_headers 2").slice(1, 4)).toEqual(["set x-late result=2", "set x-resp result=0", "size result=2"]);
    expect(res.headers["x-resp"]).toBe("1");
  });
});

describe("Pause → StopAll and resuming", () => {
  it("Pause converts to StopAll: no body callback while paused, the buffered body arrives after resume", async () => {
    const host = await startHost();
    const res = await host.request({
      method: "POST", path: "/upload", body: "hello", worker: 0,
      headers: { "x-do": "call|auth|/slow?ms=50|1000;pause", "x-on-response": "switch;continue|0" },
    });
    expect(res.status).toBe(200);
    expect(linesFrom(host, 0, "create 2").slice(0, 9)).toEqual([
      "create 2 1",
      "request_headers 2 n=8 eos=0",
      "call result=0 token=4",
      expect.stringMatching(/^http_response root=1 token=4 headers=\d+ body=\d+ trailers=0$/),
      expect.stringMatching(/^http_response status=200 body=\{/),
      "switch result=0",
      "continue result=0",
      "request_body 2 size=5 eos=1",
      "response_headers 2 status=200",
    ]);
    expect(stable.seen.at(-1)?.body).toBe("hello");
  });

  it("continue_stream is deferred and nulls the request header map (later writes → BadArgument)", async () => {
    const host = await startHost();
    await host.request({
      method: "POST", path: "/", body: "b", worker: 0,
      headers: {
        "x-do": "call|auth|/|1000;pause",
        "x-on-response": "switch;set|req|x-before|1;continue|0;set|req|x-after|2;log|after-continue",
      },
    });
    expect(linesFrom(host, 0, "switch result").slice(0, 6)).toEqual([
      "switch result=0", "set x-before result=0", "continue result=0", "set x-after result=2", "after-continue",
      "request_body 2 size=1 eos=1",
    ]);
    expect(stable.seen.at(-1)?.headers["x-before"]).toBe("1");
    expect(stable.seen.at(-1)?.headers["x-after"]).toBeUndefined();
  });

  it("continue_stream on the root context returns Ok and does nothing: the request hangs until the stream timeout (504)", async () => {
    const host = await startHost({ streamTimeoutMs: 300 });
    const res = await host.request({
      path: "/never", worker: 0, headers: { "x-do": "call|auth|/|1000;pause", "x-on-response": "continue|0" },
    });
    expect(wasmLines(host, 0)).toContain("continue result=0");
    expect(res).toMatchObject({ status: 504, body: "upstream request timeout", local: true, details: "stream_timeout" });
    expect(stable.seen.some((s) => s.url === "/never")).toBe(false);
    expect(wasmLines(host, 0)).toContain("response_headers 2 status=504");
  });

  it("pausing in on_response_headers holds the response until continue_stream(1); response headers stay writable", async () => {
    const host = await startHost();
    const res = await host.request({
      path: "/", worker: 0,
      headers: { "x-on-response-headers": "call|auth|/|1000;return|1", "x-on-response": "switch;set|resp|x-late-resp|1;continue|1" },
    });
    expect(res.status).toBe(200);
    expect(res.headers["x-late-resp"]).toBe("1");
    expect(linesFrom(host, 0, "response_headers 2").slice(0, 2)).toEqual(["response_headers 2 status=200", "call result=0 token=4"]);
  });

  it("send_local_response is deferred and forces Stop although the callback returned Continue", async () => {
    const host = await startHost();
    const res = await host.request({ path: "/denied", worker: 0, headers: { "x-do": "local|403|denied;log|after-local" } });
    expect(res).toMatchObject({ status: 403, body: "denied", local: true, details: "denied_by_fixture", cluster: null });
    expect(res.headers).toMatchObject({ "x-local": "yes", "content-type": "text/plain", "content-length": "6" });
    expect(stable.seen.some((s) => s.url === "/denied")).toBe(false);
    expect(linesFrom(host, 0, "local result").slice(0, 3)).toEqual(["local result=0", "after-local", "response_headers 2 status=403"]);
  });

  it("a local reply from the http call callback (effective context switched) answers the paused request", async () => {
    const host = await startHost();
    const res = await host.request({ path: "/x", worker: 0, headers: { "x-do": "call|auth|/|1000;pause", "x-on-response": "switch;local|401|nope" } });
    expect(res).toMatchObject({ status: 401, body: "nope", local: true });
  });

  it("malformed serialized headers in send_local_response are dropped (strict pairs parsing)", async () => {
    const host = await startHost();
    const res = await host.request({ path: "/", worker: 0, headers: { "x-do": "local-badheaders|418" } });
    expect(res.status).toBe(418);
    expect(res.headers["x-local"]).toBeUndefined();
  });

  it("proxy_close_stream(0) resets the stream; on_log, on_done and on_delete still run", async () => {
    const host = await startHost();
    const res = await host.request({ path: "/closed", worker: 0, headers: { "x-do": "close" } });
    expect(res).toMatchObject({ reset: true, status: 0, details: "wasm_close_stream" });
    expect(stable.seen.some((s) => s.url === "/closed")).toBe(false);
    expect(linesFrom(host, 0, "close result")).toEqual(["close result=0", "log 2", "done 2", "delete 2"]);
  });
});

describe("effective context", () => {
  it("is reset to none at every host→VM entry (a new callback acts on the root until it switches)", async () => {
    const host = await startHost({ streamTimeoutMs: 400 });
    // Stream 3 switches in its callback and stays paused (alive); stream 2's later callback must
    // not inherit that effective context.
    const [first, second] = await Promise.all([
      host.request({ path: "/1", worker: 0, headers: { "x-do": "call|auth|/slow?ms=100|1000;pause", "x-on-response": "set|req|x-a|1;switch;set|req|x-b|1;continue|0" } }),
      host.request({ path: "/2", worker: 0, headers: { "x-do": "call|auth|/|1000;pause", "x-on-response": "switch" } }),
    ]);
    expect(first.status).toBe(200);
    expect(second.status).toBe(504);
    expect(linesFrom(host, 0, "http_response root=1 token=4").filter((l) => l.startsWith("set "))).toEqual(["set x-a result=2", "set x-b result=0"]);
    expect(stable.seen.find((x) => x.url === "/1")?.headers).toMatchObject({ "x-b": "1" });
    expect(stable.seen.find((x) => x.url === "/1")?.headers["x-a"]).toBeUndefined();
  });

  it("proxy_set_effective_context with an unknown id is BadArgument", async () => {
    const host = await startHost();
    await host.request({ path: "/", worker: 0, headers: { "x-do": "switch-to|999;switch-to|1" } });
    expect(wasmLines(host, 0)).toEqual(expect.arrayContaining(["switch-to result=2", "switch-to result=0"]));
  });
});

describe("traps", () => {
  it("a trap fails the VM: this and later streams on that worker get a local 503 wasm_fail_stream; the other worker still serves", async () => {
    const host = await startHost();
    const first = await host.request({ path: "/", worker: 0, headers: { "x-do": "trap" } });
    expect(first).toMatchObject({ status: 503, body: "", local: true, details: "wasm_fail_stream" });
    expect(host.workerFailed(0)).toBe(true);
    expect(host.logs().some((e) => e.worker === 0 && e.source === "host"
      && e.message.startsWith("Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable"))).toBe(true);
    const second = await host.request({ path: "/", worker: 0 });
    expect(second).toMatchObject({ status: 503, details: "wasm_fail_stream" });
    expect(wasmLines(host, 0).some((l) => l.startsWith("create 3"))).toBe(false);
    expect(await host.request({ path: "/", worker: 1 })).toMatchObject({ status: 200, cluster: "stable" });
  });

  it("an AssemblyScript abort() logs through the fixture's abort handler, then traps", async () => {
    const host = await startHost();
    const res = await host.request({ path: "/", worker: 0, headers: { "x-do": "abort" } });
    expect(res.status).toBe(503);
    expect(host.logs()).toContainEqual(expect.objectContaining({ worker: 0, level: "critical", message: "abort: fixture assertion" }));
  });

  it("with failOpen a failed VM passes requests through to the upstream", async () => {
    const host = await startHost({ failOpen: true });
    expect(await host.request({ path: "/", worker: 0, headers: { "x-do": "trap" } })).toMatchObject({ status: 200, cluster: "stable" });
    expect(await host.request({ path: "/", worker: 0 })).toMatchObject({ status: 200, cluster: "stable" });
    expect(host.workerFailed(0)).toBe(true);
  });
});

describe("logs, time, random", () => {
  it("captures proxy_log per VM with its level, answers proxy_get_log_level, maps stdout/stderr to info/error", async () => {
    const host = await startHost({ logLevel: "debug" });
    await host.request({ path: "/", worker: 1, headers: { "x-do": "loglevel;stdout|to-stdout;stderr|to-stderr" } });
    const entries = host.logs().filter((e) => e.worker === 1 && e.source === "wasm");
    expect(entries).toEqual(expect.arrayContaining([
      { worker: 1, level: "error", message: "loglevel result=0 level=1", source: "wasm" },
      { worker: 1, level: "info", message: "to-stdout", source: "wasm" },
      { worker: 1, level: "error", message: "to-stderr", source: "wasm" },
    ]));
  });

  it("drops log lines below the configured level", async () => {
    const host = await startHost({ logLevel: "warn" });
    await host.request({ path: "/", worker: 0, headers: { "x-do": "log|quiet;loglevel" } });
    const lines = wasmLines(host, 0);
    expect(lines).toContain("loglevel result=0 level=3");
    expect(lines).not.toContain("quiet");
  });

  it("gives the host clock's wall time in nanoseconds from proxy_get_current_time_nanoseconds and WASI clock_time_get; random_get caps at 64 KiB", async () => {
    const clock = new ManualClock(1_767_225_600_123);
    const host = await startHost({ clock });
    await host.request({ path: "/", worker: 0, headers: { "x-do": "time;random|16;random|65537" } });
    clock.advance(2_000);
    await host.request({ path: "/", worker: 0, headers: { "x-do": "time" } });
    const times = wasmLines(host, 0).filter((l) => l.startsWith("time "));
    expect(times).toEqual(["time proxy=1767225600123000000 wasi=1767225600123000000", "time proxy=1767225602123000000 wasi=1767225602123000000"]);
    const random = wasmLines(host, 0).filter((l) => l.startsWith("random "));
    expect(random[0]).toMatch(/^random result=0 bytes=([0-9a-f]+\.){8}$/);
    expect(random[1]).toBe("random result=28 bytes=");
  });
});

describe("properties", () => {
  it("answers plugin_root_id, plugin_name, plugin_vm_id, source.address/port, request.id; unknown is NotFound", async () => {
    const host = await startHost({ rootId: "root-a", pluginName: "ns.meshgate", vmId: "vm-a" });
    await host.request({
      path: "/props?x=1", worker: 0, clientAddress: "10.1.2.3:4567",
      headers: { "x-request-id": "rid-1", "x-do": "prop|plugin_root_id;prop|plugin_name;prop|plugin_vm_id;prop|source.address;prop-int|source.port;prop|request.id;prop|request.url_path;prop|nope.nothing" },
    });
    expect(wasmLines(host, 0).filter((l) => l.startsWith("prop"))).toEqual([
      "prop plugin_root_id result=0 value=root-a",
      "prop plugin_name result=0 value=ns.meshgate",
      "prop plugin_vm_id result=0 value=vm-a",
      "prop source.address result=0 value=10.1.2.3:4567",
      "prop-int source.port result=0 value=4567",
      "prop request.id result=0 value=rid-1",
      "prop request.url_path result=0 value=/props",
      "prop nope.nothing result=1",
    ]);
  });

  it("defaults: root id meshgate, plugin name = root id, vm id empty; a generated x-request-id", async () => {
    const host = await startHost();
    await host.request({ path: "/", worker: 0, headers: { "x-do": "prop|plugin_root_id;prop|plugin_name;prop|plugin_vm_id;prop|request.id" } });
    const lines = wasmLines(host, 0).filter((l) => l.startsWith("prop"));
    expect(lines.slice(0, 3)).toEqual([
      "prop plugin_root_id result=0 value=meshgate", "prop plugin_name result=0 value=meshgate", "prop plugin_vm_id result=0 value=",
    ]);
    expect(lines[3]).toMatch(/^prop request\.id result=0 value=[0-9a-f-]{36}$/);
  });
});
