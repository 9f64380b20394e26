// `npm run bench:kong` (bench/kong/run.mjs bundles this file): figures for the Kong plane, through the Kong dev
// host and the real plugin server (meshgate's start command), on this machine. Nothing here asserts a time.
//   1. PDK round trips per request on each path (HandleEvent + Steps, as Kong would send them);
//   2. plugin-server CPU µs per request on each path (utime+stime of the server from /proc/<pid>/stat);
//   3. requests/s of the Kong-plane gateway over HTTP with meshgate vs with an empty plugin (same host);
//   4. RSS growth of the plugin server over 100k requests meshgate rejects with 401 (the exit-event leak).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createAuthService } from "../../dev/auth-service/index.js";
import { KongHost, type HostRequest, type KongHostOptions } from "../../dev/hosts/kong/gateway.js";
import { createEchoUpstream } from "../../dev/upstream/index.js";

type Doc = Record<string, unknown>;

interface Options {
  requestsPerPath: number;
  seconds: number;
  concurrency: number;
  leakRequests: number;
}

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../..");
const PLUGINS_DIR = join(root, "kong-plugins/build");
const EMPTY_PLUGIN_DIR = join(root, "bench/kong/empty-plugin");
const GC_PRELOAD = join(root, "bench/kong/gc-on-signal.cjs");
const LOAD_SCRIPT = join(root, "bench/kong/http-load.mjs");
const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux (getconf CLK_TCK)

function parseOptions(argv: string[]): Options {
  const o: Options = { requestsPerPath: 3000, seconds: 5, concurrency: 32, leakRequests: 100_000 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = Number(argv[i + 1]);
    if (flag === "--quick") Object.assign(o, { requestsPerPath: 300, seconds: 2, leakRequests: 10_000 });
    else if (flag === "--requests" && Number.isInteger(value)) { o.requestsPerPath = value; i++; }
    else if (flag === "--seconds" && value > 0) { o.seconds = value; i++; }
    else if (flag === "--concurrency" && Number.isInteger(value)) { o.concurrency = value; i++; }
    else if (flag === "--leak-requests" && Number.isInteger(value)) { o.leakRequests = value; i++; }
    else throw new Error(`unknown or invalid argument ${flag}\nusage: run.mjs [--quick] [--requests N] [--seconds S] [--concurrency C] [--leak-requests N]`);
  }
  return o;
}

/** utime + stime of a process (all its threads), in µs, at clock-tick resolution. */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields from 3 (state) on
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS_PER_SECOND;
}

function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

