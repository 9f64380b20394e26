#!/usr/bin/env node
// `npm run bench:stack`: what meshgate costs on each plane's hot path, against the same upstream with no gateway
// and with the same gateway running an empty plugin, plus its auth-call savings, cache hit ratio, limiter
// accuracy and memory. Starts the local stack exactly as `npm start` does (random free ports, access log off),
// adds two empty-plugin gateways, drives each cell with an undici Pool at fixed concurrency for a bounded time.
// Prints one table per plane and saves the run to load-tests/results/stack-bench.txt.
//
// The three cells of a plane are measured in BENCH_ROUNDS interleaved rounds (direct, empty, meshgate, direct, …)
// whose samples are merged, so a load change on a shared machine hits every cell alike.
// BENCH_STACK=running measures a stack that `npm start` already runs (ports from AUTH_PORT… as npm start reads them,
// policy from MESHGATE_POLICY); its processes' memory is then not reported.
// Settings (environment): BENCH_SECONDS (5) per cell, BENCH_ROUNDS (3), BENCH_CONCURRENCY (16), BENCH_TOKENS
// (1000) distinct tokens on the cache-hit cells, BENCH_LIMIT_SUBJECTS (5) and BENCH_LIMIT_SECONDS (3).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, platform, release } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Pool, request } from "undici";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const SECONDS = positive("BENCH_SECONDS", 5);
const CONCURRENCY = positive("BENCH_CONCURRENCY", 16);
const TOKENS = positive("BENCH_TOKENS", 1000);
const LIMIT_SUBJECTS = positive("BENCH_LIMIT_SUBJECTS", 5);
const LIMIT_SECONDS = positive("BENCH_LIMIT_SECONDS", 3);
const ROUNDS = Math.round(positive("BENCH_ROUNDS", 3));
const WARMUP_MS = 300;
const PATH = "/bench";

function positive(name, fallback) {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`bench:stack: ${name} must be a positive number, got '${text}'`);
    process.exit(2);
  }
  return value;
}

function requireFile(path, hint) {
  if (!existsSync(path)) {
    console.error(`bench:stack: ${path.slice(root.length + 1)} is missing — ${hint}`);
    process.exit(2);
  }
}

/** Resident set size of a process in MiB (Linux /proc), or null when it is gone or unreadable. */
function rssMiB(pid) {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * Fixed concurrency for a bounded time against one origin: `concurrency` loops, each one request at a time on
 * a keep-alive Pool of as many connections. A short unrecorded warm-up first.
 */
async function drive(baseUrl, headersFor, seconds, concurrency = CONCURRENCY) {
  const pool = new Pool(baseUrl, { connections: concurrency, keepAliveTimeout: 30_000 });
  const latencies = [];
  const statuses = new Map();
  let next = 0;
  const loop = async (until, record) => {
    while (performance.now() < until) {
      const headers = headersFor(next++);
      const started = performance.now();
      const res = await pool.request({ method: "GET", path: PATH, headers });
      await res.body.dump();
      if (!record) continue;
      latencies.push(performance.now() - started);
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    }
  };
  try {
    const warmUntil = performance.now() + WARMUP_MS;
    await Promise.all(Array.from({ length: concurrency }, () => loop(warmUntil, false)));
    const start = performance.now();
    await Promise.all(Array.from({ length: concurrency }, () => loop(start + seconds * 1000, true)));
    return summarize([{ latencies, elapsed: (performance.now() - start) / 1000, statuses }]);
  } finally {
    await pool.close();
  }
}

async function json(url, method = "GET", body) {
  const res = await request(url, { method, body, headers: body ? { "content-type": "application/json" } : {} });
  const parsed = await res.body.json();
  if (res.statusCode !== 200) throw new Error(`${method} ${url} answered ${res.statusCode}: ${JSON.stringify(parsed)}`);
  return parsed;
}

async function issueTokens(authUrl, prefix, count) {
  const tokens = [];
  for (let start = 0; start < count; start += 50) {
    const batch = Array.from({ length: Math.min(50, count - start) }, (_, i) =>
      json(`${authUrl}/token`, "POST", JSON.stringify({ sub: `${prefix}-${start + i}`, ttlSeconds: 3600 })));
    for (const reply of await Promise.all(batch)) tokens.push(reply.access_token);
  }
  return tokens;
}

async function introspections(authUrl) {
  const stats = await json(`${authUrl}/stats`);
  return stats.introspect + stats.verify;
}

/**
 * Every token once through the gateway, so the measured cells see only cache hits. Gentle (4 at a time) so the
 * auth service is not pushed past meshgate's auth timeout; a token refused anyway (503 fail-closed) is retried
 * once and counted, since its failed auth call shows up in the calls per token.
 */
async function warmTokens(gatewayUrl, tokens) {
  const pool = new Pool(gatewayUrl, { connections: 4 });
  const send = async (token) => {
    const res = await pool.request({ method: "GET", path: PATH, headers: { authorization: `Bearer ${token}` } });
    await res.body.dump();
    return res.statusCode;
  };
  try {
    let next = 0;
    const refused = [];
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next < tokens.length) {
        const token = tokens[next++];
        if ((await send(token)) !== 200) refused.push(token);
      }
    }));
    const stillRefused = [];
    for (const token of refused) {
      const status = await send(token);
      if (status !== 200) stillRefused.push(status);
    }
    if (stillRefused.length > 0) throw new Error(`warming ${gatewayUrl}: ${stillRefused.length} tokens refused twice (${[...new Set(stillRefused)].join(", ")})`);
    return refused.length;
  } finally {
    await pool.close();
  }
}

