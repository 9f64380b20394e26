// `npm run bench:kong` (bench/kong/run.mjs bundles this file): figures for the Kong plane, through the Kong dev
// host and real plugin servers, on this machine. Nothing here asserts a time.
//   1. PDK round trips per request on each path (HandleEvent + Steps, as Kong would send them);
//   2. plugin-server CPU µs per request on each path (utime+stime of the server from /proc/<pid>/stat), for
//      meshgate on its own server and for an empty plugin on stock kong-pdk and on meshgate's server; the goal
//      ratio `meshgate cache hit / empty stock` is the median of interleaved rounds (the machine is noisy);
//   3. requests/s of the Kong-plane gateway over HTTP for the same three (reported, not a goal: the dev
//      gateway's own Kong-side work is JavaScript here);
//   4. RSS growth of the plugin server over 100k requests meshgate rejects with 401 (the exit-event leak).
// --profile DIR instead runs the goal's two paths with the server under `node --cpu-prof` and prints each
// profile's top entries by self time.
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createAuthService } from "../../dev/auth-service/index.js";
import { KongHost, type HostRequest, type KongHostOptions } from "../../dev/hosts/kong/gateway.js";
import { defaultStartCmd, plainStartCmd } from "../../dev/hosts/kong/repo-paths.js";
import { createEchoUpstream } from "../../dev/upstream/index.js";
import { topSelfTime } from "./cpu-profile.js";

type Doc = Record<string, unknown>;

interface Options {
  requestsPerPath: number;
  seconds: number;
  concurrency: number;
  leakRequests: number;
  rounds: number;
  /** Another build of meshgate's server to run meshgate's rows on (compare before/after). */
  server: string | null;
  profileDir: string | null;
  /** Only the goal's rows (empty on each server, meshgate cache hit): for quick comparisons. */
  goalOnly: boolean;
}

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../..");
const PLUGINS_DIR = join(root, "kong-plugins/build");
const EMPTY_PLUGIN_DIR = join(root, "bench/kong/empty-plugin");
const GC_PRELOAD = join(root, "bench/kong/gc-on-signal.cjs");
const LOAD_SCRIPT = join(root, "bench/kong/http-load.mjs");
const EXIT_ON_SIGTERM = join(root, "bench/kong/exit-on-sigterm.cjs");
const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux (getconf CLK_TCK)

