// The plugin server's Prometheus endpoint (MESHGATE_METRICS_PORT): after a scripted sequence of requests every
// meshgate series has the value the sequence implies, and no series carries a subject, token, IP or path.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KongHost } from "../../dev/hosts/kong/gateway.js";
import { bearer, policyFor, startBackends, type Backends } from "../planes/support.js";
import { freePort } from "../support/redis.js";
import { KongHosts } from "./support.js";

const hosts = new KongHosts();
let backends: Backends;
let host: KongHost;
let metricsUrl: string;

beforeAll(async () => {
  backends = await startBackends();
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  host = await hosts.start(
    policyFor(backends, { rateLimit: { rate: 2, periodSeconds: 3600, burst: 1 }, canary: { overrideGroups: ["testers"] } }),
    backends.stableUrl,
    { serverEnv: { MESHGATE_METRICS_PORT: String(port) }, traceRpc: true },
  );
});

afterAll(async () => {
  await hosts.stopAll();
  await backends?.close();
});

/** `name value` lines of the exposition, for series without labels. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match = /^(meshgate_[a-z0-9_]+) (\S+)$/.exec(line);
    if (match) out.set(match[1]!, Number(match[2]));
  }
  return out;
}

describe("metrics of the Kong plane", () => {
  it("count one decision per request and one auth call per call, with exact values after a scripted sequence", async () => {
    const alice = await backends.token("alice", ["testers"]);
    const statuses: number[] = [];
    const send = async (headers: Record<string, string>): Promise<void> => {
      statuses.push((await host.request({ path: "/orders?id=7", headers })).status);
    };
    await send({}); // deny: token_missing
    await send({ ...bearer(alice), "x-canary": "always" }); // allow, miss, auth 2xx, canary override
    await send(bearer(alice)); // allow, hit, stable default
    await send(bearer(alice)); // deny: rate limited (capacity 2), hit
    await send(bearer("revoked-token-7")); // deny: inactive, miss, auth 2xx
    await send(bearer("revoked-token-7")); // deny from the negative cache, hit
    backends.auth.setFaults({ status: 500 });
    await send(bearer(await backends.token("bob"))); // error: fail closed 503, miss, auth 5xx
    backends.auth.clearFaults();
    expect(statuses).toEqual([401, 200, 200, 429, 401, 401, 503]);

    const response = await fetch(metricsUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();
    const values = samples(text);
    expect(Object.fromEntries([...values].filter(([name]) => !name.startsWith("meshgate_pluginserver_")))).toEqual({
      meshgate_decisions_allow_total: 2,
      meshgate_decisions_deny_total: 4,
      meshgate_decisions_error_total: 1,
      meshgate_decisions_anonymous_total: 0,
      meshgate_cache_hit_total: 3,
      meshgate_cache_miss_total: 3,
      meshgate_cache_stale_total: 0,
      meshgate_auth_calls_2xx_total: 2,
      meshgate_auth_calls_4xx_total: 0,
      meshgate_auth_calls_5xx_total: 1,
      meshgate_auth_calls_timeout_total: 0,
      meshgate_auth_calls_connect_error_total: 0,
      meshgate_ratelimit_rejected_total: 1,
      meshgate_limiter_fallback_total: 0,
      meshgate_fail_open_total: 0,
      meshgate_canary_canary_override_total: 1,
      meshgate_canary_canary_percentage_total: 0,
      meshgate_canary_canary_default_total: 0,
      meshgate_canary_stable_override_total: 0,
      meshgate_canary_stable_percentage_total: 0,
      meshgate_canary_stable_default_total: 1,
      meshgate_kong_internal_errors_total: 0,
      meshgate_kong_breaker_transitions_open_total: 0,
      meshgate_kong_breaker_transitions_half_open_total: 0,
      meshgate_kong_breaker_transitions_closed_total: 0,
      meshgate_kong_breaker_rejected_total: 0,
      meshgate_kong_breakers_open: 0,
      meshgate_auth_call_duration_ms_sum: values.get("meshgate_auth_call_duration_ms_sum"),
      meshgate_auth_call_duration_ms_count: 3,
      meshgate_cache_entries: 2, // alice's allow and the negative entry; errors are never cached
    });
    expect(backends.auth.stats().introspect).toBe(3);

    // Every decision names its rule: the policy's route, the section and the reason, as labels.
    const decisions = text.split("\n").filter((l) => l.startsWith("meshgate_decisions_total{"));
    const rule = (section: string, outcome: string, reason: string, n: number): string =>
      `meshgate_decisions_total{route="default",section="${section}",outcome="${outcome}",reason="${reason}"} ${n}`;
    expect(decisions.sort()).toEqual([
      rule("auth", "allow", "active", 2), rule("auth", "deny", "inactive", 2), rule("auth", "deny", "token_missing", 1),
      rule("auth", "error", "auth_status_500", 1), rule("rateLimit", "deny", "rate_limited", 1),
    ].sort());

    // Besides those, only the histogram's `le` label exists on meshgate's own series; nothing that identifies a request.
    const labelled = text.split("\n").filter((l) => /^meshgate_[a-z0-9_]+\{/.test(l) && !l.startsWith("meshgate_pluginserver_") &&
      !l.startsWith("meshgate_decisions_total{"));
    expect(labelled.length).toBeGreaterThan(0);
    expect(labelled.every((l) => /^meshgate_auth_call_duration_ms_bucket\{le="[^"]+"\} \d+$/.test(l))).toBe(true);
    for (const secret of [alice, "revoked-token-7", "alice", "bob", "/orders", "127.0.0.1"]) expect(text).not.toContain(secret);
  });

  it("are served on loopback only, GET /metrics only, and without any PDK round trip", async () => {
    const before = host.rpcTrace().length;
    expect((await fetch(metricsUrl.replace("/metrics", "/other"))).status).toBe(404);
    expect((await fetch(metricsUrl, { method: "POST" })).status).toBe(404);
    expect(host.rpcTrace().length).toBe(before);
    expect(host.logs().some((l) => l.message.includes(`meshgate: metrics on ${metricsUrl}`))).toBe(true);
  });
});
