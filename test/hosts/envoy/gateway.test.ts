// The gateway (HTTP front) and main.ts: real HTTP in, route table, re-resolution after header
// changes, forwarding as bytes, Envoy's router replies, streaming, worker binding.

import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { statSync, writeFileSync, readdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Pool, request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EnvoyHost, type EnvoyHostOptions } from "../../../dev/hosts/envoy/host.js";
import { compileFixture } from "./compile-fixture.js";
import { closedPortUrl, linesFrom, startUpstream, wasmLines, type Upstream } from "./helpers.js";
import { testTempDir } from "../../support/temp-dir.js";

const repo = join(dirname(fileURLToPath(import.meta.url)), "../../..");
const mainMjs = join(repo, "build/dev/hosts/envoy/main.mjs");

let testFilter: Uint8Array;
let minimal: Uint8Array;
let stable: Upstream;
let canary: Upstream;
let deadUrl: string;
const hosts: EnvoyHost[] = [];

async function startGateway(extra: Partial<EnvoyHostOptions> = {}): Promise<{ host: EnvoyHost; base: string }> {
  const host = await EnvoyHost.start({
    wasm: testFilter, pluginConfig: "", workers: 2, streamTimeoutMs: 3_000,
    clusters: { stable: stable.url, canary: canary.url, dead: deadUrl },
    routes: [{ name: "canary", match: { headers: { "x-canary": { exact: "true" } } }, cluster: "canary" }, { name: "stable", cluster: "stable" }],
    ...extra,
  });
  hosts.push(host);
  const { port } = await host.listen(0);
  return { host, base: `http://127.0.0.1:${port}` };
}