function parseOptions(argv: string[]): Options {
  const o: Options = { requestsPerPath: 3000, seconds: 5, concurrency: 32, leakRequests: 100_000, rounds: 3, server: null, profileDir: null, goalOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = Number(argv[i + 1]);
    if (flag === "--quick") Object.assign(o, { requestsPerPath: 300, seconds: 2, leakRequests: 10_000 });
    else if (flag === "--rounds" && Number.isInteger(value) && value > 0) { o.rounds = value; i++; }
    else if (flag === "--server" && argv[i + 1]) { o.server = argv[++i]!; }
    else if (flag === "--profile" && argv[i + 1]) { o.profileDir = argv[++i]!; }
    else if (flag === "--goal-only") o.goalOnly = true;
    else if (flag === "--requests" && Number.isInteger(value)) { o.requestsPerPath = value; i++; }
    else if (flag === "--seconds" && value > 0) { o.seconds = value; i++; }
    else if (flag === "--concurrency" && Number.isInteger(value)) { o.concurrency = value; i++; }
    else if (flag === "--leak-requests" && Number.isInteger(value)) { o.leakRequests = value; i++; }
    else throw new Error(`unknown or invalid argument ${flag}\nusage: run.mjs [--quick] [--requests N] [--seconds S] [--concurrency C] [--leak-requests N] [--rounds N] [--server <server.cjs>] [--profile <dir>] [--goal-only]`);
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
  /** The measured stretch on the monotonic clock (µs), which V8's profiles use too. */
  windowUs: [number, number];
}

async function measurePath(host: KongHost, c: PathCase, o: Options): Promise<PathFigures> {
  try {
    return await measure(host, c, o);
  } catch (error) {
    throw new Error(`${c.name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function measure(host: KongHost, c: PathCase, o: Options): Promise<PathFigures> {
  host.setConfig(c.policy);
  await c.warm?.(host);
  const probe = await host.request(c.request(0));
  if (probe.status !== c.status) throw new Error(`${c.name}: expected ${c.status}, got ${probe.status}`);
  await drive(host, Math.min(200, o.requestsPerPath), 8, c.request, c.status); // JIT warm-up
  const pid = host.serverPid();
  const cpuBefore = cpuMicros(pid);
  const startUs = Number(process.hrtime.bigint() / 1000n);
  const started = performance.now();
  await drive(host, o.requestsPerPath, 16, c.request, c.status);
  const seconds = (performance.now() - started) / 1000;
  return {
    name: c.name, status: c.status, roundTrips: probe.roundTrips,
    cpuUsPerRequest: (cpuMicros(pid) - cpuBefore) / o.requestsPerPath,
    inProcessRps: o.requestsPerPath / seconds,
    windowUs: [startUs, Number(process.hrtime.bigint() / 1000n)],
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

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const EMPTY_STOCK = "empty plugin on stock kong-pdk";
const EMPTY_OURS = "empty plugin on meshgate's server";
const CACHE_HIT_LIMIT = "cache-hit allow + subject limit (RateLimit headers)";

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const meshgateServer = o.server ? [process.execPath, o.server] : defaultStartCmd();
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

  const cacheHitLimit: PathCase = { name: CACHE_HIT_LIMIT, policy: { auth: { service: introspect }, rateLimit: generous }, status: 200, request: (i) => ({ path: "/", headers: bearerOf(i) }), warm: warmAll };
  const emptyCase = (name: string): PathCase => ({ name, policy: {}, status: 200, request: () => ({ path: "/" }) });
  const cases: PathCase[] = [
    { name: "cache-hit allow, auth only", policy: { auth: { service: introspect } }, status: 200, request: (i) => ({ path: "/", headers: bearerOf(i) }), warm: warmAll },
    cacheHitLimit,
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
  const startMeshgate = (extra: Partial<KongHostOptions> = {}): Promise<KongHost> =>
    KongHost.start({ pluginsDir: PLUGINS_DIR, config: cases[0]!.policy, serviceUrl: serviceByName, startCmd: meshgateServer, ...hostOptions, ...extra });
  const startEmpty = (startCmd: string[], extra: Partial<KongHostOptions> = {}): Promise<KongHost> =>
    KongHost.start({ pluginsDir: EMPTY_PLUGIN_DIR, config: {}, serviceUrl: stable.url, startCmd, ...extra });

  if (o.profileDir !== null) {
    await profile(o, startMeshgate, startEmpty, meshgateServer, cacheHitLimit, emptyCase(EMPTY_STOCK));
    await Promise.all([authServer.close(), stable.close(), canary.close()]);
    return;
  }

  const paths: PathFigures[] = [];
  const rounds: Array<{ stock: PathFigures; meshgate: PathFigures; ours: PathFigures }> = [];
  const host = await startMeshgate();
  const stockEmptyHost = await startEmpty(plainStartCmd());
  const ourEmptyHost = await startEmpty(meshgateServer);
  try {
    await measurePath(host, cases[0]!, o); // warms the gateway, its upstream connections and the server's JIT
    await measurePath(stockEmptyHost, emptyCase(EMPTY_STOCK), o);
    await measurePath(ourEmptyHost, emptyCase(EMPTY_OURS), o);
    // The goal's figures, interleaved so that a busy moment of the machine does not land on one of them only.
    for (let r = 0; r < o.rounds; r++) {
      rounds.push({
        stock: await measurePath(stockEmptyHost, emptyCase(EMPTY_STOCK), o),
        meshgate: await measurePath(host, cacheHitLimit, o),
        ours: await measurePath(ourEmptyHost, emptyCase(EMPTY_OURS), o),
      });
    }
    const medianOf = (pick: (r: (typeof rounds)[number]) => PathFigures): PathFigures => {
      const figures = rounds.map(pick);
      return { ...figures[0]!, cpuUsPerRequest: median(figures.map((f) => f.cpuUsPerRequest)), inProcessRps: median(figures.map((f) => f.inProcessRps)) };
    };
    paths.push(medianOf((r) => r.stock), medianOf((r) => r.ours));
    for (const c of cases) {
      if (c === cacheHitLimit) paths.push(medianOf((r) => r.meshgate));
      else if (!o.goalOnly) paths.push(await measurePath(host, c, o));
    }
  } finally {
    await Promise.all([host.close(), stockEmptyHost.close(), ourEmptyHost.close()]);
  }

  // HTTP throughput: an empty plugin on each server, and meshgate on its common path (cache-hit allow + subject limit).
  const throughput: Array<{ name: string; rps: number; cpuUsPerRequest: number; statuses: Record<string, number> }> = [];
  if (o.goalOnly) {
    await Promise.all([authServer.close(), stable.close(), canary.close()]);
    printPaths(o, paths, rounds);
    return;
  }
  const variants: Array<{ name: string; start: () => Promise<KongHost>; warm?: (h: KongHost) => Promise<void> }> = [
    { name: EMPTY_STOCK, start: () => startEmpty(plainStartCmd()) },
    { name: EMPTY_OURS, start: () => startEmpty(meshgateServer) },
    { name: `meshgate, ${CACHE_HIT_LIMIT}`, start: () => KongHost.start({ pluginsDir: PLUGINS_DIR, config: cacheHitLimit.policy, serviceUrl: stable.url, startCmd: meshgateServer }), warm: warmAll },
  ];
  for (const variant of variants) {
    const gateway = await variant.start();
    try {
      await variant.warm?.(gateway);
      const { port } = await gateway.listen(0);
      const url = `http://127.0.0.1:${port}/`;
      const headers = tokens.map((_, i) => bearerOf(i));
      await httpLoad(url, headers, Math.min(1, o.seconds), o.concurrency); // warm-up
      const pid = gateway.serverPid();
      const cpuBefore = cpuMicros(pid);
      const load = await httpLoad(url, headers, o.seconds, o.concurrency);
      throughput.push({ name: variant.name, rps: load.requests / load.seconds, cpuUsPerRequest: (cpuMicros(pid) - cpuBefore) / load.requests, statuses: load.statuses });
    } finally {
      await gateway.close();
    }
  }

  // Exit-event leak on meshgate's own 401 path; RSS after a forced GC (SIGUSR2 → preload).
  const leakHost = await KongHost.start({
    pluginsDir: PLUGINS_DIR, config: { auth: { service: introspect } }, serviceUrl: stable.url, startCmd: meshgateServer,
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

  printPaths(o, paths, rounds);
  const pad = (s: string, n: number): string => s.padEnd(n);
  console.log(`\nHTTP through the Kong-plane gateway (${o.seconds} s, concurrency ${o.concurrency}, load generator in its own process; req/s is reported, not a goal)\n`);
  console.log(`${pad("plugin", 76)} req/s     server CPU µs/req  statuses`);
  for (const t of throughput) console.log(`${pad(t.name, 76)} ${t.rps.toFixed(0).padEnd(9)} ${t.cpuUsPerRequest.toFixed(0).padEnd(18)} ${JSON.stringify(t.statuses)}`);
  const [stockHttp, , meshgateHttp] = throughput;
  console.log(`gateway req/s meshgate cache hit / empty stock: ${(meshgateHttp!.rps / stockHttp!.rps).toFixed(2)}; plugin-server CPU ratio over HTTP: ${(meshgateHttp!.cpuUsPerRequest / stockHttp!.cpuUsPerRequest).toFixed(2)}`);
  const growthMb = (leak.after - leak.before) / (1024 * 1024);
  console.log(`\nexit-event leak, meshgate 401 path, meshgate's server: RSS ${(leak.before / 1048576).toFixed(1)} → ${(leak.after / 1048576).toFixed(1)} MB over ${o.leakRequests} rejected requests: ${growthMb >= 0 ? "+" : ""}${growthMb.toFixed(2)} MB (${(o.leakRequests / leak.seconds).toFixed(0)} req/s) ${growthMb < 5 ? "< 5 MB ✓" : "≥ 5 MB ✗"}`);
  if (growthMb >= 5) process.exitCode = 1;
}

function printPaths(o: Options, paths: PathFigures[], rounds: Array<{ stock: PathFigures; meshgate: PathFigures }>): void {
  const pad = (s: string, n: number): string => s.padEnd(n);
  const serverName = o.server ?? "kong-plugins/server/build/meshgate-pluginserver.cjs";
  console.log(`\nmeshgate Kong plane — node ${process.version}, meshgate's server ${serverName}; ${o.requestsPerPath} requests per path (in-process host, concurrency 16)`);
  console.log(`rows marked * are the median of ${o.rounds} interleaved rounds\n`);
  console.log(`${pad("path", 56)} status  RPCs         server CPU µs/req  in-process req/s`);
  for (const p of paths) {
    const mark = p.name === EMPTY_STOCK || p.name === EMPTY_OURS || p.name === CACHE_HIT_LIMIT ? "*" : " ";
    console.log(`${pad(`${mark} ${p.name}`, 56)} ${String(p.status).padEnd(7)} ${String(p.roundTrips).padEnd(12)} ${p.cpuUsPerRequest.toFixed(0).padEnd(18)} ${p.inProcessRps.toFixed(0)}`);
  }
  const cpuOf = (name: string): number => paths.find((p) => p.name === name)!.cpuUsPerRequest;
  const goal = cpuOf(CACHE_HIT_LIMIT) / cpuOf(EMPTY_STOCK);
  console.log(`\nplugin-server CPU ratio meshgate cache hit / empty stock: ${goal.toFixed(2)} ${goal < 1 ? "< 1.0 ✓" : "≥ 1.0 ✗"}` +
    `  (per round: ${rounds.map((r) => (r.meshgate.cpuUsPerRequest / r.stock.cpuUsPerRequest).toFixed(2)).join(", ")})`);
  console.log(`plugin-server CPU ratio empty on meshgate's server / empty stock: ${(cpuOf(EMPTY_OURS) / cpuOf(EMPTY_STOCK)).toFixed(2)}`);
}

/** The goal's two paths with each server under `node --cpu-prof`; prints each profile's top entries by self time. */
async function profile(
  o: Options,
  startMeshgate: (extra?: Partial<KongHostOptions>) => Promise<KongHost>,
  startEmpty: (startCmd: string[], extra?: Partial<KongHostOptions>) => Promise<KongHost>,
  meshgateServer: string[],
  meshgatePath: PathCase,
  emptyPath: PathCase,
): Promise<void> {
  // --cpu-prof is refused in NODE_OPTIONS: it goes on the command line of the server (and of its plugin-info dump).
  const profiled = (command: string[], dir: string): string[] =>
    [command[0]!, "--cpu-prof", "--cpu-prof-interval=100", `--cpu-prof-dir=${dir}`, "--require", EXIT_ON_SIGTERM, ...command.slice(1)];
  const runs: Array<{ label: string; start: (dir: string) => Promise<KongHost>; path: PathCase }> = [
    { label: `meshgate ${meshgatePath.name}`, start: (dir) => startMeshgate({ startCmd: profiled(meshgateServer, dir) }), path: meshgatePath },
    { label: EMPTY_STOCK, start: (dir) => startEmpty(profiled(plainStartCmd(), dir)), path: emptyPath },
  ];
  for (const run of runs) {
    const dir = join(o.profileDir!, run.label.replace(/[^a-z0-9]+/gi, "-"));
    mkdirSync(dir, { recursive: true });
    const host = await run.start(dir);
    let figures: PathFigures;
    try {
      figures = await measurePath(host, run.path, o);
    } finally {
      await host.close();
    }
    const newest = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile")).map((f) => join(dir, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
    console.log(`\n${run.label}: ${figures.cpuUsPerRequest.toFixed(0)} µs plugin-server CPU per request (under the profiler), ${figures.roundTrips} round trips; ${newest ?? "no profile written"}`);
    if (newest) for (const e of topSelfTime(newest, 15, figures.windowUs)) console.log(`  ${e.selfPercent.toFixed(1).padStart(5)} %  ${e.name}`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : String(error));
  process.exit(1);
});
