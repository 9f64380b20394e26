// The Kong plane's circuit breaker toward the auth service: its state machine on a test clock, its settings from
// the plugin server's environment, and its behaviour through the Kong dev host and the real plugin server —
// fast failures once open, stale allows still served, one probe when half-open, recovery when the service is back.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  breakerSettingsFromEnv, CircuitBreaker, DEFAULT_BREAKER_SETTINGS, isAuthServiceFailure,
  type BreakerSettings, type BreakerTransition,
} from "../../kong-plugins/src/circuit-breaker";
import { bearer, policyFor, startBackends, type Backends } from "../planes/support.js";
import { freePort } from "../support/redis.js";
import { KongHosts } from "../kong/support.js";
import { PluginServerClock } from "../../dev/hosts/kong/plugin-clock.js";

describe("the breaker's state machine (test clock)", () => {
  const settings: BreakerSettings = { consecutiveFailures: 3, failureRatio: 0.5, minimumCalls: 6, windowMs: 1000, openMs: 500 };

  function breaker(s: BreakerSettings = settings): { b: CircuitBreaker; transitions: string[] } {
    const transitions: string[] = [];
    const b = new CircuitBreaker("http://auth:8080", s, (t: BreakerTransition) => transitions.push(`${t.from}>${t.to}`));
    return { b, transitions };
  }

  it("opens after N consecutive failures; a success in between starts the count again", () => {
    const { b, transitions } = breaker();
    for (const failed of [true, true, false, true, true]) b.record(b.acquire(0), failed, 0, "timeout");
    expect(b.state).toBe("closed");
    b.record(b.acquire(1), true, 1, "timeout");
    expect(b.state).toBe("open");
    expect(transitions).toEqual(["closed>open"]);
    expect(b.acquire(2)).toBe("rejected");
  });

  it("opens on the failure ratio over the window once it holds the minimum number of calls, and forgets old calls", () => {
    const ratioOnly = { ...settings, consecutiveFailures: 0 };
    const { b } = breaker(ratioOnly);
    for (let i = 0; i < 5; i++) b.record(b.acquire(i), i % 2 === 0, i, "status 503"); // 3 of 5 failed: below minimum
    expect(b.state).toBe("closed");
    // Calls older than the window no longer count: 5 more calls, 2 failing, 2000 ms later → 2 of 5.
    for (let i = 0; i < 5; i++) b.record(b.acquire(2000 + i), i < 2, 2000 + i, "status 503");
    expect(b.state).toBe("closed");
    b.record(b.acquire(2010), true, 2010, "status 503"); // 3 of 6 = 0.5
    expect(b.state).toBe("open");
  });

  it("half-open after the cool-down: exactly one probe; others are rejected until it answers; success closes", () => {
    const { b, transitions } = breaker();
    for (let i = 0; i < 3; i++) b.record(b.acquire(0), true, 0, "connect");
    expect(b.acquire(499)).toBe("rejected");
    expect(b.acquire(500)).toBe("probe");
    expect(b.state).toBe("half_open");
    expect(b.acquire(501)).toBe("rejected");
    expect(b.acquire(900)).toBe("rejected");
    b.record("probe", false, 950, "status 200");
    expect(b.state).toBe("closed");
    expect(b.acquire(951)).toBe("call");
    expect(transitions).toEqual(["closed>open", "open>half_open", "half_open>closed"]);
  });

  it("a failed probe re-opens for a whole cool-down from the failure", () => {
    const { b, transitions } = breaker();
    for (let i = 0; i < 3; i++) b.record(b.acquire(0), true, 0, "connect");
    expect(b.acquire(600)).toBe("probe");
    b.record("probe", true, 700, "timeout");
    expect(b.state).toBe("open");
    expect(b.acquire(1199)).toBe("rejected");
    expect(b.acquire(1200)).toBe("probe");
    expect(transitions).toEqual(["closed>open", "open>half_open", "half_open>open", "open>half_open"]);
  });

  it("late answers of calls started before it opened change nothing", () => {
    const { b } = breaker();
    const early = b.acquire(0);
    for (let i = 0; i < 3; i++) b.record(b.acquire(0), true, 0, "reset");
    b.record(early, false, 10, "status 200");
    expect(b.state).toBe("open");
  });

  it("with both rules off it never opens", () => {
    const { b } = breaker({ ...settings, consecutiveFailures: 0, failureRatio: 0 });
    for (let i = 0; i < 100; i++) b.record(b.acquire(i), true, i, "timeout");
    expect(b.state).toBe("closed");
  });

  it("counts transport failures, 5xx and 429 against the service; answers, 4xx, bad URLs and its own rejections not", () => {
    expect(isAuthServiceFailure({ kind: "failure", failure: "timeout" })).toBe(true);
    expect(isAuthServiceFailure({ kind: "failure", failure: "too_large" })).toBe(true);
    expect(isAuthServiceFailure({ kind: "response", status: 502 })).toBe(true);
    expect(isAuthServiceFailure({ kind: "response", status: 429 })).toBe(true);
    expect(isAuthServiceFailure({ kind: "response", status: 200 })).toBe(false);
    expect(isAuthServiceFailure({ kind: "response", status: 401 })).toBe(false);
    expect(isAuthServiceFailure({ kind: "failure", failure: "bad_url" })).toBe(false);
    expect(isAuthServiceFailure({ kind: "failure", failure: "breaker_open" })).toBe(false);
  });

  it("settings come from MESHGATE_BREAKER_*; a bad value is logged by name and replaced by its default", () => {
    const lines: string[] = [];
    const parsed = breakerSettingsFromEnv({
      MESHGATE_BREAKER_FAILURES: "7", MESHGATE_BREAKER_FAILURE_RATIO: "1.5", MESHGATE_BREAKER_MIN_CALLS: "x",
      MESHGATE_BREAKER_WINDOW_MS: "30000", MESHGATE_BREAKER_OPEN_MS: "",
    }, (line) => lines.push(line));
    expect(parsed).toEqual({ ...DEFAULT_BREAKER_SETTINGS, consecutiveFailures: 7, windowMs: 30000 });
    expect(lines).toEqual([
      'meshgate: MESHGATE_BREAKER_FAILURE_RATIO must be a number 0..1 (0 = off), got "1.5"; using 0.5',
      'meshgate: MESHGATE_BREAKER_MIN_CALLS must be an integer 1..1000000, got "x"; using 20',
    ]);
  });
});

