// Measures the memory kong-pdk leaks per kong.response.exit, through the real plugin server driven like
// Kong: N requests that a one-line plugin rejects with 401, against plain `kong-js-pluginserver` and against
// meshgate's start command. RSS of the plugin-server process is read from /proc/<pid>/status (VmRSS) after
// a forced GC, which a preloaded script runs on SIGUSR2 (the server gets `--expose-gc --require` through
// NODE_OPTIONS, so no RPC and no plugin code is involved).
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KongHost } from "./gateway.js";
import { defaultStartCmd, plainStartCmd } from "./repo-paths.js";

const REJECTING_PLUGIN = `'use strict'
class Plugin {
  async access(kong) {
    return kong.response.exit(401, { message: 'Unauthorized' }, { 'WWW-Authenticate': 'Bearer' })
  }
}
module.exports = { Plugin, Schema: [], Version: '1.0.0', Priority: 1000 }
`;

const GC_ON_SIGNAL = `'use strict'
let seq = 0
process.on('SIGUSR2', () => {
  if (typeof global.gc === 'function') { global.gc(); global.gc() }
  seq += 1
  const m = process.memoryUsage()
  process.stdout.write('[meshgate-gc] seq=' + seq + ' rss=' + m.rss + ' heapUsed=' + m.heapUsed + '\\n')
})
`;

export interface LeakMeasurement {
  variant: string;
  requests: number;
  rssGrowthBytes: number;
  heapGrowthBytes: number;
  seconds: number;
}

export interface LeakBenchOptions {
  requests: number;
  warmup: number;
  concurrency: number;
}

function vmRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

async function settle(host: KongHost, seq: number): Promise<{ rss: number; heapUsed: number }> {
  process.kill(host.serverPid(), "SIGUSR2");
  const line = await host.waitForLog((l) => l.message.includes(`[meshgate-gc] seq=${seq} `), 30_000);
  const heap = /heapUsed=(\d+)/.exec(line.message);
  return { rss: vmRssBytes(host.serverPid()), heapUsed: Number(heap?.[1] ?? 0) };
}

async function drive(host: KongHost, count: number, concurrency: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next += 1;
      const res = await host.request({ path: "/", headers: { authorization: "Bearer nope" } });
      if (res.status !== 401) throw new Error(`expected 401 from the rejecting plugin, got ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export async function measureExitLeak(variant: string, startCmd: string[], o: LeakBenchOptions): Promise<LeakMeasurement> {
  const dir = mkdtempSync(join(tmpdir(), "mg-exit-leak-"));
  try {
    writeFileSync(join(dir, "package.json"), '{ "type": "commonjs" }\n');
    mkdirSync(join(dir, "plugin"));
    writeFileSync(join(dir, "plugin", "reject401.js"), REJECTING_PLUGIN);
    const preload = join(dir, "gc-on-signal.cjs");
    writeFileSync(preload, GC_ON_SIGNAL);
    const host = await KongHost.start({
      pluginsDir: join(dir, "plugin"),
      config: {},
      serviceUrl: "http://127.0.0.1:9",
      startCmd,
      serverEnv: { NODE_OPTIONS: `--expose-gc --require ${preload}` },
      logLevel: "info", // the GC preload reports on the plugin server's output, which Kong logs at info
    });
    try {
      await drive(host, o.warmup, o.concurrency);
      const before = await settle(host, 1);
      const started = process.hrtime.bigint();
      await drive(host, o.requests, o.concurrency);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const after = await settle(host, 2);
      return { variant, requests: o.requests, rssGrowthBytes: after.rss - before.rss, heapGrowthBytes: after.heapUsed - before.heapUsed, seconds };
    } finally {
      await host.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const MB = 1024 * 1024;

export function formatMb(bytes: number): string {
  return `${bytes >= 0 ? "+" : ""}${(bytes / MB).toFixed(1)} MB`;
}

export async function runExitLeakBench(o: LeakBenchOptions): Promise<{ plain: LeakMeasurement; wrapped: LeakMeasurement }> {
  const plain = await measureExitLeak("plain kong-js-pluginserver", plainStartCmd(), o);
  const wrapped = await measureExitLeak("meshgate-pluginserver", defaultStartCmd(), o);
  return { plain, wrapped };
}
