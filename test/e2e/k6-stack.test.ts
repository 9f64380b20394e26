// The k6 scenarios through the k6 stand-in against the live local stack (random ports), with nothing set but
// BASE_URL and AUTH_URL (and WORKERS=2 for auth-cache on the Envoy plane, as the README asks):
// - smoke.js runs as written: every check and every threshold but latency (no test here times wall clock) passes
//   on both planes. smoke.js as it was — RUN_ID defaulting to Date.now() in init code — fails its identity checks
//   here as it did on a real k6, because setup's instance and the VU's disagree;
// - every other scenario has a dry run (setup, 10 iterations of each of its scenarios, teardown): no errors, every
//   check passes, and so do the thresholds that do not depend on volume or timing.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../../dev/stack/index.js";
import { K6Script } from "./k6-stub.js";
import { SyncHttp } from "./sync-http.js";

const LOAD_TESTS = join(import.meta.dirname, "../../load-tests");
const SMOKE = join(LOAD_TESTS, "smoke.js");
const STARTUP_MS = 120_000;

let stack: Stack;
let http: SyncHttp;

beforeAll(async () => {
  stack = await startStack({ accessLog: false });
  http = new SyncHttp(30_000);
}, STARTUP_MS);

afterAll(async () => {
  await http?.close();
  await stack?.stop();
}, 30_000);

function runSmoke(baseUrl: string, source = readFileSync(SMOKE, "utf8")) {
  const script = new K6Script(SMOKE, { env: { BASE_URL: baseUrl, AUTH_URL: stack.urls.auth }, http }, source);
  const result = script.run();
  const failed = [...result.checks].filter(([, c]) => c.fails > 0).map(([name]) => name);
  return { result, failed };
}

describe("load-tests/smoke.js on the local stack", () => {
  it.each(["kong", "envoy"] as const)("passes every check and the checks threshold on the %s plane with only BASE_URL and AUTH_URL set", (plane) => {
    const { result, failed } = runSmoke(stack.urls[plane]);
    expect(result.iterationErrors).toEqual([]);
    expect(result.checks.size).toBeGreaterThanOrEqual(15);
    expect(failed).toEqual([]);
    expect(result.thresholds.map((t) => `${t.metric}: ${t.expression}`)).toEqual(["checks: rate==1", "http_req_duration{kind:gateway}: p(95)<1000"]);
    // Every threshold had data; the latency one is judged by a real k6 run, not by a test on a busy machine.
    expect(result.thresholds.filter((t) => t.noData)).toEqual([]);
    expect(result.thresholds.filter((t) => !t.ok && !t.metric.startsWith("http_req_duration"))).toEqual([]);
  }, 60_000);

  it("would have caught smoke.js as it was: a RUN_ID taken from Date.now() in init code differs per VU", () => {
    const source = readFileSync(SMOKE, "utf8");
    const before = [
      "const RUN = __ENV.RUN_ID || String(Date.now());",
      "export function setup() {",
      "  return {",
      "    userSubject: `k6-smoke-user-${RUN}`,",
      "    tester: issueToken(`k6-smoke-tester-${RUN}`, [TESTER_GROUP]),",
      "    user: issueToken(`k6-smoke-user-${RUN}`, []),",
      "    burst: issueToken(`k6-smoke-burst-${RUN}`, []),",
      "  };",
      "}",
    ].join("\n");
    const setupNow = /export function setup\(\) \{\n[\s\S]*?\n\}\n/;
    expect(source).toMatch(setupNow);
    // The checks compared the echoed subject with `k6-smoke-user-${RUN}` of the VU's own instance.
    const asItWas = source
      .replace(setupNow, `${before}\n`)
      .replaceAll("=== tokens.userSubject", "=== `k6-smoke-user-${RUN}`");
    expect(asItWas).not.toBe(source);
    const { result, failed } = runSmoke(stack.urls.kong, asItWas);
    expect(failed).toEqual(["identity header reaches the upstream", "spoofed x-auth-subject replaced by the verified one"]);
    expect(result.thresholds.find((t) => t.metric === "checks")).toMatchObject({ ok: false, noData: false });
  }, 60_000);
});

/** Per scenario: the thresholds a dry run can judge (the others need the real volume or timeline). */
const DRY_RUN_THRESHOLDS: Record<string, string[]> = {
  "auth-cache.js": ["auth_calls_over_budget", "auth_stats_read", "checks"],
  "canary.js": ["tester_on_canary", "user_on_bucket_side"],
  "rate-limit.js": ["checks"],
  "mixed.js": ["answered_as_expected"],
  // Last: it takes the auth service down (and teardown brings it back).
  "auth-outage.js": ["cached_served_before_outage", "cached_served_during_outage", "fresh_got_fail_status", "faults_flipped", "faults_restored"],
};

describe("dry runs of the other scenarios on the local stack", () => {
  for (const plane of ["kong", "envoy"] as const) {
    it.each(Object.entries(DRY_RUN_THRESHOLDS))(`%s on the ${plane} plane: setup, every exec function and teardown work, and every check passes`, (file, judged) => {
      const env: Record<string, string> = { BASE_URL: stack.urls[plane], AUTH_URL: stack.urls.auth };
      if (plane === "envoy" && file === "auth-cache.js") env["WORKERS"] = String(stack.envoyWorkers);
      const script = new K6Script(join(LOAD_TESTS, file), { env, http, dryRunIterations: 10 });
      const result = script.run();
      expect(result.iterationErrors).toEqual([]);
      expect([...result.checks].filter(([, c]) => c.fails > 0).map(([name]) => name)).toEqual([]);
      const relevant = result.thresholds.filter((t) => judged.includes(t.metric));
      expect(new Set(relevant.map((t) => t.metric))).toEqual(new Set(judged));
      expect(relevant.filter((t) => !t.ok || t.noData)).toEqual([]);
    }, 120_000);
  }
});