describe("the breaker through the Kong plane (the plugin's clock moved by the test)", () => {
  const TIMEOUT_MS = 250;
  const OPEN_MS = 600;
  const hosts = new KongHosts();
  let backends: Backends;
  let metricsUrl: string;
  let clock: PluginServerClock;

  beforeAll(async () => {
    backends = await startBackends();
  });
  afterEach(async () => {
    await hosts.stopAll();
    clock?.dispose();
    backends.auth.clearFaults();
    backends.auth.resetStats();
  });
  afterAll(async () => {
    await backends?.close();
  });

  async function gateway(): Promise<Awaited<ReturnType<KongHosts["start"]>>> {
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    clock = new PluginServerClock();
    return hosts.start(policyFor(backends, {
      auth: { timeoutMs: TIMEOUT_MS, cache: { ttlSeconds: 0.001, staleIfErrorSeconds: 60 } },
    }), backends.stableUrl, {
      clock,
      serverEnv: { MESHGATE_BREAKER_FAILURES: "5", MESHGATE_BREAKER_OPEN_MS: String(OPEN_MS), MESHGATE_METRICS_PORT: String(port) },
      logLevel: "info", // decision logs are the plugin server's output, which Kong logs at info
    });
  }

  async function metric(name: string): Promise<number> {
    const text = await (await fetch(metricsUrl)).text();
    const line = text.split("\n").find((l) => l.startsWith(`${name} `));
    return Number(line?.split(" ")[1]);
  }

  it("after 5 timeouts requests fail at once without an auth call, cached allows are still served, and a probe closes it", async () => {
    const host = await gateway();
    const cached = await backends.token("cached-carl");
    expect((await host.request({ path: "/", headers: bearer(cached) })).status).toBe(200);
    clock.advance(10); // the cached allow is past its 1 ms TTL: stale, usable only while the service fails

    backends.auth.setFaults({ delayMs: TIMEOUT_MS * 8 });
    for (let i = 0; i < 5; i++) {
      const callsBefore = backends.auth.stats().introspect;
      const slow = await host.request({ path: "/", headers: bearer(`slow-token-${i}`) });
      expect(slow.status).toBe(503);
      expect(backends.auth.stats().introspect).toBe(callsBefore + 1); // this one called, and timed out
    }
    const opened = await host.waitForLog((l) => l.message.includes("circuit breaker closed -> open: 5 consecutive failures (last: timeout)"));
    expect(opened).toMatchObject({ source: "plugin", level: "warn" }); // kong.log.warn: seen at Kong's default log_level
    // Decision logs arrive on the plugin server's output, asynchronously to the replies: wait for all five.
    const timeoutsLogged = () => host.logs().filter((l) => l.message.includes('"reason":"auth_timeout"')).length;
    await vi.waitFor(() => expect(timeoutsLogged()).toBe(5), { timeout: 20_000 });
    const callsWhenOpened = backends.auth.stats().introspect;

    for (let i = 0; i < 10; i++) {
      const r = await host.request({ path: "/", headers: bearer(`fast-token-${i}`) });
      expect(r.status).toBe(503);
      expect(JSON.parse(r.body)).toEqual({ error: "auth_unavailable", message: "authentication service unavailable" });
    }
    // The decision log names why (log.decisions defaults to "errors"): the breaker, not a timeout.
    await host.waitForLog((l) => l.message.includes('"outcome":"error","reason":"auth_breaker_open","status":503'));
    const stale = await host.request({ path: "/", headers: bearer(cached) });
    expect(stale.status).toBe(200);
    expect(backends.auth.stats().introspect).toBe(callsWhenOpened); // no call while open
    expect(host.logs().filter((l) => l.message.includes('"reason":"auth_timeout"')).length).toBe(5);
    expect(await metric("meshgate_kong_breaker_rejected_total")).toBe(11);
    expect(await metric("meshgate_kong_breakers_open")).toBe(1);
    expect(await metric("meshgate_cache_stale_total")).toBe(1);

    backends.auth.clearFaults();
    clock.advance(OPEN_MS - 1);
    expect((await host.request({ path: "/", headers: bearer("still-cooling") })).status).toBe(503);
    expect(backends.auth.stats().introspect).toBe(callsWhenOpened); // the cool-down is not over: still no call
    clock.advance(1);
    const probe = await host.request({ path: "/", headers: bearer(await backends.token("probe-pia")) });
    expect(probe.status).toBe(200);
    expect(backends.auth.stats().introspect).toBe(callsWhenOpened + 1);
    await host.waitForLog((l) => l.message.includes("circuit breaker half_open -> closed: probe succeeded"));
    expect((await host.request({ path: "/", headers: bearer(await backends.token("after-ava")) })).status).toBe(200);

    const transitions = host.logs().filter((l) => l.message.includes("circuit breaker")).map((l) => /breaker (\S+ -> [a-z_]+)/.exec(l.message)?.[1]);
    expect(transitions).toEqual(["closed -> open", "open -> half_open", "half_open -> closed"]);
    expect(await metric("meshgate_kong_breaker_transitions_open_total")).toBe(1);
    expect(await metric("meshgate_kong_breaker_transitions_half_open_total")).toBe(1);
    expect(await metric("meshgate_kong_breaker_transitions_closed_total")).toBe(1);
    expect(await metric("meshgate_kong_breakers_open")).toBe(0);
  });

  it("half-open lets exactly one probe through; the others fail at once; a failed probe re-opens", async () => {
    const host = await gateway();
    backends.auth.setFaults({ down: true });
    for (let i = 0; i < 5; i++) expect((await host.request({ path: "/", headers: bearer(`down-token-${i}`) })).status).toBe(503);
    await host.waitForLog((l) => l.message.includes("closed -> open"));
    backends.auth.setFaults({ delayMs: TIMEOUT_MS * 8 });
    backends.auth.resetStats();

    const rejectedWhileOpen = await metric("meshgate_kong_breaker_rejected_total");
    clock.advance(OPEN_MS);
    const burst = await Promise.all(Array.from({ length: 8 }, (_, i) => host.request({ path: "/", headers: bearer(`burst-token-${i}`) })));
    expect(burst.every((r) => r.status === 503)).toBe(true);
    expect(backends.auth.stats().introspect).toBe(1); // the one probe
    expect(await metric("meshgate_kong_breaker_rejected_total")).toBe(rejectedWhileOpen + 7); // the others, at once
    await host.waitForLog((l) => l.message.includes("half_open -> open: probe failed (timeout)"));
    const after = await host.request({ path: "/", headers: bearer("after-probe") });
    expect(after.status).toBe(503);
    expect(backends.auth.stats().introspect).toBe(1);
    expect(await metric("meshgate_kong_breaker_rejected_total")).toBe(rejectedWhileOpen + 8);
  });

  it("no token in the breaker's log lines or metrics", async () => {
    const host = await gateway();
    const tokens = Array.from({ length: 6 }, (_, i) => `secret-token-material-${i}-abcdefghijklmnop`);
    backends.auth.setFaults({ status: 503 });
    for (const t of tokens) await host.request({ path: "/", headers: bearer(t) });
    await host.waitForLog((l) => l.message.includes("closed -> open"));
    const text = [...host.logs().map((l) => l.message), await (await fetch(metricsUrl)).text()].join("\n");
    for (const t of tokens) expect(text).not.toContain(t.slice(0, 16));
  });
});
