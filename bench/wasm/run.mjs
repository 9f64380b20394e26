#!/usr/bin/env node
// `npm run bench:wasm`: what meshgate.wasm costs per request on the Envoy-plane dev host, next to a floor
// filter (bench/wasm/floor.ts: read Authorization, FNV-1a it, one shared-data lookup, set one header).
// Both run the same requests (a 1 KB bearer token and a few ordinary headers) on one worker VM; meshgate
// runs auth + rate limit + canary and every measured request is a decision-cache hit.
//
// Figures (per request, from the host's counters):
//   guest µs    time inside the wasm minus time inside host functions (the filter's own work)
//   host calls  calls from the guest into the host
//   host fn µs  time inside host functions (the dev host's cost, not Envoy's)
//   filter µs   guest + host functions: every callback of the request
//   e2e µs      wall time of one request through the dev host to a loopback upstream (sequential)
// A figure, not a test: nothing here asserts time. Goals (issues 3 and 16): guest <= 3 µs, meshgate/floor <= 2,
// <= 7 host calls per request. The two filters' rounds alternate and every figure is a median of rounds, so a
// busy machine's load swings move both alike.
//
//   node bench/wasm/run.mjs [--no-build] [--requests N] [--rounds N]
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const args = process.argv.slice(2);
const numberArg = (name, fallback) => {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`${name} needs a positive integer`);
    process.exit(2);
  }
  return value;
};
const REQUESTS = numberArg("--requests", 20_000);
const ROUNDS = numberArg("--rounds", 5);
const E2E_REQUESTS = 2_000;
const WARMUP = 5_000;

const MESHGATE_WASM = join(root, "envoy-wasm/build/meshgate.wasm");
const FLOOR_WASM = join(root, "build/bench/floor.wasm");

function buildModules() {
  const builder = join(root, "envoy-wasm/build.mjs");
  execFileSync(process.execPath, [builder], { cwd: root, stdio: "inherit" });
  execFileSync(process.execPath, [builder, "--entry", "bench/wasm/floor.ts", "--out", FLOOR_WASM], { cwd: root, stdio: "inherit" });
}

/** The dev host is TypeScript: bundle it once for this script. */
async function loadHost() {
  const outfile = join(root, "build/bench/wasm-envoy-host.mjs");
  await build({
    entryPoints: [join(root, "dev/hosts/envoy/host.ts")], bundle: true, platform: "node", format: "esm",
    target: "node20", outfile, packages: "external", logLevel: "warning",
  });
  return import(pathToFileURL(outfile).href);
}

function listen(handler) {
  return new Promise((resolve) => {
    const server = createServer(handler);
    server.keepAliveTimeout = 60_000;
    server.listen(0, "127.0.0.1", () => resolve({
      url: `http://127.0.0.1:${server.address().port}`,
      close: () => new Promise((done) => { server.closeAllConnections(); server.close(() => done()); }),
    }));
  });
}

/** RFC 7662 introspection: every token is active for an hour (only the first request of a run asks). */
function startAuthService() {
  return listen((req, res) => {
    req.resume();
    req.on("end", () => {
      const body = JSON.stringify({ active: true, sub: "bench-user", groups: ["staff"], exp: Math.floor(Date.now() / 1000) + 3600 });
      res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=3600" }).end(body);
    });
  });
}

function startUpstream() {
  return listen((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "text/plain", "content-length": "2" }).end("ok"));
  });
}

const POLICY = JSON.stringify({
  auth: {
    service: { cluster: "auth", authority: "auth.local", path: "/introspect" },
    cache: { ttlSeconds: 3600 },
  },
  rateLimit: { key: "subject", rate: 1_000_000, periodSeconds: 1, burst: 1_000_000 },
  canary: { overrideGroups: ["testers"], percentage: 5, salt: "bench" },
});

const TOKEN = "eyJhbGciOiJFUzI1NiJ9." + "a".repeat(1024 - 21 - 44) + ".c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmUtc2ln";
const HEADERS = {
  authorization: `Bearer ${TOKEN}`,
  accept: "application/json",
  "user-agent": "bench/1.0",
  "x-request-id": "4bf92f35-77b3-4da6-a3ce-929d0e0e4736",
  host: "shop.example.com",
};

async function measure(host, count) {
  const counters = host.env.counters;
  const before = { ...host.stats(), hostNs: counters.hostNs };
  for (let i = 0; i < count; i++) {
    const r = await host.request({ path: "/orders/42?view=full", headers: HEADERS, worker: 0 });
    if (r.status !== 503 || !r.local) throw new Error(`unexpected answer ${r.status} ${r.details}`);
  }
  const after = { ...host.stats(), hostNs: counters.hostNs };
  const n = after.requests - before.requests;
  const guestUs = (after.guestNs - before.guestNs) / n / 1000;
  const hostUs = Number(after.hostNs - before.hostNs) / n / 1000;
  return { guestUs, hostUs, filterUs: guestUs + hostUs, calls: (after.hostCalls - before.hostCalls) / n };
}

