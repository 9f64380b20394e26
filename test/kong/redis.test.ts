// The `redis` rate-limit policy against a real redis-server: the Lua script is the core's GCRA, several
// Kong-plane gateways share one exact limit, and a Redis outage degrades the way the policy says.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KongHost } from "../../dev/hosts/kong/gateway.js";
import { GCRA_SCRIPT } from "../../kong-plugins/src/gcra-script";
import { gcraParams, gcraStep, gcraStepAll, gcraWindows } from "../../shared/src/gcra";
import { LimitWindow, RateLimitPolicy } from "../../shared/src/policy";
import { verdictFromReply } from "../../kong-plugins/src/limiter";
import { startEcho, type EchoServer } from "../hosts/kong/helpers.js";
import { redisAvailability, startRedis, type RedisProcess } from "../support/redis.js";
import { KongHosts, eventually, headerValue, type Doc } from "./support.js";

const availability = redisAvailability();
const FALLBACK_HEADER = "x-meshgate-limiter";

interface Outcome {
  allowed: boolean;
  tatUs: number;
  remaining: number;
  resetUs: number;
  retryAfterUs: number;
}

interface SequenceVector {
  name: string;
  kind: string;
  input: { rate: number; periodSeconds: number; burst: number; tatUs?: number; requestsAtMs: number[] };
  expected: { results: Outcome[] };
}

const vectors = (JSON.parse(readFileSync(join(import.meta.dirname, "../../shared/vectors/limits.json"), "utf8")) as SequenceVector[])
  .filter((v) => v.kind === "gcra.sequence");

interface WindowsVector {
  name: string;
  kind: string;
  input: { windows: { rate: number; periodSeconds: number; burst?: number }[]; tats?: number[]; requestsAtMs: number[] };
  expected: { results: { allowed: boolean; binding: number; tats: number[]; windows: { allowed: boolean; remaining: number; resetUs: number; retryAfterUs: number }[] }[] };
}

const windowVectors = (JSON.parse(readFileSync(join(import.meta.dirname, "../../shared/vectors/limits.json"), "utf8")) as WindowsVector[])
  .filter((v) => v.kind === "gcra.windows");

function windowParams(windows: { rate: number; periodSeconds: number; burst?: number }[]) {
  const policy = new RateLimitPolicy();
  for (const w of windows) {
    const window = new LimitWindow();
    window.rate = w.rate;
    window.periodSeconds = w.periodSeconds;
    window.burst = w.burst ?? 0;
    policy.limits.push(window);
  }
  return gcraWindows(policy);
}

function params(rate: number, periodSeconds: number, burst: number): { emissionUs: number; toleranceUs: number } {
  const policy = new RateLimitPolicy();
  policy.rate = rate;
  policy.periodSeconds = periodSeconds;
  policy.burst = burst;
  return gcraParams(policy);
}

