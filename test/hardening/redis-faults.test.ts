// Redis faults under the Kong plane's `redis` rate-limit policy, with a real redis-server: down when the gateway
// starts, and slow (the process paused with SIGSTOP). Killed mid-run is covered in test/kong/redis.test.ts.
// For each: faultTolerant → the local fallback decides (marked), not fault tolerant → 503; no request waits for a
// Redis that cannot answer (a paused one never does: every answer while it is paused came from the Redis timeout);
// and recovery without restarting anything.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEcho, type EchoServer } from "../hosts/kong/helpers.js";
import { eventually, headerValue, KongHosts } from "../kong/support.js";
import { freePort, redisAvailability, startRedis, type RedisProcess } from "../support/redis.js";

const availability = redisAvailability();
const FALLBACK_HEADER = "x-meshgate-limiter";
const REDIS_TIMEOUT_MS = 250;

describe.skipIf(!availability.available)(`Redis faults${availability.available ? "" : ` (skipped: ${availability.reason})`}`, () => {
  const hosts = new KongHosts();
  let upstream: EchoServer;
  let redis: RedisProcess | null = null;

  beforeAll(async () => {
    upstream = await startEcho("service");
  });
  afterEach(async () => {
    if (redis) redis.process.kill("SIGCONT");
    await hosts.stopAll();
    await redis?.stop();
    redis = null;
  });
  afterAll(async () => {
    await upstream?.close();
  });

  const policy = (port: number, faultTolerant: boolean): Record<string, unknown> => ({
    rateLimit: { key: "header:x-client", rate: 1000, periodSeconds: 1, burst: 100, policy: "redis", faultTolerant, redis: { port, timeoutMs: REDIS_TIMEOUT_MS } },
  });

  it("down when the gateway starts: fallback (marked) or 503; both recover once Redis is up", async () => {
    const port = await freePort();
    const [tolerant, strict] = await Promise.all([
      hosts.start(policy(port, true), upstream.url),
      hosts.start(policy(port, false), upstream.url),
    ]);
    for (let i = 0; i < 3; i++) {
      const t = await tolerant.request({ path: "/", headers: { "x-client": "t" } });
      expect(t.status).toBe(200);
      expect(headerValue(t.headers, FALLBACK_HEADER)).toBe("local-fallback");
      const s = await strict.request({ path: "/", headers: { "x-client": "s" } });
      expect(s.status).toBe(503);
      expect(JSON.parse(s.body)).toEqual({ error: "limiter_unavailable", message: "rate limiter unavailable" });
    }
    const seen = upstream.seen.length;

    redis = await startRedis(port);
    await eventually(async () => headerValue((await tolerant.request({ path: "/", headers: { "x-client": "t" } })).headers, FALLBACK_HEADER) === undefined,
      15_000, "the tolerant gateway to use Redis");
    await eventually(async () => (await strict.request({ path: "/", headers: { "x-client": "s" } })).status === 200,
      15_000, "the strict gateway to answer 200");
    expect(upstream.seen.length).toBeGreaterThan(seen);
  });

  it("slow (paused with SIGSTOP): every request answers within the timeout; SIGCONT brings shared limits back", async () => {
    redis = await startRedis();
    const [tolerant, strict] = await Promise.all([
      hosts.start(policy(redis.port, true), upstream.url),
      hosts.start(policy(redis.port, false), upstream.url),
    ]);
    expect(headerValue((await tolerant.request({ path: "/", headers: { "x-client": "t" } })).headers, FALLBACK_HEADER)).toBeUndefined();
    expect((await strict.request({ path: "/", headers: { "x-client": "s" } })).status).toBe(200);

    redis.process.kill("SIGSTOP");
    // Redis stays paused until all six have answered: none of them can have waited for it.
    const during = await Promise.all(Array.from({ length: 6 }, (_, i) =>
      (i % 2 === 0 ? tolerant : strict).request({ path: `/paused/${i}`, headers: { "x-client": i % 2 === 0 ? "t" : "s" } })));
    for (const [i, r] of during.entries()) {
      if (i % 2 === 0) {
        expect(r.status).toBe(200);
        expect(headerValue(r.headers, FALLBACK_HEADER)).toBe("local-fallback");
      } else {
        expect(r.status).toBe(503);
      }
    }

    redis.process.kill("SIGCONT");
    await eventually(async () => headerValue((await tolerant.request({ path: "/", headers: { "x-client": "t" } })).headers, FALLBACK_HEADER) === undefined,
      15_000, "the tolerant gateway to use Redis again");
    await eventually(async () => (await strict.request({ path: "/", headers: { "x-client": "s" } })).status === 200,
      15_000, "the strict gateway to answer 200 again");
  });
});