async function endToEnd(host) {
  for (let i = 0; i < 200; i++) await host.request({ path: "/", headers: HEADERS, worker: 0 });
  const started = process.hrtime.bigint();
  for (let i = 0; i < E2E_REQUESTS; i++) {
    const r = await host.request({ path: "/orders/42?view=full", headers: HEADERS, worker: 0 });
    if (r.status !== 200) throw new Error(`unexpected answer ${r.status} ${r.details}`);
  }
  return Number(process.hrtime.bigint() - started) / E2E_REQUESTS / 1000;
}

/** Both filters' hosts, the route's cluster without a healthy host: the router answers 503 locally and no socket
 *  I/O runs between the callbacks (the filter still sees request, response and log). */
function startLocal(EnvoyHost, wasm, rootId, clusters) {
  return EnvoyHost.start({
    wasm, rootId, workers: 1, pluginConfig: POLICY, clusters: { auth: clusters.auth, nohost: "" }, routes: [{ cluster: "nohost" }],
  });
}

async function endToEndOf(EnvoyHost, wasm, rootId, clusters) {
  const routed = await EnvoyHost.start({
    wasm, rootId, workers: 1, pluginConfig: POLICY, clusters: { auth: clusters.auth, app: clusters.app }, routes: [{ cluster: "app" }],
  });
  try {
    return await endToEnd(routed);
  } finally {
    await routed.close();
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** Rounds alternate between the two filters, so a load change on a shared machine hits both alike; each figure
 *  is the median of its rounds, and the ratio the median of the rounds' ratios. */
async function runInterleaved(EnvoyHost, clusters) {
  const hosts = {
    meshgate: await startLocal(EnvoyHost, MESHGATE_WASM, "meshgate", clusters),
    floor: await startLocal(EnvoyHost, FLOOR_WASM, "floor", clusters),
  };
  const rounds = { meshgate: [], floor: [] };
  try {
    await measure(hosts.meshgate, WARMUP);
    await measure(hosts.floor, WARMUP);
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of ["meshgate", "floor"]) rounds[name].push(await measure(hosts[name], REQUESTS));
    }
  } finally {
    await Promise.all([hosts.meshgate.close(), hosts.floor.close()]);
  }
  const summary = (list) => ({
    guestUs: median(list.map((f) => f.guestUs)), hostUs: median(list.map((f) => f.hostUs)),
    filterUs: median(list.map((f) => f.filterUs)), calls: median(list.map((f) => f.calls)),
  });
  const ratios = rounds.meshgate.map((f, i) => f.guestUs / rounds.floor[i].guestUs);
  return { meshgate: summary(rounds.meshgate), floor: summary(rounds.floor), ratio: median(ratios), ratios };
}

if (!args.includes("--no-build")) buildModules();
const { EnvoyHost } = await loadHost();
const auth = await startAuthService();
const app = await startUpstream();
try {
  const clusters = { auth: auth.url, app: app.url };
  const { meshgate, floor, ratio, ratios } = await runInterleaved(EnvoyHost, clusters);
  meshgate.e2eUs = await endToEndOf(EnvoyHost, MESHGATE_WASM, "meshgate", clusters);
  floor.e2eUs = await endToEndOf(EnvoyHost, FLOOR_WASM, "floor", clusters);
  const row = (name, f) => `${name.padEnd(10)} ${f.guestUs.toFixed(2).padStart(9)} ${f.calls.toFixed(1).padStart(11)} ` +
    `${f.hostUs.toFixed(2).padStart(11)} ${f.filterUs.toFixed(2).padStart(10)} ${f.e2eUs.toFixed(0).padStart(8)}`;
  console.log(`\nEnvoy-plane filter benchmark (Node ${process.version}, dev host, 1 worker VM, 1 KB bearer token,`);
  console.log(`cache hit with auth + rate limit + canary; median of ${ROUNDS} interleaved rounds × ${REQUESTS} requests; per request)`);
  console.log(`${"filter".padEnd(10)} ${"guest µs".padStart(9)} ${"host calls".padStart(11)} ${"host fn µs".padStart(11)} ${"filter µs".padStart(10)} ${"e2e µs".padStart(8)}`);
  console.log(row("meshgate", meshgate));
  console.log(row("floor", floor));
  console.log(`\nmeshgate/floor guest time: ${ratio.toFixed(2)} (goal <= 2; median of the rounds: ${ratios.map((r) => r.toFixed(2)).join(" ")})`);
  console.log(`meshgate guest time: ${meshgate.guestUs.toFixed(2)} µs (goal <= 3); host calls: ${meshgate.calls.toFixed(1)} (goal <= 7)`);
} finally {
  await Promise.all([auth.close(), app.close()]);
}