function section(policy, name) {
  const value = policy[name];
  return value && typeof value === "object" ? value : {};
}

async function benchPlane(plane, stack, emptyUrl, tokens) {
  const authUrl = stack.urls.auth;
  const gateway = stack.urls[plane];
  const bearer = (list) => (i) => ({ authorization: `Bearer ${list[i % list.length]}` });

  await json(`${authUrl}/stats/reset`, "POST");
  const warmRetries = await warmTokens(gateway, tokens);
  const callsAfterWarm = await introspections(authUrl);
  const cells = { direct: stack.urls.stable, empty: emptyUrl, meshgate: gateway };
  const runs = { direct: [], empty: [], meshgate: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [cell, url] of Object.entries(cells)) runs[cell].push(await drive(url, bearer(tokens), SECONDS / ROUNDS));
  }
  const callsDuring = (await introspections(authUrl)) - callsAfterWarm;
  const [direct, empty, meshgate] = ["direct", "empty", "meshgate"].map((cell) => summarize(runs[cell]));

  const limit = section(stack.policy, "rateLimit");
  const limitTokens = await issueTokens(authUrl, `bench-limit-${plane}`, LIMIT_SUBJECTS);
  const limited = await drive(gateway, bearer(limitTokens), LIMIT_SECONDS);
  const rejected = limited.statuses.get(Number(limit.status ?? 429)) ?? 0;
  const perSecond = Number(limit.rate) / Number(limit.periodSeconds ?? 1);
  // GCRA: a fresh key takes burst + 1 at once (spent in the unrecorded warm-up), then exactly `rate` per period.
  const allowedExpected = LIMIT_SUBJECTS * perSecond * LIMIT_SECONDS;
  return { plane, direct, empty, meshgate, warmRetries, callsAfterWarm, callsDuring, limited, rejected, perSecond, limit, allowedExpected };
}

/** Merges the samples of several runs of one cell: rate over their summed time, percentiles over all samples. */
function summarize(runs) {
  const latencies = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const elapsed = runs.reduce((sum, r) => sum + r.elapsed, 0);
  const statuses = new Map();
  for (const run of runs) for (const [status, n] of run.statuses) statuses.set(status, (statuses.get(status) ?? 0) + n);
  return { latencies, elapsed, requests: latencies.length, rps: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), statuses };
}

