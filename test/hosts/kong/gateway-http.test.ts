// The Kong-plane gateway over real HTTP: KongHost.listen() and the main.ts process.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { KongHost } from "../../../dev/hosts/kong/gateway.js";
import { repoRoot } from "../../../dev/hosts/kong/repo-paths.js";
import { fixture, probe, startEcho, type EchoServer } from "./helpers.js";

let echo: EchoServer;
let host: KongHost;
let gateway: { port: number; close(): Promise<void> };

beforeAll(async () => {
  echo = await startEcho("service", { "x-upstream-only": "u" });
  host = await KongHost.start({ pluginsDir: fixture("probe"), config: {}, serviceUrl: `${echo.url}/base` });
  gateway = await host.listen(0);
});

afterAll(async () => {
  await gateway?.close();
  await host?.close();
  await echo.close();
});

describe("KongHost.listen()", () => {
  test("proxies a real HTTP request: body, path under the Service path, query, Kong's headers both ways", async () => {
    const res = await request(`http://127.0.0.1:${gateway.port}/items?id=7`, {
      method: "POST",
      body: "payload",
      headers: { "content-type": "text/plain", ...probe({ calls: [["kong.service.request.setHeader", "x-added", "1"], ["kong.response.setHeader", "x-resp", "r"]] }) },
    });
    const body = (await res.body.json()) as { url: string; body: string };
    expect(res.statusCode).toBe(200);
    expect(body).toMatchObject({ url: "/base/items?id=7", body: "payload" });
    const seen = echo.seen.at(-1)!;
    expect(seen.headers).toMatchObject({ "x-added": "1", "x-forwarded-port": String(gateway.port), "content-type": "text/plain" });
    expect(res.headers).toMatchObject({ "x-resp": "r", "x-upstream-only": "u", via: "1.1 kong/3.9.1" });
    expect(res.headers["x-kong-request-id"]).toBe(seen.headers["x-kong-request-id"]);
  });

  test("a Kong-produced response (exit) goes out with its status, headers and Content-Length", async () => {
    const res = await request(`http://127.0.0.1:${gateway.port}/`, { headers: probe({ calls: [["kong.response.error", 401, "no token", { "WWW-Authenticate": "Bearer" }]] }) });
    const text = await res.body.text();
    expect(res.statusCode).toBe(401);
    expect(res.headers).toMatchObject({ "www-authenticate": "Bearer", "content-length": String(Buffer.byteLength(text)), server: "kong/3.9.1" });
    expect(JSON.parse(text)).toMatchObject({ message: "no token" });
  });

  test("the log phase runs once the HTTP response has been sent", async () => {
    const res = await request(`http://127.0.0.1:${gateway.port}/logged`, { headers: probe({ log: [["kong.response.getStatus"]] }) });
    await res.body.text();
    await host.idle();
    await host.waitForLog((l) => l.message.startsWith("[probe] probe-log [200], context: ngx.timer, client: 127.0.0.1, server: "), 5000);
  });
});

describe("main.ts (the gateway process)", () => {
  const entry = join(repoRoot(), "build/dev/hosts/kong/main.mjs");

  function run(args: string[]): ChildProcess {
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run "node scripts/build.mjs dev" first`);
    return spawn(process.execPath, [entry, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  }

  function exitCode(child: ChildProcess): Promise<number | null> {
    return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  test("prints its address, serves requests through the plugin, and stops cleanly on SIGTERM", async () => {
    const child = run(["--plugins-dir", fixture("exit-401"), "--service-url", echo.url, "--port", "0"]);
    const exited = exitCode(child);
    try {
      const port = await new Promise<number>((resolve, reject) => {
        createInterface({ input: child.stdout! }).on("line", (line) => {
          const m = /^kong-host listening on http:\/\/127\.0\.0\.1:(\d+)$/.exec(line);
          if (m) resolve(Number(m[1]));
        });
        child.once("exit", (code) => reject(new Error(`main.mjs exited early with ${String(code)}`)));
      });
      const res = await request(`http://127.0.0.1:${port}/`);
      await res.body.text();
      expect(res.statusCode).toBe(401);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  });

  test("bad options give a clear message and exit code 2", async () => {
    const child = run(["--service-url", echo.url]);
    let stderr = "";
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    expect(await exitCode(child)).toBe(2);
    expect(stderr).toContain("--plugins-dir is required");
  });
});