async function drive(host: KongHost, count: number, concurrency: number, request: (i: number) => HostRequest, expectStatus: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const r = await host.request(request(i));
      if (r.status !== expectStatus) throw new Error(`expected ${expectStatus}, got ${r.status}: ${r.body.slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

interface PathCase {
  name: string;
  policy: Doc;
  status: number;
  request(i: number): HostRequest;
  /** Requests that bring the path to its steady state (cache filled, bucket drained). */
  warm?(host: KongHost): Promise<void>;
}

interface PathFigures {
  name: string;
  status: number;
  roundTrips: number;
  cpuUsPerRequest: number;
  inProcessRps: number;
}

async function measurePath(host: KongHost, c: PathCase, o: Options): Promise<PathFigures> {
  host.setConfig(c.policy);
  await c.warm?.(host);
  const probe = await host.request(c.request(0));
  if (probe.status !== c.status) throw new Error(`${c.name}: expected ${c.status}, got ${probe.status}`);
  await drive(host, Math.min(200, o.requestsPerPath), 8, c.request, c.status); // JIT warm-up
  const pid = host.serverPid();
  const cpuBefore = cpuMicros(pid);
  const started = performance.now();
  await drive(host, o.requestsPerPath, 16, c.request, c.status);
  const seconds = (performance.now() - started) / 1000;
  return {
    name: c.name, status: c.status, roundTrips: probe.roundTrips,
    cpuUsPerRequest: (cpuMicros(pid) - cpuBefore) / o.requestsPerPath,
    inProcessRps: o.requestsPerPath / seconds,
  };
}

interface LoadResult {
  requests: number;
  seconds: number;
  statuses: Record<string, number>;
}

/** HTTP load from a separate process (undici, keep-alive), so the generator does not share the gateway's thread. */
function httpLoad(url: string, headers: Record<string, string>[], seconds: number, concurrency: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LOAD_SCRIPT], { cwd: root, stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => { out += chunk.toString(); });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`load generator exited with ${code}`));
      resolve(JSON.parse(out) as LoadResult);
    });
    child.stdin.end(JSON.stringify({ url, headers, seconds, concurrency }));
  });
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const auth = await createAuthService();
  const authServer = await auth.listen(0);
  const stable = await createEchoUpstream("stable").listen(0);
  const canary = await createEchoUpstream("canary").listen(0);
  const introspect = { url: `${authServer.url}/introspect` };
  const tokens = await Promise.all(Array.from({ length: 100 }, (_, i) => auth.issueToken({ sub: `user-${i}`, groups: ["staff"], ttlSeconds: 3600 })));
  const tester = (await auth.issueToken({ sub: "tess", groups: ["testers"], ttlSeconds: 3600 })).access_token;
  const bearerOf = (i: number): Record<string, string> => ({ authorization: `Bearer ${tokens[i % tokens.length]!.access_token}` });
  const warmAll = async (host: KongHost): Promise<void> => {
    for (let i = 0; i < tokens.length; i++) await host.request({ path: "/", headers: bearerOf(i) });
  };
  const generous = { rate: 1_000_000, periodSeconds: 1, burst: 1_000_000 };
  const hostOptions: Partial<KongHostOptions> = { upstreams: { "shop-canary": [canary.url] } };

  const cases: PathCase[] = [
    { name: "cache-hit allow, auth only", policy: { auth: { service: introspect } }, status: 200, request: (i) => ({ path: "/", headers: bearerOf(i) }), warm: warmAll },
    { name: "cache-hit allow + subject limit (RateLimit headers)", policy: { auth: { service: introspect }, rateLimit: generous }, status: 200, request: (i) => ({ path: "/", headers: bearerOf(i) }), warm: warmAll },
    { name: "cache-hit allow + path rules (anonymousPaths)", policy: { auth: { service: introspect, anonymousPaths: ["/healthz"] } }, status: 200, request: (i) => ({ path: "/orders", headers: bearerOf(i) }), warm: warmAll },
    { name: "cache-hit allow + IP limit (client IP asked)", policy: { auth: { service: introspect }, rateLimit: { ...generous, key: "ip" } }, status: 200, request: (i) => ({ path: "/", headers: bearerOf(i) }), warm: warmAll },
    { name: "canary via kong.target (tester override)", policy: { auth: { service: introspect }, canary: { overrideGroups: ["testers"], kong: { target: `127.0.0.1:${canary.port}` } } }, status: 200, request: () => ({ path: "/", headers: { authorization: `Bearer ${tester}`, "x-canary": "always" } }), warm: async (h) => { await h.request({ path: "/", headers: { authorization: `Bearer ${tester}` } }); } },
    { name: "canary via kong.upstream (tester override)", policy: { auth: { service: introspect }, canary: { overrideGroups: ["testers"], kong: { upstream: "shop-canary" } } }, status: 200, request: () => ({ path: "/", headers: { authorization: `Bearer ${tester}`, "x-canary": "always" } }), warm: async (h) => { await h.request({ path: "/", headers: { authorization: `Bearer ${tester}` } }); } },
    { name: "auth miss → allow (auth call, cache disabled)", policy: { auth: { service: introspect, cache: { ttlSeconds: 0 } } }, status: 200, request: (i) => ({ path: "/", headers: bearerOf(i) }) },
    { name: "401 no token", policy: { auth: { service: introspect } }, status: 401, request: () => ({ path: "/" }) },
    { name: "401 cached deny", policy: { auth: { service: introspect } }, status: 401, request: () => ({ path: "/", headers: { authorization: "Bearer revoked-or-unknown" } }), warm: async (h) => { await h.request({ path: "/", headers: { authorization: "Bearer revoked-or-unknown" } }); } },
    { name: "429 rate limited (cache hit)", policy: { auth: { service: introspect }, rateLimit: { rate: 1, periodSeconds: 86400 } }, status: 429, request: (i) => ({ path: "/", headers: bearerOf(i) }), warm: async (h) => { await warmAll(h); } },
  ];

  // A Service by hostname: Kong routes kong.service.set_upstream only from a Service whose host is not an IP.
  const serviceByName = stable.url.replace("//127.0.0.1:", "//localhost:");
  const host = await KongHost.start({ pluginsDir: PLUGINS_DIR, config: cases[0]!.policy, serviceUrl: serviceByName, ...hostOptions });
  const paths: PathFigures[] = [];
  try {
    await measurePath(host, cases[0]!, o); // warms the gateway, its upstream connections and the server's JIT
    for (const c of cases) paths.push(await measurePath(host, c, o));
  } finally {
    await host.close();
  }

  // HTTP throughput: meshgate on its common path (cache-hit allow + subject limit) vs a plugin that does nothing.
  const throughput: Array<{ name: string; rps: number; cpuUsPerRequest: number; statuses: Record<string, number> }> = [];
  for (const variant of ["empty plugin", "meshgate"] as const) {
    const gateway = await KongHost.start({
      pluginsDir: variant === "meshgate" ? PLUGINS_DIR : EMPTY_PLUGIN_DIR,
      config: variant === "meshgate" ? { auth: { service: introspect }, rateLimit: generous } : {},
      serviceUrl: stable.url,
    });
    try {
      if (variant === "meshgate") await warmAll(gateway);
      const { port } = await gateway.listen(0);
      const url = `http://127.0.0.1:${port}/`;
      const headers = tokens.map((_, i) => bearerOf(i));
      await httpLoad(url, headers, Math.min(1, o.seconds), o.concurrency); // warm-up
      const pid = gateway.serverPid();
      const cpuBefore = cpuMicros(pid);
      const load = await httpLoad(url, headers, o.seconds, o.concurrency);
      throughput.push({ name: variant, rps: load.requests / load.seconds, cpuUsPerRequest: (cpuMicros(pid) - cpuBefore) / load.requests, statuses: load.statuses });
    } finally {
      await gateway.close();
    }
  }

  // Exit-event leak on meshgate's own 401 path, wrapped server; RSS after a forced GC (SIGUSR2 → preload).
  const leakHost = await KongHost.start({
    pluginsDir: PLUGINS_DIR, config: { auth: { service: introspect } }, serviceUrl: stable.url,
    serverEnv: { NODE_OPTIONS: `--expose-gc --require ${GC_PRELOAD}` },
    logLevel: "info", // the GC preload reports on the plugin server's output, which Kong logs at info
  });
  let leak: { before: number; after: number; seconds: number };
  try {
    const settle = async (seq: number): Promise<number> => {
      process.kill(leakHost.serverPid(), "SIGUSR2");
      await leakHost.waitForLog((l) => l.message.includes(`[meshgate-bench-gc] seq=${seq} `), 30_000);
      return rssBytes(leakHost.serverPid());
    };
    await drive(leakHost, 5000, 32, () => ({ path: "/" }), 401);
    const before = await settle(1);
    const started = performance.now();
    await drive(leakHost, o.leakRequests, 32, () => ({ path: "/" }), 401);
    const seconds = (performance.now() - started) / 1000;
    leak = { before, after: await settle(2), seconds };
  } finally {
    await leakHost.close();
  }

  await Promise.all([authServer.close(), stable.close(), canary.close()]);

  const pad = (s: string, n: number): string => s.padEnd(n);
  console.log(`\nmeshgate Kong plane — node ${process.version}, ${o.requestsPerPath} requests per path (in-process host, concurrency 16)\n`);
  console.log(`${pad("path", 52)} status  round trips  server CPU µs/req  in-process req/s`);
  for (const p of paths) {
    console.log(`${pad(p.name, 52)} ${String(p.status).padEnd(7)} ${String(p.roundTrips).padEnd(12)} ${p.cpuUsPerRequest.toFixed(0).padEnd(18)} ${p.inProcessRps.toFixed(0)}`);
  }
  console.log(`\nHTTP through the Kong-plane gateway (${o.seconds} s, concurrency ${o.concurrency}, load generator in its own process)\n`);
  console.log(`${pad("plugin", 52)} req/s     server CPU µs/req  statuses`);
  for (const t of throughput) console.log(`${pad(t.name, 52)} ${t.rps.toFixed(0).padEnd(9)} ${t.cpuUsPerRequest.toFixed(0).padEnd(18)} ${JSON.stringify(t.statuses)}`);
  const [empty, meshgate] = throughput;
  console.log(`ratio meshgate / empty plugin: ${(meshgate!.rps / empty!.rps).toFixed(2)}`);
  const growthMb = (leak.after - leak.before) / (1024 * 1024);
  console.log(`\nexit-event leak, meshgate 401 path, meshgate-pluginserver: RSS ${(leak.before / 1048576).toFixed(1)} → ${(leak.after / 1048576).toFixed(1)} MB over ${o.leakRequests} rejected requests: ${growthMb >= 0 ? "+" : ""}${growthMb.toFixed(2)} MB (${(o.leakRequests / leak.seconds).toFixed(0)} req/s) ${growthMb < 5 ? "< 5 MB ✓" : "≥ 5 MB ✗"}`);
  if (growthMb >= 5) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : String(error));
  process.exit(1);
});