const fmt = (n, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");
const pad = (text, width) => String(text).padEnd(width);
const lpad = (text, width) => String(text).padStart(width);

function nonOk(cell) {
  const other = [...cell.statuses].filter(([status]) => status !== 200);
  return other.length === 0 ? "" : `  (non-200: ${other.map(([s, n]) => `${n}×${s}`).join(", ")})`;
}

function planeTable(r, label, emptyLabel, workers) {
  const rows = [
    ["upstream direct (echo, no gateway)", r.direct],
    [emptyLabel, r.empty],
    [`${label} + meshgate, cache hits`, r.meshgate],
  ];
  const lines = [
    `${r.plane === "kong" ? "Kong plane" : "Envoy plane"} — ${CONCURRENCY} concurrent, ${SECONDS} s per cell in ${ROUNDS} interleaved rounds`,
    `  ${pad("cell", 46)}${lpad("req/s", 9)}${lpad("p50 ms", 9)}${lpad("p99 ms", 9)}`,
    ...rows.map(([name, c]) => `  ${pad(name, 46)}${lpad(fmt(c.rps, 0), 9)}${lpad(fmt(c.p50), 9)}${lpad(fmt(c.p99), 9)}${nonOk(c)}`),
    `  meshgate / empty plugin:   p99 ×${fmt(r.meshgate.p99 / r.empty.p99)}  p50 ×${fmt(r.meshgate.p50 / r.empty.p50)}  req/s ×${fmt(r.meshgate.rps / r.empty.rps)}   (goal: p99 ≤ ×1.30)`,
    `  meshgate / direct:         p99 ×${fmt(r.meshgate.p99 / r.direct.p99)}  p50 ×${fmt(r.meshgate.p50 / r.direct.p50)}  req/s ×${fmt(r.meshgate.rps / r.direct.rps)}`,
    `  auth-service calls per distinct token: ${fmt(r.callsAfterWarm / TOKENS)} (${r.callsAfterWarm} calls for ${TOKENS} tokens${workers > 1 ? `; at most ${workers} = worker VMs` : ""}` +
      `${r.warmRetries > 0 ? `; ${r.warmRetries} tokens retried after a 503 (auth call over the timeout)` : ""})`,
    `  cache hit ratio while measured: ${fmt(100 * (1 - r.callsDuring / r.meshgate.requests))} % (${r.callsDuring} auth calls in ${r.meshgate.requests} requests)`,
    `  rejected share at the limit: ${fmt((100 * r.rejected) / r.limited.requests, 1)} % of ${r.limited.requests} requests ` +
      `(${LIMIT_SUBJECTS} subjects × ${r.perSecond}/s, burst ${r.limit.burst ?? 0}, ${LIMIT_SECONDS} s; ${r.limited.requests - r.rejected} allowed, ` +
      `GCRA allows ≈ ${Math.round(r.allowedExpected)})${nonOk({ statuses: new Map([...r.limited.statuses].filter(([s]) => s !== 429)) })}`,
  ];
  return lines.join("\n");
}

function rssTable(before, after) {
  const lines = ["Resident memory (MiB)", `  ${pad("process", 26)}${lpad("before", 9)}${lpad("after", 9)}`];
  for (const [name, mib] of before) lines.push(`  ${pad(name, 26)}${lpad(fmt(mib, 1), 9)}${lpad(fmt(after.get(name) ?? NaN, 1), 9)}`);
  return lines.join("\n");
}

/** The stack `npm start` runs in another terminal, found the way npm start finds its ports and policy. */
async function runningStack(lib, paths) {
  const ports = lib.portsFromEnv(process.env);
  const origin = (port) => `http://127.0.0.1:${port}`;
  const urls = { auth: origin(ports.auth), stable: origin(ports.stable), canary: origin(ports.canary), kong: origin(ports.kong), envoy: origin(ports.envoy) };
  try {
    await json(`${urls.auth}/healthz`);
  } catch (err) {
    throw new Error(`BENCH_STACK=running but no auth service answers at ${urls.auth}/healthz (${err instanceof Error ? err.message : String(err)}); start it with npm start`);
  }
  return {
    urls,
    policy: lib.loadPolicyFile(process.env.MESHGATE_POLICY ?? paths.defaultPolicy),
    envoyWorkers: positive("BENCH_ENVOY_WORKERS", 2),
    processes: () => [],
    stop: async () => undefined,
  };
}

async function main() {
  const stackModule = join(root, "build/dev/stack/main.mjs");
  requireFile(stackModule, "run `node scripts/build.mjs` first (npm run bench:stack does)");
  const emptyWasm = join(root, "build/bench/empty-filter.wasm");
  execFileSync(process.execPath, [join(root, "envoy-wasm/build.mjs"), "--entry", join(root, "bench/stack/empty-filter.ts"), "--out", emptyWasm], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  const lib = await import(pathToFileURL(stackModule).href);
  const paths = lib.stackPaths(root);

  const useRunning = process.env.BENCH_STACK === "running";
  console.log(`bench:stack: ${useRunning ? "using the running stack; starting" : "starting the stack and"} two empty-plugin gateways…`);
  const stack = useRunning ? await runningStack(lib, paths) : await lib.startStack({ root, accessLog: false });
  const started = [];
  try {
    const kongEmpty = await lib.startKongGateway({
      name: "kong-empty", script: paths.kongHost, pluginsDir: join(root, "bench/stack/empty-kong-plugin"), config: {},
      serviceUrl: stack.urls.stable, port: 0, accessLog: false, readyTimeoutMs: 60_000,
    });
    started.push(kongEmpty.child);
    const envoyEmpty = await lib.startEnvoyGateway({
      name: "envoy-empty", script: paths.envoyHost, wasm: emptyWasm, pluginConfig: "", clusters: { stable: stack.urls.stable },
      routes: ["*=stable"], workers: stack.envoyWorkers, port: 0, accessLog: false, readyTimeoutMs: 60_000,
    });
    started.push(envoyEmpty);
    const processes = [
      ...stack.processes(),
      { name: "kong-empty", pid: kongEmpty.child.pid },
      ...(kongEmpty.pluginServerPid ? [{ name: "kong-empty-pluginserver", pid: kongEmpty.pluginServerPid }] : []),
      { name: "envoy-empty", pid: envoyEmpty.pid },
      { name: "bench (load generator)", pid: process.pid },
    ];
    const rssBefore = new Map(processes.map((p) => [p.name, rssMiB(p.pid)]));

    const tokens = await issueTokens(stack.urls.auth, "bench-user", TOKENS);
    console.log(`bench:stack: ${TOKENS} tokens issued; measuring (about ${Math.round(2 * (3 * (SECONDS + ROUNDS * WARMUP_MS / 1000) + LIMIT_SECONDS + 1))} s)…`);
    const kong = await benchPlane("kong", stack, kongEmpty.child.url, tokens);
    const envoy = await benchPlane("envoy", stack, envoyEmpty.url, tokens);
    const rssAfter = new Map(processes.map((p) => [p.name, rssMiB(p.pid)]));

    const cpu = cpus();
    const header = [
      `meshgate stack benchmark — ${new Date().toISOString()}`,
      `machine: ${cpu.length} cores (${cpu[0]?.model ?? "unknown CPU"}), ${platform()} ${release()}, Node ${process.version}`,
      `load: undici Pool, ${CONCURRENCY} connections, one request at a time each, ${SECONDS} s per cell (${ROUNDS} interleaved rounds, ` +
        `each after ${WARMUP_MS} ms warm-up); ` +
        `load generator and every process share this machine`,
      `policy: dev/policy.yaml (auth introspection + cache, canary 10 %, rate limit per subject); ${TOKENS} distinct tokens round-robin`,
    ].join("\n");
    const report = [
      header,
      "",
      planeTable(kong, "Kong host", "Kong host + empty plugin (access: no-op)", 1),
      "",
      planeTable(envoy, "Envoy host", "Envoy host + empty filter (pass-through wasm)", stack.envoyWorkers),
      "",
      rssTable(rssBefore, rssAfter),
      "",
    ].join("\n");
    console.log(`\n${report}`);
    const results = join(root, "load-tests/results");
    mkdirSync(results, { recursive: true });
    writeFileSync(join(results, "stack-bench.txt"), report);
    console.log("saved to load-tests/results/stack-bench.txt");
  } finally {
    await Promise.all(started.map((c) => c.stop()));
    await stack.stop();
  }
}

main().catch((err) => {
  console.error(`bench:stack: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
