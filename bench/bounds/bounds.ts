// `npm run bench:bounds` (bench/bounds/run.mjs bundles this file): N distinct tokens (default 1 000 000) through
// each plane's dev host, every one an auth-cache miss answered `active` by a stand-in auth service
// (bench/bounds/stand-in.mjs), and what that does to meshgate's state, sampled along the way:
//   Kong:  decision-cache entries (the plugin server's meshgate_cache_entries gauge) against cache.maxEntries,
//          and the plugin server's RSS;
//   Envoy: proxy-wasm shared-data keys, VM-local cache entries (meshgate_cache_entries, summed over the worker
//          VMs), and the host process's RSS (the worker VMs' linear memory lives there).
// A figure, not a test: it prints and never fails on a number, but it says "BOUND EXCEEDED" if a bound is broken.
//
//   node bench/bounds/run.mjs [--tokens N] [--max-entries N] [--concurrency C] [--plane kong|envoy] [--max-seconds S]
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { EnvoyHost } from "../../dev/hosts/envoy/host.js";
import { KongHost } from "../../dev/hosts/kong/gateway.js";

interface Options {
  tokens: number;
  maxEntries: number;
  concurrency: number;
  planes: Array<"kong" | "envoy">;
  maxSeconds: number;
  samples: number;
}

interface Sample {
  done: number;
  seconds: number;
  entries: number;
  sharedKeys: number | null;
  rssMb: number;
  /** JS heap in use (Kong: the plugin server's, from its metrics; Envoy: the host process's). */
  heapMb: number;
}

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const STAND_IN = join(root, "bench/bounds/stand-in.mjs");
const PLUGINS_DIR = join(root, "kong-plugins/build");
const MESHGATE_WASM = join(root, "envoy-wasm/build/meshgate.wasm");
const ENVOY_WORKERS = 2;

function parseOptions(argv: string[]): Options {
  const o: Options = { tokens: 1_000_000, maxEntries: 10_000, concurrency: 64, planes: ["kong", "envoy"], maxSeconds: 150, samples: 20 };
  const usage = "usage: run.mjs [--tokens N] [--max-entries N] [--concurrency C] [--plane kong|envoy] [--max-seconds S]";
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const raw = argv[i + 1] ?? "";
    const value = Number(raw);
    const positive = Number.isInteger(value) && value > 0;
    if (flag === "--tokens" && positive) o.tokens = value;
    else if (flag === "--max-entries" && positive) o.maxEntries = value;
    else if (flag === "--concurrency" && positive) o.concurrency = value;
    else if (flag === "--max-seconds" && positive) o.maxSeconds = value;
    else if (flag === "--plane" && (raw === "kong" || raw === "envoy")) o.planes = [raw];
    else throw new Error(`unknown or invalid argument ${flag} ${raw}\n${usage}`);
  }
  return o;
}

function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** A distinct RFC 6750 b64token per index, 64 characters like a typical opaque token. */
function token(i: number): string {
  return `bench-${i.toString(36).padStart(10, "0")}-`.padEnd(64, "x");
}

async function startStandIn(): Promise<{ child: ChildProcess; authPort: number; upstreamPort: number }> {
  const child = spawn(process.execPath, [STAND_IN], { stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("\n")) resolve(out.split("\n")[0]!);
    });
    child.once("exit", (code) => reject(new Error(`stand-in exited (${code})`)));
  });
  const ports = JSON.parse(line) as { auth: number; upstream: number };
  return { child, authPort: ports.auth, upstreamPort: ports.upstream };
}

async function authCalls(authPort: number): Promise<number> {
  return ((await (await fetch(`http://127.0.0.1:${authPort}/stats`)).json()) as { introspect: number }).introspect;
}

/**
 * Sends tokens[0..n) with `concurrency` in flight; calls `sample` at evenly spaced points. Stops early at the
 * time budget (and says so). Returns how many tokens went through.
 */