async function get(url: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  const res = await request(url, { method: body === undefined ? "GET" : "POST", headers, body });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

/** Builds main.mjs when it is missing or older than the host sources. */
function ensureMainBuilt(): void {
  const srcDir = join(repo, "dev/hosts/envoy");
  const newest = Math.max(...readdirSync(srcDir).filter((f) => f.endsWith(".ts")).map((f) => statSync(join(srcDir, f)).mtimeMs));
  if (existsSync(mainMjs) && statSync(mainMjs).mtimeMs >= newest) return;
  execFileSync(process.execPath, [join(repo, "scripts/build.mjs"), "dev"], { cwd: repo, stdio: "pipe" });
}

beforeAll(async () => {
  testFilter = await compileFixture("test-filter");
  minimal = await compileFixture("minimal-filter");
  stable = await startUpstream("stable");
  canary = await startUpstream("canary");
  deadUrl = await closedPortUrl();
}, 60_000);

afterEach(async () => { await Promise.all(hosts.splice(0).map((h) => h.close())); });

afterAll(async () => {
  await stable.close();
  await canary.close();
});

describe("gateway", () => {
  it("forwards to the routed cluster with the headers the filter set, Envoy's x-request-id and x-forwarded-proto", async () => {
    const { base } = await startGateway();
    const res = await get(`${base}/hello?x=1`, { "x-do": "set|req|x-from-filter|1" });
    expect(res.status).toBe(200);
    const echoed = JSON.parse(res.text) as { upstream: string; url: string; headers: Record<string, string> };
    expect(echoed.upstream).toBe("stable");
    expect(echoed.url).toBe("/hello?x=1");
    expect(echoed.headers).toMatchObject({ "x-from-filter": "1", "x-forwarded-proto": "http", host: base.slice("http://".length) });
    expect(echoed.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("re-resolves the route when the filter changed request headers (ABI 0.2.1 clears the route cache)", async () => {
    const { base } = await startGateway();
    expect(JSON.parse((await get(`${base}/`)).text).upstream).toBe("stable");
    expect(JSON.parse((await get(`${base}/`, { "x-do": "set|req|x-canary|true" })).text).upstream).toBe("canary");
    expect(JSON.parse((await get(`${base}/`, { "x-canary": "true" })).text).upstream).toBe("canary");
    expect(JSON.parse((await get(`${base}/`, { "x-canary": "true", "x-do": "remove|req|x-canary" })).text).upstream).toBe("stable");
  });

  it("answers 404 when no route matches, through the filter's on_response_headers", async () => {
    const { host, base } = await startGateway({ routes: [{ match: { headers: { "x-only": { exact: "1" } } }, cluster: "stable" }] });
    const res = await get(`${base}/nowhere`, {});
    expect(res.status).toBe(404);
    expect(wasmLines(host, 0).concat(wasmLines(host, 1))).toContain("response_headers 2 status=404");
  });

  it("answers an upstream connect failure with 503 and Envoy's text", async () => {
    const { base } = await startGateway({ routes: [{ cluster: "dead" }] });
    const res = await get(`${base}/`);
    expect(res.status).toBe(503);
    expect(res.text).toBe("upstream connect error or disconnect/reset before headers. reset reason: connection failure");
  });

  it("answers 504 \"upstream request timeout\" when the upstream is slower than the stream timeout, and aborts it", async () => {
    const { host } = await startGateway({ streamTimeoutMs: 200 });
    const aborted = stable.nextAbort();
    const res = await host.request({ path: "/slow?ms=3000", worker: 0 });
    expect(res).toMatchObject({ status: 504, body: "upstream request timeout", local: true, details: "upstream_response_timeout" });
    expect(await aborted).toBe("/slow?ms=3000");
    expect(wasmLines(host, 0)).toContain("response_headers 2 status=504");
  });

  it("answers an upstream reset before response headers with 503 \"connection termination\"", async () => {
    const { host } = await startGateway();
    const res = await host.request({ path: "/drop", worker: 0 });
    expect(res).toMatchObject({ status: 503, details: "upstream_reset_before_response_started{connection_termination}" });
    expect(res.body).toBe("upstream connect error or disconnect/reset before headers. reset reason: connection termination");
  });

  it("returns local replies as they are and turns a trap into 503", async () => {
    const { base } = await startGateway({ workers: 1 });
    const denied = await get(`${base}/`, { "x-do": "local|429|slow down" });
    expect(denied.status).toBe(429);
    expect(denied.text).toBe("slow down");
    expect(denied.headers["x-local"]).toBe("yes");
    expect((await get(`${base}/`, { "x-do": "trap" })).status).toBe(503);
    expect((await get(`${base}/`)).status).toBe(503);
  });

  it("closes the connection when the filter resets the stream", async () => {
    const { base } = await startGateway();
    await expect(get(`${base}/`, { "x-do": "close" })).rejects.toThrow();
  });

  it("streams bodies through a filter without body callbacks", async () => {
    const host = await EnvoyHost.start({ wasm: minimal, pluginConfig: "", clusters: { stable: stable.url }, routes: [{ cluster: "stable" }] });
    hosts.push(host);
    const { port } = await host.listen(0);
    const payload = "y".repeat(300_000);
    const res = await get(`http://127.0.0.1:${port}/upload`, {}, payload);
    expect(res.status).toBe(200);
    expect(res.headers["x-minimal-response"]).toBe("1");
    const echoed = JSON.parse(res.text) as { body: string; headers: Record<string, string> };
    expect(echoed.body.length).toBe(payload.length);
    expect(echoed.headers["x-minimal"]).toBe("2");
  });

  it("counts requests, host calls and guest time in stats()", async () => {
    const host = await EnvoyHost.start({ wasm: minimal, pluginConfig: "", clusters: { stable: stable.url }, routes: [{ cluster: "stable" }] });
    hosts.push(host);
    const before = host.stats();
    for (let i = 0; i < 5; i++) await host.request({ path: "/" });
    const after = host.stats();
    expect(after.requests - before.requests).toBe(5);
    expect(after.hostCalls - before.hostCalls).toBe(10); // one header write per request and per response
    expect(after.guestNs).toBeGreaterThan(before.guestNs);
  });

  it("binds each connection to one worker and honours a worker pin header (removed before the filter)", async () => {
    const { host, base } = await startGateway({ workerHeader: "x-envoy-worker" });
    const pool = new Pool(base, { connections: 1 });
    try {
      for (let i = 0; i < 3; i++) await (await pool.request({ path: "/", method: "GET" })).body.text();
      const perWorker = [0, 1].map((w) => wasmLines(host, w).filter((l) => l.startsWith("request_headers")).length);
      expect(perWorker.sort()).toEqual([0, 3]);
    } finally {
      await pool.close();
    }
    host.clearLogs();
    await get(`${base}/`, { "x-envoy-worker": "1", "x-do": "get|req|x-envoy-worker" });
    expect(linesFrom(host, 1, "request_headers")[1]).toBe("get x-envoy-worker result=1");
    expect((await get(`${base}/`, { "x-envoy-worker": "7" })).status).toBe(400);
  });
});

describe("main.ts", () => {
  let child: ChildProcess | null = null;

  afterEach(async () => {
    if (child && child.exitCode === null) {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
    child = null;
  });

  function spawnMain(args: string[]): ChildProcess {
    ensureMainBuilt();
    child = spawn(process.execPath, [mainMjs, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    return child;
  }

  async function exitCode(proc: ChildProcess): Promise<number | null> {
    if (proc.exitCode !== null) return proc.exitCode;
    const [code] = (await once(proc, "exit")) as [number | null];
    return code;
  }

  async function output(proc: ChildProcess, stream: "stdout" | "stderr", until: RegExp): Promise<string> {
    let text = "";
    const source = proc[stream];
    if (!source) throw new Error("no pipe");
    return new Promise((resolve, reject) => {
      source.on("data", (chunk: Buffer) => {
        text += chunk.toString();
        if (until.test(text)) resolve(text);
      });
      proc.once("exit", (code) => { if (!until.test(text)) reject(new Error(`exited ${code}: ${text}`)); });
    });
  }

  it("prints the listening line, serves through the filter and stops on SIGTERM", async () => {
    const dir = testTempDir("envoy-host-main-");
    const wasmPath = join(dir, "filter.wasm");
    writeFileSync(wasmPath, testFilter);
    const proc = spawnMain(["--wasm", wasmPath, "--config-text", "log|from-main", "--cluster", `stable=${stable.url}`,
      "--route", "*=stable", "--port", "0", "--workers", "1"]);
    const line = await output(proc, "stdout", /envoy-host listening on http:\/\/127\.0\.0\.1:\d+\n/);
    const port = /:(\d+)\n/.exec(line)?.[1];
    const res = await get(`http://127.0.0.1:${port}/via-main`, { "x-do": "log|hello-main" });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).url).toBe("/via-main");
    proc.kill("SIGTERM");
    expect(await exitCode(proc)).toBe(0);
  });

  it("exits 2 with usage on bad arguments and 1 with Envoy's text on a module it cannot load", async () => {
    const bad = spawnMain(["--port", "x"]);
    expect(await exitCode(bad)).toBe(2);
    const dir = testTempDir("envoy-host-main-");
    const wasmPath = join(dir, "abort.wasm");
    writeFileSync(wasmPath, await compileFixture("imports-abort", { customAbort: false }));
    const proc = spawnMain(["--wasm", wasmPath, "--config-text", "", "--port", "0"]);
    const err = await output(proc, "stderr", /missing import: env\.abort/);
    expect(err).toContain("Failed to load Wasm module due to a missing import: env.abort");
    expect(await exitCode(proc)).toBe(1);
  });
});