describe.skipIf(!availability.available)(`redis policy${availability.available ? "" : ` (skipped: ${availability.reason})`}`, () => {
  let redisServer: RedisProcess;
  let client: Redis;
  let upstream: EchoServer;
  const hosts = new KongHosts();

  beforeAll(async () => {
    redisServer = await startRedis();
    client = new Redis({ port: redisServer.port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
    client.on("error", () => undefined); // the outage test stops this server too
    await client.connect();
    upstream = await startEcho("service");
  });

  afterAll(async () => {
    await hosts.stopAll();
    client?.disconnect();
    await Promise.all([redisServer?.stop(), upstream?.close()]);
  });

  async function runScript(key: string, emissionUs: number, toleranceUs: number, nowMs: number): Promise<Outcome> {
    const nowUs = Math.floor(nowMs * 1000); // the core's conversion; in production the script reads Redis TIME in µs
    const reply = (await client.eval(GCRA_SCRIPT, 1, key, String(emissionUs), String(toleranceUs), String(nowUs))) as number[];
    return { allowed: reply[0] === 1, tatUs: reply[1]!, remaining: reply[2]!, resetUs: reply[3]!, retryAfterUs: reply[4]! };
  }

  describe("the Lua script", () => {
    it(`matches every gcra.sequence vector of shared/vectors/limits.json (${vectors.length}) through EVAL`, async () => {
      expect(vectors.length).toBeGreaterThan(40);
      for (const [index, vector] of vectors.entries()) {
        const key = `vector:${index}`;
        const { rate, periodSeconds, burst, tatUs, requestsAtMs } = vector.input;
        if (tatUs !== undefined) await client.set(key, String(tatUs));
        const { emissionUs, toleranceUs } = params(rate, periodSeconds, burst);
        const results: Outcome[] = [];
        for (const at of requestsAtMs) results.push(await runScript(key, emissionUs, toleranceUs, at));
        expect(results, vector.name).toEqual(vector.expected.results);
      }
    });

    it("agrees with the core's gcraStep on generated sequences (epoch-scale clocks, clocks going backwards)", async () => {
      let run = 0;
      await fc.assert(fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 86_400 }), fc.integer({ min: 0, max: 1000 }),
        // Epoch-scale request times in ms with µs fractions: bursts at nearly the same instant, and jumps both ways.
        fc.array(fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 100_000_000 })).map((us) => 1_700_000_000_000 + us / 1000),
          { minLength: 1, maxLength: 12 }),
        async (rate, period, burst, times) => {
          const key = `generated:${run++}`;
          const p = params(rate, period, burst);
          let tat = 0;
          for (const at of times) {
            const core = gcraStep(p, tat, at);
            const script = await runScript(key, p.emissionUs, p.toleranceUs, at);
            expect(script).toEqual({ allowed: core.allowed, tatUs: core.newTatUs, remaining: core.remaining, resetUs: core.resetUs, retryAfterUs: core.retryAfterUs });
            tat = core.newTatUs;
          }
        }), { numRuns: 150 });
    });

    async function runWindows(key: string, windows: ReturnType<typeof windowParams>, nowMs: number) {
      const more = windows.slice(1).flatMap((w) => [String(w.emissionUs), String(w.toleranceUs)]);
      const reply = (await client.eval(GCRA_SCRIPT, 1, key, String(windows[0]!.emissionUs), String(windows[0]!.toleranceUs),
        String(Math.floor(nowMs * 1000)), ...more)) as number[];
      return verdictFromReply(reply, windows.length);
    }

    it(`matches every gcra.windows vector (${windowVectors.length}): several windows consumed together or not at all`, async () => {
      expect(windowVectors.length).toBeGreaterThanOrEqual(5);
      for (const [index, vector] of windowVectors.entries()) {
        const key = `windows:${index}`;
        const windows = windowParams(vector.input.windows);
        if (vector.input.tats?.length) await client.set(key, vector.input.tats.join(","));
        for (const [step, at] of vector.input.requestsAtMs.entries()) {
          const verdict = await runWindows(key, windows, at);
          const want = vector.expected.results[step]!;
          expect({
            allowed: verdict.allowed, binding: verdict.binding,
            windows: verdict.windows.map((w) => ({ allowed: w.allowed, remaining: w.remaining, resetUs: w.resetUs, retryAfterUs: w.retryAfterUs })),
          }, `${vector.name} #${step}`).toEqual({ allowed: want.allowed, binding: want.binding, windows: want.windows });
          // A TAT not stored (the key never allowed a request, or was seeded with fewer) is no state: 0.
          const stored = ((await client.get(key)) ?? "").split(",").filter((t) => t.length > 0).map(Number);
          expect(stored.length).toBeLessThanOrEqual(want.tats.length);
          expect(want.tats.map((_, i) => stored[i] ?? 0), `${vector.name} #${step} stored`).toEqual(want.tats);
        }
      }
    });

    it("agrees with the core's gcraStepAll on generated multi-window sequences", async () => {
      let run = 0;
      const window = fc.record({ rate: fc.integer({ min: 1, max: 1000 }), periodSeconds: fc.constantFrom(1, 60, 3600, 86_400, 7), burst: fc.integer({ min: 0, max: 20 }) });
      await fc.assert(fc.asyncProperty(
        fc.array(window, { minLength: 1, maxLength: 4 }),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 100_000_000 })).map((us) => 1_700_000_000_000 + us / 1000),
          { minLength: 1, maxLength: 12 }),
        async (shape, times) => {
          const key = `generated-windows:${run++}`;
          const windows = windowParams(shape);
          let tats: number[] = [];
          for (const at of times) {
            const core = gcraStepAll(windows, tats, at);
            const script = await runWindows(key, windows, at);
            expect(script.allowed).toBe(core.allowed);
            expect(script.binding).toBe(core.binding);
            expect(script.windows.map((w) => [w.allowed, w.remaining, w.resetUs, w.retryAfterUs]))
              .toEqual(core.windows.map((w) => [w.allowed, w.remaining, w.resetUs, w.retryAfterUs]));
            tats = core.tatsToStore(tats);
          }
        }), { numRuns: 100 });
    });

    it("on the Redis clock, keeps a key exactly until its bucket is full again", async () => {
      const { emissionUs, toleranceUs } = params(1, 10, 0); // one per 10 s
      // Bracket the script between two readings of Redis's own clock: the key must expire exactly 10 s after the
      // script ran, whatever time passes between the commands on a busy machine.
      const before = await redisNowMs();
      const reply = (await client.eval(GCRA_SCRIPT, 1, "expiry", String(emissionUs), String(toleranceUs), "")) as number[];
      const after = await redisNowMs();
      expect(reply[0]).toBe(1);
      expect(reply[3]).toBe(10_000_000);
      const expiresAt = Number(await client.call("PEXPIRETIME", "expiry"));
      expect(expiresAt).toBeGreaterThanOrEqual(Math.floor(before) + 10_000);
      expect(expiresAt).toBeLessThanOrEqual(Math.ceil(after) + 10_000 + 1);
      expect(((await client.eval(GCRA_SCRIPT, 1, "expiry", String(emissionUs), String(toleranceUs), "")) as number[])[0]).toBe(0);
    });
  });

  async function redisNowMs(): Promise<number> {
    const [seconds, micros] = (await client.time()) as [number | string, number | string];
    return Number(seconds) * 1000 + Number(micros) / 1000;
  }

  function redisPolicy(extra: Doc = {}): Doc {
    // No auth section: auth is off, the limit counts a client header. A generous command timeout keeps a
    // busy test machine from turning a slow answer into a fallback.
    return { rateLimit: { key: "header:x-client", policy: "redis", redis: { port: redisServer.port, timeoutMs: 1000 }, ...extra } };
  }

  it("several windows on Redis: three gateways allow exactly the tighter window of a concurrent burst, RateLimit names it", async () => {
    const limits = [{ rate: 50, periodSeconds: 1, burst: 49 }, { rate: 8, periodSeconds: 3600, burst: 7 }];
    const gateways = await Promise.all([0, 1, 2].map(() => hosts.start(redisPolicy({ limits }), upstream.url)));
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) =>
      gateways[i % 3]!.request({ path: `/windows/${i}`, headers: { "x-client": "windows-client" } })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(8);
    const refused = results.filter((r) => r.status === 429);
    expect(refused).toHaveLength(16);
    expect(headerValue(refused[0]!.headers, "ratelimit-policy")).toBe("\"default-second\";q=50;w=1, \"default-hour\";q=8;w=3600");
    expect(headerValue(refused[0]!.headers, "ratelimit")).toMatch(/^"default-hour";r=0;t=\d+$/);
    // Both windows live in one key: the refused requests consumed from neither.
    const stored = (await client.get(`meshgate:rl:h:x-client:windows-client`))!.split(",");
    expect(stored).toHaveLength(2);
  });

  it("three gateways sharing one Redis allow exactly the limit of a concurrent burst (30 requests, limit 10)", async () => {
    const gateways = await Promise.all([0, 1, 2].map(() => hosts.start(redisPolicy({ rate: 10, periodSeconds: 3600, burst: 9 }), upstream.url)));
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) =>
      gateways[i % 3]!.request({ path: `/burst/${i}`, headers: { "x-client": "shared-client" } })));
    const allowed = results.filter((r) => r.status === 200);
    expect(allowed).toHaveLength(10);
    expect(results.filter((r) => r.status === 429)).toHaveLength(20);
    expect(allowed.every((r) => headerValue(r.headers, FALLBACK_HEADER) === undefined)).toBe(true);
    // One atomic script per request: each "remaining" value from 9 down to 0 was handed out exactly once.
    const remaining = allowed.map((r) => Number(/;r=(\d+);/.exec(headerValue(r.headers, "ratelimit") ?? "")?.[1])).sort((a, b) => a - b);
    expect(remaining).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Every gateway served its share from the same bucket: a different client has its own.
    expect((await gateways[0]!.request({ path: "/", headers: { "x-client": "other-client" } })).status).toBe(200);
    await Promise.all(gateways.map((g) => g.close()));
  });

  describe("Redis killed mid-test and brought back", () => {
    let tolerant: KongHost;
    let strict: KongHost;
    let shadowed: KongHost;

    it("fault tolerant: falls back to the local limiter, marks the responses, logs once; recovers when Redis is back", async () => {
      [tolerant, strict, shadowed] = await Promise.all([
        hosts.start(redisPolicy({ rate: 1000, faultTolerant: true }), upstream.url),
        hosts.start(redisPolicy({ rate: 1000, faultTolerant: false }), upstream.url),
        hosts.start(redisPolicy({ rate: 1000, faultTolerant: true, shadow: true }), upstream.url),
      ]);
      const before = await tolerant.request({ path: "/", headers: { "x-client": "t" } });
      expect(before.status).toBe(200);
      expect(headerValue(before.headers, FALLBACK_HEADER)).toBeUndefined();
      expect((await strict.request({ path: "/", headers: { "x-client": "s" } })).status).toBe(200);

      await redisServer.stop();
      const during = [];
      for (let i = 0; i < 20; i++) during.push(await tolerant.request({ path: `/down/${i}`, headers: { "x-client": "t" } }));
      expect(during.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(during.every((r) => headerValue(r.headers, FALLBACK_HEADER) === "local-fallback")).toBe(true);
      // A shadowed limit falls back the same way but leaves the response alone: no marker.
      for (let i = 0; i < 2; i++) {
        const shadowedDuring = await shadowed.request({ path: "/down/shadow", headers: { "x-client": "sh" } });
        expect(shadowedDuring.status).toBe(200);
        expect(headerValue(shadowedDuring.headers, FALLBACK_HEADER)).toBeUndefined();
      }
      // It did fall back: the outage line (queued by the first request, written by the second) says so.
      expect(shadowed.logs().some((l) => l.message.includes("meshgate: redis") && l.message.includes("unavailable"))).toBe(true);
      // The local fallback still limits: a limit of 2 counts locally while Redis is away.
      tolerant.setConfig(redisPolicy({ rate: 2, periodSeconds: 3600, burst: 1, faultTolerant: true }));
      const local = [];
      for (let i = 0; i < 3; i++) local.push((await tolerant.request({ path: "/", headers: { "x-client": "t2" } })).status);
      expect(local).toEqual([200, 200, 429]);

      // not fault tolerant: 503, and nothing reaches the upstream
      const seenBefore = upstream.seen.length;
      const refused = await strict.request({ path: "/strict", headers: { "x-client": "s" } });
      expect(refused.status).toBe(503);
      expect(JSON.parse(refused.body)).toEqual({ error: "limiter_unavailable", message: "rate limiter unavailable" });
      expect(upstream.seen.length).toBe(seenBefore);

      redisServer = await startRedis(redisServer.port);
      await eventually(async () => headerValue((await tolerant.request({ path: "/", headers: { "x-client": "t3" } })).headers, FALLBACK_HEADER) === undefined,
        15_000, "the tolerant gateway to use Redis again");
      await eventually(async () => (await strict.request({ path: "/", headers: { "x-client": "s" } })).status === 200,
        15_000, "the strict gateway to answer 200 again");

      // Logged once per outage interval (default 60 s) however many requests fell back, and once on recovery;
      // the recovery line is written after every outage line, so all of them have arrived by then.
      await tolerant.waitForLog((l) => l.message.includes("is available again"), 5_000);
      const outageLines = tolerant.logs().filter((l) => l.message.includes("meshgate: redis") && l.message.includes("unavailable"));
      expect(outageLines).toHaveLength(1);
      // Through kong.log.warn, so Kong's default log_level (notice) shows it; the plugin server's output would not.
      expect(outageLines[0]).toMatchObject({ source: "plugin", level: "warn" });
      expect(outageLines[0]!.message).toContain(`127.0.0.1:${redisServer.port}/0 unavailable`);
    });
  });
});