async function drive(o: Options, send: (i: number) => Promise<number>, sample: (done: number) => Promise<void>): Promise<number> {
  const every = Math.max(1, Math.floor(o.tokens / o.samples));
  const deadline = performance.now() + o.maxSeconds * 1000;
  let next = 0;
  let done = 0;
  let nextSample = every;
  let sampling: Promise<void> = Promise.resolve();
  const unexpected = new Map<number, number>();
  const worker = async (): Promise<void> => {
    while (next < o.tokens && performance.now() < deadline) {
      const status = await send(next++);
      if (status !== 204) unexpected.set(status, (unexpected.get(status) ?? 0) + 1);
      done += 1;
      if (done >= nextSample) {
        nextSample += every;
        sampling = sampling.then(() => sample(done));
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  await sampling;
  if (unexpected.size > 0) console.log(`  statuses other than the upstream's 204: ${JSON.stringify(Object.fromEntries(unexpected))}`);
  if (done < o.tokens) console.log(`  stopped at the ${o.maxSeconds} s budget after ${done} of ${o.tokens} tokens`);
  return done;
}

function report(title: string, samples: Sample[], bounds: { entries: number; sharedKeys: number | null }): void {
  console.log(`\n${title}`);
  console.log("  tokens      s    cache entries  shared-data keys   RSS MB  heap MB");
  for (const s of samples) {
    console.log(`  ${String(s.done).padStart(8)} ${s.seconds.toFixed(1).padStart(6)} ${String(s.entries).padStart(14)} ${String(s.sharedKeys ?? "-").padStart(17)} ${s.rssMb.toFixed(1).padStart(8)} ${s.heapMb.toFixed(1).padStart(8)}`);
  }
  const maxEntries = Math.max(...samples.map((s) => s.entries));
  const maxKeys = Math.max(...samples.map((s) => s.sharedKeys ?? 0));
  const half = samples[Math.floor(samples.length / 2)];
  const last = samples.at(-1);
  const rssGrowth = half && last ? last.rssMb - half.rssMb : Number.NaN;
  console.log(`  max cache entries ${maxEntries} (bound ${bounds.entries})${maxEntries > bounds.entries ? "  BOUND EXCEEDED" : ""}`);
  if (bounds.sharedKeys !== null) console.log(`  max shared-data keys ${maxKeys} (bound ${bounds.sharedKeys})${maxKeys > bounds.sharedKeys ? "  BOUND EXCEEDED" : ""}`);
  console.log(`  RSS over the second half of the run: ${rssGrowth >= 0 ? "+" : ""}${rssGrowth.toFixed(1)} MB (first sample ${samples[0]?.rssMb.toFixed(1)} MB, peak ${Math.max(...samples.map((s) => s.rssMb)).toFixed(1)} MB); ` +
    `heap in use ${Math.min(...samples.map((s) => s.heapMb)).toFixed(1)}..${Math.max(...samples.map((s) => s.heapMb)).toFixed(1)} MB`);
}

async function kongPlane(o: Options, authPort: number, upstreamPort: number): Promise<void> {
  const metricsPort = 20_000 + Math.floor(Math.random() * 20_000);
  const host = await KongHost.start({
    pluginsDir: PLUGINS_DIR, serviceUrl: `http://127.0.0.1:${upstreamPort}`,
    config: { auth: { service: { url: `http://127.0.0.1:${authPort}/introspect` }, timeoutMs: 5_000, cache: { maxEntries: o.maxEntries } } },
    serverEnv: { MESHGATE_METRICS_PORT: String(metricsPort) },
  });
  try {
    const scrape = async (): Promise<{ entries: number; heapMb: number }> => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? Number.NaN);
      return { entries: value("meshgate_cache_entries"), heapMb: value("meshgate_pluginserver_nodejs_heap_size_used_bytes") / 2 ** 20 };
    };
    const callsBefore = await authCalls(authPort);
    const started = performance.now();
    const samples: Sample[] = [];
    const done = await drive(o,
      async (i) => (await host.request({ path: "/", headers: { authorization: `Bearer ${token(i)}` } })).status,
      async (n) => {
        const { entries, heapMb } = await scrape();
        samples.push({ done: n, seconds: (performance.now() - started) / 1000, entries, sharedKeys: null, rssMb: rssMb(host.serverPid()), heapMb });
      });
    const seconds = (performance.now() - started) / 1000;
    report(`Kong plane: ${done} distinct tokens in ${seconds.toFixed(0)} s (${Math.round(done / seconds)}/s), ` +
      `${(await authCalls(authPort)) - callsBefore} auth calls; plugin server pid ${host.serverPid()}`, samples, { entries: o.maxEntries, sharedKeys: null });
  } finally {
    await host.close();
  }
}

async function envoyPlane(o: Options, authPort: number, upstreamPort: number): Promise<void> {
  const host = await EnvoyHost.start({
    wasm: MESHGATE_WASM, workers: ENVOY_WORKERS,
    pluginConfig: JSON.stringify({ auth: { service: { cluster: "auth", authority: "auth", path: "/introspect" }, timeoutMs: 5_000, cache: { maxEntries: o.maxEntries } } }),
    clusters: { auth: `http://127.0.0.1:${authPort}`, upstream: `http://127.0.0.1:${upstreamPort}` },
    routes: [{ cluster: "upstream" }],
  });
  try {
    const callsBefore = await authCalls(authPort);
    const started = performance.now();
    const samples: Sample[] = [];
    const done = await drive(o,
      async (i) => (await host.request({ path: "/", headers: { authorization: `Bearer ${token(i)}` } })).status,
      async (n) => {
        samples.push({
          done: n, seconds: (performance.now() - started) / 1000, entries: host.metric("meshgate_cache_entries") ?? Number.NaN,
          sharedKeys: host.sharedDataKeys(), rssMb: rssMb(process.pid), heapMb: process.memoryUsage().heapUsed / 2 ** 20,
        });
      });
    const seconds = (performance.now() - started) / 1000;
    report(`Envoy plane: ${done} distinct tokens in ${seconds.toFixed(0)} s (${Math.round(done / seconds)}/s), ` +
      `${(await authCalls(authPort)) - callsBefore} auth calls, ${ENVOY_WORKERS} worker VMs; host pid ${process.pid}`,
      samples, { entries: o.maxEntries * ENVOY_WORKERS, sharedKeys: o.maxEntries });
  } finally {
    await host.close();
  }
}

const options = parseOptions(process.argv.slice(2));
console.log(`bounds: ${options.tokens} distinct tokens per plane, cache.maxEntries ${options.maxEntries}, concurrency ${options.concurrency}, ` +
  `budget ${options.maxSeconds} s per plane; stand-in auth service answers active for any token`);
const standIn = await startStandIn();
try {
  for (const plane of options.planes) {
    if (plane === "kong") await kongPlane(options, standIn.authPort, standIn.upstreamPort);
    else await envoyPlane(options, standIn.authPort, standIn.upstreamPort);
  }
} finally {
  standIn.child.kill("SIGTERM");
}
