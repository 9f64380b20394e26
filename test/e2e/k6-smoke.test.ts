// smoke.js through the k6 stand-in against the live local stack (random ports), with nothing set but BASE_URL
// and AUTH_URL: every check and threshold passes on both planes. smoke.js as it was — RUN_ID defaulting to
// Date.now() in init code — fails its identity checks here as it did on a real k6, because setup's instance and
// the VU's disagree.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../../dev/stack/index.js";
import { K6Script } from "./k6-stub.js";
import { SyncHttp } from "./sync-http.js";

const SMOKE = join(import.meta.dirname, "../../load-tests/smoke.js");
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
  it.each(["kong", "envoy"] as const)("passes every check and threshold on the %s plane with only BASE_URL and AUTH_URL set", (plane) => {
    const { result, failed } = runSmoke(stack.urls[plane]);
    expect(result.iterationErrors).toEqual([]);
    expect(result.checks.size).toBeGreaterThanOrEqual(15);
    expect(failed).toEqual([]);
    expect(result.thresholds.map((t) => `${t.metric}: ${t.expression}`)).toEqual(["checks: rate==1", "http_req_duration{kind:gateway}: p(95)<1000"]);
    expect(result.thresholds.filter((t) => !t.ok || t.noData)).toEqual([]);
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
