// `npm start` itself: the built stack entry point as a process (ports from the environment, here all 0), its
// banner, its request log, and a clean stop on Ctrl-C (SIGINT) that leaves nothing listening.
import { spawn, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StackClient } from "./stack-client.js";

const root = join(import.meta.dirname, "../..");
const client = new StackClient();
let stackProcess: ChildProcess;
let exitCode: Promise<number | null>;
const output: string[] = [];
const waiters: Array<{ match: RegExp; resolve: (m: RegExpExecArray) => void }> = [];

function waitForLine(match: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  for (const line of output) {
    const found = match.exec(line);
    if (found) return Promise.resolve(found);
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no line matching ${match} within ${timeoutMs} ms; output:\n${output.join("\n")}`)), timeoutMs);
    waiters.push({ match, resolve: (m) => { clearTimeout(timer); resolve(m); } });
  });
}

function refusesConnections(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once("connect", () => { socket.destroy(); resolve(false); });
    socket.once("error", () => resolve(true));
  });
}

beforeAll(() => {
  stackProcess = spawn(process.execPath, [join(root, "build/dev/stack/main.mjs")], {
    env: { ...process.env, AUTH_PORT: "0", STABLE_PORT: "0", CANARY_PORT: "0", KONG_PORT: "0", ENVOY_PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  exitCode = new Promise((resolve) => stackProcess.once("exit", (code) => resolve(code)));
  for (const stream of [stackProcess.stdout!, stackProcess.stderr!]) {
    createInterface({ input: stream }).on("line", (line) => {
      output.push(line);
      for (const w of [...waiters]) {
        const found = w.match.exec(line);
        if (found) { waiters.splice(waiters.indexOf(w), 1); w.resolve(found); }
      }
    });
  }
});

afterAll(async () => {
  if (stackProcess.exitCode === null && stackProcess.signalCode === null) {
    stackProcess.kill("SIGTERM");
    await exitCode;
  }
  await client.close();
}, 30_000);

describe("npm start (build/dev/stack/main.mjs)", () => {
  it("prints the URLs and curl examples, logs each request, and stops everything on Ctrl-C", async () => {
    const [, kongUrl] = await waitForLine(/Kong-plane gateway\s+(http:\/\/127\.0\.0\.1:\d+)/, 120_000);
    const [, envoyUrl] = await waitForLine(/Envoy-plane gateway\s+(http:\/\/127\.0\.0\.1:\d+)/, 1_000);
    const [, authUrl] = await waitForLine(/auth service\s+(http:\/\/127\.0\.0\.1:\d+)/, 1_000);
    const authPort = new URL(authUrl!).port;
    await waitForLine(new RegExp(`curl -s -X POST localhost:${authPort}/token -H 'content-type: application/json' -d '\\{"sub":"alice","groups":\\["testers"\\]\\}'`), 1_000);
    await waitForLine(/x-canary: always/, 1_000);

    const token = await client.token(authUrl!, "npm-start-user");
    expect((await client.get(kongUrl!, "/from-npm-start", { authorization: `Bearer ${token}` })).status).toBe(200);
    expect((await client.get(envoyUrl!, "/from-npm-start")).status).toBe(401);
    await waitForLine(/^GET \/from-npm-start 200 kong (stable|canary) \d+\.\dms$/, 5_000);
    await waitForLine(/^GET \/from-npm-start 401 envoy local \d+\.\dms$/, 5_000);

    stackProcess.kill("SIGINT");
    expect(await exitCode).toBe(0);
    for (const url of [kongUrl!, envoyUrl!, authUrl!]) expect(await refusesConnections(url), `${url} still accepts connections`).toBe(true);
  }, 180_000);
});
