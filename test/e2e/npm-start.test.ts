// `npm start` itself: the built stack entry point as a process (ports from the environment, 0 = any free port),
// its banner, its request log, and that nothing it started survives it — a Ctrl-C (SIGINT), a SIGKILL of the main
// process (its children notice and stop), or a start that fails (a port in use, an unreadable or bad policy),
// which names the cause and the variable to change.
// Every process of a run is found by a marker in its environment, the plugin server the Kong host starts included;
// TMPDIR points at a directory of the run's own, which must be empty afterwards.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { processesMarked, waitUntil } from "./processes.js";
import { StackClient } from "./stack-client.js";

const root = join(import.meta.dirname, "../..");
const MARKER = "MESHGATE_NPM_START_TEST";
const STARTUP_MS = 120_000;
const client = new StackClient();
const runs: MainRun[] = [];

interface MainRun {
  process: ChildProcess;
  marker: string;
  tmp: string;
  output: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLine(match: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
}

function startMain(ports: Record<string, string> = {}): MainRun {
  const marker = randomUUID();
  const tmp = mkdtempSync(join(tmpdir(), "mg-npm-start-test-"));
  const child = spawn(process.execPath, [join(root, "build/dev/stack/main.mjs")], {
    env: { ...process.env, AUTH_PORT: "0", STABLE_PORT: "0", CANARY_PORT: "0", KONG_PORT: "0", ENVOY_PORT: "0", KONG_METRICS_PORT: "0", ENVOY_ADMIN_PORT: "0", ...ports, [MARKER]: marker, TMPDIR: tmp },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const waiters: Array<{ match: RegExp; resolve: (m: RegExpExecArray) => void }> = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on("line", (line) => {
      output.push(line);
      for (const w of [...waiters]) {
        const found = w.match.exec(line);
        if (found) { waiters.splice(waiters.indexOf(w), 1); w.resolve(found); }
      }
    });
  }
  const run: MainRun = {
    process: child,
    marker,
    tmp,
    output,
    exit: new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal }))),
    waitForLine(match, timeoutMs) {
      for (const line of output) {
        const found = match.exec(line);
        if (found) return Promise.resolve(found);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${match} within ${timeoutMs} ms; output:\n${output.join("\n")}`)), timeoutMs);
        waiters.push({ match, resolve: (m) => { clearTimeout(timer); resolve(m); } });
      });
    },
  };
  runs.push(run);
  return run;
}

function refusesConnections(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once("connect", () => { socket.destroy(); resolve(false); });
    socket.once("error", () => resolve(true));
  });
}

async function readyUrls(run: MainRun): Promise<{ kong: string; envoy: string; auth: string; stable: string; canary: string }> {
  const [, kong] = await run.waitForLine(/Kong-plane gateway\s+(http:\/\/127\.0\.0\.1:\d+)/, STARTUP_MS);
  const [, envoy] = await run.waitForLine(/Envoy-plane gateway\s+(http:\/\/127\.0\.0\.1:\d+)/, 1_000);
  const [, auth] = await run.waitForLine(/auth service\s+(http:\/\/127\.0\.0\.1:\d+)/, 1_000);
  const [, stable] = await run.waitForLine(/upstream stable\s+(http:\/\/127\.0\.0\.1:\d+)/, 1_000);
  const [, canary] = await run.waitForLine(/upstream canary\s+(http:\/\/127\.0\.0\.1:\d+)/, 1_000);
  return { kong: kong!, envoy: envoy!, auth: auth!, stable: stable!, canary: canary! };
}

/** The stack's processes: main, auth, stable, canary, the two gateways and the Kong plugin server. */
function expectWholeStack(run: MainRun): void {
  const processes = processesMarked(MARKER, run.marker);
  const scripts = processes.map((p) => p.cmdline.find((a) => !a.startsWith("-") && (/\.(mjs|cjs)$/.test(a) || a.includes("pluginserver"))) ?? p.cmdline.join(" "));
  expect(scripts.map((s) => s.replace(/^.*\/(build\/|kong-plugins\/)/, "$1")).sort()).toEqual([
    "build/dev/auth-service/main.mjs",
    "build/dev/hosts/envoy/main.mjs",
    "build/dev/hosts/kong/main.mjs",
    "build/dev/stack/main.mjs",
    "build/dev/upstream/main.mjs",
    "build/dev/upstream/main.mjs",
    "build/meshgate-pluginserver.cjs",
  ]);
}

async function expectNothingLeft(run: MainRun, urls: string[]): Promise<void> {
  await waitUntil(() => processesMarked(MARKER, run.marker).length === 0, 30_000,
    () => `still running: ${JSON.stringify(processesMarked(MARKER, run.marker))}`);
  for (const url of urls) expect(await refusesConnections(url), `${url} still accepts connections`).toBe(true);
  expect(leftInTmp(run), `left in TMPDIR`).toEqual([]);
}

/** What the run left in its TMPDIR, less v8-compile-cache's cache (kong-pdk loads it; one per user, kept on purpose). */
function leftInTmp(run: MainRun): string[] {
  return readdirSync(run.tmp).filter((name) => !/^v8-compile-cache-\d+$/.test(name));
}

afterEach(async () => {
  for (const run of runs.splice(0)) {
    if (run.process.exitCode === null && run.process.signalCode === null) {
      run.process.kill("SIGTERM");
      await run.exit;
    }
    await waitUntil(() => processesMarked(MARKER, run.marker).length === 0, 30_000, () => "stack processes outlived the test").catch(() => {
      for (const p of processesMarked(MARKER, run.marker)) process.kill(p.pid, "SIGKILL");
    });
    rmSync(run.tmp, { recursive: true, force: true });
  }
}, 60_000);

afterAll(async () => {
  await client.close();
});

describe("npm start (build/dev/stack/main.mjs)", () => {
  it("prints the URLs and curl examples, logs each request, and stops everything on Ctrl-C", async () => {
    const run = startMain();
    const urls = await readyUrls(run);
    const authPort = new URL(urls.auth).port;
    await run.waitForLine(new RegExp(`curl -s -X POST localhost:${authPort}/token -H 'content-type: application/json' -d '\\{"sub":"alice","groups":\\["testers"\\]\\}'`), 1_000);
    await run.waitForLine(/x-canary: always/, 1_000);
    expectWholeStack(run);

    const token = await client.token(urls.auth, "npm-start-user");
    expect((await client.get(urls.kong, "/from-npm-start", { authorization: `Bearer ${token}` })).status).toBe(200);
    expect((await client.get(urls.envoy, "/from-npm-start")).status).toBe(401);
    await run.waitForLine(/^GET \/from-npm-start 200 kong (stable|canary) \d+\.\dms$/, 5_000);
    await run.waitForLine(/^GET \/from-npm-start 401 envoy local \d+\.\dms$/, 5_000);
    // Both planes' decision logs in one form, and metrics on by default where the banner says.
    await run.waitForLine(/^decision \{"time":\d+,"plane":"envoy",.*"section":"auth","shadow":false,"outcome":"deny","reason":"token_missing"/, 5_000);
    await run.waitForLine(/^decision \{"time":\d+,"plane":"kong",.*"outcome":"allow","reason":"active"/, 20_000);
    const [, kongMetrics] = await run.waitForLine(/Kong plane\s+(http:\/\/127\.0\.0\.1:\d+\/metrics)/, 1_000);
    const [, envoyMetrics] = await run.waitForLine(/Envoy plane\s+(http:\/\/127\.0\.0\.1:\d+\/stats\/prometheus)/, 1_000);
    for (const url of [kongMetrics!, envoyMetrics!]) {
      const scraped = await fetch(url);
      expect(scraped.status, url).toBe(200);
      expect(await scraped.text(), url).toContain("# TYPE meshgate_cache_hit_total counter");
    }

    // The rate-limit demo as a user pastes it: the token lines, then one burst per plane; each shows 429s.
    const demo = run.output.filter((l) => /^ {2}(BOB=|curl .*--parallel)/.test(l)).map((l) => l.trim());
    expect(demo).toHaveLength(3);
    const shown = execFileSync("bash", ["-c", demo.join("\n")], { encoding: "utf8", timeout: 60_000 });
    const counts = shown.trim().split("\n").map((line) => /^\s*(\d+) (\d{3})\b/.exec(line)).map((m) => [Number(m![1]), m![2]] as const);
    expect(counts.filter(([, status]) => status === "429").length, shown).toBe(2);
    expect(counts.every(([, status]) => status === "200" || status === "429"), shown).toBe(true);
    expect(shown).toMatch(/429 retry-after: 1 {2}ratelimit-policy: "default";q=20;w=1/);

    // The routes demo of dev/policy.yaml as pasted: the admin route refuses alice (a tester, not an admin) with
    // 403; the reports route's shadowed limit (1 per 10 s) lets all three through and records the two refusals.
    const routeDemo = run.output.filter((l) => /^ {2}(ALICE=|curl -s -o \/dev\/null|for i in)/.test(l)).map((l) => l.trim());
    expect(routeDemo).toHaveLength(3);
    const routed = execFileSync("bash", ["-c", routeDemo.join("\n")], { encoding: "utf8", timeout: 60_000 });
    expect(routed.trim().split("\n")).toEqual(["403", "200", "200", "200"]);
    await run.waitForLine(/^decision \{"time":\d+,"plane":"kong",.*"route":"admin","section":"auth","shadow":false,"outcome":"deny","reason":"require_groups"/, 20_000);
    await run.waitForLine(/^decision \{"time":\d+,"plane":"kong",.*"route":"reports","section":"rateLimit","shadow":true,"outcome":"deny","reason":"rate_limited","would_status":429\}$/, 20_000);

    run.process.kill("SIGINT");
    expect(await run.exit).toEqual({ code: 0, signal: null });
    await expectNothingLeft(run, Object.values(urls));
  }, 180_000);

  it("leaves nothing behind when its main process is killed with SIGKILL: the children notice and stop", async () => {
    const run = startMain();
    const urls = await readyUrls(run);
    expectWholeStack(run);
    run.process.kill("SIGKILL");
    expect(await run.exit).toEqual({ code: null, signal: "SIGKILL" });
    await expectNothingLeft(run, Object.values(urls));
  }, 180_000);

  it("names MESHGATE_POLICY when the policy file cannot be read, exits 2, and starts nothing", async () => {
    const run = startMain({ MESHGATE_POLICY: "/nonexistent/meshgate-policy.yaml" });
    expect(await run.exit).toEqual({ code: 2, signal: null });
    expect(run.output.join("\n")).toMatch(/cannot read the policy file \/nonexistent\/meshgate-policy\.yaml: .*\(the policy file is set by MESHGATE_POLICY\)/);
    expect(processesMarked(MARKER, run.marker)).toEqual([]);
  }, 60_000);

  it("shows the gateways' refusal of a bad policy, names the file and MESHGATE_POLICY, and leaves nothing behind", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mg-npm-start-policy-"));
    try {
      const policy = join(dir, "bad.yaml");
      writeFileSync(policy, "rateLimit:\n  rate: -1\n");
      const run = startMain({ MESHGATE_POLICY: policy });
      expect(await run.exit).toEqual({ code: 1, signal: null });
      const text = run.output.join("\n");
      expect(text).toMatch(/rateLimit\.rate/);
      expect(text).toContain(`If those lines reject the policy: fix ${policy}, or point MESHGATE_POLICY at another policy file.`);
      await waitUntil(() => processesMarked(MARKER, run.marker).length === 0, 30_000, () => "stack processes outlived the failed start");
      expect(leftInTmp(run)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("names the port variable when a port is taken, exits 2, and starts nothing", async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const run = startMain({ KONG_PORT: String(port) });
      expect(await run.exit).toEqual({ code: 2, signal: null });
      expect(run.output.join("\n")).toContain(`port ${port} on 127.0.0.1 is already in use (KONG_PORT): stop what listens there, or start with KONG_PORT=<free port> (KONG_PORT=0 picks any free port)`);
      expect(processesMarked(MARKER, run.marker)).toEqual([]);
      expect(leftInTmp(run)).toEqual([]);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  }, 60_000);
});
